/* test_forward.c: the forwarder's sanitizer (what an upstream answer must
 * match, what is kept and cached), the in-flight table and upstream picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "resolve/forward.h"
#include "tern/msg.h"

static const uint8_t www[] = "\3www\7example\3com";
static const uint8_t web[] = "\3web\7example\3net";
static const uint8_t other[] = "\5other\7example\3com";
static const uint8_t apex[] = "\7example\3net";

/* An upstream answer for (qname, qtype) with id and rcode, whose answer
 * section is www CNAME web, web A 192.0.2.7, plus an unrelated record, and
 * junk in authority and additional. */
static size_t answer(uint8_t *buf, uint16_t id, const uint8_t *qname, uint16_t flags, unsigned rcode)
{
	tern_msgw m;
	tern_msgw_init(&m, buf, 1232, 1232, id, (uint16_t)(TERN_F_QR | TERN_F_RD | TERN_F_RA | flags));
	assert_int_equal(tern_msgw_question(&m, qname, TERN_T_A, TERN_C_IN), 0);
	if (rcode == TERN_R_NOERROR) {
		assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, www, TERN_T_CNAME, 1, 300, web, sizeof web), 0);
		uint8_t a[4] = {192, 0, 2, 7}, bad[4] = {6, 6, 6, 6};
		assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, web, TERN_T_A, 1, 60, a, 4), 0);
		assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, other, TERN_T_A, 1, 60, bad, 4), 0);
		assert_int_equal(tern_msgw_rr(&m, TERN_S_ADDITIONAL, other, TERN_T_A, 1, 60, bad, 4), 0);
	} else {
		/* SOA TTL 100, MINIMUM 2 */
		uint8_t soa[64];
		size_t n = 0;
		memcpy(soa, "\2ns\7example\3net", 16);
		n = 16;
		memcpy(soa + n, "\4host\7example\3net", 18);
		n += 18;
		uint32_t v[5] = {1, 7200, 3600, 1209600, 2};
		for (int i = 0; i < 5; i++, n += 4)
			tern_put_u32(soa + n, v[i]);
		assert_int_equal(tern_msgw_rr(&m, TERN_S_AUTHORITY, apex, TERN_T_SOA, 1, 100, soa, n), 0);
	}
	int len = tern_msgw_finish(&m, rcode);
	assert_true(len > 0);
	return (size_t)len;
}

static void test_sanitize_checks(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	static fwd_result res;
	uint8_t buf[1232];
	size_t n = answer(buf, 7, www, 0, TERN_R_NOERROR);
	assert_int_equal(fwd_sanitize(buf, n, 8, www, TERN_T_A, NULL, c, 0, &res), FWD_IGNORE); /* wrong ID */
	assert_int_equal(fwd_sanitize(buf, n, 7, other, TERN_T_A, NULL, c, 0, &res), FWD_IGNORE); /* wrong question */
	assert_int_equal(fwd_sanitize(buf, n, 7, www, TERN_T_AAAA, NULL, c, 0, &res), FWD_IGNORE);
	assert_int_equal(fwd_sanitize(buf, 11, 7, www, TERN_T_A, NULL, c, 0, &res), FWD_IGNORE); /* runt */
	buf[2] &= (uint8_t)~0x80; /* QR=0: a query, not an answer */
	assert_int_equal(fwd_sanitize(buf, n, 7, www, TERN_T_A, NULL, c, 0, &res), FWD_IGNORE);
	n = answer(buf, 7, www, TERN_F_TC, TERN_R_NOERROR);
	assert_int_equal(fwd_sanitize(buf, n, 7, www, TERN_T_A, NULL, c, 0, &res), FWD_TRUNC);
	n = answer(buf, 7, www, 0, TERN_R_SERVFAIL);
	assert_int_equal(fwd_sanitize(buf, n, 7, www, TERN_T_A, NULL, c, 0, &res), FWD_BAD);
	/* the question's case does not matter (the upstream may change it) */
	n = answer(buf, 7, (const uint8_t *)"\3WWW\7EXAMPLE\3com", 0, TERN_R_NOERROR);
	assert_int_equal(fwd_sanitize(buf, n, 7, www, TERN_T_A, NULL, c, 0, &res), FWD_OK);
	cache_free(c);
}

/* An upstream's error with Extended DNS Errors (RFC 8914): the first EDE
 * option counts; its text is kept printable and cut to fit; a malformed
 * option list yields no EDE; without one, FWD_NO_EDE. */
static void test_sanitize_upstream_ede(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	static fwd_result res;
	uint8_t buf[1232];
	uint8_t opts[200];
	size_t ol = 0;
	/* an unrelated option first, then EDE 9 with a control byte and a long
	 * text, then a second EDE */
	static const uint8_t padding[] = {0, 12, 0, 2, 0, 0};
	memcpy(opts, padding, sizeof padding);
	ol = sizeof padding;
	uint8_t *e = opts + ol;
	tern_put_u16(e, TERN_OPT_EDE);
	tern_put_u16(e + 2, 2 + 80);
	tern_put_u16(e + 4, 9);
	for (int i = 0; i < 80; i++)
		e[6 + i] = (uint8_t)(i == 1 ? 0x07 : 'a' + i % 26);
	ol += 6 + 80;
	static const uint8_t second[] = {0, 15, 0, 2, 0, 22};
	memcpy(opts + ol, second, sizeof second);
	ol += sizeof second;
	tern_msgw m;
	tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 7, TERN_F_QR | TERN_F_RD | TERN_F_RA);
	assert_int_equal(tern_msgw_question(&m, www, TERN_T_A, TERN_C_IN), 0);
	assert_int_equal(tern_msgw_opt(&m, 1232, TERN_R_SERVFAIL, false, opts, ol), 0);
	int n = tern_msgw_finish(&m, TERN_R_SERVFAIL);
	assert_true(n > 0);
	assert_int_equal(fwd_sanitize(buf, (size_t)n, 7, www, TERN_T_A, NULL, c, 0, &res), FWD_BAD);
	assert_int_equal(res.rcode, TERN_R_SERVFAIL);
	assert_int_equal(res.ede, 9);
	assert_int_equal(strlen(res.ede_text), sizeof res.ede_text - 1);
	assert_memory_equal(res.ede_text, "a?cde", 5);
	/* an option whose length runs past the OPT: no EDE taken */
	tern_put_u16(opts + 2, 190);
	tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 7, TERN_F_QR | TERN_F_RD | TERN_F_RA);
	assert_int_equal(tern_msgw_question(&m, www, TERN_T_A, TERN_C_IN), 0);
	assert_int_equal(tern_msgw_opt(&m, 1232, TERN_R_REFUSED, false, opts, ol), 0);
	n = tern_msgw_finish(&m, TERN_R_REFUSED);
	assert_int_equal(fwd_sanitize(buf, (size_t)n, 7, www, TERN_T_A, NULL, c, 0, &res), FWD_BAD);
	assert_int_equal(res.rcode, TERN_R_REFUSED);
	assert_int_equal(res.ede, FWD_NO_EDE);
	/* no OPT at all */
	n = (int)answer(buf, 7, www, 0, TERN_R_SERVFAIL);
	assert_int_equal(fwd_sanitize(buf, (size_t)n, 7, www, TERN_T_A, NULL, c, 0, &res), FWD_BAD);
	assert_int_equal(res.ede, FWD_NO_EDE);
	assert_string_equal(res.ede_text, "");
	cache_free(c);
}

static void test_sanitize_keeps_chain_only(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	static fwd_result res;
	uint8_t buf[1232];
	size_t n = answer(buf, 9, www, 0, TERN_R_NOERROR);
	assert_int_equal(fwd_sanitize(buf, n, 9, www, TERN_T_A, NULL, c, 1000, &res), FWD_OK);
	assert_int_equal(res.rcode, TERN_R_NOERROR);
	assert_int_equal(res.nrr, 2); /* CNAME + A; not the unrelated record */
	/* the cache has the chain, per RRset, and nothing else */
	cache_hit h;
	assert_int_equal(cache_get(c, www, TERN_T_CNAME, 2000, false, NULL, www, &h), 0);
	assert_int_equal(h.kind, CACHE_RRSET);
	assert_true(tern_name_eq(h.target, web));
	assert_int_equal(cache_get(c, web, TERN_T_A, 2000, false, NULL, web, &h), 0);
	assert_int_equal(h.kind, CACHE_RRSET);
	assert_int_equal(h.ttl, 59);
	assert_int_equal(cache_get(c, other, TERN_T_A, 2000, false, NULL, other, &h), 0);
	assert_int_equal(h.kind, CACHE_MISS);
	/* written for a client: the first owner in the client's case */
	uint8_t out[512];
	tern_msgw m;
	tern_msgw_init(&m, out, sizeof out, sizeof out, 1, TERN_F_QR);
	const uint8_t *asked = (const uint8_t *)"\3wWw\7example\3com";
	assert_int_equal(tern_msgw_question(&m, asked, TERN_T_A, 1), 0);
	assert_int_equal(fwd_result_write(&res, &m, asked, false), 0);
	int len = tern_msgw_finish(&m, 0);
	assert_int_equal(m.count[TERN_S_ANSWER], 2);
	assert_memory_equal(out + 12, "\3wWw", 4);
	assert_true(len > 0);
	cache_free(c);
}

static void test_sanitize_negative(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	static fwd_result res;
	uint8_t buf[1232];
	size_t n = answer(buf, 3, web, 0, TERN_R_NXDOMAIN);
	assert_int_equal(fwd_sanitize(buf, n, 3, web, TERN_T_A, NULL, c, 0, &res), FWD_OK);
	assert_int_equal(res.rcode, TERN_R_NXDOMAIN);
	assert_int_equal(res.soa_ttl, 2); /* RFC 2308 5: min(SOA TTL 100, MINIMUM 2) */
	cache_hit h;
	assert_int_equal(cache_get(c, web, CACHE_NXDOMAIN, 1000, false, NULL, web, &h), 0);
	assert_int_equal(h.kind, CACHE_NXDOMAIN_HIT);
	assert_int_equal(cache_get(c, web, CACHE_NXDOMAIN, 2000, false, NULL, web, &h), 0);
	assert_int_equal(h.kind, CACHE_MISS); /* expired after 2 s */
	cache_free(c);
}

static void test_inflight(void **st)
{
	(void)st;
	fwd_table *t = fwd_table_new(2);
	static fwd_waiter w1, w2;
	bool created;
	fwd_pending *p = fwd_join(t, www, TERN_T_A, 0, &w1, &created);
	assert_non_null(p);
	assert_true(created);
	assert_ptr_equal(fwd_join(t, (const uint8_t *)"\3WWW\7example\3COM", TERN_T_A, 1, &w2, &created), p);
	assert_false(created);
	assert_int_equal(fwd_inflight(t), 1);
	fwd_pending *q = fwd_join(t, www, TERN_T_AAAA, 0, NULL, &created);
	assert_true(created && q != p);
	/* the bound: a third distinct question is refused */
	assert_null(fwd_join(t, web, TERN_T_A, 0, NULL, &created));
	fwd_waiter *list = fwd_complete(t, p);
	assert_ptr_equal(list, &w1);
	assert_ptr_equal(list->next, &w2);
	assert_null(list->next->next);
	assert_null(fwd_complete(t, q));
	assert_int_equal(fwd_inflight(t), 0);
	fwd_table_free(t);
}

static void test_pick(void **st)
{
	(void)st;
	static upstream_set s;
	s.n = 3;
	atomic_store(&s.ups[0].srtt_us, 9000);
	atomic_store(&s.ups[1].srtt_us, 1000);
	atomic_store(&s.ups[2].srtt_us, 5000);
	for (int i = 0; i < 200; i++) {
		int k = fwd_pick(&s, 1u << 1, (uint8_t)i);
		assert_true(k == 0 || k == 2); /* never one already tried */
	}
	assert_int_equal(fwd_pick(&s, 7, 255), -1);
	assert_int_equal(fwd_pick(&s, 3, 0), 2);
	assert_int_equal(fwd_pick(&s, 0, 255), 1); /* the fastest */
	assert_int_equal(fwd_pick(&s, 0, 2), 2);   /* the coin says: another one */
	/* an upstream whose RTT is the largest a sample holds is still picked
	 * when it is the only one left (it was not: the question gave up) */
	atomic_store(&s.ups[2].srtt_us, UINT32_MAX);
	assert_int_equal(fwd_pick(&s, 3, 255), 2);
	atomic_store(&s.ups[2].srtt_us, 5000);
	fwd_rtt_sample(&s.ups[2], 0); /* a sample of 0 us still counts as measured */
	assert_true(atomic_load(&s.ups[2].srtt_us) > 0);
	fwd_rtt_timeout(&s.ups[1]);
	assert_true(atomic_load(&s.ups[1].srtt_us) > 1000);
	upstream_set sets[2];
	memset(sets, 0, sizeof sets);
	memcpy(sets[1].zone, "\4corp\7example", 14);
	assert_ptr_equal(fwd_set_for(sets, 2, (const uint8_t *)"\1a\4CORP\7example"), &sets[1]);
	assert_ptr_equal(fwd_set_for(sets, 2, www), &sets[0]);
}


/* An upstream asked about one zone (a forward-zone) cannot fill the cache
 * for names of another: the chain stops where it leaves the zone (review
 * finding: x.corp CNAME www.bank + www.bank A would have been cached). */
static void test_sanitize_stays_in_zone(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	static fwd_result res;
	uint8_t buf[1232];
	size_t n = answer(buf, 5, www, 0, TERN_R_NOERROR); /* www.example.com CNAME web.example.net, web A */
	const uint8_t *zone = (const uint8_t *)"\7example\3com";
	assert_int_equal(fwd_sanitize(buf, n, 5, www, TERN_T_A, zone, c, 0, &res), FWD_OK);
	assert_int_equal(res.nrr, 1); /* the CNAME only */
	cache_hit h;
	assert_int_equal(cache_get(c, www, TERN_T_CNAME, 0, false, NULL, www, &h), 0);
	assert_int_equal(h.kind, CACHE_RRSET);
	assert_int_equal(cache_get(c, web, TERN_T_A, 0, false, NULL, web, &h), 0);
	assert_int_equal(h.kind, CACHE_MISS); /* not this upstream's to say */
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_checks),
		cmocka_unit_test(test_sanitize_upstream_ede),
		cmocka_unit_test(test_sanitize_keeps_chain_only), cmocka_unit_test(test_sanitize_negative), cmocka_unit_test(test_sanitize_stays_in_zone), cmocka_unit_test(test_inflight), cmocka_unit_test(test_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
