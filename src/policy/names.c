/* names.c: see names.h. */
#include <stdlib.h>
#include <string.h>

#include "policy/names.h"

enum { E_EXACT, E_SUB, E_ALLOW, E_NAME }; /* entry layout */

void pol_names_init(pol_names *s)
{
	memset(s, 0, sizeof *s);
}

void pol_names_free(pol_names *s)
{
	free(s->bytes);
	free(s->off);
	free(s->hash);
	memset(s, 0, sizeof *s);
}

static int grow_table(pol_names *s)
{
	uint32_t slots = s->mask ? (s->mask + 1) * 2 : 1024;
	if (!slots)
		return -1;
	uint32_t *off = calloc(slots, sizeof *off), *hash = malloc(slots * sizeof *hash);
	if (!off || !hash) {
		free(off);
		free(hash);
		return -1;
	}
	uint32_t mask = slots - 1;
	for (uint32_t i = 0; s->off && i <= s->mask; i++) {
		if (!s->off[i])
			continue;
		uint32_t j = db_bucket(0, s->hash[i]) & mask;
		while (off[j])
			j = (j + 1) & mask;
		off[j] = s->off[i];
		hash[j] = s->hash[i];
	}
	free(s->off);
	free(s->hash);
	s->off = off;
	s->hash = hash;
	s->mask = mask;
	return 0;
}

/* The slot holding name (len bytes, hash h), or the empty slot where it
 * would go. */
static uint32_t find_slot(const pol_names *s, const uint8_t *name, size_t len, uint32_t h)
{
	uint32_t j = db_bucket(0, h) & s->mask;
	for (; s->off[j]; j = (j + 1) & s->mask) {
		if (s->hash[j] != h)
			continue;
		const uint8_t *e = s->bytes + s->off[j] - 1 + E_NAME;
		if (tern_name_len(e) == len && db_name_eq_len(e, name, len))
			return j;
	}
	return j;
}

/* The entry for name, made if it is not there. NULL: out of room. */
static uint8_t *entry(pol_names *s, const uint8_t *name)
{
	if ((s->count + 1) * 2 > (size_t)s->mask + (s->mask ? 1 : 0) && grow_table(s))
		return NULL;
	size_t len = tern_name_len(name);
	uint32_t h = db_name_hash(name);
	uint32_t j = find_slot(s, name, len, h);
	if (s->off[j])
		return s->bytes + s->off[j] - 1;
	if (s->len + E_NAME + len > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1u << 16;
		if (nc > UINT32_MAX - 1)
			nc = UINT32_MAX - 1;
		if (s->len + E_NAME + len > nc)
			return NULL;
		uint8_t *nb = realloc(s->bytes, nc);
		if (!nb)
			return NULL;
		s->bytes = nb;
		s->cap = nc;
	}
	uint8_t *e = s->bytes + s->len;
	e[E_EXACT] = e[E_SUB] = e[E_ALLOW] = 0;
	tern_name_lower(e + E_NAME, name);
	s->off[j] = (uint32_t)s->len + 1;
	s->hash[j] = h;
	s->len += E_NAME + len;
	s->count++;
	unsigned labels = tern_name_labels(name);
	if (labels > s->max_labels)
		s->max_labels = labels;
	return e;
}

int pol_names_add(pol_names *s, const uint8_t *name, uint8_t exact, uint8_t subtree)
{
	uint8_t *e = entry(s, name);
	if (!e)
		return -1;
	if (!e[E_EXACT])
		e[E_EXACT] = exact;
	if (!e[E_SUB])
		e[E_SUB] = subtree;
	return 0;
}

int pol_names_allow(pol_names *s, const uint8_t *name)
{
	uint8_t *e = entry(s, name);
	if (!e)
		return -1;
	if (!e[E_ALLOW])
		s->nallow++;
	e[E_ALLOW] = 1;
	return 0;
}

void pol_names_freeze(pol_names *s)
{
	if (s->len && s->len < s->cap) {
		uint8_t *nb = realloc(s->bytes, s->len);
		if (nb) {
			s->bytes = nb;
			s->cap = s->len;
		}
	}
}

bool pol_names_lookup(const pol_names *s, const db_qname *qn, pol_match *m)
{
	if (!s->count)
		return false;
	bool found = false;
	/* suffix i has qn->labels - i labels: start where names can be */
	unsigned first = qn->labels > s->max_labels ? qn->labels - s->max_labels : 0;
	for (unsigned i = first; i <= qn->labels; i++) {
		size_t len = db_qname_len(qn, i);
		uint32_t h = qn->hash[i];
		uint32_t j = find_slot(s, db_qname_suffix(qn, i), len, h);
		if (!s->off[j])
			continue;
		const uint8_t *e = s->bytes + s->off[j] - 1;
		if (e[E_ALLOW])
			return false;
		uint8_t a = i == 0 ? e[E_EXACT] : e[E_SUB];
		if (a && !found) {
			m->action = a;
			m->exact = i == 0;
			m->suffix = i;
			found = true;
			if (!s->nallow)
				return true;
		}
	}
	return found;
}
