/* sign.c: a zone signed whole (sign.h). The signed zone is written as
 * master-file text and loaded again, so it passes every check of a load
 * and gets the indexes of a signed zone (db/dnssec.h) as a pre-signed
 * file would:
 *   1. the names in canonical order (RFC 4034 6.1);
 *   2. per name, its records without the DNSSEC ones it had, the DNSKEY
 *      and NSEC3PARAM at the apex, an RRSIG per authoritative RRset and
 *      key that signs it (the DNSKEY, CDS and CDNSKEY RRsets by the KSKs
 *      or CSKs, the others by the ZSKs or CSKs; at a delegation point only
 *      DS and NSEC are signed, RFC 4035 2.2), and with NSEC the NSEC to
 *      the next name (RFC 4035 2.3);
 *   3. with NSEC3, one per authoritative name and empty non-terminal,
 *      sorted by hash, each pointing to the next (RFC 5155 7.1).
 * The work is split in parts of the names in that order (and of the NSEC3
 * records in hash order), one thread each (sign.h): every name's records
 * and signatures, then every NSEC or NSEC3, in the same order whatever
 * the number of parts.
 * The text round trip costs a parse; incremental re-signing will work on
 * the zone's records instead. */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "db/dnssec.h"
#include "dnssec/keyimpl.h"
#include "lib/encoding.h"
#include "tern/rr.h"

#define RD_TEXT_MAX (256u << 10)
/* RFC 4034 4.1.2: 256 windows of at most 32 bytes, each with 2 of header */
#define BITMAP_MAX (256 * 34)
/* the types at one name: every RRset's, and the 6 the signing adds */
#define TYPES_MAX(n) ((size_t)(n)->nrrsets + 8)

typedef struct dnssec_signer {
	const db_zone *z;
	const dnssec_keyset *ks;
	const dnssec_policy *p;
	uint32_t inception, expiration;
	uint8_t *buf; /* signed data */
	size_t cap;
	char *text; /* the signed zone */
	size_t len, tcap;
	char *rdtext; /* one RDATA's text */
	db_rrset soa; /* the zone's SOA with the serial of the signed zone */
	/* a context set up once for the key (the provider lookups of
	 * EVP_DigestSignInit are a third of the cost of one signature);
	 * each signature works on a copy of it in ctx; tmpl[i] for ks->k[i] */
	EVP_MD_CTX **tmpl, *ctx;
	int err;
} signer;

static int signer_keys(signer *g, db_diag *diag);
static void signer_keys_free(signer *g);

static void emit(signer *g, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd, size_t len)
{
	if (g->err)
		return;
	char name[TERN_NAME_TEXT_MAX], ty[24];
	if (tern_name_to_text(owner, name, sizeof name) < 0 ||
	    tern_rdata_to_text(type, rd, len, g->rdtext, RD_TEXT_MAX) < 0) {
		g->err = -1;
		return;
	}
	tern_type_to_text(type, ty, sizeof ty);
	size_t need = strlen(name) + strlen(ty) + strlen(g->rdtext) + 32;
	if (g->len + need > g->tcap) {
		size_t cap = g->tcap ? g->tcap : 1 << 16;
		while (cap < g->len + need)
			cap *= 2;
		char *p = realloc(g->text, cap);
		if (!p) {
			g->err = -1;
			return;
		}
		g->text = p;
		g->tcap = cap;
	}
	g->len += (size_t)snprintf(g->text + g->len, g->tcap - g->len, "%s %u IN %s %s\n", name, ttl, ty, g->rdtext);
}

static void emit_set(signer *g, const uint8_t *owner, const db_rrset *s)
{
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		emit(g, owner, s->type, s->ttl, rd, len);
		p = rd + len;
	}
}

/* The signature of data with the key, in its DNSSEC form (RFC 6605 4:
 * r | s for ECDSA; RFC 8080 for Ed25519) into out (64 bytes). */
static int sign_data(signer *g, size_t key, const uint8_t *data, size_t len, uint8_t out[64])
{
	const dnssec_key *k = g->ks->k[key];
	uint8_t der[128];
	size_t dl = sizeof der;
	int ok = EVP_MD_CTX_copy_ex(g->ctx, g->tmpl[key]) == 1 && EVP_DigestSign(g->ctx, der, &dl, data, len) == 1;
	if (!ok)
		return -1;
	if (k->alg != 13) {
		if (dl != 64)
			return -1;
		memcpy(out, der, 64);
		return 0;
	}
	const uint8_t *q = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)dl);
	if (!es)
		return -1;
	const BIGNUM *r, *s;
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
	ECDSA_SIG_free(es);
	return ok ? 0 : -1;
}

/* Labels of owner for the RRSIG (RFC 4034 3.1.3: not the root, not a
 * leading "*"). */
static uint8_t sig_labels(const uint8_t *owner)
{
	unsigned n = tern_name_labels(owner);
	if (owner[0] == 1 && owner[1] == '*')
		n--;
	return (uint8_t)n;
}

/* Whether key i signs s: the KSKs and CSKs sign the DNSKEY RRset and CDS,
 * CDNSKEY (RFC 7344 4.1); the ZSKs and CSKs the rest. */
static bool key_signs(const signer *g, size_t i, const db_rrset *s)
{
	const dnssec_key *k = g->ks->k[i];
	bool keyset = s->type == TERN_T_DNSKEY || s->type == TERN_T_CDS || s->type == TERN_T_CDNSKEY;
	return g->tmpl[i] && (keyset ? k->sign_keys : k->sign_data);
}

/* The RRSIG RDATA of key i over s at owner into rd (DNSSEC_RRSIG_MAX
 * bytes): its length, or 0 on a failure. The signed data do not depend on
 * the key but for its tag (the RRSIG RDATA leads them, RFC 4034 3.1.8.1),
 * so with *made set they are reused from g->buf and the tag patched in. */
static size_t make_sig(signer *g, size_t i, const uint8_t *owner, const db_rrset *s, uint8_t *rd, size_t *made)
{
	const db_zone *z = g->z;
	const dnssec_key *k = g->ks->k[i];
	tern_put_u16(rd, s->type);
	rd[2] = g->ks->alg;
	rd[3] = sig_labels(owner);
	tern_put_u32(rd + 4, s->ttl);
	tern_put_u32(rd + 8, g->expiration);
	tern_put_u32(rd + 12, g->inception);
	tern_put_u16(rd + 16, k->tag);
	memcpy(rd + 18, z->origin, z->origin_len);
	size_t pre = 18 + z->origin_len;
	if (!*made)
		*made = db_rrsig_data(&g->buf, &g->cap, rd, pre, owner, s);
	else
		tern_put_u16(g->buf + 16, k->tag);
	if (!*made || sign_data(g, i, g->buf, *made, rd + pre))
		return 0;
	return pre + 64;
}

/* The RRSIGs of s: one per key that signs it. */
static void sign_set(signer *g, const uint8_t *owner, const db_rrset *s)
{
	if (g->err || !s->count)
		return;
	uint8_t rd[DNSSEC_RRSIG_MAX];
	size_t made = 0;
	for (size_t i = 0; i < g->ks->n && !g->err; i++) {
		if (!key_signs(g, i, s))
			continue;
		size_t len = make_sig(g, i, owner, s, rd, &made);
		if (!len) {
			g->err = -1;
			return;
		}
		emit(g, owner, TERN_T_RRSIG, s->ttl, rd, len);
	}
}

/* An RRset of one record made on the spot (rdata with its length). */
typedef struct one {
	db_rrset s;
	uint8_t rd[2 + TERN_NAME_MAX + BITMAP_MAX]; /* the largest NSEC */
} one;

static void one_set(one *o, uint16_t type, uint32_t ttl, const uint8_t *rd, size_t len)
{
	uint16_t l = (uint16_t)len;
	memcpy(o->rd, &l, 2);
	memcpy(o->rd + 2, rd, len);
	o->s = (db_rrset){.type = type, .count = 1, .ttl = ttl, .rdata = o->rd};
}

static bool dnssec_type(uint16_t t)
{
	return t == TERN_T_RRSIG || t == TERN_T_NSEC || t == TERN_T_NSEC3 || t == TERN_T_NSEC3PARAM;
}

/* RFC 4034 4.1.2: the type bitmap of the sorted, distinct types t[0..n). */
static size_t bitmap(const uint16_t *t, size_t n, uint8_t *out)
{
	size_t len = 0;
	for (size_t i = 0; i < n;) {
		unsigned win = t[i] >> 8;
		uint8_t bits[32] = {0};
		unsigned max = 0;
		for (; i < n && (t[i] >> 8) == win; i++) {
			unsigned b = t[i] & 0xff;
			bits[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			max = b / 8 + 1;
		}
		out[len++] = (uint8_t)win;
		out[len++] = (uint8_t)max;
		memcpy(out + len, bits, max);
		len += max;
	}
	return len;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int cmp_canon(const void *a, const void *b)
{
	return tern_name_cmp((*(const db_node *const *)a)->name, (*(const db_node *const *)b)->name);
}

/* Records the signing makes, so that the zone's own are dropped: the
 * DNSSEC ones, and with dnssec-cds CDS and CDNSKEY at the apex. */
static bool managed(const signer *g, const db_node *n, uint16_t t)
{
	return dnssec_type(t) ||
	       (g->p->cds != DNSSEC_CDS_OFF && n == g->z->apex && (t == TERN_T_CDS || t == TERN_T_CDNSKEY));
}

/* A node as the chain sees it. */
typedef struct name_info {
	const db_node *n;
	bool auth;   /* authoritative: not glue, not below a DNAME */
	bool exists; /* holds records after the DNSSEC ones go (the apex always) */
} name_info;

/* The types the chain lists at n (sorted, at most TYPES_MAX(n)): its
 * records' but the DNSSEC ones, DNSKEY (and with NSEC3 NSEC3PARAM, with
 * dnssec-cds CDS and CDNSKEY) at the apex, RRSIG where something is
 * signed, and NSEC with NSEC. */
static size_t types_at(const signer *g, const db_node *n, uint16_t *t)
{
	size_t c = 0;
	bool cut = n->flags & DB_CUT, apex = n == g->z->apex, signed_any = false;
	for (unsigned i = 0; i < n->nrrsets; i++) {
		uint16_t ty = n->rrsets[i].type;
		if (managed(g, n, ty) || (c && t[c - 1] == ty))
			continue;
		t[c++] = ty;
		signed_any |= !cut || ty == TERN_T_DS;
	}
	if (apex && !node_rrset(n, TERN_T_DNSKEY))
		t[c++] = TERN_T_DNSKEY;
	if (apex && g->p->nsec3)
		t[c++] = TERN_T_NSEC3PARAM;
	if (apex && g->ks->cds >= 0) {
		t[c++] = TERN_T_CDS;
		t[c++] = TERN_T_CDNSKEY;
	}
	if (!g->p->nsec3) {
		t[c++] = TERN_T_NSEC;
		signed_any = true; /* the NSEC itself */
	}
	if (signed_any || apex)
		t[c++] = TERN_T_RRSIG;
	qsort(t, c, sizeof *t, cmp_u16);
	return c;
}

/* The DNSKEY RDATA x is one of the zone's keys (any state: a key the zone
 * dropped must not come back from the version being signed again). */
static bool own_key(const signer *g, const uint8_t *x, uint16_t len)
{
	for (size_t i = 0; i < g->ks->n; i++) {
		const dnssec_key *k = g->ks->k[i];
		/* the flags aside: a key is the same key whatever its role */
		if (len == k->dnskey_len && !memcmp(x + 2, k->dnskey + 2, len - 2))
			return true;
	}
	return false;
}

/* The apex's DNSKEY RRset: the file's (but the zone's own keys) and the
 * keys published now. */
static int apex_dnskeys(signer *g, uint8_t **rd, db_rrset *s)
{
	const db_rrset *have = node_rrset(g->z->apex, TERN_T_DNSKEY);
	size_t bytes = 0, count = 0;
	for (size_t i = 0; i < g->ks->n; i++)
		if (g->ks->k[i]->publish) {
			bytes += 2 + g->ks->k[i]->dnskey_len;
			count++;
		}
	const uint8_t *p = have ? have->rdata : NULL;
	for (unsigned i = 0; have && i < have->count; i++) {
		uint16_t len;
		const uint8_t *x = rrset_rdata(p, &len);
		p = x + len;
		if (!own_key(g, x, len)) {
			bytes += 2u + len;
			count++;
		}
	}
	uint8_t *b = *rd = malloc(bytes ? bytes : 1);
	if (!b || count > 0xffff)
		return -1;
	size_t off = 0;
	for (size_t i = 0; i < g->ks->n; i++) {
		const dnssec_key *k = g->ks->k[i];
		if (!k->publish)
			continue;
		uint16_t l = (uint16_t)k->dnskey_len;
		memcpy(b + off, &l, 2);
		memcpy(b + off + 2, k->dnskey, l);
		off += 2u + l;
	}
	p = have ? have->rdata : NULL;
	for (unsigned i = 0; have && i < have->count; i++) {
		uint16_t len;
		const uint8_t *x = rrset_rdata(p, &len);
		p = x + len;
		if (own_key(g, x, len))
			continue;
		memcpy(b + off, &len, 2);
		memcpy(b + off + 2, x, len);
		off += 2u + len;
	}
	*s = (db_rrset){.type = TERN_T_DNSKEY, .count = (uint16_t)count, .ttl = have ? have->ttl : g->z->soa->ttl,
	                .rdata = b};
	return 0;
}

/* CDNSKEY (the key's DNSKEY RDATA) and CDS (its SHA-256 digest, RFC
 * 4509) at the apex, signed, for the key the parent's DS should name
 * (roll.h, roll_cds_key). */
static void put_cds(signer *g, const uint8_t *apex, uint32_t ttl)
{
	const dnssec_key *k = g->ks->k[g->ks->cds];
	one o;
	one_set(&o, TERN_T_CDNSKEY, ttl, k->dnskey, k->dnskey_len);
	emit_set(g, apex, &o.s);
	sign_set(g, apex, &o.s);
	/* RFC 4034 5.1.4: digest = SHA-256(owner in canonical form | DNSKEY RDATA) */
	uint8_t in[TERN_NAME_MAX + sizeof k->dnskey], ds[4 + 32];
	tern_name_lower(in, apex);
	size_t ol = tern_name_len(in);
	memcpy(in + ol, k->dnskey, k->dnskey_len);
	unsigned dl = 0;
	tern_put_u16(ds, k->tag);
	ds[2] = k->alg;
	ds[3] = 2; /* SHA-256 */
	if (EVP_Digest(in, ol + k->dnskey_len, ds + 4, &dl, EVP_sha256(), NULL) != 1 || dl != 32) {
		g->err = -1;
		return;
	}
	one_set(&o, TERN_T_CDS, ttl, ds, sizeof ds);
	emit_set(g, apex, &o.s);
	sign_set(g, apex, &o.s);
}

/* A name's records and their signatures. */
static void emit_node(signer *g, const name_info *ni)
{
	const db_node *n = ni->n;
	bool cut = n->flags & DB_CUT;
	for (unsigned i = 0; i < n->nrrsets; i++) {
		const db_rrset *s = &n->rrsets[i];
		if (managed(g, n, s->type) || (n == g->z->apex && s->type == TERN_T_DNSKEY))
			continue;
		if (s == g->z->soa) { /* written first of all, with its new serial */
			sign_set(g, n->name, &g->soa);
			continue;
		}
		emit_set(g, n->name, s);
		if (ni->auth && (!cut || s->type == TERN_T_DS))
			sign_set(g, n->name, s);
	}
	if (n != g->z->apex)
		return;
	uint8_t *keys;
	db_rrset ks;
	if (apex_dnskeys(g, &keys, &ks)) {
		g->err = -1;
		return;
	}
	emit_set(g, n->name, &ks);
	sign_set(g, n->name, &ks);
	free(keys);
	if (g->ks->cds >= 0) /* RFC 7344 4, RFC 8078: the DS the parent should have */
		put_cds(g, n->name, ks.ttl);
	if (g->p->nsec3) {
		static const uint8_t param[5] = {1, 0, 0, 0, 0}; /* SHA-1, 0 iterations, no salt */
		one o;
		one_set(&o, TERN_T_NSEC3PARAM, 0, param, sizeof param);
		emit_set(g, n->name, &o.s);
		sign_set(g, n->name, &o.s);
	}
}

/* An authoritative name that holds records: one the NSEC chain links. */
static bool nsec_linked(const name_info *x)
{
	return x->auth && x->exists;
}

/* The NSEC records of the linked names of v[lo..hi), each to the next
 * linked name of v[0..n) (the last to the first, the apex): the successor
 * of a part's last name is found in the next part's names, read only. */
static void nsec_range(signer *g, const name_info *v, size_t n, size_t lo, size_t hi)
{
	size_t i = lo;
	while (i < hi && !nsec_linked(&v[i]))
		i++;
	while (i < hi && !g->err) {
		size_t j = i + 1;
		while (j < n && !nsec_linked(&v[j]))
			j++;
		size_t next = j;
		if (next == n) /* the last name's NSEC names the first */
			for (next = 0; !nsec_linked(&v[next]); next++)
				;
		const name_info *prev = &v[i], *cur = &v[next];
		uint16_t *t = malloc(TYPES_MAX(prev->n) * sizeof *t);
		if (!t) {
			g->err = -1;
			break;
		}
		size_t c = types_at(g, prev->n, t);
		one o;
		size_t nl = tern_name_len(cur->n->name);
		uint8_t rd[TERN_NAME_MAX + BITMAP_MAX];
		memcpy(rd, cur->n->name, nl);
		size_t bl = bitmap(t, c, rd + nl);
		free(t);
		one_set(&o, TERN_T_NSEC, g->z->neg_ttl, rd, nl + bl);
		emit_set(g, prev->n->name, &o.s);
		sign_set(g, prev->n->name, &o.s);
		i = j;
	}
}

typedef struct n3e {
	uint8_t h[DB_NSEC3_HASH_LEN];
	const db_node *n;
} n3e;

static int cmp_n3e(const void *a, const void *b)
{
	return memcmp(((const n3e *)a)->h, ((const n3e *)b)->h, DB_NSEC3_HASH_LEN);
}

/* The NSEC3 hashes of the names of v[lo..hi) that get an NSEC3 into e (at
 * most hi - lo); returns how many. */
static size_t nsec3_hashes(const name_info *v, size_t lo, size_t hi, n3e *e)
{
	size_t m = 0;
	for (size_t i = lo; i < hi; i++) {
		/* RFC 5155 7.1: every authoritative name, empty non-terminals too */
		if (!v[i].auth || (!v[i].exists && !v[i].n->nchildren))
			continue;
		db_nsec3_hash(v[i].n->name, NULL, 0, 0, e[m].h);
		e[m++].n = v[i].n;
	}
	return m;
}

/* The NSEC3 records e[lo..hi) of the chain e[0..m), sorted by hash, each
 * to the next (the last to the first). */
static void nsec3_range(signer *g, const n3e *e, size_t m, size_t lo, size_t hi)
{
	const db_zone *z = g->z;
	for (size_t i = lo; i < hi && !g->err; i++) {
		uint16_t *t = malloc(TYPES_MAX(e[i].n) * sizeof *t);
		if (!t) {
			g->err = -1;
			break;
		}
		size_t c = e[i].n->nrrsets || e[i].n == z->apex ? types_at(g, e[i].n, t) : 0;
		uint8_t rd[6 + DB_NSEC3_HASH_LEN + BITMAP_MAX];
		rd[0] = 1; /* SHA-1 */
		rd[1] = 0; /* no opt-out */
		tern_put_u16(rd + 2, 0);
		rd[4] = 0;
		rd[5] = DB_NSEC3_HASH_LEN;
		memcpy(rd + 6, e[(i + 1) % m].h, DB_NSEC3_HASH_LEN);
		size_t bl = bitmap(t, c, rd + 6 + DB_NSEC3_HASH_LEN);
		free(t);
		uint8_t owner[TERN_NAME_MAX];
		owner[0] = 32;
		tern_b32hex_encode(e[i].h, DB_NSEC3_HASH_LEN, (char *)owner + 1);
		for (int k = 1; k <= 32; k++)
			if (owner[k] >= 'A' && owner[k] <= 'Z')
				owner[k] = (uint8_t)(owner[k] | 0x20);
		if (33 + z->origin_len > TERN_NAME_MAX) {
			g->err = -1;
			break;
		}
		memcpy(owner + 33, z->origin, z->origin_len);
		one o;
		one_set(&o, TERN_T_NSEC3, z->neg_ttl, rd, 6 + DB_NSEC3_HASH_LEN + bl);
		emit_set(g, owner, &o.s);
		sign_set(g, owner, &o.s);
	}
}

/* ---- the signing split in parts, one thread each ---- */

/* One part of a signing: the names v[lo..hi) (their records and
 * signatures, and with NSEC their NSEC records), and with NSEC3 the chain
 * records e[elo..ehi). Its own signer: buffers, text, and libcrypto
 * contexts (EVP contexts are not shared between threads); the zone, the
 * keys and v are read only. The text of the names comes first in the
 * signed zone, the chain's after every part's names: with split, the
 * chain's text is kept apart (names keeps the names'). */
typedef struct part {
	signer g;
	const name_info *v;
	size_t n, lo, hi;
	n3e *e; /* NSEC3: every part's hashes, this part's at e + lo (m of them) */
	size_t m, elo, ehi;
	bool split, chain; /* chain: phase 2 (the NSEC3 records) */
	char *names;
	size_t nlen;
} part;

static void part_chain_text(part *t)
{
	if (!t->split)
		return;
	t->names = t->g.text;
	t->nlen = t->g.len;
	t->g.text = NULL;
	t->g.len = t->g.tcap = 0;
}

static void *part_run(void *arg)
{
	part *t = arg;
	signer *g = &t->g;
	if (t->chain) { /* NSEC3: the hashes are sorted */
		part_chain_text(t);
		nsec3_range(g, t->e, t->m, t->elo, t->ehi);
		return NULL;
	}
	for (size_t i = t->lo; i < t->hi && !g->err; i++)
		emit_node(g, &t->v[i]);
	if (g->p->nsec3) {
		t->m = nsec3_hashes(t->v, t->lo, t->hi, t->e + t->lo);
		return NULL;
	}
	part_chain_text(t);
	nsec_range(g, t->v, t->n, t->lo, t->hi);
	return NULL;
}

/* Runs the parts: part 0 in this thread, the others each in one of its
 * own (with every signal blocked: they are the main thread's), or here
 * when a thread cannot be made. */
static void parts_run(part *t, size_t np)
{
	pthread_t th[DNSSEC_SIGN_THREADS_MAX];
	bool started[DNSSEC_SIGN_THREADS_MAX] = {false};
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 1; i < np; i++)
		started[i] = pthread_create(&th[i], NULL, part_run, &t[i]) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	part_run(&t[0]);
	for (size_t i = 1; i < np; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			part_run(&t[i]);
	}
}

unsigned dnssec_sign_threads(const dnssec_policy *p, size_t names)
{
	long t = p->threads ? (long)p->threads : sysconf(_SC_NPROCESSORS_ONLN);
	if (t < 1 || names < DNSSEC_SIGN_PAR_MIN_NAMES)
		return 1;
	return t > DNSSEC_SIGN_THREADS_MAX ? DNSSEC_SIGN_THREADS_MAX : (unsigned)t;
}

/* The parts' texts in order as one: every part's names, then every
 * part's chain; each piece freed once copied (part 0's grown in place).
 * NULL when out of memory (the pieces stay with their parts). */
static char *parts_join(part *t, size_t np, size_t *len)
{
	char **piece[2 * DNSSEC_SIGN_THREADS_MAX];
	size_t plen[2 * DNSSEC_SIGN_THREADS_MAX], k = 0, total = 0;
	for (size_t i = 0; i < np; i++)
		if (t[i].split) {
			piece[k] = &t[i].names;
			plen[k++] = t[i].nlen;
		}
	for (size_t i = 0; i < np; i++) {
		piece[k] = &t[i].g.text;
		plen[k++] = t[i].g.len;
	}
	for (size_t i = 0; i < k; i++)
		total += plen[i];
	char *out = realloc(*piece[0], total + 1);
	if (!out)
		return NULL;
	*piece[0] = NULL;
	size_t off = plen[0];
	for (size_t i = 1; i < k; i++) {
		if (plen[i])
			memcpy(out + off, *piece[i], plen[i]);
		off += plen[i];
		free(*piece[i]);
		*piece[i] = NULL;
	}
	out[off] = 0;
	*len = off;
	return out;
}

static void part_free(part *t)
{
	signer_keys_free(&t->g);
	free(t->g.rdtext);
	free(t->g.text);
	free(t->g.buf);
	free(t->names);
}

/* The signed zone as a file, replaced whole. */
static void write_signed(const char *path, const char *text, size_t len, db_diag *diag)
{
	if (dnssec_file_replace(path, text, len))
		db_diag_report(diag, false, path, 0, "cannot write the signed zone: %s", strerror(errno));
}

db_zone *dnssec_sign_zone(const db_zone *z, const dnssec_keyset *ks, const dnssec_policy *p, uint32_t serial,
                          db_diag *diag)
{
	return dnssec_sign_zone_at(z, ks, p, serial, (int64_t)time(NULL), diag);
}

db_zone *dnssec_sign_zone_at(const db_zone *z, const dnssec_keyset *ks, const dnssec_policy *p, uint32_t serial,
                             int64_t when, db_diag *diag)
{
	if (!zone_has_data(z) || !z->soa) {
		db_diag_report(diag, true, z->file, 0, "no zone data to sign");
		return NULL;
	}
	signer g = {.z = z, .ks = ks, .p = p};
	uint32_t now = (uint32_t)when;
	g.inception = now - DNSSEC_INCEPTION_SKEW;
	g.expiration = now + (p->sig_validity ? p->sig_validity : DNSSEC_SIG_VALIDITY);
	size_t slots = (size_t)1 << (32 - z->shift), n = 0, np = 0, len = 0;
	const db_node **nodes = malloc((z->nnodes ? z->nnodes : 1) * sizeof *nodes);
	name_info *v = malloc((z->nnodes ? z->nnodes : 1) * sizeof *v);
	part *parts = NULL;
	n3e *e = NULL;
	char *text = NULL;
	db_zone *out = NULL;
	if (!nodes || !v)
		goto oom;

	for (size_t b = 0; b < slots; b++)
		for (const db_node *x = z->table[b]; x; x = x->hnext)
			if (n < z->nnodes)
				nodes[n++] = x;
	qsort(nodes, n, sizeof *nodes, cmp_canon);
	for (size_t i = 0; i < n; i++) {
		const db_node *x = nodes[i];
		bool has = x == z->apex;
		for (unsigned r = 0; r < x->nrrsets && !has; r++)
			has = !dnssec_type(x->rrsets[r].type);
		v[i] = (name_info){x, !(x->flags & (DB_OCCLUDED | DB_UNDER_DNAME)), has};
	}
	/* the SOA first, as a zone file has it, with the serial asked for */
	uint16_t slen;
	const uint8_t *srd = rrset_rdata(z->soa->rdata, &slen);
	one so;
	if (slen < 20 || slen > 8192) {
		db_diag_report(diag, true, z->file, 0, "the SOA does not parse");
		goto out;
	}
	one_set(&so, TERN_T_SOA, z->soa->ttl, srd, slen);
	tern_put_u32(so.rd + 2 + slen - 20, serial);
	g.soa = so.s;
	/* part i of np: the names v[i * n / np ..) (sign.h) */
	np = dnssec_sign_threads(p, n);
	if (!(parts = calloc(np, sizeof *parts)) || (p->nsec3 && !(e = malloc((n ? n : 1) * sizeof *e))))
		goto oom;
	for (size_t i = 0; i < np; i++) {
		part *t = &parts[i];
		*t = (part){.g = g, .v = v, .n = n, .lo = i * n / np, .hi = (i + 1) * n / np, .e = e, .split = np > 1};
		if (!(t->g.rdtext = malloc(RD_TEXT_MAX)))
			goto oom;
		if (signer_keys(&t->g, diag)) {
			if (!t->g.ctx || !t->g.tmpl)
				goto oom;
			goto out;
		}
	}
	emit_set(&parts[0].g, z->origin, &g.soa);
	parts_run(parts, np);
	for (size_t i = 0; i < np; i++)
		g.err |= parts[i].g.err;
	if (p->nsec3 && !g.err) { /* the chain in hash order, split again */
		size_t m = 0;
		for (size_t i = 0; i < np; i++) {
			memmove(e + m, e + parts[i].lo, parts[i].m * sizeof *e);
			m += parts[i].m;
		}
		qsort(e, m, sizeof *e, cmp_n3e);
		for (size_t i = 0; i < np; i++) {
			parts[i].m = m;
			parts[i].elo = i * m / np;
			parts[i].ehi = (i + 1) * m / np;
			parts[i].chain = true;
		}
		parts_run(parts, np);
		for (size_t i = 0; i < np; i++)
			g.err |= parts[i].g.err;
	}
	if (g.err) {
		db_diag_report(diag, true, z->file, 0, "signing failed (out of memory, or libcrypto refused)");
		goto out;
	}
	/* not needed any more: their memory serves the load below */
	free(e);
	free(nodes);
	free(v);
	e = NULL;
	nodes = NULL;
	v = NULL;
	if (!(text = parts_join(parts, np, &len)))
		goto oom;
	char name[4096];
	snprintf(name, sizeof name, "%s (signed)", z->file);
	out = zone_load_string(z->origin, name, text, diag);
	if (out) {
		out->sig_oldest = g.inception;
		const char *file = arena_dup(&out->mem, z->file, strlen(z->file) + 1);
		if (file)
			out->file = file;
		if (p->signed_file && !(diag->flags & DB_DIAG_NO_WRITE))
			write_signed(p->signed_file, text, len, diag);
	}
	goto out;
oom:
	db_diag_report(diag, true, z->file, 0, "out of memory");
out:
	for (size_t i = 0; parts && i < np; i++)
		part_free(&parts[i]);
	free(parts);
	free(e);
	free(text);
	free(nodes);
	free(v);
#ifdef __GLIBC__
	/* the parts' threads left their buffers in malloc arenas of their
	 * own, where freed memory stays mapped (some 20 MB more served for
	 * the 100k-entry bench zone with 2 threads): hand it back */
	if (np > 1)
		malloc_trim(0);
#endif
	return out;
}

/* ---- one RRset at a time (re-signing, resign.c) ---- */

size_t dnssec_type_bitmap(const uint16_t *types, size_t n, uint8_t *out)
{
	return bitmap(types, n, out);
}

/* The contexts of the keys that sign (tmpl[i] for ks->k[i], NULL for a
 * key that signs nothing now), and the one each signature works in. */
static int signer_keys(signer *g, db_diag *diag)
{
	const dnssec_keyset *ks = g->ks;
	g->tmpl = calloc(ks->n ? ks->n : 1, sizeof *g->tmpl);
	g->ctx = EVP_MD_CTX_new();
	if (!g->tmpl || !g->ctx)
		return -1;
	for (size_t i = 0; i < ks->n; i++) {
		const dnssec_key *k = ks->k[i];
		if (!k->sign_keys && !k->sign_data)
			continue;
		if (!(g->tmpl[i] = EVP_MD_CTX_new()) ||
		    EVP_DigestSignInit(g->tmpl[i], NULL, k->alg == 13 ? EVP_sha256() : NULL, NULL, k->pkey) != 1) {
			if (diag)
				db_diag_report(diag, true, g->z->file, 0, "libcrypto cannot sign with key %u", k->tag);
			return -1;
		}
	}
	return 0;
}

static void signer_keys_free(signer *g)
{
	for (size_t i = 0; g->tmpl && i < g->ks->n; i++)
		EVP_MD_CTX_free(g->tmpl[i]);
	free(g->tmpl);
	EVP_MD_CTX_free(g->ctx);
}

dnssec_signer *dnssec_signer_new(const db_zone *z, const dnssec_keyset *ks, const dnssec_policy *p)
{
	return dnssec_signer_new_at(z, ks, p, (int64_t)time(NULL));
}

dnssec_signer *dnssec_signer_new_at(const db_zone *z, const dnssec_keyset *ks, const dnssec_policy *p, int64_t when)
{
	signer *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	*g = (signer){.z = z, .ks = ks, .p = p};
	uint32_t now = (uint32_t)when;
	g->inception = now - DNSSEC_INCEPTION_SKEW;
	g->expiration = now + (p->sig_validity ? p->sig_validity : DNSSEC_SIG_VALIDITY);
	if (signer_keys(g, NULL)) {
		dnssec_signer_free(g);
		return NULL;
	}
	return g;
}

int dnssec_signer_sign(dnssec_signer *g, const uint8_t *owner, const db_rrset *s, size_t *next, uint8_t *rd)
{
	if (!s->count)
		return 0;
	size_t made = 0;
	for (size_t i = *next; i < g->ks->n; i++) {
		if (!key_signs(g, i, s))
			continue;
		*next = i + 1;
		size_t len = make_sig(g, i, owner, s, rd, &made);
		return len ? (int)len : -1;
	}
	*next = g->ks->n;
	return 0;
}

void dnssec_signer_free(dnssec_signer *g)
{
	if (!g)
		return;
	signer_keys_free(g);
	free(g->buf);
	free(g);
}
