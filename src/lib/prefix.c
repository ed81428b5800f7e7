/* prefix.c: see tern/prefix.h. */
#include "tern/prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int tern_prefix_parse(const char *text, tern_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t n = strlen(text);
	memset(p, 0, sizeof *p);
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, text, n + 1);
	long bits = -1;
	char *slash = strchr(buf, '/');
	if (slash) {
		char *e;
		*slash = 0;
		if (slash[1] < '0' || slash[1] > '9') /* strtol would take a sign or spaces */
			return -1;
		errno = 0;
		bits = strtol(slash + 1, &e, 10);
		if (*e || errno || bits > 128)
			return -1;
	}
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		if (bits > 32)
			return -1;
		p->bits = (uint8_t)(bits < 0 ? 32 : bits);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->v6 = true;
		p->bits = (uint8_t)(bits < 0 ? 128 : bits);
		return 0;
	}
	return -1;
}

bool tern_prefix_client(const struct sockaddr *sa, uint8_t *addr, bool *v6)
{
	static const uint8_t v4map[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		*v6 = false;
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	*v6 = memcmp(a, v4map, 12) != 0;
	memcpy(addr, *v6 ? a : a + 12, *v6 ? 16 : 4);
	return true;
}

bool tern_prefix_match(const tern_prefix *p, const uint8_t *addr, bool v6)
{
	if (p->v6 != v6)
		return false;
	unsigned full = p->bits / 8u, rest = p->bits % 8u;
	if (memcmp(addr, p->addr, full))
		return false;
	return !rest || ((addr[full] ^ p->addr[full]) & (0xff << (8 - rest))) == 0;
}
