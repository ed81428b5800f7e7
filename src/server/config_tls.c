/* config_tls.c: the TLS settings of ternd's configuration (config.h):
 * encrypted listen addresses and the certificate files. Kept apart from
 * config.c so that the encrypted transports' keys read in one place. */
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/log.h"
#include "tls/tls.h"

/* file relative to the directory of the configuration file path */
static char *relative_to(const char *path, const char *file)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	if (file[0] == '/' || !slash)
		return strdup(file);
	size_t dl = (size_t)(slash - path) + 1;
	char *p = malloc(dl + strlen(file) + 1);
	if (p) {
		memcpy(p, path, dl);
		strcpy(p + dl, file);
	}
	return p;
}

/* Was a port written? "1.2.3.4:853", "[::1]:853" yes; "1.2.3.4", "::1",
 * "[::1]" no. */
static bool has_port(const char *s)
{
	const char *rb = strchr(s, ']');
	if (rb)
		return rb[1] == ':';
	const char *c = strchr(s, ':');
	return c && !strchr(c + 1, ':');
}

static int add_listen(config *c, const char *val, enum cfg_transport t, const char *where)
{
	if (config_add_listen(c, val, where))
		return -1;
	cfg_listen *l = &c->listen[c->nlisten - 1];
	l->transport = (uint8_t)t;
	if (!has_port(val)) { /* RFC 7858 3.1: 853; RFC 8484: https, 443 */
		uint16_t port = htons(t == CFG_TLS ? 853 : 443);
		if (l->addr.ss_family == AF_INET)
			((struct sockaddr_in *)&l->addr)->sin_port = port;
		else
			((struct sockaddr_in6 *)&l->addr)->sin6_port = port;
	}
	return 0;
}

static int set_path(char **slot, const char *path, const char *val)
{
	char *p = relative_to(path, val);
	if (!p)
		return -1;
	free(*slot);
	*slot = p;
	return 0;
}

int config_tls_option(config *c, const char *key, const char *val, const char *path, const char *where)
{
	if (!strcmp(key, "listen-tls"))
		return add_listen(c, val, CFG_TLS, where) ? -1 : 1;
	if (!strcmp(key, "listen-https"))
		return add_listen(c, val, CFG_HTTPS, where) ? -1 : 1;
	char **slot = !strcmp(key, "tls-certificate") ? &c->tls_cert
	              : !strcmp(key, "tls-key")       ? &c->tls_key
	              : !strcmp(key, "tls-ca-file")   ? &c->tls_ca_file
	                                              : NULL;
	if (!slot)
		return 0;
	if (set_path(slot, path, val)) {
		log_err("%s: out of memory", where);
		return -1;
	}
	return 1;
}

void config_drop_plain_listens(config *c)
{
	size_t k = 0;
	for (size_t i = 0; i < c->nlisten; i++)
		if (c->listen[i].transport != CFG_PLAIN)
			c->listen[k++] = c->listen[i];
	c->nlisten = k;
}

int config_tls_check(const config *c)
{
	bool tls = false;
	for (size_t i = 0; i < c->nlisten; i++)
		tls |= c->listen[i].transport != CFG_PLAIN;
	if (tls && (!c->tls_cert || !c->tls_key)) {
		log_err("listen-tls and listen-https need tls-certificate and tls-key");
		return 1;
	}
	return 0;
}

int config_forward_tls(const char *tail, fwd_tls *out, const char *where)
{
	char w[4][300];
	int n = sscanf(tail, "%299s %299s %299s %299s", w[0], w[1], w[2], w[3]);
	memset(out, 0, sizeof *out);
	if (n <= 0)
		return 0;
	if (strcmp(w[0], "tls")) {
		log_err("%s: after the upstream's address, want 'tls NAME' or 'tls pin sha256/BASE64', got '%s'", where,
		        w[0]);
		return -1;
	}
	out->on = true;
	int k = 1;
	if (k < n && strcmp(w[k], "pin")) {
		size_t nl = strlen(w[k]);
		if (nl >= sizeof out->name) {
			log_err("%s: TLS name too long", where);
			return -1;
		}
		memcpy(out->name, w[k], nl + 1);
		k++;
	}
	if (k < n && !strcmp(w[k], "pin")) {
		tls_pin pin;
		if (k + 1 >= n || tls_pin_parse(w[k + 1], &pin)) {
			log_err("%s: want 'pin sha256/BASE64' (the SHA-256 of the server's public key, RFC 7858 4.2)",
			        where);
			return -1;
		}
		memcpy(out->pin, pin.sha256, sizeof out->pin);
		out->pinned = true;
		k += 2;
	}
	if (k < n) {
		log_err("%s: unexpected '%s' after the upstream's TLS settings", where, w[k]);
		return -1;
	}
	if (!out->name[0] && !out->pinned) {
		log_err("%s: a TLS upstream needs the name its certificate carries (tls NAME) or a pin", where);
		return -1;
	}
	return 0;
}

int config_forward_https(const char *spec, char *addr, size_t addrlen, fwd_tls *out, const char *where)
{
	const char *p = spec + strlen("https://");
	size_t hl = strcspn(p, "/ ");
	const char *path = p[hl] == '/' ? p + hl : NULL;
	size_t pl = path ? strcspn(path, " ") : 0;
	const char *tail = path ? path + pl : p + hl;
	char t[600];
	snprintf(t, sizeof t, "tls%s", tail);
	if (config_forward_tls(t, out, where))
		return -1;
	if (hl == 0 || hl + 5 >= addrlen || pl >= sizeof out->path) {
		log_err("%s: want https://ADDR[:PORT][/PATH] NAME, got '%s'", where, spec);
		return -1;
	}
	snprintf(addr, addrlen, "%.*s", (int)hl, p);
	if (!has_port(addr))
		snprintf(addr + hl, addrlen - hl, ":443");
	out->https = true;
	if (path) {
		memcpy(out->path, path, pl);
		out->path[pl] = 0;
	} else {
		snprintf(out->path, sizeof out->path, "/dns-query");
	}
	return 0;
}
