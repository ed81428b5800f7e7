/* tlsconn.h: DNS over TLS (RFC 7858) and DNS over HTTPS (RFC 8484) client
 * connections inside a worker's event loop. A TLS connection is a tcp_conn
 * (worker.h) with a tls part: it counts in the same limits, is swept by the
 * same idle timer (a handshake must finish within tcp-idle-timeout), and
 * every answer reaches it through conn_send, like a TCP client's. All
 * functions run on the worker that owns the connection. */
#ifndef TERN_SERVER_TLSCONN_H
#define TERN_SERVER_TLSCONN_H

#include <stddef.h>
#include <stdint.h>

#include "server/query.h"

typedef struct worker worker;
typedef struct tcp_conn tcp_conn;

/* The TLS contexts of version v: the server's from tls-certificate and
 * tls-key (v->tls; NULL when none is configured), and the client's for
 * TLS upstreams from tls-ca-file or the system's store (v->tls_client;
 * NULL when no upstream uses TLS). Returns 0, or -1 after logging why (the
 * version is then not used). */
int tlsconn_ctx_build(version *v);

/* Connection i was just accepted on a listener of this transport
 * (CFG_TLS, CFG_HTTPS): sets up its TLS (and HTTP/2) state. -1: no memory
 * or no certificate (close it). */
int tlsconn_accept(worker *w, const version *v, unsigned i, int transport);
/* Readiness of connection i: reads (handshake, records, queries), writes
 * what is queued, closes it on error or end. */
void tlsconn_event(worker *w, const version *v, unsigned i, uint32_t events, uint64_t now);
/* An answer for connection i, framed as over TCP (2-byte length first).
 * Returns 0, or -1 when the connection failed (closed, unless it is being
 * read: then it closes when the read returns). */
int tlsconn_send(worker *w, unsigned i, const uint8_t *data, size_t n);
/* Why a zone transfer asked on TLS connection c is refused (RFC 9103: DoT
 * only, ALPN "dot", TLS 1.3 or later), or NULL when it may go on to
 * allow-transfer and TSIG like one over TCP. */
const char *tlsconn_xfr_refusal(const tcp_conn *c);
/* Frees c's TLS state (worker_conn_close calls it before closing the fd). */
void tlsconn_free(tcp_conn *c);

#endif
