/* forward.h: forwarding to upstream resolvers.
 *
 *  - upstreams: addresses with a smoothed RTT; the fastest healthy one not
 *    yet tried for a query is picked (fwd_pick);
 *  - the in-flight table, shared by all workers and striped: identical
 *    questions (name, type) asked while one is outstanding join it as
 *    waiters, and one upstream answer completes every one of them;
 *  - the sanitizer (fwd_sanitize): checks that an upstream answer matches
 *    the question, keeps only the records of the question's name and the
 *    CNAME chain from it, puts them in the cache, and returns them as a
 *    fwd_result for the waiting clients.
 *
 * Sockets, timers and the clients themselves belong to the workers
 * (src/server/worker.c); this module knows nothing of them but the opaque
 * waiter records it keeps. */
#ifndef TERN_RESOLVE_FORWARD_H
#define TERN_RESOLVE_FORWARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "resolve/cache.h"
#include "tern/msg.h"

#define FWD_MAX_UPSTREAMS 16
#define FWD_MAX_CHAIN 16
#define FWD_RESULT_MAX 65536 /* sanitized data kept for one answer: a whole TCP message */

/* An upstream reached over TLS (RFC 7858, strict: never in clear text):
 * its certificate must name `name` (a host name or an IP address), or its
 * public key match the SPKI pin. */
typedef struct fwd_tls {
	bool on;
	bool https;       /* DNS over HTTPS (RFC 8484): POST to path over HTTP/2 */
	bool pinned;
	uint8_t pin[32];  /* SHA-256 of the SubjectPublicKeyInfo */
	char name[256];
	char path[128];   /* https: the URI's path, "/dns-query" by default */
} fwd_tls;

typedef struct upstream {
	struct sockaddr_storage addr;
	socklen_t len;
	char text[64];
	fwd_tls tls;       /* tls.on: DNS over TLS (server/tlsup.c) */
	_Atomic uint32_t srtt_us;  /* smoothed round-trip time */
	_Atomic uint32_t timeouts; /* failures in a row (silence, unreachable) */
	_Atomic uint64_t fail_since_ms; /* when the first of them came */
	_Atomic bool down;         /* see attempt.h */
	unsigned stats_slot;       /* the server's counter slot (0: none yet) */
} upstream;

typedef struct upstream_set {
	uint8_t zone[TERN_NAME_MAX]; /* "." for the default set */
	upstream ups[FWD_MAX_UPSTREAMS];
	unsigned n;
	_Atomic uint64_t probe_ms;    /* no probe of a down upstream before this */
	_Atomic unsigned probe_next;  /* round robin of the probes */
} upstream_set;

#define FWD_NO_EDE 0xffff /* no Extended DNS Error (RFC 8914) */

/* What an upstream said, sanitized: the chain from the question's name, or
 * a negative answer, or a failure. Records are in uncompressed form. */
typedef struct fwd_result {
	uint8_t name[TERN_NAME_MAX]; /* the question it answers */
	uint16_t qtype;
	unsigned rcode;              /* NOERROR, NXDOMAIN, or SERVFAIL (failed); the
	                                upstream's error rcode after FWD_BAD */
	bool failed;                 /* no usable answer: serve stale or SERVFAIL */
	uint16_t ede;                /* failed: the Extended DNS Error to give (RFC 8914),
	                                or FWD_NO_EDE; after FWD_BAD: the upstream's */
	char ede_text[48];           /* its EXTRA-TEXT ("" for none) */
	uint16_t nrr;                /* answer records */
	uint16_t soa_off;            /* offset of the SOA record in data, or 0xffff */
	uint32_t proof_off;          /* offset of the DNSSEC authority records (NSEC/NSEC3,
	                                RRSIGs of them and of the SOA) after the answer or
	                                the SOA, or 0 for none */
	bool cd;                     /* asked with CD=1 */
	uint32_t soa_ttl;
	size_t len;
	/* records: owner (wire), u16 type, u32 ttl, u16 rdlen, rdata */
	uint8_t data[FWD_RESULT_MAX];
} fwd_result;

/* Appends a result's records to m (answer, then the SOA and the proofs in
 * authority), with the answer's first owner written as `owner` (the
 * client's case). dnssec: a DO=1 client; otherwise RRSIG, NSEC and NSEC3
 * records are left out unless they are the type asked (RFC 4035 3.2.1).
 * Returns 0 or TERN_ESPACE (m then marked truncated). */
int fwd_result_write(const fwd_result *r, tern_msgw *m, const uint8_t *owner, bool dnssec);
/* The same for the records that start before offset end of r->data
 * only (the chain up to one CNAME, for CNAME-target inspection). */
int fwd_result_write_part(const fwd_result *r, tern_msgw *m, const uint8_t *owner, bool dnssec, size_t end);
/* Where the answer records of r->data end (the SOA or the proofs follow). */
size_t fwd_result_answer_end(const fwd_result *r);

/* Whether the result holds RRSIGs (signed data). */
bool fwd_result_signed(const fwd_result *r);

/* RRSIG, NSEC, NSEC3: the records a DO=0 client is not given unless asked. */
static inline bool fwd_is_dnssec_type(uint16_t t)
{
	return t == 46 || t == 47 || t == 50;
}

/* ---- the in-flight table ---- */

typedef struct fwd_waiter {
	struct fwd_waiter *next;
	unsigned worker;        /* who received the query */
	int tcp_slot;           /* -1 for UDP */
	uint32_t tcp_gen;       /* the connection's generation, to spot reuse */
	unsigned listener;      /* which listen address it came to (UDP) */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t rounds;         /* upstream questions asked for it (a chain may need several) */
	uint64_t start_us;      /* when it arrived (the query log's clock), or 0 */
	uint16_t len;
	uint8_t pkt[];          /* the client's query, to answer it again */
} fwd_waiter;

typedef struct fwd_pending fwd_pending;

typedef struct fwd_table fwd_table;

fwd_table *fwd_table_new(unsigned max_pending);
void fwd_table_free(fwd_table *t);

/* The key of a question in the in-flight table: its type and whether it is
 * asked with CD=1 (RFC 4035 3.2.2: a CD=0 client must not wait on a CD=1
 * question, whose answer the upstream did not check). */
#define FWD_KEY(qtype, cd) ((uint32_t)(qtype) | ((cd) ? 0x10000u : 0u))

/* Joins the question (name, key: FWD_KEY, a plain type is CD=0), adding w to its waiters. Returns the
 * pending entry: *created tells whether the caller made it (and must now
 * send the upstream query and later complete it). Returns NULL when the
 * table is full (answer SERVFAIL). w may be NULL (a prefetch: no client). */
fwd_pending *fwd_join(fwd_table *t, const uint8_t *name, uint32_t key, unsigned worker, fwd_waiter *w,
                      bool *created);
/* Hands over the waiters of p (the caller frees them); p stays in the
 * table, and later joiners wait on it as before. */
fwd_waiter *fwd_take_waiters(fwd_table *t, fwd_pending *p);
/* Removes the entry and hands over its waiters (the caller frees them). */
fwd_waiter *fwd_complete(fwd_table *t, fwd_pending *p);
/* Name and type of a pending question. */
const uint8_t *fwd_pending_name(const fwd_pending *p);
uint16_t fwd_pending_type(const fwd_pending *p);
bool fwd_pending_cd(const fwd_pending *p);
unsigned fwd_inflight(const fwd_table *t);

/* ---- upstreams ---- */

/* The upstream set for a name: the most specific forward-zone, else the
 * default set (sets[0]). */
const upstream_set *fwd_set_for(const upstream_set *sets, unsigned nsets, const uint8_t *name);
/* The set to ask (name, qtype): a DS RRset lives in the parent zone (RFC
 * 4035 3.1.4.1), so a DS question goes to the set of name's parent. */
const upstream_set *fwd_set_for_q(const upstream_set *sets, unsigned nsets, const uint8_t *name, uint16_t qtype);
/* The fastest upstream of s not in tried (a bit per index); -1 if none.
 * coin: a random byte; below 8 (1 in 32) another untried upstream is
 * picked instead, so a recovered upstream gets noticed. */
int fwd_pick(const upstream_set *s, uint32_t tried, uint8_t coin);
/* An answer came back after rtt_us: the upstream is healthy. */
void fwd_rtt_sample(upstream *u, uint32_t rtt_us);
/* A failure (silence, unreachable): counted in u->timeouts. */
void fwd_rtt_timeout(upstream *u);

/* Health transitions (down, up again) are decided by attempt.c and logged
 * once each by the worker (up_changed). */

/* ---- messages ---- */

/* Writes the query to send upstream: id, RD=1, EDNS 1232 (RFC 6891) with
 * DO=1 (so that the cache can serve DO=1 clients too: RFC 4035 3.2.1,
 * RFC 6840 5.2), CD as given (RFC 4035 3.2.2). */
int fwd_make_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *name, uint16_t qtype, bool cd);

enum fwd_verdict {
	FWD_IGNORE,   /* not an answer to our question (forged or garbage): keep waiting */
	FWD_TRUNC,    /* TC=1: ask again over TCP */
	FWD_BAD,      /* an error rcode or an unusable answer: try another upstream */
	FWD_OK,       /* res holds the sanitized answer, and the cache has it */
};

/* Checks an upstream answer against (id, name, qtype), sanitizes it into
 * res and stores what may be cached. On FWD_BAD, res->rcode is the
 * upstream's rcode (NOERROR when the answer was unusable) and res->ede the
 * Extended DNS Error it gave (RFC 8914) or FWD_NO_EDE, with its text. zone: what this upstream is asked
 * about (a forward-zone; NULL or the root for the default upstreams):
 * nothing outside it is kept, so one zone's upstream cannot fill the cache
 * for names of another (a chain leaving the zone stops there, and the rest
 * is asked of the upstreams for the target). now_ms is the cache's clock. */
enum fwd_verdict fwd_sanitize(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *name, uint16_t qtype,
                              const uint8_t *zone, cache *c, uint64_t now_ms, fwd_result *res);
/* The same for a question asked with CD=cd: its cache entries are marked
 * CACHE_F_CD. DNSSEC records are kept with what they belong to: the
 * RRSIGs of each RRset of the answer (cached in its entry), the SOA's
 * RRSIGs and the NSEC/NSEC3 records with their RRSIGs of a negative answer
 * (RFC 4035 3.1.3), and those of a wildcard answer (an RRSIG with fewer
 * labels than its owner, RFC 4035 5.3.4) with the final RRset. */
enum fwd_verdict fwd_sanitize_cd(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *name, uint16_t qtype,
                                 bool cd, const uint8_t *zone, cache *c, uint64_t now_ms, fwd_result *res);

/* Random bytes from the kernel's cryptographic generator (getrandom). */
void fwd_random(void *buf, size_t n);

#endif
