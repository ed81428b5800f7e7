/* apply_diff.c: the journal entry of a zone_apply (DB_APPLY_DIFF, apply.h)
 * from the names the edits touched: no walk of the zone. */
#include <stdlib.h>
#include <string.h>

#include "db/apply_impl.h"

/* ---- the difference, for the journal ---- */

typedef struct run {
	uint8_t *p;
	size_t len, cap;
	uint32_t n;
} run;

static int run_rr(run *r, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	size_t ol = tern_name_len(owner), need = ol + 10 + rdlen;
	if (r->len + need > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;
		while (cap < r->len + need)
			cap *= 2;
		uint8_t *p = realloc(r->p, cap);
		if (!p)
			return -1;
		r->p = p;
		r->cap = cap;
	}
	uint8_t *q = r->p + r->len;
	memcpy(q, owner, ol);
	q += ol;
	tern_put_u16(q, type);
	tern_put_u16(q + 2, TERN_C_IN);
	tern_put_u32(q + 4, ttl);
	tern_put_u16(q + 8, rdlen);
	memcpy(q + 10, rd, rdlen);
	r->len += need;
	r->n++;
	return 0;
}

static bool has_rr(const wrr *v, size_t n, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t len)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].type == type && v[i].ttl == ttl && v[i].rdlen == len && !memcmp(v[i].rdata, rd, len))
			return true;
	return false;
}

/* Each edited name's records before (its node in old) and after (its
 * work node): what went is removed, what came is added; a changed TTL is
 * both (as db_diff_make does). */
db_diff *apply_make_diff(const work *k, const db_zone *nz)
{
	run del = {0}, add = {0};
	const db_zone *old = k->old;
	uint16_t l;
	const uint8_t *rd = rrset_rdata(old->soa->rdata, &l);
	int rc = run_rr(&del, old->origin, TERN_T_SOA, old->soa->ttl, rd, l);
	rd = rrset_rdata(nz->soa->rdata, &l);
	rc |= run_rr(&add, nz->origin, TERN_T_SOA, nz->soa->ttl, rd, l);
	for (size_t i = 0; i < k->n && !rc; i++) {
		const wnode *w = &k->w[i];
		/* what the name had: its node in old */
		for (unsigned s = 0; w->old && s < w->old->nrrsets && !rc; s++) {
			const db_rrset *rs = &w->old->rrsets[s];
			if (rs->type == TERN_T_SOA)
				continue;
			const uint8_t *p = rs->rdata;
			for (unsigned j = 0; j < rs->count && !rc; j++) {
				const uint8_t *d = rrset_rdata(p, &l);
				if (!has_rr(w->rr, w->n, rs->type, rs->ttl, d, l))
					rc = run_rr(&del, w->old->name, rs->type, rs->ttl, d, l);
				p = d + l;
			}
		}
		for (size_t j = 0; j < w->n && !rc; j++) {
			const wrr *r = &w->rr[j];
			if (r->type == TERN_T_SOA)
				continue;
			const db_rrset *rs = NULL;
			bool had = false;
			for (unsigned s = 0; w->old && s < w->old->nrrsets && !had; s++) {
				rs = &w->old->rrsets[s];
				if (rs->type != r->type || rs->ttl != r->ttl)
					continue;
				const uint8_t *p = rs->rdata;
				for (unsigned m = 0; m < rs->count && !had; m++) {
					const uint8_t *d = rrset_rdata(p, &l);
					had = l == r->rdlen && !memcmp(d, r->rdata, l);
					p = d + l;
				}
			}
			if (!had)
				rc = run_rr(&add, w->owner, r->type, r->ttl, r->rdata, r->rdlen);
		}
	}
	db_diff *d = rc ? NULL
	                : db_diff_from_runs(old->serial, nz->serial, del.p, del.len, del.n, add.p, add.len, add.n);
	free(del.p);
	free(add.p);
	return d;
}

