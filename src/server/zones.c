/* zones.c: see zones.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/journal.h"
#include "dnssec/resign.h"
#include "server/ds_check.h"
#include "server/log.h"
#include "server/query.h"
#include "server/server.h"
#include "server/zones.h"
#include "tern/rr.h"
#include "xfr/catalog.h"
#include "xfr/catalog_config.h"
#include "xfr/catalog_consumer.h"
#include "xfr/secondary.h"
#include "xfr/xfrin_config.h"
#include "xfr/xfrin_net.h"
#include "tern/tsig.h"
#include "xfr/zjournal.h"

/* Each key of a zone ternd signs, in the log (after a rollover step). */
static void log_keys(const char *name, struct dnssec_keyset *ks, const cfg_zone *cz, const db_zone *z, int64_t now)
{
	for (size_t i = 0; i < dnssec_keys_count(ks); i++) {
		dnssec_key_info ki;
		dnssec_keys_info(ks, i, &cz->sign, z, now, &ki);
		if (strcmp(ki.state, "removed"))
			log_info("zone %s: %s %u %s; next: %s", name, ki.role, ki.tag, ki.state, ki.next);
	}
}

/* z signed with the zone's keys (dnssec-signing: on), moved on to now
 * first (the rollover steps due, dnssec/roll.h), or NULL with the reason
 * in diag when the keys cannot be had or signing fails. The key states and
 * the serial are kept only once the signed version exists. served: the
 * serial serving now (0: none), which the new one follows. diff_from (a
 * reload: the version serving, NULL for a whole signing): when given and
 * no key step was taken, only what differs between it and z is re-signed
 * (dnssec_resign_reload; rs->whole says when the zone was signed whole
 * after all). *key_next: when the keys' next step is due (0: none). */
static db_zone *sign_now(const cfg_zone *cz, const db_zone *z, uint32_t served, const db_zone *diff_from,
                         const char *name, db_diag *diag, int64_t *key_next, dnssec_resign_stats *rs)
{
	int64_t now = (int64_t)time(NULL);
	bool changed = false;
	*key_next = 0;
	*rs = (dnssec_resign_stats){.whole = true};
	struct dnssec_keyset *ks = dnssec_keys_load(cz->origin, &cz->sign, cz->file, diag);
	if (!ks || dnssec_keys_roll(ks, &cz->sign, z, now, &changed, diag)) {
		dnssec_keys_free(ks);
		return NULL;
	}
	uint32_t serial = dnssec_serial_next(cz->origin, &cz->sign, cz->file, z->serial, served);
	bool diff = diff_from && zone_has_data(diff_from) && !changed;
	db_zone *s = diff ? dnssec_resign_reload(diff_from, z, ks, &cz->sign, serial, diag, rs) : NULL;
	if (!s) {
		*rs = (dnssec_resign_stats){.whole = true};
		s = dnssec_sign_zone(z, ks, &cz->sign, serial, diag);
	}
	if (s) {
		dnssec_keys_save(ks, diag);
		dnssec_serial_save(cz->origin, &cz->sign, cz->file, serial, diag);
		if (changed)
			log_keys(name, ks, cz, s, now);
		*key_next = dnssec_keys_next(ks, &cz->sign, s, now);
	}
	dnssec_keys_free(ks);
	return s;
}

/* z signed (sign_now), z freed; NULL when signing fails: the zone then
 * keeps its last good version, as for a file that does not load. served:
 * the version serving now (NULL: none). */
static db_zone *sign_one(const cfg_zone *cz, db_zone *z, const db_zone *served, const char *name, db_diag *diag)
{
	int64_t key_next;
	dnssec_resign_stats rs = {0};
	bool have = served && zone_has_data(served);
	unsigned threads = dnssec_sign_threads(&cz->sign, z->nnodes);
	db_zone *s = sign_now(cz, z, have ? served->serial : 0, served, name, diag, &key_next, &rs);
	zone_free(z);
	if (s && !rs.whole)
		log_info("zone %s: changes re-signed (%zu signature(s), %zu chain record(s)), serial %u", name,
		         rs.signatures, rs.chain, s->serial);
	else if (s)
		log_info("zone %s: signed (%s, %s, %u thread(s)), serial %u", name,
		         cz->sign.alg == 15 ? "ED25519" : "ECDSAP256SHA256", cz->sign.nsec3 ? "NSEC3" : "NSEC",
		         threads, s->serial);
	return s;
}

/* A producer's catalog (RFC 9432): made from the names of the zones that
 * name it with catalog:. The version serving now (or, at start-up, the
 * copy in its file) is kept when the members are the same, so the serial
 * only moves when they change; a new version gets its journal entry (IXFR
 * out) and is written to file: when one is given. */
static db_zone *produce(const config *cfg, const cfg_zone *cz, const db_set *old, const zones_env *env,
                        db_diag *diag)
{
	char name[TERN_NAME_TEXT_MAX];
	tern_name_to_text(cz->origin, name, sizeof name);
	const uint8_t **m = calloc(cfg->nzones ? cfg->nzones : 1, sizeof *m);
	if (!m)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < cfg->nzones; i++) {
		const cfg_catalog *k = cfg->zones[i].catalog;
		if (k && k->member && tern_name_eq(k->of, cz->origin))
			m[n++] = cfg->zones[i].origin;
	}
	const db_zone *prev = db_set_get(old, cz->origin);
	db_zone *from_file = NULL;
	if (!prev && cz->file && !access(cz->file, F_OK)) {
		db_diag quiet = {0};
		from_file = zone_load(cz->origin, cz->file, &quiet);
		if (from_file)
			xfr_zone_loaded(cz, NULL, from_file); /* its journal, if it ends there */
		prev = from_file;
	}
	void *user = diag->user;
	diag->user = NULL;
	db_zone *z = catalog_produce(cz->origin, m, n, prev, (uint32_t)time(NULL), diag);
	diag->user = user;
	free(m);
	if (!z) {
		zone_unref(from_file);
		return NULL;
	}
	if (z != prev) {
		xfr_zone_loaded(cz, prev, z);
		log_info("catalog %s: serial %u, %zu member zone(s)", name, z->serial, n);
		char err[256];
		if (cz->file && !(env && env->check) && xfr_zone_save(z, cz->file, err, sizeof err))
			log_warn("catalog %s: not written to %s: %s", name, cz->file, err);
	}
	zone_unref(from_file);
	return z;
}

/* The version of one configured zone for the next set: the file's, or,
 * when it does not load, the one serving now, or a version without data. */
static db_zone *load_one(const config *cfg, const cfg_zone *cz, const db_set *old, const zones_env *env,
                         db_diag *diag, unsigned *failed)
{
	char name[TERN_NAME_TEXT_MAX];
	tern_name_to_text(cz->origin, name, sizeof name);
	if (catalog_role_of(cz) == CATALOG_PRODUCER) {
		db_zone *z = produce(cfg, cz, old, env, diag);
		if (z)
			return z;
		(*failed)++;
		return zone_new_empty(cz->origin, cz->file);
	}
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
	if (z && cz->sign.on) {
		/* the file may lag behind the journal (xfr/zonesync.h) */
		z = xfr_zone_replay(cz, z, name);
		z = sign_one(cz, z, db_set_get(old, cz->origin), name, diag);
	}
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

static int push(db_zone ***zones, size_t *n, size_t *cap, db_zone *z)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		db_zone **a = realloc(*zones, c * sizeof *a);
		if (!a) {
			zone_unref(z);
			return -1;
		}
		*zones = a, *cap = c;
	}
	(*zones)[(*n)++] = z;
	return 0;
}

/* Start-up: the member zones the consumer catalogs' disk copies list,
 * each from its own file (a version without data until its first transfer
 * when there is none). */
static int members_from_disk(const config *cfg, db_zone ***zones, size_t *n, size_t *cap)
{
	/* a set of what is loaded so far, to read the catalogs from */
	db_zone **copy = malloc((*n ? *n : 1) * sizeof *copy);
	if (!copy)
		return -1;
	for (size_t i = 0; i < *n; i++)
		copy[i] = zone_ref((*zones)[i]);
	db_set *s = db_set_new(copy, *n);
	if (!s) {
		for (size_t i = 0; i < *n; i++)
			zone_unref(copy[i]);
		free(copy);
		return -1;
	}
	catalog_wants w;
	int rc = catalog_wanted(cfg, s, NULL, NULL, false, &w);
	for (size_t i = 0; i < w.n; i++) {
		const catalog_want *m = &w.m[i];
		char name[TERN_NAME_TEXT_MAX];
		tern_name_to_text(m->zone, name, sizeof name);
		db_zone *z = NULL;
		if (!access(m->file, F_OK)) {
			db_diag quiet = {0};
			z = zone_load(m->zone, m->file, &quiet);
			if (z)
				log_info("zone %s: catalog member, %zu records, serial %u, from %s", name, z->nrecords,
				         z->serial, m->file);
			else
				log_err("zone %s: catalog member copy %s does not load (%u error(s)); transferred again", name,
				        m->file, quiet.errors);
		}
		if (!z)
			z = zone_new_empty(m->zone, m->file);
		if (!z || push(zones, n, cap, z)) {
			rc = -1;
			break;
		}
	}
	catalog_wants_free(&w); /* empty when catalog_wanted failed */
	db_set_free(s);
	return rc;
}

/* Reload: the member zones the secondary thread has registered, as they
 * serve now, while their catalog is still a consumer of cfg and no zone of
 * cfg has their name. (The thread drops the others at its next sync.) */
static int members_kept(const config *cfg, const db_set *old, secondary *sec, db_zone ***zones, size_t *n,
                        size_t *cap)
{
	for (size_t i = 0; old && i < old->nzones; i++) {
		db_zone *z = old->zones[i];
		uint8_t cat[TERN_NAME_MAX];
		if (!secondary_member_catalog(sec, z->origin, cat))
			continue;
		bool configured = false, consumer = false;
		for (size_t k = 0; k < cfg->nzones; k++) {
			configured |= tern_name_eq(cfg->zones[k].origin, z->origin);
			consumer |= tern_name_eq(cfg->zones[k].origin, cat) &&
			            catalog_role_of(&cfg->zones[k]) == CATALOG_CONSUMER;
		}
		if (!configured && consumer && push(zones, n, cap, zone_ref(z)))
			return -1;
	}
	return 0;
}

db_set *zones_load(const config *cfg, const db_set *old, const zones_env *env, db_diag *diag, unsigned *failed)
{
	*failed = 0;
	db_zone **zones = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (size_t i = 0; i < cfg->nzones && !rc; i++) {
		db_zone *z = load_one(cfg, &cfg->zones[i], old, env, diag, failed);
		rc = z ? push(&zones, &n, &cap, z) : -1;
	}
	if (!rc)
		rc = old ? members_kept(cfg, old, env ? env->sec : NULL, &zones, &n, &cap)
		         : members_from_disk(cfg, &zones, &n, &cap);
	db_set *s = rc ? NULL : db_set_new(zones, n);
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

static void zone_log_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	if (line)
		log_msg(error ? LOG_ERR : LOG_WARN, "%s:%u: %s", file, line, msg);
	else
		log_msg(error ? LOG_ERR : LOG_WARN, "%s: %s", file, msg);
}

/* When z's signatures are due to be made again: a quarter of their
 * validity after the oldest were made. */
static time_t resign_at(const cfg_zone *cz, const db_zone *z)
{
	const db_rrset *sig = zone_has_data(z) ? node_rrsigs(z->apex, TERN_T_SOA) : NULL;
	uint16_t len = 0;
	const uint8_t *rd = sig ? rrset_rdata(sig->rdata, &len) : NULL;
	if (len < 16)
		return 0;
	/* an UPDATE re-signs the SOA each time: the oldest signatures are
	 * those of the last whole signing (db_zone.sig_oldest) */
	uint32_t inception = z->sig_oldest ? z->sig_oldest : tern_get_u32(rd + 12);
	uint32_t validity = cz->sign.sig_validity ? cz->sign.sig_validity : DNSSEC_SIG_VALIDITY;
	return (time_t)inception + DNSSEC_INCEPTION_SKEW + validity / 4;
}

/* One step of the timed refresh (dnssec_refresh): the RRsets with the
 * oldest signatures signed again, a new serial, and the step's journal
 * entry, as an UPDATE's (IXFR out, and the zone-file writer's rule,
 * xfr/zonesync.h). NULL when there is no step to publish: a key step is
 * due after all (*key_step), the zone is to be signed whole (rs->whole),
 * nothing is due (rs->idle), or it failed (the reason in diag). */
static db_zone *refresh_step(const cfg_zone *cz, const db_zone *z, int64_t now, db_diag *diag,
                             dnssec_refresh_stats *rs, bool *key_step)
{
	/* the keys as they sign now (dnssec_keys_roll: their states at now);
	 * a step due after all is the whole signing's (sign_now) */
	bool changed = false;
	*key_step = false;
	struct dnssec_keyset *ks = dnssec_keys_load(cz->origin, &cz->sign, cz->file, diag);
	if (!ks || dnssec_keys_roll(ks, &cz->sign, z, now, &changed, diag) || changed) {
		*key_step = ks && changed;
		dnssec_keys_free(ks);
		return NULL;
	}
	uint32_t serial = dnssec_serial_next(cz->origin, &cz->sign, cz->file, z->serial, z->serial);
	db_apply_stats ast;
	/* a step's entry a quarter of the journal at most: a secondary a few
	 * steps behind still gets IXFR */
	db_zone *s = dnssec_refresh(z, ks, &cz->sign, serial, now, cz->xfr.journal_size, DB_APPLY_DIFF, diag, &ast, rs);
	dnssec_keys_free(ks);
	if (!s)
		return NULL;
	if (ast.diff && cz->xfr.journal_size)
		s->journal = db_journal_add(z->journal, ast.diff, cz->xfr.journal_size);
	else
		db_diff_unref(ast.diff);
	dnssec_serial_save(cz->origin, &cz->sign, cz->file, s->serial, diag);
	return s;
}

/* server.parent_checks: per zone, when the parent is asked next. */
struct parent_check {
	uint8_t origin[TERN_NAME_MAX];
	time_t at;
};

static struct parent_check *parent_check_of(server *s, const uint8_t *origin)
{
	for (size_t i = 0; i < s->nparent_checks; i++)
		if (tern_name_eq(s->parent_checks[i].origin, origin))
			return &s->parent_checks[i];
	struct parent_check *v = realloc(s->parent_checks, (s->nparent_checks + 1) * sizeof *v);
	if (!v)
		return NULL;
	s->parent_checks = v;
	struct parent_check *c = &v[s->nparent_checks++];
	memcpy(c->origin, origin, tern_name_len(origin));
	c->at = 0; /* at once */
	return c;
}

/* dnssec-parent (ds_check.h): while a KSK waits for its DS, asks the
 * parent; true when it has it now (the keys' state saved: the zone is to
 * be signed again now), else *at brought forward to the next check. */
static bool ask_parent(const config *cfg, const cfg_zone *cz, struct dnssec_keyset *ks, const char *name,
                       time_t now, time_t *at, db_diag *diag)
{
	const uint8_t *dk;
	size_t dl;
	uint16_t tag;
	if (!dnssec_keys_awaiting_ds(ks, &dk, &dl, &tag))
		return false;
	/* the configuration check made sure the key is there */
	const tern_tsig_key *key =
	        cz->sign.parent_has_key ? tern_tsig_key_find(cfg->keys, cfg->nkeys, cz->sign.parent_key) : NULL;
	int r = ds_check_parent((const struct sockaddr *)&cz->sign.parent, cz->sign.parent_len, cz->origin, dk, dl,
	                        key, 1000);
	if (r == 1) {
		dnssec_keys_submitted(ks, (int64_t)now);
		dnssec_keys_save(ks, diag);
		log_info("zone %s: the parent serves the DS of KSK %u (dnssec-parent): the rollover goes on", name, tag);
		return true;
	}
	if (r == -2)
		log_warn("zone %s: the parent's answer (dnssec-parent) about the DS of KSK %u was not signed with the "
		         "key, or its TSIG did not verify: not used; asked again in %u s",
		         name, tag, cz->sign.parent_check_interval);
	else if (r < 0)
		log_warn("zone %s: no answer from the parent (dnssec-parent) about the DS of KSK %u; asked again in %u s",
		         name, tag, cz->sign.parent_check_interval);
	time_t again = now + (time_t)(cz->sign.parent_check_interval ? cz->sign.parent_check_interval : 1);
	if (again < *at)
		*at = again;
	return false;
}

time_t zones_resign(struct server *s, const uint8_t *force)
{
	time_t now = time(NULL), next = 0;
	pthread_mutex_lock(&s->change_lock);
	const version *cur = atomic_load(&s->current);
	size_t n = cur->cfg.nzones, k = 0;
	bool whole = false; /* a zone signed whole, or a refresh's last step: memory to give back */
	db_zone **fresh = calloc(n ? n : 1, sizeof *fresh);
	bool *to_file = calloc(n ? n : 1, sizeof *to_file); /* the file to the writer (server.h, resigned) */
	for (size_t i = 0; fresh && to_file && i < n; i++) {
		const cfg_zone *cz = &cur->cfg.zones[i];
		const db_zone *z = cz->sign.on ? db_set_get(cur->zones, cz->origin) : NULL;
		if (!z || !zone_has_data(z))
			continue;
		char name[TERN_NAME_TEXT_MAX];
		tern_name_to_text(cz->origin, name, sizeof name);
		db_diag diag = {.fn = zone_log_diag};
		/* due: the signatures' refresh, or the keys' next step */
		time_t at = resign_at(cz, z);
		struct dnssec_keyset *ks = dnssec_keys_load(cz->origin, &cz->sign, cz->file, &diag);
		bool keys_ok = ks != NULL, now_too = force && tern_name_eq(force, cz->origin);
		struct parent_check *pc = keys_ok && cz->sign.parent_len ? parent_check_of(s, cz->origin) : NULL;
		if (pc && pc->at <= now) {
			time_t ask = now + (time_t)(cz->sign.parent_check_interval ? cz->sign.parent_check_interval : 1);
			now_too |= ask_parent(&cur->cfg, cz, ks, name, now, &ask, &diag);
			pc->at = ask;
		}
		const uint8_t *dk;
		size_t dl;
		uint16_t tag;
		bool awaiting = pc && dnssec_keys_awaiting_ds(ks, &dk, &dl, &tag);
		if (awaiting && pc->at < at)
			at = pc->at; /* the next question to the parent */
		int64_t kn = keys_ok ? dnssec_keys_next(ks, &cz->sign, z, now) : now;
		dnssec_keys_free(ks);
		bool key_step = now_too || (kn && kn <= now);
		if (kn && kn < at)
			at = (time_t)kn;
		if (at > now && !now_too) {
			next = !next || at < next ? at : next;
			continue;
		}
		dnssec_refresh_stats rf = {0};
		db_zone *sz = NULL;
		double ms = 0;
		if (keys_ok && !key_step) { /* only signatures are due: a slice of them */
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			sz = refresh_step(cz, z, (int64_t)now, &diag, &rf, &key_step);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
			key_step |= rf.whole; /* other keys or another chain: signed whole */
		}
		if (keys_ok && !key_step) {
			uint32_t validity = cz->sign.sig_validity ? cz->sign.sig_validity : DNSSEC_SIG_VALIDITY;
			if (sz) {
				to_file[k] = !rf.due_left; /* the last step */
				whole |= !rf.due_left;     /* and memory to give back after it */
				fresh[k++] = sz;
				log_info("zone %s: signatures made again for %zu RRset(s) (%zu signature(s)) in %.1f ms, "
				         "serial %u; %zu RRset(s) still due",
				         name, rf.rrsets, rf.signatures, ms, sz->serial, rf.due_left);
				/* the next slice in a second (changes waiting for the lock go
				 * first), or at once when signatures near their expiry */
				at = !rf.due_left ? resign_at(cz, sz) : rf.urgent ? now : now + 1;
			} else if (rf.idle) { /* the zone's sig_oldest was behind: when the oldest is due */
				at = rf.oldest == UINT32_MAX ? now + 3600
				                             : (time_t)rf.oldest + DNSSEC_INCEPTION_SKEW + validity / 4;
				if (at <= now)
					at = now + 1;
			} else {
				log_err("zone %s: signing again failed; the current version stays, tried again in 60 s", name);
				at = now + 60;
			}
			if (kn && kn < at)
				at = (time_t)kn;
			if (awaiting && pc->at < at)
				at = pc->at;
			next = !next || at < next ? at : next;
			continue;
		}
		int64_t key_next = 0;
		dnssec_resign_stats rs;
		sz = keys_ok ? sign_now(cz, z, z->serial, NULL, name, &diag, &key_next, &rs) : NULL;
		if (sz) {
			to_file[k] = true;
			fresh[k++] = sz;
			whole = true;
			log_info("zone %s: signatures made again, serial %u", name, sz->serial);
			at = resign_at(cz, sz);
			if (key_next && key_next < at)
				at = (time_t)key_next;
			/* a KSK may wait for its DS now: the next wake asks the parent */
			if (cz->sign.parent_len && now + (time_t)cz->sign.parent_check_interval < at)
				at = now + (time_t)(cz->sign.parent_check_interval ? cz->sign.parent_check_interval : 1);
		} else {
			log_err("zone %s: signing again failed; the current version stays, tried again in 60 s", name);
			at = now + 60;
		}
		next = !next || at < next ? at : next;
	}
	/* published under the lock: a zone-ksk-submitted signing at the same
	 * time cannot publish out of serial order */
	for (size_t i = 0; i < k; i++) {
		const uint8_t *origin = fresh[i]->origin; /* the zone outlives this: it is published */
		if (server_replace_zone_locked(s, fresh[i])) {
			log_err("signing again: out of memory");
			continue;
		}
		const version *v = atomic_load(&s->current);
		const db_zone *z = db_set_get(v->zones, origin);
		if (s->resigned && z)
			s->resigned(s->resigned_user, v, z, to_file[i]);
	}
	if (whole)
		server_trim_memory(); /* a whole signing (or a refresh) frees as much as it makes */
	pthread_mutex_unlock(&s->change_lock);
	free(fresh);
	free(to_file);
	return next;
}
