/* tlsx.c: the query over TLS (+tls: DNS over TLS, RFC 7858) or HTTPS
 * (+https: DNS over HTTPS, RFC 8484, POST unless +https-get), with the TLS
 * pieces of src/tls (OpenSSL, nghttp2), as BIND 9.18's dig does it.
 *
 * The peer is checked as kdig checks it: with +tls-pin=B64 only the key's
 * pin (RFC 7858 4.2); with +tls-ca[=FILE] or +tls-hostname=NAME the chain
 * (against FILE or the system's store) and the name (NAME, else the server
 * as given: an address is matched against the certificate's IP SANs, RFC
 * 8310 8.1); with none of them nothing (opportunistic, RFC 7858 4.1, dig's
 * default). A check that fails is said in dig's words (";; TLS peer
 * certificate verification for ADDR#PORT failed: WHY") and ends the query
 * with status 9 (dig 9.18 exits 0 there, as if an answer had come).
 *
 * One connection per try (+tries), each within +timeout seconds for the
 * connect, the handshake and the exchange. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client.h"
#include "tls/client.h"
#include "tls/tls.h"

/* Waits for events on fd until deadline (ms, cli_now_ms). 1 ready, 0 not. */
static int wait_for(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = cli_now_ms();
		if (now >= deadline)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 1;
		if (n == 0 || errno != EINTR)
			return 0;
	}
}

enum { TRY_OK, TRY_AGAIN, TRY_STOP };

/* Connects and shakes hands. Returns the SSL (its fd is SSL_get_fd), or
 * NULL with *how TRY_AGAIN (said why; another try may do) or TRY_STOP
 * (dig says no more). */
static SSL *open_tls(struct cli *c, const struct cli_query *q, SSL_CTX *ctx, const tls_pin *pin, bool verify,
                     uint64_t deadline, FILE *msgs, int *how)
{
	const struct cli_opts *o = &q->o;
	const char *why = NULL;
	char err[512];
	*how = TRY_AGAIN;
	int fd = socket(c->srv.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cli_comm_error(c, msgs, cli_errno_text(errno));
		return NULL;
	}
	if (c->srclen && bind(fd, (const struct sockaddr *)&c->src, c->srclen) < 0) {
		cli_comm_error(c, msgs, cli_errno_text(errno));
		close(fd);
		return NULL;
	}
	if (connect(fd, (const struct sockaddr *)&c->srv.sa, c->srv.salen) < 0 && errno != EINPROGRESS)
		why = cli_errno_text(errno);
	else if (!wait_for(fd, POLLOUT, deadline))
		why = "timed out";
	else {
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr)
			why = cli_errno_text(soerr ? soerr : errno);
	}
	if (why) { /* dig's words for a connection that never opened, as over TCP */
		fprintf(msgs, ";; Connection to %s#%u(%s) for %s failed: %s.\n%s", c->srv.addr, (unsigned)c->srv.port,
		        c->srv.given, c->qtext, why, c->srv_more ? "" : ";; no servers could be reached\n");
		c->tcp_connect_failed = true;
		close(fd);
		return NULL;
	}
	const char *name = o->tls_hostname[0] ? o->tls_hostname : c->srv.given;
	SSL *ssl = tls_client_ssl(ctx, fd, name, pin, o->transport == CLI_TR_HTTPS ? "h2" : "dot");
	if (!ssl) {
		cli_comm_error(c, msgs, "TLS set-up failed");
		close(fd);
		return NULL;
	}
	if (!verify && !pin)
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL); /* opportunistic (RFC 7858 4.1), dig's default */
	for (;;) {
		ERR_clear_error();
		int r = SSL_do_handshake(ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(ssl, r);
		short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
		if (ev && wait_for(fd, ev, deadline))
			continue;
		long vr = SSL_get_verify_result(ssl);
		if (ev)
			cli_comm_error(c, msgs, "timed out");
		else if (verify && vr != X509_V_OK) {
			fprintf(msgs, ";; TLS peer certificate verification for %s#%u failed: %s\n", c->srv.addr,
			        (unsigned)c->srv.port, X509_verify_cert_error_string(vr));
			*how = TRY_STOP;
		} else {
			tls_error_text(ssl, r, err, sizeof err);
			cli_comm_error(c, msgs, err);
		}
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	if (tls_check_pin(ssl, pin, err, sizeof err) != 0) {
		fprintf(msgs, ";; TLS peer certificate verification for %s#%u failed: %s\n", c->srv.addr,
		        (unsigned)c->srv.port, err);
		*how = TRY_STOP;
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK); /* src/tls/client.c reads blocking, with poll */
	return ssl;
}

/* One try: 0 with the reply, TRY_AGAIN or TRY_STOP, or CLI_GAVE_UP. */
static int try_once(struct cli *c, const struct cli_query *q, SSL_CTX *ctx, const tls_pin *pin, bool verify,
                    FILE *msgs)
{
	const struct cli_opts *o = &q->o;
	uint64_t sent = cli_now_us(), deadline = sent / 1000u + (uint64_t)o->timeout * 1000u;
	int how;
	SSL *ssl = open_tls(c, q, ctx, pin, verify, deadline, msgs, &how);
	if (!ssl)
		return how;
	uint64_t now = cli_now_ms();
	unsigned left = now < deadline ? (unsigned)(deadline - now) : 1;
	char err[512];
	long n;
	if (o->transport == CLI_TR_HTTPS) {
		/* :authority is the name (RFC 8484 4.1: an https URI), bracketed if IPv6 */
		char authority[300];
		const char *name = o->tls_hostname[0] ? o->tls_hostname : c->srv.given;
		snprintf(authority, sizeof authority, strchr(name, ':') ? "[%s]" : "%s", name);
		tls_doh *d = tls_doh_new(ssl, authority, o->https_path[0] ? o->https_path : "/dns-query");
		int status = 0;
		n = d ? tls_doh_exchange(d, o->https_get, c->qframe + 2, c->qlen, c->reply.pkt, sizeof c->reply.pkt,
		                         &status, left, err, sizeof err)
		      : -1;
		if (n < 0) /* dig's word for an HTTP error status or a broken session */
			snprintf(err, sizeof err, "%s", strstr(err, "timed out") ? "timed out" : "failure");
		tls_doh_free(d);
	} else {
		n = tls_dot_exchange(ssl, c->qframe + 2, c->qlen, c->reply.pkt, sizeof c->reply.pkt, left, err, sizeof err);
		if (n < 0)
			snprintf(err, sizeof err, "%s", strstr(err, "timed out") ? "timed out" : "end of file");
	}
	int fd = SSL_get_fd(ssl);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	if (n < 0) {
		cli_comm_error(c, msgs, err);
		return TRY_AGAIN;
	}
	int v = cli_reply_check(c, c->reply.pkt, (size_t)n, true, msgs);
	if (v == CLI_REPLY_GIVE_UP)
		return CLI_GAVE_UP;
	if (v != CLI_REPLY_TAKE)
		return TRY_AGAIN;
	c->reply.len = (size_t)n;
	c->reply.tcp = true;
	c->reply.proto = o->transport == CLI_TR_TLS ? "TLS" : o->https_get ? "HTTPS-GET" : "HTTPS";
	cli_set_when(&c->reply, sent);
	return 0;
}

int cli_exchange_tls(struct cli *c, const struct cli_query *q, FILE *msgs)
{
	const struct cli_opts *o = &q->o;
	tls_pin pin;
	if (o->tls_pin[0] && tls_pin_parse(o->tls_pin, &pin) != 0) {
		fprintf(stderr, "tern: invalid +tls-pin '%s' (the base64 of a SHA-256 digest)\n", o->tls_pin);
		return CLI_EXIT_USAGE;
	}
	bool verify = o->tls_ca_set || o->tls_hostname[0];
	char err[600];
	c->tcp_connect_failed = false;
	SSL_CTX *ctx = tls_client_new(o->tls_ca[0] ? o->tls_ca : NULL, err, sizeof err);
	if (!ctx) { /* dig's line (and exit 0); the details, and status 9 */
		fprintf(msgs, ";; TLS context cannot be created\n");
		fflush(msgs);
		fprintf(stderr, "tern: %s\n", err);
		c->tcp_connect_failed = true;
		return CLI_EXIT_NOREPLY;
	}
	int rc = CLI_EXIT_NOREPLY;
	for (unsigned t = 0; t < o->tries; t++) {
		int r = try_once(c, q, ctx, o->tls_pin[0] ? &pin : NULL, verify, msgs);
		if (r == 0 || r == CLI_GAVE_UP) {
			rc = r;
			break;
		}
		if (r == TRY_STOP) {
			c->tcp_connect_failed = true; /* dig says nothing more */
			break;
		}
	}
	SSL_CTX_free(ctx);
	return rc;
}

/* ---- zone transfers over TLS (XoT, RFC 9103): one connection, many messages ---- */

struct cli_tls_conn {
	SSL_CTX *ctx;
	SSL *ssl;
};

void cli_tls_close(struct cli_tls_conn *t)
{
	if (!t)
		return;
	if (t->ssl) {
		int fd = SSL_get_fd(t->ssl);
		SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
		close(fd);
	}
	SSL_CTX_free(t->ctx);
	free(t);
}

/* Writes all of p[0..n) (the socket is blocking). 0 or -1. */
static int write_all(SSL *ssl, const uint8_t *p, size_t n)
{
	while (n) {
		ERR_clear_error();
		int r = SSL_write(ssl, p, (int)n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

struct cli_tls_conn *cli_tls_xfr_open(struct cli *c, const struct cli_query *q, FILE *msgs, uint64_t deadline)
{
	const struct cli_opts *o = &q->o;
	tls_pin pin;
	char err[600];
	if (o->tls_pin[0] && tls_pin_parse(o->tls_pin, &pin) != 0)
		return NULL; /* checked when the option was read */
	struct cli_tls_conn *t = calloc(1, sizeof *t);
	if (!t || !(t->ctx = tls_client_new(o->tls_ca[0] ? o->tls_ca : NULL, err, sizeof err))) {
		fprintf(msgs, ";; TLS context cannot be created\n");
		fflush(msgs);
		fprintf(stderr, "tern: %s\n", t ? err : "out of memory");
		c->tcp_connect_failed = c->tls_check_failed = true;
		free(t);
		return NULL;
	}
	int how;
	t->ssl = open_tls(c, q, t->ctx, o->tls_pin[0] ? &pin : NULL, o->tls_ca_set || o->tls_hostname[0], deadline,
	                  msgs, &how);
	if (!t->ssl) {
		if (how == TRY_STOP)
			c->tcp_connect_failed = c->tls_check_failed = true; /* dig says nothing more */
		cli_tls_close(t);
		return NULL;
	}
	tern_put_u16(c->qframe, (uint16_t)c->qlen); /* RFC 7858 3.3: framed as over TCP */
	if (write_all(t->ssl, c->qframe, c->qlen + 2) != 0) {
		cli_comm_error(c, msgs, "end of file");
		cli_tls_close(t);
		return NULL;
	}
	return t;
}

/* Reads exactly n bytes before the deadline: 0, or -1 with *why. */
static int read_exact(SSL *ssl, uint8_t *p, size_t n, uint64_t deadline, const char **why)
{
	while (n) {
		if (SSL_pending(ssl) <= 0 && !wait_for(SSL_get_fd(ssl), POLLIN, deadline)) {
			*why = "timed out";
			return -1;
		}
		ERR_clear_error();
		int r = SSL_read(ssl, p, (int)n);
		if (r <= 0) {
			*why = "end of file";
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int cli_tls_recv(struct cli *c, struct cli_tls_conn *t, uint64_t deadline, const char **why)
{
	uint8_t lenb[2];
	if (read_exact(t->ssl, lenb, 2, deadline, why) < 0)
		return -1;
	size_t n = tern_get_u16(lenb);
	if (read_exact(t->ssl, c->reply.pkt, n, deadline, why) < 0)
		return -1;
	c->reply.len = n;
	c->reply.tcp = true;
	c->reply.proto = "TLS";
	return 0;
}
