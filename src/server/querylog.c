/* querylog.c: the debug line for each query (see query.h). Called only
 * when debug logging is on, so it may take its time: it works out again
 * where the answer came from rather than have the query path keep notes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "server/log.h"
#include "server/query.h"
#include "tern/rr.h"
#include "tern/wire.h"

static void client_text(const struct sockaddr *sa, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &v4->sin_addr, a, sizeof a);
		port = ntohs(v4->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof a);
		port = ntohs(v6->sin6_port);
	}
	snprintf(buf, cap, "%s#%u", a, port);
}

/* Where a class IN answer came from, worked out again from the data: the
 * source of its start (a chain may go on elsewhere). */
static void source_text(const version *v, const tern_query *q, const qctx *ctx, unsigned rcode, char *buf,
                        size_t cap)
{
	const db_node *n = v->local ? zone_find(v->local, q->qname) : NULL;
	if (n && n->nrrsets) {
		snprintf(buf, cap, "local data");
		return;
	}
	const db_zone *z = db_set_find(v->zones, q->qname);
	if (z) {
		char apex[TERN_NAME_TEXT_MAX];
		tern_name_to_text(z->origin, apex, sizeof apex);
		snprintf(buf, cap, "%s zone %s", ctx->referral ? "referral from" : "from", apex);
		return;
	}
	bool any_upstream = false;
	for (unsigned i = 0; v->res && v->ups && i < v->ups->nsets; i++)
		any_upstream |= v->ups->sets[i].n > 0;
	if (!any_upstream)
		snprintf(buf, cap, "in no zone, and no forwarding");
	else if (!ctx->allowed)
		snprintf(buf, cap, "in no zone; forwarding not allowed for this client (access-control)");
	else if (ctx->fr && ctx->fr->failed && rcode == TERN_R_SERVFAIL)
		snprintf(buf, cap, "every upstream failed or timed out");
	else if (ctx->fr && ctx->fr->failed)
		snprintf(buf, cap, "every upstream failed: stale data from the cache");
	else if (ctx->fr)
		snprintf(buf, cap, "upstream answer");
	else if (rcode == TERN_R_REFUSED && !(q->hdr.flags & TERN_F_RD))
		snprintf(buf, cap, "RD=0 and not in the cache");
	else
		snprintf(buf, cap, "from the cache");
}

void query_log(const version *v, const uint8_t *pkt, size_t len, const qctx *ctx, const uint8_t *out, size_t n)
{
	tern_query qv;
	const tern_query *q = &qv;
	enum tern_qparse pr = tern_query_parse(pkt, len, &qv);
	char client[INET6_ADDRSTRLEN + 8], name[TERN_NAME_TEXT_MAX] = "-", type[24] = "-", why[TERN_NAME_TEXT_MAX + 96];
	client_text(ctx->client, client, sizeof client);
	if (q->question_end) {
		tern_name_to_text(q->qname, name, sizeof name);
		tern_type_to_text(q->qtype, type, sizeof type);
	}
	const char *proto = ctx->tcp ? "TCP" : "UDP";
	if (pr == TERN_Q_DROP) {
		log_msg(LOG_DEBUG, "query from %s (%s): dropped (a response, or shorter than a header)", client, proto);
		return;
	}
	if (ctx->forward) {
		char next[TERN_NAME_TEXT_MAX];
		tern_name_to_text(ctx->name, next, sizeof next);
		if (ctx->cd && (ctx->type == TERN_T_DS || ctx->type == TERN_T_DNSKEY) && ctx->type != q->qtype)
			log_msg(LOG_DEBUG, "query from %s %s %s (%s): DNSSEC validation needs %s %s: asking an upstream",
			        client, name, type, proto, next, ctx->type == TERN_T_DS ? "DS" : "DNSKEY");
		else
			log_msg(LOG_DEBUG, "query from %s %s %s (%s): not in the cache: forwarding %s to an upstream",
			        client, name, type, proto, next);
		return;
	}
	if (n < TERN_HDR_LEN) {
		log_msg(LOG_DEBUG, "query from %s %s %s (%s): no answer", client, name, type, proto);
		return;
	}
	/* BADVERS is the one extended rcode ternd sends (its low bits are 0) */
	unsigned rcode = pr == TERN_Q_BADVERS ? TERN_R_BADVERS : (unsigned)(out[3] & 0xf);
	switch (pr) {
	case TERN_Q_FORMERR:
		snprintf(why, sizeof why, "malformed query");
		break;
	case TERN_Q_NOTIMP:
		snprintf(why, sizeof why, "opcode %u not implemented", (q->hdr.flags >> 11) & 0xf);
		break;
	case TERN_Q_BADVERS:
		snprintf(why, sizeof why, "EDNS version %u", q->edns_version);
		break;
	default:
		if (q->qtype == TERN_T_AXFR || q->qtype == TERN_T_IXFR)
			snprintf(why, sizeof why, "zone transfer refused");
		else if (q->qclass == TERN_C_IN)
			source_text(v, q, ctx, rcode, why, sizeof why);
		else if (q->qclass == TERN_C_CH)
			snprintf(why, sizeof why, "class CH");
		else
			snprintf(why, sizeof why, "class %u not served", q->qclass);
		break;
	}
	char rc[24];
	const char *rn = tern_rcode_name(rcode);
	if (rn)
		snprintf(rc, sizeof rc, "%s", rn);
	else
		snprintf(rc, sizeof rc, "RCODE%u", rcode);
	log_msg(LOG_DEBUG, "query from %s %s %s (%s): %s, %s; %u answer, %u authority, %u additional%s%s%s%s", client,
	        name, type, proto, rc, why, tern_get_u16(out + 6), tern_get_u16(out + 8), tern_get_u16(out + 10),
	        out[2] & (TERN_F_TC >> 8) ? ", truncated" : "", out[3] & TERN_F_AD ? ", DNSSEC secure" : "",
	        ctx->ede == TERN_EDE_DNSSEC_BOGUS ? ", DNSSEC bogus: " : "",
	        ctx->ede == TERN_EDE_DNSSEC_BOGUS && ctx->ede_text ? ctx->ede_text : "");
}
