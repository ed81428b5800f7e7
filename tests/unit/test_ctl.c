/* test_ctl.c: the operations side without sockets: the control request
 * parser (proto.c), the HTTP request parser (http.c), the counters'
 * helpers (stats.c) and the Prometheus exposition (report.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/http.h"
#include "ctl/proto.h"
#include "ctl/report.h"
#include "server/stats.h"
#include "tern/msg.h"
#include "tern/rr.h"

static int parse(const char *line, ctl_req *r, const char **err)
{
	static char buf[CTL_LINE_MAX + 64];
	size_t n = strlen(line);
	memcpy(buf, line, n + 1);
	return ctl_parse(buf, n, r, err);
}

static void test_ctl_parse(void **state)
{
	(void)state;
	ctl_req r;
	const char *err;
	assert_int_equal(parse("status", &r, &err), 0);
	assert_int_equal(r.cmd, CTL_STATUS);
	assert_false(r.json);
	assert_int_equal(parse("  zone-add\texample.org   /z/example.org.zone --json\r", &r, &err), 0);
	assert_int_equal(r.cmd, CTL_ZONE_ADD);
	assert_true(r.json);
	assert_int_equal(r.argc, 2);
	assert_string_equal(r.argv[0], "example.org");
	assert_string_equal(r.argv[1], "/z/example.org.zone");
	assert_int_equal(parse("stats --reset", &r, &err), 0);
	assert_true(r.reset);
	assert_int_equal(parse("cache-flush www.example.org AAAA", &r, &err), 0);
	assert_int_equal(r.argc, 2);

	assert_int_equal(parse("", &r, &err), -1);
	assert_string_equal(err, "no command");
	assert_int_equal(parse("nope", &r, &err), -1);
	assert_string_equal(err, "unknown command");
	assert_int_equal(parse("status --reset", &r, &err), -1);
	assert_int_equal(parse("status --verbose", &r, &err), -1);
	assert_int_equal(parse("zone-add one", &r, &err), -1);
	assert_int_equal(parse("reload a b", &r, &err), -1);
	assert_int_equal(parse("log-level", &r, &err), -1);
	assert_int_equal(parse("status \x01", &r, &err), -1);
	assert_int_equal(parse("status \xc3\xa9", &r, &err), -1);
	assert_int_equal(parse("status\rreload", &r, &err), -1);
	assert_int_equal(parse("cache-flush a b c d e", &r, &err), -1);
	char big[CTL_LINE_MAX + 10];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	assert_int_equal(parse(big, &r, &err), -1);
	assert_string_equal(err, "request too long");
	/* a NUL inside the line is a byte like any other unprintable one */
	char nul[] = "sta\0tus";
	assert_int_equal(ctl_parse(nul, 7, &r, &err), -1);
}

static int http(const char *s, http_req *r)
{
	return http_parse(s, strlen(s), r);
}

static void test_http_parse(void **state)
{
	(void)state;
	http_req r;
	assert_int_equal(http("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r), 1);
	assert_int_equal(r.status, 200);
	assert_false(r.head);
	assert_int_equal(http("HEAD /metrics?a=b HTTP/1.0\n\n", &r), 1);
	assert_int_equal(r.status, 200);
	assert_true(r.head);
	assert_int_equal(http("\r\nGET /metrics HTTP/1.0\r\n\r\n", &r), 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(http("GET /metrics HTTP/1.1\r\nHost: x\r\n", &r), 0); /* not complete */
	assert_int_equal(http("GET /", &r), 0);
	assert_int_equal(http("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 1);
	assert_int_equal(r.status, 404);
	assert_int_equal(http("PUT /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r), 1);
	assert_int_equal(r.status, 405);
	static const char *const bad[] = {
		"GET /metrics HTTP/1.1\r\n\r\n",                 /* no Host */
		"GET /metrics HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n",
		"GET /metrics HTTP/1.2\r\nHost: x\r\n\r\n",
		"GET /metrics\r\n\r\n",
		"GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\n  folded\r\n\r\n",
		"GET /metrics HTTP/1.1\rX\r\nHost: x\r\n\r\n",
		"G(T /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\x7f\x01\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(http(bad[i], &r), 1);
		assert_int_equal(r.status, 400);
		assert_non_null(r.why);
	}
	char *huge = malloc(HTTP_REQUEST_MAX + 10);
	assert_non_null(huge);
	memset(huge, 'a', HTTP_REQUEST_MAX + 10);
	assert_int_equal(http_parse(huge, HTTP_REQUEST_MAX + 10, &r), 1);
	assert_int_equal(r.status, 400);
	assert_int_equal(http_parse(huge, HTTP_REQUEST_MAX - 1, &r), 0);
	free(huge);
}

static void test_stats_helpers(void **state)
{
	(void)state;
	assert_int_equal(stats_qtype_at(stats_qtype_index(TERN_T_AAAA)), TERN_T_AAAA);
	assert_int_equal(stats_qtype_index(TERN_T_HINFO), 0);
	assert_int_equal(stats_lat_bucket(0), 0);
	assert_int_equal(stats_lat_bucket(1000), 0);
	assert_int_equal(stats_lat_bucket(1001), 1);
	assert_int_equal(stats_lat_bucket(10000000), STATS_LAT_BUCKETS - 1);
	char b[16];
	assert_string_equal(stats_rcode_name(3, b, sizeof b), "NXDOMAIN");
	assert_string_equal(stats_rcode_name(16, b, sizeof b), "BADVERS");
	assert_string_equal(stats_rcode_name(13, b, sizeof b), "RCODE13");
	stats_names *n = calloc(1, sizeof *n);
	assert_non_null(n);
	uint8_t a[] = "\7example\3org", c[] = "\7EXAMPLE\3ORG", d[] = "\3net";
	unsigned s1 = stats_zone_slot(n, a);
	assert_int_equal(s1, 1);
	assert_int_equal(stats_zone_slot(n, c), 1); /* case-insensitive */
	assert_int_equal(stats_zone_slot(n, d), 2);
	assert_int_equal(stats_upstream_slot(n, "127.0.0.1:53"), 1);
	assert_int_equal(stats_upstream_slot(n, "127.0.0.1:53"), 1);
	/* full: the rest share slot 0 */
	for (unsigned i = 2; i < STATS_UPSTREAMS; i++) {
		char t[32];
		snprintf(t, sizeof t, "10.0.0.%u:53", i);
		assert_int_equal(stats_upstream_slot(n, t), i);
	}
	assert_int_equal(stats_upstream_slot(n, "10.9.9.9:53"), 0);
	free(n);
}

static void test_metrics_exposition(void **state)
{
	(void)state;
	stats_snap *s = aligned_alloc(64, (sizeof *s + 63) / 64 * 64);
	stats_names *n = calloc(1, sizeof *n);
	assert_non_null(s);
	assert_non_null(n);
	memset(s, 0, sizeof *s);
	s->w.queries[STATS_UDP][stats_qtype_index(TERN_T_A)] = 7;
	s->w.rcodes[TERN_R_NXDOMAIN] = 2;
	unsigned up = stats_upstream_slot(n, "[::1]:53");
	s->w.up_latency[up][0] = 3;
	s->w.up_latency[up][2] = 1;
	s->w.up_latency_us[up] = 7000;
	unsigned z = stats_zone_slot(n, (const uint8_t *)"\3a\"b\4test");
	s->w.zone_queries[z] = 1;
	s->w.zone_rcodes[z][0] = 1;
	sbuf b = {0};
	report_metrics(&b, s, n);
	assert_false(b.oom);
	assert_non_null(strstr(b.p, "ternd_queries_total{transport=\"udp\",type=\"A\"} 7\n"));
	assert_non_null(strstr(b.p, "ternd_responses_total{rcode=\"NXDOMAIN\"} 2\n"));
	/* cumulative buckets, +Inf equal to the count */
	assert_non_null(strstr(b.p, "ternd_upstream_latency_seconds_bucket{upstream=\"[::1]:53\",le=\"0.001\"} 3\n"));
	assert_non_null(strstr(b.p, "ternd_upstream_latency_seconds_bucket{upstream=\"[::1]:53\",le=\"0.005\"} 4\n"));
	assert_non_null(strstr(b.p, "ternd_upstream_latency_seconds_bucket{upstream=\"[::1]:53\",le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(b.p, "ternd_upstream_latency_seconds_count{upstream=\"[::1]:53\"} 4\n"));
	assert_non_null(strstr(b.p, "ternd_upstream_latency_seconds_sum{upstream=\"[::1]:53\"} 0.007000\n"));
	/* a label value's quote and backslash are escaped (the name's text is a\"b) */
	assert_non_null(strstr(b.p, "ternd_zone_responses_total{zone=\"a\\\\\\\"b.test.\",rcode=\"NOERROR\"} 1\n"));
	sb_free(&b);
	free(s);
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_parse),
		cmocka_unit_test(test_http_parse),
		cmocka_unit_test(test_stats_helpers),
		cmocka_unit_test(test_metrics_exposition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
