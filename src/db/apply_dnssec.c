/* apply_dnssec.c: a changed version's denial indexes (apply_dnssec.h).
 *
 * The old arrays are sorted (NSEC owners canonically, NSEC3 by hash), so
 * the new ones are made by copying the old ones in segments, skipping the
 * entries of superseded nodes and putting the new entries where a binary
 * search says: O(n) bytes moved, O(changes x log n) comparisons, no sort
 * of the whole. The hidden NSEC3 owners (no order) are one pass with a
 * membership test (a small hash set) against the few superseded ones. */
#include <stdlib.h>
#include <string.h>

#include "db/apply_dnssec.h"
#include "db/dnssec.h"
#include "tern/rr.h"

static bool authoritative(const db_node *n)
{
	return !(n->flags & (DB_OCCLUDED | DB_UNDER_DNAME));
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_node_canon(const void *a, const void *b)
{
	return tern_name_cmp((*(const db_node *const *)a)->name, (*(const db_node *const *)b)->name);
}

static int cmp_n3(const void *a, const void *b)
{
	return memcmp(((const db_nsec3 *)a)->hash, ((const db_nsec3 *)b)->hash, DB_NSEC3_HASH_LEN);
}

/* The first index of v[0..n) whose name sorts at or after name. */
static size_t nsec_lower(const db_node *const *v, size_t n, const uint8_t *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tern_name_cmp(v[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t n3_lower(const db_nsec3 *v, size_t n, const uint8_t *h)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(v[mid].hash, h, DB_NSEC3_HASH_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* out = old[0..n0) less the indexes rm (sorted, distinct), with add[j]
 * (sorted) put before old[pos[j]] (pos ascending). Elements of size sz. */
static size_t merge(void *out, const void *old, size_t n0, size_t sz, const size_t *rm, size_t nrm,
                    const void *add, const size_t *pos, size_t nadd)
{
	uint8_t *o = out;
	const uint8_t *src = old, *a = add;
	size_t idx = 0, ri = 0, ai = 0, len = 0;
	for (;;) {
		size_t ev = n0;
		if (ri < nrm && rm[ri] < ev)
			ev = rm[ri];
		if (ai < nadd && pos[ai] < ev)
			ev = pos[ai];
		memcpy(o + len * sz, src + idx * sz, (ev - idx) * sz);
		len += ev - idx;
		idx = ev;
		while (ai < nadd && pos[ai] == idx)
			memcpy(o + len++ * sz, a + ai++ * sz, sz);
		if (idx == n0)
			break;
		if (ri < nrm && rm[ri] == idx)
			ri++;
		else
			memcpy(o + len++ * sz, src + idx * sz, sz);
		idx++;
	}
	return len;
}

static size_t uniq(size_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_size);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!m || v[m - 1] != v[i])
			v[m++] = v[i];
	return m;
}

static int patch_nsec(db_zone *z, const db_dnssec *d0, db_dnssec *d, const db_node *const *sup, size_t nsup,
                      const db_node *const *made, size_t nmade)
{
	size_t *rm = malloc((nsup + 1) * sizeof *rm), nrm = 0;
	const db_node **add = malloc((nmade + 1) * sizeof *add);
	size_t *pos = malloc((nmade + 1) * sizeof *pos), nadd = 0;
	int rc = -1;
	if (!rm || !add || !pos)
		goto out;
	for (size_t i = 0; i < nsup; i++) {
		if (!node_rrset(sup[i], TERN_T_NSEC) || !authoritative(sup[i]))
			continue;
		size_t at = nsec_lower(d0->nsec, d0->nnsec, sup[i]->name);
		if (at < d0->nnsec && tern_name_eq(d0->nsec[at]->name, sup[i]->name))
			rm[nrm++] = at;
	}
	nrm = uniq(rm, nrm);
	for (size_t i = 0; i < nmade; i++)
		if (node_rrset(made[i], TERN_T_NSEC) && authoritative(made[i]))
			add[nadd++] = made[i];
	qsort(add, nadd, sizeof *add, cmp_node_canon);
	for (size_t j = 0; j < nadd; j++)
		pos[j] = nsec_lower(d0->nsec, d0->nnsec, add[j]->name);
	size_t n = d0->nnsec - nrm + nadd;
	const db_node **v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		goto out;
	d->own[0] = v;
	d->nnsec = merge(v, d0->nsec, d0->nnsec, sizeof *v, rm, nrm, add, pos, nadd);
	d->nsec = v;
	rc = 0;
out:
	free(rm);
	free(add);
	free(pos);
	return rc;
}

static int patch_nsec3(db_zone *z, const db_dnssec *d0, db_dnssec *d, const db_node *const *sup, size_t nsup,
                       const db_node *const *made, size_t nmade)
{
	size_t *rm = malloc((nsup + 1) * sizeof *rm), nrm = 0;
	db_nsec3 *add = malloc((nmade + 1) * sizeof *add);
	size_t *pos = malloc((nmade + 1) * sizeof *pos), nadd = 0;
	int rc = -1;
	if (!rm || !add || !pos)
		goto out;
	uint8_t h[DB_NSEC3_HASH_LEN];
	for (size_t i = 0; i < nsup; i++) {
		if (!node_rrset(sup[i], TERN_T_NSEC3) || !authoritative(sup[i]) ||
		    !db_nsec3_owner_hash(sup[i]->name, h))
			continue;
		size_t at = n3_lower(d0->n3, d0->nn3, h);
		if (at < d0->nn3 && !memcmp(d0->n3[at].hash, h, DB_NSEC3_HASH_LEN))
			rm[nrm++] = at;
	}
	nrm = uniq(rm, nrm);
	for (size_t i = 0; i < nmade; i++)
		if (node_rrset(made[i], TERN_T_NSEC3) && authoritative(made[i]) &&
		    db_nsec3_owner_hash(made[i]->name, add[nadd].hash))
			add[nadd++].node = made[i];
	qsort(add, nadd, sizeof *add, cmp_n3);
	for (size_t j = 0; j < nadd; j++)
		pos[j] = n3_lower(d0->n3, d0->nn3, add[j].hash);
	size_t n = d0->nn3 - nrm + nadd;
	db_nsec3 *v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		goto out;
	d->own[1] = v;
	d->nn3 = merge(v, d0->n3, d0->nn3, sizeof *v, rm, nrm, add, pos, nadd);
	d->n3 = v;
	rc = 0;
out:
	free(rm);
	free(add);
	free(pos);
	return rc;
}

/* A set of the few superseded nodes, by address: open addressing, a
 * power of two at least twice their count. A membership test is a
 * multiply and a load or two, where a binary search cost some 25 ns of
 * unpredictable branches for each of the 1.35M hidden owners of a
 * 1M-name NSEC3 zone. */
typedef struct ptrset {
	const db_node **slot;
	size_t mask;
} ptrset;

static size_t ptr_slot(const ptrset *p, const db_node *x)
{
	return (size_t)(((uint64_t)(uintptr_t)x >> 4) * 0x9E3779B97F4A7C15ull >> 20) & p->mask;
}

static int ptrset_init(ptrset *p, const db_node *const *v, size_t n)
{
	size_t cap = 8;
	while (cap < 2 * n)
		cap *= 2;
	p->mask = cap - 1;
	p->slot = calloc(cap, sizeof *p->slot);
	if (!p->slot)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t k = ptr_slot(p, v[i]);
		while (p->slot[k] && p->slot[k] != v[i])
			k = (k + 1) & p->mask;
		p->slot[k] = v[i];
	}
	return 0;
}

static bool ptrset_has(const ptrset *p, const db_node *x)
{
	for (size_t k = ptr_slot(p, x); p->slot[k]; k = (k + 1) & p->mask)
		if (p->slot[k] == x)
			return true;
	return false;
}

/* The hidden NSEC3 owners: old's but the superseded, and the new ones. */
static int patch_hidden(db_zone *z, const db_dnssec *d0, db_dnssec *d, const db_node *const *sup, size_t nsup,
                        const db_node *const *made, size_t nmade)
{
	const db_node **out = malloc((nsup + 1) * sizeof *out);
	size_t nout = 0, nnew = 0;
	if (!out)
		return -1;
	for (size_t i = 0; i < nsup; i++)
		if (sup[i]->flags & DB_HASHED)
			out[nout++] = sup[i];
	for (size_t i = 0; i < nmade; i++)
		nnew += (made[i]->flags & DB_HASHED) != 0;
	db_node **v = malloc((d0->nhidden + nnew + 1) * sizeof *v);
	ptrset gone = {NULL, 0};
	d->own[2] = v;
	if (!v || (nout && ptrset_init(&gone, out, nout))) {
		free(out);
		return -1;
	}
	size_t n = 0;
	if (!nout) {
		memcpy(v, d0->hidden, d0->nhidden * sizeof *v);
		n = d0->nhidden;
	} else {
		for (size_t i = 0; i < d0->nhidden; i++) {
			db_node *x = d0->hidden[i];
			v[n] = x;
			n += !ptrset_has(&gone, x);
		}
	}
	for (size_t i = 0; i < nmade; i++)
		if (made[i]->flags & DB_HASHED)
			v[n++] = (db_node *)made[i];
	d->hidden = v;
	d->nhidden = n;
	free(gone.slot);
	free(out);
	return 0;
}

int apply_dnssec_patch(db_zone *z, const db_zone *old, const db_node *const *sup, size_t nsup,
                       const db_node *const *made, size_t nmade)
{
	const db_dnssec *d0 = old->dnssec;
	db_dnssec *d = arena_alloc(&z->mem, sizeof *d);
	if (!d)
		return -1;
	*d = *d0;
	memset(d->own, 0, sizeof d->own);
	if (patch_nsec(z, d0, d, sup, nsup, made, nmade) || patch_nsec3(z, d0, d, sup, nsup, made, nmade) ||
	    patch_hidden(z, d0, d, sup, nsup, made, nmade)) {
		db_dnssec_free_own(d);
		return -1;
	}
	z->dnssec = d;
	return 0;
}
