/* query.c: the query on the wire and the exchange with the server.
 *
 * The query is composed by libtern (tern_msgw: question, then OPT). The
 * exchange follows dig: UDP first, +tries attempts of +timeout seconds each,
 * all with the same ID so that a late reply to an earlier attempt still
 * counts; a reply that comes from another address, carries another ID or
 * another question is ignored and the wait goes on. A reply with TC=1 is
 * retried over TCP (RFC 7766 5) unless +ignore. Over TCP every message is
 * framed by a 2-byte length (RFC 1035 4.2.2). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"

/* The EDNS options of the query, in dig's order: NSID, ECS, COOKIE,
 * EXPIRE, KEEPALIVE, the +ednsopt ones, then PADDING (last, RFC 7830 3,
 * sized once the rest is known). Returns the length or -1 if too long. */
static int edns_options(const struct cli *c, const struct cli_query *q, uint8_t *out, size_t cap)
{
	const struct cli_opts *o = &q->o;
	size_t n = 0;
#define NEED(k)                  \
	do {                     \
		if (cap - n < (k)) \
			return -1; \
	} while (0)
	if (o->nsid) { /* RFC 5001 2.3: an empty NSID option asks for it */
		NEED(4);
		tern_put_u16(out + n, TERN_OPT_NSID);
		tern_put_u16(out + n + 2, 0);
		n += 4;
	}
	if (o->subnet) { /* RFC 7871 6: family, source prefix, scope 0, the prefix's bytes */
		size_t alen = (o->subnet_len + 7u) / 8u;
		NEED(8 + alen);
		tern_put_u16(out + n, 8);
		tern_put_u16(out + n + 2, (uint16_t)(4 + alen));
		tern_put_u16(out + n + 4, o->subnet_family);
		out[n + 6] = o->subnet_len;
		out[n + 7] = 0;
		memcpy(out + n + 8, o->subnet_addr, alen);
		if (alen && o->subnet_len % 8) /* bits past the prefix are zero (RFC 7871 6) */
			out[n + 8 + alen - 1] &= (uint8_t)(0xffu << (8 - o->subnet_len % 8));
		n += 8 + alen;
	}
	if (o->cookie) { /* RFC 7873 4.1: our client cookie, or the cookie given */
		const uint8_t *ck = o->cookie_len ? o->cookie_val : c->client_cookie;
		size_t cl = o->cookie_len ? o->cookie_len : sizeof c->client_cookie;
		NEED(4 + cl);
		tern_put_u16(out + n, TERN_OPT_COOKIE);
		tern_put_u16(out + n + 2, (uint16_t)cl);
		memcpy(out + n + 4, ck, cl);
		n += 4 + cl;
	}
	if (o->expire) { /* RFC 7314 2: empty in a query */
		NEED(4);
		tern_put_u16(out + n, 9);
		tern_put_u16(out + n + 2, 0);
		n += 4;
	}
	if (o->keepalive) { /* RFC 7828 3.1: empty in a query */
		NEED(4);
		tern_put_u16(out + n, 11);
		tern_put_u16(out + n + 2, 0);
		n += 4;
	}
	NEED(o->ednsopt_len);
	memcpy(out + n, o->ednsopt, o->ednsopt_len);
	n += o->ednsopt_len;
#undef NEED
	return (int)n;
}

int cli_query_build(struct cli *c, const struct cli_query *q, uint16_t id)
{
	tern_msgw m;
	const struct cli_opts *o = &q->o;
	uint16_t flags = (uint16_t)((o->opcode & 15u) << 11) | (o->aa ? TERN_F_AA : 0) | (o->tc ? TERN_F_TC : 0) |
	                 (o->rd ? TERN_F_RD : 0) | (o->ra ? TERN_F_RA : 0) | (o->z ? 0x0040 : 0) |
	                 (o->ad ? TERN_F_AD : 0) | (o->cd ? TERN_F_CD : 0);
	uint8_t *pkt = c->qframe + 2;
	int rc = 0;
	tern_msgw_init(&m, pkt, TERN_MSG_MAX, TERN_MSG_MAX, id, flags);
	if (!o->header_only)
		rc = tern_msgw_question(&m, q->qname, q->qtype, q->qclass);
	if (rc == 0 && q->qtype == TERN_T_IXFR && q->ixfr_serial_set) {
		/* RFC 1995 3: the client's SOA in the authority section; dig
		 * writes the root for MNAME and RNAME and zeros for the timers */
		uint8_t soa[22] = {0};
		tern_put_u32(soa + 2, q->ixfr_serial);
		rc = tern_msgw_rr(&m, TERN_S_AUTHORITY, q->qname, TERN_T_SOA, q->qclass, 0, soa, sizeof soa);
	}
	if (rc != 0)
		return rc;
	rc = tern_msgw_finish(&m, 0);
	if (rc < 0)
		return rc;
	size_t len = (size_t)rc;
	/* dig sends EDNS when asked, and also for DO, ECS or a payload size */
	if (o->edns || o->dnssec || o->subnet || o->bufsize_set) {
		/* OPT by hand: version and flags as given (RFC 6891 6.1.3) */
		uint8_t opts[1024];
		int olen = edns_options(c, q, opts, sizeof opts - 4);
		if (olen < 0 || len + 11 + (size_t)olen + 4 + 512 > TERN_MSG_MAX)
			return TERN_ESPACE;
		size_t total = len + 11 + (size_t)olen;
		if (o->padding) { /* RFC 7830: pad the whole message to a multiple of the block */
			size_t with = total + 4;
			size_t pad = (o->padding - with % o->padding) % o->padding;
			tern_put_u16(opts + olen, 12);
			tern_put_u16(opts + olen + 2, (uint16_t)pad);
			memset(opts + olen + 4, 0, pad);
			olen += 4 + (int)pad;
		}
		uint8_t *p = pkt + len;
		uint16_t eflags = (uint16_t)((o->ednsflags & ~0xc000u) | (o->dnssec ? 0x8000u : 0) | (o->coflag ? 0x4000u : 0));
		p[0] = 0;
		tern_put_u16(p + 1, TERN_T_OPT);
		tern_put_u16(p + 3, o->bufsize);
		p[5] = 0;
		p[6] = o->edns_version;
		tern_put_u16(p + 7, eflags);
		tern_put_u16(p + 9, (uint16_t)olen);
		memcpy(p + 11, opts, (size_t)olen);
		len += 11 + (size_t)olen;
		tern_put_u16(pkt + 10, (uint16_t)(tern_get_u16(pkt + 10) + 1));
	}
	/* TSIG (RFC 8945 4.2): the last record of the additional section */
	if ((rc = cli_tsig_sign(c, pkt, len, TERN_MSG_MAX, &len)) != 0)
		return rc;
	c->qlen = len;
	return 0;
}

/* Same ID, QR=1, same opcode and the same question (name compared without
 * case). FORMERR and NOTIMP replies may come without a question. */
bool cli_reply_matches(const struct cli *c, const uint8_t *pkt, size_t len)
{
	tern_msg_iter qi, ri;
	tern_rr qq, rq;
	if (tern_msg_iter_init(&qi, c->qframe + 2, c->qlen) != 0 || tern_msg_iter_init(&ri, pkt, len) != 0)
		return false;
	if (ri.hdr.id != qi.hdr.id || !(ri.hdr.flags & TERN_F_QR) ||
	    TERN_OPCODE(ri.hdr.flags) != TERN_OPCODE(qi.hdr.flags))
		return false;
	if (qi.hdr.count[TERN_S_QUESTION] == 0) /* +header-only */
		return true;
	if (ri.hdr.count[TERN_S_QUESTION] == 0) {
		unsigned rcode = TERN_RCODE(ri.hdr.flags);
		return rcode == TERN_R_FORMERR || rcode == TERN_R_NOTIMP;
	}
	if (ri.hdr.count[TERN_S_QUESTION] != 1)
		return false;
	if (tern_msg_next(&qi, &qq) != 1 || tern_msg_next(&ri, &rq) != 1)
		return false;
	return rq.type == qq.type && rq.cls == qq.cls && tern_name_eq(rq.owner, qq.owner);
}

int cli_reply_check(const struct cli *c, const uint8_t *pkt, size_t len, bool tcp, FILE *msgs)
{
	tern_msg_iter qi, ri;
	tern_rr qq, rq;
	if (tern_msg_iter_init(&qi, c->qframe + 2, c->qlen) != 0 || tern_msg_iter_init(&ri, pkt, len) != 0)
		return CLI_REPLY_SKIP;
	if (ri.hdr.id != qi.hdr.id) {
		fprintf(msgs, ";; %s: ID mismatch: expected ID %u, got %u\n", tcp ? "ERROR" : "Warning",
		        (unsigned)qi.hdr.id, (unsigned)ri.hdr.id);
		return tcp ? CLI_REPLY_GIVE_UP : CLI_REPLY_SKIP;
	}
	if (!(ri.hdr.flags & TERN_F_QR))
		fprintf(msgs, ";; Warning: query response not set\n"); /* and dig takes it */
	if (TERN_OPCODE(ri.hdr.flags) != TERN_OPCODE(qi.hdr.flags))
		return CLI_REPLY_SKIP;
	if (qi.hdr.count[TERN_S_QUESTION] == 0) /* +header-only */
		return CLI_REPLY_TAKE;
	if (ri.hdr.count[TERN_S_QUESTION] == 0) {
		unsigned rcode = TERN_RCODE(ri.hdr.flags);
		return rcode == TERN_R_FORMERR || rcode == TERN_R_NOTIMP ? CLI_REPLY_TAKE : CLI_REPLY_SKIP;
	}
	if (tern_msg_next(&qi, &qq) != 1 || tern_msg_next(&ri, &rq) != 1)
		return CLI_REPLY_SKIP;
	if (rq.type == qq.type && rq.cls == qq.cls && tern_name_eq(rq.owner, qq.owner))
		return CLI_REPLY_TAKE;
	/* dig's words, its doubled ";; " included; the name without its final dot */
	char name[TERN_NAME_TEXT_MAX], type[32], cls[32];
	if (tern_name_to_text(rq.owner, name, sizeof name) < 0)
		name[0] = 0;
	size_t nl = strlen(name);
	if (nl > 1 && name[nl - 1] == '.')
		name[nl - 1] = 0;
	tern_type_to_text(rq.type, type, sizeof type);
	tern_class_to_text(rq.cls, cls, sizeof cls);
	fprintf(msgs, ";; ;; Question section mismatch: got %s/%s/%s\n", name, type, cls);
	return tcp ? CLI_REPLY_GIVE_UP : CLI_REPLY_SKIP;
}

uint64_t cli_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits until fd is ready for events or the deadline passes. Returns 1
 * ready, 0 timed out, -errno on error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = cli_now_ms();
		if (now >= deadline)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static bool same_addr(const struct sockaddr_storage *a, const struct cli_server *s)
{
	if (a->ss_family != s->sa.ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)&s->sa;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)&s->sa;
	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* errno as dig (ISC's result texts) says it. */
const char *cli_errno_text(int e)
{
	switch (e) {
	case ECONNREFUSED: return "connection refused";
	case EHOSTUNREACH: return "host unreachable";
	case ENETUNREACH: return "network unreachable";
	case ECONNRESET: return "connection reset";
	case EADDRNOTAVAIL: return "address not available";
	case EADDRINUSE: return "address in use";
	case EAFNOSUPPORT: return "address family not supported";
	case ETIMEDOUT: return "timed out";
	default: return strerror(e);
	}
}

void cli_comm_error(const struct cli *c, FILE *msgs, const char *what)
{
	fprintf(msgs, ";; communications error to %s#%u: %s\n", c->srv.addr, (unsigned)c->srv.port, what);
}

uint64_t cli_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void cli_set_when(struct cli_reply *r, uint64_t sent_us)
{
	r->usec = cli_now_us() - sent_us;
	r->msec = (unsigned)(r->usec / 1000u);
	clock_gettime(CLOCK_REALTIME, &r->when);
}

/* A socket of type towards the server, bound to the -b source if any.
 * Returns it, or -1 having said why. */
static int open_socket(const struct cli *c, int type, FILE *msgs)
{
	int fd = socket(c->srv.sa.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cli_comm_error(c, msgs, strerror(errno));
		return -1;
	}
	if (c->srclen && bind(fd, (const struct sockaddr *)&c->src, c->srclen) < 0) {
		cli_comm_error(c, msgs, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* UDP: returns 0 with a matching reply, or CLI_EXIT_NOREPLY. The socket
 * is connected to the server, so that an ICMP port unreachable comes back
 * as ECONNREFUSED and ends the try at once (dig: "connection refused"),
 * and datagrams from any other address are dropped by the kernel. */
static int exchange_udp(struct cli *c, const struct cli_query *q, FILE *msgs)
{
	int fd = open_socket(c, SOCK_DGRAM, msgs);
	if (fd < 0)
		return CLI_EXIT_NOREPLY;
	if (connect(fd, (const struct sockaddr *)&c->srv.sa, c->srv.salen) < 0) {
		cli_comm_error(c, msgs, cli_errno_text(errno));
		close(fd);
		return CLI_EXIT_NOREPLY;
	}
	for (unsigned t = 0; t < q->o.tries; t++) {
		uint64_t sent = cli_now_us(), deadline = sent / 1000u + (uint64_t)q->o.timeout * 1000u;
		if (send(fd, c->qframe + 2, c->qlen, 0) < 0) {
			cli_comm_error(c, msgs, cli_errno_text(errno));
			continue;
		}
		for (;;) {
			int w = wait_fd(fd, POLLIN, deadline);
			if (w <= 0) {
				cli_comm_error(c, msgs, w == 0 ? "timed out" : cli_errno_text(-w));
				break;
			}
			struct sockaddr_storage from = {0};
			socklen_t flen = sizeof from;
			ssize_t n = recvfrom(fd, c->reply.pkt, sizeof c->reply.pkt, 0, (struct sockaddr *)&from, &flen);
			if (n < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)) {
				cli_comm_error(c, msgs, cli_errno_text(errno));
				break; /* the try is over: nobody listens there */
			}
			if (n < 0)
				continue;
			if (!same_addr(&from, &c->srv) ||
			    cli_reply_check(c, c->reply.pkt, (size_t)n, false, msgs) != CLI_REPLY_TAKE)
				continue;
			c->reply.len = (size_t)n;
			c->reply.tcp = false;
			c->reply.proto = "UDP";
			cli_set_when(&c->reply, sent);
			close(fd);
			return 0;
		}
	}
	close(fd);
	return CLI_EXIT_NOREPLY;
}

/* Reads exactly n bytes before the deadline. Returns 0, or -1 (error, EOF
 * or timeout; *why says which). */
static int read_full(int fd, uint8_t *buf, size_t n, uint64_t deadline, const char **why)
{
	size_t got = 0;
	while (got < n) {
		int w = wait_fd(fd, POLLIN, deadline);
		if (w <= 0) {
			*why = w == 0 ? "timed out" : cli_errno_text(-w);
			return -1;
		}
		ssize_t k = read(fd, buf + got, n - got);
		if (k == 0) {
			*why = "end of file";
			return -1;
		}
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*why = cli_errno_text(errno);
			return -1;
		}
		got += (size_t)k;
	}
	return 0;
}

/* The query, framed by its length (RFC 1035 4.2.2), on a connected TCP
 * socket; short writes are finished by polling. NULL, or why not. */
static const char *send_frame(struct cli *c, int fd, uint64_t deadline)
{
	tern_put_u16(c->qframe, (uint16_t)c->qlen);
	for (size_t off = 0; off < c->qlen + 2;) {
		ssize_t k = send(fd, c->qframe + off, c->qlen + 2 - off, MSG_NOSIGNAL);
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			int w = wait_fd(fd, POLLOUT, deadline);
			if (w <= 0)
				return w == 0 ? "timed out" : cli_errno_text(-w);
			continue;
		}
		if (k < 0)
			return cli_errno_text(errno);
		off += (size_t)k;
	}
	return NULL;
}

int cli_tcp_send(struct cli *c, FILE *msgs, uint64_t deadline)
{
	const char *why = NULL;
	int fd = open_socket(c, SOCK_STREAM | SOCK_NONBLOCK, msgs);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&c->srv.sa, c->srv.salen) < 0 && errno != EINPROGRESS) {
		why = cli_errno_text(errno);
		goto connect_failed;
	}
	int w = wait_fd(fd, POLLOUT, deadline);
	if (w <= 0) {
		why = w == 0 ? "timed out" : cli_errno_text(-w);
		goto connect_failed;
	}
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		why = cli_errno_text(soerr ? soerr : errno);
		goto connect_failed;
	}
	if ((why = send_frame(c, fd, deadline)) != NULL)
		goto fail;
	c->tcp_connect_failed = false;
	return fd;
fail:
	cli_comm_error(c, msgs, why);
	close(fd);
	return -1;
connect_failed:
	/* dig's words for a connection that never opened, each try */
	fprintf(msgs, ";; Connection to %s#%u(%s) for %s failed: %s.\n%s", c->srv.addr, (unsigned)c->srv.port,
	        c->srv.given, c->qtext, why, c->srv_more ? "" : ";; no servers could be reached\n");
	c->tcp_connect_failed = true;
	close(fd);
	return -1;
}

int cli_tcp_recv(struct cli *c, int fd, uint64_t deadline, const char **why)
{
	uint8_t lenb[2];
	if (read_full(fd, lenb, 2, deadline, why) < 0)
		return -1;
	size_t n = tern_get_u16(lenb);
	if (read_full(fd, c->reply.pkt, n, deadline, why) < 0)
		return -1;
	c->reply.len = n;
	c->reply.tcp = true;
	c->reply.proto = "TCP";
	return 0;
}

/* One TCP attempt. Returns 0 with a reply, 1 if the attempt failed (and
 * may be retried), having said why, or CLI_GAVE_UP (a message with another
 * ID or question: dig says so and stops there). */
static int tcp_attempt(struct cli *c, FILE *msgs, uint64_t deadline, uint64_t sent)
{
	const char *why = NULL;
	int fd = -1;
	bool reused = false;
	/* +keepopen: the connection the last query left open, to this server */
	if (c->keep_fd >= 0) {
		if (c->keep_len == c->srv.salen && memcmp(&c->keep_sa, &c->srv.sa, c->srv.salen) == 0 &&
		    send_frame(c, c->keep_fd, deadline) == NULL) {
			fd = c->keep_fd;
			reused = true;
		} else
			close(c->keep_fd);
		c->keep_fd = -1;
	}
	if (fd < 0 && (fd = cli_tcp_send(c, msgs, deadline)) < 0)
		return 1;
	/* invariant: every frame read so far was skipped without a word */
	while (cli_tcp_recv(c, fd, deadline, &why) == 0) {
		int v = cli_reply_check(c, c->reply.pkt, c->reply.len, true, msgs);
		if (v == CLI_REPLY_TAKE) {
			cli_set_when(&c->reply, sent);
			if (c->keepopen) {
				c->keep_fd = fd;
				memcpy(&c->keep_sa, &c->srv.sa, c->srv.salen);
				c->keep_len = c->srv.salen;
			} else
				close(fd);
			return 0;
		}
		if (v == CLI_REPLY_GIVE_UP) {
			close(fd);
			return CLI_GAVE_UP;
		}
	}
	close(fd);
	if (reused) /* the server closed the connection it had left open: a new one */
		return tcp_attempt(c, msgs, deadline, sent);
	cli_comm_error(c, msgs, why);
	return 1;
}

static int exchange_tcp(struct cli *c, const struct cli_query *q, FILE *msgs)
{
	for (unsigned t = 0; t < q->o.tries; t++) {
		uint64_t sent = cli_now_us(), deadline = sent / 1000u + (uint64_t)q->o.timeout * 1000u;
		int rc = tcp_attempt(c, msgs, deadline, sent);
		if (rc == 0 || rc == CLI_GAVE_UP)
			return rc;
	}
	return CLI_EXIT_NOREPLY;
}

int cli_query_new(struct cli *c, const struct cli_query *q)
{
	uint16_t id;
	if (q->o.qid >= 0)
		id = (uint16_t)q->o.qid;
	else if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
		id = (uint16_t)(cli_now_ms() ^ (uint64_t)getpid());
	c->tcp_connect_failed = false;
	if (q->text[0])
		snprintf(c->qtext, sizeof c->qtext, "%s", q->text);
	else if (tern_name_to_text(q->qname, c->qtext, sizeof c->qtext) < 0)
		c->qtext[0] = 0;
	int rc = cli_query_build(c, q, id);
	if (rc != 0) {
		fprintf(stderr, "tern: cannot build the query: %s\n", tern_strerror(rc));
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int exchange_one(struct cli *c, const struct cli_query *q, FILE *msgs)
{
	int rc;
	if (q->o.transport != CLI_TR_PLAIN)
		return cli_exchange_tls(c, q, msgs);
	/* IXFR without a serial gets one message over TCP; AXFR is in xfr.c */
	if (q->o.tcp || q->qtype == TERN_T_AXFR || q->qtype == TERN_T_IXFR || (q->qtype == TERN_T_ANY && !q->o.tcp_set))
		return exchange_tcp(c, q, msgs);
	rc = exchange_udp(c, q, msgs);
	if (rc != 0 || q->o.ignore_tc || !(tern_get_u16(c->reply.pkt + 2) & TERN_F_TC))
		return rc;
	if (!q->o.short_out && !q->o.json && (q->o.show & CLI_SHOW_COMMENTS))
		fprintf(msgs, ";; Truncated, retrying in TCP mode.\n"); /* a comment to dig */
	return exchange_tcp(c, q, msgs);
}

/* Every @SERVER in turn, as dig: the next when one does not answer (or,
 * with +nofail, answers SERVFAIL). */
int cli_exchange(struct cli *c, const struct cli_query *q, FILE *msgs)
{
	int rc = CLI_EXIT_NOREPLY;
	if (c->nsrv <= 1)
		return exchange_one(c, q, msgs);
	for (unsigned k = 0; k < c->nsrv; k++) {
		c->srv = c->srvs[k];
		c->srv_more = k + 1 < c->nsrv;
		rc = exchange_one(c, q, msgs);
		if (rc == 0 && !q->o.fail && k + 1 < c->nsrv &&
		    cli_rcode(c->reply.pkt, c->reply.len) == TERN_R_SERVFAIL) {
			if (!q->o.short_out && !q->o.json && !c->yaml)
				fprintf(msgs, ";; Got SERVFAIL reply from %s, trying next server\n", c->srv.addr);
			continue;
		}
		if (rc == 0 || rc == CLI_GAVE_UP)
			break;
	}
	c->srv_more = false;
	return rc;
}
