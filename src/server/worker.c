/* worker.c: one worker's event loop.
 *
 * UDP: a readable socket is drained in batches: recvmmsg up to UDP_BATCH
 * datagrams, answer each into the worker's own output slots, one sendmmsg.
 * TCP: 2-byte length framing (RFC 1035 4.2.2, RFC 7766); queries on a
 * connection are answered in order as they arrive; while a response is
 * waiting to be written the connection is not read (backpressure); a
 * connection without a complete query for tcp_idle_ms is closed, which also
 * ends slow clients that dribble bytes. When the connection bound is
 * reached, the connection idle the longest is closed for the new one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"
#include "server/worker.h"
#include "tern/wire.h"

enum { EV_UDP = 1, EV_TCP_LISTEN = 2, EV_CONN = 3, EV_WAKE = 4 };
#define EV(kind, idx) ((uint64_t)(kind) << 32 | (uint32_t)(idx))

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

static void udp_ready(worker *w, const version *v, int fd)
{
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < UDP_BATCH; i++) {
			w->iov[i].iov_base = w->in[i];
			w->iov[i].iov_len = UDP_BUF;
			memset(&w->msgs[i].msg_hdr, 0, sizeof w->msgs[i].msg_hdr);
			w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
			w->msgs[i].msg_hdr.msg_iovlen = 1;
			w->msgs[i].msg_hdr.msg_name = &w->addrs[i];
			w->msgs[i].msg_hdr.msg_namelen = sizeof w->addrs[i];
		}
		int n = recvmmsg(fd, w->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		int k = 0;
		for (int i = 0; i < n; i++) {
			if (w->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue; /* larger than any query we accept */
			size_t len = query_respond(v, w->in[i], w->msgs[i].msg_len, w->out[k], UDP_BUF, false);
			if (!len)
				continue;
			w->oiov[k].iov_base = w->out[k];
			w->oiov[k].iov_len = len;
			memset(&w->omsgs[k].msg_hdr, 0, sizeof w->omsgs[k].msg_hdr);
			w->omsgs[k].msg_hdr.msg_iov = &w->oiov[k];
			w->omsgs[k].msg_hdr.msg_iovlen = 1;
			w->omsgs[k].msg_hdr.msg_name = &w->addrs[i];
			w->omsgs[k].msg_hdr.msg_namelen = w->msgs[i].msg_hdr.msg_namelen;
			k++;
		}
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

static void conn_close(worker *w, unsigned i)
{
	tcp_conn *c = &w->conns[i];
	if (c->fd < 0)
		return;
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	memset(c, 0, sizeof *c);
	c->fd = -1;
	w->nconns--;
}

static void conn_events(worker *w, unsigned i, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = EV(EV_CONN, i)};
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->conns[i].fd, &ev);
}

/* Sends data, keeping what the socket does not take. Returns -1 if the
 * connection failed (it is then closed). */
static int conn_send(worker *w, unsigned i, const uint8_t *data, size_t n)
{
	tcp_conn *c = &w->conns[i];
	if (c->wlen == c->woff) {
		ssize_t r = send(c->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			conn_close(w, i);
			return -1;
		}
		if (r < 0)
			r = 0;
		data += r;
		n -= (size_t)r;
		c->wlen = c->woff = 0;
		if (!n)
			return 0;
		conn_events(w, i, EPOLLOUT);
	}
	if (c->wlen + n > c->wcap) {
		size_t ncap = c->wlen + n;
		uint8_t *nb = realloc(c->wbuf, ncap);
		if (!nb) {
			conn_close(w, i);
			return -1;
		}
		c->wbuf = nb;
		c->wcap = ncap;
	}
	memcpy(c->wbuf + c->wlen, data, n);
	c->wlen += n;
	return 0;
}

static void conn_read(worker *w, const version *v, unsigned i, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	for (int budget = 0; budget < 64 && c->fd >= 0 && c->wlen == c->woff; budget++) {
		size_t need = c->rlen < 2 ? 2 : 2 + (size_t)tern_get_u16(c->rbuf);
		if (c->rcap < need) {
			uint8_t *nb = realloc(c->rbuf, need);
			if (!nb) {
				conn_close(w, i);
				return;
			}
			c->rbuf = nb;
			c->rcap = need;
		}
		ssize_t r = recv(c->fd, c->rbuf + c->rlen, need - c->rlen, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			conn_close(w, i);
			return;
		}
		if (r < 0)
			return;
		c->rlen += (size_t)r;
		if (c->rlen < 2)
			continue;
		size_t flen = tern_get_u16(c->rbuf);
		if (flen < 12) { /* a zero or short frame cannot be a query */
			conn_close(w, i);
			return;
		}
		if (c->rlen < 2 + flen)
			continue;
		size_t olen = query_respond(v, c->rbuf + 2, flen, w->tcp_out + 2, sizeof w->tcp_out - 2, true);
		c->rlen = 0;
		c->last_ms = now;
		if (olen) {
			tern_put_u16(w->tcp_out, (uint16_t)olen);
			if (conn_send(w, i, w->tcp_out, olen + 2))
				return;
		}
	}
}

static void conn_write(worker *w, const version *v, unsigned i, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	while (c->woff < c->wlen) {
		ssize_t r = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			conn_close(w, i);
			return;
		}
		c->woff += (size_t)r;
	}
	c->woff = c->wlen = 0;
	conn_events(w, i, EPOLLIN);
	conn_read(w, v, i, now);
}

static void tcp_accept(worker *w, int lfd, uint64_t now)
{
	for (int k = 0; k < 64; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (w->nconns >= w->maxconns) {
			/* full: the connection idle the longest makes room */
			unsigned oldest = 0;
			for (unsigned i = 1; i < w->maxconns; i++)
				if (w->conns[i].last_ms < w->conns[oldest].last_ms)
					oldest = i;
			conn_close(w, oldest);
		}
		unsigned slot = 0;
		while (w->conns[slot].fd >= 0)
			slot++;
		tcp_conn *c = &w->conns[slot];
		c->fd = fd;
		c->last_ms = now;
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_CONN, slot)};
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			c->fd = -1;
			continue;
		}
		w->nconns++;
	}
}

static void sweep(worker *w, const config *cfg, uint64_t now)
{
	for (unsigned i = 0; i < w->maxconns; i++)
		if (w->conns[i].fd >= 0 && now - w->conns[i].last_ms >= cfg->tcp_idle_ms)
			conn_close(w, i);
}

void *worker_main(void *arg)
{
	worker *w = arg;
	server *s = w->srv;
	struct epoll_event evs[64];
	while (!atomic_load(&s->stop)) {
		atomic_store(&w->quiescent, 0);
		int n = epoll_wait(w->epfd, evs, 64, 1000);
		atomic_store(&w->quiescent, atomic_load(&s->epoch));
		const version *v = atomic_load(&s->current);
		uint64_t now = now_ms();
		for (int k = 0; k < n; k++) {
			uint32_t kind = (uint32_t)(evs[k].data.u64 >> 32), idx = (uint32_t)evs[k].data.u64;
			switch (kind) {
			case EV_UDP:
				udp_ready(w, v, w->udp_fds[idx]);
				break;
			case EV_TCP_LISTEN:
				tcp_accept(w, w->tcp_fds[idx], now);
				break;
			case EV_CONN:
				if (w->conns[idx].fd < 0)
					break;
				if (evs[k].events & (EPOLLERR | EPOLLHUP) && !(evs[k].events & EPOLLIN))
					conn_close(w, idx);
				else if (evs[k].events & EPOLLOUT)
					conn_write(w, v, idx, now);
				else
					conn_read(w, v, idx, now);
				break;
			case EV_WAKE: {
				uint64_t x;
				ssize_t r = read(w->wakefd, &x, sizeof x);
				(void)r;
				break;
			}
			}
		}
		if (now - w->last_sweep_ms >= 250) {
			sweep(w, &v->cfg, now);
			w->last_sweep_ms = now;
		}
	}
	for (unsigned i = 0; i < w->maxconns; i++)
		conn_close(w, i);
	return NULL;
}
