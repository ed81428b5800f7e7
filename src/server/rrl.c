/* rrl.c: response rate limiting (contract in rrl.h).
 *
 * Sources. The scheme is the one of BIND's rate-limit (ARM, "Response Rate
 * Limiting"), NSD's rrl.c and Knot's modules/rrl; the code is our own.
 *  - Key. All three key a bucket by the client's network (BIND and Knot
 *    /24 and /56, NSD /24 and /64), a class of response and a name. Knot
 *    hashes (class, netblock, name), where the name is the QNAME for
 *    positive and empty answers and the zone for NXDOMAIN, errors and
 *    wildcards; NSD hashes (netblock, type class, name) with the zone apex
 *    for NXDOMAIN/errors/NODATA and the delegation point for referrals;
 *    BIND adds the QTYPE for positive answers ("identical responses").
 *    Here: (family, masked address, kind, name, and QTYPE for RRL_ANSWER
 *    only), the caller choosing the name as rrl.h says.
 *  - Rate. Knot: a token bucket refilled at `rate` per second holding at
 *    most one second's worth, which lets `rate` responses a second through
 *    however hard the flood (issue 6: 15 % of a 2,000 q/s flood against a
 *    limit of 200/s got full answers). NSD: a per-second counter and a
 *    smoothed rate (r = r/2 + count), a flow being limited while that
 *    rate is over the limit. BIND: a balance credited `rate` a second and
 *    debited by every response, limited or not, down to -rate * `window`,
 *    so a flow stays limited as long as it keeps going over its limit.
 *    Ours is BIND's balance with a window of one second, refilled every
 *    millisecond in integer milli-tokens (so the counts are exact): a
 *    response passes when the balance holds a whole token; every response
 *    costs one, passed or not, down to DEBT_MS of refill below zero. A
 *    flow over its limit therefore sinks to the floor and stays there:
 *    after the burst it gets nothing until it slows down (a flood at ten
 *    times the limit gets the burst and about a tenth of it again, then
 *    nothing); once it stops, its first answer comes about DEBT_MS later,
 *    its whole burst BURST_MS after that. The burst is half a second's
 *    worth (rate / 2, rounded up): a flood of 2 s at ten times the limit
 *    gets under 3 % full answers. A flow at or under its limit is never
 *    limited (it never goes below zero).
 *  - Slip. BIND counts (every slip-th limited response slips); NSD and
 *    Knot roll a random number (on average 1 in slip). We count per
 *    bucket, so the ratio is exact and a test can check it.
 *  - Table. Knot: a fixed table with hopscotch hashing and striped locks,
 *    a colliding flow taking over the bucket (with a slow start); NSD: one
 *    bucket per hash slot, a collision resetting it; BIND: a growing hash
 *    table with LRU. Ours is fixed and set-associative: a key hashes to a
 *    set of WAYS buckets; a new flow takes an empty bucket of its set or
 *    else the least recently used one (recency by a per-stripe use counter,
 *    not the clock: thousands of packets share a millisecond). One lock
 *    per stripe of sets.
 *
 * Hash collisions. The hash is keyed with a random seed per table, so
 * collisions cannot be planned offline. A bucket is identified by the full
 * 64-bit hash of its key:
 *  - two flows with the same 64-bit hash (about n^2 / 2^65 for n live
 *    flows: nil in practice) would share one bucket, i.e. one limit;
 *  - flows that only share a set compete for its WAYS buckets; the one not
 *    used for longest is replaced, and if it comes back it starts again
 *    with a full bucket and no debt: at most one extra burst (rate / 2
 *    responses) per eviction. A bucket idle for 2.5 s is full anyway, so
 *    evicting it costs nothing. A flood keeps its own bucket most recently
 *    used, so evicting it takes WAYS other flows landing in its set
 *    between two of its packets: with the default table (8192 sets) some
 *    65,000 other packets for each flood packet. Churn from many
 *    different networks therefore cannot be used to reset a flood's
 *    bucket cheaply; it only costs those networks their own history.
 *
 * Memory: the bucket array (32 bytes a bucket) and the stripes, allocated
 * in rrl_new; rrl_check neither allocates nor calls out of this file while
 * holding a lock. */
#include "server/rrl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "server/log.h"
#include "tern/name.h"

#define WAYS 8u               /* buckets per set */
#define MAX_STRIPES 512u      /* locks */
#define MIN_BUCKETS 64u
#define MAX_BUCKETS (1u << 24)
#define DEFAULT_BUCKETS 65536u
#define MILLI 1000u           /* tokens are counted in thousandths */
#define BURST_MS 500u         /* a full bucket: this long's refill (rounded up to whole tokens) */
#define DEBT_MS 1000u         /* the floor: this long's refill below zero */

/* The balance of a bucket lies in [-rate * DEBT_MS, ceil(rate * BURST_MS / 1000) * MILLI]
 * milli-tokens, i.e. tokens * MILLI; both ends must fit an int32_t. */
_Static_assert((uint64_t)RRL_RATE_MAX * DEBT_MS <= INT32_MAX, "the debt floor overflows the balance");
_Static_assert(((uint64_t)RRL_RATE_MAX * BURST_MS / MILLI + 1) * MILLI <= INT32_MAX, "the burst overflows the balance");

typedef struct bucket {
	uint64_t fp;     /* keyed hash of the flow's key; 0 = empty */
	uint64_t stamp;  /* ms of the last refill */
	uint64_t used;   /* the stripe's tick at the last use: LRU order */
	int32_t tokens;  /* the balance, in thousandths of a response: burst >= tokens >= floor */
	uint32_t slipn;  /* limited responses since the last slip, < slip */
} bucket;

typedef struct stripe {
	_Alignas(64) pthread_mutex_t lock;
	uint64_t tick; /* counts uses of the stripe's buckets; orders them */
	rrl_stats st;  /* counted under lock */
} stripe;

struct rrl {
	uint32_t rate, slip;
	int32_t burst; /* the most a bucket holds (milli-tokens, at least one token) */
	int32_t floor; /* the deepest debt (milli-tokens, <= 0) */
	unsigned v4_prefix, v6_prefix;
	uint64_t seed[2];
	size_t nsets;    /* power of two */
	size_t nstripes; /* power of two, <= nsets */
	bucket *b;       /* nsets * WAYS */
	stripe *s;
};

rrl_opts rrl_opts_default(void)
{
	return (rrl_opts){.rate = 0, .slip = 2, .v4_prefix = 24, .v6_prefix = 56, .buckets = DEFAULT_BUCKETS};
}

static void seed_table(uint64_t seed[2])
{
	if (getrandom(seed, 2 * sizeof seed[0], GRND_NONBLOCK) == (ssize_t)(2 * sizeof seed[0]))
		return;
	/* No entropy yet (early boot): still differs between runs. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec;
	seed[1] = (uint64_t)(uintptr_t)seed * 0xc2b2ae3d27d4eb4fu ^ (uint64_t)ts.tv_nsec;
}

rrl *rrl_new(const rrl_opts *o)
{
	rrl_opts d = rrl_opts_default();
	if (!o)
		o = &d;
	rrl *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->rate = o->rate > RRL_RATE_MAX ? RRL_RATE_MAX : o->rate;
	r->slip = o->slip;
	uint64_t whole = ((uint64_t)r->rate * BURST_MS + MILLI - 1) / MILLI; /* rate / 2, rounded up */
	r->burst = (int32_t)((whole ? whole : 1) * MILLI);
	r->floor = -(int32_t)((uint64_t)r->rate * DEBT_MS);
	r->v4_prefix = o->v4_prefix == 0 ? 24 : o->v4_prefix > 32 ? 32 : o->v4_prefix;
	r->v6_prefix = o->v6_prefix == 0 ? 56 : o->v6_prefix > 128 ? 128 : o->v6_prefix;
	size_t want = o->buckets ? o->buckets : DEFAULT_BUCKETS;
	size_t n = MIN_BUCKETS;
	while (n < want && n < MAX_BUCKETS)
		n <<= 1;
	r->nsets = n / WAYS;
	r->nstripes = r->nsets < MAX_STRIPES ? r->nsets : MAX_STRIPES;
	seed_table(r->seed);
	r->b = calloc(n, sizeof *r->b);
	r->s = aligned_alloc(_Alignof(stripe), r->nstripes * sizeof *r->s);
	if (!r->b || !r->s)
		goto fail;
	size_t i;
	for (i = 0; i < r->nstripes; i++) {
		memset(&r->s[i], 0, sizeof r->s[i]);
		if (pthread_mutex_init(&r->s[i].lock, NULL) != 0)
			break;
	}
	if (i < r->nstripes) {
		while (i-- > 0)
			pthread_mutex_destroy(&r->s[i].lock);
		goto fail;
	}
	return r;
fail:
	free(r->b);
	free(r->s);
	free(r);
	return NULL;
}

void rrl_free(rrl *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nstripes; i++)
		pthread_mutex_destroy(&r->s[i].lock);
	free(r->s);
	free(r->b);
	free(r);
}

/* --- the key and its hash --- */

static uint64_t fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdu;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53u;
	x ^= x >> 33;
	return x;
}

static uint64_t rotl64(uint64_t x, unsigned n)
{
	return (x << n) | (x >> (64 - n));
}

/* A keyed 64-bit hash for table placement (murmur3-style rounds, the
 * finalizer mixing every word with the secret seed). Not a MAC: it only
 * has to keep honest keys apart and make collisions unpredictable. */
static uint64_t key_hash(const uint64_t seed[2], const uint8_t *p, size_t n)
{
	uint64_t h = seed[0] ^ ((uint64_t)n * 0x9e3779b97f4a7c15u);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h ^= fmix64(w ^ seed[1]);
		h = rotl64(h, 27) * 5 + 0x52dce729u;
	}
	uint64_t w = 0;
	for (unsigned k = 0; i < n; i++, k += 8)
		w |= (uint64_t)p[i] << k;
	h ^= fmix64(w ^ seed[1] ^ 0x2545f4914f6cdd1du);
	return fmix64(h ^ seed[0]);
}

static void mask(uint8_t *a, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		unsigned keep = prefix > 8 * i ? prefix - 8 * (unsigned)i : 0;
		if (keep < 8)
			a[i] &= (uint8_t)(0xff00u >> keep);
	}
}

/* Writes the key of a response into buf; returns its length, or 0 if the
 * client is not an IP address. Layout: family, kind, qtype (2 bytes, 0
 * unless RRL_ANSWER), the masked address (16 bytes), the lower-cased name
 * (absent for NULL; the root name is one zero byte, so the two differ). */
#define KEY_MAX (4 + 16 + TERN_NAME_MAX)
static size_t make_key(const rrl *r, uint8_t buf[KEY_MAX], const struct sockaddr *client, enum rrl_kind kind,
                       const uint8_t *name, uint16_t qtype)
{
	memset(buf, 0, 20);
	if (client->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)client;
		buf[0] = 4;
		memcpy(buf + 4, &in->sin_addr, 4);
	} else if (client->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)client;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			buf[0] = 4;
			memcpy(buf + 4, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			buf[0] = 6;
			memcpy(buf + 4, &in6->sin6_addr, 16);
		}
	} else {
		return 0;
	}
	if (buf[0] == 4)
		mask(buf + 4, 4, r->v4_prefix);
	else
		mask(buf + 4, 16, r->v6_prefix);
	buf[1] = (uint8_t)kind;
	if (kind == RRL_ANSWER) {
		buf[2] = (uint8_t)(qtype >> 8);
		buf[3] = (uint8_t)qtype;
	}
	size_t n = 20;
	if (name) {
		size_t len = tern_name_len(name);
		for (size_t i = 0; i < len; i++) {
			uint8_t c = name[i];
			buf[n++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
		}
	}
	return n;
}

/* --- buckets --- */

/* The bucket of fp in its set: the flow's own, else an empty one, else the
 * least recently used (which is then reset to a full bucket). */
static bucket *find_bucket(rrl *r, bucket *set, uint64_t fp, uint64_t now_ms, stripe *s)
{
	bucket *victim = NULL;
	s->tick++;
	for (unsigned i = 0; i < WAYS; i++) {
		bucket *b = &set[i];
		if (b->fp == fp) {
			b->used = s->tick;
			return b;
		}
		if (!victim || (victim->fp != 0 && (b->fp == 0 || b->used < victim->used)))
			victim = b;
	}
	if (victim->fp != 0)
		s->st.evictions++;
	victim->used = s->tick;
	victim->fp = fp;
	victim->stamp = now_ms;
	victim->tokens = r->burst;
	victim->slipn = 0;
	return victim;
}

/* rate milli-tokens a millisecond, up to the burst. From the floor to a
 * full bucket takes DEBT_MS + BURST_MS plus a rounding up of less than a
 * token: a longer gap fills the bucket without the multiplication. */
static void refill(const rrl *r, bucket *b, uint64_t now_ms)
{
	if (now_ms <= b->stamp)
		return; /* same millisecond, or another thread's clock is behind */
	uint64_t dt = now_ms - b->stamp;
	int64_t t = dt > DEBT_MS + BURST_MS + MILLI ? r->burst : b->tokens + (int64_t)(dt * r->rate);
	b->tokens = (int32_t)(t > r->burst ? r->burst : t);
	b->stamp = now_ms;
}

/* Debug: a response limited (only called when debug logging is on). */
static __attribute__((cold, noinline)) void log_limited(const struct sockaddr *client, enum rrl_kind kind,
                                                         enum rrl_action act)
{
	static const char *const kinds[] = {
		[RRL_ANSWER] = "answer", [RRL_NXDOMAIN] = "nxdomain", [RRL_NODATA] = "nodata",
		[RRL_REFERRAL] = "referral", [RRL_ERROR] = "error", [RRL_WILDCARD] = "wildcard",
	};
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (client->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)client;
		inet_ntop(AF_INET, &v4->sin_addr, a, sizeof a);
		port = ntohs(v4->sin_port);
	} else if (client->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)client;
		inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof a);
		port = ntohs(v6->sin6_port);
	}
	unsigned k = (unsigned)kind;
	log_msg(LOG_DEBUG, "rate limit: response (%s) to %s#%u %s",
	        k < sizeof kinds / sizeof kinds[0] && kinds[k] ? kinds[k] : "?", a, port,
	        act == RRL_SLIP ? "slipped (TC=1)" : "dropped");
}

enum rrl_action rrl_check(rrl *r, const struct sockaddr *client, enum rrl_kind kind, const uint8_t *name,
                          uint16_t qtype, uint64_t now_ms)
{
	if (!r || r->rate == 0 || !client)
		return RRL_PASS;
	uint8_t key[KEY_MAX];
	size_t klen = make_key(r, key, client, kind, name, qtype);
	if (klen == 0)
		return RRL_PASS;
	uint64_t h = key_hash(r->seed, key, klen);
	uint64_t fp = h ? h : 1;
	size_t set = (size_t)(h >> 32) & (r->nsets - 1); /* high bits: the set; all 64: the identity */
	stripe *s = &r->s[set & (r->nstripes - 1)];

	enum rrl_action act;
	pthread_mutex_lock(&s->lock);
	bucket *b = find_bucket(r, &r->b[set * WAYS], fp, now_ms, s);
	refill(r, b, now_ms);
	/* every response costs a token, a limited one too (down to the floor):
	 * a flow stays limited while it keeps going over its limit */
	bool pass = b->tokens >= (int32_t)MILLI;
	b->tokens = b->tokens - (int32_t)MILLI < r->floor ? r->floor : b->tokens - (int32_t)MILLI;
	if (pass) {
		act = RRL_PASS;
		s->st.passed++;
	} else if (r->slip != 0 && ++b->slipn >= r->slip) {
		b->slipn = 0;
		act = RRL_SLIP;
		s->st.slipped++;
	} else {
		act = RRL_DROP;
		s->st.dropped++;
	}
	pthread_mutex_unlock(&s->lock);
	if (act != RRL_PASS && log_enabled(LOG_DEBUG))
		log_limited(client, kind, act);
	return act;
}

void rrl_get_stats(rrl *r, rrl_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!r)
		return;
	for (size_t i = 0; i < r->nstripes; i++) {
		stripe *s = &r->s[i];
		pthread_mutex_lock(&s->lock);
		out->passed += s->st.passed;
		out->dropped += s->st.dropped;
		out->slipped += s->st.slipped;
		out->evictions += s->st.evictions;
		pthread_mutex_unlock(&s->lock);
	}
}
