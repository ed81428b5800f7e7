/* apply.h: a new version of a zone from the version serving now and a list
 * of edits: what an IXFR, a dynamic UPDATE or re-signing change. The old
 * version is not touched (readers go on using it); the new one shares every
 * node that does not change (docs/architecture.md, "Zones that change at
 * run time"). */
#ifndef TERN_DB_APPLY_H
#define TERN_DB_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"

typedef enum db_edit_op {
	DB_ADD_RR,    /* add one record (a duplicate is ignored) */
	DB_DEL_RR,    /* delete one record (owner, type, RDATA) */
	DB_DEL_RRSET, /* delete every record of a type at the owner */
	DB_DEL_NAME,  /* delete every record at the owner */
} db_edit_op;

typedef struct db_edit {
	db_edit_op op;
	const uint8_t *owner; /* wire form, absolute, at or below the origin */
	uint16_t type;        /* not for DB_DEL_NAME */
	uint16_t rdlen;       /* DB_ADD_RR, DB_DEL_RR */
	uint32_t ttl;         /* DB_ADD_RR: the RRset takes this TTL */
	const uint8_t *rdata; /* DB_ADD_RR, DB_DEL_RR: uncompressed wire RDATA */
} db_edit;

enum {
	/* An IXFR's rules: deleting a record that is not there, or adding a
	 * CNAME beside other data (or the reverse), is an error. Without it
	 * (UPDATE, RFC 2136 3.4.2), such edits are silently ignored. */
	DB_APPLY_STRICT = 1 << 0,
	/* Also make the difference old -> new (stats->diff, for the journal:
	 * records removed, the old SOA first; records added, the new SOA
	 * first), from the edited names alone: no walk of the zone. */
	DB_APPLY_DIFF = 1 << 1,
	/* RRSIG, NSEC and NSEC3 edits stay on the fast path (re-signing,
	 * dnssec/resign.h): NSEC3 owners are edited beside the name table and
	 * the new version's denial indexes (db/dnssec.h) are the old ones
	 * patched (apply_dnssec.c). Without it they rebuild the zone. */
	DB_APPLY_DNSSEC = 1 << 2,
};

typedef struct db_apply_stats {
	bool rebuilt;       /* the whole zone was built again */
	size_t nodes_new;   /* nodes made (changed, added, and chain copies) */
	size_t failed_edit; /* the edit refused (its index), or SIZE_MAX */
	struct db_diff *diff; /* DB_APPLY_DIFF: one reference for the caller, or
	                       * NULL (out of memory: no journal entry) */
} db_apply_stats;

/* Applies edits, in order, to old and returns the new version (one
 * reference, as zone_load gives), or NULL with the reason reported to diag
 * as an error naming `what` (e.g. "IXFR from 192.0.2.1"). The result must
 * still be a zone: one SOA and NS at the apex, a CNAME alone at its name.
 * Changes that move the zone's structure (delegations, DNAME, wildcards,
 * DNSSEC records, data below a cut) rebuild the zone from its records;
 * so does the change after which superseded nodes would pass a quarter of
 * the zone. stats may be NULL. Control thread; old is only read. */
db_zone *zone_apply(const db_zone *old, const db_edit *edits, size_t n, unsigned flags, const char *what,
                    db_diag *diag, db_apply_stats *stats);

/* The same in steps, for a caller that adds edits of its own once it
 * sees what the first ones do (the signer, dnssec/resign.c):
 * zone_apply_begin gathers the edits per name (an edit that fails is
 * reported, *failed_edit set, NULL returned); zone_apply_names shows the
 * names touched so far; zone_apply_more adds edits (-1 on a failure,
 * reported; then only _abort may follow); zone_apply_finish checks and
 * builds the version as zone_apply does, and frees a. zone_apply_rebuilds
 * says whether the edits so far move the structure (the version would be
 * rebuilt from its records). */
typedef struct db_apply db_apply;

/* One record of a name as the edits leave it. */
typedef struct db_rr {
	uint16_t type, rdlen;
	uint32_t ttl;
	const uint8_t *rdata; /* the edit's or the old version's: both outlive the apply */
} db_rr;

typedef struct db_apply_name {
	const uint8_t *owner;
	const db_node *old; /* its node in the old version (zone_find_stored), or NULL */
	const db_rr *rr;    /* its records after the edits so far, in no order */
	size_t n;
} db_apply_name;

db_apply *zone_apply_begin(const db_zone *old, const db_edit *edits, size_t n, unsigned flags, const char *what,
                           db_diag *diag, size_t *failed_edit);
bool zone_apply_rebuilds(const db_apply *a);
/* The i-th name touched (0 <= i < count); valid until zone_apply_more. */
size_t zone_apply_count(const db_apply *a);
db_apply_name zone_apply_name(const db_apply *a, size_t i);
int zone_apply_more(db_apply *a, const db_edit *edits, size_t n) __attribute__((warn_unused_result));
db_zone *zone_apply_finish(db_apply *a, db_apply_stats *stats);
void zone_apply_abort(db_apply *a);

/* Calls fn for every record of z: the apex first (SOA first of all), then
 * every other node, RRsets in type order. Returns the first non-zero value
 * fn returns, or 0. */
int zone_walk(const db_zone *z,
              int (*fn)(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                        uint16_t rdlen),
              void *user);

#endif
