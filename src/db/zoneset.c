/* zoneset.c: the zones of one server version, indexed by origin; finds the
 * most specific zone that contains a name by trying the name and then each
 * of its ancestors. */
#include <stdlib.h>

#include "db/zone.h"

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
	s->zones = zones;
	s->nzones = n;
	for (size_t i = 0; i < n; i++) {
		uint32_t h = tern_name_hash(zones[i]->origin) & s->mask;
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
		zone_free(s->zones[i]);
	free(s->zones);
	free(s->table);
	free(s);
}

const db_zone *db_set_get(const db_set *s, const uint8_t *name)
{
	if (!s || !s->nzones)
		return NULL;
	for (uint32_t h = tern_name_hash(name) & s->mask; s->table[h]; h = (h + 1) & s->mask)
		if (tern_name_eq(s->table[h]->origin, name))
			return s->table[h];
	return NULL;
}

const db_zone *db_set_find(const db_set *s, const uint8_t *name)
{
	if (!s || !s->nzones)
		return NULL;
	for (const uint8_t *p = name;; p = tern_name_parent(p)) {
		const db_zone *z = db_set_get(s, p);
		if (z)
			return z;
		if (!p[0])
			return NULL;
	}
}
