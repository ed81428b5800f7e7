/* zones.h: the zone manager's loading half (docs/architecture.md, "Zones
 * that change at run time"). Builds the zone set of a new server version
 * from the configuration and the set that serves now: a zone that loads is
 * replaced, one that fails keeps its previous version (or, when it never
 * loaded, a version without data that is answered SERVFAIL). */
#ifndef TERN_SERVER_ZONES_H
#define TERN_SERVER_ZONES_H

#include <time.h>

#include "db/zone.h"
#include "server/config.h"

/* Loads every zone of cfg; problems go to diag as file:line. old (may be
 * NULL) is the set serving now; its zones are shared (a reference taken),
 * never changed. *failed receives the number of zones that did not load.
 * Returns the new set, or NULL when out of memory. Control thread only. */
db_set *zones_load(const config *cfg, const db_set *old, db_diag *diag, unsigned *failed);

struct server;
/* Signs again each zone ternd signs (dnssec-signing: on) whose signatures
 * are a quarter of their validity old (sign.h), and publishes it. Returns
 * when the next zone is due (a time() value), 0 when ternd signs none.
 * Control thread only (it is the only one that publishes zones). */
time_t zones_resign(struct server *s);

#endif
