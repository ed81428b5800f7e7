/* metrics.c: see metrics.h. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl/http.h"
#include "ctl/metrics.h"
#include "ctl/out.h"
#include "ctl/report.h"
#include "server/log.h"

typedef struct client {
	int fd; /* -1: free */
	long long deadline;
	size_t len;
	char buf[HTTP_REQUEST_MAX];
} client;

struct metrics {
	int fd, stopfd;
	server *srv;
	pthread_t thread;
	bool started;
	char text[64];
	client c[METRICS_CLIENTS];
};

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

metrics *metrics_open(const cfg_listen *addr)
{
	int fd = socket(addr->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (const struct sockaddr *)&addr->addr, addr->len) || listen(fd, 64)) {
		log_err("metrics %s: %s", addr->text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	metrics *m = calloc(1, sizeof *m);
	if (!m || (m->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(m);
		close(fd);
		return NULL;
	}
	m->fd = fd;
	snprintf(m->text, sizeof m->text, "%s", addr->text);
	for (int i = 0; i < METRICS_CLIENTS; i++)
		m->c[i].fd = -1;
	return m;
}

static void drop(client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void answer(metrics *m, client *c, const http_req *r)
{
	sbuf body = {0}, out = {0};
	const char *reason = "OK", *type = "text/plain; version=0.0.4; charset=utf-8", *extra = "";
	if (r->status == 200) {
		stats_snap *snap = aligned_alloc(64, (sizeof *snap + 63) / 64 * 64);
		if (snap) {
			server_stats(m->srv, snap);
			report_metrics(&body, snap, &m->srv->names);
			free(snap);
		}
		if (!snap || body.oom) {
			sb_free(&body);
			drop(c);
			return;
		}
	} else if (r->status == 404) {
		reason = "Not Found";
		sb_printf(&body, "only /metrics is here\n");
	} else if (r->status == 405) {
		reason = "Method Not Allowed";
		extra = "Allow: GET, HEAD\r\n";
		sb_printf(&body, "GET or HEAD only\n");
	} else {
		reason = "Bad Request";
		sb_printf(&body, "%s\n", r->why ? r->why : "bad request");
	}
	if (r->status != 200)
		type = "text/plain; charset=utf-8";
	sb_printf(&out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
	          r->status, reason, type, body.len, extra);
	if (!r->head && body.len)
		sb_put(&out, body.p, body.len);
	if (!out.oom)
		out_write_all(c->fd, out.p, out.len, METRICS_TIMEOUT_MS);
	sb_free(&body);
	sb_free(&out);
	shutdown(c->fd, SHUT_WR);
	drop(c);
}

static void on_readable(metrics *m, client *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (r <= 0) {
			drop(c);
			return;
		}
		c->len += (size_t)r;
		http_req req;
		if (http_parse(c->buf, c->len, &req)) {
			answer(m, c, &req);
			return;
		}
		if (c->len == sizeof c->buf) { /* http_parse answers 400 at the limit */
			drop(c);
			return;
		}
	}
}

static void on_accept(metrics *m)
{
	for (;;) {
		int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int slot = -1, oldest = 0;
		for (int i = 0; i < METRICS_CLIENTS; i++) {
			if (m->c[i].fd < 0 && slot < 0)
				slot = i;
			if (m->c[i].deadline < m->c[oldest].deadline)
				oldest = i;
		}
		if (slot < 0) { /* full: the oldest goes */
			drop(&m->c[oldest]);
			slot = oldest;
		}
		m->c[slot].fd = fd;
		m->c[slot].len = 0;
		m->c[slot].deadline = ms_now() + METRICS_TIMEOUT_MS;
	}
}

static void *metrics_main(void *arg)
{
	metrics *m = arg;
	struct pollfd pf[2 + METRICS_CLIENTS];
	int idx[2 + METRICS_CLIENTS];
	for (;;) {
		long long now = ms_now();
		int n = 0, timeout = -1;
		pf[n++] = (struct pollfd){.fd = m->stopfd, .events = POLLIN};
		pf[n++] = (struct pollfd){.fd = m->fd, .events = POLLIN};
		for (int i = 0; i < METRICS_CLIENTS; i++) {
			client *c = &m->c[i];
			if (c->fd < 0)
				continue;
			if (c->deadline <= now) { /* idle or slow: closed */
				drop(c);
				continue;
			}
			int left = (int)(c->deadline - now);
			if (timeout < 0 || left < timeout)
				timeout = left;
			idx[n] = i;
			pf[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
		}
		if (poll(pf, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("metrics: poll: %s", strerror(errno));
			return NULL;
		}
		if (pf[0].revents)
			return NULL;
		for (int k = 2; k < n; k++)
			if (pf[k].revents && m->c[idx[k]].fd == pf[k].fd)
				on_readable(m, &m->c[idx[k]]);
		if (pf[1].revents)
			on_accept(m);
	}
}

int metrics_start(metrics *m, server *s)
{
	m->srv = s;
	if (pthread_create(&m->thread, NULL, metrics_main, m))
		return -1;
	m->started = true;
	log_info("metrics on http://%s/metrics", m->text);
	return 0;
}

void metrics_stop(metrics *m)
{
	if (!m)
		return;
	if (m->started) {
		uint64_t one = 1;
		ssize_t r = write(m->stopfd, &one, sizeof one);
		(void)r;
		pthread_join(m->thread, NULL);
	}
	for (int i = 0; i < METRICS_CLIENTS; i++)
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
	close(m->fd);
	close(m->stopfd);
	free(m);
}
