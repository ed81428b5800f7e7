/* test_cache.c: the forwarder's answer cache (src/resolve/cache.c) with a
 * fake clock: the bytes written, TTL countdown and expiry, clamps, negative
 * entries, case, replacement, serve-stale, the prefetch flag, LRU order,
 * the byte bound, truncation, and four threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "resolve/cache.h"
#include "tern/msg.h"
#include "tern/name.h"
#include "tern/rr.h"

#define T0 1000000u /* the fake clock's start, ms */

static void nm(const char *text, uint8_t out[TERN_NAME_MAX])
{
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), NULL, out, &len), 0);
}

/* Appends one record (u16 host-order length, bytes) to an RDATA block. */
static void add_rd(uint8_t *buf, size_t *off, const void *data, uint16_t len)
{
	memcpy(buf + *off, &len, 2);
	memcpy(buf + *off + 2, data, len);
	*off += 2 + (size_t)len;
}

/* One A record 192.0.2.x. */
static int put_a(cache *c, const char *owner, uint32_t ttl, uint8_t x, uint64_t now)
{
	uint8_t n[TERN_NAME_MAX], rd[8];
	size_t off = 0;
	nm(owner, n);
	add_rd(rd, &off, (uint8_t[]){192, 0, 2, x}, 4);
	return cache_put_rrset(c, n, TERN_T_A, ttl, 1, rd, off, now);
}

typedef struct msgbuf {
	uint8_t buf[4096];
	tern_msgw m;
	size_t len;
	tern_rr rr[16];
	unsigned nrr;
} msgbuf;

static void mb_init(msgbuf *b, size_t limit)
{
	memset(b, 0, sizeof *b);
	tern_msgw_init(&b->m, b->buf, sizeof b->buf, limit, 0x1234, TERN_F_QR);
}

/* Finishes the message and parses it back into b->rr. */
static void mb_parse(msgbuf *b)
{
	int len = tern_msgw_finish(&b->m, TERN_R_NOERROR);
	assert_true(len >= TERN_HDR_LEN);
	b->len = (size_t)len;
	tern_msg_iter it;
	assert_int_equal(tern_msg_iter_init(&it, b->buf, b->len), 0);
	int rc;
	b->nrr = 0;
	while ((rc = tern_msg_next(&it, &b->rr[b->nrr])) == 1)
		assert_true(++b->nrr < 16);
	assert_int_equal(rc, 0);
}

static int get(cache *c, const char *name, uint16_t type, uint64_t now, bool stale, msgbuf *b, cache_hit *hit)
{
	uint8_t n[TERN_NAME_MAX];
	nm(name, n);
	if (b)
		mb_init(b, sizeof b->buf);
	int rc = cache_get(c, n, type, now, stale, b ? &b->m : NULL, n, hit);
	if (b && rc == 0)
		mb_parse(b);
	return rc;
}

/* TTL of a hit on (name, A), or -1 for a miss. */
static long ttl_at(cache *c, const char *name, uint64_t now)
{
	msgbuf b;
	cache_hit hit;
	assert_int_equal(get(c, name, TERN_T_A, now, false, &b, &hit), 0);
	if (hit.kind == CACHE_MISS) {
		assert_int_equal(b.nrr, 0);
		return -1;
	}
	assert_int_equal(b.nrr, 1);
	assert_int_equal(b.rr[0].ttl, hit.ttl);
	return (long)hit.ttl;
}

static cache_stats stats(cache *c)
{
	cache_stats s;
	cache_get_stats(c, &s);
	return s;
}

/* ---- tests ---- */

static void test_put_get_exact_bytes(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	assert_non_null(c);
	uint8_t owner[TERN_NAME_MAX], rd[32];
	size_t off = 0;
	nm("WWW.Example.COM.", owner);
	add_rd(rd, &off, (uint8_t[]){192, 0, 2, 1}, 4);
	add_rd(rd, &off, (uint8_t[]){192, 0, 2, 2}, 4);
	assert_int_equal(cache_put_rrset(c, owner, TERN_T_A, 300, 2, rd, off, T0), 0);

	uint8_t q[TERN_NAME_MAX], client[TERN_NAME_MAX];
	nm("www.EXAMPLE.com.", q);
	nm("wWw.eXample.com.", client);
	msgbuf b;
	mb_init(&b, sizeof b.buf);
	cache_hit hit;
	assert_int_equal(cache_get(c, q, TERN_T_A, T0, false, &b.m, client, &hit), 0);
	assert_int_equal(hit.kind, CACHE_RRSET);
	assert_int_equal(hit.ttl, 300);
	assert_false(hit.stale);
	assert_false(hit.prefetch);
	mb_parse(&b);
	static const uint8_t want[] = {
	    0x12, 0x34, 0x80, 0x00, 0, 0, 0, 2, 0, 0, 0, 0,                       /* header: AN 2 */
	    3, 'w', 'W', 'w', 7, 'e', 'X', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, /* owner as given */
	    0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1,                     /* A IN 300 */
	    0xc0, 12, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 2,           /* compressed owner */
	};
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(b.buf, want, sizeof want);
	assert_int_equal(b.nrr, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(b.rr[i].section, TERN_S_ANSWER);
		assert_memory_equal(b.rr[i].owner, client, tern_name_len(client));
		assert_int_equal(b.rr[i].type, TERN_T_A);
		assert_int_equal(b.rr[i].cls, TERN_C_IN);
		assert_int_equal(b.rr[i].ttl, 300);
		assert_int_equal(b.rr[i].rdlen, 4);
		assert_int_equal(b.buf[b.rr[i].rdata_off + 3], i + 1);
	}
	/* another type of the same name is a miss */
	assert_int_equal(cache_get(c, q, TERN_T_AAAA, T0, false, NULL, q, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	cache_stats s = stats(c);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.inserts, 1);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.misses, 1);
	assert_true(s.bytes > off);
	cache_free(c);
}

static void test_owner_null_writes_lower_case(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	assert_int_equal(put_a(c, "MiXeD.Example.", 60, 9, T0), 0);
	uint8_t q[TERN_NAME_MAX], lower[TERN_NAME_MAX];
	nm("MIXED.EXAMPLE.", q);
	nm("mixed.example.", lower);
	msgbuf b;
	mb_init(&b, sizeof b.buf);
	cache_hit hit;
	assert_int_equal(cache_get(c, q, TERN_T_A, T0, false, &b.m, NULL, &hit), 0);
	mb_parse(&b);
	assert_int_equal(b.nrr, 1);
	assert_memory_equal(b.rr[0].owner, lower, tern_name_len(lower));
	/* m NULL: the hit without writing */
	assert_int_equal(cache_get(c, q, TERN_T_A, T0, false, NULL, q, &hit), 0);
	assert_int_equal(hit.kind, CACHE_RRSET);
	cache_free(c);
}

/* remaining = ttl - floor(elapsed seconds); 0 left is expired, exactly at ttl */
static void test_ttl_countdown_and_expiry(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	assert_int_equal(put_a(c, "a.test.", 10, 1, T0), 0);
	assert_int_equal(ttl_at(c, "a.test.", T0), 10);
	assert_int_equal(ttl_at(c, "a.test.", T0 + 999), 10);
	assert_int_equal(ttl_at(c, "a.test.", T0 + 1000), 9);
	assert_int_equal(ttl_at(c, "a.test.", T0 + 3500), 7);
	assert_int_equal(ttl_at(c, "a.test.", T0 + 9999), 1);
	assert_int_equal(ttl_at(c, "a.test.", T0 + 10000), -1);
	assert_int_equal(ttl_at(c, "a.test.", T0 + 20000), -1);
	/* a clock before the insertion counts as no time elapsed */
	assert_int_equal(put_a(c, "b.test.", 1, 1, T0), 0);
	assert_int_equal(ttl_at(c, "b.test.", T0 - 5000), 1);
	assert_int_equal(ttl_at(c, "b.test.", T0 + 999), 1);
	assert_int_equal(ttl_at(c, "b.test.", T0 + 1000), -1);
	/* TTL 0: expired at once (kept only for serve-stale) */
	assert_int_equal(put_a(c, "z.test.", 0, 1, T0), 0);
	assert_int_equal(ttl_at(c, "z.test.", T0), -1);
	cache_free(c);
}

static void test_ttl_clamps(void **st)
{
	(void)st;
	cache_opts o = {.min_ttl = 60, .max_ttl = 3600, .max_neg_ttl = 300};
	cache *c = cache_new(&o);
	assert_int_equal(put_a(c, "low.test.", 5, 1, T0), 0);
	assert_int_equal(put_a(c, "high.test.", 100000, 1, T0), 0);
	assert_int_equal(put_a(c, "mid.test.", 1000, 1, T0), 0);
	assert_int_equal(ttl_at(c, "low.test.", T0), 60);
	assert_int_equal(ttl_at(c, "high.test.", T0), 3600);
	assert_int_equal(ttl_at(c, "mid.test.", T0), 1000);
	assert_int_equal(ttl_at(c, "low.test.", T0 + 59999), 1);
	assert_int_equal(ttl_at(c, "high.test.", T0 + 3600000), -1);

	uint8_t n[TERN_NAME_MAX], soa[TERN_NAME_MAX];
	uint8_t soa_rd[22] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
	nm("test.", soa);
	nm("neg.test.", n);
	cache_hit hit;
	assert_int_equal(cache_put_negative(c, n, CACHE_NXDOMAIN, 10000, soa, soa_rd, 22, T0), 0);
	assert_int_equal(cache_get(c, n, TERN_T_A, T0, false, NULL, n, &hit), 0);
	assert_int_equal(hit.kind, CACHE_NXDOMAIN_HIT);
	assert_int_equal(hit.ttl, 300);
	/* min_ttl applies to RRsets only: a short negative TTL stays short */
	nm("neg2.test.", n);
	assert_int_equal(cache_put_negative(c, n, TERN_T_A, 5, soa, soa_rd, 22, T0), 0);
	assert_int_equal(cache_get(c, n, TERN_T_A, T0, false, NULL, n, &hit), 0);
	assert_int_equal(hit.kind, CACHE_NODATA);
	assert_int_equal(hit.ttl, 5);
	cache_free(c);
}

/* SOA RDATA: mname rname serial refresh retry expire minimum */
static size_t soa_rdata(uint8_t *out)
{
	uint8_t mname[TERN_NAME_MAX], rname[TERN_NAME_MAX];
	nm("ns.example.", mname);
	nm("host.example.", rname);
	size_t a = tern_name_len(mname), b = tern_name_len(rname);
	memcpy(out, mname, a);
	memcpy(out + a, rname, b);
	static const uint8_t nums[20] = {0, 0, 0, 7, 0, 0, 0x0e, 0x10, 0, 0, 2, 0x58, 0, 1, 0x51, 0x80, 0, 0, 1, 0x2c};
	memcpy(out + a + b, nums, 20);
	return a + b + 20;
}

static void check_soa(const msgbuf *b, const uint8_t *soa_owner, const uint8_t *rd, size_t rdlen, uint32_t ttl)
{
	assert_int_equal(b->nrr, 1);
	const tern_rr *rr = &b->rr[0];
	assert_int_equal(rr->section, TERN_S_AUTHORITY);
	assert_memory_equal(rr->owner, soa_owner, tern_name_len(soa_owner)); /* case kept */
	assert_int_equal(rr->type, TERN_T_SOA);
	assert_int_equal(rr->cls, TERN_C_IN);
	assert_int_equal(rr->ttl, ttl);
	/* its names may be compressed against the owner (taking the owner's
	 * case for the shared suffix): compare decoded, ignoring case */
	tern_rd r;
	tern_rd_init(&r, b->buf, b->len);
	r.pos = rr->rdata_off;
	uint8_t n1[TERN_NAME_MAX], n2[TERN_NAME_MAX];
	size_t l1, l2;
	assert_int_equal(tern_rd_name(&r, n1, &l1), 0);
	assert_int_equal(tern_rd_name(&r, n2, &l2), 0);
	assert_true(tern_name_eq(n1, rd));
	assert_true(tern_name_eq(n2, rd + l1));
	const uint8_t *nums = tern_rd_take(&r, 20);
	assert_non_null(nums);
	assert_memory_equal(nums, rd + l1 + l2, 20);
	assert_int_equal(r.pos, rr->rdata_off + rr->rdlen);
	assert_int_equal(l1 + l2 + 20, rdlen);
}

static void test_nxdomain(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	uint8_t n[TERN_NAME_MAX], soa[TERN_NAME_MAX], rd[600];
	size_t rdlen = soa_rdata(rd);
	nm("Gone.Example.", n);
	nm("Example.", soa);
	assert_int_equal(cache_put_negative(c, n, CACHE_NXDOMAIN, 600, soa, rd, (uint16_t)rdlen, T0), 0);
	msgbuf b;
	cache_hit hit;
	/* every type of the name, and the NXDOMAIN key itself */
	const uint16_t types[] = {TERN_T_A, TERN_T_AAAA, TERN_T_MX, CACHE_NXDOMAIN};
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(get(c, "gone.example.", types[i], T0 + 2500, false, &b, &hit), 0);
		assert_int_equal(hit.kind, CACHE_NXDOMAIN_HIT);
		assert_int_equal(hit.ttl, 598);
		check_soa(&b, soa, rd, rdlen, 598);
		assert_int_equal(b.m.count[TERN_S_ANSWER], 0);
	}
	assert_int_equal(get(c, "other.example.", TERN_T_A, T0, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	assert_int_equal(get(c, "x.gone.example.", TERN_T_A, T0, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	assert_int_equal(get(c, "gone.example.", TERN_T_A, T0 + 600000, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);

	/* the name comes into existence: an RRset of it drops the NXDOMAIN entry */
	assert_int_equal(cache_put_negative(c, n, CACHE_NXDOMAIN, 600, soa, rd, (uint16_t)rdlen, T0), 0);
	assert_int_equal(put_a(c, "gone.example.", 60, 1, T0), 0);
	assert_int_equal(get(c, "gone.example.", TERN_T_AAAA, T0, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	assert_int_equal(stats(c).entries, 1);
	/* the name goes away: a newer NXDOMAIN wins over its older RRset */
	assert_int_equal(cache_put_negative(c, n, CACHE_NXDOMAIN, 5, soa, rd, (uint16_t)rdlen, T0 + 1000), 0);
	assert_int_equal(get(c, "gone.example.", TERN_T_A, T0 + 2000, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_NXDOMAIN_HIT);
	assert_int_equal(b.m.count[TERN_S_ANSWER], 0);
	/* ... until the NXDOMAIN entry expires: then the RRset's own TTL rules */
	assert_int_equal(ttl_at(c, "gone.example.", T0 + 6000), 54);
	cache_free(c);
}

static void test_nodata(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	uint8_t n[TERN_NAME_MAX], soa[TERN_NAME_MAX], rd[600];
	size_t rdlen = soa_rdata(rd);
	nm("v4only.example.", n);
	nm("example.", soa);
	assert_int_equal(cache_put_negative(c, n, TERN_T_AAAA, 120, soa, rd, (uint16_t)rdlen, T0), 0);
	assert_int_equal(put_a(c, "v4only.example.", 300, 4, T0), 0);
	msgbuf b;
	cache_hit hit;
	assert_int_equal(get(c, "V4ONLY.example.", TERN_T_AAAA, T0 + 20000, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_NODATA);
	assert_int_equal(hit.ttl, 100);
	check_soa(&b, soa, rd, rdlen, 100);
	assert_int_equal(ttl_at(c, "v4only.example.", T0 + 20000), 280);
	assert_int_equal(get(c, "v4only.example.", TERN_T_MX, T0, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	assert_int_equal(get(c, "v4only.example.", TERN_T_AAAA, T0 + 120000, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	cache_free(c);
}

static void test_cname_target(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	uint8_t owner[TERN_NAME_MAX], target[TERN_NAME_MAX], rd[300];
	nm("alias.example.", owner);
	nm("Real.Example.NET.", target);
	size_t off = 0;
	add_rd(rd, &off, target, (uint16_t)tern_name_len(target));
	assert_int_equal(cache_put_rrset(c, owner, TERN_T_CNAME, 60, 1, rd, off, T0), 0);
	msgbuf b;
	cache_hit hit;
	memset(&hit, 0xaa, sizeof hit);
	assert_int_equal(get(c, "ALIAS.example.", TERN_T_CNAME, T0, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_RRSET);
	assert_memory_equal(hit.target, target, tern_name_len(target));
	assert_int_equal(b.nrr, 1);
	assert_int_equal(b.rr[0].type, TERN_T_CNAME);
	tern_rd r;
	tern_rd_init(&r, b.buf, b.len);
	r.pos = b.rr[0].rdata_off;
	uint8_t got[TERN_NAME_MAX];
	size_t len;
	assert_int_equal(tern_rd_name(&r, got, &len), 0);
	assert_memory_equal(got, target, len);
	cache_free(c);
}

static void test_replacement(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	assert_int_equal(put_a(c, "r.test.", 100, 1, T0), 0);
	uint8_t n[TERN_NAME_MAX], rd[16];
	size_t off = 0;
	nm("R.TEST.", n);
	add_rd(rd, &off, (uint8_t[]){198, 51, 100, 7}, 4);
	add_rd(rd, &off, (uint8_t[]){198, 51, 100, 8}, 4);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_A, 50, 2, rd, off, T0 + 10000), 0);
	msgbuf b;
	cache_hit hit;
	assert_int_equal(get(c, "r.test.", TERN_T_A, T0 + 10000, false, &b, &hit), 0);
	assert_int_equal(hit.ttl, 50);
	assert_int_equal(b.nrr, 2);
	assert_int_equal(b.buf[b.rr[0].rdata_off + 3], 7);
	assert_int_equal(b.buf[b.rr[1].rdata_off + 3], 8);
	cache_stats s = stats(c);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.inserts, 2);
	/* replaced by a negative entry of the same key */
	uint8_t soa[TERN_NAME_MAX], srd[600];
	size_t slen = soa_rdata(srd);
	nm("test.", soa);
	assert_int_equal(cache_put_negative(c, n, TERN_T_A, 30, soa, srd, (uint16_t)slen, T0 + 10000), 0);
	assert_int_equal(get(c, "r.test.", TERN_T_A, T0 + 10000, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_NODATA);
	assert_int_equal(stats(c).entries, 1);
	cache_free(c);
}

static void test_serve_stale(void **st)
{
	(void)st;
	cache_opts o = {.stale_window = 60};
	cache *c = cache_new(&o);
	assert_int_equal(put_a(c, "s.test.", 10, 5, T0), 0);
	msgbuf b;
	cache_hit hit;
	/* fresh: not stale even when allowed */
	assert_int_equal(get(c, "s.test.", TERN_T_A, T0 + 9999, true, &b, &hit), 0);
	assert_false(hit.stale);
	assert_int_equal(hit.ttl, 1);
	/* expired: a miss without allow_stale, stale TTL 30 with it */
	assert_int_equal(get(c, "s.test.", TERN_T_A, T0 + 10000, false, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	assert_int_equal(b.nrr, 0);
	assert_int_equal(get(c, "s.test.", TERN_T_A, T0 + 10000, true, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_RRSET);
	assert_true(hit.stale);
	assert_false(hit.prefetch);
	assert_int_equal(hit.ttl, 30);
	assert_int_equal(b.nrr, 1);
	assert_int_equal(b.rr[0].ttl, 30);
	assert_int_equal(get(c, "s.test.", TERN_T_A, T0 + 69999, true, &b, &hit), 0);
	assert_true(hit.stale);
	/* past expiry + window: a miss, and the entry is gone */
	assert_int_equal(get(c, "s.test.", TERN_T_A, T0 + 70000, true, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).bytes, 0);

	/* stale negative entries: the SOA with TTL 30 */
	uint8_t n[TERN_NAME_MAX], soa[TERN_NAME_MAX], rd[600];
	size_t rdlen = soa_rdata(rd);
	nm("nx.test.", n);
	nm("test.", soa);
	assert_int_equal(cache_put_negative(c, n, CACHE_NXDOMAIN, 5, soa, rd, (uint16_t)rdlen, T0), 0);
	assert_int_equal(get(c, "nx.test.", TERN_T_TXT, T0 + 6000, true, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_NXDOMAIN_HIT);
	assert_true(hit.stale);
	check_soa(&b, soa, rd, rdlen, 30);
	cache_free(c);

	/* stale_window 0: never stale */
	c = cache_new(NULL);
	assert_int_equal(put_a(c, "s.test.", 10, 5, T0), 0);
	assert_int_equal(get(c, "s.test.", TERN_T_A, T0 + 10000, true, &b, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	cache_free(c);
}

static bool prefetch_at(cache *c, const char *name, uint64_t now)
{
	cache_hit hit;
	assert_int_equal(get(c, name, TERN_T_A, now, false, NULL, &hit), 0);
	assert_int_equal(hit.kind, CACHE_RRSET);
	return hit.prefetch;
}

static void test_prefetch_once(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	assert_int_equal(put_a(c, "p.test.", 100, 1, T0), 0);
	assert_false(prefetch_at(c, "p.test.", T0));          /* hit 1 */
	assert_false(prefetch_at(c, "p.test.", T0 + 50000));  /* hit 2, 50 s left */
	assert_false(prefetch_at(c, "p.test.", T0 + 90000));  /* 10 s left: not under 10% */
	assert_true(prefetch_at(c, "p.test.", T0 + 91000));   /* 9 s left */
	assert_false(prefetch_at(c, "p.test.", T0 + 91000));  /* exactly once */
	assert_false(prefetch_at(c, "p.test.", T0 + 99999));
	/* replaced: the flag may be given again, once the entry is popular */
	assert_int_equal(put_a(c, "p.test.", 100, 2, T0 + 100000), 0);
	assert_false(prefetch_at(c, "p.test.", T0 + 195000)); /* 5 s left but only 1 hit */
	assert_true(prefetch_at(c, "p.test.", T0 + 195000));
	assert_false(prefetch_at(c, "p.test.", T0 + 196000));

	/* an entry hit once, late, is not popular */
	assert_int_equal(put_a(c, "q.test.", 100, 1, T0), 0);
	assert_false(prefetch_at(c, "q.test.", T0 + 95000));
	cache_free(c);
}

/* a message with no room for a whole RRset is left as it was */
static void test_truncation_leaves_message_unchanged(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	uint8_t n[TERN_NAME_MAX], rd[64];
	size_t off = 0;
	nm("t.example.", n);
	for (uint8_t i = 1; i <= 3; i++)
		add_rd(rd, &off, (uint8_t[]){192, 0, 2, i}, 4);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_A, 60, 3, rd, off, T0), 0);

	/* header and question: 12 + 11 + 4 = 27; each RR (owner compressed to
	 * the question's name): 2 + 10 + 4 = 16. Room for two records of three. */
	msgbuf b;
	mb_init(&b, 27 + 2 * 16 + 8);
	assert_int_equal(tern_msgw_question(&b.m, n, TERN_T_A, TERN_C_IN), 0);
	size_t pos = b.m.w.pos;
	uint8_t before[128];
	memcpy(before, b.buf, sizeof before);
	tern_msgw saved = b.m;
	cache_hit hit;
	assert_int_equal(cache_get(c, n, TERN_T_A, T0, false, &b.m, n, &hit), TERN_ESPACE);
	assert_true(b.m.truncated);
	assert_int_equal(b.m.w.pos, pos);
	assert_int_equal(b.m.w.err, 0);
	assert_memory_equal(b.m.count, saved.count, sizeof saved.count);
	assert_int_equal(b.m.ct.n, saved.ct.n);
	assert_memory_equal(b.buf, before, pos);
	/* the entry is still there: a bigger message gets the whole RRset */
	mb_init(&b, sizeof b.buf);
	assert_int_equal(cache_get(c, n, TERN_T_A, T0, false, &b.m, n, &hit), 0);
	mb_parse(&b);
	assert_int_equal(b.nrr, 3);

	/* a negative entry's SOA, likewise */
	uint8_t soa[TERN_NAME_MAX], srd[600];
	size_t slen = soa_rdata(srd);
	nm("example.", soa);
	nm("nx.example.", n);
	assert_int_equal(cache_put_negative(c, n, CACHE_NXDOMAIN, 60, soa, srd, (uint16_t)slen, T0), 0);
	mb_init(&b, 40);
	assert_int_equal(cache_get(c, n, TERN_T_A, T0, false, &b.m, n, &hit), TERN_ESPACE);
	assert_true(b.m.truncated);
	assert_int_equal(b.m.w.pos, TERN_HDR_LEN);
	assert_int_equal(b.m.count[TERN_S_AUTHORITY], 0);
	cache_free(c);
}

/* An RRset is written with its owner once: as a pointer to the question
 * when the owner is the question's own buffer, else in full (compressed)
 * for the first record and a pointer to it for the others. Either way the
 * names read back in the client's spelling. */
static void test_owner_written_once(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	uint8_t n[TERN_NAME_MAX], asked[TERN_NAME_MAX], rd[64];
	size_t off = 0;
	nm("o.example.", n);
	nm("O.Example.", asked);
	for (uint8_t i = 1; i <= 3; i++)
		add_rd(rd, &off, (uint8_t[]){192, 0, 2, i}, 4);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_A, 60, 3, rd, off, T0), 0);
	cache_hit hit;
	for (int at_question = 0; at_question < 2; at_question++) {
		msgbuf b;
		mb_init(&b, sizeof b.buf);
		uint8_t other[TERN_NAME_MAX];
		memcpy(other, asked, sizeof other); /* same name, another buffer */
		assert_int_equal(tern_msgw_question(&b.m, asked, TERN_T_A, TERN_C_IN), 0);
		size_t pos = b.m.w.pos; /* 12 + 11 + 4 */
		assert_int_equal(cache_get(c, n, TERN_T_A, T0, false, &b.m, at_question ? asked : other, &hit), 0);
		/* each record: a 2-byte owner pointer to the question (offset 12),
		 * type, class, TTL, length, 4 bytes */
		assert_int_equal(b.m.w.pos, pos + 3 * (2 + 10 + 4));
		for (int i = 0; i < 3; i++) {
			assert_int_equal(b.buf[pos + (size_t)i * 16], 0xc0);
			assert_int_equal(b.buf[pos + (size_t)i * 16 + 1], TERN_HDR_LEN);
		}
		mb_parse(&b);
		assert_int_equal(b.nrr, 4); /* the question, then the RRset */
		for (int i = 1; i <= 3; i++)
			assert_memory_equal(b.rr[i].owner, asked, tern_name_len(asked));
	}
	cache_free(c);
}

static void test_lru_eviction_order(void **st)
{
	(void)st;
	/* measure one entry, then allow room for four and a half */
	cache *c = cache_new(&(cache_opts){.stripes = 1});
	assert_int_equal(put_a(c, "n0.test.", 300, 0, T0), 0);
	size_t one = stats(c).bytes;
	cache_free(c);
	c = cache_new(&(cache_opts){.stripes = 1, .max_bytes = one * 4 + one / 2});
	for (uint8_t i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof name, "n%u.test.", i);
		assert_int_equal(put_a(c, name, 300, i, T0 + i), 0);
	}
	assert_int_equal(stats(c).entries, 4);
	assert_int_equal(ttl_at(c, "n0.test.", T0 + 10), 300); /* touch n0: n1 is now the oldest */
	assert_int_equal(put_a(c, "n4.test.", 300, 4, T0 + 20), 0);
	assert_int_equal(ttl_at(c, "n1.test.", T0 + 30), -1);
	assert_int_equal(stats(c).evictions, 1);
	assert_int_equal(put_a(c, "n5.test.", 300, 5, T0 + 40), 0); /* then n2 */
	assert_int_equal(ttl_at(c, "n2.test.", T0 + 50), -1);
	assert_int_equal(ttl_at(c, "n0.test.", T0 + 50), 300);
	assert_int_equal(ttl_at(c, "n3.test.", T0 + 50), 300);
	assert_int_equal(ttl_at(c, "n4.test.", T0 + 50), 300);
	assert_int_equal(ttl_at(c, "n5.test.", T0 + 50), 300);
	cache_stats s = stats(c);
	assert_int_equal(s.entries, 4);
	assert_int_equal(s.evictions, 2);
	assert_true(s.bytes <= one * 4 + one / 2);
	cache_free(c);
}

static void flood(const cache_opts *o)
{
	cache *c = cache_new(o);
	assert_non_null(c);
	uint8_t rd[512];
	size_t off = 0;
	uint8_t txt[200];
	memset(txt, 'x', sizeof txt);
	txt[0] = sizeof txt - 1;
	add_rd(rd, &off, txt, sizeof txt);
	for (unsigned i = 0; i < 100000; i++) {
		char text[32];
		uint8_t n[TERN_NAME_MAX];
		snprintf(text, sizeof text, "u%u.flood.test.", i);
		nm(text, n);
		if (i % 7 == 0)
			assert_int_equal(put_a(c, text, 300, 1, T0 + i), 0);
		else
			assert_int_equal(cache_put_rrset(c, n, TERN_T_TXT, 300, 1, rd, off, T0 + i), 0);
		cache_stats s = stats(c);
		assert_true(s.bytes <= o->max_bytes);
		/* the newest entry is always there */
		cache_hit hit;
		assert_int_equal(cache_get(c, n, i % 7 ? TERN_T_TXT : TERN_T_A, T0 + i, false, NULL, n, &hit), 0);
		assert_int_equal(hit.kind, CACHE_RRSET);
	}
	cache_stats s = stats(c);
	assert_true(s.evictions > 90000);
	assert_true(s.entries > 10);
	assert_int_equal(s.inserts, 100000);
	cache_free(c);
}

static void test_byte_bound_under_flood(void **st)
{
	(void)st;
	flood(&(cache_opts){.max_bytes = 64 << 10});                /* default stripes */
	flood(&(cache_opts){.max_bytes = 64 << 10, .stripes = 16}); /* 4 KiB each */
}

static void test_oversized_entry_refused(void **st)
{
	(void)st;
	cache *c = cache_new(&(cache_opts){.max_bytes = 4096, .stripes = 1});
	uint8_t n[TERN_NAME_MAX], rd[8192];
	nm("big.test.", n);
	assert_int_equal(put_a(c, "big.test.", 60, 1, T0), 0);
	assert_int_equal(put_a(c, "small.test.", 60, 1, T0), 0);
	size_t off = 0;
	uint8_t blob[4000] = {0};
	add_rd(rd, &off, blob, sizeof blob);
	add_rd(rd, &off, blob, 100);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_A, 60, 2, rd, off, T0), TERN_ELIMIT);
	/* refused without evicting others; the older entry of that key is gone */
	assert_int_equal(ttl_at(c, "big.test.", T0), -1);
	assert_int_equal(ttl_at(c, "small.test.", T0), 60);
	cache_stats s = stats(c);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.evictions, 0);
	/* an entry that just fits the stripe evicts everything else */
	off = 0;
	add_rd(rd, &off, blob, 3950);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_TXT, 60, 1, rd, off, T0), 0);
	s = stats(c);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.evictions, 1);
	assert_true(s.bytes <= 4096);
	cache_free(c);
}

static void test_bad_input(void **st)
{
	(void)st;
	cache *c = cache_new(NULL);
	uint8_t n[TERN_NAME_MAX], rd[32];
	nm("bad.test.", n);
	size_t off = 0;
	add_rd(rd, &off, (uint8_t[]){1, 2, 3, 4}, 4);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_A, 60, 2, rd, off, T0), TERN_EMALFORMED);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_A, 60, 1, rd, off + 1, T0), TERN_EMALFORMED);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_A, 60, 1, rd, 3, T0), TERN_EMALFORMED);
	assert_int_equal(cache_put_rrset(c, n, TERN_T_A, 60, 0, rd, 0, T0), TERN_ERANGE);
	assert_int_equal(cache_put_rrset(c, n, CACHE_NXDOMAIN, 60, 1, rd, off, T0), TERN_ERANGE);
	assert_int_equal(stats(c).entries, 0);
	cache_free(c);
}

/* ---- threads ---- */

#define MT_NAMES 64

typedef struct mt_arg {
	cache *c;
	unsigned seed;
	atomic_bool *stop;
	unsigned long ops, hits;
} mt_arg;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned xorshift(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Puts and gets on a small set of names; every record of name i carries i
 * in its RDATA, so a hit mixing two entries would show. */
static void *mt_worker(void *p)
{
	mt_arg *a = p;
	uint8_t buf[2048];
	while (!atomic_load(a->stop)) {
		unsigned r = xorshift(&a->seed);
		unsigned i = r % MT_NAMES;
		char text[32];
		uint8_t n[TERN_NAME_MAX];
		snprintf(text, sizeof text, "%s%u.mt.test.", r & 0x100 ? "H" : "h", i);
		size_t len;
		if (tern_name_from_text(text, strlen(text), NULL, n, &len) != 0)
			return NULL;
		uint64_t now = mono_ms();
		if ((r >> 9) % 4 == 0) {
			uint8_t rd[256];
			size_t off = 0;
			unsigned count = 1 + (r >> 12) % 8;
			for (unsigned k = 0; k < count; k++)
				add_rd(rd, &off, (uint8_t[]){10, (uint8_t)i, (uint8_t)k, (uint8_t)count}, 4);
			if (cache_put_rrset(a->c, n, TERN_T_A, 1 + (r >> 16) % 3, (uint16_t)count, rd, off, now) != 0)
				return NULL;
		} else if ((r >> 9) % 64 == 1) {
			cache_stats s;
			cache_get_stats(a->c, &s);
			if (s.bytes > 8192)
				return NULL;
		} else {
			tern_msgw m;
			tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 1, 0);
			cache_hit hit;
			if (cache_get(a->c, n, TERN_T_A, now, r & 1, &m, n, &hit) != 0)
				return NULL;
			if (hit.kind == CACHE_RRSET) {
				a->hits++;
				int mlen = tern_msgw_finish(&m, 0);
				tern_msg_iter it;
				tern_rr rr;
				if (mlen < 0 || tern_msg_iter_init(&it, buf, (size_t)mlen) != 0)
					return NULL;
				unsigned k = 0, count = it.hdr.count[TERN_S_ANSWER];
				while (tern_msg_next(&it, &rr) == 1) {
					const uint8_t *d = buf + rr.rdata_off;
					if (rr.rdlen != 4 || d[1] != i || d[2] != k || d[3] != count)
						return NULL;
					k++;
				}
				if (k != count || k == 0)
					return NULL;
			}
		}
		a->ops++;
	}
	return a;
}

static void test_threads(void **st)
{
	(void)st;
	cache *c = cache_new(&(cache_opts){.max_bytes = 8192, .stripes = 4, .stale_window = 2});
	atomic_bool stop = false;
	mt_arg args[4];
	pthread_t th[4];
	for (unsigned t = 0; t < 4; t++) {
		args[t] = (mt_arg){.c = c, .seed = 0x9e3779b9u * (t + 1), .stop = &stop};
		assert_int_equal(pthread_create(&th[t], NULL, mt_worker, &args[t]), 0);
	}
	struct timespec one = {.tv_sec = 1};
	nanosleep(&one, NULL);
	atomic_store(&stop, true);
	unsigned long ops = 0, hits = 0;
	for (unsigned t = 0; t < 4; t++) {
		void *ret;
		assert_int_equal(pthread_join(th[t], &ret), 0);
		assert_ptr_equal(ret, &args[t]); /* NULL: a worker saw something wrong */
		ops += args[t].ops;
		hits += args[t].hits;
	}
	cache_stats s = stats(c);
	assert_true(s.bytes <= 8192);
	assert_true(ops > 1000);
	assert_true(hits > 0);
	assert_int_equal(s.hits, hits);
	cache_free(c);
}

/* ternctl cache-flush: a name takes its subtree (label boundaries only),
 * a name and type exactly that key, no name everything. */
static void test_flush_subtree_and_key(void **state)
{
	(void)state;
	cache *c = cache_new(NULL);
	assert_non_null(c);
	assert_int_equal(put_a(c, "example.com.", 300, 1, T0), 0);
	assert_int_equal(put_a(c, "www.example.com.", 300, 2, T0), 0);
	assert_int_equal(put_a(c, "a.b.Example.COM.", 300, 3, T0), 0);
	assert_int_equal(put_a(c, "xexample.com.", 300, 4, T0), 0);
	assert_int_equal(put_a(c, "example.org.", 300, 5, T0), 0);
	uint8_t n[TERN_NAME_MAX];
	nm("WWW.example.com.", n);
	assert_int_equal(cache_flush(c, n, TERN_T_AAAA), 0);
	assert_int_equal(cache_flush(c, n, TERN_T_A), 1);
	assert_int_equal(ttl_at(c, "www.example.com.", T0), -1);
	assert_int_equal(ttl_at(c, "example.com.", T0), 300);
	nm("example.COM.", n);
	assert_int_equal(cache_flush(c, n, 0), 2); /* example.com, a.b.example.com */
	assert_int_equal(ttl_at(c, "a.b.example.com.", T0), -1);
	assert_int_equal(ttl_at(c, "xexample.com.", T0), 300);
	assert_int_equal(ttl_at(c, "example.org.", T0), 300);
	assert_int_equal(cache_flush(c, NULL, 0), 2);
	cache_stats st;
	cache_get_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	cache_free(c);
}

static void count_entry(void *user, const cache_entry_info *e)
{
	long *seen = user;
	if (e->kind == CACHE_RRSET && e->type == TERN_T_A && e->count == 1) {
		assert_int_equal(e->ttl_left, 290);
		seen[0]++;
	}
	if (e->kind == CACHE_NXDOMAIN_HIT)
		seen[1]++;
}

static void test_walk_remaining_ttl(void **state)
{
	(void)state;
	cache *c = cache_new(NULL);
	assert_int_equal(put_a(c, "one.example.", 300, 1, T0), 0);
	assert_int_equal(put_a(c, "two.example.", 300, 2, T0), 0);
	long seen[2] = {0, 0};
	cache_walk(c, T0 + 10000, count_entry, seen);
	assert_int_equal(seen[0], 2);
	assert_int_equal(seen[1], 0);
	cache_free(c);
}

/* DNSSEC data kept with an entry (issue 14 item 1): RRSIGs written after
 * the RRset for DO lookups only; the authority block only when the RRset
 * ends the answer; a negative entry's proofs after its SOA; an entry got
 * with CD=1 is a miss for CD=0 lookups; the status bits set on the entry
 * they were judged on only; blocks that do not fill their sizes refused. */
static void test_dnssec_blocks(void **state)
{
	(void)state;
	cache *c = cache_new(NULL);
	uint8_t n[TERN_NAME_MAX], rd[64], sigs[128], auth[TERN_NAME_MAX + 64];
	size_t off = 0, so = 0, ao = 0;
	nm("www.example.com.", n);
	add_rd(rd, &off, (uint8_t[]){192, 0, 2, 1}, 4);
	uint8_t sig[19 + 13 + 4] = {0, 1, 13, 3}; /* type covered A; signer example.com; a short "signature" */
	memcpy(sig + 18, "\7example\3com", 13);
	add_rd(sigs, &so, sig, sizeof sig);
	/* one authority record: example.com NSEC (next www.example.com, A) */
	nm("example.com.", auth);
	size_t ol = tern_name_len(auth);
	uint8_t nsec[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0x40};
	uint16_t t = TERN_T_NSEC, l = sizeof nsec;
	memcpy(auth + ol, &t, 2);
	memcpy(auth + ol + 2, &l, 2);
	memcpy(auth + ol + 4, nsec, sizeof nsec);
	ao = ol + 4 + sizeof nsec;
	cache_dnssec d = {.nsig = 1, .sigs = sigs, .sig_bytes = so, .nauth = 1, .auth = auth, .auth_bytes = ao};
	assert_int_equal(cache_put_rrset_dnssec(c, n, TERN_T_A, 300, 1, rd, off, &d, T0), 0);
	msgbuf b;
	cache_hit hit;
	unsigned flags[] = {0, CACHE_Q_DO, CACHE_Q_DO | CACHE_Q_AUTH};
	unsigned want_an[] = {1, 2, 2}, want_ns[] = {0, 0, 1};
	for (int i = 0; i < 3; i++) {
		mb_init(&b, sizeof b.buf);
		assert_int_equal(cache_get_q(c, n, TERN_T_A, T0, flags[i], &b.m, n, &hit), 0);
		assert_int_equal(b.m.count[TERN_S_ANSWER], want_an[i]);
		assert_int_equal(b.m.count[TERN_S_AUTHORITY], want_ns[i]);
		mb_parse(&b);
		if (want_an[i] == 2)
			assert_int_equal(b.rr[1].type, TERN_T_RRSIG);
	}
	/* the view the validator reads, and its status */
	cache_view v;
	assert_int_equal(cache_peek(c, n, TERN_T_A, T0, &v), 0);
	assert_int_equal(v.kind, CACHE_RRSET);
	assert_int_equal(v.nsig, 1);
	assert_int_equal(v.sig_bytes, so);
	assert_int_equal(v.nauth, 1);
	assert_int_equal(v.auth_bytes, ao);
	assert_memory_equal(v.auth, auth, ao);
	cache_set_status(c, n, TERN_T_A, v.inserted_ms + 1, CACHE_F_SECURE); /* another entry: ignored */
	assert_int_equal(cache_get_q(c, n, TERN_T_A, T0, 0, NULL, n, &hit), 0);
	assert_int_equal(hit.flags & CACHE_F_SECMASK, 0);
	cache_set_status(c, n, TERN_T_A, v.inserted_ms, CACHE_F_SECURE);
	assert_int_equal(cache_get_q(c, n, TERN_T_A, T0, 0, NULL, n, &hit), 0);
	assert_int_equal(hit.flags & CACHE_F_SECMASK, CACHE_F_SECURE);
	cache_view_free(&v);
	/* got with CD=1: only CD lookups see it */
	d.flags = CACHE_F_CD;
	assert_int_equal(cache_put_rrset_dnssec(c, n, TERN_T_A, 300, 1, rd, off, &d, T0), 0);
	assert_int_equal(cache_get_q(c, n, TERN_T_A, T0, 0, NULL, n, &hit), 0);
	assert_int_equal(hit.kind, CACHE_MISS);
	assert_int_equal(cache_get_q(c, n, TERN_T_A, T0, CACHE_Q_CD, NULL, n, &hit), 0);
	assert_int_equal(hit.kind, CACHE_RRSET);
	/* a negative entry: the SOA, then the proofs for DO */
	uint8_t soa_rd[22] = {0}, nx[TERN_NAME_MAX];
	nm("nope.example.com.", nx);
	d = (cache_dnssec){.nauth = 1, .auth = auth, .auth_bytes = ao};
	assert_int_equal(cache_put_negative_dnssec(c, nx, CACHE_NXDOMAIN, 60, auth, soa_rd, 22, &d, T0), 0);
	mb_init(&b, sizeof b.buf);
	assert_int_equal(cache_get_q(c, nx, TERN_T_A, T0, CACHE_Q_DO, &b.m, nx, &hit), 0);
	assert_int_equal(hit.kind, CACHE_NXDOMAIN_HIT);
	assert_int_equal(b.m.count[TERN_S_AUTHORITY], 2);
	mb_init(&b, sizeof b.buf);
	assert_int_equal(cache_get_q(c, nx, TERN_T_A, T0, 0, &b.m, nx, &hit), 0);
	assert_int_equal(b.m.count[TERN_S_AUTHORITY], 1);
	/* blocks that lie about their sizes */
	d = (cache_dnssec){.nsig = 2, .sigs = sigs, .sig_bytes = so};
	assert_int_equal(cache_put_rrset_dnssec(c, n, TERN_T_A, 300, 1, rd, off, &d, T0), TERN_EMALFORMED);
	d = (cache_dnssec){.nauth = 1, .auth = auth, .auth_bytes = ao - 1};
	assert_int_equal(cache_put_rrset_dnssec(c, n, TERN_T_A, 300, 1, rd, off, &d, T0), TERN_EMALFORMED);
	d = (cache_dnssec){.nsig = 1, .sigs = sigs, .sig_bytes = so};
	assert_int_equal(cache_put_negative_dnssec(c, nx, CACHE_NXDOMAIN, 60, auth, soa_rd, 22, &d, T0),
	                 TERN_EMALFORMED); /* no RRSIG block for negative entries */
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_get_exact_bytes),
	    cmocka_unit_test(test_owner_null_writes_lower_case),
	    cmocka_unit_test(test_ttl_countdown_and_expiry),
	    cmocka_unit_test(test_ttl_clamps),
	    cmocka_unit_test(test_nxdomain),
	    cmocka_unit_test(test_nodata),
	    cmocka_unit_test(test_cname_target),
	    cmocka_unit_test(test_replacement),
	    cmocka_unit_test(test_serve_stale),
	    cmocka_unit_test(test_prefetch_once),
	    cmocka_unit_test(test_truncation_leaves_message_unchanged),
	    cmocka_unit_test(test_owner_written_once), cmocka_unit_test(test_lru_eviction_order),
	    cmocka_unit_test(test_byte_bound_under_flood),
	    cmocka_unit_test(test_oversized_entry_refused),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_flush_subtree_and_key),
	    cmocka_unit_test(test_walk_remaining_ttl),
	    cmocka_unit_test(test_dnssec_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
