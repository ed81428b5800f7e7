/* test_catalog.c: catalog zones (xfr/catalog.h, RFC 9432): what a producer
 * builds is what a consumer reads back; the same members keep the same
 * version and ids; a change raises the serial; an unknown schema lists
 * nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tern/rr.h"
#include "xfr/catalog.h"

static void name(const char *text, uint8_t out[TERN_NAME_MAX])
{
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), NULL, out, &len), 0);
}

static void test_produce_and_read_back(void **state)
{
	(void)state;
	uint8_t cat[TERN_NAME_MAX], a[TERN_NAME_MAX], b[TERN_NAME_MAX], c[TERN_NAME_MAX];
	name("catalog.invalid.", cat), name("a.test.", a), name("B.test.", b), name("c.example.", c);
	db_diag d = {0};
	const uint8_t *m1[] = {b, a};
	db_zone *z1 = catalog_produce(cat, m1, 2, NULL, 1000, &d);
	assert_non_null(z1);
	assert_int_equal(z1->serial, 1000);
	const uint8_t *got[4];
	assert_int_equal(catalog_members(z1, got, 4), 2);
	bool sa = tern_name_eq(got[0], a) || tern_name_eq(got[1], a);
	bool sb = tern_name_eq(got[0], b) || tern_name_eq(got[1], b);
	assert_true(sa && sb);
	/* the same members, in another order: the same version */
	const uint8_t *m2[] = {a, b};
	db_zone *z2 = catalog_produce(cat, m2, 2, z1, 2000, &d);
	assert_ptr_equal(z1, z2);
	zone_unref(z2);
	/* one more: a new version, a higher serial even with an older clock */
	const uint8_t *m3[] = {a, b, c};
	db_zone *z3 = catalog_produce(cat, m3, 3, z1, 5, &d);
	assert_non_null(z3);
	assert_int_equal(z3->serial, 1001);
	assert_int_equal(catalog_members(z3, got, 4), 3);
	/* ids are stable: a's PTR owner is the same in both versions */
	uint8_t zones[TERN_NAME_MAX];
	name("zones.catalog.invalid.", zones);
	size_t found = 0;
	for (size_t s = 0; s < ((size_t)1 << (32 - z1->shift)); s++)
		for (const db_node *n = z1->table[s]; n; n = n->hnext)
			if (node_rrset(n, TERN_T_PTR)) {
				assert_non_null(zone_find(z3, n->name));
				found++;
			}
	assert_int_equal(found, 2);
	assert_int_equal(d.errors, 0);
	zone_unref(z1);
	zone_unref(z3);
}

static void test_unknown_schema_lists_nothing(void **state)
{
	(void)state;
	uint8_t cat[TERN_NAME_MAX];
	name("cat.", cat);
	db_diag d = {0};
	db_zone *z = zone_load_string(cat, "t", "@ 0 SOA . . 1 1 1 1 1\n@ 0 NS invalid.\nversion 0 TXT \"1\"\n"
	                                         "x.zones 0 PTR a.test.\n", &d);
	assert_non_null(z);
	const uint8_t *got[2];
	assert_int_equal(catalog_members(z, got, 2), -1);
	zone_unref(z);
	/* a member node with two PTRs: a broken catalog, not processed (RFC 9432 4.2) */
	z = zone_load_string(cat, "t", "@ 0 SOA . . 1 1 1 1 1\n@ 0 NS invalid.\nversion 0 TXT \"2\"\n"
	                               "x.zones 0 PTR a.test.\nx.zones 0 PTR b.test.\ny.zones 0 PTR c.test.\n", &d);
	assert_int_equal(catalog_members(z, got, 2), -1);
	zone_unref(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_produce_and_read_back),
		cmocka_unit_test(test_unknown_schema_lists_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
