/* updater.h: dynamic update (RFC 2136) in the server: the thread that
 * applies UPDATE requests one at a time, as the zone manager's one writer
 * (docs/architecture.md, "Zones that change at run time").
 *
 * A worker that receives an UPDATE hands it over (updater_submit) with
 * where the answer goes, and goes on with other clients; the updater thread
 * checks it (TSIG, allow-update, the zone section, the prerequisites),
 * plans it (xfr/update.h), makes the new zone version with zone_apply,
 * writes the zone file (atomically) and the journal, publishes the version
 * (server_replace_zone_locked), queues NOTIFY to the zone's secondaries,
 * and posts the answer back to the worker (worker_post). */
#ifndef TERN_XFR_UPDATER_H
#define TERN_XFR_UPDATER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/worker.h"

typedef struct updater updater;
struct notifier;

/* Starts the thread. NULL when it cannot. */
updater *updater_start(server *s, struct notifier *nfy);
/* Stops the thread; requests still queued are dropped (their clients
 * retry). NULL is fine. */
void updater_stop(updater *u);

/* Queues a copy of the request pkt (len bytes), to be answered at to.
 * Returns false when the queue is full or u is NULL (the caller answers
 * SERVFAIL). Any worker. */
bool updater_submit(updater *u, const uint8_t *pkt, size_t len, const worker_reply_to *to);

/* Applies one request now against the current version, holding
 * change_lock, and writes the answer into out (cap bytes, at least 512).
 * Returns its length (0: no answer). What the thread does per request;
 * also for tests. */
size_t updater_apply(updater *u, const uint8_t *pkt, size_t len, const struct sockaddr *client, uint8_t *out,
                     size_t cap);

/* Before a reload reads zone files: waits until the zone files of signed
 * zones left to the writer are written. u may be NULL. */
void updater_files_settle(updater *u);
/* After a start or a reload (change_lock held): the zones ternd signs that
 * take UPDATEs get their files written, as served, by the writer thread
 * unless they hold that serial already, so that the first UPDATE finds
 * its file known (xfr/zonesync.h). u may be NULL. */
void updater_files_prime(updater *u);

#endif
