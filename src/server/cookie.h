/* cookie.h: DNS Cookies (RFC 7873), server side, with the interoperable
 * server cookie of RFC 9018 and the SipHash-2-4 it is built with.
 *
 * A server cookie (RFC 9018 4) is 16 bytes: version 1, three reserved zero
 * bytes, a 32-bit timestamp in seconds (network order), and the 8-byte
 * SipHash-2-4, keyed with the server secret, of
 *     client cookie (8) | version | reserved (3) | timestamp (4) | client IP
 * where the client IP is 4 bytes for IPv4 (also for an IPv4-mapped IPv6
 * address) and 16 for IPv6.
 *
 * All functions are pure: no state, no allocation, no locks; safe from any
 * thread. The secrets are the caller's (read-only here). */
#ifndef TERN_SERVER_COOKIE_H
#define TERN_SERVER_COOKIE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define COOKIE_CLIENT_LEN 8
#define COOKIE_SERVER_LEN 16 /* what cookie_make writes */
#define COOKIE_OPT_MAX 40    /* RFC 7873 4: client 8 + server 8..32 */

typedef struct cookie_secret {
	uint8_t key[16];
} cookie_secret;

/* Fills s from getrandom(2). Returns 0 or -errno. */
int cookie_secret_init(cookie_secret *s);

/* SipHash-2-4 of data with a 16-byte key (Aumasson and Bernstein, 2012),
 * as the 64-bit value whose little-endian bytes are the reference output. */
uint64_t cookie_siphash24(const uint8_t key[16], const void *data, size_t len);

/* Writes the 16-byte server cookie for this client at now_s (seconds since
 * the epoch; wraps in 2106, and comparisons use serial arithmetic). A
 * client that is neither AF_INET nor AF_INET6 is hashed with no address. */
void cookie_make(const cookie_secret *s, const uint8_t client_cookie[8], const struct sockaddr *client,
                 uint32_t now_s, uint8_t out[16]);

enum cookie_state {
	COOKIE_NONE,        /* no COOKIE option (opt NULL) */
	COOKIE_CLIENT_ONLY, /* 8 bytes: a client cookie alone */
	COOKIE_VALID,       /* our server cookie, verified, and fresh */
	COOKIE_BAD,         /* a client cookie and a server cookie that is not
	                       ours, altered, for another client address, of
	                       another version, or out of its time window:
	                       treat as COOKIE_CLIENT_ONLY (RFC 7873 5.2.4) */
	COOKIE_MALFORMED,   /* length 0..7, 9..15 or over 40: FORMERR
	                       (RFC 7873 5.2.2) */
};

/* Classifies the COOKIE option data of a query (opt NULL: none). A server
 * cookie is VALID when it is 16 bytes, version 1, its hash verifies with s
 * (over the reserved bytes as received, RFC 9018 appendix A.3) and its
 * timestamp is at most 1 hour in the past and at most 5 minutes in the
 * future of now_s (RFC 9018 4.3). */
enum cookie_state cookie_check(const cookie_secret *s, const uint8_t *opt, size_t optlen,
                               const struct sockaddr *client, uint32_t now_s);

/* The same, also accepting cookies made with prev (the secret before the
 * last rollover, RFC 9018 5); prev may be NULL. */
enum cookie_state cookie_check_rollover(const cookie_secret *s, const cookie_secret *prev, const uint8_t *opt,
                                        size_t optlen, const struct sockaddr *client, uint32_t now_s);

#endif
