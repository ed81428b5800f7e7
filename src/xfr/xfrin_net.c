/* xfrin_net.c: see xfrin_net.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "tern/msg.h"
#include "tern/rr.h"
#include "xfr/xfrin_net.h"

static uint16_t random_id(void)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof id, 0) != sizeof id)
		id = (uint16_t)(time(NULL) ^ getpid());
	return id;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The request: the question, for IXFR our SOA in the authority section
 * (RFC 1995 3), an OPT with an empty EXPIRE option, then the TSIG. */
static int build_request(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *origin, uint16_t qtype,
                         const db_zone *cur, tern_tsig_ctx *t, size_t *len)
{
	tern_msgw m;
	tern_msgw_init(&m, buf, cap, cap - 400, id, 0);
	if (tern_msgw_question(&m, origin, qtype, TERN_C_IN))
		return -1;
	if (qtype == TERN_T_IXFR) {
		uint16_t rdlen;
		const uint8_t *rd = rrset_rdata(cur->soa->rdata, &rdlen);
		if (tern_msgw_rr(&m, TERN_S_AUTHORITY, cur->origin, TERN_T_SOA, TERN_C_IN, cur->soa->ttl, rd, rdlen))
			return -1;
	}
	static const uint8_t expire[4] = {0, TERN_OPT_EXPIRE, 0, 0};
	if (tern_msgw_opt(&m, TERN_EDNS_SIZE, 0, false, expire, sizeof expire))
		return -1;
	int n = tern_msgw_finish(&m, 0);
	if (n < 0)
		return -1;
	*len = (size_t)n;
	if (t && tern_tsig_sign(t, buf, *len, cap, (uint64_t)time(NULL), len))
		return -1;
	return 0;
}

/* Waits for ev on fd until deadline, looking at *cancel (may be NULL)
 * every 100 ms: 0, -ETIMEDOUT, -ECANCELED or -errno. */
static int wait_fd(int fd, short ev, int64_t deadline, const atomic_bool *cancel)
{
	for (;;) {
		if (cancel && atomic_load(cancel))
			return -ECANCELED;
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = ev};
		int r = poll(&p, 1, left > 100 ? 100 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int tcp_connect(const xfr_primary *p, int timeout_ms, const atomic_bool *cancel)
{
	int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&p->addr, p->len) && errno != EINPROGRESS) {
		int e = -errno;
		close(fd);
		return e;
	}
	int r = wait_fd(fd, POLLOUT, now_ms() + timeout_ms, cancel);
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (!r && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
		r = -soerr;
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

/* One stream to a primary: TCP, or TLS over it for a primary given with
 * "tls" (RFC 9103 XoT). */
typedef struct xconn {
	int fd;
	SSL *ssl;
	SSL_CTX *ctx;
} xconn;

static const char *errtext(int e)
{
	return e == -EPIPE ? "the connection was closed" : e == -ETIMEDOUT ? "timed out" : e == -ECANCELED ? "stopped (ternd is stopping)" : e == -EPROTO ? "TLS error" : strerror(-e);
}

/* Opens c to p within timeout_ms: TCP, or TLS with ALPN "dot" (RFC 9103:
 * "dot" selected in the handshake) checking the certificate against
 * p->tls_name and p->tls_ca (or the key against p->pin); never clear text
 * for a TLS primary. 0, or -1 with err. */
static int xconn_open(const xfr_primary *p, int timeout_ms, const atomic_bool *cancel, xconn *c, char *err,
                      size_t errcap)
{
	c->fd = -1;
	c->ssl = NULL;
	c->ctx = NULL;
	if (!p->tls) {
		int fd = tcp_connect(p, timeout_ms, cancel);
		if (fd < 0) {
			snprintf(err, errcap, "%s", errtext(fd));
			return -1;
		}
		c->fd = fd;
		return 0;
	}
	char why[256];
	c->ctx = tls_client_new(p->tls_ca[0] ? p->tls_ca : NULL, why, sizeof why);
	if (c->ctx)
		c->ssl = tls_connect(c->ctx, (const struct sockaddr *)&p->addr, p->len, p->tls_name[0] ? p->tls_name : NULL,
		                     p->has_pin ? &p->pin : NULL, "dot", (unsigned)timeout_ms, why, sizeof why);
	if (!c->ssl) {
		snprintf(err, errcap, "TLS: %s", why);
		SSL_CTX_free(c->ctx);
		c->ctx = NULL;
		ERR_clear_error();
		return -1;
	}
	c->fd = SSL_get_fd(c->ssl);
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK); /* deadlines below */
	return 0;
}

static void xconn_close(xconn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl); /* close_notify if the socket takes it; no wait */
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	if (c->fd >= 0)
		close(c->fd);
	SSL_CTX_free(c->ctx);
	c->fd = -1;
	c->ssl = NULL;
	c->ctx = NULL;
}

/* Reads or writes exactly n bytes before deadline; 0, -ETIMEDOUT, -EPIPE
 * (the peer closed), -EPROTO (TLS failed), or another -errno. */
static int io_all(const xconn *c, void *buf, size_t n, bool rd, int64_t deadline, const atomic_bool *cancel)
{
	uint8_t *p = buf;
	while (n) {
		short ev = rd ? POLLIN : POLLOUT;
		if (c->ssl) { /* a WANT_WRITE is retried with the same bytes, as SSL_write needs */
			ERR_clear_error();
			int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
			int k = rd ? SSL_read(c->ssl, p, chunk) : SSL_write(c->ssl, p, chunk);
			if (k > 0) {
				p += k;
				n -= (size_t)k;
				continue;
			}
			int e = SSL_get_error(c->ssl, k);
			if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
				return -EPIPE;
			if (e == SSL_ERROR_WANT_READ)
				ev = POLLIN;
			else if (e == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
			else
				return -EPROTO;
		} else {
			ssize_t k = rd ? read(c->fd, p, n) : send(c->fd, p, n, MSG_NOSIGNAL);
			if (k > 0) {
				p += k;
				n -= (size_t)k;
				continue;
			}
			if (k == 0)
				return -EPIPE;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
		}
		int r = wait_fd(c->fd, ev, deadline, cancel);
		if (r)
			return r;
	}
	return 0;
}

static int tcp_send(const xconn *c, const uint8_t *msg, size_t len, int timeout_ms, const atomic_bool *cancel)
{
	uint8_t l[2];
	tern_put_u16(l, (uint16_t)len);
	int64_t dl = now_ms() + timeout_ms;
	int r = io_all(c, l, 2, false, dl, cancel);
	return r ? r : io_all(c, (void *)msg, len, false, dl, cancel);
}

/* One framed message; returns its length or -errno. */
static int tcp_recv(const xconn *c, uint8_t *buf, int idle_ms, const atomic_bool *cancel)
{
	uint8_t l[2];
	int r = io_all(c, l, 2, true, now_ms() + idle_ms, cancel);
	if (r)
		return r;
	size_t len = tern_get_u16(l);
	r = io_all(c, buf, len, true, now_ms() + idle_ms, cancel);
	return r ? r : (int)len;
}

/* Checks a response to the SOA query and reads the serial. */
static int soa_answer(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *origin, uint32_t *serial,
                      int64_t *expire, bool *tc, char *err, size_t errcap)
{
	tern_msg_iter it;
	if (tern_msg_iter_init(&it, pkt, len) || it.hdr.id != id || !(it.hdr.flags & TERN_F_QR)) {
		snprintf(err, errcap, "SOA query: a malformed or unrelated answer");
		return -1;
	}
	*tc = it.hdr.flags & TERN_F_TC;
	if (*tc)
		return 0;
	if (TERN_RCODE(it.hdr.flags)) {
		const char *n = tern_rcode_name(TERN_RCODE(it.hdr.flags));
		snprintf(err, errcap, "SOA query: the primary answered %s", n ? n : "an error");
		return -1;
	}
	tern_rr rr;
	int r;
	bool found = false, question = false;
	while ((r = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section == TERN_S_QUESTION)
			question = tern_name_eq(rr.owner, origin) && rr.type == TERN_T_SOA && rr.cls == TERN_C_IN;
		if (rr.section == TERN_S_ANSWER && rr.type == TERN_T_SOA && tern_name_eq(rr.owner, origin) && !found) {
			uint8_t rd[1024];
			size_t n;
			tern_rd c;
			tern_rd_init(&c, pkt, len);
			c.pos = rr.rdata_off;
			if (tern_rdata_unpack(&c, TERN_T_SOA, rr.rdlen, rd, sizeof rd, &n) || n < 22)
				break;
			*serial = tern_get_u32(rd + n - 20);
			found = true;
		}
	}
	if (r < 0 || !question || !found || !(it.hdr.flags & TERN_F_AA)) {
		snprintf(err, errcap, "SOA query: the answer holds no authoritative SOA for the zone");
		return -1;
	}
	*expire = -1;
	tern_edns e;
	if (tern_msg_edns(pkt, len, &e) == 0 && e.present) {
		size_t pos = 0;
		tern_edns_opt o;
		while (tern_edns_next_opt(&e, &pos, &o) == 1)
			if (o.code == TERN_OPT_EXPIRE && o.len == 4)
				*expire = tern_get_u32(o.data);
	}
	return 0;
}

static int verify(tern_tsig_ctx *t, const uint8_t *pkt, size_t len, char *err, size_t errcap)
{
	int r = tern_tsig_verify(t, pkt, len, (uint64_t)time(NULL));
	if (!r)
		return 0;
	snprintf(err, errcap, "SOA query: the answer's TSIG is %s",
	         r == TERN_TSIG_BADKEY ? "BADKEY" : r == TERN_TSIG_BADSIG ? "BADSIG" : r == TERN_TSIG_BADTIME ? "BADTIME" : "missing or malformed");
	return -1;
}

int xfr_soa_query(const xfr_primary *p, const uint8_t *origin, int timeout_ms, const atomic_bool *cancel,
                  uint32_t *serial, int64_t *expire, char *err, size_t errcap)
{
	uint8_t q[1024], a[TERN_MSG_MAX];
	uint16_t id = random_id();
	size_t qlen;
	tern_tsig_ctx t;
	tern_tsig_ctx_init(&t, p->has_key ? &p->key : NULL);
	int rc = -1;
	if (build_request(q, sizeof q, id, origin, TERN_T_SOA, NULL, p->has_key ? &t : NULL, &qlen)) {
		snprintf(err, errcap, "SOA query: cannot build the request");
		goto out;
	}
	bool tc = false, silent = false;
	if (p->tls) { /* RFC 9103: a TLS primary is asked over TLS only */
		rc = 0;
		tc = true;
		goto stream;
	}
	int fd = socket(p->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&p->addr, p->len) || send(fd, q, qlen, 0) != (ssize_t)qlen) {
		snprintf(err, errcap, "SOA query: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	int64_t dl = now_ms() + timeout_ms;
	for (;;) {
		int r = wait_fd(fd, POLLIN, dl, cancel);
		ssize_t n = r ? r : recv(fd, a, sizeof a, 0);
		if (n < 0 && r == -ETIMEDOUT) {
			tc = silent = true; /* a primary may answer over TCP only */
			break;
		}
		if (n < 0) {
			snprintf(err, errcap, "SOA query over UDP: %s", errtext(r ? r : -errno));
			close(fd);
			goto out;
		}
		if ((size_t)n < TERN_HDR_LEN || tern_get_u16(a) != id)
			continue; /* not ours: keep waiting */
		if (p->has_key && !(tern_get_u16(a + 2) & TERN_F_TC) && verify(&t, a, (size_t)n, err, errcap)) {
			close(fd);
			goto out;
		}
		rc = soa_answer(a, (size_t)n, id, origin, serial, expire, &tc, err, errcap);
		break;
	}
	close(fd);
	if (silent)
		rc = 0;
stream:
	if (rc || !tc)
		goto out;
	/* RFC 7766: truncated (or no answer over UDP): the same question over TCP */
	rc = -1;
	tern_tsig_ctx_free(&t);
	tern_tsig_ctx_init(&t, p->has_key ? &p->key : NULL);
	id = random_id();
	if (build_request(q, sizeof q, id, origin, TERN_T_SOA, NULL, p->has_key ? &t : NULL, &qlen))
		goto out;
	const char *how = p->tls ? "SOA query over TLS" : silent ? "no answer over UDP, and over TCP" : "SOA query over TCP";
	xconn c;
	char why[300];
	if (xconn_open(p, timeout_ms, cancel, &c, why, sizeof why)) {
		snprintf(err, errcap, "%s: %s", how, why);
		goto out;
	}
	int r = tcp_send(&c, q, qlen, timeout_ms, cancel);
	int n = r ? r : tcp_recv(&c, a, timeout_ms, cancel);
	xconn_close(&c);
	if (n < 0) {
		snprintf(err, errcap, "%s: %s", how, errtext(n));
		goto out;
	}
	if (p->has_key && verify(&t, a, (size_t)n, err, errcap))
		goto out;
	rc = soa_answer(a, (size_t)n, id, origin, serial, expire, &tc, err, errcap);
out:
	tern_tsig_ctx_free(&t);
	return rc;
}

int xfr_transfer(const xfr_primary *p, const db_zone *cur, bool ixfr, size_t max_bytes, int idle_ms, int total_ms,
                 const atomic_bool *cancel, xfrin *x, char *err, size_t errcap)
{
	int64_t end = now_ms() + total_ms;
	static _Thread_local uint8_t buf[TERN_MSG_MAX + 2];
	uint16_t id = random_id();
	tern_tsig_ctx t;
	tern_tsig_ctx_init(&t, p->has_key ? &p->key : NULL);
	uint16_t qtype = ixfr ? TERN_T_IXFR : TERN_T_AXFR;
	const uint8_t *origin = cur->origin;
	xfrin_init(x, origin, qtype, id, ixfr ? cur->serial : 0, max_bytes, p->has_key ? &t : NULL);
	size_t qlen;
	int rc = XFRIN_ERR;
	if (build_request(buf, 4096, id, origin, qtype, cur, p->has_key ? &t : NULL, &qlen)) {
		snprintf(err, errcap, "cannot build the request");
		goto out;
	}
	xconn c;
	char why[300];
	if (xconn_open(p, idle_ms, cancel, &c, why, sizeof why)) {
		snprintf(err, errcap, "connect: %s", why);
		goto out;
	}
	int r = tcp_send(&c, buf, qlen, idle_ms, cancel);
	if (r) {
		snprintf(err, errcap, "send: %s", errtext(r));
		xconn_close(&c);
		goto out;
	}
	for (;;) {
		int64_t left = end - now_ms();
		if (left <= 0) {
			snprintf(err, errcap, "after %u message(s), %zu bytes: the transfer took longer than %d s",
			         x->messages, x->bytes, total_ms / 1000);
			break;
		}
		int n = tcp_recv(&c, buf, left < idle_ms ? (int)left : idle_ms, cancel);
		if (n < 0) {
			snprintf(err, errcap, "after %u message(s), %zu bytes: %s", x->messages, x->bytes, errtext(n));
			break;
		}
		rc = xfrin_feed(x, buf, (size_t)n, (uint64_t)time(NULL));
		if (rc == XFRIN_ERR)
			snprintf(err, errcap, "%s", x->err);
		if (rc != XFRIN_MORE)
			break;
	}
	xconn_close(&c);
out:
	x->tsig = NULL; /* t lives only here */
	tern_tsig_ctx_free(&t);
	return rc == XFRIN_DONE ? XFRIN_DONE : XFRIN_ERR;
}

/* ---- files ---- */

typedef struct writer {
	FILE *f;
	const db_zone *z;
	char *text;
	size_t cap;
} writer;

static int write_rrset(const db_node *n, const db_rrset *s, void *user)
{
	writer *w = user;
	char owner[TERN_NAME_TEXT_MAX], type[24];
	tern_name_to_text(n->name, owner, sizeof owner);
	tern_type_to_text(s->type, type, sizeof type);
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		p = rd + len;
		if (tern_rdata_to_text(s->type, rd, len, w->text, w->cap) < 0)
			return -1;
		if (fprintf(w->f, "%s\t%" PRIu32 "\tIN\t%s\t%s\n", owner, s->ttl, type, w->text) < 0)
			return -1;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

/* Writes path atomically with fn filling the FILE. */
static int save_atomic(const char *path, int (*fn)(FILE *f, const void *arg), const void *arg, char *err,
                       size_t errcap)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	if (!tmp) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	snprintf(tmp, n, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errcap, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return -1;
	}
	int r = fn(f, arg);
	if (!r && fflush(f))
		r = -1;
	if (!r && fsync(fileno(f)))
		r = -1;
	int e = errno;
	if (fclose(f))
		r = -1;
	/* mkstemp made it 0600; a zone file is readable as any other */
	if (!r && chmod(tmp, 0644) == 0 && rename(tmp, path) == 0) {
		sync_dir(path);
		free(tmp);
		return 0;
	}
	snprintf(err, errcap, "cannot write %s: %s", path, strerror(e ? e : errno));
	unlink(tmp);
	free(tmp);
	return -1;
}

static int zone_text(FILE *f, const void *arg)
{
	const db_zone *z = arg;
	char origin[TERN_NAME_TEXT_MAX];
	tern_name_to_text(z->origin, origin, sizeof origin);
	fprintf(f, "; zone %s, serial %" PRIu32 ", received by zone transfer (ternd rewrites this file)\n", origin,
	        z->serial);
	writer w = {.f = f, .z = z, .cap = 65536 * 4 + 64};
	w.text = malloc(w.cap);
	if (!w.text)
		return -1;
	int r = zone_walk_rrsets(z, write_rrset, &w);
	free(w.text);
	return r;
}

int xfr_zone_save(const db_zone *z, const char *path, char *err, size_t errcap)
{
	return save_atomic(path, zone_text, z, err, errcap);
}

static int state_text(FILE *f, const void *arg)
{
	const xfr_state *st = arg;
	return fprintf(f,
	               "# ternd secondary zone timers (docs/configuration.md); rewritten by ternd\n"
	               "serial %" PRIu32 "\nrefreshed %" PRId64 "\nexpires %" PRId64 "\n",
	               st->serial, st->refreshed, st->expires) < 0
	           ? -1
	           : 0;
}

static char *state_path(const char *zone_file)
{
	size_t n = strlen(zone_file) + 8;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s.state", zone_file);
	return p;
}

int xfr_state_save(const char *zone_file, const xfr_state *st)
{
	char *p = state_path(zone_file);
	char err[256];
	int r = p ? save_atomic(p, state_text, st, err, sizeof err) : -1;
	free(p);
	return r;
}

int xfr_state_load(const char *zone_file, xfr_state *st)
{
	char *p = state_path(zone_file);
	FILE *f = p ? fopen(p, "r") : NULL;
	free(p);
	if (!f)
		return -1;
	char line[256];
	int got = 0;
	memset(st, 0, sizeof *st);
	while (fgets(line, sizeof line, f)) {
		unsigned long long v;
		char key[32];
		if (line[0] == '#' || sscanf(line, "%31s %llu", key, &v) != 2)
			continue;
		if (!strcmp(key, "serial") && v <= UINT32_MAX)
			st->serial = (uint32_t)v, got |= 1;
		else if (!strcmp(key, "refreshed") && v < (1ull << 62))
			st->refreshed = (int64_t)v, got |= 2;
		else if (!strcmp(key, "expires") && v < (1ull << 62))
			st->expires = (int64_t)v, got |= 4;
	}
	fclose(f);
	return got == 7 ? 0 : -1;
}
