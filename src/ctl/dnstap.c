/* dnstap.c: see dnstap.h.
 *
 * Frame Streams (https://farsightsec.github.io/fstrm/): a data frame is a
 * 32-bit big-endian length and the payload; a control frame is an escape
 * (a zero length), its own 32-bit length, a 32-bit control type and
 * fields (a 32-bit field type, CONTENT_TYPE = 1, a 32-bit length, bytes).
 * A file: START(content type), data frames, STOP. A socket: READY(content
 * type) -> ACCEPT <- , START, data frames, STOP, <- FINISH. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/dnstap.h"
#include "server/log.h"

/* ---- protobuf (proto2 wire format) ---- */

/* A writer, or (p NULL) a counter of the bytes it would write. */
typedef struct pb {
	uint8_t *p, *end;
	size_t n;
	bool full;
} pb;

static void pb_put(pb *b, const void *data, size_t n)
{
	b->n += n;
	if (!b->p)
		return;
	if ((size_t)(b->end - b->p) < n) {
		b->full = true;
		b->p = b->end;
		return;
	}
	memcpy(b->p, data, n);
	b->p += n;
}

static void pb_varint(pb *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	while (v >= 0x80) {
		t[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (uint8_t)v;
	pb_put(b, t, n);
}

static void pb_key(pb *b, unsigned field, unsigned wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

static void pb_bytes(pb *b, unsigned field, const void *data, size_t n)
{
	pb_key(b, field, 2);
	pb_varint(b, n);
	pb_put(b, data, n);
}

static void pb_fixed32(pb *b, unsigned field, uint32_t v)
{
	uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	pb_key(b, field, 5);
	pb_put(b, t, 4);
}

/* The Message (dnstap.proto, field numbers as there). */
static void encode_message(pb *b, const dnstap_msg *m)
{
	bool response = m->type == DNSTAP_CLIENT_RESPONSE || m->type == DNSTAP_FORWARDER_RESPONSE;
	bool client = m->type == DNSTAP_CLIENT_QUERY || m->type == DNSTAP_CLIENT_RESPONSE;
	pb_key(b, 1, 0);
	pb_varint(b, (uint64_t)m->type);
	if (m->peer && (m->peer->sa_family == AF_INET || m->peer->sa_family == AF_INET6)) {
		bool v6 = m->peer->sa_family == AF_INET6;
		pb_key(b, 2, 0);
		pb_varint(b, v6 ? 2 : 1); /* SocketFamily INET, INET6 */
		pb_key(b, 3, 0);
		pb_varint(b, m->tcp ? 2 : 1); /* SocketProtocol UDP, TCP */
		const void *addr = v6 ? (const void *)&((const struct sockaddr_in6 *)m->peer)->sin6_addr
		                      : (const void *)&((const struct sockaddr_in *)m->peer)->sin_addr;
		uint16_t port = ntohs(v6 ? ((const struct sockaddr_in6 *)m->peer)->sin6_port
		                         : ((const struct sockaddr_in *)m->peer)->sin_port);
		/* the client asks (query_address); an upstream answers (response_address) */
		pb_bytes(b, client ? 4 : 5, addr, v6 ? 16 : 4);
		pb_key(b, client ? 6 : 7, 0);
		pb_varint(b, port);
	}
	if (m->query_us) {
		pb_key(b, 8, 0);
		pb_varint(b, m->query_us / 1000000);
		pb_fixed32(b, 9, (uint32_t)(m->query_us % 1000000 * 1000));
	}
	if (!response) {
		pb_bytes(b, 10, m->msg, m->len);
		return;
	}
	if (m->response_us) {
		pb_key(b, 12, 0);
		pb_varint(b, m->response_us / 1000000);
		pb_fixed32(b, 13, (uint32_t)(m->response_us % 1000000 * 1000));
	}
	pb_bytes(b, 14, m->msg, m->len);
}

size_t dnstap_encode(uint8_t *out, size_t cap, const dnstap_msg *m)
{
	pb count = {0};
	encode_message(&count, m); /* the Message's length goes before it */
	pb b = {out, out + cap, 0, false};
	if (m->identity)
		pb_bytes(&b, 1, m->identity, strlen(m->identity));
	if (m->version)
		pb_bytes(&b, 2, m->version, strlen(m->version));
	pb_key(&b, 15, 0);
	pb_varint(&b, 1); /* Dnstap.Type MESSAGE */
	pb_key(&b, 14, 2);
	pb_varint(&b, count.n);
	encode_message(&b, m);
	return b.full ? 0 : b.n;
}

/* ---- the rings ---- */

#define SKIP 0xffffffffu /* a ring entry's length: the rest of the ring is unused */

typedef struct ring {
	_Alignas(64) _Atomic uint64_t head; /* bytes written (the worker) */
	uint64_t dropped;
	_Alignas(64) _Atomic uint64_t tail; /* bytes consumed (the writer) */
	uint8_t *buf;
	uint8_t scratch[70000]; /* the worker encodes here first (a TCP message fits) */
} ring;

struct dnstap {
	int fd;
	bool is_socket, connected, failing;
	char *path;
	char *identity;
	unsigned n;
	ring *rings;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	_Atomic uint64_t written, dropped_write;
	long long next_connect_ms;
	uint8_t out[1 << 17];
	size_t len;
	uint64_t pending;
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A control frame of type ctl, with the content type unless ctl is STOP. */
static size_t control(uint8_t *p, uint32_t ctl)
{
	bool ct = ctl != 3 && ctl != 5;
	size_t n = strlen(DNSTAP_CONTENT_TYPE);
	uint32_t clen = 4 + (ct ? 8 + (uint32_t)n : 0);
	be32(p, 0);
	be32(p + 4, clen);
	be32(p + 8, ctl);
	if (ct) {
		be32(p + 12, 1);
		be32(p + 16, (uint32_t)n);
		memcpy(p + 20, DNSTAP_CONTENT_TYPE, n);
	}
	return 8 + clen;
}

static int write_all(int fd, const uint8_t *p, size_t n, int timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && mono_ms() < deadline) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			poll(&pf, 1, 50);
			continue;
		}
		return -1;
	}
	return 0;
}

int dnstap_control_parse(const uint8_t *buf, size_t len, uint32_t *type, bool *ct_ok)
{
	if (len < 12)
		return len >= 4 && get_be32(buf) != 0 ? -1 : 0;
	uint32_t clen = get_be32(buf + 4);
	if (get_be32(buf) != 0 || clen < 4 || clen > 512 - 8)
		return -1;
	if (len < 8 + (size_t)clen)
		return 0;
	*type = get_be32(buf + 8);
	size_t off = 12, end = 8 + (size_t)clen, n = strlen(DNSTAP_CONTENT_TYPE);
	bool any = false, match = false;
	while (off < end) { /* fields: type, length, bytes */
		if (end - off < 8)
			return -1;
		uint32_t ft = get_be32(buf + off), fl = get_be32(buf + off + 4);
		off += 8;
		if (fl > end - off)
			return -1;
		if (ft == 1) { /* CONTENT_TYPE */
			any = true;
			match |= fl == n && !memcmp(buf + off, DNSTAP_CONTENT_TYPE, n);
		}
		off += fl;
	}
	*ct_ok = !any || match;
	return 1;
}

/* Reads one control frame of type want (with our content type, if it
 * names one) from a socket within timeout_ms. */
static int read_control(int fd, uint32_t want, int timeout_ms)
{
	uint8_t buf[512];
	size_t have = 0;
	long long deadline = mono_ms() + timeout_ms;
	while (mono_ms() < deadline) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 50) <= 0)
			continue;
		ssize_t r = read(fd, buf + have, sizeof buf - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		uint32_t type;
		bool ct_ok;
		int rc = dnstap_control_parse(buf, have, &type, &ct_ok);
		if (rc)
			return rc > 0 && type == want && ct_ok ? 0 : -1;
		if (have == sizeof buf)
			return -1;
	}
	return -1;
}

/* The socket: connect, READY -> ACCEPT, START. */
static void connect_socket(dnstap *d)
{
	long long now = mono_ms();
	if (now < d->next_connect_ms)
		return;
	d->next_connect_ms = now + 1000;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", d->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	uint8_t frame[128];
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) ||
	    write_all(fd, frame, control(frame, 4 /* READY */), 1000) || read_control(fd, 1 /* ACCEPT */, 1000) ||
	    write_all(fd, frame, control(frame, 2 /* START */), 1000)) {
		if (!d->failing)
			log_warn("dnstap unix:%s: cannot connect (%s); messages are dropped (and counted) until it can",
			         d->path, strerror(errno));
		d->failing = true;
		if (fd >= 0)
			close(fd);
		return;
	}
	if (d->failing)
		log_info("dnstap unix:%s: connected", d->path);
	d->failing = false;
	d->fd = fd;
	d->connected = true;
}

static void flush_out(dnstap *d)
{
	if (!d->len)
		return;
	if (d->is_socket && !d->connected)
		connect_socket(d);
	if ((d->is_socket && !d->connected) || write_all(d->fd, d->out, d->len, 1000)) {
		if (d->connected || !d->is_socket) {
			if (!d->failing)
				log_err("dnstap %s%s: %s; messages are dropped (and counted) until it can be written again",
				        d->is_socket ? "unix:" : "", d->path, strerror(errno));
			d->failing = true;
		}
		if (d->is_socket && d->connected) { /* the reader is gone: connect again later */
			close(d->fd);
			d->fd = -1;
			d->connected = false;
		}
		atomic_fetch_add(&d->dropped_write, d->pending);
	} else {
		if (d->failing && !d->is_socket)
			log_info("dnstap %s: writing again", d->path);
		if (!d->is_socket)
			d->failing = false;
		atomic_fetch_add(&d->written, d->pending);
	}
	d->len = 0;
	d->pending = 0;
}

dnstap *dnstap_open(const char *spec, unsigned nworkers, const char *identity)
{
	dnstap *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->fd = -1;
	d->is_socket = !strncmp(spec, "unix:", 5);
	d->path = strdup(d->is_socket ? spec + 5 : spec);
	d->identity = identity ? strdup(identity) : NULL;
	d->rings = aligned_alloc(64, ((size_t)nworkers * sizeof *d->rings + 63) / 64 * 64);
	if (!d->path || !d->rings) {
		dnstap_stop(d);
		return NULL;
	}
	memset(d->rings, 0, (size_t)nworkers * sizeof *d->rings);
	for (; d->n < nworkers; d->n++)
		if (!(d->rings[d->n].buf = malloc(DNSTAP_RING))) {
			dnstap_stop(d);
			return NULL;
		}
	if (d->is_socket) {
		if (strlen(d->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			log_err("dnstap unix:%s: path too long", d->path);
			dnstap_stop(d);
			return NULL;
		}
		return d;
	}
	d->fd = open(d->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0640);
	uint8_t frame[128];
	if (d->fd < 0 || write_all(d->fd, frame, control(frame, 2 /* START */), 1000)) {
		log_err("dnstap %s: %s", d->path, strerror(errno));
		dnstap_stop(d);
		return NULL;
	}
	return d;
}

void dnstap_log(dnstap *d, unsigned w, dnstap_msg *m)
{
	ring *r = &d->rings[w];
	m->identity = d->identity;
	m->version = NULL;
	size_t n = dnstap_encode(r->scratch, sizeof r->scratch, m);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t need = (4 + n + 3) & ~(size_t)3, at = (size_t)(head % DNSTAP_RING);
	size_t skip = at + need > DNSTAP_RING ? DNSTAP_RING - at : 0; /* entries never wrap */
	if (!n || head + skip + need - tail > DNSTAP_RING) {
		__atomic_store_n(&r->dropped, r->dropped + 1, __ATOMIC_RELAXED);
		return;
	}
	if (skip) {
		if (skip >= 4) {
			uint32_t s = SKIP;
			memcpy(r->buf + at, &s, 4);
		}
		head += skip;
		at = 0;
	}
	uint32_t len32 = (uint32_t)n;
	memcpy(r->buf + at, &len32, 4);
	memcpy(r->buf + at + 4, r->scratch, n);
	atomic_store_explicit(&r->head, head + need, memory_order_release);
}

static void drain(dnstap *d)
{
	for (unsigned i = 0; i < d->n; i++) {
		ring *r = &d->rings[i];
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
		while (tail < head) {
			size_t at = (size_t)(tail % DNSTAP_RING);
			uint32_t n;
			if (DNSTAP_RING - at < 4) { /* too little room for a length: skipped */
				tail += DNSTAP_RING - at;
				continue;
			}
			memcpy(&n, r->buf + at, 4);
			if (n == SKIP) {
				tail += DNSTAP_RING - at;
				continue;
			}
			if (sizeof d->out - d->len < 4 + (size_t)n)
				flush_out(d);
			be32(d->out + d->len, n); /* a data frame */
			memcpy(d->out + d->len + 4, r->buf + at + 4, n);
			d->len += 4 + (size_t)n;
			d->pending++;
			tail += (4 + n + 3) & ~(uint64_t)3;
		}
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	flush_out(d);
}

static void *dnstap_main(void *arg)
{
	dnstap *d = arg;
	if (d->is_socket)
		connect_socket(d);
	while (!atomic_load(&d->stop)) {
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
		if (d->is_socket && !d->connected)
			connect_socket(d);
		drain(d);
	}
	drain(d);
	return NULL;
}

int dnstap_start(dnstap *d)
{
	if (pthread_create(&d->thread, NULL, dnstap_main, d))
		return -1;
	d->started = true;
	log_info("dnstap: %s%s", d->is_socket ? "unix:" : "", d->path);
	return 0;
}

void dnstap_stop(dnstap *d)
{
	if (!d)
		return;
	if (d->started) {
		atomic_store(&d->stop, true);
		pthread_join(d->thread, NULL);
	}
	if (d->fd >= 0) {
		uint8_t frame[16];
		if (!write_all(d->fd, frame, control(frame, 3 /* STOP */), 1000) && d->is_socket)
			read_control(d->fd, 5 /* FINISH */, 1000);
		close(d->fd);
	}
	for (unsigned i = 0; i < d->n; i++)
		free(d->rings[i].buf);
	free(d->rings);
	free(d->path);
	free(d->identity);
	free(d);
}

void dnstap_get_stats(dnstap *d, dnstap_stats *out)
{
	out->written = atomic_load(&d->written);
	out->dropped = atomic_load(&d->dropped_write);
	for (unsigned i = 0; i < d->n; i++)
		out->dropped += __atomic_load_n(&d->rings[i].dropped, __ATOMIC_RELAXED);
}
