/* client.c: see client.h. Blocking: the socket is blocking (tls_connect
 * leaves it so) and every wait is bounded by poll with the time left. */
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls/client.h"

static long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Waits until ssl has bytes to read (buffered or on the socket). 0, or -1
 * when the time is up. */
static int wait_readable(SSL *ssl, const struct timespec *t0, unsigned timeout_ms)
{
	if (SSL_pending(ssl) > 0)
		return 0;
	long left = (long)timeout_ms - ms_since(t0);
	if (left <= 0)
		return -1;
	struct pollfd p = {.fd = SSL_get_fd(ssl), .events = POLLIN};
	return poll(&p, 1, (int)left) == 1 ? 0 : -1;
}

static int write_all(SSL *ssl, const uint8_t *p, size_t n)
{
	while (n) {
		ERR_clear_error();
		int r = SSL_write(ssl, p, (int)n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_exact(SSL *ssl, uint8_t *p, size_t n, const struct timespec *t0, unsigned timeout_ms)
{
	while (n) {
		if (wait_readable(ssl, t0, timeout_ms))
			return -2;
		ERR_clear_error();
		int r = SSL_read(ssl, p, (int)n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

long tls_dot_exchange(SSL *ssl, const uint8_t *q, size_t qlen, uint8_t *ans, size_t cap, unsigned timeout_ms,
                      char *err, size_t errlen)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint8_t frame[2 + 65535];
	if (qlen > 65535) {
		snprintf(err, errlen, "query too long");
		return -1;
	}
	frame[0] = (uint8_t)(qlen >> 8);
	frame[1] = (uint8_t)qlen;
	memcpy(frame + 2, q, qlen);
	if (write_all(ssl, frame, qlen + 2)) {
		snprintf(err, errlen, "write failed");
		return -1;
	}
	uint8_t hdr[2];
	int r = read_exact(ssl, hdr, 2, &t0, timeout_ms);
	size_t n = (size_t)hdr[0] << 8 | hdr[1];
	if (!r && n > cap) {
		snprintf(err, errlen, "answer of %zu bytes does not fit", n);
		return -1;
	}
	if (!r)
		r = read_exact(ssl, ans, n, &t0, timeout_ms);
	if (r) {
		snprintf(err, errlen, r == -2 ? "timed out after %u ms" : "connection closed", timeout_ms);
		return -1;
	}
	return (long)n;
}

struct tls_doh {
	SSL *ssl;
	nghttp2_session *s;
	char authority[256], path[256];
	/* the request in progress */
	int32_t stream;
	bool done;
	int status;
	uint8_t *ans;
	size_t cap, len;
	bool overflow;
	const uint8_t *body;
	size_t body_len, body_off;
};

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *user)
{
	(void)s;
	(void)flags;
	tls_doh *d = user;
	return write_all(d->ssl, data, len) ? NGHTTP2_ERR_CALLBACK_FAILURE : (ssize_t)len;
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
	(void)s;
	(void)flags;
	tls_doh *d = user;
	if (f->hd.stream_id == d->stream && nlen == 7 && !memcmp(name, ":status", 7) && vlen == 3)
		d->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
	return 0;
}

static int data_cb(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
	(void)s;
	(void)flags;
	tls_doh *d = user;
	if (id != d->stream)
		return 0;
	if (d->len + len > d->cap) {
		d->overflow = true;
		return 0;
	}
	memcpy(d->ans + d->len, data, len);
	d->len += len;
	return 0;
}

static int close_cb(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
	(void)s;
	(void)code;
	tls_doh *d = user;
	if (id == d->stream)
		d->done = true;
	return 0;
}

static ssize_t body_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                       nghttp2_data_source *src, void *user)
{
	(void)s;
	(void)id;
	(void)src;
	tls_doh *d = user;
	size_t n = d->body_len - d->body_off;
	if (n > len)
		n = len;
	memcpy(buf, d->body + d->body_off, n);
	d->body_off += n;
	if (d->body_off == d->body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

tls_doh *tls_doh_new(SSL *ssl, const char *authority, const char *path)
{
	tls_doh *d = calloc(1, sizeof *d);
	nghttp2_session_callbacks *cb = NULL;
	if (!d || nghttp2_session_callbacks_new(&cb))
		goto fail;
	d->ssl = ssl;
	snprintf(d->authority, sizeof d->authority, "%s", authority);
	snprintf(d->path, sizeof d->path, "%s", path);
	nghttp2_session_callbacks_set_send_callback(cb, send_cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, header_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, data_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, close_cb);
	int rc = nghttp2_session_client_new(&d->s, cb, d);
	nghttp2_session_callbacks_del(cb);
	if (rc || nghttp2_submit_settings(d->s, NGHTTP2_FLAG_NONE, NULL, 0))
		goto fail;
	return d;
fail:
	tls_doh_free(d);
	return NULL;
}

void tls_doh_free(tls_doh *d)
{
	if (!d)
		return;
	if (d->s)
		nghttp2_session_del(d->s);
	free(d);
}

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}

long tls_doh_exchange(tls_doh *d, bool get, const uint8_t *q, size_t qlen, uint8_t *ans, size_t cap,
                      int *status, unsigned timeout_ms, char *err, size_t errlen)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*status = 0;
	size_t plen = strlen(d->path);
	char *path = malloc(plen + 6 + qlen / 3 * 4 + 8);
	if (!path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(path, d->path, plen + 1);
	if (get) { /* RFC 8484 4.1: base64url without padding */
		size_t o = plen;
		memcpy(path + o, "?dns=", 5);
		o += 5;
		for (size_t i = 0; i < qlen; i += 3) {
			uint32_t v = (uint32_t)q[i] << 16 | (i + 1 < qlen ? (uint32_t)q[i + 1] << 8 : 0) |
			             (i + 2 < qlen ? q[i + 2] : 0);
			size_t n = qlen - i >= 3 ? 4 : qlen - i + 1;
			for (size_t k = 0; k < n; k++)
				path[o++] = b64[v >> (18 - 6 * k) & 63];
		}
		path[o] = 0;
	}
	char clen[24];
	snprintf(clen, sizeof clen, "%zu", qlen);
	nghttp2_nv nv[] = {NV(":method", get ? "GET" : "POST"), NV(":scheme", "https"), NV(":authority", d->authority),
	                   NV(":path", path), NV("accept", "application/dns-message"),
	                   NV("content-type", "application/dns-message"), NV("content-length", clen)};
	d->done = false;
	d->overflow = false;
	d->status = 0;
	d->ans = ans;
	d->cap = cap;
	d->len = 0;
	d->body = q;
	d->body_len = qlen;
	d->body_off = 0;
	nghttp2_data_provider prov = {.read_callback = body_cb};
	d->stream = nghttp2_submit_request(d->s, NULL, nv, get ? 5 : 7, get ? NULL : &prov, d);
	free(path);
	if (d->stream < 0 || nghttp2_session_send(d->s)) {
		snprintf(err, errlen, "cannot send the HTTP/2 request");
		return -1;
	}
	uint8_t buf[16384];
	while (!d->done) {
		if (wait_readable(d->ssl, &t0, timeout_ms)) {
			snprintf(err, errlen, "timed out after %u ms", timeout_ms);
			return -1;
		}
		ERR_clear_error();
		int r = SSL_read(d->ssl, buf, sizeof buf);
		if (r <= 0) {
			snprintf(err, errlen, "connection closed");
			return -1;
		}
		if (nghttp2_session_mem_recv(d->s, buf, (size_t)r) < 0 || nghttp2_session_send(d->s)) {
			snprintf(err, errlen, "HTTP/2 protocol error");
			return -1;
		}
	}
	*status = d->status;
	if (d->status != 200) {
		snprintf(err, errlen, "HTTP status %d", d->status);
		return -1;
	}
	if (d->overflow) {
		snprintf(err, errlen, "answer too big");
		return -1;
	}
	return (long)d->len;
}
