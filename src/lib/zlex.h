/* zlex.h: the master-file lexer behind zonefile.c (internal to libtern).
 *
 * Splits RFC 1035 section 5.1 text into entries (logical lines): tokens are
 * separated by blanks; "(" and ")" let an entry span lines; ";" starts a
 * comment; "..." is one token that may hold blanks and ";". Tokens point
 * into the text: escapes are left as written, quotes are stripped. */
#ifndef TERN_ZLEX_H
#define TERN_ZLEX_H

#include <stddef.h>

#include "tern/rr.h"

/* Most tokens in one entry; more is an error (bounds the work per record). */
#define TERN_ZLEX_MAXTOK 1024

typedef struct tern_zlex {
	const char *p;   /* next byte */
	const char *end; /* end of the text; *end must be '\0' (a sentinel) */
	unsigned line;   /* line of p */
} tern_zlex;

typedef struct tern_zentry {
	tern_token *tok;   /* caller's arrays of cap elements */
	unsigned *tokline; /* line of each token */
	size_t cap;
	size_t ntok;
	unsigned line;   /* line where the entry starts */
	int blank;       /* starts with a blank: the owner is omitted */
	const char *err; /* first lexical error (static text), or NULL */
	unsigned errline;
} tern_zentry;

/* text[len] must be '\0'; a NUL before it is reported as an error. */
void tern_zlex_init(tern_zlex *lx, const char *text, size_t len, unsigned line);

/* Reads the next entry into e (ntok may be 0 for a blank or comment line).
 * After a lexical error the rest of the entry is still consumed, so the
 * caller can report e->err and go on with the next one. Returns 0 at the
 * end of the text, else 1. */
int tern_zlex_entry(tern_zlex *lx, tern_zentry *e);

#endif
