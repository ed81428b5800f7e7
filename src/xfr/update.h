/* update.h: dynamic update (RFC 2136) against one zone version: the zone
 * section read, the prerequisites checked, the update section checked and
 * turned into edits for zone_apply, the SOA serial increased. No sockets,
 * no threads, no clock: the zone manager calls it with the version serving
 * now and publishes what zone_apply makes of the edits. */
#ifndef TERN_XFR_UPDATE_H
#define TERN_XFR_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/apply.h"
#include "db/arena.h"
#include "tern/name.h"

/* The zone an UPDATE is for (RFC 2136 3.1.1): exactly one zone section
 * entry of type SOA. Returns 0 with zone filled, or the rcode to answer
 * (FORMERR). */
unsigned update_zone(const uint8_t *pkt, size_t len, uint8_t zone[TERN_NAME_MAX]);

typedef struct update_plan {
	unsigned rcode;  /* NOERROR to go on, else what to answer */
	bool changed;    /* something would change: apply edits */
	db_edit *edits;  /* the update section in order, then the serial */
	size_t nedits;
	arena mem;       /* owners and RDATA the edits point to */
	char why[256];   /* why rcode is not NOERROR, for the log */
} update_plan;

/* Checks the prerequisites (RFC 2136 3.2) against z and prescans the
 * update section (3.4.1), then plans the update (3.4.2): the apex keeps
 * its SOA and its last NS record; a SOA in the update replaces the zone's
 * only with a greater serial (RFC 1982); when something changes and the
 * update did not raise the serial itself, the serial goes up by one (3.6).
 * Edits that change nothing (adding what is there, deleting what is not)
 * are kept but do not count as a change. Always fills p; free it with
 * update_plan_free. */
void update_plan_make(const db_zone *z, const uint8_t *pkt, size_t len, update_plan *p);
void update_plan_free(update_plan *p);

#endif
