/* worker.c: one worker's event loop.
 *
 * UDP: a readable socket is drained in batches: recvmmsg up to UDP_BATCH
 * datagrams, answer each into the worker's own output slots, one sendmmsg.
 * TCP connections: conn.c.
 *
 * Forwarding: a query that needs upstream data is parked as a waiter on the
 * shared in-flight table (fwd_join). The worker that created the entry asks
 * the upstreams from a fresh UDP socket on a random port, connected to the
 * upstream (so the kernel drops datagrams from anyone else), with a random
 * ID; retries go to the next-fastest upstream, a truncated answer is asked
 * again over TCP, and when forward-timeout passes the waiters get SERVFAIL
 * (or stale data). The answer completes every waiter: UDP clients are
 * answered from this worker's socket for their listen address, TCP clients
 * of other workers through that worker's mailbox. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"
#include "server/observe.h"
#include "server/tlsconn.h"
#include "server/tlsup.h"
#include "server/worker.h"
#include "xfr/updater.h"
#include "tern/rr.h"
#include "tern/wire.h"
#include "xfr/xfr.h"

_Static_assert(EV_TLSUP == TLSUP_EV_KIND, "tlsup.h and worker.h agree on the TLS upstream events");


static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void worker_wake(worker *w)
{
	uint64_t one = 1;
	ssize_t r = write(w->wakefd, &one, sizeof one);
	(void)r;
}


/* RRL on UDP only: a client that proved its address (cookie) or uses TCP
 * is never limited. Returns the length to send: 0 to drop, or a slipped
 * answer (header and question only, TC=1: a real client retries over TCP;
 * nothing to amplify). */
static size_t rate_limit(const version *v, const qctx *ctx, const struct sockaddr *client, uint8_t *out, size_t len,
                         uint64_t now)
{
	if (!v->rrl || ctx->cookie_ok)
		return len;
	enum rrl_action act = rrl_check(v->rrl, client, ctx->rrl_kind, ctx->rrl_name, ctx->qtype, now);
	if (act == RRL_DROP)
		return 0;
	if (act == RRL_SLIP) {
		out[2] |= TERN_F_TC >> 8;
		memset(out + 6, 0, 6);
		return ctx->question_end <= len ? ctx->question_end : len;
	}
	return len;
}

/* The batch headers point at the worker's buffers once and for all; the
 * kernel writes only msg_len, msg_namelen and msg_flags, and udp_ready
 * restores msg_namelen of the entries a batch used. */
static void batch_init(worker *w)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		w->iov[i].iov_base = w->in[i];
		w->iov[i].iov_len = UDP_BUF;
		memset(&w->msgs[i].msg_hdr, 0, sizeof w->msgs[i].msg_hdr);
		w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
		w->msgs[i].msg_hdr.msg_iovlen = 1;
		w->msgs[i].msg_hdr.msg_name = &w->addrs[i];
		w->msgs[i].msg_hdr.msg_namelen = sizeof w->addrs[i];
		w->oiov[i].iov_base = w->out[i];
		memset(&w->omsgs[i].msg_hdr, 0, sizeof w->omsgs[i].msg_hdr);
		w->omsgs[i].msg_hdr.msg_iov = &w->oiov[i];
		w->omsgs[i].msg_hdr.msg_iovlen = 1;
	}
}

static void udp_ready(worker *w, const version *v, unsigned listener, uint64_t now)
{
	int fd = w->udp_fds[listener];
	for (int round = 0; round < 8; round++) {
		int n = recvmmsg(fd, w->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t batch_us = w->srv->qlog || w->srv->dnstap ? obs_real_us() : 0;
		int k = 0;
		for (int i = 0; i < n; i++) {
			if (w->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue; /* larger than any query we accept */
			const struct sockaddr *client = (const struct sockaddr *)&w->addrs[i];
			version gv; /* a client group's upstreams (query.h) */
			const pol_view *view;
			const version *qv = version_for_client(v, client, &gv, &view);
			qctx ctx = {.tcp = false, .now_ms = now, .client = client, .view = view};
			ctx.allowed = qv->res && config_allowed(&v->cfg, client);
			uint64_t t0 = batch_us; /* arrival: the batch's (one clock read per batch) */
			ctx.start_us = t0;
			size_t len = query_respond(qv, w->in[i], w->msgs[i].msg_len, w->out[k], UDP_BUF, &ctx);
			if (ctx.xfr) /* AXFR: NOTIMP; IXFR: RFC 1995 4 (only to allow-transfer clients) */
				len = xfr_respond(v, w->in[i], w->msgs[i].msg_len, client, false, &w->srv->xfr_active,
				                  w->out[k], UDP_BUF, NULL);
			if (ctx.update) { /* answered later by the updater, through this worker's mailbox */
				worker_reply_to to = {.worker = w->id, .tcp_slot = -1, .listener = listener,
				                      .addrlen = w->msgs[i].msg_hdr.msg_namelen};
				memcpy(&to.addr, &w->addrs[i], to.addrlen);
				if (!updater_submit(v->upd, w->in[i], w->msgs[i].msg_len, &to))
					len = query_error(w->in[i], w->msgs[i].msg_len, TERN_R_SERVFAIL, TERN_EDE_OTHER,
					                  "updates not accepted now", w->out[k], UDP_BUF, false);
			}
			if (log_enabled(LOG_DEBUG))
				query_log(v, w->in[i], w->msgs[i].msg_len, &ctx, w->out[k], len);
			obs_query(w, STATS_UDP, &ctx);
			if (len)
				obs_response(w, &ctx);
			if (len && t0)
				obs_log(w, &ctx, STATS_UDP, w->in[i], w->msgs[i].msg_len, w->out[k], len, client, t0);
			else if (!ctx.forward)
				WORKER_COUNT(w, dropped, 1);
			if (ctx.forward)
				worker_park(w, qv, &ctx, w->in[i], w->msgs[i].msg_len, listener, &w->addrs[i],
				     w->msgs[i].msg_hdr.msg_namelen, -1, now);
			if (ctx.prefetch)
				worker_prefetch(w, qv, &ctx, now);
			if (ctx.probe)
				worker_probe(w, qv, &ctx, now);
			if (!len)
				continue;
			size_t full = len;
			if (!ctx.xfr)
				len = rate_limit(v, &ctx, client, w->out[k], len, now);
			if (len != full)
				obs_rrl(w, len, full);
			if (!len)
				continue;
			w->oiov[k].iov_len = len;
			w->omsgs[k].msg_hdr.msg_name = &w->addrs[i];
			w->omsgs[k].msg_hdr.msg_namelen = w->msgs[i].msg_hdr.msg_namelen;
			k++;
		}
		for (int i = 0; i < n; i++)
			w->msgs[i].msg_hdr.msg_namelen = sizeof w->addrs[i];
		for (int sent = 0; sent < k;) {
			int r = sendmmsg(fd, w->omsgs + sent, (unsigned)(k - sent), MSG_DONTWAIT);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				sent++; /* skip the one that failed (e.g. unreachable) */
				continue;
			}
			sent += r;
		}
		if (n < UDP_BATCH)
			return;
	}
}

/* ---- forwarding ---- */

static void upq_start(worker *w, const version *v, fwd_pending *p, int probe_up, uint64_t now);

#define MAX_ROUNDS 32 /* upstream questions for one client query (its chain, and the DS and
                         DNSKEY RRsets its validation needs: one of each per zone) */

/* Answers a waiter with what is known now. Returns true if the waiter was
 * parked again instead (the answer's chain goes on to a name nobody has
 * asked yet: RFC 1034 5.3.3, change SNAME and go on); false when done with
 * it (the caller frees it). */
/* Puts m in to's mailbox and wakes it. */
static void post_mail(worker *to, mail *m)
{
	pthread_mutex_lock(&to->mail_lock);
	*to->mail_tail = m;
	to->mail_tail = &m->next;
	pthread_mutex_unlock(&to->mail_lock);
	worker_wake(to);
}

static bool deliver(worker *w, const version *v, resolver *res, fwd_waiter *wt, const fwd_result *fr, uint64_t now)
{
	bool tcp = wt->tcp_slot >= 0;
	version gv; /* a client group's upstreams (query.h) */
	const pol_view *view;
	v = version_for_client(v, (const struct sockaddr *)&wt->addr, &gv, &view);
	uint8_t *out = w->tcp_out + 2;
	qctx ctx = {.tcp = tcp, .allowed = true, .now_ms = now, .fr = fr, .client = (const struct sockaddr *)&wt->addr,
	            .view = view};
	size_t len = query_respond(v, wt->pkt, wt->len, out, sizeof w->tcp_out - 2, &ctx);
	if (log_enabled(LOG_DEBUG))
		query_log(v, wt->pkt, wt->len, &ctx, out, len);
	if (ctx.forward && ++wt->rounds < MAX_ROUNDS && v->res) {
		bool created;
		fwd_pending *p = fwd_join(v->res->table, ctx.name, FWD_KEY(ctx.type, ctx.cd), w->id, wt, &created);
		if (p) {
			if (v->res != res) { /* a reload moved the client to another group */
				atomic_fetch_sub(&res->waiters, 1);
				atomic_fetch_add(&v->res->waiters, 1);
			}
			if (created)
				upq_start(w, v, p, -1, now);
			return true;
		}
	}
	if (ctx.forward) { /* too many rounds, or the table is full */
		len = query_error(wt->pkt, wt->len, TERN_R_SERVFAIL, TERN_EDE_OTHER,
		                  wt->rounds >= MAX_ROUNDS ? "chain too long" : "too many questions upstream", out,
		                  sizeof w->tcp_out - 2, tcp);
		ctx.rcode = TERN_R_SERVFAIL;
		ctx.source = STATS_SRC_NONE;
	}
	if (!len)
		return false;
	if (ctx.source == STATS_SRC_CACHE && !fr->failed)
		ctx.source = STATS_SRC_UPSTREAM; /* just put there by this answer */
	obs_response(w, &ctx);
	if (w->srv->qlog || w->srv->dnstap)
		obs_log(w, &ctx, tcp ? STATS_TCP : STATS_UDP, wt->pkt, wt->len, out, len,
		          (const struct sockaddr *)&wt->addr, wt->start_us ? wt->start_us : obs_real_us());
	if (!tcp) {
		size_t full = len;
		len = rate_limit(v, &ctx, (const struct sockaddr *)&wt->addr, out, len, now);
		if (len != full)
			obs_rrl(w, len, full);
		if (!len)
			return false;
		int fd = w->udp_fds[wt->listener]; /* -1: a reload closed that address */
		ssize_t r = fd < 0 ? 0 : sendto(fd, out, len, MSG_DONTWAIT, (const struct sockaddr *)&wt->addr, wt->addrlen);
		(void)r;
		return false;
	}
	tern_put_u16(w->tcp_out, (uint16_t)len);
	if (wt->worker == w->id) {
		tcp_conn *c = &w->conns[wt->tcp_slot];
		if (c->fd >= 0 && c->gen == wt->tcp_gen)
			worker_conn_send(w, (unsigned)wt->tcp_slot, w->tcp_out, len + 2);
		return false;
	}
	worker *to = &w->srv->workers[wt->worker];
	mail *m = malloc(sizeof *m + len + 2);
	if (!m)
		return false;
	m->next = NULL;
	m->slot = (unsigned)wt->tcp_slot;
	m->gen = wt->tcp_gen;
	m->len = len + 2;
	memcpy(m->data, w->tcp_out, len + 2);
	post_mail(to, m);
	return false;
}

void worker_post(server *s, const worker_reply_to *to, const uint8_t *msg, size_t len)
{
	if (to->worker >= s->nworkers || len > 65535)
		return;
	mail *m = malloc(sizeof *m + len + 2);
	if (!m)
		return;
	m->next = NULL;
	if (to->tcp_slot >= 0) {
		m->slot = (unsigned)to->tcp_slot;
		m->gen = to->tcp_gen;
		tern_put_u16(m->data, (uint16_t)len);
		memcpy(m->data + 2, msg, len);
		m->len = len + 2;
	} else {
		m->slot = MAIL_UDP;
		m->listener = to->listener;
		m->addr = to->addr;
		m->addrlen = to->addrlen;
		memcpy(m->data, msg, len);
		m->len = len;
	}
	post_mail(&s->workers[to->worker], m);
}

static void read_mail(worker *w)
{
	pthread_mutex_lock(&w->mail_lock);
	mail *m = w->mail_head;
	w->mail_head = NULL;
	w->mail_tail = &w->mail_head;
	pthread_mutex_unlock(&w->mail_lock);
	while (m) {
		mail *next = m->next;
		if (m->slot == MAIL_UDP) {
			int fd = m->listener < SERVER_LISTEN_MAX ? w->udp_fds[m->listener] : -1; /* -1: closed by a reload */
			ssize_t r = fd < 0 ? 0 : sendto(fd, m->data, m->len, MSG_DONTWAIT, (const struct sockaddr *)&m->addr,
			                                m->addrlen);
			(void)r;
		} else {
			tcp_conn *c = &w->conns[m->slot];
			if (c->fd >= 0 && c->gen == m->gen)
				worker_conn_send(w, m->slot, m->data, m->len);
		}
		free(m);
		m = next;
	}
}

/* The failure of (name, qtype), in w->fail. Failures never use w->fr: a
 * failure can happen while the waiters of an answer in w->fr are being
 * answered (one of them moves on to a new name and no question slot is
 * free), and that answer must stay intact for the others. */
static const fwd_result *failure(worker *w, const uint8_t *name, uint16_t qtype, uint16_t ede, const char *text)
{
	fwd_result *fr = &w->fail;
	memset(fr, 0, offsetof(fwd_result, data));
	memcpy(fr->name, name, tern_name_len(name));
	fr->qtype = qtype;
	fr->failed = true;
	fr->rcode = TERN_R_SERVFAIL;
	fr->soa_off = 0xffff;
	fr->ede = ede;
	snprintf(fr->ede_text, sizeof fr->ede_text, "%s", text ? text : "");
	return fr;
}

/* Answers every waiter of p with fr and frees them. no_more_rounds: a
 * waiter whose chain would go on to another name gets SERVFAIL instead of a
 * new upstream question (after a failure: so that answering these waiters
 * can never start another failure that would overwrite w->fail). */
static void complete(worker *w, const version *v, resolver *res, fwd_pending *p, const fwd_result *fr,
                     bool no_more_rounds, uint64_t now)
{
	fwd_waiter *wt = fwd_complete(res->table, p);
	while (wt) {
		fwd_waiter *next = wt->next;
		if (no_more_rounds)
			wt->rounds = MAX_ROUNDS;
		if (!deliver(w, v, res, wt, fr, now)) {
			free(wt);
			atomic_fetch_sub(&res->waiters, 1);
		}
		wt = next;
	}
}

/* Completes a pending question: every waiter gets its answer. */
static void upq_finish(worker *w, const version *v, upq *u, const fwd_result *fr, uint64_t now)
{
	if (u->fd >= 0)
		close(u->fd); /* also leaves the epoll set */
	u->fd = -1;
	free(u->tbuf);
	u->tbuf = NULL;
	fwd_pending *p = u->p;
	u->p = NULL;
	upstreams_release(u->ups);
	u->ups = NULL;
	w->nupqs--;
	complete(w, v, u->res, p, fr, fr->failed, now);
}

/* Debug: one step of an upstream question (only called when debug is on). */
static void upq_log(const version *v, const upq *u, const char *what)
{
	char name[TERN_NAME_TEXT_MAX], type[24];
	tern_name_to_text(u->name, name, sizeof name);
	tern_type_to_text(u->qtype, type, sizeof type);
	const upstream_set *set = &u->ups->sets[u->set];
	if (u->a.up >= 0 && (unsigned)u->a.up < set->n)
		log_msg(LOG_DEBUG, "forwarding %s %s: upstream %s: %s", name, type, set->ups[u->a.up].text, what);
	else
		log_msg(LOG_DEBUG, "forwarding %s %s: %s", name, type, what);
}

/* The question of u failed: remembered (RFC 9520 3.2), and its waiters get
 * SERVFAIL or stale data, with the upstream's Extended DNS Error if one gave
 * it, else 22 (No Reachable Authority: RFC 8914 4.23, "could not reach any
 * ... or they potentially refused to reply"). */
static void upq_fail(worker *w, const version *v, upq *u, uint64_t now)
{
	const fwd_attempt *a = &u->a;
	if (log_enabled(LOG_DEBUG))
		upq_log(v, u, "giving up: SERVFAIL (or stale data) for the waiting clients");
	if (u->res->failures)
		(void)failcache_put(u->res->failures, u->name, u->qtype, now, a->ede);
	char why[48];
	const char *text = why;
	if (a->ede != FWD_NO_EDE)
		text = u->ede_text;
	else if (a->rcode)
		snprintf(why, sizeof why, "upstream answered %s", tern_rcode_name(a->rcode) ? tern_rcode_name(a->rcode) : "an error");
	else
		snprintf(why, sizeof why, "no upstream answered");
	uint16_t ede = a->ede != FWD_NO_EDE ? a->ede : TERN_EDE_NO_REACHABLE_AUTHORITY;
	upq_finish(w, v, u, failure(w, u->name, u->qtype, ede, text), now);
}

/* The health of an upstream changed: said once, not per query. */
static void up_changed(const upstream *us, bool down)
{
	if (down)
		log_warn("upstream %s down: %d failures in a row; probed every %d ms", us->text, FWD_DOWN_AFTER,
		         FWD_PROBE_MS);
	else
		log_info("upstream %s up again", us->text);
}

static void upq_failed(worker *w, const version *v, upq *u, uint64_t now)
{
	upstream_set *set = &u->ups->sets[u->set];
	int up = u->a.up;
	if (fwd_attempt_failed(&u->a, set, now))
		up_changed(&set->ups[up], true);
}

static int random_port_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A source port from the kernel's cryptographic generator, so an
	 * off-path forger must guess it along with the ID (RFC 5452 4.5). */
	for (int tries = 0; tries < 16; tries++) {
		uint16_t r;
		fwd_random(&r, sizeof r);
		uint16_t port = (uint16_t)(1024 + r % (65536 - 1024));
		struct sockaddr_storage sa;
		memset(&sa, 0, sizeof sa);
		socklen_t len;
		if (family == AF_INET) {
			struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
			v4->sin_family = AF_INET;
			v4->sin_port = htons(port);
			len = sizeof *v4;
		} else {
			struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons(port);
			len = sizeof *v6;
		}
		if (bind(fd, (struct sockaddr *)&sa, len) == 0)
			return fd;
	}
	return fd; /* the kernel picks a (random) port at connect */
}

/* u's question has left for upstream us (over any transport): the clock
 * for its latency starts, it is counted, and dnstap sees it. */
static void upq_sent(worker *w, upq *u, const upstream *us)
{
	u->sent_us = obs_mono_us();
	WORKER_COUNT(w, up_queries[obs_up_slot(us)], 1);
	if (w->srv->dnstap)
		obs_tap_upstream(w, u, us, false, u->q, u->qlen);
}

/* Connects u's socket to the upstream and sends the question. Returns 0
 * when sent, 1 when that upstream cannot be reached (try the next), -1 when
 * no socket could be made (give up). */
static int upq_send(worker *w, const version *v, upq *u, const upstream *us, uint64_t now)
{
	if (us->tls.on) { /* DNS over TLS or HTTPS: strict, never this function's UDP */
		int r = tlsup_send(w, v, u, us, now);
		if (r == 0)
			upq_sent(w, u, us);
		else
			WORKER_COUNT(w, up_failures[obs_up_slot(us)], 1);
		return r;
	}
	fwd_random(&u->id, sizeof u->id);
	int qlen = fwd_make_query(u->q, sizeof u->q, u->id, u->name, u->qtype, u->cd);
	u->fd = qlen > 0 ? random_port_socket(us->addr.ss_family) : -1;
	if (u->fd < 0)
		return -1;
	u->qlen = (uint16_t)qlen;
	u->state = UPQ_UDP;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_UPQ, u - w->upqs)};
	if (connect(u->fd, (const struct sockaddr *)&us->addr, us->len) ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, u->fd, &ev) || send(u->fd, u->q, u->qlen, MSG_DONTWAIT) < 0) {
		close(u->fd);
		u->fd = -1;
		WORKER_COUNT(w, up_failures[obs_up_slot(us)], 1);
		return 1;
	}
	upq_sent(w, u, us);
	return 0;
}

/* The current try of u is over: asks the next upstream, or waits, or fails
 * the question, as the policy (attempt.c) says. */
static void upq_try(worker *w, const version *v, upq *u, uint64_t now)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	u->tlsup = -1; /* a late answer over TLS finds no question */
	free(u->tbuf);
	u->tbuf = NULL;
	upstream_set *set = &u->ups->sets[u->set];
	for (;;) { /* ends: each unreachable upstream is marked tried */
		uint8_t coin;
		fwd_random(&coin, 1);
		switch (fwd_attempt_next(&u->a, set, now, coin)) {
		case FWD_STEP_GIVE_UP:
			upq_fail(w, v, u, now);
			return;
		case FWD_STEP_WAIT:
			return;
		case FWD_STEP_ASK:
			break;
		}
		int rc = upq_send(w, v, u, &set->ups[u->a.up], now);
		if (log_enabled(LOG_DEBUG))
			upq_log(v, u, rc == 0 ? "asking" : "cannot send to it");
		if (rc == 0) {
			fwd_attempt_sent(&u->a, set, now);
			return;
		}
		if (rc < 0) {
			upq_fail(w, v, u, now);
			return;
		}
		upq_failed(w, v, u, now); /* e.g. unreachable: as a timeout */
	}
}

/* Starts the question p: asks its upstreams, or (probe_up >= 0) probes
 * that down upstream with it. */
static void upq_start(worker *w, const version *v, fwd_pending *p, int probe_up, uint64_t now)
{
	upq *u = NULL;
	for (unsigned i = 0; i < UPQ_MAX && w->upqs; i++)
		if (!w->upqs[i].p) {
			u = &w->upqs[i];
			break;
		}
	if (!u) { /* this worker has too many questions out: SERVFAIL */
		complete(w, v, v->res, p,
		         failure(w, fwd_pending_name(p), fwd_pending_type(p), TERN_EDE_OTHER, "too many questions upstream"),
		         true, now);
		return;
	}
	memset(u, 0, offsetof(upq, q));
	u->fd = -1;
	u->p = p;
	memcpy(u->name, fwd_pending_name(p), tern_name_len(fwd_pending_name(p)));
	u->qtype = fwd_pending_type(p);
	u->cd = fwd_pending_cd(p);
	u->ups = v->ups;
	upstreams_hold(u->ups);
	u->res = v->res;
	const upstream_set *set = fwd_set_for_q(u->ups->sets, u->ups->nsets, u->name, u->qtype);
	u->set = (unsigned)(set - u->ups->sets);
	if (probe_up >= 0)
		fwd_attempt_probe(&u->a, now, v->cfg.forward_timeout_ms, probe_up);
	else
		fwd_attempt_init(&u->a, now, v->cfg.forward_timeout_ms);
	/* RFC 8767 5: with stale data at hand, a client waits at most the
	 * client-response timer for the refresh */
	if (probe_up < 0 && v->cfg.serve_stale && v->cfg.stale_client_ms) {
		cache_hit h;
		cache_get(v->res->cache, u->name, u->qtype, now, true, NULL, NULL, &h);
		if (h.kind == CACHE_MISS && u->qtype != TERN_T_CNAME)
			cache_get(v->res->cache, u->name, TERN_T_CNAME, now, true, NULL, NULL, &h);
		if (h.kind != CACHE_MISS)
			u->stale_ms = now + v->cfg.stale_client_ms;
	}
	w->nupqs++;
	upq_try(w, v, u, now);
}

void worker_park(worker *w, const version *v, const qctx *ctx, const uint8_t *pkt, size_t len, unsigned listener,
                 const struct sockaddr_storage *addr, socklen_t addrlen, int slot, uint64_t now)
{
	resolver *res = v->res;
	fwd_waiter *wt = NULL;
	WORKER_COUNT(w, forwarded, 1);
	if (atomic_fetch_add(&res->waiters, 1) < res->max_waiters)
		wt = malloc(sizeof *wt + len);
	if (wt) {
		wt->worker = w->id;
		wt->tcp_slot = slot;
		wt->tcp_gen = slot >= 0 ? w->conns[slot].gen : 0;
		wt->listener = listener;
		wt->rounds = 0;
		wt->start_us = ctx->start_us;
		memcpy(&wt->addr, addr, addrlen);
		wt->addrlen = addrlen;
		wt->len = (uint16_t)len;
		memcpy(wt->pkt, pkt, len);
		bool created;
		fwd_pending *p = fwd_join(res->table, ctx->name, FWD_KEY(ctx->type, ctx->cd), w->id, wt, &created);
		if (p) {
			if (created)
				upq_start(w, v, p, -1, now);
			return;
		}
		free(wt);
	}
	/* over the bounds: SERVFAIL rather than growing without limit */
	atomic_fetch_sub(&res->waiters, 1);
	uint8_t *out = w->tcp_out + 2;
	size_t n = query_error(pkt, len, TERN_R_SERVFAIL, TERN_EDE_OTHER, "too many clients waiting", out,
	                       sizeof w->tcp_out - 2, slot >= 0);
	if (!n)
		return;
	obs_error(w, TERN_R_SERVFAIL);
	if (slot < 0) {
		ssize_t r = sendto(w->udp_fds[listener], out, n, MSG_DONTWAIT, (const struct sockaddr *)addr, addrlen);
		(void)r;
	} else {
		tern_put_u16(w->tcp_out, (uint16_t)n);
		worker_conn_send(w, (unsigned)slot, w->tcp_out, n + 2);
	}
}

/* RFC 8767-style prefetch: refresh a popular entry before it expires; the
 * in-flight table makes it one upstream query per name. */
void worker_prefetch(worker *w, const version *v, const qctx *ctx, uint64_t now)
{
	bool created;
	fwd_pending *p = fwd_join(v->res->table, ctx->name, FWD_KEY(ctx->type, ctx->cd), w->id, NULL, &created);
	if (p && created)
		upq_start(w, v, p, -1, now);
}

/* Every upstream of the set for ctx->name is down (the client has its
 * answer): if a probe is due, (name, type) is asked of one of them, with
 * no client waiting (attempt.h: one probe per set at a time). */
void worker_probe(worker *w, const version *v, const qctx *ctx, uint64_t now)
{
	upstream_set *set = (upstream_set *)fwd_set_for_q(v->ups->sets, v->ups->nsets, ctx->name, ctx->type);
	int up = fwd_probe_claim(set, now);
	if (up < 0)
		return;
	bool created;
	fwd_pending *p = fwd_join(v->res->table, ctx->name, FWD_KEY(ctx->type, ctx->cd), w->id, NULL, &created);
	if (p && created)
		upq_start(w, v, p, up, now);
}

/* How long the current try has been out, in microseconds (at most ~71
 * minutes: a try lasts seconds). */
static uint32_t upq_rtt_us(const upq *u, uint64_t mono_us)
{
	uint64_t d = mono_us > u->sent_us ? mono_us - u->sent_us : 0;
	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void upq_answer(worker *w, const version *v, upq *u, const uint8_t *pkt, size_t len, uint64_t now)
{
	upstream_set *set = &u->ups->sets[u->set];
	const upstream *us = &set->ups[u->a.up];
	if (w->srv->dnstap)
		obs_tap_upstream(w, u, us, true, pkt, len);
	enum fwd_verdict verdict =
		fwd_sanitize_cd(pkt, len, u->id, u->name, u->qtype, u->cd, u->ups->sets[u->set].zone, u->res->cache, now,
		                &w->fr);
	switch (verdict) {
	case FWD_IGNORE: /* forged or stray: the real answer may still come */
		if (u->state == UPQ_UDP)
			return;
		/* over TCP there is no other answer coming */
		__attribute__((fallthrough));
	case FWD_BAD: /* this upstream is out of the question */
		WORKER_COUNT(w, up_failures[obs_up_slot(us)], 1);
		if (log_enabled(LOG_DEBUG))
			upq_log(v, u, "an error rcode or an unusable answer: trying another");
		if (fwd_attempt_answered(&u->a, set, upq_rtt_us(u, obs_mono_us())))
			up_changed(us, false);
		fwd_attempt_error(&u->a, verdict == FWD_BAD ? w->fr.rcode : 0, verdict == FWD_BAD ? w->fr.ede : FWD_NO_EDE);
		if (verdict == FWD_BAD && w->fr.ede != FWD_NO_EDE)
			memcpy(u->ede_text, w->fr.ede_text, sizeof u->ede_text);
		upq_try(w, v, u, now);
		return;
	case FWD_TRUNC: {
		if (u->state != UPQ_UDP) {
			upq_try(w, v, u, now);
			return;
		}
		/* RFC 7766: ask the same upstream again over TCP */
		if (log_enabled(LOG_DEBUG))
			upq_log(v, u, "truncated: asking again over TCP");
		close(u->fd);
		u->fd = socket(us->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = EV(EV_UPQ, u - w->upqs)};
		if (u->fd < 0 ||
		    (connect(u->fd, (const struct sockaddr *)&us->addr, us->len) && errno != EINPROGRESS) ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, u->fd, &ev)) {
			upq_try(w, v, u, now);
			return;
		}
		u->state = UPQ_TCP_CONNECT;
		fwd_attempt_tcp(&u->a, now);
		return;
	}
	case FWD_OK: {
		unsigned slot = obs_up_slot(us);
		uint64_t lat = upq_rtt_us(u, obs_mono_us());
		WORKER_COUNT(w, up_answers[slot], 1);
		WORKER_COUNT(w, up_latency[slot][stats_lat_bucket(lat)], 1);
		WORKER_COUNT(w, up_latency_us[slot], lat);
		if (log_enabled(LOG_DEBUG))
			upq_log(v, u, "answered");
		if (fwd_attempt_answered(&u->a, set, (uint32_t)lat))
			up_changed(us, false);
		if (u->res->failures)
			failcache_clear(u->res->failures, u->name, u->qtype);
		upq_finish(w, v, u, &w->fr, now);
		return;
	}
	}
}

void worker_upq_answer(worker *w, const version *v, upq *u, const uint8_t *pkt, size_t len, uint64_t now)
{
	upq_answer(w, v, u, pkt, len, now);
}

void worker_upq_failed(worker *w, const version *v, upq *u, uint64_t now)
{
	upq_failed(w, v, u, now);
	upq_try(w, v, u, now);
}

static void upq_event(worker *w, const version *v, upq *u, uint32_t events, uint64_t now)
{
	if (!u->p || u->fd < 0)
		return;
	if (u->state == UPQ_UDP) {
		int fd = u->fd;
		/* until the answer ends this try (socket closed or replaced) */
		for (int k = 0; k < 16 && u->p && u->state == UPQ_UDP && u->fd == fd; k++) {
			ssize_t r = recv(fd, w->ubuf, sizeof w->ubuf, MSG_DONTWAIT);
			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return;
				/* ECONNREFUSED (ICMP port unreachable): nobody
				 * listens there; a failure now, not at the try's end */
				if (log_enabled(LOG_DEBUG))
					upq_log(v, u, "refused (nothing listens there)");
				WORKER_COUNT(w, up_failures[obs_up_slot(&u->ups->sets[u->set].ups[u->a.up])], 1);
				upq_failed(w, v, u, now);
				upq_try(w, v, u, now);
				return;
			}
			upq_answer(w, v, u, w->ubuf, (size_t)r, now);
		}
		return;
	}
	if (u->state == UPQ_TCP_CONNECT) {
		int err = 0;
		socklen_t el = sizeof err;
		getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		uint8_t frame[2 + sizeof u->q];
		tern_put_u16(frame, u->qlen);
		memcpy(frame + 2, u->q, u->qlen);
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_UPQ, u - w->upqs)};
		u->tbuf = malloc(2 + 65535);
		const upstream *us = &u->ups->sets[u->set].ups[u->a.up];
		if (err || !u->tbuf || send(u->fd, frame, 2u + u->qlen, MSG_NOSIGNAL | MSG_DONTWAIT) != 2 + u->qlen ||
		    epoll_ctl(w->epfd, EPOLL_CTL_MOD, u->fd, &ev)) {
			WORKER_COUNT(w, up_failures[obs_up_slot(us)], 1);
			upq_try(w, v, u, now);
			return;
		}
		upq_sent(w, u, us);
		u->tlen = 0;
		u->state = UPQ_TCP_READ;
		return;
	}
	/* UPQ_TCP_READ */
	size_t need = u->tlen < 2 ? 2 : 2 + (size_t)tern_get_u16(u->tbuf);
	ssize_t r = recv(u->fd, u->tbuf + u->tlen, need - u->tlen, MSG_DONTWAIT);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		upq_try(w, v, u, now);
		return;
	}
	if (r < 0)
		return;
	u->tlen += (size_t)r;
	if (u->tlen >= 2 && u->tlen == 2 + (size_t)tern_get_u16(u->tbuf))
		upq_answer(w, v, u, u->tbuf + 2, u->tlen - 2, now);
	(void)events;
}

/* RFC 8767 5 (client-response timer): the refresh of u has taken
 * stale-answer-client-timeout; the clients waiting on it get the stale data
 * now (EDE 3), and the refresh goes on for the cache. Clients that join
 * later are answered on the next scan. */
static void answer_stale(worker *w, const version *v, upq *u, uint64_t now)
{
	fwd_waiter *wt = fwd_take_waiters(u->res->table, u->p);
	const fwd_result *fr = wt ? failure(w, u->name, u->qtype, TERN_EDE_NO_REACHABLE_AUTHORITY, "upstream slow") : NULL;
	while (wt) {
		fwd_waiter *next = wt->next;
		wt->rounds = MAX_ROUNDS; /* answered with what is at hand, no new question */
		if (!deliver(w, v, u->res, wt, fr, now)) {
			free(wt);
			atomic_fetch_sub(&u->res->waiters, 1);
		}
		wt = next;
	}
}

static void upq_timers(worker *w, const version *v, uint64_t now)
{
	/* slots are taken lowest first: stop after the last one in use */
	for (unsigned i = 0, seen = 0; i < UPQ_MAX && seen < w->nupqs; i++) {
		upq *u = &w->upqs[i];
		if (!u->p)
			continue;
		seen++;
		if (u->stale_ms && now >= u->stale_ms)
			answer_stale(w, v, u, now);
		if (!fwd_attempt_due(&u->a, now))
			continue;
		if (log_enabled(LOG_DEBUG) && !u->a.waiting)
			upq_log(v, u, "no answer in time");
		if (u->a.up >= 0 && !u->a.waiting)
			WORKER_COUNT(w, up_timeouts[obs_up_slot(&u->ups->sets[u->set].ups[u->a.up])], 1);
		upq_failed(w, v, u, now); /* silence */
		upq_try(w, v, u, now);
	}
}

void worker_cleanup(worker *w)
{
	for (unsigned i = 0; w->upqs && i < UPQ_MAX; i++) {
		upq *u = &w->upqs[i];
		if (u->fd >= 0 && u->p)
			close(u->fd);
		if (u->p)
			upstreams_release(u->ups);
		free(u->tbuf);
	}
	tlsup_cleanup(w);
	free(w->upqs);
	read_mail(w); /* frees what is left (connections are closed) */
	pthread_mutex_destroy(&w->mail_lock);
}

void worker_take_listeners(worker *w)
{
	server *s = w->srv;
	uint64_t gen = atomic_load(&s->listen_gen);
	const int *udp = s->udp_fds + (size_t)w->id * SERVER_LISTEN_MAX;
	const int *tcp = s->tcp_fds + (size_t)w->id * SERVER_LISTEN_MAX;
	for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++) {
		if (udp[k] != w->udp_fds[k]) {
			if (w->udp_fds[k] >= 0)
				epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->udp_fds[k], NULL);
			struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_UDP, k)};
			if (udp[k] >= 0)
				epoll_ctl(w->epfd, EPOLL_CTL_ADD, udp[k], &ev);
			w->udp_fds[k] = udp[k];
		}
		if (tcp[k] != w->tcp_fds[k]) {
			if (w->tcp_fds[k] >= 0)
				epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->tcp_fds[k], NULL);
			struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_TCP_LISTEN, k)};
			if (tcp[k] >= 0)
				epoll_ctl(w->epfd, EPOLL_CTL_ADD, tcp[k], &ev);
			w->tcp_fds[k] = tcp[k];
			w->transport[k] = s->transport[k];
		}
	}
	atomic_store(&w->listen_seen, gen);
}

void *worker_main(void *arg)
{
	worker *w = arg;
	server *s = w->srv;
	struct epoll_event evs[64];
	batch_init(w);
	while (!atomic_load(&s->stop)) {
		if (atomic_load(&s->listen_gen) != atomic_load_explicit(&w->listen_seen, memory_order_relaxed))
			worker_take_listeners(w); /* a reload changed the listen addresses */
		atomic_store(&w->quiescent, 0);
		int n = epoll_wait(w->epfd, evs, 64, w->nupqs ? 10 : 1000);
		atomic_store(&w->quiescent, atomic_load(&s->epoch));
		const version *v = atomic_load(&s->current);
		uint64_t now = now_ms();
		for (int k = 0; k < n; k++) {
			uint32_t kind = (uint32_t)(evs[k].data.u64 >> 56), idx = (uint32_t)evs[k].data.u64;
			uint32_t gen = (uint32_t)(evs[k].data.u64 >> 32) & 0xffffff;
			switch (kind) {
			case EV_UDP:
				udp_ready(w, v, idx, now);
				break;
			case EV_TCP_LISTEN:
				worker_tcp_accept(w, v, w->tcp_fds[idx], w->transport[idx], now);
				break;
			case EV_CONN:
				if (w->conns[idx].fd < 0 || (w->conns[idx].gen & 0xffffff) != gen)
					break; /* closed, or the slot already holds another connection */
				if (w->conns[idx].tls)
					tlsconn_event(w, v, idx, evs[k].events, now);
				else if (evs[k].events & (EPOLLERR | EPOLLHUP) && !(evs[k].events & EPOLLIN))
					worker_conn_close(w, idx);
				else if (evs[k].events & EPOLLOUT)
					worker_conn_write(w, v, idx, now);
				else
					worker_conn_read(w, v, idx, now);
				break;
			case EV_UPQ:
				upq_event(w, v, &w->upqs[idx], evs[k].events, now);
				break;
			case EV_TLSUP:
				tlsup_event(w, v, idx, evs[k].events, now);
				break;
			case EV_WAKE: {
				uint64_t x;
				ssize_t r = read(w->wakefd, &x, sizeof x);
				(void)r;
				read_mail(w);
				break;
			}
			}
		}
		if (w->nupqs && now - w->last_upq_scan_ms >= 5) {
			upq_timers(w, v, now);
			w->last_upq_scan_ms = now;
		}
		if (now - w->last_sweep_ms >= 250) {
			worker_tcp_sweep(w, &v->cfg, now);
			w->last_sweep_ms = now;
		}
	}
	for (unsigned i = 0; i < w->maxconns; i++)
		worker_conn_close(w, i);
	return NULL;
}
