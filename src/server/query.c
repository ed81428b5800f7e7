/* query.c: see query.h. The order of decisions:
 *   1. parse (tern_query_parse): drop, FORMERR, NOTIMP, BADVERS or go on;
 *   2. size the answer: TCP 65535; UDP 512 without EDNS, else the client's
 *      payload size clamped to [512, udp_max] (RFC 6891 6.2.5);
 *   3. class IN -> the zones; class CH -> version.bind/id.server if set;
 *   4. OPT in the response whenever the query had one (RFC 6891 7). */
#include <string.h>

#include "db/answer.h"
#include "server/query.h"
#include "tern/msg.h"

static bool qname_is(const tern_query *q, const char *text_wire, size_t len)
{
	uint8_t lc[TERN_NAME_MAX];
	if (q->qname_len != len)
		return false;
	tern_name_lower(lc, q->qname);
	return memcmp(lc, text_wire, len) == 0;
}

/* RFC 4892: CH TXT version.bind / version.server, id.server / hostname.bind. */
static unsigned chaos(const version *v, const tern_query *q, tern_msgw *m, bool *aa)
{
	const char *text = NULL;
	if (qname_is(q, "\7version\4bind", 14) || qname_is(q, "\7version\6server", 16))
		text = v->cfg.version;
	else if (qname_is(q, "\2id\6server", 11) || qname_is(q, "\10hostname\4bind", 15))
		text = v->cfg.identity;
	if (!text || (q->qtype != TERN_T_TXT && q->qtype != TERN_T_ANY))
		return TERN_R_REFUSED;
	uint8_t rd[256];
	size_t n = strlen(text);
	if (n > 255)
		n = 255;
	rd[0] = (uint8_t)n;
	memcpy(rd + 1, text, n);
	if (tern_msgw_rr(m, TERN_S_ANSWER, q->qname, TERN_T_TXT, TERN_C_CH, 0, rd, n + 1))
		m->truncated = true;
	*aa = true;
	return TERN_R_NOERROR;
}

size_t query_respond(const version *v, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap, bool tcp)
{
	tern_query q;
	enum tern_qparse pr = tern_query_parse(pkt, len, &q);
	if (pr == TERN_Q_DROP)
		return 0;

	size_t size = TERN_UDP_MIN;
	if (tcp)
		size = TERN_MSG_MAX;
	else if (q.edns)
		size = q.edns_size < TERN_UDP_MIN ? TERN_UDP_MIN : (q.edns_size > v->cfg.udp_max ? v->cfg.udp_max : q.edns_size);
	if (size > cap)
		size = cap;

	uint8_t opts[4 + 255];
	size_t optlen = 0;
	if (q.edns && q.nsid && v->cfg.nsid && v->cfg.identity) {
		size_t n = strlen(v->cfg.identity);
		if (n > 255)
			n = 255;
		tern_put_u16(opts, TERN_OPT_NSID);
		tern_put_u16(opts + 2, (uint16_t)n);
		memcpy(opts + 4, v->cfg.identity, n);
		optlen = 4 + n;
	}
	size_t reserve = q.edns ? 11 + optlen : 0;

	uint16_t flags = (uint16_t)(TERN_F_QR | (q.hdr.flags & (0x7800u | TERN_F_RD | TERN_F_CD)));
	tern_msgw m;
	tern_msgw_init(&m, out, size, size - reserve, q.hdr.id, flags);
	if (q.question_end)
		(void)tern_msgw_question(&m, q.qname, q.qtype, q.qclass);

	unsigned rcode = TERN_R_NOERROR;
	bool aa = false;
	switch (pr) {
	case TERN_Q_FORMERR:
		rcode = TERN_R_FORMERR;
		break;
	case TERN_Q_NOTIMP:
		rcode = TERN_R_NOTIMP;
		break;
	case TERN_Q_BADVERS:
		rcode = TERN_R_BADVERS; /* RFC 6891 6.1.3, with OPT version 0 */
		break;
	case TERN_Q_DROP:
		return 0;
	case TERN_Q_OK:
		if (q.qtype == TERN_T_AXFR || q.qtype == TERN_T_IXFR) {
			rcode = TERN_R_REFUSED; /* no zone transfers (yet) */
		} else if (tern_type_is_meta(q.qtype) && q.qtype != TERN_T_ANY) {
			rcode = TERN_R_FORMERR; /* OPT, TSIG, TKEY are not questions */
		} else if (q.qclass == TERN_C_IN) {
			db_result res;
			db_answer(v->zones, &q, &m, tcp, &res);
			rcode = res.rcode;
			aa = res.aa;
		} else if (q.qclass == TERN_C_CH) {
			rcode = chaos(v, &q, &m, &aa);
		} else {
			rcode = TERN_R_REFUSED;
		}
		break;
	}
	if (aa)
		out[2] |= TERN_F_AA >> 8;
	if (q.edns && (pr == TERN_Q_OK || pr == TERN_Q_BADVERS || pr == TERN_Q_FORMERR)) {
		if (tern_msgw_opt(&m, (uint16_t)v->cfg.udp_max, rcode, q.edns_do, optlen ? opts : NULL, optlen))
			return 0;
	}
	int n = tern_msgw_finish(&m, rcode & 0xf);
	return n < 0 ? 0 : (size_t)n;
}
