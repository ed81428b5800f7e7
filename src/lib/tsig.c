/* tsig.c: TSIG (RFC 8945): keys, finding and reading the TSIG RR, signing
 * and verifying messages, alone or as a multi-message exchange (5.3.1).
 *
 * What a MAC covers (RFC 8945 4.3), in this order:
 *   - the prior MAC as MAC Size + MAC: the request's MAC for the first
 *     response (4.3.1), the previous signed message's for later messages
 *     of a transfer (4.3.2); nothing for a request;
 *   - for a transfer, every unsigned message since the last signed one,
 *     whole (5.3.1);
 *   - the message without its TSIG RR, with its header's ID replaced by
 *     the Original ID and ARCOUNT less one (4.3.2);
 *   - the TSIG variables (4.3.3): key name (canonical: lower case,
 *     uncompressed), CLASS (ANY), TTL (0), algorithm name (canonical),
 *     Time Signed, Fudge, Error, Other Len, Other Data; or, for the
 *     messages of a transfer after the first, the timers only (Time
 *     Signed, Fudge).
 * HMACs are OpenSSL 3's (EVP_MAC "HMAC"), which allocates its contexts:
 * a signed query costs a few small allocations; unsigned ones cost
 * nothing here. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/encoding.h"
#include "tern/msg.h"
#include "tern/tsig.h"

static const struct {
	const char *text;   /* configuration spelling */
	const char *digest; /* OpenSSL digest name */
	const uint8_t *wire;
	size_t mac_len;
} algs[] = {
	[TERN_TSIG_HMAC_MD5] = {"hmac-md5", "MD5", (const uint8_t *)"\10hmac-md5\7sig-alg\3reg\3int", 16},
	[TERN_TSIG_HMAC_SHA1] = {"hmac-sha1", "SHA1", (const uint8_t *)"\11hmac-sha1", 20},
	[TERN_TSIG_HMAC_SHA224] = {"hmac-sha224", "SHA224", (const uint8_t *)"\13hmac-sha224", 28},
	[TERN_TSIG_HMAC_SHA256] = {"hmac-sha256", "SHA256", (const uint8_t *)"\13hmac-sha256", 32},
	[TERN_TSIG_HMAC_SHA384] = {"hmac-sha384", "SHA384", (const uint8_t *)"\13hmac-sha384", 48},
	[TERN_TSIG_HMAC_SHA512] = {"hmac-sha512", "SHA512", (const uint8_t *)"\13hmac-sha512", 64},
};
#define NALGS (sizeof algs / sizeof algs[0])

int tern_tsig_alg_from_text(const char *s, enum tern_tsig_alg *out)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	for (size_t i = 0; i < NALGS; i++) {
		if (strlen(algs[i].text) == n && !strncasecmp(s, algs[i].text, n)) {
			*out = (enum tern_tsig_alg)i;
			return 0;
		}
	}
	if (n == 24 && !strncasecmp(s, "hmac-md5.sig-alg.reg.int", n)) {
		*out = TERN_TSIG_HMAC_MD5;
		return 0;
	}
	return TERN_ETYPE;
}

const char *tern_tsig_alg_text(enum tern_tsig_alg alg)
{
	return algs[alg].text;
}

const uint8_t *tern_tsig_alg_wire(enum tern_tsig_alg alg)
{
	return algs[alg].wire;
}

size_t tern_tsig_alg_mac_len(enum tern_tsig_alg alg)
{
	return algs[alg].mac_len;
}

/* The algorithm a wire name (any case) stands for, or -1. */
static int alg_from_wire(const uint8_t *name)
{
	for (size_t i = 0; i < NALGS; i++)
		if (tern_name_eq(name, algs[i].wire))
			return (int)i;
	return -1;
}

int tern_tsig_key_from_text(tern_tsig_key *k, const char *name, const char *alg, const char *secret_b64)
{
	size_t len;
	memset(k, 0, sizeof *k);
	if (tern_name_from_text(name, strlen(name), (const uint8_t *)"", k->name, &len))
		return TERN_ENAME;
	tern_name_lower(k->name, k->name);
	k->alg = TERN_TSIG_HMAC_SHA256;
	if (alg && tern_tsig_alg_from_text(alg, &k->alg))
		return TERN_ETYPE;
	tern_b64dec d;
	tern_wr w;
	tern_b64dec_init(&d);
	tern_wr_init(&w, k->secret, sizeof k->secret);
	int r = tern_b64dec_feed(&d, secret_b64, strlen(secret_b64), &w);
	if (r == TERN_ESPACE)
		return TERN_ERANGE;
	if (r || tern_b64dec_finish(&d))
		return TERN_ESYNTAX;
	if (w.pos == 0)
		return TERN_ERANGE;
	k->secret_len = w.pos;
	return 0;
}

const tern_tsig_key *tern_tsig_key_find(const tern_tsig_key *keys, size_t n, const uint8_t *name)
{
	for (size_t i = 0; i < n; i++)
		if (tern_name_eq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* ---- reading ---- */

int tern_tsig_read(const uint8_t *pkt, size_t len, size_t off, tern_tsig_rr *rr)
{
	tern_rd r;
	size_t nlen;
	tern_rd_init(&r, pkt, len);
	r.pos = off;
	memset(rr, 0, sizeof *rr);
	rr->start = off;
	if (off > len || tern_rd_name(&r, rr->name, &nlen))
		return TERN_EMALFORMED;
	uint16_t type = tern_rd_u16(&r), cls = tern_rd_u16(&r);
	uint32_t ttl = tern_rd_u32(&r);
	uint16_t rdlen = tern_rd_u16(&r);
	if (r.err || type != TERN_T_TSIG || cls != TERN_C_ANY || ttl != 0 || rdlen != tern_rd_left(&r))
		return TERN_EMALFORMED;
	if (tern_rd_name(&r, rr->alg, &nlen))
		return TERN_EMALFORMED;
	uint64_t hi = tern_rd_u16(&r);
	rr->time_signed = hi << 32 | tern_rd_u32(&r);
	rr->fudge = tern_rd_u16(&r);
	rr->mac_len = tern_rd_u16(&r);
	rr->mac = tern_rd_take(&r, rr->mac_len);
	rr->orig_id = tern_rd_u16(&r);
	rr->error = tern_rd_u16(&r);
	rr->other_len = tern_rd_u16(&r);
	rr->other = tern_rd_take(&r, rr->other_len);
	if (r.err || r.pos != len)
		return TERN_EMALFORMED;
	return 0;
}

int tern_tsig_find(const uint8_t *pkt, size_t len, tern_tsig_rr *rr)
{
	tern_msg_iter it;
	tern_rr x;
	int r;
	size_t at = 0, found = 0;
	if (tern_msg_iter_init(&it, pkt, len))
		return TERN_EMALFORMED;
	unsigned left = 0; /* records after the TSIG */
	for (;;) {
		size_t pos = it.r.pos;
		r = tern_msg_next(&it, &x);
		if (r <= 0)
			break;
		if (x.section == TERN_S_QUESTION)
			continue; /* a question for type TSIG is no TSIG record */
		if (found)
			left++;
		if (x.type == TERN_T_TSIG) {
			if (found || x.section != TERN_S_ADDITIONAL)
				return TERN_EMALFORMED;
			found = 1;
			at = pos;
		}
	}
	if (r < 0 || it.r.pos != len)
		return TERN_EMALFORMED;
	if (!found)
		return 0;
	if (left)
		return TERN_EMALFORMED; /* RFC 8945 5.1: it must be the last record */
	return tern_tsig_read(pkt, len, at, rr) ? TERN_EMALFORMED : 1;
}

/* ---- digests ---- */

/* The TSIG variables of RFC 8945 4.3.3 (names already canonical). */
typedef struct vars {
	const uint8_t *name, *alg;
	uint64_t time;
	uint16_t fudge, error, other_len;
	const uint8_t *other;
} vars;

static EVP_MAC_CTX *hmac_new(const tern_tsig_key *k)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return NULL;
	EVP_MAC_CTX *h = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* h holds its own reference */
	if (!h)
		return NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)algs[k->alg].digest, 0),
		OSSL_PARAM_construct_end(),
	};
	if (!EVP_MAC_init(h, k->secret, k->secret_len, params)) {
		EVP_MAC_CTX_free(h);
		return NULL;
	}
	return h;
}

static void put_u16(EVP_MAC_CTX *h, uint16_t v)
{
	uint8_t b[2];
	tern_put_u16(b, v);
	EVP_MAC_update(h, b, 2);
}

/* A new digest started with the prior MAC of c, if any. */
static EVP_MAC_CTX *start(const tern_tsig_ctx *c)
{
	EVP_MAC_CTX *h = hmac_new(c->key);
	if (h && c->mac_len) {
		put_u16(h, c->mac_len);
		EVP_MAC_update(h, c->mac, c->mac_len);
	}
	return h;
}

/* Feeds the variables (all of them, or the timers only) and finishes:
 * the full MAC goes to out. Frees h. Returns 0 or -1 (OpenSSL failed). */
static int finish(EVP_MAC_CTX *h, const vars *v, bool full, uint8_t *out, size_t *outlen)
{
	uint8_t b[10];
	if (full) {
		EVP_MAC_update(h, v->name, tern_name_len(v->name));
		put_u16(h, TERN_C_ANY);
		EVP_MAC_update(h, (const uint8_t *)"\0\0\0\0", 4); /* TTL */
		EVP_MAC_update(h, v->alg, tern_name_len(v->alg));
	}
	tern_put_u16(b, (uint16_t)(v->time >> 32));
	tern_put_u32(b + 2, (uint32_t)v->time);
	tern_put_u16(b + 6, v->fudge);
	EVP_MAC_update(h, b, 8);
	if (full) {
		put_u16(h, v->error);
		put_u16(h, v->other_len);
		if (v->other_len)
			EVP_MAC_update(h, v->other, v->other_len);
	}
	int ok = EVP_MAC_final(h, out, outlen, TERN_TSIG_MAC_MAX);
	EVP_MAC_CTX_free(h);
	return ok ? 0 : -1;
}

void tern_tsig_ctx_init(tern_tsig_ctx *c, const tern_tsig_key *key)
{
	memset(c, 0, sizeof *c);
	c->key = key;
}

void tern_tsig_ctx_free(tern_tsig_ctx *c)
{
	EVP_MAC_CTX_free(c->run);
	c->run = NULL;
}

bool tern_tsig_ctx_done(const tern_tsig_ctx *c)
{
	return c->nverified > 0 && c->unsigned_run == 0;
}

/* ---- signing ---- */

static const uint8_t *sign_name(const tern_tsig_ctx *c)
{
	return c->key && c->error != TERN_TSIG_BADKEY ? c->key->name : c->req_name;
}

static const uint8_t *sign_alg(const tern_tsig_ctx *c)
{
	return c->key && c->error != TERN_TSIG_BADKEY ? algs[c->key->alg].wire : c->req_alg;
}

/* RFC 8945 5.3.2: no MAC on BADKEY and BADSIG answers. */
static bool sign_unsigned(const tern_tsig_ctx *c)
{
	return !c->key || c->error == TERN_TSIG_BADKEY || c->error == TERN_TSIG_BADSIG;
}

size_t tern_tsig_sign_size(const tern_tsig_ctx *c)
{
	size_t mac = sign_unsigned(c) ? 0 : algs[c->key->alg].mac_len;
	size_t other = c->error == TERN_TSIG_BADTIME ? 6 : 0;
	return tern_name_len(sign_name(c)) + 10 + tern_name_len(sign_alg(c)) + 10 + mac + 6 + other;
}

int tern_tsig_sign(tern_tsig_ctx *c, uint8_t *msg, size_t len, size_t cap, uint64_t now, size_t *outlen)
{
	if (len < TERN_HDR_LEN || tern_get_u16(msg + 10) == 0xffff)
		return TERN_EMALFORMED;
	if (cap < len || cap - len < tern_tsig_sign_size(c))
		return TERN_ESPACE;
	uint8_t other[6];
	vars v = {.name = sign_name(c), .alg = sign_alg(c), .time = now, .fudge = TERN_TSIG_FUDGE, .error = c->error};
	if (c->error == TERN_TSIG_BADTIME) {
		/* RFC 8945 5.2.3: the request's time, and ours in Other Data */
		v.time = c->req_time;
		tern_put_u16(other, (uint16_t)(now >> 32));
		tern_put_u32(other + 2, (uint32_t)now);
		v.other = other;
		v.other_len = 6;
	}
	uint8_t mac[TERN_TSIG_MAC_MAX];
	size_t mac_len = 0;
	if (!sign_unsigned(c)) {
		EVP_MAC_CTX *h = start(c);
		if (!h)
			return -ENOMEM;
		EVP_MAC_update(h, msg, len);
		if (finish(h, &v, c->nsigned == 0, mac, &mac_len))
			return -ENOMEM;
	}
	tern_wr w;
	tern_wr_init(&w, msg, cap);
	w.pos = len;
	tern_wr_bytes(&w, v.name, tern_name_len(v.name));
	tern_wr_u16(&w, TERN_T_TSIG);
	tern_wr_u16(&w, TERN_C_ANY);
	tern_wr_u32(&w, 0);
	size_t rdlen_at = w.pos;
	tern_wr_u16(&w, 0);
	tern_wr_bytes(&w, v.alg, tern_name_len(v.alg));
	tern_wr_u16(&w, (uint16_t)(v.time >> 32));
	tern_wr_u32(&w, (uint32_t)v.time);
	tern_wr_u16(&w, v.fudge);
	tern_wr_u16(&w, (uint16_t)mac_len);
	tern_wr_bytes(&w, mac, mac_len);
	tern_wr_u16(&w, tern_get_u16(msg)); /* Original ID */
	tern_wr_u16(&w, v.error);
	tern_wr_u16(&w, v.other_len);
	tern_wr_bytes(&w, other, v.other_len);
	if (w.err)
		return w.err;
	tern_put_u16(msg + rdlen_at, (uint16_t)(w.pos - rdlen_at - 2));
	tern_put_u16(msg + 10, (uint16_t)(tern_get_u16(msg + 10) + 1));
	if (mac_len) {
		memcpy(c->mac, mac, mac_len);
		c->mac_len = (uint16_t)mac_len;
	}
	c->nsigned++;
	*outlen = w.pos;
	return 0;
}

/* ---- verifying ---- */

/* RFC 8945 5.2.2.1: a MAC longer than the hash, or shorter than both 10
 * bytes and half the hash, is malformed. */
static bool mac_len_ok(const tern_tsig_key *k, size_t n)
{
	size_t full = algs[k->alg].mac_len, min = full / 2 > 10 ? full / 2 : 10;
	return n <= full && n >= min;
}

/* Checks the MAC of a signed message whose TSIG is rr, against the digest
 * h (the prior MAC and unsigned messages already fed); frees h. Returns 0,
 * TERN_TSIG_BADSIG, or -ENOMEM. */
static int check_mac(EVP_MAC_CTX *h, const tern_tsig_ctx *c, const uint8_t *pkt, const tern_tsig_rr *rr, bool full)
{
	uint8_t canon_alg[TERN_NAME_MAX];
	tern_name_lower(canon_alg, rr->alg);
	/* the message as it was before the TSIG was added */
	put_u16(h, rr->orig_id);
	EVP_MAC_update(h, pkt + 2, 8);
	put_u16(h, (uint16_t)(tern_get_u16(pkt + 10) - 1));
	EVP_MAC_update(h, pkt + TERN_HDR_LEN, rr->start - TERN_HDR_LEN);
	vars v = {.name = c->key->name, .alg = canon_alg, .time = rr->time_signed, .fudge = rr->fudge,
	          .error = rr->error, .other_len = rr->other_len, .other = rr->other};
	uint8_t mac[TERN_TSIG_MAC_MAX];
	size_t mac_len;
	if (finish(h, &v, full, mac, &mac_len))
		return -ENOMEM;
	/* a truncated MAC is compared over its length (RFC 8945 5.2.2.1) */
	return CRYPTO_memcmp(mac, rr->mac, rr->mac_len) ? TERN_TSIG_BADSIG : 0;
}

static bool time_ok(const tern_tsig_rr *rr, uint64_t now)
{
	uint64_t d = now > rr->time_signed ? now - rr->time_signed : rr->time_signed - now;
	return d <= rr->fudge;
}

static void remember_mac(tern_tsig_ctx *c, const tern_tsig_rr *rr)
{
	memcpy(c->mac, rr->mac, rr->mac_len);
	c->mac_len = rr->mac_len;
}

int tern_tsig_verify(tern_tsig_ctx *c, const uint8_t *pkt, size_t len, uint64_t now)
{
	tern_tsig_rr rr;
	if (!c->key)
		return TERN_TSIG_BADKEY; /* a server's context after BADKEY */
	int r = tern_tsig_find(pkt, len, &rr);
	if (r < 0)
		return TERN_EMALFORMED;
	if (r == 0) {
		/* RFC 8945 5.3.1: the first must be signed, then at most
		 * TERN_TSIG_MAX_UNSIGNED in a row; they count towards the next MAC */
		if (c->nverified == 0 || c->unsigned_run >= TERN_TSIG_MAX_UNSIGNED)
			return TERN_EMALFORMED;
		if (!c->run && !(c->run = start(c)))
			return -ENOMEM;
		EVP_MAC_update(c->run, pkt, len);
		c->unsigned_run++;
		c->nverified++;
		return 0;
	}
	c->peer_error = rr.error;
	if (rr.error)
		return rr.error; /* the peer refused ours: BADKEY, BADSIG, BADTIME... */
	uint8_t alg[TERN_NAME_MAX];
	tern_name_lower(alg, rr.alg);
	if (!tern_name_eq(rr.name, c->key->name) || alg_from_wire(alg) != (int)c->key->alg)
		return TERN_TSIG_BADKEY;
	if (!mac_len_ok(c->key, rr.mac_len))
		return TERN_EMALFORMED;
	EVP_MAC_CTX *h = c->run ? c->run : start(c);
	c->run = NULL;
	if (!h)
		return -ENOMEM;
	r = check_mac(h, c, pkt, &rr, c->nverified == 0);
	if (r)
		return r;
	if (!time_ok(&rr, now))
		return TERN_TSIG_BADTIME;
	remember_mac(c, &rr);
	c->unsigned_run = 0;
	c->nverified++;
	return 0;
}

int tern_tsig_verify_request(tern_tsig_ctx *c, const tern_tsig_key *keys, size_t nkeys, const uint8_t *pkt,
                             size_t len, size_t tsig_off, uint64_t now)
{
	tern_tsig_rr rr;
	tern_tsig_ctx_init(c, NULL);
	if (len < TERN_HDR_LEN || tsig_off < TERN_HDR_LEN || tern_tsig_read(pkt, len, tsig_off, &rr))
		return TERN_EMALFORMED;
	memcpy(c->req_name, rr.name, tern_name_len(rr.name));
	memcpy(c->req_alg, rr.alg, tern_name_len(rr.alg));
	c->req_time = rr.time_signed;
	/* 5.2.1: a key we have, with the algorithm it was given */
	const tern_tsig_key *k = tern_tsig_key_find(keys, nkeys, rr.name);
	if (!k || alg_from_wire(rr.alg) != (int)k->alg)
		return c->error = TERN_TSIG_BADKEY;
	c->key = k;
	/* 5.2.2 */
	if (!mac_len_ok(k, rr.mac_len))
		return TERN_EMALFORMED;
	EVP_MAC_CTX *h = start(c);
	if (!h)
		return -ENOMEM;
	int r = check_mac(h, c, pkt, &rr, true);
	if (r == TERN_TSIG_BADSIG)
		return c->error = TERN_TSIG_BADSIG;
	if (r)
		return r;
	remember_mac(c, &rr); /* the request MAC, for the answer's digest */
	c->nverified = 1;
	/* 5.2.3 */
	if (!time_ok(&rr, now))
		return c->error = TERN_TSIG_BADTIME;
	return 0;
}
