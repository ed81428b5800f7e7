/* zone.c: building a zone from master-file records, with the semantic
 * checks of RFC 1034/1035/2181 done once at load, and the name index.
 *
 * Loading happens in two steps. While the parser runs, each record is hung
 * on its owner's node (created on demand with all its ancestors up to the
 * apex, which yields the empty non-terminals), found through a load-time
 * index; records wait a few places first, so that the index slot a new
 * owner needs is prefetched. The nodes are also kept in creation order,
 * parents first. When parsing ends, finish() walks them in that order
 * twice: once to mark delegations and DNAMEs, what they occlude (inherited
 * from the parent) and the glue they need; once to turn each node's records
 * into sorted, de-duplicated RRsets and to put the node in the chained
 * table lookups use, made once at its final size. Between the two, the
 * checks that need the whole zone run (zonecheck.c: DNAME rules, NS and
 * MX targets, glue). Records equal but for the case of the names in their
 * RDATA are one RR; RRSIGs form one RRset per type covered (zone.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db/journal.h"
#include "db/dnssec.h"
#include "db/zone.h"
#include "db/zone_build.h"
#include "tern/rr.h"
#include "tern/zonefile.h"


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

void zb_name_text(const uint8_t *name, char *buf, size_t cap)
{
	if (tern_name_to_text(name, buf, cap) < 0 && cap > 4)
		strcpy(buf + cap - 4, "...");
}

/* Records wait this many places before they are hung on their nodes, so
 * that the index slot a new owner needs can be prefetched: at a million
 * names the index is far bigger than the cache. */
#define PENDING 16
/* A name being added: the offset of each label, and the hash of each
 * suffix down to the origin (the index hashes names label by label from
 * the root, db_hash_label, so those are one pass over the name). */
typedef struct lname {
	const uint8_t *name;
	size_t len;
	unsigned top; /* labels above the origin: suffix top is the origin */
	uint8_t off[DB_LABELS_MAX];
	uint32_t hash[DB_LABELS_MAX];
} lname;

typedef struct pend {
	brec *r;
	bool same; /* same owner as the record before: same node */
	lname ln;
	uint8_t owner[TERN_NAME_MAX];
} pend;

/* Fills ln for name; false if name is not at or below the origin. */
static bool lname_init(lname *ln, const db_zone *z, const uint8_t *name)
{
	unsigned n = 0;
	size_t o = 0;
	while (name[o]) {
		ln->off[n++] = (uint8_t)o;
		o += 1u + name[o];
	}
	ln->off[n] = (uint8_t)o;
	ln->name = name;
	ln->len = o + 1;
	if (n < z->origin_labels)
		return false;
	unsigned top = n - z->origin_labels;
	if (ln->len - ln->off[top] != z->origin_len ||
	    !db_name_eq_len(name + ln->off[top], z->origin, z->origin_len))
		return false;
	ln->top = top;
	uint32_t h = z->origin_hash;
	ln->hash[top] = h;
	for (unsigned i = top; i-- > 0;) {
		h = db_hash_label(h, name + ln->off[i]);
		ln->hash[i] = h;
	}
	return true;
}

static inline uint32_t slot_of(uint32_t h, unsigned shift)
{
	return (uint32_t)(h * 2654435769u) >> shift;
}

db_node *zb_index_find(const build *b, const uint8_t *name, size_t len, uint32_t h)
{
	if (!b->slots)
		return NULL;
	for (uint32_t i = slot_of(h, b->sshift);; i = (i + 1) & b->smask) {
		islot s = b->slots[i];
		if (!s.idx)
			return NULL;
		if (s.hash == h) {
			db_node *n = b->nodes[s.idx - 1];
			if (n->name_len == len && db_name_eq_len(n->name, name, len))
				return n;
		}
	}
}

void zb_index_prefetch(const build *b, uint32_t h, int stage)
{
	if (!b->slots)
		return;
	const islot *s = &b->slots[slot_of(h, b->sshift)];
	if (stage == 0)
		__builtin_prefetch(s);
	else if (s->idx && s->hash == h) /* the first slot only: the usual case */
		__builtin_prefetch(stage == 1 ? (const void *)&b->nodes[s->idx - 1] : (const void *)b->nodes[s->idx - 1]);
}

static void index_put(islot *slots, uint32_t mask, unsigned shift, uint32_t h, uint32_t idx)
{
	uint32_t i = slot_of(h, shift);
	while (slots[i].idx)
		i = (i + 1) & mask;
	slots[i] = (islot){h, idx};
}

/* Room for one more node: the node array and the index (at most 3/4 full). */
static int index_reserve(build *b)
{
	size_t n = b->z->nnodes;
	if (n == b->nodes_cap) {
		size_t cap = b->nodes_cap ? b->nodes_cap * 2 : 1024;
		db_node **nv = realloc(b->nodes, cap * sizeof *nv);
		if (!nv)
			return -1;
		b->nodes = nv;
		b->nodes_cap = cap;
	}
	if (b->slots && (n + 1) * 4 <= ((size_t)b->smask + 1) * 3)
		return 0;
	unsigned shift = b->slots ? b->sshift - 1 : b->first_shift;
	if (shift < 2)
		return -1; /* 2^30 slots: no zone file of at most 1 GiB gets here */
	uint32_t size = (uint32_t)1 << (32 - shift);
	islot *ns = calloc(size, sizeof *ns);
	if (!ns)
		return -1;
	if (b->slots)
		for (uint32_t i = 0; i <= b->smask; i++)
			if (b->slots[i].idx)
				index_put(ns, size - 1, shift, b->slots[i].hash, b->slots[i].idx);
	free(b->slots);
	b->slots = ns;
	b->smask = size - 1;
	b->sshift = shift;
	return 0;
}

/* The node of the previous record or its parent, if that is the name:
 * a new name's parent usually is one of them (no index probe then). */
static db_node *recent(const build *b, const uint8_t *name, size_t len, uint32_t h)
{
	for (db_node *n = b->last_node; n; n = n == b->last_node ? n->parent : NULL)
		if (n->hash == h && n->name_len == len && db_name_eq_len(n->name, name, len))
			return n;
	return NULL;
}

/* Finds or creates the node of suffix i of ln, creating its missing
 * ancestors too (so every parent is created before its children). */
static db_node *node_get(build *b, const lname *ln, unsigned i)
{
	db_zone *z = b->z;
	const uint8_t *name = ln->name + ln->off[i];
	size_t len = ln->len - ln->off[i];
	uint32_t h = ln->hash[i];
	db_node *n = zb_index_find(b, name, len, h);
	if (n)
		return n;
	db_node *parent = NULL;
	if (i < ln->top) {
		/* most owners sit right below the apex or the previous owner */
		parent = i + 1 == ln->top && z->apex ? z->apex
		                                     : recent(b, name + 1 + name[0], len - 1 - name[0], ln->hash[i + 1]);
		if (!parent)
			parent = node_get(b, ln, i + 1);
		if (!parent)
			return NULL;
	}
	if (index_reserve(b))
		return NULL;
	n = arena_alloc(&z->mem, sizeof *n + len);
	if (!n)
		return NULL;
	memset(n, 0, sizeof *n);
	uint8_t *nm = (uint8_t *)(n + 1);
	memcpy(nm, name, len);
	n->name = nm;
	n->hash = h;
	n->name_len = (uint8_t)len;
	n->parent = parent;
	if (parent)
		parent->nchildren++;
	b->nodes[z->nnodes++] = n;
	index_put(b->slots, b->smask, b->sshift, h, (uint32_t)z->nnodes);
	if (name[0] == 1 && name[1] == '*' && parent)
		parent->flags |= DB_HAS_WILD;
	if (!parent)
		z->apex = n; /* the origin's node */
	return n;
}

/* The chained table lookups use, empty: as many buckets as nodes (a power
 * of two, at least 1024). Filled by finish_nodes. */
static int table_alloc(db_zone *z)
{
	uint32_t size = 1024;
	unsigned shift = 22;
	while (size < z->nnodes && size < ((uint32_t)1 << 31)) {
		size *= 2;
		shift--;
	}
	db_node **t = calloc(size, sizeof *t);
	if (!t)
		return -1;
	free(z->table);
	z->table = t;
	z->shift = shift;
	return 0;
}

/* Hangs the oldest pending record on its node (found or made now). */
static int drain_one(build *b)
{
	pend *q = &b->pend[b->phead];
	db_node *n = q->same ? b->last_node : node_get(b, &q->ln, 0);
	b->last_node = n;
	if (!n) {
		b->oom = 1;
		db_diag_report(b->diag, true, q->r->file, q->r->line, "out of memory");
		return -1;
	}
	q->r->next = n->build;
	n->build = q->r;
	b->phead = (b->phead + 1) % PENDING;
	b->plen--;
	return 0;
}

static int drain(build *b)
{
	while (b->plen)
		if (drain_one(b))
			return -1;
	return 0;
}

/* A record from the parser: checked and stored now, hung on its node a few
 * records later (drain_one), once the index slot its owner needs has had
 * time to arrive in the cache. */
static int on_rr(const tern_zrr *rr, void *user)
{
	build *b = user;
	db_zone *z = b->z;
	char owner[TERN_NAME_TEXT_MAX], type[24];
	/* zone files group records by owner: then the node is the last one */
	bool same = rr->same_owner && b->pushed_last;
	b->pushed_last = false;
	if (!b->last_file || rr->file_id != b->last_file_id) {
		if (!b->last_file || strcmp(b->last_file, rr->file)) {
			b->last_file = arena_dup(&b->tmp, rr->file, strlen(rr->file) + 1);
			if (!b->last_file)
				goto oom;
		}
		b->last_file_id = rr->file_id;
	}
	if (b->plen == PENDING && drain_one(b))
		return TERN_ELIMIT;
	pend *q = &b->pend[(b->phead + b->plen) % PENDING];
	if (!same) {
		memcpy(q->owner, rr->owner, tern_name_len(rr->owner));
		if (!lname_init(&q->ln, z, q->owner)) {
			zb_name_text(rr->owner, owner, sizeof owner);
			db_diag_report(b->diag, false, rr->file, rr->line, "out-of-zone record '%s' ignored", owner);
			return 0;
		}
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
	zb_check_origin_repeat(b, rr);
	switch (rr->type) {
	case TERN_T_RRSIG:
	case TERN_T_NSEC:
	case TERN_T_NSEC3:
	case TERN_T_DNSKEY:
		b->signed_zone = true;
		break;
	default:
		break;
	}
	brec *r = arena_alloc(&b->tmp, sizeof *r + rr->rdlen);
	if (!r)
		goto oom;
	memcpy(r->rdata, rr->rdata, rr->rdlen);
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
	q->r = r;
	q->same = same;
	if (!same && b->slots)
		__builtin_prefetch(&b->slots[slot_of(q->ln.hash[0], b->sshift)]);
	b->plen++;
	b->pushed_last = true;
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

int zb_has_type(const db_node *n, uint16_t type)
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

/* RRSIGs form one RRset per type covered (RFC 4034 3, RFC 4035 2.2: each
 * belongs with the RRset it signs, and keeps that RRset's TTL), so the type
 * covered is part of an RRSIG's RRset key; RDATA of a valid RRSIG has it
 * in its first two bytes. */
static inline uint16_t covered(const brec *r)
{
	return r->type == TERN_T_RRSIG && r->rdlen >= 2 ? tern_get_u16(r->rdata) : 0;
}

static inline bool same_rrset(const brec *x, const brec *y)
{
	return x->type == y->type && covered(x) == covered(y);
}

static int cmp_brec(const brec *x, const brec *y)
{
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (covered(x) != covered(y))
		return covered(x) < covered(y) ? -1 : 1;
	if (x->rdlen != y->rdlen)
		return x->rdlen < y->rdlen ? -1 : 1;
	/* names that differ only in case are the same RR (RFC 4034 6.2, RFC
	 * 4343): such records sort next to each other, file order among them */
	int c = tern_rdata_compare(x->type, x->rdata, x->rdlen, y->rdata, y->rdlen);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_brec_q(const void *a, const void *b)
{
	return cmp_brec(*(const brec *const *)a, *(const brec *const *)b);
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

#define SMALL_NODE 16 /* records sorted on the stack, by insertion */

/* Turns a node's records into RRsets, checking and reporting as it goes.
 * The RRsets and their RDATA are one block of the zone's arena. */
static int build_rrsets(build *b, db_node *n)
{
	db_zone *z = b->z;
	size_t cnt = 0;
	for (brec *r = n->build; r; r = r->next)
		cnt++;
	if (!cnt)
		return 0;
	brec *one = n->build;
	if (cnt == 1 && !(n->flags & (DB_CUT | DB_OCCLUDED | DB_UNDER_DNAME)) && one->type != TERN_T_SOA) {
		/* the usual node: one record, nothing to drop or check */
		n->rrsets = arena_alloc(&z->mem, sizeof *n->rrsets + 2u + one->rdlen);
		if (!n->rrsets)
			return -1;
		uint8_t *p = (uint8_t *)(n->rrsets + 1);
		uint16_t l = one->rdlen;
		memcpy(p, &l, 2);
		memcpy(p + 2, one->rdata, l);
		n->rrsets[0] = (db_rrset){.type = one->type, .count = 1, .ttl = one->ttl, .rdata = p};
		n->nrrsets = 1;
		return 0;
	}
	brec *small[SMALL_NODE];
	brec **v = cnt <= SMALL_NODE ? small : malloc(cnt * sizeof *v);
	if (!v)
		return -1;
	size_t i = 0;
	for (brec *r = n->build; r; r = r->next)
		v[i++] = r;
	if (cnt <= SMALL_NODE) {
		for (i = 1; i < cnt; i++) {
			brec *x = v[i];
			size_t j = i;
			for (; j > 0 && cmp_brec(v[j - 1], x) > 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	} else {
		qsort(v, cnt, sizeof *v, cmp_brec_q);
	}
	/* the owner as text, made only when a message needs it */
	char owner_buf[TERN_NAME_TEXT_MAX], type[48];
	owner_buf[0] = 0;
#define OWNER() (owner_buf[0] ? owner_buf : (zb_name_text(n->name, owner_buf, sizeof owner_buf), owner_buf))

	/* drop what may not stay here, then duplicates (RFC 2181 5: an RRset
	 * has no duplicate records); v is sorted, so duplicates are adjacent */
	int rc = -1;
	if (n->flags & (DB_CUT | DB_OCCLUDED | DB_UNDER_DNAME)) {
		for (i = 0; i < cnt; i++) {
			if (kept_at(n, v[i]->type))
				continue;
			tern_type_to_text(v[i]->type, type, sizeof type);
			const db_node *at = (n->flags & DB_UNDER_DNAME) ? node_dname(n) : (n->flags & DB_OCCLUDED) ? node_cut(n) : n;
			char where[TERN_NAME_TEXT_MAX];
			zb_name_text(at->name, where, sizeof where);
			db_diag_report(b->diag, false, v[i]->file, v[i]->line, "%s %s ignored: %s %s", OWNER(), type,
			               (n->flags & DB_UNDER_DNAME) ? "below the DNAME at" : "occluded by the delegation at",
			               where);
			v[i] = NULL;
		}
	}
	const brec *last = NULL;
	size_t nsets = 0, bytes = 0;
	for (i = 0; i < cnt; i++) {
		if (!v[i])
			continue;
		if (last && v[i]->type == last->type && v[i]->rdlen == last->rdlen &&
		    !tern_rdata_compare(v[i]->type, v[i]->rdata, v[i]->rdlen, last->rdata, last->rdlen)) {
			v[i] = NULL;
			continue;
		}
		if (!last || !same_rrset(v[i], last))
			nsets++;
		bytes += 2u + v[i]->rdlen;
		last = v[i];
	}
	n->rrsets = arena_alloc(&z->mem, (nsets ? nsets : 1) * sizeof *n->rrsets + bytes);
	if (!n->rrsets)
		goto out;
	uint8_t *p = (uint8_t *)(n->rrsets + (nsets ? nsets : 1));
	n->nrrsets = 0;
	for (i = 0; i < cnt;) {
		if (!v[i]) {
			i++;
			continue;
		}
		size_t j = i, count = 0;
		const brec *firstrec = v[i];
		for (; j < cnt && (!v[j] || same_rrset(v[j], v[i])); j++) {
			if (!v[j])
				continue;
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
		s->rdata = p;
		for (size_t k = i; k < j; k++) {
			if (!v[k])
				continue;
			if (v[k]->ttl != s->ttl) {
				/* RFC 2181 5.2: TTLs of an RRset must agree */
				tern_type_to_text(s->type, type, sizeof type);
				if (covered(v[k])) {
					char cov[16];
					size_t tl = strlen(type);
					tern_type_to_text(covered(v[k]), cov, sizeof cov);
					snprintf(type + tl, sizeof type - tl, " covering %s", cov);
				}
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
	const db_rrset *soa = node_rrset(n, TERN_T_SOA);
	if (soa && n != z->apex && !z->local) { /* local data: the SOA of a local zone (policy.h) */
		for (brec *r = n->build; r; r = r->next)
			if (r->type == TERN_T_SOA) {
				db_diag_report(b->diag, true, r->file, r->line, "SOA record not at the zone apex (%s)", OWNER());
				break;
			}
	}
	rc = 0;
out:
	if (v != small)
		free(v);
	return rc;
}
#undef OWNER

/* Marks the glue a delegation at n needs: the nodes its NS records name. */
static void mark_glue(build *b, const db_node *n)
{
	for (const brec *r = n->build; r; r = r->next) {
		if (r->type != TERN_T_NS)
			continue;
		db_node *t = zb_index_find(b, r->rdata, tern_name_len(r->rdata), db_name_hash(r->rdata));
		if (t)
			t->flags |= DB_GLUE;
		if (!(n->flags & DB_UNDER_DNAME))
			zb_check_glue(b, n, r, t);
	}
}

/* n's place in the chained table lookups use. Its records (n->build,
 * which hnext shares) must be let go of first. */
static void link_node(db_zone *z, db_node *n)
{
	uint32_t k = db_bucket(z->shift, n->hash);
	n->hnext = z->table[k];
	z->table[k] = n;
}

/* Pass 2 (the only one for local records): each node's RRsets, its place
 * in the chained table lookups use, and its records let go; the apex's
 * stay for the SOA checks that follow, so the caller links it (link_node)
 * when it is done with them. */
static int finish_nodes(build *b)
{
	db_zone *z = b->z;
	if (table_alloc(z))
		return -1;
	for (size_t i = 0; i < z->nnodes; i++) {
		if (i + 8 < z->nnodes) /* the bucket a few nodes on: a cache miss each */
			__builtin_prefetch(&z->table[db_bucket(z->shift, b->nodes[i + 8]->hash)], 1);
		db_node *n = b->nodes[i];
		if (b->signed_zone && !z->local && zb_dnssec_node(b, n))
			return -1;
		if (build_rrsets(b, n))
			return -1;
		if (b->signed_zone && !z->local) {
			zb_check_signed(b, n);
			zb_verify_node(b, n);
		}
		if (n == z->apex)
			continue;
		n->build = NULL;
		if (n->flags & DB_HASHED)
			continue; /* not a name of the zone: the NSEC3 index has it */
		link_node(z, n);
	}
	return 0;
}

static int finish(build *b)
{
	db_zone *z = b->z;
	char owner[TERN_NAME_TEXT_MAX];
	zb_name_text(z->origin, owner, sizeof owner);
	/* z->apex: the node without a parent, which node_get made first */
	if (z->local) { /* local records: every name stands alone; NS are plain data */
		if (finish_nodes(b))
			return -1;
		if (z->apex) {
			z->apex->build = NULL;
			link_node(z, z->apex);
		}
		return 0;
	}
	if (!z->apex || !zb_has_type(z->apex, TERN_T_SOA)) {
		/* no line holds what is missing: name where the zone starts */
		db_diag_report(b->diag, true, b->first_file ? b->first_file : z->file, b->first_line,
		               "zone %s has no SOA record at its apex", owner);
		return 0;
	}
	z->apex->flags |= DB_APEX;
	const brec *soa1 = next_of_type(z->apex, TERN_T_SOA, true, 0);
	if (!zb_has_type(z->apex, TERN_T_NS)) /* RFC 1034 4.2.1: NS at the apex */
		db_diag_report(b->diag, true, soa1->file, soa1->line, "zone %s has no NS records at its apex", owner);
	/* pass 1, in creation order (a parent before its children), so what
	 * lies above a node is known when it is reached:
	 * - below a delegation point or a DNAME: the topmost one wins;
	 * - a delegation point: NS below the apex; its glue is marked;
	 * - a DNAME that counts: one at or below a delegation point is
	 *   occluded like any data there (RFC 1034 4.2.1), and must not make
	 *   the names below it "below a DNAME". */
	for (size_t i = 0; i < z->nnodes; i++) {
		db_node *n = b->nodes[i];
		const db_node *p = n->parent;
		if (p && (p->flags & (DB_CUT | DB_OCCLUDED)))
			n->flags |= DB_OCCLUDED; /* node_cut finds the cut */
		if (p && (p->flags & (DB_DNAME | DB_UNDER_DNAME)))
			n->flags |= DB_UNDER_DNAME; /* node_dname the DNAME */
		bool ns = false, dname = false, mx = false;
		for (const brec *r = n->build; r; r = r->next) {
			ns |= r->type == TERN_T_NS;
			dname |= r->type == TERN_T_DNAME;
			mx |= r->type == TERN_T_MX;
		}
		if ((ns || mx) && b->nchecks == b->checks_cap) {
			size_t cap = b->checks_cap ? 2 * b->checks_cap : 64;
			db_node **c = realloc(b->checks, cap * sizeof *c);
			if (!c)
				return -1;
			b->checks = c;
			b->checks_cap = cap;
		}
		if (ns || mx)
			b->checks[b->nchecks++] = n;
		if (dname)
			zb_check_dnames(b, n);
		if (ns && n != z->apex) {
			n->flags |= DB_CUT;
			if (!(n->flags & DB_OCCLUDED))
				mark_glue(b, n);
		}
		if (dname && !(n->flags & (DB_CUT | DB_OCCLUDED)))
			n->flags |= DB_DNAME;
	}
	zb_check_targets(b);
	if (finish_nodes(b))
		return -1;
	const db_rrset *soa = node_rrset(z->apex, TERN_T_SOA);
	if (soa && soa->count != 1) {
		/* RFC 1035 5.2: exactly one SOA; name the second one's line */
		const brec *soa2 = next_of_type(z->apex, TERN_T_SOA, false, soa1->seq);
		while (soa2 && !tern_rdata_compare(TERN_T_SOA, soa2->rdata, soa2->rdlen, soa1->rdata, soa1->rdlen))
			soa2 = next_of_type(z->apex, TERN_T_SOA, false, soa2->seq); /* a duplicate is no second SOA */
		db_diag_report(b->diag, true, soa2 ? soa2->file : z->file, soa2 ? soa2->line : 0,
		               "zone %s has %u SOA records; exactly one is allowed", owner, soa->count);
	}
	z->soa_line = soa1->line;
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
	int rc = b->signed_zone ? zb_dnssec_finish(b) : 0;
	z->apex->build = NULL;
	link_node(z, z->apex);
	return rc;
}

static db_zone *zone_new(const uint8_t *origin, const char *name)
{
	db_zone *z = calloc(1, sizeof *z);
	if (!z)
		return NULL;
	arena_init(&z->mem);
	/* z->table is made when loading is done (finish_nodes) */
	z->origin = arena_dup(&z->mem, origin, tern_name_len(origin));
	z->file = arena_dup(&z->mem, name, strlen(name) + 1);
	if (!z->origin || !z->file) {
		zone_free(z);
		return NULL;
	}
	z->origin_labels = tern_name_labels(origin);
	z->origin_len = tern_name_len(origin);
	z->origin_hash = db_name_hash(origin);
	atomic_init(&z->refs, 1);
	atomic_init(&z->mem_refs, 1);
	return z;
}

db_zone *zone_new_empty(const uint8_t *origin, const char *file)
{
	return zone_new(origin, file);
}

/* A load in progress: the file parser's callbacks and zone_builder_add
 * both feed b; zone_builder_finish checks and indexes. */
struct zone_builder {
	build b;
	unsigned errors_before;
	const char *name;
};

static zone_builder *builder_new(const uint8_t *origin, const char *name, size_t bytes, db_diag *diag, bool local)
{
	zone_builder *zb = calloc(1, sizeof *zb);
	if (!zb) {
		db_diag_report(diag, true, name, 0, "out of memory");
		return NULL;
	}
	zb->errors_before = diag->errors;
	zb->name = name;
	build *b = &zb->b;
	b->diag = diag;
	b->z = zone_new(origin, name);
	b->pend = malloc(PENDING * sizeof *b->pend);
	if (!b->z || !b->pend) {
		db_diag_report(diag, true, name, 0, "out of memory");
		zone_free(b->z);
		free(b->pend);
		free(zb);
		return NULL;
	}
	b->z->local = local;
	arena_init(&b->tmp);
	/* The first index holds a name per 48 bytes of text (the bench zone
	 * has one per 40) at 3/4 full, from 2^12 to 2^21 slots: a typical
	 * zone never grows it, a signed one (fewer names per byte) grows it
	 * rather than keep many empty slots. */
	b->first_shift = 32 - 12;
	while (b->first_shift > 32 - 21 && ((size_t)1 << (32 - b->first_shift)) * 3 / 4 < bytes / 48)
		b->first_shift--;
	return zb;
}

/* rc: what the parser returned (0 when records came from elsewhere). */
static db_zone *builder_end(zone_builder *zb, int rc)
{
	build *b = &zb->b;
	db_diag *diag = b->diag;
	const char *name = zb->name;
	if (!b->oom)
		(void)drain(b);
	/* The semantic checks run after syntax errors too, so that one
	 * --check reports every error; a file that gave no record at all
	 * (it could not be read) is not checked further. */
	if (!b->oom && (rc == 0 || b->z->nrecords > 0)) {
		if (finish(b)) {
			db_diag_report(diag, true, name, 0, "out of memory");
		}
	}
	if (rc && diag->errors == zb->errors_before) {
		db_diag_report(diag, true, name, 0, "cannot load zone: %s", tern_strerror(rc));
	}
	if (diag->errors == zb->errors_before && !b->z->table) /* finish() always makes it */
		db_diag_report(diag, true, name, 0, "internal error: no node table");
	zb_verify_done(b);
	arena_free(&b->tmp);
	free(b->checks);
	free(b->dnodes);
	free(b->hidden);
	free(b->nodes);
	free(b->slots);
	free(b->pend);
	db_zone *z = b->z;
	bool bad = diag->errors != zb->errors_before;
	free(zb);
	if (bad) {
		zone_free(z);
		return NULL;
	}
	return z;
}

zone_builder *zone_builder_new(const uint8_t *origin, const char *name, size_t size_hint, db_diag *diag)
{
	return builder_new(origin, name, size_hint, diag, false);
}

int zone_builder_add(zone_builder *zb, const tern_zrr *rr)
{
	return on_rr(rr, &zb->b);
}

db_zone *zone_builder_finish(zone_builder *zb)
{
	return builder_end(zb, 0);
}

void zone_builder_abort(zone_builder *zb)
{
	if (!zb)
		return;
	build *b = &zb->b;
	zb_verify_done(b);
	arena_free(&b->tmp);
	free(b->checks);
	free(b->dnodes);
	free(b->hidden);
	free(b->nodes);
	free(b->slots);
	free(b->pend);
	zone_free(b->z);
	free(zb);
}

static db_zone *load(const uint8_t *origin, const char *name, const char *text, size_t len, db_diag *diag,
                     bool local)
{
	struct stat st;
	size_t bytes = text ? len : stat(name, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size : 0;
	zone_builder *zb = builder_new(origin, name, bytes, diag, local);
	if (!zb)
		return NULL;
	tern_zparse zp = {
		.origin = origin,
		/* files may $INCLUDE (relative to themselves); text from memory
		 * may not, except the local records, whose only includes are the
		 * local-file lines local_build writes itself */
		.allow_include = !text || local,
		.on_rr = on_rr,
		.on_error = on_parse_error,
		.user = &zb->b,
	};
	int rc = text ? tern_zone_parse_string(&zp, name, text, len) : tern_zone_parse_file(&zp, name);
	return builder_end(zb, rc);
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
