/* idn.c: +idnin and +idnout, internationalized names as dig shows them,
 * with Punycode (RFC 3492) written here: libc has no IDNA and tern takes
 * no other library for it.
 *
 * +idnin: a label of the name as typed that holds non-ASCII UTF-8 becomes
 * "xn--" and its Punycode, its letters lowered (Latin, Greek and Cyrillic;
 * no other mapping and no normalization: the name is taken as typed, NFC
 * as terminals write it). +idnout: a label "xn--..." of a name shown is written back
 * in UTF-8 when it decodes to code points that are not ASCII; anything that
 * does not decode (names come from the network) is left as it is. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/client.h"

enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 128 };
#define MAX_CP 64 /* code points of one label (at most 63 bytes of ACE) */

/* RFC 3492 6.1 */
static uint32_t adapt(uint32_t delta, uint32_t numpoints, bool first)
{
	uint32_t k = 0;
	delta = first ? delta / DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((BASE - TMIN) * TMAX) / 2) {
		delta /= BASE - TMIN;
		k += BASE;
	}
	return k + (BASE - TMIN + 1) * delta / (delta + SKEW);
}

static uint32_t threshold(uint32_t k, uint32_t bias)
{
	return k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
}

/* Code points to Punycode (RFC 3492 6.3) into out (cap bytes, NUL ended).
 * Returns the length, or -1 if it does not fit or overflows. */
static int punycode_encode(const uint32_t *cp, size_t n, char *out, size_t cap)
{
	size_t len = 0, b = 0;
	for (size_t j = 0; j < n; j++) {
		if (cp[j] < 0x80) {
			if (len + 1 >= cap)
				return -1;
			out[len++] = (char)cp[j];
			b++;
		}
	}
	size_t h = b;
	if (b > 0) {
		if (len + 1 >= cap)
			return -1;
		out[len++] = '-';
	}
	uint32_t next = INITIAL_N, delta = 0, bias = INITIAL_BIAS;
	while (h < n) {
		uint32_t m = UINT32_MAX;
		for (size_t j = 0; j < n; j++)
			if (cp[j] >= next && cp[j] < m)
				m = cp[j];
		if ((m - next) > (UINT32_MAX - delta) / (h + 1))
			return -1;
		delta += (m - next) * (uint32_t)(h + 1);
		next = m;
		for (size_t j = 0; j < n; j++) {
			if (cp[j] < next && ++delta == 0)
				return -1;
			if (cp[j] != next)
				continue;
			uint32_t q = delta;
			for (uint32_t k = BASE;; k += BASE) {
				uint32_t t = threshold(k, bias);
				if (q < t)
					break;
				uint32_t d = t + (q - t) % (BASE - t);
				if (len + 1 >= cap)
					return -1;
				out[len++] = (char)(d < 26 ? 'a' + d : '0' + d - 26);
				q = (q - t) / (BASE - t);
			}
			if (len + 1 >= cap)
				return -1;
			out[len++] = (char)(q < 26 ? 'a' + q : '0' + q - 26);
			bias = adapt(delta, (uint32_t)(h + 1), h == b);
			delta = 0;
			h++;
		}
		delta++;
		next++;
	}
	out[len] = 0;
	return (int)len;
}

/* Punycode to code points (RFC 3492 6.2). Returns the count, or -1. */
static int punycode_decode(const char *in, size_t len, uint32_t *cp, size_t cap)
{
	size_t b = 0, n = 0;
	for (size_t j = 0; j < len; j++)
		if (in[j] == '-')
			b = j;
	for (size_t j = 0; j < b; j++) {
		if ((unsigned char)in[j] >= 0x80 || n == cap)
			return -1;
		cp[n++] = (unsigned char)in[j];
	}
	uint32_t next = INITIAL_N, i = 0, bias = INITIAL_BIAS;
	for (size_t pos = b > 0 ? b + 1 : 0; pos < len;) {
		uint32_t oldi = i, w = 1;
		for (uint32_t k = BASE;; k += BASE) {
			if (pos >= len)
				return -1;
			char ch = in[pos++];
			uint32_t d = ch >= 'a' && ch <= 'z' ? (uint32_t)(ch - 'a')
			             : ch >= 'A' && ch <= 'Z' ? (uint32_t)(ch - 'A')
			             : ch >= '0' && ch <= '9' ? (uint32_t)(ch - '0' + 26)
			                                      : BASE;
			if (d >= BASE || d > (UINT32_MAX - i) / w)
				return -1;
			i += d * w;
			uint32_t t = threshold(k, bias);
			if (d < t)
				break;
			if (w > UINT32_MAX / (BASE - t))
				return -1;
			w *= BASE - t;
		}
		bias = adapt(i - oldi, (uint32_t)(n + 1), oldi == 0);
		if (i / (n + 1) > UINT32_MAX - next)
			return -1;
		next += i / (uint32_t)(n + 1);
		i %= (uint32_t)(n + 1);
		if (n == cap || next > 0x10FFFF || (next >= 0xD800 && next <= 0xDFFF))
			return -1;
		memmove(cp + i + 1, cp + i, (n - i) * sizeof *cp);
		cp[i++] = next;
		n++;
	}
	return (int)n;
}

/* Lower case for the scripts most names use (Latin, Greek, Cyrillic), as
 * IDNA's mapping (RFC 5895) does for them; other code points as they are. */
static uint32_t lower(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
	    (c >= 0x410 && c <= 0x42F))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	if (c == 0x178)
		return 0xFF;
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && c % 2 == 0)
		return c + 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && c % 2 == 1)
		return c + 1;
	return c;
}

/* One UTF-8 sequence at s (left bytes) into *cp. Returns its length or 0. */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	if (!n || n > left || s[0] > 0xF4)
		return 0;
	uint32_t v = s[0] & (0x7F >> n);
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3F);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

static size_t utf8_encode(uint32_t v, char *out)
{
	if (v < 0x80) {
		out[0] = (char)v;
		return 1;
	}
	if (v < 0x800) {
		out[0] = (char)(0xC0 | v >> 6);
		out[1] = (char)(0x80 | (v & 0x3F));
		return 2;
	}
	if (v < 0x10000) {
		out[0] = (char)(0xE0 | v >> 12);
		out[1] = (char)(0x80 | (v >> 6 & 0x3F));
		out[2] = (char)(0x80 | (v & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | v >> 18);
	out[1] = (char)(0x80 | (v >> 12 & 0x3F));
	out[2] = (char)(0x80 | (v >> 6 & 0x3F));
	out[3] = (char)(0x80 | (v & 0x3F));
	return 4;
}

int cli_idn_to_ascii(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = in;
	/* invariant: out[0..o) is the converted text of in[0..p) */
	while (*p) {
		size_t llen = strcspn(p, ".");
		bool ascii = true;
		for (size_t k = 0; k < llen; k++)
			ascii &= (unsigned char)p[k] < 0x80;
		if (ascii) {
			if (o + llen + 2 > cap)
				return -1;
			memcpy(out + o, p, llen);
			o += llen;
		} else {
			uint32_t cp[MAX_CP];
			size_t n = 0;
			for (size_t k = 0; k < llen;) {
				size_t used = utf8_decode((const unsigned char *)p + k, llen - k, &cp[n]);
				if (!used || n + 1 == MAX_CP)
					return -1;
				cp[n] = lower(cp[n]);
				n++;
				k += used;
			}
			char ace[80];
			if (punycode_encode(cp, n, ace, sizeof ace) < 0 || o + 4 + strlen(ace) + 2 > cap)
				return -1;
			o += (size_t)snprintf(out + o, cap - o, "xn--%s", ace);
		}
		p += llen;
		if (*p == '.') {
			out[o++] = '.';
			p++;
		}
	}
	out[o] = 0;
	return (int)o;
}

static bool names_in_rdata(uint16_t type)
{
	switch (type) {
	case TERN_T_NS: case TERN_T_CNAME: case TERN_T_SOA: case TERN_T_PTR: case TERN_T_MX:
	case TERN_T_DNAME: case TERN_T_SRV: case TERN_T_NAPTR: case TERN_T_RP: case TERN_T_AFSDB:
	case TERN_T_KX: case TERN_T_MINFO: return true;
	default: return false;
	}
}

size_t cli_idn_rdata(uint16_t type, const char *in, char *out, size_t cap)
{
	size_t o = 0, len = strlen(in);
	if (!names_in_rdata(type) || !strstr(in, "xn--") || len + 1 > cap) {
		snprintf(out, cap, "%s", in);
		return strlen(out);
	}
	/* the names are the words that end in a dot (an absolute name) */
	for (size_t i = 0; i < len;) {
		size_t w = strcspn(in + i, " ");
		if (w > 1 && in[i + w - 1] == '.' && in[i] != '"' && o + 4 * w + 1 < cap)
			o += cli_idn_to_unicode(in + i, w, out + o, cap - o);
		else if (o + w + 1 < cap) {
			memcpy(out + o, in + i, w);
			o += w;
		}
		i += w;
		if (i < len && o + 2 < cap)
			out[o++] = in[i++];
	}
	out[o] = 0;
	return o;
}

size_t cli_idn_to_unicode(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0, i = 0;
	/* invariant: out[0..o) shows in[0..i), label by label */
	while (i < len) {
		size_t llen = 0;
		while (i + llen < len && in[i + llen] != '.') {
			if (in[i + llen] == '\\' && i + llen + 1 < len)
				llen++; /* an escaped dot stays in its label */
			llen++;
		}
		uint32_t cp[MAX_CP];
		int n = -1;
		if (llen > 4 && strncasecmp(in + i, "xn--", 4) == 0)
			n = punycode_decode(in + i + 4, llen - 4, cp, MAX_CP);
		/* shown in UTF-8 only if it is a label an encoder would write:
		 * something not ASCII, no controls, no capitals (they do not come
		 * back from the lowering), and the same ACE when encoded again */
		bool any = false, sane = n > 0;
		for (int k = 0; k < n; k++) {
			any |= cp[k] >= 0x80;
			sane &= cp[k] >= 0x20 && cp[k] != 0x7F && !(cp[k] >= 0x80 && cp[k] < 0xA0) && lower(cp[k]) == cp[k];
		}
		char again[80];
		if (any && sane) {
			int alen = punycode_encode(cp, (size_t)n, again, sizeof again);
			sane = alen >= 0 && (size_t)alen == llen - 4 && strncasecmp(again, in + i + 4, llen - 4) == 0;
		}
		any &= sane;
		if (n > 0 && any && o + (size_t)n * 4 + 2 < cap) {
			for (int k = 0; k < n; k++)
				o += utf8_encode(cp[k], out + o);
		} else {
			if (o + llen + 2 > cap)
				break;
			memcpy(out + o, in + i, llen);
			o += llen;
		}
		i += llen;
		if (i < len && in[i] == '.') {
			out[o++] = '.';
			i++;
		}
	}
	out[o] = 0;
	return o;
}
