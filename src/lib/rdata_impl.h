/* rdata_impl.h: what the parts of the RDATA code share (internal to
 * libtern). rdata.c holds the type descriptors and the walker that drives
 * them; rdtext.c the text side every part uses (a bounded output buffer,
 * strict numbers, RFC 1035 escapes, error messages); svcb.c and loc.c the
 * two field kinds too big to live inline: SvcParams (RFC 9460) and LOC
 * (RFC 1876). Nothing here allocates. */
#ifndef TERN_RDATA_IMPL_H
#define TERN_RDATA_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/rr.h"

/* ---- text output (rdtext.c) ---- */

/* Like tern_wr, always leaves room for a NUL: a write that does not fit
 * sets err = TERN_ESPACE and every later write does nothing. */
typedef struct tbuf {
	char *p;
	size_t cap, pos;
	int err;
} tbuf;

/* n bytes at the end of the text for the caller to fill, or NULL. */
char *tern_tb_take(tbuf *t, size_t n);
void tern_tb_put(tbuf *t, const char *s, size_t n);
void tern_tb_puts(tbuf *t, const char *s);
void tern_tb_putc(tbuf *t, char c);
__attribute__((format(printf, 2, 3))) void tern_tb_printf(tbuf *t, const char *fmt, ...);
/* Takes back a trailing ' ' (before a field that printed nothing). */
void tern_tb_unsep(tbuf *t);
/* A <character-string> quoted as dig prints it. */
void tern_tb_quoted(tbuf *t, const uint8_t *s, size_t n);
/* Hex / base64, in words of 56 characters when split (dig's +split). */
void tern_tb_hex(tbuf *t, const uint8_t *s, size_t n, bool split);
void tern_tb_base64(tbuf *t, const uint8_t *s, size_t n, bool split);
void tern_tb_name(tbuf *t, const uint8_t *name);
void tern_tb_type(tbuf *t, uint16_t type);

/* ---- text input (rdtext.c) ---- */

/* Strict unsigned decimal: digits only, at least one, value <= max.
 * Returns 0, TERN_ESYNTAX or TERN_ERANGE. */
int tern_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *v);
/* Decodes the RFC 1035 5.1 escapes of a raw token into at most max bytes
 * written to w (w may be NULL: only measure). Returns the decoded length,
 * TERN_ESYNTAX or TERN_ERANGE. */
long tern_unescape(const char *s, size_t len, tern_wr *w, size_t max);
/* Copies a token into buf as a C string; false if it does not fit. */
bool tern_token_cstr(const char *s, size_t len, char *buf, size_t cap);

/* ---- the walker's state (rdata.c) ---- */

struct rdesc;
struct field;

enum op { OP_FROM_TEXT, OP_TO_TEXT, OP_COPY };

struct walk {
	enum op op;
	const struct rdesc *d;
	const struct field *f; /* the field being handled */
	/* text input (OP_FROM_TEXT) */
	const tern_token *tok;
	size_t ntok, ti;
	const uint8_t *origin;
	char *err;
	size_t errcap;
	/* wire input (OP_TO_TEXT, OP_COPY) */
	tern_rd in;
	bool decompress; /* names may contain pointers */
	/* wire output (OP_FROM_TEXT, OP_COPY); NULL in OP_COPY: only check */
	tern_wr *out;
	tern_ctab *ct; /* compress names against this (OP_COPY) */
	/* text output (OP_TO_TEXT) */
	tbuf tb;
	/* OP_COPY: the offset of each name read, when names is not NULL */
	uint16_t *names;
	size_t nnames, maxnames;
};

/* Writes a one-line reason into k->err (if any) and returns rc. */
__attribute__((format(printf, 3, 4))) int tern_walk_fail(struct walk *k, int rc, const char *fmt, ...);

/* Token text for messages: at most 40 characters of it. */
#define TOKF "'%.*s%s'"
#define TOKA(t) (int)((t)->len > 40 ? 40 : (t)->len), (t)->p, (t)->len > 40 ? "..." : ""

/* ---- fast paths (rdfast.c) ---- */

/* Parses the common spellings of the commonest types straight into out:
 * true with *outlen set, or false to leave the record to the walker (a
 * rare spelling, an error, too little room), which then decides and words
 * the error. A fast path may decline, never differ. */
bool tern_rdata_fast_from_text(uint16_t type, const tern_token *tok, size_t ntok, const uint8_t *origin,
                               uint8_t *out, size_t cap, size_t *outlen);

/* ---- SvcParams (svcb.c), the rest of an SVCB/HTTPS RDATA ---- */

/* Checks SvcParams in wire form (RFC 9460 2.2, 7, 8). Returns 0 or
 * TERN_EMALFORMED with *why set to a static reason. */
int tern_svc_check(const uint8_t *p, size_t n, const char **why);
/* Reads all of k->in (a failed check fails k->in) and prints it to k->tb. */
void tern_svc_to_text(struct walk *k);
/* Takes the remaining tokens, writes them to k->out sorted by key.
 * Returns 0 or an error with a message in k->err. */
int tern_svc_from_text(struct walk *k);

/* ---- network address fields (rdnet.c) ---- */

/* The IPSECKEY gateway (RFC 4025 2.5), whose form the gateway type two
 * bytes before it decides (in k->in, or in k->out from text). */
void tern_gateway_skip(struct walk *k);
void tern_gateway_to_text(struct walk *k);
int tern_gateway_from_text(struct walk *k, const tern_token *t);
/* APL items to the end, possibly none (RFC 3123 4). */
void tern_apl_skip(struct walk *k);
void tern_apl_to_text(struct walk *k);
int tern_apl_from_text(struct walk *k); /* takes the remaining tokens */
/* 8 bytes as x:x:x:x (NID, L64: RFC 6742 2.1, 2.3); skipped as 8 bytes. */
void tern_ilnp64_to_text(struct walk *k);
int tern_ilnp64_from_text(struct walk *k, const tern_token *t);

/* ---- LOC (loc.c), a whole LOC RDATA ---- */

/* Takes the 16 bytes at in if they are a valid version 0 LOC, else fails
 * in with TERN_EMALFORMED and returns NULL. */
const uint8_t *tern_loc_take(tern_rd *in);
void tern_loc_to_text(struct walk *k);
/* Takes the remaining tokens; returns 0 or an error with a message. */
int tern_loc_from_text(struct walk *k);

#endif
