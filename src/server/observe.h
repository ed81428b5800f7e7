/* observe.h: what a worker records of its queries besides answering them
 * (observe.c): counters, the query log, dnstap. Worker threads only. */
#ifndef TERN_SERVER_OBSERVE_H
#define TERN_SERVER_OBSERVE_H

#include "server/worker.h"

uint64_t obs_mono_us(void); /* CLOCK_MONOTONIC */
uint64_t obs_real_us(void); /* wall time: the query log's and dnstap's clock */

/* One query read from a client over transport t (enum stats_transport),
 * once query_respond has looked at it. */
void obs_query(worker *w, unsigned t, const qctx *ctx);
/* One response made (before rate limiting), from ctx. */
void obs_response(worker *w, const qctx *ctx);
/* An error response made without a full query_respond (SERVFAIL). */
void obs_error(worker *w, unsigned rcode);
/* A response rate limiting dropped (sent 0) or slipped (sent < full). */
void obs_rrl(worker *w, size_t sent, size_t full);
/* The counter slot of an upstream. */
unsigned obs_up_slot(const upstream *us);

/* With the query log or dnstap on: what they record of a response made.
 * t0: when the query arrived (obs_real_us). */
void obs_log(worker *w, const qctx *ctx, unsigned transport, const uint8_t *pkt, size_t pktlen,
             const uint8_t *resp, size_t rlen, const struct sockaddr *client, uint64_t t0);
/* dnstap: a question to an upstream, or its answer. */
void obs_tap_upstream(worker *w, const upq *u, const upstream *us, bool response, const uint8_t *msg,
                      size_t len);

#endif
