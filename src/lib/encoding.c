/* encoding.c: hex, base64 and base32hex for RDATA presentation formats
 * (RFC 4648). See encoding.h for the contracts. */
#include "lib/encoding.h"

static const char hexdig[] = "0123456789ABCDEF";
static const char b64dig[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b32hdig[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

int tern_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t tern_hex_encode(const uint8_t *src, size_t n, char *dst)
{
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = hexdig[src[i] >> 4];
		dst[2 * i + 1] = hexdig[src[i] & 15];
	}
	return 2 * n;
}

void tern_hexdec_init(tern_hexdec *d)
{
	d->half = -1;
}

int tern_hexdec_feed(tern_hexdec *d, const char *s, size_t len, tern_wr *w)
{
	for (size_t i = 0; i < len; i++) {
		int v = tern_hex_digit((unsigned char)s[i]);
		if (v < 0)
			return TERN_ESYNTAX;
		if (d->half < 0) {
			d->half = v;
		} else {
			tern_wr_u8(w, (uint8_t)(d->half << 4 | v));
			d->half = -1;
		}
	}
	return w->err;
}

int tern_hexdec_finish(const tern_hexdec *d)
{
	return d->half < 0 ? 0 : TERN_ESYNTAX;
}

size_t tern_b64_encode(const uint8_t *src, size_t n, char *dst)
{
	size_t o = 0;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[o++] = b64dig[v >> 18];
		dst[o++] = b64dig[(v >> 12) & 63];
		dst[o++] = b64dig[(v >> 6) & 63];
		dst[o++] = b64dig[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)src[i] << 16;
		dst[o++] = b64dig[v >> 18];
		dst[o++] = b64dig[(v >> 12) & 63];
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		dst[o++] = b64dig[v >> 18];
		dst[o++] = b64dig[(v >> 12) & 63];
		dst[o++] = b64dig[(v >> 6) & 63];
		dst[o++] = '=';
	}
	return o;
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void tern_b64dec_init(tern_b64dec *d)
{
	d->acc = 0;
	d->nchar = 0;
	d->pad = 0;
}

/* Invariant: nchar characters (pad of them '=') of the current quantum have
 * been seen; a quantum is written out when its fourth character arrives. */
int tern_b64dec_feed(tern_b64dec *d, const char *s, size_t len, tern_wr *w)
{
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '=') {
			/* '=' only as the 3rd or 4th character of a quantum */
			if (d->nchar < 2)
				return TERN_ESYNTAX;
			d->pad++;
			d->acc <<= 6;
		} else {
			int v = b64_value(c);
			if (v < 0 || d->pad)
				return TERN_ESYNTAX;
			d->acc = d->acc << 6 | (uint32_t)v;
		}
		if (++d->nchar == 4) {
			tern_wr_u8(w, (uint8_t)(d->acc >> 16));
			if (d->pad < 2)
				tern_wr_u8(w, (uint8_t)(d->acc >> 8));
			if (d->pad < 1)
				tern_wr_u8(w, (uint8_t)d->acc);
			/* after a padded quantum nothing may follow: keep pad set
			 * so any further character fails */
			d->nchar = 0;
			d->acc = 0;
			if (d->pad)
				d->pad = 4;
		}
	}
	return w->err;
}

int tern_b64dec_finish(const tern_b64dec *d)
{
	return d->nchar == 0 ? 0 : TERN_ESYNTAX;
}

size_t tern_b32hex_encode(const uint8_t *src, size_t n, char *dst)
{
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | src[i]) & 0xffff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			dst[o++] = b32hdig[(acc >> bits) & 31];
		}
	}
	if (bits)
		dst[o++] = b32hdig[(acc << (5 - bits)) & 31];
	return o;
}

int tern_b32hex_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'A' && c <= 'V')
			v = c - 'A' + 10;
		else if (c >= 'a' && c <= 'v')
			v = c - 'a' + 10;
		else
			return TERN_ESYNTAX;
		acc = (acc << 5 | (uint32_t)v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return TERN_ESPACE;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* leftover bits must be fewer than a character's worth and all zero
	 * (RFC 4648 3.5: canonical encoding) */
	if (bits >= 5 || (acc & ((1u << bits) - 1)))
		return TERN_ESYNTAX;
	*outlen = o;
	return 0;
}
