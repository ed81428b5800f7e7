/* xfrin.c: see xfrin.h. The transfer stream parser; the IXFR applier is
 * in ixfr_apply.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tern/msg.h"
#include "tern/rr.h"
#include "xfr/xfrin.h"

enum { S_FIRST, S_SECOND, S_AXFR, S_DEL, S_ADD, S_END, S_FAILED };

void xfrin_init(xfrin *x, const uint8_t *origin, uint16_t qtype, uint16_t id, uint32_t serial, size_t max_bytes,
                tern_tsig_ctx *tsig)
{
	memset(x, 0, sizeof *x);
	memcpy(x->origin, origin, tern_name_len(origin));
	x->qtype = qtype;
	x->id = id;
	x->serial = serial;
	x->max_bytes = max_bytes;
	x->tsig = tsig;
	x->rrs_tail = &x->rrs;
	x->deltas_tail = &x->deltas;
	x->expire = -1;
	x->state = S_FIRST;
	arena_init(&x->mem);
}

void xfrin_free(xfrin *x)
{
	arena_free(&x->mem);
	x->rrs = NULL;
	x->deltas = NULL;
}

static int fail(xfrin *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(xfrin *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err, sizeof x->err, fmt, ap);
	va_end(ap);
	x->state = S_FAILED;
	return XFRIN_ERR;
}

static uint32_t soa_serial(const xfr_rr *r)
{
	return r->rdlen >= 20 ? tern_get_u32(r->rdata + r->rdlen - 20) : 0;
}

static xfr_delta *new_delta(xfrin *x, uint32_t from)
{
	xfr_delta *d = arena_alloc(&x->mem, sizeof *d);
	if (!d)
		return NULL;
	memset(d, 0, sizeof *d);
	d->del_tail = &d->del;
	d->add_tail = &d->add;
	d->from = from;
	*x->deltas_tail = d;
	x->deltas_tail = &d->next;
	x->ndeltas++;
	x->cur = d;
	return d;
}

static void push(xfr_rr ***tail, size_t *n, xfr_rr *r)
{
	**tail = r;
	*tail = &r->next;
	(*n)++;
}

/* One record of the answer section, in transfer order. */
static int record(xfrin *x, xfr_rr *r)
{
	bool apex_soa = r->type == TERN_T_SOA && tern_name_eq(r->owner, x->origin);
	if (r->type == TERN_T_SOA && apex_soa && r->rdlen < 22)
		return fail(x, "malformed SOA record");
	switch (x->state) {
	case S_FIRST:
		if (!apex_soa)
			return fail(x, "the first record is not the zone's SOA");
		x->new_serial = soa_serial(r);
		push(&x->rrs_tail, &x->nrrs, r);
		if (x->qtype == TERN_T_IXFR && !xfr_serial_gt(x->new_serial, x->serial)) {
			x->kind = XFR_UPTODATE; /* RFC 1995 2: one SOA, nothing newer */
			x->state = S_END;
		} else {
			x->state = S_SECOND;
		}
		return 0;
	case S_SECOND:
		if (x->qtype == TERN_T_IXFR && apex_soa && soa_serial(r) == x->serial &&
		    soa_serial(r) != x->new_serial) {
			/* RFC 1995 4: incremental: the old SOA opens the first deletions */
			x->kind = XFR_INCR;
			xfr_delta *d = new_delta(x, x->serial);
			if (!d)
				return fail(x, "out of memory");
			push(&d->del_tail, &d->ndel, r);
			x->state = S_DEL;
			return 0;
		}
		x->kind = XFR_FULL; /* AXFR, or an IXFR answered AXFR-style */
		x->state = S_AXFR;
		/* fall through */
	case S_AXFR:
		if (apex_soa) {
			if (soa_serial(r) != x->new_serial)
				return fail(x, "SOA serial %u ends a transfer that began with serial %u", soa_serial(r),
				            x->new_serial);
			x->state = S_END;
			return 0;
		}
		push(&x->rrs_tail, &x->nrrs, r);
		return 0;
	case S_DEL:
		if (apex_soa) {
			x->cur->to = soa_serial(r);
			if (!xfr_serial_gt(x->cur->to, x->cur->from))
				return fail(x, "IXFR sequence from serial %u to %u goes backwards", x->cur->from,
				            x->cur->to);
			push(&x->cur->add_tail, &x->cur->nadd, r);
			x->state = S_ADD;
			return 0;
		}
		push(&x->cur->del_tail, &x->cur->ndel, r);
		return 0;
	case S_ADD:
		if (apex_soa) {
			uint32_t s = soa_serial(r);
			if (s != x->cur->to)
				return fail(x, "IXFR sequence starts at serial %u, the previous one ended at %u", s,
				            x->cur->to);
			if (s == x->new_serial) {
				x->state = S_END;
				return 0;
			}
			xfr_delta *d = new_delta(x, s);
			if (!d)
				return fail(x, "out of memory");
			push(&d->del_tail, &d->ndel, r);
			x->state = S_DEL;
			return 0;
		}
		push(&x->cur->add_tail, &x->cur->nadd, r);
		return 0;
	case S_END:
		return fail(x, "records after the final SOA");
	default:
		return fail(x, "message after the transfer failed");
	}
}

static void read_expire(xfrin *x, const uint8_t *pkt, size_t len)
{
	tern_edns e;
	if (tern_msg_edns(pkt, len, &e) || !e.present)
		return;
	size_t pos = 0;
	tern_edns_opt o;
	while (tern_edns_next_opt(&e, &pos, &o) == 1)
		if (o.code == TERN_OPT_EXPIRE && o.len == 4)
			x->expire = tern_get_u32(o.data);
}

int xfrin_feed(xfrin *x, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (x->state == S_END || x->state == S_FAILED)
		return fail(x, "message after the end of the transfer");
	x->messages++;
	x->bytes += len;
	if (x->max_bytes && x->bytes > x->max_bytes)
		return fail(x, "transfer larger than xfr-max-size (%zu bytes)", x->max_bytes);
	tern_msg_iter it;
	if (tern_msg_iter_init(&it, pkt, len))
		return fail(x, "message %u: malformed header", x->messages);
	if (it.hdr.id != x->id)
		return fail(x, "message %u: ID %u, the request's was %u", x->messages, it.hdr.id, x->id);
	if (!(it.hdr.flags & TERN_F_QR) || TERN_OPCODE(it.hdr.flags) != TERN_OP_QUERY)
		return fail(x, "message %u: not a response to a query", x->messages);
	if (x->tsig) {
		int r = tern_tsig_verify(x->tsig, pkt, len, now);
		if (r)
			return fail(x, "message %u: TSIG %s", x->messages,
			            r == TERN_TSIG_BADKEY    ? "BADKEY"
			            : r == TERN_TSIG_BADSIG  ? "BADSIG"
			            : r == TERN_TSIG_BADTIME ? "BADTIME"
			                                     : "malformed or missing");
	}
	unsigned rcode = TERN_RCODE(it.hdr.flags);
	if (rcode) {
		x->rcode = rcode;
		const char *n = tern_rcode_name(rcode);
		return n ? fail(x, "the primary answered %s", n) : fail(x, "the primary answered rcode %u", rcode);
	}
	if (it.hdr.count[TERN_S_QUESTION] > 1 || (x->messages == 1 && it.hdr.count[TERN_S_QUESTION] != 1))
		return fail(x, "message %u: %u questions", x->messages, it.hdr.count[TERN_S_QUESTION]);
	if (x->messages == 1)
		read_expire(x, pkt, len);
	tern_rr rr;
	int r;
	unsigned answers = 0;
	while ((r = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section == TERN_S_QUESTION) {
			if (!tern_name_eq(rr.owner, x->origin) || rr.type != x->qtype || rr.cls != TERN_C_IN)
				return fail(x, "message %u: the question is not the one asked", x->messages);
			continue;
		}
		if (rr.section != TERN_S_ANSWER)
			continue; /* OPT, TSIG (verified above); RFC 5936 2.2: nothing else matters */
		answers++;
		if (rr.cls != TERN_C_IN)
			return fail(x, "message %u: a record of class %u", x->messages, rr.cls);
		uint8_t rd[TERN_MSG_MAX];
		size_t rdlen;
		tern_rd c;
		tern_rd_init(&c, pkt, len);
		c.pos = rr.rdata_off;
		if (tern_rdata_unpack(&c, rr.type, rr.rdlen, rd, sizeof rd, &rdlen) || rdlen > 65535) {
			char t[24], o[TERN_NAME_TEXT_MAX];
			tern_type_to_text(rr.type, t, sizeof t);
			tern_name_to_text(rr.owner, o, sizeof o);
			return fail(x, "message %u: malformed %s record at %s", x->messages, t, o);
		}
		xfr_rr *n = arena_alloc(&x->mem, sizeof *n + rr.owner_len + rdlen);
		if (!n)
			return fail(x, "out of memory");
		uint8_t *p = (uint8_t *)(n + 1);
		memcpy(p, rr.owner, rr.owner_len);
		memcpy(p + rr.owner_len, rd, rdlen);
		n->next = NULL;
		n->owner = p;
		n->rdata = p + rr.owner_len;
		n->rdlen = (uint16_t)rdlen;
		n->type = rr.type;
		n->ttl = rr.ttl;
		if (record(x, n))
			return XFRIN_ERR;
	}
	if (r < 0)
		return fail(x, "message %u: malformed (%s)", x->messages, tern_strerror(r));
	if (x->messages == 1 && !answers)
		return fail(x, "the first message holds no records");
	if (x->state != S_END)
		return XFRIN_MORE;
	/* RFC 8945 5.3.1: the last message of a signed transfer is signed */
	if (x->tsig && !tern_tsig_ctx_done(x->tsig))
		return fail(x, "the last message is not signed");
	return XFRIN_DONE;
}

db_zone *xfrin_build(const xfrin *x, const db_zone *cur, const char *name, char *err, size_t errcap)
{
	if (x->state != S_END) {
		snprintf(err, errcap, "the transfer is not complete");
		return NULL;
	}
	if (x->kind == XFR_INCR) {
		if (!cur || !zone_has_data(cur)) {
			snprintf(err, errcap, "IXFR but no zone to apply it to");
			return NULL;
		}
		return xfr_apply(cur, x->deltas, name, err, errcap);
	}
	if (x->kind != XFR_FULL) {
		snprintf(err, errcap, "nothing to build (the zone is current)");
		return NULL;
	}
	xfr_errbuf eb = {err, errcap, false};
	db_diag diag = {.fn = xfr_diag_first, .user = &eb};
	size_t bytes = 0;
	for (const xfr_rr *r = x->rrs; r; r = r->next)
		bytes += 32 + r->rdlen;
	zone_builder *zb = zone_builder_new(x->origin, name, bytes, &diag);
	if (!zb) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	unsigned line = 0;
	for (const xfr_rr *r = x->rrs; r; r = r->next) {
		tern_zrr z = {.owner = r->owner, .type = r->type, .cls = TERN_C_IN, .ttl = r->ttl,
		              .rdata = r->rdata, .rdlen = r->rdlen, .file = name, .file_id = 1, .line = ++line};
		if (zone_builder_add(zb, &z))
			break;
	}
	return zone_builder_finish(zb);
}
