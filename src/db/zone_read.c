/* zone_read.c: reading a built zone (the part of zone.h the answer path,
 * transfers and the zone writers use): name hashing, lookups, RRsets of a
 * node, walking a zone, and a version's references. Building one is
 * zone.c's. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "db/dnssec.h"
#include "db/journal.h"
#include "db/zone.h"
#include "tern/rr.h"

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
	for (db_node *n = z->table[db_bucket(z->shift, h)]; n; n = n->hnext)
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

/* The arena goes when no version shares its nodes any more. */
static void zone_mem_unref(db_zone *z)
{
	if (atomic_fetch_sub_explicit(&z->mem_refs, 1, memory_order_acq_rel) != 1)
		return;
	for (unsigned i = 0; i < z->nbases; i++)
		zone_mem_unref(z->bases[i]);
	free(z->bases);
	arena_free(&z->mem);
	free(z);
}

void zone_unref(db_zone *z)
{
	if (z && atomic_fetch_sub_explicit(&z->refs, 1, memory_order_acq_rel) == 1)
		zone_free(z);
}

void zone_free(db_zone *z)
{
	if (!z)
		return;
	free(z->table);
	z->table = NULL;
	if (z->dnssec) /* the arrays of a patched version (db/dnssec.h) */
		db_dnssec_free_own((db_dnssec *)z->dnssec);
	db_journal_unref(z->journal);
	z->journal = NULL;
	zone_mem_unref(z);
}

const db_rrset *node_rrset(const db_node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->nrrsets; i++)
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
	return NULL;
}

const db_rrset *node_rrsigs(const db_node *n, uint16_t covered)
{
	for (const db_rrset *s = node_rrset(n, TERN_T_RRSIG), *e = n->rrsets + n->nrrsets; s && s < e && s->type == TERN_T_RRSIG; s++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(s->rdata, &len);
		if (len >= 2 && tern_get_u16(rd) == covered)
			return s;
	}
	return NULL;
}

int zone_walk_rrsets(const db_zone *z, zone_rrset_fn fn, void *user)
{
	if (!zone_has_data(z))
		return 0;
	/* the apex first: its SOA opens a zone file or a transfer */
	for (unsigned i = 0; i < z->apex->nrrsets; i++) {
		int r = fn(z->apex, &z->apex->rrsets[i], user);
		if (r)
			return r;
	}
	size_t nb = (size_t)1 << (32 - z->shift);
	for (size_t b = 0; b < nb; b++)
		for (const db_node *n = z->table[b]; n; n = n->hnext) {
			if (n == z->apex)
				continue;
			for (unsigned i = 0; i < n->nrrsets; i++) {
				int r = fn(n, &n->rrsets[i], user);
				if (r)
					return r;
			}
		}
	/* the NSEC3 owners, which are no names of the zone (db/dnssec.h) */
	for (size_t i = 0; z->dnssec && i < z->dnssec->nhidden; i++) {
		const db_node *n = z->dnssec->hidden[i];
		for (unsigned k = 0; k < n->nrrsets; k++) {
			int r = fn(n, &n->rrsets[k], user);
			if (r)
				return r;
		}
	}
	return 0;
}
