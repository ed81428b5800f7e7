/* server.c: see server.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"
#include "server/worker.h"

void version_free(version *v)
{
	if (!v)
		return;
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

static int open_socket(const cfg_listen *l, int type)
{
	int fd = socket(l->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one))
		goto fail;
	if (l->addr.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one))
		goto fail;
	if (type == SOCK_DGRAM) {
		/* Room for bursts: the kernel default (~200 KB) drops queries
		 * and answers when a burst meets a busy worker. FORCE passes the
		 * sysctl cap when we may (root); else the capped size is used. */
		int size = 4 << 20;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	}
	if (bind(fd, (const struct sockaddr *)&l->addr, l->len))
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 1024))
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int server_bind(server *s, const config *cfg, unsigned nworkers)
{
	s->nlisten = cfg->nlisten;
	s->nworkers = nworkers;
	s->udp_fds = calloc(nworkers * cfg->nlisten, sizeof(int));
	s->tcp_fds = calloc(nworkers * cfg->nlisten, sizeof(int));
	if (!s->udp_fds || !s->tcp_fds)
		return -1;
	for (size_t k = 0; k < nworkers * cfg->nlisten; k++)
		s->udp_fds[k] = s->tcp_fds[k] = -1;
	for (unsigned w = 0; w < nworkers; w++)
		for (size_t i = 0; i < cfg->nlisten; i++) {
			const cfg_listen *l = &cfg->listen[i];
			int u = open_socket(l, SOCK_DGRAM);
			if (u < 0) {
				log_err("cannot listen on %s (UDP): %s", l->text, strerror(errno));
				return -1;
			}
			s->udp_fds[w * cfg->nlisten + i] = u;
			int t = open_socket(l, SOCK_STREAM);
			if (t < 0) {
				log_err("cannot listen on %s (TCP): %s", l->text, strerror(errno));
				return -1;
			}
			s->tcp_fds[w * cfg->nlisten + i] = t;
		}
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
		w->udp_fds = s->udp_fds + i * s->nlisten;
		w->tcp_fds = s->tcp_fds + i * s->nlisten;
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
		for (size_t l = 0; l < s->nlisten; l++) {
			/* kinds as in worker.c: 1 UDP, 2 TCP listener, 4 wake (bits 56..63) */
			struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)1 << 56 | l};
			epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->udp_fds[l], &ev);
			ev.data.u64 = (uint64_t)2 << 56 | l;
			epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tcp_fds[l], &ev);
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)4 << 56};
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev);
	}
	for (unsigned i = 0; i < s->nworkers; i++)
		if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]))
			return -1;
	return 0;
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
	for (size_t k = 0; k < s->nworkers * s->nlisten; k++) {
		close(s->udp_fds[k]);
		close(s->tcp_fds[k]);
	}
	free(s->workers);
	free(s->udp_fds);
	free(s->tcp_fds);
	version_free(atomic_load(&s->current));
}
