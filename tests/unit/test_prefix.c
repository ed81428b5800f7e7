/* test_prefix.c: address prefixes (tern/prefix.h), the one parser and
 * matcher behind access-control, allow-transfer and allow-update. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "tern/prefix.h"

static void test_parse_good(void **st)
{
	(void)st;
	tern_prefix p;
	assert_int_equal(tern_prefix_parse("192.0.2.0/24", &p), 0);
	assert_false(p.v6);
	assert_int_equal(p.bits, 24);
	assert_memory_equal(p.addr, "\xc0\x00\x02\x00", 4);
	assert_int_equal(tern_prefix_parse("192.0.2.7", &p), 0);
	assert_int_equal(p.bits, 32);
	assert_int_equal(tern_prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(p.bits, 0);
	assert_int_equal(tern_prefix_parse("2001:db8::/32", &p), 0);
	assert_true(p.v6);
	assert_int_equal(p.bits, 32);
	assert_int_equal(tern_prefix_parse("::1", &p), 0);
	assert_int_equal(p.bits, 128);
	assert_int_equal(tern_prefix_parse("::/0", &p), 0);
}

static void test_parse_bad(void **st)
{
	(void)st;
	static const char *bad[] = {"",           "x",          "192.0.2.0/33", "192.0.2.0/",  "192.0.2.0/-1",
	                            "192.0.2.0/+8", "192.0.2.0/ 8", "192.0.2.0/8x", "::/129",     "192.0.2/24",
	                            "192.0.2.0/24/1", "2001:db8::/99999999999999999999",
	                            "0000000000000000000000000000000000000000000000000000000000000000::1"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		tern_prefix p;
		if (tern_prefix_parse(bad[i], &p) != -1)
			fail_msg("'%s' parsed", bad[i]);
	}
}

static bool matches(const char *pfx, const struct sockaddr *sa)
{
	tern_prefix p;
	uint8_t a[16];
	bool v6;
	assert_int_equal(tern_prefix_parse(pfx, &p), 0);
	assert_true(tern_prefix_client(sa, a, &v6));
	return tern_prefix_match(&p, a, v6);
}

static void test_match(void **st)
{
	(void)st;
	struct sockaddr_in v4 = {.sin_family = AF_INET};
	inet_pton(AF_INET, "192.0.2.130", &v4.sin_addr);
	const struct sockaddr *s4 = (const struct sockaddr *)&v4;
	assert_true(matches("192.0.2.0/24", s4));
	assert_true(matches("192.0.2.128/25", s4));
	assert_false(matches("192.0.2.0/25", s4));  /* the bit after the byte boundary */
	assert_true(matches("192.0.2.130", s4));
	assert_false(matches("192.0.2.131", s4));
	assert_true(matches("0.0.0.0/0", s4));
	assert_false(matches("::/0", s4));          /* families apart */

	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
	const struct sockaddr *s6 = (const struct sockaddr *)&v6;
	assert_true(matches("2001:db8::/32", s6));
	assert_false(matches("2001:db9::/32", s6));
	assert_true(matches("2001:db8::1", s6));
	assert_false(matches("0.0.0.0/0", s6));

	/* an IPv4 client of a dual-stack socket is its IPv4 address */
	struct sockaddr_in6 mapped = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:192.0.2.130", &mapped.sin6_addr);
	const struct sockaddr *sm = (const struct sockaddr *)&mapped;
	assert_true(matches("192.0.2.0/24", sm));
	assert_false(matches("::/0", sm));

	struct sockaddr unix_sa = {.sa_family = AF_UNIX};
	uint8_t a[16];
	bool is6;
	assert_false(tern_prefix_client(&unix_sa, a, &is6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
