/* proof.h: the pieces of authenticated denial (RFC 4034 4 and 6.1, RFC
 * 5155): canonical name order, type bitmaps, NSEC and NSEC3 matching and
 * covering. Pure functions over wire data (lengths checked). */
#ifndef TERN_VALIDATE_PROOF_H
#define TERN_VALIDATE_PROOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VAL_NSEC3_HASH_LEN 20

/* RFC 4034 6.1: <0, 0, >0 as a sorts before, equal to, after b. */
int val_name_cmp(const uint8_t *a, const uint8_t *b);

/* Whether the type bitmap (RFC 4034 4.1.2) at bm (len bytes) has type. */
bool val_bitmap_has(const uint8_t *bm, size_t len, uint16_t type);

/* NSEC RDATA: the next name and the bitmap. False when malformed. */
bool val_nsec_parse(const uint8_t *rd, size_t len, const uint8_t **next, const uint8_t **bm, size_t *bmlen);
/* Whether the NSEC at owner with next name next covers name (owner <
 * name < next, the last NSEC wrapping to the apex). */
bool val_nsec_covers(const uint8_t *owner, const uint8_t *next, const uint8_t *name);

typedef struct val_nsec3 {
	uint8_t alg, flags;
	uint16_t iterations;
	const uint8_t *salt;
	uint8_t salt_len;
	uint8_t hash[VAL_NSEC3_HASH_LEN];   /* the owner's, decoded */
	uint8_t next[VAL_NSEC3_HASH_LEN];
	const uint8_t *bm;
	size_t bmlen;
} val_nsec3;

/* Reads an NSEC3 record (owner: its hashed owner name). False when
 * malformed or not SHA-1 (RFC 5155 11). */
bool val_nsec3_parse(const uint8_t *owner, const uint8_t *rd, size_t len, val_nsec3 *out);
/* RFC 5155 5: the hash of name with n3's salt and iterations. */
void val_nsec3_hash(const uint8_t *name, const val_nsec3 *n3, uint8_t out[VAL_NSEC3_HASH_LEN]);
/* Whether n3 covers hash h (strictly between owner and next, wrapping). */
bool val_nsec3_covers(const val_nsec3 *n3, const uint8_t h[VAL_NSEC3_HASH_LEN]);

#endif
