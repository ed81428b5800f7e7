/* dnssecverify.c: the signature checks of a signed zone at load, with the
 * file:line of each RRSIG (its record is still at hand then):
 *  - always: expired signatures, and those not valid yet (RFC 4034 3.1.5,
 *    serial arithmetic), reported as warnings (the zone is served as its
 *    file says);
 *  - with DB_DIAG_VERIFY (ternd --check --dnssec): every RRSIG verified
 *    against the apex's DNSKEYs with libcrypto (RFC 4034 3.1.8.1 signed
 *    data, RFC 4034 6 canonical form): RSA (5, 7, 8, 10), ECDSA (13, 14),
 *    EdDSA (15, 16); and signatures that expire within
 *    DB_SIG_REFRESH_DAYS. An algorithm outside those is reported once.
 * Warnings past the first few of a kind are counted (zb_verify_done). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "db/dnssec.h"
#include "db/zone_build.h"
#include "dnssec/verify.h" /* the primitives, shared with the validator */
#include "tern/rr.h"

#define SHOWN 10
#define DB_SIG_REFRESH_DAYS 7 /* "soon": kzonecheck and dnssec-verify leave it to the operator */
#define MAX_KEYS 16

typedef struct vkey {
	uint16_t tag;
	uint8_t alg;
	EVP_PKEY *pkey; /* NULL: algorithm not supported, or a bad key */
	EVP_MD_CTX *tmpl; /* set up for pkey once; each check works on a copy */
} vkey;

typedef struct verify {
	uint32_t now;
	bool keys_read;
	vkey keys[MAX_KEYS];
	unsigned nkeys;
	size_t expired, future, soon, bad, nokey, checked;
	bool alg_told[256];
	uint8_t *buf; /* signed data */
	size_t cap;
} verify;

static void read_keys(build *b, verify *v)
{
	v->keys_read = true;
	const db_rrset *s = node_rrset(b->z->apex, TERN_T_DNSKEY);
	if (!s)
		return;
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count && v->nkeys < MAX_KEYS; i++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		p = rd + len;
		if (len < 4 || rd[2] != 3) /* protocol 3 (RFC 4034 2.1.2) */
			continue;
		vkey *k = &v->keys[v->nkeys++];
		k->tag = dnssec_key_tag(rd, len);
		k->alg = rd[3];
		k->pkey = dnssec_dnskey_pkey(rd[3], rd + 4, len - 4u);
		k->tmpl = k->pkey ? EVP_MD_CTX_new() : NULL;
		if (k->tmpl && EVP_DigestVerifyInit(k->tmpl, NULL, dnssec_alg_md(k->alg), NULL, k->pkey) != 1) {
			EVP_MD_CTX_free(k->tmpl);
			k->tmpl = NULL;
		}
	}
}

/* An RR in canonical form (RFC 4034 6.2) for sorting: its RDATA with the
 * names folded where the type says so. */
typedef struct crr {
	uint16_t len;
	uint8_t rd[];
} crr;

static int cmp_crr(const void *a, const void *b)
{
	const crr *x = *(const crr *const *)a, *y = *(const crr *const *)b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->rd, y->rd, m);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	uint8_t *nb = realloc(*buf, c);
	if (!nb)
		return -1;
	*buf = nb;
	*cap = c;
	return 0;
}

size_t db_rrsig_data(uint8_t **buf, size_t *cap, const uint8_t *sig, size_t pre, const uint8_t *owner,
                     const db_rrset *s)
{
	/* the RRSIG fields, the signer folded to lower case */
	if (reserve(buf, cap, pre))
		return 0;
	memcpy(*buf, sig, 18);
	tern_name_lower(*buf + 18, sig + 18);
	size_t n = pre;
	/* the owner in lower case: records are signed at their own owner,
	 * a wildcard's at "*.<...>" (RFC 4034 3.1.8.1 with labels) */
	uint8_t low[TERN_NAME_MAX];
	tern_name_lower(low, owner);
	size_t olen = tern_name_len(low);
	crr **rrs = malloc((s->count ? s->count : 1) * sizeof *rrs);
	if (!rrs)
		return 0;
	const uint8_t *p = s->rdata;
	unsigned k = 0;
	size_t total = 0;
	for (; k < s->count; k++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		p = rd + len;
		crr *c = malloc(sizeof *c + len);
		if (!c)
			break;
		c->len = len;
		memcpy(c->rd, rd, len);
		if (tern_rdata_names_fold(s->type)) {
			uint16_t off[16];
			size_t nn = tern_rdata_names(s->type, c->rd, len, off, 16);
			for (size_t j = 0; j < nn; j++)
				tern_name_lower(c->rd + off[j], c->rd + off[j]);
		}
		rrs[k] = c;
		total += olen + 10 + len;
	}
	size_t out = 0;
	if (k == s->count && !reserve(buf, cap, n + total)) {
		qsort(rrs, k, sizeof *rrs, cmp_crr);
		uint32_t ttl = tern_get_u32(sig + 4); /* the original TTL */
		uint8_t *b = *buf;
		for (unsigned j = 0; j < k; j++) {
			if (j && !cmp_crr(&rrs[j - 1], &rrs[j]))
				continue; /* RFC 4034 6.3: duplicates go */
			memcpy(b + n, low, olen);
			n += olen;
			tern_put_u16(b + n, s->type);
			tern_put_u16(b + n + 2, TERN_C_IN);
			tern_put_u32(b + n + 4, ttl);
			tern_put_u16(b + n + 8, rrs[j]->len);
			memcpy(b + n + 10, rrs[j]->rd, rrs[j]->len);
			n += 10u + rrs[j]->len;
		}
		out = n;
	}
	for (unsigned j = 0; j < k; j++)
		free(rrs[j]);
	free(rrs);
	return out;
}

/* 1 verified, 0 not, -1 could not try (no memory, bad signature form). */
static int check_one(const vkey *k, const uint8_t *sig, size_t siglen, const uint8_t *data, size_t len)
{
	uint8_t der[160];
	size_t dlen;
	if (!dnssec_sig_for_evp(k->alg, sig, siglen, der, &dlen)) /* RFC 6605 4: r | s -> DER */
		return k->alg == 13 || k->alg == 14 ? 0 : -1;
	if (dlen) {
		sig = der;
		siglen = dlen;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -1;
	int ok = EVP_MD_CTX_copy_ex(ctx, k->tmpl) == 1 && EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static void say(build *b, size_t *count, const brec *r, const char *fmt, const char *owner, const char *type,
                const char *extra)
{
	if ((*count)++ < SHOWN)
		db_diag_report(b->diag, false, r->file, r->line, fmt, owner, type, extra);
}

void zb_verify_node(build *b, const db_node *n)
{
	verify *v = b->verify;
	if (!v) {
		v = b->verify = calloc(1, sizeof *v);
		if (!v)
			return;
		v->now = (uint32_t)time(NULL);
	}
	bool full = b->diag->flags & DB_DIAG_VERIFY;
	if (full && !v->keys_read)
		read_keys(b, v);
	char owner[TERN_NAME_TEXT_MAX], type[24], extra[64];
	owner[0] = 0;
	for (const brec *r = n->build; r; r = r->next) {
		if (r->type != TERN_T_RRSIG || r->rdlen < 19)
			continue;
		size_t slen = tern_name_len(r->rdata + 18); /* the signer; the parser checked it */
		size_t pre = 18 + slen;
		if (pre > r->rdlen)
			continue;
		const uint8_t *rd = r->rdata;
		uint16_t covered = tern_get_u16(rd);
		uint8_t alg = rd[2];
		int32_t to_exp = (int32_t)(tern_get_u32(rd + 8) - v->now);
		int32_t since = (int32_t)(v->now - tern_get_u32(rd + 12));
		if (!owner[0])
			zb_name_text(n->name, owner, sizeof owner);
		tern_type_to_text(covered, type, sizeof type);
		if (to_exp < 0) {
			snprintf(extra, sizeof extra, "%d days ago", -to_exp / 86400);
			say(b, &v->expired, r, "%s RRSIG covering %s: expired %s (RFC 4034 3.1.5): validators find it bogus",
			    owner, type, extra);
		} else if (since < 0) {
			say(b, &v->future, r, "%s RRSIG covering %s: not valid yet (inception in the future)%s", owner, type,
			    "");
		} else if (full && to_exp < DB_SIG_REFRESH_DAYS * 86400) {
			snprintf(extra, sizeof extra, "%d hours", to_exp / 3600);
			say(b, &v->soon, r, "%s RRSIG covering %s: expires in %s", owner, type, extra);
		}
		if (!full)
			continue;
		if (!dnssec_alg_supported(alg)) {
			if (!v->alg_told[alg]) {
				v->alg_told[alg] = true;
				snprintf(extra, sizeof extra, "%u", alg);
				db_diag_report(b->diag, false, r->file, r->line,
				               "%s RRSIG covering %s: algorithm %s is not one ternd verifies", owner, type, extra);
			}
			continue;
		}
		const db_rrset *s = node_rrset(n, covered);
		if (!s || covered == TERN_T_RRSIG) {
			say(b, &v->bad, r, "%s RRSIG covering %s: no such RRset here%s", owner, type, "");
			continue;
		}
		size_t len = db_rrsig_data(&v->buf, &v->cap, rd, pre, n->name, s);
		if (!len)
			continue;
		uint16_t tag = tern_get_u16(rd + 16);
		int res = -2; /* no key */
		for (unsigned k = 0; k < v->nkeys && res != 1; k++)
			if (v->keys[k].tag == tag && v->keys[k].alg == alg && v->keys[k].tmpl)
				res = check_one(&v->keys[k], rd + pre, r->rdlen - pre, v->buf, len);
		v->checked++;
		if (res == -2) {
			snprintf(extra, sizeof extra, "%u algorithm %u", tag, alg);
			say(b, &v->nokey, r, "%s RRSIG covering %s: no DNSKEY at the apex with key tag %s", owner, type, extra);
		} else if (res != 1) {
			say(b, &v->bad, r, "%s RRSIG covering %s: the signature does not verify%s", owner, type, "");
		}
	}
}

void zb_verify_done(build *b)
{
	verify *v = b->verify;
	if (!v)
		return;
	const db_zone *z = b->z;
	if (v->expired > SHOWN || v->future > SHOWN || v->soon > SHOWN || v->bad > SHOWN || v->nokey > SHOWN)
		db_diag_report(b->diag, false, z->file, 0,
		               "signatures: %zu expired, %zu not valid yet, %zu expiring soon, %zu failing, %zu without "
		               "their key",
		               v->expired, v->future, v->soon, v->bad, v->nokey);
	for (unsigned i = 0; i < v->nkeys; i++) {
		EVP_MD_CTX_free(v->keys[i].tmpl);
		EVP_PKEY_free(v->keys[i].pkey);
	}
	free(v->buf);
	free(v);
	b->verify = NULL;
}
