/* test_xfrin.c: the transfer-in stream checker (xfrin.c), the IXFR
 * applier (ixfr_apply.c), the zone file and timer state a secondary writes
 * (xfrin_net.c) and its settings (xfrin_config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "tern/msg.h"
#include "tern/rr.h"
#include "xfr/xfrin.h"
#include "xfr/xfrin_config.h"
#include "xfr/xfrin_net.h"

static const uint8_t origin[] = "\7example\3com";
static const uint8_t www[] = "\3www\7example\3com";
static const uint8_t old[] = "\3old\7example\3com";
static const uint8_t ns1[] = "\3ns1\7example\3com";

static const char base_text[] = "$ORIGIN example.com.\n$TTL 300\n"
                                "@ SOA ns1 hostmaster 1 3600 600 86400 60\n"
                                "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.10\nold A 192.0.2.99\n";

static size_t soa_rd(uint32_t serial, uint8_t *out)
{
	static const uint8_t names[] = "\3ns1\7example\3com\0\12hostmaster\7example\3com";
	size_t n = sizeof names; /* both names, the terminating zero included */
	memcpy(out, names, n);
	tern_put_u32(out + n, serial);
	tern_put_u32(out + n + 4, 3600);
	tern_put_u32(out + n + 8, 600);
	tern_put_u32(out + n + 12, 86400);
	tern_put_u32(out + n + 16, 60);
	return n + 20;
}

/* One record of a transfer: an SOA (serial != 0), an NS (ns), or an A
 * record. */
typedef struct rec {
	const uint8_t *owner;
	uint32_t serial;
	uint8_t a; /* 192.0.2.a */
	const uint8_t *ns;
} rec;

/* A response message holding recs, with the question (when q). */
static size_t message(uint8_t *buf, uint16_t id, uint16_t qtype, bool q, const rec *recs, size_t n)
{
	tern_msgw m;
	tern_msgw_init(&m, buf, TERN_MSG_MAX, TERN_MSG_MAX, id, TERN_F_QR | TERN_F_AA);
	if (q)
		assert_int_equal(tern_msgw_question(&m, origin, qtype, TERN_C_IN), 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t rd[128];
		if (recs[i].ns) {
			assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, recs[i].owner, TERN_T_NS, TERN_C_IN, 300, recs[i].ns,
			                              tern_name_len(recs[i].ns)),
			                 0);
		} else if (recs[i].serial) {
			size_t l = soa_rd(recs[i].serial, rd);
			assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, recs[i].owner, TERN_T_SOA, TERN_C_IN, 300, rd, l),
			                 0);
		} else {
			uint8_t a[4] = {192, 0, 2, recs[i].a};
			assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, recs[i].owner, TERN_T_A, TERN_C_IN, 300, a, 4), 0);
		}
	}
	int len = tern_msgw_finish(&m, 0);
	assert_true(len > 0);
	return (size_t)len;
}

static db_zone *base(void)
{
	db_diag d = {0};
	db_zone *z = zone_load_string(origin, "base", base_text, &d);
	assert_non_null(z);
	return z;
}

static bool has_a(const db_zone *z, const uint8_t *name, uint8_t a)
{
	const db_node *n = zone_find(z, name);
	const db_rrset *s = n ? node_rrset(n, TERN_T_A) : NULL;
	if (!s)
		return false;
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		if (len == 4 && rd[3] == a)
			return true;
		p = rd + len;
	}
	return false;
}

static uint8_t buf[TERN_MSG_MAX];

static void test_axfr_two_messages(void **state)
{
	(void)state;
	xfrin x;
	xfrin_init(&x, origin, TERN_T_AXFR, 7, 0, 0, NULL);
	rec m1[] = {{origin, 2, 0, NULL}, {ns1, 0, 1, NULL}};
	rec m2[] = {{www, 0, 11, NULL}, {origin, 2, 0, NULL}};
	/* the NS record is missing on purpose: the builder must say so */
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 7, TERN_T_AXFR, true, m1, 2), 0), XFRIN_MORE);
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 7, TERN_T_AXFR, false, m2, 2), 0), XFRIN_DONE);
	assert_int_equal(x.kind, XFR_FULL);
	assert_int_equal(x.new_serial, 2);
	assert_int_equal(x.nrrs, 3); /* the closing SOA is not a record */
	char err[256] = "";
	assert_null(xfrin_build(&x, NULL, "t", err, sizeof err));
	assert_non_null(strstr(err, "no NS records"));
	/* anything after the end is an error */
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 7, TERN_T_AXFR, false, m2, 2), 0), XFRIN_ERR);
	xfrin_free(&x);
}

static void test_axfr_builds(void **state)
{
	(void)state;
	xfrin x;
	xfrin_init(&x, origin, TERN_T_AXFR, 7, 0, 0, NULL);
	rec m1[] = {{origin, 5, 0, NULL}, {origin, 0, 0, ns1}, {ns1, 0, 1, NULL}, {www, 0, 11, NULL},
	            {www, 0, 12, NULL}, {origin, 5, 0, NULL}};
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 7, TERN_T_AXFR, true, m1, 6), 0), XFRIN_DONE);
	char err[256] = "";
	db_zone *z = xfrin_build(&x, NULL, "t", err, sizeof err);
	assert_non_null(z);
	assert_int_equal(z->serial, 5);
	assert_true(has_a(z, www, 11) && has_a(z, www, 12) && has_a(z, ns1, 1));
	assert_non_null(node_rrset(z->apex, TERN_T_NS));
	assert_int_equal(z->nrecords, 5);
	zone_unref(z);
	xfrin_free(&x);
}

static void test_ixfr_applied(void **state)
{
	(void)state;
	db_zone *b = base();
	xfrin x;
	xfrin_init(&x, origin, TERN_T_IXFR, 9, 1, 0, NULL);
	/* 1 -> 2: www .10 -> .11, old removed; 2 -> 3: new www .12 added */
	rec m[] = {{origin, 3, 0, NULL}, {origin, 1, 0, NULL}, {www, 0, 10, NULL}, {old, 0, 99, NULL}, {origin, 2, 0, NULL}, {www, 0, 11, NULL},
	           {origin, 2, 0, NULL}, {origin, 3, 0, NULL}, {www, 0, 12, NULL}, {origin, 3, 0, NULL}};
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 9, TERN_T_IXFR, true, m, 10), 0), XFRIN_DONE);
	assert_int_equal(x.kind, XFR_INCR);
	assert_int_equal(x.ndeltas, 2);
	char err[256] = "";
	db_zone *z = xfrin_build(&x, b, "t", err, sizeof err);
	assert_non_null(z);
	assert_int_equal(z->serial, 3);
	assert_true(has_a(z, www, 11) && has_a(z, www, 12) && !has_a(z, www, 10));
	assert_null(zone_find(z, old));
	assert_true(has_a(z, ns1, 1));
	assert_int_equal(z->soa->count, 1);
	/* the old version is unchanged */
	assert_true(has_a(b, www, 10) && has_a(b, old, 99) && b->serial == 1);
	zone_unref(z);
	xfrin_free(&x);
	zone_unref(b);
}

static void test_ixfr_mismatch(void **state)
{
	(void)state;
	db_zone *b = base();
	xfrin x;
	xfrin_init(&x, origin, TERN_T_IXFR, 9, 1, 0, NULL);
	rec m[] = {{origin, 2, 0, NULL}, {origin, 1, 0, NULL}, {www, 0, 77, NULL}, {origin, 2, 0, NULL}, {origin, 2, 0, NULL}};
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 9, TERN_T_IXFR, true, m, 5), 0), XFRIN_DONE);
	char err[256] = "";
	assert_null(xfrin_build(&x, b, "t", err, sizeof err));
	assert_non_null(strstr(err, "deletes 'www.example.com. A 192.0.2.77', which the zone does not hold"));
	xfrin_free(&x);
	/* a sequence that does not start at our serial */
	xfrin_init(&x, origin, TERN_T_IXFR, 9, 5, 0, NULL);
	rec m2[] = {{origin, 7, 0, NULL}, {origin, 5, 0, NULL}, {origin, 7, 0, NULL}, {origin, 7, 0, NULL}};
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 9, TERN_T_IXFR, true, m2, 4), 0), XFRIN_DONE);
	assert_null(xfrin_build(&x, b, "t", err, sizeof err));
	assert_non_null(strstr(err, "the zone is at 1"));
	xfrin_free(&x);
	zone_unref(b);
}

static void test_stream_errors(void **state)
{
	(void)state;
	xfrin x;
	/* IXFR: one SOA no newer than ours: up to date (RFC 1982: 0xfffffff0
	 * is older than 5, by 21) */
	assert_true(xfr_serial_gt(5, 0xfffffff0u) && !xfr_serial_gt(0xfffffff0u, 5));
	assert_false(xfr_serial_gt(0x80000000u, 0) || xfr_serial_gt(0, 0x80000000u)); /* undefined: neither */
	xfrin_init(&x, origin, TERN_T_IXFR, 1, 5, 0, NULL);
	rec up[] = {{origin, 0xfffffff0u, 0, NULL}};
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 1, TERN_T_IXFR, true, up, 1), 0), XFRIN_DONE);
	assert_int_equal(x.kind, XFR_UPTODATE);
	xfrin_free(&x);
	/* IXFR answered AXFR-style */
	xfrin_init(&x, origin, TERN_T_IXFR, 1, 1, 0, NULL);
	rec ax[] = {{origin, 2, 0, NULL}, {ns1, 0, 1, NULL}, {origin, 2, 0, NULL}};
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 1, TERN_T_IXFR, true, ax, 3), 0), XFRIN_DONE);
	assert_int_equal(x.kind, XFR_FULL);
	xfrin_free(&x);
	/* mismatched closing SOA */
	xfrin_init(&x, origin, TERN_T_AXFR, 1, 0, 0, NULL);
	rec bad[] = {{origin, 2, 0, NULL}, {ns1, 0, 1, NULL}, {origin, 3, 0, NULL}};
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 1, TERN_T_AXFR, true, bad, 3), 0), XFRIN_ERR);
	assert_non_null(strstr(x.err, "SOA serial 3 ends a transfer that began with serial 2"));
	xfrin_free(&x);
	/* wrong ID, missing question, no SOA first */
	rec ok[] = {{origin, 2, 0, NULL}, {ns1, 0, 1, NULL}, {origin, 2, 0, NULL}};
	xfrin_init(&x, origin, TERN_T_AXFR, 1, 0, 0, NULL);
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 2, TERN_T_AXFR, true, ok, 3), 0), XFRIN_ERR);
	assert_non_null(strstr(x.err, "ID 2"));
	xfrin_free(&x);
	xfrin_init(&x, origin, TERN_T_AXFR, 1, 0, 0, NULL);
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 1, TERN_T_AXFR, false, ok, 3), 0), XFRIN_ERR);
	xfrin_free(&x);
	xfrin_init(&x, origin, TERN_T_AXFR, 1, 0, 0, NULL);
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 1, TERN_T_AXFR, true, ok + 1, 2), 0), XFRIN_ERR);
	assert_non_null(strstr(x.err, "not the zone's SOA"));
	xfrin_free(&x);
	/* the size bound */
	xfrin_init(&x, origin, TERN_T_AXFR, 1, 0, 60, NULL);
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 1, TERN_T_AXFR, true, ok, 3), 0), XFRIN_ERR);
	assert_non_null(strstr(x.err, "xfr-max-size"));
	xfrin_free(&x);
	/* an error rcode */
	xfrin_init(&x, origin, TERN_T_IXFR, 1, 1, 0, NULL);
	size_t n = message(buf, 1, TERN_T_IXFR, true, NULL, 0);
	buf[3] |= TERN_R_NOTIMP;
	assert_int_equal(xfrin_feed(&x, buf, n, 0), XFRIN_ERR);
	assert_int_equal(x.rcode, TERN_R_NOTIMP);
	xfrin_free(&x);
	/* IXFR sequences that do not chain */
	xfrin_init(&x, origin, TERN_T_IXFR, 1, 1, 0, NULL);
	rec chain[] = {{origin, 4, 0, NULL}, {origin, 1, 0, NULL}, {origin, 2, 0, NULL}, {origin, 3, 0, NULL}};
	assert_int_equal(xfrin_feed(&x, buf, message(buf, 1, TERN_T_IXFR, true, chain, 4), 0), XFRIN_ERR);
	assert_non_null(strstr(x.err, "previous one ended at 2"));
	xfrin_free(&x);
}

static void test_zone_file_and_state(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_xfrin.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/z.zone", dir);
	db_zone *b = base();
	char err[256];
	assert_int_equal(xfr_zone_save(b, path, err, sizeof err), 0);
	db_diag d = {0};
	db_zone *back = zone_load(origin, path, &d);
	assert_non_null(back);
	assert_int_equal(back->serial, 1);
	assert_int_equal(back->nrecords, b->nrecords);
	assert_true(has_a(back, www, 10) && has_a(back, old, 99));
	xfr_state st = {.serial = 1, .refreshed = 1700000000, .expires = 1700086400}, st2;
	assert_int_equal(xfr_state_save(path, &st), 0);
	assert_int_equal(xfr_state_load(path, &st2), 0);
	assert_int_equal(st2.serial, 1);
	assert_true(st2.refreshed == st.refreshed && st2.expires == st.expires);
	char sp[300];
	snprintf(sp, sizeof sp, "%s.state", path);
	unlink(sp);
	assert_int_equal(xfr_state_load(path, &st2), -1);
	unlink(path);
	rmdir(dir);
	zone_unref(back);
	zone_unref(b);
}

static void test_config_and_notify_acl(void **state)
{
	(void)state;
	cfg_xfrin *x = NULL;
	assert_int_equal(xfrin_config_option(&x, "file", "x", "t:1"), 1);
	assert_null(x);
	assert_int_equal(xfrin_config_option(&x, "primary", "192.0.2.1:5300 key k1", "t:2"), 0);
	assert_int_equal(xfrin_config_option(&x, "allow-notify", "198.51.100.0/24", "t:3"), 0);
	assert_int_equal(xfrin_config_option(&x, "allow-notify", "2001:db8::/32 key k2", "t:4"), 0);
	assert_int_equal(xfrin_config_option(&x, "primary", "not-an-address", "t:5"), -1);
	assert_int_equal(xfrin_config_option(&x, "allow-notify", "10.0.0.0/33", "t:6"), -1);
	assert_int_equal(xfrin_config_option(&x, "primary", "192.0.2.1 key", "t:7"), -1);
	assert_int_equal(xfrin_config_option(&x, "xfr-max-size", "2m", "t:8"), 0);
	assert_int_equal(x->max_bytes, 2u << 20);
	assert_int_equal(x->nprimaries, 1);
	assert_int_equal(x->nallow_notify, 2);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(999)};
	uint8_t k1[] = "\2k1", k2[] = "\2k2";
	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr); /* the primary, any port, but with its key */
	assert_false(xfrin_notify_allowed(x, (struct sockaddr *)&a, NULL));
	assert_true(xfrin_notify_allowed(x, (struct sockaddr *)&a, k1));
	inet_pton(AF_INET, "198.51.100.7", &a.sin_addr);
	assert_true(xfrin_notify_allowed(x, (struct sockaddr *)&a, NULL));
	inet_pton(AF_INET, "198.51.101.7", &a.sin_addr);
	assert_false(xfrin_notify_allowed(x, (struct sockaddr *)&a, NULL));
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "2001:db8::5", &a6.sin6_addr);
	assert_false(xfrin_notify_allowed(x, (struct sockaddr *)&a6, k1));
	assert_true(xfrin_notify_allowed(x, (struct sockaddr *)&a6, k2));
	inet_pton(AF_INET6, "::ffff:198.51.100.9", &a6.sin6_addr); /* v4-mapped */
	assert_true(xfrin_notify_allowed(x, (struct sockaddr *)&a6, NULL));
	xfrin_config_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_axfr_two_messages),  cmocka_unit_test(test_axfr_builds),
		cmocka_unit_test(test_ixfr_applied),       cmocka_unit_test(test_ixfr_mismatch),
		cmocka_unit_test(test_stream_errors),      cmocka_unit_test(test_zone_file_and_state),
		cmocka_unit_test(test_config_and_notify_acl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
