/* cache.c: the forwarder's answer cache (contract in cache.h).
 *
 * Layout: the cache is an array of stripes chosen by the name's hash, so all
 * entries of one name (every type, and its NXDOMAIN entry) share a stripe.
 * Each stripe owns a mutex, a chained hash table keyed by (lower-cased name,
 * type), a doubly-linked LRU list (head = most recently used), its byte count,
 * its byte budget (max_bytes / stripes) and its counters.
 *
 * Locking order: a function takes at most one stripe lock at a time and
 * never calls out of this file while holding it, except to tern_msgw_rr
 * (which writes into the caller's buffer and neither locks nor allocates).
 * cache_get_stats visits the stripes one after another. Nothing is global.
 *
 * Memory: each entry is one malloc'ed block (struct, key, data), built
 * before the lock is taken; its accounted size (struct + key + data + one
 * bucket pointer) is what counts against the budget, so the sum of accounted
 * sizes never passes max_bytes. The only other allocation is the growth of
 * a stripe's bucket array (doubling when entries pass buckets), itself bounded
 * because the entries are. cache_get never allocates.
 *
 * Time: an entry keeps its insertion time (ms) and clamped TTL (s). With
 * elapsed = floor((now - inserted) / 1000), remaining = ttl - elapsed; an
 * entry with remaining <= 0 is expired, i.e. expiry is exactly at
 * inserted + ttl * 1000. It can be served stale (TTL 30, RFC 8767 4) until
 * inserted + (ttl + stale_window) * 1000 and is removed when met after that
 * (and, being unused, is near the LRU tail anyway).
 *
 * Details the header leaves open: cache_get(name, T) also finds the name's
 * NXDOMAIN entry (the newer of the two wins), and storing an RRset or a
 * NODATA entry drops the name's NXDOMAIN entry; a zero field in cache_opts
 * means its default; with the default stripe count a small cache gets
 * fewer stripes (MIN_STRIPE_BUDGET); owner NULL in cache_get writes the
 * stored lower-case name; min_ttl does not apply to negative entries;
 * prefetch counts the hit being served ("2 hits" = this one and one
 * before). */
#include "resolve/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tern/rr.h"

#define DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define DEFAULT_MAX_TTL 86400u
#define DEFAULT_MAX_NEG_TTL 3600u
#define DEFAULT_STRIPES 64u
#define MAX_STRIPES 4096u
/* With the default stripe count, stripes are halved until each has at least
 * this budget, so that a small cache (64 KiB) can still hold ~1 KB answers. */
#define MIN_STRIPE_BUDGET ((size_t)16 << 10)
#define INITIAL_BUCKETS 16u
#define STALE_TTL 30u /* RFC 8767 4: TTL of stale data */

typedef struct centry {
	struct centry *hnext;         /* hash chain */
	struct centry *prev, *next;   /* LRU list */
	uint32_t hash;                /* of (name, type), for the bucket */
	uint16_t type;                /* key type: RR type, or CACHE_NXDOMAIN */
	uint8_t kind;                 /* enum cache_kind */
	bool prefetch_given;          /* hit->prefetch already handed out */
	uint8_t flags;                /* CACHE_F_* */
	uint16_t count;               /* RRset: records; negative: unused */
	uint16_t soa_rdlen;           /* negative: SOA RDATA length */
	uint16_t nsig, nauth;         /* DNSSEC records (cache.h: cache_dnssec) */
	uint32_t sig_off;             /* where they start, from the data's start */
	uint32_t ttl;                 /* clamped, seconds */
	uint32_t hits;                /* fresh hits since insertion */
	uint64_t inserted_ms;
	size_t size;                  /* accounted bytes */
	size_t name_len;
	size_t data_len;              /* bytes after the name */
	/* data: name (lower case); then the RRset's records (u16 host-order
	 * length, bytes)..., or the SOA owner followed by its RDATA; then at
	 * sig_off the nsig RRSIGs and the nauth authority records (cache.h) */
	uint8_t data[];
} centry;

typedef struct stripe {
	pthread_mutex_t lock;
	centry **buckets;
	uint32_t nbuckets; /* power of two */
	centry *head, *tail;
	size_t bytes, entries, budget;
	uint64_t hits, misses, evictions, inserts;
} stripe;

struct cache {
	cache_opts o;
	unsigned smask;
	stripe *s;
};

/* 32-bit finalizer (murmur3 fmix32): spreads FNV's bits before masking. */
static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t key_hash(uint32_t name_hash, uint16_t type)
{
	return mix32(name_hash ^ (uint32_t)type * 0x9e3779b1u);
}


/* The key of a name: dst = the name in lower case, *len its length, and a
 * hash of that, 8 bytes at a time. name is a well-formed wire name
 * (checked by the caller). Length bytes (0..63) are never letters, so the
 * whole wire form is folded alike. dst has room for TERN_NAME_MAX + 7
 * bytes: the last word is written whole, zero-padded past the name (the
 * key is the first *len bytes; the hash sees the same zeros each time). */
static uint32_t name_key(uint8_t *dst, const uint8_t *name, size_t *len)
{
	size_t n = tern_name_len(name);
	*len = n;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, name + i, 8);
		w = tern_fold8(w);
		memcpy(dst + i, &w, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (i < n) {
		uint64_t w = 0;
		memcpy(&w, name + i, n - i);
		w = tern_fold8(w);
		memcpy(dst + i, &w, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static stripe *stripe_of(cache *c, uint32_t name_hash)
{
	return &c->s[mix32(name_hash) & c->smask];
}

cache *cache_new(const cache_opts *opts)
{
	cache_opts o = {0};
	if (opts)
		o = *opts;
	if (!o.max_bytes)
		o.max_bytes = DEFAULT_MAX_BYTES;
	if (!o.max_ttl)
		o.max_ttl = DEFAULT_MAX_TTL;
	if (!o.max_neg_ttl)
		o.max_neg_ttl = DEFAULT_MAX_NEG_TTL;
	unsigned n;
	if (o.stripes) {
		/* round down to a power of two */
		n = 1;
		while (n * 2 <= o.stripes && n * 2 <= MAX_STRIPES)
			n *= 2;
	} else {
		n = DEFAULT_STRIPES;
		while (n > 1 && o.max_bytes / n < MIN_STRIPE_BUDGET)
			n /= 2;
	}
	o.stripes = n;

	cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->o = o;
	c->smask = n - 1;
	c->s = calloc(n, sizeof *c->s);
	if (!c->s)
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		stripe *s = &c->s[i];
		s->budget = o.max_bytes / n;
		s->nbuckets = INITIAL_BUCKETS;
		s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
		if (!s->buckets || pthread_mutex_init(&s->lock, NULL) != 0) {
			free(s->buckets);
			for (unsigned j = 0; j < i; j++) {
				free(c->s[j].buckets);
				pthread_mutex_destroy(&c->s[j].lock);
			}
			free(c->s);
			goto fail;
		}
	}
	return c;
fail:
	free(c);
	return NULL;
}

void cache_free(cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i <= c->smask; i++) {
		stripe *s = &c->s[i];
		for (centry *e = s->head, *next; e; e = next) {
			next = e->next;
			free(e);
		}
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(c->s);
	free(c);
}

/* ---- one stripe; the caller holds s->lock ---- */

static void lru_unlink(stripe *s, centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_head(stripe *s, centry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	else
		s->tail = e;
	s->head = e;
}

/* Finds (lname, type); lname is lower case. *pp receives the link to it. */
static centry *find(stripe *s, const uint8_t *lname, size_t name_len, uint16_t type, uint32_t hash,
                    centry ***pp)
{
	centry **p = &s->buckets[hash & (s->nbuckets - 1)];
	for (; *p; p = &(*p)->hnext) {
		centry *e = *p;
		if (e->hash == hash && e->type == type && e->name_len == name_len &&
		    memcmp(e->data, lname, name_len) == 0) {
			if (pp)
				*pp = p;
			return e;
		}
	}
	return NULL;
}

/* Unlinks e (found at link *p, or looked up when p is NULL) and frees it. */
static void remove_entry(stripe *s, centry *e, centry **p)
{
	if (!p) {
		p = &s->buckets[e->hash & (s->nbuckets - 1)];
		while (*p != e)
			p = &(*p)->hnext;
	}
	*p = e->hnext;
	lru_unlink(s, e);
	s->bytes -= e->size;
	s->entries--;
	free(e);
}

/* Doubles the bucket array; on failure keeps the old one (longer chains). */
static void grow(stripe *s)
{
	uint32_t n = s->nbuckets * 2;
	centry **b = calloc(n, sizeof *b);
	if (!b)
		return;
	for (uint32_t i = 0; i < s->nbuckets; i++) {
		for (centry *e = s->buckets[i], *next; e; e = next) {
			next = e->hnext;
			centry **slot = &b[e->hash & (n - 1)];
			e->hnext = *slot;
			*slot = e;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
}

/* Puts a built entry in its stripe: replaces the same key, drops the name's
 * NXDOMAIN entry when the new one says the name exists, evicts from the LRU
 * tail until it fits. */
static void insert(stripe *s, centry *e, uint32_t name_hash)
{
	centry **p;
	centry *old = find(s, e->data, e->name_len, e->type, e->hash, &p);
	if (old)
		remove_entry(s, old, p);
	if (e->kind != CACHE_NXDOMAIN_HIT) {
		uint32_t h = key_hash(name_hash, CACHE_NXDOMAIN);
		centry *nx = find(s, e->data, e->name_len, CACHE_NXDOMAIN, h, &p);
		if (nx)
			remove_entry(s, nx, p);
	}
	while (s->tail && s->bytes + e->size > s->budget) {
		remove_entry(s, s->tail, NULL);
		s->evictions++;
	}
	if (s->entries + 1 > s->nbuckets)
		grow(s);
	centry **slot = &s->buckets[e->hash & (s->nbuckets - 1)];
	e->hnext = *slot;
	*slot = e;
	lru_push_head(s, e);
	s->bytes += e->size;
	s->entries++;
	s->inserts++;
}

/* Removes the key when a new entry for it is refused (too big): the newer
 * answer supersedes what was cached. */
static void drop_key(cache *c, const uint8_t *lname, size_t name_len, uint16_t type, uint32_t name_hash)
{
	stripe *s = stripe_of(c, name_hash);
	uint32_t h = key_hash(name_hash, type);
	pthread_mutex_lock(&s->lock);
	centry **p;
	centry *e = find(s, lname, name_len, type, h, &p);
	if (e)
		remove_entry(s, e, p);
	pthread_mutex_unlock(&s->lock);
}

/* Allocates an entry for lname (lower case) with data_len bytes after the
 * name, or fails with TERN_ELIMIT (larger than a stripe's budget) or
 * -ENOMEM. */
static int entry_new(cache *c, const uint8_t *lname, size_t name_len, uint16_t type, size_t data_len,
                     uint64_t now_ms, centry **out)
{
	size_t size = sizeof(centry) + sizeof(centry *) + name_len + data_len;
	if (size > c->o.max_bytes / (c->smask + 1))
		return TERN_ELIMIT;
	centry *e = malloc(sizeof(centry) + name_len + data_len);
	if (!e)
		return -ENOMEM;
	memset(e, 0, sizeof *e);
	e->type = type;
	e->size = size;
	e->name_len = name_len;
	e->data_len = data_len;
	e->inserted_ms = now_ms;
	memcpy(e->data, lname, name_len);
	*out = e;
	return 0;
}

static int put(cache *c, centry *e, int rc, const uint8_t *lname, size_t name_len, uint16_t type, uint32_t nh)
{
	if (rc == TERN_ELIMIT)
		drop_key(c, lname, name_len, type, nh);
	if (rc)
		return rc;
	e->hash = key_hash(nh, type);
	stripe *s = stripe_of(c, nh);
	pthread_mutex_lock(&s->lock);
	insert(s, e, nh);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Checks that count records (u16 host-order length, bytes) fill bytes
 * exactly; cname: the first must be a name. */
static bool records_fill(const uint8_t *rdata, size_t bytes, unsigned count, bool cname)
{
	size_t off = 0;
	for (unsigned i = 0; i < count; i++) {
		if (bytes - off < 2)
			return false;
		uint16_t len;
		memcpy(&len, rdata + off, 2);
		if (bytes - off - 2 < len)
			return false;
		if (i == 0 && cname && (len == 0 || len > TERN_NAME_MAX))
			return false;
		off += 2 + (size_t)len;
	}
	return off == bytes;
}

/* Checks that count authority records (owner, u16 type, u16 rdlength,
 * RDATA) fill bytes exactly, with well-formed uncompressed owners. */
static bool auth_fill(const uint8_t *a, size_t bytes, unsigned count)
{
	size_t off = 0;
	for (unsigned i = 0; i < count; i++) {
		size_t nl = 0;
		while (off + nl < bytes && a[off + nl] && nl < TERN_NAME_MAX) {
			if (a[off + nl] > 63)
				return false;
			nl += 1 + (size_t)a[off + nl];
		}
		if (off + nl >= bytes || nl >= TERN_NAME_MAX || a[off + nl])
			return false;
		nl++;
		if (bytes - off - nl < 4)
			return false;
		uint16_t len;
		memcpy(&len, a + off + nl + 2, 2);
		if (bytes - off - nl - 4 < len)
			return false;
		off += nl + 4 + (size_t)len;
	}
	return off == bytes;
}

static size_t dnssec_bytes(const cache_dnssec *d)
{
	return d ? d->sig_bytes + d->auth_bytes : 0;
}

static bool dnssec_ok(const cache_dnssec *d)
{
	return !d || (records_fill(d->sigs, d->sig_bytes, d->nsig, false) && auth_fill(d->auth, d->auth_bytes, d->nauth));
}

/* Copies d's blocks to e's data at off (sig_off). */
static void dnssec_copy(centry *e, size_t off, const cache_dnssec *d)
{
	e->sig_off = (uint32_t)off;
	if (!d)
		return;
	e->flags = d->flags;
	e->nsig = d->nsig;
	e->nauth = d->nauth;
	if (d->sig_bytes)
		memcpy(e->data + off, d->sigs, d->sig_bytes);
	if (d->auth_bytes)
		memcpy(e->data + off + d->sig_bytes, d->auth, d->auth_bytes);
}

int cache_put_rrset(cache *c, const uint8_t *owner, uint16_t type, uint32_t ttl, uint16_t count,
                    const uint8_t *rdata, size_t rdata_bytes, uint64_t now_ms)
{
	return cache_put_rrset_dnssec(c, owner, type, ttl, count, rdata, rdata_bytes, NULL, now_ms);
}

int cache_put_negative(cache *c, const uint8_t *name, uint16_t type, uint32_t ttl, const uint8_t *soa_owner,
                       const uint8_t *soa_rdata, uint16_t soa_rdlen, uint64_t now_ms)
{
	return cache_put_negative_dnssec(c, name, type, ttl, soa_owner, soa_rdata, soa_rdlen, NULL, now_ms);
}

int cache_put_rrset_dnssec(cache *c, const uint8_t *owner, uint16_t type, uint32_t ttl, uint16_t count,
                           const uint8_t *rdata, size_t rdata_bytes, const cache_dnssec *d, uint64_t now_ms)
{
	if (type == CACHE_NXDOMAIN || count == 0)
		return TERN_ERANGE;
	/* the records must fill rdata_bytes exactly */
	if (!records_fill(rdata, rdata_bytes, count, type == TERN_T_CNAME) || !dnssec_ok(d))
		return TERN_EMALFORMED;

	uint8_t lname[TERN_NAME_MAX + 7];
	size_t name_len;
	uint32_t nh = name_key(lname, owner, &name_len);
	centry *e = NULL;
	int rc = entry_new(c, lname, name_len, type, rdata_bytes + dnssec_bytes(d), now_ms, &e);
	if (!rc) {
		if (ttl < c->o.min_ttl)
			ttl = c->o.min_ttl;
		if (ttl > c->o.max_ttl)
			ttl = c->o.max_ttl;
		e->kind = CACHE_RRSET;
		e->ttl = ttl;
		e->count = count;
		memcpy(e->data + name_len, rdata, rdata_bytes);
		dnssec_copy(e, name_len + rdata_bytes, d);
	}
	return put(c, e, rc, lname, name_len, type, nh);
}

int cache_put_negative_dnssec(cache *c, const uint8_t *name, uint16_t type, uint32_t ttl, const uint8_t *soa_owner,
                              const uint8_t *soa_rdata, uint16_t soa_rdlen, const cache_dnssec *d,
                              uint64_t now_ms)
{
	if (d && (d->nsig || !dnssec_ok(d)))
		return TERN_EMALFORMED;
	uint8_t lname[TERN_NAME_MAX + 7];
	size_t name_len;
	uint32_t nh = name_key(lname, name, &name_len);
	size_t soa_len = tern_name_len(soa_owner);
	centry *e = NULL;
	int rc = entry_new(c, lname, name_len, type, soa_len + soa_rdlen + dnssec_bytes(d), now_ms, &e);
	if (!rc) {
		e->kind = type == CACHE_NXDOMAIN ? CACHE_NXDOMAIN_HIT : CACHE_NODATA;
		e->ttl = ttl > c->o.max_neg_ttl ? c->o.max_neg_ttl : ttl;
		e->soa_rdlen = soa_rdlen;
		memcpy(e->data + name_len, soa_owner, soa_len);
		memcpy(e->data + name_len + soa_len, soa_rdata, soa_rdlen);
		dnssec_copy(e, name_len + soa_len + soa_rdlen, d);
	}
	return put(c, e, rc, lname, name_len, type, nh);
}

/* ---- lookup ---- */

enum freshness { FRESH, STALE, DEAD };

/* Remaining seconds of e at now_ms (<= 0: expired), and whether it may be
 * served. Milliseconds before the insertion time count as none elapsed. */
static enum freshness age(const cache *c, const centry *e, uint64_t now_ms, int64_t *remaining)
{
	uint64_t elapsed_ms = now_ms > e->inserted_ms ? now_ms - e->inserted_ms : 0;
	uint64_t elapsed = elapsed_ms / 1000;
	if (elapsed < e->ttl) {
		*remaining = (int64_t)(e->ttl - elapsed);
		return FRESH;
	}
	*remaining = 0;
	return elapsed < (uint64_t)e->ttl + c->o.stale_window ? STALE : DEAD;
}

/* Writes the nauth authority records at a to m with ttl. */
static int write_auth(tern_msgw *m, const uint8_t *a, unsigned nauth, uint32_t ttl)
{
	int rc = 0;
	for (unsigned i = 0; i < nauth && !rc; i++) {
		size_t ol = tern_name_len(a);
		uint16_t type, len;
		memcpy(&type, a + ol, 2);
		memcpy(&len, a + ol + 2, 2);
		rc = tern_msgw_rr(m, TERN_S_AUTHORITY, a, type, TERN_C_IN, ttl, a + ol + 4, len);
		a += ol + 4 + (size_t)len;
	}
	return rc;
}

/* Writes e to m (if not NULL) with the given TTL: the whole RRset or the SOA,
 * with the DNSSEC records qflags asks for, or nothing (TERN_ESPACE: m
 * unchanged, m->truncated set). */
static int write_entry(const centry *e, tern_msgw *m, const uint8_t *owner, uint32_t ttl, unsigned qflags)
{
	if (!m)
		return 0;
	tern_msgw_mark mk = tern_msgw_get_mark(m);
	const uint8_t *d = e->data + e->name_len;
	int rc = 0;
	if (e->kind == CACHE_RRSET) {
		uint16_t optr = 0; /* the owner is written once, then pointed to */
		for (unsigned i = 0; i < e->count && !rc; i++) {
			uint16_t len;
			memcpy(&len, d, 2);
			if (optr)
				rc = tern_msgw_rr_ptr(m, TERN_S_ANSWER, optr, e->type, TERN_C_IN, ttl, d + 2, len);
			else
				rc = tern_msgw_rr(m, TERN_S_ANSWER, owner ? owner : e->data, e->type, TERN_C_IN, ttl,
				                  d + 2, len);
			optr = m->owner_ptr;
			d += 2 + (size_t)len;
		}
		if ((qflags & CACHE_Q_DO) && (e->nsig | e->nauth) && !rc) { /* RFC 4035 3.2.1 */
			const uint8_t *sg = e->data + e->sig_off;
			for (unsigned i = 0; i < e->nsig && !rc; i++) {
				uint16_t len;
				memcpy(&len, sg, 2);
				if (optr)
					rc = tern_msgw_rr_ptr(m, TERN_S_ANSWER, optr, TERN_T_RRSIG, TERN_C_IN, ttl, sg + 2,
					                      len);
				else
					rc = tern_msgw_rr(m, TERN_S_ANSWER, owner ? owner : e->data, TERN_T_RRSIG,
					                  TERN_C_IN, ttl, sg + 2, len);
				sg += 2 + (size_t)len;
			}
			if (!rc && (qflags & CACHE_Q_AUTH))
				rc = write_auth(m, sg, e->nauth, ttl);
		}
	} else {
		size_t soa_len = tern_name_len(d);
		rc = tern_msgw_rr(m, TERN_S_AUTHORITY, d, TERN_T_SOA, TERN_C_IN, ttl, d + soa_len, e->soa_rdlen);
		if (!rc && (qflags & CACHE_Q_DO) && e->nauth) /* RFC 4035 3.1.3 */
			rc = write_auth(m, e->data + e->sig_off, e->nauth, ttl);
	}
	if (rc) {
		tern_msgw_rollback(m, &mk);
		if (rc == TERN_ESPACE)
			m->truncated = true;
	}
	return rc;
}

/* Finds a servable entry for key (lname, type) in s (locked): fresh, or
 * stale when allowed; one past its stale window is removed. */
static centry *lookup(cache *c, stripe *s, const uint8_t *lname, size_t name_len, uint16_t type, uint32_t nh,
                      uint64_t now_ms, unsigned qflags)
{
	bool allow_stale = qflags & CACHE_Q_STALE;
	centry **p;
	centry *e = find(s, lname, name_len, type, key_hash(nh, type), &p);
	if (!e)
		return NULL;
	int64_t remaining;
	enum freshness f = age(c, e, now_ms, &remaining);
	if (f == DEAD) {
		remove_entry(s, e, p);
		return NULL;
	}
	/* RFC 4035 3.2.2: what the upstream gave a CD=1 question it did not
	 * check; a CD=0 client gets it only after it is asked again */
	if ((e->flags & CACHE_F_CD) && !(qflags & CACHE_Q_CD))
		return NULL;
	return f == STALE && !allow_stale ? NULL : e;
}

/* Serves e (s locked): fills hit, moves e to the LRU head, writes to m. */
static int serve(cache *c, stripe *s, centry *e, uint64_t now_ms, tern_msgw *m, const uint8_t *owner,
                 unsigned qflags, cache_hit *hit)
{
	int64_t remaining;
	enum freshness f = age(c, e, now_ms, &remaining);
	uint32_t ttl = f == STALE ? STALE_TTL : (uint32_t)remaining;
	hit->kind = (enum cache_kind)e->kind;
	hit->ttl = ttl;
	hit->stale = f == STALE;
	hit->flags = e->flags;
	if (e->kind == CACHE_RRSET && e->type == TERN_T_CNAME) {
		uint16_t len;
		memcpy(&len, e->data + e->name_len, 2);
		memcpy(hit->target, e->data + e->name_len + 2, len);
	}
	lru_unlink(s, e);
	lru_push_head(s, e);
	s->hits++;
	bool want_prefetch = false;
	if (f == FRESH) {
		if (e->hits < UINT32_MAX)
			e->hits++;
		/* popular (>= 2 hits, this one included) and under 10% of its TTL */
		want_prefetch = !e->prefetch_given && e->hits >= 2 && (uint64_t)remaining * 10 < e->ttl;
	}
	int rc = write_entry(e, m, owner, ttl, qflags);
	if (rc == 0 && want_prefetch) {
		e->prefetch_given = true; /* given once per entry; a put makes a new entry */
		hit->prefetch = true;
	}
	return rc;
}

int cache_get(cache *c, const uint8_t *name, uint16_t type, uint64_t now_ms, bool allow_stale, tern_msgw *m,
              const uint8_t *owner, cache_hit *hit)
{
	return cache_get_q(c, name, type, now_ms, allow_stale ? CACHE_Q_STALE | CACHE_Q_CD : CACHE_Q_CD, m, owner, hit);
}

int cache_get_q(cache *c, const uint8_t *name, uint16_t type, uint64_t now_ms, unsigned qflags, tern_msgw *m,
                const uint8_t *owner, cache_hit *hit)
{
	uint8_t lname[TERN_NAME_MAX + 7];
	size_t name_len;
	uint32_t nh = name_key(lname, name, &name_len);
	stripe *s = stripe_of(c, nh);
	int rc = 0;
	hit->kind = CACHE_MISS;
	hit->ttl = 0;
	hit->stale = hit->prefetch = false;
	hit->flags = 0;

	pthread_mutex_lock(&s->lock);
	/* The (name, type) entry, or the name's NXDOMAIN entry, which answers
	 * for every type (same stripe: one lock). If both can be served, the
	 * newer wins: a name that came into existence dropped its NXDOMAIN
	 * entry (insert), one that went away has only a newer NXDOMAIN. */
	centry *e = lookup(c, s, lname, name_len, type, nh, now_ms, qflags);
	if (type != CACHE_NXDOMAIN) {
		centry *nx = lookup(c, s, lname, name_len, CACHE_NXDOMAIN, nh, now_ms, qflags);
		if (nx && (!e || nx->inserted_ms > e->inserted_ms))
			e = nx;
	}
	if (e)
		rc = serve(c, s, e, now_ms, m, owner, qflags, hit);
	else
		s->misses++;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int cache_peek(cache *c, const uint8_t *name, uint16_t type, uint64_t now_ms, cache_view *v)
{
	uint8_t lname[TERN_NAME_MAX + 7];
	size_t name_len;
	uint32_t nh = name_key(lname, name, &name_len);
	stripe *s = stripe_of(c, nh);
	memset(v, 0, sizeof *v);
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	centry *e = lookup(c, s, lname, name_len, type, nh, now_ms, CACHE_Q_CD);
	if (type != CACHE_NXDOMAIN) {
		centry *nx = lookup(c, s, lname, name_len, CACHE_NXDOMAIN, nh, now_ms, CACHE_Q_CD);
		if (nx && (!e || nx->inserted_ms > e->inserted_ms))
			e = nx;
	}
	if (e && !(v->mem = malloc(e->data_len + 1)))
		rc = -ENOMEM;
	else if (e) {
		memcpy(v->mem, e->data + e->name_len, e->data_len);
		v->kind = (enum cache_kind)e->kind;
		v->key_type = e->type;
		v->flags = e->flags;
		v->inserted_ms = e->inserted_ms;
		size_t so = e->sig_off - e->name_len;
		if (e->kind == CACHE_RRSET) {
			v->count = e->count;
			v->rdata = v->mem;
			v->rdata_bytes = so;
		} else {
			v->soa_owner = v->mem;
			size_t ol = tern_name_len(v->mem);
			v->soa_rdata = v->mem + ol;
			v->soa_rdlen = e->soa_rdlen;
		}
		/* the blocks' sizes: sigs are counted records, auth the rest */
		const uint8_t *p = v->mem + so;
		for (unsigned i = 0; i < e->nsig; i++) {
			uint16_t l;
			memcpy(&l, p, 2);
			p += 2 + (size_t)l;
		}
		v->nsig = e->nsig;
		v->sigs = v->mem + so;
		v->sig_bytes = (size_t)(p - v->sigs);
		v->nauth = e->nauth;
		v->auth = p;
		v->auth_bytes = e->data_len - (size_t)(p - v->mem);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void cache_view_free(cache_view *v)
{
	free(v->mem);
	v->mem = NULL;
}

void cache_set_status(cache *c, const uint8_t *name, uint16_t key_type, uint64_t inserted_ms, uint8_t status)
{
	uint8_t lname[TERN_NAME_MAX + 7];
	size_t name_len;
	uint32_t nh = name_key(lname, name, &name_len);
	stripe *s = stripe_of(c, nh);
	pthread_mutex_lock(&s->lock);
	centry *e = find(s, lname, name_len, key_type, key_hash(nh, key_type), NULL);
	if (e && e->inserted_ms == inserted_ms)
		e->flags = (uint8_t)((e->flags & ~CACHE_F_SECMASK) | (status & CACHE_F_SECMASK));
	pthread_mutex_unlock(&s->lock);
}

void cache_forget_status(cache *c)
{
	for (unsigned i = 0; i <= c->smask; i++) {
		stripe *s = &c->s[i];
		pthread_mutex_lock(&s->lock);
		for (centry *e = s->head; e; e = e->next)
			e->flags &= (uint8_t)~CACHE_F_SECMASK;
		pthread_mutex_unlock(&s->lock);
	}
}

void cache_get_stats(cache *c, cache_stats *out)
{
	memset(out, 0, sizeof *out);
	for (unsigned i = 0; i <= c->smask; i++) {
		stripe *s = &c->s[i];
		pthread_mutex_lock(&s->lock);
		out->bytes += s->bytes;
		out->entries += s->entries;
		out->hits += s->hits;
		out->misses += s->misses;
		out->evictions += s->evictions;
		out->inserts += s->inserts;
		pthread_mutex_unlock(&s->lock);
	}
}

/* ---- flush and walk (the control socket) ---- */

/* Is the lower-case name e (e_len bytes) at or below lname (len bytes)? */
static bool under(const uint8_t *e, size_t e_len, const uint8_t *lname, size_t len)
{
	if (e_len < len)
		return false;
	size_t off = 0;
	while (off < e_len - len) /* label starts only: "xexample.com" is not below "example.com" */
		off += 1 + (size_t)e[off];
	return off == e_len - len && memcmp(e + off, lname, len) == 0;
}

size_t cache_flush(cache *c, const uint8_t *name, uint16_t type)
{
	uint8_t lname[TERN_NAME_MAX + 7];
	size_t len = 0;
	uint32_t nh = 0;
	if (name)
		nh = name_key(lname, name, &len);
	size_t n = 0;
	if (name && type) { /* one key */
		stripe *s = stripe_of(c, nh);
		pthread_mutex_lock(&s->lock);
		centry **p;
		centry *e = find(s, lname, len, type, key_hash(nh, type), &p);
		if (e) {
			remove_entry(s, e, p);
			n++;
		}
		pthread_mutex_unlock(&s->lock);
		return n;
	}
	for (unsigned i = 0; i <= c->smask; i++) {
		stripe *s = &c->s[i];
		pthread_mutex_lock(&s->lock);
		for (centry *e = s->head, *next; e; e = next) {
			next = e->next;
			if (!name || under(e->data, e->name_len, lname, len)) {
				remove_entry(s, e, NULL);
				n++;
			}
		}
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

void cache_walk(cache *c, uint64_t now_ms, void (*fn)(void *user, const cache_entry_info *e), void *user)
{
	for (unsigned i = 0; i <= c->smask; i++) {
		stripe *s = &c->s[i];
		pthread_mutex_lock(&s->lock);
		for (const centry *e = s->head; e; e = e->next) {
			int64_t left;
			(void)age(c, e, now_ms, &left);
			if (left <= 0) { /* expired: by how much */
				uint64_t el = now_ms > e->inserted_ms ? (now_ms - e->inserted_ms) / 1000 : 0;
				left = (int64_t)e->ttl - (int64_t)el;
			}
			cache_entry_info info = {
				.name = e->data,
				.type = e->type,
				.kind = (enum cache_kind)e->kind,
				.ttl_left = left,
				.count = e->count,
				.rdata = e->data + e->name_len,
				.soa_rdlen = e->soa_rdlen,
				.bytes = e->size,
			};
			fn(user, &info);
		}
		pthread_mutex_unlock(&s->lock);
	}
}
