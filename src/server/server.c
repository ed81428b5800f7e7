/* server.c: see server.h. */
#include <errno.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ctl/dnstap.h"
#include "ctl/qlog.h"
#include "server/listener.h"
#include "server/log.h"
#include "server/worker.h"

void group_fwd_release(group_fwd *g)
{
	if (!g || atomic_fetch_sub(&g->refs, 1) != 1)
		return;
	for (size_t i = 0; i < g->n; i++)
		upstreams_release(g->ups[i]); /* the resolvers are main()'s */
	free(g->ups);
	free(g->res);
	free(g);
}

void version_free(version *v)
{
	if (!v)
		return;
	group_fwd_release(v->gfwd);
	upstreams_release(v->ups);
	db_set_free(v->zones);
	zone_unref(v->local);
	policy_release(v->policy);
	SSL_CTX_free(v->tls);
	SSL_CTX_free(v->tls_client);
	if (!v->cfg_refs || atomic_fetch_sub(v->cfg_refs, 1) == 1) {
		config_free(&v->cfg);
		free(v->cfg_refs);
	}
	free(v);
}

version *version_derive(const version *cur)
{
	version *v = malloc(sizeof *v);
	if (!v)
		return NULL;
	*v = *cur;
	v->zones = NULL;
	if (v->local)
		zone_ref(v->local);
	policy_hold(v->policy);
	if (v->ups)
		upstreams_hold(v->ups);
	if (v->gfwd)
		atomic_fetch_add(&v->gfwd->refs, 1);
	if (v->tls)
		SSL_CTX_up_ref(v->tls);
	if (v->tls_client)
		SSL_CTX_up_ref(v->tls_client);
	atomic_fetch_add(cur->cfg_refs, 1);
	return v;
}

int server_replace_zone_locked(server *s, db_zone *z)
{
	const version *cur = atomic_load(&s->current);
	const db_set *old = cur->zones;
	size_t n = old ? old->nzones : 0;
	db_zone **zones = calloc(n + 1, sizeof *zones);
	version *nv = zones ? version_derive(cur) : NULL;
	if (!nv) {
		free(zones);
		zone_unref(z);
		return -1;
	}
	size_t k = 0;
	bool placed = false;
	for (size_t i = 0; i < n; i++) {
		db_zone *o = old->zones[i];
		if (!placed && o->origin_len == z->origin_len && db_name_eq_len(o->origin, z->origin, z->origin_len)) {
			zones[k++] = z;
			placed = true;
		} else {
			zones[k++] = zone_ref(o);
		}
	}
	if (!placed)
		zones[k++] = z;
	nv->zones = db_set_new(zones, k);
	if (!nv->zones) {
		while (k)
			zone_unref(zones[--k]);
		free(zones);
		version_free(nv);
		return -1;
	}
	server_publish(s, nv);
	atomic_fetch_add(&s->zone_changes, 1);
	return 0;
}

int server_replace_zone(server *s, db_zone *z)
{
	pthread_mutex_lock(&s->change_lock);
	int rc = server_replace_zone_locked(s, z);
	pthread_mutex_unlock(&s->change_lock);
	return rc;
}

int server_remove_zone(server *s, const uint8_t *origin)
{
	pthread_mutex_lock(&s->change_lock);
	const version *cur = atomic_load(&s->current);
	const db_set *old = cur->zones;
	if (!db_set_get(old, origin)) {
		pthread_mutex_unlock(&s->change_lock);
		return 1;
	}
	db_zone **zones = calloc(old->nzones, sizeof *zones);
	version *nv = zones ? version_derive(cur) : NULL;
	if (!nv) {
		free(zones);
		pthread_mutex_unlock(&s->change_lock);
		return -1;
	}
	size_t k = 0;
	size_t len = tern_name_len(origin);
	for (size_t i = 0; i < old->nzones; i++) {
		db_zone *o = old->zones[i];
		if (o->origin_len != len || !db_name_eq_len(o->origin, origin, len))
			zones[k++] = zone_ref(o);
	}
	nv->zones = db_set_new(zones, k);
	if (!nv->zones) {
		while (k)
			zone_unref(zones[--k]);
		free(zones);
		version_free(nv);
		pthread_mutex_unlock(&s->change_lock);
		return -1;
	}
	server_publish(s, nv);
	atomic_fetch_add(&s->zone_changes, 1);
	pthread_mutex_unlock(&s->change_lock);
	return 0;
}
static int cmp_origin(const void *a, const void *b)
{
	return tern_name_cmp((*(db_zone *const *)a)->origin, (*(db_zone *const *)b)->origin);
}

int server_replace_zones(server *s, db_zone **zs, size_t n)
{
	if (!n)
		return 0;
	pthread_mutex_lock(&s->change_lock);
	const version *cur = atomic_load(&s->current);
	const db_set *old = cur->zones;
	size_t nold = old ? old->nzones : 0;
	db_zone **zones = calloc(nold + n, sizeof *zones);
	db_zone **sorted = malloc(n * sizeof *sorted);
	bool *placed = calloc(n, sizeof *placed);
	version *nv = zones && sorted && placed ? version_derive(cur) : NULL;
	if (!nv) {
		free(zones), free(sorted), free(placed);
		for (size_t i = 0; i < n; i++)
			zone_unref(zs[i]);
		pthread_mutex_unlock(&s->change_lock);
		return -1;
	}
	memcpy(sorted, zs, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_origin);
	size_t k = 0;
	for (size_t i = 0; i < nold; i++) {
		db_zone *o = old->zones[i];
		db_zone **hit = bsearch(&o, sorted, n, sizeof *sorted, cmp_origin);
		if (hit && !placed[hit - sorted]) {
			zones[k++] = *hit;
			placed[hit - sorted] = true;
		} else {
			zones[k++] = zone_ref(o);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!placed[i])
			zones[k++] = sorted[i];
	free(sorted), free(placed);
	nv->zones = db_set_new(zones, k);
	if (!nv->zones) {
		while (k)
			zone_unref(zones[--k]);
		free(zones);
		version_free(nv);
		pthread_mutex_unlock(&s->change_lock);
		return -1;
	}
	server_publish(s, nv);
	pthread_mutex_unlock(&s->change_lock);
	return 0;
}

/* Gives v's zones and upstreams their counter slots (stats.h), before v is
 * published: what is already published has its slot, or has slot 0 for
 * good (the table was full), and is not written again. */
static void stats_assign(server *s, version *v)
{
	for (size_t i = 0; v->zones && i < v->zones->nzones; i++) {
		db_zone *z = v->zones->zones[i];
		if (z->stats_slot || atomic_load(&s->names.nzones) >= STATS_ZONES)
			continue;
		unsigned slot = stats_zone_slot(&s->names, z->origin);
		if (slot)
			z->stats_slot = slot;
	}
	for (unsigned i = 0; v->ups && i < v->ups->nsets; i++)
		for (unsigned j = 0; j < v->ups->sets[i].n; j++) {
			upstream *u = &v->ups->sets[i].ups[j];
			if (u->stats_slot || atomic_load(&s->names.nups) >= STATS_UPSTREAMS)
				continue;
			unsigned slot = stats_upstream_slot(&s->names, u->text);
			if (slot)
				u->stats_slot = slot;
		}
}

upstreams *upstreams_new(unsigned nsets)
{
	upstreams *u = calloc(1, sizeof *u);
	if (!u || !(u->sets = calloc(nsets ? nsets : 1, sizeof *u->sets))) {
		free(u);
		return NULL;
	}
	u->nsets = nsets;
	atomic_init(&u->refs, 1);
	return u;
}

void upstreams_hold(upstreams *u)
{
	atomic_fetch_add_explicit(&u->refs, 1, memory_order_relaxed);
}

void upstreams_release(upstreams *u)
{
	if (u && atomic_fetch_sub_explicit(&u->refs, 1, memory_order_acq_rel) == 1) {
		free(u->sets);
		free(u);
	}
}

static bool same_listen(const cfg_listen *a, const cfg_listen *b)
{
	return a->len == b->len && !memcmp(&a->addr, &b->addr, a->len) && a->transport == b->transport;
}

static int *fd_at(int *fds, unsigned wk, unsigned slot)
{
	return &fds[(size_t)wk * SERVER_LISTEN_MAX + slot];
}

static uint16_t port_of(const cfg_listen *l)
{
	return l->addr.ss_family == AF_INET ? ((const struct sockaddr_in *)&l->addr)->sin_port
	                                    : ((const struct sockaddr_in6 *)&l->addr)->sin6_port;
}

/* Does this process listen on l's port (and family) already? */
static bool own_port(const server *s, const cfg_listen *l)
{
	for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++)
		if (s->used[k] && s->addr[k].addr.ss_family == l->addr.ss_family && port_of(&s->addr[k]) == port_of(l))
			return true;
	return false;
}

/* Binds cfg's addresses that have no slot yet into free slots of the
 * tables udp/tcp (copies of s's). Returns 0, or -1 (what it opened is
 * closed again). */
static int bind_new(server *s, const config *cfg, int *udp, int *tcp, bool *used, cfg_listen *addr)
{
	int *ufd = calloc(s->nworkers, sizeof *ufd), *tfd = calloc(s->nworkers, sizeof *tfd);
	int rc = ufd && tfd ? 0 : -1;
	bool opened[SERVER_LISTEN_MAX] = {false};
	for (size_t i = 0; rc == 0 && i < cfg->nlisten; i++) {
		const cfg_listen *l = &cfg->listen[i];
		bool have = false;
		for (unsigned k = 0; k < SERVER_LISTEN_MAX && !have; k++)
			have = used[k] && same_listen(&addr[k], l);
		if (have)
			continue; /* kept, or listed twice */
		int slot = -1; /* a slot never used, else any free one */
		for (int k = 0; k < SERVER_LISTEN_MAX && slot < 0; k++)
			if (!used[k] && !s->ever[k])
				slot = k;
		for (int k = 0; k < SERVER_LISTEN_MAX && slot < 0; k++)
			if (!used[k])
				slot = k;
		if (slot < 0) {
			log_err("listen %s: more than %d listen addresses", l->text, SERVER_LISTEN_MAX);
			rc = -1;
			break;
		}
		if (listener_open(l, s->nworkers, ufd, tfd, !own_port(s, l))) {
			rc = -1;
			break;
		}
		for (unsigned w = 0; w < s->nworkers; w++) {
			*fd_at(udp, w, (unsigned)slot) = ufd[w];
			*fd_at(tcp, w, (unsigned)slot) = tfd[w];
		}
		used[slot] = opened[slot] = true;
		addr[slot] = *l;
		s->transport[slot] = l->transport; /* read by workers after listen_gen changes */
	}
	if (rc)
		for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++)
			for (unsigned w = 0; opened[k] && w < s->nworkers; w++) {
				if (*fd_at(udp, w, k) >= 0)
					close(*fd_at(udp, w, k));
				close(*fd_at(tcp, w, k));
			}
	free(ufd);
	free(tfd);
	return rc;
}

int server_bind(server *s, const config *cfg, unsigned nworkers)
{
	s->nworkers = nworkers;
	s->udp_fds = malloc((size_t)nworkers * SERVER_LISTEN_MAX * sizeof(int));
	s->tcp_fds = malloc((size_t)nworkers * SERVER_LISTEN_MAX * sizeof(int));
	if (!s->udp_fds || !s->tcp_fds)
		return -1;
	for (size_t k = 0; k < (size_t)nworkers * SERVER_LISTEN_MAX; k++)
		s->udp_fds[k] = s->tcp_fds[k] = -1;
	if (bind_new(s, cfg, s->udp_fds, s->tcp_fds, s->used, s->addr))
		return -1;
	for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++)
		s->ever[k] = s->used[k];
	return 0;
}

int server_relisten(server *s, const config *cfg)
{
	size_t n = (size_t)s->nworkers * SERVER_LISTEN_MAX;
	int *udp = malloc(n * sizeof *udp), *tcp = malloc(n * sizeof *tcp);
	if (!udp || !tcp) {
		free(udp);
		free(tcp);
		return -1;
	}
	memcpy(udp, s->udp_fds, n * sizeof *udp);
	memcpy(tcp, s->tcp_fds, n * sizeof *tcp);
	bool used[SERVER_LISTEN_MAX];
	cfg_listen addr[SERVER_LISTEN_MAX];
	memcpy(addr, s->addr, sizeof addr);
	/* the slots whose address stays */
	bool changed = false;
	for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++) {
		used[k] = false;
		for (size_t i = 0; s->used[k] && i < cfg->nlisten && !used[k]; i++)
			used[k] = same_listen(&s->addr[k], &cfg->listen[i]);
		if (s->used[k] && !used[k]) {
			changed = true;
			for (unsigned w = 0; w < s->nworkers; w++)
				*fd_at(udp, w, k) = *fd_at(tcp, w, k) = -1;
		}
	}
	bool before[SERVER_LISTEN_MAX];
	memcpy(before, used, sizeof before);
	if (bind_new(s, cfg, udp, tcp, used, addr)) {
		free(udp);
		free(tcp);
		return -1;
	}
	changed |= memcmp(before, used, sizeof before) != 0;
	if (!changed) {
		free(udp);
		free(tcp);
		return 0;
	}
	/* Hand the new tables to the workers, and wait until each has taken
	 * them (it does so at the top of its loop; a wake makes that soon). */
	int *old_udp = s->udp_fds, *old_tcp = s->tcp_fds;
	s->udp_fds = udp;
	s->tcp_fds = tcp;
	uint64_t gen = atomic_fetch_add(&s->listen_gen, 1) + 1;
	for (unsigned i = 0; i < s->nworkers; i++)
		worker_wake(&s->workers[i]);
	for (unsigned i = 0; i < s->nworkers; i++)
		while (atomic_load(&s->workers[i].listen_seen) < gen) {
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++) {
		if (s->used[k] && !used[k])
			log_info("no longer listening on %s", s->addr[k].text);
		if (used[k] && !(s->used[k] && same_listen(&s->addr[k], &addr[k])))
			log_info("listening on %s (%s)", addr[k].text,
			         addr[k].transport == CFG_TLS     ? "DNS over TLS"
			         : addr[k].transport == CFG_HTTPS ? "DNS over HTTPS"
			                                          : "UDP, TCP");
		for (unsigned w = 0; w < s->nworkers; w++) {
			if (*fd_at(old_tcp, w, k) >= 0 && *fd_at(old_tcp, w, k) != *fd_at(tcp, w, k)) {
				if (*fd_at(old_udp, w, k) >= 0) /* none for TLS */
					close(*fd_at(old_udp, w, k));
				close(*fd_at(old_tcp, w, k));
			}
		}
		s->used[k] = used[k];
		s->ever[k] |= used[k];
	}
	memcpy(s->addr, addr, sizeof addr);
	free(old_udp);
	free(old_tcp);
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double server_uptime(const server *s)
{
	return (double)(mono_ms() - s->started_ms) / 1000.0;
}

int server_start(server *s, version *v)
{
	stats_assign(s, v);
	s->res = v->res;
	atomic_store(&s->nzones, v->zones ? v->zones->nzones : 0);
	s->started_ms = mono_ms();
	atomic_store(&s->current, v);
	atomic_store(&s->epoch, 1);
	atomic_store(&s->stop, false);
	/* each worker's counters on cache lines of their own (stats.h) */
	size_t size = ((size_t)s->nworkers * sizeof *s->workers + 63) / 64 * 64;
	s->workers = aligned_alloc(64, size);
	if (!s->workers)
		return -1;
	memset(s->workers, 0, size);
	unsigned maxconns = v->cfg.tcp_max / s->nworkers;
	if (maxconns < 1)
		maxconns = 1;
	for (unsigned i = 0; i < s->nworkers; i++) {
		worker *w = &s->workers[i];
		w->srv = s;
		w->id = i;
		w->maxconns = maxconns;
		w->conns = calloc(maxconns, sizeof *w->conns);
		w->upqs = v->res || v->gfwd ? calloc(UPQ_MAX, sizeof *w->upqs) : NULL;
		if ((v->res || v->gfwd) && !w->upqs)
			return -1;
		pthread_mutex_init(&w->mail_lock, NULL);
		w->mail_head = NULL;
		w->mail_tail = &w->mail_head;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (!w->conns || w->epfd < 0 || w->wakefd < 0)
			return -1;
		for (unsigned c = 0; c < maxconns; c++)
			w->conns[c].fd = -1;
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)4 << 56};
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev);
		for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++)
			w->udp_fds[k] = w->tcp_fds[k] = -1;
		worker_take_listeners(w);
	}
	for (unsigned i = 0; i < s->nworkers; i++)
		if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]))
			return -1;
	return 0;
}

void server_stats(server *s, stats_snap *out)
{
	memset(out, 0, sizeof *out);
	for (unsigned i = 0; i < s->nworkers; i++)
		stats_add(&out->w, &s->workers[i].stats);
	out->reloads_ok = atomic_load(&s->reloads_ok);
	out->reloads_failed = atomic_load(&s->reloads_failed);
	out->zone_changes = atomic_load(&s->zone_changes);
	out->uptime_s = server_uptime(s);
	out->workers = s->nworkers;
	out->zones = atomic_load(&s->nzones);
	if (s->res) { /* the resolver lives as long as the server */
		cache_stats cs;
		cache_get_stats(s->res->cache, &cs);
		out->have_cache = 1;
		out->cache_entries = cs.entries;
		out->cache_bytes = cs.bytes;
		out->cache_hits = cs.hits;
		out->cache_misses = cs.misses;
		out->cache_evictions = cs.evictions;
		out->cache_inserts = cs.inserts;
		out->waiting = atomic_load(&s->res->waiters);
	}
	if (s->qlog) {
		qlog_stats qs;
		qlog_get_stats(s->qlog, &qs);
		out->have_qlog = 1;
		out->qlog_written = qs.written;
		out->qlog_dropped_full = qs.dropped_full;
		out->qlog_dropped_write = qs.dropped_write;
	}
	if (s->dnstap) {
		dnstap_stats ds;
		dnstap_get_stats(s->dnstap, &ds);
		out->have_dnstap = 1;
		out->dnstap_written = ds.written;
		out->dnstap_dropped = ds.dropped;
	}
}

void server_log_stats(server *s, double uptime_s)
{
	stats_snap *t = aligned_alloc(64, (sizeof *t + 63) / 64 * 64);
	if (!t)
		return;
	server_stats(s, t);
	uint64_t udp = 0, tcp = 0;
	for (unsigned q = 0; q < STATS_QTYPES; q++) {
		udp += t->w.queries[STATS_UDP][q];
		tcp += t->w.queries[STATS_TCP][q];
	}
	log_info("stats: uptime %.0f s, %u worker(s); queries %llu (UDP %llu, TCP %llu), responses %llu, "
	         "forwarded %llu, rate-limited %llu, TCP connections %llu; %zu zone(s)",
	         uptime_s, s->nworkers, (unsigned long long)(udp + tcp), (unsigned long long)udp,
	         (unsigned long long)tcp, (unsigned long long)t->w.responses, (unsigned long long)t->w.forwarded,
	         (unsigned long long)(t->w.rrl_dropped + t->w.rrl_slipped), (unsigned long long)t->w.tcp_accepted,
	         t->zones);
	log_info("stats: responses NOERROR %llu, NXDOMAIN %llu, SERVFAIL %llu, REFUSED %llu; from zone %llu, "
	         "local %llu, cache %llu, upstream %llu, stale %llu; reloads %llu (%llu failed)",
	         (unsigned long long)t->w.rcodes[TERN_R_NOERROR], (unsigned long long)t->w.rcodes[TERN_R_NXDOMAIN],
	         (unsigned long long)t->w.rcodes[TERN_R_SERVFAIL], (unsigned long long)t->w.rcodes[TERN_R_REFUSED],
	         (unsigned long long)t->w.sources[STATS_SRC_ZONE], (unsigned long long)t->w.sources[STATS_SRC_LOCAL],
	         (unsigned long long)t->w.sources[STATS_SRC_CACHE],
	         (unsigned long long)t->w.sources[STATS_SRC_UPSTREAM],
	         (unsigned long long)t->w.sources[STATS_SRC_STALE],
	         (unsigned long long)(t->reloads_ok + t->reloads_failed), (unsigned long long)t->reloads_failed);
	if (t->have_cache)
		log_info("stats: cache %llu entries, %llu bytes, %llu hits, %llu misses, %llu inserts, %llu evictions; "
		         "%u client(s) waiting upstream",
		         (unsigned long long)t->cache_entries, (unsigned long long)t->cache_bytes,
		         (unsigned long long)t->cache_hits, (unsigned long long)t->cache_misses,
		         (unsigned long long)t->cache_inserts, (unsigned long long)t->cache_evictions, t->waiting);
	free(t);
}

/* RPZ feeds (policy.h, rpz_feed.c): the feed zones of v are hidden from
 * answers, and when v holds another version of a feed zone than the one
 * its policy read (a transfer, an UPDATE, a zone reload), the policy is
 * built again from v's zones and replaces v's before v is published: the
 * workers see the new zone and the new policy together, and a query costs
 * what it cost with an RPZ from a file. Should the build fail, the policy
 * read from the last good version keeps serving. Under change_lock (or
 * before the workers start). */
static void version_feeds(version *v)
{
	const pol_config *pc = &v->cfg.policy;
	if (!v->zones || !pol_config_has_feeds(pc))
		return;
	if (pol_config_hide_feeds(pc, v->zones))
		log_err("rpz feeds: out of memory hiding the feed zones");
	if (!v->policy || !policy_feeds_stale(v->policy, v->zones))
		return;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	policy *np = NULL;
	if (policy_build(pc, v->zones, &np) || !np) {
		log_err("rpz feeds: the policy could not be built again; the last good one keeps serving");
		return;
	}
	policy_release(v->policy);
	v->policy = np;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("rpz feeds: policy built again in %ld ms",
	         (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
}

void server_malloc_setup(void)
{
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 256 * 1024); /* a fixed value: never raised */
#endif
}

void server_trim_memory(void)
{
#ifdef __GLIBC__
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	malloc_trim(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("memory given back to the system in %.1f ms",
	          (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
#endif
}

void server_publish(server *s, version *v)
{
	version_feeds(v);
	stats_assign(s, v);
	atomic_store(&s->nzones, v->zones ? v->zones->nzones : 0);
	version *old = atomic_exchange(&s->current, v);
	uint64_t e = atomic_fetch_add(&s->epoch, 1) + 1;
	for (unsigned i = 0; i < s->nworkers; i++) {
		for (;;) {
			uint64_t q = atomic_load(&s->workers[i].quiescent);
			if (q == 0 || q >= e)
				break;
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	}
	version_free(old);
}

int server_note_runtime_zone(server *s, const uint8_t *origin, const char *file)
{
	char *copy = file ? strdup(file) : NULL;
	if (file && !copy)
		return -1;
	pthread_mutex_lock(&s->change_lock);
	size_t i = 0;
	while (i < s->nrt_zones && !tern_name_eq(s->rt_zones[i].origin, origin))
		i++;
	if (i == s->nrt_zones) {
		runtime_zone *nz = realloc(s->rt_zones, (s->nrt_zones + 1) * sizeof *nz);
		if (!nz) {
			pthread_mutex_unlock(&s->change_lock);
			free(copy);
			return -1;
		}
		s->rt_zones = nz;
		memcpy(nz[i].origin, origin, tern_name_len(origin));
		nz[i].file = NULL;
		s->nrt_zones++;
	}
	free(s->rt_zones[i].file);
	s->rt_zones[i].file = copy;
	pthread_mutex_unlock(&s->change_lock);
	return 0;
}

void server_stop(server *s)
{
	atomic_store(&s->stop, true);
	for (unsigned i = 0; i < s->nworkers; i++)
		worker_wake(&s->workers[i]);
	/* all joined first: a running worker may still post to another's
	 * mailbox */
	for (unsigned i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i].thread, NULL);
	for (unsigned i = 0; i < s->nworkers; i++) {
		close(s->workers[i].epfd);
		close(s->workers[i].wakefd);
		worker_cleanup(&s->workers[i]);
		free(s->workers[i].conns);
	}
	for (size_t k = 0; k < (size_t)s->nworkers * SERVER_LISTEN_MAX; k++) {
		if (s->udp_fds[k] >= 0)
			close(s->udp_fds[k]);
		if (s->tcp_fds[k] >= 0)
			close(s->tcp_fds[k]);
	}
	free(s->workers);
	for (size_t i = 0; i < s->nrt_zones; i++)
		free(s->rt_zones[i].file);
	free(s->rt_zones);
	free(s->parent_checks);
	free(s->udp_fds);
	free(s->tcp_fds);
	version_free(atomic_load(&s->current));
}
