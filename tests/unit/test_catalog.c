/* test_catalog.c: catalog zones (xfr/catalog.h, RFC 9432): what a producer
 * builds is what a consumer reads back; the same members keep the same
 * version and ids; a change raises the serial; an unknown schema lists
 * nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/rr.h"
#include "server/config.h"
#include "xfr/catalog.h"
#include "xfr/catalog_config.h"

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

static db_zone *cat_zone(const char *body)
{
	uint8_t cat[TERN_NAME_MAX];
	name("cat.", cat);
	char text[4096];
	snprintf(text, sizeof text, "@ 0 SOA . . 1 1 1 1 1\n@ 0 NS invalid.\n%s", body);
	db_diag d = {0};
	db_zone *z = zone_load_string(cat, "t", text, &d);
	assert_non_null(z);
	return z;
}

/* RFC 9432 4.2.1: the version RRset may hold several TXT records; one of
 * them "2" is enough. Member ids are the member node's first label. */
static void test_read_version_and_ids(void **state)
{
	(void)state;
	db_zone *z = cat_zone("version 0 TXT \"1\"\nversion 0 TXT \"2\"\nabc.zones 0 PTR a.test.\n");
	catalog_member m[2];
	char why[256];
	assert_int_equal(catalog_read(z, m, 2, why, sizeof why), 1);
	uint8_t a[TERN_NAME_MAX];
	name("a.test.", a);
	assert_true(tern_name_eq(m[0].zone, a));
	assert_int_equal(m[0].id[0], 3);
	assert_memory_equal(m[0].id + 1, "abc", 3);
	zone_unref(z);
	/* the version as two strings is no "2" */
	z = cat_zone("version 0 TXT \"2\" \"x\"\na.zones 0 PTR a.test.\n");
	assert_int_equal(catalog_read(z, m, 2, why, sizeof why), CATALOG_BAD_VERSION);
	assert_non_null(strstr(why, "version"));
	zone_unref(z);
}

/* RFC 9432 4.2: one zone under two member nodes breaks the catalog (names
 * compared without case); names deeper than one label below zones. or at
 * zones. itself are no members; past the bound, the count alone. */
static void test_read_broken_and_bounds(void **state)
{
	(void)state;
	catalog_member m[4];
	char why[256];
	db_zone *z = cat_zone("version 0 TXT \"2\"\na.zones 0 PTR a.test.\nb.zones 0 PTR A.Test.\n");
	assert_int_equal(catalog_read(z, m, 4, why, sizeof why), CATALOG_BROKEN);
	assert_non_null(strstr(why, "two member nodes"));
	zone_unref(z);
	z = cat_zone("version 0 TXT \"2\"\nzones 0 PTR top.test.\nx.y.zones 0 PTR deep.test.\n"
	             "a.zones 0 PTR a.test.\nb.zones 0 PTR b.test.\nc.zones 0 PTR c.test.\n");
	assert_int_equal(catalog_read(z, m, 4, NULL, 0), 3);
	assert_int_equal(catalog_read(z, m, 2, NULL, 0), 3); /* only 2 stored */
	zone_unref(z);
	db_zone *empty = zone_new_empty((const uint8_t *)"\3cat", "x");
	assert_int_equal(catalog_read(empty, m, 4, NULL, 0), CATALOG_NO_DATA);
	zone_unref(empty);
}

/* Where a consumer keeps a member: the catalog's directory, the name in
 * lower case, odd bytes escaped (no '/' can leave the directory), a long
 * name cut and told apart by a hash. */
static void test_member_file(void **state)
{
	(void)state;
	cfg_zone cz;
	memset(&cz, 0, sizeof cz);
	cz.file = (char *)"var/cat/cat.zone";
	uint8_t m[TERN_NAME_MAX];
	name("Example.COM.", m);
	char *f = catalog_member_file(&cz, m);
	assert_string_equal(f, "var/cat/example.com.zone");
	free(f);
	name("a\\/b\\.c\\000.test.", m);
	f = catalog_member_file(&cz, m);
	assert_string_equal(f, "var/cat/a%2fb%2ec%00.test.zone");
	free(f);
	cfg_catalog k = {.role = CATALOG_CONSUMER, .dir = (char *)"/srv/members/"};
	cz.catalog = &k;
	char longname[300];
	snprintf(longname, sizeof longname, "%s.%s.%s.%s.", "x23456789012345678901234567890123456789012345678901234567890123",
	         "y23456789012345678901234567890123456789012345678901234567890123",
	         "z23456789012345678901234567890123456789012345678901234567890123", "w2345678901234567890");
	name(longname, m);
	f = catalog_member_file(&cz, m);
	assert_true(!strncmp(f, "/srv/members/", 13) && strlen(f + 13) < 255 && !strchr(f + 13, '/'));
	assert_non_null(strchr(f, '~'));
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_produce_and_read_back),
		cmocka_unit_test(test_unknown_schema_lists_nothing),
		cmocka_unit_test(test_read_version_and_ids),
		cmocka_unit_test(test_read_broken_and_bounds),
		cmocka_unit_test(test_member_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
