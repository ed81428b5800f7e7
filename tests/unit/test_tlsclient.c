/* test_tlsclient.c: the blocking client API of src/tls (tls_connect,
 * tls_dot_exchange, tls_doh_*) against an in-process server made of the
 * same pieces (tls_server_new, h2.c) on a loopback port: a DoT exchange;
 * DoH GET and POST; the name check (wrong name refused), the CA check
 * (another CA refused), the SPKI pin (right pin accepted without a CA,
 * wrong pin refused). The certificates are made with the openssl command
 * in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls/client.h"
#include "tls/h2.h"
#include "tls/tls.h"

static char dir[64];
static char path_ca[128], path_ca2[128], path_cert[128], path_key[128];
static int lfd;
static struct sockaddr_in addr;

static int sh(const char *cmd)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "cd %s && %s >/dev/null 2>&1", dir, cmd);
	return system(buf);
}

/* The server: accepts one connection at a time; DoT echoes each query with
 * QR set; DoH (ALPN h2) answers through h2.c the same way. */
static SSL_CTX *sctx;
static h2_conn *cur_h2;

static void h2_echo(void *user, uint8_t *msg, size_t len)
{
	(void)user;
	msg[2] |= 0x80;
	h2_answer(cur_h2, msg, len);
}

static void serve_one(int fd)
{
	SSL *ssl = tls_server_ssl(sctx, fd, TLS_ALPN_DOT);
	if (SSL_accept(ssl) != 1) {
		SSL_free(ssl);
		return;
	}
	uint8_t buf[70000];
	for (;;) {
		int r = SSL_read(ssl, buf, 2);
		if (r != 2)
			break;
		size_t n = (size_t)buf[0] << 8 | buf[1];
		size_t got = 0;
		while (got < n) {
			r = SSL_read(ssl, buf + 2 + got, (int)(n - got));
			if (r <= 0)
				goto out;
			got += (size_t)r;
		}
		buf[4] |= 0x80;
		SSL_write(ssl, buf, (int)(n + 2));
	}
out:
	SSL_free(ssl);
}

static void serve_h2(int fd)
{
	SSL *ssl = tls_server_ssl(sctx, fd, TLS_ALPN_H2);
	if (SSL_accept(ssl) != 1) {
		SSL_free(ssl);
		return;
	}
	cur_h2 = h2_new(h2_echo, NULL);
	uint8_t buf[16384];
	for (;;) {
		const uint8_t *out;
		long n;
		while ((n = h2_pending(cur_h2, &out)) > 0)
			SSL_write(ssl, out, (int)n);
		int r = SSL_read(ssl, buf, sizeof buf);
		if (r <= 0 || h2_recv(cur_h2, buf, (size_t)r))
			break;
	}
	h2_free(cur_h2);
	SSL_free(ssl);
}

static volatile int server_mode; /* 0: DoT, 1: DoH */

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		if (server_mode)
			serve_h2(fd);
		else
			serve_one(fd);
		close(fd);
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/tern-tlsclient-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
	       "-days 2 -subj /CN=ca") ||
	    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca2.key -out ca2.pem "
	       "-days 2 -subj /CN=ca2") ||
	    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr "
	       "-subj /CN=dns.test") ||
	    sh("printf 'subjectAltName=DNS:dns.test,IP:127.0.0.1\\n' > ext && openssl x509 -req -in srv.csr -CA ca.pem "
	       "-CAkey ca.key -CAcreateserial -out srv.pem -days 1 -extfile ext"))
		return -1;
	snprintf(path_ca, sizeof path_ca, "%s/ca.pem", dir);
	snprintf(path_ca2, sizeof path_ca2, "%s/ca2.pem", dir);
	snprintf(path_cert, sizeof path_cert, "%s/srv.pem", dir);
	snprintf(path_key, sizeof path_key, "%s/srv.key", dir);
	char err[256];
	sctx = tls_server_new(path_cert, path_key, err, sizeof err);
	if (!sctx)
		return -1;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof addr;
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) || listen(lfd, 8) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &al))
		return -1;
	pthread_t t;
	pthread_create(&t, NULL, server, NULL);
	pthread_detach(t);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	SSL_CTX_free(sctx);
	char buf[128];
	snprintf(buf, sizeof buf, "rm -rf %s", dir);
	return system(buf) ? -1 : 0;
}

static const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0x03, 'w',  'w',  'w',  0x04, 't',  'e',  's',  't',  0x00, 0x00, 0x01, 0x00, 0x01};

static SSL *connect_to(const char *ca, const char *name, const tls_pin *pin, const char *alpn, SSL_CTX **ctx)
{
	char err[256];
	*ctx = tls_client_new(ca, err, sizeof err);
	assert_non_null(*ctx);
	SSL *ssl = tls_connect(*ctx, (struct sockaddr *)&addr, sizeof addr, name, pin, alpn, 3000, err, sizeof err);
	if (!ssl)
		print_message("tls_connect: %s\n", err);
	return ssl;
}

static void done(SSL *ssl, SSL_CTX *ctx)
{
	if (ssl) {
		int fd = SSL_get_fd(ssl);
		SSL_free(ssl);
		close(fd);
	}
	SSL_CTX_free(ctx);
}

static void test_dot(void **state)
{
	(void)state;
	server_mode = 0;
	SSL_CTX *ctx;
	SSL *ssl = connect_to(path_ca, "dns.test", NULL, "dot", &ctx);
	assert_non_null(ssl);
	uint8_t ans[512];
	char err[256];
	for (int i = 0; i < 3; i++) { /* the connection is reused */
		long n = tls_dot_exchange(ssl, query, sizeof query, ans, sizeof ans, 3000, err, sizeof err);
		assert_int_equal(n, sizeof query);
		assert_int_equal(ans[2], 0x81);
		assert_memory_equal(ans + 3, query + 3, sizeof query - 3);
	}
	done(ssl, ctx);
	ssl = connect_to(path_ca, "127.0.0.1", NULL, "dot", &ctx); /* an IP SAN */
	assert_non_null(ssl);
	done(ssl, ctx);
}

static void test_refused(void **state)
{
	(void)state;
	server_mode = 0;
	SSL_CTX *ctx;
	SSL *ssl = connect_to(path_ca, "other.test", NULL, "dot", &ctx);
	assert_null(ssl);
	done(ssl, ctx);
	ssl = connect_to(path_ca2, "dns.test", NULL, "dot", &ctx);
	assert_null(ssl);
	done(ssl, ctx);
	ssl = connect_to(path_ca, "192.0.2.1", NULL, "dot", &ctx);
	assert_null(ssl);
	done(ssl, ctx);
}

static void test_pin(void **state)
{
	(void)state;
	server_mode = 0;
	char cmd[512], pintext[128] = "";
	snprintf(cmd, sizeof cmd,
	         "cd %s && openssl x509 -in srv.pem -pubkey -noout | openssl pkey -pubin -outform der | "
	         "openssl dgst -sha256 -binary | base64",
	         dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(pintext, sizeof pintext, p));
	pclose(p);
	pintext[strcspn(pintext, "\n")] = 0;
	tls_pin pin;
	assert_int_equal(tls_pin_parse(pintext, &pin), 0);
	SSL_CTX *ctx;
	SSL *ssl = connect_to(path_ca2, NULL, &pin, "dot", &ctx); /* the pin decides, not the CA */
	assert_non_null(ssl);
	done(ssl, ctx);
	pin.sha256[0] ^= 1;
	ssl = connect_to(path_ca, "dns.test", &pin, "dot", &ctx);
	assert_null(ssl);
	done(ssl, ctx);
}

static void test_doh(void **state)
{
	(void)state;
	server_mode = 1;
	SSL_CTX *ctx;
	SSL *ssl = connect_to(path_ca, "dns.test", NULL, "h2", &ctx);
	assert_non_null(ssl);
	tls_doh *d = tls_doh_new(ssl, "dns.test", "/dns-query");
	assert_non_null(d);
	uint8_t ans[512];
	char err[256];
	int status;
	for (int get = 0; get < 2; get++) {
		long n = tls_doh_exchange(d, get, query, sizeof query, ans, sizeof ans, &status, 3000, err, sizeof err);
		if (n < 0)
			print_message("doh: %s\n", err);
		assert_int_equal(status, 200);
		assert_int_equal(n, sizeof query);
		assert_int_equal(ans[0], 0x12); /* the ID came back */
		assert_int_equal(ans[2], 0x81);
	}
	tls_doh_free(d);
	done(ssl, ctx);
	ssl = connect_to(path_ca, "dns.test", NULL, "h2", &ctx);
	d = tls_doh_new(ssl, "dns.test", "/elsewhere");
	assert_int_equal(tls_doh_exchange(d, true, query, sizeof query, ans, sizeof ans, &status, 3000, err, sizeof err),
	                 -1);
	assert_int_equal(status, 404);
	tls_doh_free(d);
	done(ssl, ctx);
}

int main(void)
{
	/* as tern and ternd do (client.h): a peer that closes under a write
	 * must be an error return, not SIGPIPE (test_refused hit it ~5 runs in 8) */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_doh),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
