/* h2.c: see h2.h. */
#include <ctype.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/name.h"
#include "tern/wire.h"
#include "tls/doh.h"
#include "tls/h2.h"

typedef struct h2_stream {
	struct h2_stream *next;
	int32_t id;
	uint16_t tag;      /* the DNS ID its query carries while answered */
	uint16_t orig_id;  /* the client's DNS ID */
	uint16_t qlen;     /* the query's question section (after the header) */
	uint8_t question[TERN_NAME_MAX + 4];
	bool asked;        /* handed to the callback, answer not submitted yet */
	bool answered;     /* a response was submitted */
	int status;        /* 0, or a refusal decided while reading */
	size_t header_bytes;
	char method[8];
	size_t method_len;
	char *path;        /* :path, up to H2_MAX_HEADER_BYTES */
	size_t path_len;
	char ctype[64];
	size_t ctype_len;
	bool have_ctype;
	uint8_t *body;     /* POST body, up to DOH_MAX_MSG */
	size_t body_len;
	/* the response body being sent */
	uint8_t *resp;
	size_t resp_len, resp_off;
	char clen[16], cctl[32];
} h2_stream;

struct h2_conn {
	nghttp2_session *s;
	h2_query_fn fn;
	void *user;
	h2_stream *streams;
	uint16_t next_tag;
	unsigned asked;
	bool fatal;
	size_t buffered; /* request bodies held, all streams (H2_MAX_BUFFERED) */
};

static h2_stream *stream_of(h2_conn *h, int32_t id)
{
	return nghttp2_session_get_stream_user_data(h->s, id);
}

static void stream_free(h2_conn *h, h2_stream *st)
{
	for (h2_stream **pp = &h->streams; *pp; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	if (st->asked)
		h->asked--;
	h->buffered -= st->body_len;
	free(st->path);
	free(st->body);
	free(st->resp);
	free(st);
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
	(void)s;
	(void)id;
	(void)user;
	h2_stream *st = src->ptr;
	size_t n = st->resp_len - st->resp_off;
	if (n > len)
		n = len;
	if (n)
		memcpy(buf, st->resp + st->resp_off, n);
	st->resp_off += n;
	if (st->resp_off == st->resp_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

#define NV(n, v, vl) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl), NGHTTP2_NV_FLAG_NONE}

/* Submits a response: status with an optional DNS message body. */
static int respond(h2_conn *h, h2_stream *st, int status, const uint8_t *msg, size_t len)
{
	if (st->answered)
		return 0;
	st->answered = true;
	char code[4] = {(char)('0' + status / 100 % 10), (char)('0' + status / 10 % 10), (char)('0' + status % 10), 0};
	nghttp2_nv nv[4] = {NV(":status", code, 3)};
	size_t nnv = 1;
	nghttp2_data_provider prov = {.source.ptr = st, .read_callback = read_body};
	if (msg) {
		st->resp = malloc(len);
		if (!st->resp)
			return -1;
		memcpy(st->resp, msg, len);
		st->resp_len = len;
		snprintf(st->clen, sizeof st->clen, "%zu", len);
		nv[nnv++] = (nghttp2_nv)NV("content-type", "application/dns-message", 23);
		nv[nnv++] = (nghttp2_nv)NV("content-length", st->clen, strlen(st->clen));
		long ttl = doh_min_ttl(msg, len);
		if (ttl >= 0) {
			snprintf(st->cctl, sizeof st->cctl, "max-age=%ld", ttl);
			nv[nnv++] = (nghttp2_nv)NV("cache-control", st->cctl, strlen(st->cctl));
		}
	} else {
		snprintf(st->clen, sizeof st->clen, "0");
		nv[nnv++] = (nghttp2_nv)NV("content-length", st->clen, 1);
	}
	int rc = nghttp2_submit_response(h->s, st->id, nv, nnv, msg ? &prov : NULL);
	return rc ? -1 : 0;
}

static uint16_t new_tag(h2_conn *h)
{
	for (;;) { /* ends: at most H2_MAX_STREAMS tags are in use */
		uint16_t t = h->next_tag++;
		bool used = false;
		for (h2_stream *st = h->streams; st && !used; st = st->next)
			used = st->asked && st->tag == t;
		if (!used)
			return t;
	}
}

/* The length of a query's first question (name + type + class), 0 when it
 * has none or it is not plain (the answer is then matched by tag alone). */
static uint16_t question_len(const uint8_t *msg, size_t len)
{
	if (len < 12 || tern_get_u16(msg + 4) == 0)
		return 0;
	size_t p = 12;
	while (p < len && msg[p] && msg[p] < 64)
		p += 1u + msg[p];
	if (p >= len || msg[p] || p + 5 > len || p + 5 - 12 > TERN_NAME_MAX + 4)
		return 0;
	return (uint16_t)(p + 5 - 12);
}

/* Does the answer's question repeat the stream's query's (the name's
 * letters in any case)? */
static bool same_question(const uint8_t *msg, size_t len, const h2_stream *st)
{
	if (len < 12 + (size_t)st->qlen)
		return false;
	const uint8_t *a = msg + 12, *b = st->question;
	size_t name = (size_t)st->qlen - 4;
	for (size_t i = 0; i < name; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return !memcmp(a + name, b + name, 4);
}

/* A request is complete: refuse it or hand its query over. */
static int request_done(h2_conn *h, h2_stream *st)
{
	if (st->status)
		return respond(h, st, st->status, NULL, 0);
	doh_request req = {.method = st->method, .method_len = st->method_len, .path = st->path,
	                   .path_len = st->path_len, .ctype = st->have_ctype ? st->ctype : NULL,
	                   .ctype_len = st->ctype_len, .body = st->body, .body_len = st->body_len};
	size_t len, cap = st->body_len + st->path_len; /* the message fits in either */
	uint8_t *msg = malloc(cap ? cap : 1);
	if (!msg)
		return -1;
	int status = doh_parse(&req, msg, cap, &len);
	h->buffered -= st->body_len; /* the body is the message now */
	free(st->body);
	st->body = NULL;
	st->body_len = 0;
	if (status != 200) {
		free(msg);
		return respond(h, st, status, NULL, 0);
	}
	st->orig_id = tern_get_u16(msg);
	st->qlen = question_len(msg, len);
	memcpy(st->question, msg + 12, st->qlen);
	st->tag = new_tag(h);
	st->asked = true;
	h->asked++;
	tern_put_u16(msg, st->tag);
	h->fn(h->user, msg, len);
	free(msg);
	return 0;
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	h2_conn *h = user;
	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	h2_stream *st = calloc(1, sizeof *st);
	if (!st)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->id = f->hd.stream_id;
	st->next = h->streams;
	h->streams = st;
	nghttp2_session_set_stream_user_data(s, f->hd.stream_id, st);
	return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
	(void)s;
	(void)flags;
	h2_conn *h = user;
	h2_stream *st = stream_of(h, f->hd.stream_id);
	if (!st || f->hd.type != NGHTTP2_HEADERS)
		return 0;
	st->header_bytes += nlen + vlen + 32; /* RFC 9113 6.5.2's accounting */
	if (st->header_bytes > H2_MAX_HEADER_BYTES) {
		st->status = 431;
		return 0;
	}
	if (nlen == 7 && !memcmp(name, ":method", 7)) {
		st->method_len = vlen < sizeof st->method ? vlen : sizeof st->method;
		memcpy(st->method, value, st->method_len);
		if (vlen >= sizeof st->method)
			st->method_len = 0; /* no method is that long: 405 */
	} else if (nlen == 5 && !memcmp(name, ":path", 5)) {
		char *p = realloc(st->path, vlen ? vlen : 1);
		if (!p)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		memcpy(p, value, vlen);
		st->path = p;
		st->path_len = vlen;
	} else if (nlen == 12 && !memcmp(name, "content-type", 12)) {
		st->have_ctype = true;
		st->ctype_len = vlen < sizeof st->ctype ? vlen : sizeof st->ctype;
		memcpy(st->ctype, value, st->ctype_len);
	}
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
	(void)s;
	(void)flags;
	h2_conn *h = user;
	h2_stream *st = stream_of(h, id);
	if (!st || st->status)
		return 0;
	if (st->body_len + len > DOH_MAX_MSG) {
		st->status = 413;
		return 0;
	}
	if (h->buffered + len > H2_MAX_BUFFERED) { /* many streams with big bodies */
		st->status = 503;
		return 0;
	}
	uint8_t *nb = realloc(st->body, st->body_len + len);
	if (!nb)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->body = nb;
	memcpy(st->body + st->body_len, data, len);
	st->body_len += len;
	h->buffered += len;
	return 0;
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	(void)s;
	h2_conn *h = user;
	if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) || !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	h2_stream *st = stream_of(h, f->hd.stream_id);
	if (!st || st->asked || st->answered)
		return 0;
	return request_done(h, st) ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t err, void *user)
{
	(void)s;
	(void)err;
	h2_conn *h = user;
	h2_stream *st = stream_of(h, id);
	if (st)
		stream_free(h, st);
	return 0;
}

h2_conn *h2_new(h2_query_fn fn, void *user)
{
	h2_conn *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->fn = fn;
	h->user = user;
	nghttp2_session_callbacks *cb;
	if (nghttp2_session_callbacks_new(&cb)) {
		free(h);
		return NULL;
	}
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	nghttp2_option *opt;
	int rc = nghttp2_option_new(&opt);
	if (!rc) {
		rc = nghttp2_session_server_new2(&h->s, cb, h, opt);
		nghttp2_option_del(opt);
	}
	nghttp2_session_callbacks_del(cb);
	if (rc) {
		free(h);
		return NULL;
	}
	nghttp2_settings_entry set[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS},
	                                {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, H2_MAX_HEADER_BYTES}};
	if (nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, set, 2)) {
		h2_free(h);
		return NULL;
	}
	return h;
}

void h2_free(h2_conn *h)
{
	if (!h)
		return;
	nghttp2_session_del(h->s); /* closes the streams through on_close */
	while (h->streams)
		stream_free(h, h->streams);
	free(h);
}

int h2_recv(h2_conn *h, const uint8_t *in, size_t len)
{
	ssize_t r = nghttp2_session_mem_recv(h->s, in, len);
	if (r < 0 || h->fatal)
		return -1;
	return 0;
}

int h2_answer(h2_conn *h, const uint8_t *msg, size_t len)
{
	if (len < 12)
		return 0;
	uint16_t tag = tern_get_u16(msg);
	h2_stream *st = h->streams;
	while (st && !(st->asked && !st->answered && st->tag == tag))
		st = st->next;
	if (!st)
		return 0; /* the client reset the stream meanwhile */
	/* a tag is reused once its stream is gone: the answer of a query
	 * whose stream was reset must not reach a newer stream that drew the
	 * same tag (the answer repeats the question, RFC 1035 4.1.2) */
	if (st->qlen && tern_get_u16(msg + 4) && !same_question(msg, len, st))
		return 0;
	st->asked = false;
	h->asked--;
	if (respond(h, st, 200, msg, len))
		return -1;
	tern_put_u16(st->resp, st->orig_id); /* sent later, by h2_pending */
	return 0;
}

long h2_pending(h2_conn *h, const uint8_t **out)
{
	ssize_t n = nghttp2_session_mem_send(h->s, out);
	return n < 0 ? -1 : (long)n;
}

bool h2_done(h2_conn *h)
{
	return !nghttp2_session_want_read(h->s) && !nghttp2_session_want_write(h->s);
}

unsigned h2_open_streams(const h2_conn *h)
{
	return h->asked;
}
