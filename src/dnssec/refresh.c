/* refresh.c: the timed signature refresh, a slice at a time (resign.h,
 * dnssec_refresh; docs/architecture.md, "Refreshing by parts").
 *
 * A zone signed whole has signatures of one age, all due together: signed
 * whole again, a 1M-name zone held change_lock for a minute and sent its
 * secondaries the whole zone. Here each step walks the zone's RRSIG
 * RRsets, keeps those due, picks the oldest (a selection, not a sort: the
 * zone may have millions of them) and hands them to the incremental
 * re-signer, which publishes the step as a change: a fast-path version
 * and a journal entry the size of the slice. BIND's sig-signing-signatures
 * is the same idea. */
#include <stdlib.h>

#include "db/zone.h"
#include "dnssec/keyimpl.h"
#include "dnssec/resign.h"
#include "dnssec/resign_impl.h"
#include "dnssec/sign.h"
#include "lib/encoding.h"
#include "tern/rr.h"

typedef struct due {
	dnssec_pick pick;
	uint32_t inception; /* the oldest of the RRset's signatures */
} due;

typedef struct scan {
	uint32_t cut;    /* due: inception at or before this */
	uint32_t oldest; /* of those not due; UINT32_MAX: none */
	uint32_t first;  /* the oldest of those due */
	due *v;
	size_t n, cap;
	int err;
} scan;

static int on_rrset(const db_node *n, const db_rrset *s, void *user)
{
	scan *c = user;
	if (s->type != TERN_T_RRSIG || !s->count)
		return 0;
	uint32_t inc = UINT32_MAX;
	uint16_t covered = 0;
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t l;
		const uint8_t *rd = rrset_rdata(p, &l);
		p = rd + l;
		if (l < 18)
			continue;
		covered = tern_get_u16(rd);
		uint32_t x = tern_get_u32(rd + 12);
		if (x < inc)
			inc = x;
	}
	if (inc == UINT32_MAX)
		return 0;
	if (inc > c->cut) {
		if (inc < c->oldest)
			c->oldest = inc;
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		due *v = realloc(c->v, cap * sizeof *v);
		if (!v) {
			c->err = -1;
			return 1;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (due){.pick = {.node = n, .covered = covered}, .inception = inc};
	if (inc < c->first)
		c->first = inc;
	return 0;
}

/* v[0..k) become the k oldest of v[0..n) (in no order): quickselect, the
 * middle element as the pivot. */
static void select_oldest(due *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n;
	while (hi - lo > 1 && k > lo && k < hi) {
		uint32_t pivot = v[lo + (hi - lo) / 2].inception;
		/* three ways: < pivot, == pivot, > pivot */
		size_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			if (v[i].inception < pivot) {
				due t = v[lt];
				v[lt++] = v[i];
				v[i++] = t;
			} else if (v[i].inception > pivot) {
				due t = v[--gt];
				v[gt] = v[i];
				v[i] = t;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k > gt)
			lo = gt;
		else
			return; /* the k-th falls among the pivot's equals */
	}
}

db_zone *dnssec_refresh(const db_zone *old, const dnssec_keyset *ks, const dnssec_policy *p, uint32_t serial,
                        int64_t now, size_t journal, unsigned flags, db_diag *diag, db_apply_stats *ast,
                        dnssec_refresh_stats *rs)
{
	*rs = (dnssec_refresh_stats){.oldest = UINT32_MAX};
	if (!dnssec_keys_serve(old, ks) || !dnssec_chain_is(old, p)) { /* other keys or chain: the caller's */
		rs->whole = true;
		return NULL;
	}
	uint32_t validity = p->sig_validity ? p->sig_validity : DNSSEC_SIG_VALIDITY;
	scan c = {.cut = (uint32_t)now - DNSSEC_INCEPTION_SKEW - validity / 4, .oldest = UINT32_MAX, .first = UINT32_MAX};
	zone_walk_rrsets(old, on_rrset, &c);
	if (c.err) {
		free(c.v);
		db_diag_report(diag, true, "signature refresh", 0, "out of memory");
		return NULL;
	}
	if (!c.n) { /* sig_oldest was behind (a change replaced the oldest) */
		rs->idle = true;
		rs->oldest = c.oldest;
		free(c.v);
		return NULL;
	}
	size_t k = p->refresh_slice ? p->refresh_slice : DNSSEC_REFRESH_SLICE;
	rs->urgent = (int64_t)c.first + DNSSEC_INCEPTION_SKEW + validity / 2 <= now;
	if (journal) {
		/* the step's journal entry, a quarter of the journal (all of it
		 * when urgent): per RRset an RRSIG removed and one added (owner
		 * and signer about the origin's length and a label more, 64-byte
		 * signatures) */
		size_t per = 2 * (2 * old->origin_len + 120), fit = (rs->urgent ? journal : journal / 4) / per;
		if (fit < DNSSEC_REFRESH_SLICE_MIN)
			fit = DNSSEC_REFRESH_SLICE_MIN;
		if (k > fit)
			k = fit;
	}
	if (k > c.n)
		k = c.n;
	select_oldest(c.v, c.n, k);
	for (size_t i = k; i < c.n; i++) /* due still: the oldest left may be among them */
		if (c.v[i].inception < c.oldest)
			c.oldest = c.v[i].inception;
	dnssec_pick *pk = malloc(k * sizeof *pk);
	if (!pk) {
		free(c.v);
		db_diag_report(diag, true, "signature refresh", 0, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < k; i++)
		pk[i] = c.v[i].pick;
	dnssec_resign_stats st = {0};
	db_zone *z = dnssec_resign_picks(old, NULL, 0, ks, p, serial, flags, "signature refresh", diag, ast, &st, pk,
	                                 k, now);
	if (z) {
		rs->rrsets = k;
		rs->signatures = st.signatures;
		rs->due_left = c.n - k;
		/* the signatures made now start DNSSEC_INCEPTION_SKEW ago */
		uint32_t made = (uint32_t)now - DNSSEC_INCEPTION_SKEW;
		z->sig_oldest = c.oldest < made ? c.oldest : made;
		rs->oldest = z->sig_oldest;
	}
	free(pk);
	free(c.v);
	return z;
}
