/* stats.h: ternd's counters (issue 13 item 2).
 *
 * Each worker owns one worker_stats, written by that worker alone with a
 * relaxed load and store (no locked instruction, no lock), padded to its
 * own cache lines so no other thread writes a line it holds. Readers (the
 * main thread for SIGUSR1, the control and metrics threads) sum every
 * worker's copy into a stats_snap when asked; a sum may be a few queries
 * behind, never torn (every counter is one aligned 64-bit word).
 *
 * Zones and upstreams come and go at run time, so their counters are kept
 * by slot: the server gives each zone origin and each upstream address a
 * slot the first time a version holding it is published (stats_assign) and
 * keeps it for the life of the process. Past STATS_ZONES zones (or
 * STATS_UPSTREAMS upstreams) the rest share slot 0, reported as "other".
 *
 * Counters only grow. `ternctl stats --reset` keeps a baseline that later
 * `ternctl stats` and SIGUSR1 subtract; /metrics always reports the totals
 * since start, as Prometheus counters must. */
#ifndef TERN_SERVER_STATS_H
#define TERN_SERVER_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/name.h"

enum stats_transport { STATS_UDP, STATS_TCP, STATS_DOT, STATS_DOH, STATS_TRANSPORTS };

/* Where an answer came from (the last source of a chain). */
enum stats_source {
	STATS_SRC_NONE,     /* errors, refusals, CHAOS, failures */
	STATS_SRC_ZONE,
	STATS_SRC_LOCAL,
	STATS_SRC_CACHE,
	STATS_SRC_UPSTREAM,
	STATS_SRC_STALE,    /* RFC 8767 */
	STATS_SRC_BLOCKED,  /* block lists or RPZ (the query name or a CNAME target) */
	STATS_SOURCES
};

#define STATS_QTYPES 24      /* index 0: every type not in the table */
#define STATS_RCODES 17      /* 0..15, and 16: BADVERS and above */
#define STATS_ZONE_RCODES 5  /* NOERROR, NXDOMAIN, SERVFAIL, REFUSED, other */
#define STATS_ZONES 256
#define STATS_UPSTREAMS 64
#define STATS_LAT_BUCKETS 12 /* the last one is +Inf */

/* Upper bounds of the latency buckets, in microseconds (Prometheus: le). */
extern const uint32_t stats_lat_bounds_us[STATS_LAT_BUCKETS - 1];

typedef struct worker_stats {
	uint64_t queries[STATS_TRANSPORTS][STATS_QTYPES]; /* received (parsed or not) */
	uint64_t opcodes[16];
	uint64_t rcodes[STATS_RCODES];    /* responses made (before rate limiting) */
	uint64_t sources[STATS_SOURCES];  /* the same responses by source */
	uint64_t responses;
	uint64_t dropped;                 /* no response: not a query at all */
	uint64_t forwarded;               /* queries that waited for an upstream */
	uint64_t rrl_dropped, rrl_slipped;
	uint64_t tcp_accepted, tcp_closed, tcp_closed_idle, tcp_evicted;
	uint64_t up_queries[STATS_UPSTREAMS];  /* questions sent (UDP or TCP) */
	uint64_t up_answers[STATS_UPSTREAMS];  /* usable answers */
	uint64_t up_failures[STATS_UPSTREAMS]; /* error rcode, bad answer, unreachable */
	uint64_t up_timeouts[STATS_UPSTREAMS];
	uint64_t up_latency[STATS_UPSTREAMS][STATS_LAT_BUCKETS]; /* not cumulative */
	uint64_t up_latency_us[STATS_UPSTREAMS]; /* sum */
	uint64_t zone_queries[STATS_ZONES];
	uint64_t zone_rcodes[STATS_ZONES][STATS_ZONE_RCODES];
} __attribute__((aligned(64))) worker_stats;

#define STATS_WORDS (sizeof(worker_stats) / sizeof(uint64_t))

/* Adds n to one counter of the calling worker's own stats. */
#define STATS_ADD(st, field, n)                                                                                \
	__atomic_store_n(&(st)->field, __atomic_load_n(&(st)->field, __ATOMIC_RELAXED) + (uint64_t)(n),     \
	                 __ATOMIC_RELAXED)

/* The fixed table of query types counted one by one; others count at 0. */
unsigned stats_qtype_index(uint16_t qtype);
uint16_t stats_qtype_at(unsigned index); /* 0 for index 0 ("other") */
unsigned stats_zone_rcode_index(unsigned rcode);
unsigned stats_lat_bucket(uint64_t us);
const char *stats_source_name(unsigned source);
const char *stats_transport_name(unsigned transport);
const char *stats_rcode_name(unsigned rcode, char *buf, size_t cap); /* "NOERROR", or "RCODE23" */
const char *stats_opcode_name(unsigned opcode, char *buf, size_t cap);

/* The slot tables (see above). Written by whoever publishes (under the
 * server's change_lock, or before the workers start); read by anyone:
 * a slot's name is written before the count that covers it is released. */
typedef struct stats_names {
	_Atomic unsigned nzones, nups;
	uint8_t zone[STATS_ZONES][TERN_NAME_MAX];
	char up[STATS_UPSTREAMS][64];
} stats_names;

/* The slot of a zone origin / upstream address, made if new (writer only). */
unsigned stats_zone_slot(stats_names *n, const uint8_t *origin);
unsigned stats_upstream_slot(stats_names *n, const char *text);

/* A sum of every worker's counters, plus what the server keeps itself. */
typedef struct stats_snap {
	worker_stats w;
	uint64_t reloads_ok, reloads_failed, zone_changes;
	uint64_t cache_entries, cache_bytes, cache_hits, cache_misses, cache_evictions, cache_inserts;
	unsigned waiting; /* clients waiting on upstream answers now */
	double uptime_s;
	unsigned workers;
	size_t zones;
	int have_cache;
	int have_qlog; /* the query log (src/ctl/qlog.h) is on */
	uint64_t qlog_written, qlog_dropped_full, qlog_dropped_write;
	int have_dnstap; /* dnstap (src/ctl/dnstap.h) is on */
	uint64_t dnstap_written, dnstap_dropped;
} stats_snap;

/* Adds src's counters into dst (src is a live worker's: relaxed loads). */
void stats_add(worker_stats *dst, const worker_stats *src);
/* dst -= base, counter by counter (for --reset). */
void stats_sub(worker_stats *dst, const worker_stats *base);

#endif
