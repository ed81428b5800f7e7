/* update.c: see update.h. Section numbers are RFC 2136's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/msg.h"
#include "tern/rr.h"
#include "xfr/update.h"

unsigned update_zone(const uint8_t *pkt, size_t len, uint8_t zone[TERN_NAME_MAX])
{
	tern_msg_iter it;
	tern_rr rr;
	if (tern_msg_iter_init(&it, pkt, len) || it.hdr.count[TERN_S_QUESTION] != 1 || tern_msg_next(&it, &rr) != 1)
		return TERN_R_FORMERR;
	/* 3.1.1: "ZTYPE must be SOA" */
	if (rr.type != TERN_T_SOA)
		return TERN_R_FORMERR;
	memcpy(zone, rr.owner, rr.owner_len);
	return TERN_R_NOERROR;
}

/* One RR of the prerequisite or update section, RDATA uncompressed. */
typedef struct urr {
	const uint8_t *owner;
	uint16_t type, cls, rdlen;
	uint32_t ttl;
	const uint8_t *rdata;
} urr;

static void fail(update_plan *p, unsigned rcode, const char *fmt, const uint8_t *owner, uint16_t type)
{
	if (p->rcode != TERN_R_NOERROR)
		return;
	char o[TERN_NAME_TEXT_MAX] = "", t[24] = "";
	if (owner && tern_name_to_text(owner, o, sizeof o) < 0)
		snprintf(o, sizeof o, "?");
	if (type)
		tern_type_to_text(type, t, sizeof t);
	p->rcode = rcode;
	snprintf(p->why, sizeof p->why, fmt, o, t);
}

/* Every RR of the prerequisite and update sections, into the plan's arena. */
static int read_rrs(update_plan *p, const uint8_t *pkt, size_t len, urr **pre, size_t *npre, urr **up,
                    size_t *nup)
{
	tern_msg_iter it;
	if (tern_msg_iter_init(&it, pkt, len))
		return -1;
	size_t na = it.hdr.count[TERN_S_ANSWER], nn = it.hdr.count[TERN_S_AUTHORITY];
	*pre = calloc(na ? na : 1, sizeof **pre);
	*up = calloc(nn ? nn : 1, sizeof **up);
	if (!*pre || !*up)
		return -1;
	*npre = *nup = 0;
	tern_rr rr;
	int rc;
	uint8_t *buf = malloc(65536);
	if (!buf)
		return -1;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section != TERN_S_ANSWER && rr.section != TERN_S_AUTHORITY)
			continue;
		tern_rd r;
		tern_rd_init(&r, pkt, len);
		r.pos = rr.rdata_off;
		size_t out = 0;
		/* RDATA is checked against its type whenever there is some, and
		 * also when there is none in the zone's class (an add, 2.5.1; a
		 * value-dependent prerequisite, 2.4.2): an empty RDATA only where
		 * the type allows one. Class ANY and NONE carry none (2.4, 2.5). */
		if ((rr.rdlen || rr.cls == TERN_C_IN) && tern_rdata_unpack(&r, rr.type, rr.rdlen, buf, 65536, &out))
			break;
		urr u = {.type = rr.type, .cls = rr.cls, .ttl = rr.ttl, .rdlen = (uint16_t)out};
		u.owner = arena_dup(&p->mem, rr.owner, rr.owner_len);
		u.rdata = out ? arena_dup(&p->mem, buf, out) : (const uint8_t *)"";
		if (!u.owner || !u.rdata)
			break;
		if (rr.section == TERN_S_ANSWER)
			(*pre)[(*npre)++] = u;
		else
			(*up)[(*nup)++] = u;
	}
	free(buf);
	return rc == 0 ? 0 : -1;
}

static bool name_in_use(const db_zone *z, const uint8_t *name)
{
	const db_node *n = zone_find(z, name);
	return n && n->nrrsets;
}

static const db_rrset *rrset_at(const db_zone *z, const uint8_t *name, uint16_t type)
{
	const db_node *n = zone_find(z, name);
	return n ? node_rrset(n, type) : NULL;
}

static bool rrset_has(const db_rrset *s, const uint8_t *rd, uint16_t len)
{
	if (!s)
		return false;
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t l;
		const uint8_t *d = rrset_rdata(p, &l);
		if (l == len && !memcmp(d, rd, len))
			return true;
		p = d + l;
	}
	return false;
}

/* 3.2: prerequisites, against the zone as it is. */
static void check_prereqs(const db_zone *z, const urr *pre, size_t n, update_plan *p)
{
	for (size_t i = 0; i < n && p->rcode == TERN_R_NOERROR; i++) {
		const urr *r = &pre[i];
		/* 3.2.1 */
		if (r->ttl != 0) {
			fail(p, TERN_R_FORMERR, "prerequisite %s %s: TTL not 0", r->owner, r->type);
			return;
		}
		if (!tern_name_is_sub(r->owner, z->origin)) {
			fail(p, 10 /* NOTZONE */, "prerequisite %s: not in the zone", r->owner, 0);
			return;
		}
		if (r->cls == TERN_C_ANY) {
			if (r->rdlen) {
				fail(p, TERN_R_FORMERR, "prerequisite %s %s: class ANY with RDATA", r->owner, r->type);
			} else if (r->type == TERN_T_ANY) {
				if (!name_in_use(z, r->owner)) /* 2.4.4 */
					fail(p, TERN_R_NXDOMAIN, "prerequisite: %s is not in use", r->owner, 0);
			} else if (!rrset_at(z, r->owner, r->type)) { /* 2.4.1 */
				fail(p, 8 /* NXRRSET */, "prerequisite: no %s %s RRset", r->owner, r->type);
			}
		} else if (r->cls == TERN_C_NONE) {
			if (r->rdlen) {
				fail(p, TERN_R_FORMERR, "prerequisite %s %s: class NONE with RDATA", r->owner, r->type);
			} else if (r->type == TERN_T_ANY) {
				if (name_in_use(z, r->owner)) /* 2.4.5 */
					fail(p, TERN_R_YXDOMAIN, "prerequisite: %s is in use", r->owner, 0);
			} else if (rrset_at(z, r->owner, r->type)) { /* 2.4.3 */
				fail(p, 7 /* YXRRSET */, "prerequisite: %s %s RRset exists", r->owner, r->type);
			}
		} else if (r->cls == TERN_C_IN) {
			/* 2.4.2: the RRsets named by these RRs must match exactly;
			 * checked once per (name, type), at its first RR */
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = pre[j].cls == TERN_C_IN && pre[j].type == r->type && tern_name_eq(pre[j].owner, r->owner);
			if (seen)
				continue;
			const db_rrset *s = rrset_at(z, r->owner, r->type);
			size_t want = 0;
			bool ok = s != NULL;
			for (size_t j = i; j < n && ok; j++) {
				if (pre[j].cls != TERN_C_IN || pre[j].type != r->type || !tern_name_eq(pre[j].owner, r->owner))
					continue;
				bool dup = false; /* the same RR twice counts once */
				for (size_t k = i; k < j && !dup; k++)
					dup = pre[k].cls == TERN_C_IN && pre[k].type == r->type &&
					      tern_name_eq(pre[k].owner, r->owner) && pre[k].rdlen == pre[j].rdlen &&
					      !memcmp(pre[k].rdata, pre[j].rdata, pre[j].rdlen);
				want += !dup;
				ok = rrset_has(s, pre[j].rdata, pre[j].rdlen);
			}
			if (!ok || s->count != want)
				fail(p, 8 /* NXRRSET */, "prerequisite: %s %s RRset differs", r->owner, r->type);
		} else {
			fail(p, TERN_R_FORMERR, "prerequisite %s %s: bad class", r->owner, r->type);
		}
	}
}

/* 3.4.1.3: the update section, before anything changes. */
static void prescan(const db_zone *z, const urr *up, size_t n, update_plan *p)
{
	for (size_t i = 0; i < n && p->rcode == TERN_R_NOERROR; i++) {
		const urr *r = &up[i];
		if (!tern_name_is_sub(r->owner, z->origin)) {
			fail(p, 10 /* NOTZONE */, "update %s: not in the zone", r->owner, 0);
		} else if (r->cls == TERN_C_IN) {
			if (tern_type_is_meta(r->type))
				fail(p, TERN_R_FORMERR, "update %s %s: a meta type cannot be added", r->owner, r->type);
		} else if (r->cls == TERN_C_ANY) {
			if (r->ttl || r->rdlen || (tern_type_is_meta(r->type) && r->type != TERN_T_ANY))
				fail(p, TERN_R_FORMERR, "update %s %s: bad delete of an RRset", r->owner, r->type);
		} else if (r->cls == TERN_C_NONE) {
			if (r->ttl || tern_type_is_meta(r->type))
				fail(p, TERN_R_FORMERR, "update %s %s: bad delete of an RR", r->owner, r->type);
		} else {
			fail(p, TERN_R_FORMERR, "update %s %s: bad class", r->owner, r->type);
		}
	}
}

static int push(update_plan *p, size_t *cap, db_edit e)
{
	if (p->nedits == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		db_edit *v = realloc(p->edits, c * sizeof *v);
		if (!v)
			return -1;
		p->edits = v;
		*cap = c;
	}
	p->edits[p->nedits++] = e;
	return 0;
}

static bool serial_gt(uint32_t a, uint32_t b) /* RFC 1982 */
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* The apex's NS records as the update goes: it must keep at least one. */
typedef struct apex_ns {
	const uint8_t **rd;
	uint16_t *len;
	size_t n, cap;
} apex_ns;

static int ns_find(const apex_ns *a, const uint8_t *rd, uint16_t len)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->len[i] == len && !memcmp(a->rd[i], rd, len))
			return (int)i;
	return -1;
}

static int ns_add(apex_ns *a, const uint8_t *rd, uint16_t len)
{
	if (ns_find(a, rd, len) >= 0)
		return 0;
	if (a->n == a->cap) {
		size_t c = a->cap ? 2 * a->cap : 8;
		const uint8_t **v = realloc(a->rd, c * sizeof *v);
		if (v)
			a->rd = v;
		uint16_t *l = realloc(a->len, c * sizeof *l);
		if (l)
			a->len = l;
		if (!v || !l)
			return -1;
		a->cap = c;
	}
	a->rd[a->n] = rd;
	a->len[a->n++] = len;
	return 0;
}

/* 3.4.2: the edits, with the apex rules applied here (zone_apply keeps the
 * lenient CNAME rules of UPDATE). */
static void plan(const db_zone *z, const urr *up, size_t n, update_plan *p)
{
	size_t cap = 0;
	apex_ns ns = {0};
	const db_rrset *zns = node_rrset(z->apex, TERN_T_NS);
	const uint8_t *q = zns ? zns->rdata : NULL;
	for (unsigned i = 0; zns && i < zns->count; i++) {
		uint16_t l;
		const uint8_t *d = rrset_rdata(q, &l);
		if (ns_add(&ns, d, l))
			goto oom;
		q = d + l;
	}
	uint32_t serial = z->serial;
	bool serial_set = false;
	for (size_t i = 0; i < n; i++) {
		const urr *r = &up[i];
		bool apex = tern_name_eq(r->owner, z->origin);
		const db_node *node = zone_find(z, r->owner);
		db_edit e = {.owner = r->owner, .type = r->type, .ttl = r->ttl, .rdlen = r->rdlen, .rdata = r->rdata};
		if (r->cls == TERN_C_IN) {
			if (r->type == TERN_T_SOA) {
				/* 3.4.2.2: a SOA only at the apex, only with a greater serial */
				if (!apex || r->rdlen < 20 || !serial_gt(tern_get_u32(r->rdata + r->rdlen - 20), serial))
					continue;
				serial = tern_get_u32(r->rdata + r->rdlen - 20);
				serial_set = true;
			}
			/* 3.4.2.2: a CNAME and other data do not mix: ignored */
			bool has_cname = node && node_rrset(node, TERN_T_CNAME);
			bool has_other = false;
			for (unsigned k = 0; node && k < node->nrrsets; k++)
				has_other |= node->rrsets[k].type != TERN_T_CNAME && node->rrsets[k].type != TERN_T_RRSIG &&
				             node->rrsets[k].type != TERN_T_NSEC;
			if ((r->type == TERN_T_CNAME && has_other) ||
			    (r->type != TERN_T_CNAME && r->type != TERN_T_RRSIG && r->type != TERN_T_NSEC && has_cname))
				continue;
			if (apex && r->type == TERN_T_NS && ns_add(&ns, r->rdata, r->rdlen))
				goto oom;
			e.op = DB_ADD_RR;
			const db_rrset *s = node ? node_rrset(node, r->type) : NULL;
			p->changed |= !rrset_has(s, r->rdata, r->rdlen) || s->ttl != r->ttl;
		} else if (r->cls == TERN_C_ANY) {
			if (r->type == TERN_T_ANY) {
				/* 3.4.2.3: everything at the name; at the apex, not SOA and NS */
				if (!node || !node->nrrsets)
					continue;
				if (apex) {
					for (unsigned k = 0; k < node->nrrsets; k++) {
						uint16_t t = node->rrsets[k].type;
						if (t == TERN_T_SOA || t == TERN_T_NS)
							continue;
						e.op = DB_DEL_RRSET;
						e.type = t;
						p->changed = true;
						if (push(p, &cap, e))
							goto oom;
					}
					continue;
				}
				e.op = DB_DEL_NAME;
				p->changed = true;
			} else {
				if (apex && (r->type == TERN_T_SOA || r->type == TERN_T_NS))
					continue;
				e.op = DB_DEL_RRSET;
				p->changed |= node && node_rrset(node, r->type);
			}
		} else { /* TERN_C_NONE: one RR */
			if (apex && r->type == TERN_T_SOA)
				continue;
			if (apex && r->type == TERN_T_NS) {
				int k = ns_find(&ns, r->rdata, r->rdlen);
				if (k < 0 || ns.n == 1)
					continue; /* 3.4.2.4: never the last NS */
				ns.rd[k] = ns.rd[--ns.n];
				ns.len[k] = ns.len[ns.n];
			}
			e.op = DB_DEL_RR;
			p->changed |= rrset_has(node ? node_rrset(node, r->type) : NULL, r->rdata, r->rdlen);
		}
		if (push(p, &cap, e))
			goto oom;
	}
	if (p->changed && !serial_set) {
		/* 3.6: the serial goes up (RFC 1982: past 2^32 it wraps) */
		uint16_t l;
		const uint8_t *soa = rrset_rdata(z->soa->rdata, &l);
		uint8_t *rd = arena_dup(&p->mem, soa, l);
		if (!rd || l < 20)
			goto oom;
		tern_put_u32(rd + l - 20, z->serial + 1 ? z->serial + 1 : 1);
		db_edit e = {.op = DB_ADD_RR, .owner = z->origin, .type = TERN_T_SOA, .ttl = z->soa->ttl, .rdlen = l,
		             .rdata = rd};
		if (push(p, &cap, e))
			goto oom;
	}
	free(ns.rd);
	free(ns.len);
	return;
oom:
	free(ns.rd);
	free(ns.len);
	fail(p, TERN_R_SERVFAIL, "out of memory%s%s", NULL, 0);
}

void update_plan_make(const db_zone *z, const uint8_t *pkt, size_t len, update_plan *p)
{
	memset(p, 0, sizeof *p);
	arena_init_small(&p->mem);
	p->rcode = TERN_R_NOERROR;
	if (!zone_has_data(z)) {
		fail(p, TERN_R_SERVFAIL, "the zone has no data%s%s", NULL, 0);
		return;
	}
	urr *pre = NULL, *up = NULL;
	size_t npre = 0, nup = 0;
	if (read_rrs(p, pkt, len, &pre, &npre, &up, &nup)) {
		fail(p, TERN_R_FORMERR, "malformed update%s%s", NULL, 0);
	} else {
		check_prereqs(z, pre, npre, p);
		if (p->rcode == TERN_R_NOERROR)
			prescan(z, up, nup, p);
		if (p->rcode == TERN_R_NOERROR)
			plan(z, up, nup, p);
	}
	free(pre);
	free(up);
}

void update_plan_free(update_plan *p)
{
	free(p->edits);
	p->edits = NULL;
	p->nedits = 0;
	arena_free(&p->mem);
}
