/* tlsup.h: a worker's connections to its DNS-over-TLS upstreams (RFC 7858,
 * RFC 8310 strict profile: the name or the pin must match, and there is
 * never a fallback to clear text).
 *
 * One connection per upstream (address, name, pin) per worker, opened on
 * first use and kept: each question is written on it as it comes, with its
 * own random ID (pipelining); answers are matched to questions by ID in
 * whatever order they arrive (RFC 7858 3.3). A connection idle for
 * tcp-idle-timeout with nothing outstanding is closed. A connection that
 * fails (refused, handshake or verification failure, closed by the peer
 * with questions outstanding) fails every question waiting on it: each
 * goes on to its next upstream, as attempt.c says (the connection is opened
 * again by the next question that needs it). All functions run on the
 * worker that owns the connections. */
#ifndef TERN_SERVER_TLSUP_H
#define TERN_SERVER_TLSUP_H

#include <stdint.h>

#include "server/query.h"

typedef struct worker worker;
typedef struct upq upq;

#define TLSUP_MAX 32     /* TLS upstream connections per worker */
#define TLSUP_EV_KIND 6  /* its epoll events in the worker (worker.c) */

/* Sends u's question (u->q, u->qlen; the ID is chosen here) to upstream
 * us over its connection, opening it if need be. Returns 0 (written or
 * queued behind the handshake), 1 when that upstream cannot be reached now
 * (try the next), -1 when out of resources. */
int tlsup_send(worker *w, const version *v, upq *u, const upstream *us, uint64_t now);
/* Readiness of connection idx. */
void tlsup_event(worker *w, const version *v, unsigned idx, uint32_t events, uint64_t now);
/* Closes connections idle for idle_ms with nothing outstanding. */
void tlsup_sweep(worker *w, uint64_t now, uint64_t idle_ms);
/* Frees every connection (worker shutdown). */
void tlsup_cleanup(worker *w);

#endif
