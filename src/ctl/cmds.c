/* cmds.c: the control socket's commands (ctl.h: ctl_run). Each writes a
 * human answer, or one JSON object with --json; an error's body is one
 * line of plain text (ternctl wraps it for --json).
 *
 * What a version holds (zones, upstreams, listen addresses) is read under
 * the server's change_lock: only its holder may free a version, so nothing
 * read here goes away meanwhile. Zone files are loaded outside the lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/keys.h"
#include "db/dnssec.h"
#include "db/journal.h"
#include "xfr/secondary.h"
#include "ctl/report.h"
#include "server/log.h"
#include "tern/rr.h"

typedef unsigned long long ull;

static int fail(sbuf *out, const char *fmt, const char *arg)
{
	sb_printf(out, fmt, arg);
	sb_put(out, "\n", 1);
	return -1;
}

/* A zone name from the command line: absolute, with or without the dot. */
static int parse_name(const char *text, uint8_t *name)
{
	char buf[TERN_NAME_TEXT_MAX + 2];
	size_t n = strlen(text);
	if (n == 0 || n >= TERN_NAME_TEXT_MAX)
		return -1;
	memcpy(buf, text, n);
	if (buf[n - 1] != '.')
		buf[n++] = '.';
	buf[n] = 0;
	size_t len;
	return tern_name_from_text(buf, n, NULL, name, &len) ? -1 : 0;
}

static const char *yes(bool b)
{
	return b ? "true" : "false";
}

/* ---- status ---- */

static int cmd_status(ctl_env *e, const ctl_req *r, sbuf *out)
{
	server *s = e->srv;
	char text[TERN_NAME_TEXT_MAX];
	pthread_mutex_lock(&s->change_lock);
	const version *v = atomic_load(&s->current);
	size_t nz = v->zones ? v->zones->nzones : 0, loaded = 0;
	for (size_t i = 0; i < nz; i++)
		loaded += zone_has_data(v->zones->zones[i]);
	if (r->json) {
		sb_printf(out, "{\"version\":");
		sb_json_str(out, e->hooks->version);
		sb_printf(out, ",\"pid\":%ld,\"uptime\":%.3f,\"workers\":%u,\"zones\":%zu,\"zones_loaded\":%zu,",
		          (long)getpid(), server_uptime(s), s->nworkers, nz, loaded);
		sb_printf(out, "\"control\":");
		sb_json_str(out, e->path);
		sb_printf(out, ",\"metrics\":");
		if (e->hooks->metrics)
			sb_json_str(out, e->hooks->metrics);
		else
			sb_printf(out, "null");
		sb_printf(out, ",\"listen\":[");
		const char *sep = "";
		for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++)
			if (s->used[k]) {
				sb_printf(out, "%s", sep);
				sb_json_str(out, s->addr[k].text);
				sep = ",";
			}
		sb_printf(out, "],\"forwarding\":%s,\"upstreams\":[", yes(v->res != NULL));
		sep = "";
		for (unsigned i = 0; v->ups && i < v->ups->nsets; i++)
			for (unsigned j = 0; j < v->ups->sets[i].n; j++) {
				const upstream *u = &v->ups->sets[i].ups[j];
				tern_name_to_text(v->ups->sets[i].zone, text, sizeof text);
				uint32_t rtt = atomic_load(&u->srtt_us), to = atomic_load(&u->timeouts);
				sb_printf(out, "%s{\"zone\":", sep);
				sb_json_str(out, text);
				sb_printf(out, ",\"address\":");
				sb_json_str(out, u->text);
				sb_printf(out, ",\"state\":\"%s\",\"srtt_ms\":%.3f,\"timeouts_in_a_row\":%u}",
				          to ? "timing-out" : rtt ? "up" : "unknown", rtt / 1000.0, to);
				sep = ",";
			}
		sb_printf(out, "]}\n");
	} else {
		sb_printf(out, "ternd %s, pid %ld, up %.0f s\nworkers: %u\nzones: %zu (%zu loaded)\n",
		          e->hooks->version, (long)getpid(), server_uptime(s), s->nworkers, nz, loaded);
		for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++)
			if (s->used[k])
				sb_printf(out, "listen: %s (UDP, TCP)\n", s->addr[k].text);
		sb_printf(out, "control: %s\n", e->path);
		if (e->hooks->metrics)
			sb_printf(out, "metrics: http://%s/metrics\n", e->hooks->metrics);
		if (!v->res)
			sb_printf(out, "forwarding: off\n");
		for (unsigned i = 0; v->ups && i < v->ups->nsets; i++)
			for (unsigned j = 0; j < v->ups->sets[i].n; j++) {
				const upstream *u = &v->ups->sets[i].ups[j];
				tern_name_to_text(v->ups->sets[i].zone, text, sizeof text);
				uint32_t rtt = atomic_load(&u->srtt_us), to = atomic_load(&u->timeouts);
				if (to)
					sb_printf(out, "upstream %s for %s: timing out (%u in a row)\n", u->text, text, to);
				else if (rtt)
					sb_printf(out, "upstream %s for %s: up, srtt %.1f ms\n", u->text, text, rtt / 1000.0);
				else
					sb_printf(out, "upstream %s for %s: not asked yet\n", u->text, text);
			}
	}
	pthread_mutex_unlock(&s->change_lock);
	return 0;
}

/* ---- zones ---- */

/* One zone's block. Fields that replication will fill (refresh, expiry,
 * journal) are "-" / null until then: the layout already has their place. */
static void zone_block(sbuf *out, bool json, const version *v, const db_zone *z, const worker_stats *w, bool first)
{
	/* replication: the secondary thread's view (expiry), the journal hung
	 * on the version (IXFR), whether the zone is signed */
	bool is_sec = secondary_has(v->sec, z->origin);
	int64_t expires = is_sec ? secondary_expire_left(v->sec, z->origin) : -1;
	size_t jbytes = z->journal ? z->journal->bytes : 0, jn = z->journal ? z->journal->n : 0;
	uint32_t jfrom = jn ? z->journal->d[0]->from : 0;
	const char *dnssec = z->dnssec ? (z->dnssec->nsec3 ? "signed (NSEC3)" : "signed (NSEC)") : "unsigned";
	char text[TERN_NAME_TEXT_MAX];
	tern_name_to_text(z->origin, text, sizeof text);
	bool data = zone_has_data(z);
	unsigned slot = z->stats_slot < STATS_ZONES ? z->stats_slot : 0;
	if (json) {
		sb_printf(out, "%s{\"zone\":", first ? "" : ",");
		sb_json_str(out, text);
		sb_printf(out, ",\"state\":\"%s\",\"serial\":", data ? "loaded" : "no-data");
		if (data)
			sb_printf(out, "%u", z->serial);
		else
			sb_printf(out, "null");
		sb_printf(out, ",\"file\":");
		sb_json_str(out, z->file ? z->file : "");
		sb_printf(out, ",\"records\":%zu,\"names\":%zu,\"queries\":%llu,\"role\":\"%s\",",
		          z->nrecords, z->nnodes, (ull)(slot ? w->zone_queries[slot] : 0), is_sec ? "secondary" : "primary");
		if (expires >= 0)
			sb_printf(out, "\"expires_in\":%lld,", (long long)expires);
		else
			sb_printf(out, "\"expires_in\":null,");
		sb_printf(out, "\"journal_bytes\":%zu,\"journal_differences\":%zu,\"dnssec\":\"%s\"", jbytes, jn, dnssec);
		ctl_zone_keys(out, true, v, z);
		sb_printf(out, "}");
		return;
	}
	sb_printf(out, "%s\n  state: %s\n", text, data ? "loaded" : "no data (answered SERVFAIL until it loads)");
	if (data)
		sb_printf(out, "  serial: %u\n", z->serial);
	else
		sb_printf(out, "  serial: -\n");
	sb_printf(out, "  file: %s\n  records: %zu, names: %zu\n  queries: %llu\n", z->file ? z->file : "-",
	          z->nrecords, z->nnodes, (ull)(slot ? w->zone_queries[slot] : 0));
	sb_printf(out, "  role: %s\n", is_sec ? "secondary" : "primary");
	if (expires >= 0)
		sb_printf(out, "  expires in: %lld s\n", (long long)expires);
	else
		sb_printf(out, "  expires in: -\n");
	if (jn)
		sb_printf(out, "  journal: %zu difference(s) from serial %u, %zu bytes\n", jn, jfrom, jbytes);
	else
		sb_printf(out, "  journal: -\n");
	sb_printf(out, "  dnssec: %s\n", dnssec);
	ctl_zone_keys(out, false, v, z);
}

static int cmd_zone_status(ctl_env *e, const ctl_req *r, sbuf *out)
{
	uint8_t origin[TERN_NAME_MAX];
	if (r->argc && parse_name(r->argv[0], origin))
		return fail(out, "not a zone name: %s", r->argv[0]);
	stats_snap *snap = aligned_alloc(64, (sizeof *snap + 63) / 64 * 64);
	if (!snap)
		return fail(out, "%s", "out of memory");
	server_stats(e->srv, snap);
	server *s = e->srv;
	pthread_mutex_lock(&s->change_lock);
	const version *v = atomic_load(&s->current);
	int rc = 0;
	if (r->argc) {
		const db_zone *z = db_set_get(v->zones, origin);
		if (!z) {
			rc = fail(out, "no such zone: %s", r->argv[0]);
		} else {
			if (r->json)
				sb_printf(out, "{\"zones\":[");
			zone_block(out, r->json, v, z, &snap->w, true);
			if (r->json)
				sb_printf(out, "]}\n");
		}
	} else {
		if (r->json)
			sb_printf(out, "{\"zones\":[");
		for (size_t i = 0; v->zones && i < v->zones->nzones; i++)
			zone_block(out, r->json, v, v->zones->zones[i], &snap->w, i == 0);
		if (r->json)
			sb_printf(out, "]}\n");
	}
	pthread_mutex_unlock(&s->change_lock);
	free(snap);
	return rc;
}

typedef struct diag_out {
	sbuf *out;
} diag_out;

static void collect(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	diag_out *d = user;
	if (line) {
		sb_printf(d->out, "%s:%u: %s%s\n", file, line, error ? "" : "warning: ", msg);
		log_msg(error ? LOG_ERR : LOG_WARN, "%s:%u: %s", file, line, msg);
	} else {
		sb_printf(d->out, "%s: %s%s\n", file, error ? "" : "warning: ", msg);
		log_msg(error ? LOG_ERR : LOG_WARN, "%s: %s", file, msg);
	}
}

/* Loads origin from file and publishes it. adding: the zone must not be
 * served yet. */
static int load_and_publish(ctl_env *e, const uint8_t *origin, const char *name, const char *file, bool adding,
                            sbuf *out)
{
	sbuf msgs = {0};
	diag_out d = {&msgs};
	db_diag diag = {.fn = collect, .user = &d};
	db_zone *z = zone_load(origin, file, &diag);
	if (!z) {
		sb_printf(out, "zone %s not loaded from %s (%u error(s)); %s\n", name, file, diag.errors,
		          adding ? "nothing changed" : "the previous version keeps serving");
		if (msgs.len)
			sb_put(out, msgs.p, msgs.len);
		sb_free(&msgs);
		return -1;
	}
	sb_free(&msgs);
	server *s = e->srv;
	if (adding) { /* checked again now that the load is done (a race with another zone-add) */
		pthread_mutex_lock(&s->change_lock);
		bool have = db_set_get(atomic_load(&s->current)->zones, origin) != NULL;
		pthread_mutex_unlock(&s->change_lock);
		if (have) {
			zone_unref(z);
			return fail(out, "zone %s is served already (use reload ZONE)", name);
		}
	}
	uint32_t serial = z->serial;
	size_t nrec = z->nrecords;
	if (server_replace_zone(s, z))
		return fail(out, "%s", "out of memory; nothing changed");
	if (adding && server_note_runtime_zone(s, origin, file))
		log_warn("zone %s: out of memory: a full reload will not keep it", name);
	log_info("zone %s: %zu records, serial %u, from %s (%s)", name, nrec, serial, file,
	         adding ? "ternctl zone-add" : "ternctl reload");
	sb_printf(out, "zone %s: serial %u, %zu records, from %s\n", name, serial, nrec, file);
	return 0;
}

static int cmd_reload(ctl_env *e, const ctl_req *r, sbuf *out)
{
	if (!r->argc) {
		if (!e->hooks->reload || e->hooks->reload(e->hooks->user))
			return fail(out, "%s", "reload failed; the previous configuration and zones keep serving (see ternd's log)");
		sb_printf(out, "reloaded: %zu zone(s)\n", (size_t)atomic_load(&e->srv->nzones));
		return 0;
	}
	uint8_t origin[TERN_NAME_MAX];
	if (parse_name(r->argv[0], origin))
		return fail(out, "not a zone name: %s", r->argv[0]);
	server *s = e->srv;
	char *file = NULL;
	pthread_mutex_lock(&s->change_lock);
	const db_zone *z = db_set_get(atomic_load(&s->current)->zones, origin);
	if (z && z->file)
		file = strdup(z->file);
	pthread_mutex_unlock(&s->change_lock);
	if (!z)
		return fail(out, "no such zone: %s", r->argv[0]);
	if (!file)
		return fail(out, "%s", "out of memory");
	int rc = load_and_publish(e, origin, r->argv[0], file, false, out);
	free(file);
	return rc;
}

static int cmd_zone_add(ctl_env *e, const ctl_req *r, sbuf *out)
{
	uint8_t origin[TERN_NAME_MAX];
	if (parse_name(r->argv[0], origin))
		return fail(out, "not a zone name: %s", r->argv[0]);
	server *s = e->srv;
	pthread_mutex_lock(&s->change_lock);
	bool have = db_set_get(atomic_load(&s->current)->zones, origin) != NULL;
	pthread_mutex_unlock(&s->change_lock);
	if (have)
		return fail(out, "zone %s is served already (use reload ZONE)", r->argv[0]);
	return load_and_publish(e, origin, r->argv[0], r->argv[1], true, out);
}

static int cmd_zone_remove(ctl_env *e, const ctl_req *r, sbuf *out)
{
	uint8_t origin[TERN_NAME_MAX];
	if (parse_name(r->argv[0], origin))
		return fail(out, "not a zone name: %s", r->argv[0]);
	int rc = server_remove_zone(e->srv, origin);
	if (rc > 0)
		return fail(out, "no such zone: %s", r->argv[0]);
	if (rc < 0)
		return fail(out, "%s", "out of memory; nothing changed");
	if (server_note_runtime_zone(e->srv, origin, NULL))
		log_warn("zone %s: out of memory: a full reload will serve it again", r->argv[0]);
	log_info("zone %s: removed (ternctl zone-remove)", r->argv[0]);
	sb_printf(out, "zone %s removed\n", r->argv[0]);
	return 0;
}

static int cmd_zone_op(ctl_env *e, const ctl_req *r, sbuf *out)
{
	uint8_t origin[TERN_NAME_MAX];
	if (parse_name(r->argv[0], origin))
		return fail(out, "not a zone name: %s", r->argv[0]);
	server *s = e->srv;
	pthread_mutex_lock(&s->change_lock);
	bool have = db_set_get(atomic_load(&s->current)->zones, origin) != NULL;
	pthread_mutex_unlock(&s->change_lock);
	if (!have)
		return fail(out, "no such zone: %s", r->argv[0]);
	if (e->hooks->zone_op)
		return e->hooks->zone_op(e->hooks->user, r->cmd, origin, out);
	if (r->cmd == CTL_ZONE_NOTIFY)
		return fail(out, "not available: zone %s has no secondaries to notify (replication is not built yet)",
		            r->argv[0]);
	return fail(out, "not available: zone %s is not a secondary", r->argv[0]);
}

/* ---- cache ---- */

static uint64_t cache_clock(void)
{
	struct timespec ts; /* the workers' clock (worker.c: now_ms) */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int cmd_cache_flush(ctl_env *e, const ctl_req *r, sbuf *out)
{
	if (!e->srv->res)
		return fail(out, "%s", "no cache: forwarding is off");
	uint8_t name[TERN_NAME_MAX];
	uint16_t type = 0;
	if (r->argc >= 1 && parse_name(r->argv[0], name))
		return fail(out, "not a name: %s", r->argv[0]);
	if (r->argc == 2 && (tern_type_from_text(r->argv[1], strlen(r->argv[1]), &type) || type == 0))
		return fail(out, "not a type: %s", r->argv[1]);
	size_t n = cache_flush(e->srv->res->cache, r->argc ? name : NULL, type);
	if (r->json)
		sb_printf(out, "{\"flushed\":%zu}\n", n);
	else
		sb_printf(out, "flushed %zu entr%s\n", n, n == 1 ? "y" : "ies");
	log_info("control: cache-flush %s%s%s: %zu entries", r->argc ? r->argv[0] : "(all)", r->argc == 2 ? " " : "",
	         r->argc == 2 ? r->argv[1] : "", n);
	return 0;
}

typedef struct dump_ctx {
	sbuf *out;
	bool json, first;
	size_t n;
} dump_ctx;

static void dump_one(void *user, const cache_entry_info *e)
{
	dump_ctx *d = user;
	char name[TERN_NAME_TEXT_MAX], type[32], rd[1024];
	tern_name_to_text(e->name, name, sizeof name);
	if (e->kind == CACHE_NXDOMAIN_HIT)
		snprintf(type, sizeof type, "NXDOMAIN");
	else
		tern_type_to_text(e->type, type, sizeof type);
	const char *kind = e->kind == CACHE_RRSET ? "rrset" : e->kind == CACHE_NODATA ? "nodata" : "nxdomain";
	d->n++;
	if (d->json) {
		sb_printf(d->out, "%s{\"name\":", d->first ? "" : ",");
		sb_json_str(d->out, name);
		sb_printf(d->out, ",\"type\":\"%s\",\"kind\":\"%s\",\"ttl\":%lld,\"stale\":%s,\"rdata\":[", type, kind,
		          (long long)e->ttl_left, yes(e->ttl_left <= 0));
		d->first = false;
	}
	if (e->kind == CACHE_RRSET) {
		const uint8_t *p = e->rdata;
		for (unsigned i = 0; i < e->count; i++) {
			uint16_t len;
			memcpy(&len, p, 2);
			if (tern_rdata_to_text(e->type, p + 2, len, rd, sizeof rd) < 0)
				snprintf(rd, sizeof rd, "\\# %u ...", len);
			if (d->json) {
				if (i)
					sb_put(d->out, ",", 1);
				sb_json_str(d->out, rd);
			} else {
				sb_printf(d->out, "%s\t%lld\tIN\t%s\t%s%s\n", name, (long long)e->ttl_left, type, rd,
				          e->ttl_left <= 0 ? "\t; stale" : "");
			}
			p += 2 + (size_t)len;
		}
	} else if (!d->json) {
		sb_printf(d->out, "; %s\t%lld\t%s%s%s\n", name, (long long)e->ttl_left,
		          e->kind == CACHE_NODATA ? type : "", e->kind == CACHE_NODATA ? " NODATA" : "NXDOMAIN",
		          e->ttl_left <= 0 ? " (stale)" : "");
	}
	if (d->json)
		sb_printf(d->out, "]}");
}

static int cmd_cache_dump(ctl_env *e, const ctl_req *r, sbuf *out)
{
	if (!e->srv->res)
		return fail(out, "%s", "no cache: forwarding is off");
	dump_ctx d = {.out = out, .json = r->json, .first = true};
	if (r->json)
		sb_printf(out, "{\"entries\":[");
	cache_walk(e->srv->res->cache, cache_clock(), dump_one, &d);
	if (r->json)
		sb_printf(out, "],\"count\":%zu}\n", d.n);
	else
		sb_printf(out, "; %zu entr%s\n", d.n, d.n == 1 ? "y" : "ies");
	return 0;
}

/* ---- stats, log level ---- */

static int cmd_stats(ctl_env *e, const ctl_req *r, sbuf *out)
{
	size_t size = (sizeof(stats_snap) + 63) / 64 * 64;
	stats_snap *snap = aligned_alloc(64, size);
	if (!snap)
		return fail(out, "%s", "out of memory");
	server_stats(e->srv, snap);
	stats_snap shown = *snap;
	if (e->base) { /* since the last --reset (gauges stay as they are) */
		stats_sub(&shown.w, &e->base->w);
		shown.reloads_ok -= e->base->reloads_ok;
		shown.reloads_failed -= e->base->reloads_failed;
		shown.zone_changes -= e->base->zone_changes;
		shown.cache_hits -= e->base->cache_hits;
		shown.cache_misses -= e->base->cache_misses;
		shown.cache_inserts -= e->base->cache_inserts;
		shown.cache_evictions -= e->base->cache_evictions;
	}
	if (r->json)
		report_stats_json(out, &shown, &e->srv->names);
	else
		report_stats_text(out, &shown, &e->srv->names);
	if (r->reset) {
		free(e->base);
		e->base = snap;
		log_info("control: counters reset (ternctl stats; /metrics keeps counting)");
	} else {
		free(snap);
	}
	return 0;
}

static int cmd_log_level(ctl_env *e, const ctl_req *r, sbuf *out)
{
	static const char *const lv[] = {"error", "warning", "info", "debug"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(r->argv[0], lv[i])) {
			log_set_level((enum log_level)i);
			/* said at the new level's own severity or above, so that it shows */
			log_msg(i < LOG_INFO ? (enum log_level)i : LOG_INFO, "control: log level %s", lv[i]);
			sb_printf(out, "log level %s\n", lv[i]);
			return 0;
		}
	(void)e;
	return fail(out, "log-level wants error, warning, info or debug, got '%s'", r->argv[0]);
}

int ctl_run(ctl_env *e, const ctl_req *r, sbuf *out)
{
	switch (r->cmd) {
	case CTL_STATUS: return cmd_status(e, r, out);
	case CTL_STOP:
		sb_printf(out, r->json ? "{\"stopping\":true}\n" : "stopping\n");
		return 0;
	case CTL_RELOAD: return cmd_reload(e, r, out);
	case CTL_ZONE_STATUS: return cmd_zone_status(e, r, out);
	case CTL_ZONE_ADD: return cmd_zone_add(e, r, out);
	case CTL_ZONE_REMOVE: return cmd_zone_remove(e, r, out);
	case CTL_ZONE_REFRESH:
	case CTL_ZONE_RETRANSFER:
	case CTL_ZONE_NOTIFY: return cmd_zone_op(e, r, out);
	case CTL_ZONE_KSK_SUBMITTED: return ctl_ksk_submitted(e, r, out);
	case CTL_CACHE_FLUSH: return cmd_cache_flush(e, r, out);
	case CTL_CACHE_DUMP: return cmd_cache_dump(e, r, out);
	case CTL_STATS: return cmd_stats(e, r, out);
	case CTL_LOG_LEVEL: return cmd_log_level(e, r, out);
	case CTL_NCMDS: break;
	}
	return fail(out, "%s", "unknown command");
}
