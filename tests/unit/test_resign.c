/* test_resign.c: unit tests of incremental re-signing (dnssec/resign.h),
 * for NSEC and NSEC3: after each change the new version
 *   - was made on zone_apply's fast path (nodes shared), not signed whole;
 *   - loads again with every signature verified and the chain whole
 *     (DB_DIAG_VERIFY: no warning);
 *   - its journal entry (from the edited names) is the difference a walk
 *     of both versions finds;
 *   - has exactly the NSEC/NSEC3 records a whole signing of the same data
 *     makes (the chain is deterministic, signatures are not), one RRSIG per
 *     RRset and no stale one, and the same denial indexes;
 * for the cases where mending is subtle: a name that sorts first or last,
 * removing the only child (its empty non-terminals go), a new name under
 * new empty non-terminals, an RRset added and removed at a name, changes
 * on a version that is itself a re-signed one. A change that moves the
 * structure (a delegation) is signed whole; one next to a delegation or
 * a wildcard is not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/apply.h"
#include "db/dnssec.h"
#include "db/journal.h"
#include "db/zone.h"
#include "dnssec/resign.h"
#include "dnssec/sign.h"
#include "tern/rr.h"

static const uint8_t ORIGIN[] = "\7example";

static void on_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	fprintf(stderr, "  %s %s:%u: %s\n", error ? "error" : "warning", file, line, msg);
}

static const char ZONE[] = "$ORIGIN example.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n@ NS ns\n"
                           "ns A 192.0.2.1\nwww A 192.0.2.80\nmail MX 10 www\n*.w TXT \"w\"\n"
                           "a.b.ent A 192.0.2.2\nsub NS ns.sub\nns.sub A 192.0.2.3\nm A 192.0.2.4\n";

typedef struct fixture {
	bool nsec3;
	dnssec_policy p;
	struct dnssec_keyset *k; /* a KSK and a ZSK, made in memory (DB_DIAG_NO_WRITE) */
	db_zone *z; /* serving now */
	uint32_t serial;
	uint8_t names[64][TERN_NAME_MAX];
	size_t nnames;
} fixture;

static const uint8_t *name(fixture *f, const char *text)
{
	uint8_t *out = f->names[f->nnames++ % 64];
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), ORIGIN, out, &len), 0);
	return out;
}

static void setup(fixture *f, bool nsec3)
{
	memset(f, 0, sizeof *f);
	f->nsec3 = nsec3;
	f->p = DNSSEC_POLICY_DEFAULT;
	f->p.on = true;
	f->p.nsec3 = nsec3;
	f->p.keydir = (char *)".";
	db_diag dg = {.fn = on_diag, .flags = DB_DIAG_NO_WRITE};
	db_zone *z = zone_load_string(ORIGIN, "t.zone", ZONE, &dg);
	assert_non_null(z);
	f->k = dnssec_keys_load(ORIGIN, &f->p, "t.zone", &dg);
	assert_non_null(f->k);
	bool changed = false;
	assert_int_equal(dnssec_keys_roll(f->k, &f->p, z, (int64_t)time(NULL), &changed, &dg), 0);
	f->serial = 100;
	f->z = dnssec_sign_zone(z, f->k, &f->p, f->serial, &dg);
	assert_non_null(f->z);
	assert_int_equal(dg.errors, 0);
	zone_free(z);
}

static void teardown(fixture *f)
{
	zone_unref(f->z);
	dnssec_keys_free(f->k);
}

/* ---- comparing with a whole signing ---- */

typedef struct rec {
	uint8_t owner[TERN_NAME_MAX];
	uint16_t type, covered, len;
	uint8_t rd[1024];
} rec;

typedef struct recs {
	rec *v;
	size_t n, cap;
} recs;

/* The NSEC and NSEC3 records (whole), and the RRSIGs (owner and type
 * covered only: signatures differ from one signing to the next). */
static int collect(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                   uint16_t rdlen)
{
	(void)ttl;
	recs *r = user;
	if (type != TERN_T_NSEC && type != TERN_T_NSEC3 && type != TERN_T_RRSIG)
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = realloc(r->v, r->cap * sizeof *r->v);
		assert_non_null(r->v);
	}
	rec *x = &r->v[r->n++];
	memset(x, 0, sizeof *x);
	tern_name_lower(x->owner, owner);
	x->type = type;
	if (type == TERN_T_RRSIG) {
		x->covered = tern_get_u16(rdata);
	} else {
		assert_true(rdlen <= sizeof x->rd);
		x->len = rdlen;
		memcpy(x->rd, rdata, rdlen);
	}
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	const rec *x = a, *y = b;
	int c = tern_name_cmp(x->owner, y->owner);
	if (c)
		return c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->covered != y->covered)
		return x->covered < y->covered ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->rd, y->rd, x->len);
}

static void records_of(const db_zone *z, recs *r)
{
	memset(r, 0, sizeof *r);
	assert_int_equal(zone_walk(z, collect, r), 0);
	qsort(r->v, r->n, sizeof *r->v, cmp_rec);
}

static int to_builder(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                      uint16_t rdlen)
{
	static unsigned line;
	tern_zrr rr = {.owner = owner, .type = type, .cls = TERN_C_IN, .ttl = ttl, .rdata = rdata, .rdlen = rdlen,
	               .file = "resigned", .file_id = 1, .line = ++line};
	return zone_builder_add(user, &rr);
}

/* z as served: every signature verifies, the chain is whole, and it is
 * what a whole signing of the same records gives. */
static void check_zone(fixture *f, const db_zone *z)
{
	db_diag dg = {.fn = on_diag, .flags = DB_DIAG_VERIFY | DB_DIAG_NO_WRITE};
	zone_builder *zb = zone_builder_new(ORIGIN, "resigned", 0, &dg);
	assert_non_null(zb);
	assert_int_equal(zone_walk(z, to_builder, zb), 0);
	db_zone *again = zone_builder_finish(zb);
	assert_non_null(again);
	assert_int_equal(dg.errors, 0);
	assert_int_equal(dg.warnings, 0);
	assert_int_equal(again->nrecords, z->nrecords);
	assert_int_equal(again->nnodes, z->nnodes);

	db_zone *whole = dnssec_sign_zone(z, f->k, &f->p, z->serial, &dg);
	assert_non_null(whole);
	recs a, b;
	records_of(z, &a);
	records_of(whole, &b);
	if (a.n != b.n)
		fprintf(stderr, "  %zu NSEC/NSEC3/RRSIG records, a whole signing has %zu\n", a.n, b.n);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		if (cmp_rec(&a.v[i], &b.v[i])) {
			char o1[TERN_NAME_TEXT_MAX], o2[TERN_NAME_TEXT_MAX];
			tern_name_to_text(a.v[i].owner, o1, sizeof o1);
			tern_name_to_text(b.v[i].owner, o2, sizeof o2);
			fprintf(stderr, "  record %zu: %s type %u/%u, whole: %s type %u/%u\n", i, o1, a.v[i].type,
			        a.v[i].covered, o2, b.v[i].type, b.v[i].covered);
		}
		assert_int_equal(cmp_rec(&a.v[i], &b.v[i]), 0);
	}
	/* the denial indexes, patched, are those a load makes */
	const db_dnssec *d = z->dnssec, *w = again->dnssec;
	assert_non_null(d);
	assert_int_equal(d->nnsec, w->nnsec);
	for (size_t i = 0; i < d->nnsec; i++) {
		assert_true(tern_name_eq(d->nsec[i]->name, w->nsec[i]->name));
		assert_ptr_equal(d->nsec[i], zone_find(z, d->nsec[i]->name)); /* the node serving, not a stale copy */
	}
	assert_int_equal(d->nn3, w->nn3);
	for (size_t i = 0; i < d->nn3; i++) {
		assert_memory_equal(d->n3[i].hash, w->n3[i].hash, DB_NSEC3_HASH_LEN);
		assert_ptr_equal(d->n3[i].node, zone_find_stored(z, d->n3[i].node->name));
		assert_true(d->n3[i].node->flags & DB_HASHED);
	}
	assert_int_equal(d->nhidden, w->nhidden);
	free(a.v);
	free(b.v);
	zone_unref(whole);
	zone_unref(again);
}

/* Applies edits (plus the serial) and checks the result. */
static void change(fixture *f, const db_edit *e, size_t n, bool want_whole)
{
	db_diag dg = {.fn = on_diag, .flags = DB_DIAG_NO_WRITE};
	db_apply_stats st;
	dnssec_resign_stats rs;
	bool fresh = f->z->stale == 0; /* no compaction due: the fast path */
	db_zone *z = dnssec_resign(f->z, e, n, f->k, &f->p, ++f->serial, DB_APPLY_DIFF, "test", &dg, &st, &rs);
	assert_non_null(z);
	assert_int_equal(dg.errors, 0);
	assert_int_equal(z->serial, f->serial);
	assert_int_equal(rs.whole, want_whole);
	if (!want_whole && fresh)
		assert_false(st.rebuilt);
	assert_non_null(st.diff);
	/* the journal entry made from the edited names is the difference a
	 * walk of both versions finds (NSEC3 owners included) */
	db_diff *full = db_diff_make(f->z, z);
	assert_non_null(full);
	assert_int_equal(st.diff->ndel, full->ndel);
	assert_int_equal(st.diff->nadd, full->nadd);
	assert_int_equal(st.diff->del_len, full->del_len);
	assert_int_equal(st.diff->add_len, full->add_len);
	db_diff_unref(full);
	db_diff_unref(st.diff);
	check_zone(f, z);
	zone_unref(f->z);
	f->z = z;
}

static db_edit add_a(fixture *f, const char *owner, uint8_t last)
{
	static uint8_t rd[64][4];
	static unsigned i;
	uint8_t *r = rd[i++ % 64];
	r[0] = 192, r[1] = 0, r[2] = 2, r[3] = last;
	return (db_edit){.op = DB_ADD_RR, .owner = name(f, owner), .type = TERN_T_A, .ttl = 300, .rdlen = 4, .rdata = r};
}

static db_edit del_name(fixture *f, const char *owner)
{
	return (db_edit){.op = DB_DEL_NAME, .owner = name(f, owner)};
}

static void both(void (*fn)(fixture *))
{
	for (int nsec3 = 0; nsec3 <= 1; nsec3++) {
		fixture f;
		setup(&f, nsec3);
		check_zone(&f, f.z);
		fn(&f);
		teardown(&f);
	}
}

static void first_and_last(fixture *f)
{
	/* "0" sorts right after the apex; "zzz" last: its NSEC wraps */
	db_edit e[] = {add_a(f, "0", 10)};
	change(f, e, 1, false);
	db_edit e2[] = {add_a(f, "zzz", 11)};
	change(f, e2, 1, false);
	db_edit e3[] = {del_name(f, "0"), del_name(f, "zzz")};
	change(f, e3, 2, false);
}

static void test_first_and_last(void **state)
{
	(void)state;
	both(first_and_last);
}

static void only_child(fixture *f)
{
	/* a.b.ent is the only name below b.ent and ent: they go with it */
	db_edit e[] = {del_name(f, "a.b.ent")};
	change(f, e, 1, false);
	assert_null(zone_find(f->z, name(f, "ent")));
	/* and come back, under a new name */
	db_edit e2[] = {add_a(f, "c.b.ent", 12)};
	change(f, e2, 1, false);
	assert_non_null(zone_find(f->z, name(f, "b.ent")));
}

static void test_only_child(void **state)
{
	(void)state;
	both(only_child);
}

static void new_ents(fixture *f)
{
	/* p.q.r brings two empty non-terminals; www gets a second RRset */
	db_edit e[] = {add_a(f, "p.q.r", 13), add_a(f, "x.y", 14),
	               {.op = DB_ADD_RR, .owner = name(f, "www"), .type = TERN_T_TXT, .ttl = 300, .rdlen = 3,
	                .rdata = (const uint8_t *)"\2hi"}};
	change(f, e, 3, false);
	/* an RRset goes (www keeps its A), a record joins an RRset (its TTL too) */
	db_edit e2[] = {{.op = DB_DEL_RRSET, .owner = name(f, "www"), .type = TERN_T_TXT}, add_a(f, "m", 99)};
	e2[1].ttl = 600;
	change(f, e2, 2, false);
	/* the parent of a name gets records: no longer an empty non-terminal;
	 * then the child goes: q.r stays, with its record */
	db_edit e3[] = {add_a(f, "q.r", 15)};
	change(f, e3, 1, false);
	db_edit e4[] = {del_name(f, "p.q.r"), del_name(f, "x.y")};
	change(f, e4, 2, false);
	assert_non_null(zone_find(f->z, name(f, "q.r")));
	assert_null(zone_find(f->z, name(f, "y")));
	/* a name with a child loses its records: an empty non-terminal now */
	db_edit e5[] = {add_a(f, "k.m", 16)};
	change(f, e5, 1, false);
	db_edit e6[] = {del_name(f, "m")};
	change(f, e6, 1, false);
	assert_non_null(zone_find(f->z, name(f, "m")));
}

static void test_new_ents(void **state)
{
	(void)state;
	both(new_ents);
}

static void many_in_a_row(fixture *f)
{
	/* each version made from a re-signed one: the indexes patched again */
	char owner[32];
	for (unsigned i = 0; i < 12; i++) {
		snprintf(owner, sizeof owner, "h%u.many", i);
		db_edit e[] = {add_a(f, owner, (uint8_t)i)};
		change(f, e, 1, false);
	}
	for (unsigned i = 0; i < 12; i += 2) {
		snprintf(owner, sizeof owner, "h%u.many", i);
		db_edit e[] = {del_name(f, owner)};
		change(f, e, 1, false);
	}
}

static void test_many_in_a_row(void **state)
{
	(void)state;
	both(many_in_a_row);
}

static void structure(fixture *f)
{
	/* a new delegation moves the structure: signed whole, still right */
	uint8_t ns[TERN_NAME_MAX];
	size_t len;
	assert_int_equal(tern_name_from_text("ns.example.", 11, NULL, ns, &len), 0);
	db_edit e[] = {{.op = DB_ADD_RR, .owner = name(f, "deleg"), .type = TERN_T_NS, .ttl = 300,
	                .rdlen = (uint16_t)len, .rdata = ns}};
	change(f, e, 1, true);
	db_edit e2[] = {add_a(f, "after", 17)};
	change(f, e2, 1, false);
}

static void test_structure_signed_whole(void **state)
{
	(void)state;
	both(structure);
}

static void structural_neighbours(fixture *f)
{
	/* sub0 follows the delegation sub, w0 the wildcard *.w: their NSEC
	 * change, still on the fast path (only DNSSEC records edited there) */
	db_edit e[] = {add_a(f, "sub0", 18), add_a(f, "w0", 19)};
	change(f, e, 2, false);
	db_edit e2[] = {del_name(f, "sub0"), del_name(f, "w0")};
	change(f, e2, 2, false);
}

static void test_structural_neighbours(void **state)
{
	(void)state;
	both(structural_neighbours);
}

static void test_managed_types(void **state)
{
	(void)state;
	fixture f;
	setup(&f, false);
	assert_true(dnssec_managed_type(f.z, ORIGIN, TERN_T_DNSKEY));
	assert_true(dnssec_managed_type(f.z, name(&f, "www"), TERN_T_RRSIG));
	assert_true(dnssec_managed_type(f.z, name(&f, "www"), TERN_T_NSEC3));
	assert_false(dnssec_managed_type(f.z, name(&f, "www"), TERN_T_DNSKEY));
	assert_false(dnssec_managed_type(f.z, name(&f, "www"), TERN_T_A));
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_and_last),
		cmocka_unit_test(test_only_child),
		cmocka_unit_test(test_new_ents),
		cmocka_unit_test(test_many_in_a_row),
		cmocka_unit_test(test_structure_signed_whole),
		cmocka_unit_test(test_structural_neighbours),
		cmocka_unit_test(test_managed_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
