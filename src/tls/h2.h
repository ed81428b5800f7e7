/* h2.h: the HTTP/2 side of a DoH connection (nghttp2, server role). Bytes
 * in, DNS queries out through a callback; DNS answers in, bytes out. The
 * connection's I/O (TLS) belongs to the caller.
 *
 * Tags: a query handed to the callback carries a tag in its DNS ID, unique
 * among this connection's open streams, so the answer (which the query
 * path makes with the query's ID) finds its stream; h2_answer puts the
 * client's ID back (DoH clients send 0, RFC 8484 4.1).
 *
 * Limits: 100 concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS; nghttp2
 * refuses more); a header block of more than 8 KiB is answered 431; a body
 * of more than 65535 bytes 413; bodies beyond H2_MAX_BUFFERED held at once
 * on one connection 503 (100 streams x 64 KiB would be 6.4 MiB a
 * connection); other refusals as doh_parse says. */
#ifndef TERN_TLS_H2_H
#define TERN_TLS_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2_MAX_STREAMS 100
#define H2_MAX_HEADER_BYTES 8192
#define H2_MAX_BUFFERED (256 * 1024) /* request bodies held at once per connection: past it, 503 */

typedef struct h2_conn h2_conn;

/* A query to answer: msg (len bytes, ID = the tag) is the caller's to
 * read during the call only. The answer may come during the call or
 * later, through h2_answer. */
typedef void (*h2_query_fn)(void *user, uint8_t *msg, size_t len);

h2_conn *h2_new(h2_query_fn fn, void *user);
void h2_free(h2_conn *h);
/* Feeds received bytes. Returns 0, or -1 when the connection must close
 * (a protocol error: the GOAWAY is queued for h2_pending). */
int h2_recv(h2_conn *h, const uint8_t *in, size_t len);
/* The answer msg (its ID the tag of a query) for its stream: 200,
 * application/dns-message, cache-control max-age = the smallest TTL.
 * An answer whose stream is gone (reset by the client) is dropped.
 * Returns 0, or -1 when the connection must close. */
int h2_answer(h2_conn *h, const uint8_t *msg, size_t len);
/* The bytes to send now: *out points at them until the next call into h.
 * Returns their number (0: nothing), or -1 on an error (close). */
long h2_pending(h2_conn *h, const uint8_t **out);
/* Nothing more will be read or written (GOAWAY sent and streams done, or
 * the peer went away): close when the output is flushed. */
bool h2_done(h2_conn *h);
/* Streams whose answer has not been submitted yet (for backpressure). */
unsigned h2_open_streams(const h2_conn *h);

#endif
