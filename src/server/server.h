/* server.h: the running server: listeners, workers, and the published
 * version (configuration + zones).
 *
 * Publishing: a new version is built completely, swapped in with one atomic
 * exchange, and the old one is freed once every worker has passed a
 * quiescent point (QSBR): a worker announces the epoch it saw each time it
 * wakes, and 0 while it sleeps in epoll_wait, holding no pointer. */
#ifndef TERN_SERVER_SERVER_H
#define TERN_SERVER_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "server/config.h"
#include "server/query.h"
#include "server/stats.h"

typedef struct worker worker;

/* Listen addresses live in slots: a slot keeps its address for as long as
 * the address is configured, so a query parked upstream is answered from
 * the socket it came in on (its slot), whatever reloads happen meanwhile. */
#define SERVER_LISTEN_MAX 64

typedef struct server {
	_Atomic(version *) current;
	_Atomic uint64_t epoch;
	atomic_bool stop;
	cfg_listen addr[SERVER_LISTEN_MAX]; /* the address of each slot in use */
	bool used[SERVER_LISTEN_MAX];       /* the slot has sockets */
	bool ever[SERVER_LISTEN_MAX];       /* the slot was ever used (reused last) */
	int *udp_fds;   /* [worker * SERVER_LISTEN_MAX + slot], -1: none */
	int *tcp_fds;
	_Atomic uint64_t listen_gen; /* workers take udp_fds/tcp_fds when it changes */
	uint8_t transport[SERVER_LISTEN_MAX]; /* a slot's cfg_transport, set before listen_gen moves */
	worker *workers;
	unsigned nworkers;
	/* Held by whoever builds the next version from the current one (a
	 * reload, a zone change): one writer at a time. Never taken by
	 * workers. */
	pthread_mutex_t change_lock;
	atomic_uint xfr_active; /* zone transfers out running now (xfr/xfr.h) */
	/* Counters the server keeps itself (stats.h), and the slots of the
	 * per-zone and per-upstream counters (given by server_publish). */
	stats_names names;
	_Atomic uint64_t reloads_ok, reloads_failed, zone_changes;
	uint64_t started_ms; /* CLOCK_MONOTONIC, set by server_start */
	resolver *res;       /* the first version's (for the life of the server), or NULL */
	_Atomic size_t nzones; /* in the version published last */
	struct qlog *qlog;   /* the query log (src/ctl/qlog.h), or NULL; set before server_start */
	struct dnstap *dnstap; /* dnstap output (src/ctl/dnstap.h), or NULL; the same */
	/* Zones added (file set) or removed (file NULL) with ternctl since
	 * start, in order: a full reload applies them again over the
	 * configuration (zones_runtime_apply). Under change_lock. */
	struct runtime_zone *rt_zones;
	size_t nrt_zones;
	/* Called, under change_lock, after zones_resign published a zone it
	 * signed again (on its timer, or after zone-ksk-submitted) in the
	 * version now current (main.c: NOTIFY to the zone's secondaries, and
	 * when to_file the zone file to the writer: after a whole signing or
	 * the last step of a refresh, not after every step, whose file a
	 * restart would sign again anyway). NULL: nothing. Set before the
	 * control thread starts. */
	void (*resigned)(void *user, const struct version *v, const struct db_zone *z, bool to_file);
	void *resigned_user;
	/* When zones_resign next asks the parent of each zone whose KSK waits
	 * for its DS (dnssec-parent): a signature refresh wakes it every
	 * second, the parent is asked every dnssec-parent-check-interval.
	 * Under change_lock (zones.c). */
	struct parent_check *parent_checks;
	size_t nparent_checks;
} server;

/* Opens every listener once per worker (SO_REUSEPORT, refusing addresses
 * another process holds: listener.h). Logs and returns -1 if an address
 * cannot be bound. */
int server_bind(server *s, const config *cfg, unsigned nworkers);
int server_start(server *s, version *v);
/* Makes the listen addresses those of cfg, on reload: new addresses are
 * bound first (all of them, or none and -1 after logging why: the old ones
 * keep serving), then every worker takes the new sockets, then the
 * sockets of addresses no longer configured are closed. Connections
 * already accepted stay open. Called by the main thread only. */
int server_relisten(server *s, const config *cfg);
/* Logs the counters (every worker's summed, the cache's, the zones'):
 * for SIGUSR1. Any thread. */
void server_log_stats(server *s, double uptime_s);
/* Sums every worker's counters and the server's own into out (which the
 * caller allocates: it is large and 64-byte aligned). Any thread. */
void server_stats(server *s, stats_snap *out);
/* Seconds since server_start. */
double server_uptime(const server *s);
/* Publishes v and frees the previous version when no worker can see it. */
void server_publish(server *s, version *v);
/* After a big change (zones loaded or signed whole, a reload): the heap's
 * free memory goes back to the system (glibc keeps what the loader and
 * the signer freed: 13 % of a signed zone's RSS). Not after small changes:
 * it walks the heap. */
void server_trim_memory(void);
/* At start: blocks of 256 KiB and more come from mmap and go back to the
 * system when freed. glibc would otherwise raise that threshold (to 32
 * MiB) after the loader's and the signer's big buffers are freed, so the
 * zone's hash table and the signing threads' texts landed in heaps that
 * keep their pages: 16-19 MiB of a signed 1M-name zone's RSS. */
void server_malloc_setup(void);
void server_stop(server *s);

typedef struct runtime_zone {
	uint8_t origin[TERN_NAME_MAX];
	char *file; /* added from this file; NULL: removed */
} runtime_zone;
/* Records a ternctl zone-add (file) or zone-remove (NULL), replacing an
 * earlier record for the origin. Takes change_lock. -1: out of memory. */
int server_note_runtime_zone(server *s, const uint8_t *origin, const char *file);

/* A version that shares everything of cur (configuration, local records,
 * forwarding, rate limiting, cookies) except the zone set, which is left
 * NULL for the caller to fill. NULL when out of memory. */
version *version_derive(const version *cur);
/* The upstream sets of a version, shared with the upstream questions
 * started under it (a question keeps its set across reloads): a reference
 * count, atomic because the last holder may be any worker. */
upstreams *upstreams_new(unsigned nsets);
void upstreams_hold(upstreams *u);
void upstreams_release(upstreams *u);
/* Drops a reference on g (NULL is fine); the last one releases the groups'
 * upstreams. */
void group_fwd_release(group_fwd *g);

void version_free(version *v);

/* Publishes a version in which z replaces the zone of the same origin (or
 * is added). Takes the caller's reference to z. Serialized with reloads
 * and other zone changes by change_lock; returns -1 (z released) when out
 * of memory. Any thread but a worker. */
int server_replace_zone(server *s, db_zone *z);
/* The same for a caller that holds change_lock (and so may read
 * s->current and the zones in it until it lets go). */
int server_replace_zone_locked(server *s, db_zone *z);
/* The same for n zones at once (distinct origins), in one new version:
 * what adding many zones costs once instead of n times. Takes the
 * references; -1 (all released) when out of memory. */
int server_replace_zones(server *s, db_zone **zs, size_t n);
/* Publishes a version without the zone of this origin. Returns 0, 1 when
 * no such zone is served, -1 when out of memory. Serialized by
 * change_lock like server_replace_zone. Any thread but a worker. */
int server_remove_zone(server *s, const uint8_t *origin);

#endif
