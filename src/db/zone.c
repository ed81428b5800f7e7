/* zone.c: building a zone from master-file records, with the semantic
 * checks of RFC 1034/1035/2181 done once at load, and the name index.
 *
 * Loading happens in two steps. While the parser runs, each record is hung
 * on its owner's node (created on demand with all its ancestors up to the
 * apex, which yields the empty non-terminals). When parsing ends, finish()
 * marks delegations and DNAMEs, decides what is occluded, keeps only needed
 * glue, and turns each node's records into sorted, de-duplicated RRsets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/zone.h"
#include "tern/rr.h"
#include "tern/zonefile.h"

typedef struct brec {
	struct brec *next;
	const uint8_t *rdata;
	const char *file;
	unsigned line;
	uint32_t ttl;
	uint32_t seq; /* file order, so the first TTL of an RRset wins */
	uint16_t type, rdlen;
} brec;

typedef struct build {
	db_zone *z;
	db_diag *diag;
	arena tmp;
	const char *last_file; /* interned copy of the parser's file name */
	const char *last_file_src;
	const char *first_file; /* where the zone's first record is, for */
	unsigned first_line;    /* errors about what no line holds */
	uint32_t seq;
	int oom;
	db_node *last_node; /* the node of the previous record */
} build;

void db_diag_report(db_diag *d, bool error, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (error)
		d->errors++;
	else
		d->warnings++;
	if (d->fn)
		d->fn(d->user, error, file, line, msg);
}

static void name_text(const uint8_t *name, char *buf, size_t cap)
{
	if (tern_name_to_text(name, buf, cap) < 0 && cap > 4)
		strcpy(buf + cap - 4, "...");
}

static int grow_table(db_zone *z)
{
	uint32_t nsize = (z->mask + 1) * 2;
	db_node **nt = calloc(nsize, sizeof *nt);
	if (!nt)
		return -1;
	for (uint32_t i = 0; i <= z->mask; i++) {
		db_node *n = z->table[i];
		while (n) {
			db_node *next = n->hnext;
			n->hnext = nt[n->hash & (nsize - 1)];
			nt[n->hash & (nsize - 1)] = n;
			n = next;
		}
	}
	free(z->table);
	z->table = nt;
	z->mask = nsize - 1;
	return 0;
}

uint32_t db_name_hash(const uint8_t *name)
{
	const uint8_t *lab[DB_LABELS_MAX];
	unsigned n = 0;
	for (const uint8_t *p = name; *p; p += 1 + *p)
		lab[n++] = p;
	uint32_t h = DB_HASH_SEED;
	while (n)
		h = db_hash_label(h, lab[--n]);
	return h;
}

void db_qname_init(db_qname *qn, const uint8_t *name)
{
	unsigned n = 0;
	unsigned off = 0;
	/* a valid name has at most 127 labels and 255 bytes: both fit */
	while (name[off]) {
		qn->off[n++] = (uint8_t)off;
		off += 1u + name[off];
	}
	qn->off[n] = (uint8_t)off;
	qn->name = name;
	qn->labels = n;
	uint32_t h = DB_HASH_SEED;
	qn->hash[n] = h;
	while (n) {
		n--;
		h = db_hash_label(h, name + qn->off[n]);
		qn->hash[n] = h;
	}
}

/* Case-insensitive equality of two names of the same wire length len. A flat
 * byte loop is enough: while the bytes so far match, the label lengths (all
 * below 'A', so never folded) sit at the same places in both. */
bool db_name_eq_len(const uint8_t *a, const uint8_t *b, size_t len)
{
	if (!memcmp(a, b, len))
		return true; /* the usual case: same case */
	for (size_t i = 0; i < len; i++) {
		uint8_t x = a[i], y = b[i];
		if (x != y && ((x | 0x20) != (y | 0x20) || (unsigned)((x | 0x20) - 'a') >= 26u))
			return false;
	}
	return true;
}

static db_node *lookup(const db_zone *z, const uint8_t *name, size_t len, uint32_t h)
{
	for (db_node *n = z->table[h & z->mask]; n; n = n->hnext)
		if (n->hash == h && n->name_len == len && db_name_eq_len(n->name, name, len))
			return n;
	return NULL;
}

const db_node *zone_find(const db_zone *z, const uint8_t *name)
{
	return lookup(z, name, tern_name_len(name), db_name_hash(name));
}

const db_node *zone_find_h(const db_zone *z, const uint8_t *name, size_t len, uint32_t hash)
{
	return lookup(z, name, len, hash);
}

/* Finds or creates the node for name (which must be at or below the
 * origin), creating its missing ancestors too. */
static db_node *node_get(db_zone *z, const uint8_t *name)
{
	uint32_t h = db_name_hash(name);
	size_t len = tern_name_len(name);
	db_node *n = lookup(z, name, len, h);
	if (n)
		return n;
	db_node *parent = NULL;
	if (tern_name_labels(name) > z->origin_labels) {
		/* most owners sit right below the apex: no hash for that */
		const uint8_t *pn = tern_name_parent(name);
		parent = z->apex && tern_name_labels(pn) == z->origin_labels ? z->apex : node_get(z, pn);
		if (!parent)
			return NULL;
	}
	n = arena_alloc(&z->mem, sizeof *n);
	if (!n)
		return NULL;
	memset(n, 0, sizeof *n);
	n->name = arena_dup(&z->mem, name, len);
	if (!n->name)
		return NULL;
	n->hash = h;
	n->name_len = (uint8_t)len;
	n->parent = parent;
	n->hnext = z->table[h & z->mask];
	z->table[h & z->mask] = n;
	if (++z->nnodes > z->mask + 1 && grow_table(z))
		return NULL;
	if (name[0] == 1 && name[1] == '*' && parent)
		parent->flags |= DB_HAS_WILD;
	if (!parent)
		z->apex = n; /* the origin's node (finish() checks it again) */
	return n;
}

static int on_rr(const tern_zrr *rr, void *user)
{
	build *b = user;
	db_zone *z = b->z;
	char owner[TERN_NAME_TEXT_MAX], type[24];
	if (b->last_file_src != rr->file || !b->last_file || strcmp(b->last_file, rr->file)) {
		b->last_file = arena_dup(&b->tmp, rr->file, strlen(rr->file) + 1);
		b->last_file_src = rr->file;
		if (!b->last_file)
			goto oom;
	}
	bool same_owner = b->last_node && tern_name_eq(b->last_node->name, rr->owner);
	if (!same_owner && !tern_name_is_sub(rr->owner, z->origin)) {
		name_text(rr->owner, owner, sizeof owner);
		db_diag_report(b->diag, false, rr->file, rr->line, "out-of-zone record '%s' ignored", owner);
		return 0;
	}
	if (rr->cls != TERN_C_IN) {
		db_diag_report(b->diag, true, rr->file, rr->line, "class %u not supported (only IN)", rr->cls);
		return 0;
	}
	if (tern_type_is_meta(rr->type)) {
		tern_type_to_text(rr->type, type, sizeof type);
		db_diag_report(b->diag, true, rr->file, rr->line, "type %s cannot be zone data", type);
		return 0;
	}
	/* zone files group records by owner: reuse the last node found */
	db_node *n = same_owner ? b->last_node : node_get(z, rr->owner);
	b->last_node = n;
	brec *r = arena_alloc(&b->tmp, sizeof *r);
	if (!n || !r)
		goto oom;
	r->rdata = arena_dup(&b->tmp, rr->rdata, rr->rdlen);
	if (!r->rdata)
		goto oom;
	r->file = b->last_file;
	r->line = rr->line;
	r->ttl = rr->ttl;
	r->seq = b->seq++;
	if (!b->first_file) {
		b->first_file = b->last_file;
		b->first_line = rr->line;
	}
	r->type = rr->type;
	r->rdlen = rr->rdlen;
	r->next = n->build;
	n->build = r;
	z->nrecords++;
	return 0;
oom:
	b->oom = 1;
	db_diag_report(b->diag, true, rr->file, rr->line, "out of memory");
	return TERN_ELIMIT;
}

static void on_parse_error(const char *file, unsigned line, const char *msg, void *user)
{
	build *b = user;
	db_diag_report(b->diag, true, file, line, "%s", msg);
}

static int has_type(const db_node *n, uint16_t type)
{
	for (const brec *r = n->build; r; r = r->next)
		if (r->type == type)
			return 1;
	return 0;
}

/* The record of that type at n that comes first in file order after the
 * one with sequence number after (or the very first when first is set). */
static const brec *next_of_type(const db_node *n, uint16_t type, bool first, uint32_t after)
{
	const brec *best = NULL;
	for (const brec *r = n->build; r; r = r->next)
		if (r->type == type && (first || r->seq > after) && (!best || r->seq < best->seq))
			best = r;
	return best;
}

static int cmp_brec(const void *a, const void *b)
{
	const brec *x = *(const brec *const *)a, *y = *(const brec *const *)b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->rdlen != y->rdlen)
		return x->rdlen < y->rdlen ? -1 : 1;
	int c = memcmp(x->rdata, y->rdata, x->rdlen);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* What may stay at or below a delegation point (RFC 1034 4.2.1): at the
 * cut itself the NS and DS RRsets (and DNSSEC records), and address records
 * only where a delegation names them (glue). */
static int kept_at(const db_node *n, uint16_t type)
{
	if (n->flags & DB_UNDER_DNAME)
		return 0;
	if (!(n->flags & (DB_CUT | DB_OCCLUDED)))
		return 1;
	if ((type == TERN_T_A || type == TERN_T_AAAA) && (n->flags & DB_GLUE))
		return 1;
	if (n->flags & DB_OCCLUDED)
		return 0;
	return type == TERN_T_NS || type == TERN_T_DS || type == TERN_T_NSEC || type == TERN_T_RRSIG;
}

/* Turns a node's records into RRsets, checking and reporting as it goes. */
static int build_rrsets(build *b, db_node *n)
{
	db_zone *z = b->z;
	size_t cnt = 0;
	for (brec *r = n->build; r; r = r->next)
		cnt++;
	if (!cnt)
		return 0;
	brec **v = malloc(cnt * sizeof *v);
	if (!v)
		return -1;
	size_t i = 0;
	for (brec *r = n->build; r; r = r->next)
		v[i++] = r;
	qsort(v, cnt, sizeof *v, cmp_brec);
	/* the owner as text, made only when a message needs it */
	char owner_buf[TERN_NAME_TEXT_MAX], type[24];
	owner_buf[0] = 0;
#define OWNER() (owner_buf[0] ? owner_buf : (name_text(n->name, owner_buf, sizeof owner_buf), owner_buf))

	/* drop what may not stay here, then duplicates (RFC 2181 5: an RRset
	 * has no duplicate records); v is sorted, so duplicates are adjacent */
	size_t nsets = 0;
	for (i = 0; i < cnt; i++) {
		if (kept_at(n, v[i]->type))
			continue;
		tern_type_to_text(v[i]->type, type, sizeof type);
		const db_node *at = (n->flags & DB_UNDER_DNAME) ? n->dname : (n->cut ? n->cut : n);
		char where[TERN_NAME_TEXT_MAX];
		name_text(at->name, where, sizeof where);
		db_diag_report(b->diag, false, v[i]->file, v[i]->line, "%s %s ignored: %s %s", OWNER(), type,
		               (n->flags & DB_UNDER_DNAME) ? "below the DNAME at" : "occluded by the delegation at",
		               where);
		v[i] = NULL;
	}
	const brec *last = NULL;
	for (i = 0; i < cnt; i++) {
		if (!v[i])
			continue;
		if (last && v[i]->type == last->type && v[i]->rdlen == last->rdlen &&
		    !memcmp(v[i]->rdata, last->rdata, v[i]->rdlen)) {
			v[i] = NULL;
			continue;
		}
		last = v[i];
	}
	uint16_t prev = 0;
	int first = 1;
	for (i = 0; i < cnt; i++) {
		if (!v[i])
			continue;
		if (first || v[i]->type != prev)
			nsets++;
		prev = v[i]->type;
		first = 0;
	}
	n->rrsets = arena_alloc(&z->mem, (nsets ? nsets : 1) * sizeof *n->rrsets);
	if (!n->rrsets) {
		free(v);
		return -1;
	}
	n->nrrsets = 0;
	for (i = 0; i < cnt;) {
		if (!v[i]) {
			i++;
			continue;
		}
		size_t j = i, bytes = 0, count = 0;
		const brec *firstrec = v[i];
		for (; j < cnt && (!v[j] || v[j]->type == v[i]->type); j++) {
			if (!v[j])
				continue;
			bytes += 2u + v[j]->rdlen;
			count++;
			if (v[j]->seq < firstrec->seq)
				firstrec = v[j];
		}
		if (count > 65535) {
			tern_type_to_text(v[i]->type, type, sizeof type);
			db_diag_report(b->diag, true, v[i]->file, v[i]->line, "%s %s: too many records", OWNER(), type);
			i = j;
			continue;
		}
		db_rrset *s = &n->rrsets[n->nrrsets++];
		s->type = v[i]->type;
		s->count = (uint16_t)count;
		s->ttl = firstrec->ttl;
		uint8_t *p = arena_alloc(&z->mem, bytes);
		if (!p) {
			free(v);
			return -1;
		}
		s->rdata = p;
		for (size_t k = i; k < j; k++) {
			if (!v[k])
				continue;
			if (v[k]->ttl != s->ttl) {
				/* RFC 2181 5.2: TTLs of an RRset must agree */
				tern_type_to_text(s->type, type, sizeof type);
				db_diag_report(b->diag, false, v[k]->file, v[k]->line,
				               "%s %s: TTL %u differs from the RRset's TTL %u; using %u", OWNER(), type,
				               v[k]->ttl, s->ttl, s->ttl);
			}
			uint16_t l = v[k]->rdlen;
			memcpy(p, &l, 2);
			memcpy(p + 2, v[k]->rdata, l);
			p += 2u + l;
		}
		i = j;
	}
	/* RFC 1034 3.6.2 / RFC 2181 10.1: a CNAME stands alone. */
	const db_rrset *cname = node_rrset(n, TERN_T_CNAME);
	if (cname) {
		const brec *at = NULL;
		for (brec *r = n->build; r; r = r->next)
			if (r->type == TERN_T_CNAME)
				at = r;
		if (cname->count > 1)
			db_diag_report(b->diag, true, at->file, at->line, "%s has more than one CNAME", OWNER());
		for (unsigned k = 0; k < n->nrrsets; k++) {
			uint16_t t = n->rrsets[k].type;
			if (t != TERN_T_CNAME && t != TERN_T_RRSIG && t != TERN_T_NSEC) {
				tern_type_to_text(t, type, sizeof type);
				db_diag_report(b->diag, true, at->file, at->line, "CNAME and other data (%s) at %s", type,
				               OWNER());
				break;
			}
		}
	}
	const db_rrset *dname = node_rrset(n, TERN_T_DNAME);
	if (dname && dname->count > 1) {
		const brec *at = n->build;
		db_diag_report(b->diag, true, at->file, at->line, "%s has more than one DNAME", OWNER());
	}
	const db_rrset *soa = node_rrset(n, TERN_T_SOA);
	if (soa && n != z->apex) {
		for (brec *r = n->build; r; r = r->next)
			if (r->type == TERN_T_SOA) {
				db_diag_report(b->diag, true, r->file, r->line, "SOA record not at the zone apex (%s)", OWNER());
				break;
			}
	}
	free(v);
	return 0;
}
#undef OWNER


static int finish(build *b)
{
	db_zone *z = b->z;
	char owner[TERN_NAME_TEXT_MAX];
	name_text(z->origin, owner, sizeof owner);
	z->apex = (db_node *)zone_find(z, z->origin);
	if (z->local) {
		/* local records: every name stands alone; NS are plain data */
		for (uint32_t i = 0; i <= z->mask; i++)
			for (db_node *n = z->table[i]; n; n = n->hnext)
				if (build_rrsets(b, n))
					return -1;
		for (uint32_t i = 0; i <= z->mask; i++)
			for (db_node *n = z->table[i]; n; n = n->hnext)
				n->build = NULL;
		return 0;
	}
	if (!z->apex || !has_type(z->apex, TERN_T_SOA)) {
		/* no line holds what is missing: name where the zone starts */
		db_diag_report(b->diag, true, b->first_file ? b->first_file : z->file, b->first_line,
		               "zone %s has no SOA record at its apex", owner);
		return 0;
	}
	z->apex->flags |= DB_APEX;
	const brec *soa1 = next_of_type(z->apex, TERN_T_SOA, true, 0);
	if (!has_type(z->apex, TERN_T_NS)) /* RFC 1034 4.2.1: NS at the apex */
		db_diag_report(b->diag, true, soa1->file, soa1->line, "zone %s has no NS records at its apex", owner);
	/* pass 1: delegation points and DNAMEs */
	for (uint32_t i = 0; i <= z->mask; i++)
		for (db_node *n = z->table[i]; n; n = n->hnext) {
			if (n != z->apex && has_type(n, TERN_T_NS))
				n->flags |= DB_CUT;
		}
	/* pass 1b: DNAMEs that count: one at or below a delegation point is
	 * occluded like any data there (RFC 1034 4.2.1), and must not make the
	 * names below it "below a DNAME" */
	for (uint32_t i = 0; i <= z->mask; i++)
		for (db_node *n = z->table[i]; n; n = n->hnext) {
			if (!has_type(n, TERN_T_DNAME) || (n->flags & DB_CUT))
				continue;
			bool occluded = false;
			for (const db_node *p = n->parent; p && !occluded; p = p->parent)
				occluded = (p->flags & DB_CUT) != 0;
			if (!occluded)
				n->flags |= DB_DNAME;
		}
	/* pass 2: what lies below them (the topmost one wins) */
	for (uint32_t i = 0; i <= z->mask; i++)
		for (db_node *n = z->table[i]; n; n = n->hnext)
			for (db_node *p = n->parent; p; p = p->parent) {
				if (p->flags & DB_CUT) {
					n->flags |= DB_OCCLUDED;
					n->cut = p;
				}
				if (p->flags & DB_DNAME) {
					n->flags |= DB_UNDER_DNAME;
					n->dname = p;
				}
			}
	/* pass 3: glue, the addresses that delegations need */
	for (uint32_t i = 0; i <= z->mask; i++)
		for (db_node *n = z->table[i]; n; n = n->hnext) {
			if (!(n->flags & DB_CUT) || (n->flags & DB_OCCLUDED))
				continue;
			for (const brec *r = n->build; r; r = r->next) {
				if (r->type != TERN_T_NS)
					continue;
				db_node *t = (db_node *)zone_find(z, r->rdata);
				if (t)
					t->flags |= DB_GLUE;
			}
		}
	/* pass 4: RRsets */
	for (uint32_t i = 0; i <= z->mask; i++)
		for (db_node *n = z->table[i]; n; n = n->hnext)
			if (build_rrsets(b, n))
				return -1;
	const db_rrset *soa = node_rrset(z->apex, TERN_T_SOA);
	if (soa && soa->count != 1) {
		/* RFC 1035 5.2: exactly one SOA; name the second one's line */
		const brec *soa2 = next_of_type(z->apex, TERN_T_SOA, false, soa1->seq);
		while (soa2 && soa2->rdlen == soa1->rdlen && !memcmp(soa2->rdata, soa1->rdata, soa1->rdlen))
			soa2 = next_of_type(z->apex, TERN_T_SOA, false, soa2->seq); /* a duplicate is no second SOA */
		db_diag_report(b->diag, true, soa2 ? soa2->file : z->file, soa2 ? soa2->line : 0,
		               "zone %s has %u SOA records; exactly one is allowed", owner, soa->count);
	}
	if (soa) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(soa->rdata, &len);
		if (len >= 20) {
			uint32_t minimum = tern_get_u32(rd + len - 4);
			z->serial = tern_get_u32(rd + len - 20);
			z->neg_ttl = soa->ttl < minimum ? soa->ttl : minimum;
		}
	}
	z->soa = soa;
	for (uint32_t i = 0; i <= z->mask; i++)
		for (db_node *n = z->table[i]; n; n = n->hnext)
			n->build = NULL;
	return 0;
}

static db_zone *zone_new(const uint8_t *origin, const char *name)
{
	db_zone *z = calloc(1, sizeof *z);
	if (!z)
		return NULL;
	arena_init(&z->mem);
	z->mask = 1023;
	z->table = calloc(z->mask + 1, sizeof *z->table);
	z->origin = arena_dup(&z->mem, origin, tern_name_len(origin));
	z->file = arena_dup(&z->mem, name, strlen(name) + 1);
	if (!z->table || !z->origin || !z->file) {
		zone_free(z);
		return NULL;
	}
	z->origin_labels = tern_name_labels(origin);
	z->origin_len = tern_name_len(origin);
	z->origin_hash = db_name_hash(origin);
	return z;
}

static db_zone *load(const uint8_t *origin, const char *name, const char *text, size_t len, db_diag *diag,
                     bool local)
{
	unsigned errors_before = diag->errors;
	build b = {.diag = diag};
	b.z = zone_new(origin, name);
	if (b.z)
		b.z->local = local;
	if (!b.z) {
		db_diag_report(diag, true, name, 0, "out of memory");
		return NULL;
	}
	arena_init(&b.tmp);
	tern_zparse zp = {
		.origin = origin,
		/* files may $INCLUDE (relative to themselves); text from memory
		 * may not, except the local records, whose only includes are the
		 * local-file lines local_build writes itself */
		.allow_include = !text || local,
		.on_rr = on_rr,
		.on_error = on_parse_error,
		.user = &b,
	};
	int rc = text ? tern_zone_parse_string(&zp, name, text, len) : tern_zone_parse_file(&zp, name);
	/* The semantic checks run after syntax errors too, so that one
	 * --check reports every error; a file that gave no record at all
	 * (it could not be read) is not checked further. */
	if (!b.oom && (rc == 0 || b.z->nrecords > 0)) {
		if (finish(&b)) {
			db_diag_report(diag, true, name, 0, "out of memory");
		}
	}
	if (rc && diag->errors == errors_before) {
		db_diag_report(diag, true, name, 0, "cannot load zone: %s", tern_strerror(rc));
	}
	arena_free(&b.tmp);
	if (diag->errors != errors_before) {
		zone_free(b.z);
		return NULL;
	}
	return b.z;
}

db_zone *zone_load(const uint8_t *origin, const char *path, db_diag *diag)
{
	return load(origin, path, NULL, 0, diag, false);
}

db_zone *zone_load_local(const char *name, const char *text, db_diag *diag)
{
	return load((const uint8_t *)"", name, text, strlen(text), diag, true);
}

db_zone *zone_load_string(const uint8_t *origin, const char *name, const char *text, db_diag *diag)
{
	return load(origin, name, text, strlen(text), diag, false);
}

void zone_free(db_zone *z)
{
	if (!z)
		return;
	free(z->table);
	arena_free(&z->mem);
	free(z);
}

const db_rrset *node_rrset(const db_node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->nrrsets; i++)
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
	return NULL;
}
