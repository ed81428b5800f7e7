/* config.c: see config.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/log.h"

void config_init(config *c)
{
	memset(c, 0, sizeof *c);
	c->udp_max = 1232;
	c->tcp_idle_ms = 10000;
	c->tcp_max = 1000;
	c->log_level = LOG_INFO;
}

void config_free(config *c)
{
	for (size_t i = 0; i < c->nzones; i++) {
		free(c->zones[i].file);
		free(c->zones[i].where);
	}
	free(c->zones);
	free(c->listen);
	free(c->version);
	free(c->identity);
	memset(c, 0, sizeof *c);
}

int config_parse_listen(const char *s, cfg_listen *out)
{
	char host[64];
	const char *port = NULL;
	memset(out, 0, sizeof *out);
	snprintf(out->text, sizeof out->text, "%s", s);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (size_t)(end - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = 0;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -1;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon && strchr(s, ':') == colon) { /* one colon: v4:port */
			if ((size_t)(colon - s) >= sizeof host)
				return -1;
			memcpy(host, s, (size_t)(colon - s));
			host[colon - s] = 0;
			port = colon + 1;
		} else {
			if (strlen(s) >= sizeof host)
				return -1;
			strcpy(host, s);
		}
	}
	long p = 53;
	if (port) {
		char *e;
		errno = 0;
		p = strtol(port, &e, 10);
		if (!*port || *e || errno || p < 0 || p > 65535)
			return -1;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		out->len = sizeof *v4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		out->len = sizeof *v6;
		return 0;
	}
	return -1;
}

int config_add_listen(config *c, const char *s, const char *where)
{
	cfg_listen l;
	if (config_parse_listen(s, &l)) {
		log_err("%s: bad listen address '%s' (want 127.0.0.1:5353 or [::1]:5353)", where, s);
		return -1;
	}
	cfg_listen *n = realloc(c->listen, (c->nlisten + 1) * sizeof *n);
	if (!n)
		return -1;
	c->listen = n;
	c->listen[c->nlisten++] = l;
	return 0;
}

int config_add_zone(config *c, const char *origin, const char *file, const char *where)
{
	cfg_zone z;
	size_t len;
	size_t olen = strlen(origin);
	if (tern_name_from_text(origin, olen, (const uint8_t *)"", z.origin, &len)) {
		log_err("%s: bad zone name '%s'", where, origin);
		return -1;
	}
	for (size_t i = 0; i < c->nzones; i++)
		if (tern_name_eq(c->zones[i].origin, z.origin)) {
			log_err("%s: zone '%s' already defined at %s", where, origin, c->zones[i].where);
			return -1;
		}
	z.file = strdup(file);
	z.where = strdup(where);
	cfg_zone *n = realloc(c->zones, (c->nzones + 1) * sizeof *n);
	if (!n || !z.file || !z.where) {
		free(z.file);
		free(z.where);
		free(n == c->zones ? NULL : n);
		return -1;
	}
	c->zones = n;
	c->zones[c->nzones++] = z;
	return 0;
}

static int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned *out)
{
	char *e;
	errno = 0;
	unsigned long x = strtoul(v, &e, 10);
	if (!*v || *e || errno || x < min || x > max || v[0] == '-')
		return -1;
	*out = (unsigned)x;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* Removes a comment and surrounding blanks; unquotes a quoted value. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	int inq = 0;
	for (char *p = s; *p; p++) {
		if (*p == '"')
			inq = !inq;
		else if (*p == '#' && !inq) {
			*p = 0;
			break;
		}
	}
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

static char *resolve_path(const char *base, const char *file)
{
	if (file[0] == '/')
		return strdup(file);
	const char *slash = strrchr(base, '/');
	if (!slash)
		return strdup(file);
	size_t dl = (size_t)(slash - base) + 1;
	char *p = malloc(dl + strlen(file) + 1);
	if (p) {
		memcpy(p, base, dl);
		strcpy(p + dl, file);
	}
	return p;
}

int config_load(config *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		log_err("%s: cannot open: %s", path, strerror(errno));
		return 1;
	}
	enum { NONE, SERVER, ZONE } sec = NONE;
	char line[4096], where[PATH_MAX + 32];
	char zname[1024] = "", zfile[PATH_MAX] = "", zwhere[PATH_MAX + 32] = "";
	unsigned lineno = 0;
	int errors = 0;
#define ERR(...)                                    \
	do {                                        \
		char m_[512];                       \
		snprintf(m_, sizeof m_, __VA_ARGS__); \
		log_err("%s: %s", where, m_);       \
		errors++;                           \
	} while (0)
#define END_ZONE()                                                                      \
	do {                                                                            \
		if (sec == ZONE) {                                                      \
			if (!zname[0] || !zfile[0]) {                                   \
				log_err("%s: zone needs both 'name' and 'file'", zwhere); \
				errors++;                                               \
			} else {                                                        \
				char *p_ = resolve_path(path, zfile);                   \
				if (!p_ || config_add_zone(c, zname, p_, zwhere))       \
					errors++;                                       \
				free(p_);                                               \
			}                                                               \
		}                                                                       \
	} while (0)
	while (fgets(line, sizeof line, f)) {
		lineno++;
		snprintf(where, sizeof where, "%s:%u", path, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			ERR("line too long");
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		char *s = trim(line);
		if (!*s)
			continue;
		char *colon = strchr(s, ':');
		/* a value may itself hold colons ("[::1]:53"): split at the first */
		if (!colon) {
			ERR("expected 'key: value' or 'section:', got '%s'", s);
			continue;
		}
		*colon = 0;
		char *key = trim(s);
		char *val = trim(colon + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = 0;
			val++;
		}
		if (!*val) {
			END_ZONE();
			if (!strcmp(key, "server")) {
				sec = SERVER;
			} else if (!strcmp(key, "zone")) {
				sec = ZONE;
				zname[0] = zfile[0] = 0;
				snprintf(zwhere, sizeof zwhere, "%s", where);
			} else {
				sec = NONE;
				ERR("unknown section '%s'", key);
			}
			continue;
		}
		if (sec == SERVER) {
			if (!strcmp(key, "listen")) {
				if (config_add_listen(c, val, where))
					errors++;
			} else if (!strcmp(key, "threads")) {
				if (parse_uint(val, 1, 1024, &c->threads))
					ERR("threads must be 1..1024, got '%s'", val);
			} else if (!strcmp(key, "version")) {
				free(c->version);
				c->version = strdup(val);
			} else if (!strcmp(key, "identity")) {
				free(c->identity);
				c->identity = strdup(val);
			} else if (!strcmp(key, "nsid")) {
				if (parse_bool(val, &c->nsid))
					ERR("nsid must be yes or no, got '%s'", val);
			} else if (!strcmp(key, "udp-max-size")) {
				if (parse_uint(val, 512, 4096, &c->udp_max))
					ERR("udp-max-size must be 512..4096, got '%s'", val);
			} else if (!strcmp(key, "tcp-idle-timeout")) {
				unsigned s2;
				if (parse_uint(val, 1, 3600, &s2))
					ERR("tcp-idle-timeout must be 1..3600 seconds, got '%s'", val);
				else
					c->tcp_idle_ms = s2 * 1000;
			} else if (!strcmp(key, "tcp-max-connections")) {
				if (parse_uint(val, 1, 1000000, &c->tcp_max))
					ERR("tcp-max-connections must be 1..1000000, got '%s'", val);
			} else if (!strcmp(key, "log-level")) {
				static const char *const lv[] = {"error", "warning", "info", "debug"};
				int found = -1;
				for (int i = 0; i < 4; i++)
					if (!strcmp(val, lv[i]))
						found = i;
				if (found < 0)
					ERR("log-level must be error, warning, info or debug, got '%s'", val);
				else
					c->log_level = found;
			} else {
				ERR("unknown server option '%s'", key);
			}
		} else if (sec == ZONE) {
			if (!strcmp(key, "name"))
				snprintf(zname, sizeof zname, "%s", val);
			else if (!strcmp(key, "file"))
				snprintf(zfile, sizeof zfile, "%s", val);
			else
				ERR("unknown zone option '%s'", key);
		} else {
			ERR("'%s' outside a section (start one with 'server:' or 'zone:')", key);
		}
	}
	END_ZONE();
	fclose(f);
	return errors;
#undef ERR
#undef END_ZONE
}
