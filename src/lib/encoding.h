/* encoding.h: internal helpers for the binary-to-text encodings that RDATA
 * presentation formats use: hex (RFC 4648 section 8), base64 (section 4) and
 * base32hex without padding (section 7, as NSEC3 uses it, RFC 5155 3.3).
 *
 * The decoders for hex and base64 are streaming, because a zone file may
 * split one field over several tokens ("AwEA Aaz/ ..."): feed every token,
 * then call finish. They write through a tern_wr so the caller's buffer
 * bounds every write. Nothing here allocates. */
#ifndef TERN_ENCODING_H
#define TERN_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "tern/error.h"
#include "tern/wire.h"

/* Value of a hex digit (either case), or -1. */
int tern_hex_digit(int c);

/* Writes 2*n upper-case hex digits to dst (no NUL). Returns 2*n. */
size_t tern_hex_encode(const uint8_t *src, size_t n, char *dst);

typedef struct tern_hexdec {
	int half; /* a pending high nibble, or -1 */
} tern_hexdec;

void tern_hexdec_init(tern_hexdec *d);
/* Returns 0, TERN_ESYNTAX (not a hex digit) or w->err. */
TERN_WUR int tern_hexdec_feed(tern_hexdec *d, const char *s, size_t len, tern_wr *w);
/* Returns 0, or TERN_ESYNTAX if an odd number of digits was fed. */
TERN_WUR int tern_hexdec_finish(const tern_hexdec *d);

/* Writes the base64 of n bytes to dst (4 * ceil(n / 3) chars, no NUL) and
 * returns that length. */
size_t tern_b64_encode(const uint8_t *src, size_t n, char *dst);

typedef struct tern_b64dec {
	uint32_t acc;   /* bits not yet written */
	unsigned nchar; /* characters of the current 4-character quantum */
	unsigned pad;   /* '=' seen in the current quantum */
} tern_b64dec;

void tern_b64dec_init(tern_b64dec *d);
/* Returns 0, TERN_ESYNTAX (bad character or misplaced '=') or w->err. */
TERN_WUR int tern_b64dec_feed(tern_b64dec *d, const char *s, size_t len, tern_wr *w);
/* Returns 0, or TERN_ESYNTAX if the input ended inside a quantum. */
TERN_WUR int tern_b64dec_finish(const tern_b64dec *d);

/* Writes the unpadded upper-case base32hex of n bytes to dst (ceil(8n/5)
 * chars, no NUL) and returns that length. */
size_t tern_b32hex_encode(const uint8_t *src, size_t n, char *dst);

/* Decodes unpadded base32hex (either case). Returns 0, TERN_ESYNTAX (bad
 * character, impossible length or non-zero trailing bits) or TERN_ESPACE. */
TERN_WUR int tern_b32hex_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen);

#endif
