/* attempt.h: the retry policy for one upstream question, apart from its
 * sockets and its clock.
 *
 * The worker (src/server/worker.c) does the I/O and reads the clock; this
 * module only decides: which upstream to ask next, how long to wait for it,
 * when to start a new round, when to give up. Time comes in as a number
 * (milliseconds of any monotonic clock) and randomness as a byte, so a test
 * can drive a question through a fake network and a fake clock and check
 * every timing rule exactly (tests/unit/test_attempt.c).
 *
 * The rules:
 *  - ask the fastest upstream (smoothed RTT) not asked yet this round; now
 *    and then (coin < 8 of 256) another one, so a recovered upstream is seen;
 *  - a try lasts 4 x that upstream's SRTT, kept within [100, 1000] ms
 *    (400 ms for one never measured); silence past it counts as a timeout,
 *    which also raises that upstream's SRTT so it is asked later next time;
 *  - an error rcode, a refusal or an unreachable upstream ends the try at
 *    once and the next upstream is asked;
 *  - when every upstream failed this round, wait 200 ms before the next
 *    round: never a tight loop against a dead or failing upstream;
 *  - a truncated answer is asked again of the same upstream over TCP, a try
 *    of its own of 1 s;
 *  - at the deadline (forward-timeout after the first try) the question
 *    fails: the client gets SERVFAIL, or stale data (RFC 8767).
 * Every deadline is capped by the question's deadline. */
#ifndef TERN_RESOLVE_ATTEMPT_H
#define TERN_RESOLVE_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "resolve/forward.h"

#define FWD_ROUND_PAUSE_MS 200
#define FWD_TCP_TRY_MS 1000

typedef struct fwd_attempt {
	uint32_t tried;        /* upstreams asked this round (a bit each) */
	int up;                /* the upstream asked now; -1 while waiting */
	bool waiting;          /* between rounds, until try_deadline */
	uint64_t sent_ms;      /* when the current try left */
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

/* The upstream asked answered at now (usable or not): its RTT is sampled. */
void fwd_attempt_answered(fwd_attempt *a, upstream_set *s, uint64_t now);

/* The upstream asked was silent until the try's end, or could not be
 * reached: a timeout for it. Nothing happens during a pause. */
void fwd_attempt_failed(fwd_attempt *a, upstream_set *s);

#endif
