/* ixfr_apply.c: IXFR differences applied to a zone version (xfr_apply, see
 * xfrin.h).
 *
 * For now the new version is built again from all its records: the
 * records of cur go into a hash set keyed by (owner folded to lower case,
 * type, RDATA), each sequence's deletions and additions are applied to the
 * set in order, and what is left goes to a zone_builder. This is the one
 * place the copy-on-write fast path of docs/architecture.md ("Applying a
 * small change") replaces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/rr.h"
#include "xfr/xfrin.h"

typedef struct entry {
	const uint8_t *owner;
	const uint8_t *rdata;
	uint32_t ttl, hash;
	uint16_t type, rdlen;
	bool alive;
} entry;

typedef struct rset {
	entry *e;
	size_t n, cap;
	uint32_t *slot; /* entry index + 1; 0: empty */
	size_t mask;
} rset;

void xfr_diag_first(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	xfr_errbuf *b = user;
	if (!error || b->have)
		return;
	b->have = true;
	snprintf(b->err, b->cap, "record %u: %s", line, msg);
}

static uint32_t hash_rr(const uint8_t *owner, uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
	uint32_t h = 2166136261u;
	size_t n = tern_name_len(owner);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = owner[i];
		h = (h ^ (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c)) * 16777619u;
	}
	h = (h ^ type) * 16777619u;
	for (size_t i = 0; i < rdlen; i++)
		h = (h ^ rd[i]) * 16777619u;
	return h;
}

static bool same(const entry *e, const uint8_t *owner, uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
	return e->type == type && e->rdlen == rdlen && !memcmp(e->rdata, rd, rdlen) && tern_name_eq(e->owner, owner);
}

/* The slot of the entry equal to the record, or of the empty slot where it
 * would go. */
static uint32_t *find(rset *s, const uint8_t *owner, uint16_t type, const uint8_t *rd, uint16_t rdlen, uint32_t h)
{
	for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
		uint32_t *sl = &s->slot[i];
		if (!*sl || (s->e[*sl - 1].hash == h && same(&s->e[*sl - 1], owner, type, rd, rdlen)))
			return sl;
	}
}

/* Room for at least want entries (all of them rehashed). */
static int grow_to(rset *s, size_t want)
{
	size_t cap = s->cap ? s->cap : 1024;
	while (cap < want)
		cap *= 2;
	entry *e = realloc(s->e, cap * sizeof *e);
	if (!e)
		return -1;
	s->e = e;
	s->cap = cap;
	size_t nslots = cap * 2;
	uint32_t *slot = calloc(nslots, sizeof *slot);
	if (!slot)
		return -1;
	free(s->slot);
	s->slot = slot;
	s->mask = nslots - 1;
	for (size_t i = 0; i < s->n; i++)
		*find(s, s->e[i].owner, s->e[i].type, s->e[i].rdata, s->e[i].rdlen, s->e[i].hash) = (uint32_t)i + 1;
	return 0;
}

/* Adds a record, or sets the TTL of (and revives) the one there. */
static int add(rset *s, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	if (s->n + 1 > s->cap && grow_to(s, s->cap * 2))
		return -1;
	uint32_t h = hash_rr(owner, type, rd, rdlen);
	uint32_t *sl = find(s, owner, type, rd, rdlen, h);
	if (*sl) {
		s->e[*sl - 1].alive = true;
		s->e[*sl - 1].ttl = ttl;
		return 0;
	}
	s->e[s->n] = (entry){.owner = owner, .rdata = rd, .ttl = ttl, .hash = h, .type = type, .rdlen = rdlen,
	                     .alive = true};
	*sl = (uint32_t)++s->n;
	return 0;
}

static int add_rrset(const db_node *n, const db_rrset *set, void *user)
{
	const uint8_t *p = set->rdata;
	for (unsigned i = 0; i < set->count; i++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		if (add(user, n->name, set->type, set->ttl, rd, len))
			return -1;
		p = rd + len;
	}
	return 0;
}

static void describe(const xfr_rr *r, char *buf, size_t cap)
{
	char o[TERN_NAME_TEXT_MAX], t[24], rd[256];
	tern_name_to_text(r->owner, o, sizeof o);
	tern_type_to_text(r->type, t, sizeof t);
	if (tern_rdata_to_text(r->type, r->rdata, r->rdlen, rd, sizeof rd) < 0)
		snprintf(rd, sizeof rd, "...");
	snprintf(buf, cap, "%s %s %s", o, t, rd);
}

db_zone *xfr_apply(const db_zone *cur, const xfr_delta *deltas, const char *name, char *err, size_t errcap)
{
	rset s = {0};
	db_zone *z = NULL;
	size_t adds = 0;
	for (const xfr_delta *d = deltas; d; d = d->next)
		adds += d->nadd;
	if (grow_to(&s, cur->nrecords + adds + 1) || zone_walk_rrsets(cur, add_rrset, &s)) {
		snprintf(err, errcap, "out of memory");
		goto done;
	}
	uint32_t serial = cur->serial;
	for (const xfr_delta *d = deltas; d; d = d->next) {
		if (d->from != serial) {
			snprintf(err, errcap, "IXFR sequence starts at serial %u, the zone is at %u", d->from, serial);
			goto done;
		}
		for (const xfr_rr *r = d->del; r; r = r->next) {
			uint32_t *sl = find(&s, r->owner, r->type, r->rdata, r->rdlen,
			                    hash_rr(r->owner, r->type, r->rdata, r->rdlen));
			if (r->type == TERN_T_SOA && r == d->del) {
				/* the sequence's opening SOA: the zone's SOA at
				 * serial `from`, whatever else it says */
				for (size_t i = 0; i < s.n; i++)
					if (s.e[i].type == TERN_T_SOA && s.e[i].alive && tern_name_eq(s.e[i].owner, cur->origin))
						s.e[i].alive = false;
				continue;
			}
			if (!*sl || !s.e[*sl - 1].alive) {
				char what[TERN_NAME_TEXT_MAX + 300];
				describe(r, what, sizeof what);
				snprintf(err, errcap, "IXFR from serial %u to %u deletes '%s', which the zone does not hold",
				         d->from, d->to, what);
				goto done;
			}
			s.e[*sl - 1].alive = false;
		}
		for (const xfr_rr *r = d->add; r; r = r->next)
			if (add(&s, r->owner, r->type, r->ttl, r->rdata, r->rdlen)) {
				snprintf(err, errcap, "out of memory");
				goto done;
			}
		serial = d->to;
	}
	xfr_errbuf eb = {err, errcap, false};
	db_diag diag = {.fn = xfr_diag_first, .user = &eb};
	zone_builder *zb = zone_builder_new(cur->origin, name, s.n * 48, &diag);
	if (!zb) {
		snprintf(err, errcap, "out of memory");
		goto done;
	}
	unsigned line = 0;
	/* the SOA first, as in a zone file */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s.n; i++) {
			const entry *e = &s.e[i];
			if (!e->alive || (e->type == TERN_T_SOA) != (pass == 0))
				continue;
			tern_zrr rr = {.owner = e->owner, .type = e->type, .cls = TERN_C_IN, .ttl = e->ttl,
			               .rdata = e->rdata, .rdlen = e->rdlen, .file = name, .file_id = 1, .line = ++line};
			if (zone_builder_add(zb, &rr))
				break;
		}
	z = zone_builder_finish(zb);
done:
	free(s.e);
	free(s.slot);
	return z;
}
