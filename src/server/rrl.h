/* rrl.h: response rate limiting (RRL) for UDP answers, shared by all workers.
 *
 * A token bucket per flow, a flow being (client network, response kind,
 * name, and for positive answers the query type): the key BIND, NSD and
 * Knot use, so that a spoofed flood aimed at one victim network is cut
 * down while other networks and other names are answered normally.
 * Each bucket is refilled at `rate` tokens per second and holds at most
 * half a second's worth (rate / 2 rounded up, at least 1: the burst). A
 * response passes if its bucket holds a whole token; every response costs
 * one token, a limited one too, so the balance goes into debt, down to one
 * second's refill below zero (BIND's balance with a one-second window). A
 * flow that keeps going over its limit therefore stays limited for as
 * long as it does (a flood gets its burst, then nothing; a plain token
 * bucket would let `rate` a second through); one that stops is answered
 * again after about a second, and has its whole burst back 1.5 s later. A
 * flow at or under its rate is never limited. Every `slip`-th limited
 * response of a bucket is RRL_SLIP (the caller sends it truncated, TC=1
 * with no records, so a real client retries over TCP, which RRL never
 * limits), the others RRL_DROP.
 *
 * Memory is fixed at rrl_new: a table of `buckets` buckets (32 bytes each)
 * that never grows; a new flow takes the least recently used bucket of its
 * set. Nothing allocates after rrl_new.
 *
 * Thread safety: rrl_check and rrl_get_stats may be called from any number
 * of threads at once (striped locks, one held at a time, never nested);
 * rrl_new/rrl_free are not concurrent with anything. */
#ifndef TERN_SERVER_RRL_H
#define TERN_SERVER_RRL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct rrl rrl;

#define RRL_RATE_MAX 1000000u /* larger rates are clamped */

typedef struct rrl_opts {
	unsigned rate;      /* responses per second per bucket (half of it the burst); 0 = off */
	unsigned slip;      /* every Nth limited response is sent truncated (TC=1);
	                       0 = never (drop all), 1 = always. NB: 0 is a real
	                       value here, not the default (2): start from
	                       rrl_opts_default() */
	unsigned v4_prefix; /* 1..32; 0 = default 24 */
	unsigned v6_prefix; /* 1..128; 0 = default 56 */
	size_t buckets;     /* table size; 0 = default 65536. Rounded up to a
	                       power of two, at least 64, at most 2^24 */
} rrl_opts;

/* The defaults: rate 0 (off), slip 2, /24, /56, 65536 buckets. Callers set
 * rate (and whatever else they configure) on top of these. */
rrl_opts rrl_opts_default(void);

/* Returns a new table, or NULL when out of memory. o NULL means the
 * defaults (and so RRL off). Prefixes over 32/128 are clamped, rates over
 * RRL_RATE_MAX likewise. */
rrl *rrl_new(const rrl_opts *o);
void rrl_free(rrl *r);

/* What the response is. The kind is part of the bucket key, so that, say,
 * a flood of NXDOMAIN answers does not use up the budget of positive ones. */
enum rrl_kind {
	RRL_ANSWER,   /* NOERROR with records in the answer section */
	RRL_NXDOMAIN, /* name error */
	RRL_NODATA,   /* NOERROR, empty answer (not a referral) */
	RRL_REFERRAL, /* delegation to a child zone */
	RRL_ERROR,    /* SERVFAIL, REFUSED, FORMERR, NOTIMP, ... */
	RRL_WILDCARD, /* an answer synthesized from a wildcard */
};

enum rrl_action { RRL_PASS, RRL_DROP, RRL_SLIP };

/* Charges one response to its bucket and says what to do with it.
 *
 * client: the client's address (AF_INET or AF_INET6; an IPv4-mapped IPv6
 *   address counts as IPv4). Other families, a NULL client, a NULL r or a
 *   rate of 0 give RRL_PASS.
 * name: the name that identifies the response, in wire form, so that
 *   responses an attacker can vary at will share one bucket:
 *     RRL_ANSWER, RRL_NODATA: the QNAME;
 *     RRL_NXDOMAIN, RRL_REFERRAL: the apex of the zone answering (for a
 *       referral the delegation point does as well);
 *     RRL_WILDCARD: the wildcard's owner (or the zone apex);
 *     RRL_ERROR: NULL (all errors to one network share a bucket; a zone
 *       apex may be given instead when one is known).
 *   Compared ignoring ASCII case. NULL is allowed for every kind.
 * qtype: part of the key for RRL_ANSWER only; ignored otherwise, so that
 *   varying the type cannot multiply the buckets of empty or negative
 *   answers.
 * now_ms: the caller's monotonic clock in milliseconds; it may differ a
 *   little between threads (a bucket never refills for time going back).
 *
 * Only UDP responses should be checked (TCP proves the source address), and
 * not responses to clients with a valid DNS Cookie (RFC 7873 / 9018). */
enum rrl_action rrl_check(rrl *r, const struct sockaddr *client, enum rrl_kind kind, const uint8_t *name,
                          uint16_t qtype, uint64_t now_ms);

typedef struct rrl_stats {
	uint64_t passed, dropped, slipped;
	uint64_t evictions; /* a flow replaced an older flow's bucket */
} rrl_stats;

/* Sums the counters of all stripes (each consistent, the sum approximate
 * while other threads run). */
void rrl_get_stats(rrl *r, rrl_stats *out);

#endif
