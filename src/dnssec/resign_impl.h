/* resign_impl.h: what resign.c and resign_reload.c share. Internal to
 * src/dnssec. */
#ifndef TERN_DNSSEC_RESIGN_IMPL_H
#define TERN_DNSSEC_RESIGN_IMPL_H

#include <stdbool.h>

#include "dnssec/keyimpl.h"
#include "dnssec/resign.h"

/* The served DNSKEY RRset of z is the keys of ks that are published, and
 * some of them sign: z was signed with this key set. */
bool dnssec_keys_serve(const db_zone *z, const dnssec_keyset *ks);
/* z's chain is of p's kind (NSEC or NSEC3), and not empty. */
bool dnssec_chain_is(const db_zone *z, const dnssec_policy *p);

/* The timed refresh's choice (refresh.c): an RRset of the old version
 * whose signatures are made again. */
typedef struct dnssec_pick {
	const db_node *node; /* in old */
	uint16_t covered;
} dnssec_pick;

/* dnssec_resign (resign.h), and the signatures of picks[0..npicks) made
 * again beside the edits' own; the signatures made at when (a time()
 * value; 0: now). */
db_zone *dnssec_resign_picks(const db_zone *old, const db_edit *edits, size_t n, const dnssec_keyset *ks,
                             const dnssec_policy *p, uint32_t serial, unsigned flags, const char *what,
                             db_diag *diag, db_apply_stats *ast, dnssec_resign_stats *rs, const dnssec_pick *picks,
                             size_t npicks, int64_t when);

#endif
