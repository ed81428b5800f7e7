/* answer.c: the RFC 1034 4.3.2 algorithm over a zone set, composing the
 * response as it goes. One pass per name in the CNAME/DNAME chain:
 *   exact match      -> the RRset, or the CNAME to follow, or NODATA;
 *   at/below a cut   -> a referral (NS in authority, glue in additional);
 *   below a DNAME    -> DNAME plus a synthesized CNAME (RFC 6672 3.1);
 *   no such name     -> the wildcard at the closest encloser (RFC 4592),
 *                       else NXDOMAIN.
 * Negative answers carry the SOA with TTL min(SOA TTL, MINIMUM)
 * (RFC 2308 3 and 5). */
#include <string.h>

#include "db/answer.h"
#include "db/dnssec.h"
#include "tern/rr.h"

#define MAX_ADDL 32
#define MAX_PROOFS 24 /* denial records of one answer, each added once */

typedef struct ctx {
	const db_set *set;
	tern_msgw *m;
	const tern_query *q;
	bool tcp;
	db_result *res;
	struct {
		const uint8_t *name;
		uint16_t ptr;             /* where the message holds it (RDATA), or 0 */
		bool glue;                /* glue: node (may be NULL) is decided */
		const db_node *node;      /* glue: the node in the delegating zone */
		bool required;            /* in-domain glue: TC if it does not fit */
	} addl[MAX_ADDL];
	unsigned naddl;
	const uint8_t *visited[DB_MAX_CHAIN + 1]; /* owner names answered */
	unsigned nvisited;
	uint8_t synth[DB_MAX_CHAIN][TERN_NAME_MAX]; /* DNAME-synthesized names */
	unsigned nsynth;
	/* The name being resolved with the hash of each of its suffixes,
	 * computed once (db_qname_init) and shared by the zone set's and the
	 * zone's lookups; redone for each new name of a chain. */
	db_qname qn;
	unsigned zat; /* qn's suffix index of the zone's origin */
	/* Names the message already holds, so that owners equal to them are
	 * written as a pointer, with no search of the compression table:
	 * qptr: where the question holds q->qname, or 0;
	 * nptr: where qn's name is (the question, or the RDATA of the CNAME
	 * that led to it), or 0; nlit: it is written there in full, without
	 * a pointer (the question), so its suffix i is at nptr + qn.off[i];
	 * next_ptr: where the RDATA just written holds the name to follow. */
	uint16_t qptr, nptr, next_ptr;
	bool nlit;
	/* DNSSEC (DO=1, RFC 3225): sec is the denial data of the zone that
	 * answers for the current name when it is signed, else NULL; wild is
	 * set while answering from a wildcard, whose closest encloser is
	 * suffix wild_cei of qn. Proofs wait in proofs[] until the answer
	 * section is complete (a wildcard CNAME's comes before the answer to
	 * its target) and are added once each. */
	bool dnssec_ok;
	const db_dnssec *sec;
	bool wild;
	unsigned wild_cei;
	struct {
		const db_node *node;
		uint16_t type;
	} proofs[MAX_PROOFS];
	unsigned nproofs;
} ctx;

/* Adds a whole RRset or nothing. A section that would overflow marks the
 * message truncated (RFC 2181 9) and stops all further additions. The owner
 * is compressed once: *optr, if not 0, is the offset of a name equal to it
 * already in the message; else the first record's owner becomes that (and
 * is left in *optr for another RRset of the same owner). Records without
 * names to compress after that are written in one piece. rptr, if not
 * NULL, receives for the first nrptr records where the message holds the
 * (last) name of their RDATA, or 0. */
static bool put_rrset_at(tern_msgw *m, enum tern_section sec, const uint8_t *owner, uint16_t *optr,
                         const db_rrset *s, uint32_t ttl, uint16_t *rptr, unsigned nrptr)
{
	for (unsigned k = 0; k < nrptr && k < s->count; k++)
		rptr[k] = 0;
	if (m->truncated)
		return false;
	tern_msgw_mark mk = tern_msgw_get_mark(m);
	uint16_t optr_in = *optr;
	const uint8_t *p = s->rdata;
	unsigned i = 0;
	uint16_t len;
	const uint8_t *rd;
	if (!*optr && s->count) {
		rd = rrset_rdata(p, &len);
		if (tern_msgw_rr(m, sec, owner, s->type, TERN_C_IN, ttl, rd, len))
			goto full;
		*optr = m->owner_ptr;
		if (nrptr)
			rptr[0] = m->rdata_ptr;
		p = rd + len;
		i = 1;
	}
	if (*optr && !tern_rdata_compressible(s->type)) {
		/* each record: owner pointer, TYPE, CLASS, TTL, RDLENGTH, RDATA */
		size_t need = 0;
		const uint8_t *e = p;
		for (unsigned k = i; k < s->count; k++) {
			rd = rrset_rdata(e, &len);
			need += 12 + (size_t)len;
			e = rd + len;
		}
		uint8_t *q = tern_msgw_take(m, need);
		if (!q)
			goto full;
		for (; i < s->count; i++) {
			rd = rrset_rdata(p, &len);
			tern_put_u16(q, (uint16_t)(0xc000 | *optr));
			tern_put_u16(q + 2, s->type);
			tern_put_u16(q + 4, TERN_C_IN);
			tern_put_u32(q + 6, ttl);
			tern_put_u16(q + 10, len);
			memcpy(q + 12, rd, len);
			q += 12 + (size_t)len;
			p = rd + len;
			m->count[sec]++;
		}
		return true;
	}
	for (; i < s->count; i++) {
		rd = rrset_rdata(p, &len);
		int rc = *optr ? tern_msgw_rr_ptr(m, sec, *optr, s->type, TERN_C_IN, ttl, rd, len)
		               : tern_msgw_rr(m, sec, owner, s->type, TERN_C_IN, ttl, rd, len);
		if (rc)
			goto full;
		if (i < nrptr)
			rptr[i] = m->rdata_ptr;
		p = rd + len;
	}
	return true;
full:
	tern_msgw_rollback(m, &mk);
	*optr = optr_in; /* an owner written here went with the roll-back */
	for (unsigned k = 0; k < nrptr && k < s->count; k++)
		rptr[k] = 0;
	if (sec != TERN_S_ADDITIONAL)
		m->truncated = true;
	return false;
}

bool db_put_rrset(tern_msgw *m, enum tern_section sec, const uint8_t *owner, const db_rrset *s, uint32_t ttl)
{
	uint16_t optr = 0;
	return put_rrset_at(m, sec, owner, &optr, s, ttl, NULL, 0);
}

/* Where the message holds owner, if it is the name being resolved or the
 * query's (compared by pointer: those are the names owners come from). */
static uint16_t known_ptr(const ctx *c, const uint8_t *owner)
{
	if (owner == c->qn.name && c->nptr)
		return c->nptr;
	return owner == c->q->qname ? c->qptr : 0;
}

/* Where the message holds the ancestor (or self) of qn's name that is len
 * bytes long, or 0: only when qn's name is written in full. Never the root
 * (one byte; a pointer would be two). */
static uint16_t suffix_ptr(const ctx *c, size_t len)
{
	if (!c->nlit)
		return 0;
	for (unsigned i = 0; i < c->qn.labels; i++) {
		size_t l = db_qname_len(&c->qn, i);
		if (l <= len)
			return l == len ? (uint16_t)(c->nptr + c->qn.off[i]) : 0;
	}
	return 0;
}

static bool put_rrset(ctx *c, enum tern_section sec, const uint8_t *owner, const db_rrset *s, uint32_t ttl)
{
	uint16_t optr = known_ptr(c, owner);
	return put_rrset_at(c->m, sec, owner, &optr, s, ttl, NULL, 0);
}

static void want_addl(ctx *c, const uint8_t *name, uint16_t ptr, bool glue, const db_node *node, bool required)
{
	for (unsigned i = 0; i < c->naddl; i++)
		if (tern_name_eq(c->addl[i].name, name))
			return;
	if (c->naddl < MAX_ADDL) {
		c->addl[c->naddl].name = name;
		c->addl[c->naddl].ptr = ptr;
		c->addl[c->naddl].glue = glue;
		c->addl[c->naddl].node = node;
		c->addl[c->naddl].required = required;
		c->naddl++;
	}
}

/* True if name (of wire length len and db_name_hash h) is qn or one of its
 * ancestors. */
static bool qn_under(const db_qname *qn, const uint8_t *name, size_t len, uint32_t h)
{
	for (unsigned i = 0; i <= qn->labels; i++) {
		size_t l = db_qname_len(qn, i);
		if (l <= len)
			return l == len && qn->hash[i] == h && db_name_eq_len(db_qname_suffix(qn, i), name, len);
	}
	return false;
}

static bool wants_addl(uint16_t type)
{
	return type == TERN_T_NS || type == TERN_T_MX || type == TERN_T_SRV;
}

/* The RRSIGs at n covering type (RFC 4035 3.1.1), each RRset with its own
 * TTL, owned by owner (the query name for a wildcard: the RRSIG's labels
 * field tells a validator so, RFC 4035 5.3.4). Nothing when the zone is
 * unsigned or the query did not set DO. */
static void put_sigs(ctx *c, enum tern_section sec, const uint8_t *owner, uint16_t *optr, const db_node *n,
                     uint16_t type)
{
	if (!c->sec || type == TERN_T_RRSIG)
		return;
	const db_rrset *s = node_rrsigs(n, type);
	if (s)
		put_rrset_at(c->m, sec, owner, optr, s, s->ttl, NULL, 0);
}

/* Puts an RRset of node n in the answer section, with its RRSIGs, and
 * queues the names that the additional section should give addresses for
 * (RFC 1035 3.3.9 MX, 3.3.11 NS; RFC 2782 SRV), with where the RDATA put
 * them. */
static void put_answer(ctx *c, const db_node *n, const uint8_t *owner, const db_rrset *s)
{
	uint16_t optr = known_ptr(c, owner);
	if (!wants_addl(s->type)) {
		put_rrset_at(c->m, TERN_S_ANSWER, owner, &optr, s, s->ttl, NULL, 0);
		put_sigs(c, TERN_S_ANSWER, owner, &optr, n, s->type);
		return;
	}
	uint16_t rp[MAX_ADDL];
	put_rrset_at(c->m, TERN_S_ANSWER, owner, &optr, s, s->ttl, rp, MAX_ADDL);
	put_sigs(c, TERN_S_ANSWER, owner, &optr, n, s->type);
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		const uint8_t *t = tern_rdata_target(s->type, rd, len);
		if (t && t[0])
			want_addl(c, t, i < MAX_ADDL ? rp[i] : 0, false, NULL, false);
		p = rd + len;
	}
}

/* The SOA of qn's zone z, whose origin the question may hold already. */
static void put_soa(ctx *c, const db_zone *z)
{
	if (!z->soa)
		return;
	uint16_t optr = suffix_ptr(c, z->origin_len);
	put_rrset_at(c->m, TERN_S_AUTHORITY, z->origin, &optr, z->soa, z->neg_ttl, NULL, 0);
	/* the SOA's RRSIGs with the SOA's TTL here, RFC 2308 5 (as Knot) */
	const db_rrset *sig = c->sec ? node_rrsigs(z->apex, TERN_T_SOA) : NULL;
	if (sig)
		put_rrset_at(c->m, TERN_S_AUTHORITY, z->origin, &optr, sig, z->neg_ttl, NULL, 0);
}

/* ---- denial of existence (DO=1 in a signed zone) ----
 * NSEC: RFC 4035 3.1.3; NSEC3: RFC 5155 7.2. A proof is the RRset type at
 * node n with its RRSIGs, in authority, once per answer: put_proof notes
 * it, put_proofs adds them when the answer section is done. */
static void put_proof(ctx *c, const db_node *n, uint16_t type)
{
	if (!n || !node_rrset(n, type))
		return;
	for (unsigned i = 0; i < c->nproofs; i++)
		if (c->proofs[i].node == n && c->proofs[i].type == type)
			return;
	if (c->nproofs < MAX_PROOFS) {
		c->proofs[c->nproofs].node = n;
		c->proofs[c->nproofs++].type = type;
	}
}

static void put_proofs(ctx *c)
{
	for (unsigned i = 0; i < c->nproofs; i++) {
		const db_node *n = c->proofs[i].node;
		const db_rrset *s = node_rrset(n, c->proofs[i].type);
		const db_rrset *sig = node_rrsigs(n, s->type);
		uint16_t optr = 0;
		if (put_rrset_at(c->m, TERN_S_AUTHORITY, n->name, &optr, s, s->ttl, NULL, 0) && sig)
			put_rrset_at(c->m, TERN_S_AUTHORITY, n->name, &optr, sig, sig->ttl, NULL, 0);
	}
}

/* The NSEC3 matching name (*exact) or covering it. */
static const db_nsec3 *n3_lookup(const ctx *c, const uint8_t *name, bool *exact)
{
	uint8_t h[DB_NSEC3_HASH_LEN];
	db_nsec3_hash(name, c->sec->salt, c->sec->salt_len, c->sec->iterations, h);
	return db_nsec3_find(c->sec, h, exact);
}

/* Adds the NSEC3 matching name; false when there is none. */
static bool n3_match(ctx *c, const uint8_t *name)
{
	bool exact;
	const db_nsec3 *e = n3_lookup(c, name, &exact);
	if (e && exact)
		put_proof(c, e->node, TERN_T_NSEC3);
	return e && exact;
}

/* Adds the NSEC3 covering name (or matching it, should it exist). */
static void n3_cover(ctx *c, const uint8_t *name)
{
	bool exact;
	const db_nsec3 *e = n3_lookup(c, name, &exact);
	if (e)
		put_proof(c, e->node, TERN_T_NSEC3);
}

/* RFC 5155 7.2.1, the closest provable encloser proof, starting at suffix
 * i of qn (0 < i <= c->zat): the NSEC3 matching the nearest ancestor that
 * has one, and the NSEC3 covering the next closer name below it. Returns
 * the encloser's suffix index. */
static unsigned n3_encloser(ctx *c, unsigned i)
{
	while (i < c->zat && !n3_match(c, db_qname_suffix(&c->qn, i)))
		i++;
	if (i == c->zat)
		n3_match(c, db_qname_suffix(&c->qn, i));
	if (i > 0)
		n3_cover(c, db_qname_suffix(&c->qn, i - 1));
	return i;
}

/* "*." + suffix i of qn into buf; false if that is too long. */
static bool wild_of(const ctx *c, unsigned i, uint8_t *buf)
{
	static const uint8_t star[2] = {1, '*'};
	size_t len;
	return !tern_name_concat(star, 2, db_qname_suffix(&c->qn, i), buf, &len);
}

/* NXDOMAIN for qn, whose closest encloser is suffix cei: nothing matches
 * qn, nor the wildcard at the closest encloser (RFC 4035 3.1.3.2, RFC
 * 5155 7.2.2). */
static void deny_name(ctx *c, unsigned cei)
{
	uint8_t wild[TERN_NAME_MAX];
	if (!c->sec->nsec3) {
		put_proof(c, db_nsec_find(c->sec, c->qn.name), TERN_T_NSEC);
		if (wild_of(c, cei, wild))
			put_proof(c, db_nsec_find(c->sec, wild), TERN_T_NSEC);
		return;
	}
	unsigned ce = n3_encloser(c, cei);
	if (wild_of(c, ce, wild))
		n3_cover(c, wild);
}

/* NODATA at node n: the node of qn, or the wildcard that is the source
 * of synthesis (RFC 4035 3.1.3.1 and 3.1.3.4, RFC 5155 7.2.3 to 7.2.5). */
static void deny_type(ctx *c, const db_node *n)
{
	if (!c->sec->nsec3) {
		if (c->wild)
			put_proof(c, db_nsec_find(c->sec, c->qn.name), TERN_T_NSEC);
		/* an empty non-terminal has no NSEC: the one covering it */
		put_proof(c, node_rrset(n, TERN_T_NSEC) ? n : db_nsec_find(c->sec, n->name), TERN_T_NSEC);
		return;
	}
	if (c->wild) {
		n3_encloser(c, c->wild_cei);
		n3_match(c, n->name);
		return;
	}
	/* no NSEC3 for the name: an opt-out span holds it (a DS query at an
	 * insecure delegation, RFC 5155 7.2.4) */
	if (!n3_match(c, n->name) && c->zat > 0)
		n3_encloser(c, 1);
}

/* A wildcard answered for qn: qn itself does not exist (RFC 4035 3.1.3.3;
 * RFC 5155 7.2.6: the NSEC3 covering the next closer name). */
static void deny_exact(ctx *c)
{
	if (!c->sec->nsec3)
		put_proof(c, db_nsec_find(c->sec, c->qn.name), TERN_T_NSEC);
	else if (c->wild_cei > 0)
		n3_cover(c, db_qname_suffix(&c->qn, c->wild_cei - 1));
}

/* A referral to cut (suffix cut_i of qn): its DS with their RRSIGs, or
 * the proof that it has none (RFC 4035 3.1.4; RFC 5155 7.2.7: the
 * matching NSEC3, else the closest provable encloser of an opt-out span). */
static void put_ds(ctx *c, const db_node *cut, unsigned cut_i)
{
	const db_rrset *ds = node_rrset(cut, TERN_T_DS);
	if (ds) {
		uint16_t optr = suffix_ptr(c, cut->name_len);
		if (put_rrset_at(c->m, TERN_S_AUTHORITY, cut->name, &optr, ds, ds->ttl, NULL, 0))
			put_sigs(c, TERN_S_AUTHORITY, cut->name, &optr, cut, TERN_T_DS);
		return;
	}
	if (!c->sec->nsec3)
		put_proof(c, node_rrset(cut, TERN_T_NSEC) ? cut : NULL, TERN_T_NSEC);
	else if (!n3_match(c, cut->name) && cut_i < c->zat)
		n3_encloser(c, cut_i + 1);
}

static void referral(ctx *c, const db_zone *z, const db_node *cut)
{
	c->wild = false;
	const db_rrset *ns = node_rrset(cut, TERN_T_NS);
	if (!ns)
		return;
	/* RFC 1034 4.3.2 step 3b: a referral is not authoritative, unless the
	 * answer already holds our CNAME/DNAME for the query name, for which
	 * AA stands (RFC 1035 4.1.1). */
	if (!c->m->count[TERN_S_ANSWER])
		c->res->aa = false;
	c->res->referral = true;
	uint16_t optr = suffix_ptr(c, cut->name_len); /* the cut is qn or above */
	uint16_t rp[MAX_ADDL];
	put_rrset_at(c->m, TERN_S_AUTHORITY, cut->name, &optr, ns, ns->ttl, rp, MAX_ADDL);
	if (c->sec) /* the cut is suffix (labels of qn - labels of the cut) */
		put_ds(c, cut, c->qn.labels - tern_name_labels(cut->name));
	const uint8_t *p = ns->rdata;
	db_qname tq; /* the suffix hashes of each target, for three uses */
	for (unsigned i = 0; i < ns->count; i++) {
		uint16_t len;
		const uint8_t *t = rrset_rdata(p, &len);
		db_qname_init(&tq, t);
		/* glue: addresses in this zone; RFC 9471: those for names inside
		 * the delegated zone are required */
		if (qn_under(&tq, z->origin, z->origin_len, z->origin_hash))
			want_addl(c, t, i < MAX_ADDL ? rp[i] : 0, true, zone_find_q(z, &tq, 0),
			          qn_under(&tq, cut->name, cut->name_len, cut->hash));
		p = t + len;
	}
}

static void put_addl(ctx *c)
{
	static const uint16_t types[2] = {TERN_T_A, TERN_T_AAAA};
	for (unsigned i = 0; i < c->naddl && !c->m->truncated; i++) {
		const uint8_t *name = c->addl[i].name;
		const db_node *n;
		c->sec = NULL; /* glue is not signed (RFC 4035 2.2) */
		if (c->addl[i].glue) {
			n = c->addl[i].node;
		} else {
			c->nptr = 0; /* qn is no longer the name resolved */
			c->nlit = false;
			db_qname_init(&c->qn, name);
			const db_zone *z = db_set_find_q(c->set, &c->qn, 0, NULL);
			n = z ? zone_find_q(z, &c->qn, 0) : NULL;
			if (n && (n->flags & (DB_OCCLUDED | DB_UNDER_DNAME)))
				n = NULL; /* not authoritative data */
			if (n && c->dnssec_ok)
				c->sec = z->dnssec;
		}
		if (!n)
			continue;
		uint16_t optr = c->addl[i].ptr; /* the A's owner serves the AAAA too */
		for (int k = 0; k < 2; k++) {
			const db_rrset *s = node_rrset(n, types[k]);
			if (!s)
				continue;
			if (put_rrset_at(c->m, TERN_S_ADDITIONAL, n->name, &optr, s, s->ttl, NULL, 0))
				/* RFC 4035 3.1.1: its RRSIGs too, or (no room)
				 * the RRset alone */
				put_sigs(c, TERN_S_ADDITIONAL, n->name, &optr, n, types[k]);
			else if (c->addl[i].required)
				c->m->truncated = true;
		}
	}
}

enum step { DONE, FOLLOW };

/* Loop detection: true if the chain has answered for this owner name
 * already, else records it. By name, not node: the names a wildcard
 * synthesizes share one node (*.w CNAME a.w gives q.w -> a.w -> a.w, and
 * a.w's CNAME belongs in the answer once). */
static bool seen(ctx *c, const uint8_t *name)
{
	for (unsigned i = 0; i < c->nvisited; i++)
		if (tern_name_eq(c->visited[i], name))
			return true;
	c->visited[c->nvisited++] = name;
	return false;
}

/* Answers at node n (an exact match or a wildcard) for owner name; sets
 * *next when a CNAME is to be followed. */
static enum step at_node(ctx *c, const db_zone *z, const db_node *n, const uint8_t *owner, const uint8_t **next)
{
	uint16_t qtype = c->q->qtype;
	if (qtype == TERN_T_ANY) {
		if (!n->nrrsets) {
			put_soa(c, z);
			if (c->sec)
				deny_type(c, n);
			return DONE;
		}
		/* RFC 8482 4.1: over UDP one RRset (the lowest type number);
		 * over TCP, where size is no amplification risk, all of them
		 * (the RRSIGs among them: no signatures added then). */
		const db_dnssec *sec = c->sec;
		unsigned count = c->tcp ? n->nrrsets : 1;
		if (c->tcp)
			c->sec = NULL;
		for (unsigned i = 0; i < count; i++)
			put_answer(c, n, owner, &n->rrsets[i]);
		c->sec = sec;
		if (c->sec && c->wild)
			deny_exact(c);
		return DONE;
	}
	const db_rrset *s = node_rrset(n, qtype);
	if (s) {
		put_answer(c, n, owner, s);
		/* RRSIGs are one RRset per type covered, each with its TTL
		 * (zone.h); a query for RRSIG gets all of them */
		for (const db_rrset *e = n->rrsets + n->nrrsets; qtype == TERN_T_RRSIG && ++s < e && s->type == qtype;)
			put_answer(c, n, owner, s);
		if (c->sec && c->wild)
			deny_exact(c);
		return DONE;
	}
	const db_rrset *cname = node_rrset(n, TERN_T_CNAME);
	if (cname) {
		uint16_t optr = known_ptr(c, owner);
		if (put_rrset_at(c->m, TERN_S_ANSWER, owner, &optr, cname, cname->ttl, NULL, 0) && cname->count == 1)
			c->next_ptr = c->m->rdata_ptr; /* the target, for its owner */
		put_sigs(c, TERN_S_ANSWER, owner, &optr, n, TERN_T_CNAME);
		if (c->sec && c->wild)
			deny_exact(c);
		uint16_t len;
		*next = rrset_rdata(cname->rdata, &len);
		return FOLLOW;
	}
	put_soa(c, z); /* NODATA (RFC 2308 2.2) */
	if (c->sec)
		deny_type(c, n);
	return DONE;
}

/* RFC 6672 3.1: the DNAME, then a CNAME from name to name with the DNAME's
 * owner replaced by its target. */
static enum step dname_synth(ctx *c, const db_node *d, const uint8_t *name, const uint8_t **next)
{
	const db_rrset *ds = node_rrset(d, TERN_T_DNAME);
	if (!ds) { /* cannot happen since zone.c's pass 1b; never crash on it */
		c->res->rcode = TERN_R_SERVFAIL;
		return DONE;
	}
	uint16_t tlen;
	const uint8_t *target = rrset_rdata(ds->rdata, &tlen);
	size_t plen = tern_name_len(name) - tern_name_len(d->name);
	uint16_t optr = suffix_ptr(c, d->name_len); /* the DNAME is above qn */
	if (!put_rrset_at(c->m, TERN_S_ANSWER, d->name, &optr, ds, ds->ttl, NULL, 0))
		return DONE;
	put_sigs(c, TERN_S_ANSWER, d->name, &optr, d, TERN_T_DNAME);
	if (c->nsynth >= DB_MAX_CHAIN)
		return DONE;
	uint8_t *out = c->synth[c->nsynth];
	size_t outlen;
	if (tern_name_concat(name, plen, target, out, &outlen)) {
		c->res->rcode = TERN_R_YXDOMAIN; /* RFC 6672 2.2 */
		return DONE;
	}
	c->nsynth++;
	db_rrset cn = {.type = TERN_T_CNAME, .count = 1, .ttl = ds->ttl};
	uint8_t buf[2 + TERN_NAME_MAX];
	uint16_t l = (uint16_t)outlen;
	memcpy(buf, &l, 2);
	memcpy(buf + 2, out, outlen);
	cn.rdata = buf;
	if (!put_rrset(c, TERN_S_ANSWER, name, &cn, cn.ttl))
		return DONE;
	c->next_ptr = c->m->rdata_ptr;
	if (c->q->qtype == TERN_T_CNAME)
		return DONE;
	*next = out;
	return FOLLOW;
}

/* The node of the version z that has the name of n, an ancestor node_cut
 * or node_dname found through parent links: a version zone_apply made
 * shares the nodes it did not change, so that ancestor may be the copy of
 * an older version (whose signatures or NSEC have changed since). Only
 * for names below a cut or a DNAME, so the common answer pays nothing. */
static const db_node *current(const db_zone *z, const db_node *n)
{
	const db_node *now = zone_find(z, n->name);
	return now ? now : n;
}

/* One name of the chain (c->qn) in zone z. */
static enum step resolve_name(ctx *c, const db_zone *z, const uint8_t **next)
{
	uint16_t qtype = c->q->qtype;
	const db_qname *qn = &c->qn;
	const uint8_t *name = qn->name;
	c->sec = c->dnssec_ok ? z->dnssec : NULL;
	c->wild = false;
	const db_node *n = zone_find_q(z, qn, 0);
	if (n) {
		if (n->flags & DB_UNDER_DNAME)
			return dname_synth(c, current(z, node_dname(n)), name, next);
		if (n->flags & DB_OCCLUDED) {
			referral(c, z, current(z, node_cut(n)));
			return DONE;
		}
		/* DS lives on the parent side of a cut (RFC 4035 3.1.4.1) */
		if ((n->flags & DB_CUT) && qtype != TERN_T_DS) {
			referral(c, z, n);
			return DONE;
		}
		if (seen(c, name))
			return DONE; /* a CNAME loop: stop here */
		return at_node(c, z, n, name, next);
	}
	/* The closest encloser: the nearest existing ancestor (the apex, suffix
	 * c->zat, at the latest, since name is in z). */
	const db_node *ce = NULL;
	unsigned cei = 1;
	for (; cei <= c->zat; cei++)
		if ((ce = zone_find_q(z, qn, cei)))
			break;
	if (!ce) { /* cannot happen: the apex exists */
		c->res->rcode = TERN_R_SERVFAIL;
		return DONE;
	}
	if (ce->flags & DB_UNDER_DNAME)
		return dname_synth(c, current(z, node_dname(ce)), name, next);
	if (ce->flags & DB_OCCLUDED) {
		referral(c, z, current(z, node_cut(ce)));
		return DONE;
	}
	if (ce->flags & DB_CUT) {
		referral(c, z, ce);
		return DONE;
	}
	if (ce->flags & DB_DNAME)
		return dname_synth(c, ce, name, next);
	if (ce->flags & DB_HAS_WILD) {
		/* RFC 4592 3.3.1: the source of synthesis is *.<closest encloser> */
		uint8_t wild[TERN_NAME_MAX];
		size_t wlen;
		static const uint8_t star[2] = {1, '*'};
		if (!tern_name_concat(star, 2, ce->name, wild, &wlen)) {
			/* the hash of *.<ce> is ce's hash with one more label */
			const db_node *w = zone_find_h(z, wild, wlen, db_hash_label(qn->hash[cei], star));
			if (w) {
				if (seen(c, name))
					return DONE;
				c->res->wildcard = true;
				c->wild = true;
				c->wild_cei = cei;
				return at_node(c, z, w, name, next);
			}
		}
	}
	c->res->rcode = TERN_R_NXDOMAIN;
	put_soa(c, z);
	if (c->sec)
		deny_name(c, cei);
	return DONE;
}

void db_answer(const db_set *set, const tern_query *q, tern_msgw *m, bool tcp, db_result *res)
{
	res->rcode = TERN_R_NOERROR;
	res->aa = false;
	res->no_zone = false;
	res->has_next = false;
	res->referral = res->wildcard = false;
	res->apex = NULL;
	res->zone = NULL;
	if (!set || !set->nzones) { /* a forwarder without zones: nothing to hash */
		res->rcode = TERN_R_REFUSED;
		res->no_zone = true;
		return;
	}
	ctx c;
	c.set = set;
	c.m = m;
	c.q = q;
	c.tcp = tcp;
	c.res = res;
	c.naddl = c.nvisited = c.nsynth = c.nproofs = 0;
	c.dnssec_ok = q->edns_do;
	c.sec = NULL;
	c.wild = false;
	/* The question, written first, holds the query name literally at
	 * TERN_HDR_LEN when it is this very name (the caller may have asked
	 * for another: a chain that began in the local records). Owners that
	 * are q->qname (by pointer: q is const here) then point there. */
	c.qptr = 0;
	if (q->qname_len > 1 && m->count[TERN_S_QUESTION] == 1 && m->w.pos >= TERN_HDR_LEN + q->qname_len &&
	    !memcmp(m->w.p + TERN_HDR_LEN, q->qname, q->qname_len))
		c.qptr = TERN_HDR_LEN;
	c.nptr = c.qptr;
	c.nlit = c.qptr != 0;
	db_qname_init(&c.qn, q->qname);
	const db_zone *z = db_set_find_q(set, &c.qn, 0, &c.zat);
	/* A server for both sides of a cut answers DS from the parent. */
	if (z && q->qtype == TERN_T_DS && c.qn.labels && c.zat == 0) {
		unsigned pat;
		const db_zone *pz = db_set_find_q(set, &c.qn, 1, &pat);
		if (pz) {
			z = pz;
			c.zat = pat;
		}
	}
	if (!z) {
		res->rcode = TERN_R_REFUSED;
		res->no_zone = true;
		return;
	}
	res->zone = z;
	if (!zone_has_data(z)) { /* configured, never loaded */
		res->rcode = TERN_R_SERVFAIL;
		return;
	}
	res->aa = true;
	res->apex = z->origin;
	for (unsigned step = 0; step <= DB_MAX_CHAIN; step++) {
		const uint8_t *next = NULL;
		c.next_ptr = 0;
		if (resolve_name(&c, z, &next) == DONE || !next)
			break;
		db_qname_init(&c.qn, next);
		c.nptr = c.next_ptr;
		c.nlit = false;
		z = db_set_find_q(set, &c.qn, 0, &c.zat);
		if (!z) {
			/* the chain leaves our data: a forwarder may go on */
			res->has_next = true;
			memcpy(res->next, next, tern_name_len(next));
			break;
		}
		if (!zone_has_data(z)) {
			res->rcode = TERN_R_SERVFAIL;
			break;
		}
	}
	put_proofs(&c);
	put_addl(&c);
}

bool db_put_node_answer(const db_node *n, const uint8_t *owner, uint16_t qtype, tern_msgw *m, uint8_t *target)
{
	if (!n || !n->nrrsets)
		return false;
	const db_rrset *s = qtype == TERN_T_ANY ? &n->rrsets[0] : node_rrset(n, qtype);
	if (s) {
		db_put_rrset(m, TERN_S_ANSWER, owner, s, s->ttl);
		return false;
	}
	const db_rrset *cn = node_rrset(n, TERN_T_CNAME);
	if (!cn)
		return false;
	db_put_rrset(m, TERN_S_ANSWER, owner, cn, cn->ttl);
	uint16_t len;
	const uint8_t *t = rrset_rdata(cn->rdata, &len);
	memcpy(target, t, len);
	return !m->truncated;
}
