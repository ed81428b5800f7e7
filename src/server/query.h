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
#include "resolve/cache.h"
#include "resolve/forward.h"
#include "server/config.h"
#include "server/cookie.h"
#include "server/rrl.h"

/* Forwarding state shared by all versions and workers; made at start-up.
 * The upstreams are per version (a reload replaces them). */
typedef struct resolver {
	cache *cache;
	fwd_table *table;
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
	uint64_t generation;
	/* TLS server context for listen-tls/listen-https (tlsconn.h), NULL
	 * without a certificate; each version holds a reference, and each
	 * connection its own (a reload's new context serves new connections) */
	struct ssl_ctx_st *tls;
	/* TLS client context for TLS upstreams (tls-ca-file or the system's
	 * store), NULL when no upstream uses TLS; held like tls */
	struct ssl_ctx_st *tls_client;
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
	bool prefetch;           /* answered, but refresh (name, type) upstream */
	uint8_t name[TERN_NAME_MAX];
	uint16_t type;
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

/* An error response (SERVFAIL, REFUSED...) to pkt, echoing its question. */
size_t query_error(const uint8_t *pkt, size_t len, unsigned rcode, uint8_t *out, size_t cap, bool tcp);

#endif
