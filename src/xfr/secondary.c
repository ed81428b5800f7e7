/* secondary.c: see secondary.h.
 *
 * Timers are wall-clock milliseconds (they are kept across restarts in
 * the state file). Per zone: `next` (the next check of the primaries),
 * `expires` (when the data expire without a refresh; 0 without data).
 * After a failed check the next one comes after the SOA's retry, doubled
 * after each further failure (capped at the SOA's refresh, at least the
 * retry): a primary that keeps failing is not hammered. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"
#include "server/server.h"
#include "tern/rr.h"
#include "xfr/catalog_config.h"
#include "xfr/catalog_consumer.h"
#include "xfr/notify.h"
#include "xfr/secondary.h"
#include "xfr/xfrin_config.h"
#include "xfr/xfrin_net.h"
#include "xfr/zjournal.h"

#define NOTIFY_QUEUE 64
#define SOA_TIMEOUT_MS 2000   /* each try of the SOA query */
#define XFR_IDLE_MS 5000      /* each wait for the next transfer message */
#define XFR_TOTAL_MS (30 * 60 * 1000) /* one transfer at most (BIND: max-transfer-time-in, 2 h) */
#define NODATA_RETRY_S 5      /* retry of a zone that has no SOA yet */
#define NODATA_RETRY_MAX_S 300

/* What other threads may ask of a zone (under the lock): a copy. */
struct shared_zone {
	uint8_t origin[TERN_NAME_MAX];
	int64_t expires;
	bool member;
	uint8_t catalog[TERN_NAME_MAX];
};

typedef struct szone {
	uint8_t origin[TERN_NAME_MAX];
	char name[TERN_NAME_TEXT_MAX];
	char *file;
	xfr_primary *prim;
	size_t nprim;
	size_t max_bytes;
	int64_t next;     /* ms: the next check */
	int64_t expires;  /* ms: the data expire; 0: no data */
	unsigned fails;   /* checks failed in a row */
	bool expired;     /* answered SERVFAIL now */
	bool live;        /* still configured (reconfiguration sweep) */
	bool force_axfr;  /* ternctl zone-retransfer: the whole zone again, whatever the serial */
	/* a catalog member (RFC 9432): not in the configuration, added and
	 * removed by members_sync; its primaries are its catalog's */
	bool member;
	uint8_t catalog[TERN_NAME_MAX];
	uint8_t id[64]; /* its member node's label (length byte first) */
} szone;

struct secondary {
	server *s;
	pthread_t thread;
	bool started;
	int evfd;
	pthread_mutex_t lock; /* the fields below */
	uint8_t queue[NOTIFY_QUEUE][TERN_NAME_MAX];
	unsigned nqueue;
	uint8_t rqueue[NOTIFY_QUEUE][TERN_NAME_MAX]; /* zone-retransfer requests */
	unsigned nrqueue;
	bool overflow, reconf, stop;
	atomic_bool stopping; /* ends an exchange in progress (xfrin_net.c) */
	notifier *nfy; /* NOTIFY out for a secondary that is also a primary */
	/* zone expiry for secondary_expire_left (copies, under lock) */
	struct shared_zone *exp; /* sorted by origin (tern_name_cmp) */
	size_t nexp;
	bool catalogs_dirty; /* the thread's: a consumer catalog changed */
	/* the thread's own */
	szone *zones;
	size_t nzones;
};

static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void wake(secondary *sec)
{
	uint64_t one = 1;
	ssize_t r = write(sec->evfd, &one, sizeof one);
	(void)r; /* a full counter already wakes the thread */
}

secondary *secondary_new(server *s)
{
	secondary *sec = calloc(1, sizeof *sec);
	if (!sec)
		return NULL;
	sec->s = s;
	sec->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sec->evfd < 0) {
		free(sec);
		return NULL;
	}
	pthread_mutex_init(&sec->lock, NULL);
	atomic_init(&sec->stopping, false);
	sec->reconf = true;
	return sec;
}

void secondary_notify(secondary *sec, const uint8_t *origin)
{
	if (!sec)
		return;
	pthread_mutex_lock(&sec->lock);
	bool dup = false;
	for (unsigned i = 0; i < sec->nqueue && !dup; i++)
		dup = tern_name_eq(sec->queue[i], origin);
	if (!dup) {
		if (sec->nqueue < NOTIFY_QUEUE)
			memcpy(sec->queue[sec->nqueue++], origin, tern_name_len(origin));
		else
			sec->overflow = true; /* then every zone is checked */
	}
	pthread_mutex_unlock(&sec->lock);
	wake(sec);
}

void secondary_set_notifier(secondary *sec, notifier *n)
{
	if (!sec)
		return;
	pthread_mutex_lock(&sec->lock);
	sec->nfy = n;
	pthread_mutex_unlock(&sec->lock);
}

void secondary_reconfigure(secondary *sec)
{
	if (!sec)
		return;
	pthread_mutex_lock(&sec->lock);
	sec->reconf = true;
	pthread_mutex_unlock(&sec->lock);
	wake(sec);
}

static int cmp_shared(const void *a, const void *b)
{
	return tern_name_cmp(((const struct shared_zone *)a)->origin, ((const struct shared_zone *)b)->origin);
}

/* The shared copy of origin's entry, or NULL (under sec->lock). With a
 * configured zone and a member of one name (for a moment, until the
 * member is dropped), either. */
static const struct shared_zone *shared_find(const secondary *sec, const uint8_t *origin)
{
	struct shared_zone key;
	memcpy(key.origin, origin, tern_name_len(origin));
	return sec->nexp ? bsearch(&key, sec->exp, sec->nexp, sizeof key, cmp_shared) : NULL;
}

int secondary_retransfer(secondary *sec, const uint8_t *origin)
{
	if (!sec)
		return -1;
	pthread_mutex_lock(&sec->lock);
	bool known = shared_find(sec, origin) != NULL;
	if (known && sec->nrqueue < NOTIFY_QUEUE)
		memcpy(sec->rqueue[sec->nrqueue++], origin, tern_name_len(origin));
	pthread_mutex_unlock(&sec->lock);
	if (!known)
		return -1;
	wake(sec);
	return 0;
}

bool secondary_has(secondary *sec, const uint8_t *origin)
{
	if (!sec)
		return false;
	pthread_mutex_lock(&sec->lock);
	bool have = shared_find(sec, origin) != NULL;
	pthread_mutex_unlock(&sec->lock);
	return have;
}

int64_t secondary_expire_left(secondary *sec, const uint8_t *origin)
{
	if (!sec)
		return -1;
	int64_t left = -1, now = wall_ms();
	pthread_mutex_lock(&sec->lock);
	const struct shared_zone *e = shared_find(sec, origin);
	if (e && e->expires)
		left = e->expires > now ? (e->expires - now) / 1000 : 0;
	pthread_mutex_unlock(&sec->lock);
	return left;
}

bool secondary_member_catalog(secondary *sec, const uint8_t *origin, uint8_t *catalog)
{
	if (!sec)
		return false;
	pthread_mutex_lock(&sec->lock);
	const struct shared_zone *e = shared_find(sec, origin);
	bool found = e && e->member;
	if (found)
		memcpy(catalog, e->catalog, tern_name_len(e->catalog));
	pthread_mutex_unlock(&sec->lock);
	return found;
}

/* Publishes the zones' expiry times for secondary_expire_left, and which
 * are catalog members for secondary_member_catalog. */
static void share_expiry(secondary *sec)
{
	pthread_mutex_lock(&sec->lock);
	void *e = realloc(sec->exp, (sec->nzones ? sec->nzones : 1) * sizeof *sec->exp);
	if (e) {
		sec->exp = e;
		sec->nexp = sec->nzones;
		for (size_t i = 0; i < sec->nzones; i++) {
			memcpy(sec->exp[i].origin, sec->zones[i].origin, tern_name_len(sec->zones[i].origin));
			sec->exp[i].expires = sec->zones[i].expired ? 0 : sec->zones[i].expires;
			sec->exp[i].member = sec->zones[i].member;
			memcpy(sec->exp[i].catalog, sec->zones[i].catalog, sizeof sec->exp[i].catalog);
		}
		qsort(sec->exp, sec->nexp, sizeof *sec->exp, cmp_shared);
	}
	pthread_mutex_unlock(&sec->lock);
}

/* The version of z's zone serving now (a reference), or NULL. */
static db_zone *serving(secondary *sec, const szone *z)
{
	pthread_mutex_lock(&sec->s->change_lock);
	const version *v = atomic_load(&sec->s->current);
	db_zone *d = (db_zone *)db_set_get(v->zones, z->origin);
	if (d)
		zone_ref(d);
	pthread_mutex_unlock(&sec->s->change_lock);
	return d;
}

/* SOA timers (RFC 1035 3.3.13), in seconds. */
static void soa_timers(const db_zone *d, uint32_t *refresh, uint32_t *retry, uint32_t *expire)
{
	*refresh = 3600, *retry = NODATA_RETRY_S, *expire = 0;
	if (!d || !zone_has_data(d) || !d->soa)
		return;
	uint16_t len;
	const uint8_t *rd = rrset_rdata(d->soa->rdata, &len);
	if (len < 20)
		return;
	*refresh = tern_get_u32(rd + len - 16);
	*retry = tern_get_u32(rd + len - 12);
	*expire = tern_get_u32(rd + len - 8);
	if (*retry == 0)
		*retry = 1;
}

static void save_state(const szone *z, uint32_t serial, int64_t now)
{
	xfr_state st = {.serial = serial, .refreshed = now / 1000, .expires = z->expires / 1000};
	if (xfr_state_save(z->file, &st))
		log_warn("zone %s: cannot write the timers to %s.state", z->name, z->file);
}

/* z's primaries are those of x, keys looked up in c. */
static void set_primaries(szone *z, const config *c, const cfg_xfrin *x)
{
	free(z->prim);
	z->prim = calloc(x->nprimaries ? x->nprimaries : 1, sizeof *z->prim);
	z->nprim = z->prim ? x->nprimaries : 0;
	for (size_t k = 0; k < z->nprim; k++) {
		xfr_primary *p = &z->prim[k];
		p->addr = x->primaries[k].addr;
		p->len = x->primaries[k].len;
		snprintf(p->text, sizeof p->text, "%s", x->primaries[k].text);
		const tern_tsig_key *key =
		    x->primaries[k].has_key ? tern_tsig_key_find(c->keys, c->nkeys, x->primaries[k].key) : NULL;
		if (key) {
			p->key = *key;
			p->has_key = true;
		}
		const cfg_peer *cp = &x->primaries[k];
		if (cp->tls) { /* RFC 9103 XoT */
			size_t tl = strlen(p->text);
			if (tl + sizeof " (TLS)" <= sizeof p->text) /* for the messages */
				memcpy(p->text + tl, " (TLS)", sizeof " (TLS)");
			p->tls = true;
			snprintf(p->tls_name, sizeof p->tls_name, "%s", cp->tls_name);
			p->has_pin = cp->has_pin;
			memcpy(p->pin.sha256, cp->pin, sizeof p->pin.sha256);
			if (c->tls_ca_file && strlen(c->tls_ca_file) >= sizeof p->tls_ca)
				log_err("zone %s: tls-ca-file path too long for transfers over TLS", z->name);
			snprintf(p->tls_ca, sizeof p->tls_ca, "%s", c->tls_ca_file ? c->tls_ca_file : "");
		}
	}
	z->max_bytes = x->max_bytes;
}

/* The timers the last run kept in z's state file, if they belong to the
 * version d serving now. */
static void restore_timers(szone *z, const db_zone *d, int64_t now)
{
	xfr_state st;
	uint32_t refresh, retry, expire;
	soa_timers(d, &refresh, &retry, &expire);
	if (d && zone_has_data(d)) {
		if (xfr_state_load(z->file, &st) == 0 && st.serial == d->serial)
			z->expires = st.expires * 1000;
		else
			z->expires = now + (int64_t)expire * 1000;
		if (z->expires <= 0)
			z->expires = 1;
	}
}

/* Reads the secondary zones of the published configuration (under
 * change_lock: the version cannot be freed meanwhile). Catalog members
 * are left to members_sync. */
static void sync_config(secondary *sec)
{
	int64_t now = wall_ms();
	for (size_t i = 0; i < sec->nzones; i++)
		sec->zones[i].live = sec->zones[i].member;
	pthread_mutex_lock(&sec->s->change_lock);
	const version *v = atomic_load(&sec->s->current);
	const config *c = &v->cfg;
	for (size_t i = 0; i < c->nzones; i++) {
		const cfg_zone *cz = &c->zones[i];
		const cfg_xfrin *x = cz->xfrin;
		if (!x || !x->nprimaries)
			continue;
		szone *z = NULL;
		for (size_t k = 0; k < sec->nzones && !z; k++)
			if (!sec->zones[k].member && tern_name_eq(sec->zones[k].origin, cz->origin))
				z = &sec->zones[k];
		bool fresh = !z;
		if (fresh) {
			szone *n = realloc(sec->zones, (sec->nzones + 1) * sizeof *n);
			if (!n)
				continue;
			sec->zones = n;
			z = &sec->zones[sec->nzones++];
			memset(z, 0, sizeof *z);
			memcpy(z->origin, cz->origin, tern_name_len(cz->origin));
			tern_name_to_text(cz->origin, z->name, sizeof z->name);
			z->next = now; /* at start-up (or when added): check at once */
		}
		z->live = true;
		free(z->file);
		z->file = strdup(cz->file);
		set_primaries(z, c, x);
		if (fresh) /* the timers of the version loaded from the file */
			restore_timers(z, db_set_get(v->zones, z->origin), now);
	}
	pthread_mutex_unlock(&sec->s->change_lock);
	size_t k = 0;
	for (size_t i = 0; i < sec->nzones; i++) {
		if (sec->zones[i].live) {
			sec->zones[k++] = sec->zones[i];
		} else {
			free(sec->zones[i].file);
			free(sec->zones[i].prim);
		}
	}
	sec->nzones = k;
	share_expiry(sec);
}

/* A successful check: the zone is as current as the primary's. */
static void refreshed(szone *z, const db_zone *d, int64_t expire_opt, int64_t now)
{
	uint32_t refresh, retry, expire;
	soa_timers(d, &refresh, &retry, &expire);
	/* RFC 7314 4: the primary's EXPIRE option stands for the SOA's */
	int64_t e = expire_opt >= 0 ? expire_opt : expire;
	z->expires = now + e * 1000;
	if (z->expires <= 0)
		z->expires = 1;
	z->next = now + (int64_t)refresh * 1000;
	z->fails = 0;
	z->expired = false;
	save_state(z, d->serial, now);
}

/* What went wrong in one check of a zone, for its one log line. */
typedef struct why {
	char s[2048];
	size_t n;
} why;

static void why_add(why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_add(why *w, const char *fmt, ...)
{
	if (w->n && w->n + 2 < sizeof w->s)
		w->n += (size_t)snprintf(w->s + w->n, sizeof w->s - w->n, "; ");
	if (w->n + 1 >= sizeof w->s)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(w->s + w->n, sizeof w->s - w->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		w->n = w->n + (size_t)k < sizeof w->s ? w->n + (size_t)k : sizeof w->s - 1;
}

static const char *kind_text(const xfrin *x)
{
	return x->kind == XFR_INCR ? "IXFR" : x->qtype == TERN_T_IXFR ? "IXFR (answered as AXFR)" : "AXFR";
}

/* One transfer from p; publishes and saves what it gets. 1: done (the
 * zone is current), 0: failed (the reason added to w). */
static int transfer(secondary *sec, szone *z, const xfr_primary *p, db_zone *cur, bool ixfr, why *w)
{
	char err[512];
	xfrin x;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = xfr_transfer(p, cur, ixfr, z->max_bytes, XFR_IDLE_MS, XFR_TOTAL_MS, &sec->stopping, &x, err,
	                     sizeof err);
	if (r != XFRIN_DONE) {
		bool fallback = ixfr && x.rcode && x.messages == 1;
		xfrin_free(&x);
		why_add(w, "%s from %s failed: %s", ixfr ? "IXFR" : "AXFR", p->text, err);
		if (fallback) /* RFC 1995 2: a primary without IXFR */
			return transfer(sec, z, p, cur, false, w);
		return 0;
	}
	int64_t now = wall_ms();
	if (x.kind == XFR_UPTODATE) {
		xfrin_free(&x);
		refreshed(z, cur, -1, now);
		return 1;
	}
	db_zone *nz = xfrin_build(&x, cur, z->file, err, sizeof err);
	if (!nz) {
		bool incr = x.kind == XFR_INCR;
		why_add(w, "%s from %s not applied: %s", kind_text(&x), p->text, err);
		xfrin_free(&x);
		if (incr) /* the differences do not fit our version: take it all */
			return transfer(sec, z, p, cur, false, w);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	char old[16] = "none";
	if (zone_has_data(cur))
		snprintf(old, sizeof old, "%" PRIu32, cur->serial);
	log_info("zone %s: serial %s -> %" PRIu32 " by %s from %s: %zu records, %u message(s), %zu bytes, %ld ms",
	         z->name, old, nz->serial, kind_text(&x), p->text, nz->nrecords, x.messages, x.bytes, ms);
	int64_t expire_opt = x.expire;
	xfrin_free(&x);
	/* as a primary for further secondaries: the journal entry for IXFR
	 * out (xfr/zjournal.h) before publishing, NOTIFY out after */
	pthread_mutex_lock(&sec->s->change_lock);
	const version *v = atomic_load(&sec->s->current);
	for (size_t i = 0; i < v->cfg.nzones; i++)
		if (tern_name_eq(v->cfg.zones[i].origin, z->origin)) {
			xfr_zone_loaded(&v->cfg.zones[i], cur, nz);
			if (catalog_role_of(&v->cfg.zones[i]) == CATALOG_CONSUMER)
				sec->catalogs_dirty = true; /* its members, once published */
		}
	pthread_mutex_unlock(&sec->s->change_lock);
	/* the new data's expiry, shared before they are published: an EDNS
	 * EXPIRE query (RFC 7314) right after must not see the old one (or the
	 * SOA's, when the primary's EXPIRE option stands for it) */
	refreshed(z, nz, expire_opt, now);
	share_expiry(sec);
	zone_ref(nz);
	if (server_replace_zone(sec->s, nz)) {
		log_err("zone %s: out of memory publishing serial %" PRIu32, z->name, nz->serial);
		zone_unref(nz);
		return 0;
	}
	pthread_mutex_lock(&sec->lock);
	notifier *nfy = sec->nfy;
	pthread_mutex_unlock(&sec->lock);
	pthread_mutex_lock(&sec->s->change_lock);
	notify_zone(nfy, &atomic_load(&sec->s->current)->cfg, nz);
	pthread_mutex_unlock(&sec->s->change_lock);
	if (xfr_zone_save(nz, z->file, err, sizeof err))
		log_err("zone %s: not saved: %s (a restart transfers it again)", z->name, err);
	zone_unref(nz);
	return 1;
}

/* RFC 1034 4.3.5: ask each primary in turn for its serial; transfer when
 * it is newer (or when we have nothing). */
static void check(secondary *sec, szone *z)
{
	db_zone *cur = serving(sec, z);
	if (!cur) { /* not published (yet): try again soon */
		z->next = wall_ms() + 1000;
		return;
	}
	bool have = zone_has_data(cur) && !z->expired && !z->force_axfr; /* !have: AXFR, no SOA query */
	z->force_axfr = false;
	char err[512];
	why w = {.n = 0};
	int done = 0;
	for (size_t i = 0; i < z->nprim && !done; i++) {
		const xfr_primary *p = &z->prim[i];
		if (have) {
			uint32_t serial;
			int64_t expire;
			if (xfr_soa_query(p, z->origin, SOA_TIMEOUT_MS, &sec->stopping, &serial, &expire, err, sizeof err)) {
				/* A primary that answers but refuses the SOA query
				 * (Knot does for its generated catalogs, which it
				 * only transfers) is asked for IXFR at once: RFC 1995
				 * needs no SOA query first, and a current zone gets
				 * the SOA alone. */
				if (!strstr(err, "the primary answered")) {
					why_add(&w, "refresh from %s failed: %s", p->text, err);
					continue;
				}
				log_debug("zone %s: %s: %s; asking for IXFR instead", z->name, p->text, err);
				done = transfer(sec, z, p, cur, true, &w);
				continue;
			}
			if (!xfr_serial_gt(serial, cur->serial)) {
				log_debug("zone %s: serial %" PRIu32 " is current (%s has %" PRIu32 ")", z->name, cur->serial,
				          p->text, serial);
				refreshed(z, cur, expire, wall_ms());
				done = 1;
				break;
			}
			log_info("zone %s: %s has serial %" PRIu32 ", we have %" PRIu32 "; transferring", z->name, p->text,
			         serial, cur->serial);
		}
		done = transfer(sec, z, p, cur, have, &w);
	}
	if (done && w.n) /* e.g. an IXFR that did not apply, then an AXFR */
		log_warn("zone %s: %s (then a transfer succeeded)", z->name, w.s);
	if (!done) {
		uint32_t refresh, retry, expire;
		soa_timers(have ? cur : NULL, &refresh, &retry, &expire);
		uint64_t wait = retry;
		for (unsigned k = 0; k < z->fails && wait < 86400; k++)
			wait *= 2;
		uint64_t cap = have ? (refresh > retry ? refresh : retry) : NODATA_RETRY_MAX_S;
		if (wait > cap)
			wait = cap;
		z->fails++;
		z->next = wall_ms() + (int64_t)wait * 1000;
		/* one line per failed check: what each primary did wrong */
		log_err("zone %s: %s; %u failed check(s) in a row, next try in %" PRIu64 " s%s", z->name,
		        w.n ? w.s : "no primary configured", z->fails, wait,
		        have ? "; the current version keeps serving" : "");
	}
	zone_unref(cur);
	share_expiry(sec);
}

/* RFC 1034 4.3.5: past expire without a refresh, the zone is no longer
 * authoritative: a version without data (SERVFAIL) replaces it. */
static void expire_zone(secondary *sec, szone *z)
{
	db_zone *e = zone_new_empty(z->origin, z->file);
	if (!e || server_replace_zone(sec->s, e)) {
		z->expires += 1000; /* out of memory: try again in a second */
		return;
	}
	z->expired = true;
	log_err("zone %s: expired (no refresh from a primary within the SOA expire); answered SERVFAIL until a "
	        "transfer succeeds",
	        z->name);
	share_expiry(sec);
}

/* ---- catalog members (RFC 9432 5; xfr/catalog_consumer.h) ---- */

/* What members_sync needs of one configured zone, copied under change_lock. */
typedef struct cat_snap {
	bool consumer, usable;
	szone prim; /* only prim, nprim and max_bytes are used */
} cat_snap;

/* Who has each registered member now: its catalog's index in the
 * configuration (for catalog_wanted), sorted by member name. */
typedef struct owner_ix {
	const uint8_t *origin;
	long catalog;
} owner_ix;

typedef struct owners {
	owner_ix *v;
	size_t n;
} owners;

static int cmp_owner(const void *a, const void *b)
{
	return tern_name_cmp(((const owner_ix *)a)->origin, ((const owner_ix *)b)->origin);
}

static long owner_of(void *arg, const uint8_t *zone)
{
	const owners *o = arg;
	owner_ix key = {.origin = zone};
	const owner_ix *hit = o->n ? bsearch(&key, o->v, o->n, sizeof key, cmp_owner) : NULL;
	return hit ? hit->catalog : -1;
}

/* The owners of sec's members under configuration c (its consumer
 * catalogs are few: each member is compared with those alone). */
static owners owners_of(const secondary *sec, const config *c)
{
	owners o = {.v = calloc(sec->nzones ? sec->nzones : 1, sizeof *o.v), .n = 0};
	for (size_t i = 0; o.v && i < sec->nzones; i++) {
		if (!sec->zones[i].member)
			continue;
		for (size_t k = 0; k < c->nzones; k++)
			if (catalog_role_of(&c->zones[k]) == CATALOG_CONSUMER &&
			    tern_name_eq(c->zones[k].origin, sec->zones[i].catalog)) {
				o.v[o.n].origin = sec->zones[i].origin;
				o.v[o.n++].catalog = (long)k;
				break;
			}
	}
	if (o.n)
		qsort(o.v, o.n, sizeof *o.v, cmp_owner);
	return o;
}

/* A member's files: its copy, timers and journal. */
static void remove_files(const char *file)
{
	static const char *const ext[] = {"", ".state", ".jnl", ".tmp", ".state.tmp", ".jnl.tmp"};
	char p[PATH_MAX + 16];
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		snprintf(p, sizeof p, "%s%s", file, ext[i]);
		unlink(p);
	}
}

/* catalog-zone-dir: made when missing (one level). */
static void make_dir(const szone *z)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", z->file);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) && errno != EEXIST)
			log_warn("zone %s: cannot make %s: %s", z->name, dir, strerror(errno));
	}
}

/* Publishes a version of z without data (SERVFAIL until its first
 * transfer), its old files removed, its check due now. */
static void start_fresh(secondary *sec, szone *z)
{
	remove_files(z->file);
	make_dir(z);
	z->expires = 0, z->fails = 0, z->expired = false;
	z->next = wall_ms();
	db_zone *e = zone_new_empty(z->origin, z->file);
	if (!e || server_replace_zone(sec->s, e))
		log_err("zone %s: out of memory adding the catalog member", z->name);
}

/* Makes the registered members those the consumer catalogs give: new ones
 * are added (registered first, then published, so that a reload in
 * between keeps them), gone ones unpublished with their files, a member
 * whose id changed reset (RFC 9432 5.4: removed with its state and added
 * again), the others get their catalog's primaries. A catalog that cannot
 * be read keeps its members as they are (RFC 9432 5.1). */
static void members_sync(secondary *sec)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t added = 0, removed = 0;
	sec->catalogs_dirty = false;
	pthread_mutex_lock(&sec->s->change_lock);
	const version *v = atomic_load(&sec->s->current);
	const config *c = &v->cfg;
	catalog_wants w;
	cat_snap *snap = calloc(c->nzones ? c->nzones : 1, sizeof *snap);
	bool *configured = calloc(sec->nzones ? sec->nzones : 1, sizeof *configured);
	uint8_t(*origins)[TERN_NAME_MAX] = calloc(c->nzones ? c->nzones : 1, sizeof *origins);
	owners own = owners_of(sec, c);
	if (!snap || !configured || !origins || !own.v || catalog_wanted(c, v->zones, owner_of, &own, true, &w)) {
		pthread_mutex_unlock(&sec->s->change_lock);
		free(snap), free(configured), free(origins), free(own.v);
		log_err("catalog zones: out of memory; members unchanged");
		return;
	}
	for (size_t k = 0; k < c->nzones; k++) {
		memcpy(origins[k], c->zones[k].origin, tern_name_len(c->zones[k].origin));
		if (catalog_role_of(&c->zones[k]) != CATALOG_CONSUMER || !c->zones[k].xfrin)
			continue;
		snap[k].consumer = true;
		snap[k].usable = w.usable[k];
		set_primaries(&snap[k].prim, c, c->zones[k].xfrin);
	}
	for (size_t i = 0; i < sec->nzones; i++)
		for (size_t k = 0; k < c->nzones && !configured[i]; k++)
			configured[i] = sec->zones[i].member && tern_name_eq(c->zones[k].origin, sec->zones[i].origin);
	size_t ncfg = c->nzones;
	pthread_mutex_unlock(&sec->s->change_lock);
	free(own.v);

	bool *done = calloc(w.n ? w.n : 1, sizeof *done);
	size_t had = sec->nzones;
	for (size_t i = 0; i < had && done; i++) {
		szone *z = &sec->zones[i];
		if (!z->member)
			continue;
		long k = -1;
		for (size_t j = 0; j < ncfg && k < 0; j++)
			if (snap[j].consumer && tern_name_eq(origins[j], z->catalog))
				k = (long)j;
		char cname[TERN_NAME_TEXT_MAX];
		tern_name_to_text(z->catalog, cname, sizeof cname);
		long at = k >= 0 ? catalog_wants_find(&w, z->origin) : -1;
		if (at >= 0 && w.m[at].catalog != (size_t)k)
			at = -1;
		if (k >= 0 && (at >= 0 || !snap[k].usable) && !configured[i]) {
			szone *p = &snap[k].prim;
			free(z->prim);
			z->prim = malloc((p->nprim ? p->nprim : 1) * sizeof *z->prim);
			z->nprim = z->prim ? p->nprim : 0;
			if (z->prim)
				memcpy(z->prim, p->prim, z->nprim * sizeof *z->prim);
			z->max_bytes = p->max_bytes;
			if (at >= 0) {
				done[at] = true;
				if (z->id[0] != w.m[at].id[0] || memcmp(z->id, w.m[at].id, z->id[0] + 1u)) {
					log_info("zone %s: its member node in catalog %s changed; reset and transferred again "
					         "(RFC 9432 5.4)",
					         z->name, cname);
					memcpy(z->id, w.m[at].id, sizeof z->id);
					start_fresh(sec, z);
				}
			}
			db_zone *d = serving(sec, z);
			if (!d) /* dropped by a reload that ran while it was added */
				start_fresh(sec, z);
			zone_unref(d);
			continue;
		}
		/* RFC 9432 5.3: removed from its catalog (or the catalog is no
		 * longer a consumer, or the configuration now has the zone) */
		if (configured[i]) {
			log_info("zone %s: now configured; no longer a member of catalog %s", z->name, cname);
		} else {
			int r = server_remove_zone(sec->s, z->origin);
			if (r < 0) { /* out of memory: try again at the next sync */
				sec->catalogs_dirty = true;
				continue;
			}
			log_info("zone %s: removed from catalog %s; no longer served, its files removed", z->name, cname);
		}
		remove_files(z->file);
		z->member = false;
		z->live = false;
		removed++;
	}
	/* the new ones: all registered first (one copy of the registry for
	 * the workers and reloads), then published one by one */
	int64_t now = wall_ms();
	size_t first = sec->nzones;
	for (size_t j = 0; j < w.n && done; j++) {
		if (done[j])
			continue;
		szone *n = realloc(sec->zones, (sec->nzones + 1) * sizeof *n);
		if (!n)
			break;
		sec->zones = n;
		szone *z = &sec->zones[sec->nzones];
		memset(z, 0, sizeof *z);
		memcpy(z->origin, w.m[j].zone, tern_name_len(w.m[j].zone));
		tern_name_to_text(z->origin, z->name, sizeof z->name);
		z->file = strdup(w.m[j].file);
		if (!z->file)
			break;
		size_t k = w.m[j].catalog;
		memcpy(z->catalog, origins[k], tern_name_len(origins[k]));
		memcpy(z->id, w.m[j].id, sizeof z->id);
		z->member = z->live = true;
		z->prim = malloc((snap[k].prim.nprim ? snap[k].prim.nprim : 1) * sizeof *z->prim);
		z->nprim = z->prim ? snap[k].prim.nprim : 0;
		if (z->prim)
			memcpy(z->prim, snap[k].prim.prim, z->nprim * sizeof *z->prim);
		z->max_bytes = snap[k].prim.max_bytes;
		z->next = now;
		sec->nzones++;
	}
	share_expiry(sec);
	added = sec->nzones - first;
	db_zone **fresh = calloc(added ? added : 1, sizeof *fresh);
	size_t nfresh = 0;
	for (size_t i = first; i < sec->nzones; i++) {
		szone *z = &sec->zones[i];
		db_zone *d = serving(sec, z);
		char cname[TERN_NAME_TEXT_MAX];
		tern_name_to_text(z->catalog, cname, sizeof cname);
		if (d && zone_has_data(d)) { /* start-up: loaded from its file */
			restore_timers(z, d, now);
			log_info("zone %s: member of catalog %s, serial %u from %s", z->name, cname, d->serial, z->file);
		} else {
			log_info("zone %s: added by catalog %s; transferring from its primaries", z->name, cname);
			db_zone *e = d || !fresh ? NULL : zone_new_empty(z->origin, z->file);
			if (e) { /* published below, all in one version */
				remove_files(z->file);
				make_dir(z);
				fresh[nfresh++] = e;
			} else if (!d) {
				start_fresh(sec, z);
			}
		}
		zone_unref(d);
	}
	if (nfresh && server_replace_zones(sec->s, fresh, nfresh))
		log_err("catalog zones: out of memory publishing %zu new member zone(s)", nfresh);
	free(fresh);
	/* drop what was removed */
	size_t k = 0;
	for (size_t i = 0; i < sec->nzones; i++) {
		if (sec->zones[i].live || sec->zones[i].member) {
			sec->zones[k++] = sec->zones[i];
		} else {
			free(sec->zones[i].file);
			free(sec->zones[i].prim);
		}
	}
	sec->nzones = k;
	share_expiry(sec);
	for (size_t j = 0; j < ncfg; j++)
		free(snap[j].prim.prim);
	free(snap), free(configured), free(origins), free(done);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (added || removed)
		log_info("catalog zones: %zu member zone(s) added, %zu removed, %zu in all (%ld ms)", added, removed,
		         w.n, (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	catalog_wants_free(&w);
}

static void *run(void *arg)
{
	secondary *sec = arg;
	for (;;) {
		pthread_mutex_lock(&sec->lock);
		bool stop = sec->stop, reconf = sec->reconf, all = sec->overflow;
		unsigned nq = sec->nqueue, nrq = sec->nrqueue;
		uint8_t q[NOTIFY_QUEUE][TERN_NAME_MAX], rq[NOTIFY_QUEUE][TERN_NAME_MAX];
		memcpy(q, sec->queue, sizeof q);
		memcpy(rq, sec->rqueue, sizeof rq);
		sec->nqueue = sec->nrqueue = 0;
		sec->reconf = sec->overflow = false;
		pthread_mutex_unlock(&sec->lock);
		if (stop)
			break;
		if (reconf) {
			sync_config(sec);
			members_sync(sec);
		}
		int64_t now = wall_ms();
		for (size_t i = 0; i < sec->nzones; i++) {
			szone *z = &sec->zones[i];
			bool notified = all;
			for (unsigned k = 0; k < nq && !notified; k++)
				notified = tern_name_eq(q[k], z->origin);
			if (notified && z->next > now) {
				log_info("zone %s: NOTIFY received; checking the primaries", z->name);
				z->next = now;
			}
			for (unsigned k = 0; k < nrq; k++)
				if (tern_name_eq(rq[k], z->origin)) {
					log_info("zone %s: transferring the whole zone again (ternctl zone-retransfer)", z->name);
					z->force_axfr = true;
					z->next = now;
				}
		}
		for (size_t i = 0; i < sec->nzones; i++) {
			szone *z = &sec->zones[i];
			if (z->expires && !z->expired && wall_ms() >= z->expires)
				expire_zone(sec, z);
			if (wall_ms() >= z->next)
				check(sec, z);
			if (sec->catalogs_dirty) {
				members_sync(sec); /* may add and remove zones: start over */
				break;
			}
			pthread_mutex_lock(&sec->lock);
			stop = sec->stop;
			pthread_mutex_unlock(&sec->lock);
			if (stop)
				return NULL;
		}
		int64_t until = INT64_MAX;
		for (size_t i = 0; i < sec->nzones; i++) {
			const szone *z = &sec->zones[i];
			if (z->next < until)
				until = z->next;
			if (z->expires && !z->expired && z->expires < until)
				until = z->expires;
		}
		now = wall_ms();
		int timeout = until == INT64_MAX ? -1 : until <= now ? 0 : until - now > 60000 ? 60000 : (int)(until - now);
		struct pollfd p = {.fd = sec->evfd, .events = POLLIN};
		if (poll(&p, 1, timeout) > 0) {
			uint64_t v;
			ssize_t r = read(sec->evfd, &v, sizeof v);
			(void)r;
		}
	}
	return NULL;
}

int secondary_start(secondary *sec)
{
	if (!sec)
		return 0;
	if (pthread_create(&sec->thread, NULL, run, sec))
		return -1;
	sec->started = true;
	return 0;
}

void secondary_stop(secondary *sec)
{
	if (!sec)
		return;
	if (sec->started) {
		pthread_mutex_lock(&sec->lock);
		sec->stop = true;
		pthread_mutex_unlock(&sec->lock);
		atomic_store(&sec->stopping, true);
		wake(sec);
		pthread_join(sec->thread, NULL);
	}
	for (size_t i = 0; i < sec->nzones; i++) {
		free(sec->zones[i].file);
		free(sec->zones[i].prim);
	}
	free(sec->zones);
	free(sec->exp);
	close(sec->evfd);
	pthread_mutex_destroy(&sec->lock);
	free(sec);
}
