/* prefix.h: IP address prefixes as access lists write them
 * ("192.0.2.0/24", "2001:db8::/32", or an address alone: all its bits),
 * and matching a client's address against them. An IPv4-mapped IPv6
 * client (::ffff:192.0.2.1, an IPv4 client of a dual-stack socket) is
 * matched as the IPv4 address it is. Pure; no allocation. */
#ifndef TERN_PREFIX_H
#define TERN_PREFIX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct tern_prefix {
	uint8_t addr[16]; /* IPv4: the first 4 bytes */
	uint8_t bits;     /* <= 32 for IPv4, <= 128 for IPv6 */
	bool v6;
} tern_prefix;

/* "ADDR" or "ADDR/BITS" (decimal, 0..32 or 0..128, nothing after it).
 * 0, or -1 for anything else. */
int tern_prefix_parse(const char *text, tern_prefix *p);

/* The client's address as prefixes see it: addr (16 bytes) gets the
 * address, *v6 whether it is IPv6 (not for an IPv4-mapped one). false:
 * not an IPv4 or IPv6 socket address. */
bool tern_prefix_client(const struct sockaddr *sa, uint8_t *addr, bool *v6);

/* Whether the address (from tern_prefix_client) is inside p. */
bool tern_prefix_match(const tern_prefix *p, const uint8_t *addr, bool v6);

#endif
