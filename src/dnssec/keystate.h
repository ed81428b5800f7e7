/* keystate.h: the timing of one signing key, as kept beside the key in
 * the key directory ("K<zone>+<alg>+<tag>.state", keys.c), in RFC 7583's
 * vocabulary (Knot's and BIND's key timing):
 *
 *   # tern key state
 *   role: zsk                          ksk, zsk or csk
 *   algorithm: 13
 *   tag: 40969
 *   created: 2026-12-06T12:00:00Z      made
 *   publish: 2026-12-06T12:00:00Z      in the DNSKEY RRset from then
 *   ready: ...                         KSK/CSK: its DS may go to the parent
 *   active: ...                        signs from then
 *   submitted: ...                     KSK/CSK: its DS is at the parent
 *   retire: ...                        signs no more
 *   remove: ...                        out of the DNSKEY RRset
 *
 * Times are UTC, exactly as shown; a time not reached yet is absent. The
 * parser is strict (the file is written by ternd, and read back on every
 * signing): unknown, repeated or missing fields, times out of order, bad
 * values are errors at a line. No I/O here: keys.c reads the files. */
#ifndef TERN_DNSSEC_KEYSTATE_H
#define TERN_DNSSEC_KEYSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dnssec_role { DNSSEC_KSK = 1, DNSSEC_ZSK, DNSSEC_CSK };

typedef struct dnssec_keystate {
	uint8_t role; /* enum dnssec_role */
	uint8_t alg;
	uint16_t tag;
	/* Unix times; 0: not reached */
	int64_t created, publish, ready, active, submitted, retire, remove;
} dnssec_keystate;

/* The longest state file ternd reads. */
#define DNSSEC_KEYSTATE_MAX 4096

/* "ksk", "zsk", "csk" (or "?"). */
const char *dnssec_role_name(uint8_t role);

/* Parses the text of a state file (len bytes, need not be NUL-terminated)
 * into ks. Returns 0, or -1 with the line (1-based; 0: the file as a
 * whole) in *line and the reason in err (NUL-terminated, at most errcap
 * bytes). */
int dnssec_keystate_parse(const char *text, size_t len, dnssec_keystate *ks, unsigned *line, char *err,
                          size_t errcap);

/* The state file's text for ks into out (at most cap bytes, NUL-terminated);
 * returns its length, or 0 when it does not fit. What it writes parses back
 * to ks. */
size_t dnssec_keystate_format(const dnssec_keystate *ks, char *out, size_t cap);

#endif
