/* test_doh.c: the DoH request rules (doh.c, RFC 8484 4.1): base64url
 * without padding and its refusals, GET and POST to /dns-query, each
 * refusal's HTTP status, the freshness of an answer (5.1); and the SPKI pin
 * text (tls.c, RFC 7858 4.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tls/doh.h"
#include "tls/h2.h"
#include "tls/h2c.h"
#include "tls/pad.h"
#include "tls/tls.h"

/* RFC 8484 4.1.1's example: www.example.com A, ID 0 */
static const uint8_t example_q[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x03, 'w',  'w',  'w',  0x07, 'e',  'x',  'a',  'm',  'p',
                                    'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};
static const char example_b64[] = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";

static int parse(const char *method, const char *path, const char *ctype, const void *body, size_t blen,
                 uint8_t *out, size_t *len)
{
	doh_request r = {.method = method, .method_len = strlen(method), .path = path, .path_len = strlen(path),
	                 .ctype = ctype, .ctype_len = ctype ? strlen(ctype) : 0, .body = body, .body_len = blen};
	return doh_parse(&r, out, 70000, len);
}

static void test_base64url(void **state)
{
	(void)state;
	uint8_t out[64];
	assert_int_equal(doh_base64url_decode(example_b64, strlen(example_b64), out, sizeof out), sizeof example_q);
	assert_memory_equal(out, example_q, sizeof example_q);
	assert_int_equal(doh_base64url_decode("-_8", 3, out, sizeof out), 2); /* url alphabet */
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(doh_base64url_decode("AQ==", 4, out, sizeof out), 1); /* padding tolerated */
	assert_int_equal(doh_base64url_decode("+/8", 3, out, sizeof out), -1);  /* base64, not base64url */
	assert_int_equal(doh_base64url_decode("A", 1, out, sizeof out), -1);    /* no such length */
	assert_int_equal(doh_base64url_decode("AR", 2, out, sizeof out), -1);   /* bits left over */
	assert_int_equal(doh_base64url_decode("AAAA", 4, out, 2), -1);          /* over cap */
	assert_int_equal(doh_base64url_decode("", 0, out, sizeof out), 0);
}

static void test_get_post(void **state)
{
	(void)state;
	static uint8_t out[70000];
	size_t len;
	char path[200];
	snprintf(path, sizeof path, "/dns-query?dns=%s", example_b64);
	assert_int_equal(parse("GET", path, NULL, NULL, 0, out, &len), 200);
	assert_int_equal(len, sizeof example_q);
	assert_memory_equal(out, example_q, len);
	snprintf(path, sizeof path, "/dns-query?x=1&dns=%s&y", example_b64);
	assert_int_equal(parse("GET", path, NULL, NULL, 0, out, &len), 200);
	assert_int_equal(parse("POST", "/dns-query", "application/dns-message", example_q, sizeof example_q, out, &len),
	                 200);
	assert_memory_equal(out, example_q, len);
	assert_int_equal(parse("POST", "/dns-query?x", "Application/DNS-Message; x=y", example_q, sizeof example_q, out,
	                       &len),
	                 200);
}

static void test_refusals(void **state)
{
	(void)state;
	static uint8_t out[70000], big[70000];
	size_t len = 99;
	assert_int_equal(parse("GET", "/", NULL, NULL, 0, out, &len), 404);
	assert_int_equal(len, 0);
	assert_int_equal(parse("GET", "/dns-query/x", NULL, NULL, 0, out, &len), 404);
	assert_int_equal(parse("GET", "/dns-queryx?dns=AAAA", NULL, NULL, 0, out, &len), 404);
	assert_int_equal(parse("PUT", "/dns-query", NULL, NULL, 0, out, &len), 405);
	assert_int_equal(parse("get", "/dns-query", NULL, NULL, 0, out, &len), 405); /* methods are case-sensitive */
	assert_int_equal(parse("GET", "/dns-query", NULL, NULL, 0, out, &len), 400);
	assert_int_equal(parse("GET", "/dns-query?dnsx=AAAA", NULL, NULL, 0, out, &len), 400);
	assert_int_equal(parse("GET", "/dns-query?dns=AAAAAAAA", NULL, NULL, 0, out, &len), 400); /* 6 bytes */
	assert_int_equal(parse("POST", "/dns-query", NULL, example_q, sizeof example_q, out, &len), 415);
	assert_int_equal(parse("POST", "/dns-query", "application/dns-messages", example_q, sizeof example_q, out, &len),
	                 415);
	assert_int_equal(parse("POST", "/dns-query", "application/dns-message", example_q, 11, out, &len), 400);
	assert_int_equal(parse("POST", "/dns-query", "application/dns-message", big, 65536, out, &len), 413);
	assert_int_equal(parse("POST", "/dns-query", "application/dns-message", big, 65535, out, &len), 200);
}

static void test_min_ttl(void **state)
{
	(void)state;
	/* example_q as an answer with two A records (TTL 300, 60) and an OPT
	 * whose TTL field (flags) is large: 60 */
	uint8_t m[200];
	memcpy(m, example_q, sizeof example_q);
	size_t n = sizeof example_q;
	m[7] = 2;  /* ANCOUNT */
	m[11] = 1; /* ARCOUNT */
	const uint8_t rr1[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1};
	const uint8_t rr2[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x00, 0x3c, 0, 4, 192, 0, 2, 2};
	const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0};
	memcpy(m + n, rr1, sizeof rr1);
	n += sizeof rr1;
	memcpy(m + n, rr2, sizeof rr2);
	n += sizeof rr2;
	memcpy(m + n, opt, sizeof opt);
	n += sizeof opt;
	assert_int_equal(doh_min_ttl(m, n), 60);
	assert_int_equal(doh_min_ttl(m, n - 1), -1);            /* cut short */
	assert_int_equal(doh_min_ttl(example_q, sizeof example_q), -1); /* no records */
	assert_int_equal(doh_min_ttl(m, 5), -1);
}

static void test_pin(void **state)
{
	(void)state;
	tls_pin p;
	assert_int_equal(tls_pin_parse("sha256/j00Yn2RYe5c2lpBs43jrC6DHbVHxnTe9e7y6FdR6u/Y=", &p), 0);
	assert_int_equal(p.sha256[0], 0x8f);
	assert_int_equal(tls_pin_parse("j00Yn2RYe5c2lpBs43jrC6DHbVHxnTe9e7y6FdR6u/Y=", &p), 0);
	assert_int_equal(tls_pin_parse("sha256/j00Yn2RYe5c2lpBs43jrC6DHbVHxnTe9e7y6FdR6u/Y", &p), -1);
	assert_int_equal(tls_pin_parse("sha1/j00Yn2RYe5c2lpBs43jrC6DHbVHxnTe9e7y6FdR6u/Y=", &p), -1);
	assert_int_equal(tls_pin_parse("sha256/!00Yn2RYe5c2lpBs43jrC6DHbVHxnTe9e7y6FdR6u/Y=", &p), -1);
}

static void test_pad(void **state)
{
	(void)state;
	static uint8_t m[70000];
	memcpy(m, example_q, sizeof example_q);
	size_t n = sizeof example_q;
	m[2] = 0x81;
	/* no additional section: untouched */
	assert_int_equal(tls_pad_response(m, n, sizeof m), n);
	/* an OPT last: padded to 468 with option 12, RDLEN and ARCOUNT kept right */
	m[11] = 1;
	const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
	memcpy(m + n, opt, sizeof opt);
	n += sizeof opt;
	assert_int_equal(tls_pad_response(m, n, 400), n); /* no room */
	size_t p = tls_pad_response(m, n, sizeof m);
	assert_int_equal(p, TLS_PAD_BLOCK);
	assert_int_equal(m[n - 2] << 8 | m[n - 1], p - n); /* the OPT's RDLEN */
	assert_int_equal(m[n] << 8 | m[n + 1], 12);
	assert_int_equal(m[n + 2] << 8 | m[n + 3], p - n - 4);
	assert_int_equal(m[p - 1], 0);
	/* padded again: already a multiple, still a valid one (+468) or kept */
	assert_int_equal(tls_pad_response(m, p, sizeof m) % TLS_PAD_BLOCK, 0);
	/* a record after the OPT (a TSIG): untouched */
	n = sizeof example_q + sizeof opt;
	memcpy(m + sizeof example_q, opt, sizeof opt);
	m[11] = 2;
	m[7] = 0;
	const uint8_t after[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
	memcpy(m + n, after, sizeof after);
	assert_int_equal(tls_pad_response(m, n + sizeof after, sizeof m), n + sizeof after);
	/* malformed: untouched */
	assert_int_equal(tls_pad_response(m, n - 1, sizeof m), n - 1);
}

/* An HTTP/2 client (h2c.c) and server (h2.c) joined in memory. */
static uint8_t held[512];
static size_t held_len;
static int got_status = -1;
static uint8_t got_body[512];
static size_t got_len;

static void server_query(void *user, uint8_t *msg, size_t len)
{
	(void)user;
	memcpy(held, msg, len); /* answered later, as after an upstream question */
	held_len = len;
}

static void client_answer(void *user, uint32_t tag, int status, const uint8_t *body, size_t len)
{
	(void)user;
	assert_int_equal(tag, 7);
	got_status = status;
	memcpy(got_body, body, len);
	got_len = len;
}

static void pump(h2c_conn *c, h2_conn *s)
{
	for (int round = 0; round < 8; round++) {
		const uint8_t *p;
		long n;
		while ((n = h2c_pending(c, &p)) > 0)
			assert_int_equal(h2_recv(s, p, (size_t)n), 0);
		while ((n = h2_pending(s, &p)) > 0)
			assert_int_equal(h2c_recv(c, p, (size_t)n), 0);
	}
}

static void test_h2_answer_matches_question(void **state)
{
	(void)state;
	h2_conn *s = h2_new(server_query, NULL);
	h2c_conn *c = h2c_new("dns.test", "/dns-query", client_answer, NULL);
	assert_non_null(s);
	assert_non_null(c);
	uint8_t q[sizeof example_q];
	memcpy(q, example_q, sizeof q);
	q[0] = 0xab; /* the client's ID */
	q[1] = 0xcd;
	assert_int_equal(h2c_request(c, 7, q, sizeof q), 0);
	pump(c, s);
	assert_int_equal(held_len, sizeof q);
	assert_int_equal(h2_open_streams(s), 1);
	/* an answer with the stream's tag but another question (a late
	 * answer for a reset stream that drew the same tag): not delivered */
	uint8_t wrong[sizeof example_q];
	memcpy(wrong, held, sizeof wrong);
	wrong[2] |= 0x80;
	wrong[13] = 'x'; /* wxw.example.com */
	assert_int_equal(h2_answer(s, wrong, sizeof wrong), 0);
	pump(c, s);
	assert_int_equal(got_status, -1);
	/* the right one, whatever the case of its name, is, with the
	 * client's ID restored */
	uint8_t right[sizeof example_q];
	memcpy(right, held, sizeof right);
	right[2] |= 0x80;
	right[13] = 'W';
	assert_int_equal(h2_answer(s, right, sizeof right), 0);
	pump(c, s);
	assert_int_equal(got_status, 200);
	assert_int_equal(got_len, sizeof q);
	assert_int_equal(got_body[0], 0xab);
	assert_int_equal(got_body[1], 0xcd);
	assert_int_equal(h2_open_streams(s), 0);
	h2c_free(c);
	h2_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64url), cmocka_unit_test(test_get_post), cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_min_ttl),   cmocka_unit_test(test_pin),
		cmocka_unit_test(test_h2_answer_matches_question),
		cmocka_unit_test(test_pad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
