/* dnssec.h: what a signed zone needs to deny existence (RFC 4034 4, RFC
 * 4035 3.1.3, RFC 5155 7.2), made once at load beside the node table and
 * read without locks, like the rest of a zone version.
 *
 *  - NSEC zones: the nodes that own an NSEC RRset, in canonical order (RFC
 *    4034 6.1), so that the NSEC covering a name that does not exist is a
 *    binary search (its canonical predecessor).
 *  - NSEC3 zones: the NSEC3 RRsets sorted by their owner's hash. NSEC3
 *    owners are not names of the zone (RFC 5155 7.2.8): a node that holds
 *    only NSEC3 (and its RRSIGs) is kept out of the table queries search
 *    (DB_HASHED) and is reached through this index alone.
 *
 * Unsigned zones have none of it (db_zone.dnssec is NULL). */
#ifndef TERN_DB_DNSSEC_H
#define TERN_DB_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"

#define DB_NSEC3_HASH_LEN 20 /* SHA-1, the only NSEC3 hash (RFC 5155 11) */

typedef struct db_nsec3 {
	uint8_t hash[DB_NSEC3_HASH_LEN]; /* the owner's first label, decoded */
	const db_node *node;             /* holds the NSEC3 RRset and its RRSIGs */
} db_nsec3;

typedef struct db_dnssec {
	bool nsec3;                 /* denial by NSEC3 (else NSEC, if any) */
	const db_node **nsec;       /* NSEC owners, canonical order */
	size_t nnsec;
	const db_nsec3 *n3;         /* NSEC3 RRsets by owner hash */
	size_t nn3;
	db_node **hidden;           /* the DB_HASHED nodes (zone_walk) */
	size_t nhidden;
	/* the hash parameters answers use: NSEC3PARAM's (RFC 5155 4), or
	 * the first NSEC3's when the zone has no NSEC3PARAM */
	uint16_t iterations;
	uint8_t salt_len;
	uint8_t salt[255];
	/* A version zone_apply patched (apply_dnssec.c): nsec, n3 and hidden
	 * are its own malloc'd copies, freed with the version (zone_free),
	 * not kept in its arena, which lives on while later versions share
	 * its nodes: a refresh of a big zone, step after step, would keep
	 * one copy alive per step until the next rebuild. NULL for a zone
	 * built whole (the arrays are in its arena). */
	void *own[3];
} db_dnssec;

/* The NSEC3 hash of name (RFC 5155 5: IH(salt, name, iterations) over the
 * canonical, lower-cased wire form) into out. No allocation. */
void db_nsec3_hash(const uint8_t *name, const uint8_t *salt, size_t salt_len, unsigned iterations,
                   uint8_t out[DB_NSEC3_HASH_LEN]);

/* The hash an NSEC3 owner's first label holds (base32hex, RFC 5155 3.3)
 * into out; false when the name is not one. */
bool db_nsec3_owner_hash(const uint8_t *name, uint8_t out[DB_NSEC3_HASH_LEN]);

/* Frees d's own arrays (db_dnssec.own), if any, and forgets them. */
void db_dnssec_free_own(db_dnssec *d);

/* The NSEC owner that is name or its canonical predecessor (the NSEC that
 * matches or covers name): the last one when name sorts before all of them
 * (the chain wraps, RFC 4034 4.1.1). NULL when the zone has no NSEC. */
const db_node *db_nsec_find(const db_dnssec *d, const uint8_t *name);

/* The NSEC3 whose hash is h (*exact true), else the one that covers h
 * (the greatest hash below h, the last one when h is below all: the chain
 * wraps). NULL when the zone has no NSEC3. */
const db_nsec3 *db_nsec3_find(const db_dnssec *d, const uint8_t h[DB_NSEC3_HASH_LEN], bool *exact);

/* The data an RRSIG signs (RFC 4034 3.1.8.1): sig's first pre bytes (its
 * RDATA up to the signature: the fields, then the signer, folded to lower
 * case) and the RRs of s at owner in canonical form and order (RFC 4034
 * 6.2, 6.3) with the RRSIG's original TTL. Into *buf (grown as needed,
 * *cap its size); returns the length, or 0 when out of memory. */
size_t db_rrsig_data(uint8_t **buf, size_t *cap, const uint8_t *sig, size_t pre, const uint8_t *owner,
                     const db_rrset *s);

#endif
