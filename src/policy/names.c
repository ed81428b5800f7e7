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
	free(s->slots);
	memset(s, 0, sizeof *s);
}

/* A table of at least `want` slots (a power of two), the entries moved. */
static int resize(pol_names *s, size_t want)
{
	size_t slots = 1024;
	while (slots < want)
		slots *= 2;
	if (slots > (size_t)1 << 31)
		return -1;
	pol_slot *t = calloc(slots, sizeof *t);
	if (!t)
		return -1;
	uint32_t mask = (uint32_t)(slots - 1);
	for (uint32_t i = 0; s->slots && i <= s->mask; i++) {
		if (!s->slots[i].off)
			continue;
		uint32_t j = db_bucket(0, s->slots[i].hash) & mask;
		while (t[j].off)
			j = (j + 1) & mask;
		t[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = t;
	s->mask = mask;
	return 0;
}

static size_t nslots(const pol_names *s)
{
	return s->slots ? (size_t)s->mask + 1 : 0;
}

int pol_names_reserve(pol_names *s, size_t n, size_t bytes)
{
	if ((s->count + n) * 2 > nslots(s) && resize(s, (s->count + n) * 2))
		return -1;
	if (s->len + bytes > s->cap && bytes < UINT32_MAX - s->len) {
		uint8_t *nb = realloc(s->bytes, s->len + bytes);
		if (!nb)
			return -1;
		s->bytes = nb;
		s->cap = s->len + bytes;
	}
	return 0;
}

/* The slot holding name (len bytes, hash h), or the empty slot where it
 * would go. */
static uint32_t find_slot(const pol_names *s, const uint8_t *name, size_t len, uint32_t h)
{
	uint32_t j = db_bucket(0, h) & s->mask;
	for (; s->slots[j].off; j = (j + 1) & s->mask) {
		if (s->slots[j].hash != h)
			continue;
		const uint8_t *e = s->bytes + s->slots[j].off - 1 + E_NAME;
		if (tern_name_len(e) == len && db_name_eq_len(e, name, len))
			return j;
	}
	return j;
}

/* The entry for name (hash h; lower: lower-case it), made if it is not
 * there. NULL: out of room. */
static uint8_t *entry_h(pol_names *s, const uint8_t *name, uint32_t h, bool lower)
{
	if ((s->count + 1) * 2 > nslots(s) && resize(s, nslots(s) * 2))
		return NULL;
	size_t len = tern_name_len(name);
	uint32_t j = find_slot(s, name, len, h);
	if (s->slots[j].off)
		return s->bytes + s->slots[j].off - 1;
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
	if (lower)
		tern_name_lower(e + E_NAME, name);
	else
		memcpy(e + E_NAME, name, len);
	s->slots[j].off = (uint32_t)s->len + 1;
	s->slots[j].hash = h;
	s->len += E_NAME + len;
	s->count++;
	unsigned labels = tern_name_labels(name);
	if (labels > s->max_labels)
		s->max_labels = labels;
	return e;
}

static uint8_t *entry(pol_names *s, const uint8_t *name)
{
	return entry_h(s, name, db_name_hash(name), true);
}

static void set_actions(uint8_t *e, uint8_t exact, uint8_t subtree)
{
	if (!e[E_EXACT])
		e[E_EXACT] = exact;
	if (!e[E_SUB])
		e[E_SUB] = subtree;
}

int pol_names_add_batch(pol_names *s, const uint8_t *const *names, size_t n, uint8_t exact, uint8_t subtree)
{
	uint32_t h[64];
	while (n) {
		size_t k = n < 64 ? n : 64;
		if ((s->count + k) * 2 > nslots(s) && resize(s, (s->count + k) * 2 > nslots(s) * 2 ? (s->count + k) * 2
		                                                                                   : nslots(s) * 2))
			return -1;
		for (size_t i = 0; i < k; i++) {
			h[i] = db_name_hash(names[i]);
			__builtin_prefetch(&s->slots[db_bucket(0, h[i]) & s->mask]);
		}
		for (size_t i = 0; i < k; i++) {
			uint8_t *e = entry_h(s, names[i], h[i], false);
			if (!e)
				return -1;
			set_actions(e, exact, subtree);
		}
		names += k;
		n -= k;
	}
	return 0;
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
		if (!s->slots[j].off)
			continue;
		const uint8_t *e = s->bytes + s->slots[j].off - 1;
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
