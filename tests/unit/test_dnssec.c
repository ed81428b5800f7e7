/* test_dnssec.c: unit tests of a signed zone's denial indexes (db/dnssec.h):
 * the NSEC3 hash against RFC 5155 Appendix A, NSEC owners in canonical
 * order (RFC 4034 6.1) and the predecessor search, the NSEC3 index (match,
 * cover, wrap) and NSEC3 owners kept out of the name table; and the load
 * checks of dnsseccheck.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "db/apply.h"
#include "db/dnssec.h"
#include "db/zone.h"
#include "lib/encoding.h"
#include "tern/rr.h"

static void wire(const char *text, uint8_t *out)
{
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), NULL, out, &len), 0);
}

/* RFC 5155 Appendix A: salt aabbccdd, 12 additional iterations. */
static void test_nsec3_hash_vectors(void **state)
{
	(void)state;
	static const struct {
		const char *name, *hash;
	} v[] = {
		{"example.", "0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM"},
		{"a.example.", "35MTHGPGCU1QG68FAB165KLNSNK3DPVL"},
		{"ai.example.", "GJEQE526PLBF1G8MKLP59ENFD789NJGI"},
		{"ns1.example.", "2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"},
		{"ns2.example.", "Q04JKCEVQVMU85R014C7DKBA38O0JI5R"},
		{"w.example.", "K8UDEMVP1J2F7EG6JEBPS17VP3N8I58H"},
		{"*.w.example.", "R53BQ7CC2UVMUBFU5OCMM6PERS9TK9EN"},
		{"x.w.example.", "B4UM86EGHHDS6NEA196SMVMLO4ORS995"},
		{"y.w.example.", "JI6NEOAEPV8B5O6K4EV33ABHA8HT9FGC"},
		{"x.y.w.example.", "2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S"},
		{"xx.example.", "T644EBQK9BIBCNA874GIVR6JOJ62MLHV"},
		{"XX.EXAMPLE.", "T644EBQK9BIBCNA874GIVR6JOJ62MLHV"}, /* case does not count */
	};
	static const uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint8_t name[TERN_NAME_MAX], h[DB_NSEC3_HASH_LEN];
		char text[40];
		wire(v[i].name, name);
		db_nsec3_hash(name, salt, sizeof salt, 12, h);
		text[tern_b32hex_encode(h, sizeof h, text)] = 0;
		assert_string_equal(text, v[i].hash);
	}
}

static db_zone *load(const char *origin, const char *text, db_diag *dg)
{
	uint8_t o[TERN_NAME_MAX];
	wire(origin, o);
	return zone_load_string(o, "t.zone", text, dg);
}

/* The RFC 4034 6.1 example, written out of order, each name with an NSEC
 * (the chain itself is not what this test looks at). */
static const char *const canon[] = {
	"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.",
	"z.example.", "\\001.z.example.", "*.z.example.", "\\200.z.example.",
};

static void test_nsec_canonical_order_and_predecessor(void **state)
{
	(void)state;
	char text[4096];
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof text - n,
	                      "$TTL 300\nexample. SOA ns hm 1 2 3 4 5\nexample. NS ns.example.\n");
	static const unsigned order[] = {5, 2, 8, 0, 7, 3, 1, 6, 4};
	for (unsigned k = 0; k < 9; k++) {
		unsigned i = order[k];
		n += (size_t)snprintf(text + n, sizeof text - n, "%s NSEC %s A RRSIG NSEC\n", canon[i],
		                      canon[(i + 1) % 9]);
		if (i)
			n += (size_t)snprintf(text + n, sizeof text - n, "%s A 192.0.2.1\n", canon[i]);
	}
	db_diag dg = {0};
	db_zone *z = load("example.", text, &dg);
	assert_non_null(z);
	assert_non_null(z->dnssec);
	const db_dnssec *d = z->dnssec;
	assert_false(d->nsec3);
	assert_int_equal(d->nnsec, 9);
	for (unsigned i = 0; i < 9; i++) {
		uint8_t name[TERN_NAME_MAX];
		wire(canon[i], name);
		assert_true(tern_name_eq(d->nsec[i]->name, name));
		assert_ptr_equal(db_nsec_find(d, name), d->nsec[i]); /* a name matches itself */
	}
	/* names that do not exist: their canonical predecessor */
	static const struct {
		const char *q, *pred;
	} p[] = {
		{"b.example.", "zABC.a.EXAMPLE."},      /* after all of a.example's subtree */
		{"x.a.example.", "a.example."},         /* before yljkjljk */
		{"zz.a.example.", "zABC.a.example."},
		{"\\000.z.example.", "z.example."},
		{"a.z.example.", "*.z.example."},
		{"zz.example.", "\\200.z.example."},    /* the last one */
		{"x.y.zABC.a.example.", "zABC.a.example."},
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
		uint8_t q[TERN_NAME_MAX], want[TERN_NAME_MAX];
		wire(p[i].q, q);
		wire(p[i].pred, want);
		const db_node *got = db_nsec_find(d, q);
		assert_non_null(got);
		if (!tern_name_eq(got->name, want)) {
			char g[TERN_NAME_TEXT_MAX];
			tern_name_to_text(got->name, g, sizeof g);
			fail_msg("predecessor of %s: %s, want %s", p[i].q, g, p[i].pred);
		}
	}
	zone_free(z);
}

/* An NSEC3 chain of three made by hand: example. (apex), a.example. and
 * an empty non-terminal, with salt aabbccdd and 12 iterations, so the
 * hashes are those of RFC 5155 Appendix A. */
static const char n3zone[] =
	"$TTL 300\n"
	"example. SOA ns1 hm 1 2 3 4 5\n"
	"example. NS ns1.example.\n"
	"example. NSEC3PARAM 1 0 12 aabbccdd\n"
	"ns1.example. A 192.0.2.1\n"
	"0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. NSEC3 1 0 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA "
	"NSEC3PARAM\n"
	"2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. NSEC3 1 0 12 aabbccdd 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A\n";

static void test_nsec3_index(void **state)
{
	(void)state;
	db_diag dg = {0};
	db_zone *z = load("example.", n3zone, &dg);
	assert_non_null(z);
	const db_dnssec *d = z->dnssec;
	assert_non_null(d);
	assert_true(d->nsec3);
	assert_int_equal(d->nn3, 2);
	assert_int_equal(d->nhidden, 2);
	assert_int_equal(d->iterations, 12);
	assert_int_equal(d->salt_len, 4);
	uint8_t name[TERN_NAME_MAX];
	/* RFC 5155 7.2.8: the hashed owners are no names a query finds */
	wire("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.", name);
	assert_null(zone_find(z, name));
	const db_node *h = zone_find_stored(z, name);
	assert_non_null(h);
	assert_true(h->flags & DB_HASHED);
	/* match: the apex and ns1; cover: the others, wrapping */
	uint8_t hash[DB_NSEC3_HASH_LEN];
	bool exact;
	wire("example.", name);
	db_nsec3_hash(name, d->salt, d->salt_len, d->iterations, hash);
	const db_nsec3 *e = db_nsec3_find(d, hash, &exact);
	assert_true(exact);
	assert_ptr_equal(e->node, h);
	wire("xx.example.", name); /* T644... sorts after both: the last covers it */
	db_nsec3_hash(name, d->salt, d->salt_len, d->iterations, hash);
	e = db_nsec3_find(d, hash, &exact);
	assert_false(exact);
	assert_ptr_equal(e, &d->n3[1]);
	wire("a.example.", name); /* 35MT... sorts after 2T7B... too */
	db_nsec3_hash(name, d->salt, d->salt_len, d->iterations, hash);
	e = db_nsec3_find(d, hash, &exact);
	assert_false(exact);
	assert_ptr_equal(e, &d->n3[1]);
	/* 0P9M < 2T7B: a hash below both wraps to the last */
	memset(hash, 0, sizeof hash);
	e = db_nsec3_find(d, hash, &exact);
	assert_false(exact);
	assert_ptr_equal(e, &d->n3[1]);
	zone_free(z);
}

/* ---- zone_apply and the hashed owners ---- */

static int count_type(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                      uint16_t rdlen)
{
	(void)owner, (void)ttl, (void)rdata, (void)rdlen;
	unsigned *n = user;
	n[type == TERN_T_NSEC3 ? 0 : type == TERN_T_TXT ? 1 : 2]++;
	return 0;
}

/* An edit at an NSEC3 owner sees its records (zone_find_stored), so the
 * rebuilt zone keeps what the edit did not touch; zone_walk lists the
 * hashed owners' records once. */
static void test_apply_at_hashed_owner(void **state)
{
	(void)state;
	db_diag dg = {0};
	db_zone *z = load("example.", n3zone, &dg);
	assert_non_null(z);
	unsigned n[3] = {0};
	assert_int_equal(zone_walk(z, count_type, n), 0);
	assert_int_equal(n[0], 2);
	uint8_t owner[TERN_NAME_MAX];
	wire("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.", owner);
	static const uint8_t txt[] = {2, 'h', 'i'};
	db_edit e = {.op = DB_ADD_RR, .owner = owner, .type = TERN_T_TXT, .rdlen = sizeof txt, .ttl = 300, .rdata = txt};
	db_apply_stats st;
	db_zone *z2 = zone_apply(z, &e, 1, 0, "test", &dg, &st);
	assert_non_null(z2);
	assert_true(st.rebuilt);
	memset(n, 0, sizeof n);
	assert_int_equal(zone_walk(z2, count_type, n), 0);
	assert_int_equal(n[0], 2); /* both NSEC3 still there, once each */
	assert_int_equal(n[1], 1);
	/* with data of its own the name is a name of the zone again */
	const db_node *h = zone_find(z2, owner);
	assert_non_null(h);
	assert_non_null(node_rrset(h, TERN_T_NSEC3));
	zone_free(z2);
	zone_free(z);
}

/* ---- the checks at load ---- */

struct diags {
	unsigned n;
	char text[16][256];
};

static void collect(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	struct diags *d = user;
	(void)error;
	if (d->n < 16)
		snprintf(d->text[d->n++], sizeof d->text[0], "%s:%u: %s", file, line, msg);
}

static bool has(const struct diags *d, const char *part)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strstr(d->text[i], part))
			return true;
	for (unsigned i = 0; i < d->n; i++)
		fprintf(stderr, "  got: %s\n", d->text[i]);
	return false;
}

static void test_checks(void **state)
{
	(void)state;
	struct diags got = {0};
	db_diag dg = {.fn = collect, .user = &got};
	/* the chain above without its NSEC3PARAM, and a name without NSEC3 */
	char text[2048];
	snprintf(text, sizeof text, "%s", n3zone);
	char *p = strstr(text, "example. NSEC3PARAM");
	memmove(p, strchr(p, '\n') + 1, strlen(strchr(p, '\n') + 1) + 1);
	strcat(text, "www.example. A 192.0.2.2\n");
	db_zone *z = load("example.", text, &dg);
	assert_non_null(z); /* warnings only: served as the file says */
	assert_int_equal(dg.errors, 0);
	assert_true(has(&got, "no NSEC3PARAM at its apex"));
	assert_true(has(&got, "www.example. has no matching NSEC3"));
	assert_true(has(&got, "t.zone:4: ns1.example. A has no RRSIG covering it"));
	assert_true(has(&got, "no DNSKEY at its apex"));
	zone_free(z);

	/* NSEC: a link that skips a name */
	got.n = 0;
	dg = (db_diag){.fn = collect, .user = &got};
	z = load("example.", "$TTL 300\nexample. SOA ns hm 1 2 3 4 5\nexample. NS ns.example.\n"
	                     "example. NSEC ns.example. SOA NS NSEC\nns.example. A 192.0.2.1\n"
	                     "ns.example. NSEC example. A NSEC\nwww.example. A 192.0.2.2\n"
	                     "www.example. NSEC example. A NSEC\n",
	         &dg);
	assert_non_null(z);
	assert_true(has(&got, "t.zone:6: NSEC at ns.example. points to example., but the next name in canonical order "
	                      "is www.example."));
	zone_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nsec3_hash_vectors),
		cmocka_unit_test(test_nsec_canonical_order_and_predecessor),
		cmocka_unit_test(test_nsec3_index),
		cmocka_unit_test(test_apply_at_hashed_owner),
		cmocka_unit_test(test_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
