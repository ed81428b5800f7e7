/* diff.c: the difference between two versions of a zone (journal.h). */
#include <stdlib.h>
#include <string.h>

#include "db/dnssec.h"
#include "db/journal.h"
#include "db/zone.h"
#include "tern/msg.h"
#include "tern/wire.h"

void db_rrrun_add(db_rrrun *r, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl, const uint8_t *rd,
                  uint16_t rdlen)
{
	size_t need = olen + 10 + rdlen;
	if (r->oom)
		return;
	if (r->len + need > r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 4096;
		while (ncap < r->len + need)
			ncap *= 2;
		uint8_t *np = realloc(r->p, ncap);
		if (!np) {
			r->oom = true;
			return;
		}
		r->p = np;
		r->cap = ncap;
	}
	uint8_t *q = r->p + r->len;
	memcpy(q, owner, olen);
	q += olen;
	tern_put_u16(q, type);
	tern_put_u16(q + 2, TERN_C_IN);
	tern_put_u32(q + 4, ttl);
	tern_put_u16(q + 8, rdlen);
	memcpy(q + 10, rd, rdlen);
	r->len += need;
	r->n++;
}

/* One RDATA of an RRset, for sorting. */
typedef struct rdref {
	const uint8_t *p;
	uint16_t len;
} rdref;

static int rdref_cmp(const void *a, const void *b)
{
	const rdref *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->p, y->p, x->len);
}

typedef struct differ {
	db_rrrun del, add;
	rdref *va, *vb;
	size_t cap;
	bool oom;
} differ;

static void all_of(db_rrrun *r, const db_node *n, const db_rrset *s)
{
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		db_rrrun_add(r, n->name, n->name_len, s->type, s->ttl, rd, len);
		p = rd + len;
	}
}

static size_t refs_of(rdref *v, const db_rrset *s)
{
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		v[i].p = rrset_rdata(p, &v[i].len);
		p = v[i].p + v[i].len;
	}
	qsort(v, s->count, sizeof *v, rdref_cmp);
	return s->count;
}

/* The records of b's RRset not in a's go to out (b owns the name written). */
static void rrset_diff(differ *df, const db_node *on, const db_rrset *a, const db_node *nn, const db_rrset *b)
{
	if (!a) {
		all_of(&df->add, nn, b);
		return;
	}
	if (!b) {
		all_of(&df->del, on, a);
		return;
	}
	if (a->ttl != b->ttl) { /* RFC 2181 5.2: an RRset has one TTL */
		all_of(&df->del, on, a);
		all_of(&df->add, nn, b);
		return;
	}
	if (a->count == b->count) { /* the usual case: the same records in the same order */
		const uint8_t *p = a->rdata, *q = b->rdata;
		bool same = true; /* record by record: b may be shorter than a */
		for (unsigned i = 0; i < a->count && same; i++) {
			uint16_t la, lb;
			const uint8_t *x = rrset_rdata(p, &la), *y = rrset_rdata(q, &lb);
			same = la == lb && !memcmp(x, y, la);
			p = x + la;
			q = y + lb;
		}
		if (same)
			return;
	}
	size_t need = a->count > b->count ? a->count : b->count;
	if (need > df->cap) {
		rdref *na = realloc(df->va, need * sizeof *na), *nb = na ? realloc(df->vb, need * sizeof *nb) : NULL;
		if (na)
			df->va = na;
		if (!nb) {
			df->oom = true;
			return;
		}
		df->vb = nb;
		df->cap = need;
	}
	size_t na = refs_of(df->va, a), nb = refs_of(df->vb, b), i = 0, j = 0;
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : rdref_cmp(&df->va[i], &df->vb[j]);
		if (c < 0) {
			db_rrrun_add(&df->del, on->name, on->name_len, a->type, a->ttl, df->va[i].p, df->va[i].len);
			i++;
		} else if (c > 0) {
			db_rrrun_add(&df->add, nn->name, nn->name_len, b->type, b->ttl, df->vb[j].p, df->vb[j].len);
			j++;
		} else {
			i++;
			j++;
		}
	}
}

/* Every RRset of n (but the SOA) against those of m (NULL: none), both
 * sorted by type. Records of n not in m go to `to` (del when n is old). */
static void node_diff(differ *df, const db_node *old, const db_node *new)
{
	unsigned i = 0, j = 0;
	unsigned no = old ? old->nrrsets : 0, nn = new ? new->nrrsets : 0;
	while (i < no || j < nn) {
		const db_rrset *a = i < no ? &old->rrsets[i] : NULL, *b = j < nn ? &new->rrsets[j] : NULL;
		if (a && b && a->type == b->type) {
			i++, j++;
		} else if (a && (!b || a->type < b->type)) {
			b = NULL, i++;
		} else {
			a = NULL, j++;
		}
		if ((a ? a->type : b->type) == TERN_T_SOA)
			continue;
		rrset_diff(df, old, a, new, b);
	}
}

/* Every node of z, in table order, prefetching ahead: the node 16 buckets
 * on, its RRsets and the chain of `other` it will be looked up in 8 buckets
 * on, that chain's first node 4 on (nodes lie in file order, the table in
 * hash order: without this the walk waits on memory at every node). */
#define FOR_EACH_NODE(z, other, n)                                                                     \
	for (size_t b_ = 0, nb_ = (z)->table ? (size_t)1 << (32 - (z)->shift) : 0; b_ < nb_; b_++)   \
		for (const db_node *n = (prefetch_ahead((z), (other), b_, nb_), (z)->table[b_]); n; n = n->hnext)

static inline void prefetch_ahead(const db_zone *z, const db_zone *other, size_t b, size_t nb)
{
	if (b + 16 < nb && z->table[b + 16])
		__builtin_prefetch(z->table[b + 16]);
	const db_node *h = b + 8 < nb ? z->table[b + 8] : NULL;
	if (h) {
		__builtin_prefetch(h->rrsets);
		if (other->table)
			__builtin_prefetch(&other->table[db_bucket(other->shift, h->hash)]);
	}
	h = b + 4 < nb ? z->table[b + 4] : NULL;
	if (h && other->table && other->table[db_bucket(other->shift, h->hash)])
		__builtin_prefetch(other->table[db_bucket(other->shift, h->hash)]);
}

static uint32_t soa_serial(const db_rrset *soa)
{
	uint16_t len;
	const uint8_t *rd = rrset_rdata(soa->rdata, &len);
	return len >= 20 ? tern_get_u32(rd + len - 20) : 0;
}

db_diff *db_diff_make(const db_zone *old, const db_zone *new)
{
	if (!old->soa || !new->soa)
		return NULL;
	differ df;
	memset(&df, 0, sizeof df);
	all_of(&df.del, old->apex, old->soa);
	all_of(&df.add, new->apex, new->soa);
	size_t found = 0; /* nodes of old that new has too */
	FOR_EACH_NODE(new, old, n) {
		const db_node *o = zone_find_h(old, n->name, n->name_len, n->hash);
		found += o != NULL;
		if (n->nrrsets || (o && o->nrrsets))
			node_diff(&df, o, n);
	}
	/* the names only old has (none when every node of old was found) */
	if (found < old->nnodes) {
		FOR_EACH_NODE(old, new, n) {
			if (n->nrrsets && !zone_find_h(new, n->name, n->name_len, n->hash))
				node_diff(&df, n, NULL);
		}
	}
	/* the NSEC3 owners, which are out of the table (db/dnssec.h) */
	for (size_t i = 0; new->dnssec && i < new->dnssec->nhidden; i++) {
		const db_node *n = new->dnssec->hidden[i];
		node_diff(&df, zone_find_stored(old, n->name), n);
	}
	for (size_t i = 0; old->dnssec && i < old->dnssec->nhidden; i++) {
		const db_node *n = old->dnssec->hidden[i];
		if (!zone_find_stored(new, n->name))
			node_diff(&df, n, NULL);
	}
	db_diff *d = NULL;
	if (!df.oom && !df.del.oom && !df.add.oom)
		d = db_diff_from_runs(soa_serial(old->soa), soa_serial(new->soa), df.del.p, df.del.len, df.del.n,
		                      df.add.p, df.add.len, df.add.n);
	free(df.del.p);
	free(df.add.p);
	free(df.va);
	free(df.vb);
	return d;
}

db_diff *db_diff_from_runs(uint32_t from, uint32_t to, const uint8_t *del, size_t del_len, uint32_t ndel,
                           const uint8_t *add, size_t add_len, uint32_t nadd)
{
	db_diff *d = malloc(sizeof *d + del_len + add_len);
	if (!d)
		return NULL;
	atomic_init(&d->refs, 1);
	d->from = from;
	d->to = to;
	d->ndel = ndel;
	d->nadd = nadd;
	d->del_len = del_len;
	d->add_len = add_len;
	if (del_len)
		memcpy(d->data, del, del_len);
	if (add_len)
		memcpy(d->data + del_len, add, add_len);
	d->del = d->data;
	d->add = d->data + del_len;
	return d;
}

void db_diff_unref(db_diff *d)
{
	if (d && atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) == 1)
		free(d);
}
