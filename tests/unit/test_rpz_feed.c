/* test_rpz_feed.c: RPZ feeds (src/policy/rpz_feed.c, "rpz: zone NAME"):
 * a zone's records read as an RPZ give what the same text read as an RPZ
 * file gives; the policy notes which version of the feed it read and is
 * stale once the zone set holds another; a hidden zone (db_set_hide) is
 * found by db_set_get only, and names below it go to the zone above; the
 * configuration key and its checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy.h"
#include "server/config.h"

static const char feed_v1[] = "$ORIGIN rpz.example.\n$TTL 60\n@ SOA a. b. 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
                              "*.w.test CNAME .\nok.w.test CNAME rpz-passthru.\n*.ok.w.test CNAME *.\n"
                              "x.test A 192.0.2.1\nx.test AAAA 2001:db8::1\n*.x.test CNAME rpz-drop.\n"
                              "32.1.2.0.192.rpz-ip CNAME .\ntcp.test CNAME rpz-tcp-only.\n";

static void wire(const char *text, uint8_t *out)
{
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), (const uint8_t *)"", out, &len), 0);
}

static int look(const pol_names *s, const char *text)
{
	uint8_t w[TERN_NAME_MAX];
	wire(text, w);
	db_qname qn;
	db_qname_init(&qn, w);
	pol_match m;
	return pol_names_lookup(s, &qn, &m) ? m.action : POL_NONE;
}

static db_zone *load(const char *text)
{
	uint8_t origin[TERN_NAME_MAX];
	wire("rpz.example.", origin);
	db_diag diag = {0};
	db_zone *z = zone_load_string(origin, "feed", text, &diag);
	assert_non_null(z);
	return z;
}

/* the same triggers and local data as the file reader's */
static void test_zone_reads_as_the_file(void **state)
{
	(void)state;
	db_zone *z = load(feed_v1);
	pol_names a, b;
	pol_names_init(&a);
	pol_names_init(&b);
	pol_text da = {0}, db = {0};
	unsigned ignored = 0;
	long n = rpz_load_zone(&a, &da, z, &ignored);
	assert_int_equal(rpz_load_text(&b, &db, "feed", feed_v1, strlen(feed_v1)), n);
	assert_int_equal(n, 8); /* ns, *.w, ok.w, *.ok.w, x (A, AAAA), *.x, tcp */
	assert_int_equal(ignored, 1); /* the rpz-ip trigger */
	pol_names_freeze(&a);
	pol_names_freeze(&b);
	static const char *const names[] = {"a.w.test.", "w.test.", "ok.w.test.", "a.ok.w.test.", "x.test.",
	                                    "y.x.test.", "tcp.test.", "ns.", "other.",  "rpz.example."};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		assert_int_equal(look(&a, names[i]), look(&b, names[i]));
	assert_int_equal(look(&a, "a.w.test."), POL_NXDOMAIN);
	assert_int_equal(look(&a, "y.x.test."), POL_DROP);
	assert_int_equal(look(&a, "tcp.test."), POL_TCP_ONLY);
	/* local data: the same lines, in whatever order */
	assert_non_null(strstr(da.p, "x.test. 60 IN A 192.0.2.1\n"));
	assert_non_null(strstr(da.p, "x.test. 60 IN AAAA 2001:db8::1\n"));
	assert_int_equal(da.len, db.len);
	free(da.p);
	free(db.p);
	pol_names_free(&a);
	pol_names_free(&b);
	zone_unref(z);
}

static db_set *set_of(db_zone *a, db_zone *b)
{
	db_zone **v = calloc(2, sizeof *v);
	assert_non_null(v);
	size_t n = 0;
	if (a)
		v[n++] = zone_ref(a);
	if (b)
		v[n++] = zone_ref(b);
	db_set *s = db_set_new(v, n);
	assert_non_null(s);
	return s;
}

static void test_hidden_zone(void **state)
{
	(void)state;
	db_zone *feed = load(feed_v1);
	uint8_t root[1] = {0};
	db_diag diag = {0};
	db_zone *top = zone_load_string(root, "root", "$TTL 60\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\n", &diag);
	assert_non_null(top);
	db_set *s = set_of(feed, top);
	uint8_t w[TERN_NAME_MAX], none[TERN_NAME_MAX];
	wire("x.test.rpz.example.", w);
	wire("rpz.example.", none);
	assert_ptr_equal(db_set_find(s, w), feed);
	assert_int_equal(db_set_hide(s, none), 0);
	assert_ptr_equal(db_set_find(s, w), top); /* the zone above answers, as if rpz.example were not served */
	assert_ptr_equal(db_set_get(s, none), feed); /* transfers out and refresh still find it */
	wire("not.there.", none);
	assert_int_equal(db_set_hide(s, none), 1);
	db_set_free(s);
	zone_unref(feed);
	zone_unref(top);
}

static void test_policy_notes_the_version(void **state)
{
	(void)state;
	pol_config c;
	pol_config_init(&c);
	assert_int_equal(pol_config_key(&c, "rpz", "zone RPZ.example", "/etc/ternd.conf", "t.conf:2", NULL, NULL), 0);
	assert_true(pol_config_has_feeds(&c));
	assert_int_equal(c.lists.nrpz, 1);
	assert_null(c.lists.rpz[0]);
	/* not a configured zone: an error naming where */
	cfg_zone zones[1];
	memset(zones, 0, sizeof zones);
	wire("other.example.", zones[0].origin);
	assert_int_equal(pol_config_check_feeds(&c, zones, 1), 1);
	wire("rpz.example.", zones[0].origin);
	assert_int_equal(pol_config_check_feeds(&c, zones, 1), 0);

	/* no zone yet: no triggers, not stale while the zone is missing */
	db_set *empty = set_of(NULL, NULL);
	policy *p = NULL;
	assert_int_equal(policy_build(&c, empty, &p), 0);
	assert_non_null(p);
	assert_int_equal(p->global.names.count, 0);
	assert_false(policy_feeds_stale(p, empty));

	db_zone *v1 = load(feed_v1);
	db_set *s1 = set_of(v1, NULL);
	assert_true(policy_feeds_stale(p, s1)); /* the first transfer */
	policy_release(p);
	assert_int_equal(policy_build(&c, s1, &p), 0);
	assert_false(policy_feeds_stale(p, s1));
	assert_int_equal(look(&p->global.names, "a.w.test."), POL_NXDOMAIN);
	assert_non_null(p->global.rpz_data); /* x.test's local data */

	/* a new version of the feed (an IXFR): stale; the old policy still
	 * holds the version it read */
	char v2[sizeof feed_v1 + 64];
	snprintf(v2, sizeof v2, "%s", feed_v1);
	memcpy(strstr(v2, "SOA a. b. 1"), "SOA a. b. 2", 11);
	strcat(v2, "new.test CNAME .\n");
	db_zone *z2 = load(v2);
	db_set *s2 = set_of(z2, NULL);
	assert_true(policy_feeds_stale(p, s2));
	policy *p2 = NULL;
	assert_int_equal(policy_build(&c, s2, &p2), 0);
	assert_int_equal(look(&p2->global.names, "new.test."), POL_NXDOMAIN);
	assert_int_equal(look(&p->global.names, "new.test."), POL_NONE);
	db_set_free(s1);
	zone_unref(v1); /* the policy's reference keeps it */
	assert_ptr_equal(p->feed_zone[0], v1);
	policy_release(p);
	policy_release(p2);
	db_set_free(s2);
	db_set_free(empty);
	zone_unref(z2);
	pol_config_free(&c);
}

static void test_bad_key(void **state)
{
	(void)state;
	pol_config c;
	pol_config_init(&c);
	assert_int_equal(pol_config_key(&c, "rpz", "zone ", NULL, "t.conf:1", NULL, NULL), -1);
	assert_int_equal(pol_config_key(&c, "rpz", "zone", NULL, "t.conf:1", NULL, NULL), -1);
	assert_int_equal(pol_config_key(&c, "rpz", "zone a..b", NULL, "t.conf:1", NULL, NULL), -1);
	assert_false(pol_config_has_feeds(&c));
	/* a file and a feed in a group keep their order */
	assert_int_equal(pol_config_group_begin(&c, "t.conf:5"), 0);
	assert_int_equal(pol_config_group_key(&c, "rpz", "local.rpz", "/etc/tern/ternd.conf", "t.conf:6"), 0);
	assert_int_equal(pol_config_group_key(&c, "rpz", "zone\tfeed.example.", NULL, "t.conf:7"), 0);
	assert_true(pol_config_has_feeds(&c));
	const pol_lists *l = &c.groups[0].lists;
	assert_int_equal(l->nrpz, 2);
	assert_string_equal(l->rpz[0], "/etc/tern/local.rpz");
	assert_null(l->rpz_zone[0]);
	assert_null(l->rpz[1]);
	assert_non_null(l->rpz_zone[1]);
	assert_string_equal(l->rpz_where[1], "t.conf:7");
	pol_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_reads_as_the_file),
		cmocka_unit_test(test_hidden_zone),
		cmocka_unit_test(test_policy_notes_the_version),
		cmocka_unit_test(test_bad_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
