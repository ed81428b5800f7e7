/* query.c: see query.h. The order of decisions:
 *   1. parse (tern_query_parse): drop, FORMERR, NOTIMP, BADVERS or go on;
 *   2. size the answer: TCP 65535; UDP 512 without EDNS, else the client's
 *      payload size clamped to [512, udp_max] (RFC 6891 6.2.5);
 *   3. class IN -> local zones and records, the client's policy (block
 *      lists, RPZ), zones, cache, upstream (answer_in);
 *      class CH -> version.bind/id.server if configured;
 *   4. OPT in the response whenever the query had one (RFC 6891 7);
 *   5. a query with TSIG (RFC 8945) is verified before it is answered: a
 *      bad one gets NOTAUTH with the TSIG error (or FORMERR), a good one a
 *      signed answer (tsig_check, then tern_tsig_sign last). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/answer.h"
#include "server/local.h"
#include "server/query.h"
#include "server/stats.h"
#include "tern/msg.h"
#include "tern/tsig.h"
#include "validate/validate.h"
#include "xfr/xfr_query.h"

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

enum chain { CHAIN_DONE, CHAIN_MISS, CHAIN_FORWARD };

#define RCODE_DROP 0x10000u /* answer_in: send nothing (a deny zone, RPZ rpz-drop) */

/* CNAME-target inspection (policy.h, chain.c): name is the target of a
 * CNAME from upstream data the answer just followed. CHAIN_MISS: nothing
 * applies, go on from name (or from the target of RPZ local data, now in
 * name); CHAIN_DONE: the lists answered (*rcode, or RCODE_DROP). */
static enum chain chain_policy(const tern_query *q, tern_msgw *m, uint8_t *name, qctx *ctx, unsigned *rcode)
{
	uint8_t target[TERN_NAME_MAX];
	memcpy(target, name, tern_name_len(name));
	unsigned prc = TERN_R_NOERROR;
	uint16_t ede = FWD_NO_EDE;
	enum pol_verdict pv =
		policy_chain(ctx->chain_view, target, q->qname, q->qtype, ctx->tcp, m, &ctx->ans_start, &prc, &ede, name);
	if (pv == POL_PASS)
		return CHAIN_MISS;
	ctx->chain_hit = true;
	ctx->ede = ede;
	ctx->val_other++; /* rewritten: never AD */
	if (pv == POL_CHAIN)
		return CHAIN_MISS;
	*rcode = pv == POL_DROPPED ? RCODE_DROP : prc;
	return CHAIN_DONE;
}

/* The validator's settings when validation is on, else NULL. */
static const val_conf *validating(const version *v)
{
	return v->cfg.val && v->cfg.val->on ? v->cfg.val : NULL;
}

/* Judges the cache's entry for (name, type) before it is written
 * (validation on, a CD=0 client): CHAIN_MISS to go on (secure or
 * insecure, counted in ctx), CHAIN_DONE with *rcode SERVFAIL (bogus: EDE
 * 6, RFC 8914 4.7), or CHAIN_FORWARD when the chain of trust needs a DS or
 * DNSKEY the cache does not have (ctx->forward asks it). */
static enum chain judge(const version *v, const val_conf *vc, const uint8_t *name, uint16_t type, uint8_t flags,
                        bool stale, qctx *ctx, unsigned *rcode)
{
	val_need nd;
	enum val_result r;
	uint8_t st = flags & CACHE_F_SECMASK;
	if (st || stale) { /* judged before (no copy, no lock more); stale data is not judged now */
		r = st == CACHE_F_SECURE ? VAL_SECURE : st == CACHE_F_BOGUS ? VAL_BOGUS : VAL_INSECURE;
		if (r == VAL_BOGUS)
			snprintf(ctx->val_why, sizeof ctx->val_why, "bogus (judged before)");
		if (stale && r == VAL_SECURE)
			r = VAL_INSECURE; /* no AD on stale data */
	} else {
		r = val_entry(vc, v->res->cache, ctx->now_ms, (uint32_t)time(NULL), name, type, &nd, ctx->val_why,
		              sizeof ctx->val_why);
	}
	switch (r) {
	case VAL_SECURE:
		ctx->val_secure++;
		return CHAIN_MISS;
	case VAL_INSECURE:
		ctx->val_other++;
		return CHAIN_MISS;
	case VAL_BOGUS:
		ctx->ede = TERN_EDE_DNSSEC_BOGUS;
		ctx->ede_text = ctx->val_why;
		*rcode = TERN_R_SERVFAIL;
		return CHAIN_DONE;
	case VAL_NEED:
		break;
	}
	uint16_t ede;
	if (v->res->failures && failcache_get(v->res->failures, nd.name, nd.type, ctx->now_ms, &ede)) {
		snprintf(ctx->val_why, sizeof ctx->val_why, "no %s for the chain of trust",
		         nd.type == TERN_T_DS ? "DS" : "DNSKEY");
		ctx->ede = TERN_EDE_DNSSEC_BOGUS;
		ctx->ede_text = ctx->val_why;
		*rcode = TERN_R_SERVFAIL;
		return CHAIN_DONE;
	}
	ctx->forward = true;
	ctx->prefetch = false; /* ctx->name is the question's now */
	memcpy(ctx->name, nd.name, tern_name_len(nd.name));
	ctx->type = nd.type;
	ctx->cd = true; /* RFC 6840 5.9: the validator judges for itself */
	return CHAIN_FORWARD;
}

/* Follows name through the cache: the RRset, a negative entry, or a CNAME
 * to go on with. On CHAIN_MISS, name holds where the data ran out.
 * at_qname: name is the query name (nothing answered yet), whose records
 * are written with the query's spelling. */
static enum chain from_cache(const version *v, const tern_query *q, tern_msgw *m, uint8_t *name, bool at_qname,
                             bool stale, qctx *ctx, unsigned *rcode)
{
	cache *c = v->res->cache;
	/* DNSSEC records for DO=1 clients only (RFC 4035 3.2.1); entries got
	 * with CD=1 only for CD=1 clients (RFC 4035 3.2.2) */
	unsigned qf = (stale ? CACHE_Q_STALE : 0u) | (q->edns_do ? CACHE_Q_DO : 0u) |
	              (q->hdr.flags & TERN_F_CD ? CACHE_Q_CD : 0u);
	const val_conf *vc = NULL;
	tern_msgw_mark mk0;
	if (__builtin_expect(v->cfg.val != NULL, 0) && v->cfg.val->on) {
		qf |= CACHE_Q_CD; /* what the upstream gave with CD=1 is judged here */
		if (!(q->hdr.flags & TERN_F_CD)) {
			vc = v->cfg.val;
			mk0 = tern_msgw_get_mark(m);
		}
	}
	for (int step = 0; step < DB_MAX_CHAIN; step++, at_qname = false) {
		const uint8_t *owner = at_qname ? q->qname : name;
		cache_hit h;
		bool pf = false; /* the probe below may take the entry's one prefetch */
		if (__builtin_expect(vc != NULL, 0)) { /* judged before it is written */
			cache_get_q(c, name, q->qtype, ctx->now_ms, qf, NULL, owner, &h);
			pf = h.prefetch;
			enum chain j = CHAIN_MISS;
			if (h.kind == CACHE_MISS) {
				cache_get_q(c, name, TERN_T_CNAME, ctx->now_ms, qf, NULL, owner, &h);
				if (h.kind == CACHE_RRSET && q->qtype != TERN_T_CNAME)
					j = judge(v, vc, name, TERN_T_CNAME, h.flags, stale, ctx, rcode);
			} else {
				j = judge(v, vc, name, q->qtype, h.flags, stale, ctx, rcode);
			}
			if (j == CHAIN_DONE)
				tern_msgw_rollback(m, &mk0); /* bogus: SERVFAIL without the chain so far */
			if (j != CHAIN_MISS)
				return j;
		}
		cache_get_q(c, name, q->qtype, ctx->now_ms, qf | CACHE_Q_AUTH, m, owner, &h);
		h.prefetch |= pf;
		ctx->stale |= h.stale;
		if (h.prefetch && !stale) {
			ctx->prefetch = true;
			memcpy(ctx->name, name, tern_name_len(name));
			ctx->type = q->qtype;
			ctx->cd = h.flags & CACHE_F_CD; /* refreshed as it was got */
		}
		if (h.kind == CACHE_RRSET || h.kind == CACHE_NODATA) {
			*rcode = TERN_R_NOERROR;
			return CHAIN_DONE;
		}
		if (h.kind == CACHE_NXDOMAIN_HIT) { /* the lookup also finds the name's NXDOMAIN */
			*rcode = TERN_R_NXDOMAIN;
			return CHAIN_DONE;
		}
		if (q->qtype == TERN_T_CNAME)
			return CHAIN_MISS;
		cache_get_q(c, name, TERN_T_CNAME, ctx->now_ms, qf, m, owner, &h);
		ctx->stale |= h.stale;
		if (h.kind != CACHE_RRSET || m->truncated)
			return m->truncated ? CHAIN_DONE : CHAIN_MISS;
		memcpy(name, h.target, tern_name_len(h.target));
		/* the block lists and RPZ see every name the chain leads to; an
		 * answer without a CNAME never gets here (chain.c) */
		if (__builtin_expect(ctx->chain_view != NULL, 0) && chain_policy(q, m, name, ctx, rcode) == CHAIN_DONE)
			return CHAIN_DONE;
	}
	*rcode = TERN_R_NOERROR; /* chain too long: what we have */
	return CHAIN_DONE;
}

/* Writes an upstream answer the cache could not keep (fr: TTL 0, too
 * big), for name (the chain's current name), its CNAMEs inspected first
 * (chain_policy): a hit writes the chain up to the CNAME whose target
 * matched, then the lists' answer. A CNAME of RPZ local data ends the
 * answer there (the cache path goes on resolving it; this rare path does
 * not). */
static unsigned from_result(const tern_query *q, tern_msgw *m, const uint8_t *name, const fwd_result *fr, qctx *ctx)
{
	const uint8_t *owner = tern_name_eq(name, q->qname) ? q->qname : name;
	if (__builtin_expect(ctx->chain_view != NULL, 0)) {
		size_t end = fwd_result_answer_end(fr);
		for (size_t off = 0; off < end;) { /* records: owner, type, ttl, rdlen, rdata */
			const uint8_t *o = fr->data + off;
			size_t ol = tern_name_len(o);
			uint16_t type = tern_get_u16(o + ol);
			uint16_t rdlen = tern_get_u16(o + ol + 6);
			off += ol + 8 + rdlen;
			if (type != TERN_T_CNAME || rdlen > TERN_NAME_MAX)
				continue;
			uint8_t target[TERN_NAME_MAX];
			memcpy(target, o + ol + 8, rdlen); /* sanitized: an uncompressed name */
			db_qname qn;
			pol_match pm;
			db_qname_init(&qn, target);
			if (!pol_names_lookup(&ctx->chain_view->names, &qn, &pm) || pm.action == POL_PASSTHRU)
				continue;
			unsigned rcode = TERN_R_NOERROR;
			if (fwd_result_write_part(fr, m, owner, q->edns_do, off) == 0 &&
			    chain_policy(q, m, target, ctx, &rcode) == CHAIN_DONE)
				return rcode;
			return TERN_R_NOERROR;
		}
	}
	fwd_result_write(fr, m, owner, q->edns_do);
	return fr->rcode;
}

/* No answer from upstream for name (the chain's current name): stale data
 * where serve-stale allows (RFC 8767; EDE 3 Stale Answer, 19 for a stale
 * NXDOMAIN), else SERVFAIL with the Extended DNS Error ede and its text
 * (RFC 8914). The first pass may have followed cached CNAMEs: name is where
 * it stopped. */
static unsigned failed(const version *v, const tern_query *q, tern_msgw *m, uint8_t *name, qctx *ctx, uint16_t ede,
                       const char *text)
{
	unsigned rcode = TERN_R_NOERROR;
	ctx->stale = false;
	if (v->cfg.serve_stale &&
	    from_cache(v, q, m, name, tern_name_eq(name, q->qname), true, ctx, &rcode) == CHAIN_DONE) {
		ctx->val_other++; /* stale data is not judged again */
		if (ctx->stale) {
			ctx->ede = rcode == TERN_R_NXDOMAIN ? TERN_EDE_STALE_NXDOMAIN : TERN_EDE_STALE;
			ctx->ede_cached = false;
			ctx->ede_text = NULL;
		}
		return rcode;
	}
	ctx->ede = ede;
	ctx->ede_text = text;
	return TERN_R_SERVFAIL;
}

static bool can_forward(const version *v, const qctx *ctx)
{
	if (!v->res || !ctx->allowed)
		return false;
	for (unsigned i = 0; v->ups && i < v->ups->nsets; i++)
		if (v->ups->sets[i].n)
			return true;
	return false;
}

/* Local zones and records (local.h: Unbound's local-zone types; without a
 * local zone, a name with data is answered here, any other goes on), from
 * the query's name or (*started) from name, following CNAMEs. Returns true
 * when that is the answer (*rcode, or RCODE_DROP); false to go on, with
 * *started set and name the target if a chain began. */
static bool local_chain(const version *v, const tern_query *q, tern_msgw *m, uint8_t *name, bool *started, bool *aa,
                        unsigned *rcode)
{
	for (int step = 0; step < DB_MAX_CHAIN; step++) {
		const uint8_t *at = *started ? name : q->qname;
		enum local_verdict lv = local_answer(v->local, v->policy ? &v->policy->lzones : NULL, at, at, q->qtype,
		                                     m, rcode, name);
		if (lv == LOCAL_PASS)
			return false;
		/* AA for the local data's answers, not for a refusal */
		*aa = *aa || (!*started && (lv == LOCAL_CHAIN || *rcode == TERN_R_NOERROR || *rcode == TERN_R_NXDOMAIN));
		if (lv == LOCAL_DROP)
			*rcode = RCODE_DROP;
		if (lv != LOCAL_CHAIN)
			return true;
		*started = true; /* name is the CNAME's target */
	}
	*rcode = TERN_R_NOERROR; /* chain too long: what we have */
	return true;
}

/* Class IN: local records, policy, zones, then cache and upstream. */
static unsigned answer_in(const version *v, const tern_query *q, tern_msgw *m, qctx *ctx, bool *aa, bool *ra)
{
	uint8_t name[TERN_NAME_MAX]; /* where the chain is, once started */
	bool started = false; /* the answer already holds the start of a chain */
	ctx->chain_view = NULL;
	ctx->chain_hit = false;

	/* RA: this client may use recursion here, whatever answers this one. */
	*ra = can_forward(v, ctx);
	/* An RPZ feed is not answered from, except its SOA for who may
	 * transfer it (xfr_query.h); a pointer test when no zone is hidden. */
	unsigned hrc;
	if (__builtin_expect(v->zones && v->zones->hidden != NULL, 0) && q->qtype == TERN_T_SOA &&
	    xfr_hidden_soa(v, q, ctx, m, aa, &hrc)) {
		ctx->source = STATS_SRC_ZONE;
		return hrc;
	}

	/* 1. Local zones and local records (local.h); a CNAME may lead to
	 * another. */
	const policy *pol = v->policy;
	if (pol) /* where a chain the lists block is taken back to */
		ctx->ans_start = tern_msgw_get_mark(m);
	bool local = v->local || (pol && pol->lzones.count);
	unsigned lrc;
	if (local && local_chain(v, q, m, name, &started, aa, &lrc)) {
		ctx->source = STATS_SRC_LOCAL;
		return lrc;
	}
	if (started)
		ctx->source = STATS_SRC_LOCAL; /* a chain that goes on from local data */
	/* 1b. The client's policy (block and allow lists, RPZ): for the
	 * query's name, before zones, cache and upstream, for clients the ACL
	 * lets resolve (a refused client learns nothing from the lists); and
	 * later for the targets of upstream CNAMEs (chain_view). */
	if (pol && ctx->allowed) {
		const pol_view *pv = ctx->view ? ctx->view : policy_view_for(pol, ctx->client);
		ctx->chain_view = pv->names.count ? pv : NULL;
		if (!started && pv->names.count) {
			db_qname qn;
			db_qname_init(&qn, q->qname);
			unsigned prc = TERN_R_NOERROR;
			uint16_t ede = FWD_NO_EDE;
			switch (policy_answer(pv, &qn, q->qname, q->qtype, ctx->tcp, m, &prc, &ede, name)) {
			case POL_PASS:
				break;
			case POL_DROPPED:
				return RCODE_DROP;
			case POL_ANSWERED:
				ctx->ede = ede;
				ctx->source = STATS_SRC_BLOCKED;
				return prc;
			case POL_CHAIN: /* the CNAME's target may be local */
				ctx->ede = ede;
				started = true;
				if (local && local_chain(v, q, m, name, &started, aa, &lrc))
					return lrc;
				break;
			}
		}
	}

	/* 2. Served zones. */
	if (!started || db_set_find(v->zones, name)) {
		const tern_query *zq = q;
		tern_query tq;
		if (started) { /* the zones go on from where the local records left */
			tq = *q;
			memcpy(tq.qname, name, tern_name_len(name));
			tq.qname_len = tern_name_len(name);
			zq = &tq;
		}
		db_result r;
		db_answer(v->zones, zq, m, ctx->tcp, &r);
		if (!r.no_zone) {
			*aa = *aa || r.aa;
			ctx->referral = r.referral;
			ctx->wildcard = r.wildcard;
			ctx->apex = r.apex;
			ctx->zone = r.zone;
			ctx->source = STATS_SRC_ZONE;
			if (!r.has_next || m->truncated)
				return r.rcode;
			memcpy(name, r.next, tern_name_len(r.next));
			started = true;
		}
	}

	/* 3. The cache and the upstreams. */
	if (!started)
		memcpy(name, q->qname, q->qname_len);
	if (!*ra) {
		if (started)
			return TERN_R_NOERROR;
		/* RFC 8914 4.19, 4.21: the ACL says no, or nothing here serves it */
		ctx->ede = v->res && !ctx->allowed ? TERN_EDE_PROHIBITED : TERN_EDE_NOT_AUTHORITATIVE;
		return TERN_R_REFUSED;
	}
	unsigned rcode = TERN_R_NOERROR;
	if (started)
		ctx->val_other++; /* local or zone data: not judged */
	enum chain ch = from_cache(v, q, m, name, !started, false, ctx, &rcode);
	if (ch == CHAIN_DONE) {
		ctx->source = ctx->chain_hit ? STATS_SRC_BLOCKED : STATS_SRC_CACHE;
		*aa = *aa && !ctx->chain_hit; /* the lists' answer is not our zones' data */
		return rcode;
	}
	if (ch == CHAIN_FORWARD)
		return TERN_R_NOERROR; /* ctx->forward: a DS or DNSKEY first */
	const fwd_result *fr = ctx->fr;
	if (fr && fr->qtype == q->qtype && tern_name_eq(fr->name, name)) {
		if (!fr->failed) {
			ctx->val_other++;
			if (validating(v) && !(q->hdr.flags & TERN_F_CD) && fwd_result_signed(fr)) {
				/* signed data the cache could not keep (TTL 0, too big)
				 * cannot be judged: not passed on as if it were good */
				ctx->ede = TERN_EDE_DNSSEC_BOGUS;
				ctx->ede_text = "signed data not cacheable, not validated";
				return TERN_R_SERVFAIL;
			}
			rcode = from_result(q, m, name, fr, ctx);
			ctx->source = ctx->chain_hit ? STATS_SRC_BLOCKED : STATS_SRC_UPSTREAM;
			*aa = *aa && !ctx->chain_hit;
			return rcode;
		}
		/* RFC 8767: every upstream failed; stale data beats none */
		rcode = failed(v, q, m, name, ctx, fr->ede, fr->ede_text);
		ctx->source = ctx->stale ? STATS_SRC_STALE : STATS_SRC_NONE;
		return rcode;
	}
	if (!(q->hdr.flags & TERN_F_RD))
		return started ? TERN_R_NOERROR : TERN_R_REFUSED; /* cache only */
	const upstream_set *set = fwd_set_for_q(v->ups->sets, v->ups->nsets, name, q->qtype);
	if (!set->n) { /* no upstream for this name (forward: none, outside every forward-zone) */
		if (started)
			return TERN_R_NOERROR;
		ctx->ede = TERN_EDE_NOT_AUTHORITATIVE;
		return TERN_R_REFUSED;
	}
	/* RFC 9520 3.2: a question that failed lately is not asked again
	 * until its hold ends */
	uint16_t ede;
	if (v->res->failures && failcache_get(v->res->failures, name, q->qtype, ctx->now_ms, &ede)) {
		ctx->ede_cached = true;
		return failed(v, q, m, name, ctx, ede == FWD_NO_EDE ? TERN_EDE_NO_REACHABLE_AUTHORITY : ede, NULL);
	}
	/* every upstream of the set is down: answer now, and let the worker
	 * probe one if a probe is due (attempt.h) */
	if (fwd_set_down(set)) {
		ctx->probe = true;
		ctx->prefetch = false; /* ctx->name is the probe's */
		memcpy(ctx->name, name, tern_name_len(name));
		ctx->type = q->qtype;
		ctx->cd = (q->hdr.flags & TERN_F_CD) || validating(v);
		return failed(v, q, m, name, ctx, TERN_EDE_NO_REACHABLE_AUTHORITY, "upstreams down");
	}
	ctx->forward = true;
	memcpy(ctx->name, name, tern_name_len(name));
	ctx->type = q->qtype;
	ctx->cd = (q->hdr.flags & TERN_F_CD) || validating(v); /* RFC 6840 5.9 */
	return TERN_R_NOERROR;
}

/* The response's size and flags, and its question. */
static size_t begin(const tern_query *q, bool parsed_question, tern_msgw *m, uint8_t *out, size_t cap, bool tcp,
                    unsigned udp_max, size_t optlen)
{
	size_t size = TERN_UDP_MIN;
	if (tcp)
		size = TERN_MSG_MAX;
	else if (q->edns)
		size = q->edns_size < TERN_UDP_MIN ? TERN_UDP_MIN : (q->edns_size > udp_max ? udp_max : q->edns_size);
	if (size > cap)
		size = cap;
	size_t reserve = q->edns ? 11 + optlen : 0;
	/* The opcode is echoed; RD (RFC 1035 4.1.1) and CD (RFC 4035 3.2.2)
	 * only for QUERY, the one opcode that defines them. Every other bit
	 * (AA, TC, RA, Z, AD) is the responder's own. */
	uint16_t copy = TERN_OPCODE(q->hdr.flags) == TERN_OP_QUERY ? 0x7800u | TERN_F_RD | TERN_F_CD : 0x7800u;
	uint16_t flags = (uint16_t)(TERN_F_QR | (q->hdr.flags & copy));
	tern_msgw_init(m, out, size, size - reserve, q->hdr.id, flags);
	if (parsed_question)
		(void)tern_msgw_question(m, q->qname, q->qtype, q->qclass);
	return size;
}

/* Appends an EDE option (RFC 8914 2) to opts at *len, room permitting
 * (EDE_ROOM bytes are kept for it). */
#define EDE_TEXT_MAX 60
#define EDE_ROOM (2 * (6 + EDE_TEXT_MAX))
static void add_ede(uint8_t *opts, size_t *len, uint16_t code, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	if (n > EDE_TEXT_MAX)
		n = EDE_TEXT_MAX;
	uint8_t *o = opts + *len;
	tern_put_u16(o, TERN_OPT_EDE);
	tern_put_u16(o + 2, (uint16_t)(2 + n));
	tern_put_u16(o + 4, code);
	if (n)
		memcpy(o + 6, text, n);
	*len += 6 + n;
}

size_t query_error(const uint8_t *pkt, size_t len, unsigned rcode, uint16_t ede, const char *text, uint8_t *out,
                   size_t cap, bool tcp)
{
	tern_query q;
	if (tern_query_parse(pkt, len, &q) == TERN_Q_DROP)
		return 0;
	tern_msgw m;
	begin(&q, q.question_end != 0, &m, out, cap, tcp, TERN_EDNS_SIZE, 0);
	uint8_t opts[EDE_ROOM];
	size_t optlen = 0;
	if (ede != FWD_NO_EDE)
		add_ede(opts, &optlen, ede, text);
	if (q.edns && tern_msgw_opt(&m, TERN_EDNS_SIZE, rcode, q.edns_do, optlen ? opts : NULL, optlen))
		return 0;
	int n = tern_msgw_finish(&m, rcode & 0xf);
	return n < 0 ? 0 : (size_t)n;
}

/* RFC 8945 5.2: verifies the TSIG of a parsed query (q->tsig_off != 0).
 * Returns the rcode to answer with instead of answering (FORMERR,
 * NOTAUTH, SERVFAIL), or NOERROR to answer; *sign says whether the answer
 * gets a TSIG RR (a verified query, or one of the NOTAUTH errors). */
static unsigned tsig_check(const version *v, const uint8_t *pkt, size_t len, const tern_query *q, uint64_t now,
                           tern_tsig_ctx *t, qctx *ctx, bool *sign)
{
	int r = tern_tsig_verify_request(t, v->cfg.keys, v->cfg.nkeys, pkt, len, q->tsig_off, now);
	*sign = r >= 0;
	if (r == 0)
		ctx->tsig_key = t->key;
	return r == 0 ? TERN_R_NOERROR : r > 0 ? TERN_R_NOTAUTH : r == TERN_EMALFORMED ? TERN_R_FORMERR : TERN_R_SERVFAIL;
}

size_t query_respond(const version *v, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap, qctx *ctx)
{
	tern_query q;
	ctx->forward = ctx->prefetch = ctx->probe = ctx->stale = ctx->ede_cached = ctx->xfr = ctx->update = ctx->cd = false;
	ctx->val_secure = ctx->val_other = 0;
	ctx->ede = FWD_NO_EDE;
	ctx->ede_text = NULL;
	ctx->opcode = ctx->source = 0;
	ctx->rcode = 0;
	ctx->qtype = 0;
	ctx->zone = NULL;
	enum tern_qparse pr = tern_query_parse(pkt, len, &q);
	if (pr == TERN_Q_DROP)
		return 0;
	ctx->opcode = (uint8_t)TERN_OPCODE(q.hdr.flags);

	uint8_t opts[4 + 255 + 4 + COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN + EDE_ROOM + 8 /* EXPIRE */];
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
	/* RFC 7873 5.2: answer a client cookie with a fresh server cookie
	 * (RFC 9018); a valid one proves the client's address (no RRL). */
	ctx->cookie_ok = false;
	if (q.edns && q.cookie_len && v->cookie && v->cfg.cookies && ctx->client) {
		uint32_t now_s = (uint32_t)time(NULL);
		ctx->cookie_ok = cookie_check(v->cookie, q.cookie, q.cookie_len, ctx->client, now_s) == COOKIE_VALID;
		uint8_t *o = opts + optlen;
		tern_put_u16(o, TERN_OPT_COOKIE);
		tern_put_u16(o + 2, COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN);
		memcpy(o + 4, q.cookie, COOKIE_CLIENT_LEN);
		cookie_make(v->cookie, q.cookie, ctx->client, now_s, o + 4 + COOKIE_CLIENT_LEN);
		optlen += 4 + COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN;
	}
	if (q.edns && q.expire && pr == TERN_Q_OK) /* RFC 7314 */
		optlen += xfr_expire_option(v, &q, opts + optlen);
	ctx->referral = ctx->wildcard = false;
	ctx->apex = NULL;
	ctx->qtype = q.qtype;
	ctx->question_end = q.question_end ? q.question_end : TERN_HDR_LEN;
	ctx->tsig_key = NULL;
	tern_tsig_ctx tsig;
	bool sign = false;
	uint64_t now = 0;
	unsigned tsig_rcode = TERN_R_NOERROR;
	if (q.tsig_off && (pr == TERN_Q_OK || pr == TERN_Q_BADVERS)) {
		now = (uint64_t)time(NULL);
		tsig_rcode = tsig_check(v, pkt, len, &q, now, &tsig, ctx, &sign);
	}
	tern_msgw m;
	size_t size = begin(&q, q.question_end != 0, &m, out, cap, ctx->tcp, v->cfg.udp_max, optlen);
	if (sign) { /* room for the TSIG RR after OPT */
		size_t need = tern_tsig_sign_size(&tsig);
		m.limit = m.limit > need ? m.limit - need : 0;
	}

	unsigned rcode = TERN_R_NOERROR;
	bool aa = false, ra = false;
	if (tsig_rcode != TERN_R_NOERROR) /* the question is not answered */
		rcode = tsig_rcode;
	else switch (pr) {
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
		if (TERN_OPCODE(q.hdr.flags) == TERN_OP_NOTIFY) {
			rcode = xfr_notify_in(v, &q, ctx, &aa); /* RFC 1996: src/xfr/xfr_query.c */
		} else if (TERN_OPCODE(q.hdr.flags) == TERN_OP_UPDATE) {
			/* RFC 2136: the worker hands it to the updater thread
			 * (src/xfr/updater.c), which checks the TSIG again itself */
			if (sign)
				tern_tsig_ctx_free(&tsig);
			ctx->update = true;
			return 0;
		} else if ((q.qtype == TERN_T_AXFR || q.qtype == TERN_T_IXFR) && q.qclass == TERN_C_IN) {
			/* zone transfers: the worker hands the packet to xfr_respond
			 * (src/xfr/xfr.c), which checks the TSIG again itself */
			if (sign)
				tern_tsig_ctx_free(&tsig);
			ctx->xfr = true;
			return 0;
		} else if (q.qtype == TERN_T_AXFR || q.qtype == TERN_T_IXFR) {
			rcode = TERN_R_REFUSED;
			ctx->ede = TERN_EDE_NOT_SUPPORTED;
		} else if (tern_type_is_meta(q.qtype) && q.qtype != TERN_T_ANY) {
			rcode = TERN_R_FORMERR; /* OPT, TSIG, TKEY are not questions */
		} else if (q.qclass == TERN_C_IN) {
			rcode = answer_in(v, &q, &m, ctx, &aa, &ra);
			if (ctx->forward || rcode == RCODE_DROP)
				return 0;
		} else if (q.qclass == TERN_C_CH) {
			rcode = chaos(v, &q, &m, &aa);
		} else {
			rcode = TERN_R_REFUSED;
		}
		break;
	}
	/* AA speaks for the answer; a SERVFAIL after a chain left our zones
	 * is not authoritative data (fuzz finding regress-servfail-aa-after-dname) */
	if (aa && rcode != TERN_R_SERVFAIL)
		out[2] |= TERN_F_AA >> 8;
	if (ra)
		out[3] |= TERN_F_RA;
	/* AD (RFC 4035 3.2.3, RFC 6840 5.7): every RRset and denial of the
	 * answer validated here, for a client that asked with DO or AD */
	if (ctx->val_secure && !ctx->val_other && (rcode == TERN_R_NOERROR || rcode == TERN_R_NXDOMAIN) &&
	    (q.edns_do || (q.hdr.flags & TERN_F_AD)) && pr == TERN_Q_OK)
		out[3] |= TERN_F_AD;
	if (q.edns && (pr == TERN_Q_OK || pr == TERN_Q_BADVERS || pr == TERN_Q_FORMERR)) {
		/* RFC 8914: say why, for every SERVFAIL and stale answer of ours */
		size_t plain = optlen;
		if (rcode == TERN_R_SERVFAIL && ctx->ede == FWD_NO_EDE)
			ctx->ede = TERN_EDE_OTHER;
		if (ctx->ede != FWD_NO_EDE)
			add_ede(opts, &optlen, ctx->ede, ctx->ede_text);
		if (ctx->ede_cached && ctx->ede != TERN_EDE_CACHED_ERROR)
			add_ede(opts, &optlen, TERN_EDE_CACHED_ERROR, NULL);
		/* the options of an error came after the answer was sized: a
		 * stale answer that filled the message goes without them */
		if (tern_msgw_opt(&m, (uint16_t)v->cfg.udp_max, rcode, q.edns_do, optlen ? opts : NULL, optlen) &&
		    (optlen == plain ||
		     tern_msgw_opt(&m, (uint16_t)v->cfg.udp_max, rcode, q.edns_do, plain ? opts : NULL, plain)))
			return 0;
	}
	/* what kind of response this is, for rate limiting (NSD/Knot keys) */
	if (rcode == TERN_R_NXDOMAIN) {
		ctx->rrl_kind = RRL_NXDOMAIN;
		ctx->rrl_name = ctx->apex ? ctx->apex : q.qname;
	} else if (rcode != TERN_R_NOERROR) {
		ctx->rrl_kind = RRL_ERROR;
		ctx->rrl_name = NULL;
	} else if (ctx->referral) {
		ctx->rrl_kind = RRL_REFERRAL;
		ctx->rrl_name = ctx->apex;
	} else if (m.count[TERN_S_ANSWER]) {
		ctx->rrl_kind = ctx->wildcard ? RRL_WILDCARD : RRL_ANSWER;
		ctx->rrl_name = ctx->wildcard && ctx->apex ? ctx->apex : NULL;
	} else {
		ctx->rrl_kind = RRL_NODATA;
		ctx->rrl_name = NULL;
	}
	if (!ctx->rrl_name && ctx->rrl_kind != RRL_ERROR) {
		memcpy(ctx->rrl_qname, q.qname, q.qname_len); /* q is gone on return */
		ctx->rrl_name = ctx->rrl_qname;
	}
	ctx->rcode = (uint16_t)rcode;
	int n = tern_msgw_finish(&m, rcode & 0xf);
	if (n < 0)
		return 0;
	if (sign) {
		size_t signed_len;
		int r = tern_tsig_sign(&tsig, out, (size_t)n, size, now, &signed_len);
		tern_tsig_ctx_free(&tsig);
		return r ? 0 : signed_len;
	}
	return (size_t)n;
}
