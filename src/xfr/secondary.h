/* secondary.h: the secondary zones' maintenance thread (RFC 1034 4.3.5,
 * RFC 1996, RFC 1995, RFC 5936).
 *
 * One thread, one loop for every secondary zone: it follows each zone's
 * SOA refresh, retry and expire timers; asks the primaries for their SOA
 * serial and, when newer (RFC 1982), transfers the zone (IXFR from the
 * serial it has, AXFR when it has none or the primary cannot do IXFR);
 * publishes the new version with server_replace_zone; writes it to the
 * zone's file (atomically) and its timers to "<file>.state", so a restart
 * serves the zone at once and keeps its expiry. A zone not refreshed for
 * `expire` seconds is replaced by a version without data (SERVFAIL).
 * Transfers run one at a time, each with its own deadlines (5 s per wait
 * for the primary, 30 min in all).
 *
 * Workers hand a NOTIFY over with secondary_notify (a mutex-protected
 * queue and an eventfd); the thread never touches a worker's state. The
 * thread reads the configuration of the published version under the
 * server's change_lock (at start and after secondary_reconfigure). */
#ifndef TERN_XFR_SECONDARY_H
#define TERN_XFR_SECONDARY_H

#include <stdbool.h>
#include <stdint.h>

struct server;
struct version;
struct notifier;
typedef struct secondary secondary;

/* Made before the workers start (so versions can point at it); NULL when
 * out of memory. */
secondary *secondary_new(struct server *s);
/* Starts the thread once s has a published version. Returns 0 or -1. */
int secondary_start(secondary *sec);
/* After a reload published a new configuration: zones may have become or
 * ceased to be secondaries. Control thread. */
void secondary_reconfigure(secondary *sec);
/* Stops the thread and frees sec. NULL is fine. An exchange in progress
 * is abandoned within 100 ms (nothing is published from it). */
void secondary_stop(secondary *sec);

/* Where NOTIFYs go after a transfer changed a zone that has notify:
 * targets (xfr/notify.h; NULL: none). Any time after secondary_new. */
void secondary_set_notifier(secondary *sec, struct notifier *n);

/* A worker received an accepted NOTIFY for origin: check its primaries
 * now. Takes a mutex for a moment; never blocks on I/O. */
void secondary_notify(secondary *sec, const uint8_t *origin);
/* ternctl zone-retransfer: the zone is transferred whole (AXFR) again at
 * once, whatever the serials say. -1 when origin is no secondary zone. */
int secondary_retransfer(secondary *sec, const uint8_t *origin);
/* Is origin a secondary zone here (configured, or a catalog member)? */
bool secondary_has(secondary *sec, const uint8_t *origin);

/* Seconds until the secondary zone origin expires (RFC 7314 3.2), or -1
 * when it is not a secondary zone or has no data. Any thread. */
int64_t secondary_expire_left(secondary *sec, const uint8_t *origin);

/* Whether origin is a catalog member zone (RFC 9432) the thread has
 * registered, and then its catalog's name in catalog. A member is added
 * and removed by the thread itself whenever a consumer catalog
 * (catalog-role: consumer) gets a new version or the configuration
 * changes; it is transferred from its catalog's primaries. Any thread. */
bool secondary_member_catalog(secondary *sec, const uint8_t *origin, uint8_t *catalog);

#endif
