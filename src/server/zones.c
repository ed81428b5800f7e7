/* zones.c: see zones.h. */
#include <stdlib.h>

#include "server/log.h"
#include "server/zones.h"

/* z signed with the zone's key (dnssec-signing: on), or NULL (z freed)
 * when the key cannot be had or signing fails: the zone then keeps its
 * last good version, as for a file that does not load. */
static db_zone *sign_one(const cfg_zone *cz, db_zone *z, const char *name, db_diag *diag)
{
	struct dnssec_key *k = dnssec_key_get(cz->origin, &cz->sign, cz->file, diag);
	db_zone *s = k ? dnssec_sign_zone(z, k, &cz->sign, diag) : NULL;
	dnssec_key_free(k);
	zone_free(z);
	if (s)
		log_info("zone %s: signed (%s, %s)", name, cz->sign.alg == 15 ? "ED25519" : "ECDSAP256SHA256",
		         cz->sign.nsec3 ? "NSEC3" : "NSEC");
	return s;
}

/* The version of one configured zone for the next set: the file's, or,
 * when it does not load, the one serving now, or a version without data. */
static db_zone *load_one(const cfg_zone *cz, const db_set *old, db_diag *diag, unsigned *failed)
{
	char name[TERN_NAME_TEXT_MAX];
	tern_name_to_text(cz->origin, name, sizeof name);
	unsigned errors = diag->errors;
	db_zone *z = zone_load(cz->origin, cz->file, diag);
	if (z && cz->sign.on)
		z = sign_one(cz, z, name, diag);
	if (z) {
		log_info("zone %s: %zu records, %zu names, serial %u, from %s", name, z->nrecords, z->nnodes,
		         z->serial, cz->file);
		return z;
	}
	(*failed)++;
	unsigned n = diag->errors - errors;
	db_zone *prev = (db_zone *)db_set_get(old, cz->origin);
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
