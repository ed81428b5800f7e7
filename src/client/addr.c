/* addr.c: where the client sends its queries (the @SERVER forms and the
 * first nameserver of resolv.conf) and the names it builds from addresses
 * (-x: in-addr.arpa, RFC 1035 3.5; ip6.arpa nibbles, RFC 3596 2.5). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"

/* Fills s from a socket address, keeping what the user wrote in s->given. */
static void server_set(struct cli_server *s, const struct sockaddr *sa, socklen_t len)
{
	memcpy(&s->sa, sa, len);
	s->salen = len;
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &a6->sin6_addr, s->addr, sizeof s->addr);
		s->port = ntohs(a6->sin6_port);
	} else {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &a4->sin_addr, s->addr, sizeof s->addr);
		s->port = ntohs(a4->sin_port);
	}
}

/* Resolves host (numeric first, then a name) for family (AF_UNSPEC, AF_INET
 * or AF_INET6) and port. Returns 0 or -1. */
static int server_resolve(struct cli_server *s, const char *host, uint16_t port, int family)
{
	struct addrinfo hints = {0}, *res = NULL;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	int rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		rc = getaddrinfo(host, portstr, &hints, &res);
	}
	if (rc != 0 || res == NULL) {
		/* dig's (ISC's) words for why */
		const char *why = rc == EAI_ADDRFAMILY || rc == EAI_FAMILY ? "address family not supported"
		                  : rc == EAI_NONAME || rc == 0           ? "not found"
		                                                          : gai_strerror(rc);
		fprintf(stderr, "tern: couldn't get address for '%s': %s\n", host, why);
		return -1;
	}
	server_set(s, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Parses a port number 1..65535; returns it or 0. */
static uint16_t parse_port(const char *p)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(p, &end, 10);
	if (errno || end == p || *end || v == 0 || v > 65535)
		return 0;
	return (uint16_t)v;
}

/* Accepts "127.0.0.1", "::1", "ns.example", "[::1]:5353", "[::1]",
 * "127.0.0.1:5353" (one colon only) and "127.0.0.1#5353"/"::1#5353" (dig's
 * notation). A port written here wins over port. */
int cli_server_parse(struct cli_server *s, const char *text, uint16_t port, int family)
{
	char host[256];
	const char *portp = NULL;
	size_t n = strlen(text);
	if (n == 0 || n >= sizeof host) {
		fprintf(stderr, "tern: invalid server '%s'\n", text);
		return -1;
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (close[1] && close[1] != ':' && close[1] != '#')) {
			fprintf(stderr, "tern: invalid server '%s'\n", text);
			return -1;
		}
		n = (size_t)(close - text - 1);
		memcpy(host, text + 1, n);
		host[n] = 0;
		if (close[1])
			portp = close + 2;
	} else {
		memcpy(host, text, n + 1);
		char *hash = strchr(host, '#');
		char *colon = strchr(host, ':');
		if (hash) {
			*hash = 0;
			portp = text + (hash - host) + 1;
		} else if (colon && !strchr(colon + 1, ':')) {
			*colon = 0;
			portp = text + (colon - host) + 1;
		}
	}
	if (portp) {
		port = parse_port(portp);
		if (!port) {
			fprintf(stderr, "tern: invalid port in server '%s'\n", text);
			return -1;
		}
	}
	snprintf(s->given, sizeof s->given, "%s", host);
	return server_resolve(s, host, port, family);
}

/* The first "nameserver" of resolv.conf ($TERN_RESOLV_CONF if set, for
 * tests), or 127.0.0.1 as the resolver library does when there is none. */
int cli_server_default(struct cli_server *s, uint16_t port, int family)
{
	const char *path = getenv("TERN_RESOLV_CONF");
	if (!path || !*path)
		path = "/etc/resolv.conf";
	FILE *f = fopen(path, "r");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		char kw[16], addr[256];
		if (sscanf(line, " %15s %255s", kw, addr) != 2 || strcmp(kw, "nameserver") != 0)
			continue;
		struct cli_server tmp = {0};
		if (server_resolve(&tmp, addr, port, family) != 0)
			continue;
		*s = tmp;
		snprintf(s->given, sizeof s->given, "%s", addr);
		fclose(f);
		return 0;
	}
	if (f)
		fclose(f);
	return cli_server_parse(s, family == AF_INET6 ? "::1" : "127.0.0.1", port, family);
}

/* -b ADDR[#PORT]: the numeric source address of every query. Returns 0,
 * or -1 (reported) if it is not an address of family (or of the server's). */
int cli_source_parse(struct cli *c, const char *text, int family)
{
	char host[128];
	const char *hash = strchr(text, '#');
	size_t n = hash ? (size_t)(hash - text) : strlen(text);
	uint16_t port = 0;
	if (n >= sizeof host || (hash && !(port = parse_port(hash + 1)) && strcmp(hash + 1, "0") != 0)) {
		fprintf(stderr, "tern: invalid address %s\n", text);
		return -1;
	}
	memcpy(host, text, n);
	host[n] = 0;
	struct cli_server tmp = {0};
	struct addrinfo hints = {0}, *res = NULL;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	hints.ai_family = family;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res) {
		fprintf(stderr, "tern: invalid address %s\n", text);
		return -1;
	}
	server_set(&tmp, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	memcpy(&c->src, &tmp.sa, tmp.salen);
	c->srclen = tmp.salen;
	return 0;
}

/* Absolute or relative text name (made absolute) to wire form. */
int cli_name_from_text(const char *s, uint8_t out[TERN_NAME_MAX])
{
	static const uint8_t root[1] = {0};
	size_t len;
	return tern_name_from_text(s, strlen(s), root, out, &len);
}

/* -x: "192.0.2.1" -> 1.2.0.192.in-addr.arpa., "2001:db8::1" ->
 * 1.0.0.0...8.b.d.0.1.0.0.2.ip6.arpa. Returns 0 or -1. */
int cli_reverse_name(const char *addr, uint8_t out[TERN_NAME_MAX])
{
	unsigned char b[16];
	char text[80];
	size_t pos = 0;
	if (inet_pton(AF_INET, addr, b) == 1) {
		snprintf(text, sizeof text, "%u.%u.%u.%u.in-addr.arpa.", b[3], b[2], b[1], b[0]);
	} else if (inet_pton(AF_INET6, addr, b) == 1) {
		static const char hex[] = "0123456789abcdef";
		for (int i = 15; i >= 0; i--) {
			text[pos++] = hex[b[i] & 0xf];
			text[pos++] = '.';
			text[pos++] = hex[b[i] >> 4];
			text[pos++] = '.';
		}
		memcpy(text + pos, "ip6.arpa.", sizeof "ip6.arpa.");
	} else {
		/* as dig: anything else is taken as dotted labels, reversed
		 * ("192.0.2" -> 2.0.192.in-addr.arpa.) */
		char copy[80];
		const char *labels[64];
		size_t n = 0;
		if (!*addr || strlen(addr) >= sizeof copy)
			return -1;
		memcpy(copy, addr, strlen(addr) + 1);
		for (char *save = NULL, *l = strtok_r(copy, ".", &save); l && n < 64; l = strtok_r(NULL, ".", &save))
			labels[n++] = l;
		for (size_t k = n; k > 0; k--) {
			int w = snprintf(text + pos, sizeof text - pos, "%s.", labels[k - 1]);
			if (w < 0 || (size_t)w >= sizeof text - pos)
				return -1;
			pos += (size_t)w;
		}
		if (pos + sizeof "in-addr.arpa." > sizeof text)
			return -1;
		memcpy(text + pos, "in-addr.arpa.", sizeof "in-addr.arpa.");
	}
	return cli_name_from_text(text, out) == 0 ? 0 : -1;
}

/* The search list of +search: +domain= alone if given, else resolv.conf's
 * "search" line (or its "domain" line), as dig takes them. */
void cli_search_apply(struct cli *c)
{
	c->nsearch = 0;
	if (c->domain[0]) {
		snprintf(c->search_list[0], sizeof c->search_list[0], "%.255s", c->domain);
		c->nsearch = 1;
		c->search = true;
		return;
	}
	if (!c->search)
		return;
	const char *path = getenv("TERN_RESOLV_CONF");
	if (!path || !*path)
		path = "/etc/resolv.conf";
	FILE *f = fopen(path, "r");
	char line[1024];
	while (f && fgets(line, sizeof line, f)) {
		char *save = NULL, *kw = strtok_r(line, " \t\r\n", &save);
		if (!kw || (strcmp(kw, "search") != 0 && strcmp(kw, "domain") != 0))
			continue;
		c->nsearch = 0; /* the last line of either kind wins, as in the resolver */
		for (char *w = strtok_r(NULL, " \t\r\n", &save); w && c->nsearch < CLI_SEARCH_MAX;
		     w = strtok_r(NULL, " \t\r\n", &save))
			snprintf(c->search_list[c->nsearch++], sizeof c->search_list[0], "%s", w);
	}
	if (f)
		fclose(f);
}
