/* forward.c: see forward.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "resolve/forward.h"
#include "tern/rr.h"

/* ---- random ---- */

void fwd_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* no cryptographic randomness: refuse to go on unsafely */
		}
		p += r;
		n -= (size_t)r;
	}
}

/* ---- the in-flight table ---- */

#define STRIPES 64

struct fwd_pending {
	fwd_pending *hnext;
	uint32_t hash;
	uint32_t qtype; /* FWD_KEY: the type, and CD in bit 16 */
	unsigned owner;
	fwd_waiter *waiters, **tail;
	uint8_t name[TERN_NAME_MAX]; /* lower case */
};

typedef struct stripe {
	pthread_mutex_t lock;
	fwd_pending *buckets[256];
} stripe;

struct fwd_table {
	stripe s[STRIPES];
	atomic_uint count;
	unsigned max;
};

fwd_table *fwd_table_new(unsigned max_pending)
{
	fwd_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&t->s[i].lock, NULL);
	t->max = max_pending;
	return t;
}

void fwd_table_free(fwd_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < STRIPES; i++) {
		for (int b = 0; b < 256; b++) {
			fwd_pending *p = t->s[i].buckets[b];
			while (p) {
				fwd_pending *n = p->hnext;
				for (fwd_waiter *w = p->waiters, *wn; w; w = wn) {
					wn = w->next;
					free(w);
				}
				free(p);
				p = n;
			}
		}
		pthread_mutex_destroy(&t->s[i].lock);
	}
	free(t);
}

fwd_pending *fwd_join(fwd_table *t, const uint8_t *name, uint32_t qtype, unsigned worker, fwd_waiter *w,
                      bool *created)
{
	uint8_t lc[TERN_NAME_MAX];
	tern_name_lower(lc, name);
	uint32_t h = tern_name_hash(lc) * 31u + qtype;
	stripe *s = &t->s[h % STRIPES];
	fwd_pending **bucket = &s->buckets[(h / STRIPES) % 256];
	pthread_mutex_lock(&s->lock);
	fwd_pending *p;
	for (p = *bucket; p; p = p->hnext)
		if (p->hash == h && p->qtype == qtype && tern_name_eq(p->name, lc))
			break;
	*created = false;
	if (!p) {
		if (atomic_load(&t->count) >= t->max || !(p = calloc(1, sizeof *p))) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		atomic_fetch_add(&t->count, 1);
		p->hash = h;
		p->qtype = qtype;
		p->owner = worker;
		memcpy(p->name, lc, tern_name_len(lc));
		p->tail = &p->waiters;
		p->hnext = *bucket;
		*bucket = p;
		*created = true;
	}
	if (w) {
		w->next = NULL;
		*p->tail = w;
		p->tail = &w->next;
	}
	pthread_mutex_unlock(&s->lock);
	return p;
}

fwd_waiter *fwd_take_waiters(fwd_table *t, fwd_pending *p)
{
	stripe *s = &t->s[p->hash % STRIPES];
	pthread_mutex_lock(&s->lock);
	fwd_waiter *w = p->waiters;
	p->waiters = NULL;
	p->tail = &p->waiters;
	pthread_mutex_unlock(&s->lock);
	return w;
}

fwd_waiter *fwd_complete(fwd_table *t, fwd_pending *p)
{
	stripe *s = &t->s[p->hash % STRIPES];
	fwd_pending **bucket = &s->buckets[(p->hash / STRIPES) % 256];
	pthread_mutex_lock(&s->lock);
	for (fwd_pending **pp = bucket; *pp; pp = &(*pp)->hnext)
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	fwd_waiter *w = p->waiters;
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_sub(&t->count, 1);
	free(p);
	return w;
}

const uint8_t *fwd_pending_name(const fwd_pending *p)
{
	return p->name;
}

uint16_t fwd_pending_type(const fwd_pending *p)
{
	return (uint16_t)p->qtype;
}

bool fwd_pending_cd(const fwd_pending *p)
{
	return p->qtype >> 16;
}

unsigned fwd_inflight(const fwd_table *t)
{
	return atomic_load(&t->count);
}

/* ---- upstreams ---- */

const upstream_set *fwd_set_for(const upstream_set *sets, unsigned nsets, const uint8_t *name)
{
	const upstream_set *best = nsets ? &sets[0] : NULL;
	unsigned best_labels = 0;
	for (unsigned i = 1; i < nsets; i++) {
		unsigned l = tern_name_labels(sets[i].zone);
		if (tern_name_is_sub(name, sets[i].zone) && (best == &sets[0] || l > best_labels)) {
			best = &sets[i];
			best_labels = l;
		}
	}
	return best;
}

const upstream_set *fwd_set_for_q(const upstream_set *sets, unsigned nsets, const uint8_t *name, uint16_t qtype)
{
	return fwd_set_for(sets, nsets, qtype == TERN_T_DS && name[0] ? name + 1 + name[0] : name);
}

int fwd_pick(const upstream_set *s, uint32_t tried, uint8_t coin)
{
	int best = -1;
	uint32_t best_rtt = UINT32_MAX;
	unsigned untried = 0;
	for (unsigned i = 0; i < s->n; i++) {
		if (tried & (1u << i))
			continue;
		untried++;
		uint32_t rtt = atomic_load(&s->ups[i].srtt_us);
		if (best < 0 || rtt < best_rtt) { /* even at UINT32_MAX, one is picked */
			best_rtt = rtt;
			best = (int)i;
		}
	}
	/* Now and then try another one, so a recovered upstream is noticed. */
	if (untried > 1 && coin < 8) {
		unsigned k = coin % untried;
		for (unsigned i = 0; i < s->n; i++)
			if (!(tried & (1u << i)) && k-- == 0)
				return (int)i;
	}
	return best;
}

void fwd_rtt_sample(upstream *u, uint32_t rtt_us)
{
	if (!rtt_us) /* 0 means never measured: an answer is at least 1 us */
		rtt_us = 1;
	uint32_t old = atomic_load(&u->srtt_us);
	atomic_store(&u->srtt_us, old ? (uint32_t)(((uint64_t)old * 7 + rtt_us * 3) / 10) : rtt_us);
	atomic_store(&u->timeouts, 0);
}

void fwd_rtt_timeout(upstream *u)
{
	uint32_t old = atomic_load(&u->srtt_us);
	uint32_t n = old < 500000 ? old * 2 + 100000 : 1200000;
	atomic_store(&u->srtt_us, n);
	atomic_fetch_add(&u->timeouts, 1);
}

/* ---- messages ---- */

int fwd_make_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *name, uint16_t qtype, bool cd)
{
	tern_msgw m;
	tern_msgw_init(&m, buf, cap, cap, id, (uint16_t)(TERN_F_RD | (cd ? TERN_F_CD : 0)));
	if (tern_msgw_question(&m, name, qtype, TERN_C_IN))
		return TERN_ESPACE;
	if (tern_msgw_opt(&m, TERN_EDNS_SIZE, 0, true, NULL, 0))
		return TERN_ESPACE;
	return tern_msgw_finish(&m, 0);
}

/* A record of the upstream answer, compactly: the owner stays in the
 * packet (decompressed when compared), so even a 64 KB answer fits. */
typedef struct prr {
	uint32_t owner_off, rdata_off;
	uint32_t ttl;
	uint16_t type, cls, rdlen;
	uint8_t section;
} prr;

#define MAX_RRS 8192 /* more than a 64 KB message can hold */

static bool owner_is(const uint8_t *pkt, size_t len, const prr *p, const uint8_t *name)
{
	tern_rd r;
	uint8_t owner[TERN_NAME_MAX];
	size_t olen;
	tern_rd_init(&r, pkt, len);
	r.pos = p->owner_off;
	return tern_rd_name(&r, owner, &olen) == 0 && tern_name_eq(owner, name);
}

static bool result_add(fwd_result *res, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
                       size_t rdlen)
{
	size_t ol = tern_name_len(owner);
	if (res->len + ol + 8 + rdlen > sizeof res->data)
		return false;
	uint8_t *p = res->data + res->len;
	memcpy(p, owner, ol);
	tern_put_u16(p + ol, type);
	tern_put_u32(p + ol + 2, ttl);
	tern_put_u16(p + ol + 6, (uint16_t)rdlen);
	memcpy(p + ol + 8, rd, rdlen);
	res->len += ol + 8 + rdlen;
	return true;
}

bool fwd_result_signed(const fwd_result *r)
{
	for (size_t off = 0; off < r->len;) {
		const uint8_t *o = r->data + off;
		size_t ol = tern_name_len(o);
		if (tern_get_u16(o + ol) == TERN_T_RRSIG)
			return true;
		off += ol + 8 + tern_get_u16(o + ol + 6);
	}
	return false;
}

int fwd_result_write(const fwd_result *r, tern_msgw *m, const uint8_t *owner, bool dnssec)
{
	return fwd_result_write_part(r, m, owner, dnssec, r->len);
}

size_t fwd_result_answer_end(const fwd_result *r)
{
	size_t auth = r->soa_off != 0xffff ? r->soa_off : r->len;
	if (r->proof_off && r->proof_off < auth)
		auth = r->proof_off;
	return auth;
}

int fwd_result_write_part(const fwd_result *r, tern_msgw *m, const uint8_t *owner, bool dnssec, size_t end)
{
	tern_msgw_mark mk = tern_msgw_get_mark(m);
	size_t off = 0;
	size_t auth = fwd_result_answer_end(r);
	while (off < end && off < r->len) {
		const uint8_t *o = r->data + off;
		size_t ol = tern_name_len(o);
		uint16_t type = tern_get_u16(o + ol);
		uint32_t ttl = tern_get_u32(o + ol + 2);
		uint16_t rdlen = tern_get_u16(o + ol + 6);
		const uint8_t *rd = o + ol + 8;
		off += ol + 8 + rdlen;
		enum tern_section sec = (o - r->data >= (ptrdiff_t)auth) ? TERN_S_AUTHORITY : TERN_S_ANSWER;
		if (!dnssec && fwd_is_dnssec_type(type) && (type != r->qtype || sec == TERN_S_AUTHORITY))
			continue; /* RFC 4035 3.2.1 */
		const uint8_t *wo = sec == TERN_S_ANSWER && tern_name_eq(o, r->name) ? owner : o;
		if (tern_msgw_rr(m, sec, wo, type, TERN_C_IN, ttl, rd, rdlen)) {
			tern_msgw_rollback(m, &mk);
			m->truncated = true;
			return TERN_ESPACE;
		}
	}
	return 0;
}

/* The DNSSEC records kept with one answer (fwd_sanitize_cd): a block of
 * authority records in the cache's form (cache.h: cache_dnssec.auth). */
typedef struct proofs {
	uint8_t buf[TERN_MSG_MAX];
	size_t len;
	uint16_t n;
} proofs;

/* Unpacks record p's RDATA into rd (cap bytes). */
static bool unpack(const uint8_t *pkt, size_t len, const prr *p, uint8_t *rd, size_t cap, size_t *rdlen)
{
	tern_rd r;
	tern_rd_init(&r, pkt, len);
	r.pos = p->rdata_off;
	return tern_rdata_unpack(&r, p->type, p->rdlen, rd, cap, rdlen) == 0;
}

/* The type an RRSIG in the packet covers (RFC 4034 3.1.1), or 0. */
static uint16_t covered(const uint8_t *pkt, const prr *p)
{
	return p->type == TERN_T_RRSIG && p->rdlen >= 18 ? tern_get_u16(pkt + p->rdata_off) : 0;
}

/* Adds the records of rrs[] that are (owner, type) in the answer section to
 * the result, then the RRSIGs covering them (unless type is RRSIG or ANY),
 * and caches them as one RRset (with its RRSIGs and, when given, the
 * authority records pf) with the smallest of their TTLs. Returns the number
 * of records of the type found, or -1 if the result has no room (the answer
 * is then unusable: an RRset goes whole or not at all, RFC 2181 5). */
static int take_rrset(const uint8_t *pkt, size_t len, const prr *rrs, unsigned n, const uint8_t *owner,
                      uint16_t type, cache *c, uint64_t now, const proofs *pf, uint8_t flags, fwd_result *res)
{
	static _Thread_local uint8_t set[TERN_MSG_MAX], sigs[TERN_MSG_MAX];
	size_t setlen = 0, siglen = 0;
	uint16_t count = 0, nsig = 0;
	uint32_t ttl = UINT32_MAX;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && (!count || type == TERN_T_RRSIG || type == TERN_T_ANY))
			break;
		for (unsigned i = 0; i < n; i++) {
			const prr *p = &rrs[i];
			if (p->section != TERN_S_ANSWER || p->cls != TERN_C_IN)
				continue;
			/* pass 1: RRSIGs only (covered() is 0 for other records: a
			 * question of type 0 must not take them as signatures) */
			if (pass == 0 ? (p->type != type && type != TERN_T_ANY)
			              : (p->type != TERN_T_RRSIG || covered(pkt, p) != type))
				continue;
			if (!owner_is(pkt, len, p, owner))
				continue;
			uint8_t rd[TERN_MSG_MAX];
			size_t rdlen;
			if (!unpack(pkt, len, p, rd, sizeof rd, &rdlen))
				return -1; /* malformed: the whole answer is unusable (as Unbound and BIND
				              treat it: FORMERR), never a false NODATA */
			uint8_t *blk = pass ? sigs : set;
			size_t *bl = pass ? &siglen : &setlen;
			if (!result_add(res, owner, p->type, p->ttl, rd, rdlen) || *bl + 2 + rdlen > sizeof set)
				return -1;
			res->nrr++;
			if (p->ttl < ttl)
				ttl = p->ttl;
			uint16_t l = (uint16_t)rdlen;
			memcpy(blk + *bl, &l, 2);
			memcpy(blk + *bl + 2, rd, rdlen);
			*bl += 2 + rdlen;
			if (pass)
				nsig++;
			else
				count++;
		}
	}
	if (count && type != TERN_T_ANY) {
		cache_dnssec d = {.nsig = nsig, .sigs = sigs, .sig_bytes = siglen, .flags = flags};
		if (pf) {
			d.nauth = pf->n;
			d.auth = pf->buf;
			d.auth_bytes = pf->len;
		}
		(void)cache_put_rrset_dnssec(c, owner, type, ttl > 0x7fffffff ? 0 : ttl, count, set, setlen, &d, now);
	}
	return count;
}

/* Collects the authority records that prove a denial or a wildcard
 * expansion (RFC 4035 3.1.3): NSEC and NSEC3, the RRSIGs covering them,
 * and (soa) the RRSIGs of the SOA at apex; owners at or below apex. */
static void take_proofs(const uint8_t *pkt, size_t len, const prr *rrs, unsigned n, const uint8_t *apex, bool soa,
                        proofs *pf)
{
	pf->len = pf->n = 0;
	for (unsigned i = 0; i < n; i++) {
		const prr *p = &rrs[i];
		if (p->section != TERN_S_AUTHORITY || p->cls != TERN_C_IN)
			continue;
		uint16_t cov = covered(pkt, p);
		bool want = p->type == TERN_T_NSEC || p->type == TERN_T_NSEC3 || cov == TERN_T_NSEC ||
		            cov == TERN_T_NSEC3 || (soa && cov == TERN_T_SOA);
		if (!want)
			continue;
		uint8_t owner[TERN_NAME_MAX];
		size_t olen;
		tern_rd r;
		tern_rd_init(&r, pkt, len);
		r.pos = p->owner_off;
		if (tern_rd_name(&r, owner, &olen) || !tern_name_is_sub(owner, apex))
			continue;
		if (cov == TERN_T_SOA && !tern_name_eq(owner, apex))
			continue;
		uint8_t rd[TERN_MSG_MAX];
		size_t rdlen;
		if (!unpack(pkt, len, p, rd, sizeof rd, &rdlen) || pf->len + olen + 4 + rdlen > sizeof pf->buf)
			continue;
		uint8_t *o = pf->buf + pf->len;
		memcpy(o, owner, olen);
		uint16_t t = p->type, l = (uint16_t)rdlen;
		memcpy(o + olen, &t, 2);
		memcpy(o + olen + 2, &l, 2);
		memcpy(o + olen + 4, rd, rdlen);
		pf->len += olen + 4 + rdlen;
		pf->n++;
	}
}

/* Appends the proofs to the result with TTL ttl (RFC 4035 3.1.3: they go
 * with the answer they prove). False when they do not fit. */
static bool result_add_proofs(fwd_result *res, const proofs *pf, uint32_t ttl)
{
	size_t start = res->len;
	const uint8_t *a = pf->buf;
	for (unsigned i = 0; i < pf->n; i++) {
		size_t ol = tern_name_len(a);
		uint16_t t, l;
		memcpy(&t, a + ol, 2);
		memcpy(&l, a + ol + 2, 2);
		if (!result_add(res, a, t, ttl, a + ol + 4, l)) {
			res->len = start;
			return false;
		}
		a += ol + 4 + (size_t)l;
	}
	if (pf->n)
		res->proof_off = (uint32_t)start;
	return true;
}

/* An RRSIG of the answer with fewer labels than its owner: a wildcard
 * expansion (RFC 4035 5.3.4), whose proof of no closer match is in the
 * authority section. */
static bool wildcard_answer(const uint8_t *pkt, size_t len, const prr *rrs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const prr *p = &rrs[i];
		if (p->section != TERN_S_ANSWER || !covered(pkt, p))
			continue;
		uint8_t owner[TERN_NAME_MAX];
		size_t olen;
		tern_rd r;
		tern_rd_init(&r, pkt, len);
		r.pos = p->owner_off;
		if (tern_rd_name(&r, owner, &olen) == 0 && pkt[p->rdata_off + 3] < tern_name_labels(owner))
			return true;
	}
	return false;
}

/* The Extended DNS Error (RFC 8914 2: option 15, INFO-CODE, EXTRA-TEXT) of
 * the OPT record among the rest of the message, into res->ede and
 * res->ede_text (printable ASCII only, cut to fit). The first one counts. */
static void upstream_ede(tern_msg_iter *it, const uint8_t *pkt, fwd_result *res)
{
	tern_rr rr;
	while (tern_msg_next(it, &rr) == 1) {
		if (rr.type != TERN_T_OPT || rr.section != TERN_S_ADDITIONAL)
			continue;
		const uint8_t *o = pkt + rr.rdata_off, *end = o + rr.rdlen;
		while (end - o >= 4) {
			uint16_t code = tern_get_u16(o), olen = tern_get_u16(o + 2);
			if (olen > end - o - 4)
				return;
			if (code == TERN_OPT_EDE && olen >= 2) {
				/* 65535 (private use, RFC 8914 5.2) is our "none": not passed on */
				if (tern_get_u16(o + 4) == FWD_NO_EDE)
					return;
				res->ede = tern_get_u16(o + 4);
				size_t n = 0;
				for (size_t i = 6; i < 4u + olen && n + 1 < sizeof res->ede_text; i++)
					res->ede_text[n++] = o[i] >= 0x20 && o[i] < 0x7f ? (char)o[i] : '?';
				res->ede_text[n] = 0;
				return;
			}
			o += 4 + olen;
		}
		return;
	}
}

enum fwd_verdict fwd_sanitize(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *name, uint16_t qtype,
                              const uint8_t *zone, cache *c, uint64_t now_ms, fwd_result *res)
{
	return fwd_sanitize_cd(pkt, len, id, name, qtype, false, zone, c, now_ms, res);
}

enum fwd_verdict fwd_sanitize_cd(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *name, uint16_t qtype,
                                 bool cd, const uint8_t *zone, cache *c, uint64_t now_ms, fwd_result *res)
{
	res->rcode = TERN_R_NOERROR; /* for FWD_BAD: an unusable answer */
	res->ede = FWD_NO_EDE;
	res->ede_text[0] = 0;
	if (!zone)
		zone = (const uint8_t *)"";
	tern_msg_iter it;
	tern_rr q;
	if (tern_msg_iter_init(&it, pkt, len) || it.hdr.id != id || !(it.hdr.flags & TERN_F_QR) ||
	    TERN_OPCODE(it.hdr.flags) != TERN_OP_QUERY || it.hdr.count[TERN_S_QUESTION] != 1)
		return FWD_IGNORE;
	if (tern_msg_next(&it, &q) != 1 || q.type != qtype || q.cls != TERN_C_IN || !tern_name_eq(q.owner, name))
		return FWD_IGNORE;
	if (it.hdr.flags & TERN_F_TC)
		return FWD_TRUNC;
	unsigned rcode = TERN_RCODE(it.hdr.flags);
	if (rcode != TERN_R_NOERROR && rcode != TERN_R_NXDOMAIN) {
		res->rcode = rcode;
		upstream_ede(&it, pkt, res);
		return FWD_BAD;
	}

	static _Thread_local prr rrs[MAX_RRS];
	unsigned n = 0;
	int r;
	tern_rr rr;
	for (;;) {
		size_t owner_off = it.r.pos;
		if ((r = tern_msg_next(&it, &rr)) != 1)
			break;
		if (rr.section == TERN_S_ADDITIONAL)
			continue; /* never used, never cached */
		if (n == MAX_RRS)
			return FWD_BAD;
		rrs[n] = (prr){.owner_off = (uint32_t)owner_off, .rdata_off = (uint32_t)rr.rdata_off, .ttl = rr.ttl,
		               .type = rr.type, .cls = rr.cls, .rdlen = rr.rdlen, .section = (uint8_t)rr.section};
		n++;
	}
	if (r < 0)
		return FWD_BAD;

	memset(res, 0, offsetof(fwd_result, data));
	res->ede = FWD_NO_EDE;
	memcpy(res->name, name, tern_name_len(name));
	res->qtype = qtype;
	res->rcode = rcode;
	res->soa_off = 0xffff;
	res->cd = cd;
	uint8_t flags = cd ? CACHE_F_CD : 0;
	static _Thread_local proofs pf;
	bool wild = wildcard_answer(pkt, len, rrs, n);
	if (wild)
		take_proofs(pkt, len, rrs, n, zone, false, &pf);

	/* Follow the chain from the question's name (RFC 1034 3.6.2). */
	uint8_t cur[TERN_NAME_MAX];
	memcpy(cur, name, tern_name_len(name));
	bool final = false;
	for (int step = 0; step < FWD_MAX_CHAIN; step++) {
		if (!tern_name_is_sub(cur, zone)) {
			/* the chain left this upstream's zone: keep what we have;
			 * the target is asked of its own upstreams */
			res->rcode = TERN_R_NOERROR;
			return FWD_OK;
		}
		size_t start = res->len;
		int got = take_rrset(pkt, len, rrs, n, cur, qtype, c, now_ms, wild ? &pf : NULL, flags, res);
		if (got < 0)
			return FWD_BAD;
		if (got) {
			final = true;
			if (wild) {
				/* the TTL the cache gives the RRset: the smallest of it and its RRSIGs */
				uint32_t ttl = UINT32_MAX;
				for (size_t off = start; off < res->len;) {
					const uint8_t *o = res->data + off;
					size_t ol = tern_name_len(o);
					uint32_t t = tern_get_u32(o + ol + 2);
					ttl = t < ttl ? t : ttl;
					off += ol + 8 + tern_get_u16(o + ol + 6);
				}
				if (!result_add_proofs(res, &pf, ttl))
					return FWD_BAD;
			}
			break;
		}
		if (qtype == TERN_T_CNAME)
			break;
		size_t before = res->len;
		got = take_rrset(pkt, len, rrs, n, cur, TERN_T_CNAME, c, now_ms, NULL, flags, res);
		if (got < 0)
			return FWD_BAD;
		if (!got)
			break;
		/* the target of the (first) CNAME just added */
		const uint8_t *o = res->data + before;
		size_t ol = tern_name_len(o);
		const uint8_t *target = o + ol + 8;
		memcpy(cur, target, tern_name_len(target));
	}
	if (final) {
		res->rcode = TERN_R_NOERROR;
		return FWD_OK;
	}
	/* A negative answer for the last name of the chain: the SOA from the
	 * authority section whose zone contains it (RFC 2308 2.1, 2.2). */
	for (unsigned i = 0; i < n; i++) {
		const prr *p = &rrs[i];
		uint8_t owner[TERN_NAME_MAX];
		size_t olen;
		tern_rd rdr;
		tern_rd_init(&rdr, pkt, len);
		rdr.pos = p->owner_off;
		if (p->section != TERN_S_AUTHORITY || p->type != TERN_T_SOA || tern_rd_name(&rdr, owner, &olen) ||
		    !tern_name_is_sub(cur, owner) || !tern_name_is_sub(owner, zone))
			continue;
		uint8_t rd[1024];
		size_t rdlen;
		rdr.pos = p->rdata_off;
		if (tern_rdata_unpack(&rdr, TERN_T_SOA, p->rdlen, rd, sizeof rd, &rdlen) || rdlen < 20)
			break;
		uint32_t minimum = tern_get_u32(rd + rdlen - 4);
		/* RFC 2308 5: the negative TTL is min(SOA TTL, SOA MINIMUM),
		 * whatever TTL the upstream put on the SOA. */
		uint32_t neg = p->ttl < minimum ? p->ttl : minimum;
		res->soa_off = (uint16_t)res->len;
		if (!result_add(res, owner, TERN_T_SOA, neg, rd, rdlen)) {
			res->soa_off = 0xffff;
			break;
		}
		res->soa_ttl = neg;
		take_proofs(pkt, len, rrs, n, owner, true, &pf);
		if (!result_add_proofs(res, &pf, neg))
			pf.n = 0, pf.len = 0;
		cache_dnssec d = {.nauth = pf.n, .auth = pf.buf, .auth_bytes = pf.len, .flags = flags};
		(void)cache_put_negative_dnssec(c, cur, rcode == TERN_R_NXDOMAIN ? CACHE_NXDOMAIN : qtype, neg, owner,
		                                rd, (uint16_t)rdlen, &d, now_ms);
		break;
	}
	return FWD_OK;
}
