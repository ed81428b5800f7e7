/* cookie.c: DNS Cookies (contract in cookie.h). SipHash-2-4 after the
 * paper's description (c = 2 compression rounds, d = 4 finalization
 * rounds); the server cookie after RFC 9018 4. */
#include "server/cookie.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>

#define VERSION 1
#define MAX_AGE 3600   /* RFC 9018 4.3: at most 1 hour old */
#define MAX_AHEAD 300  /* and at most 5 minutes in the future */

int cookie_secret_init(cookie_secret *s)
{
	size_t got = 0;
	while (got < sizeof s->key) {
		ssize_t n = getrandom(s->key + got, sizeof s->key - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

/* --- SipHash-2-4 --- */

static uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

uint64_t cookie_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575u, k1 ^ 0x646f72616e646f6du, k0 ^ 0x6c7967656e657261u,
	                 k1 ^ 0x7465646279746573u};
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t m = load_le64(p + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	/* last block: the remaining bytes, the length mod 256 in the top byte */
	uint64_t m = (uint64_t)(len & 0xff) << 56;
	for (unsigned k = 0; i < len; i++, k++)
		m |= (uint64_t)p[i] << (8 * k);
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* --- server cookies --- */

/* The client's address as RFC 9018 hashes it; returns its length (4, 16,
 * or 0 for other families). */
static size_t client_ip(const struct sockaddr *client, uint8_t out[16])
{
	if (!client)
		return 0;
	if (client->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)client)->sin_addr, 4);
		return 4;
	}
	if (client->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)client)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(out, a->s6_addr + 12, 4);
			return 4;
		}
		memcpy(out, a->s6_addr, 16);
		return 16;
	}
	return 0;
}

/* The hash of RFC 9018 4.4 over client cookie | head (version, reserved,
 * timestamp: the first 8 bytes of the server cookie) | client IP. */
static void cookie_hash(const cookie_secret *s, const uint8_t cc[8], const uint8_t head[8],
                        const struct sockaddr *client, uint8_t out[8])
{
	uint8_t buf[8 + 8 + 16];
	memcpy(buf, cc, 8);
	memcpy(buf + 8, head, 8);
	size_t n = 16 + client_ip(client, buf + 16);
	uint64_t h = cookie_siphash24(s->key, buf, n);
	for (unsigned i = 0; i < 8; i++)
		out[i] = (uint8_t)(h >> (8 * i)); /* the reference byte order */
}

void cookie_make(const cookie_secret *s, const uint8_t client_cookie[8], const struct sockaddr *client,
                 uint32_t now_s, uint8_t out[16])
{
	out[0] = VERSION;
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(now_s >> 24);
	out[5] = (uint8_t)(now_s >> 16);
	out[6] = (uint8_t)(now_s >> 8);
	out[7] = (uint8_t)now_s;
	cookie_hash(s, client_cookie, out, client, out + 8);
}

/* Constant time, so that timing does not tell how much of a forged hash
 * was right. */
static int equal8(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;
	for (unsigned i = 0; i < 8; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static int verifies(const cookie_secret *s, const uint8_t *opt, const struct sockaddr *client)
{
	uint8_t h[8];
	cookie_hash(s, opt, opt + 8, client, h);
	return equal8(h, opt + 16);
}

enum cookie_state cookie_check_rollover(const cookie_secret *s, const cookie_secret *prev, const uint8_t *opt,
                                        size_t optlen, const struct sockaddr *client, uint32_t now_s)
{
	if (!opt)
		return COOKIE_NONE;
	if (optlen == COOKIE_CLIENT_LEN)
		return COOKIE_CLIENT_ONLY;
	if (optlen < COOKIE_CLIENT_LEN + 8 || optlen > COOKIE_OPT_MAX)
		return COOKIE_MALFORMED;
	/* 16..32 bytes of server cookie: only 16 of version 1 can be ours */
	if (optlen != COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN || opt[8] != VERSION)
		return COOKIE_BAD;
	uint8_t ip[16];
	if (client_ip(client, ip) == 0)
		return COOKIE_BAD;
	uint32_t ts = (uint32_t)opt[12] << 24 | (uint32_t)opt[13] << 16 | (uint32_t)opt[14] << 8 | opt[15];
	/* serial number arithmetic (RFC 1982), as RFC 9018 4.3 asks */
	int64_t age = (int32_t)(now_s - ts);
	if (age > MAX_AGE || age < -MAX_AHEAD)
		return COOKIE_BAD;
	if (verifies(s, opt, client) || (prev && verifies(prev, opt, client)))
		return COOKIE_VALID;
	return COOKIE_BAD;
}

enum cookie_state cookie_check(const cookie_secret *s, const uint8_t *opt, size_t optlen,
                               const struct sockaddr *client, uint32_t now_s)
{
	return cookie_check_rollover(s, NULL, opt, optlen, client, now_s);
}
