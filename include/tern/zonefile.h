/* tern/zonefile.h: the RFC 1035 section 5 master-file parser.
 *
 * Reads a zone file (or a string of zone-file lines) and hands every record
 * to a callback in uncompressed wire form; allocates nothing per record.
 * Supports $ORIGIN, $TTL (RFC 2308), $INCLUDE (relative to the including
 * file, depth-limited), BIND's $GENERATE, "@", relative names, omitted
 * owner/TTL/class, parentheses, comments, quoted strings, \X and \DDD
 * escapes, TTL units and the RFC 3597 \# generic RDATA.
 * Every error is reported through on_error with file and line. */
#ifndef TERN_ZONEFILE_H
#define TERN_ZONEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "tern/error.h"
#include "tern/name.h"

typedef struct tern_zrr {
	const uint8_t *owner; /* uncompressed wire, case as written */
	uint16_t type, cls;
	uint32_t ttl;
	const uint8_t *rdata; /* uncompressed wire */
	uint16_t rdlen;
	const char *file;     /* where it was read */
	unsigned file_id;     /* the same for all records of one reading of a
	                       * file, different for the next one ($INCLUDE):
	                       * file only needs looking at when it changes */
	unsigned line;
	/* 1 if owner is byte for byte the owner of the previous record this
	 * parse handed over (the same token again, or an omitted owner), so a
	 * consumer may reuse what it found for that one; 0 if unknown. */
	int same_owner;
} tern_zrr;

/* Return 0 to go on, non-zero to stop parsing (that value is returned). */
typedef int (*tern_zrr_cb)(const tern_zrr *rr, void *user);
/* msg is one line without file:line, e.g. "unknown RR type 'AAAAA'". */
typedef void (*tern_zerr_cb)(const char *file, unsigned line, const char *msg, void *user);

typedef struct tern_zparse {
	const uint8_t *origin;   /* initial $ORIGIN (NULL: relative names are
	                          * errors until a $ORIGIN line) */
	/* A record without a TTL takes $TTL if one was given (RFC 2308), else
	 * the last TTL stated explicitly (RFC 1035 5.1), else default_ttl if
	 * have_default_ttl, else, if it is an SOA, its own MINIMUM (which then
	 * counts as the last TTL stated), else it is an error. */
	uint32_t default_ttl;
	int have_default_ttl;
	uint16_t default_class;  /* 0 means IN */
	unsigned max_include_depth; /* 0 means 8; at most 64 */
	unsigned max_errors;     /* stop after this many errors; 0 means 100 */
	int allow_include;       /* 0: $INCLUDE is an error (for untrusted text) */
	tern_zrr_cb on_rr;
	tern_zerr_cb on_error;
	void *user;
} tern_zparse;

/* Parses a file. Returns 0 if every line parsed, TERN_ESYNTAX if errors were
 * reported, a negative errno if the file could not be read (also reported),
 * or the callback's non-zero value. */
TERN_WUR int tern_zone_parse_file(const tern_zparse *zp, const char *path);

/* The same for text in memory; name is used in error messages. */
TERN_WUR int tern_zone_parse_string(const tern_zparse *zp, const char *name, const char *text, size_t len);

#endif
