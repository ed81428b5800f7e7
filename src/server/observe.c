/* observe.c: what a worker records of its queries besides answering them:
 * its counters (stats.h), the query log (src/ctl/qlog.h) and dnstap
 * (src/ctl/dnstap.h). Called by the worker's own thread only; nothing here
 * waits or takes a lock. */
#include <time.h>

#include "ctl/dnstap.h"
#include "ctl/qlog.h"
#include "server/observe.h"
#include "tern/wire.h"

uint64_t obs_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- counters (stats.h): this worker's own, no lock ---- */

/* One query read from a client over transport t, once query_respond has
 * looked at it. */
void obs_query(worker *w, unsigned t, const qctx *ctx)
{
	WORKER_COUNT(w, queries[t][stats_qtype_index(ctx->qtype)], 1);
	WORKER_COUNT(w, opcodes[ctx->opcode & 15], 1);
}

/* One response made (before rate limiting), from ctx. */
void obs_response(worker *w, const qctx *ctx)
{
	WORKER_COUNT(w, responses, 1);
	WORKER_COUNT(w, rcodes[ctx->rcode < STATS_RCODES - 1 ? ctx->rcode : STATS_RCODES - 1], 1);
	WORKER_COUNT(w, sources[ctx->source < STATS_SOURCES ? ctx->source : 0], 1);
	if (ctx->zone) {
		unsigned z = ctx->zone->stats_slot < STATS_ZONES ? ctx->zone->stats_slot : 0;
		WORKER_COUNT(w, zone_queries[z], 1);
		WORKER_COUNT(w, zone_rcodes[z][stats_zone_rcode_index(ctx->rcode)], 1);
	}
}

/* An error response made without a full query_respond (SERVFAIL). */
void obs_error(worker *w, unsigned rcode)
{
	qctx ctx = {.rcode = (uint16_t)rcode};
	obs_response(w, &ctx);
}

void obs_rrl(worker *w, size_t sent, size_t full)
{
	if (!sent)
		WORKER_COUNT(w, rrl_dropped, 1);
	else if (sent != full)
		WORKER_COUNT(w, rrl_slipped, 1);
}

/* The query log's clock (qlog.h): wall time, in microseconds. */
uint64_t obs_real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* With the query log or dnstap on: what they record of a response made
 * (never waits: a full ring drops it). t0: when the query arrived
 * (real_us). */
void obs_log(worker *w, const qctx *ctx, unsigned transport, const uint8_t *pkt, size_t pktlen,
                      const uint8_t *resp, size_t rlen, const struct sockaddr *client, uint64_t t0)
{
	if (w->srv->dnstap) { /* dnstap.h: the client's query and our response */
		uint64_t t1 = obs_real_us();
		static const enum dnstap_proto proto[STATS_TRANSPORTS] = {
			[STATS_UDP] = DNSTAP_UDP, [STATS_TCP] = DNSTAP_TCP, [STATS_DOT] = DNSTAP_DOT, [STATS_DOH] = DNSTAP_DOH};
		dnstap_msg q = {.type = DNSTAP_CLIENT_QUERY,
		                .proto = transport < STATS_TRANSPORTS ? proto[transport] : DNSTAP_TCP,
		                .peer = client,
		                .query_us = t0, .msg = pkt, .len = pktlen};
		dnstap_log(w->srv->dnstap, w->id, &q);
		dnstap_msg r = q;
		r.type = DNSTAP_CLIENT_RESPONSE;
		r.response_us = t1;
		r.msg = resp;
		r.len = rlen;
		dnstap_log(w->srv->dnstap, w->id, &r);
	}
	qlog_entry *e = w->srv->qlog ? qlog_slot(w->srv->qlog, w->id) : NULL;
	if (!e)
		return;
	qlog_fill(e, resp, rlen, client);
	uint64_t t1 = obs_real_us();
	e->t_us = t0;
	e->dur_us = t1 > t0 ? (uint32_t)(t1 - t0 < UINT32_MAX ? t1 - t0 : UINT32_MAX) : 0;
	e->flags = pktlen >= 4 ? tern_get_u16(pkt + 2) : 0;
	e->rcode = (uint8_t)(ctx->rcode < 255 ? ctx->rcode : 255);
	e->source = ctx->source;
	e->transport = (uint8_t)transport;
	qlog_commit(w->srv->qlog, w->id);
}

/* dnstap: a question to an upstream, or its answer (dnstap.h). */
void obs_tap_upstream(worker *w, const upq *u, const upstream *us, bool response, const uint8_t *msg,
                         size_t len)
{
	uint64_t wall = obs_real_us(), mono = obs_mono_us();
	uint64_t asked = wall - (mono > u->sent_us ? mono - u->sent_us : 0); /* sent_us is monotonic */
	dnstap_msg m = {.type = response ? DNSTAP_FORWARDER_RESPONSE : DNSTAP_FORWARDER_QUERY,
	                .proto = u->state == UPQ_UDP ? DNSTAP_UDP
	                         : us->tls.on ? (us->tls.https ? DNSTAP_DOH : DNSTAP_DOT)
	                                      : DNSTAP_TCP,
	                .peer = (const struct sockaddr *)&us->addr,
	                .query_us = asked, .response_us = response ? wall : 0, .msg = msg, .len = len};
	dnstap_log(w->srv->dnstap, w->id, &m);
}

unsigned obs_up_slot(const upstream *us)
{
	return us->stats_slot < STATS_UPSTREAMS ? us->stats_slot : 0;
}

