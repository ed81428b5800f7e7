/* dnssec.c: a signed zone's denial indexes (dnssec.h), made at load, and
 * the lookups answers use: the NSEC3 hash, the canonical predecessor among
 * NSEC owners, the matching or covering NSEC3. */
#include <stdlib.h>
#include <string.h>

/* SHA1_Init/Update/Final: deprecated in OpenSSL 3 in favour of EVP, whose
 * digest calls allocate a context each time; answers must not allocate
 * (STYLE.md), and NSEC3 hashes one name per call. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "db/dnssec.h"
#include "db/zone_build.h"
#include "lib/encoding.h"
#include "tern/rr.h"

void db_nsec3_hash(const uint8_t *name, const uint8_t *salt, size_t salt_len, unsigned iterations,
                   uint8_t out[DB_NSEC3_HASH_LEN])
{
	uint8_t low[TERN_NAME_MAX];
	tern_name_lower(low, name);
	SHA_CTX c;
	SHA1_Init(&c);
	SHA1_Update(&c, low, tern_name_len(low));
	SHA1_Update(&c, salt, salt_len);
	SHA1_Final(out, &c);
	/* RFC 5155 5: IH(salt, x, k) = H(IH(salt, x, k-1) || salt) */
	for (unsigned i = 0; i < iterations; i++) {
		SHA1_Init(&c);
		SHA1_Update(&c, out, DB_NSEC3_HASH_LEN);
		SHA1_Update(&c, salt, salt_len);
		SHA1_Final(out, &c);
	}
}

void db_dnssec_free_own(db_dnssec *d)
{
	for (size_t i = 0; i < sizeof d->own / sizeof d->own[0]; i++) {
		free(d->own[i]);
		d->own[i] = NULL;
	}
}

const db_node *db_nsec_find(const db_dnssec *d, const uint8_t *name)
{
	if (!d->nnsec)
		return NULL;
	/* the last owner <= name: invariant nsec[lo-1] <= name < nsec[hi] */
	size_t lo = 0, hi = d->nnsec;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tern_name_cmp(d->nsec[mid]->name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return d->nsec[lo ? lo - 1 : d->nnsec - 1];
}

const db_nsec3 *db_nsec3_find(const db_dnssec *d, const uint8_t h[DB_NSEC3_HASH_LEN], bool *exact)
{
	*exact = false;
	if (!d->nn3)
		return NULL;
	size_t lo = 0, hi = d->nn3;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(d->n3[mid].hash, h, DB_NSEC3_HASH_LEN) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	const db_nsec3 *e = &d->n3[lo ? lo - 1 : d->nn3 - 1];
	*exact = !memcmp(e->hash, h, DB_NSEC3_HASH_LEN);
	return e;
}

/* The hash an NSEC3 owner's first label holds (base32hex, RFC 5155 3.3),
 * or false when it is not one. */
bool db_nsec3_owner_hash(const uint8_t *name, uint8_t out[DB_NSEC3_HASH_LEN])
{
	size_t got;
	return name[0] == 32 && !tern_b32hex_decode((const char *)name + 1, 32, out, DB_NSEC3_HASH_LEN, &got) &&
	       got == DB_NSEC3_HASH_LEN;
}

const db_node *zone_find_stored(const db_zone *z, const uint8_t *name)
{
	const db_node *n = zone_find(z, name);
	uint8_t h[DB_NSEC3_HASH_LEN];
	if (n || !z->dnssec || !db_nsec3_owner_hash(name, h))
		return n;
	bool exact;
	const db_nsec3 *e = db_nsec3_find(z->dnssec, h, &exact);
	return exact && tern_name_eq(e->node->name, name) ? e->node : NULL;
}

static bool is_nsec3_rec(const brec *r)
{
	return r->type == TERN_T_NSEC3 || (r->type == TERN_T_RRSIG && r->rdlen >= 2 && tern_get_u16(r->rdata) == TERN_T_NSEC3);
}

int zb_dnssec_node(build *b, db_node *n)
{
	const brec *first = NULL;
	bool only = true;
	for (const brec *r = n->build; r; r = r->next) {
		if ((r->type == TERN_T_NSEC || r->type == TERN_T_NSEC3) && (!first || r->seq < first->seq))
			first = r;
		only &= is_nsec3_rec(r);
	}
	if (!first)
		return 0;
	if (b->ndnodes == b->dnodes_cap) {
		size_t cap = b->dnodes_cap ? 2 * b->dnodes_cap : 256;
		zb_dnode *v = realloc(b->dnodes, cap * sizeof *v);
		if (!v)
			return -1;
		b->dnodes = v;
		b->dnodes_cap = cap;
	}
	b->dnodes[b->ndnodes++] = (zb_dnode){n, first->file, first->line, first->type};
	/* RFC 5155 7.2.8: an NSEC3 owner is no name of the zone; one that is
	 * right below the apex and holds nothing else leaves the table */
	if (only && first->type == TERN_T_NSEC3 && n->parent == b->z->apex && !n->nchildren) {
		if (b->nhidden == b->hidden_cap) {
			size_t cap = b->hidden_cap ? 2 * b->hidden_cap : 256;
			db_node **v = realloc(b->hidden, cap * sizeof *v);
			if (!v)
				return -1;
			b->hidden = v;
			b->hidden_cap = cap;
		}
		b->hidden[b->nhidden++] = n;
		n->flags |= DB_HASHED;
	}
	return 0;
}

static int cmp_node_canon(const void *a, const void *b)
{
	return tern_name_cmp((*(const db_node *const *)a)->name, (*(const db_node *const *)b)->name);
}

static int cmp_n3(const void *a, const void *b)
{
	return memcmp(((const db_nsec3 *)a)->hash, ((const db_nsec3 *)b)->hash, DB_NSEC3_HASH_LEN);
}

/* Hash parameters from NSEC3PARAM (flags 0 and hash 1 preferred, RFC 5155
 * 4.1.2), else from the first NSEC3. */
static void nsec3_params(db_dnssec *d, const db_zone *z)
{
	const db_rrset *p = node_rrset(z->apex, TERN_T_NSEC3PARAM);
	const uint8_t *rd = NULL;
	uint16_t len = 0;
	if (p) {
		const uint8_t *q = p->rdata;
		for (unsigned i = 0; i < p->count; i++) {
			uint16_t l;
			const uint8_t *x = rrset_rdata(q, &l);
			if (l >= 5 && x[0] == 1 && (!rd || (x[1] == 0 && rd[1] != 0))) {
				rd = x;
				len = l;
			}
			q = x + l;
		}
	}
	if (!rd && d->nn3) {
		const db_rrset *s = node_rrset(d->n3[0].node, TERN_T_NSEC3);
		if (s)
			rd = rrset_rdata(s->rdata, &len);
	}
	if (!rd || len < 5 || (size_t)5 + rd[4] > len)
		return;
	d->iterations = tern_get_u16(rd + 2);
	d->salt_len = rd[4];
	memcpy(d->salt, rd + 5, rd[4]);
}

int zb_check_chain(build *b, db_dnssec *d);

int zb_dnssec_finish(build *b)
{
	db_zone *z = b->z;
	db_dnssec *d = arena_alloc(&z->mem, sizeof *d);
	if (!d)
		return -1;
	memset(d, 0, sizeof *d);
	size_t nn = 0, n3 = 0;
	for (size_t i = 0; i < b->ndnodes; i++) {
		const db_node *n = b->dnodes[i].n;
		if (n->flags & (DB_OCCLUDED | DB_UNDER_DNAME))
			continue; /* not authoritative: build_rrsets dropped it */
		nn += node_rrset(n, TERN_T_NSEC) != NULL;
		n3 += node_rrset(n, TERN_T_NSEC3) != NULL;
	}
	const db_node **nsec = arena_alloc(&z->mem, (nn ? nn : 1) * sizeof *nsec);
	db_nsec3 *v3 = arena_alloc(&z->mem, (n3 ? n3 : 1) * sizeof *v3);
	db_node **hidden = arena_alloc(&z->mem, (b->nhidden ? b->nhidden : 1) * sizeof *hidden);
	if (!nsec || !v3 || !hidden)
		return -1;
	for (size_t i = 0; i < b->ndnodes; i++) {
		const db_node *n = b->dnodes[i].n;
		if (n->flags & (DB_OCCLUDED | DB_UNDER_DNAME))
			continue;
		if (node_rrset(n, TERN_T_NSEC))
			nsec[d->nnsec++] = n;
		if (node_rrset(n, TERN_T_NSEC3) && db_nsec3_owner_hash(n->name, v3[d->nn3].hash))
			v3[d->nn3++].node = n;
	}
	qsort(nsec, d->nnsec, sizeof *nsec, cmp_node_canon);
	qsort(v3, d->nn3, sizeof *v3, cmp_n3);
	if (b->nhidden)
		memcpy(hidden, b->hidden, b->nhidden * sizeof *hidden);
	d->nsec = nsec;
	d->n3 = v3;
	d->hidden = hidden;
	d->nhidden = b->nhidden;
	d->nsec3 = d->nn3 > 0 || node_rrset(z->apex, TERN_T_NSEC3PARAM);
	if (d->nsec3)
		nsec3_params(d, z);
	zb_verify_done(b);
	int rc = zb_check_chain(b, d);
	z->dnssec = d;
	return rc;
}
