/* tls.c: see tls.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tls/tls.h"

static void ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", buf);
	ERR_clear_error();
}

/* The server's ALPN choice (RFC 7301): the listener's protocol if the
 * client offers it; otherwise no ALPN (a DoT client need not use it). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned inlen, void *arg)
{
	(void)arg;
	int want = (int)(intptr_t)SSL_get_app_data(ssl);
	const char *proto = want == TLS_ALPN_H2 ? "h2" : "dot";
	size_t pl = strlen(proto);
	for (unsigned i = 0; i < inlen;) {
		unsigned l = in[i];
		if (i + 1 + l > inlen)
			break;
		if (l == pl && !memcmp(in + i + 1, proto, pl)) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + l;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX *tls_server_new(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_err(err, errlen, "cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                          SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		char what[600];
		snprintf(what, sizeof what, "%s: cannot load the certificate", cert_file);
		ssl_err(err, errlen, what);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		char what[600];
		snprintf(what, sizeof what, "%s: cannot load the private key", key_file);
		ssl_err(err, errlen, what);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		char what[600];
		snprintf(what, sizeof what, "%s: the key does not match the certificate %s", key_file, cert_file);
		ssl_err(err, errlen, what);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return ctx;
}

SSL *tls_server_ssl(SSL_CTX *ctx, int fd, int alpn)
{
	SSL *ssl = SSL_new(ctx);
	if (!ssl)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_app_data(ssl, (void *)(intptr_t)alpn);
	SSL_set_accept_state(ssl);
	return ssl;
}

int tls_alpn_of(const SSL *ssl)
{
	const unsigned char *p;
	unsigned len;
	SSL_get0_alpn_selected(ssl, &p, &len);
	if (len == 2 && !memcmp(p, "h2", 2))
		return TLS_ALPN_H2;
	if (len == 3 && !memcmp(p, "dot", 3))
		return TLS_ALPN_DOT;
	return 0;
}

SSL_CTX *tls_client_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		ssl_err(err, errlen, "cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		char what[600];
		snprintf(what, sizeof what, "%s: cannot load the CA certificates", ca_file ? ca_file : "system store");
		ssl_err(err, errlen, what);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int tls_pin_parse(const char *text, tls_pin *out)
{
	if (!strncmp(text, "sha256/", 7))
		text += 7;
	size_t n = strlen(text);
	if (n != 44 || text[43] != '=')
		return -1;
	uint8_t buf[33];
	if (EVP_DecodeBlock(buf, (const unsigned char *)text, 44) != 33) /* counts the padding as bytes */
		return -1;
	memcpy(out->sha256, buf, 32);
	return 0;
}

SSL *tls_client_ssl(SSL_CTX *ctx, int fd, const char *name, const tls_pin *pin, const char *alpn)
{
	SSL *ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1)
		goto fail;
	if (pin) {
		/* RFC 7858 4.2: the pin is the authentication; the chain is
		 * not required to verify */
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
		if (!name || !*name)
			goto fail;
		unsigned char ip[16];
		if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1) {
			if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) != 1)
				goto fail;
		} else if (SSL_set1_host(ssl, name) != 1) {
			goto fail;
		}
	}
	if (name && *name && SSL_set_tlsext_host_name(ssl, name) != 1) {
		unsigned char ip[16];
		if (inet_pton(AF_INET, name, ip) != 1 && inet_pton(AF_INET6, name, ip) != 1)
			goto fail; /* SNI carries host names only */
		ERR_clear_error();
	}
	if (alpn) {
		unsigned char wire[16];
		size_t l = strlen(alpn);
		if (l >= sizeof wire)
			goto fail;
		wire[0] = (unsigned char)l;
		memcpy(wire + 1, alpn, l);
		if (SSL_set_alpn_protos(ssl, wire, (unsigned)l + 1))
			goto fail;
	}
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}

int tls_check_pin(SSL *ssl, const tls_pin *pin, char *err, size_t errlen)
{
	if (!pin)
		return 0;
	X509 *cert = SSL_get1_peer_certificate(ssl);
	if (!cert) {
		snprintf(err, errlen, "the server sent no certificate to match the pin");
		return -1;
	}
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
	X509_free(cert);
	uint8_t md[32];
	unsigned mdlen = 0;
	int ok = len > 0 && EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
	OPENSSL_free(der);
	if (!ok || memcmp(md, pin->sha256, 32)) {
		snprintf(err, errlen, "the server's public key does not match the pin");
		return -1;
	}
	return 0;
}

void tls_error_text(SSL *ssl, int ret, char *err, size_t errlen)
{
	long vr = SSL_get_verify_result(ssl);
	if (vr != X509_V_OK) {
		snprintf(err, errlen, "certificate verification failed: %s", X509_verify_cert_error_string(vr));
		ERR_clear_error();
		return;
	}
	int e = SSL_get_error(ssl, ret);
	if (e == SSL_ERROR_SYSCALL && !ERR_peek_error()) {
		snprintf(err, errlen, "connection closed during the handshake%s%s", errno ? ": " : "",
		         errno ? strerror(errno) : "");
		return;
	}
	ssl_err(err, errlen, "TLS handshake failed");
}

static long ms_left(const struct timespec *end)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

SSL *tls_connect(SSL_CTX *ctx, const struct sockaddr *addr, socklen_t addrlen, const char *name,
                 const tls_pin *pin, const char *alpn, unsigned timeout_ms, char *err, size_t errlen)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, addr, addrlen) && errno != EINPROGRESS) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	SSL *ssl = tls_client_ssl(ctx, fd, name, pin, alpn);
	if (!ssl) {
		snprintf(err, errlen, "cannot set up TLS for '%s'", name ? name : "");
		close(fd);
		return NULL;
	}
	for (;;) {
		errno = 0;
		int r = SSL_do_handshake(ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(ssl, r);
		short evs = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
		if (!evs && e == SSL_ERROR_SYSCALL && (errno == EINPROGRESS || errno == EAGAIN))
			evs = POLLOUT; /* still connecting */
		long left = ms_left(&end);
		if (!evs || left <= 0) {
			if (left <= 0 && evs)
				snprintf(err, errlen, "timed out after %u ms", timeout_ms);
			else
				tls_error_text(ssl, r, err, errlen);
			SSL_free(ssl);
			close(fd);
			return NULL;
		}
		struct pollfd p = {.fd = fd, .events = evs};
		if (poll(&p, 1, (int)left) == 0) {
			snprintf(err, errlen, "timed out after %u ms", timeout_ms);
			SSL_free(ssl);
			close(fd);
			return NULL;
		}
	}
	if (tls_check_pin(ssl, pin, err, errlen)) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	/* the caller reads and writes blocking */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return ssl;
}
