/* cache.h: the forwarder's answer cache, shared by all workers.
 *
 * Entries are RRsets keyed by (owner, type), and negative entries (RFC 2308):
 * NODATA keyed by (name, type) and NXDOMAIN keyed by (name, CACHE_NXDOMAIN),
 * each holding the SOA to put in the authority section. Names compare
 * case-insensitively. Only sanitized data is put here (the forwarder keeps
 * nothing but the question's name and its CNAME chain).
 *
 * Bounded in bytes (entry overhead included) with least-recently-used
 * eviction; TTLs count down from insertion using the caller's clock (a
 * millisecond counter, so tests can use a fake one); expired entries stay
 * for stale_window seconds to be served stale (RFC 8767) when every
 * upstream is down.
 *
 * Thread safety: every function may be called from any thread. The table is
 * split into stripes by name hash, each with its own lock, LRU list and byte
 * budget, so workers rarely meet on one lock. Locking order: one stripe lock
 * at a time, never nested. */
#ifndef TERN_RESOLVE_CACHE_H
#define TERN_RESOLVE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/msg.h"
#include "tern/name.h"

#define CACHE_NXDOMAIN 0 /* the "type" of an NXDOMAIN entry: the whole name */

typedef struct cache cache;

typedef struct cache_opts {
	size_t max_bytes;      /* default 64 MiB */
	uint32_t min_ttl;      /* clamp (default 0) */
	uint32_t max_ttl;      /* clamp (default 86400) */
	uint32_t max_neg_ttl;  /* clamp for negative entries (default 3600) */
	uint32_t stale_window; /* seconds an expired entry may be served stale; 0: off (default 0) */
	unsigned stripes;      /* power of two; default 64 */
} cache_opts;

/* opts may be NULL for the defaults. Returns NULL when out of memory. */
cache *cache_new(const cache_opts *opts);
void cache_free(cache *c);

/* Stores an RRset: count records of RDATA in uncompressed wire form, laid
 * out as count times (u16 length in host byte order, bytes) — the layout of
 * db_rrset. Replaces an entry with the same key. ttl is clamped. now_ms is
 * the caller's clock. Returns 0 or a negative error (too big, no memory). */
int cache_put_rrset(cache *c, const uint8_t *owner, uint16_t type, uint32_t ttl, uint16_t count,
                    const uint8_t *rdata, size_t rdata_bytes, uint64_t now_ms);

/* Stores a negative answer: type CACHE_NXDOMAIN for NXDOMAIN (the name does
 * not exist, whatever the type), else NODATA for that type. ttl is the
 * negative TTL already computed by the caller (min of SOA TTL and MINIMUM,
 * RFC 2308 5), clamped to max_neg_ttl. soa_owner/soa_rdata: the SOA record
 * to answer with (uncompressed RDATA). */
int cache_put_negative(cache *c, const uint8_t *name, uint16_t type, uint32_t ttl, const uint8_t *soa_owner,
                       const uint8_t *soa_rdata, uint16_t soa_rdlen, uint64_t now_ms);

/* DNSSEC data kept with an entry (RFC 4035 3.2, RFC 6840 5), in one block
 * after the RRset or the SOA, so that an entry is one allocation and a
 * lookup for a DO=0 client costs one more branch:
 *  - sigs: the RRSIG records covering the RRset (RDATA only: owner, class
 *    and TTL are the RRset's), laid out as the RRset's records (u16
 *    host-order length, bytes); none for negative entries;
 *  - auth: records for the authority section (the SOA's RRSIGs, NSEC/NSEC3
 *    denial and their RRSIGs; for a positive answer the NSEC/NSEC3 proof
 *    that no closer name matched a wildcard, RFC 4035 3.1.3.3), each as
 *    owner (uncompressed wire), u16 type, u16 rdlength (host order), RDATA;
 *    written with the entry's remaining TTL.
 * Both are written only for lookups with CACHE_Q_DO. */
typedef struct cache_dnssec {
	uint16_t nsig;
	const uint8_t *sigs;
	size_t sig_bytes;
	uint16_t nauth;
	const uint8_t *auth;
	size_t auth_bytes;
	uint8_t flags; /* CACHE_F_* */
} cache_dnssec;

/* Entry flags (cache_dnssec.flags, cache_hit.flags). */
#define CACHE_F_CD 0x01u      /* obtained with CD=1 (RFC 4035 3.2.2): the upstream did
                                 not check it, so it is a miss for CD=0 lookups */
#define CACHE_F_SECMASK 0x06u /* validation status (src/validate/): */
#define CACHE_F_UNCHECKED 0x00u
#define CACHE_F_SECURE 0x02u
#define CACHE_F_INSECURE 0x04u
#define CACHE_F_BOGUS 0x06u

/* cache_put_rrset and cache_put_negative with DNSSEC data (d may be NULL:
 * none, flags 0). The sigs block must hold exactly d->nsig records and the
 * auth block exactly d->nauth, else TERN_EMALFORMED. */
int cache_put_rrset_dnssec(cache *c, const uint8_t *owner, uint16_t type, uint32_t ttl, uint16_t count,
                           const uint8_t *rdata, size_t rdata_bytes, const cache_dnssec *d, uint64_t now_ms);
int cache_put_negative_dnssec(cache *c, const uint8_t *name, uint16_t type, uint32_t ttl, const uint8_t *soa_owner,
                              const uint8_t *soa_rdata, uint16_t soa_rdlen, const cache_dnssec *d,
                              uint64_t now_ms);

enum cache_kind { CACHE_MISS = 0, CACHE_RRSET, CACHE_NODATA, CACHE_NXDOMAIN_HIT };

typedef struct cache_hit {
	enum cache_kind kind;
	uint32_t ttl;      /* remaining TTL as written (30 when stale, RFC 8767 4) */
	bool stale;        /* served past its expiry */
	bool prefetch;     /* the caller should refresh this entry now: set for
	                      exactly one caller when a popular entry (>= 2 hits)
	                      has less than 10% of its TTL left */
	uint8_t flags;     /* the entry's CACHE_F_* */
	uint8_t target[TERN_NAME_MAX]; /* for a CNAME RRset: its target */
} cache_hit;

/* Looks up (name, type). On a hit, and if m is not NULL, appends the data to
 * m: an RRset to the answer section with owner `owner` (the name as the
 * client should see it) and the remaining TTL; a negative entry's SOA to the
 * authority section with the remaining TTL. Expired entries are a miss
 * unless allow_stale and within the stale window. Returns 0 (look at
 * hit->kind), or TERN_ESPACE if the data did not fit in m (m is then
 * unchanged and m->truncated set). Updates the LRU order. */
int cache_get(cache *c, const uint8_t *name, uint16_t type, uint64_t now_ms, bool allow_stale, tern_msgw *m,
              const uint8_t *owner, cache_hit *hit);

/* Lookup flags of cache_get_q. */
#define CACHE_Q_STALE 0x01u /* allow_stale */
#define CACHE_Q_DO 0x02u    /* a DO=1 client: write the RRSIGs after the RRset (and, with
                               CACHE_Q_AUTH, the authority records); for a negative entry
                               the authority records after the SOA */
#define CACHE_Q_CD 0x04u    /* a CD=1 client: entries got with CD=1 are served too */
#define CACHE_Q_AUTH 0x08u  /* this RRset ends the answer: its authority records may follow */

/* cache_get with flags CACHE_Q_*: cache_get(..., allow_stale, ...) is
 * cache_get_q(..., allow_stale ? CACHE_Q_STALE | CACHE_Q_CD : CACHE_Q_CD, ...). */
int cache_get_q(cache *c, const uint8_t *name, uint16_t type, uint64_t now_ms, unsigned qflags, tern_msgw *m,
                const uint8_t *owner, cache_hit *hit);

/* A copy of one entry, for the validator (src/validate/): what cache_get
 * would serve for (name, type), fresh only, entries got with CD=1 included.
 * The pointers point into mem (one malloc, freed by cache_view_free). */
typedef struct cache_view {
	enum cache_kind kind;  /* CACHE_MISS: nothing */
	uint16_t key_type;     /* the entry's key: the type, or CACHE_NXDOMAIN */
	uint8_t flags;         /* CACHE_F_* */
	uint64_t inserted_ms;  /* which entry this is (cache_set_status) */
	uint16_t count;        /* RRset: records (u16 host-order length, bytes) */
	const uint8_t *rdata;
	size_t rdata_bytes;
	const uint8_t *soa_owner, *soa_rdata; /* negative */
	uint16_t soa_rdlen;
	uint16_t nsig, nauth;  /* cache_dnssec's blocks */
	const uint8_t *sigs, *auth;
	size_t sig_bytes, auth_bytes;
	uint8_t *mem;
} cache_view;

/* Fills v (v->kind CACHE_MISS when there is nothing to serve). Returns 0 or
 * -ENOMEM. */
int cache_peek(cache *c, const uint8_t *name, uint16_t type, uint64_t now_ms, cache_view *v);
void cache_view_free(cache_view *v);
/* Sets the validation status bits (CACHE_F_SECMASK) of the entry
 * (name, key_type) if it is still the one inserted at inserted_ms. */
void cache_set_status(cache *c, const uint8_t *name, uint16_t key_type, uint64_t inserted_ms, uint8_t status);

/* Clears every entry's validation status (a reload changed the trust
 * anchors or negative trust anchors: every verdict is judged again). */
void cache_forget_status(cache *c);

typedef struct cache_stats {
	size_t bytes, entries;
	uint64_t hits, misses, evictions, inserts;
} cache_stats;
void cache_get_stats(cache *c, cache_stats *out);

/* Removes entries (ternctl cache-flush): every one (name NULL); name and
 * every name below it, of every type and negative entries too (type 0); or
 * exactly (name, type) (an RRset or NODATA entry). Returns how many went.
 * Visits every stripe for a subtree (one lock at a time): O(entries). */
size_t cache_flush(cache *c, const uint8_t *name, uint16_t type);

/* One entry as cache_walk shows it. */
typedef struct cache_entry_info {
	const uint8_t *name;  /* lower case */
	uint16_t type;        /* CACHE_NXDOMAIN for a name's NXDOMAIN entry */
	enum cache_kind kind;
	int64_t ttl_left;     /* seconds; <= 0: expired (kept to serve stale) */
	uint16_t count;       /* RRset: records at rdata, each u16 length (host order) then bytes */
	const uint8_t *rdata; /* RRset: the records; negative: the SOA owner, then its RDATA */
	uint16_t soa_rdlen;   /* negative: SOA RDATA length */
	size_t bytes;         /* accounted size */
} cache_entry_info;

/* Calls fn for every entry, in LRU order per stripe, with that stripe
 * locked: fn must be quick and must not call the cache. now_ms is the
 * cache's clock. */
void cache_walk(cache *c, uint64_t now_ms, void (*fn)(void *user, const cache_entry_info *e), void *user);

#endif
