/* test_policy.c: the policy engine's name set (names.c) and list parsers
 * (blocklist.c, rpz.c): a name blocks its subtree; allow wins at any
 * depth; an RPZ exact trigger beats a wildcard, a longer name a shorter
 * one; case does not count; the table grows past many names; bad lines
 * are skipped and the rest loaded; CNAME targets (chain.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy.h"

static void wire(const char *text, uint8_t *out)
{
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), (const uint8_t *)"", out, &len), 0);
}

/* the action for text, or POL_NONE */
static int look(const pol_names *s, const char *text, bool *exact)
{
	uint8_t w[TERN_NAME_MAX];
	wire(text, w);
	db_qname qn;
	db_qname_init(&qn, w);
	pol_match m;
	if (!pol_names_lookup(s, &qn, &m))
		return POL_NONE;
	if (exact)
		*exact = m.exact;
	return m.action;
}

static void test_subtree_and_allow(void **state)
{
	(void)state;
	pol_names s;
	pol_names_init(&s);
	const char *list = "ads.example\n0.0.0.0 tracker.example\n";
	assert_int_equal(pol_list_load_text(&s, "t", list, strlen(list), false), 2);
	assert_int_equal(look(&s, "ads.example.", NULL), POL_BLOCK);
	assert_int_equal(look(&s, "a.b.ADS.Example.", NULL), POL_BLOCK);
	assert_int_equal(look(&s, "example.", NULL), POL_NONE);
	assert_int_equal(look(&s, "xads.example.", NULL), POL_NONE);
	assert_int_equal(look(&s, "tracker.example.", NULL), POL_BLOCK);
	const char *allow = "ok.ads.example\n";
	assert_int_equal(pol_list_load_text(&s, "a", allow, strlen(allow), true), 1);
	assert_int_equal(look(&s, "ok.ads.example.", NULL), POL_NONE);
	assert_int_equal(look(&s, "deep.ok.ads.example.", NULL), POL_NONE);
	assert_int_equal(look(&s, "no.ads.example.", NULL), POL_BLOCK);
	/* allow above a block: the allow wins too */
	const char *more = "x.tracker.example\n";
	assert_int_equal(pol_list_load_text(&s, "t2", more, strlen(more), false), 1);
	assert_int_equal(pol_list_load_text(&s, "a2", "tracker.example", 15, true), 1);
	assert_int_equal(look(&s, "y.x.tracker.example.", NULL), POL_NONE);
	pol_names_free(&s);
}

static void test_rpz_precedence(void **state)
{
	(void)state;
	pol_names s;
	pol_names_init(&s);
	pol_text data = {0};
	const char *z = "$TTL 60\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\n"
	                "*.w.test CNAME .\nok.w.test CNAME rpz-passthru.\n*.ok.w.test CNAME *.\n"
	                "x.test A 192.0.2.1\n*.x.test CNAME rpz-drop.\n32.1.2.0.192.rpz-ip CNAME .\n";
	assert_int_equal(rpz_load_text(&s, &data, "z", z, strlen(z)), 5);
	bool exact = false;
	assert_int_equal(look(&s, "a.w.test.", &exact), POL_NXDOMAIN);
	assert_false(exact);
	assert_int_equal(look(&s, "w.test.", NULL), POL_NONE); /* a wildcard covers what is below only */
	assert_int_equal(look(&s, "ok.w.test.", &exact), POL_PASSTHRU);
	assert_true(exact);
	assert_int_equal(look(&s, "a.ok.w.test.", NULL), POL_NODATA); /* the longer wildcard */
	assert_int_equal(look(&s, "x.test.", NULL), POL_DATA);
	assert_int_equal(look(&s, "y.x.test.", NULL), POL_DROP);
	assert_non_null(strstr(data.p, "x.test. 60 IN A 192.0.2.1"));
	assert_null(strstr(data.p, "rpz-ip"));
	free(data.p);
	pol_names_free(&s);
}

static void test_many_names(void **state)
{
	(void)state;
	pol_names s;
	pol_names_init(&s);
	char name[64];
	uint8_t w[TERN_NAME_MAX];
	for (int i = 0; i < 50000; i++) {
		snprintf(name, sizeof name, "n%d.Example.", i);
		wire(name, w);
		assert_int_equal(pol_names_add(&s, w, POL_BLOCK, POL_BLOCK), 0);
	}
	assert_int_equal(pol_names_add(&s, w, POL_BLOCK, POL_BLOCK), 0); /* again: no new entry */
	assert_int_equal(s.count, 50000);
	pol_names_freeze(&s);
	for (int i = 0; i < 50000; i += 997) {
		snprintf(name, sizeof name, "sub.N%d.example.", i);
		assert_int_equal(look(&s, name, NULL), POL_BLOCK);
	}
	assert_int_equal(look(&s, "n50000.example.", NULL), POL_NONE);
	pol_names_free(&s);
}

static void test_bad_lines_skipped(void **state)
{
	(void)state;
	pol_names s;
	pol_names_init(&s);
	const char *list = "good.example\nbad name here\n<b>\n0.0.0.0\n1.2.3.4 ok.example x!y.example\n"
	                   "a..b\n127.0.0.1 localhost\n" "\xff\xfe\n" "last.example";
	assert_int_equal(pol_list_load_text(&s, "t", list, strlen(list), false), 3);
	assert_int_equal(look(&s, "good.example.", NULL), POL_BLOCK);
	assert_int_equal(look(&s, "ok.example.", NULL), POL_BLOCK);
	assert_int_equal(look(&s, "last.example.", NULL), POL_BLOCK);
	assert_int_equal(look(&s, "localhost.", NULL), POL_NONE);
	pol_names_free(&s);
}

/* policy_chain: a block-list target takes the chain back and answers the
 * query's name; an RPZ target keeps the chain and rewrites at the target;
 * passthru and unlisted targets go on. */
static void test_chain(void **state)
{
	(void)state;
	pol_view v;
	memset(&v, 0, sizeof v);
	pol_names_init(&v.names);
	v.answer = POL_ANS_NULL;
	v.ttl = 60;
	const char *list = "blocked.test\n";
	assert_int_equal(pol_list_load_text(&v.names, "b", list, strlen(list), false), 1);
	pol_text data = {0};
	const char *z = "$TTL 60\n@ SOA a. b. 1 2 3 4 5\nnx.test CNAME .\n*.w.test CNAME .\n"
	                "ok.w.test CNAME rpz-passthru.\n";
	assert_int_equal(rpz_load_text(&v.names, &data, "z", z, strlen(z)), 3);
	free(data.p);
	pol_names_freeze(&v.names);

	uint8_t qname[TERN_NAME_MAX], target[TERN_NAME_MAX], name[TERN_NAME_MAX], out[512];
	wire("tracker.example.", qname);
	struct {
		const char *target;
		enum pol_verdict verdict;
		unsigned rcode;
		uint16_t ancount; /* after */
		uint16_t type;    /* of the last answer record */
	} cases[] = {
		{"ads.blocked.test.", POL_ANSWERED, TERN_R_NOERROR, 1, TERN_T_A}, /* 0.0.0.0 for the query's name */
		{"blocked.test.", POL_ANSWERED, TERN_R_NOERROR, 1, TERN_T_A},
		{"xblocked.test.", POL_PASS, 0, 1, TERN_T_CNAME},
		{"nx.test.", POL_ANSWERED, TERN_R_NXDOMAIN, 1, TERN_T_CNAME}, /* the CNAME kept */
		{"a.w.test.", POL_ANSWERED, TERN_R_NXDOMAIN, 1, TERN_T_CNAME},
		{"ok.w.test.", POL_PASS, 0, 1, TERN_T_CNAME},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tern_msgw m;
		tern_msgw_init(&m, out, sizeof out, sizeof out, 1, TERN_F_QR);
		assert_int_equal(tern_msgw_question(&m, qname, TERN_T_A, TERN_C_IN), 0);
		tern_msgw_mark start = tern_msgw_get_mark(&m);
		wire(cases[i].target, target);
		assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, qname, TERN_T_CNAME, TERN_C_IN, 60, target,
		                              tern_name_len(target)), 0);
		unsigned rcode = 0;
		uint16_t ede = 0;
		enum pol_verdict r = policy_chain(&v, target, qname, TERN_T_A, false, &m, &start, &rcode, &ede, name);
		assert_int_equal(r, cases[i].verdict);
		if (r == POL_ANSWERED) {
			assert_int_equal(rcode, cases[i].rcode);
			assert_int_equal(ede, POL_EDE_BLOCKED);
		}
		assert_int_equal(m.count[TERN_S_ANSWER], cases[i].ancount);
		int n = tern_msgw_finish(&m, rcode & 0xf);
		assert_true(n > 0);
		tern_msg_iter it;
		assert_int_equal(tern_msg_iter_init(&it, out, (size_t)n), 0);
		tern_rr rr, last = {0};
		while (tern_msg_next(&it, &rr) > 0)
			last = rr;
		assert_int_equal(last.type, cases[i].type);
		assert_true(tern_name_eq(last.owner, qname)); /* block: the query's name owns the 0.0.0.0 */
	}
	pol_names_free(&v.names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subtree_and_allow), cmocka_unit_test(test_rpz_precedence),
		cmocka_unit_test(test_many_names), cmocka_unit_test(test_bad_lines_skipped),
		cmocka_unit_test(test_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
