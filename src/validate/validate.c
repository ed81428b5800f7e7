/* validate.c: the validator (contract in validate.h).
 *
 * The chain of trust (RFC 4035 5): from the closest trust anchor above the
 * zone that signed the data, down one label at a time: at each label the DS
 * RRset (signed by the zone above) says there is a secure delegation, whose
 * DNSKEY RRset must be signed by a key a DS names; or its signed denial
 * says there is no delegation there (go on), an insecure one (NSEC/NSEC3
 * with NS and without DS, or an opt-out NSEC3: everything below is
 * insecure, RFC 4035 5.2, RFC 5155 8.6), or no name at all (stop). The data
 * is then verified with the keys of the zone reached, which must be its
 * signer. Negative answers are checked against their NSEC or NSEC3 proofs
 * (RFC 4035 5.4, RFC 5155 8), wildcard answers against the proof that no
 * closer name exists (RFC 4035 5.3.4).
 *
 * DS digests and algorithms unknown here make a delegation insecure, as RFC
 * 4035 5.2 says.
 * Costs: one DS question per label between the anchor and the signer, and
 * one DNSKEY question per secure zone, each asked once (cached). */
#include "validate/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssec/verify.h"
#include "tern/rr.h"
#include "validate/proof.h"

#define MAXRR 256
#define NOSIG (-100) /* no RRSIG at all */
#define MAX_NSEC3_ITERATIONS 150 /* RFC 9276 3.2: above, treat as insecure */

typedef struct vctx {
	const val_conf *vc;
	cache *c;
	uint64_t now_ms;
	uint32_t now;
	val_need *need;
	char *why;
	size_t whylen;
} vctx;

/* The keys of a secure zone: its validated DNSKEY RRset. */
typedef struct zkeys {
	uint8_t zone[TERN_NAME_MAX];
	cache_view v;
	dnssec_rdata k[MAXRR];
	unsigned n;
} zkeys;

uint8_t val_status_flags(enum val_result r)
{
	return r == VAL_SECURE ? CACHE_F_SECURE : r == VAL_INSECURE ? CACHE_F_INSECURE : r == VAL_BOGUS ? CACHE_F_BOGUS : 0;
}

static void why(vctx *x, const char *what, const uint8_t *name, int err)
{
	char n[TERN_NAME_TEXT_MAX];
	if (tern_name_to_text(name, n, sizeof n) < 0)
		snprintf(n, sizeof n, "?");
	if (err) /* the reason first: an EDE text is cut at 60 bytes */
		snprintf(x->why, x->whylen, "%s: %s %s", err == NOSIG ? "no signature" : dnssec_strerror(err), what, n);
	else
		snprintf(x->why, x->whylen, "%s %s", what, n);
}

static enum val_result need(vctx *x, const uint8_t *name, uint16_t type)
{
	memcpy(x->need->name, name, tern_name_len(name));
	x->need->type = type;
	return VAL_NEED;
}

/* Splits a block of count records (u16 host-order length, bytes). */
static unsigned split(const uint8_t *p, unsigned count, dnssec_rdata *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < count && n < max; i++) {
		uint16_t l;
		memcpy(&l, p, 2);
		out[n].rd = p + 2;
		out[n].len = l;
		n++;
		p += 2 + (size_t)l;
	}
	return n;
}

/* An authority record of a cache_view (cache.h: owner, type, rdlength). */
typedef struct arec {
	const uint8_t *owner, *rd;
	uint16_t type, len;
} arec;

static unsigned auth_split(const cache_view *v, arec *out, unsigned max)
{
	const uint8_t *p = v->auth;
	unsigned n = 0;
	for (unsigned i = 0; i < v->nauth && n < max; i++) {
		size_t ol = tern_name_len(p);
		out[n].owner = p;
		memcpy(&out[n].type, p + ol, 2);
		memcpy(&out[n].len, p + ol + 2, 2);
		out[n].rd = p + ol + 4;
		p += ol + 4 + (size_t)out[n].len;
		n++;
	}
	return n;
}

/* Verifies the RRset (owner, type, rrs) with any of sigs and any key of
 * zk. Returns DNSSEC_OK or the most telling failure. */
static int verify_set(vctx *x, const uint8_t *owner, uint16_t type, const dnssec_rdata *rrs, unsigned n,
                      const dnssec_rdata *sigs, unsigned nsig, const zkeys *zk)
{
	int err = NOSIG;
	for (unsigned s = 0; s < nsig; s++) {
		for (unsigned k = 0; k < zk->n; k++) {
			int r = dnssec_verify_rrset(owner, type, rrs, n, sigs[s].rd, sigs[s].len, zk->k[k].rd, zk->k[k].len,
			                            zk->zone, x->now);
			if (r == DNSSEC_OK)
				return r;
			if (err == NOSIG || err == DNSSEC_EKEY || r == DNSSEC_EBADSIG)
				err = r;
		}
	}
	return err;
}

static void zkeys_set(zkeys *zk, const uint8_t *zone, cache_view *v)
{
	cache_view_free(&zk->v);
	memcpy(zk->zone, zone, tern_name_len(zone));
	zk->v = *v;
	memset(v, 0, sizeof *v);
	zk->n = split(zk->v.rdata, zk->v.count, zk->k, MAXRR);
}

/* The DNSKEY RRset of zone, trusted because a key of it that is in trust
 * (an anchor's DNSKEY, or matches one of the DS RRs ds) signs it. */
static enum val_result trust_keys(vctx *x, const uint8_t *zone, const dnssec_rdata *ds, unsigned nds,
                                  const val_anchor *anchors, size_t nanchors, zkeys *zk)
{
	cache_view v;
	if (cache_peek(x->c, zone, TERN_T_DNSKEY, x->now_ms, &v))
		return VAL_BOGUS;
	if (v.kind == CACHE_MISS)
		return need(x, zone, TERN_T_DNSKEY);
	enum val_result res = VAL_BOGUS;
	if (v.kind != CACHE_RRSET) {
		why(x, "no DNSKEY at", zone, 0);
		goto out;
	}
	uint8_t st = v.flags & CACHE_F_SECMASK;
	if (st == CACHE_F_SECURE) {
		res = VAL_SECURE;
		goto out;
	}
	if (st == CACHE_F_BOGUS) {
		why(x, "DNSKEY set did not validate at", zone, 0);
		goto out;
	}
	dnssec_rdata keys[MAXRR], sigs[MAXRR];
	unsigned nk = split(v.rdata, v.count, keys, MAXRR), ns = split(v.sigs, v.nsig, sigs, MAXRR);
	bool usable = false; /* some DS (or anchor) this validator can use */
	int err = NOSIG;
	for (unsigned i = 0; i < nk && res != VAL_SECURE; i++) {
		bool trusted = false;
		for (size_t a = 0; a < nanchors && !trusted; a++) {
			const val_anchor *an = &anchors[a];
			if (!tern_name_eq(an->zone, zone))
				continue;
			if (an->type == TERN_T_DNSKEY) {
				usable = true;
				trusted = an->rdlen == keys[i].len && memcmp(an->rdata, keys[i].rd, an->rdlen) == 0;
			} else if (an->rdlen >= 4 && dnssec_alg_supported(an->rdata[2]) &&
			           (an->rdata[3] == 1 || an->rdata[3] == 2 || an->rdata[3] == 4)) {
				usable = true;
				trusted = dnssec_ds_matches(zone, an->rdata, an->rdlen, keys[i].rd, keys[i].len);
			}
		}
		for (unsigned d = 0; d < nds && !trusted; d++) {
			if (ds[d].len >= 4 && dnssec_alg_supported(ds[d].rd[2]) &&
			    (ds[d].rd[3] == 1 || ds[d].rd[3] == 2 || ds[d].rd[3] == 4)) {
				usable = true;
				trusted = dnssec_ds_matches(zone, ds[d].rd, ds[d].len, keys[i].rd, keys[i].len);
			}
		}
		if (!trusted)
			continue;
		for (unsigned s = 0; s < ns; s++) {
			int r = dnssec_verify_rrset(zone, TERN_T_DNSKEY, keys, nk, sigs[s].rd, sigs[s].len, keys[i].rd,
			                            keys[i].len, zone, x->now);
			if (r == DNSSEC_OK) {
				res = VAL_SECURE;
				break;
			}
			if (err == NOSIG || err == DNSSEC_EKEY)
				err = r;
		}
	}
	if (res != VAL_SECURE) {
		if (!usable) /* RFC 4035 5.2: no DS we can use: insecure */
			res = VAL_INSECURE;
		else
			why(x, "no trusted key signs the DNSKEY set of", zone, err);
	}
	cache_set_status(x->c, zone, TERN_T_DNSKEY, v.inserted_ms, val_status_flags(res));
out:
	if (res == VAL_SECURE)
		zkeys_set(zk, zone, &v);
	cache_view_free(&v);
	return res;
}

/* Verifies every NSEC/NSEC3 RRset among the authority records of v with
 * zk; false (and why) when one does not. */
static bool proofs_verify(vctx *x, const cache_view *v, const zkeys *zk, const uint8_t *name)
{
	if (v->flags & CACHE_F_SECMASK)
		return (v->flags & CACHE_F_SECMASK) != CACHE_F_BOGUS;
	static _Thread_local arec a[MAXRR];
	unsigned n = auth_split(v, a, MAXRR);
	for (unsigned i = 0; i < n; i++) {
		if (a[i].type != TERN_T_NSEC && a[i].type != TERN_T_NSEC3)
			continue;
		bool first = true; /* each RRset once: at its first record */
		for (unsigned j = 0; j < i && first; j++)
			first = !(a[j].type == a[i].type && tern_name_eq(a[j].owner, a[i].owner));
		if (!first)
			continue;
		dnssec_rdata rrs[MAXRR], sigs[MAXRR];
		unsigned nr = 0, ns = 0;
		for (unsigned j = i; j < n; j++) {
			if (!tern_name_eq(a[j].owner, a[i].owner))
				continue;
			if (a[j].type == a[i].type && nr < MAXRR)
				rrs[nr++] = (dnssec_rdata){a[j].rd, a[j].len};
			else if (a[j].type == TERN_T_RRSIG && a[j].len >= 2 && tern_get_u16(a[j].rd) == a[i].type && ns < MAXRR)
				sigs[ns++] = (dnssec_rdata){a[j].rd, a[j].len};
		}
		int r = verify_set(x, a[i].owner, a[i].type, rrs, nr, sigs, ns, zk);
		if (r != DNSSEC_OK) {
			why(x, a[i].type == TERN_T_NSEC ? "NSEC does not validate at" : "NSEC3 does not validate at",
			    a[i].owner, r);
			return false;
		}
	}
	(void)name;
	return true;
}

/* What the denial of a DS at child says (v: the negative DS entry, its
 * proofs verified with the keys of the zone above). */
enum cut { CUT_NONE, CUT_STOP, CUT_INSECURE, CUT_BOGUS };

static enum cut ds_denial(vctx *x, const uint8_t *child, const cache_view *v)
{
	static _Thread_local arec a[MAXRR];
	unsigned n = auth_split(v, a, MAXRR);
	bool have_h = false;
	uint8_t h[VAL_NSEC3_HASH_LEN];
	for (unsigned i = 0; i < n; i++) {
		if (a[i].type == TERN_T_NSEC) {
			const uint8_t *next, *bm;
			size_t bl;
			if (!val_nsec_parse(a[i].rd, a[i].len, &next, &bm, &bl))
				continue;
			if (tern_name_eq(a[i].owner, child)) {
				if (val_bitmap_has(bm, bl, TERN_T_DS))
					return CUT_BOGUS;
				return val_bitmap_has(bm, bl, TERN_T_NS) && !val_bitmap_has(bm, bl, TERN_T_SOA) ? CUT_INSECURE
				                                                                              : CUT_NONE;
			}
			if (val_nsec_covers(a[i].owner, next, child))
				/* an empty non-terminal has names below it */
				return tern_name_is_sub(next, child) ? CUT_NONE : CUT_STOP;
		} else if (a[i].type == TERN_T_NSEC3) {
			val_nsec3 n3;
			if (!val_nsec3_parse(a[i].owner, a[i].rd, a[i].len, &n3))
				continue;
			if (n3.iterations > MAX_NSEC3_ITERATIONS)
				return CUT_INSECURE;
			if (!have_h) {
				val_nsec3_hash(child, &n3, h);
				have_h = true;
			}
			if (memcmp(n3.hash, h, sizeof h) == 0) {
				if (val_bitmap_has(n3.bm, n3.bmlen, TERN_T_DS))
					return CUT_BOGUS;
				return val_bitmap_has(n3.bm, n3.bmlen, TERN_T_NS) && !val_bitmap_has(n3.bm, n3.bmlen, TERN_T_SOA)
				           ? CUT_INSECURE
				           : CUT_NONE;
			}
		}
	}
	/* no exact match: a covering NSEC3 (opt-out: maybe an insecure
	 * delegation, RFC 5155 6) */
	for (unsigned i = 0; have_h && i < n; i++) {
		val_nsec3 n3;
		if (a[i].type == TERN_T_NSEC3 && val_nsec3_parse(a[i].owner, a[i].rd, a[i].len, &n3) &&
		    val_nsec3_covers(&n3, h))
			return (n3.flags & 1) ? CUT_INSECURE : CUT_STOP;
	}
	why(x, "no proof that there is no DS at", child, 0);
	return CUT_BOGUS;
}

/* The secure zone holding target, with its keys; or why it is not. */
static enum val_result walk(vctx *x, const uint8_t *target, zkeys *zk)
{
	const uint8_t *anchor = val_anchor_for(x->vc, target);
	if (!anchor || val_insecure(x->vc, anchor))
		return VAL_INSECURE;
	enum val_result r = trust_keys(x, anchor, NULL, 0, x->vc->anchors, x->vc->nanchors, zk);
	if (r != VAL_SECURE)
		return r;
	unsigned la = tern_name_labels(anchor), lt = tern_name_labels(target);
	for (unsigned l = la + 1; l <= lt; l++) {
		const uint8_t *child = target;
		for (unsigned skip = lt - l; skip; skip--)
			child += 1 + *child;
		if (val_insecure(x->vc, child))
			return VAL_INSECURE;
		cache_view ds;
		if (cache_peek(x->c, child, TERN_T_DS, x->now_ms, &ds))
			return VAL_BOGUS;
		if (ds.kind == CACHE_MISS) {
			cache_view cn; /* an alias: no zone cut, nothing below */
			if (!cache_peek(x->c, child, TERN_T_CNAME, x->now_ms, &cn) && cn.kind == CACHE_RRSET) {
				cache_view_free(&cn);
				break;
			}
			cache_view_free(&cn);
			return need(x, child, TERN_T_DS);
		}
		uint8_t st = ds.flags & CACHE_F_SECMASK;
		if (ds.kind == CACHE_RRSET) {
			dnssec_rdata d[MAXRR], sigs[MAXRR];
			unsigned nd = split(ds.rdata, ds.count, d, MAXRR), ns = split(ds.sigs, ds.nsig, sigs, MAXRR);
			if (st != CACHE_F_SECURE) {
				int e = st == CACHE_F_BOGUS ? DNSSEC_EBADSIG : verify_set(x, child, TERN_T_DS, d, nd, sigs, ns, zk);
				if (e != DNSSEC_OK) {
					why(x, "DS does not validate at", child, e);
					cache_set_status(x->c, child, TERN_T_DS, ds.inserted_ms, CACHE_F_BOGUS);
					cache_view_free(&ds);
					return VAL_BOGUS;
				}
				cache_set_status(x->c, child, TERN_T_DS, ds.inserted_ms, CACHE_F_SECURE);
			}
			zkeys *next = malloc(sizeof *next);
			if (!next) {
				cache_view_free(&ds);
				return VAL_BOGUS;
			}
			memset(next, 0, sizeof *next);
			r = trust_keys(x, child, d, nd, NULL, 0, next);
			cache_view_free(&ds);
			if (r == VAL_SECURE)
				zkeys_set(zk, child, &next->v);
			cache_view_free(&next->v);
			free(next);
			if (r != VAL_SECURE)
				return r;
			continue;
		}
		/* no DS: which kind of "no" */
		bool ok = proofs_verify(x, &ds, zk, child);
		cache_set_status(x->c, child, ds.key_type, ds.inserted_ms, ok ? CACHE_F_SECURE : CACHE_F_BOGUS);
		enum cut cut = ok ? ds_denial(x, child, &ds) : CUT_BOGUS;
		cache_view_free(&ds);
		if (cut == CUT_BOGUS)
			return VAL_BOGUS;
		if (cut == CUT_INSECURE)
			return VAL_INSECURE;
		if (cut == CUT_STOP)
			break;
	}
	return VAL_SECURE;
}

/* The signer named by the first RRSIG in sigs, or NULL. */
static const uint8_t *signer_of(const uint8_t *sig, size_t len)
{
	if (len < 19)
		return NULL;
	size_t n = 0;
	while (18 + n < len && sig[18 + n]) {
		if (sig[18 + n] > 63)
			return NULL;
		n += 1 + (size_t)sig[18 + n];
	}
	return 18 + n < len && n < TERN_NAME_MAX ? sig + 18 : NULL;
}

/* RFC 4035 5.3.4 / RFC 5155 8.8: a wildcard expansion of name (whose
 * RRSIG has `labels` labels) needs a verified proof that no closer name
 * exists: an NSEC covering name, or an NSEC3 covering the next closer
 * name (the suffix of name one label longer than the wildcard's parent). */
static bool wildcard_proven(const cache_view *v, const uint8_t *name, unsigned labels)
{
	static _Thread_local arec a[MAXRR];
	unsigned n = auth_split(v, a, MAXRR);
	const uint8_t *nc = name;
	for (unsigned skip = tern_name_labels(name) - labels - 1; skip; skip--)
		nc += 1 + *nc;
	for (unsigned i = 0; i < n; i++) {
		if (a[i].type == TERN_T_NSEC) {
			const uint8_t *next, *bm;
			size_t bl;
			if (val_nsec_parse(a[i].rd, a[i].len, &next, &bm, &bl) && val_nsec_covers(a[i].owner, next, name))
				return true;
		} else if (a[i].type == TERN_T_NSEC3) {
			val_nsec3 n3;
			uint8_t h[VAL_NSEC3_HASH_LEN];
			if (!val_nsec3_parse(a[i].owner, a[i].rd, a[i].len, &n3) || n3.iterations > MAX_NSEC3_ITERATIONS)
				continue;
			val_nsec3_hash(nc, &n3, h);
			if (val_nsec3_covers(&n3, h))
				return true;
		}
	}
	return false;
}

/* The longest common ancestor of a and b (label-wise, case-insensitive):
 * the number of labels it has; *at points to it within a. */
static unsigned common(const uint8_t *a, const uint8_t *b, const uint8_t **at)
{
	unsigned la = tern_name_labels(a), lb = tern_name_labels(b);
	const uint8_t *pa = a, *pb = b;
	for (; la > lb; la--)
		pa += 1 + *pa;
	for (; lb > la; lb--)
		pb += 1 + *pb;
	/* the same number of labels now: the suffix from the first equal rest */
	while (!tern_name_eq(pa, pb)) {
		pa += 1 + *pa;
		pb += 1 + *pb;
		la--;
	}
	*at = pa;
	return la;
}

/* "*." + name into out; false when it would be too long. */
static bool wildcard_of(const uint8_t *name, uint8_t *out)
{
	size_t l = tern_name_len(name);
	if (l + 2 > TERN_NAME_MAX)
		return false;
	out[0] = 1;
	out[1] = '*';
	memcpy(out + 2, name, l);
	return true;
}

/* RFC 4035 5.4: an NXDOMAIN by NSEC also needs the wildcard at the closest
 * encloser denied: an NSEC covering "*.CE" (CE: the longer of the common
 * ancestors of name with the covering NSEC's owner and next name). */
static bool nsec_no_wildcard(const arec *a, unsigned n, const uint8_t *name, const uint8_t *owner,
                             const uint8_t *next)
{
	const uint8_t *c1, *c2;
	unsigned l1 = common(name, owner, &c1), l2 = common(name, next, &c2);
	uint8_t w[TERN_NAME_MAX];
	if (!wildcard_of(l1 >= l2 ? c1 : c2, w))
		return false;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *nx, *bm;
		size_t bl;
		if (a[i].type == TERN_T_NSEC && val_nsec_parse(a[i].rd, a[i].len, &nx, &bm, &bl) &&
		    val_nsec_covers(a[i].owner, nx, w))
			return true;
	}
	return false;
}

/* RFC 4035 5.4, RFC 5155 8.4-8.7: the proofs of a negative entry for
 * (name, qtype) (nx: NXDOMAIN), already verified. */
static enum val_result denial(vctx *x, const cache_view *v, const uint8_t *name, uint16_t qtype, bool nx)
{
	static _Thread_local arec a[MAXRR];
	unsigned n = auth_split(v, a, MAXRR);
	/* NSEC */
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *next, *bm;
		size_t bl;
		if (a[i].type != TERN_T_NSEC || !val_nsec_parse(a[i].rd, a[i].len, &next, &bm, &bl))
			continue;
		if (nx && val_nsec_covers(a[i].owner, next, name)) {
			if (nsec_no_wildcard(a, n, name, a[i].owner, next))
				return VAL_SECURE;
			why(x, "no NSEC denies the wildcard for", name, 0);
			return VAL_BOGUS;
		}
		if (!nx && tern_name_eq(a[i].owner, name) && !val_bitmap_has(bm, bl, qtype) &&
		    !val_bitmap_has(bm, bl, TERN_T_CNAME))
			return VAL_SECURE;
		/* NODATA at an empty non-terminal: the NSEC before it */
		if (!nx && val_nsec_covers(a[i].owner, next, name) && tern_name_is_sub(next, name))
			return VAL_SECURE;
		/* NODATA from a wildcard: a covering NSEC and the wildcard's own */
		if (!nx && a[i].owner[0] == 1 && a[i].owner[1] == '*' && tern_name_is_sub(name, a[i].owner + 2) &&
		    !val_bitmap_has(bm, bl, qtype) && !val_bitmap_has(bm, bl, TERN_T_CNAME))
			for (unsigned j = 0; j < n; j++) {
				const uint8_t *nx2, *bm2;
				size_t bl2;
				if (a[j].type == TERN_T_NSEC && val_nsec_parse(a[j].rd, a[j].len, &nx2, &bm2, &bl2) &&
				    val_nsec_covers(a[j].owner, nx2, name))
					return VAL_SECURE;
			}
	}
	/* NSEC3: the closest encloser proof (RFC 5155 8.3) */
	val_nsec3 p;
	unsigned first = n;
	for (unsigned i = 0; i < n && first == n; i++)
		if (a[i].type == TERN_T_NSEC3 && val_nsec3_parse(a[i].owner, a[i].rd, a[i].len, &p))
			first = i;
	if (first == n) {
		why(x, "no NSEC or NSEC3 proves the denial of", name, 0);
		return VAL_BOGUS;
	}
	if (p.iterations > MAX_NSEC3_ITERATIONS)
		return VAL_INSECURE;
	const uint8_t *cur = name, *prev = NULL;
	while (true) {
		uint8_t h[VAL_NSEC3_HASH_LEN];
		val_nsec3_hash(cur, &p, h);
		bool matched = false;
		for (unsigned i = 0; i < n && !matched; i++) {
			val_nsec3 m;
			if (a[i].type != TERN_T_NSEC3 || !val_nsec3_parse(a[i].owner, a[i].rd, a[i].len, &m) ||
			    memcmp(m.hash, h, sizeof h))
				continue;
			matched = true;
			if (cur == name) { /* NODATA: the name's own NSEC3 */
				if (!nx && !val_bitmap_has(m.bm, m.bmlen, qtype) && !val_bitmap_has(m.bm, m.bmlen, TERN_T_CNAME))
					return VAL_SECURE;
				why(x, "NSEC3 says the type exists at", name, 0);
				return VAL_BOGUS;
			}
		}
		if (matched) { /* cur is the closest encloser: the next closer must be covered */
			uint8_t hn[VAL_NSEC3_HASH_LEN];
			val_nsec3_hash(prev, &p, hn);
			bool optout = false, covered = false;
			for (unsigned i = 0; i < n && !covered; i++) {
				val_nsec3 m;
				if (a[i].type == TERN_T_NSEC3 && val_nsec3_parse(a[i].owner, a[i].rd, a[i].len, &m) &&
				    val_nsec3_covers(&m, hn)) {
					covered = true;
					optout = m.flags & 1;
				}
			}
			if (!covered)
				break;
			/* an opt-out span may hide an insecure delegation (RFC 5155 9.2) */
			if (optout && (!nx || qtype == TERN_T_DS))
				return VAL_INSECURE;
			if (!nx)
				return VAL_SECURE;
			/* RFC 5155 8.4: NXDOMAIN also needs the wildcard at the closest
			 * encloser covered */
			uint8_t w[TERN_NAME_MAX], hw[VAL_NSEC3_HASH_LEN];
			if (!wildcard_of(cur, w))
				break;
			val_nsec3_hash(w, &p, hw);
			for (unsigned i = 0; i < n; i++) {
				val_nsec3 m;
				if (a[i].type == TERN_T_NSEC3 && val_nsec3_parse(a[i].owner, a[i].rd, a[i].len, &m) &&
				    val_nsec3_covers(&m, hw))
					return optout ? VAL_INSECURE : VAL_SECURE;
			}
			why(x, "no NSEC3 denies the wildcard for", name, 0);
			return VAL_BOGUS;
		}
		if (!cur[0])
			break;
		prev = cur;
		cur += 1 + *cur;
	}
	why(x, "no closest encloser proof for", name, 0);
	return VAL_BOGUS;
}

enum val_result val_entry(const val_conf *vc, cache *c, uint64_t now_ms, uint32_t now_s, const uint8_t *name,
                          uint16_t type, val_need *nd, char *whybuf, size_t whylen)
{
	vctx x = {.vc = vc, .c = c, .now_ms = now_ms, .now = now_s, .need = nd, .why = whybuf, .whylen = whylen};
	if (whylen)
		whybuf[0] = 0;
	cache_view v;
	if (cache_peek(c, name, type, now_ms, &v))
		return VAL_BOGUS;
	if (v.kind == CACHE_MISS)
		return need(&x, name, type);
	enum val_result res;
	uint8_t st = v.flags & CACHE_F_SECMASK;
	if (st) {
		res = st == CACHE_F_SECURE ? VAL_SECURE : st == CACHE_F_INSECURE ? VAL_INSECURE : VAL_BOGUS;
		if (res == VAL_BOGUS)
			why(&x, "bogus (judged before) at", name, 0);
		cache_view_free(&v);
		return res;
	}
	if (val_insecure(vc, name)) {
		res = VAL_INSECURE;
		goto store;
	}
	/* the zone to reach: the signer, else (unsigned data) the name
	 * itself (a DS's: its parent), to prove that it is insecure */
	const uint8_t *signer = NULL;
	static _Thread_local arec a[MAXRR];
	if (v.kind == CACHE_RRSET && v.nsig) {
		uint16_t l;
		memcpy(&l, v.sigs, 2);
		signer = signer_of(v.sigs + 2, l);
	} else if (v.kind != CACHE_RRSET) {
		unsigned n = auth_split(&v, a, MAXRR);
		for (unsigned i = 0; i < n && !signer; i++)
			if (a[i].type == TERN_T_RRSIG)
				signer = signer_of(a[i].rd, a[i].len);
	}
	uint8_t target[TERN_NAME_MAX];
	if (signer && tern_name_is_sub(name, signer))
		tern_name_lower(target, signer);
	else if (type == TERN_T_DS && name[0])
		memcpy(target, name + 1 + name[0], tern_name_len(name + 1 + name[0]));
	else
		memcpy(target, name, tern_name_len(name));
	zkeys *zk = calloc(1, sizeof *zk);
	if (!zk) {
		cache_view_free(&v);
		return VAL_BOGUS;
	}
	res = walk(&x, target, zk);
	if (res == VAL_NEED) {
		cache_view_free(&zk->v);
		free(zk);
		cache_view_free(&v);
		return res;
	}
	if (res == VAL_SECURE) {
		if (signer && !tern_name_eq(zk->zone, signer)) {
			why(&x, "signer is not the secure zone above", name, 0);
			res = VAL_BOGUS;
		} else if (v.kind == CACHE_RRSET) {
			dnssec_rdata rrs[MAXRR], sigs[MAXRR];
			unsigned nr = split(v.rdata, v.count, rrs, MAXRR), ns = split(v.sigs, v.nsig, sigs, MAXRR);
			int e = verify_set(&x, name, v.key_type, rrs, nr, sigs, ns, zk);
			if (e != DNSSEC_OK) {
				why(&x, "RRSIG does not validate at", name, e);
				res = VAL_BOGUS;
			} else {
				/* a wildcard expansion: the labels of the RRSIG that verified
				 * are below the owner's; any of them tells */
				unsigned labels = sigs[0].rd[3];
				if (labels < tern_name_labels(name) &&
				    (!proofs_verify(&x, &v, zk, name) || !wildcard_proven(&v, name, labels))) {
					if (!x.why[0])
						why(&x, "wildcard answer without proof of no closer name at", name, 0);
					res = VAL_BOGUS;
				}
			}
		} else if (!proofs_verify(&x, &v, zk, name)) {
			res = VAL_BOGUS;
		} else {
			res = denial(&x, &v, name, type, v.kind == CACHE_NXDOMAIN_HIT);
		}
	}
	cache_view_free(&zk->v);
	free(zk);
store:
	cache_set_status(c, name, v.key_type, v.inserted_ms, val_status_flags(res));
	cache_view_free(&v);
	return res;
}
