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
#include "tern/msg.h"

enum behaviour { SILENT, ANSWER, REFUSE, UNREACHABLE, TRUNCATE };

typedef struct fake_upstream {
	enum behaviour b;
	uint32_t delay_ms; /* until its answer arrives */
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
	int len = tern_msgw_finish(&m, f->b == REFUSE ? TERN_R_REFUSED : TERN_R_NOERROR);
	assert_true(len > 0);
	return (size_t)len;
}

/* One question, from now, the way the worker drives it. Returns FWD_OK when
 * answered (s->res holds the answer, the cache has it) or -1 when it gave
 * up; s->now is then when. coin: the random byte for every pick. */
static int ask(sim *s, uint32_t timeout_ms, uint8_t coin)
{
	fwd_attempt a;
	fwd_attempt_init(&a, s->now, timeout_ms);
	for (;;) {
		enum fwd_step step = fwd_attempt_next(&a, &s->set, s->now, coin);
		if (step == FWD_STEP_GIVE_UP)
			return -1;
		if (step == FWD_STEP_WAIT) { /* the worker's timer fires at the end */
			assert_true(a.try_deadline > s->now);
			s->now = a.try_deadline;
			fwd_attempt_failed(&a, &s->set); /* a pause: counts nothing */
			continue;
		}
		fake_upstream *f = &s->fake[a.up];
		f->asked++;
		if (s->asks < LOG_MAX) {
			s->log[s->asks] = a.up;
			s->at[s->asks] = s->now;
		}
		s->asks++;
		if (f->b == UNREACHABLE) { /* send failed at once */
			fwd_attempt_failed(&a, &s->set);
			continue;
		}
		fwd_attempt_sent(&a, &s->set, s->now);
		bool tcp = false;
		for (;;) {
			if (f->b == SILENT || s->now + f->delay_ms >= a.try_deadline) {
				s->now = a.try_deadline; /* silence until the try's end */
				assert_true(fwd_attempt_due(&a, s->now));
				fwd_attempt_failed(&a, &s->set);
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
			fwd_attempt_answered(&a, &s->set, s->now);
			if (v == FWD_OK)
				return FWD_OK;
			break; /* FWD_BAD: the next upstream */
		}
	}
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

/* Refusals (an error rcode, FWD_BAD) end a try at once; when every upstream
 * refused, a 200 ms pause comes before the next round: a few asks per
 * round, not thousands, and SERVFAIL at the deadline. */
static void test_refusals_pause_between_rounds(void **st)
{
	(void)st;
	sim *s = sim_new(2, NULL);
	s->fake[0].b = s->fake[1].b = REFUSE;
	s->fake[0].delay_ms = s->fake[1].delay_ms = 1;
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->now, T0 + 2500);
	unsigned rounds = 2500 / (FWD_ROUND_PAUSE_MS + 2) + 1;
	assert_true(s->asks <= 2 * rounds);
	assert_true(s->asks >= 2 * (rounds - 1));
	/* two asks, then a pause */
	assert_int_equal(s->at[2] - s->at[1], 1 + FWD_ROUND_PAUSE_MS);
	/* an answering upstream is not a dead one: its RTT was sampled */
	assert_int_equal(atomic_load(&s->set.ups[0].timeouts), 0);
	cache_free(s->c);
}

/* Unreachable upstreams (the send fails at once) are no tight loop either. */
static void test_unreachable_pause_between_rounds(void **st)
{
	(void)st;
	sim *s = sim_new(3, NULL);
	s->fake[0].b = s->fake[1].b = s->fake[2].b = UNREACHABLE;
	assert_int_equal(ask(s, 2500, 255), -1);
	assert_int_equal(s->now, T0 + 2500);
	assert_true(s->asks <= 3 * (2500 / FWD_ROUND_PAUSE_MS + 1));
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
		cmocka_unit_test(test_refusals_pause_between_rounds),
		cmocka_unit_test(test_unreachable_pause_between_rounds),
		cmocka_unit_test(test_truncated_goes_to_tcp),
		cmocka_unit_test(test_recovered_upstream_noticed),
		cmocka_unit_test(test_expiry_then_stale),
		cmocka_unit_test(test_no_upstream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
