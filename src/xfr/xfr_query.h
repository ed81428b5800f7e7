/* xfr_query.h: what the query path asks of the zone-transfer code: NOTIFY
 * in (RFC 1996) and the EDNS EXPIRE option out (RFC 7314). Called by
 * workers (query.c); no I/O, no allocation; a NOTIFY that is accepted
 * takes the secondary thread's queue mutex for a moment. */
#ifndef TERN_XFR_XFR_QUERY_H
#define TERN_XFR_XFR_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/query.h"
#include "tern/msg.h"

/* A NOTIFY (opcode 4) for q's name (RFC 1996 3.7, 3.10): the rcode to
 * answer with, and *aa. NOERROR (AA) for a secondary zone of ours from a
 * source its allow-notify or primaries allow (the zone is then checked at
 * once); REFUSED for another source; NOTAUTH for a zone we do not serve
 * or are not a secondary for; FORMERR for a question other than IN SOA. */
unsigned xfr_notify_in(const version *v, const tern_query *q, const qctx *ctx, bool *aa);

/* The EXPIRE option (RFC 7314 3) for a query that carried one, written
 * to out (8 bytes): for a name in a zone we serve with data, a
 * secondary's seconds left before it expires, a primary's SOA EXPIRE.
 * Returns the bytes written (0: no option). */
size_t xfr_expire_option(const version *v, const tern_query *q, uint8_t *out);

/* A zone hidden from answers (an RPZ feed, db_set_hide) is still
 * transferred out: a downstream secondary asking IN SOA at its apex, from
 * an address (and key) its allow-transfer lets transfer it, gets the SOA
 * (AA), so that it can compare serials (RFC 1034 4.3.5) before its IXFR.
 * True when q is that question, answered in m with *rcode; false: answer
 * q as usual (the zone stays hidden for everyone else). Only called when
 * the version hides a zone. */
bool xfr_hidden_soa(const version *v, const tern_query *q, const qctx *ctx, tern_msgw *m, bool *aa,
                    unsigned *rcode);

#endif
