/* tlsconn.c: see tlsconn.h.
 *
 * I/O: non-blocking SSL_read/SSL_write on the connection's socket, epoll
 * interest following what TLS waits for (WANT_READ: EPOLLIN, which is
 * always on while the connection may read; WANT_WRITE or bytes queued:
 * EPOLLOUT). Plaintext to send is staged in the tcp_conn's wbuf and given
 * to SSL_write from there (partial writes on, so it behaves like send).
 *
 * Reading takes up to READ_RECORDS TLS records per event (a record is at
 * most 16 KiB of plaintext; OpenSSL reads no further than the record it
 * needs, so what is left stays in the socket and epoll reports it again):
 * one busy connection cannot hold the worker. While more than
 * WQUEUE_MAX bytes of answers wait to be written, the connection is not
 * read (backpressure), as plain TCP.
 *
 * DoT: the plaintext is 2-byte framed DNS messages, answered as they come
 * (a forwarded one later, when its upstream answer arrives: out of order,
 * RFC 7858 3.3). DoH: the plaintext is HTTP/2 (h2.c); each request's query
 * goes the same way, and its answer comes back through tlsconn_send.
 *
 * Every answer with EDNS is padded to a multiple of 468 bytes (RFC 8467
 * 4.1, pad.h) on its way out, whichever transport. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "server/log.h"
#include "server/tlsconn.h"
#include "server/worker.h"
#include "tern/wire.h"
#include "tls/h2.h"
#include "tls/pad.h"
#include "tls/tls.h"

#define READ_RECORDS 4
#define RECORD_MAX 16384
#define WQUEUE_MAX 65536

struct tls_conn {
	SSL *ssl;
	h2_conn *h2;      /* DoH; NULL for DoT */
	bool busy;        /* inside a read: a failure only marks dead */
	bool dead;        /* close at the end of the current event */
	bool eof;         /* the peer closed (close_notify or FIN) */
	bool want_write;  /* TLS needs the socket writable to go on */
	uint32_t events;  /* the epoll interest set now */
	/* the event's worker, version, slot, clock: for the h2 callback */
	worker *w;
	const version *v;
	unsigned slot;
	uint64_t now;
};

int tlsconn_ctx_build(version *v)
{
	const config *c = &v->cfg;
	char err[512];
	bool upstream_tls = false;
	for (size_t i = 0; i < c->nforward; i++)
		upstream_tls |= c->forward[i].tls.on;
	if (upstream_tls && !(v->tls_client = tls_client_new(c->tls_ca_file, err, sizeof err))) {
		log_err("%s", err);
		return -1;
	}
	if (!c->tls_cert || !c->tls_key)
		return 0;
	v->tls = tls_server_new(c->tls_cert, c->tls_key, err, sizeof err);
	if (!v->tls) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

/* The version and policy view a query of connection i is answered with:
 * the client's group's (query.h, version_for_client), decided by the
 * connection's TCP peer address, as for plain TCP. A DoH request's headers
 * (X-Forwarded-For, Forwarded) are never looked at: whoever can set them
 * would choose their group. */
static const version *client_version(worker *w, const version *v, unsigned i, version *tmp, const pol_view **view,
                                     bool *allowed)
{
	const struct sockaddr *peer = (const struct sockaddr *)&w->conns[i].peer;
	const version *qv = version_for_client(v, peer, tmp, view);
	*allowed = qv->res && config_allowed(&qv->cfg, peer);
	return qv;
}

static void h2_query(void *user, uint8_t *msg, size_t len)
{
	struct tls_conn *t = user;
	version gv;
	const pol_view *view;
	bool allowed;
	const version *qv = client_version(t->w, t->v, t->slot, &gv, &view, &allowed);
	worker_conn_query(t->w, qv, t->slot, msg, len, allowed, view, STATS_DOH, t->now);
}

int tlsconn_accept(worker *w, const version *v, unsigned i, int transport)
{
	tcp_conn *c = &w->conns[i];
	if (!v->tls)
		return -1;
	struct tls_conn *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	t->ssl = tls_server_ssl(v->tls, c->fd, transport == CFG_HTTPS ? TLS_ALPN_H2 : TLS_ALPN_DOT);
	if (transport == CFG_HTTPS)
		t->h2 = h2_new(h2_query, t);
	if (!t->ssl || (transport == CFG_HTTPS && !t->h2)) {
		SSL_free(t->ssl);
		h2_free(t->h2);
		free(t);
		return -1;
	}
	t->events = EPOLLIN;
	c->tls = t;
	return 0;
}

void tlsconn_free(tcp_conn *c)
{
	struct tls_conn *t = c->tls;
	if (!t)
		return;
	if (SSL_is_init_finished(t->ssl) && !t->dead)
		SSL_shutdown(t->ssl); /* close_notify, if the socket takes it */
	SSL_free(t->ssl);
	h2_free(t->h2);
	free(t);
	c->tls = NULL;
	ERR_clear_error();
}

/* Stages n bytes of plaintext for sending. -1: out of memory. */
static int stage(tcp_conn *c, const uint8_t *data, size_t n)
{
	if (c->woff && c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->wlen + n > c->wcap) {
		if (c->woff) { /* reclaim what was written */
			memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
		}
		if (c->wlen + n > c->wcap) {
			size_t ncap = c->wcap ? c->wcap : 4096;
			while (ncap < c->wlen + n)
				ncap *= 2;
			uint8_t *nb = realloc(c->wbuf, ncap);
			if (!nb)
				return -1;
			c->wbuf = nb;
			c->wcap = ncap;
		}
	}
	memcpy(c->wbuf + c->wlen, data, n);
	c->wlen += n;
	return 0;
}

/* Writes what is staged (and, for DoH, what HTTP/2 has to send) until
 * TLS or the socket says wait. Marks the connection dead on an error. */
static void flush(tcp_conn *c)
{
	struct tls_conn *t = c->tls;
	t->want_write = false;
	for (;;) { /* ends: each turn writes bytes, or returns */
		/* every frame HTTP/2 has ready (nghttp2 gives one at a time)
		 * goes into one write: one TLS record, one system call */
		for (long n = 1; t->h2 && n > 0 && c->wlen - c->woff < WQUEUE_MAX;) {
			const uint8_t *p;
			n = h2_pending(t->h2, &p);
			if (n < 0 || (n > 0 && stage(c, p, (size_t)n))) {
				t->dead = true;
				return;
			}
		}
		if (c->woff == c->wlen)
			return;
		if (!SSL_is_init_finished(t->ssl))
			return; /* the handshake goes on in SSL_read */
		ERR_clear_error();
		int r = SSL_write(t->ssl, c->wbuf + c->woff, (int)(c->wlen - c->woff > 1 << 30 ? 1 << 30 : c->wlen - c->woff));
		if (r > 0) {
			c->woff += (size_t)r;
			continue;
		}
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE) {
			t->want_write = true;
			return;
		}
		if (e == SSL_ERROR_WANT_READ)
			return;
		t->dead = true;
		return;
	}
}

/* EPOLLOUT while TLS waits to write, or bytes are queued once the
 * handshake is done (before, what is staged waits for SSL_read to finish
 * the handshake: asking for EPOLLOUT then would spin), or a zone transfer
 * has messages to write. */
static uint32_t out_interest(const tcp_conn *c)
{
	const struct tls_conn *t = c->tls;
	return t->want_write || ((c->woff < c->wlen || c->xfr) && SSL_is_init_finished(t->ssl)) ? EPOLLOUT : 0;
}

/* RFC 9103 (XFR over TLS), the conditions a transfer on a TLS connection
 * must meet: it is DNS over TLS ("XoT" is zone transfers over DoT; no
 * transfer over DoH is defined), the ALPN token "dot" was selected in the
 * handshake ("Connection Establishment": MUST), and the TLS version is 1.3
 * or later ("TLS Versions": implementations MUST use only TLS 1.3 or later). */
const char *tlsconn_xfr_refusal(const tcp_conn *c)
{
	const struct tls_conn *t = c->tls;
	if (t->h2)
		return "no zone transfer over DoH";
	if (tls_alpn_of(t->ssl) != TLS_ALPN_DOT)
		return "XoT needs ALPN dot (RFC 9103)";
	if (SSL_version(t->ssl) < TLS1_3_VERSION)
		return "XoT needs TLS 1.3 (RFC 9103)";
	return NULL;
}

/* DoT: answers every complete frame in rbuf; keeps a partial one. */
static void dot_frames(worker *w, const version *v, unsigned i, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	struct tls_conn *t = c->tls;
	size_t off = 0;
	version gv;
	const pol_view *view;
	bool allowed;
	const version *qv = client_version(w, v, i, &gv, &view, &allowed);
	while (!t->dead && !c->xfr && c->rlen - off >= 2) {
		size_t flen = tern_get_u16(c->rbuf + off);
		if (flen < 12) { /* a zero or short frame cannot be a query */
			t->dead = true;
			return;
		}
		if (c->rlen - off < 2 + flen)
			break;
		worker_conn_query(w, qv, i, c->rbuf + off + 2, flen, allowed, view, STATS_DOT, now);
		off += 2 + flen;
		if (c->fd < 0 || c->tls != t)
			return;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static void read_records(worker *w, const version *v, unsigned i, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	struct tls_conn *t = c->tls;
	for (int k = 0; k < READ_RECORDS && !t->dead && !t->eof && c->wlen - c->woff < WQUEUE_MAX; k++) {
		uint8_t buf[RECORD_MAX];
		uint8_t *dst = buf;
		if (!t->h2) { /* DoT: decrypt straight into the frame buffer */
			if (c->rcap - c->rlen < RECORD_MAX) {
				uint8_t *nb = realloc(c->rbuf, c->rlen + RECORD_MAX);
				if (!nb) {
					t->dead = true;
					return;
				}
				c->rbuf = nb;
				c->rcap = c->rlen + RECORD_MAX;
			}
			dst = c->rbuf + c->rlen;
		}
		ERR_clear_error();
		int r = SSL_read(t->ssl, dst, RECORD_MAX);
		if (r <= 0) {
			int e = SSL_get_error(t->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				return;
			if (e == SSL_ERROR_WANT_WRITE) {
				t->want_write = true;
				return;
			}
			if (e == SSL_ERROR_ZERO_RETURN)
				t->eof = true;
			else
				t->dead = true;
			if (!SSL_is_init_finished(t->ssl)) {
				char err[256];
				tls_error_text(t->ssl, r, err, sizeof err);
				log_debug("TLS client: %s", err);
			}
			return;
		}
		if (t->h2) {
			if (h2_recv(t->h2, buf, (size_t)r))
				t->dead = true;
		} else {
			c->rlen += (size_t)r;
			dot_frames(w, v, i, now);
		}
		if (c->fd < 0 || c->tls != t)
			return;
	}
}

void tlsconn_event(worker *w, const version *v, unsigned i, uint32_t events, uint64_t now)
{
	tcp_conn *c = &w->conns[i];
	struct tls_conn *t = c->tls;
	t->w = w;
	t->v = v;
	t->slot = i;
	t->now = now;
	t->busy = true;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		flush(c);
	if (!t->dead && !c->xfr) /* not read while a transfer runs, as TCP */
		read_records(w, v, i, now);
	if (c->fd < 0 || c->tls != t)
		return;
	if (!t->dead)
		flush(c);
	/* a zone transfer (RFC 9103): its next messages while TLS takes them
	 * (each staged, then written), a few per event; EPOLLOUT brings the
	 * worker back for the rest */
	for (int k = 0; k < 4 && c->xfr && !t->dead && c->woff == c->wlen; k++) {
		worker_xfr_pump(w, i, now);
		if (c->fd < 0 || c->tls != t)
			return;
		if (!t->dead)
			flush(c);
	}
	t->busy = false;
	bool done = t->eof && !c->xfr && c->woff == c->wlen && (!t->h2 || h2_open_streams(t->h2) == 0);
	if (t->h2 && h2_done(t->h2) && c->woff == c->wlen)
		done = true;
	if (t->dead || done || (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN))) {
		worker_conn_close(w, i);
		return;
	}
	/* a DoT client that closed its side may still wait for answers
	 * to come from upstream: stop reading, keep the connection */
	uint32_t want = (t->eof || c->xfr || c->wlen - c->woff >= WQUEUE_MAX ? 0 : EPOLLIN) | out_interest(c);
	if (want != t->events) {
		t->events = want;
		worker_conn_events(w, i, want);
	}
}

int tlsconn_send(worker *w, unsigned i, const uint8_t *data, size_t n)
{
	tcp_conn *c = &w->conns[i];
	struct tls_conn *t = c->tls;
	uint8_t padded[2 + 65535]; /* EDNS padding, RFC 8467 (pad.h) */
	if (n >= 2 + 12 && n <= sizeof padded) {
		memcpy(padded, data, n);
		size_t len = tls_pad_response(padded + 2, n - 2, sizeof padded - 2);
		tern_put_u16(padded, (uint16_t)len);
		data = padded;
		n = len + 2;
	}
	int bad;
	if (t->h2)
		bad = n < 2 || h2_answer(t->h2, data + 2, n - 2);
	else
		bad = stage(c, data, n);
	if (bad)
		t->dead = true;
	if (t->busy)
		return t->dead ? -1 : 0; /* tlsconn_event flushes and closes */
	if (!t->dead)
		flush(c);
	if (t->dead) {
		worker_conn_close(w, i);
		return -1;
	}
	uint32_t want = t->events | out_interest(c);
	if (want != t->events) {
		t->events = want;
		worker_conn_events(w, i, want);
	}
	return 0;
}
