/* client.h: blocking DNS exchanges over an established TLS connection
 * (tls_connect, tls.h), for the client (tern +tls, +https) and for zone
 * transfers over TLS. One question, one answer; the connection may be
 * used again for the next.
 *
 *     SSL_CTX *ctx = tls_client_new(ca_file, err, sizeof err);
 *     SSL *ssl = tls_connect(ctx, addr, len, "dns.example", NULL, "dot", 5000, err, sizeof err);
 *     n = tls_dot_exchange(ssl, q, qlen, ans, sizeof ans, 5000, err, sizeof err);
 *
 * For DoH connect with alpn "h2" and use a tls_doh session.
 *
 * Callers ignore SIGPIPE (tern and ternd do): OpenSSL writes to the socket
 * with write(2), and a peer that has closed it would raise the signal.
 */
#ifndef TERN_TLS_CLIENT_H
#define TERN_TLS_CLIENT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DoT (RFC 7858): writes q framed, reads one framed answer into ans.
 * Returns its length, or -1 with err filled (timeout, closed, too big). */
long tls_dot_exchange(SSL *ssl, const uint8_t *q, size_t qlen, uint8_t *ans, size_t cap, unsigned timeout_ms,
                      char *err, size_t errlen);

/* DoH (RFC 8484) over HTTP/2 on ssl: a client session. authority: the
 * :authority (host name as in the URL); path: "/dns-query". */
typedef struct tls_doh tls_doh;
tls_doh *tls_doh_new(SSL *ssl, const char *authority, const char *path);
void tls_doh_free(tls_doh *d);
/* One request: GET ?dns=base64url (get true) or POST. Returns the
 * answer's length with *status 200, or -1 with err filled; *status is the
 * HTTP status when one came (a refusal's body is not a DNS message). */
long tls_doh_exchange(tls_doh *d, bool get, const uint8_t *q, size_t qlen, uint8_t *ans, size_t cap,
                      int *status, unsigned timeout_ms, char *err, size_t errlen);

#endif
