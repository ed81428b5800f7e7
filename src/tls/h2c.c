/* h2c.c: see h2c.h. */
#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/h2c.h"

#define MSG_MAX 65535

typedef struct h2c_stream {
	struct h2c_stream *next, **prev; /* the connection's open streams */
	uint32_t tag;
	int status;
	bool overflow;
	uint8_t *body;
	size_t len;
	uint8_t *req; /* the POST body */
	size_t req_len, req_off;
} h2c_stream;

struct h2c_conn {
	nghttp2_session *s;
	h2c_stream *streams;
	h2c_answer_fn fn;
	void *user;
	char authority[256];
	char path[256];
};

static void stream_free(h2c_stream *st)
{
	*st->prev = st->next;
	if (st->next)
		st->next->prev = st->prev;
	free(st->body);
	free(st->req);
	free(st);
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
	(void)flags;
	(void)user;
	h2c_stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
	if (st && nlen == 7 && !memcmp(name, ":status", 7) && vlen == 3)
		st->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
	(void)flags;
	(void)user;
	h2c_stream *st = nghttp2_session_get_stream_user_data(s, id);
	if (!st || st->overflow)
		return 0;
	if (st->len + len > MSG_MAX) {
		st->overflow = true;
		return 0;
	}
	uint8_t *nb = realloc(st->body, st->len + len);
	if (!nb)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->body = nb;
	memcpy(st->body + st->len, data, len);
	st->len += len;
	return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
	h2c_conn *h = user;
	h2c_stream *st = nghttp2_session_get_stream_user_data(s, id);
	if (!st)
		return 0;
	nghttp2_session_set_stream_user_data(s, id, NULL);
	int status = code == NGHTTP2_NO_ERROR && !st->overflow ? st->status : 0;
	h->fn(h->user, st->tag, status, st->body, st->len);
	stream_free(st);
	return 0;
}

static ssize_t read_req(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                        nghttp2_data_source *src, void *user)
{
	(void)s;
	(void)id;
	(void)user;
	h2c_stream *st = src->ptr;
	size_t n = st->req_len - st->req_off;
	if (n > len)
		n = len;
	memcpy(buf, st->req + st->req_off, n);
	st->req_off += n;
	if (st->req_off == st->req_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

h2c_conn *h2c_new(const char *authority, const char *path, h2c_answer_fn fn, void *user)
{
	h2c_conn *h = calloc(1, sizeof *h);
	nghttp2_session_callbacks *cb = NULL;
	if (!h || nghttp2_session_callbacks_new(&cb)) {
		free(h);
		return NULL;
	}
	h->fn = fn;
	h->user = user;
	snprintf(h->authority, sizeof h->authority, "%s", authority);
	snprintf(h->path, sizeof h->path, "%s", path);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	int rc = nghttp2_session_client_new(&h->s, cb, h);
	nghttp2_session_callbacks_del(cb);
	if (rc || nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, NULL, 0)) {
		h2c_free(h);
		return NULL;
	}
	return h;
}

void h2c_free(h2c_conn *h)
{
	if (!h)
		return;
	nghttp2_session_del(h->s); /* calls no callback */
	while (h->streams)
		stream_free(h->streams);
	free(h);
}

#define NV(n, v, vl) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl), NGHTTP2_NV_FLAG_NONE}

int h2c_request(h2c_conn *h, uint32_t tag, const uint8_t *msg, size_t len)
{
	h2c_stream *st = calloc(1, sizeof *st);
	if (!st || !(st->req = malloc(len ? len : 1))) {
		free(st);
		return -1;
	}
	st->tag = tag;
	memcpy(st->req, msg, len);
	st->req_len = len;
	char clen[16];
	snprintf(clen, sizeof clen, "%zu", len);
	nghttp2_nv nv[] = {NV(":method", "POST", 4),
	                   NV(":scheme", "https", 5),
	                   NV(":authority", h->authority, strlen(h->authority)),
	                   NV(":path", h->path, strlen(h->path)),
	                   NV("accept", "application/dns-message", 23),
	                   NV("content-type", "application/dns-message", 23),
	                   NV("content-length", clen, strlen(clen))};
	nghttp2_data_provider prov = {.source.ptr = st, .read_callback = read_req};
	st->next = h->streams;
	st->prev = &h->streams;
	if (h->streams)
		h->streams->prev = &st->next;
	h->streams = st;
	if (nghttp2_submit_request(h->s, NULL, nv, sizeof nv / sizeof nv[0], &prov, st) < 0) {
		stream_free(st);
		return -1;
	}
	return 0;
}

bool h2c_usable(h2c_conn *h)
{
	return nghttp2_session_check_request_allowed(h->s) != 0;
}

int h2c_recv(h2c_conn *h, const uint8_t *in, size_t len)
{
	return nghttp2_session_mem_recv(h->s, in, len) < 0 ? -1 : 0;
}

long h2c_pending(h2c_conn *h, const uint8_t **out)
{
	ssize_t n = nghttp2_session_mem_send(h->s, out);
	return n < 0 ? -1 : (long)n;
}
