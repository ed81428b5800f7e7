/* notify.c: see notify.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "resolve/forward.h"
#include "server/log.h"
#include "tern/msg.h"
#include "tern/tsig.h"
#include "xfr/notify.h"

#define NOTIFY_TRIES 5
#define NOTIFY_FIRST_WAIT_MS 1000 /* then doubled each try: 1, 2, 4, 8 s */
#define NOTIFY_MSG_MAX 1536       /* question + SOA (<= 530 bytes of RDATA) + TSIG */

typedef struct njob {
	struct njob *next;
	uint8_t origin[TERN_NAME_MAX];
	char zname[TERN_NAME_TEXT_MAX];
	char to[80];                 /* the target, for log lines */
	uint32_t serial, soa_ttl;
	uint16_t soa_len;
	uint8_t soa[TERN_NAME_MAX * 2 + 20];
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool has_key;
	tern_tsig_key key;
	tern_tsig_ctx tsig;          /* of the last try */
	uint16_t id;
	unsigned tries;
	uint64_t next_ms;
} njob;

struct notify_batch {
	njob *head;
};

struct notifier {
	pthread_t thread;
	pthread_mutex_t lock;
	njob *incoming;              /* under lock */
	atomic_bool stop;
	int wakefd;
	njob *pending;               /* the thread's own */
	int fd4, fd6;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void job_free(njob *j)
{
	tern_tsig_ctx_free(&j->tsig);
	free(j);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static void target_text(const struct sockaddr_storage *sa, char *buf, size_t cap)
{
	char host[64] = "?";
	unsigned port = 0;
	if (sa->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		snprintf(buf, cap, "%s:%u", host, port);
	} else {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		snprintf(buf, cap, "[%s]:%u", host, port);
	}
}

/* Sends the next try of j. */
static void job_send(notifier *n, njob *j, uint64_t now)
{
	uint8_t buf[NOTIFY_MSG_MAX];
	j->tries++;
	j->next_ms = now + ((uint64_t)NOTIFY_FIRST_WAIT_MS << (j->tries - 1));
	fwd_random(&j->id, sizeof j->id);
	tern_tsig_ctx_free(&j->tsig);
	tern_tsig_ctx_init(&j->tsig, j->has_key ? &j->key : NULL);
	size_t room = j->has_key ? tern_tsig_sign_size(&j->tsig) : 0;
	tern_msgw m;
	tern_msgw_init(&m, buf, sizeof buf, sizeof buf - room, j->id, (uint16_t)(TERN_OP_NOTIFY << 11 | TERN_F_AA));
	int n_;
	if (tern_msgw_question(&m, j->origin, TERN_T_SOA, TERN_C_IN) ||
	    tern_msgw_rr(&m, TERN_S_ANSWER, j->origin, TERN_T_SOA, TERN_C_IN, j->soa_ttl, j->soa, j->soa_len) ||
	    (n_ = tern_msgw_finish(&m, TERN_R_NOERROR)) < 0)
		return;
	size_t len = (size_t)n_;
	if (j->has_key && tern_tsig_sign(&j->tsig, buf, len, sizeof buf, (uint64_t)time(NULL), &len))
		return;
	int *fd = j->addr.ss_family == AF_INET ? &n->fd4 : &n->fd6;
	if (*fd < 0)
		*fd = socket(j->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0 || sendto(*fd, buf, len, 0, (const struct sockaddr *)&j->addr, j->addrlen) < 0)
		log_debug("zone %s: NOTIFY to %s: %s", j->zname, j->to, strerror(errno));
	else
		log_info("zone %s: NOTIFY serial %u to %s (try %u)", j->zname, j->serial, j->to, j->tries);
}

/* A datagram on fd: the response to a pending NOTIFY ends it. */
static void receive(notifier *n, int fd)
{
	uint8_t buf[4096];
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t r = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return;
		tern_msg_iter it;
		tern_rr q;
		if (tern_msg_iter_init(&it, buf, (size_t)r) || !(it.hdr.flags & TERN_F_QR) ||
		    TERN_OPCODE(it.hdr.flags) != TERN_OP_NOTIFY || tern_msg_next(&it, &q) != 1 ||
		    q.section != TERN_S_QUESTION)
			continue;
		for (njob **pp = &n->pending; *pp; pp = &(*pp)->next) {
			njob *j = *pp;
			if (j->id != it.hdr.id || !same_addr(&j->addr, &from) || !tern_name_eq(q.owner, j->origin))
				continue;
			if (j->has_key) {
				int v = tern_tsig_verify(&j->tsig, buf, (size_t)r, (uint64_t)time(NULL));
				if (v) {
					log_warn("zone %s: NOTIFY response from %s fails TSIG (%d); ignored", j->zname, j->to, v);
					break;
				}
			}
			unsigned rc = TERN_RCODE(it.hdr.flags);
			const char *rn = tern_rcode_name(rc);
			if (rc == TERN_R_NOERROR)
				log_info("zone %s: NOTIFY serial %u to %s acknowledged", j->zname, j->serial, j->to);
			else
				log_warn("zone %s: NOTIFY serial %u to %s answered %s", j->zname, j->serial, j->to,
				         rn ? rn : "?");
			*pp = j->next;
			job_free(j);
			break;
		}
	}
}

static void take_incoming(notifier *n)
{
	pthread_mutex_lock(&n->lock);
	njob *in = n->incoming;
	n->incoming = NULL;
	pthread_mutex_unlock(&n->lock);
	while (in) {
		njob *j = in;
		in = in->next;
		/* a newer NOTIFY of the zone to the same target replaces the old */
		for (njob **pp = &n->pending; *pp;) {
			njob *o = *pp;
			if (same_addr(&o->addr, &j->addr) && tern_name_eq(o->origin, j->origin)) {
				*pp = o->next;
				job_free(o);
			} else {
				pp = &o->next;
			}
		}
		j->next = n->pending;
		n->pending = j;
	}
}

static void *notify_main(void *arg)
{
	notifier *n = arg;
	while (!atomic_load(&n->stop)) {
		uint64_t now = mono_ms();
		int timeout = 1000;
		for (njob **pp = &n->pending; *pp;) {
			njob *j = *pp;
			if (j->next_ms <= now) {
				if (j->tries >= NOTIFY_TRIES) {
					log_warn("zone %s: NOTIFY serial %u to %s: no response after %u tries; given up",
					         j->zname, j->serial, j->to, j->tries);
					*pp = j->next;
					job_free(j);
					continue;
				}
				job_send(n, j, now);
			}
			if (j->next_ms - now < (uint64_t)timeout)
				timeout = (int)(j->next_ms - now);
			pp = &j->next;
		}
		struct pollfd pf[3] = {{n->wakefd, POLLIN, 0}, {n->fd4, POLLIN, 0}, {n->fd6, POLLIN, 0}};
		int r = poll(pf, 3, timeout);
		if (r <= 0)
			continue;
		if (pf[0].revents) {
			uint64_t x;
			ssize_t rr = read(n->wakefd, &x, sizeof x);
			(void)rr;
			take_incoming(n);
		}
		if (pf[1].revents)
			receive(n, n->fd4);
		if (pf[2].revents)
			receive(n, n->fd6);
	}
	return NULL;
}

notifier *notify_start(void)
{
	notifier *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->fd4 = n->fd6 = -1;
	n->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&n->lock, NULL);
	if (n->wakefd < 0 || pthread_create(&n->thread, NULL, notify_main, n)) {
		log_err("cannot start the NOTIFY thread: %s", strerror(errno));
		if (n->wakefd >= 0)
			close(n->wakefd);
		pthread_mutex_destroy(&n->lock);
		free(n);
		return NULL;
	}
	return n;
}

static void free_list(njob *j)
{
	while (j) {
		njob *next = j->next;
		job_free(j);
		j = next;
	}
}

void notify_stop(notifier *n)
{
	if (!n)
		return;
	atomic_store(&n->stop, true);
	uint64_t one = 1;
	ssize_t r = write(n->wakefd, &one, sizeof one);
	(void)r;
	pthread_join(n->thread, NULL);
	free_list(n->pending);
	free_list(n->incoming);
	close(n->wakefd);
	if (n->fd4 >= 0)
		close(n->fd4);
	if (n->fd6 >= 0)
		close(n->fd6);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Jobs for z to every target of cz, prepended to *list. */
static void jobs_for(const config *cfg, const cfg_zone *cz, const db_zone *z, njob **list)
{
	uint16_t len;
	const uint8_t *rd = rrset_rdata(z->soa->rdata, &len);
	if (len > sizeof ((njob *)0)->soa)
		return;
	for (size_t i = 0; i < cz->xfr.nnotify; i++) {
		const xfr_notify_to *t = &cz->xfr.notify[i];
		const tern_tsig_key *key = t->has_key ? tern_tsig_key_find(cfg->keys, cfg->nkeys, t->key) : NULL;
		if (t->has_key && !key)
			continue; /* config_load refuses such a configuration */
		njob *j = calloc(1, sizeof *j);
		if (!j) {
			log_err("out of memory for a NOTIFY");
			return;
		}
		memcpy(j->origin, z->origin, z->origin_len);
		tern_name_to_text(z->origin, j->zname, sizeof j->zname);
		j->serial = z->serial;
		j->soa_ttl = z->soa->ttl;
		j->soa_len = len;
		memcpy(j->soa, rd, len);
		j->addr = t->addr;
		j->addrlen = t->len;
		target_text(&t->addr, j->to, sizeof j->to);
		if (key) {
			j->has_key = true;
			j->key = *key;
		}
		j->next = *list;
		*list = j;
	}
}

notify_batch *notify_collect(const version *cur, const version *next)
{
	njob *list = NULL;
	for (size_t i = 0; i < next->cfg.nzones; i++) {
		const cfg_zone *cz = &next->cfg.zones[i];
		if (!cz->xfr.nnotify)
			continue;
		const db_zone *z = db_set_get(next->zones, cz->origin);
		if (!z || !zone_has_data(z) || !z->soa)
			continue;
		const db_zone *old = cur ? db_set_get(cur->zones, cz->origin) : NULL;
		if (old && zone_has_data(old) && old->serial == z->serial)
			continue;
		jobs_for(&next->cfg, cz, z, &list);
	}
	if (!list)
		return NULL;
	notify_batch *b = malloc(sizeof *b);
	if (!b) {
		free_list(list);
		return NULL;
	}
	b->head = list;
	return b;
}

void notify_submit(notifier *n, notify_batch *b)
{
	if (!b)
		return;
	if (!n) {
		free_list(b->head);
		free(b);
		return;
	}
	njob *last = b->head;
	while (last->next)
		last = last->next;
	pthread_mutex_lock(&n->lock);
	last->next = n->incoming;
	n->incoming = b->head;
	pthread_mutex_unlock(&n->lock);
	free(b);
	uint64_t one = 1;
	ssize_t r = write(n->wakefd, &one, sizeof one);
	(void)r;
}

void notify_zone(notifier *n, const config *cfg, const db_zone *z)
{
	if (!zone_has_data(z) || !z->soa)
		return;
	for (size_t i = 0; i < cfg->nzones; i++) {
		if (!tern_name_eq(cfg->zones[i].origin, z->origin))
			continue;
		njob *list = NULL;
		jobs_for(cfg, &cfg->zones[i], z, &list);
		if (!list)
			return;
		notify_batch *b = malloc(sizeof *b);
		if (!b) {
			free_list(list);
			return;
		}
		b->head = list;
		notify_submit(n, b);
		return;
	}
}
