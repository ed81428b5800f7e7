/* xfr.c: see xfr.h. The order of decisions for a request (the rcodes are
 * what NSD answers; Knot says NOTAUTH where NSD says REFUSED):
 *   1. AXFR over UDP: NOTIMP (RFC 5936 4.2: not defined over UDP; Knot and
 *      NSD both answer NOTIMP);
 *   2. no zone with exactly this origin: NOTAUTH (RFC 5936 2.2.1); a zone
 *      configured but without data (it never loaded): SERVFAIL;
 *   3. allow-transfer does not allow the client (address, and key when the
 *      line names one): REFUSED;
 *   4. IXFR without an SOA in the authority section: FORMERR; a client at
 *      or past our serial (RFC 1982): our SOA alone (RFC 1995 2);
 *   5. a stream when xfr-max-concurrent run already: SERVFAIL (a
 *      secondary tries again later);
 *   6. AXFR: SOA, every RRset of the zone (apex first, then the nodes in
 *      the order of the zone's hash table, the NSEC3 owners last), SOA.
 *      IXFR from a serial the journal starts a difference at: our SOA, then per difference its
 *      old SOA and removed RRs, its new SOA and added RRs, then our SOA
 *      (RFC 1995 4); from any other serial: the AXFR form. Over UDP, the
 *      whole answer if it fits in one datagram, else our SOA alone (RFC
 *      1995 4: the client then asks over TCP; BIND does the same, Knot
 *      3.2 answers the SOA alone even when the difference would fit). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/dnssec.h"
#include "db/journal.h"
#include "server/log.h"
#include "tern/msg.h"
#include "tern/tsig.h"
#include "xfr/xfr.h"

enum phase { P_SOA_FIRST, P_APEX, P_NODES, P_DIFFS, P_SOA_LAST, P_DONE };

struct xfr_out {
	db_zone *z;             /* referenced: lives until xfr_end */
	atomic_uint *active;    /* NULL: not counted (a one-message answer) */
	uint16_t id, qtype;
	uint8_t qname[TERN_NAME_MAX];
	bool edns, signed_;
	tern_tsig_ctx tsig;     /* .key points at key below, not into the config */
	tern_tsig_key key;      /* a copy: the server version that verified the
	                           request may be freed during the transfer */
	uint64_t messages, rrs;
	enum phase phase;
	/* P_APEX / P_NODES: where the walk is */
	size_t bucket, nbuckets;
	size_t hidden;          /* then the NSEC3 owners: 1 + the next one's index */
	const db_node *node;
	unsigned set, rr;       /* RRset of node, record of the RRset */
	const uint8_t *rdp;     /* the next record's RDATA entry */
	uint16_t optr;          /* where node's name is in this message, 0: not yet */
	/* P_DIFFS */
	size_t diff, ndiffs;    /* journal index, and where to stop */
	bool adding;            /* in the added run of diff */
	size_t off;             /* byte offset in the run */
	char client[64];
	char zname[TERN_NAME_TEXT_MAX];
};

/* ---- requests ---- */

int xfr_ixfr_serial(const uint8_t *pkt, size_t len, uint32_t *serial)
{
	tern_msg_iter it;
	tern_rr rr;
	if (tern_msg_iter_init(&it, pkt, len))
		return TERN_EMALFORMED;
	int r;
	while ((r = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section != TERN_S_AUTHORITY || rr.type != TERN_T_SOA)
			continue;
		tern_rd rd;
		tern_rd_init(&rd, pkt, rr.rdata_off + rr.rdlen);
		rd.pos = rr.rdata_off;
		uint8_t name[TERN_NAME_MAX];
		size_t nlen;
		if (tern_rd_name(&rd, name, &nlen) || tern_rd_name(&rd, name, &nlen))
			return TERN_EMALFORMED;
		*serial = tern_rd_u32(&rd);
		tern_rd_skip(&rd, 16);
		return rd.err || tern_rd_left(&rd) ? TERN_EMALFORMED : 0;
	}
	return TERN_EMALFORMED;
}

static const cfg_zone *zone_conf(const config *cfg, const uint8_t *origin)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (tern_name_eq(cfg->zones[i].origin, origin))
			return &cfg->zones[i];
	return NULL;
}

static void addr_text(const struct sockaddr *sa, char *buf, size_t cap)
{
	buf[0] = 0;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)cap);
}

/* ---- messages ---- */

static void msg_begin(xfr_out *x, tern_msgw *m, uint8_t *out, size_t cap)
{
	size_t reserve = (x->edns ? 11 : 0) + (x->signed_ ? tern_tsig_sign_size(&x->tsig) : 0);
	if (cap > TERN_MSG_MAX)
		cap = TERN_MSG_MAX;
	tern_msgw_init(m, out, cap, cap > reserve ? cap - reserve : 0, x->id, TERN_F_QR | TERN_F_AA);
	x->optr = 0;
	(void)tern_msgw_question(m, x->qname, x->qtype, TERN_C_IN);
}

static size_t msg_end(xfr_out *x, tern_msgw *m, unsigned rcode, uint8_t *out, size_t cap)
{
	if (x->edns && tern_msgw_opt(m, TERN_EDNS_SIZE, rcode, false, NULL, 0))
		return 0;
	int n = tern_msgw_finish(m, rcode & 0xf);
	if (n < 0)
		return 0;
	x->messages++;
	if (!x->signed_)
		return (size_t)n;
	size_t outlen;
	if (tern_tsig_sign(&x->tsig, out, (size_t)n, cap > TERN_MSG_MAX ? TERN_MSG_MAX : cap, (uint64_t)time(NULL),
	                   &outlen))
		return 0;
	return outlen;
}

/* Adds one RR. Returns 0 when added, 1 when the message is full (the RR
 * goes in the next one). An RR that cannot fit even an empty message is
 * left out with a log line (the zone loader never makes one). */
static int put(xfr_out *x, tern_msgw *m, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
               uint16_t rdlen, uint16_t *optr)
{
	if (m->count[TERN_S_ANSWER] && m->w.pos >= XFR_MSG_TARGET)
		return 1;
	/* the further records of a node point at its name (no search) */
	int rc = optr && *optr ? tern_msgw_rr_ptr(m, TERN_S_ANSWER, *optr, type, TERN_C_IN, ttl, rd, rdlen)
	                       : tern_msgw_rr(m, TERN_S_ANSWER, owner, type, TERN_C_IN, ttl, rd, rdlen);
	if (rc == 0) {
		if (optr && !*optr)
			*optr = m->owner_ptr;
		x->rrs++;
		return 0;
	}
	if (m->count[TERN_S_ANSWER])
		return 1;
	log_warn("transfer to %s: a record of %u bytes does not fit a message; left out", x->client, rdlen);
	return 0;
}

static int put_soa(xfr_out *x, tern_msgw *m)
{
	uint16_t len;
	const uint8_t *rd = rrset_rdata(x->z->soa->rdata, &len);
	return put(x, m, x->z->apex->name, TERN_T_SOA, x->z->soa->ttl, rd, len, NULL);
}

/* The next node with records after the current one (apex excluded: it
 * went first), or NULL at the end. */
/* Nodes lie where the zone file put them, the table in hash order: the walk
 * would wait on memory for every node. So the node PREFETCH buckets ahead
 * is fetched, and half as far ahead (by then in cache) its RRsets and name. */
#define PREFETCH 16

/* After the table, the NSEC3 owners, which are out of it (db/dnssec.h). */
static const db_node *next_hidden(xfr_out *x)
{
	const db_dnssec *d = x->z->dnssec;
	if (!x->hidden)
		x->hidden = 1;
	while (d && x->hidden - 1 < d->nhidden) {
		const db_node *n = d->hidden[x->hidden++ - 1];
		if (n->nrrsets)
			return n;
	}
	return NULL;
}

static const db_node *next_node(xfr_out *x, const db_node *after)
{
	if (x->hidden)
		return next_hidden(x);
	const db_node *n = after ? after->hnext : NULL;
	db_node *const *t = x->z->table;
	for (;;) {
		while (!n && x->bucket < x->nbuckets) {
			if (x->bucket + PREFETCH < x->nbuckets && t[x->bucket + PREFETCH])
				__builtin_prefetch(t[x->bucket + PREFETCH]);
			const db_node *h = x->bucket + PREFETCH / 2 < x->nbuckets ? t[x->bucket + PREFETCH / 2] : NULL;
			if (h) {
				__builtin_prefetch(h->rrsets);
				__builtin_prefetch(h->name);
			}
			n = t[x->bucket++];
		}
		if (!n)
			return next_hidden(x);
		if (n->nrrsets && n != x->z->apex)
			return n;
		n = n->hnext;
	}
}

/* The records of x->node from (set, rr) on, but the SOA. Returns 1 when
 * the message is full. */
static int put_node(xfr_out *x, tern_msgw *m)
{
	const db_node *n = x->node;
	for (; x->set < n->nrrsets; x->set++, x->rr = 0, x->rdp = NULL) {
		const db_rrset *s = &n->rrsets[x->set];
		if (s->type == TERN_T_SOA)
			continue;
		if (!x->rdp)
			x->rdp = s->rdata;
		for (; x->rr < s->count; x->rr++) {
			uint16_t len;
			const uint8_t *rd = rrset_rdata(x->rdp, &len);
			if (put(x, m, n->name, s->type, s->ttl, rd, len, &x->optr))
				return 1;
			x->rdp = rd + len;
		}
	}
	return 0;
}

/* The records of the journal from (diff, adding, off) on. */
static int put_diffs(xfr_out *x, tern_msgw *m)
{
	const db_journal *j = x->z->journal;
	for (; x->diff < x->ndiffs; x->diff++, x->adding = false, x->off = 0) {
		for (;;) {
			const db_diff *d = j->d[x->diff];
			const uint8_t *run = x->adding ? d->add : d->del;
			size_t len = x->adding ? d->add_len : d->del_len;
			while (x->off < len) { /* runs made or checked by journal.c */
				const uint8_t *p = run + x->off;
				size_t olen = tern_name_len(p);
				uint16_t type = tern_get_u16(p + olen), rdlen = tern_get_u16(p + olen + 8);
				if (put(x, m, p, type, tern_get_u32(p + olen + 4), p + olen + 10, rdlen, NULL))
					return 1;
				x->off += olen + 10 + rdlen;
			}
			if (x->adding)
				break;
			x->adding = true;
			x->off = 0;
		}
	}
	return 0;
}

size_t xfr_next(xfr_out *x, uint8_t *out, size_t cap, bool *done)
{
	tern_msgw m;
	msg_begin(x, &m, out, cap);
	*done = false;
	for (bool full = false; !full && x->phase != P_DONE;) {
		switch (x->phase) {
		case P_SOA_FIRST:
			if ((full = put_soa(x, &m)))
				break;
			x->phase = x->ndiffs ? P_DIFFS : P_APEX;
			x->node = x->z->apex;
			x->optr = 0;
			x->set = x->rr = 0;
			x->rdp = NULL;
			break;
		case P_APEX:
		case P_NODES:
			if ((full = put_node(x, &m)))
				break;
			x->node = next_node(x, x->phase == P_APEX ? NULL : x->node);
			x->optr = 0;
			x->set = x->rr = 0;
			x->rdp = NULL;
			x->phase = x->node ? P_NODES : P_SOA_LAST;
			break;
		case P_DIFFS:
			if ((full = put_diffs(x, &m)))
				break;
			x->phase = P_SOA_LAST;
			break;
		case P_SOA_LAST:
			if ((full = put_soa(x, &m)))
				break;
			x->phase = P_DONE;
			break;
		case P_DONE:
			break;
		}
	}
	*done = x->phase == P_DONE;
	return msg_end(x, &m, TERN_R_NOERROR, out, cap);
}

void xfr_end(xfr_out *x)
{
	if (!x)
		return;
	if (x->active) { /* a stream: say how it ended */
		log_info("zone %s: %s to %s %s: %llu message(s), %llu record(s)", x->zname,
		         x->qtype == TERN_T_AXFR ? "AXFR" : "IXFR", x->client, x->phase == P_DONE ? "done" : "stopped",
		         (unsigned long long)x->messages, (unsigned long long)x->rrs);
		atomic_fetch_sub(x->active, 1);
	}
	tern_tsig_ctx_free(&x->tsig);
	zone_unref(x->z);
	free(x);
}

/* An answer without records: rcode, or (soa) our SOA alone. */
static size_t short_answer(xfr_out *x, unsigned rcode, bool soa, uint8_t *out, size_t cap)
{
	tern_msgw m;
	msg_begin(x, &m, out, cap);
	if (soa)
		(void)put_soa(x, &m);
	if (rcode != TERN_R_NOERROR)
		out[2] &= (uint8_t)~(TERN_F_AA >> 8);
	return msg_end(x, &m, rcode, out, cap);
}

size_t xfr_respond(const version *v, const uint8_t *pkt, size_t len, const struct sockaddr *client, bool tcp,
                   atomic_uint *active, uint8_t *out, size_t cap, xfr_out **stream)
{
	if (stream)
		*stream = NULL;
	tern_query q;
	if (tern_query_parse(pkt, len, &q) != TERN_Q_OK || !q.question_end)
		return query_error(pkt, len, TERN_R_FORMERR, FWD_NO_EDE, NULL, out, cap, tcp);
	xfr_out *x = calloc(1, sizeof *x);
	if (!x)
		return query_error(pkt, len, TERN_R_SERVFAIL, FWD_NO_EDE, NULL, out, cap, tcp);
	x->id = q.hdr.id;
	x->qtype = q.qtype;
	memcpy(x->qname, q.qname, q.qname_len);
	x->edns = q.edns;
	addr_text(client, x->client, sizeof x->client);
	const char *what = q.qtype == TERN_T_AXFR ? "AXFR" : "IXFR";
	char *zname = x->zname;
	tern_name_to_text(q.qname, zname, sizeof x->zname);

	/* RFC 8945 5.3: a signed request gets signed answers, errors too */
	const uint8_t *key = NULL;
	if (q.tsig_off) {
		int r = tern_tsig_verify_request(&x->tsig, v->cfg.keys, v->cfg.nkeys, pkt, len, q.tsig_off,
		                                 (uint64_t)time(NULL));
		x->signed_ = r >= 0;
		if (r) {
			size_t n = short_answer(x, r > 0 ? TERN_R_NOTAUTH : TERN_R_FORMERR, false, out, cap);
			xfr_end(x);
			return n;
		}
		x->key = *x->tsig.key;
		x->tsig.key = &x->key;
		key = x->key.name;
	}
	unsigned rcode = TERN_R_NOERROR;
	const db_zone *z = db_set_get(v->zones, q.qname);
	const cfg_zone *cz = z ? zone_conf(&v->cfg, z->origin) : NULL;
	uint32_t serial = 0;
	if (!tcp && q.qtype == TERN_T_AXFR)
		rcode = TERN_R_NOTIMP;
	else if (!z || !cz)
		rcode = TERN_R_NOTAUTH;
	else if (!zone_has_data(z) || !z->soa)
		rcode = TERN_R_SERVFAIL;
	else if (!xfr_acl_allows(cz->xfr.acl, cz->xfr.nacl, client, key))
		rcode = TERN_R_REFUSED;
	else if (q.qtype == TERN_T_IXFR && xfr_ixfr_serial(pkt, len, &serial))
		rcode = TERN_R_FORMERR;
	if (rcode != TERN_R_NOERROR) {
		if (rcode == TERN_R_REFUSED)
			log_info("zone %s: %s refused to %s%s", zname, what, x->client, key ? " (key not allowed)" : "");
		size_t n = short_answer(x, rcode, false, out, cap);
		xfr_end(x);
		return n;
	}
	x->z = zone_ref((db_zone *)z);
	x->nbuckets = (size_t)1 << (32 - z->shift);
	if (q.qtype == TERN_T_IXFR && !db_serial_lt(serial, z->serial)) {
		size_t n = short_answer(x, TERN_R_NOERROR, true, out, cap); /* RFC 1995 2: up to date */
		xfr_end(x);
		return n;
	}
	if (q.qtype == TERN_T_IXFR) {
		int i = db_journal_find(z->journal, serial);
		if (i >= 0 && z->journal->d[z->journal->n - 1]->to == z->serial) {
			x->diff = (size_t)i;
			x->ndiffs = z->journal->n;
		}
	}
	if (!tcp) { /* RFC 1995 4: the whole answer in one datagram, or our SOA */
		size_t room = TERN_UDP_MIN;
		if (q.edns)
			room = q.edns_size < TERN_UDP_MIN ? TERN_UDP_MIN : q.edns_size > v->cfg.udp_max ? v->cfg.udp_max : q.edns_size;
		if (cap > room)
			cap = room;
		tern_tsig_ctx before = x->tsig; /* the SOA alone is the first signed message, not the second */
		bool done;
		size_t n = xfr_next(x, out, cap, &done);
		if (!done || !n) {
			x->tsig = before;
			n = short_answer(x, TERN_R_NOERROR, true, out, cap);
		}
		xfr_end(x);
		return n;
	}
	if (atomic_fetch_add(active, 1) >= v->cfg.xfr_max) {
		atomic_fetch_sub(active, 1);
		log_warn("zone %s: %s to %s answered SERVFAIL: %u transfers already run (xfr-max-concurrent)", zname,
		         what, x->client, v->cfg.xfr_max);
		size_t n = short_answer(x, TERN_R_SERVFAIL, false, out, cap);
		xfr_end(x);
		return n;
	}
	x->active = active;
	log_info("zone %s: %s%s to %s, serial %u%s", zname, what, x->ndiffs ? "" : q.qtype == TERN_T_IXFR ? " (AXFR-style)" : "",
	         x->client, z->serial, x->signed_ ? ", TSIG" : "");
	bool done;
	size_t n = xfr_next(x, out, cap, &done);
	if (done || !n)
		xfr_end(x);
	else
		*stream = x;
	return n;
}
