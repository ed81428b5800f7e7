/* dnstap.c: see dnstap.h.
 *
 * Who does what: the worker copies what it saw (a small raw record and the
 * DNS message) into its ring and goes on; the writer thread takes the
 * records out of the rings, has libprotobuf-c pack each Dnstap message
 * (dnstap_encode) and hands them to libfstrm's fstrm_writer, which frames them
 * (Frame Streams: a 32-bit big-endian length, then the payload) and writes
 * the control frames: a file gets START(content type) ... STOP; a socket
 * gets READY -> ACCEPT <-, START ... STOP, <- FINISH (the bidirectional
 * handshake, done by fstrm_writer_open because our reader/writer has a read
 * method).
 *
 * The reader/writer ("sink") is ours, so that nothing blocks for long:
 * what fstrm writes is appended to a bounded buffer and written without
 * waiting (a reader that stalls leaves it in the buffer); only the
 * handshake's reads, and the last flush at STOP, wait, at most a second
 * each. The writer thread drops a batch of frames whole when the buffer has
 * no room for it, so a frame is never cut (a file stays decodable after a
 * full disk or a full pipe). */
#include <errno.h>
#include <fcntl.h>
#include <fstrm.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/dnstap.h"
#include "dnstap.pb-c.h" /* made by protoc-c from src/ctl/dnstap.proto (Makefile) */
#include "server/log.h"

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the payload (libprotobuf-c) ---- */

/* The two messages of one payload, pointing into m (no copies). */
static void fill(Dnstap__Dnstap *tap, Dnstap__Message *out, const dnstap_msg *m)
{
	bool response = m->type == DNSTAP_CLIENT_RESPONSE || m->type == DNSTAP_FORWARDER_RESPONSE;
	bool client = m->type == DNSTAP_CLIENT_QUERY || m->type == DNSTAP_CLIENT_RESPONSE;
	Dnstap__Message msg = DNSTAP__MESSAGE__INIT;
	msg.type = (Dnstap__Message__Type)m->type;
	if (m->peer && (m->peer->sa_family == AF_INET || m->peer->sa_family == AF_INET6)) {
		bool v6 = m->peer->sa_family == AF_INET6;
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)m->peer;
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)m->peer;
		ProtobufCBinaryData addr = {v6 ? 16 : 4, v6 ? (uint8_t *)&a6->sin6_addr : (uint8_t *)&a4->sin_addr};
		uint32_t port = ntohs(v6 ? a6->sin6_port : a4->sin_port);
		msg.has_socket_family = msg.has_socket_protocol = true;
		msg.socket_family = v6 ? DNSTAP__SOCKET_FAMILY__INET6 : DNSTAP__SOCKET_FAMILY__INET;
		msg.socket_protocol = m->proto ? (Dnstap__SocketProtocol)m->proto : DNSTAP__SOCKET_PROTOCOL__UDP;
		/* the client asks (query_address); an upstream answers (response_address) */
		if (client) {
			msg.has_query_address = msg.has_query_port = true;
			msg.query_address = addr;
			msg.query_port = port;
		} else {
			msg.has_response_address = msg.has_response_port = true;
			msg.response_address = addr;
			msg.response_port = port;
		}
	}
	if (m->query_us) {
		msg.has_query_time_sec = msg.has_query_time_nsec = true;
		msg.query_time_sec = m->query_us / 1000000;
		msg.query_time_nsec = (uint32_t)(m->query_us % 1000000 * 1000);
	}
	ProtobufCBinaryData dns = {m->len, (uint8_t *)m->msg};
	if (!response) {
		msg.has_query_message = true;
		msg.query_message = dns;
	} else {
		if (m->response_us) {
			msg.has_response_time_sec = msg.has_response_time_nsec = true;
			msg.response_time_sec = m->response_us / 1000000;
			msg.response_time_nsec = (uint32_t)(m->response_us % 1000000 * 1000);
		}
		msg.has_response_message = true;
		msg.response_message = dns;
	}
	*out = msg;
	dnstap__dnstap__init(tap);
	tap->type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	tap->message = out;
	if (m->identity) {
		tap->has_identity = true;
		tap->identity = (ProtobufCBinaryData){strlen(m->identity), (uint8_t *)m->identity};
	}
	if (m->version) {
		tap->has_version = true;
		tap->version = (ProtobufCBinaryData){strlen(m->version), (uint8_t *)m->version};
	}
}

size_t dnstap_encode(uint8_t *out, size_t cap, const dnstap_msg *m)
{
	Dnstap__Dnstap tap;
	Dnstap__Message msg;
	fill(&tap, &msg, m);
	if (dnstap__dnstap__get_packed_size(&tap) > cap)
		return 0;
	return dnstap__dnstap__pack(&tap, out);
}

/* ---- the sink: fstrm's reader/writer over a file or a socket ---- */

#define SINK_CAP (256u << 10) /* bytes fstrm has written that the fd has not taken yet */
#define CONTROL_ROOM 1024   /* kept free in the sink for the control frames */
#define WAIT_MS 1000        /* the longest a read, or the last flush, waits */

typedef struct sink {
	int fd;
	bool socket;
	bool broken; /* a socket whose peer is gone (writes fail) */
	int err;     /* the last write error, 0 once writing works again */
	uint8_t *buf;
	size_t off, len; /* buf[off..len): not written yet */
} sink;

/* Writes what the sink holds, waiting at most wait_ms for the fd to take
 * it. 0 when all is written; -1 when some is left (or the fd broke). */
static int sink_flush(sink *s, int wait_ms)
{
	long long deadline = mono_ms() + wait_ms;
	while (s->off < s->len) {
		ssize_t r = write(s->fd, s->buf + s->off, s->len - s->off);
		if (r > 0) {
			s->off += (size_t)r;
			s->err = 0;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			s->err = errno;
			/* a socket's reader is gone; a file (full disk, ...) is tried again later */
			if (s->socket && errno != ENOBUFS && errno != ENOMEM)
				s->broken = true;
			return -1;
		}
		if (wait_ms <= 0 || mono_ms() >= deadline)
			return -1;
		struct pollfd pf = {.fd = s->fd, .events = POLLOUT};
		poll(&pf, 1, 50);
	}
	s->off = s->len = 0;
	return 0;
}

static size_t sink_room(const sink *s)
{
	return SINK_CAP - (s->len - s->off);
}

static fstrm_res sink_open(void *obj)
{
	sink *s = obj;
	return s->fd >= 0 ? fstrm_res_success : fstrm_res_failure;
}

static fstrm_res sink_close(void *obj)
{
	sink *s = obj;
	return sink_flush(s, WAIT_MS) ? fstrm_res_failure : fstrm_res_success;
}

static fstrm_res sink_write(void *obj, const struct iovec *iov, int iovcnt)
{
	sink *s = obj;
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (s->broken || total > sink_room(s))
		return fstrm_res_failure;
	if (SINK_CAP - s->len < total) { /* room only at the front */
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	for (int i = 0; i < iovcnt; i++) {
		memcpy(s->buf + s->len, iov[i].iov_base, iov[i].iov_len);
		s->len += iov[i].iov_len;
	}
	sink_flush(s, 0);
	return s->broken ? fstrm_res_failure : fstrm_res_success;
}

/* fstrm reads control frames (ACCEPT, FINISH) only: exactly n bytes, the
 * frames it wrote before flushed first; at most WAIT_MS for each read. */
static fstrm_res sink_read(void *obj, void *data, size_t n)
{
	sink *s = obj;
	if (sink_flush(s, WAIT_MS))
		return fstrm_res_failure;
	uint8_t *p = data;
	long long deadline = mono_ms() + WAIT_MS;
	while (n) {
		ssize_t r = read(s->fd, p, n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return fstrm_res_stop;
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || mono_ms() >= deadline)
			return fstrm_res_failure;
		struct pollfd pf = {.fd = s->fd, .events = POLLIN};
		poll(&pf, 1, 50);
	}
	return fstrm_res_success;
}

/* An fstrm_writer over s, opened (START written; for a socket, the
 * handshake done). NULL when that failed. */
static struct fstrm_writer *sink_writer(sink *s)
{
	struct fstrm_rdwr *rw = fstrm_rdwr_init(s);
	if (!rw)
		return NULL;
	fstrm_rdwr_set_open(rw, sink_open);
	fstrm_rdwr_set_close(rw, sink_close);
	fstrm_rdwr_set_write(rw, sink_write);
	if (s->socket)
		fstrm_rdwr_set_read(rw, sink_read);
	struct fstrm_writer_options *o = fstrm_writer_options_init();
	struct fstrm_writer *w = NULL;
	if (o && fstrm_writer_options_add_content_type(o, DNSTAP_CONTENT_TYPE, strlen(DNSTAP_CONTENT_TYPE)) ==
	             fstrm_res_success)
		w = fstrm_writer_init(o, &rw);
	fstrm_writer_options_destroy(&o);
	if (!w) {
		fstrm_rdwr_destroy(&rw);
		return NULL;
	}
	if (fstrm_writer_open(w) != fstrm_res_success)
		fstrm_writer_destroy(&w); /* sets w to NULL */
	return w;
}

static int sink_init(sink *s, int fd, bool socket)
{
	*s = (sink){.fd = fd, .socket = socket};
	s->buf = malloc(SINK_CAP);
	return s->buf ? 0 : -1;
}

int dnstap_session_fd(int fd, const uint8_t *payload, size_t len)
{
	sink s;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) || sink_init(&s, fd, true))
		return -1;
	int rc = -1;
	struct fstrm_writer *w = sink_writer(&s);
	if (w && fstrm_writer_write(w, payload, len) == fstrm_res_success)
		rc = 0;
	if (w && fstrm_writer_close(w) != fstrm_res_success) /* STOP, <- FINISH */
		rc = -1;
	fstrm_writer_destroy(&w);
	free(s.buf);
	return rc;
}

/* ---- the rings ---- */

#define SKIP 0xffffffffu /* a ring entry's length: the rest of the ring is unused */

/* A ring entry, after its 32-bit length: what the worker saw, raw (the
 * writer thread packs the protobuf, off the query path), then the DNS
 * message. */
typedef struct rec {
	uint64_t query_us, response_us;
	uint32_t msg_len;
	uint16_t port;
	uint8_t type, proto, family; /* family: 0 (no peer), AF_INET, AF_INET6 */
	uint8_t addr[16];
} rec;

typedef struct ring {
	_Alignas(64) _Atomic uint64_t head; /* bytes written (the worker) */
	uint64_t dropped;
	_Alignas(64) _Atomic uint64_t tail; /* bytes consumed (the writer) */
	uint8_t *buf;
} ring;

struct dnstap {
	bool is_socket, failing;
	bool behind; /* frames were dropped for want of room: the reader does not keep up */
	char *path;
	char *identity;
	unsigned n;
	ring *rings;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	_Atomic uint64_t written, dropped_write;
	long long next_connect_ms;
	sink sk;
	struct fstrm_writer *w; /* NULL while a socket is not connected */
	uint64_t in_sink;       /* frames handed to the sink and not all written yet */
	uint8_t *stage;         /* the writer packs a batch's payloads here */
	size_t staged;
};

#define STAGE_CAP (256u << 10)

/* The socket: connect, then fstrm's READY -> ACCEPT, START. */
static void connect_socket(dnstap *d)
{
	long long now = mono_ms();
	if (now < d->next_connect_ms)
		return;
	d->next_connect_ms = now + 1000;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", d->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int err = 0;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
		err = errno;
	if (!err) {
		d->sk.fd = fd;
		d->sk.broken = false;
		d->sk.off = d->sk.len = 0;
		if (!(d->w = sink_writer(&d->sk)))
			err = EPROTO;
	}
	if (err) {
		if (!d->failing)
			log_warn("dnstap unix:%s: cannot connect (%s); messages are dropped (and counted) until it can",
			         d->path, err == EPROTO ? "no Frame Streams handshake for " DNSTAP_CONTENT_TYPE : strerror(err));
		d->failing = true;
		if (fd >= 0)
			close(fd);
		d->sk.fd = -1;
		return;
	}
	if (d->failing)
		log_info("dnstap unix:%s: connected", d->path);
	d->failing = false;
}

/* A socket's reader went away: what the sink held is lost; connect again
 * later. */
static void disconnect(dnstap *d)
{
	if (!d->failing)
		log_err("dnstap unix:%s: %s; messages are dropped (and counted) until it can connect again", d->path,
		        strerror(d->sk.err ? d->sk.err : EPIPE));
	d->failing = true;
	d->sk.broken = true; /* fstrm's STOP on destroy fails at once */
	fstrm_writer_destroy(&d->w);
	close(d->sk.fd);
	d->sk.fd = -1;
	d->sk.off = d->sk.len = 0;
	atomic_fetch_add(&d->dropped_write, d->in_sink);
	d->in_sink = 0;
	d->behind = false;
}

/* After the sink was written to: frames are counted written once all its
 * bytes are out; a file's trouble is logged once. */
static void account(dnstap *d)
{
	if (d->is_socket && d->sk.broken) {
		disconnect(d);
		return;
	}
	if (d->sk.off == d->sk.len) {
		atomic_fetch_add(&d->written, d->in_sink);
		d->in_sink = 0;
		if (d->behind)
			log_info("dnstap %s%s: the reader keeps up again", d->is_socket ? "unix:" : "", d->path);
		d->behind = false;
	}
	if (d->is_socket)
		return;
	if (d->sk.err && !d->failing) {
		log_err("dnstap %s: %s; messages are dropped (and counted) while it cannot be written", d->path,
		        strerror(d->sk.err));
		d->failing = true;
	} else if (!d->sk.err && d->failing) {
		log_info("dnstap %s: writing again", d->path);
		d->failing = false;
	}
}

#define BATCH 128 /* frames per fstrm_writer_writev (its fast path takes 128) */

/* Hands k payloads to fstrm, whole or (no room, no writer) not at all. */
static void write_batch(dnstap *d, struct iovec *iov, unsigned k)
{
	if (!k)
		return;
	size_t bytes = 0;
	for (unsigned i = 0; i < k; i++)
		bytes += 4 + iov[i].iov_len;
	if (d->w && sink_room(&d->sk) < bytes + CONTROL_ROOM)
		sink_flush(&d->sk, 0);
	if (!d->w || sink_room(&d->sk) < bytes + CONTROL_ROOM) {
		if (d->w && !d->behind && !d->sk.err)
			log_warn("dnstap %s%s: the reader does not keep up; messages are dropped (and counted) until it does",
			         d->is_socket ? "unix:" : "", d->path);
		if (d->w)
			d->behind = true;
		atomic_fetch_add(&d->dropped_write, k);
		return;
	}
	if (fstrm_writer_writev(d->w, iov, (int)k) != fstrm_res_success && !d->sk.broken) {
		atomic_fetch_add(&d->dropped_write, k);
		return;
	}
	d->in_sink += k;
	account(d);
}

/* One record packed into the stage; 0 when the stage has no room for it. */
static size_t pack_rec(dnstap *d, const rec *e, const uint8_t *msg)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(e->port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(e->port)};
	memcpy(&a6.sin6_addr, e->addr, 16);
	memcpy(&a4.sin_addr, e->addr, 4);
	dnstap_msg m = {.type = (enum dnstap_type)e->type,
	                .proto = (enum dnstap_proto)e->proto,
	                .peer = e->family == AF_INET6 ? (const struct sockaddr *)&a6
	                        : e->family == AF_INET ? (const struct sockaddr *)&a4
	                                               : NULL,
	                .query_us = e->query_us,
	                .response_us = e->response_us,
	                .msg = msg,
	                .len = e->msg_len,
	                .identity = d->identity};
	return dnstap_encode(d->stage + d->staged, STAGE_CAP - d->staged, &m);
}

static void drain(dnstap *d)
{
	struct iovec iov[BATCH];
	for (unsigned i = 0; i < d->n; i++) {
		ring *r = &d->rings[i];
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
		unsigned k = 0;
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
			rec e;
			memcpy(&e, r->buf + at + 4, sizeof e);
			size_t len = pack_rec(d, &e, r->buf + at + 4 + sizeof e);
			if (!len && k) { /* the stage is full: write what it holds first */
				write_batch(d, iov, k);
				k = 0;
				d->staged = 0;
				len = pack_rec(d, &e, r->buf + at + 4 + sizeof e);
			}
			if (len) {
				iov[k++] = (struct iovec){d->stage + d->staged, len};
				d->staged += len;
			} else {
				atomic_fetch_add(&d->dropped_write, 1); /* cannot happen: a message is < 64 KiB */
			}
			tail += (4 + n + 3) & ~(uint64_t)3;
			if (k == BATCH) {
				write_batch(d, iov, k);
				k = 0;
				d->staged = 0;
			}
		}
		write_batch(d, iov, k);
		d->staged = 0;
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	if (d->w) {
		sink_flush(&d->sk, 0);
		account(d);
	}
}

static void *dnstap_main(void *arg)
{
	dnstap *d = arg;
	while (!atomic_load(&d->stop)) {
		if (d->is_socket && !d->w)
			connect_socket(d);
		drain(d);
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	drain(d);
	return NULL;
}

dnstap *dnstap_open(const char *spec, unsigned nworkers, const char *identity)
{
	dnstap *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->is_socket = !strncmp(spec, "unix:", 5);
	d->path = strdup(d->is_socket ? spec + 5 : spec);
	d->identity = identity ? strdup(identity) : NULL;
	d->rings = aligned_alloc(64, ((size_t)nworkers * sizeof *d->rings + 63) / 64 * 64);
	d->stage = malloc(STAGE_CAP);
	if (sink_init(&d->sk, -1, d->is_socket) || !d->path || !d->rings || !d->stage) {
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
	d->sk.fd = open(d->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0640);
	if (d->sk.fd < 0 || !(d->w = sink_writer(&d->sk)) || d->sk.len) { /* START written */
		log_err("dnstap %s: %s", d->path, d->sk.fd < 0 ? strerror(errno) : "cannot write the stream's start");
		dnstap_stop(d);
		return NULL;
	}
	return d;
}

void dnstap_log(dnstap *d, unsigned w, dnstap_msg *m)
{
	ring *r = &d->rings[w];
	rec e = {.query_us = m->query_us, .response_us = m->response_us, .msg_len = (uint32_t)m->len,
	         .type = (uint8_t)m->type, .proto = (uint8_t)m->proto};
	if (m->peer && m->peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)m->peer;
		e.family = AF_INET6;
		e.port = ntohs(a->sin6_port);
		memcpy(e.addr, &a->sin6_addr, 16);
	} else if (m->peer && m->peer->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)m->peer;
		e.family = AF_INET;
		e.port = ntohs(a->sin_port);
		memcpy(e.addr, &a->sin_addr, 4);
	}
	size_t n = sizeof e + m->len;
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t need = (4 + n + 3) & ~(size_t)3, at = (size_t)(head % DNSTAP_RING);
	size_t skip = at + need > DNSTAP_RING ? DNSTAP_RING - at : 0; /* entries never wrap */
	if (m->len > 65535 || head + skip + need - tail > DNSTAP_RING) {
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
	memcpy(r->buf + at + 4, &e, sizeof e);
	memcpy(r->buf + at + 4 + sizeof e, m->msg, m->len);
	atomic_store_explicit(&r->head, head + need, memory_order_release);
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
	if (d->w) { /* STOP (and a socket's FINISH), each step waiting at most WAIT_MS */
		fstrm_writer_destroy(&d->w);
		atomic_fetch_add(d->sk.off == d->sk.len ? &d->written : &d->dropped_write, d->in_sink);
	}
	if (d->sk.fd >= 0)
		close(d->sk.fd);
	free(d->sk.buf);
	free(d->stage);
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
