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

/* Client groups that forward to upstreams of their own (policy.h, a
 * "group:" section with forward:): per group number, its resolver (a cache
 * and in-flight table of the group's, kept by main() for the life of the
 * process like the default one, so that no group's answer is served to
 * another) and its upstreams (NULL: the group uses the version's). Shared
 * by the versions derived from one another; reference counted. */
typedef struct group_fwd {
	atomic_uint refs;
	size_t n;
	resolver **res;
	upstreams **ups;
} group_fwd;

/* What a worker sees of one published server version. */
typedef struct version {
	config cfg;
	db_set *zones;
	db_zone *local; /* local records, or NULL */
	policy *policy; /* local zones, block lists, RPZ, client groups, or NULL */
	resolver *res;  /* NULL: no forwarding at all */
	upstreams *ups; /* with res: the upstreams (held by the version) */
	group_fwd *gfwd; /* client groups with upstreams of their own, or NULL */
	rrl *rrl;       /* response rate limiting (shared), or NULL */
	const cookie_secret *cookie; /* server cookie secret, or NULL */
	struct secondary *sec; /* secondary zones' thread (src/xfr/secondary.h), or NULL */
	struct updater *upd;   /* dynamic update's thread (src/xfr/updater.h), or NULL */
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

/* The version a client's query is answered with, and its policy view
 * (*view; NULL when there are no client groups, the global view applies):
 * v itself, or, for a client of a group with upstreams of its own, a copy
 * of v in *tmp with the group's resolver and upstreams (the copy lives as
 * long as the caller's frame: whatever outlives the query holds the
 * upstreams and the resolver, never the version). The client's group is
 * decided here, once per query; without groups this is one pointer test
 * (two with a policy). */
static inline const version *version_for_client(const version *v, const struct sockaddr *client, version *tmp,
                                                const pol_view **view)
{
	*view = NULL;
	if (!v->policy || !v->policy->ngroups)
		return v;
	int g = policy_group_of(v->policy, client);
	*view = g < 0 ? &v->policy->global : v->policy->groups[g].view;
	if (g < 0 || !v->gfwd || (size_t)g >= v->gfwd->n || !v->gfwd->ups[g])
		return v;
	*tmp = *v;
	tmp->res = v->gfwd->res[g];
	tmp->ups = v->gfwd->ups[g];
	tmp->gfwd = NULL;
	return tmp;
}

typedef struct qctx {
	/* in */
	bool tcp;
	bool allowed;            /* the ACL lets this client use forwarding */
	uint64_t now_ms;         /* the cache's clock */
	const fwd_result *fr;    /* re-answering a waiter: the upstream's answer */
	const struct sockaddr *client; /* for cookies (may be NULL) */
	uint64_t start_us;       /* when the query arrived, for the query log (0: not logged) */
	const pol_view *view;    /* the client's policy view, when the caller decided
	                            its group (version_for_client); NULL: decided here */
	/* query.c's own, for CNAME-target inspection (policy_chain): the
	 * client's view when it has lists (else NULL), where the answer
	 * section starts, and whether the chain hit the lists */
	const pol_view *chain_view;
	tern_msgw_mark ans_start;
	bool chain_hit;
	/* out */
	bool forward;            /* nothing sent: ask upstream for (name, type) */
	bool xfr;                /* nothing sent: an AXFR/IXFR for xfr_respond (xfr/xfr.h) */
	bool update;             /* nothing sent: an UPDATE for the updater (xfr/updater.h) */
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
	/* for the counters (stats.h), set whenever a response is made */
	uint8_t opcode;
	uint8_t source;          /* enum stats_source: where the answer ended */
	uint16_t rcode;          /* with the extended bits (BADVERS: 16) */
	const db_zone *zone;     /* the zone that answered, or NULL */
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
