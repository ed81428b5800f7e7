/* test_msg.c: the EDNS reader of msg.c (tern_msg_edns, tern_edns_rcode,
 * tern_edns_next_opt) on messages built with tern_msgw and on hand-made
 * packets: fields of the OPT TTL, option walking, malformed options and
 * messages, and agreement with the strict tern_query_parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tern/msg.h"

static const uint8_t example[] = "\7example\3com";

/* A response for example.com A with one answer, then the given OPT (when
 * payload is not 0). Returns the message length. */
static size_t build(uint8_t *buf, size_t cap, uint16_t flags, uint16_t payload, unsigned ext_rcode, bool do_bit,
                    const uint8_t *opts, size_t optlen)
{
	tern_msgw m;
	static const uint8_t addr[4] = {192, 0, 2, 1};
	tern_msgw_init(&m, buf, cap, cap - 64, 0x1234, flags);
	assert_int_equal(tern_msgw_question(&m, example, TERN_T_A, TERN_C_IN), 0);
	assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, example, TERN_T_A, TERN_C_IN, 300, addr, 4), 0);
	if (payload)
		assert_int_equal(tern_msgw_opt(&m, payload, ext_rcode, do_bit, opts, optlen), 0);
	int n = tern_msgw_finish(&m, ext_rcode & 0xf);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_no_opt(void **st)
{
	(void)st;
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR, 0, TERN_R_NXDOMAIN, false, NULL, 0);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	assert_false(e.present);
	assert_null(e.opts);
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(buf + 2)), TERN_R_NXDOMAIN);
	tern_edns_opt o;
	size_t pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 0);
}

static void test_fields(void **st)
{
	(void)st;
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR | TERN_F_AA, 4096, TERN_R_BADVERS, true, NULL, 0);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.payload, 4096);
	assert_int_equal(e.ext_rcode, 1);
	assert_int_equal(e.version, 0);
	assert_true(e.do_bit);
	assert_int_equal(e.flags, 0x8000);
	assert_int_equal(e.opts_len, 0);
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(buf + 2)), TERN_R_BADVERS);

	len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, NULL, 0);
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.payload, 1232);
	assert_false(e.do_bit);
	assert_int_equal(e.flags, 0);
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(buf + 2)), TERN_R_NOERROR);
}

/* Version, MBZ flags and payload below 512 come through as sent. */
static void test_raw_ttl(void **st)
{
	(void)st;
	uint8_t pkt[] = {0, 1, 0x80, 0x05, 0, 0, 0, 0, 0, 0, 0, 1,     /* header: REFUSED, one additional */
	                 0, 0, 41, 0x01, 0x00, 0x02, 0x01, 0x40, 0x01, 0, 0}; /* OPT 256, ext 2, v1, DO+0x4001 */
	tern_edns e;
	assert_int_equal(tern_msg_edns(pkt, sizeof pkt, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.payload, 256);
	assert_int_equal(e.ext_rcode, 2);
	assert_int_equal(e.version, 1);
	assert_false(e.do_bit);
	assert_int_equal(e.flags, 0x4001);
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(pkt + 2)), 2 << 4 | TERN_R_REFUSED);
	pkt[19] = 0xc0; /* DO and one MBZ bit */
	assert_int_equal(tern_msg_edns(pkt, sizeof pkt, &e), 0);
	assert_true(e.do_bit);
	assert_int_equal(e.flags, 0xc001);
}

static void test_options(void **st)
{
	(void)st;
	static const uint8_t opts[] = {
		0, TERN_OPT_NSID, 0, 0,                                  /* NSID, empty */
		0, TERN_OPT_COOKIE, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8,        /* client cookie */
		0, 15, 0, 4, 0, 3, 'h', 'i',                             /* EDE 3 "hi" */
	};
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, opts, sizeof opts);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	assert_int_equal(e.opts_len, sizeof opts);
	assert_memory_equal(e.opts, opts, sizeof opts);
	assert_true(e.opts >= buf && e.opts + e.opts_len == buf + len);

	tern_edns_opt o;
	size_t pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(o.code, TERN_OPT_NSID);
	assert_int_equal(o.len, 0);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(o.code, TERN_OPT_COOKIE);
	assert_int_equal(o.len, 8);
	assert_memory_equal(o.data, opts + 8, 8);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(o.code, 15);
	assert_int_equal(o.len, 4);
	assert_memory_equal(o.data, "\0\3hi", 4);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 0);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 0); /* stays at the end */
}

static void test_malformed_options(void **st)
{
	(void)st;
	/* a whole header whose data runs past the RDATA */
	static const uint8_t runs[] = {0, TERN_OPT_NSID, 0, 0, 0, 12, 0, 9, 1, 2, 3};
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, runs, sizeof runs);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, len, &e), 0); /* the message itself is fine */
	tern_edns_opt o;
	size_t pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), TERN_EMALFORMED);
	assert_int_equal(o.code, 12);
	assert_int_equal(o.len, 9);
	assert_null(o.data);
	assert_int_equal(pos, 4); /* not moved past the bad option */

	/* fewer than 4 bytes left: no header */
	static const uint8_t stub[] = {0, TERN_OPT_NSID, 0, 0, 0, 10};
	len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, stub, sizeof stub);
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), TERN_EMALFORMED);
	assert_int_equal(o.code, 0);
	assert_int_equal(o.len, 0);
	assert_null(o.data);
}

/* Only the additional section counts, and only its first OPT. */
static void test_which_opt(void **st)
{
	(void)st;
	uint8_t buf[512];
	tern_msgw m;
	static const uint8_t root[1] = {0};
	static const uint8_t ttl_in_answer[4] = {0};
	tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 7, TERN_F_QR);
	assert_int_equal(tern_msgw_question(&m, example, TERN_T_A, TERN_C_IN), 0);
	/* an OPT-typed RR in the answer section: not EDNS */
	assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, root, TERN_T_OPT, 999, 0, ttl_in_answer, 0), 0);
	int n = tern_msgw_finish(&m, 0);
	assert_true(n > 0);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, (size_t)n, &e), 0);
	assert_false(e.present);

	tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 7, TERN_F_QR);
	assert_int_equal(tern_msgw_question(&m, example, TERN_T_A, TERN_C_IN), 0);
	assert_int_equal(tern_msgw_opt(&m, 1400, 0, true, NULL, 0), 0);
	assert_int_equal(tern_msgw_opt(&m, 4000, 0x30, false, NULL, 0), 0);
	n = tern_msgw_finish(&m, 0);
	assert_true(n > 0);
	assert_int_equal(tern_msg_edns(buf, (size_t)n, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.payload, 1400);
	assert_true(e.do_bit);
	assert_int_equal(e.ext_rcode, 0);
}

/* A message that does not walk is an error, even after its OPT. */
static void test_malformed_message(void **st)
{
	(void)st;
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, NULL, 0);
	tern_edns e;
	assert_true(tern_msg_edns(buf, 11, &e) < 0);      /* short header */
	assert_true(tern_msg_edns(buf, len - 1, &e) < 0); /* OPT cut short */
	assert_false(e.present);
	tern_put_u16(buf + 10, 2); /* claims a second additional RR */
	assert_true(tern_msg_edns(buf, len, &e) < 0);
	/* the header's rcode is still there for a caller that falls back */
	e.present = false;
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(buf + 2)), 0);
}

/* On a query the lenient reader and the strict parser agree. */
static void test_agrees_with_query_parse(void **st)
{
	(void)st;
	static const uint8_t opts[] = {0, TERN_OPT_COOKIE, 0, 8, 9, 8, 7, 6, 5, 4, 3, 2};
	uint8_t buf[512];
	tern_msgw m;
	tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 42, TERN_F_RD);
	assert_int_equal(tern_msgw_question(&m, example, TERN_T_AAAA, TERN_C_IN), 0);
	assert_int_equal(tern_msgw_opt(&m, 2048, 0, true, opts, sizeof opts), 0);
	int n = tern_msgw_finish(&m, 0);
	assert_true(n > 0);
	tern_query q;
	assert_int_equal(tern_query_parse(buf, (size_t)n, &q), TERN_Q_OK);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, (size_t)n, &e), 0);
	assert_int_equal(e.present, q.edns);
	assert_int_equal(e.payload, q.edns_size);
	assert_int_equal(e.version, q.edns_version);
	assert_int_equal(e.do_bit, q.edns_do);
	tern_edns_opt o;
	size_t pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(o.code, TERN_OPT_COOKIE);
	assert_int_equal(o.len, q.cookie_len);
	assert_memory_equal(o.data, q.cookie, o.len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_opt),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_raw_ttl),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_malformed_options),
		cmocka_unit_test(test_which_opt),
		cmocka_unit_test(test_malformed_message),
		cmocka_unit_test(test_agrees_with_query_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
