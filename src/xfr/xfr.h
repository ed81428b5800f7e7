/* xfr.h: zone transfers out, AXFR (RFC 5936) and IXFR (RFC 1995), on the
 * primary side (docs/architecture.md, "Zone transfers out").
 *
 * query_respond says ctx->xfr for an AXFR or IXFR question of class IN;
 * the worker then calls xfr_respond, which decides (TCP only for AXFR,
 * the zone served, allow-transfer, the bound on concurrent transfers) and
 * writes the first message. A transfer that needs more messages comes back
 * as a stream: it holds a reference on the zone version it started from
 * (so a reload that replaces the zone does not disturb it) and the worker
 * asks for the next message only when the connection's output queue has
 * drained, so a transfer never buffers the zone and never holds up the
 * worker's other clients. Every message of an answer to a signed request
 * is signed (RFC 8945 5.3.1). */
#ifndef TERN_XFR_XFR_H
#define TERN_XFR_XFR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/query.h"

/* A message of a transfer is closed once it holds this many bytes (BIND's
 * transfer-message-size is 20480; Knot and NSD fill up to 16 KiB or more):
 * an RR never straddles two messages, so a message may pass it by one RR. */
#define XFR_MSG_TARGET 16384

typedef struct xfr_out xfr_out;

/* Answers the AXFR/IXFR request pkt[0..len) from client over TCP (tcp) or
 * UDP, into out (cap bytes: 65535 for TCP, the datagram room for UDP).
 * active counts the transfers running now (server-wide); a stream that
 * would pass v->cfg.xfr_max is answered SERVFAIL. Returns the length of
 * the message to send (0: send nothing); *stream (TCP only; NULL for UDP)
 * receives the transfer when more messages follow (call xfr_next once the
 * first is written), else NULL. Any thread; takes no lock. */
size_t xfr_respond(const version *v, const uint8_t *pkt, size_t len, const struct sockaddr *client, bool tcp,
                   atomic_uint *active, uint8_t *out, size_t cap, xfr_out **stream);

/* Writes the next message of x into out (cap >= 65535). Returns its length
 * (0: failed; end the connection) and sets *done after the last one. */
size_t xfr_next(xfr_out *x, uint8_t *out, size_t cap, bool *done);

/* Ends x (finished or not): drops the zone reference and the slot in
 * active. NULL is fine. */
void xfr_end(xfr_out *x);

/* The serial of the SOA in the authority section of an IXFR request
 * (RFC 1995 3). Returns 0 with *serial set, or TERN_EMALFORMED when there
 * is no well-formed SOA there (the request then gets FORMERR). */
int xfr_ixfr_serial(const uint8_t *pkt, size_t len, uint32_t *serial);

#endif
