/* qlog.c: see qlog.h. */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/qlog.h"
#include "server/log.h"
#include "server/stats.h"
#include "tern/name.h"
#include "tern/rr.h"
#include "tern/wire.h"

typedef struct ring {
	_Alignas(64) _Atomic uint64_t head; /* written by the worker */
	uint64_t dropped;                   /* the worker's (relaxed) */
	_Alignas(64) _Atomic uint64_t tail; /* written by the writer */
	qlog_entry *e;
} ring;

struct qlog {
	int fd;
	char *path;
	unsigned n;
	ring *rings;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	_Atomic uint64_t written, dropped_write;
	bool failing; /* the last write failed (logged once) */
	bool reopen_failing; /* a rotated file could not be opened again (logged once) */
	long long next_check_ms;
	char buf[1 << 16];
	size_t len;
	time_t ts_secs; /* the second ts holds */
	char ts[40];
	uint8_t last_family, last_addr[16]; /* the client addr is the text of */
	char addr[64];
	uint64_t pending; /* entries in buf */
};

qlog *qlog_open(const char *path, unsigned nworkers)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
	if (fd < 0) {
		log_err("query-log %s: %s", path, strerror(errno));
		return NULL;
	}
	qlog *q = calloc(1, sizeof *q);
	ring *r = q ? aligned_alloc(64, ((size_t)nworkers * sizeof *r + 63) / 64 * 64) : NULL;
	if (!q || !r || !(q->path = strdup(path))) {
		free(r);
		free(q);
		close(fd);
		return NULL;
	}
	memset(r, 0, (size_t)nworkers * sizeof *r);
	q->rings = r;
	q->n = nworkers;
	q->fd = fd;
	for (unsigned i = 0; i < nworkers; i++)
		if (!(r[i].e = calloc(QLOG_RING, sizeof *r[i].e))) {
			q->n = i;
			qlog_stop(q);
			return NULL;
		}
	return q;
}

qlog_entry *qlog_slot(qlog *q, unsigned w)
{
	ring *r = &q->rings[w];
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (head - atomic_load_explicit(&r->tail, memory_order_acquire) >= QLOG_RING) {
		__atomic_store_n(&r->dropped, r->dropped + 1, __ATOMIC_RELAXED);
		return NULL;
	}
	return &r->e[head & (QLOG_RING - 1)];
}

void qlog_commit(qlog *q, unsigned w)
{
	ring *r = &q->rings[w];
	atomic_store_explicit(&r->head, atomic_load_explicit(&r->head, memory_order_relaxed) + 1,
	                      memory_order_release);
}

void qlog_fill(qlog_entry *e, const uint8_t *resp, size_t len, const struct sockaddr *addr)
{
	e->namelen = 0;
	e->qtype = e->qclass = 0;
	if (len > 12 && tern_get_u16(resp + 4) >= 1) { /* the question's name is never compressed */
		size_t off = 12;
		while (off < len && resp[off] && resp[off] < 64 && off - 12 + 1 + resp[off] < 255)
			off += 1 + (size_t)resp[off];
		if (off < len && resp[off] == 0 && off + 5 <= len) {
			e->namelen = (uint8_t)(off - 12 + 1);
			memcpy(e->name, resp + 12, e->namelen);
			e->qtype = tern_get_u16(resp + off + 1);
			e->qclass = tern_get_u16(resp + off + 3);
		}
	}
	e->family = (uint8_t)addr->sa_family;
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)addr;
		memcpy(e->addr, &a->sin_addr, 4);
		e->port = ntohs(a->sin_port);
	} else if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)addr;
		memcpy(e->addr, &a->sin6_addr, 16);
		e->port = ntohs(a->sin6_port);
	}
}

static void flush_buf(qlog *q)
{
	if (!q->len)
		return;
	size_t off = 0;
	while (off < q->len) {
		ssize_t r = write(q->fd, q->buf + off, q->len - off);
		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* full disk, full pipe, anything: these lines are lost */
		if (!q->failing)
			log_err("query-log %s: %s; entries are dropped (and counted) until it can be written again",
			        q->path, r < 0 ? strerror(errno) : "short write");
		q->failing = true;
		atomic_fetch_add(&q->dropped_write, q->pending);
		q->len = 0;
		q->pending = 0;
		return;
	}
	if (q->failing)
		log_info("query-log %s: writing again", q->path);
	q->failing = false;
	atomic_fetch_add(&q->written, q->pending);
	q->len = 0;
	q->pending = 0;
}

static char *put(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static char *put_u(char *p, uint64_t v, int width)
{
	char d[24];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		d[n++] = '0';
	while (n)
		*p++ = d[--n];
	return p;
}

/* One line, written by hand: snprintf and a strftime per line cost the
 * writer more than the whole answer costs a worker. */
static void format(qlog *q, const qlog_entry *e)
{
	if (sizeof q->buf - q->len < TERN_NAME_TEXT_MAX + 256) /* the longest line fits */
		flush_buf(q);
	char name[TERN_NAME_TEXT_MAX], type[32], cls[32], rb[16];
	if (!e->namelen || tern_name_to_text(e->name, name, sizeof name) < 0)
		strcpy(name, "-");
	tern_type_to_text(e->qtype, type, sizeof type);
	tern_class_to_text(e->qclass, cls, sizeof cls);
	if (e->family != q->last_family || memcmp(e->addr, q->last_addr, 16)) { /* clients repeat */
		if (e->family == AF_INET6)
			inet_ntop(AF_INET6, e->addr, q->addr, sizeof q->addr);
		else if (e->family == AF_INET)
			inet_ntop(AF_INET, e->addr, q->addr, sizeof q->addr);
		else
			strcpy(q->addr, "-");
		q->last_family = e->family;
		memcpy(q->last_addr, e->addr, 16);
	}
	time_t secs = (time_t)(e->t_us / 1000000);
	if (secs != q->ts_secs) { /* the date and time to the second, once a second */
		struct tm tm;
		gmtime_r(&secs, &tm);
		strftime(q->ts, sizeof q->ts, "%Y-%m-%dT%H:%M:%S.", &tm);
		q->ts_secs = secs;
	}
	char *p = q->buf + q->len;
	p = put(p, q->ts);
	p = put_u(p, e->t_us % 1000000, 6);
	p = put(p, "Z ");
	p = put(p, q->addr);
	*p++ = '#';
	p = put_u(p, e->port, 0);
	*p++ = ' ';
	p = put(p, name);
	*p++ = ' ';
	p = put(p, cls);
	*p++ = ' ';
	p = put(p, type);
	*p++ = ' ';
	if (e->flags & 0x0100)
		p = put(p, "+rd");
	if (e->flags & 0x0010)
		p = put(p, "+cd");
	if (e->flags & 0x0020)
		p = put(p, "+ad");
	if (!(e->flags & 0x0130))
		*p++ = '-';
	*p++ = ' ';
	p = put(p, stats_transport_name(e->transport));
	*p++ = ' ';
	p = put(p, stats_rcode_name(e->rcode, rb, sizeof rb));
	*p++ = ' ';
	p = put(p, stats_source_name(e->source));
	*p++ = ' ';
	p = put_u(p, e->dur_us, 0);
	*p++ = '\n';
	q->len = (size_t)(p - q->buf);
	q->pending++;
}

static void drain(qlog *q)
{
	for (unsigned i = 0; i < q->n; i++) {
		ring *r = &q->rings[i];
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
		for (; tail != head; tail++) {
			format(q, &r->e[tail & (QLOG_RING - 1)]);
			if ((tail & 255) == 255) /* give slots back as we go */
				atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
		}
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	flush_buf(q);
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Log rotation by rename (logrotate's default): once a second, if the
 * path no longer names the file we write, open it again (what is drained
 * already went to the old file). */
static void check_rotated(qlog *q)
{
	long long now = mono_ms();
	if (now < q->next_check_ms)
		return;
	q->next_check_ms = now + 1000;
	struct stat cur, at;
	if (fstat(q->fd, &cur) || !S_ISREG(cur.st_mode))
		return; /* a pipe, /dev/null...: never rotated */
	if (stat(q->path, &at) == 0 && at.st_dev == cur.st_dev && at.st_ino == cur.st_ino)
		return;
	int fd = open(q->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
	if (fd < 0) {
		if (!q->reopen_failing)
			log_err("query-log %s: moved away, and cannot be opened again: %s; still writing the old file",
			        q->path, strerror(errno));
		q->reopen_failing = true;
		return;
	}
	close(q->fd);
	q->fd = fd;
	q->reopen_failing = false;
	log_info("query-log %s: opened again (rotated)", q->path);
}

static void *qlog_main(void *arg)
{
	qlog *q = arg;
	while (!atomic_load(&q->stop)) {
		struct timespec ts = {0, 20 * 1000000}; /* qlog.h: the drain period */
		nanosleep(&ts, NULL);
		drain(q);
		check_rotated(q);
	}
	drain(q);
	return NULL;
}

int qlog_start(qlog *q)
{
	if (pthread_create(&q->thread, NULL, qlog_main, q))
		return -1;
	q->started = true;
	log_info("query log: %s", q->path);
	return 0;
}

void qlog_stop(qlog *q)
{
	if (!q)
		return;
	if (q->started) {
		atomic_store(&q->stop, true);
		pthread_join(q->thread, NULL);
	}
	for (unsigned i = 0; i < q->n; i++)
		free(q->rings[i].e);
	free(q->rings);
	close(q->fd);
	free(q->path);
	free(q);
}

void qlog_get_stats(qlog *q, qlog_stats *out)
{
	out->written = atomic_load(&q->written);
	out->dropped_write = atomic_load(&q->dropped_write);
	out->dropped_full = 0;
	for (unsigned i = 0; i < q->n; i++)
		out->dropped_full += __atomic_load_n(&q->rings[i].dropped, __ATOMIC_RELAXED);
}
