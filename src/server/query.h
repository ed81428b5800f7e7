/* query.h: from one query packet to one response packet. Used by the UDP
 * and TCP paths alike; takes no lock except the cache's stripe locks, and
 * allocates nothing.
 *
 * The order of answer sources: local records, then the served zones, then
 * (for clients the ACL allows, when upstreams exist and RD=1) the cache,
 * then an upstream query. A CNAME chain may start in local data or a zone
 * and continue in the cache or upstream. */
#ifndef TERN_SERVER_QUERY_H
#define TERN_SERVER_QUERY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"
#include "resolve/attempt.h"
#include "resolve/cache.h"
#include "resolve/failcache.h"
#include "resolve/forward.h"
#include "server/config.h"
#include "server/cookie.h"
#include "server/rrl.h"

/* Forwarding state shared by all versions and workers; made at start-up.
 * The upstreams are per version (a reload replaces them). */
typedef struct resolver {
	cache *cache;
	fwd_table *table;
	failcache *failures; /* RFC 9520: questions that failed lately */
	atomic_uint waiters; /* clients waiting on upstream answers, in all */
	unsigned max_waiters;
} resolver;

/* One version's upstream sets (server.h: upstreams_new, _hold, _release). */
typedef struct upstreams {
	atomic_uint refs;
	unsigned nsets;
	upstream_set *sets; /* sets[0]: the default upstreams (may be empty) */
} upstreams;

/* What a worker sees of one published server version. */
typedef struct version {
	config cfg;
	db_set *zones;
	db_zone *local; /* local records, or NULL */
	resolver *res;  /* NULL: no forwarding at all */
	upstreams *ups; /* with res: the upstreams (held by the version) */
	rrl *rrl;       /* response rate limiting (shared), or NULL */
	const cookie_secret *cookie; /* server cookie secret, or NULL */
	struct secondary *sec; /* secondary zones' thread (src/xfr/secondary.h), or NULL */
	uint64_t generation;
	/* Versions made by version_derive share cfg's storage (a shallow copy)
	 * and count here who holds it; the last one frees it. */
	atomic_uint *cfg_refs;
} version;

typedef struct qctx {
	/* in */
	bool tcp;
	bool allowed;            /* the ACL lets this client use forwarding */
	uint64_t now_ms;         /* the cache's clock */
	const fwd_result *fr;    /* re-answering a waiter: the upstream's answer */
	const struct sockaddr *client; /* for cookies (may be NULL) */
	/* out */
	bool forward;            /* nothing sent: ask upstream for (name, type) */
	bool xfr;                /* nothing sent: an AXFR/IXFR for xfr_respond (xfr/xfr.h) */
	bool prefetch;           /* answered, but refresh (name, type) upstream */
	bool probe;              /* answered (every upstream of its set is down), but
	                            probe one with (name, type) if one is due */
	bool stale;              /* stale data was served (RFC 8767) */
	uint16_t ede;            /* the Extended DNS Error of this answer, or FWD_NO_EDE */
	bool ede_cached;         /* a cached failure: also EDE 13 (Cached Error) */
	const char *ede_text;    /* its EXTRA-TEXT, or NULL */
	uint8_t name[TERN_NAME_MAX];
	uint16_t type;
	bool cd;                 /* ask (name, type) with CD=1 (the client's CD, RFC 4035 3.2.2;
	                            always when validating) */
	/* DNSSEC validation (src/validate/): how many cached RRsets and negative
	 * entries of this answer were secure, and how many were not (or were
	 * not judged); why the answer is bogus (the EDE 6 text) */
	unsigned val_secure, val_other;
	char val_why[96];
	/* for response rate limiting (UDP) */
	bool cookie_ok;          /* the client proved its address with our cookie */
	enum rrl_kind rrl_kind;
	const uint8_t *rrl_name; /* points into rrl_qname or the zone data */
	uint8_t rrl_qname[TERN_NAME_MAX]; /* not name[]: that is the prefetch's */
	uint16_t qtype;
	size_t question_end;     /* where a truncated (slipped) answer ends */
	bool referral, wildcard;
	const uint8_t *apex;
	/* TSIG (RFC 8945): the key that verified this query, NULL if it was
	 * unsigned or failed (then it got NOTAUTH); lives as long as v. For
	 * what comes later: transfers, UPDATE, NOTIFY, ACLs naming keys. */
	const tern_tsig_key *tsig_key;
} qctx;

/* Writes the response to pkt into out (cap bytes, at least 65535 for TCP)
 * and returns its length, or 0 when nothing is to be sent now (dropped, or
 * ctx->forward: the caller parks the query and answers it later). */
size_t query_respond(const version *v, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap, qctx *ctx);

/* The debug line for one query (querylog.c): client, question, rcode and
 * where the answer came from, worked out from the query pkt, the ctx that
 * query_respond left and its response out (n bytes; 0: dropped or
 * forwarded). Callers of query_respond call it right after, when
 * log_enabled(LOG_DEBUG): from the values they hold anyway, so that with
 * debug off a query costs one load and one branch more, and query_respond
 * is compiled as if logging did not exist. */
void query_log(const version *v, const uint8_t *pkt, size_t len, const qctx *ctx, const uint8_t *out, size_t n)
	__attribute__((cold));

/* An error response (SERVFAIL, REFUSED...) to pkt, echoing its question,
 * with the Extended DNS Error ede (RFC 8914; FWD_NO_EDE: none) and its text
 * (may be NULL) when the query had EDNS. */
size_t query_error(const uint8_t *pkt, size_t len, unsigned rcode, uint16_t ede, const char *text, uint8_t *out,
                   size_t cap, bool tcp);

#endif
