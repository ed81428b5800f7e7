/* resign.c: a change to a zone ternd signs, signed incrementally
 * (resign.h; docs/architecture.md, "Re-signing what changed").
 *
 * The caller's edits are gathered by zone_apply_begin; from the names they
 * touch (their records before and after) the signer works out its own
 * edits, hands them to zone_apply_more, and zone_apply_finish makes the
 * version on the fast path, sharing every other node:
 *   - per touched name, a new RRSIG for each RRset whose records or TTL
 *     changed (the old ones removed); the RRSIGs of RRsets that went;
 *   - NSEC: the chain is the authoritative names with records (RFC 4035
 *     2.3). Names entering get an NSEC, names leaving lose theirs, and
 *     the predecessor of each (in the new chain) points past it; a touched
 *     name's bitmap is made again; an untouched neighbour keeps its own;
 *   - NSEC3: the set is the authoritative names and the empty
 *     non-terminals (RFC 5155 7.1): which ENTs a new name brings, and
 *     which go with a removed one, is worked out as zone_apply will do it;
 *     then the same mending, by hash.
 * Every NSEC/NSEC3 written that equals the one there is left alone. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/dnssec.h"
#include "db/journal.h"
#include "dnssec/keyimpl.h"
#include "dnssec/resign.h"
#include "dnssec/resign_impl.h"
#include "lib/encoding.h"
#include "tern/rr.h"

bool dnssec_managed_type(const db_zone *z, const uint8_t *owner, uint16_t type)
{
	if (type == TERN_T_RRSIG || type == TERN_T_NSEC || type == TERN_T_NSEC3 || type == TERN_T_NSEC3PARAM)
		return true;
	return (type == TERN_T_DNSKEY || type == TERN_T_CDS || type == TERN_T_CDNSKEY) && tern_name_eq(owner, z->origin);
}

/* The largest NSEC or NSEC3 RDATA the signer writes. */
#define N3_RD_MAX (6 + 255 + TERN_NAME_MAX + DNSSEC_BITMAP_MAX)

static bool chain_type(uint16_t t)
{
	return t == TERN_T_RRSIG || t == TERN_T_NSEC || t == TERN_T_NSEC3;
}

/* A name the edits touch, as they leave it. */
typedef struct tname {
	db_apply_name v;
	uint16_t *types; /* its types but RRSIG, NSEC, NSEC3: sorted, distinct */
	size_t ntypes;
	unsigned labels;
	bool apex;
	bool exists; /* holds records (the apex always) */
} tname;

/* NSEC3: a name whose node the change keeps, makes or drops. */
typedef struct vnode {
	const uint8_t *name;
	const db_node *old; /* in old's name table */
	const tname *t;     /* touched, or NULL */
	long delta;         /* children gained (lost: negative) */
	bool created, removed, in_old, in_new;
	uint8_t h[DB_NSEC3_HASH_LEN];
} vnode;

typedef struct rsg {
	const db_zone *old;
	const dnssec_keyset *ks;
	const dnssec_policy *p;
	dnssec_signer *g;
	db_edit *e;
	size_t ne, cap;
	arena mem; /* owners and RDATA of the signer's edits */
	tname *t;
	size_t nt;
	vnode *v;
	size_t nv, vcap;
	uint32_t neg_ttl;
	dnssec_resign_stats st;
	int err;
} rsg;

static void push(rsg *r, db_edit e)
{
	if (r->err)
		return;
	if (r->ne == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		db_edit *v = realloc(r->e, cap * sizeof *v);
		if (!v) {
			r->err = -1;
			return;
		}
		r->e = v;
		r->cap = cap;
	}
	r->e[r->ne++] = e;
}

static const uint8_t *keep(rsg *r, const void *p, size_t n)
{
	const uint8_t *q = arena_dup(&r->mem, p, n);
	if (!q)
		r->err = -1;
	return q;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static bool has_u16(const uint16_t *v, size_t n, uint16_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* The records of one type at t as an RRset (rdata malloc'ed into *buf). */
static int rrset_of(const tname *t, uint16_t type, db_rrset *s, uint8_t **buf)
{
	size_t bytes = 0;
	unsigned count = 0;
	uint32_t ttl = 0;
	for (size_t i = 0; i < t->v.n; i++)
		if (t->v.rr[i].type == type) {
			bytes += 2u + t->v.rr[i].rdlen;
			ttl = t->v.rr[i].ttl;
			count++;
		}
	uint8_t *b = *buf = malloc(bytes ? bytes : 1);
	if (!b)
		return -1;
	for (size_t i = 0; i < t->v.n; i++)
		if (t->v.rr[i].type == type) {
			uint16_t l = t->v.rr[i].rdlen;
			memcpy(b, &l, 2);
			memcpy(b + 2, t->v.rr[i].rdata, l);
			b += 2u + l;
		}
	*s = (db_rrset){.type = type, .count = (uint16_t)count, .ttl = ttl, .rdata = *buf};
	return 0;
}

static bool rrset_has(const db_rrset *s, const uint8_t *rd, uint16_t len)
{
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t l;
		const uint8_t *x = rrset_rdata(p, &l);
		if (l == len && !memcmp(x, rd, l))
			return true;
		p = x + l;
	}
	return false;
}

/* The same records and TTL (records are distinct within an RRset). */
static bool same_rrset(const db_rrset *a, const db_rrset *b)
{
	if (a->count != b->count || a->ttl != b->ttl)
		return false;
	const uint8_t *p = a->rdata;
	for (unsigned i = 0; i < a->count; i++) {
		uint16_t l;
		const uint8_t *x = rrset_rdata(p, &l);
		if (!rrset_has(b, x, l))
			return false;
		p = x + l;
	}
	return true;
}

/* The RRSIGs of s: one per key that signs its type. */
static void sign_add(rsg *r, const uint8_t *owner, const db_rrset *s)
{
	uint8_t rd[DNSSEC_RRSIG_MAX];
	size_t next = 0;
	for (int len; !r->err && (len = dnssec_signer_sign(r->g, owner, s, &next, rd)) != 0;) {
		if (len < 0) {
			r->err = -1;
			return;
		}
		push(r, (db_edit){.op = DB_ADD_RR, .owner = owner, .type = TERN_T_RRSIG, .ttl = s->ttl,
		                  .rdlen = (uint16_t)len, .rdata = keep(r, rd, (size_t)len)});
		r->st.signatures++;
	}
}

/* The old signatures of one RRset at n go (n is in old: its RDATA lives
 * as long as the apply). */
static void del_sigs(rsg *r, const uint8_t *owner, const db_node *n, uint16_t covered)
{
	const db_rrset *s = n ? node_rrsigs(n, covered) : NULL;
	const uint8_t *p = s ? s->rdata : NULL;
	for (unsigned i = 0; s && i < s->count; i++) {
		uint16_t l;
		const uint8_t *x = rrset_rdata(p, &l);
		push(r, (db_edit){.op = DB_DEL_RR, .owner = owner, .type = TERN_T_RRSIG, .rdlen = l, .rdata = x});
		p = x + l;
	}
}

/* One record of a type at owner, replacing the RRset there, signed. */
static void put_one(rsg *r, const uint8_t *owner, const db_node *on, uint16_t type, const uint8_t *rd, size_t len)
{
	if (on && node_rrset(on, type)) {
		push(r, (db_edit){.op = DB_DEL_RRSET, .owner = owner, .type = type});
		del_sigs(r, owner, on, type);
	}
	const uint8_t *k = keep(r, rd, len);
	push(r, (db_edit){.op = DB_ADD_RR, .owner = owner, .type = type, .ttl = r->neg_ttl, .rdlen = (uint16_t)len,
	                  .rdata = k});
	uint8_t one[2 + N3_RD_MAX];
	if (len > N3_RD_MAX) {
		r->err = -1;
		return;
	}
	uint16_t l = (uint16_t)len;
	memcpy(one, &l, 2);
	memcpy(one + 2, rd, len);
	db_rrset s = {.type = type, .count = 1, .ttl = r->neg_ttl, .rdata = one};
	sign_add(r, owner, &s);
	r->st.chain++;
}

/* ---- the names touched: their signatures ---- */

static int gather(rsg *r, const db_apply *a)
{
	r->nt = zone_apply_count(a);
	r->t = calloc(r->nt ? r->nt : 1, sizeof *r->t);
	if (!r->t)
		return -1;
	for (size_t i = 0; i < r->nt; i++) {
		tname *t = &r->t[i];
		t->v = zone_apply_name(a, i);
		t->apex = tern_name_eq(t->v.owner, r->old->origin);
		t->labels = tern_name_labels(t->v.owner);
		t->types = malloc((t->v.n ? t->v.n : 1) * sizeof *t->types);
		if (!t->types)
			return -1;
		for (size_t j = 0; j < t->v.n; j++)
			if (!chain_type(t->v.rr[j].type))
				t->types[t->ntypes++] = t->v.rr[j].type;
		qsort(t->types, t->ntypes, sizeof *t->types, cmp_u16);
		size_t m = 0;
		for (size_t j = 0; j < t->ntypes; j++)
			if (!m || t->types[m - 1] != t->types[j])
				t->types[m++] = t->types[j];
		t->ntypes = m;
		t->exists = m > 0 || t->apex;
		if (t->apex) { /* RFC 2308 5: the negative TTL of the new SOA */
			for (size_t j = 0; j < t->v.n; j++)
				if (t->v.rr[j].type == TERN_T_SOA && t->v.rr[j].rdlen >= 20) {
					uint32_t min = tern_get_u32(t->v.rr[j].rdata + t->v.rr[j].rdlen - 4);
					r->neg_ttl = t->v.rr[j].ttl < min ? t->v.rr[j].ttl : min;
				}
		}
	}
	return 0;
}

static void sign_names(rsg *r)
{
	for (size_t i = 0; i < r->nt && !r->err; i++) {
		const tname *t = &r->t[i];
		const uint8_t *owner = t->v.owner;
		const db_node *on = t->v.old;
		if (!t->exists) {
			push(r, (db_edit){.op = DB_DEL_RRSET, .owner = owner, .type = TERN_T_RRSIG});
			push(r, (db_edit){.op = DB_DEL_RRSET, .owner = owner, .type = TERN_T_NSEC});
			continue;
		}
		for (size_t j = 0; j < t->ntypes && !r->err; j++) {
			db_rrset ns;
			uint8_t *buf;
			if (rrset_of(t, t->types[j], &ns, &buf)) {
				r->err = -1;
				break;
			}
			const db_rrset *os = on ? node_rrset(on, ns.type) : NULL;
			const db_rrset *osig = on ? node_rrsigs(on, ns.type) : NULL;
			if (!(os && osig && same_rrset(os, &ns))) {
				del_sigs(r, owner, on, ns.type);
				sign_add(r, owner, &ns);
			}
			free(buf);
		}
		/* the signatures of RRsets that went */
		for (size_t j = 0; j < t->v.n; j++) {
			const db_rr *x = &t->v.rr[j];
			if (x->type != TERN_T_RRSIG || x->rdlen < 2)
				continue;
			uint16_t c = tern_get_u16(x->rdata);
			if (!chain_type(c) && !has_u16(t->types, t->ntypes, c))
				push(r, (db_edit){.op = DB_DEL_RR, .owner = owner, .type = TERN_T_RRSIG, .rdlen = x->rdlen,
				                  .rdata = x->rdata});
		}
	}
}

static const tname *touched(const rsg *r, const uint8_t *name)
{
	for (size_t i = 0; i < r->nt; i++)
		if (tern_name_eq(r->t[i].v.owner, name))
			return &r->t[i];
	return NULL;
}

/* The type bitmap of a touched name that holds records: its types, RRSIG,
 * and NSEC in an NSEC chain. */
static size_t touched_bitmap(const tname *t, bool nsec, uint8_t *out)
{
	uint16_t *v = malloc((t->ntypes + 2) * sizeof *v);
	if (!v)
		return SIZE_MAX;
	memcpy(v, t->types, t->ntypes * sizeof *v);
	size_t n = t->ntypes;
	v[n++] = TERN_T_RRSIG;
	if (nsec)
		v[n++] = TERN_T_NSEC;
	qsort(v, n, sizeof *v, cmp_u16);
	size_t len = dnssec_type_bitmap(v, n, out);
	free(v);
	return len;
}

/* ---- NSEC ---- */

typedef struct nsec_set {
	const db_node *const *old; /* the old chain, canonical order */
	size_t nold;
	const uint8_t **add; /* names entering, canonical order */
	size_t nadd;
	const uint8_t **rm; /* names leaving */
	size_t nrm;
} nsec_set;

static bool in_list(const uint8_t *const *v, size_t n, const uint8_t *name)
{
	for (size_t i = 0; i < n; i++)
		if (tern_name_eq(v[i], name))
			return true;
	return false;
}

static int cmp_name(const void *a, const void *b)
{
	return tern_name_cmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b);
}

/* The first old index whose name sorts after name (after: >, else >=). */
static size_t old_bound(const nsec_set *c, const uint8_t *name, bool after)
{
	size_t lo = 0, hi = c->nold;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = tern_name_cmp(c->old[mid]->name, name);
		if (d < 0 || (after && d == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The name after x (dir 1) or before it (dir -1) in the new chain,
 * cyclically; x itself when the chain holds nothing else. */
static const uint8_t *nsec_step(const nsec_set *c, const uint8_t *x, int dir)
{
	const uint8_t *oc = NULL, *ac = NULL;
	if (c->nold) {
		size_t i = old_bound(c, x, dir > 0);
		for (size_t s = 0; s < c->nold; s++) {
			size_t j = dir > 0 ? (i + s) % c->nold : (i + c->nold - 1 - s % c->nold) % c->nold;
			const uint8_t *nm = c->old[j]->name;
			if (!tern_name_eq(nm, x) && !in_list(c->rm, c->nrm, nm)) {
				oc = nm;
				break;
			}
		}
	}
	for (size_t s = 0; s < c->nadd && !ac; s++) {
		const uint8_t *nm = c->add[dir > 0 ? s : c->nadd - 1 - s];
		if ((dir > 0 && tern_name_cmp(nm, x) > 0) || (dir < 0 && tern_name_cmp(nm, x) < 0))
			ac = nm;
	}
	if (!ac && c->nadd) { /* wrapped */
		const uint8_t *nm = c->add[dir > 0 ? 0 : c->nadd - 1];
		if (!tern_name_eq(nm, x))
			ac = nm;
	}
	if (!oc || !ac)
		return oc ? oc : ac ? ac : x;
	/* the nearer one on x's side wins; when both wrapped, the further */
	bool os = dir * tern_name_cmp(oc, x) > 0, as = dir * tern_name_cmp(ac, x) > 0;
	if (os != as)
		return os ? oc : ac;
	return dir * tern_name_cmp(oc, ac) < 0 ? oc : ac;
}

static void nsec_write(rsg *r, const nsec_set *c, const uint8_t *w)
{
	const tname *t = touched(r, w);
	const db_node *on = t ? t->v.old : zone_find(r->old, w);
	const db_rrset *os = on ? node_rrset(on, TERN_T_NSEC) : NULL;
	const uint8_t *next = nsec_step(c, w, 1);
	size_t nl = tern_name_len(next);
	uint8_t *rd = malloc(N3_RD_MAX);
	if (!rd) {
		r->err = -1;
		return;
	}
	memcpy(rd, next, nl);
	size_t bl = SIZE_MAX;
	if (t) {
		bl = touched_bitmap(t, true, rd + nl);
	} else if (os) { /* an untouched neighbour keeps its bitmap */
		uint16_t l;
		const uint8_t *x = rrset_rdata(os->rdata, &l);
		size_t xl = tern_name_len(x);
		if (xl <= l) {
			bl = l - xl;
			memcpy(rd + nl, x + xl, bl);
		}
	}
	if (bl == SIZE_MAX) {
		r->err = -1;
		free(rd);
		return;
	}
	size_t len = nl + bl;
	uint16_t ol = 0;
	const uint8_t *ord = os ? rrset_rdata(os->rdata, &ol) : NULL;
	if (!(os && os->count == 1 && os->ttl == r->neg_ttl && ol == len && !memcmp(ord, rd, len)))
		put_one(r, t ? t->v.owner : on->name, on, TERN_T_NSEC, rd, len);
	free(rd);
}

static void mend_nsec(rsg *r)
{
	const db_dnssec *d = r->old->dnssec;
	nsec_set c = {.old = d->nsec, .nold = d->nnsec};
	c.add = malloc((r->nt + 1) * sizeof *c.add);
	c.rm = malloc((r->nt + 1) * sizeof *c.rm);
	const uint8_t **todo = malloc((3 * r->nt + 1) * sizeof *todo);
	size_t ntodo = 0;
	if (!c.add || !c.rm || !todo) {
		r->err = -1;
		goto out;
	}
	for (size_t i = 0; i < r->nt; i++) {
		const tname *t = &r->t[i];
		bool was = t->v.old && node_rrset(t->v.old, TERN_T_NSEC);
		if (t->exists && !was)
			c.add[c.nadd++] = t->v.owner;
		if (!t->exists && was) {
			c.rm[c.nrm++] = t->v.owner;
			r->st.chain++;
		}
		if (t->exists)
			todo[ntodo++] = t->v.owner;
	}
	qsort(c.add, c.nadd, sizeof *c.add, cmp_name);
	/* RFC 4034 4.1.1: the predecessor of each name entering or leaving
	 * now points past it (or to it) */
	for (size_t i = 0; i < c.nadd + c.nrm; i++) {
		const uint8_t *y = i < c.nadd ? c.add[i] : c.rm[i - c.nadd];
		const uint8_t *p = nsec_step(&c, y, -1);
		if (!in_list(todo, ntodo, p))
			todo[ntodo++] = p;
	}
	for (size_t i = 0; i < ntodo && !r->err; i++)
		nsec_write(r, &c, todo[i]);
out:
	free(c.add);
	free(c.rm);
	free(todo);
}

/* ---- NSEC3 ---- */

static vnode *vget(rsg *r, const uint8_t *name)
{
	for (size_t i = 0; i < r->nv; i++)
		if (tern_name_eq(r->v[i].name, name))
			return &r->v[i];
	if (r->nv == r->vcap) {
		size_t cap = r->vcap ? 2 * r->vcap : 64;
		vnode *v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return NULL;
		r->v = v;
		r->vcap = cap;
	}
	vnode *x = &r->v[r->nv++];
	*x = (vnode){.name = name, .old = zone_find(r->old, name), .t = touched(r, name)};
	return x;
}

static const uint8_t *parent_of(const uint8_t *name)
{
	return name + 1 + name[0];
}

static int cmp_tname_up(const void *a, const void *b)
{
	const tname *x = a, *y = b;
	return x->labels < y->labels ? -1 : x->labels > y->labels;
}

/* A node left without records: it goes when it has no children left, and
 * so, then, may its parent (as zone_apply's node_drop does). */
static int drop(rsg *r, const uint8_t *name)
{
	vnode *v = vget(r, name);
	if (!v)
		return -1;
	if (v->removed || !v->old || tern_name_eq(name, r->old->origin) || (long)v->old->nchildren + v->delta > 0)
		return 0;
	v->removed = true;
	const uint8_t *up = parent_of(name);
	vnode *p = vget(r, up);
	if (!p)
		return -1;
	p->delta--;
	/* an untouched empty non-terminal above goes with its last child; a
	 * touched one left empty goes in its own turn */
	if (!p->t && p->old && !p->old->nrrsets)
		return drop(r, up);
	return 0;
}

/* Which nodes the change makes and drops (zone_apply's node_make and
 * node_drop, foreseen). */
static int foresee(rsg *r)
{
	qsort(r->t, r->nt, sizeof *r->t, cmp_tname_up);
	for (size_t i = 0; i < r->nt; i++)
		if (!vget(r, r->t[i].v.owner))
			return -1;
	for (size_t i = 0; i < r->nt; i++) {
		const tname *t = &r->t[i];
		vnode *v = vget(r, t->v.owner);
		if (!v)
			return -1;
		if (!t->exists || v->old || v->created)
			continue;
		v->created = true;
		for (const uint8_t *cur = t->v.owner; !tern_name_eq(cur, r->old->origin);) {
			const uint8_t *up = parent_of(cur);
			vnode *p = vget(r, up);
			if (!p)
				return -1;
			p->delta++;
			if (p->old || p->created)
				break;
			p->created = true;
			cur = up;
		}
	}
	for (size_t i = r->nt; i-- > 0;) {
		const tname *t = &r->t[i];
		if (!t->exists && drop(r, t->v.owner))
			return -1;
	}
	return 0;
}

typedef struct n3_set {
	const db_nsec3 *old;
	size_t nold;
	const vnode **add; /* entering, by hash */
	size_t nadd;
	const vnode **rm;
	size_t nrm;
} n3_set;

static int cmp_vnode_hash(const void *a, const void *b)
{
	return memcmp((*(const vnode *const *)a)->h, (*(const vnode *const *)b)->h, DB_NSEC3_HASH_LEN);
}

static bool rm_has(const n3_set *c, const uint8_t *h)
{
	for (size_t i = 0; i < c->nrm; i++)
		if (!memcmp(c->rm[i]->h, h, DB_NSEC3_HASH_LEN))
			return true;
	return false;
}

static int hcmp(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, DB_NSEC3_HASH_LEN);
}

/* The hash after h (dir 1) or before it (dir -1) in the new set,
 * cyclically (h itself when alone); *old_at: its old entry, or NULL when
 * it is a name entering (*vn). */
static const uint8_t *n3_step(const n3_set *c, const uint8_t *h, int dir, const db_nsec3 **old_at, const vnode **vn)
{
	const db_nsec3 *oc = NULL;
	const vnode *ac = NULL;
	if (c->nold) {
		size_t lo = 0, hi = c->nold;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int d = hcmp(c->old[mid].hash, h);
			if (d < 0 || (dir > 0 && d == 0))
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t s = 0; s < c->nold; s++) {
			size_t j = dir > 0 ? (lo + s) % c->nold : (lo + c->nold - 1 - s % c->nold) % c->nold;
			const uint8_t *x = c->old[j].hash;
			if (hcmp(x, h) && !rm_has(c, x)) {
				oc = &c->old[j];
				break;
			}
		}
	}
	for (size_t s = 0; s < c->nadd && !ac; s++) {
		const vnode *x = c->add[dir > 0 ? s : c->nadd - 1 - s];
		if (dir * hcmp(x->h, h) > 0)
			ac = x;
	}
	if (!ac && c->nadd) {
		const vnode *x = c->add[dir > 0 ? 0 : c->nadd - 1];
		if (hcmp(x->h, h))
			ac = x;
	}
	*old_at = NULL;
	*vn = NULL;
	bool use_old;
	if (!oc || !ac) {
		use_old = oc != NULL;
	} else {
		bool os = dir * hcmp(oc->hash, h) > 0, as = dir * hcmp(ac->h, h) > 0;
		use_old = os != as ? os : dir * hcmp(oc->hash, ac->h) < 0;
	}
	if (use_old && oc) {
		*old_at = oc;
		return oc->hash;
	}
	if (ac) {
		*vn = ac;
		return ac->h;
	}
	return h;
}

/* The owner name of hash h in the zone: b32hex label, lower case. */
static const uint8_t *n3_owner(rsg *r, const uint8_t *h)
{
	uint8_t owner[TERN_NAME_MAX];
	const db_zone *z = r->old;
	if (33 + z->origin_len > TERN_NAME_MAX) {
		r->err = -1;
		return NULL;
	}
	owner[0] = 32;
	tern_b32hex_encode(h, DB_NSEC3_HASH_LEN, (char *)owner + 1);
	for (int i = 1; i <= 32; i++)
		if (owner[i] >= 'A' && owner[i] <= 'Z')
			owner[i] = (uint8_t)(owner[i] | 0x20);
	memcpy(owner + 33, z->origin, z->origin_len);
	return keep(r, owner, 33 + z->origin_len);
}

/* Writes the NSEC3 of hash h: a node of the set entering or touched (vn),
 * or an untouched old one whose next hash changes (at). */
static void n3_write(rsg *r, const n3_set *c, const vnode *vn, const db_nsec3 *at)
{
	const db_dnssec *d = r->old->dnssec;
	const uint8_t *h = vn ? vn->h : at->hash;
	const db_nsec3 *dummy_o;
	const vnode *dummy_v;
	const uint8_t *next = n3_step(c, h, 1, &dummy_o, &dummy_v);
	bool exact = false;
	const db_nsec3 *have = d->nn3 ? db_nsec3_find(d, h, &exact) : NULL;
	if (!exact)
		have = NULL;
	const db_node *on = have ? have->node : NULL;
	const db_rrset *os = on ? node_rrset(on, TERN_T_NSEC3) : NULL;
	uint16_t ol = 0;
	const uint8_t *ord = os ? rrset_rdata(os->rdata, &ol) : NULL;
	uint8_t *rd = malloc(N3_RD_MAX);
	if (!rd) {
		r->err = -1;
		return;
	}
	size_t len = 0;
	if (vn) {
		rd[0] = 1; /* SHA-1 */
		rd[1] = 0; /* no opt-out */
		tern_put_u16(rd + 2, d->iterations);
		rd[4] = d->salt_len;
		memcpy(rd + 5, d->salt, d->salt_len);
		size_t o = 5u + d->salt_len;
		rd[o] = DB_NSEC3_HASH_LEN;
		memcpy(rd + o + 1, next, DB_NSEC3_HASH_LEN);
		len = o + 1 + DB_NSEC3_HASH_LEN;
		if (vn->t && vn->t->exists) {
			size_t bl = touched_bitmap(vn->t, false, rd + len);
			if (bl == SIZE_MAX)
				r->err = -1;
			else
				len += bl;
		} /* an empty non-terminal: no types */
	} else if (ord && ol >= 5 && (size_t)6 + ord[4] + DB_NSEC3_HASH_LEN <= ol &&
	           ord[5 + ord[4]] == DB_NSEC3_HASH_LEN) {
		/* an untouched neighbour: only its next hash changes */
		memcpy(rd, ord, ol);
		memcpy(rd + 6 + ord[4], next, DB_NSEC3_HASH_LEN);
		len = ol;
	} else {
		r->err = -1;
	}
	if (!r->err && !(os && os->count == 1 && os->ttl == r->neg_ttl && ol == len && !memcmp(ord, rd, len))) {
		const uint8_t *owner = on ? on->name : n3_owner(r, h);
		if (owner)
			put_one(r, owner, on, TERN_T_NSEC3, rd, len);
	}
	free(rd);
}

static void mend_nsec3(rsg *r)
{
	const db_dnssec *d = r->old->dnssec;
	if (foresee(r)) {
		r->err = -1;
		return;
	}
	n3_set c = {.old = d->n3, .nold = d->nn3};
	c.add = malloc((r->nv + 1) * sizeof *c.add);
	c.rm = malloc((r->nv + 1) * sizeof *c.rm);
	const vnode **todo_v = malloc((2 * r->nv + 1) * sizeof *todo_v);
	const db_nsec3 **todo_o = malloc((2 * r->nv + 1) * sizeof *todo_o);
	size_t ntv = 0, nto = 0;
	if (!c.add || !c.rm || !todo_v || !todo_o) {
		r->err = -1;
		goto out;
	}
	for (size_t i = 0; i < r->nv; i++) {
		vnode *v = &r->v[i];
		db_nsec3_hash(v->name, d->salt, d->salt_len, d->iterations, v->h);
		bool exact = false;
		if (d->nn3)
			db_nsec3_find(d, v->h, &exact);
		v->in_old = exact;
		v->in_new = (v->old || v->created) && !v->removed;
		if (v->in_new && !v->in_old)
			c.add[c.nadd++] = v;
		if (!v->in_new && v->in_old)
			c.rm[c.nrm++] = v;
		if (v->in_new && (v->t || v->created))
			todo_v[ntv++] = v;
	}
	qsort(c.add, c.nadd, sizeof *c.add, cmp_vnode_hash);
	/* RFC 5155 7.1: each predecessor points past (or to) what changed */
	for (size_t i = 0; i < c.nadd + c.nrm; i++) {
		const vnode *y = i < c.nadd ? c.add[i] : c.rm[i - c.nadd];
		const db_nsec3 *po;
		const vnode *pv;
		n3_step(&c, y->h, -1, &po, &pv);
		if (pv) {
			bool dup = false;
			for (size_t j = 0; j < ntv && !dup; j++)
				dup = todo_v[j] == pv;
			if (!dup)
				todo_v[ntv++] = pv;
		} else if (po) {
			bool dup = false;
			for (size_t j = 0; j < ntv && !dup; j++)
				dup = !hcmp(todo_v[j]->h, po->hash);
			for (size_t j = 0; j < nto && !dup; j++)
				dup = todo_o[j] == po;
			if (!dup)
				todo_o[nto++] = po;
		}
	}
	for (size_t i = 0; i < ntv && !r->err; i++)
		n3_write(r, &c, todo_v[i], NULL);
	for (size_t i = 0; i < nto && !r->err; i++)
		n3_write(r, &c, NULL, todo_o[i]);
	for (size_t i = 0; i < c.nrm && !r->err; i++) { /* their NSEC3 and its RRSIG go */
		bool exact;
		const db_nsec3 *e = db_nsec3_find(d, c.rm[i]->h, &exact);
		push(r, (db_edit){.op = DB_DEL_NAME, .owner = e->node->name});
		r->st.chain++;
	}
out:
	free(c.add);
	free(c.rm);
	free(todo_v);
	free(todo_o);
}

/* ---- the whole ---- */

/* Errors of the intermediate version reach the caller; its warnings (the
 * old chain, broken by the edits) do not. */
typedef struct fwd {
	db_diag *to;
} fwd;

static void errors_only(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	db_diag *to = ((fwd *)user)->to;
	if (error)
		db_diag_report(to, true, file, line, "%s", msg);
}

static db_zone *whole(const db_zone *old, const db_edit *edits, size_t n, const dnssec_keyset *ks, const dnssec_policy *p,
                      uint32_t serial, unsigned flags, const char *what, db_diag *diag, db_apply_stats *ast)
{
	fwd f = {diag};
	db_diag quiet = {.fn = errors_only, .user = &f, .flags = DB_DIAG_NO_WRITE};
	db_zone *z = zone_apply(old, edits, n, 0, what, &quiet, NULL);
	if (!z)
		return NULL;
	db_zone *s = dnssec_sign_zone(z, ks, p, serial ? serial : z->serial, diag);
	zone_unref(z);
	if (s && ast) {
		ast->rebuilt = true;
		if (flags & DB_APPLY_DIFF)
			ast->diff = db_diff_make(old, s);
	}
	return s;
}

/* The served DNSKEY RRset is the keys of ks that are published, and some
 * of them sign: the key set is the one old was signed with. Otherwise (a
 * key step since, taken by the key timer or by this change) the zone is
 * signed whole, as the timer does. */
bool dnssec_keys_serve(const db_zone *z, const dnssec_keyset *ks)
{
	const db_rrset *keys = node_rrset(z->apex, TERN_T_DNSKEY);
	unsigned published = 0;
	bool signs = false;
	for (size_t i = 0; keys && i < ks->n; i++) {
		const dnssec_key *k = ks->k[i];
		if (!k->publish)
			continue;
		if (!rrset_has(keys, k->dnskey, (uint16_t)k->dnskey_len))
			return false;
		published++;
		signs |= k->sign_keys || k->sign_data;
	}
	return keys && signs && published == keys->count;
}

bool dnssec_chain_is(const db_zone *z, const dnssec_policy *p)
{
	return z->dnssec && z->dnssec->nsec3 == p->nsec3 && (p->nsec3 ? z->dnssec->nn3 > 0 : z->dnssec->nnsec > 0);
}

/* The timed refresh's RRsets (refresh.c): their signatures made again,
 * each unless the edits so far sign it already (the new SOA's). */
static void sign_picks(rsg *r, const dnssec_pick *pk, size_t n)
{
	size_t before = r->ne;
	for (size_t i = 0; i < n && !r->err; i++) {
		const db_node *nd = pk[i].node;
		bool done = false;
		for (size_t j = 0; j < before && !done; j++)
			done = r->e[j].op == DB_ADD_RR && r->e[j].type == TERN_T_RRSIG && r->e[j].rdlen >= 2 &&
			       tern_get_u16(r->e[j].rdata) == pk[i].covered && tern_name_eq(r->e[j].owner, nd->name);
		if (done)
			continue;
		del_sigs(r, nd->name, nd, pk[i].covered);
		const db_rrset *s = node_rrset(nd, pk[i].covered);
		if (s)
			sign_add(r, nd->name, s);
	}
}

db_zone *dnssec_resign(const db_zone *old, const db_edit *edits, size_t n, const dnssec_keyset *ks,
                       const dnssec_policy *p, uint32_t serial, unsigned flags, const char *what, db_diag *diag,
                       db_apply_stats *ast, dnssec_resign_stats *rst)
{
	return dnssec_resign_picks(old, edits, n, ks, p, serial, flags, what, diag, ast, rst, NULL, 0, 0);
}

db_zone *dnssec_resign_picks(const db_zone *old, const db_edit *edits, size_t n, const dnssec_keyset *ks,
                             const dnssec_policy *p, uint32_t serial, unsigned flags, const char *what,
                             db_diag *diag, db_apply_stats *ast, dnssec_resign_stats *rst, const dnssec_pick *picks,
                             size_t npicks, int64_t when)
{
	if (ast)
		*ast = (db_apply_stats){.failed_edit = SIZE_MAX};
	if (rst)
		*rst = (dnssec_resign_stats){0};
	if (!zone_has_data(old) || !old->soa) {
		db_diag_report(diag, true, what, 0, "the zone has no data to change");
		return NULL;
	}
	/* the new serial, when asked for: an SOA edit of our own, last */
	db_edit *all = malloc((n + 1) * sizeof *all);
	uint8_t soa[2 * TERN_NAME_MAX + 20];
	if (!all) {
		db_diag_report(diag, true, what, 0, "out of memory");
		return NULL;
	}
	if (n)
		memcpy(all, edits, n * sizeof *all);
	if (serial) {
		const uint8_t *rd = NULL;
		uint16_t l = 0;
		uint32_t ttl = old->soa->ttl;
		for (size_t i = 0; i < n; i++)
			if (edits[i].op == DB_ADD_RR && edits[i].type == TERN_T_SOA)
				rd = edits[i].rdata, l = edits[i].rdlen, ttl = edits[i].ttl;
		if (!rd)
			rd = rrset_rdata(old->soa->rdata, &l);
		if (l > sizeof soa)
			l = 0;
		memcpy(soa, rd, l);
		if (l >= 20)
			tern_put_u32(soa + l - 20, serial);
		all[n++] = (db_edit){.op = DB_ADD_RR, .owner = old->origin, .type = TERN_T_SOA, .ttl = ttl, .rdlen = l,
		                     .rdata = soa};
	}
	db_zone *z = NULL;
	rsg r = {.old = old, .ks = ks, .p = p, .neg_ttl = old->neg_ttl};
	arena_init_small(&r.mem);
	size_t failed;
	db_apply *a = NULL;
	if (!dnssec_keys_serve(old, ks) || !dnssec_chain_is(old, p)) { /* other keys, or another chain: signed whole */
		if (rst)
			rst->whole = true;
		z = whole(old, all, n, ks, p, 0, flags, what, diag, ast);
		goto out;
	}
	a = zone_apply_begin(old, all, n, flags | DB_APPLY_DNSSEC, what, diag, &failed);
	if (!a) {
		if (ast)
			ast->failed_edit = failed;
		goto out;
	}
	if (zone_apply_rebuilds(a)) { /* the structure moves: signed whole */
		zone_apply_abort(a);
		a = NULL;
		if (rst)
			rst->whole = true;
		z = whole(old, all, n, ks, p, 0, flags, what, diag, ast);
		goto out;
	}
	r.g = when ? dnssec_signer_new_at(old, ks, p, when) : dnssec_signer_new(old, ks, p);
	if (!r.g || gather(&r, a)) {
		db_diag_report(diag, true, what, 0, "out of memory, or libcrypto cannot sign with the key");
		goto out;
	}
	sign_names(&r);
	sign_picks(&r, picks, npicks);
	if (!r.err) {
		if (p->nsec3)
			mend_nsec3(&r);
		else
			mend_nsec(&r);
	}
	if (r.err || zone_apply_more(a, r.e, r.ne)) {
		db_diag_report(diag, true, what, 0, "re-signing failed (out of memory, or libcrypto refused)");
		goto out;
	}
	z = zone_apply_finish(a, ast);
	a = NULL;
	if (z) {
		z->sig_oldest = old->sig_oldest;
		if (rst) {
			rst->signatures = r.st.signatures;
			rst->chain = r.st.chain;
		}
	}
out:
	zone_apply_abort(a);
	dnssec_signer_free(r.g);
	for (size_t i = 0; i < r.nt; i++)
		free(r.t[i].types);
	free(r.t);
	free(r.v);
	free(r.e);
	arena_free(&r.mem);
	free(all);
	return z;
}
