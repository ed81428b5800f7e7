/* local.h: local records, answered before zones and the cache. */
#ifndef TERN_SERVER_LOCAL_H
#define TERN_SERVER_LOCAL_H

#include "db/zone.h"
#include "policy/names.h"
#include "server/config.h"
#include "tern/msg.h"

/* Builds the local records of c into *out (NULL when there are none).
 * Returns 0, or -1 after logging every error as file:line. */
int local_build(const config *c, db_zone **out);

enum local_verdict {
	LOCAL_PASS,  /* nothing here: go on (zones, policy, upstream) */
	LOCAL_DONE,  /* answered: *rcode and m */
	LOCAL_CHAIN, /* a CNAME written: go on with *name */
	LOCAL_DROP,  /* a "deny" local zone: no answer at all */
};

/* Answers lookup (owner: the name to write, the query's spelling at the
 * start of a chain) from the local data under the local zones' rules
 * (Unbound's): the most specific local zone containing the name decides;
 * without one a name is transparent (answered when it has data, NODATA
 * for a type it lacks, otherwise passed on). Wildcard local data
 * ("*.ads.example. A 0.0.0.0") answers names that do not exist below its
 * parent (RFC 4592). local and lzones may be NULL. */
enum local_verdict local_answer(const db_zone *local, const pol_names *lzones, const uint8_t *lookup,
                                const uint8_t *owner, uint16_t qtype, tern_msgw *m, unsigned *rcode, uint8_t *name);

#endif
