/* zones.c: see zones.h. */
#include <stdlib.h>
#include <unistd.h>

#include <string.h>

#include "server/log.h"
#include "server/server.h"
#include "server/zones.h"
#include "xfr/xfrin_config.h"
#include "xfr/zjournal.h"

/* The version of one configured zone for the next set: the file's, or,
 * when it does not load, the one serving now, or a version without data. */
static db_zone *load_one(const cfg_zone *cz, const db_set *old, db_diag *diag, unsigned *failed)
{
	char name[TERN_NAME_TEXT_MAX];
	tern_name_to_text(cz->origin, name, sizeof name);
	db_zone *prev = (db_zone *)db_set_get(old, cz->origin);
	if (cz->xfrin && cz->xfrin->nprimaries) {
		/* a secondary's data come from its primaries (src/xfr/): its
		 * file is read at start-up only, and need not exist yet */
		if (prev)
			return zone_ref(prev);
		if (access(cz->file, F_OK)) {
			log_info("zone %s: secondary without a copy in %s yet; answered SERVFAIL until the first transfer",
			         name, cz->file);
			return zone_new_empty(cz->origin, cz->file);
		}
	}
	unsigned errors = diag->errors;
	diag->user = (void *)cz; /* so that a file the zone cannot open is named with cz->where */
	db_zone *z = zone_load(cz->origin, cz->file, diag);
	if (z) {
		xfr_zone_loaded(cz, db_set_get(old, cz->origin), z); /* IXFR's journal (xfr/zjournal.h) */
		log_info("zone %s: %zu records, %zu names, serial %u, from %s", name, z->nrecords, z->nnodes,
		         z->serial, cz->file);
		return z;
	}
	(*failed)++;
	unsigned n = diag->errors - errors;
	if (prev && zone_has_data(prev)) {
		log_err("zone %s: not loaded from %s (%u error(s)); serial %u keeps serving", name, cz->file, n,
		        prev->serial);
		return zone_ref(prev);
	}
	log_err("zone %s: not loaded from %s (%u error(s)); answered SERVFAIL until it loads", name, cz->file, n);
	return zone_new_empty(cz->origin, cz->file);
}

db_set *zones_load(const config *cfg, const db_set *old, db_diag *diag, unsigned *failed)
{
	*failed = 0;
	db_zone **zones = calloc(cfg->nzones ? cfg->nzones : 1, sizeof *zones);
	if (!zones)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < cfg->nzones; i++) {
		db_zone *z = load_one(&cfg->zones[i], old, diag, failed);
		if (!z) {
			while (n)
				zone_unref(zones[--n]);
			free(zones);
			return NULL;
		}
		zones[n++] = z;
	}
	db_set *s = db_set_new(zones, n);
	if (!s) {
		while (n)
			zone_unref(zones[--n]);
		free(zones);
	}
	return s;
}

static bool configured(const config *cfg, const uint8_t *origin)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (tern_name_eq(cfg->zones[i].origin, origin))
			return true;
	return false;
}

db_set *zones_runtime_apply(db_set *set, const runtime_zone *rt, size_t n, const db_set *cur, const config *cfg,
                            db_diag *diag)
{
	db_zone **zones = calloc(set->nzones + n + 1, sizeof *zones);
	if (!zones) {
		db_set_free(set);
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < set->nzones; i++) { /* the configured ones, less those removed */
		bool removed = false;
		for (size_t j = 0; j < n && !removed; j++)
			removed = !rt[j].file && tern_name_eq(rt[j].origin, set->zones[i]->origin);
		if (!removed)
			zones[k++] = zone_ref(set->zones[i]);
	}
	for (size_t j = 0; j < n; j++) {
		if (!rt[j].file || configured(cfg, rt[j].origin))
			continue;
		db_zone *z = (db_zone *)db_set_get(cur, rt[j].origin);
		if (z) {
			zones[k++] = zone_ref(z);
			continue;
		}
		if ((z = zone_load(rt[j].origin, rt[j].file, diag)))
			zones[k++] = z;
	}
	db_set_free(set);
	db_set *out = db_set_new(zones, k);
	if (!out) {
		while (k)
			zone_unref(zones[--k]);
		free(zones);
	}
	return out;
}
