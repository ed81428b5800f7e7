/* tlsup.c: see tlsup.h. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server/log.h"
#include "server/tlsup.h"
#include "server/worker.h"
#include "tern/wire.h"
#include "tls/h2c.h"
#include "tls/tls.h"

typedef struct tlsup_conn {
	int fd; /* -1: the slot is free */
	SSL *ssl;
	h2c_conn *h2; /* DoH upstream: its HTTP/2 session; NULL for DoT */
	/* during an event, for the HTTP/2 answer callback */
	worker *w;
	const version *v;
	int idx;
	uint64_t now;
	bool connected;   /* TCP connected */
	bool want_write;  /* TLS waits for the socket to be writable */
	bool busy, dead;  /* in an event / to close when it returns */
	uint32_t events;
	struct sockaddr_storage addr;
	socklen_t len;
	fwd_tls tls;
	char text[64];
	uint8_t *rbuf; /* answers: 2-byte length, message */
	size_t rlen, rcap;
	uint8_t *wbuf; /* questions not yet taken by SSL_write */
	size_t wlen, woff, wcap;
	uint64_t last_ms;
} tlsup_conn;

#define EV_TLSUP_DATA(idx) ((uint64_t)TLSUP_EV_KIND << 56 | (uint32_t)(idx))

/* A TLS upstream that keeps failing would log each retry: one warning a
 * second per worker, the rest at debug level. */
#define WARN(w, now, ...)                                             \
	do {                                                          \
		if ((now) - (w)->tlsup_warned_ms >= 1000) {           \
			(w)->tlsup_warned_ms = (now);                 \
			log_warn(__VA_ARGS__);                        \
		} else {                                              \
			log_debug(__VA_ARGS__);                       \
		}                                                     \
	} while (0)

static bool same_upstream(const tlsup_conn *c, const upstream *us)
{
	return c->len == us->len && !memcmp(&c->addr, &us->addr, us->len) && c->tls.pinned == us->tls.pinned &&
	       !memcmp(c->tls.pin, us->tls.pin, sizeof c->tls.pin) && !strcmp(c->tls.name, us->tls.name) &&
	       c->tls.https == us->tls.https && !strcmp(c->tls.path, us->tls.path);
}

static void conn_free(worker *w, tlsup_conn *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	SSL_free(c->ssl);
	h2c_free(c->h2);
	close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	memset(c, 0, sizeof *c);
	c->fd = -1;
	ERR_clear_error();
}

static bool outstanding(const worker *w, int idx)
{
	for (unsigned i = 0, seen = 0; w->upqs && i < UPQ_MAX && seen < w->nupqs; i++) {
		const upq *u = &w->upqs[i];
		if (!u->p)
			continue;
		seen++;
		if (u->state == UPQ_TLS && u->tlsup == idx)
			return true;
	}
	return false;
}

/* The connection failed: it is closed and every question on it goes on to
 * its next upstream. */
static void fail_all(worker *w, const version *v, int idx, uint64_t now)
{
	conn_free(w, &w->tlsups[idx]);
	for (unsigned i = 0; w->upqs && i < UPQ_MAX; i++) {
		upq *u = &w->upqs[i];
		if (u->p && u->state == UPQ_TLS && u->tlsup == idx) {
			u->tlsup = -1;
			worker_upq_failed(w, v, u, now);
		}
	}
}

static void set_events(worker *w, int idx)
{
	tlsup_conn *c = &w->tlsups[idx];
	uint32_t want = EPOLLIN | (!c->connected || c->want_write || c->woff < c->wlen ? EPOLLOUT : 0);
	if (want == c->events)
		return;
	struct epoll_event ev = {.events = want, .data.u64 = EV_TLSUP_DATA(idx)};
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = want;
}

static void h2_answer_cb(void *user, uint32_t tag, int status, const uint8_t *body, size_t len);

static int open_conn(worker *w, const version *v, const upstream *us)
{
	int idx = -1;
	for (int i = 0; i < TLSUP_MAX && idx < 0; i++)
		if (w->tlsups[i].fd < 0)
			idx = i;
	for (int i = 0; i < TLSUP_MAX && idx < 0; i++) /* all taken: one with nothing outstanding goes */
		if (!w->tlsups[i].busy && !outstanding(w, i)) {
			conn_free(w, &w->tlsups[i]);
			idx = i;
		}
	if (!v->tls_client)
		return -1;
	if (idx < 0)
		return -2; /* every connection busy: as unreachable, the next upstream */
	tlsup_conn *c = &w->tlsups[idx];
	c->fd = socket(us->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	tls_pin pin;
	memcpy(pin.sha256, us->tls.pin, sizeof pin.sha256);
	c->ssl = tls_client_ssl(v->tls_client, c->fd, us->tls.name[0] ? us->tls.name : NULL,
	                        us->tls.pinned ? &pin : NULL, us->tls.https ? "h2" : "dot");
	if (c->ssl && us->tls.https) {
		char host[64]; /* :authority: the name, else the address without its port */
		snprintf(host, sizeof host, "%s", us->text);
		char *cut = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
		if (cut)
			cut[host[0] == '['] = 0; /* "[::1]:443" -> "[::1]", "192.0.2.1:443" -> "192.0.2.1" */
		c->h2 = h2c_new(us->tls.name[0] ? us->tls.name : host, us->tls.path, h2_answer_cb, c);
		if (!c->h2) {
			SSL_free(c->ssl);
			c->ssl = NULL;
		}
	}
	c->events = EPOLLIN | EPOLLOUT;
	struct epoll_event ev = {.events = c->events, .data.u64 = EV_TLSUP_DATA(idx)};
	if (!c->ssl || (connect(c->fd, (const struct sockaddr *)&us->addr, us->len) && errno != EINPROGRESS) ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev)) {
		if (c->ssl) {
			SSL_free(c->ssl);
			c->ssl = NULL;
		}
		h2c_free(c->h2);
		c->h2 = NULL;
		close(c->fd);
		c->fd = -1;
		return -2;
	}
	c->addr = us->addr;
	c->len = us->len;
	c->tls = us->tls;
	memcpy(c->text, us->text, sizeof c->text);
	return idx;
}

/* Writes what is queued. Marks the connection dead on an error. */
static int stage(tlsup_conn *c, const uint8_t *p, size_t n)
{
	if (c->wlen + n > c->wcap) {
		if (c->woff) {
			memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
		}
		size_t ncap = c->wcap ? c->wcap : 4096;
		while (ncap < c->wlen + n)
			ncap *= 2;
		if (ncap > c->wcap) {
			uint8_t *nb = realloc(c->wbuf, ncap);
			if (!nb)
				return -1;
			c->wbuf = nb;
			c->wcap = ncap;
		}
	}
	memcpy(c->wbuf + c->wlen, p, n);
	c->wlen += n;
	return 0;
}

static void flush(tlsup_conn *c)
{
	c->want_write = false;
	for (long n = 1; c->h2 && n > 0 && SSL_is_init_finished(c->ssl);) {
		const uint8_t *p;
		n = h2c_pending(c->h2, &p);
		if (n < 0 || (n > 0 && stage(c, p, (size_t)n))) {
			c->dead = true;
			return;
		}
	}
	while (c->woff < c->wlen && SSL_is_init_finished(c->ssl)) {
		ERR_clear_error();
		int r = SSL_write(c->ssl, c->wbuf + c->woff, (int)(c->wlen - c->woff));
		if (r > 0) {
			c->woff += (size_t)r;
			continue;
		}
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE)
			c->want_write = true;
		else if (e != SSL_ERROR_WANT_READ)
			c->dead = true;
		return;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
}

int tlsup_send(worker *w, const version *v, upq *u, const upstream *us, uint64_t now)
{
	if (!w->tlsups) {
		w->tlsups = calloc(TLSUP_MAX, sizeof *w->tlsups);
		if (!w->tlsups)
			return -1;
		for (int i = 0; i < TLSUP_MAX; i++)
			w->tlsups[i].fd = -1;
	}
	int idx = -1;
	for (int i = 0; i < TLSUP_MAX && idx < 0; i++)
		if (w->tlsups[i].fd >= 0 && !w->tlsups[i].dead && same_upstream(&w->tlsups[i], us) &&
		    (!w->tlsups[i].h2 || h2c_usable(w->tlsups[i].h2)))
			idx = i;
	if (idx < 0)
		idx = open_conn(w, v, us);
	if (idx == -2)
		return 1; /* cannot connect: the next upstream */
	if (idx < 0)
		return -1;
	tlsup_conn *c = &w->tlsups[idx];
	/* an ID no other question on this connection has */
	for (bool clash = true; clash;) {
		fwd_random(&u->id, sizeof u->id);
		clash = false;
		for (unsigned i = 0; i < UPQ_MAX && !clash; i++) {
			const upq *o = &w->upqs[i];
			clash = o != u && o->p && o->state == UPQ_TLS && o->tlsup == idx && o->id == u->id;
		}
	}
	int qlen = fwd_make_query(u->q, sizeof u->q, u->id, u->name, u->qtype, u->cd);
	if (qlen <= 0)
		return -1;
	u->qlen = (uint16_t)qlen;
	if (c->h2) { /* DoH: a POST whose stream carries the ID (RFC 8484 4.1) */
		if (h2c_request(c->h2, u->id, u->q, u->qlen))
			return -1;
	} else {
		uint8_t len2[2];
		tern_put_u16(len2, u->qlen);
		if (stage(c, len2, 2) || stage(c, u->q, u->qlen))
			return -1;
	}
	u->state = UPQ_TLS;
	u->tlsup = idx;
	u->fd = -1;
	if (!c->busy) {
		flush(c);
		if (c->dead) { /* u is told by our return; the others through fail_all */
			u->tlsup = -1;
			fail_all(w, v, idx, now);
			return 1;
		}
		set_events(w, idx);
	}
	return 0;
}

static upq *question_of(worker *w, int idx, uint16_t id)
{
	for (unsigned i = 0, seen = 0; i < UPQ_MAX && seen < w->nupqs; i++) {
		upq *u = &w->upqs[i];
		if (!u->p)
			continue;
		seen++;
		if (u->state == UPQ_TLS && u->tlsup == idx && u->id == id)
			return u;
	}
	return NULL;
}

/* DoH: a response on the stream of question `tag` (its ID). */
static void h2_answer_cb(void *user, uint32_t tag, int status, const uint8_t *body, size_t len)
{
	tlsup_conn *c = user;
	upq *u = question_of(c->w, c->idx, (uint16_t)tag);
	if (!u) /* the question moved on */
		return;
	if (status == 200 && len >= 12) {
		worker_upq_answer(c->w, c->v, u, body, len, c->now);
		return;
	}
	log_debug("DoH upstream %s: HTTP status %d", c->text, status);
	u->tlsup = -1;
	worker_upq_failed(c->w, c->v, u, c->now);
}

/* Reads answers and hands each to its question. */
static void read_answers(worker *w, const version *v, int idx, uint64_t now)
{
	tlsup_conn *c = &w->tlsups[idx];
	for (int k = 0; k < 8 && !c->dead; k++) {
		if (c->rcap < c->rlen + 16384) {
			size_t ncap = c->rlen + 16384;
			uint8_t *nb = realloc(c->rbuf, ncap);
			if (!nb) {
				c->dead = true;
				return;
			}
			c->rbuf = nb;
			c->rcap = ncap;
		}
		ERR_clear_error();
		int r = SSL_read(c->ssl, c->rbuf + c->rlen, 16384);
		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_WRITE)
				c->want_write = true;
			else if (e != SSL_ERROR_WANT_READ)
				c->dead = true; /* closed or failed */
			return;
		}
		c->last_ms = now;
		if (c->h2) {
			if (h2c_recv(c->h2, c->rbuf + c->rlen, (size_t)r))
				c->dead = true;
			continue;
		}
		c->rlen += (size_t)r;
		size_t off = 0;
		while (c->rlen - off >= 2 && c->rlen - off >= 2 + (size_t)tern_get_u16(c->rbuf + off)) {
			size_t len = tern_get_u16(c->rbuf + off);
			const uint8_t *msg = c->rbuf + off + 2;
			off += 2 + len;
			upq *u = len >= 12 ? question_of(w, idx, tern_get_u16(msg)) : NULL;
			if (u) /* else late (the question moved on) or stray: dropped */
				worker_upq_answer(w, v, u, msg, len, now);
		}
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
}

void tlsup_event(worker *w, const version *v, unsigned idx, uint32_t events, uint64_t now)
{
	if (!w->tlsups || idx >= TLSUP_MAX || w->tlsups[idx].fd < 0)
		return;
	tlsup_conn *c = &w->tlsups[idx];
	c->w = w;
	c->v = v;
	c->idx = (int)idx;
	c->now = now;
	char err[300];
	if (!c->connected) {
		int so = 0;
		socklen_t sl = sizeof so;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &sl);
		if (so) {
			WARN(w, now, "TLS upstream %s: cannot connect: %s", c->text, strerror(so));
			fail_all(w, v, (int)idx, now);
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLIN)))
			return;
		c->connected = true;
	}
	if (!SSL_is_init_finished(c->ssl)) {
		ERR_clear_error();
		int r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				c->want_write = e == SSL_ERROR_WANT_WRITE;
				set_events(w, (int)idx);
				return;
			}
			tls_error_text(c->ssl, r, err, sizeof err);
			WARN(w, now, "TLS upstream %s%s%s: %s; not used (no fallback to clear text)", c->text,
			         c->tls.name[0] ? " name " : "", c->tls.name, err);
			fail_all(w, v, (int)idx, now);
			return;
		}
		tls_pin pin;
		memcpy(pin.sha256, c->tls.pin, sizeof pin.sha256);
		if (c->tls.pinned && tls_check_pin(c->ssl, &pin, err, sizeof err)) {
			WARN(w, now, "TLS upstream %s: %s; not used (no fallback to clear text)", c->text, err);
			fail_all(w, v, (int)idx, now);
			return;
		}
		c->last_ms = now;
	}
	c->busy = true;
	flush(c);
	if (!c->dead)
		read_answers(w, v, (int)idx, now);
	if (!c->dead)
		flush(c);
	c->busy = false;
	if (c->fd < 0)
		return;
	if (c->dead || (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN))) {
		if (outstanding(w, (int)idx))
			log_info("TLS upstream %s: connection lost with questions outstanding", c->text);
		fail_all(w, v, (int)idx, now);
		return;
	}
	set_events(w, (int)idx);
}

void tlsup_sweep(worker *w, uint64_t now, uint64_t idle_ms)
{
	for (int i = 0; w->tlsups && i < TLSUP_MAX; i++) {
		tlsup_conn *c = &w->tlsups[i];
		if (c->fd >= 0 && (now - c->last_ms >= idle_ms || (c->h2 && !h2c_usable(c->h2))) && !outstanding(w, i))
			conn_free(w, c);
	}
}

void tlsup_cleanup(worker *w)
{
	for (int i = 0; w->tlsups && i < TLSUP_MAX; i++)
		conn_free(w, &w->tlsups[i]);
	free(w->tlsups);
	w->tlsups = NULL;
}
