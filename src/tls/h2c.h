/* h2c.h: the HTTP/2 client side of a DNS-over-HTTPS upstream connection
 * (nghttp2, non-blocking, no I/O of its own): queries in as POST requests
 * (RFC 8484 4.1) tagged by the caller, bytes out, bytes in, answers out
 * through a callback with their tag. Requests beyond the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS wait in nghttp2's queue. */
#ifndef TERN_TLS_H2C_H
#define TERN_TLS_H2C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct h2c_conn h2c_conn;

/* The end of a request: status 200 with the body (a DNS message, at most
 * 65535 bytes), another HTTP status with its body, or status 0 when the
 * stream ended without a usable response (reset, too big). */
typedef void (*h2c_answer_fn)(void *user, uint32_t tag, int status, const uint8_t *body, size_t len);

h2c_conn *h2c_new(const char *authority, const char *path, h2c_answer_fn fn, void *user);
void h2c_free(h2c_conn *h);
/* Queues a POST of msg. 0, or -1 (no memory, or the session is gone). */
int h2c_request(h2c_conn *h, uint32_t tag, const uint8_t *msg, size_t len);
/* Whether a new request may still start (false after the server's GOAWAY:
 * the connection then only finishes what it has). */
bool h2c_usable(h2c_conn *h);
/* Received bytes. 0, or -1 when the connection must close. */
int h2c_recv(h2c_conn *h, const uint8_t *in, size_t len);
/* Bytes to send (valid until the next call), their number, or -1. */
long h2c_pending(h2c_conn *h, const uint8_t **out);

#endif
