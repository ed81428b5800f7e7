/* doh.c: see doh.h. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "tern/wire.h"
#include "tls/doh.h"

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long doh_base64url_decode(const char *in, size_t inlen, uint8_t *out, size_t cap)
{
	while (inlen && in[inlen - 1] == '=')
		inlen--;
	if (inlen % 4 == 1)
		return -1;
	size_t n = inlen / 4 * 3 + (inlen % 4 ? inlen % 4 - 1 : 0);
	if (n > cap)
		return -1;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < inlen; i++) {
		int v = b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* the bits left over must be zero (a canonical encoding) */
	if (acc & ((1u << bits) - 1))
		return -1;
	return (long)o;
}

static int is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

/* The value of variable `name` in a query string (a=1&dns=...), or NULL. */
static const char *query_var(const char *q, size_t qlen, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < qlen;) {
		size_t end = i;
		while (end < qlen && q[end] != '&')
			end++;
		if (end - i > nl && !memcmp(q + i, name, nl) && q[i + nl] == '=') {
			*vlen = end - i - nl - 1;
			return q + i + nl + 1;
		}
		i = end + 1;
	}
	return NULL;
}

int doh_parse(const doh_request *req, uint8_t *out, size_t cap, size_t *len)
{
	*len = 0;
	size_t plen = 0;
	while (plen < req->path_len && req->path[plen] != '?')
		plen++;
	if (!is(req->path, plen, DOH_PATH))
		return 404;
	int get = is(req->method, req->method_len, "GET");
	if (!get && !is(req->method, req->method_len, "POST"))
		return 405;
	if (get) {
		if (plen == req->path_len)
			return 400;
		size_t vlen;
		const char *v = query_var(req->path + plen + 1, req->path_len - plen - 1, "dns", &vlen);
		if (!v)
			return 400;
		if (vlen > (DOH_MAX_MSG + 2) / 3 * 4)
			return 413;
		long n = doh_base64url_decode(v, vlen, out, cap);
		if (n < 0)
			return 400;
		if (n < DOH_MIN_MSG)
			return 400;
		*len = (size_t)n;
		return 200;
	}
	/* POST: media type application/dns-message, parameters allowed
	 * (RFC 9110 8.3.1: the type is case-insensitive) */
	if (!req->ctype)
		return 415;
	size_t tl = 0;
	while (tl < req->ctype_len && req->ctype[tl] != ';' && req->ctype[tl] != ' ')
		tl++;
	if (tl != strlen("application/dns-message") || strncasecmp(req->ctype, "application/dns-message", tl))
		return 415;
	if (req->body_len > DOH_MAX_MSG || req->body_len > cap)
		return 413;
	if (req->body_len < DOH_MIN_MSG)
		return 400;
	memcpy(out, req->body, req->body_len);
	*len = req->body_len;
	return 200;
}

/* Skips a name (compressed or not) in r: only its length matters here. */
static void skip_name(tern_rd *r)
{
	for (int labels = 0; labels < 128; labels++) {
		uint8_t l = tern_rd_u8(r);
		if (r->err || l == 0)
			return;
		if ((l & 0xc0) == 0xc0) {
			tern_rd_skip(r, 1);
			return;
		}
		if (l & 0xc0) {
			tern_rd_fail(r, TERN_EMALFORMED);
			return;
		}
		tern_rd_skip(r, l);
	}
	tern_rd_fail(r, TERN_EMALFORMED);
}

long doh_min_ttl(const uint8_t *msg, size_t len)
{
	if (len < 12)
		return -1;
	tern_rd r;
	tern_rd_init(&r, msg + 12, len - 12);
	unsigned qd = tern_get_u16(msg + 4);
	unsigned rrs = (unsigned)tern_get_u16(msg + 6) + tern_get_u16(msg + 8) + tern_get_u16(msg + 10);
	for (unsigned i = 0; i < qd && !r.err; i++) {
		skip_name(&r);
		tern_rd_skip(&r, 4);
	}
	long min = -1;
	for (unsigned i = 0; i < rrs && !r.err; i++) {
		skip_name(&r);
		uint16_t type = tern_rd_u16(&r);
		tern_rd_skip(&r, 2);
		uint32_t ttl = tern_rd_u32(&r);
		uint16_t rdlen = tern_rd_u16(&r);
		tern_rd_skip(&r, rdlen);
		if (r.err)
			return -1;
		if (type == 41) /* OPT: its TTL field is not a TTL */
			continue;
		if (ttl > 0x7fffffff) /* RFC 2181 8: treated as zero */
			ttl = 0;
		if (min < 0 || ttl < (uint32_t)min)
			min = ttl;
	}
	return r.err ? -1 : min;
}
