/* apply_dnssec.h: the denial indexes (db/dnssec.h) of a version that
 * zone_apply's fast path made from a signed one. Internal to src/db. */
#ifndef TERN_DB_APPLY_DNSSEC_H
#define TERN_DB_APPLY_DNSSEC_H

#include <stddef.h>

#include "db/zone.h"

/* z (made from old, which has a db_dnssec) gets its own db_dnssec in its
 * arena: old's arrays without the nodes of `sup` (old nodes that were
 * copied or taken out) and with the nodes of `made` (the copies and the
 * new nodes that are in z) that belong there. Returns 0, or -1 when out
 * of memory. */
int apply_dnssec_patch(db_zone *z, const db_zone *old, const db_node *const *sup, size_t nsup,
                       const db_node *const *made, size_t nmade);

#endif
