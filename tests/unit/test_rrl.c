/* test_rrl.c: response rate limiting (rrl.c) with a fake clock: exact
 * counts under and over the rate, a flood that stays limited while it lasts
 * and is answered again after it, slip ratios, client networks (/24, /56,
 * IPv4-mapped), which responses share a bucket, refill and debt, a small
 * table under churn, and threads hammering one table.
 *
 * A full bucket holds half a second's worth (rate 10: a burst of 5; rate
 * 200: 100); every response costs a token, a limited one too, down to a
 * second's worth of debt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/un.h>

#include "server/rrl.h"

#define ZONE ((const uint8_t *)"\7example\3com")
#define WWW ((const uint8_t *)"\3www\7example\3com")
#define WWW_UPPER ((const uint8_t *)"\3WwW\7EXAMPLE\3com")
#define MAIL ((const uint8_t *)"\4mail\7example\3com")

typedef struct addr {
	struct sockaddr_storage ss;
} addr;

static const struct sockaddr *ip(addr *a, const char *text)
{
	memset(a, 0, sizeof *a);
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(5353);
		assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(5353);
		assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
	}
	return (const struct sockaddr *)&a->ss;
}

static rrl *make(unsigned rate, unsigned slip)
{
	rrl_opts o = rrl_opts_default();
	o.rate = rate;
	o.slip = slip;
	rrl *r = rrl_new(&o);
	assert_non_null(r);
	return r;
}

typedef struct tally {
	unsigned pass, drop, slip;
} tally;

static void count(tally *t, enum rrl_action a)
{
	if (a == RRL_PASS)
		t->pass++;
	else if (a == RRL_DROP)
		t->drop++;
	else
		t->slip++;
}

/* n identical responses at one instant. */
static tally burst(rrl *r, const char *client, enum rrl_kind k, const uint8_t *name, uint16_t qtype, unsigned n,
                   uint64_t now)
{
	addr a;
	const struct sockaddr *sa = ip(&a, client);
	tally t = {0};
	for (unsigned i = 0; i < n; i++)
		count(&t, rrl_check(r, sa, k, name, qtype, now));
	return t;
}

static void test_off_and_odd_inputs(void **st)
{
	(void)st;
	addr a;
	const struct sockaddr *sa = ip(&a, "192.0.2.1");
	/* rate 0 is off */
	rrl *r = make(0, 2);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(rrl_check(r, sa, RRL_ANSWER, WWW, 1, 0), RRL_PASS);
	rrl_free(r);
	/* a NULL table, a NULL client, a non-IP client */
	assert_int_equal(rrl_check(NULL, sa, RRL_ANSWER, WWW, 1, 0), RRL_PASS);
	r = make(1, 2);
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	for (int i = 0; i < 10; i++) {
		assert_int_equal(rrl_check(r, NULL, RRL_ANSWER, WWW, 1, 0), RRL_PASS);
		assert_int_equal(rrl_check(r, (struct sockaddr *)&un, RRL_ANSWER, WWW, 1, 0), RRL_PASS);
	}
	rrl_free(r);
	rrl_free(NULL);
	/* NULL options: defaults, RRL off */
	r = rrl_new(NULL);
	assert_non_null(r);
	assert_int_equal(burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 100, 0).pass, 100);
	rrl_free(r);
	/* out-of-range options are clamped, not fatal */
	rrl_opts o = {.rate = 5, .slip = 1, .v4_prefix = 99, .v6_prefix = 999, .buckets = 1};
	r = rrl_new(&o);
	assert_non_null(r);
	tally t = burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 10, 0);
	assert_int_equal(t.pass, 3); /* half of 5, rounded up */
	assert_int_equal(t.slip, 7);
	/* /32: the neighbour has its own bucket */
	assert_int_equal(burst(r, "192.0.2.2", RRL_ANSWER, WWW, 1, 10, 0).pass, 3);
	rrl_free(r);
	/* a rate of 1 still lets one through */
	r = make(1, 2);
	assert_int_equal(burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 10, 0).pass, 1);
	rrl_free(r);
}

static void test_under_rate_all_pass(void **st)
{
	(void)st;
	rrl *r = make(10, 2);
	addr a;
	const struct sockaddr *sa = ip(&a, "192.0.2.1");
	/* exactly the rate, evenly spread, for a minute */
	for (uint64_t ms = 0; ms < 60000; ms += 100)
		assert_int_equal(rrl_check(r, sa, RRL_ANSWER, WWW, 1, ms), RRL_PASS);
	/* the whole burst at once, after a quiet second */
	assert_int_equal(burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 5, 61000).pass, 5);
	/* exactly the rate again, in bursts of half a second's worth */
	for (uint64_t ms = 61500; ms < 121500; ms += 500)
		assert_int_equal(burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 5, ms).pass, 5);
	/* just under the rate (two 5 ms apart every 210 ms: 9.5/s), for ten minutes */
	unsigned n = 0;
	for (uint64_t ms = 122000; ms < 722000; ms += n++ % 2 ? 205 : 5)
		assert_int_equal(rrl_check(r, sa, RRL_ANSWER, WWW, 1, ms), RRL_PASS);
	assert_true(n > 5700);
	rrl_stats s;
	rrl_get_stats(r, &s);
	assert_int_equal(s.passed, 600 + 5 + 600 + n);
	assert_int_equal(s.dropped + s.slipped, 0);
	rrl_free(r);
}

static void test_burst_and_slip(void **st)
{
	(void)st;
	/* 100 at once, rate 10, slip 2: the burst (5) passes, of the 95
	 * limited every 2nd slips */
	rrl *r = make(10, 2);
	tally t = burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 100, 0);
	assert_int_equal(t.pass, 5);
	assert_int_equal(t.slip, 47);
	assert_int_equal(t.drop, 48);
	rrl_free(r);
}

/* Issue #6: a flood of 2,000 queries/s of one name from one address for 10
 * s against a limit of 200/s. A bucket that went over its limit stays
 * limited while the flow keeps going over it (the limited responses are
 * charged too, down to one second of debt), so the flood gets the burst
 * and what refilled while it drained, then nothing: well under 4 % full
 * answers (NSD lets some 4 % through, Knot 14 %; the plain token bucket
 * did 10 % plus the burst). Once it stops, the flow is answered normally
 * within two seconds. */
static void test_flood_stays_limited(void **st)
{
	(void)st;
	rrl *r = make(200, 2);
	addr a;
	const struct sockaddr *sa = ip(&a, "192.0.2.1");
	const uint64_t t0 = 1000000;
	tally f = {0};
	uint64_t last_pass = 0;
	for (uint64_t ms = 0; ms < 10000; ms++)
		for (int k = 0; k < 2; k++) {
			enum rrl_action act = rrl_check(r, sa, RRL_ANSWER, WWW, 1, t0 + ms);
			count(&f, act);
			if (act == RRL_PASS)
				last_pass = ms;
		}
	assert_int_equal(f.pass + f.drop + f.slip, 20000);
	assert_true(f.pass * 100 <= 20000 * 4);
	/* exactly: the burst (100, half a second's worth) and the 11 refilled
	 * while it drained in the first 56 ms; never anything after */
	assert_int_equal(f.pass, 111);
	assert_true(last_pass < 100);
	/* every 2nd limited response still slips */
	assert_int_equal(f.slip, (20000 - f.pass) / 2);

	/* the flood stops; the client asks 10 times a second: limited for
	 * about a second (the debt), then answered, every time */
	const uint64_t stop = t0 + 10000;
	uint64_t first = 0;
	for (uint64_t ms = 100; ms <= 6000; ms += 100) {
		enum rrl_action act = rrl_check(r, sa, RRL_ANSWER, WWW, 1, stop + ms);
		if (act == RRL_PASS && !first)
			first = ms;
		if (first)
			assert_int_equal(act, RRL_PASS);
	}
	assert_in_range(first, 1000, 2000);
	rrl_free(r);

	/* after two quiet seconds, the whole burst is back */
	r = make(200, 2);
	for (uint64_t ms = 0; ms < 3000; ms++)
		(void)burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 2, t0 + ms);
	assert_int_equal(burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 100, t0 + 2999 + 2000).pass, 100);
	rrl_free(r);
}

/* Over the limit by half (300/s against 200/s), evenly spread: once the
 * burst is gone, nothing passes for as long as the rate stays over the
 * limit (a plain token bucket lets 200 a second through forever). Back
 * under the limit (100/s), the flow is answered again once its second of
 * debt is paid off (2 s at a net 100/s), and from then on every time. */
static void test_over_rate_stays_limited(void **st)
{
	(void)st;
	rrl *r = make(200, 2);
	addr a;
	const struct sockaddr *sa = ip(&a, "198.51.100.7");
	tally early = {0}, late = {0};
	uint64_t ms = 0;
	for (; ms < 20000; ms += 10)
		for (int k = 0; k < 3; k++)
			count(ms < 3000 ? &early : &late, rrl_check(r, sa, RRL_ANSWER, WWW, 1, ms));
	/* the burst (100) and what refilled in the second it took to drain it
	 * at a net 100/s (200) */
	assert_in_range(early.pass, 280, 300);
	assert_int_equal(late.pass, 0);
	assert_int_equal(late.drop + late.slip, 3 * 1700);

	uint64_t slow = ms, first = 0;
	for (; ms < slow + 10000; ms += 10) {
		enum rrl_action act = rrl_check(r, sa, RRL_ANSWER, WWW, 1, ms);
		if (act == RRL_PASS && !first)
			first = ms - slow;
		if (first)
			assert_int_equal(act, RRL_PASS);
	}
	assert_in_range(first, 1500, 2100);
	rrl_free(r);
}

/* A real client in the flooded /24, asking the flooded name, shares the
 * flood's bucket: it gets no full answer over UDP while the flood lasts,
 * but with slip 1 every one of its queries gets a truncated reply (never
 * silence), so it always retries over TCP and gets its answer there. */
static void test_client_in_flooded_prefix_always_slips(void **st)
{
	(void)st;
	rrl *r = make(200, 1);
	addr f, c;
	const struct sockaddr *flood = ip(&f, "192.0.2.1");
	const struct sockaddr *client = ip(&c, "192.0.2.77");
	tally t = {0};
	for (uint64_t ms = 0; ms < 5000; ms++) {
		(void)rrl_check(r, flood, RRL_ANSWER, WWW, 1, ms);
		(void)rrl_check(r, flood, RRL_ANSWER, WWW, 1, ms);
		if (ms >= 200 && ms % 250 == 0)
			count(&t, rrl_check(r, client, RRL_ANSWER, WWW, 1, ms));
	}
	assert_int_equal(t.pass + t.drop + t.slip, 19);
	assert_int_equal(t.slip, 19);
	assert_int_equal(t.pass + t.drop, 0);
	/* another name, or another /24, is not affected */
	assert_int_equal(rrl_check(r, client, RRL_ANSWER, MAIL, 1, 5000), RRL_PASS);
	assert_int_equal(burst(r, "192.0.3.77", RRL_ANSWER, WWW, 1, 50, 5000).pass, 50);
	rrl_free(r);
}

static void test_slip_ratios(void **st)
{
	(void)st;
	const unsigned slips[] = {0, 1, 2, 3, 7};
	for (size_t i = 0; i < sizeof slips / sizeof slips[0]; i++) {
		rrl *r = make(4, slips[i]);
		tally t = burst(r, "198.51.100.9", RRL_ANSWER, WWW, 1, 1002, 0);
		assert_int_equal(t.pass, 2);
		unsigned want = slips[i] ? 1000 / slips[i] : 0;
		assert_int_equal(t.slip, want);
		assert_int_equal(t.drop, 1000 - want);
		/* the pattern: every slip-th limited response, counting from the first */
		if (slips[i] == 3) {
			addr a;
			const struct sockaddr *sa = ip(&a, "198.51.100.10");
			for (int k = 0; k < 2; k++)
				assert_int_equal(rrl_check(r, sa, RRL_ANSWER, MAIL, 1, 0), RRL_PASS);
			for (int k = 1; k <= 9; k++)
				assert_int_equal(rrl_check(r, sa, RRL_ANSWER, MAIL, 1, 0), k % 3 ? RRL_DROP : RRL_SLIP);
		}
		rrl_stats s;
		rrl_get_stats(r, &s);
		assert_int_equal(s.slipped, want + (slips[i] == 3 ? 3 : 0));
		rrl_free(r);
	}
}

static void test_ipv4_prefix(void **st)
{
	(void)st;
	rrl *r = make(10, 2);
	assert_int_equal(burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 50, 0).pass, 5);
	/* the same /24 shares the bucket, already empty */
	assert_int_equal(burst(r, "192.0.2.200", RRL_ANSWER, WWW, 1, 5, 0).pass, 0);
	/* as does the same address seen as IPv4-mapped IPv6 (dual-stack socket) */
	assert_int_equal(burst(r, "::ffff:192.0.2.77", RRL_ANSWER, WWW, 1, 5, 0).pass, 0);
	/* another /24 is untouched */
	assert_int_equal(burst(r, "192.0.3.1", RRL_ANSWER, WWW, 1, 50, 0).pass, 5);
	assert_int_equal(burst(r, "10.0.2.1", RRL_ANSWER, WWW, 1, 10, 0).pass, 5);
	rrl_free(r);

	/* a /16 setting groups more widely */
	rrl_opts o = rrl_opts_default();
	o.rate = 10;
	o.v4_prefix = 16;
	r = rrl_new(&o);
	assert_non_null(r);
	assert_int_equal(burst(r, "192.0.2.1", RRL_ANSWER, WWW, 1, 50, 0).pass, 5);
	assert_int_equal(burst(r, "192.0.99.1", RRL_ANSWER, WWW, 1, 5, 0).pass, 0);
	assert_int_equal(burst(r, "192.1.2.1", RRL_ANSWER, WWW, 1, 50, 0).pass, 5);
	rrl_free(r);
}

static void test_ipv6_prefix(void **st)
{
	(void)st;
	rrl *r = make(10, 2);
	assert_int_equal(burst(r, "2001:db8:0:100::1", RRL_ANSWER, WWW, 28, 50, 0).pass, 5);
	/* same /56 (first 56 bits 2001:0db8:0000:01) */
	assert_int_equal(burst(r, "2001:db8:0:1ff:aaaa::5", RRL_ANSWER, WWW, 28, 5, 0).pass, 0);
	assert_int_equal(burst(r, "2001:db8:0:100:ffff:ffff:ffff:ffff", RRL_ANSWER, WWW, 28, 5, 0).pass, 0);
	/* the next /56 and another /48 are untouched */
	assert_int_equal(burst(r, "2001:db8:0:200::1", RRL_ANSWER, WWW, 28, 50, 0).pass, 5);
	assert_int_equal(burst(r, "2001:db8:1:100::1", RRL_ANSWER, WWW, 28, 50, 0).pass, 5);
	/* an IPv4 client whose bytes match the start of the IPv6 prefix is another family */
	assert_int_equal(burst(r, "32.1.13.184", RRL_ANSWER, WWW, 28, 50, 0).pass, 5);
	rrl_free(r);
}

static void test_what_shares_a_bucket(void **st)
{
	(void)st;
	rrl *r = make(10, 2);
	/* NXDOMAIN for random names under one zone: the caller passes the apex,
	 * and the qtype does not split the bucket */
	addr a;
	const struct sockaddr *sa = ip(&a, "203.0.113.5");
	tally t = {0};
	for (unsigned i = 0; i < 100; i++)
		count(&t, rrl_check(r, sa, RRL_NXDOMAIN, ZONE, (uint16_t)(i * 7919), 0));
	assert_int_equal(t.pass, 5);
	/* ... nor does the case of the name */
	assert_int_equal(burst(r, "203.0.113.5", RRL_NXDOMAIN, (const uint8_t *)"\7EXAMPLE\3COM", 1, 5, 0).pass, 0);
	/* NODATA ignores the qtype too */
	t = (tally){0};
	for (unsigned i = 0; i < 100; i++)
		count(&t, rrl_check(r, sa, RRL_NODATA, WWW, (uint16_t)(i + 1000), 0));
	assert_int_equal(t.pass, 5);
	/* errors: NULL name, one bucket per network */
	assert_int_equal(burst(r, "203.0.113.5", RRL_ERROR, NULL, 1, 50, 0).pass, 5);
	assert_int_equal(burst(r, "203.0.113.99", RRL_ERROR, NULL, 255, 50, 0).pass, 0);
	/* kinds are separate: positive answers still have their budget */
	assert_int_equal(burst(r, "203.0.113.5", RRL_ANSWER, WWW, 1, 50, 0).pass, 5);
	/* positive answers: the qtype and the name split buckets, the case does not */
	assert_int_equal(burst(r, "203.0.113.5", RRL_ANSWER, WWW_UPPER, 1, 5, 0).pass, 0);
	assert_int_equal(burst(r, "203.0.113.5", RRL_ANSWER, WWW, 28, 50, 0).pass, 5);
	assert_int_equal(burst(r, "203.0.113.5", RRL_ANSWER, MAIL, 1, 50, 0).pass, 5);
	/* referrals and wildcards: their own kinds */
	assert_int_equal(burst(r, "203.0.113.5", RRL_REFERRAL, ZONE, 1, 50, 0).pass, 5);
	assert_int_equal(burst(r, "203.0.113.5", RRL_WILDCARD, ZONE, 1, 50, 0).pass, 5);
	/* a NULL name and the root name are different keys */
	assert_int_equal(burst(r, "203.0.113.5", RRL_ERROR, (const uint8_t *)"", 1, 50, 0).pass, 5);
	rrl_free(r);
}

static void test_refill_and_debt(void **st)
{
	(void)st;
	rrl *r = make(10, 0); /* a burst of 5; debt down to 10 tokens */
	const char *c = "192.0.2.1";
	/* a full bucket: the burst at once */
	assert_int_equal(burst(r, c, RRL_ANSWER, WWW, 1, 5, 5000).pass, 5);
	/* one token each 100 ms */
	assert_int_equal(burst(r, c, RRL_ANSWER, WWW, 1, 1, 5100).pass, 1);
	/* partial tokens are kept: 450 ms make 4.5, 50 ms more one */
	assert_int_equal(burst(r, c, RRL_ANSWER, WWW, 1, 4, 5550).pass, 4);
	assert_int_equal(burst(r, c, RRL_ANSWER, WWW, 1, 1, 5600).pass, 1);
	/* a long pause refills to the burst, not beyond */
	tally t = burst(r, c, RRL_ANSWER, WWW, 1, 6, 60000);
	assert_int_equal(t.pass, 5);
	assert_int_equal(t.drop, 1);
	/* a limited response costs a token too: 100 ms later the balance is
	 * back at zero, not one; 200 ms after that, at one */
	assert_int_equal(burst(r, c, RRL_ANSWER, WWW, 1, 1, 60100).pass, 0);
	assert_int_equal(burst(r, c, RRL_ANSWER, WWW, 1, 1, 60300).pass, 1);
	/* the debt stops at a second's worth: two flows driven far below it;
	 * 1,099 ms later one is still short (-10 + 9.99 tokens), 1,100 ms
	 * later the other has one token */
	assert_int_equal(burst(r, c, RRL_ANSWER, WWW, 1, 1000, 60300).pass, 0);
	assert_int_equal(burst(r, c, RRL_ANSWER, MAIL, 1, 1000, 60300).pass, 5);
	assert_int_equal(burst(r, c, RRL_ANSWER, WWW, 1, 1, 61399).pass, 0);
	assert_int_equal(burst(r, c, RRL_ANSWER, MAIL, 1, 1, 61400).pass, 1);
	/* a clock going back refills nothing and does no harm: MAIL, at zero,
	 * is limited at 1,000 ms, and 200 ms after 61,400 it has one token,
	 * not a burst */
	assert_int_equal(burst(r, c, RRL_ANSWER, MAIL, 1, 1, 1000).pass, 0);
	assert_int_equal(burst(r, c, RRL_ANSWER, MAIL, 1, 5, 61600).pass, 1);
	rrl_stats s;
	rrl_get_stats(r, &s);
	assert_int_equal(s.slipped, 0);
	assert_int_equal(s.passed, 5 + 1 + 4 + 1 + 5 + 1 + 5 + 1 + 1);
	assert_int_equal(s.passed + s.dropped, 5 + 1 + 4 + 1 + 6 + 1 + 1 + 1000 + 1000 + 1 + 1 + 1 + 5);
	rrl_free(r);
}

/* A tiny table under churn: bounded, the hot flow keeps its bucket. */
static void test_small_table_churn(void **st)
{
	(void)st;
	rrl_opts o = rrl_opts_default();
	o.rate = 20;
	o.buckets = 64; /* 8 sets of 8 */
	rrl *r = rrl_new(&o);
	assert_non_null(r);
	addr hot, cold;
	const struct sockaddr *hsa = ip(&hot, "192.0.2.1");
	tally t = {0};
	char text[32];
	unsigned n = 0;
	/* 100 hot responses a second for 10 s; between two of them, 3 responses
	 * to fresh networks (fewer than the 8 ways, so they cannot push the hot
	 * bucket out of its set however they hash) */
	for (uint64_t ms = 0; ms < 10000; ms += 10) {
		count(&t, rrl_check(r, hsa, RRL_ANSWER, WWW, 1, ms));
		for (int k = 0; k < 3; k++, n++) {
			snprintf(text, sizeof text, "10.%u.%u.1", (n >> 8) & 255, n & 255);
			assert_int_equal(rrl_check(r, ip(&cold, text), RRL_ANSWER, WWW, 1, ms), RRL_PASS);
		}
	}
	/* five times the limit: the burst (10) and the 2 tokens refilled while
	 * it drained, then nothing (an evicted bucket would come back full) */
	assert_int_equal(t.pass, 10 + 2);
	rrl_stats s;
	rrl_get_stats(r, &s);
	assert_true(s.evictions > 2900);
	/* a flood of distinct flows through a full table: no growth, no error */
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(text, sizeof text, "2001:db8:%x:%x::1", i >> 16, i & 0xffff);
		(void)rrl_check(r, ip(&cold, text), RRL_NXDOMAIN, ZONE, 1, 20000);
	}
	rrl_get_stats(r, &s);
	assert_int_equal(s.passed + s.dropped + s.slipped, 1000 * 4 + 100000);
	rrl_free(r);
}

/* --- threads --- */

typedef struct worker_arg {
	rrl *r;
	unsigned id;
	unsigned calls;
	bool moving_clock;
	unsigned other_every; /* a response to a fresh network every Nth call */
	tally hot;  /* the shared flow */
	tally mine; /* this thread's own flow */
	unsigned other;
} worker_arg;

static void *hammer(void *p)
{
	worker_arg *w = p;
	addr a, b, c;
	char text[32];
	snprintf(text, sizeof text, "198.51.%u.1", 100 + w->id);
	const struct sockaddr *hot = ip(&a, "192.0.2.1");
	const struct sockaddr *mine = ip(&b, text);
	for (unsigned i = 0; i < w->calls; i++) {
		/* the moving clock goes from 0 to 2000 ms in every thread */
		uint64_t now = w->moving_clock ? (uint64_t)i * 2000 / w->calls : 0;
		count(&w->hot, rrl_check(w->r, hot, RRL_ANSWER, WWW, 1, now));
		count(&w->mine, rrl_check(w->r, mine, RRL_ANSWER, WWW, 1, now));
		if (i % w->other_every)
			continue;
		snprintf(text, sizeof text, "%u.%u.%u.1", 20 + w->id, (i >> 8) & 255, i & 255); /* a /24 each */
		if (rrl_check(w->r, ip(&c, text), RRL_NXDOMAIN, ZONE, 1, now) == RRL_PASS)
			w->other++;
	}
	return NULL;
}

/* With the default table and few other flows, the hot and per-thread
 * flows keep their buckets and the counts are exact (one instant, or a
 * thread's own flow on its own clock) or within a token of the burst (the
 * hot flow on four clocks: all floods, so what refills goes to the debt).
 * With a tiny table, flows are evicted all the time (a returning flow gets
 * a fresh burst, so no count holds): only the totals and the absence of
 * crashes are checked. */
static void run_threads(bool moving_clock, bool tiny)
{
	enum { T = 4, CALLS = 50000, RATE = 100, BURST = RATE / 2 };
	rrl_opts o = rrl_opts_default();
	o.rate = RATE;
	o.buckets = tiny ? 64 : 65536;
	unsigned every = tiny ? 1 : 25;
	rrl *r = rrl_new(&o);
	assert_non_null(r);
	worker_arg w[T];
	pthread_t th[T];
	for (unsigned i = 0; i < T; i++) {
		w[i] = (worker_arg){.r = r, .id = i, .calls = CALLS, .moving_clock = moving_clock, .other_every = every};
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
	}
	tally hot = {0};
	for (unsigned i = 0; i < T; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		hot.pass += w[i].hot.pass;
		hot.drop += w[i].hot.drop;
		hot.slip += w[i].hot.slip;
		assert_int_equal(w[i].mine.pass + w[i].mine.drop + w[i].mine.slip, CALLS);
		if (tiny)
			assert_true(w[i].mine.pass >= BURST);
		else
			assert_int_equal(w[i].mine.pass, BURST); /* 25 a ms: the burst lasts 2 ms */
		/* the other flows are all distinct networks: each is let through */
		assert_int_equal(w[i].other, CALLS / every);
	}
	assert_int_equal(hot.pass + hot.drop + hot.slip, T * CALLS);
	if (tiny) {
		assert_true(hot.pass >= BURST);
	} else if (!moving_clock) {
		/* one instant: exactly the burst, and exactly every 2nd of the rest slips */
		assert_int_equal(hot.pass, BURST);
		assert_int_equal(hot.slip, (T * CALLS - BURST) / 2);
	} else {
		assert_in_range(hot.pass, BURST, BURST + 1);
	}
	rrl_stats s;
	rrl_get_stats(r, &s);
	assert_int_equal(s.passed + s.dropped + s.slipped, 2u * T * CALLS + T * (CALLS / every));
	if (tiny)
		assert_true(s.evictions > 0);
	rrl_free(r);
}

static void test_threads_one_instant(void **st)
{
	(void)st;
	run_threads(false, false);
}

static void test_threads_moving_clock(void **st)
{
	(void)st;
	run_threads(true, false);
}

static void test_threads_tiny_table(void **st)
{
	(void)st;
	run_threads(false, true);
	run_threads(true, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_and_odd_inputs),
		cmocka_unit_test(test_under_rate_all_pass),
		cmocka_unit_test(test_burst_and_slip),
		cmocka_unit_test(test_flood_stays_limited),
		cmocka_unit_test(test_over_rate_stays_limited),
		cmocka_unit_test(test_client_in_flooded_prefix_always_slips),
		cmocka_unit_test(test_slip_ratios),
		cmocka_unit_test(test_ipv4_prefix),
		cmocka_unit_test(test_ipv6_prefix),
		cmocka_unit_test(test_what_shares_a_bucket),
		cmocka_unit_test(test_refill_and_debt),
		cmocka_unit_test(test_small_table_churn),
		cmocka_unit_test(test_threads_one_instant),
		cmocka_unit_test(test_threads_moving_clock),
		cmocka_unit_test(test_threads_tiny_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
