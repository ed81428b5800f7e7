/* server.c: see server.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/listener.h"
#include "server/log.h"
#include "server/worker.h"

void version_free(version *v)
{
	if (!v)
		return;
	upstreams_release(v->ups);
	db_set_free(v->zones);
	zone_unref(v->local);
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
	if (v->ups)
		upstreams_hold(v->ups);
	atomic_fetch_add(cur->cfg_refs, 1);
	return v;
}

int server_replace_zone(server *s, db_zone *z)
{
	pthread_mutex_lock(&s->change_lock);
	const version *cur = atomic_load(&s->current);
	const db_set *old = cur->zones;
	size_t n = old ? old->nzones : 0;
	db_zone **zones = calloc(n + 1, sizeof *zones);
	version *nv = zones ? version_derive(cur) : NULL;
	if (!nv) {
		free(zones);
		zone_unref(z);
		pthread_mutex_unlock(&s->change_lock);
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
		pthread_mutex_unlock(&s->change_lock);
		return -1;
	}
	server_publish(s, nv);
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
	pthread_mutex_unlock(&s->change_lock);
	return 0;
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
	return a->len == b->len && !memcmp(&a->addr, &b->addr, a->len);
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
	}
	if (rc)
		for (unsigned k = 0; k < SERVER_LISTEN_MAX; k++)
			for (unsigned w = 0; opened[k] && w < s->nworkers; w++) {
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
			log_info("listening on %s (UDP, TCP)", addr[k].text);
		for (unsigned w = 0; w < s->nworkers; w++) {
			if (*fd_at(old_udp, w, k) >= 0 && *fd_at(old_udp, w, k) != *fd_at(udp, w, k)) {
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

int server_start(server *s, version *v)
{
	atomic_store(&s->current, v);
	atomic_store(&s->epoch, 1);
	atomic_store(&s->stop, false);
	s->workers = calloc(s->nworkers, sizeof *s->workers);
	if (!s->workers)
		return -1;
	unsigned maxconns = v->cfg.tcp_max / s->nworkers;
	if (maxconns < 1)
		maxconns = 1;
	for (unsigned i = 0; i < s->nworkers; i++) {
		worker *w = &s->workers[i];
		w->srv = s;
		w->id = i;
		w->maxconns = maxconns;
		w->conns = calloc(maxconns, sizeof *w->conns);
		w->upqs = v->res ? calloc(UPQ_MAX, sizeof *w->upqs) : NULL;
		if (v->res && !w->upqs)
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

void server_log_stats(server *s, double uptime_s)
{
	worker_stats t = {0};
	for (unsigned i = 0; i < s->nworkers; i++) {
		const worker_stats *w = &s->workers[i].stats;
		t.udp_queries += atomic_load_explicit(&w->udp_queries, memory_order_relaxed);
		t.tcp_queries += atomic_load_explicit(&w->tcp_queries, memory_order_relaxed);
		t.responses += atomic_load_explicit(&w->responses, memory_order_relaxed);
		t.forwarded += atomic_load_explicit(&w->forwarded, memory_order_relaxed);
		t.rate_limited += atomic_load_explicit(&w->rate_limited, memory_order_relaxed);
		t.tcp_accepted += atomic_load_explicit(&w->tcp_accepted, memory_order_relaxed);
	}
	/* the main thread is the only one that replaces the version */
	const version *v = atomic_load(&s->current);
	log_info("stats: uptime %.0f s, %u worker(s); queries %llu (UDP %llu, TCP %llu), responses %llu, "
	         "forwarded %llu, rate-limited %llu, TCP connections %llu; %zu zone(s)",
	         uptime_s, s->nworkers, (unsigned long long)(t.udp_queries + t.tcp_queries),
	         (unsigned long long)t.udp_queries, (unsigned long long)t.tcp_queries, (unsigned long long)t.responses,
	         (unsigned long long)t.forwarded, (unsigned long long)t.rate_limited,
	         (unsigned long long)t.tcp_accepted, v->cfg.nzones);
	if (v->res) {
		cache_stats cs;
		cache_get_stats(v->res->cache, &cs);
		log_info("stats: cache %zu entries, %zu bytes, %llu hits, %llu misses, %llu inserts, %llu evictions; "
		         "%u client(s) waiting upstream",
		         cs.entries, cs.bytes, (unsigned long long)cs.hits, (unsigned long long)cs.misses,
		         (unsigned long long)cs.inserts, (unsigned long long)cs.evictions,
		         atomic_load(&v->res->waiters));
	}
}

void server_publish(server *s, version *v)
{
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
	free(s->udp_fds);
	free(s->tcp_fds);
	version_free(atomic_load(&s->current));
}
