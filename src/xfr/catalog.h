/* catalog.h: catalog zones (RFC 9432, schema version 2): the zone a
 * producer publishes to list its member zones, and what a consumer reads
 * from one. No I/O. */
#ifndef TERN_XFR_CATALOG_H
#define TERN_XFR_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"

/* Builds the catalog zone `origin` whose members are the n names in
 * members: an SOA and "NS invalid." at the apex, "version TXT 2", and one
 * "<id>.zones PTR member" per member (RFC 9432 4.1-4.2), the id a stable
 * hash of the member's name, so a consumer sees the same id across
 * restarts. prev (may be NULL) is the catalog serving now: when its
 * members are the same, it is returned with a reference taken; otherwise
 * the new version's serial is prev's + 1, or the time when that is larger
 * (RFC 1982). Returns NULL with the problem reported to diag. */
db_zone *catalog_produce(const uint8_t *origin, const uint8_t *const *members, size_t n, const db_zone *prev,
                         uint32_t now, db_diag *diag);

/* One member of a catalog version: the member zone's name (the PTR
 * target) and the member node's name (<unique-N>.zones.<catalog>, whose
 * first label is the id), both wire names pointing into the version. */
typedef struct catalog_member {
	const uint8_t *zone;
	const uint8_t *id;
} catalog_member;

enum {
	CATALOG_NO_DATA = -1,     /* the version has no data (never loaded, expired) */
	CATALOG_BAD_VERSION = -2, /* no "version" TXT "2": not to be processed (RFC 9432 4.2.1) */
	CATALOG_BROKEN = -3,      /* a member node with several PTRs, or a zone listed twice (RFC 9432 4.2) */
};

/* Reads the members of catalog version z into out (at most cap; z's
 * order). Returns their count (when above cap, only cap are stored and the
 * duplicate check is skipped: the caller refuses such a catalog), or a
 * CATALOG_* code with the reason written to why (may be NULL). A consumer
 * must not process a catalog that gives an error (RFC 9432 5.1: it keeps
 * the members of the last good version). */
long catalog_read(const db_zone *z, catalog_member *out, size_t cap, char *why, size_t whycap);

/* The member zones a catalog version lists (the PTR targets under
 * zones.<origin>), in z's order, as wire names pointing into z: valid as
 * long as z is. A catalog without "version TXT 2" lists nothing (RFC 9432
 * 5.1: a consumer must not process an unknown schema). Returns the count
 * (at most cap are stored in out), or -1 for a bad version or a broken
 * catalog (catalog_read says which). */
long catalog_members(const db_zone *z, const uint8_t **out, size_t cap);

#endif
