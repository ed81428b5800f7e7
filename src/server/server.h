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

typedef struct worker worker;

typedef struct server {
	_Atomic(version *) current;
	_Atomic uint64_t epoch;
	atomic_bool stop;
	size_t nlisten;
	int *udp_fds;   /* [worker * nlisten + i] */
	int *tcp_fds;
	worker *workers;
	unsigned nworkers;
	/* Held by whoever builds the next version from the current one (a
	 * reload, a zone change): one writer at a time. Never taken by
	 * workers. */
	pthread_mutex_t change_lock;
	atomic_uint xfr_active; /* zone transfers out running now (xfr/xfr.h) */
} server;

/* Opens every listener once per worker (SO_REUSEPORT). Logs and returns -1
 * if an address cannot be bound. */
int server_bind(server *s, const config *cfg, unsigned nworkers);
int server_start(server *s, version *v);
/* Publishes v and frees the previous version when no worker can see it. */
void server_publish(server *s, version *v);
void server_stop(server *s);

/* A version that shares everything of cur (configuration, local records,
 * forwarding, rate limiting, cookies) except the zone set, which is left
 * NULL for the caller to fill. NULL when out of memory. */
version *version_derive(const version *cur);
void version_free(version *v);

/* Publishes a version in which z replaces the zone of the same origin (or
 * is added). Takes the caller's reference to z. Serialized with reloads
 * and other zone changes by change_lock; returns -1 (z released) when out
 * of memory. Any thread but a worker. */
int server_replace_zone(server *s, db_zone *z);

#endif
