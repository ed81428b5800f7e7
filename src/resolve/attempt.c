/* attempt.c: the retry policy for one upstream question (see attempt.h). */
#include "resolve/attempt.h"

static uint64_t cap(const fwd_attempt *a, uint64_t t)
{
	return t < a->deadline ? t : a->deadline;
}

void fwd_attempt_init(fwd_attempt *a, uint64_t now, uint32_t timeout_ms)
{
	a->tried = 0;
	a->up = -1;
	a->waiting = false;
	a->sent_ms = now;
	a->try_deadline = now;
	a->deadline = now + timeout_ms;
}

enum fwd_step fwd_attempt_next(fwd_attempt *a, const upstream_set *s, uint64_t now, uint8_t coin)
{
	if (now >= a->deadline || !s->n)
		return FWD_STEP_GIVE_UP;
	int up = fwd_pick(s, a->tried, coin);
	if (up < 0 && !a->waiting) {
		/* every upstream failed this round: pause before the next */
		a->waiting = true;
		a->tried = 0;
		a->up = -1;
		a->try_deadline = cap(a, now + FWD_ROUND_PAUSE_MS);
		return FWD_STEP_WAIT;
	}
	if (up < 0) { /* the pause is over: a new round */
		a->tried = 0;
		up = fwd_pick(s, 0, coin);
	}
	a->waiting = false;
	a->up = up;
	a->tried |= 1u << up;
	return FWD_STEP_ASK;
}

void fwd_attempt_sent(fwd_attempt *a, const upstream_set *s, uint64_t now)
{
	uint32_t srtt_ms = atomic_load(&s->ups[a->up].srtt_us) / 1000;
	uint64_t t = srtt_ms ? 4 * (uint64_t)srtt_ms : 400;
	t = t < 100 ? 100 : (t > 1000 ? 1000 : t);
	a->sent_ms = now;
	a->try_deadline = cap(a, now + t);
}

void fwd_attempt_tcp(fwd_attempt *a, uint64_t now)
{
	a->sent_ms = now;
	a->try_deadline = cap(a, now + FWD_TCP_TRY_MS);
}

bool fwd_attempt_due(const fwd_attempt *a, uint64_t now)
{
	return now >= a->try_deadline;
}

void fwd_attempt_answered(fwd_attempt *a, upstream_set *s, uint64_t now)
{
	if (a->up >= 0)
		fwd_rtt_sample(&s->ups[a->up], (uint32_t)((now - a->sent_ms) * 1000));
}

void fwd_attempt_failed(fwd_attempt *a, upstream_set *s)
{
	if (a->up >= 0 && !a->waiting)
		fwd_rtt_timeout(&s->ups[a->up]);
}
