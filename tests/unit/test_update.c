/* test_update.c: dynamic update (xfr/update.h, RFC 2136) planned against a
 * zone and applied with zone_apply: prerequisites, the prescan's FORMERR
 * and NOTZONE, the apex rules, the serial. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/apply.h"
#include "tern/msg.h"
#include "xfr/update.h"

#define NXRRSET 8
#define YXRRSET 7
#define NOTZONE 10

static uint8_t origin[TERN_NAME_MAX];

static const char zone_text[] = "$ORIGIN u.test.\n$TTL 300\n"
                                "@ SOA ns hm 10 3600 600 86400 60\n"
                                "@ NS ns\n"
                                "@ MX 10 mail\n"
                                "ns A 192.0.2.1\n"
                                "www A 192.0.2.10\n"
                                "www A 192.0.2.11\n"
                                "alias CNAME www\n";

static void name(const char *text, uint8_t out[TERN_NAME_MAX])
{
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), origin, out, &len), 0);
}

static db_zone *zone(void)
{
	db_diag d = {0};
	db_zone *z = zone_load_string(origin, "u.zone", zone_text, &d);
	assert_non_null(z);
	return z;
}

/* An UPDATE message under construction. */
typedef struct umsg {
	uint8_t buf[4096];
	tern_msgw m;
} umsg;

static void start(umsg *u, const char *zname, uint16_t ztype)
{
	tern_msgw_init(&u->m, u->buf, sizeof u->buf, sizeof u->buf, 0x1234, TERN_OP_UPDATE << 11);
	uint8_t z[TERN_NAME_MAX];
	name(zname, z);
	assert_int_equal(tern_msgw_question(&u->m, z, ztype, TERN_C_IN), 0);
}

static void rr(umsg *u, enum tern_section s, const char *owner, uint16_t type, uint16_t cls, uint32_t ttl,
               const void *rd, size_t len)
{
	uint8_t o[TERN_NAME_MAX];
	name(owner, o);
	assert_int_equal(tern_msgw_rr(&u->m, s, o, type, cls, ttl, rd ? rd : (const void *)"", len), 0);
}

static size_t finish(umsg *u)
{
	int len = tern_msgw_finish(&u->m, 0); /* the message's length */
	assert_true(len > 0);
	return (size_t)len;
}

#define PRE TERN_S_ANSWER
#define UPD TERN_S_AUTHORITY
static const uint8_t A99[] = {192, 0, 2, 99}, A10[] = {192, 0, 2, 10}, A11[] = {192, 0, 2, 11};
static const uint8_t TXT[] = {5, 'h', 'e', 'l', 'l', 'o'};

/* Plans u against z; on NOERROR with changes, applies it and returns the
 * new version (else NULL). */
static db_zone *run(const db_zone *z, umsg *u, unsigned want_rcode, bool want_change)
{
	size_t len = finish(u);
	uint8_t zn[TERN_NAME_MAX];
	assert_int_equal(update_zone(u->buf, len, zn), 0);
	assert_true(tern_name_eq(zn, z->origin));
	update_plan p;
	update_plan_make(z, u->buf, len, &p);
	if (p.rcode != want_rcode)
		fprintf(stderr, "rcode %u (%s)\n", p.rcode, p.why);
	assert_int_equal(p.rcode, want_rcode);
	assert_int_equal(p.changed, want_change);
	db_zone *nz = NULL;
	if (p.rcode == TERN_R_NOERROR && p.changed) {
		db_diag d = {0};
		nz = zone_apply(z, p.edits, p.nedits, 0, "update", &d, NULL);
		assert_non_null(nz);
	}
	update_plan_free(&p);
	return nz;
}

static const db_rrset *at(const db_zone *z, const char *owner, uint16_t type)
{
	uint8_t o[TERN_NAME_MAX];
	name(owner, o);
	const db_node *n = zone_find(z, o);
	return n ? node_rrset(n, type) : NULL;
}

static void test_add_and_serial(void **state)
{
	(void)state;
	db_zone *z = zone();
	umsg u;
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "_acme-challenge.www", TERN_T_TXT, TERN_C_IN, 60, TXT, sizeof TXT);
	db_zone *nz = run(z, &u, TERN_R_NOERROR, true);
	assert_non_null(at(nz, "_acme-challenge.www", TERN_T_TXT));
	assert_int_equal(nz->serial, 11);
	/* adding it again changes nothing: no new serial */
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "_acme-challenge.www", TERN_T_TXT, TERN_C_IN, 60, TXT, sizeof TXT);
	assert_null(run(nz, &u, TERN_R_NOERROR, false));
	/* then delete the RR (class NONE) */
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "_acme-challenge.www", TERN_T_TXT, TERN_C_NONE, 0, TXT, sizeof TXT);
	db_zone *nz2 = run(nz, &u, TERN_R_NOERROR, true);
	assert_null(at(nz2, "_acme-challenge.www", TERN_T_TXT));
	assert_int_equal(nz2->serial, 12);
	zone_unref(z), zone_unref(nz), zone_unref(nz2);
}

static void test_prerequisites(void **state)
{
	(void)state;
	db_zone *z = zone();
	umsg u;
	struct {
		const char *owner;
		uint16_t type, cls;
		const uint8_t *rd;
		size_t len;
		unsigned rcode;
	} cases[] = {
		{"www", TERN_T_ANY, TERN_C_ANY, NULL, 0, TERN_R_NOERROR},       /* name in use */
		{"nothere", TERN_T_ANY, TERN_C_ANY, NULL, 0, TERN_R_NXDOMAIN},
		{"www", TERN_T_A, TERN_C_ANY, NULL, 0, TERN_R_NOERROR},         /* RRset exists */
		{"www", TERN_T_TXT, TERN_C_ANY, NULL, 0, NXRRSET},
		{"www", TERN_T_ANY, TERN_C_NONE, NULL, 0, TERN_R_YXDOMAIN},     /* name not in use */
		{"nothere", TERN_T_ANY, TERN_C_NONE, NULL, 0, TERN_R_NOERROR},
		{"www", TERN_T_A, TERN_C_NONE, NULL, 0, YXRRSET},               /* RRset does not exist */
		{"www", TERN_T_A, TERN_C_IN, A99, 4, NXRRSET},                  /* value-dependent */
		{"other.example.", TERN_T_A, TERN_C_ANY, NULL, 0, NOTZONE},
		{"www", TERN_T_A, TERN_C_ANY, A10, 4, TERN_R_FORMERR},          /* RDATA with ANY */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		start(&u, "@", TERN_T_SOA);
		rr(&u, PRE, cases[i].owner, cases[i].type, cases[i].cls, 0, cases[i].rd, cases[i].len);
		rr(&u, UPD, "new", TERN_T_A, TERN_C_IN, 60, A99, 4);
		db_zone *nz = run(z, &u, cases[i].rcode, cases[i].rcode == TERN_R_NOERROR);
		if (nz) {
			assert_non_null(at(nz, "new", TERN_T_A));
			zone_unref(nz);
		}
	}
	/* the whole RRset, in any order, matches; a subset does not */
	start(&u, "@", TERN_T_SOA);
	rr(&u, PRE, "www", TERN_T_A, TERN_C_IN, 0, A11, 4);
	rr(&u, PRE, "www", TERN_T_A, TERN_C_IN, 0, A10, 4);
	rr(&u, UPD, "www", TERN_T_A, TERN_C_ANY, 0, NULL, 0);
	db_zone *nz = run(z, &u, TERN_R_NOERROR, true);
	assert_null(at(nz, "www", TERN_T_A));
	zone_unref(nz);
	start(&u, "@", TERN_T_SOA);
	rr(&u, PRE, "www", TERN_T_A, TERN_C_IN, 0, A11, 4);
	rr(&u, UPD, "www", TERN_T_A, TERN_C_ANY, 0, NULL, 0);
	assert_null(run(z, &u, NXRRSET, false));
	/* a nonzero TTL in a prerequisite */
	start(&u, "@", TERN_T_SOA);
	rr(&u, PRE, "www", TERN_T_ANY, TERN_C_ANY, 5, NULL, 0);
	assert_null(run(z, &u, TERN_R_FORMERR, false));
	zone_unref(z);
}

static void test_apex_keeps_soa_and_ns(void **state)
{
	(void)state;
	db_zone *z = zone();
	umsg u;
	uint8_t ns_rd[TERN_NAME_MAX];
	name("ns", ns_rd);
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "@", TERN_T_ANY, TERN_C_ANY, 0, NULL, 0);               /* all at the apex */
	rr(&u, UPD, "@", TERN_T_NS, TERN_C_NONE, 0, ns_rd, tern_name_len(ns_rd)); /* the last NS */
	rr(&u, UPD, "@", TERN_T_SOA, TERN_C_ANY, 0, NULL, 0);
	db_zone *nz = run(z, &u, TERN_R_NOERROR, true);
	assert_non_null(at(nz, "@", TERN_T_SOA));
	assert_non_null(at(nz, "@", TERN_T_NS));
	assert_null(at(nz, "@", TERN_T_MX)); /* the rest went */
	zone_unref(nz);
	zone_unref(z);
}

static void test_soa_serial_rules(void **state)
{
	(void)state;
	db_zone *z = zone();
	uint8_t soa[200];
	size_t l = 0;
	uint8_t n1[TERN_NAME_MAX], n2[TERN_NAME_MAX];
	name("ns", n1);
	name("hm", n2);
	memcpy(soa, n1, tern_name_len(n1)), l += tern_name_len(n1);
	memcpy(soa + l, n2, tern_name_len(n2)), l += tern_name_len(n2);
	uint32_t f[5] = {5, 3600, 600, 86400, 60}; /* serial 5 < 10: ignored */
	for (int i = 0; i < 5; i++)
		tern_put_u32(soa + l + 4 * i, f[i]);
	umsg u;
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "@", TERN_T_SOA, TERN_C_IN, 300, soa, l + 20);
	assert_null(run(z, &u, TERN_R_NOERROR, false));
	tern_put_u32(soa + l, 100); /* greater: it is the new serial, no +1 */
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "@", TERN_T_SOA, TERN_C_IN, 300, soa, l + 20);
	rr(&u, UPD, "x", TERN_T_A, TERN_C_IN, 60, A99, 4);
	db_zone *nz = run(z, &u, TERN_R_NOERROR, true);
	assert_int_equal(nz->serial, 100);
	zone_unref(nz);
	zone_unref(z);
}

static void test_prescan_and_zone_section(void **state)
{
	(void)state;
	db_zone *z = zone();
	umsg u;
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "x.other.", TERN_T_A, TERN_C_IN, 60, A99, 4);
	assert_null(run(z, &u, NOTZONE, false));
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "x", TERN_T_AXFR, TERN_C_IN, 60, NULL, 0);
	assert_null(run(z, &u, TERN_R_FORMERR, false));
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "x", TERN_T_A, TERN_C_NONE, 60, A99, 4); /* TTL must be 0 */
	assert_null(run(z, &u, TERN_R_FORMERR, false));
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "x", TERN_T_A, TERN_C_CH, 60, A99, 4);
	assert_null(run(z, &u, TERN_R_FORMERR, false));
	/* an add (the zone's class) with an empty RDATA its type does not
	 * allow is malformed: an NSEC or NS of no bytes reached the zone and
	 * its checks read past it (fuzz_update, CI's fixed-seed pass) */
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "x", TERN_T_NSEC, TERN_C_IN, 60, NULL, 0);
	assert_null(run(z, &u, TERN_R_FORMERR, false));
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "x", TERN_T_NS, TERN_C_IN, 60, NULL, 0);
	assert_null(run(z, &u, TERN_R_FORMERR, false));
	start(&u, "@", TERN_T_SOA); /* likewise as a prerequisite (value dependent) */
	rr(&u, PRE, "www", TERN_T_A, TERN_C_IN, 0, NULL, 0);
	assert_null(run(z, &u, TERN_R_FORMERR, false));
	/* a CNAME beside other data is ignored (3.4.2.2), and so nothing changes */
	start(&u, "@", TERN_T_SOA);
	rr(&u, UPD, "alias", TERN_T_A, TERN_C_IN, 60, A99, 4);
	assert_null(run(z, &u, TERN_R_NOERROR, false));
	/* the zone section: exactly one entry of type SOA */
	start(&u, "@", TERN_T_A);
	size_t len = finish(&u);
	uint8_t zn[TERN_NAME_MAX];
	assert_int_equal(update_zone(u.buf, len, zn), TERN_R_FORMERR);
	uint8_t junk[12] = {0x12, 0x34, 0x28, 0, 0, 2, 0, 0, 0, 0, 0, 0};
	assert_int_equal(update_zone(junk, sizeof junk, zn), TERN_R_FORMERR);
	zone_unref(z);
}

int main(void)
{
	size_t len;
	if (tern_name_from_text("u.test.", 7, NULL, origin, &len))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_serial),
		cmocka_unit_test(test_prerequisites),
		cmocka_unit_test(test_apex_keeps_soa_and_ns),
		cmocka_unit_test(test_soa_serial_rules),
		cmocka_unit_test(test_prescan_and_zone_section),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
