/* attempt.c: the retry policy for one upstream question, the health of the
 * upstreams, the hold of failures (see attempt.h). */
#include "resolve/attempt.h"

static uint64_t cap(const fwd_attempt *a, uint64_t t)
{
	return t < a->deadline ? t : a->deadline;
}

/* ---- the health of upstreams ---- */

bool fwd_up_down(const upstream *u)
{
	return atomic_load(&u->down);
}

static uint32_t down_mask(const upstream_set *s)
{
	uint32_t m = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (fwd_up_down(&s->ups[i]))
			m |= 1u << i;
	return m;
}

bool fwd_set_down(const upstream_set *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!fwd_up_down(&s->ups[i]))
			return false;
	return s->n > 0;
}

int fwd_probe_claim(upstream_set *s, uint64_t now)
{
	uint64_t due = atomic_load(&s->probe_ms);
	if (now < due || !down_mask(s))
		return -1;
	/* one winner: the one that moves the set's next probe time */
	if (!atomic_compare_exchange_strong(&s->probe_ms, &due, now + FWD_PROBE_MS))
		return -1;
	for (unsigned k = 0; k < s->n; k++) { /* round robin over the down ones */
		unsigned i = atomic_fetch_add(&s->probe_next, 1) % s->n;
		if (fwd_up_down(&s->ups[i]))
			return (int)i;
	}
	return -1;
}

/* Marks a failure of u at now; true when it made u down. */
static bool up_failed(upstream_set *s, upstream *u, uint64_t now)
{
	fwd_rtt_timeout(u);
	uint32_t n = atomic_load(&u->timeouts);
	if (n == 1)
		atomic_store(&u->fail_since_ms, now);
	if (n < FWD_DOWN_AFTER || now - atomic_load(&u->fail_since_ms) < FWD_DOWN_SPAN_MS ||
	    atomic_exchange(&u->down, true))
		return false;
	/* just went down: the first probe of the set comes FWD_PROBE_MS later */
	uint64_t due = atomic_load(&s->probe_ms);
	while (due < now + FWD_PROBE_MS && !atomic_compare_exchange_weak(&s->probe_ms, &due, now + FWD_PROBE_MS))
		;
	return true;
}

/* ---- one question ---- */

void fwd_attempt_init(fwd_attempt *a, uint64_t now, uint32_t timeout_ms)
{
	*a = (fwd_attempt){.up = -1, .ede = FWD_NO_EDE, .try_deadline = now,
	                   .deadline = now + timeout_ms};
}

void fwd_attempt_probe(fwd_attempt *a, uint64_t now, uint32_t timeout_ms, int up)
{
	fwd_attempt_init(a, now, timeout_ms);
	a->probe = true;
	a->up = up;
}

/* The upstreams still in play: not out of the question, not down. */
static uint32_t in_play(const fwd_attempt *a, const upstream_set *s)
{
	uint32_t all = s->n >= 32 ? UINT32_MAX : (1u << s->n) - 1;
	return all & ~a->done & ~down_mask(s);
}

static enum fwd_step ask(fwd_attempt *a, int up)
{
	a->waiting = false;
	a->up = up;
	a->tried |= 1u << up;
	if (++a->tries[up] >= FWD_MAX_TRIES)
		a->done |= 1u << up;
	return FWD_STEP_ASK;
}

enum fwd_step fwd_attempt_next(fwd_attempt *a, const upstream_set *s, uint64_t now, uint8_t coin)
{
	if (now >= a->deadline || !s->n)
		return FWD_STEP_GIVE_UP;
	if (a->probe) { /* one try: asked once, then over */
		if (a->tried || a->up < 0 || (unsigned)a->up >= s->n)
			return FWD_STEP_GIVE_UP;
		return ask(a, a->up);
	}
	uint32_t play = in_play(a, s);
	if (!play)
		return FWD_STEP_GIVE_UP; /* nobody left to ask: fail now, not at the deadline */
	if (!a->waiting) {
		int up = fwd_pick(s, ~play | a->tried, coin);
		if (up >= 0)
			return ask(a, up);
		/* every upstream in play was asked this round: pause first */
		a->waiting = true;
		a->tried = 0;
		a->up = -1;
		a->try_deadline = cap(a, now + FWD_ROUND_PAUSE_MS);
		return FWD_STEP_WAIT;
	}
	/* the pause is over: a new round */
	a->tried = 0;
	int up = fwd_pick(s, ~play, coin);
	return up < 0 ? FWD_STEP_GIVE_UP : ask(a, up);
}

void fwd_attempt_sent(fwd_attempt *a, const upstream_set *s, uint64_t now)
{
	uint32_t srtt_ms = atomic_load(&s->ups[a->up].srtt_us) / 1000;
	uint64_t t = srtt_ms ? 4 * (uint64_t)srtt_ms : 400;
	t = t < 100 ? 100 : (t > 1000 ? 1000 : t);
	/* the last ask this question can make waits for as long as it may */
	if (!a->probe && !in_play(a, s))
		t = a->deadline - now;
	a->try_deadline = cap(a, now + t);
}

void fwd_attempt_tcp(fwd_attempt *a, uint64_t now)
{
	a->try_deadline = cap(a, now + FWD_TCP_TRY_MS);
}

bool fwd_attempt_due(const fwd_attempt *a, uint64_t now)
{
	return now >= a->try_deadline;
}

bool fwd_attempt_answered(fwd_attempt *a, upstream_set *s, uint32_t rtt_us)
{
	if (a->up < 0)
		return false;
	upstream *u = &s->ups[a->up];
	fwd_rtt_sample(u, rtt_us);
	return atomic_exchange(&u->down, false);
}

void fwd_attempt_error(fwd_attempt *a, unsigned rcode, uint16_t ede)
{
	if (a->up < 0)
		return;
	a->done |= 1u << a->up;
	if (rcode) {
		a->rcode = rcode;
		if (ede != FWD_NO_EDE || a->ede == FWD_NO_EDE)
			a->ede = ede;
	}
}

bool fwd_attempt_failed(fwd_attempt *a, upstream_set *s, uint64_t now)
{
	if (a->up < 0 || a->waiting)
		return false;
	return up_failed(s, &s->ups[a->up], now);
}

/* ---- the failure cache's rule ---- */

uint32_t fwd_failure_hold_ms(uint32_t prev_hold_ms, uint64_t prev_until, uint64_t now)
{
	if (!prev_hold_ms || now > prev_until + prev_hold_ms)
		return FWD_FAIL_HOLD_MIN_MS;
	uint64_t h = (uint64_t)prev_hold_ms * 2;
	return h > FWD_FAIL_HOLD_MAX_MS ? FWD_FAIL_HOLD_MAX_MS : (uint32_t)h;
}
