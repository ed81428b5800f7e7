/* rdfast.c: the fast paths of RDATA text to wire for the bulk of zone
 * data (A, AAAA, the single-name types, MX, TXT), which zone loading
 * spends most of its RDATA time on. rdata.c tries them first. */
#include <string.h>

#include "lib/encoding.h"
#include "lib/rdata_impl.h"

/* ---- fast paths for the bulk of zone data ----
 *
 * Zone loading spends most of its RDATA time on a few types. These parse
 * their common spellings directly into the output; anything else (a rare
 * spelling, an error, too little room) is left to the walker, which then
 * decides and words the error: a fast path may decline, never differ. */

/* A dotted quad in the shape inet_pton takes: four decimal parts of one
 * to three digits, no leading zero, each at most 255. */
static bool fast_ipv4(const char *s, size_t len, uint8_t a[4])
{
	unsigned v = 0, nd = 0, k = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d <= 9) {
			if (nd == 3 || (nd == 1 && v == 0))
				return false; /* a fourth digit, or a leading zero */
			v = v * 10 + d;
			nd++;
		} else if (s[i] == '.' && nd && k < 3 && v <= 255) {
			a[k++] = (uint8_t)v;
			v = nd = 0;
		} else {
			return false;
		}
	}
	if (k != 3 || !nd || v > 255)
		return false;
	a[3] = (uint8_t)v;
	return true;
}

static int hexval(char c)
{
	if ((unsigned)(c - '0') <= 9)
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* IPv6 text (RFC 4291 2.2) without an embedded IPv4 part: groups of one to
 * four hex digits separated by ':', at most one "::" standing for at least
 * one zero group. */
static bool fast_ipv6(const char *s, size_t len, uint8_t a[16])
{
	uint16_t g[8];
	int ng = 0, gap = -1, d;
	size_t i = 0;
	if (len < 2 || len > 39)
		return false;
	if (s[0] == ':') {
		if (s[1] != ':')
			return false;
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t st = i;
		unsigned v = 0;
		while (i < len && i - st < 4 && (d = hexval(s[i])) >= 0) {
			v = v << 4 | (unsigned)d;
			i++;
		}
		if (i == st || ng == 8)
			return false;
		g[ng++] = (uint16_t)v;
		if (i == len)
			break;
		if (s[i] != ':')
			return false; /* an IPv4 tail, a fifth digit, ...: inet_pton decides */
		if (++i == len)
			return false; /* a trailing single ':' */
		if (s[i] == ':') {
			if (gap >= 0)
				return false;
			gap = ng;
			i++;
		}
	}
	if (gap < 0 ? ng != 8 : ng > 7)
		return false;
	int zeros = 8 - ng, o = 0;
	for (int k = 0; k < ng; k++) {
		if (k == gap)
			for (int z = 0; z < zeros; z++, o += 2)
				a[o] = a[o + 1] = 0;
		a[o++] = (uint8_t)(g[k] >> 8);
		a[o++] = (uint8_t)g[k];
	}
	if (gap == ng)
		for (int z = 0; z < zeros; z++, o += 2)
			a[o] = a[o + 1] = 0;
	return true;
}

/* 1 to 5 decimal digits, at most 65535. */
static bool fast_u16(const tern_token *t, uint8_t out[2])
{
	unsigned v = 0;
	if (t->len == 0 || t->len > 5)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		if ((unsigned)(t->p[i] - '0') > 9)
			return false;
		v = v * 10 + (unsigned)(t->p[i] - '0');
	}
	if (v > 0xffff)
		return false;
	tern_put_u16(out, (uint16_t)v);
	return true;
}

/* Returns true with *outlen set, or false to leave the record to the walker. */
bool tern_rdata_fast_from_text(uint16_t type, const tern_token *tok, size_t ntok, const uint8_t *origin,
                           uint8_t *out, size_t cap, size_t *outlen)
{
	switch (type) {
	case TERN_T_A:
		if (ntok != 1 || cap < 4 || !fast_ipv4(tok[0].p, tok[0].len, out))
			return false;
		*outlen = 4;
		return true;
	case TERN_T_AAAA:
		if (ntok != 1 || cap < 16 || !fast_ipv6(tok[0].p, tok[0].len, out))
			return false;
		*outlen = 16;
		return true;
	case TERN_T_NS:
	case TERN_T_MD:
	case TERN_T_MF:
	case TERN_T_CNAME:
	case TERN_T_MB:
	case TERN_T_MG:
	case TERN_T_MR:
	case TERN_T_PTR:
	case TERN_T_DNAME:
		return ntok == 1 && cap >= TERN_NAME_MAX &&
		       tern_name_from_text(tok[0].p, tok[0].len, origin, out, outlen) == 0;
	case TERN_T_MX: {
		size_t len;
		if (ntok != 2 || cap < 2 + TERN_NAME_MAX || !fast_u16(&tok[0], out) ||
		    tern_name_from_text(tok[1].p, tok[1].len, origin, out + 2, &len) != 0)
			return false;
		*outlen = 2 + len;
		return true;
	}
	case TERN_T_TXT:
	case TERN_T_SPF: {
		size_t n = 0;
		if (ntok == 0)
			return false;
		for (size_t i = 0; i < ntok; i++) {
			const tern_token *t = &tok[i];
			if (t->len > 255 || cap - n < 1 + t->len || memchr(t->p, '\\', t->len))
				return false;
			out[n] = (uint8_t)t->len;
			memcpy(out + n + 1, t->p, t->len);
			n += 1 + t->len;
		}
		*outlen = n;
		return true;
	}
	}
	return false;
}
