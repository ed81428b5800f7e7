/* dnsseccheck.c: the checks of a signed zone at load (warnings: a signed
 * zone is served as its file says, as NSD and Knot serve it):
 *  - every authoritative RRset has an RRSIG covering it (RFC 4035 2.2);
 *  - NSEC zones: every authoritative name with data owns an NSEC, and the
 *    NSEC chain links the names in canonical order, the last back to the
 *    apex (RFC 4034 4.1.1, 6.1);
 *  - NSEC3 zones: an NSEC3PARAM at the apex (RFC 5155 7.3), every NSEC3
 *    with its parameters, the chain of hashes in order and closed (RFC
 *    5155 3.1.7), every authoritative name (empty non-terminals too) with
 *    a matching NSEC3 unless an opt-out NSEC3 covers it (RFC 5155 7.1).
 * Warnings name file:line where a record is at fault; a name without its
 * record has no line, so the zone's file is named. Each kind of warning is
 * given for the first few cases, then counted. */
#include <stdio.h>
#include <string.h>

#include "db/dnssec.h"
#include "db/zone_build.h"
#include "lib/encoding.h"
#include "tern/rr.h"

#define SHOWN 10 /* warnings of one kind given one by one */

int zb_check_chain(build *b, db_dnssec *d);

/* The types at a node that carry no signature of their own: RRSIG, and at
 * a delegation point everything but DS and NSEC (RFC 4035 2.2: NS and glue
 * of a cut are not authoritative). */
static bool needs_sig(const db_node *n, uint16_t type)
{
	if (type == TERN_T_RRSIG)
		return false;
	if (n->flags & DB_CUT)
		return type == TERN_T_DS || type == TERN_T_NSEC;
	return true;
}

void zb_check_signed(build *b, const db_node *n)
{
	if (n->flags & (DB_OCCLUDED | DB_UNDER_DNAME))
		return;
	for (unsigned i = 0; i < n->nrrsets; i++) {
		uint16_t t = n->rrsets[i].type;
		if (!needs_sig(n, t) || node_rrsigs(n, t))
			continue;
		if (b->unsigned_sets++ >= SHOWN)
			continue;
		const brec *at = NULL;
		for (const brec *r = n->build; r; r = r->next)
			if (r->type == t && (!at || r->seq < at->seq))
				at = r;
		char owner[TERN_NAME_TEXT_MAX], type[24];
		zb_name_text(n->name, owner, sizeof owner);
		tern_type_to_text(t, type, sizeof type);
		db_diag_report(b->diag, false, at ? at->file : b->z->file, at ? at->line : 0,
		               "%s %s has no RRSIG covering it (RFC 4035 2.2): validators will find it bogus", owner,
		               type);
	}
}

/* Where n's NSEC or NSEC3 is (a scan: only for the few warnings given). */
static void where(const build *b, const db_node *n, const char **file, unsigned *line)
{
	*file = b->z->file;
	*line = 0;
	for (size_t k = 0; k < b->ndnodes; k++)
		if (b->dnodes[k].n == n) {
			*file = b->dnodes[k].file;
			*line = b->dnodes[k].line;
			return;
		}
}

/* A name of the chain, as text, for a message. */
static const char *text_of(const uint8_t *name, char *buf, size_t cap)
{
	zb_name_text(name, buf, cap);
	return buf;
}

static void check_nsec(build *b, const db_dnssec *d)
{
	db_zone *z = b->z;
	char x[TERN_NAME_TEXT_MAX], y[TERN_NAME_TEXT_MAX];
	size_t missing = 0, broken = 0;
	for (size_t i = 0; i < z->nnodes; i++) {
		const db_node *n = b->nodes[i];
		if (!n->nrrsets || (n->flags & (DB_OCCLUDED | DB_UNDER_DNAME | DB_HASHED)) || node_rrset(n, TERN_T_NSEC))
			continue;
		if (missing++ < SHOWN)
			db_diag_report(b->diag, false, z->file, 0, "%s has no NSEC: the NSEC chain is incomplete",
			               text_of(n->name, x, sizeof x));
	}
	for (size_t i = 0; i < d->nnsec; i++) {
		const db_node *n = d->nsec[i], *want = d->nsec[(i + 1) % d->nnsec];
		const db_rrset *s = node_rrset(n, TERN_T_NSEC);
		uint16_t len;
		const uint8_t *rd = rrset_rdata(s->rdata, &len);
		if (tern_name_eq(rd, want->name) && s->count == 1)
			continue;
		if (broken++ >= SHOWN)
			continue;
		const char *file;
		unsigned line;
		where(b, n, &file, &line);
		if (s->count != 1)
			db_diag_report(b->diag, false, file, line, "%s has %u NSEC records; one is allowed",
			               text_of(n->name, x, sizeof x), s->count);
		else
			db_diag_report(b->diag, false, file, line,
			               "NSEC at %s points to %s, but the next name in canonical order is %s",
			               text_of(n->name, x, sizeof x), text_of(rd, y, sizeof y),
			               text_of(want->name, y + sizeof y / 2, sizeof y / 2));
	}
	if (missing > SHOWN || broken > SHOWN)
		db_diag_report(b->diag, false, z->file, 0, "NSEC chain: %zu names without NSEC, %zu NSEC out of order",
		               missing, broken);
}

/* The NSEC3 RDATA of e's node, or NULL if it does not parse: alg, flags,
 * iterations, salt, next hash. */
typedef struct n3rd {
	uint8_t alg, flags;
	uint16_t iterations;
	uint8_t salt_len, next_len;
	const uint8_t *salt, *next;
} n3rd;

static bool n3_parse(const db_node *n, n3rd *o)
{
	const db_rrset *s = node_rrset(n, TERN_T_NSEC3);
	if (!s)
		return false;
	uint16_t len;
	const uint8_t *rd = rrset_rdata(s->rdata, &len);
	if (len < 6 || (size_t)5 + rd[4] + 1 > len || (size_t)6 + rd[4] + rd[5 + rd[4]] > len)
		return false;
	*o = (n3rd){rd[0], rd[1], tern_get_u16(rd + 2), rd[4], rd[5 + rd[4]], rd + 5, rd + 6 + rd[4]};
	return true;
}

static void check_nsec3(build *b, const db_dnssec *d)
{
	db_zone *z = b->z;
	char x[TERN_NAME_TEXT_MAX];
	if (!node_rrset(z->apex, TERN_T_NSEC3PARAM))
		db_diag_report(b->diag, false, z->file, z->soa_line,
		               "the zone has NSEC3 records but no NSEC3PARAM at its apex (RFC 5155 7.3)");
	/* each negative answer hashes up to three names, iterations + 1
	 * times each; validators may treat more than 100 as insecure or
	 * bogus (RFC 9276 3.2) */
	if (d->iterations > 100)
		db_diag_report(b->diag, false, z->file, z->soa_line,
		               "NSEC3 with %u extra iterations: costly to answer, and validators may not accept it "
		               "(RFC 9276 3.1 says 0)",
		               d->iterations);
	size_t params = 0, broken = 0, missing = 0;
	for (size_t i = 0; i < d->nn3; i++) {
		const db_node *n = d->n3[i].node;
		n3rd r;
		const char *file;
		unsigned line;
		if (!n3_parse(n, &r)) {
			if (broken++ < SHOWN && (where(b, n, &file, &line), 1))
				db_diag_report(b->diag, false, file, line, "NSEC3 at %s does not parse", text_of(n->name, x, sizeof x));
			continue;
		}
		if (r.alg != 1 || r.iterations != d->iterations || r.salt_len != d->salt_len ||
		    memcmp(r.salt, d->salt, r.salt_len)) {
			if (params++ < SHOWN && (where(b, n, &file, &line), 1))
				db_diag_report(b->diag, false, file, line,
				               "NSEC3 at %s: hash %u, %u iterations, salt of %u bytes differ from the "
				               "zone's NSEC3PARAM (1, %u, %u bytes)",
				               text_of(n->name, x, sizeof x), r.alg, r.iterations, r.salt_len, d->iterations,
				               d->salt_len);
		}
		const uint8_t *want = d->n3[(i + 1) % d->nn3].hash;
		if (r.next_len != DB_NSEC3_HASH_LEN || memcmp(r.next, want, DB_NSEC3_HASH_LEN)) {
			if (broken++ < SHOWN) {
				where(b, n, &file, &line);
				char h[40];
				h[tern_b32hex_encode(want, DB_NSEC3_HASH_LEN, h)] = 0;
				db_diag_report(b->diag, false, file, line,
				               "NSEC3 at %s: its next hashed owner is not the next hash in the chain (%s)",
				               text_of(n->name, x, sizeof x), h);
			}
		}
	}
	/* every authoritative name matches an NSEC3, or an opt-out one covers
	 * it (an insecure delegation, or a name that exists only above one) */
	for (size_t i = 0; i < z->nnodes; i++) {
		const db_node *n = b->nodes[i];
		if (n->flags & (DB_OCCLUDED | DB_UNDER_DNAME | DB_HASHED))
			continue;
		uint8_t h[DB_NSEC3_HASH_LEN];
		db_nsec3_hash(n->name, d->salt, d->salt_len, d->iterations, h);
		bool exact;
		const db_nsec3 *e = db_nsec3_find(d, h, &exact);
		n3rd r;
		if (exact || (e && n3_parse(e->node, &r) && (r.flags & 1)))
			continue;
		if (missing++ < SHOWN)
			db_diag_report(b->diag, false, z->file, 0,
			               "%s has no matching NSEC3 and no opt-out NSEC3 covers it: the NSEC3 chain is "
			               "incomplete",
			               text_of(n->name, x, sizeof x));
	}
	if (params > SHOWN || broken > SHOWN || missing > SHOWN)
		db_diag_report(b->diag, false, z->file, 0,
		               "NSEC3 chain: %zu with other parameters, %zu out of order, %zu names without NSEC3", params,
		               broken, missing);
}

int zb_check_chain(build *b, db_dnssec *d)
{
	db_zone *z = b->z;
	if (b->unsigned_sets > SHOWN)
		db_diag_report(b->diag, false, z->file, 0, "%zu RRsets have no RRSIG covering them", b->unsigned_sets);
	if (!node_rrset(z->apex, TERN_T_DNSKEY))
		db_diag_report(b->diag, false, z->file, z->soa_line, "the zone is signed but has no DNSKEY at its apex");
	if (d->nsec3)
		check_nsec3(b, d);
	else if (d->nnsec)
		check_nsec(b, d);
	else
		db_diag_report(b->diag, false, z->file, z->soa_line,
		               "the zone is signed but has neither NSEC nor NSEC3: negative answers cannot be proved");
	return 0;
}
