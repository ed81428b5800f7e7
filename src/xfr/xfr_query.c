/* xfr_query.c: see xfr_query.h. */
#include "xfr/xfr_query.h"
#include "db/answer.h"
#include "server/log.h"
#include "tern/rr.h"
#include "xfr/secondary.h"
#include "xfr/xfrin_config.h"

static const cfg_zone *config_zone(const config *c, const uint8_t *origin)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (tern_name_eq(c->zones[i].origin, origin))
			return &c->zones[i];
	return NULL;
}

unsigned xfr_notify_in(const version *v, const tern_query *q, const qctx *ctx, bool *aa)
{
	if (q->qclass != TERN_C_IN || q->qtype != TERN_T_SOA)
		return TERN_R_FORMERR;
	const db_zone *z = db_set_get(v->zones, q->qname);
	const cfg_zone *cz = z ? config_zone(&v->cfg, q->qname) : NULL;
	uint8_t cat[TERN_NAME_MAX];
	if (z && !cz && secondary_member_catalog(v->sec, q->qname, cat))
		cz = config_zone(&v->cfg, cat); /* a catalog member: its catalog's primaries and allow-notify */
	if (!cz || !cz->xfrin || !cz->xfrin->nprimaries)
		return TERN_R_NOTAUTH; /* not served, or not a secondary here */
	if (!xfrin_notify_allowed(cz->xfrin, ctx->client, ctx->tsig_key ? ctx->tsig_key->name : NULL))
		return TERN_R_REFUSED;
	*aa = true;
	secondary_notify(v->sec, q->qname);
	return TERN_R_NOERROR;
}

size_t xfr_expire_option(const version *v, const tern_query *q, uint8_t *out)
{
	const db_zone *z = db_set_find(v->zones, q->qname);
	if (!z || !zone_has_data(z) || !z->soa)
		return 0;
	int64_t left = secondary_expire_left(v->sec, z->origin);
	if (left < 0) { /* a primary (RFC 7314 3.1): the SOA's EXPIRE */
		uint16_t len;
		const uint8_t *rd = rrset_rdata(z->soa->rdata, &len);
		if (len < 20)
			return 0;
		left = tern_get_u32(rd + len - 8);
	}
	tern_put_u16(out, TERN_OPT_EXPIRE);
	tern_put_u16(out + 2, 4);
	tern_put_u32(out + 4, left > UINT32_MAX ? UINT32_MAX : (uint32_t)left);
	return 8;
}

bool xfr_hidden_soa(const version *v, const tern_query *q, const qctx *ctx, tern_msgw *m, bool *aa,
                    unsigned *rcode)
{
	if (q->qclass != TERN_C_IN)
		return false;
	const db_zone *z = db_set_get(v->zones, q->qname);
	if (!z || !zone_has_data(z) || !z->soa || db_set_find(v->zones, q->qname) == z)
		return false; /* not a zone's apex, or not hidden */
	const cfg_zone *cz = config_zone(&v->cfg, q->qname);
	if (!cz || !xfr_acl_allows(cz->xfr.acl, cz->xfr.nacl, ctx->client, ctx->tsig_key ? ctx->tsig_key->name : NULL))
		return false;
	db_put_rrset(m, TERN_S_ANSWER, q->qname, z->soa, z->soa->ttl);
	*aa = true;
	*rcode = TERN_R_NOERROR;
	return true;
}
