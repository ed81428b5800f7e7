/* apply_diff.c: the journal entry of a zone_apply (DB_APPLY_DIFF, apply.h)
 * from the names the edits touched: no walk of the zone. */
#include <stdlib.h>
#include <string.h>

#include "db/apply_impl.h"

/* ---- the difference, for the journal ---- */

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
	db_rrrun del = {0}, add = {0};
	const db_zone *old = k->old;
	uint16_t l;
	const uint8_t *rd = rrset_rdata(old->soa->rdata, &l);
	db_rrrun_add(&del, old->origin, old->origin_len, TERN_T_SOA, old->soa->ttl, rd, l);
	rd = rrset_rdata(nz->soa->rdata, &l);
	db_rrrun_add(&add, nz->origin, nz->origin_len, TERN_T_SOA, nz->soa->ttl, rd, l);
	for (size_t i = 0; i < k->n; i++) {
		const wnode *w = &k->w[i];
		/* what the name had: its node in old */
		for (unsigned s = 0; w->old && s < w->old->nrrsets; s++) {
			const db_rrset *rs = &w->old->rrsets[s];
			if (rs->type == TERN_T_SOA)
				continue;
			const uint8_t *p = rs->rdata;
			for (unsigned j = 0; j < rs->count; j++) {
				const uint8_t *d = rrset_rdata(p, &l);
				if (!has_rr(w->rr, w->n, rs->type, rs->ttl, d, l))
					db_rrrun_add(&del, w->old->name, w->old->name_len, rs->type, rs->ttl, d, l);
				p = d + l;
			}
		}
		for (size_t j = 0; j < w->n; j++) {
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
				db_rrrun_add(&add, w->owner, tern_name_len(w->owner), r->type, r->ttl, r->rdata, r->rdlen);
		}
	}
	db_diff *d = del.oom || add.oom ? NULL
	                : db_diff_from_runs(old->serial, nz->serial, del.p, del.len, del.n, add.p, add.len, add.n);
	free(del.p);
	free(add.p);
	return d;
}

