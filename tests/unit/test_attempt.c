/* test_attempt.c: the forwarder's timing rules, deterministically.
 *
 * A fake network of upstreams (silent, answering after a delay, refusing,
 * unreachable, truncating) and a fake clock drive one question at a time
 * through the retry policy (resolve/attempt.c) exactly the way the worker
 * does (src/server/worker.c: upq_try, upq_answer, upq_timers), with real
 * DNS answers going through the real sanitizer into the real cache. So the
 * time to SERVFAIL, the failover order, the smoothed-RTT preference, the
 * pause between rounds, the TCP retry, TTL expiry and serve-stale are
 * checked to the millisecond, with no sockets and no sleeping. The same
 * behaviours are also tested over real sockets in
 * tests/system/test_forward_upstreams.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "resolve/attempt.h"
#include "resolve/failcache.h"
#include "tern/msg.h"

enum behaviour { SILENT, ANSWER, REFUSE, UNREACHABLE, TRUNCATE, SERVFAIL_EDE };

typedef struct fake_upstream {
	enum behaviour b;
	uint32_t delay_ms; /* until its answer arrives */
	uint32_t rtt_us;   /* if set: the round trip measured, under a millisecond
	                      (the fake clock does not move) */
	uint32_t ttl;      /* of the A record it answers with */
	unsigned asked;
} fake_upstream;

#define T0 1000000 /* the fake clock starts here (ms) */
#define LOG_MAX 64

typedef struct sim {
	upstream_set set;
	fake_upstream fake[4];
	uint64_t now;
	cache *c;
	fwd_result res;
	fwd_attempt a; /* the last question's state when it ended */
	unsigned asks;
	int log[LOG_MAX]; /* which upstream each ask went to */
	uint64_t at[LOG_MAX]; /* and when */
} sim;

static const uint8_t qname[] = "\3www\7example\3com";

static sim *sim_new(unsigned n, const cache_opts *o)
{
	static sim s;
	memset(&s, 0, sizeof s);
	s.set.n = n;
	s.now = T0;
	s.c = cache_new(o);
	assert_non_null(s.c);
	for (unsigned i = 0; i < n; i++)
		s.fake[i] = (fake_upstream){.b = ANSWER, .delay_ms = 5, .ttl = 300};
	return &s;
}

/* The upstream's reply to (id, qname A): real wire format. */
static size_t reply(const fake_upstream *f, bool tcp, uint16_t id, uint8_t *buf)
{
	uint16_t flags = TERN_F_QR | TERN_F_RD | TERN_F_RA;
	if (f->b == TRUNCATE && !tcp)
		flags |= TERN_F_TC;
	tern_msgw m;
	tern_msgw_init(&m, buf, 1232, 1232, id, flags);
	assert_int_equal(tern_msgw_question(&m, qname, TERN_T_A, TERN_C_IN), 0);
	if (f->b == ANSWER || (f->b == TRUNCATE && tcp)) {
		uint8_t a[4] = {192, 0, 2, 1};
		assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, qname, TERN_T_A, TERN_C_IN, f->ttl, a, 4), 0);
	}
	if (f->b == SERVFAIL_EDE) { /* RFC 8914: 22 No Reachable Authority, with a text */
		static const uint8_t ede[] = {0, 15, 0, 6, 0, 22, 'd', 'o', 'w', 'n'};
		assert_int_equal(tern_msgw_opt(&m, 1232, TERN_R_SERVFAIL, false, ede, sizeof ede), 0);
	}
	int len = tern_msgw_finish(&m, f->b == REFUSE        ? TERN_R_REFUSED
	                               : f->b == SERVFAIL_EDE ? TERN_R_SERVFAIL
	                                                      : TERN_R_NOERROR);
	assert_true(len > 0);
	return (size_t)len;
}

/* One question, from now, the way the worker drives it. Returns FWD_OK when
 * answered (s->res holds the answer, the cache has it) or -1 when it gave
 * up; s->now is then when, and s->a what the policy learnt (the upstream's
 * rcode and EDE). coin: the random byte for every pick. probe >= 0: a
 * probe of that upstream (fwd_attempt_probe) instead of a question. */
static int ask_as(sim *s, uint32_t timeout_ms, uint8_t coin, int probe)
{
	fwd_attempt *ap = &s->a, a;
	if (probe >= 0)
		fwd_attempt_probe(&a, s->now, timeout_ms, probe);
	else
		fwd_attempt_init(&a, s->now, timeout_ms);
	for (;; *ap = a) {
		enum fwd_step step = fwd_attempt_next(&a, &s->set, s->now, coin);
		if (step == FWD_STEP_GIVE_UP) {
			*ap = a;
			return -1;
		}
		if (step == FWD_STEP_WAIT) { /* the worker's timer fires at the end */
			assert_true(a.try_deadline > s->now);
			s->now = a.try_deadline;
			fwd_attempt_failed(&a, &s->set, s->now); /* a pause: counts nothing */
			continue;
		}
		fake_upstream *f = &s->fake[a.up];
		f->asked++;
		if (s->asks < LOG_MAX) {
			s->log[s->asks] = a.up;
			s->at[s->asks] = s->now;
		}
		s->asks++;
		if (f->b == UNREACHABLE) { /* send failed at once, or ECONNREFUSED */
			fwd_attempt_failed(&a, &s->set, s->now);
			continue;
		}
		fwd_attempt_sent(&a, &s->set, s->now);
		bool tcp = false;
		for (;;) {
			if (f->b == SILENT || s->now + f->delay_ms >= a.try_deadline) {
				s->now = a.try_deadline; /* silence until the try's end */
				assert_true(fwd_attempt_due(&a, s->now));
				fwd_attempt_failed(&a, &s->set, s->now);
				break;
			}
			s->now += f->delay_ms;
			assert_false(fwd_attempt_due(&a, s->now));
			uint8_t pkt[1232];
			uint16_t id = (uint16_t)(s->asks * 7919);
			size_t n = reply(f, tcp, id, pkt);
			enum fwd_verdict v = fwd_sanitize(pkt, n, id, qname, TERN_T_A, NULL, s->c, s->now, &s->res);
			if (v == FWD_TRUNC && !tcp) { /* the same upstream over TCP */
				tcp = true;
				fwd_attempt_tcp(&a, s->now);
				continue;
			}
			fwd_attempt_answered(&a, &s->set, f->rtt_us ? f->rtt_us : f->delay_ms * 1000u);
			if (v == FWD_OK) {
				*ap = a;
				return FWD_OK;
			}
			fwd_attempt_error(&a, s->res.rcode, s->res.ede); /* FWD_BAD */
			break;
		}
	}
}

static int ask(sim *s, uint32_t timeout_ms, uint8_t coin)
{
	return ask_as(s, timeout_ms, coin, -1);
}

/* Every upstream silent: SERVFAIL at exactly forward-timeout (2.5 s, under
 * the 3 s the issue asks and the 5 s a stub waits), every upstream asked,
 * and each try no longer than 1 s. */
static void test_all_silent_gives_up_at_timeout(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = s->fake[1].b = SILENT;
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->now, T0 + 2500);
	assert_true(s->fake[0].asked >= 2 && s->fake[1].asked >= 2);
	for (unsigned i = 1; i < s->asks && i < LOG_MAX; i++) {
		assert_true(s->at[i] - s->at[i - 1] <= 1000);
		assert_true(s->at[i] > s->at[i - 1]); /* never a tight loop */
	}
	/* the silence raised both SRTTs */
	assert_true(atomic_load(&s->set.ups[0].srtt_us) >= 100000);
	assert_true(atomic_load(&s->set.ups[0].timeouts) >= 2);
	cache_free(s->c);
}

/* The deadline caps every try: a 150 ms timeout ends at 150 ms, not at the
 * end of a 400 ms try. */
static void test_deadline_caps_the_try(void **st)
{
	(void)st;
	sim *s = sim_new(1, NULL);
	s->fake[0].b = SILENT;
	assert_int_equal(ask(s, 150, 255), -1);
	assert_int_equal(s->now, T0 + 150);
	assert_int_equal(s->asks, 1);
	cache_free(s->c);
}

/* The first upstream is silent: the second is asked when its try (400 ms
 * for an unmeasured upstream) ends. Next time the one that answered is
 * asked first, and answers at once. */
static void test_failover_then_preference(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = SILENT;
	assert_int_equal(ask(s, 2500, 255), FWD_OK);
	assert_int_equal(s->now, T0 + 400 + 5);
	assert_int_equal(s->log[0], 0);
	assert_int_equal(s->log[1], 1);
	uint64_t t = s->now;
	assert_int_equal(ask(s, 2500, 255), FWD_OK);
	assert_int_equal(s->log[2], 1);
	assert_int_equal(s->now, t + 5);
	assert_int_equal(s->res.nrr, 1);
	/* a try lasts 4 x SRTT within [100, 1000] ms: upstream 1 (SRTT 5 ms)
	 * gets 100 ms, upstream 0 (one timeout: SRTT 100 ms) 400 ms, then the
	 * round's pause */
	s->fake[1].b = SILENT;
	t = s->now;
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->log[3], 1);
	assert_int_equal(s->log[4], 0);
	assert_int_equal(s->at[4] - t, 100);
	assert_int_equal(s->at[5] - s->at[4], 400 + FWD_ROUND_PAUSE_MS);
	cache_free(s->c);
}

/* Smoothed RTT: of two working upstreams the faster one takes the
 * questions once both are measured; a coin below 8 sends one question to
 * the other, so a change would be seen. */
static void test_fastest_preferred(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].delay_ms = 40;
	s->fake[1].delay_ms = 4;
	for (int i = 0; i < 20; i++)
		assert_int_equal(ask(s, 2500, 255), FWD_OK);
	/* the first question measured upstream 0, the second upstream 1 (an
	 * unmeasured upstream counts as fastest), then upstream 1 only */
	assert_int_equal(s->fake[0].asked, 1);
	assert_int_equal(s->fake[1].asked, 19);
	assert_int_equal(ask(s, 2500, 0), FWD_OK); /* the coin: the other one */
	assert_int_equal(s->fake[0].asked, 2);
	cache_free(s->c);
}

/* An upstream on the same host or LAN answers in well under a
 * millisecond: its RTT is measured in microseconds, so it counts as up
 * (ternctl status) with its real RTT, not as never measured. (CI found
 * 'unknown' for a loopback upstream that had just answered: the RTT was
 * taken from the worker's millisecond clock, and rounded to 0.) */
static void test_sub_millisecond_rtt_measured(void **st)
{
	(void)st;
	sim *s = sim_new(1, NULL);
	s->fake[0].delay_ms = 0;
	s->fake[0].rtt_us = 300;
	assert_int_equal(ask(s, 2500, 255), FWD_OK);
	assert_int_equal(atomic_load(&s->set.ups[0].srtt_us), 300);
	s->fake[0].rtt_us = 0; /* a clock that saw no time pass still counts */
	for (int i = 0; i < 50; i++)
		assert_int_equal(ask(s, 2500, 255), FWD_OK);
	assert_true(atomic_load(&s->set.ups[0].srtt_us) >= 1);
	cache_free(s->c);
}

/* Refusals (an error rcode, FWD_BAD) end that upstream's part at once: it
 * is not asked again for this question (issue 10 item 9: one SERVFAILing
 * upstream got 13 queries for one question). Every upstream refused: the
 * question fails at once, one ask each, with the rcode remembered. */
static void test_refusals_end_the_upstreams_part(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = s->fake[1].b = REFUSE;
	s->fake[0].delay_ms = s->fake[1].delay_ms = 1;
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->asks, 2);
	assert_int_equal(s->fake[0].asked, 1);
	assert_int_equal(s->now, T0 + 2);
	assert_int_equal(s->a.rcode, TERN_R_REFUSED);
	assert_int_equal(s->a.ede, FWD_NO_EDE);
	/* an answering upstream is not a dead one: its RTT was sampled */
	assert_int_equal(atomic_load(&s->set.ups[0].timeouts), 0);
	assert_false(fwd_set_down(&s->set));
	cache_free(s->c);
}

/* An upstream's SERVFAIL with an Extended DNS Error (RFC 8914): one ask, the
 * question fails at once, and the code is kept to be passed on. */
static void test_servfail_with_ede_passed_on(void **st)
{
	(void)st;
	sim *s = sim_new(1, NULL);
	s->fake[0].b = SERVFAIL_EDE;
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->asks, 1);
	assert_int_equal(s->now, T0 + 5);
	assert_int_equal(s->a.rcode, TERN_R_SERVFAIL);
	assert_int_equal(s->a.ede, 22);
	cache_free(s->c);
}

/* Unreachable upstreams (the send fails at once, or ECONNREFUSED) are no
 * tight loop: each is asked twice at most, with the round's pause between,
 * and the question fails when the second round is over, not at the
 * deadline. */
static void test_unreachable_twice_each(void **st)
{
	(void)st;
	sim *s = sim_new(3, NULL);
	s->fake[0].b = s->fake[1].b = s->fake[2].b = UNREACHABLE;
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->asks, 6);
	for (int i = 0; i < 3; i++)
		assert_int_equal(s->fake[i].asked, 2);
	assert_int_equal(s->now, T0 + FWD_ROUND_PAUSE_MS);
	assert_int_equal(s->a.rcode, 0); /* nobody answered */
	cache_free(s->c);
}

/* Each upstream is asked at most twice per question, however long the
 * forward-timeout (RFC 9520 3.1 allows three); the last try waits until the
 * deadline, so a slow answer is still taken. */
static void test_silent_twice_each_last_try_to_deadline(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = s->fake[1].b = SILENT;
	assert_int_equal(ask(s, 10000, 255), -1);
	assert_int_equal(s->fake[0].asked, 2);
	assert_int_equal(s->fake[1].asked, 2);
	assert_int_equal(s->now, T0 + 10000);
	cache_free(s->c);
	/* slow, not silent: the answer after 3 s comes within the last try */
	s = sim_new(1, NULL);
	s->fake[0].delay_ms = 3000;
	assert_int_equal(ask(s, 5000, 255), FWD_OK);
	assert_int_equal(s->fake[0].asked, 2);
	assert_int_equal(s->now, T0 + 400 + FWD_ROUND_PAUSE_MS + 3000);
	cache_free(s->c);
}

/* A dead upstream is marked down after FWD_DOWN_AFTER failures in a row
 * over at least FWD_DOWN_SPAN_MS; once every upstream of the set is down a
 * question fails at once, asking nobody; one probe at a time (at most one
 * per FWD_PROBE_MS) checks whether one is back, and an answer to it brings
 * the upstream back. */
static void test_down_then_fast_failure_and_probe(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = s->fake[1].b = UNREACHABLE;
	assert_false(fwd_set_down(&s->set));
	assert_int_equal(ask(s, 2500, 255), -1); /* two failures each, 200 ms apart */
	assert_false(fwd_set_down(&s->set));
	assert_int_equal(ask(s, 2500, 255), -1); /* three in a row, but within 1 s */
	assert_false(fwd_set_down(&s->set));
	assert_int_equal(s->asks, 8);
	s->now = T0 + FWD_DOWN_SPAN_MS;
	assert_int_equal(ask(s, 2500, 255), -1); /* 1 s of failures: down */
	assert_true(fwd_set_down(&s->set));
	assert_int_equal(s->asks, 10);
	uint64_t down_at = s->now;
	/* a question now: no upstream asked, failure at once */
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->asks, 10);
	assert_int_equal(s->now, down_at);
	/* probes: none before FWD_PROBE_MS, then one, not two at once */
	assert_int_equal(fwd_probe_claim(&s->set, down_at + FWD_PROBE_MS - 1), -1);
	s->now = down_at + FWD_PROBE_MS;
	int up = fwd_probe_claim(&s->set, s->now);
	assert_true(up == 0 || up == 1);
	int other = fwd_probe_claim(&s->set, s->now);
	assert_int_equal(other, -1);
	/* the probe fails (still dead): one ask, the set stays down */
	assert_int_equal(ask_as(s, 2500, 255, up), -1);
	assert_int_equal(s->asks, 11);
	assert_true(fwd_set_down(&s->set));
	assert_int_equal(fwd_probe_claim(&s->set, s->now + 10), -1);
	/* the upstream comes back: the next probe's answer ends the down state */
	s->fake[up].b = ANSWER;
	s->now += FWD_PROBE_MS;
	int again = fwd_probe_claim(&s->set, s->now);
	assert_true(again >= 0);
	s->fake[again].b = ANSWER;
	assert_int_equal(ask_as(s, 2500, 255, again), FWD_OK);
	assert_false(fwd_set_down(&s->set));
	/* and a question goes to it again */
	assert_int_equal(ask(s, 2500, 255), FWD_OK);
	assert_int_equal(s->log[s->asks - 1], again);
	cache_free(s->c);
}

/* A silent upstream goes down too (three timeouts in a row over 1 s), and
 * while one upstream of the set is up the down one is not asked. A burst of
 * timeouts at one moment (questions sent together to a slow upstream) does
 * not make it down. */
static void test_down_upstream_skipped(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = SILENT;
	for (int i = 0; i < FWD_DOWN_AFTER; i++)
		fwd_attempt_failed(&(fwd_attempt){.up = 0}, &s->set, s->now + (uint64_t)i * FWD_DOWN_SPAN_MS / 2);
	assert_true(fwd_up_down(&s->set.ups[0]));
	assert_false(fwd_set_down(&s->set));
	for (int i = 0; i < 8; i++)
		assert_int_equal(ask(s, 2500, (uint8_t)i), FWD_OK); /* coins < 8: would pick another */
	assert_int_equal(s->fake[0].asked, 0);
	for (int i = 0; i < 20; i++)
		fwd_attempt_failed(&(fwd_attempt){.up = 1}, &s->set, s->now);
	assert_false(fwd_up_down(&s->set.ups[1]));
	cache_free(s->c);
}

/* RFC 9520 3.2: a failure is held at least 1 s, the hold doubles for each
 * failure that follows its expiry, up to 5 minutes; a success forgets it,
 * and so does a long quiet time. */
static void test_failure_cache_backoff(void **st)
{
	(void)st;
	assert_int_equal(fwd_failure_hold_ms(0, 0, T0), 1000);
	uint32_t hold = 0;
	uint64_t until = 0, t = T0;
	uint32_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000};
	for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
		hold = fwd_failure_hold_ms(hold, until, t);
		assert_int_equal(hold, want[i]);
		until = t + hold;
		t = until; /* asked again as soon as it expires, and failed again */
	}
	/* quiet for longer than the hold after it expired: back to 1 s */
	assert_int_equal(fwd_failure_hold_ms(4000, T0 + 4000, T0 + 4000 + 4001), 1000);
	assert_int_equal(fwd_failure_hold_ms(4000, T0 + 4000, T0 + 4000 + 4000), 8000);

	failcache *fc = failcache_new(64);
	assert_non_null(fc);
	uint16_t ede;
	assert_false(failcache_get(fc, qname, TERN_T_A, T0, &ede));
	assert_int_equal(failcache_put(fc, qname, TERN_T_A, T0, 22), 1000);
	assert_true(failcache_get(fc, (const uint8_t *)"\3WWW\7example\3com", TERN_T_A, T0 + 999, &ede));
	assert_int_equal(ede, 22);
	assert_false(failcache_get(fc, qname, TERN_T_AAAA, T0 + 1, &ede)); /* per type */
	assert_false(failcache_get(fc, qname, TERN_T_A, T0 + 1000, &ede));
	assert_int_equal(failcache_put(fc, qname, TERN_T_A, T0 + 1000, FWD_NO_EDE), 2000);
	assert_true(failcache_get(fc, qname, TERN_T_A, T0 + 2999, &ede));
	assert_int_equal(ede, FWD_NO_EDE);
	failcache_clear(fc, qname, TERN_T_A); /* answered: forgotten */
	assert_false(failcache_get(fc, qname, TERN_T_A, T0 + 1001, &ede));
	assert_int_equal(failcache_put(fc, qname, TERN_T_A, T0 + 3000, 22), 1000);
	failcache_free(fc);
}

/* The whole rule on the fake clock: an upstream that always answers
 * SERVFAIL is asked once per question, and the failure cache keeps three
 * client retries within the second from asking it again (the worker asks
 * the failure cache before it asks the policy). */
static void test_servfail_upstream_and_retries(void **st)
{
	(void)st;
	sim *s = sim_new(1, NULL);
	s->fake[0].b = SERVFAIL_EDE;
	failcache *fc = failcache_new(64);
	uint16_t ede;
	uint64_t start = s->now;
	for (int client = 0; client < 4; client++) {
		s->now = start + (uint64_t)client * 300;
		if (failcache_get(fc, qname, TERN_T_A, s->now, &ede)) {
			assert_int_equal(ede, 22);
			continue;
		}
		assert_int_equal(ask(s, 2500, 255), -1);
		failcache_put(fc, qname, TERN_T_A, s->now, s->a.ede);
	}
	assert_int_equal(s->fake[0].asked, 1);
	s->now = start + 1005 + 5; /* held 1 s from its failure (at +5 ms) */
	assert_false(failcache_get(fc, qname, TERN_T_A, s->now, &ede));
	failcache_free(fc);
	cache_free(s->c);
}

/* A truncated UDP answer is asked again of the same upstream over TCP, in
 * a try of its own. */
static void test_truncated_goes_to_tcp(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = TRUNCATE;
	s->fake[0].delay_ms = 300; /* UDP 300 ms, then TCP 300 ms: past the 400 ms UDP try */
	assert_int_equal(ask(s, 2500, 255), FWD_OK);
	assert_int_equal(s->asks, 1);
	assert_int_equal(s->now, T0 + 600);
	assert_int_equal(s->res.nrr, 1);
	cache_free(s->c);
}

/* A recovered upstream: marked slow by earlier timeouts, it still gets a
 * question when the coin says so, and answering brings its SRTT down. */
static void test_recovered_upstream_noticed(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = SILENT;
	for (int i = 0; i < 3; i++)
		assert_int_equal(ask(s, 2500, 255), FWD_OK);
	uint32_t slow = atomic_load(&s->set.ups[0].srtt_us);
	assert_true(slow >= 100000);
	s->fake[0].b = ANSWER;
	s->fake[0].delay_ms = 2;
	assert_int_equal(ask(s, 2500, 0), FWD_OK);
	assert_int_equal(s->log[s->asks - 1], 0);
	assert_true(atomic_load(&s->set.ups[0].srtt_us) < slow);
	assert_int_equal(atomic_load(&s->set.ups[0].timeouts), 0);
	cache_free(s->c);
}

/* The cache on the same fake clock: the answer's TTL counts down, expires
 * exactly, and when the upstream is gone the expired entry is served stale
 * (RFC 8767) once the question has failed. */
static void test_expiry_then_stale(void **st)
{
	(void)st;
	cache_opts o = {.stale_window = 60};
	sim *s = sim_new(1, &o);
	s->fake[0].ttl = 2;
	assert_int_equal(ask(s, 2500, 255), FWD_OK);
	uint64_t stored = s->now;
	cache_hit h;
	assert_int_equal(cache_get(s->c, qname, TERN_T_A, stored + 1500, false, NULL, qname, &h), 0);
	assert_int_equal(h.kind, CACHE_RRSET);
	assert_int_equal(h.ttl, 1);
	assert_int_equal(cache_get(s->c, qname, TERN_T_A, stored + 2000, false, NULL, qname, &h), 0);
	assert_int_equal(h.kind, CACHE_MISS); /* expired: ask again */
	s->now = stored + 2000;
	s->fake[0].b = SILENT;
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->now, stored + 4500);
	assert_int_equal(cache_get(s->c, qname, TERN_T_A, s->now, true, NULL, qname, &h), 0);
	assert_int_equal(h.kind, CACHE_RRSET);
	assert_true(h.stale);
	assert_int_equal(h.ttl, 30);
	cache_free(s->c);
}

/* No upstream at all: give up at once. */
static void test_no_upstream(void **st)
{
	(void)st;
	sim *s = sim_new(0, NULL);
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->now, T0);
	assert_int_equal(s->asks, 0);
	cache_free(s->c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_silent_gives_up_at_timeout),
		cmocka_unit_test(test_deadline_caps_the_try),
		cmocka_unit_test(test_failover_then_preference),
		cmocka_unit_test(test_fastest_preferred),
		cmocka_unit_test(test_sub_millisecond_rtt_measured),
		cmocka_unit_test(test_refusals_end_the_upstreams_part),
		cmocka_unit_test(test_servfail_with_ede_passed_on),
		cmocka_unit_test(test_unreachable_twice_each),
		cmocka_unit_test(test_silent_twice_each_last_try_to_deadline),
		cmocka_unit_test(test_down_then_fast_failure_and_probe),
		cmocka_unit_test(test_down_upstream_skipped),
		cmocka_unit_test(test_failure_cache_backoff),
		cmocka_unit_test(test_servfail_upstream_and_retries),
		cmocka_unit_test(test_truncated_goes_to_tcp),
		cmocka_unit_test(test_recovered_upstream_noticed),
		cmocka_unit_test(test_expiry_then_stale),
		cmocka_unit_test(test_no_upstream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
