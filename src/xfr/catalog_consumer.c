/* catalog_consumer.c: see catalog_consumer.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "xfr/catalog.h"
#include "xfr/catalog_config.h"
#include "xfr/catalog_consumer.h"

static const cfg_zone *config_zone(const config *c, const uint8_t *origin)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (tern_name_eq(c->zones[i].origin, origin))
			return &c->zones[i];
	return NULL;
}

static bool file_taken(const config *c, const char *file)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (c->zones[i].file && !strcmp(c->zones[i].file, file))
			return true;
	return false;
}

/* The members taken so far, by name: open addressing over indices into
 * w->m (plus one; 0 is empty), sized for every member read. */
typedef struct taken {
	uint32_t *slot;
	size_t mask;
} taken;

static bool taken_has(const taken *t, const catalog_wants *w, const uint8_t *zone)
{
	for (size_t h = tern_name_hash(zone) & t->mask; t->slot[h]; h = (h + 1) & t->mask)
		if (tern_name_eq(w->m[t->slot[h] - 1].zone, zone))
			return true;
	return false;
}

static void taken_put(taken *t, const catalog_wants *w, size_t i)
{
	size_t h = tern_name_hash(w->m[i].zone) & t->mask;
	while (t->slot[h])
		h = (h + 1) & t->mask;
	t->slot[h] = (uint32_t)i + 1;
}

/* The members of catalog k (cfg index) as read, or NULL (then usable is
 * cleared and the reason logged). */
static catalog_member *read_catalog(const config *cfg, const db_set *set, size_t k, bool log, long *count)
{
	const cfg_zone *cz = &cfg->zones[k];
	char name[TERN_NAME_TEXT_MAX], why[TERN_NAME_TEXT_MAX + 128];
	tern_name_to_text(cz->origin, name, sizeof name);
	size_t max = cz->catalog->max_members;
	catalog_member *m = malloc((max + 1) * sizeof *m);
	if (!m)
		return NULL;
	const db_zone *z = db_set_get(set, cz->origin);
	long n = z ? catalog_read(z, m, max + 1, why, sizeof why) : CATALOG_NO_DATA;
	if (n >= 0 && (size_t)n > max) {
		if (log)
			log_err("catalog %s: serial %u lists %ld member zones, more than catalog-max-members (%zu): not "
			        "processed; its member zones stay as they are",
			        name, z->serial, n, max);
		n = CATALOG_BROKEN;
	} else if (n < 0 && n != CATALOG_NO_DATA && log) {
		log_err("catalog %s: serial %u not processed: %s; its member zones stay as they are", name, z->serial,
		        why);
	}
	if (n < 0) {
		free(m);
		return NULL;
	}
	*count = n;
	return m;
}

static int add(catalog_wants *w, const catalog_member *m, size_t k, const config *cfg)
{
	if (w->n == w->cap) {
		size_t c = w->cap ? w->cap * 2 : 16;
		catalog_want *a = realloc(w->m, c * sizeof *a);
		if (!a)
			return -1;
		w->m = a, w->cap = c;
	}
	catalog_want *x = &w->m[w->n];
	memset(x, 0, sizeof *x);
	memcpy(x->zone, m->zone, tern_name_len(m->zone));
	tern_name_lower(x->zone, x->zone);
	memcpy(x->id, m->id, (size_t)m->id[0] + 1);
	x->catalog = k;
	x->file = catalog_member_file(&cfg->zones[k], x->zone);
	if (!x->file)
		return -1;
	w->n++;
	return 0;
}

/* One pass over consumer catalog k: mine, its members owner() gives to k
 * (pass 0), or the rest (pass 1). */
static int take(const config *cfg, size_t k, const catalog_member *m, long n, int pass, catalog_owner_fn owner,
                void *arg, bool log, catalog_wants *w, taken *t)
{
	const cfg_zone *cz = &cfg->zones[k];
	char cname[TERN_NAME_TEXT_MAX], mname[TERN_NAME_TEXT_MAX];
	tern_name_to_text(cz->origin, cname, sizeof cname);
	for (long i = 0; i < n; i++) {
		const uint8_t *zone = m[i].zone;
		long own = owner ? owner(arg, zone) : -1;
		if ((pass == 0) != (own == (long)k))
			continue;
		tern_name_to_text(zone, mname, sizeof mname);
		const char *bad = NULL;
		if (tern_name_is_sub(zone, cz->origin))
			bad = "it is the catalog or below it";
		else if (!zone[0])
			bad = "the root is no member zone";
		else if (config_zone(cfg, zone))
			bad = "a zone of that name is configured (RFC 9432 5.2: not taken over)";
		else if ((pass == 1 && own >= 0) || taken_has(t, w, zone))
			bad = "another catalog has it (RFC 9432 5.2)";
		if (bad) {
			if (log && pass == 1)
				log_err("catalog %s: member %s refused: %s", cname, mname, bad);
			continue;
		}
		if (add(w, &m[i], k, cfg))
			return -1;
		if (file_taken(cfg, w->m[w->n - 1].file)) {
			if (log)
				log_err("catalog %s: member %s refused: its file %s is a configured zone's file", cname,
				        mname, w->m[w->n - 1].file);
			free(w->m[--w->n].file);
		} else {
			taken_put(t, w, w->n - 1);
		}
	}
	return 0;
}

static int cmp_want(const void *a, const void *b)
{
	return tern_name_cmp(((const catalog_want *)a)->zone, ((const catalog_want *)b)->zone);
}

long catalog_wants_find(const catalog_wants *w, const uint8_t *zone)
{
	catalog_want key;
	memcpy(key.zone, zone, tern_name_len(zone));
	const catalog_want *hit = w->n ? bsearch(&key, w->m, w->n, sizeof key, cmp_want) : NULL;
	return hit ? (long)(hit - w->m) : -1;
}

int catalog_wanted(const config *cfg, const db_set *set, catalog_owner_fn owner, void *arg, bool log,
                   catalog_wants *out)
{
	memset(out, 0, sizeof *out);
	out->usable = calloc(cfg->nzones ? cfg->nzones : 1, sizeof *out->usable);
	catalog_member **read = calloc(cfg->nzones ? cfg->nzones : 1, sizeof *read);
	long *count = calloc(cfg->nzones ? cfg->nzones : 1, sizeof *count);
	int rc = out->usable && read && count ? 0 : -1;
	size_t total = 0;
	for (size_t k = 0; k < cfg->nzones && !rc; k++)
		if (catalog_role_of(&cfg->zones[k]) == CATALOG_CONSUMER) {
			read[k] = read_catalog(cfg, set, k, log, &count[k]);
			out->usable[k] = read[k] != NULL;
			total += read[k] ? (size_t)count[k] : 0;
		}
	taken t = {.mask = 15};
	while (t.mask < 2 * total)
		t.mask = t.mask * 2 + 1;
	t.slot = rc ? NULL : calloc(t.mask + 1, sizeof *t.slot);
	rc = t.slot ? rc : -1;
	/* members already registered to a catalog stay with it; then the
	 * others, in configuration order */
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (size_t k = 0; k < cfg->nzones && !rc; k++)
			if (read[k])
				rc = take(cfg, k, read[k], count[k], pass, owner, arg, log, out, &t);
	free(t.slot);
	for (size_t k = 0; read && k < cfg->nzones; k++)
		free(read[k]);
	free(read);
	free(count);
	if (rc)
		catalog_wants_free(out);
	else if (out->n)
		qsort(out->m, out->n, sizeof *out->m, cmp_want); /* for catalog_wants_find */
	return rc;
}

void catalog_wants_free(catalog_wants *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->m[i].file);
	free(w->m);
	free(w->usable);
	memset(w, 0, sizeof *w);
}
