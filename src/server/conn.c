/* conn.c: a worker's TCP connections (plain, and the connection table
 * DoT and DoH share: tlsconn.c). 2-byte length framing (RFC 1035 4.2.2,
 * RFC 7766); queries on a connection are answered in order as they arrive;
 * while a response is waiting to be written the connection is not read
 * (backpressure); a connection without a complete query for tcp_idle_ms is
 * closed, which also ends slow clients that dribble bytes. When the
 * connection bound is reached, the connection idle the longest is closed
 * for the new one, and one client may not hold more than its share. A
 * zone transfer is pumped as the connection drains. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server/log.h"
#include "server/observe.h"
#include "server/tlsconn.h"
#include "server/tlsup.h"
#include "server/worker.h"
#include "xfr/updater.h"
#include "tern/wire.h"
#include "xfr/xfr.h"

void worker_conn_close(worker *w, unsigned i)
{
	tcp_conn *c = &w->conns[i];
	if (c->fd < 0)
		return;
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->tls)
		tlsconn_free(c);
	close(c->fd);
	xfr_end(c->xfr);
	free(c->rbuf);
	free(c->wbuf);
	uint32_t gen = c->gen;
	memset(c, 0, sizeof *c);
	WORKER_COUNT(w, tcp_closed, 1);
	c->fd = -1;
	c->gen = gen;
	w->nconns--;
}

void worker_conn_events(worker *w, unsigned i, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = EV_CONN_OF(w, i)};
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->conns[i].fd, &ev);
}

/* Sends data, keeping what the socket does not take. Returns -1 if the
 * connection failed (it is then closed). */
int worker_conn_send(worker *w, unsigned i, const uint8_t *data, size_t n)
{
	tcp_conn *c = &w->conns[i];
	if (c->tls)
		return tlsconn_send(w, i, data, n);
	if (c->wlen == c->woff) {
		ssize_t r = send(c->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			worker_conn_close(w, i);
			return -1;
		}
		if (r < 0)
			r = 0;
		data += r;
		n -= (size_t)r;
		c->wlen = c->woff = 0;
		if (!n)
			return 0;
		worker_conn_events(w, i, EPOLLOUT);
	}
	if (c->wlen + n > c->wcap) {
		size_t ncap = c->wlen + n;
		uint8_t *nb = realloc(c->wbuf, ncap);
		if (!nb) {
			worker_conn_close(w, i);
			return -1;
		}
		c->wbuf = nb;
		c->wcap = ncap;
	}
	memcpy(c->wbuf + c->wlen, data, n);
	c->wlen += n;
	return 0;
}

/* A zone transfer out: the next messages, written only while the
 * connection's output queue is empty (a transfer never buffers the zone),
 * over TCP or TLS (RFC 9103; tlsconn_event pumps a TLS connection's),
 * at most a few per event so that the worker's other clients are served in
 * between; then EPOLLOUT brings the worker back (level-triggered: at once
 * if the socket can take more). */
void worker_xfr_pump(worker *w, unsigned i, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	for (int k = 0; k < 4 && c->fd >= 0 && c->xfr && c->wlen == c->woff; k++) {
		bool done;
		size_t n = xfr_next(c->xfr, w->tcp_out + 2, sizeof w->tcp_out - 2, &done);
		c->last_ms = now; /* a reader that stops is closed by the idle sweep */
		if (done || !n) {
			xfr_end(c->xfr);
			c->xfr = NULL;
		}
		if (!n) {
			worker_conn_close(w, i);
			return;
		}
		tern_put_u16(w->tcp_out, (uint16_t)n);
		if (worker_conn_send(w, i, w->tcp_out, n + 2))
			return;
	}
	if (c->fd >= 0 && c->xfr && !c->tls) /* TLS: tlsconn_event keeps its own interest set */
		worker_conn_events(w, i, EPOLLOUT);
}

void worker_conn_read(worker *w, const version *v, unsigned i, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	version gv; /* a client group's upstreams (query.h) */
	const pol_view *view;
	v = version_for_client(v, (const struct sockaddr *)&c->peer, &gv, &view);
	bool allowed = v->res && config_allowed(&v->cfg, (const struct sockaddr *)&c->peer);
	for (int budget = 0; budget < 64 && c->fd >= 0 && c->wlen == c->woff && !c->xfr; budget++) {
		size_t need = c->rlen < 2 ? 2 : 2 + (size_t)tern_get_u16(c->rbuf);
		if (c->rcap < need) {
			uint8_t *nb = realloc(c->rbuf, need);
			if (!nb) {
				worker_conn_close(w, i);
				return;
			}
			c->rbuf = nb;
			c->rcap = need;
		}
		ssize_t r = recv(c->fd, c->rbuf + c->rlen, need - c->rlen, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			worker_conn_close(w, i);
			return;
		}
		if (r < 0)
			return;
		c->rlen += (size_t)r;
		if (c->rlen < 2)
			continue;
		size_t flen = tern_get_u16(c->rbuf);
		if (flen < 12) { /* a zero or short frame cannot be a query */
			worker_conn_close(w, i);
			return;
		}
		if (c->rlen < 2 + flen)
			continue;
		c->rlen = 0;
		worker_conn_query(w, v, i, c->rbuf + 2, flen, allowed, view, STATS_TCP, now);
		if (c->fd < 0)
			return;
	}
}

void worker_conn_query(worker *w, const version *v, unsigned i, const uint8_t *pkt, size_t len, bool allowed,
                       const pol_view *view, unsigned transport, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	qctx ctx = {.tcp = true, .allowed = allowed, .now_ms = now, .client = (const struct sockaddr *)&c->peer,
	            .view = view};
	uint64_t t0 = w->srv->qlog || w->srv->dnstap ? obs_real_us() : 0;
	ctx.start_us = t0;
	size_t olen = query_respond(v, pkt, len, w->tcp_out + 2, sizeof w->tcp_out - 2, &ctx);
	const char *no_xot = ctx.xfr && c->tls ? tlsconn_xfr_refusal(c) : NULL;
	if (no_xot) /* RFC 9103: transfers over TLS only as XoT (DoT, ALPN "dot", TLS 1.3) */
		olen = query_error(pkt, len, TERN_R_REFUSED, TERN_EDE_NOT_SUPPORTED, no_xot, w->tcp_out + 2,
		                   sizeof w->tcp_out - 2, true);
	else if (ctx.xfr)
		olen = xfr_respond(v, pkt, len, (const struct sockaddr *)&c->peer, true, &w->srv->xfr_active, w->tcp_out + 2,
		                   sizeof w->tcp_out - 2, &c->xfr);
	if (ctx.update) {
		worker_reply_to to = {.worker = w->id, .tcp_slot = (int)i, .tcp_gen = c->gen,
		                      .addr = c->peer, .addrlen = sizeof c->peer}; /* the address for allow-update */
		if (!updater_submit(v->upd, pkt, len, &to))
			olen = query_error(pkt, len, TERN_R_SERVFAIL, TERN_EDE_OTHER, "updates not accepted now", w->tcp_out + 2,
			                   sizeof w->tcp_out - 2, true);
	}
	if (log_enabled(LOG_DEBUG))
		query_log(v, pkt, len, &ctx, w->tcp_out + 2, olen);
	obs_query(w, transport, &ctx);
	if (olen)
		obs_response(w, &ctx);
	if (olen && t0)
		obs_log(w, &ctx, transport, pkt, len, w->tcp_out + 2, olen, ctx.client, t0);
	else if (!ctx.forward)
		WORKER_COUNT(w, dropped, 1);
	c->last_ms = now;
	/* send before park/prefetch: they may answer other waiters
	 * through the same tcp_out buffer */
	if (olen) {
		tern_put_u16(w->tcp_out, (uint16_t)olen);
		if (worker_conn_send(w, i, w->tcp_out, olen + 2))
			return;
	}
	if (c->xfr) { /* the transfer goes on as the connection drains */
		worker_xfr_pump(w, i, now);
		return;
	}
	if (ctx.forward)
		worker_park(w, v, &ctx, pkt, len, 0, &c->peer, c->peerlen, (int)i, now);
	if (ctx.prefetch)
		worker_prefetch(w, v, &ctx, now);
	if (ctx.probe)
		worker_probe(w, v, &ctx, now);
}

void worker_conn_write(worker *w, const version *v, unsigned i, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	while (c->woff < c->wlen) {
		ssize_t r = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			worker_conn_close(w, i);
			return;
		}
		c->woff += (size_t)r;
	}
	c->woff = c->wlen = 0;
	if (c->xfr) {
		worker_xfr_pump(w, i, now);
		if (c->fd < 0 || c->xfr || c->wlen != c->woff)
			return;
	}
	worker_conn_events(w, i, EPOLLIN);
	worker_conn_read(w, v, i, now);
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

/* The connection idle the longest, among all (peer NULL) or one client's. */
static int oldest_conn(const worker *w, const struct sockaddr_storage *peer)
{
	int oldest = -1;
	for (unsigned i = 0; i < w->maxconns; i++) {
		const tcp_conn *c = &w->conns[i];
		if (c->fd < 0 || (peer && !same_host(&c->peer, peer)))
			continue;
		if (oldest < 0 || c->last_ms < w->conns[oldest].last_ms)
			oldest = (int)i;
	}
	return oldest;
}

void worker_tcp_accept(worker *w, const version *v, int lfd, int transport, uint64_t now)
{
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof peer;
		int fd = accept4(lfd, (struct sockaddr *)&peer, &peerlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* One client may not hold more than its share: its own
		 * connection idle the longest makes room (slowloris from one
		 * address cannot starve the others). */
		unsigned mine = 0;
		for (unsigned i = 0; i < w->maxconns; i++)
			if (w->conns[i].fd >= 0 && same_host(&w->conns[i].peer, &peer))
				mine++;
		if (mine >= v->cfg.tcp_max_per_client) {
			int old = oldest_conn(w, &peer);
			if (old >= 0) {
				worker_conn_close(w, (unsigned)old);
				WORKER_COUNT(w, tcp_evicted, 1);
			}
		}
		if (w->nconns >= w->maxconns) {
			/* full: the connection idle the longest makes room */
			int old = oldest_conn(w, NULL);
			if (old >= 0) {
				worker_conn_close(w, (unsigned)old);
				WORKER_COUNT(w, tcp_evicted, 1);
			}
		}
		unsigned slot = 0;
		while (w->conns[slot].fd >= 0)
			slot++;
		tcp_conn *c = &w->conns[slot];
		c->fd = fd;
		c->last_ms = now;
		c->gen = ++w->next_gen;
		c->peer = peer;
		c->peerlen = peerlen;
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_CONN_OF(w, slot)};
		if ((transport && tlsconn_accept(w, v, slot, transport)) || epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			if (c->tls)
				tlsconn_free(c);
			close(fd);
			c->fd = -1;
			continue;
		}
		w->nconns++;
		WORKER_COUNT(w, tcp_accepted, 1);
	}
}

void worker_tcp_sweep(worker *w, const config *cfg, uint64_t now)
{
	for (unsigned i = 0; i < w->maxconns; i++)
		if (w->conns[i].fd >= 0 && now - w->conns[i].last_ms >= cfg->tcp_idle_ms) {
			worker_conn_close(w, i);
			WORKER_COUNT(w, tcp_closed_idle, 1);
		}
	tlsup_sweep(w, now, cfg->tcp_idle_ms);
}
