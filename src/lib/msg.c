/* msg.c: DNS messages: the server's strict query parser (RFC 1035 4.1,
 * EDNS per RFC 6891, cookies per RFC 7873), the message composer with
 * compression and roll-back marks, and an iterator over any message with
 * a reader of its EDNS. */
#include <stdio.h>
#include <string.h>

#include "tern/msg.h"

const char *tern_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};
	if (rcode < sizeof names / sizeof names[0])
		return names[rcode];
	if (rcode == TERN_R_BADVERS)
		return "BADVERS";
	if (rcode == TERN_R_BADCOOKIE)
		return "BADCOOKIE";
	return NULL;
}

static void read_hdr(tern_rd *r, tern_hdr *h)
{
	h->id = tern_rd_u16(r);
	h->flags = tern_rd_u16(r);
	for (int i = 0; i < 4; i++)
		h->count[i] = tern_rd_u16(r);
}

/* RFC 6891 6.1.2: OPT's CLASS is the payload size, its TTL holds the
 * extended rcode, the version and the DO bit; RDATA is a list of options. */
static enum tern_qparse parse_opt(tern_rd *r, uint16_t cls, uint32_t ttl, uint16_t rdlen, tern_query *q)
{
	q->edns = true;
	q->edns_size = cls;
	q->edns_version = (uint8_t)(ttl >> 16);
	q->edns_do = (ttl & 0x8000u) != 0;
	size_t end = r->pos + rdlen;
	if (rdlen > tern_rd_left(r))
		return TERN_Q_FORMERR;
	while (r->pos < end) {
		/* the 4-byte option header must fit in the RDATA too, or the
		 * length would be read from past it (and end - pos underflow) */
		if (end - r->pos < 4)
			return TERN_Q_FORMERR;
		uint16_t code = tern_rd_u16(r);
		uint16_t olen = tern_rd_u16(r);
		if (r->err || olen > end - r->pos)
			return TERN_Q_FORMERR;
		const uint8_t *data = r->p + r->pos;
		if (code == TERN_OPT_NSID) {
			q->nsid = true;
		} else if (code == TERN_OPT_EXPIRE) {
			q->expire = true; /* RFC 7314 2: empty in a query; its data is not read */
		} else if (code == TERN_OPT_COOKIE) {
			/* RFC 7873 5.2.2: 8 bytes (client only) or 16..40 */
			if (olen != 8 && (olen < 16 || olen > 40))
				return TERN_Q_FORMERR;
			memcpy(q->cookie, data, olen);
			q->cookie_len = (uint8_t)olen;
		} /* unknown options are ignored (RFC 6891 6.1.2) */
		r->pos += olen;
	}
	return r->err ? TERN_Q_FORMERR : TERN_Q_OK;
}

enum tern_qparse tern_query_parse(const uint8_t *pkt, size_t len, tern_query *q)
{
	tern_rd r;
	q->question_end = 0;
	q->edns = false;
	q->edns_do = false;
	q->nsid = false;
	q->expire = false;
	q->cookie_len = 0;
	q->edns_size = 0;
	q->edns_version = 0;
	q->tsig_off = 0;
	if (len < TERN_HDR_LEN)
		return TERN_Q_DROP;
	tern_rd_init(&r, pkt, len);
	q->hdr.id = tern_get_u16(pkt); /* the header is there: no checks */
	q->hdr.flags = tern_get_u16(pkt + 2);
	for (int i = 0; i < 4; i++)
		q->hdr.count[i] = tern_get_u16(pkt + 4 + 2 * i);
	r.pos = TERN_HDR_LEN;
	if (q->hdr.flags & TERN_F_QR)
		return TERN_Q_DROP;
	/* Parse the question first even for other opcodes, so the error
	 * answer can echo it. */
	if (q->hdr.count[TERN_S_QUESTION] != 1)
		return TERN_OPCODE(q->hdr.flags) != TERN_OP_QUERY ? TERN_Q_NOTIMP : TERN_Q_FORMERR;
	if (tern_rd_name(&r, q->qname, &q->qname_len))
		return TERN_OPCODE(q->hdr.flags) != TERN_OP_QUERY ? TERN_Q_NOTIMP : TERN_Q_FORMERR;
	q->qtype = tern_rd_u16(&r);
	q->qclass = tern_rd_u16(&r);
	if (r.err)
		return TERN_OPCODE(q->hdr.flags) != TERN_OP_QUERY ? TERN_Q_NOTIMP : TERN_Q_FORMERR;
	q->question_end = r.pos;
	/* NOTIFY (RFC 1996) and UPDATE (RFC 2136: the zone section is the
	 * question's place, prerequisites and updates the answer and authority
	 * sections') are parsed like a query; the caller looks at the opcode */
	if (TERN_OPCODE(q->hdr.flags) != TERN_OP_QUERY && TERN_OPCODE(q->hdr.flags) != TERN_OP_NOTIFY &&
	    TERN_OPCODE(q->hdr.flags) != TERN_OP_UPDATE)
		return TERN_Q_NOTIMP;
	unsigned nopt = 0;
	for (int s = TERN_S_ANSWER; s <= TERN_S_ADDITIONAL; s++) {
		for (unsigned i = 0; i < q->hdr.count[s]; i++) {
			uint8_t owner[TERN_NAME_MAX];
			size_t olen, start = r.pos;
			if (tern_rd_name(&r, owner, &olen))
				return TERN_Q_FORMERR;
			uint16_t type = tern_rd_u16(&r), cls = tern_rd_u16(&r);
			uint32_t ttl = tern_rd_u32(&r);
			uint16_t rdlen = tern_rd_u16(&r);
			if (r.err || rdlen > tern_rd_left(&r))
				return TERN_Q_FORMERR;
			if (type == TERN_T_OPT) {
				/* RFC 6891 6.1.1: one OPT, in the additional
				 * section, owned by the root */
				if (s != TERN_S_ADDITIONAL || ++nopt > 1 || olen != 1)
					return TERN_Q_FORMERR;
				if (parse_opt(&r, cls, ttl, rdlen, q) != TERN_Q_OK)
					return TERN_Q_FORMERR;
			} else if (type == TERN_T_TSIG) {
				/* RFC 8945 5.1: one TSIG, the last record */
				if (s != TERN_S_ADDITIONAL || i + 1 != q->hdr.count[s])
					return TERN_Q_FORMERR;
				q->tsig_off = start;
				tern_rd_skip(&r, rdlen);
			} else {
				tern_rd_skip(&r, rdlen);
			}
		}
	}
	if (r.err || r.pos != len) /* trailing garbage */
		return TERN_Q_FORMERR;
	if (q->edns && q->edns_version > 0)
		return TERN_Q_BADVERS; /* RFC 6891 6.1.3 */
	return TERN_Q_OK;
}

/* ---- composing ---- */

void tern_msgw_init(tern_msgw *m, uint8_t *buf, size_t cap, size_t limit, uint16_t id, uint16_t flags)
{
	tern_wr_init(&m->w, buf, cap);
	m->ct.n = 0;
	memset(m->count, 0, sizeof m->count);
	m->limit = limit < cap ? limit : cap;
	m->truncated = false;
	m->owner_ptr = m->rdata_ptr = 0;
	m->qname = NULL;
	tern_wr_u16(&m->w, id);
	tern_wr_u16(&m->w, flags);
	tern_wr_u32(&m->w, 0);
	tern_wr_u32(&m->w, 0);
}

int tern_msgw_question(tern_msgw *m, const uint8_t *qname, uint16_t qtype, uint16_t qclass)
{
	tern_wr_name(&m->w, &m->ct, qname);
	tern_wr_u16(&m->w, qtype);
	tern_wr_u16(&m->w, qclass);
	if (m->w.err)
		return m->w.err;
	if (!m->count[TERN_S_QUESTION] && qname[0])
		m->qname = qname; /* at TERN_HDR_LEN */
	m->count[TERN_S_QUESTION]++;
	return 0;
}

tern_msgw_mark tern_msgw_get_mark(const tern_msgw *m)
{
	tern_msgw_mark mk;
	mk.pos = m->w.pos;
	mk.ct_n = m->ct.n;
	memcpy(mk.count, m->count, sizeof mk.count);
	return mk;
}

void tern_msgw_rollback(tern_msgw *m, const tern_msgw_mark *mk)
{
	m->w.pos = mk->pos;
	m->w.err = 0;
	m->ct.n = mk->ct_n;
	memcpy(m->count, mk->count, sizeof m->count);
	m->owner_ptr = m->rdata_ptr = 0;
}

/* Where name, just written at offset at, can be pointed to: there, or where
 * the pointer it became points; 0 for the root or past 0x3fff. */
static uint16_t ptr_to(const tern_wr *w, size_t at, const uint8_t *name)
{
	if (w->err || !name[0])
		return 0;
	const uint8_t *o = w->p + at;
	if ((o[0] & 0xc0) == 0xc0)
		return (uint16_t)((o[0] & 0x3f) << 8 | o[1]);
	return at < 0x4000 ? (uint16_t)at : 0;
}

/* Wire length of the uncompressed name at p, within n bytes, or 0 if there
 * is no valid one there. */
static size_t rd_name_len(const uint8_t *p, size_t n)
{
	if (n > TERN_NAME_MAX)
		n = TERN_NAME_MAX;
	for (size_t i = 0; i < n; i += 1 + (size_t)p[i]) {
		if (p[i] == 0)
			return i + 1;
		if (p[i] > TERN_LABEL_MAX)
			return 0; /* a pointer or a reserved label type */
	}
	return 0;
}

/* RDATA, with its length, at the writer's position. The types whose names
 * a sender may compress (RFC 3597 4: those of RFC 1035) are laid out here as
 * fixed bytes, names, fixed bytes; every other type is copied, with no
 * table to walk. Byte-identical to tern_rdata_pack for valid RDATA. */
static void put_rdata(tern_msgw *m, uint16_t type, const uint8_t *rd, size_t rdlen)
{
	tern_wr *w = &m->w;
	unsigned names = 0;
	m->rdata_ptr = 0;
	size_t head = 0, tail = 0; /* fixed bytes before and after the names */
	switch (type) {
	case TERN_T_NS:
	case TERN_T_MD:
	case TERN_T_MF:
	case TERN_T_CNAME:
	case TERN_T_MB:
	case TERN_T_MG:
	case TERN_T_MR:
	case TERN_T_PTR: names = 1; break;
	case TERN_T_MINFO: names = 2; break;
	case TERN_T_MX: head = 2; names = 1; break;
	case TERN_T_SOA: names = 2; tail = 20; break;
	default: break;
	}
	size_t nlen[2] = {0, 0};
	if (names) {
		size_t off = head;
		for (unsigned i = 0; i < names && off <= rdlen; i++) {
			nlen[i] = rd_name_len(rd + off, rdlen - off);
			if (!nlen[i]) {
				names = 0; /* not a valid encoding: as it is */
				break;
			}
			off += nlen[i];
		}
		if (off + tail != rdlen)
			names = 0;
	}
	if (!names) {
		uint8_t *q = tern_wr_take(w, 2 + rdlen);
		if (q) {
			tern_put_u16(q, (uint16_t)rdlen);
			memcpy(q + 2, rd, rdlen);
		}
		return;
	}
	size_t start = w->pos;
	tern_wr_u16(w, 0);
	tern_wr_bytes(w, rd, head);
	const uint8_t *p = rd + head;
	for (unsigned i = 0; i < names; i++) {
		size_t at = w->pos;
		tern_wr_name(w, &m->ct, p);
		m->rdata_ptr = ptr_to(w, at, p);
		p += nlen[i];
	}
	tern_wr_bytes(w, p, tail);
	if (!w->err)
		tern_put_u16(w->p + start, (uint16_t)(w->pos - start - 2));
}

/* TYPE, CLASS, TTL and the RDATA after an owner; rolls back to mk on error. */
static int rr_rest(tern_msgw *m, const tern_msgw_mark *mk, enum tern_section s, uint16_t type, uint16_t cls,
                   uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	uint8_t *q = tern_wr_take(&m->w, 8);
	if (q) {
		tern_put_u16(q, type);
		tern_put_u16(q + 2, cls);
		tern_put_u32(q + 4, ttl);
	}
	if (rdlen > 65535)
		m->w.err = TERN_ESPACE;
	else
		put_rdata(m, type, rdata, rdlen);
	if (m->w.err) {
		int err = m->w.err;
		tern_msgw_rollback(m, mk);
		return err;
	}
	m->count[s]++;
	return 0;
}

int tern_msgw_rr(tern_msgw *m, enum tern_section s, const uint8_t *owner, uint16_t type, uint16_t cls,
                 uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	tern_msgw_mark mk = tern_msgw_get_mark(m);
	size_t cap = m->w.cap;
	m->w.cap = m->limit; /* RRs stay below the limit */
	uint16_t optr;
	if (owner == m->qname) {
		tern_wr_u16(&m->w, 0xc000 | TERN_HDR_LEN);
		optr = TERN_HDR_LEN;
	} else {
		tern_wr_name(&m->w, &m->ct, owner);
		optr = ptr_to(&m->w, mk.pos, owner);
	}
	int rc = rr_rest(m, &mk, s, type, cls, ttl, rdata, rdlen);
	m->owner_ptr = rc ? 0 : optr;
	m->w.cap = cap;
	return rc;
}

int tern_msgw_rr_ptr(tern_msgw *m, enum tern_section s, uint16_t owner_off, uint16_t type, uint16_t cls,
                     uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	tern_msgw_mark mk = tern_msgw_get_mark(m);
	size_t cap = m->w.cap;
	m->w.cap = m->limit;
	tern_wr_u16(&m->w, (uint16_t)(0xc000 | owner_off));
	int rc = rr_rest(m, &mk, s, type, cls, ttl, rdata, rdlen);
	m->w.cap = cap;
	return rc;
}

int tern_msgw_opt(tern_msgw *m, uint16_t payload, unsigned ext_rcode, bool do_bit, const uint8_t *opts,
                  size_t optlen)
{
	if (optlen > 0xffff)
		return TERN_ERANGE;
	uint8_t *q = tern_wr_take(&m->w, 11 + optlen); /* all or nothing */
	if (!q) {
		int err = m->w.err;
		m->w.err = 0; /* the message is unchanged */
		return err;
	}
	q[0] = 0; /* root owner */
	tern_put_u16(q + 1, TERN_T_OPT);
	tern_put_u16(q + 3, payload);
	tern_put_u32(q + 5, (uint32_t)((ext_rcode >> 4) & 0xff) << 24 | (do_bit ? 0x8000u : 0));
	tern_put_u16(q + 9, (uint16_t)optlen);
	if (optlen)
		memcpy(q + 11, opts, optlen);
	m->count[TERN_S_ADDITIONAL]++;
	return 0;
}

int tern_msgw_finish(tern_msgw *m, unsigned rcode)
{
	if (m->w.err)
		return m->w.err;
	uint8_t *h = m->w.p;
	uint16_t flags = tern_get_u16(h + 2);
	flags = (uint16_t)((flags & ~0xfu) | (rcode & 0xf));
	if (m->truncated)
		flags |= TERN_F_TC;
	tern_put_u16(h + 2, flags);
	for (int i = 0; i < 4; i++)
		tern_put_u16(h + 4 + 2 * i, m->count[i]);
	return (int)m->w.pos;
}

/* ---- reading any message ---- */

int tern_msg_iter_init(tern_msg_iter *it, const uint8_t *pkt, size_t len)
{
	tern_rd_init(&it->r, pkt, len);
	read_hdr(&it->r, &it->hdr);
	it->section = TERN_S_QUESTION;
	it->left = it->hdr.count[TERN_S_QUESTION];
	return it->r.err;
}

int tern_msg_next(tern_msg_iter *it, tern_rr *rr)
{
	if (it->r.err)
		return it->r.err;
	while (it->left == 0) {
		if (it->section >= TERN_S_ADDITIONAL)
			return 0;
		it->section++;
		it->left = it->hdr.count[it->section];
	}
	rr->section = (enum tern_section)it->section;
	if (tern_rd_name(&it->r, rr->owner, &rr->owner_len))
		return it->r.err;
	rr->type = tern_rd_u16(&it->r);
	rr->cls = tern_rd_u16(&it->r);
	rr->ttl = 0;
	rr->rdlen = 0;
	rr->rdata_off = it->r.pos;
	if (it->section != TERN_S_QUESTION) {
		rr->ttl = tern_rd_u32(&it->r);
		rr->rdlen = tern_rd_u16(&it->r);
		rr->rdata_off = it->r.pos;
		tern_rd_skip(&it->r, rr->rdlen);
	}
	if (it->r.err)
		return it->r.err;
	it->left--;
	return 1;
}

int tern_msg_edns(const uint8_t *pkt, size_t len, tern_edns *out)
{
	tern_msg_iter it;
	tern_rr rr;
	*out = (tern_edns){0};
	int rc = tern_msg_iter_init(&it, pkt, len);
	if (rc)
		return rc;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section != TERN_S_ADDITIONAL || rr.type != TERN_T_OPT || out->present)
			continue;
		out->present = true;
		out->payload = rr.cls;
		out->ext_rcode = (uint8_t)(rr.ttl >> 24);
		out->version = (uint8_t)(rr.ttl >> 16);
		out->flags = (uint16_t)rr.ttl;
		out->do_bit = (rr.ttl & 0x8000u) != 0;
		out->opts = pkt + rr.rdata_off;
		out->opts_len = rr.rdlen;
	}
	return rc;
}

unsigned tern_edns_rcode(const tern_edns *e, uint16_t hdr_flags)
{
	return TERN_RCODE(hdr_flags) | (e->present ? (unsigned)e->ext_rcode << 4 : 0);
}

int tern_edns_next_opt(const tern_edns *e, size_t *pos, tern_edns_opt *opt)
{
	*opt = (tern_edns_opt){0};
	if (!e->present || *pos >= e->opts_len)
		return 0;
	tern_rd r;
	tern_rd_init(&r, e->opts, e->opts_len);
	r.pos = *pos;
	if (tern_rd_left(&r) < 4)
		return TERN_EMALFORMED;
	opt->code = tern_rd_u16(&r);
	opt->len = tern_rd_u16(&r);
	opt->data = tern_rd_take(&r, opt->len);
	if (!opt->data)
		return TERN_EMALFORMED;
	*pos = r.pos;
	return 1;
}

int tern_rr_to_text(const uint8_t *pkt, size_t len, const tern_rr *rr, char *buf, size_t cap)
{
	char owner[TERN_NAME_TEXT_MAX], type[24], cls[24];
	if (tern_name_to_text(rr->owner, owner, sizeof owner) < 0)
		return TERN_ESPACE;
	tern_type_to_text(rr->type, type, sizeof type);
	tern_class_to_text(rr->cls, cls, sizeof cls);
	int n;
	if (rr->section == TERN_S_QUESTION) {
		n = snprintf(buf, cap, ";%s\t\t%s\t%s", owner, cls, type);
		return n < 0 || (size_t)n >= cap ? TERN_ESPACE : n;
	}
	n = snprintf(buf, cap, "%s\t%u\t%s\t%s\t", owner, rr->ttl, cls, type);
	if (n < 0 || (size_t)n >= cap)
		return TERN_ESPACE;
	uint8_t rd[TERN_MSG_MAX];
	size_t rdlen = 0;
	tern_rd r;
	tern_rd_init(&r, pkt, len);
	r.pos = rr->rdata_off;
	int err = tern_rdata_unpack(&r, rr->type, rr->rdlen, rd, sizeof rd, &rdlen);
	if (err) {
		/* not a valid encoding of its type: show the raw bytes generically */
		if (rr->rdata_off + rr->rdlen > len)
			return TERN_EMALFORMED;
		memcpy(rd, pkt + rr->rdata_off, rr->rdlen);
		rdlen = rr->rdlen;
		int m = tern_rdata_to_text(0, rd, rdlen, buf + n, cap - (size_t)n);
		return m < 0 ? m : n + m;
	}
	int m = tern_rdata_to_text(rr->type, rd, rdlen, buf + n, cap - (size_t)n);
	return m < 0 ? m : n + m;
}
