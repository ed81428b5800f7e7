/* apply_impl.h: the work of one zone_apply (apply.h), shared by apply.c
 * and apply_diff.c. Internal to src/db. */
#ifndef TERN_DB_APPLY_IMPL_H
#define TERN_DB_APPLY_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/apply.h"
#include "db/journal.h"
#include "tern/rr.h"

typedef db_rr wrr;

/* The type an RRSIG covers (RFC 4034 3.1.1), 0 for other records: RRSIGs
 * form one RRset per type covered (zone.h). */
static inline uint16_t covered_of(const wrr *r)
{
	return r->type == TERN_T_RRSIG && r->rdlen >= 2 ? tern_get_u16(r->rdata) : 0;
}

static inline bool same_set(const wrr *a, const wrr *b)
{
	return a->type == b->type && covered_of(a) == covered_of(b);
}

typedef struct wnode {
	const uint8_t *owner;
	size_t len;
	uint32_t hash;
	unsigned labels;
	const db_node *old; /* in the old version, or NULL */
	wrr *rr;
	size_t n, cap;
	size_t old_count; /* records the old version had here */
	bool hashed;      /* an NSEC3 owner: kept out of the name table */
	bool structural;  /* a cut, a wildcard, below one...: an edit of its
	                   * data moves the structure (not of its RRSIG, NSEC
	                   * or NSEC3, with DB_APPLY_DNSSEC) */
} wnode;

struct db_apply {
	const db_zone *old;
	wnode *w;
	size_t n, cap;
	uint32_t *slots; /* index + 1 into w, by hash; 0 empty */
	uint32_t mask;
	bool rebuild;
	unsigned flags;
	const char *what;
	db_diag *diag;
};
typedef struct db_apply work;

/* The difference old -> nz (DB_APPLY_DIFF) from the edited names alone
 * (apply_diff.c). NULL when out of memory. */
db_diff *apply_make_diff(const work *k, const db_zone *nz);

#endif
