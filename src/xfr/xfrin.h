/* xfrin.h: the receiving side of a zone transfer, without sockets.
 *
 * xfrin_feed takes the response messages of one AXFR (RFC 5936) or IXFR
 * (RFC 1995) exchange in order and checks them as they come: the message
 * ID, QR, opcode and rcode; the question (RFC 5936 2.2.1: the first
 * message echoes it, later ones may leave it out); the first record is the
 * zone's SOA; an AXFR ends at the next SOA of the zone, which must carry
 * the first one's serial; an IXFR is a chain of difference sequences
 * (SOA old, deletions, SOA new, additions), each starting where the one
 * before ended, and ends with the first SOA again; an IXFR answered
 * AXFR-style (RFC 1995 4) is taken as an AXFR; nothing may follow the end.
 * A bound on the bytes received stops an oversize transfer. With a TSIG
 * context, every message goes through tern_tsig_verify and the last one
 * must be signed.
 *
 * The records are kept (in x->mem) until xfrin_build makes the zone: a new
 * zone from an AXFR, or for an IXFR the current version with the
 * differences applied (xfr_apply). */
#ifndef TERN_XFR_XFRIN_H
#define TERN_XFR_XFRIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/arena.h"
#include "db/zone.h"
#include "tern/tsig.h"

/* RFC 1982 3.2: a is greater than b in serial number arithmetic. */
static inline bool xfr_serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* One record, uncompressed. */
typedef struct xfr_rr {
	struct xfr_rr *next;
	const uint8_t *owner; /* wire */
	const uint8_t *rdata;
	uint32_t ttl;
	uint16_t type, rdlen;
} xfr_rr;

/* One IXFR difference sequence (RFC 1995 4): the version `from` becomes
 * `to` by deleting del and adding add. The SOAs that frame it are the
 * first record of each list (the old SOA is deleted, the new one added). */
typedef struct xfr_delta {
	struct xfr_delta *next;
	xfr_rr *del, *add;
	xfr_rr **del_tail, **add_tail;
	size_t ndel, nadd;
	uint32_t from, to;
} xfr_delta;

typedef enum xfr_kind {
	XFR_NONE = 0,  /* not known yet */
	XFR_UPTODATE,  /* IXFR answered with our own serial or older: one SOA */
	XFR_FULL,      /* the whole zone (AXFR, or IXFR answered AXFR-style) */
	XFR_INCR,      /* differences (IXFR) */
} xfr_kind;

enum {
	XFRIN_MORE = 0, /* xfrin_feed: go on with the next message */
	XFRIN_DONE = 1, /* the transfer is complete */
	XFRIN_ERR = -1, /* x->err says why; x->rcode is set when the primary answered an error rcode */
};

typedef struct xfrin {
	/* the request (xfrin_init) */
	uint8_t origin[TERN_NAME_MAX];
	uint16_t qtype, id;
	uint32_t serial;      /* IXFR: the serial we have */
	size_t max_bytes;     /* of all messages together; 0: no bound */
	tern_tsig_ctx *tsig;  /* NULL: messages are not verified */
	/* what was received */
	xfr_kind kind;
	uint32_t new_serial;  /* of the first SOA */
	xfr_rr *rrs, **rrs_tail; /* XFR_FULL: the zone's records, the SOA first */
	size_t nrrs;
	xfr_delta *deltas, **deltas_tail; /* XFR_INCR */
	size_t ndeltas;
	int64_t expire;       /* EDNS EXPIRE (RFC 7314) of the first message; -1: none */
	unsigned rcode;       /* the error rcode the primary answered, or 0 */
	size_t bytes;
	unsigned messages;
	char err[256];
	/* parser state */
	int state;
	xfr_delta *cur;
	arena mem;
} xfrin;

/* Starts a transfer of origin: qtype TERN_T_AXFR or TERN_T_IXFR (then
 * serial is the version we have), id the request's message ID. */
void xfrin_init(xfrin *x, const uint8_t *origin, uint16_t qtype, uint16_t id, uint32_t serial, size_t max_bytes,
                tern_tsig_ctx *tsig);
void xfrin_free(xfrin *x);

/* The next message (now: seconds since the epoch, for TSIG). Returns
 * XFRIN_MORE, XFRIN_DONE or XFRIN_ERR (x->err holds one line). After
 * XFRIN_DONE or XFRIN_ERR, further messages are errors. */
int xfrin_feed(xfrin *x, const uint8_t *pkt, size_t len, uint64_t now);

/* The zone version a completed transfer makes: from the records
 * (XFR_FULL), or cur with the differences applied (XFR_INCR). name stands
 * for the zone's file in diagnostics. NULL with err filled when the
 * records do not make a valid zone or the differences do not apply. */
db_zone *xfrin_build(const xfrin *x, const db_zone *cur, const char *name, char *err, size_t errcap);

/* Applies IXFR differences to cur (RFC 1995 4): each deletion must name a
 * record cur holds at that point (owner case-insensitively, type and
 * RDATA byte for byte; the TTL is not compared), each addition adds one
 * (or sets the TTL of one that is there). The first sequence must start at
 * cur's serial. Returns the new version, built again from its records (the
 * copy-on-write path of docs/architecture.md goes here), or NULL with err
 * filled. cur is not changed. */
db_zone *xfr_apply(const db_zone *cur, const xfr_delta *deltas, const char *name, char *err, size_t errcap);

/* A db_diag callback that keeps the first error as "record N: message"
 * in err (user is an xfr_errbuf). */
typedef struct xfr_errbuf {
	char *err;
	size_t cap;
	bool have;
} xfr_errbuf;
void xfr_diag_first(void *user, bool error, const char *file, unsigned line, const char *msg);

#endif
