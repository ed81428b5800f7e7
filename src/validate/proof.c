/* proof.c: authenticated denial pieces (contract in proof.h). */
#include "validate/proof.h"

#include <string.h>

#include <openssl/evp.h>

#include "tern/name.h"

static uint8_t lc(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* The offsets of the labels of a name, left to right; returns how many. */
static unsigned label_offs(const uint8_t *n, uint16_t off[128])
{
	unsigned k = 0;
	for (size_t p = 0; n[p] && k < 128; p += 1 + n[p])
		off[k++] = (uint16_t)p;
	return k;
}

int val_name_cmp(const uint8_t *a, const uint8_t *b)
{
	uint16_t oa[128], ob[128];
	unsigned na = label_offs(a, oa), nb = label_offs(b, ob);
	/* from the rightmost label leftwards */
	for (unsigned i = 1; i <= na && i <= nb; i++) {
		const uint8_t *la = a + oa[na - i], *lb = b + ob[nb - i];
		unsigned n = la[0] < lb[0] ? la[0] : lb[0];
		for (unsigned j = 1; j <= n; j++) {
			int d = (int)lc(la[j]) - (int)lc(lb[j]);
			if (d)
				return d;
		}
		if (la[0] != lb[0])
			return (int)la[0] - (int)lb[0];
	}
	return (int)na - (int)nb;
}

bool val_bitmap_has(const uint8_t *bm, size_t len, uint16_t type)
{
	size_t p = 0;
	while (len - p >= 2) {
		uint8_t win = bm[p], bl = bm[p + 1];
		if (bl == 0 || bl > 32 || len - p - 2 < bl)
			return false;
		if (win == type >> 8) {
			unsigned bit = type & 0xff;
			return bit / 8 < bl && (bm[p + 2 + bit / 8] & (0x80 >> (bit % 8)));
		}
		p += 2 + (size_t)bl;
	}
	return false;
}

bool val_nsec_parse(const uint8_t *rd, size_t len, const uint8_t **next, const uint8_t **bm, size_t *bmlen)
{
	size_t n = 0;
	while (n < len && rd[n]) {
		if (rd[n] > 63)
			return false;
		n += 1 + (size_t)rd[n];
	}
	if (n >= len || n + 1 > TERN_NAME_MAX)
		return false;
	*next = rd;
	*bm = rd + n + 1;
	*bmlen = len - n - 1;
	return true;
}

bool val_nsec_covers(const uint8_t *owner, const uint8_t *next, const uint8_t *name)
{
	if (val_name_cmp(owner, name) >= 0)
		return false;
	/* the last NSEC of the chain: next is the apex, before owner */
	return val_name_cmp(next, owner) <= 0 || val_name_cmp(name, next) < 0;
}

/* RFC 4648 base32hex, no padding, either case. */
static bool b32hex(const uint8_t *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = lc(s[i]);
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'v' ? c - 'a' + 10 : -1;
		if (v < 0)
			return false;
		acc = acc << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (o == cap)
				return false;
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	*outlen = o;
	return true;
}

bool val_nsec3_parse(const uint8_t *owner, const uint8_t *rd, size_t len, val_nsec3 *out)
{
	size_t hl;
	if (!owner[0] || !b32hex(owner + 1, owner[0], out->hash, sizeof out->hash, &hl) || hl != VAL_NSEC3_HASH_LEN)
		return false;
	if (len < 5)
		return false;
	out->alg = rd[0];
	out->flags = rd[1];
	out->iterations = (uint16_t)(rd[2] << 8 | rd[3]);
	out->salt_len = rd[4];
	if (len < 5u + out->salt_len + 1)
		return false;
	out->salt = rd + 5;
	size_t p = 5u + out->salt_len;
	if (out->alg != 1 || rd[p] != VAL_NSEC3_HASH_LEN || len - p - 1 < VAL_NSEC3_HASH_LEN)
		return false;
	memcpy(out->next, rd + p + 1, VAL_NSEC3_HASH_LEN);
	out->bm = rd + p + 1 + VAL_NSEC3_HASH_LEN;
	out->bmlen = len - p - 1 - VAL_NSEC3_HASH_LEN;
	return true;
}

void val_nsec3_hash(const uint8_t *name, const val_nsec3 *n3, uint8_t out[VAL_NSEC3_HASH_LEN])
{
	uint8_t lo[TERN_NAME_MAX];
	tern_name_lower(lo, name);
	size_t nl = tern_name_len(lo);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int dl;
	memset(out, 0, VAL_NSEC3_HASH_LEN);
	if (!ctx)
		return;
	/* RFC 5155 5: IH(0) = H(x | salt); IH(k) = H(IH(k-1) | salt). The
	 * iterations are capped by the caller (RFC 9276: ignore above 150). */
	bool ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(ctx, lo, nl) == 1 &&
	          EVP_DigestUpdate(ctx, n3->salt, n3->salt_len) == 1 && EVP_DigestFinal_ex(ctx, out, &dl) == 1;
	for (unsigned i = 0; ok && i < n3->iterations; i++)
		ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(ctx, out, VAL_NSEC3_HASH_LEN) == 1 &&
		     EVP_DigestUpdate(ctx, n3->salt, n3->salt_len) == 1 && EVP_DigestFinal_ex(ctx, out, &dl) == 1;
	EVP_MD_CTX_free(ctx);
}

bool val_nsec3_covers(const val_nsec3 *n3, const uint8_t h[VAL_NSEC3_HASH_LEN])
{
	int a = memcmp(n3->hash, h, VAL_NSEC3_HASH_LEN), b = memcmp(h, n3->next, VAL_NSEC3_HASH_LEN);
	if (memcmp(n3->next, n3->hash, VAL_NSEC3_HASH_LEN) <= 0) /* the last one wraps */
		return a < 0 || b < 0;
	return a < 0 && b < 0;
}
