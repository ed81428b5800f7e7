/* failcache.h: the resolution-failure cache (RFC 9520 3.2).
 *
 * A question (name, type) whose upstreams all failed (SERVFAIL, REFUSED,
 * silence, unreachable) is remembered for a while, and no upstream is asked
 * it again until the hold ends: the client gets SERVFAIL (or stale data) at
 * once. The hold is fwd_failure_hold_ms (attempt.h): 1 s at first, doubled
 * while the question keeps failing, up to 5 minutes; an answer forgets it.
 *
 * Bounded: a fixed number of slots, one per question by hash (a new failure
 * takes the slot of an older one; losing one only costs an upstream query).
 * Names compare case-insensitively. Thread safety: every function may be
 * called from any thread; a slot is guarded by one of a few striped locks.
 * Used on the cache-miss path only (never on a cache hit). */
#ifndef TERN_RESOLVE_FAILCACHE_H
#define TERN_RESOLVE_FAILCACHE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct failcache failcache;

/* slots: how many failures it can hold (rounded up to a power of two).
 * Returns NULL when out of memory. */
failcache *failcache_new(unsigned slots);
void failcache_free(failcache *fc);

/* Remembers a failure of (name, qtype) at now, with the Extended DNS Error
 * to give (FWD_NO_EDE: none of the upstream's). Returns the hold in ms. */
uint32_t failcache_put(failcache *fc, const uint8_t *name, uint16_t qtype, uint64_t now, uint16_t ede);

/* Whether (name, qtype) is held as failed at now; *ede: its error code. */
bool failcache_get(failcache *fc, const uint8_t *name, uint16_t qtype, uint64_t now, uint16_t *ede);

/* (name, qtype) was answered: its failures are forgotten. */
void failcache_clear(failcache *fc, const uint8_t *name, uint16_t qtype);

#endif
