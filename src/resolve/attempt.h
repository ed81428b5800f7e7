/* attempt.h: the retry policy for one upstream question, the health of the
 * upstreams, and the hold of a failed question, apart from sockets and
 * clocks.
 *
 * The worker (src/server/worker.c) does the I/O and reads the clock; this
 * module only decides: which upstream to ask next, how long to wait for it,
 * when to start a new round, when to give up; when an upstream counts as
 * down and when it may be probed; how long a failure is remembered. Time
 * comes in as a number (milliseconds of any monotonic clock) and randomness
 * as a byte, so a test can drive a question through a fake network and a
 * fake clock and check every timing rule exactly (tests/unit/test_attempt.c).
 *
 * The rules of a question:
 *  - ask the fastest upstream (smoothed RTT) not asked yet this round and
 *    not down; now and then (coin < 8 of 256) another one, so a changed
 *    upstream is seen;
 *  - a try lasts 4 x that upstream's SRTT, kept within [100, 1000] ms
 *    (400 ms for one never measured); silence past it counts as a timeout,
 *    which also raises that upstream's SRTT so it is asked later next time;
 *  - an unreachable upstream (the send failed, or ICMP port unreachable:
 *    ECONNREFUSED on the connected socket) ends the try at once, as a
 *    failure;
 *  - an error rcode (SERVFAIL, REFUSED, ...) or an unusable answer ends that
 *    upstream's part in the question: it is not asked again for it;
 *  - each upstream is asked at most FWD_MAX_TRIES (2) times per question
 *    (RFC 9520 3.1: no more than three); the last possible try lasts until
 *    the question's deadline, so a slow answer is still taken;
 *  - when every upstream still in play was asked this round, wait 200 ms
 *    before the next round: never a tight loop against a failing upstream;
 *  - when no upstream is left in play, the question fails at once;
 *  - a truncated answer is asked again of the same upstream over TCP, a try
 *    of its own of 1 s;
 *  - at the deadline (forward-timeout after the first try) the question
 *    fails: the client gets SERVFAIL, or stale data (RFC 8767).
 * Every deadline is capped by the question's deadline.
 *
 * The health of an upstream (shared by every worker, atomics only):
 *  - FWD_DOWN_AFTER (3) failures in a row (timeouts, unreachable) over at
 *    least FWD_DOWN_SPAN_MS (1 s) with no answer between mark it down (so a
 *    burst of questions timing out together at a slow but live upstream
 *    does not); any answer from it marks it up again;
 *  - a down upstream is not asked; when every upstream of a set is down,
 *    a question for that set fails at once (the worker answers SERVFAIL,
 *    or stale data) and asks nobody, except for one probe at a time: at
 *    most one per set every FWD_PROBE_MS, a single try of one down upstream
 *    (round robin), whose answer brings it back.
 *
 * The hold of a failure (RFC 9520 3.2, the failure cache in failcache.h):
 * at least 1 s, doubled for each failure that follows the previous hold's
 * end closely, up to 5 minutes. */
#ifndef TERN_RESOLVE_ATTEMPT_H
#define TERN_RESOLVE_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "resolve/forward.h"

#define FWD_ROUND_PAUSE_MS 200
#define FWD_TCP_TRY_MS 1000
#define FWD_MAX_TRIES 2          /* asks of one upstream for one question */
#define FWD_DOWN_AFTER 3         /* failures in a row that mark an upstream down */
#define FWD_DOWN_SPAN_MS 1000    /* ... the first and the last this far apart */
#define FWD_PROBE_MS 1000        /* one probe per set at most this often */
#define FWD_FAIL_HOLD_MIN_MS 1000u
#define FWD_FAIL_HOLD_MAX_MS 300000u

typedef struct fwd_attempt {
	uint32_t tried;        /* upstreams asked this round (a bit each) */
	uint32_t done;         /* upstreams out of this question (answered an
	                          error, or asked FWD_MAX_TRIES times) */
	uint8_t tries[FWD_MAX_UPSTREAMS];
	int up;                /* the upstream asked now; -1 while waiting */
	bool waiting;          /* between rounds, until try_deadline */
	bool probe;            /* a probe: one try of one upstream */
	unsigned rcode;        /* the last error rcode an upstream answered; 0: none did */
	uint16_t ede;          /* the Extended DNS Error it gave, or FWD_NO_EDE */
	uint64_t try_deadline; /* when the current try (or pause) ends */
	uint64_t deadline;     /* when the question fails */
} fwd_attempt;

enum fwd_step {
	FWD_STEP_ASK,     /* ask upstream a->up now, then call fwd_attempt_sent */
	FWD_STEP_WAIT,    /* nothing to do until a->try_deadline */
	FWD_STEP_GIVE_UP, /* the question failed */
};

/* A new question at now that may take timeout_ms in all. */
void fwd_attempt_init(fwd_attempt *a, uint64_t now, uint32_t timeout_ms);
/* A probe of upstream up (from fwd_probe_claim): one try, then give up. */
void fwd_attempt_probe(fwd_attempt *a, uint64_t now, uint32_t timeout_ms, int up);

/* What to do at now, after init or after the current try ended (answer
 * unusable, silence, unreachable, end of a pause). coin: a random byte. */
enum fwd_step fwd_attempt_next(fwd_attempt *a, const upstream_set *s, uint64_t now, uint8_t coin);

/* The query to a->up left at now: the try's time starts. */
void fwd_attempt_sent(fwd_attempt *a, const upstream_set *s, uint64_t now);

/* A truncated answer came: the same upstream is asked over TCP, a try of
 * its own. */
void fwd_attempt_tcp(fwd_attempt *a, uint64_t now);

/* Whether the current try (or pause) is over at now. */
bool fwd_attempt_due(const fwd_attempt *a, uint64_t now);

/* The upstream asked answered (usable or not) rtt_us after the try left:
 * its RTT is sampled and it is up. Returns true if it was down until now.
 * The caller measures rtt_us with a microsecond clock: the millisecond
 * clock the rest of the policy runs on rounds a LAN's RTT to 0. */
bool fwd_attempt_answered(fwd_attempt *a, upstream_set *s, uint32_t rtt_us);

/* The upstream asked answered with an error rcode (or something unusable:
 * rcode 0) and maybe an Extended DNS Error (FWD_NO_EDE: none): its part in
 * this question is over. */
void fwd_attempt_error(fwd_attempt *a, unsigned rcode, uint16_t ede);

/* The upstream asked was silent until the try's end, or could not be
 * reached: a failure for it. Nothing happens during a pause. Returns true
 * if this failure marked it down. */
bool fwd_attempt_failed(fwd_attempt *a, upstream_set *s, uint64_t now);

/* ---- the health of upstreams ---- */

bool fwd_up_down(const upstream *u);
/* Every upstream of s is down (false for an empty set). */
bool fwd_set_down(const upstream_set *s);
/* A down upstream of s to probe now, or -1: not yet (one per set every
 * FWD_PROBE_MS, counted from the last probe or the last one going down),
 * or none is down. Thread-safe: of callers at the same time one wins. */
int fwd_probe_claim(upstream_set *s, uint64_t now);

/* ---- the failure cache's rule (RFC 9520 3.2) ---- */

/* How long to hold a failure of a question at now, given the hold of its
 * previous failure (0: none known) and when that hold ended: 1 s at first;
 * doubled, up to 5 minutes, when this failure comes within one hold's
 * length after the previous hold ended (it kept failing); 1 s again after
 * a longer quiet time. */
uint32_t fwd_failure_hold_ms(uint32_t prev_hold_ms, uint64_t prev_until, uint64_t now);

#endif
