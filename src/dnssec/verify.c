/* verify.c: DNSSEC crypto primitives over wire data (contract in verify.h).
 * The key import follows src/db/dnssecverify.c (the zone-load checks of
 * `ternd --check --dnssec`), which works on a loaded zone instead. */
#include "dnssec/verify.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "tern/name.h"
#include "tern/rr.h"
#include "tern/wire.h"

const char *dnssec_strerror(int status)
{
	switch (status) {
	case DNSSEC_OK: return "valid";
	case DNSSEC_EMALFORMED: return "malformed RRSIG or DNSKEY";
	case DNSSEC_EALG: return "unsupported algorithm";
	case DNSSEC_EKEY: return "key does not match the signature";
	case DNSSEC_EEXPIRED: return "signature expired";
	case DNSSEC_ENOTYET: return "signature not yet valid";
	case DNSSEC_ESCOPE: return "signature does not cover this RRset";
	case DNSSEC_EBADSIG: return "signature does not verify";
	case DNSSEC_ENOMEM: return "out of memory";
	default: return "unknown";
	}
}

uint16_t dnssec_key_tag(const uint8_t *rd, size_t len)
{
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rd[i] : (uint32_t)rd[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

bool dnssec_alg_supported(uint8_t alg)
{
	return alg == 5 || alg == 7 || alg == 8 || alg == 10 || (alg >= 13 && alg <= 16);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/* RFC 3110 2: exponent length (1 or 3 bytes), exponent, modulus. */
static EVP_PKEY *rsa_key(const uint8_t *k, size_t len)
{
	size_t elen, off;
	if (len < 1)
		return NULL;
	if (k[0]) {
		elen = k[0];
		off = 1;
	} else {
		if (len < 3)
			return NULL;
		elen = (size_t)k[1] << 8 | k[2];
		off = 3;
	}
	if (!elen || off + elen >= len || len - off - elen > 512) /* moduli up to 4096 bits */
		return NULL;
	BIGNUM *e = BN_bin2bn(k + off, (int)elen, NULL), *n = BN_bin2bn(k + off + elen, (int)(len - off - elen), NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	if (e && n && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		pkey = from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return pkey;
}

/* RFC 6605 4: X | Y of a P-256 or P-384 point. */
static EVP_PKEY *ec_key(const char *group, size_t size, const uint8_t *k, size_t len)
{
	if (len != 2 * size)
		return NULL;
	uint8_t pt[1 + 2 * 48];
	pt[0] = 4; /* uncompressed */
	memcpy(pt + 1, k, len);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + len))
		pkey = from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

EVP_PKEY *dnssec_dnskey_pkey(uint8_t alg, const uint8_t *k, size_t len)
{
	switch (alg) {
	case 5:
	case 7:
	case 8:
	case 10: return rsa_key(k, len);
	case 13: return ec_key("P-256", 32, k, len);
	case 14: return ec_key("P-384", 48, k, len);
	case 15: return len == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k, len) : NULL;
	case 16: return len == 57 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED448, NULL, k, len) : NULL;
	default: return NULL;
	}
}

const EVP_MD *dnssec_alg_md(uint8_t alg)
{
	switch (alg) {
	case 5:
	case 7: return EVP_sha1();
	case 8:
	case 13: return EVP_sha256();
	case 14: return EVP_sha384();
	case 10: return EVP_sha512();
	default: return NULL; /* EdDSA: no separate digest */
	}
}

/* The length of the wire name at p (at most max bytes), or 0. */
static size_t name_len_in(const uint8_t *p, size_t max)
{
	size_t n = 0;
	while (n < max && p[n]) {
		if (p[n] > 63)
			return 0;
		n += 1 + (size_t)p[n];
	}
	return n < max && n < TERN_NAME_MAX ? n + 1 : 0;
}

static void lower_name(uint8_t *p)
{
	for (; *p; p += 1 + *p)
		for (unsigned i = 1; i <= *p; i++)
			if (p[i] >= 'A' && p[i] <= 'Z')
				p[i] += 32;
}

size_t dnssec_ds_digest(const uint8_t *owner, const uint8_t *dnskey, size_t keylen, uint8_t dtype, uint8_t *out)
{
	const EVP_MD *md = dtype == 1 ? EVP_sha1() : dtype == 2 ? EVP_sha256() : dtype == 4 ? EVP_sha384() : NULL;
	if (!md)
		return 0;
	uint8_t lo[TERN_NAME_MAX];
	size_t ol = tern_name_len(owner);
	memcpy(lo, owner, ol);
	lower_name(lo);
	unsigned int dl = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, lo, ol) == 1 &&
	          EVP_DigestUpdate(ctx, dnskey, keylen) == 1 && EVP_DigestFinal_ex(ctx, out, &dl) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? dl : 0;
}

bool dnssec_ds_matches(const uint8_t *owner, const uint8_t *ds, size_t dslen, const uint8_t *dnskey, size_t keylen)
{
	uint8_t d[64];
	if (dslen < 5 || keylen < 4 || tern_get_u16(ds) != dnssec_key_tag(dnskey, keylen) || ds[2] != dnskey[3])
		return false;
	size_t n = dnssec_ds_digest(owner, dnskey, keylen, ds[3], d);
	return n && n == dslen - 4 && CRYPTO_memcmp(d, ds + 4, n) == 0;
}

/* RFC 4034 3.1.5: a time is after another by serial arithmetic (RFC 1982). */
static bool after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

typedef struct canon_rr {
	uint8_t *rd;
	uint16_t len;
} canon_rr;

static int canon_cmp(const void *pa, const void *pb)
{
	const canon_rr *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->rd, b->rd, n);
	return c ? c : (int)a->len - (int)b->len;
}

/* The signature in the form EVP wants: DER for ECDSA (RFC 6605 4: r | s). */
bool dnssec_sig_for_evp(uint8_t alg, const uint8_t *s, size_t slen, uint8_t *der, size_t *dlen)
{
	if (alg != 13 && alg != 14) {
		*dlen = 0;
		return true;
	}
	size_t half = alg == 13 ? 32 : 48;
	if (slen != 2 * half)
		return false;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(s, (int)half, NULL), *sv = BN_bin2bn(s + half, (int)half, NULL);
	if (!es || !r || !sv || !ECDSA_SIG_set0(es, r, sv)) {
		ECDSA_SIG_free(es);
		BN_free(r);
		BN_free(sv);
		return false;
	}
	uint8_t *q = der;
	int l = i2d_ECDSA_SIG(es, NULL);
	l = l > 0 && l <= 128 ? i2d_ECDSA_SIG(es, &q) : -1;
	ECDSA_SIG_free(es);
	if (l <= 0)
		return false;
	*dlen = (size_t)l;
	return true;
}

int dnssec_verify_rrset(const uint8_t *owner, uint16_t type, const dnssec_rdata *rrs, unsigned n,
                        const uint8_t *sig, size_t siglen, const uint8_t *key, size_t keylen, const uint8_t *signer,
                        uint32_t now)
{
	/* RRSIG: type covered, algorithm, labels, original TTL, expiration,
	 * inception, key tag (18 bytes), signer's name, signature */
	if (siglen < 18 + 1 || keylen < 4 || n == 0)
		return DNSSEC_EMALFORMED;
	size_t sl = name_len_in(sig + 18, siglen - 18);
	if (!sl || 18 + sl >= siglen)
		return DNSSEC_EMALFORMED;
	uint8_t alg = sig[2], labels = sig[3];
	uint32_t exp = tern_get_u32(sig + 8), inc = tern_get_u32(sig + 12);
	unsigned olabels = tern_name_labels(owner);
	if (tern_get_u16(sig) != type || labels > olabels)
		return DNSSEC_ESCOPE;
	uint8_t sname[TERN_NAME_MAX];
	memcpy(sname, sig + 18, sl);
	lower_name(sname);
	if (!tern_name_is_sub(owner, sname) || (signer && !tern_name_eq(sname, signer)))
		return DNSSEC_ESCOPE;
	/* RFC 4034 2.1.1: a zone key (bit 7), protocol 3; the RRSIG names it */
	if (!(key[0] & 0x01) || key[2] != 3 || key[3] != alg || tern_get_u16(sig + 16) != dnssec_key_tag(key, keylen))
		return DNSSEC_EKEY;
	if (!dnssec_alg_supported(alg))
		return DNSSEC_EALG;
	if (after(now, exp))
		return DNSSEC_EEXPIRED;
	if (after(inc, now))
		return DNSSEC_ENOTYET;

	/* the owner as signed: lower case, and for a wildcard expansion "*."
	 * and the rightmost `labels` labels (RFC 4035 5.3.2) */
	uint8_t cowner[TERN_NAME_MAX];
	size_t col;
	{
		const uint8_t *p = owner;
		for (unsigned skip = olabels - labels; skip; skip--)
			p += 1 + *p;
		size_t pl = tern_name_len(p);
		if (labels < olabels) {
			cowner[0] = 1;
			cowner[1] = '*';
			memcpy(cowner + 2, p, pl);
			col = pl + 2;
		} else {
			memcpy(cowner, p, pl);
			col = pl;
		}
		lower_name(cowner);
	}

	/* RFC 4034 6.2: each RR's RDATA with its names folded (for the types
	 * that fold them), then 6.3: sorted, duplicates once. */
	size_t total = 0;
	for (unsigned i = 0; i < n; i++)
		total += rrs[i].len;
	canon_rr *cr = malloc(n * sizeof *cr);
	uint8_t *cbuf = malloc(total ? total : 1);
	size_t dcap = 18 + sl + (size_t)n * (col + 10) + total;
	uint8_t *data = malloc(dcap);
	int rc = DNSSEC_ENOMEM;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	if (!cr || !cbuf || !data)
		goto done;
	size_t off = 0;
	bool fold = tern_rdata_names_fold(type);
	for (unsigned i = 0; i < n; i++) {
		cr[i].rd = cbuf + off;
		cr[i].len = rrs[i].len;
		memcpy(cr[i].rd, rrs[i].rd, rrs[i].len);
		if (fold) {
			uint16_t offs[16];
			size_t k = tern_rdata_names(type, cr[i].rd, cr[i].len, offs, 16);
			for (size_t j = 0; j < k; j++)
				if (name_len_in(cr[i].rd + offs[j], cr[i].len - offs[j]))
					lower_name(cr[i].rd + offs[j]);
		}
		off += rrs[i].len;
	}
	qsort(cr, n, sizeof *cr, canon_cmp);
	size_t dl = 0;
	memcpy(data, sig, 18);
	memcpy(data + 18, sname, sl);
	dl = 18 + sl;
	uint32_t ottl = tern_get_u32(sig + 4);
	for (unsigned i = 0; i < n; i++) {
		if (i && canon_cmp(&cr[i], &cr[i - 1]) == 0)
			continue;
		memcpy(data + dl, cowner, col);
		dl += col;
		tern_put_u16(data + dl, type);
		tern_put_u16(data + dl + 2, TERN_C_IN);
		tern_put_u32(data + dl + 4, ottl);
		tern_put_u16(data + dl + 8, cr[i].len);
		memcpy(data + dl + 10, cr[i].rd, cr[i].len);
		dl += 10 + cr[i].len;
	}

	const uint8_t *s = sig + 18 + sl;
	size_t slen = siglen - 18 - sl;
	uint8_t der[160];
	size_t derlen;
	rc = DNSSEC_EBADSIG;
	if (!dnssec_sig_for_evp(alg, s, slen, der, &derlen))
		goto done;
	if (derlen) {
		s = der;
		slen = derlen;
	}
	rc = DNSSEC_EKEY;
	if (!(pkey = dnssec_dnskey_pkey(alg, key + 4, keylen - 4)))
		goto done;
	rc = DNSSEC_ENOMEM;
	if (!(ctx = EVP_MD_CTX_new()))
		goto done;
	rc = EVP_DigestVerifyInit(ctx, NULL, dnssec_alg_md(alg), NULL, pkey) == 1 &&
	             EVP_DigestVerify(ctx, s, slen, data, dl) == 1
	         ? DNSSEC_OK
	         : DNSSEC_EBADSIG;
done:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	free(cr);
	free(cbuf);
	free(data);
	return rc;
}
