/* fuzz_doh.c: DNS over HTTPS requests: the request parser (doh.c) and the
 * HTTP/2 server session (h2.c over nghttp2).
 *
 * The first byte picks the mode:
 *  - even: the rest is "METHOD\nPATH\nCONTENT-TYPE\nBODY" (a missing line
 *    is an empty one; content type "-" is none) for doh_parse. Checks: the
 *    status is one of the documented ones; a 200 holds 12..65535 bytes;
 *    a GET's message encodes back to the dns= value (base64url is
 *    canonical); doh_min_ttl reads any message without harm; padding it
 *    (pad.c) gives a multiple of 468 or leaves it alone.
 *  - 1 (mod 3): the rest is what a client sends after the connection
 *    preface: HTTP/2 frames into h2_recv. Every query handed over is
 *    answered at once with itself (through h2_answer); the output is
 *    drained. Checks: no crash, no leak, queries carry at least a header.
 *  - 2 (mod 3): the rest is what a DoH upstream sends (its SETTINGS, then
 *    responses) to an h2c client session that asked three questions
 *    (streams 1, 3, 5). Checks: every answer handed over is one of the
 *    three tags, at most once, with at most 65535 bytes; no leak.
 * (0 mod 3 is the request parser above.) */
#include <string.h>

#include "fuzz.h"
#include "tls/doh.h"
#include "tls/h2.h"
#include "tls/h2c.h"
#include "tls/pad.h"

static const char *line(const char **p, const char *end, size_t *len)
{
	const char *s = *p;
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	*len = (size_t)(e - s);
	*p = nl ? nl + 1 : end;
	return s;
}

static void parse_mode(const uint8_t *data, size_t size)
{
	static uint8_t out[DOH_MAX_MSG + 1024]; /* scratch, not state */
	static char enc[DOH_MAX_MSG * 2];
	const char *p = (const char *)data, *end = p + size;
	doh_request r;
	r.method = line(&p, end, &r.method_len);
	r.path = line(&p, end, &r.path_len);
	r.ctype = line(&p, end, &r.ctype_len);
	if (r.ctype_len == 1 && r.ctype[0] == '-')
		r.ctype = NULL;
	r.body = (const uint8_t *)p;
	r.body_len = (size_t)(end - p);
	size_t len = 12345;
	size_t cap = r.body_len + r.path_len;
	int st = doh_parse(&r, out, cap, &len);
	FUZZ_CHECK(st == 200 || st == 400 || st == 404 || st == 405 || st == 413 || st == 415);
	if (st != 200) {
		FUZZ_CHECK(len == 0);
		return;
	}
	FUZZ_CHECK(len >= DOH_MIN_MSG && len <= DOH_MAX_MSG && len <= cap);
	(void)doh_min_ttl(out, len);
	{ /* padding (pad.c) as if the message were an answer */
		static uint8_t padded[DOH_MAX_MSG];
		memcpy(padded, out, len);
		size_t pl = tls_pad_response(padded, len, sizeof padded);
		FUZZ_CHECK(pl == len || (pl % TLS_PAD_BLOCK == 0 && pl > len && pl <= sizeof padded));
		FUZZ_CHECK(!memcmp(padded, out, 10)); /* the header but ARCOUNT's neighbours kept */
		if (pl != len) /* the padded message reads to its end */
			FUZZ_CHECK(tls_pad_response(padded, pl, pl) == pl);
	}
	if (r.method_len == 3) { /* GET: the value decodes and encodes back */
		static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		size_t o = 0;
		for (size_t i = 0; i < len; i += 3) {
			uint32_t v = (uint32_t)out[i] << 16 | (i + 1 < len ? (uint32_t)out[i + 1] << 8 : 0) |
			             (i + 2 < len ? out[i + 2] : 0);
			size_t n = len - i >= 3 ? 4 : len - i + 1;
			for (size_t k = 0; k < n; k++)
				enc[o++] = abc[v >> (18 - 6 * k) & 63];
		}
		long back = doh_base64url_decode(enc, o, out, sizeof out);
		FUZZ_CHECK(back == (long)len);
	}
}

static h2_conn *cur;
static unsigned queries;

static void answer_self(void *user, uint8_t *msg, size_t len)
{
	(void)user;
	FUZZ_CHECK(len >= DOH_MIN_MSG && len <= DOH_MAX_MSG);
	queries++;
	/* answered at once (as a local answer is), or dropped every third
	 * time (an upstream question whose client reset its stream) */
	if (queries % 3)
		(void)h2_answer(cur, msg, len);
}

static void h2_mode(const uint8_t *data, size_t size)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	cur = h2_new(answer_self, NULL);
	FUZZ_CHECK(cur);
	queries = 0;
	const uint8_t *out;
	if (h2_recv(cur, (const uint8_t *)preface, sizeof preface - 1) == 0) {
		/* in pieces of up to 64 bytes, draining between them */
		for (size_t off = 0; off < size;) {
			size_t n = size - off < 64 ? size - off : 64;
			if (h2_recv(cur, data + off, n))
				break;
			off += n;
			for (int k = 0; k < 64 && h2_pending(cur, &out) > 0; k++)
				;
		}
	}
	for (int k = 0; k < 64 && h2_pending(cur, &out) > 0; k++)
		;
	(void)h2_done(cur);
	(void)h2_open_streams(cur);
	h2_free(cur);
	cur = NULL;
}

static unsigned answered; /* a bit per tag */

static void client_answer(void *user, uint32_t tag, int status, const uint8_t *body, size_t len)
{
	(void)user;
	(void)body;
	FUZZ_CHECK(tag >= 1 && tag <= 3);
	FUZZ_CHECK(!(answered & 1u << tag));
	answered |= 1u << tag;
	FUZZ_CHECK(len <= DOH_MAX_MSG);
	FUZZ_CHECK(status >= 0 && status <= 999);
}

static void h2c_mode(const uint8_t *data, size_t size)
{
	static const uint8_t q[] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
	h2c_conn *c = h2c_new("dns.test", "/dns-query", client_answer, NULL);
	FUZZ_CHECK(c);
	answered = 0;
	for (uint32_t t = 1; t <= 3; t++)
		FUZZ_CHECK(h2c_request(c, t, q, sizeof q) == 0);
	const uint8_t *out;
	for (int k = 0; k < 64 && h2c_pending(c, &out) > 0; k++)
		;
	for (size_t off = 0; off < size;) {
		size_t n = size - off < 64 ? size - off : 64;
		if (h2c_recv(c, data + off, n))
			break;
		off += n;
		for (int k = 0; k < 64 && h2c_pending(c, &out) > 0; k++)
			;
	}
	h2c_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		parse_mode(data + 1, size - 1);
		break;
	case 1:
		h2_mode(data + 1, size - 1);
		break;
	default:
		h2c_mode(data + 1, size - 1);
	}
	return 0;
}
