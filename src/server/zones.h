/* zones.h: the zone manager's loading half (docs/architecture.md, "Zones
 * that change at run time"). Builds the zone set of a new server version
 * from the configuration and the set that serves now: a zone that loads is
 * replaced, one that fails keeps its previous version (or, when it never
 * loaded, a version without data that is answered SERVFAIL).
 *
 * Catalog zones (RFC 9432, src/xfr/catalog*.h): a producer's catalog is
 * made here from the zones that name it (catalog:), after every load; a
 * consumer's member zones are not in the configuration: at start-up they
 * are read from the files the catalog's disk copy lists, on reload the
 * ones the secondary thread has registered are kept as they are. */
#ifndef TERN_SERVER_ZONES_H
#define TERN_SERVER_ZONES_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "db/zone.h"
#include "server/config.h"

struct secondary;

/* What zones_load may consult besides the configuration (NULL: nothing). */
typedef struct zones_env {
	struct secondary *sec; /* the catalog members registered now (reload) */
	bool check;            /* --check: write no file */
} zones_env;

/* Loads every zone of cfg; problems go to diag as file:line (diag->user is
 * set to the cfg_zone being loaded, for a diag that names its config line). old (may be
 * NULL) is the set serving now; its zones are shared (a reference taken),
 * never changed. *failed receives the number of zones that did not load.
 * Returns the new set, or NULL when out of memory. Control thread only
 * (or any thread holding the server's change_lock). */
db_set *zones_load(const config *cfg, const db_set *old, const zones_env *env, db_diag *diag, unsigned *failed);

struct runtime_zone;
/* A reload keeps what ternctl zone-add and zone-remove did: returns a set
 * made from set (which it frees) with each removed origin dropped and each
 * added zone put in (not when the configuration now has it): its version
 * in cur when there is one, else loaded from its file (skipped, with the
 * errors logged, when that fails). NULL when out of memory (set is then
 * freed too). Control thread, under change_lock. */
db_set *zones_runtime_apply(db_set *set, const struct runtime_zone *rt, size_t n, const db_set *cur,
                            const config *cfg, db_diag *diag);
struct server;
/* Signs again each zone ternd signs (dnssec-signing: on) whose signatures
 * are a quarter of their validity old or whose keys have a rollover step
 * due (dnssec/sign.h, dnssec/roll.h), and the zone named force (NULL:
 * none) in any case, and publishes them. Returns when the next zone is
 * due (a time() value), 0 when ternd signs none. Takes change_lock: the
 * main thread on its timer, the control thread after zone-ksk-submitted. */
time_t zones_resign(struct server *s, const uint8_t *force);
/* What another thread sends the process (kill(getpid(), ...)) after it
 * moved a zone's keys on, so that the main thread asks zones_resign
 * again when its next wake-up is. Not a signal a user sends by habit. */
#define ZONES_RESIGN_SIGNAL (SIGRTMIN + 1)

#endif
