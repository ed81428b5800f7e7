/* apply.c: see apply.h.
 *
 * The edits are first gathered per owner name ("work nodes": the records a
 * name will have, starting from what the old version has there), checked,
 * and only then turned into a new version:
 * - fast path: the new version copies the old one's bucket array and
 *   shares every node it does not change. A changed node is copied into the
 *   new version's own small arena (copy-on-write), together with the nodes
 *   before it in its hash chain, whose `hnext` must change; a new name is
 *   added with any empty non-terminals above it; a name left without
 *   records goes (or stays as an empty non-terminal while it has children).
 *   The new version keeps a reference on the arena of every version whose
 *   nodes it shares (db_zone.bases);
 * - rebuild: everything else (the structure moves, or too many superseded
 *   nodes are kept alive) hands every record of the new version to a
 *   zone_builder, which runs every check of a load. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/apply.h"
#include "db/apply_dnssec.h"
#include "db/dnssec.h"
#include "db/journal.h"
#include "tern/rr.h"
#include "tern/zonefile.h"

#define MAX_BASES 64 /* arenas a version may share nodes from */

#include "db/apply_impl.h"

static void name_text(const uint8_t *name, char *buf, size_t cap)
{
	if (tern_name_to_text(name, buf, cap) < 0)
		snprintf(buf, cap, "(name)");
}

static int wnode_push(wnode *w, wrr r)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		wrr *v = realloc(w->rr, cap * sizeof *v);
		if (!v)
			return -1;
		w->rr = v;
		w->cap = cap;
	}
	w->rr[w->n++] = r;
	return 0;
}

/* Structure that the fast path does not move: below or at a cut or a
 * DNAME, wildcards, DNSSEC data. */
static bool structural_type(const work *k, const uint8_t *owner, uint16_t type)
{
	switch (type) {
	case TERN_T_NS:
		return !tern_name_eq(owner, k->old->origin);
	case TERN_T_RRSIG:
	case TERN_T_NSEC:
	case TERN_T_NSEC3:
		return !(k->flags & DB_APPLY_DNSSEC);
	case TERN_T_DNAME:
	case TERN_T_DS:
	case TERN_T_NSEC3PARAM:
		return true;
	default:
		return false;
	}
}

static const uint8_t STRUCT_FLAGS = DB_CUT | DB_OCCLUDED | DB_DNAME | DB_UNDER_DNAME | DB_HASHED;

/* With DB_APPLY_DNSSEC an NSEC3 owner (DB_HASHED) is edited in place. */
static uint8_t struct_flags(const work *k)
{
	return (k->flags & DB_APPLY_DNSSEC) ? (uint8_t)(STRUCT_FLAGS & ~DB_HASHED) : STRUCT_FLAGS;
}

/* Room for one more work node (the slots kept at most half full). */
static int work_grow(work *k)
{
	if (k->n == k->cap) {
		size_t cap = 2 * k->cap;
		wnode *v = realloc(k->w, cap * sizeof *v);
		if (!v)
			return -1;
		k->w = v;
		k->cap = cap;
	}
	if (2 * (k->n + 1) + 2 <= (size_t)k->mask + 1)
		return 0;
	uint32_t size = 2 * (k->mask + 1);
	uint32_t *slots = calloc(size, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t j = 0; j < k->n; j++) {
		uint32_t i = k->w[j].hash & (size - 1);
		while (slots[i])
			i = (i + 1) & (size - 1);
		slots[i] = (uint32_t)j + 1;
	}
	free(k->slots);
	k->slots = slots;
	k->mask = size - 1;
	return 0;
}

/* The work node of owner, made (with the old version's records) on first
 * use. NULL when out of memory. */
static wnode *wnode_get(work *k, const uint8_t *owner)
{
	size_t len = tern_name_len(owner);
	uint32_t h = db_name_hash(owner);
	uint32_t i = h & k->mask;
	for (; k->slots[i]; i = (i + 1) & k->mask) {
		wnode *w = &k->w[k->slots[i] - 1];
		if (w->hash == h && w->len == len && db_name_eq_len(w->owner, owner, len))
			return w;
	}
	if (work_grow(k))
		return NULL;
	for (i = h & k->mask; k->slots[i]; i = (i + 1) & k->mask)
		;
	wnode *w = &k->w[k->n];
	memset(w, 0, sizeof *w);
	w->owner = owner;
	w->len = len;
	w->hash = h;
	w->labels = tern_name_labels(owner);
	w->old = zone_find_stored(k->old, owner); /* NSEC3 owners too */
	if (w->owner[0] == 1 && w->owner[1] == '*')
		w->structural = true; /* a wildcard: its parent's DB_HAS_WILD */
	if (w->old) {
		if (w->old->flags & struct_flags(k))
			w->structural = true;
		for (unsigned s = 0; s < w->old->nrrsets; s++) {
			const db_rrset *rs = &w->old->rrsets[s];
			/* an NSEC3PARAM that stays does not change the hashes */
			bool kept_param = rs->type == TERN_T_NSEC3PARAM && (k->flags & DB_APPLY_DNSSEC);
			if (!kept_param && structural_type(k, owner, rs->type))
				w->structural = true;
			const uint8_t *p = rs->rdata;
			for (unsigned j = 0; j < rs->count; j++) {
				uint16_t l;
				const uint8_t *rd = rrset_rdata(p, &l);
				if (wnode_push(w, (wrr){.type = rs->type, .rdlen = l, .ttl = rs->ttl, .rdata = rd}))
					return NULL;
				p = rd + l;
			}
		}
		w->old_count = w->n;
	} else {
		/* a new name: what is the closest existing ancestor? */
		const uint8_t *p = owner;
		while (p[0] && tern_name_len(p) > k->old->origin_len) {
			p += 1 + p[0];
			const db_node *a = zone_find(k->old, p);
			if (a) {
				if (a->flags & struct_flags(k))
					w->structural = true;
				break;
			}
		}
	}
	k->slots[i] = (uint32_t)++k->n;
	return w;
}

static bool has_other_than_cname(const wnode *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->rr[i].type != TERN_T_CNAME && w->rr[i].type != TERN_T_RRSIG && w->rr[i].type != TERN_T_NSEC)
			return true;
	return false;
}

static bool has_type(const wnode *w, uint16_t type)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->rr[i].type == type)
			return true;
	return false;
}

static void drop_type(wnode *w, uint16_t type)
{
	size_t j = 0;
	for (size_t i = 0; i < w->n; i++)
		if (w->rr[i].type != type)
			w->rr[j++] = w->rr[i];
	w->n = j;
}

static void report(work *k, const wnode *w, uint16_t type, const char *msg)
{
	char owner[TERN_NAME_TEXT_MAX], t[24];
	name_text(w->owner, owner, sizeof owner);
	tern_type_to_text(type, t, sizeof t);
	db_diag_report(k->diag, true, k->what, 0, "%s %s: %s", owner, t, msg);
}

/* One edit on its work node. Returns -1 on an error (reported), else 0. */
static int edit_one(work *k, const db_edit *e)
{
	if (!tern_name_is_sub(e->owner, k->old->origin)) {
		char owner[TERN_NAME_TEXT_MAX];
		name_text(e->owner, owner, sizeof owner);
		db_diag_report(k->diag, true, k->what, 0, "%s is not in the zone", owner);
		return -1;
	}
	wnode *w = wnode_get(k, e->owner);
	if (!w) {
		db_diag_report(k->diag, true, k->what, 0, "out of memory");
		return -1;
	}
	bool apex = w->len == k->old->origin_len;
	bool strict = k->flags & DB_APPLY_STRICT;
	bool chain = (k->flags & DB_APPLY_DNSSEC) && e->op != DB_DEL_NAME &&
	             (e->type == TERN_T_RRSIG || e->type == TERN_T_NSEC || e->type == TERN_T_NSEC3);
	if (w->structural && !chain)
		k->rebuild = true;
	if (e->op != DB_DEL_NAME && structural_type(k, e->owner, e->type))
		k->rebuild = true;
	switch (e->op) {
	case DB_ADD_RR: {
		if (e->type == TERN_T_SOA && !apex) {
			report(k, w, e->type, "SOA record not at the zone apex");
			return -1;
		}
		/* RFC 1034 3.6.2 / RFC 2136 3.4.2.2: a CNAME stands alone */
		bool meta = e->type == TERN_T_RRSIG || e->type == TERN_T_NSEC;
		if ((e->type == TERN_T_CNAME && has_other_than_cname(w)) ||
		    (e->type != TERN_T_CNAME && !meta && has_type(w, TERN_T_CNAME))) {
			if (strict) {
				report(k, w, e->type, "CNAME and other data at one name");
				return -1;
			}
			return 0;
		}
		if (e->type == TERN_T_SOA || e->type == TERN_T_CNAME)
			drop_type(w, e->type); /* one of each: the new one replaces */
		bool dup = false;
		wrr added = {.type = e->type, .rdlen = e->rdlen, .ttl = e->ttl, .rdata = e->rdata};
		for (size_t i = 0; i < w->n; i++) {
			if (!same_set(&w->rr[i], &added))
				continue;
			w->rr[i].ttl = e->ttl; /* RFC 2181 5.2: one TTL per RRset */
			dup |= w->rr[i].rdlen == e->rdlen && !memcmp(w->rr[i].rdata, e->rdata, e->rdlen);
		}
		if (!dup && wnode_push(w, (wrr){.type = e->type, .rdlen = e->rdlen, .ttl = e->ttl, .rdata = e->rdata})) {
			db_diag_report(k->diag, true, k->what, 0, "out of memory");
			return -1;
		}
		return 0;
	}
	case DB_DEL_RR:
		for (size_t i = 0; i < w->n; i++) {
			if (w->rr[i].type == e->type && w->rr[i].rdlen == e->rdlen &&
			    !memcmp(w->rr[i].rdata, e->rdata, e->rdlen)) {
				w->rr[i] = w->rr[--w->n];
				return 0;
			}
		}
		if (strict) {
			report(k, w, e->type, "deleted, but the zone has no such record");
			return -1;
		}
		return 0;
	case DB_DEL_RRSET:
		drop_type(w, e->type);
		return 0;
	case DB_DEL_NAME:
		for (size_t i = 0; i < w->n; i++)
			if (structural_type(k, e->owner, w->rr[i].type))
				k->rebuild = true;
		w->n = 0;
		return 0;
	}
	return -1;
}

/* What every version must be (RFC 1035 5.2, RFC 1034 4.2.1). */
static int check(work *k)
{
	int rc = 0;
	for (size_t i = 0; i < k->n; i++) {
		wnode *w = &k->w[i];
		size_t soa = 0, ns = 0, cname = 0;
		for (size_t j = 0; j < w->n; j++) {
			soa += w->rr[j].type == TERN_T_SOA;
			ns += w->rr[j].type == TERN_T_NS;
			cname += w->rr[j].type == TERN_T_CNAME;
		}
		if (w->len == k->old->origin_len) {
			if (soa != 1) {
				report(k, w, TERN_T_SOA, "the apex must keep exactly one SOA record");
				rc = -1;
			}
			if (!ns) {
				report(k, w, TERN_T_NS, "the apex must keep its NS records");
				rc = -1;
			}
			if (cname) {
				report(k, w, TERN_T_CNAME, "no CNAME at the zone apex");
				rc = -1;
			}
		}
		if (cname && has_other_than_cname(w)) {
			report(k, w, TERN_T_CNAME, "CNAME and other data at one name");
			rc = -1;
		}
	}
	return rc;
}

/* ---- the fast path ---- */

typedef struct cow {
	db_zone *z;
	const db_node **fresh; /* nodes made in this apply: no second copy */
	const db_node **from;  /* the old node each is a copy of, or NULL */
	bool *dead;            /* made, then taken out again */
	size_t nfresh, capfresh;
	const db_node **gone;  /* old nodes taken out (not copies) */
	size_t ngone, capgone;
	size_t copied; /* shared nodes superseded */
} cow;

static ptrdiff_t fresh_index(const cow *c, const db_node *n)
{
	for (size_t i = c->nfresh; i-- > 0;)
		if (c->fresh[i] == n)
			return (ptrdiff_t)i;
	return -1;
}

static bool is_fresh(const cow *c, const db_node *n)
{
	return fresh_index(c, n) >= 0;
}

/* An old node leaves the version (the denial indexes drop it). */
static int gone_push(cow *c, const db_node *n)
{
	ptrdiff_t i = fresh_index(c, n);
	if (i >= 0) { /* a copy made in this apply: its original is superseded already */
		c->dead[i] = true;
		return 0;
	}
	if (c->ngone == c->capgone) {
		size_t cap = c->capgone ? 2 * c->capgone : 16;
		const db_node **v = realloc(c->gone, cap * sizeof *v);
		if (!v)
			return -1;
		c->gone = v;
		c->capgone = cap;
	}
	c->gone[c->ngone++] = n;
	return 0;
}

static db_node *node_alloc(cow *c, const db_node *from)
{
	if (c->nfresh == c->capfresh) {
		size_t cap = c->capfresh ? 2 * c->capfresh : 64;
		const db_node **v = realloc(c->fresh, cap * sizeof *v);
		if (v)
			c->fresh = v;
		const db_node **f = realloc(c->from, cap * sizeof *f);
		if (f)
			c->from = f;
		bool *d = realloc(c->dead, cap * sizeof *d);
		if (d)
			c->dead = d;
		if (!v || !f || !d)
			return NULL;
		c->capfresh = cap;
	}
	db_node *n = arena_alloc(&c->z->mem, sizeof *n);
	if (!n)
		return NULL;
	if (from) {
		*n = *from;
		c->copied++;
	} else {
		memset(n, 0, sizeof *n);
	}
	c->from[c->nfresh] = from;
	c->dead[c->nfresh] = false;
	c->fresh[c->nfresh++] = n;
	return n;
}

/* A private copy of n (in the new version's chain), or n if it is one. */
static db_node *node_cow(cow *c, const db_node *n)
{
	if (is_fresh(c, n))
		return (db_node *)n;
	db_zone *z = c->z;
	db_node **link = &z->table[db_bucket(z->shift, n->hash)];
	while (*link != n) {
		if (!*link)
			return NULL; /* not in this version: cannot happen */
		if (!is_fresh(c, *link)) {
			db_node *cp = node_alloc(c, *link);
			if (!cp)
				return NULL;
			*link = cp;
		}
		link = &(*link)->hnext;
	}
	db_node *cp = node_alloc(c, n);
	if (!cp)
		return NULL;
	*link = cp;
	if (z->apex == n)
		z->apex = cp;
	return cp;
}

/* Takes n out of its chain (its predecessors copied as needed). */
static int node_unlink(cow *c, const db_node *n)
{
	db_zone *z = c->z;
	db_node **link = &z->table[db_bucket(z->shift, n->hash)];
	while (*link != n) {
		if (!*link)
			return -1;
		if (!is_fresh(c, *link)) {
			db_node *cp = node_alloc(c, *link);
			if (!cp)
				return -1;
			*link = cp;
		}
		link = &(*link)->hnext;
	}
	*link = n->hnext;
	if (!is_fresh(c, n))
		c->copied++;
	z->nnodes--;
	return gone_push(c, n);
}

static int cmp_wrr(const void *a, const void *b)
{
	const wrr *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (covered_of(x) != covered_of(y))
		return covered_of(x) < covered_of(y) ? -1 : 1;
	if (x->rdlen != y->rdlen)
		return x->rdlen < y->rdlen ? -1 : 1;
	return memcmp(x->rdata, y->rdata, x->rdlen);
}

/* The RRsets of w as one block of the new version's arena, in the order
 * a load makes them (by type, then RDATA length and bytes). */
static int set_rrsets(cow *c, db_node *n, wnode *w)
{
	qsort(w->rr, w->n, sizeof *w->rr, cmp_wrr);
	size_t nsets = 0, bytes = 0;
	for (size_t i = 0; i < w->n; i++) {
		nsets += !i || !same_set(&w->rr[i], &w->rr[i - 1]);
		bytes += 2u + w->rr[i].rdlen;
	}
	if (!nsets) {
		n->rrsets = NULL;
		n->nrrsets = 0;
		return 0;
	}
	db_rrset *sets = arena_alloc(&c->z->mem, nsets * sizeof *sets + bytes);
	if (!sets)
		return -1;
	uint8_t *p = (uint8_t *)(sets + nsets);
	size_t k = 0;
	for (size_t i = 0; i < w->n; i++) {
		if (!i || !same_set(&w->rr[i], &w->rr[i - 1])) {
			sets[k++] = (db_rrset){.type = w->rr[i].type, .count = 0, .ttl = w->rr[i].ttl, .rdata = p};
		}
		sets[k - 1].count++;
		uint16_t l = w->rr[i].rdlen;
		memcpy(p, &l, 2);
		memcpy(p + 2, w->rr[i].rdata, l);
		p += 2u + l;
	}
	n->rrsets = sets;
	n->nrrsets = (uint16_t)nsets;
	return 0;
}

/* The node of name in the new version, made (as an empty non-terminal,
 * with its own missing ancestors) when there is none; its parent counts it
 * as a child. */
static db_node *node_make(cow *c, const uint8_t *name)
{
	db_zone *z = c->z;
	size_t len = tern_name_len(name);
	const db_node *have = zone_find_h(z, name, len, db_name_hash(name));
	if (have)
		return node_cow(c, have);
	const uint8_t *up = name + 1 + name[0];
	db_node *parent = node_make(c, up);
	if (!parent)
		return NULL;
	parent->nchildren++;
	db_node *n = node_alloc(c, NULL);
	uint8_t *nm = arena_dup(&z->mem, name, len);
	if (!n || !nm)
		return NULL;
	n->name = nm;
	n->name_len = (uint8_t)len;
	n->hash = db_name_hash(name);
	n->parent = parent;
	uint32_t k = db_bucket(z->shift, n->hash);
	n->hnext = z->table[k];
	z->table[k] = n;
	z->nnodes++;
	return n;
}

/* name lost its records: it goes, and so do empty non-terminals above it
 * that are left without children; with children it stays, empty. */
static int node_drop(cow *c, const uint8_t *name)
{
	db_zone *z = c->z;
	const db_node *n = zone_find(z, name);
	if (!n)
		return 0;
	if (n->nchildren || n == z->apex) {
		db_node *cp = node_cow(c, n);
		if (!cp)
			return -1;
		cp->rrsets = NULL;
		cp->nrrsets = 0;
		return 0;
	}
	if (node_unlink(c, n))
		return -1;
	const uint8_t *up = name + 1 + name[0];
	const db_node *p = zone_find(z, up);
	if (!p)
		return 0;
	db_node *pc = node_cow(c, p);
	if (!pc)
		return -1;
	pc->nchildren--;
	if (!pc->nchildren && !pc->nrrsets && pc != z->apex)
		return node_drop(c, up);
	return 0;
}

/* An NSEC3 owner (DB_HASHED): out of the name table, a child of the apex
 * (which counts it, as a load does), reached through the NSEC3 index. */
static int hashed_set(cow *c, const wnode *w)
{
	db_zone *z = c->z;
	db_node *apex = node_cow(c, z->apex);
	if (!apex)
		return -1;
	if (!w->n) {
		if (!w->old)
			return 0;
		z->nnodes--;
		apex->nchildren--;
		c->copied++;
		return gone_push(c, w->old);
	}
	db_node *n = node_alloc(c, w->old);
	if (!n)
		return -1;
	if (!w->old) {
		uint8_t *nm = arena_dup(&z->mem, w->owner, w->len);
		if (!nm)
			return -1;
		n->name = nm;
		n->name_len = (uint8_t)w->len;
		n->hash = w->hash;
		n->parent = apex;
		n->flags = DB_HASHED;
		z->nnodes++;
		apex->nchildren++;
	}
	n->hnext = NULL;
	return set_rrsets(c, n, (wnode *)w);
}

static int cmp_labels_up(const void *a, const void *b)
{
	const wnode *x = a, *y = b;
	return x->labels < y->labels ? -1 : x->labels > y->labels;
}

static db_zone *fast_path(work *k, db_apply_stats *stats)
{
	const db_zone *old = k->old;
	db_zone *z = calloc(1, sizeof *z);
	size_t slots = (size_t)1 << (32 - old->shift);
	if (!z)
		return NULL;
	*z = *old;
	z->journal = NULL; /* the caller attaches the new version's own */
	z->dnssec = NULL;  /* its own, patched from old's below (zone_free frees its arrays) */
	atomic_init(&z->refs, 1);
	atomic_init(&z->mem_refs, 1);
	arena_init_small(&z->mem);
	z->table = malloc(slots * sizeof *z->table);
	z->bases = malloc((old->nbases + 1) * sizeof *z->bases);
	z->nbases = 0;
	if (!z->table || !z->bases) {
		free(z->table);
		free(z->bases);
		free(z);
		return NULL;
	}
	memcpy(z->table, old->table, slots * sizeof *z->table);
	/* this version's nodes live in old's arena and in old's bases' */
	for (unsigned i = 0; i < old->nbases; i++) {
		atomic_fetch_add(&old->bases[i]->mem_refs, 1);
		z->bases[z->nbases++] = old->bases[i];
	}
	db_zone *o = (db_zone *)old; /* only its reference count changes */
	atomic_fetch_add(&o->mem_refs, 1);
	z->bases[z->nbases++] = o;

	cow c = {.z = z};
	int rc = 0;
	/* parents before children: new names find their ancestors made */
	qsort(k->w, k->n, sizeof *k->w, cmp_labels_up);
	long records = (long)z->nrecords;
	for (size_t i = 0; i < k->n && !rc; i++) {
		wnode *w = &k->w[i];
		records += (long)w->n - (long)w->old_count;
		if (w->hashed) {
			rc = hashed_set(&c, w);
			continue;
		}
		if (!w->n)
			continue;
		db_node *n = node_make(&c, w->owner);
		rc = !n || set_rrsets(&c, n, w) ? -1 : 0;
	}
	/* children before parents: a parent left empty goes after them */
	for (size_t i = k->n; i-- > 0 && !rc;)
		if (!k->w[i].n && !k->w[i].hashed)
			rc = node_drop(&c, k->w[i].owner);
	if (!rc && old->dnssec) {
		/* the denial indexes: the old ones with the nodes that changed */
		const db_node **made = malloc((c.nfresh ? c.nfresh : 1) * sizeof *made);
		const db_node **sup = malloc((c.nfresh + c.ngone + 1) * sizeof *sup);
		size_t nmade = 0, nsup = 0;
		for (size_t i = 0; made && sup && i < c.nfresh; i++) {
			if (!c.dead[i])
				made[nmade++] = c.fresh[i];
			if (c.from[i])
				sup[nsup++] = c.from[i];
		}
		for (size_t i = 0; made && sup && i < c.ngone; i++)
			sup[nsup++] = c.gone[i];
		rc = !made || !sup || apply_dnssec_patch(z, old, sup, nsup, made, nmade) ? -1 : 0;
		free(made);
		free(sup);
	}
	free(c.fresh);
	free(c.from);
	free(c.dead);
	free(c.gone);
	if (rc) {
		zone_free(z);
		return NULL;
	}
	z->nrecords = (size_t)records;
	z->stale = old->stale + c.copied;
	z->soa = node_rrset(z->apex, TERN_T_SOA);
	uint16_t len;
	const uint8_t *rd = rrset_rdata(z->soa->rdata, &len);
	if (len >= 20) {
		uint32_t minimum = tern_get_u32(rd + len - 4);
		z->serial = tern_get_u32(rd + len - 20);
		z->neg_ttl = z->soa->ttl < minimum ? z->soa->ttl : minimum;
	}
	if (stats)
		stats->nodes_new = c.nfresh;
	return z;
}

/* ---- the rebuild ---- */

/* zone_walk on zone_walk_rrsets (zone.h): each RRset's records, the SOA
 * ahead of everything. */
typedef struct walk {
	int (*fn)(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
	          uint16_t rdlen);
	void *user;
	const db_rrset *skip;
} walk;

static int walk_rrset(const db_node *n, const db_rrset *s, void *user)
{
	walk *w = user;
	if (s == w->skip)
		return 0;
	const uint8_t *p = s->rdata;
	for (unsigned j = 0; j < s->count; j++) {
		uint16_t l;
		const uint8_t *rd = rrset_rdata(p, &l);
		int rc = w->fn(w->user, n->name, s->type, s->ttl, rd, l);
		if (rc)
			return rc;
		p = rd + l;
	}
	return 0;
}

int zone_walk(const db_zone *z,
              int (*fn)(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                        uint16_t rdlen),
              void *user)
{
	if (!zone_has_data(z))
		return 0;
	walk w = {.fn = fn, .user = user, .skip = node_rrset(z->apex, TERN_T_SOA)};
	if (w.skip) {
		int rc = walk_rrset(z->apex, w.skip, &(walk){.fn = fn, .user = user});
		if (rc)
			return rc;
	}
	return zone_walk_rrsets(z, walk_rrset, &w);
}

/* The rebuild: every record of the new version into a zone_builder (the
 * loader's checks run on the result). */
typedef struct rebuild_ctx {
	const work *k;
	zone_builder *zb;
	unsigned line; /* records so far, for the diagnostics */
} rebuild_ctx;

static int rebuild_rr(rebuild_ctx *c, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                      uint16_t rdlen)
{
	tern_zrr rr = {.owner = owner, .type = type, .cls = TERN_C_IN, .ttl = ttl, .rdata = rdata, .rdlen = rdlen,
	               .file = c->k->what, .file_id = 1, .line = ++c->line};
	return zone_builder_add(c->zb, &rr);
}

/* Old records at names no edit touched. */
static int rebuild_untouched(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                             uint16_t rdlen)
{
	rebuild_ctx *c = user;
	const work *k = c->k;
	size_t len = tern_name_len(owner);
	uint32_t h = db_name_hash(owner);
	for (uint32_t i = h & k->mask; k->slots[i]; i = (i + 1) & k->mask) {
		const wnode *w = &k->w[k->slots[i] - 1];
		if (w->hash == h && w->len == len && db_name_eq_len(w->owner, owner, len))
			return 0;
	}
	return rebuild_rr(c, owner, type, ttl, rdata, rdlen);
}

static db_zone *rebuild(work *k)
{
	rebuild_ctx c = {.k = k};
	c.zb = zone_builder_new(k->old->origin, k->what, k->old->nrecords * 48, k->diag);
	if (!c.zb) {
		db_diag_report(k->diag, true, k->what, 0, "out of memory");
		return NULL;
	}
	int rc = 0;
	/* the apex's work node first, when there is one: the SOA leads */
	for (int apex_pass = 1; apex_pass >= 0 && !rc; apex_pass--)
		for (size_t i = 0; i < k->n && !rc; i++) {
			const wnode *w = &k->w[i];
			if ((w->len == k->old->origin_len) != apex_pass)
				continue;
			for (size_t j = 0; j < w->n && !rc; j++)
				rc = rebuild_rr(&c, w->owner, w->rr[j].type, w->rr[j].ttl, w->rr[j].rdata, w->rr[j].rdlen);
		}
	if (!rc)
		rc = zone_walk(k->old, rebuild_untouched, &c);
	if (rc) {
		zone_builder_abort(c.zb);
		db_diag_report(k->diag, true, k->what, 0, "out of memory");
		return NULL;
	}
	db_zone *z = zone_builder_finish(c.zb);
	const char *file = z ? arena_dup(&z->mem, k->old->file, strlen(k->old->file) + 1) : NULL;
	if (file) /* the zone still comes from its file, for reloads and status */
		z->file = file;
	return z;
}

static void work_free(work *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->w[i].rr);
	free(k->w);
	free(k->slots);
	free(k);
}

void zone_apply_abort(db_apply *a)
{
	if (a)
		work_free(a);
}

db_apply *zone_apply_begin(const db_zone *old, const db_edit *edits, size_t n, unsigned flags, const char *what,
                           db_diag *diag, size_t *failed_edit)
{
	if (failed_edit)
		*failed_edit = SIZE_MAX;
	if (!zone_has_data(old) || old->local) {
		db_diag_report(diag, true, what, 0, "the zone has no data to change");
		return NULL;
	}
	work *k = calloc(1, sizeof *k);
	if (!k) {
		db_diag_report(diag, true, what, 0, "out of memory");
		return NULL;
	}
	*k = (work){.old = old, .flags = flags, .what = what, .diag = diag};
	uint32_t size = 16;
	while (size < 2 * n + 2)
		size *= 2;
	k->mask = size - 1;
	k->slots = calloc(size, sizeof *k->slots);
	k->cap = n ? n : 1;
	k->w = calloc(k->cap, sizeof *k->w);
	if (!k->slots || !k->w) {
		db_diag_report(diag, true, what, 0, "out of memory");
		work_free(k);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (edit_one(k, &edits[i])) {
			if (failed_edit)
				*failed_edit = i;
			work_free(k);
			return NULL;
		}
	return k;
}

bool zone_apply_rebuilds(const db_apply *a)
{
	return a->rebuild;
}

size_t zone_apply_count(const db_apply *a)
{
	return a->n;
}

db_apply_name zone_apply_name(const db_apply *a, size_t i)
{
	const wnode *w = &a->w[i];
	return (db_apply_name){.owner = w->owner, .old = w->old, .rr = w->rr, .n = w->n};
}

int zone_apply_more(db_apply *a, const db_edit *edits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (edit_one(a, &edits[i]))
			return -1;
	return 0;
}

/* Which names are NSEC3 owners (DB_HASHED): the old ones, and new names
 * right below the apex that hold only NSEC3 and its signatures. One that
 * would get other records moves the structure. */
static void mark_hashed(work *k)
{
	if (!(k->flags & DB_APPLY_DNSSEC))
		return;
	unsigned below = tern_name_labels(k->old->origin) + 1;
	for (size_t i = 0; i < k->n; i++) {
		wnode *w = &k->w[i];
		bool only = w->n > 0;
		for (size_t j = 0; j < w->n && only; j++)
			only = w->rr[j].type == TERN_T_NSEC3 ||
			       (w->rr[j].type == TERN_T_RRSIG && w->rr[j].rdlen >= 2 &&
			        tern_get_u16(w->rr[j].rdata) == TERN_T_NSEC3);
		if (w->old && (w->old->flags & DB_HASHED)) {
			w->hashed = true;
			if (w->n && !only)
				k->rebuild = true;
		} else if (!w->old && only && w->labels == below && k->old->dnssec && k->old->dnssec->nsec3) {
			w->hashed = true;
		}
	}
}

db_zone *zone_apply_finish(db_apply *a, db_apply_stats *stats)
{
	work *k = a;
	const db_zone *old = k->old;
	db_diag *diag = k->diag;
	const char *what = k->what;
	db_zone *z = NULL;
	if (stats)
		*stats = (db_apply_stats){.failed_edit = SIZE_MAX};
	if (check(k))
		goto out;
	mark_hashed(k);
	/* compaction: superseded nodes kept alive must stay a small part */
	size_t slots = (size_t)1 << (32 - old->shift);
	if (old->nbases + 1 >= MAX_BASES || old->stale + 4 * k->n > old->nnodes / 4 + 64 ||
	    old->nnodes + 2 * k->n > 2 * slots)
		k->rebuild = true;
	if (k->rebuild) {
		z = rebuild(k);
		if (stats)
			stats->rebuilt = true;
	} else {
		z = fast_path(k, stats);
		if (!z)
			db_diag_report(diag, true, what, 0, "out of memory");
	}
	if (z && stats && (k->flags & DB_APPLY_DIFF) && z->soa)
		stats->diff = apply_make_diff(k, z);
out:
	work_free(k);
	return z;
}

db_zone *zone_apply(const db_zone *old, const db_edit *edits, size_t n, unsigned flags, const char *what,
                    db_diag *diag, db_apply_stats *stats)
{
	size_t failed;
	db_apply *a = zone_apply_begin(old, edits, n, flags, what, diag, &failed);
	if (!a) {
		if (stats)
			*stats = (db_apply_stats){.failed_edit = failed};
		return NULL;
	}
	return zone_apply_finish(a, stats);
}
