/* zoneset.c: the zones of one server version, indexed by origin; finds the
 * most specific zone that contains a name by trying the name and then each
 * of its ancestors (no longer than the deepest origin), with the suffix
 * hashes of one db_qname. */
#include <stdlib.h>
#include <string.h>

#include "db/zone.h"
#include "db/dnssec.h"

db_set *db_set_new(db_zone **zones, size_t n)
{
	db_set *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	uint32_t size = 16;
	while (size < 2 * n)
		size *= 2;
	s->table = calloc(size, sizeof *s->table);
	if (!s->table) {
		free(s);
		return NULL;
	}
	s->mask = size - 1;
	s->all = s->table; /* nothing hidden yet */
	s->zones = zones;
	s->nzones = n;
	for (size_t i = 0; i < n; i++) {
		if (zones[i]->origin_labels > s->max_labels)
			s->max_labels = zones[i]->origin_labels;
		uint32_t h = zones[i]->origin_hash & s->mask;
		while (s->table[h])
			h = (h + 1) & s->mask;
		s->table[h] = zones[i];
	}
	return s;
}

void db_set_free(db_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nzones; i++)
		zone_unref(s->zones[i]);
	free(s->zones);
	if (s->all != s->table)
		free(s->all);
	free(s->table);
	free(s->hidden);
	free(s);
}

/* in the answers' table (hidden zones left out) */
static const db_zone *get_h(const db_set *s, const uint8_t *name, size_t len, uint32_t hash)
{
	for (uint32_t h = hash & s->mask; s->table[h]; h = (h + 1) & s->mask) {
		const db_zone *z = s->table[h];
		if (z->origin_hash == hash && z->origin_len == len && db_name_eq_len(z->origin, name, len))
			return z;
	}
	return NULL;
}

const db_zone *db_set_get(const db_set *s, const uint8_t *name)
{
	if (!s || !s->nzones)
		return NULL;
	size_t len = tern_name_len(name);
	uint32_t hash = db_name_hash(name);
	for (uint32_t h = hash & s->mask; s->all[h]; h = (h + 1) & s->mask) { /* every zone */
		const db_zone *z = s->all[h];
		if (z->origin_hash == hash && z->origin_len == len && db_name_eq_len(z->origin, name, len))
			return z;
	}
	return NULL;
}

int db_set_hide(db_set *s, const uint8_t *origin)
{
	if (!s || !s->nzones)
		return 1;
	const db_zone *z = db_set_get(s, origin);
	if (!z)
		return 1;
	if (!s->hidden && !(s->hidden = calloc(s->nzones, 1)))
		return -1;
	db_zone **at = calloc((size_t)s->mask + 1, sizeof *at);
	if (!at)
		return -1;
	/* the answers' table again, without the hidden zones (open addressing:
	 * a slot cannot just be emptied) */
	for (size_t i = 0; i < s->nzones; i++) {
		if (s->zones[i] == z)
			s->hidden[i] = 1;
		if (s->hidden[i])
			continue;
		uint32_t h = s->zones[i]->origin_hash & s->mask;
		while (at[h])
			h = (h + 1) & s->mask;
		at[h] = s->zones[i];
	}
	if (s->table != s->all) /* an earlier answers' table; the full one stays for db_set_get */
		free(s->table);
	s->table = at;
	return 0;
}

const db_zone *db_set_find_q(const db_set *s, const db_qname *qn, unsigned from, unsigned *at)
{
	if (!s || !s->nzones || from > qn->labels)
		return NULL;
	/* no origin has more than max_labels labels: skip the longer suffixes */
	unsigned i = from;
	if (qn->labels - i > s->max_labels)
		i = qn->labels - s->max_labels;
	for (; i <= qn->labels; i++) {
		const db_zone *z = get_h(s, db_qname_suffix(qn, i), db_qname_len(qn, i), qn->hash[i]);
		if (z) {
			if (at)
				*at = i;
			return z;
		}
	}
	return NULL;
}

const db_zone *db_set_find(const db_set *s, const uint8_t *name)
{
	if (!s || !s->nzones)
		return NULL;
	db_qname qn;
	db_qname_init(&qn, name);
	return db_set_find_q(s, &qn, 0, NULL);
}

/* A 64-bit mix of bytes (words of 8, the tail padded with zeros). */
static uint64_t mix(uint64_t h, const uint8_t *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = (h ^ w ^ (uint64_t)n << 56) * k;
		h ^= h >> 29;
	}
	return h;
}

/* The hash of each record of n, summed. */
static uint64_t node_digest(const db_node *n)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < n->nrrsets; i++) {
		const db_rrset *s = &n->rrsets[i];
		const uint8_t *p = s->rdata;
		for (unsigned k = 0; k < s->count; k++) {
			uint16_t len;
			const uint8_t *rd = rrset_rdata(p, &len);
			uint8_t head[8];
			tern_put_u16(head, s->type);
			tern_put_u16(head + 2, len);
			tern_put_u32(head + 4, s->ttl);
			uint64_t h = mix(0x243f6a8885a308d3ull, head, sizeof head);
			h = mix(h, n->name, n->name_len);
			h = mix(h, rd, len);
			sum += h ^ (h >> 31);
			p = rd + len;
		}
	}
	return sum;
}

/* The zone's content as served: a hash of each record (owner, type, TTL,
 * RDATA), summed, so the order of the records does not count. Made only
 * when a reload needs it (a pass over the whole zone). */
static uint64_t zone_digest(const db_zone *z)
{
	uint64_t sum = 0;
	for (size_t b = 0; b < ((size_t)1 << (32 - z->shift)); b++)
		for (const db_node *n = z->table[b]; n; n = n->hnext)
			sum += node_digest(n);
	for (size_t i = 0; z->dnssec && i < z->dnssec->nhidden; i++) /* NSEC3 owners */
		sum += node_digest(z->dnssec->hidden[i]);
	return sum;
}

void db_set_check_reload(const db_set *old, const db_set *s, db_diag *diag)
{
	for (size_t i = 0; old && s && i < s->nzones; i++) {
		const db_zone *z = s->zones[i];
		const db_zone *was = db_set_get(old, z->origin);
		if (!was || was == z || z->local || !zone_has_data(z) || !zone_has_data(was) ||
		    was->serial != z->serial || zone_digest(was) == zone_digest(z))
			continue; /* a zone without data has nothing to compare (and no table) */
		char name[TERN_NAME_TEXT_MAX];
		if (tern_name_to_text(z->origin, name, sizeof name) < 0)
			name[0] = '\0';
		db_diag_report(diag, false, z->file, z->soa_line,
		               "zone %s changed but its SOA serial (%u) did not: secondaries will not see the change",
		               name, z->serial);
	}
}
