/* tls.h: TLS contexts and peer checks for every encrypted transport (DoT,
 * DoH, later XFR over TLS, the client's +tls/+https). OpenSSL libssl. No
 * sockets are kept here; tls_connect is the one blocking helper, for the
 * client and for transfers.
 *
 * Errors are returned as -1 with a message in the caller's buffer
 * (err, errlen): the callers log it with their own context. */
#ifndef TERN_TLS_TLS_H
#define TERN_TLS_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* ALPN protocols a server context offers (RFC 7858 does not require ALPN
 * for DoT, RFC 8310 and RFC 9103 use "dot"; DoH needs "h2"). */
enum { TLS_ALPN_DOT = 1, TLS_ALPN_H2 = 2 };

/* A server context from PEM files: the certificate (chain) and its key,
 * TLS 1.2 and later. The ALPN callback picks "h2" on a connection whose
 * SSL has ex-data TLS_ALPN_H2 set by tls_server_ssl, else "dot" when the
 * client offers it (no ALPN at all is accepted for DoT). Returns NULL with
 * err filled. Free with SSL_CTX_free (reference counted: an SSL holds its
 * context). */
SSL_CTX *tls_server_new(const char *cert_file, const char *key_file, char *err, size_t errlen);
/* A server connection on fd for a listener serving alpn (TLS_ALPN_DOT or
 * TLS_ALPN_H2), in accept state, non-blocking use. NULL when out of memory. */
SSL *tls_server_ssl(SSL_CTX *ctx, int fd, int alpn);
/* The ALPN the handshake settled on: TLS_ALPN_H2, TLS_ALPN_DOT, or 0. */
int tls_alpn_of(const SSL *ssl);

/* A client context: peers verified against ca_file (PEM) or, when NULL,
 * the system's default store. NULL with err filled. */
SSL_CTX *tls_client_new(const char *ca_file, char *err, size_t errlen);

/* A pin: the SHA-256 digest of a certificate's SubjectPublicKeyInfo
 * (RFC 7858 4.2). Parses "sha256/BASE64" or bare BASE64 (44 chars). */
typedef struct tls_pin {
	uint8_t sha256[32];
} tls_pin;
int tls_pin_parse(const char *text, tls_pin *out);

/* A client connection on fd (connected or connecting) that checks the
 * peer: with pin NULL, the chain (against ctx's store) and name (a host
 * name, or an IP address literal matched against the certificate's IP
 * SANs; RFC 8310 8.1); with a pin, only the pin (after the handshake,
 * tls_check_pin). alpn: "dot", "h2" or NULL. NULL on error. */
SSL *tls_client_ssl(SSL_CTX *ctx, int fd, const char *name, const tls_pin *pin, const char *alpn);
/* After a client handshake: 0 when the peer's key matches the pin (or no
 * pin was given), -1 with err filled. */
int tls_check_pin(SSL *ssl, const tls_pin *pin, char *err, size_t errlen);
/* Why the last handshake failed (the verify result or the error queue). */
void tls_error_text(SSL *ssl, int ret, char *err, size_t errlen);

/* Blocking: connects to addr, then handshakes, checking the peer as
 * tls_client_ssl says, all within timeout_ms. Returns the SSL (its fd is
 * SSL_get_fd; close it after SSL_free) or NULL with err filled. For the
 * client (tern +tls / +https) and transfers over TLS. */
SSL *tls_connect(SSL_CTX *ctx, const struct sockaddr *addr, socklen_t addrlen, const char *name,
                 const tls_pin *pin, const char *alpn, unsigned timeout_ms, char *err, size_t errlen);

#endif
