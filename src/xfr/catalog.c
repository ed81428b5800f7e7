/* catalog.c: see catalog.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/rr.h"
#include "xfr/catalog.h"

/* A 64-bit FNV-1a of the lower-cased wire name: the member's unique id. */
static uint64_t member_id(const uint8_t *name)
{
	uint64_t h = 14695981039346656037ull;
	size_t len = tern_name_len(name);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = name[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 1099511628211ull;
	}
	return h;
}

/* The node of "zones.<origin>" in z, or NULL. */
static const db_node *zones_node(const db_zone *z)
{
	uint8_t name[TERN_NAME_MAX];
	if (z->origin_len + 6 > TERN_NAME_MAX)
		return NULL;
	name[0] = 5;
	memcpy(name + 1, "zones", 5);
	memcpy(name + 6, z->origin, z->origin_len);
	return zone_find(z, name);
}

/* RFC 9432 4.2.1: "version" TXT with one RR whose value is "2". */
static bool version_2(const db_zone *z)
{
	uint8_t name[TERN_NAME_MAX];
	if (z->origin_len + 8 > TERN_NAME_MAX)
		return false;
	name[0] = 7;
	memcpy(name + 1, "version", 7);
	memcpy(name + 8, z->origin, z->origin_len);
	const db_node *n = zone_find(z, name);
	const db_rrset *txt = n ? node_rrset(n, TERN_T_TXT) : NULL;
	const uint8_t *p = txt ? txt->rdata : NULL;
	for (unsigned i = 0; txt && i < txt->count; i++) {
		uint16_t l;
		const uint8_t *rd = rrset_rdata(p, &l);
		if (l == 2 && rd[0] == 1 && rd[1] == '2')
			return true;
		p = rd + l;
	}
	return false;
}

static int cmp_member(const void *a, const void *b)
{
	return tern_name_cmp(((const catalog_member *)a)->zone, ((const catalog_member *)b)->zone);
}

static void say(char *why, size_t cap, const char *fmt, const char *a, const char *b)
{
	if (why && cap)
		snprintf(why, cap, fmt, a, b);
}

long catalog_read(const db_zone *z, catalog_member *out, size_t cap, char *why, size_t whycap)
{
	if (!zone_has_data(z)) {
		say(why, whycap, "%s%sno data", "", "");
		return CATALOG_NO_DATA;
	}
	if (!version_2(z)) {
		say(why, whycap, "%s%sno \"version\" TXT \"2\" (RFC 9432 4.2.1): not a catalog of a schema we know", "",
		    "");
		return CATALOG_BAD_VERSION;
	}
	const db_node *zn = zones_node(z);
	if (!zn)
		return 0;
	/* the members are the PTR records one label below zones.<origin> */
	size_t n = 0;
	size_t slots = (size_t)1 << (32 - z->shift);
	for (size_t b = 0; b < slots; b++)
		for (const db_node *x = z->table[b]; x; x = x->hnext) {
			if (x->name_len != zn->name_len + 1 + x->name[0] ||
			    !db_name_eq_len(x->name + 1 + x->name[0], zn->name, zn->name_len))
				continue;
			const db_rrset *ptr = node_rrset(x, TERN_T_PTR);
			if (!ptr)
				continue;
			if (ptr->count != 1) { /* RFC 9432 4.2: a broken catalog */
				char t[TERN_NAME_TEXT_MAX];
				tern_name_to_text(x->name, t, sizeof t);
				say(why, whycap, "%s has %s PTR records (RFC 9432 4.2: exactly one)", t, "several");
				return CATALOG_BROKEN;
			}
			uint16_t l;
			const uint8_t *rd = rrset_rdata(ptr->rdata, &l);
			if (n < cap) {
				out[n].zone = rd;
				out[n].id = x->name;
			}
			n++;
		}
	if (n > cap)
		return (long)n;
	/* RFC 9432 4.2: two member nodes for one zone: a broken catalog */
	catalog_member *sorted = malloc((n ? n : 1) * sizeof *sorted);
	if (!sorted) {
		say(why, whycap, "%s%sout of memory", "", "");
		return CATALOG_BROKEN;
	}
	memcpy(sorted, out, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_member);
	for (size_t i = 1; i < n; i++)
		if (tern_name_eq(sorted[i].zone, sorted[i - 1].zone)) {
			char t[TERN_NAME_TEXT_MAX];
			tern_name_to_text(sorted[i].zone, t, sizeof t);
			say(why, whycap, "%s is listed by two member nodes (RFC 9432 4.2)%s", t, "");
			free(sorted);
			return CATALOG_BROKEN;
		}
	free(sorted);
	return (long)n;
}

long catalog_members(const db_zone *z, const uint8_t **out, size_t cap)
{
	catalog_member *m = malloc((cap ? cap : 1) * sizeof *m);
	if (!m)
		return -1;
	long n = catalog_read(z, m, cap, NULL, 0);
	for (long i = 0; i < n && (size_t)i < cap; i++)
		out[i] = m[i].zone;
	free(m);
	return n < 0 ? -1 : n;
}

static int cmp_name(const void *a, const void *b)
{
	return tern_name_cmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b);
}

/* Are the members of prev exactly those given (sorted)? */
static bool same_members(const db_zone *prev, const uint8_t **sorted, size_t n)
{
	const uint8_t **have = calloc(n + 1, sizeof *have);
	if (!have)
		return false;
	long k = catalog_members(prev, have, n + 1);
	bool same = k == (long)n;
	if (same) {
		qsort(have, n, sizeof *have, cmp_name);
		for (size_t i = 0; i < n && same; i++)
			same = tern_name_eq(have[i], sorted[i]);
	}
	free(have);
	return same;
}

static bool serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

db_zone *catalog_produce(const uint8_t *origin, const uint8_t *const *members, size_t n, const db_zone *prev,
                         uint32_t now, db_diag *diag)
{
	char otext[TERN_NAME_TEXT_MAX];
	if (tern_name_to_text(origin, otext, sizeof otext) < 0)
		return NULL;
	const uint8_t **sorted = calloc(n ? n : 1, sizeof *sorted);
	if (!sorted)
		return NULL;
	memcpy(sorted, members, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_name);
	if (prev && zone_has_data(prev) && same_members(prev, sorted, n)) {
		free(sorted);
		return zone_ref((db_zone *)prev);
	}
	uint32_t serial = now;
	if (prev && zone_has_data(prev) && !serial_gt(serial, prev->serial))
		serial = prev->serial + 1;
	size_t cap = 256 + n * (2 * TERN_NAME_TEXT_MAX + 64);
	char *text = malloc(cap);
	if (!text) {
		free(sorted);
		return NULL;
	}
	size_t len = (size_t)snprintf(text, cap,
	                              "$ORIGIN %s\n"
	                              "@ 0 SOA invalid. invalid. %u 3600 600 2147483646 0\n"
	                              "@ 0 NS invalid.\n"
	                              "version 0 TXT \"2\"\n",
	                              otext, serial);
	for (size_t i = 0; i < n; i++) {
		if (i && tern_name_eq(sorted[i], sorted[i - 1]))
			continue;
		char m[TERN_NAME_TEXT_MAX];
		if (tern_name_to_text(sorted[i], m, sizeof m) < 0)
			continue;
		len += (size_t)snprintf(text + len, cap - len, "%016llx.zones 0 PTR %s\n",
		                        (unsigned long long)member_id(sorted[i]), m);
	}
	char name[TERN_NAME_TEXT_MAX + 16];
	snprintf(name, sizeof name, "catalog %s", otext);
	db_zone *z = zone_load_string(origin, name, text, diag);
	free(text);
	free(sorted);
	return z;
}
