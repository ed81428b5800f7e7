/* config.c: see config.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "server/config.h"
#include "server/config_dnssec.h"
#include "server/log.h"
#include "validate/valconf.h"
#include "xfr/catalog_config.h"
#include "xfr/xfrin_config.h"

void config_init(config *c)
{
	memset(c, 0, sizeof *c);
	c->udp_max = 1232;
	c->tcp_idle_ms = 10000;
	c->tcp_max = 1000;
	c->tcp_max_per_client = 100;
	c->rrl_slip = 1; /* Knot's default: a real client sharing a flooded prefix always gets TC */
	c->rrl_v4_prefix = 24;
	c->rrl_v6_prefix = 56;
	c->cookies = true;
	c->log_level = LOG_INFO;
	c->cache_bytes = 64u << 20;
	c->cache_max_ttl = 86400;
	c->cache_max_neg_ttl = 3600;
	c->forward_timeout_ms = 2500;
	c->stale_client_ms = 1800;
	c->max_inflight = 10000;
	c->xfr_max = 10; /* BIND's transfers-out */
	pol_config_init(&c->policy);
}

int config_add_str(cfg_str **v, size_t *n, const char *val, const char *where)
{
	cfg_str s = {strdup(val), strdup(where)};
	cfg_str *nv = s.val && s.where ? realloc(*v, (*n + 1) * sizeof *nv) : NULL;
	if (!nv) {
		free(s.val);
		free(s.where);
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static void free_strs(cfg_str *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].val);
		free(v[i].where);
	}
	free(v);
}

int config_add_forward(config *c, const char *zone, const char *addr, const char *where)
{
	cfg_forward f;
	size_t len;
	if (tern_name_from_text(zone, strlen(zone), (const uint8_t *)"", f.zone, &len)) {
		log_err("%s: bad forward zone name '%s'", where, zone);
		return -1;
	}
	char head[128];
	const char *sp = strchr(addr, ' '); /* "ADDR tls NAME", "https://...": config_tls.c */
	snprintf(head, sizeof head, "%.*s", sp ? (int)(sp - addr) : (int)strlen(addr), addr);
	memset(&f.tls, 0, sizeof f.tls);
	if (!strncmp(addr, "https://", 8) ? config_forward_https(addr, head, sizeof head, &f.tls, where)
	                                  : sp && config_forward_tls(sp, &f.tls, where))
		return -1;
	if (config_parse_listen(head, &f.addr)) {
		log_err("%s: bad upstream address '%s' (want 192.0.2.53:53 or [2001:db8::53]:53)", where, addr);
		return -1;
	}
	cfg_forward *n = realloc(c->forward, (c->nforward + 1) * sizeof *n);
	if (!n)
		return -1;
	c->forward = n;
	c->forward[c->nforward++] = f;
	return 0;
}

int config_add_acl(config *c, const char *spec, const char *where)
{
	char pfx[80], action[16];
	if (sscanf(spec, "%79s %15s", pfx, action) != 2 || (strcmp(action, "allow") && strcmp(action, "refuse"))) {
		log_err("%s: want 'PREFIX allow' or 'PREFIX refuse', got '%s'", where, spec);
		return -1;
	}
	cfg_acl a;
	memset(&a, 0, sizeof a);
	a.allow = !strcmp(action, "allow");
	if (tern_prefix_parse(pfx, &a.pfx)) {
		log_err("%s: bad address prefix in '%s'", where, spec);
		return -1;
	}
	cfg_acl *n = realloc(c->acl, (c->nacl + 1) * sizeof *n);
	if (!n)
		return -1;
	c->acl = n;
	c->acl[c->nacl++] = a;
	return 0;
}

bool config_allowed(const config *c, const struct sockaddr *sa)
{
	uint8_t addr[16];
	bool v6;
	if (!tern_prefix_client(sa, addr, &v6))
		return false;
	/* the most specific matching prefix decides */
	int best = -1;
	bool allow = false;
	for (size_t i = 0; i < c->nacl; i++) {
		const cfg_acl *a = &c->acl[i];
		if (tern_prefix_match(&a->pfx, addr, v6) && (int)a->pfx.bits > best) {
			best = (int)a->pfx.bits;
			allow = a->allow;
		}
	}
	if (best >= 0)
		return allow;
	/* no rule covers it: the default, loopback only (as Unbound: its
	 * built-in "127.0.0.0/8 allow" and "::1 allow" stay unless a rule of
	 * the configuration covers the address) */
	if (!v6)
		return addr[0] == 127;
	static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	return memcmp(addr, lo6, 16) == 0;
}

void config_free(config *c)
{
	val_conf_free(c->val);
	c->val = NULL;
	for (size_t i = 0; i < c->nzones; i++) {
		free(c->zones[i].file);
		free(c->zones[i].where);
		xfrin_config_free(c->zones[i].xfrin);
		xfrconf_free(&c->zones[i].xfr);
		free(c->zones[i].sign.keydir);
		free(c->zones[i].sign.signed_file);
		catalog_config_free(c->zones[i].catalog);
	}
	free(c->zones);
	free(c->listen);
	free(c->version);
	free(c->identity);
	free(c->forward);
	free(c->acl);
	free(c->resolv_conf);
	free(c->user);
	free(c->chroot);
	free(c->log_file);
	free(c->control);
	free(c->query_log);
	free(c->dnstap);
	free_strs(c->local_data, c->nlocal_data);
	free_strs(c->local_files, c->nlocal_files);
	free_strs(c->hosts_files, c->nhosts_files);
	if (c->keys)
		OPENSSL_cleanse(c->keys, c->nkeys * sizeof *c->keys);
	free(c->keys);
	pol_config_free(&c->policy);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca_file);
	memset(c, 0, sizeof *c);
}

int config_parse_listen(const char *s, cfg_listen *out)
{
	char host[64];
	const char *port = NULL;
	memset(out, 0, sizeof *out);
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
	char canon[INET6_ADDRSTRLEN];
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		out->len = sizeof *v4;
		inet_ntop(AF_INET, &v4->sin_addr, canon, sizeof canon);
		snprintf(out->text, sizeof out->text, "%s:%ld", canon, p);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		out->len = sizeof *v6;
		inet_ntop(AF_INET6, &v6->sin6_addr, canon, sizeof canon);
		snprintf(out->text, sizeof out->text, "[%s]:%ld", canon, p);
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

int config_add_key(config *c, const char *name, const char *alg, const char *secret, const char *where)
{
	tern_tsig_key k;
	int r = tern_tsig_key_from_text(&k, name, alg, secret);
	if (r == TERN_ENAME)
		log_err("%s: bad key name '%s'", where, name);
	else if (r == TERN_ETYPE)
		log_err("%s: unknown key algorithm '%s' (want hmac-sha256, hmac-sha1, hmac-sha224, hmac-sha384, "
		        "hmac-sha512 or hmac-md5)",
		        where, alg);
	else if (r == TERN_ESYNTAX)
		log_err("%s: key '%s': the secret is not base64", where, name);
	else if (r)
		log_err("%s: key '%s': the secret must be 1..%d bytes", where, name, TERN_TSIG_SECRET_MAX);
	else if (tern_tsig_key_find(c->keys, c->nkeys, k.name))
		log_err("%s: key '%s' defined twice", where, name), r = -1;
	tern_tsig_key *n = r ? NULL : realloc(c->keys, (c->nkeys + 1) * sizeof *n);
	if (n) {
		c->keys = n;
		c->keys[c->nkeys++] = k;
	}
	OPENSSL_cleanse(&k, sizeof k);
	return n ? 0 : -1;
}

int config_add_zone(config *c, const char *origin, const char *file, const char *where)
{
	cfg_zone z;
	memset(&z, 0, sizeof z);
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
	z.sign = DNSSEC_POLICY_DEFAULT;
	z.file = file ? strdup(file) : NULL;
	z.where = strdup(where);
	xfrconf_init(&z.xfr);
	cfg_zone *n = realloc(c->zones, (c->nzones + 1) * sizeof *n);
	if (!n || (file && !z.file) || !z.where) {
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

static int parse_size(const char *v, size_t *out)
{
	char *e;
	errno = 0;
	unsigned long long x = strtoull(v, &e, 10);
	if (!*v || v[0] == '-' || errno)
		return -1;
	unsigned long long mult = 1;
	if (*e == 'k' || *e == 'K')
		mult = 1ull << 10, e++;
	else if (*e == 'm' || *e == 'M')
		mult = 1ull << 20, e++;
	else if (*e == 'g' || *e == 'G')
		mult = 1ull << 30, e++;
	if (*e || x > (1ull << 40) / mult)
		return -1;
	*out = (size_t)(x * mult);
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

/* Every key an allow-transfer or notify line names must be a key: section
 * (of this file, before or after the zone). Returns the errors logged. */
static int config_check_xfr_keys(const config *c)
{
	int errors = 0;
	char name[TERN_NAME_TEXT_MAX];
	for (size_t i = 0; i < c->nzones; i++) {
		const xfr_zone_conf *x = &c->zones[i].xfr;
		for (size_t k = 0; k < x->nacl + x->nnotify + x->nupdate; k++) {
			bool has = k < x->nacl ? x->acl[k].has_key
			           : k < x->nacl + x->nnotify ? x->notify[k - x->nacl].has_key
			                                      : x->update[k - x->nacl - x->nnotify].has_key;
			const uint8_t *key = k < x->nacl ? x->acl[k].key
			                     : k < x->nacl + x->nnotify ? x->notify[k - x->nacl].key
			                                                : x->update[k - x->nacl - x->nnotify].key;
			if (!has || tern_tsig_key_find(c->keys, c->nkeys, key))
				continue;
			tern_name_to_text(key, name, sizeof name);
			log_err("%s: zone names key '%s', which no key: section defines", c->zones[i].where, name);
			errors++;
		}
		const dnssec_policy *sp = &c->zones[i].sign;
		if (sp->parent_has_key && !tern_tsig_key_find(c->keys, c->nkeys, sp->parent_key)) {
			tern_name_to_text(sp->parent_key, name, sizeof name);
			log_err("%s: dnssec-parent names key '%s', which no key: section defines", c->zones[i].where, name);
			errors++;
		}
	}
	return errors;
}

#define INCLUDE_DEPTH 8

static int load(config *c, const char *path, unsigned depth);

/* include: PATTERN (issue 13 item 6): every file the glob names, in
 * sorted order, each read as a configuration file of its own at this
 * point (it starts outside any section). A pattern without wildcards must
 * name a file; one with wildcards may match none. Returns the errors. */
static int include(config *c, const char *from, const char *pattern, const char *where, unsigned depth)
{
	if (depth >= INCLUDE_DEPTH) {
		log_err("%s: include nested more than %d deep (does a file include itself?)", where, INCLUDE_DEPTH);
		return 1;
	}
	char *full = resolve_path(from, pattern);
	if (!full)
		return 1;
	glob_t g;
	int rc = glob(full, 0, NULL, &g);
	int errors = 0;
	if (rc == GLOB_NOMATCH) {
		if (!strpbrk(pattern, "*?[")) {
			log_err("%s: include %s: no such file", where, full);
			errors++;
		}
	} else if (rc) {
		log_err("%s: include %s: cannot read", where, full);
		errors++;
	} else {
		for (size_t i = 0; i < g.gl_pathc; i++)
			errors += load(c, g.gl_pathv[i], depth + 1);
	}
	if (rc != GLOB_NOMATCH)
		globfree(&g);
	free(full);
	return errors;
}

int config_load(config *c, const char *path)
{
	return load(c, path, 0);
}

/* A local record the policy engine makes (dnsmasq's address:). */
static int add_local_rr(void *user, const char *rr, const char *where)
{
	config *c = user;
	return config_add_str(&c->local_data, &c->nlocal_data, rr, where);
}

static int load(config *c, const char *path, unsigned depth)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		log_err("%s: cannot open: %s", path, strerror(errno));
		return 1;
	}
	enum { NONE, SERVER, ZONE, KEY, GROUP } sec = NONE;
	char kname[1024] = "", kalg[64] = "", ksecret[1024] = "", kwhere[PATH_MAX + 32] = "";
	char line[4096], where[PATH_MAX + 32];
	char zname[1024] = "", zfile[PATH_MAX] = "", zwhere[PATH_MAX + 32] = "";
	cfg_xfrin *zxfr = NULL; /* the zone's secondary settings, while its section is read */
	cfg_catalog *zcat = NULL; /* its catalog settings (xfr/catalog_config.c) */
	int xr;
	xfr_zone_conf zx; /* the transfer settings of the zone being read */
	xfrconf_init(&zx);
	/* a zone's DNSSEC signing options (dnssec/sign.h), kept apart */
	dnssec_policy zsign = DNSSEC_POLICY_DEFAULT;
	char zkeydir[PATH_MAX] = "", zsigned[PATH_MAX] = "";
	unsigned lineno = 0;
	int errors = 0, tls_rc;
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
			if (!zname[0] || (!zfile[0] && !catalog_config_file_optional(zcat))) { \
				log_err("%s: zone needs both 'name' and 'file'", zwhere); \
				errors++;                                               \
			} else {                                                        \
				char *p_ = zfile[0] ? resolve_path(path, zfile) : NULL; \
				if ((zfile[0] && !p_) || config_add_zone(c, zname, p_, zwhere)) \
					errors++;                                       \
				else { /* transfer settings: src/xfr/xfrconf.c, xfrin_config.c */ \
					c->zones[c->nzones - 1].xfr = xfrconf_take(&zx); \
					c->zones[c->nzones - 1].xfrin = zxfr, zxfr = NULL; \
					if (zsign.on && c->zones[c->nzones - 1].xfrin && \
					    c->zones[c->nzones - 1].xfrin->nprimaries) { \
						log_err("%s: dnssec-signing on a secondary zone: sign it on its primary (its serials are the primary's)", zwhere); \
						errors++;                               \
					}                                               \
					if (zsign.on) { /* DNSSEC signing: dnssec/sign.h */ \
						zsign.keydir = zkeydir[0] ? resolve_path(path, zkeydir) : NULL; \
						zsign.signed_file = zsigned[0] ? resolve_path(path, zsigned) : NULL; \
						c->zones[c->nzones - 1].sign = zsign; \
					}                                               \
					c->zones[c->nzones - 1].catalog = zcat, zcat = NULL; \
				}                                                       \
				free(p_);                                               \
			}                                                               \
			xfrin_config_free(zxfr), zxfr = NULL;                           \
			catalog_config_free(zcat), zcat = NULL;                         \
		} else if (sec == KEY) {                                                \
			if (!kname[0] || !ksecret[0]) {                                 \
				log_err("%s: key needs 'name' and 'secret'", kwhere);   \
				errors++;                                               \
			} else if (config_add_key(c, kname, kalg[0] ? kalg : NULL, ksecret, kwhere)) { \
				errors++;                                               \
			}                                                               \
			OPENSSL_cleanse(ksecret, sizeof ksecret);                       \
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
		if (!strcmp(key, "include")) { /* a zone in progress ends first */
			END_ZONE();
			if (sec == ZONE)
				sec = NONE;
			if (!*val)
				ERR("include wants a file name or a pattern (include: conf.d/*.conf)");
			else
				errors += include(c, path, val, where, depth);
			continue;
		}
		if (!*val) {
			END_ZONE();
			if (!strcmp(key, "server")) {
				sec = SERVER;
			} else if (!strcmp(key, "zone")) {
				sec = ZONE;
				zname[0] = zfile[0] = zkeydir[0] = zsigned[0] = 0;
				zsign = DNSSEC_POLICY_DEFAULT;
				xfrconf_free(&zx);
				snprintf(zwhere, sizeof zwhere, "%s", where);
			} else if (!strcmp(key, "group")) { /* a client group (policy.h) */
				sec = GROUP;
				if (pol_config_group_begin(&c->policy, where)) {
					errors++;
					sec = NONE;
				}
			} else if (!strcmp(key, "key")) {
				sec = KEY;
				kname[0] = kalg[0] = ksecret[0] = 0;
				snprintf(kwhere, sizeof kwhere, "%s", where);
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
			} else if (!strcmp(key, "dnssec-signing-threads")) { /* the zones' default (sign.h) */
				errors += config_dnssec_threads(val, &c->sign_threads, where) < 0;
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
			} else if (!strcmp(key, "rrl-limit")) {
				if (parse_uint(val, 0, 1000000, &c->rrl_limit))
					ERR("rrl-limit must be 0..1000000 responses per second, got '%s'", val);
			} else if (!strcmp(key, "rrl-slip")) {
				if (parse_uint(val, 0, 100, &c->rrl_slip))
					ERR("rrl-slip must be 0..100, got '%s'", val);
			} else if (!strcmp(key, "rrl-ipv4-prefix")) {
				if (parse_uint(val, 8, 32, &c->rrl_v4_prefix))
					ERR("rrl-ipv4-prefix must be 8..32, got '%s'", val);
			} else if (!strcmp(key, "rrl-ipv6-prefix")) {
				if (parse_uint(val, 16, 128, &c->rrl_v6_prefix))
					ERR("rrl-ipv6-prefix must be 16..128, got '%s'", val);
			} else if (!strcmp(key, "cookies")) {
				if (parse_bool(val, &c->cookies))
					ERR("cookies must be yes or no, got '%s'", val);
			} else if (!strcmp(key, "tcp-max-per-client")) {
				if (parse_uint(val, 1, 1000000, &c->tcp_max_per_client))
					ERR("tcp-max-per-client must be 1..1000000, got '%s'", val);
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
			} else if (!strcmp(key, "log-file")) {
				/* one destination: stderr (the default), syslog, or a file */
				char *p2 = !strcmp(val, "stderr") || !strcmp(val, "syslog") ? strdup(val) : resolve_path(path, val);
				free(c->log_file);
				c->log_file = p2;
			} else if (!strcmp(key, "forward")) {
				if (!strcmp(val, "none"))
					c->no_forward = true;
				else if (config_add_forward(c, ".", val, where))
					errors++;
			} else if (!strcmp(key, "forward-zone")) {
				char *eq = strchr(val, '=');
				if (!eq) {
					ERR("forward-zone wants ZONE=ADDR:PORT, got '%s'", val);
				} else {
					*eq = 0;
					if (config_add_forward(c, val, eq + 1, where))
						errors++;
				}
			} else if (!strcmp(key, "user")) {
				free(c->user);
				c->user = strdup(val);
			} else if (!strcmp(key, "chroot")) {
				free(c->chroot);
				c->chroot = strdup(val);
			} else if (!strcmp(key, "resolv-conf")) {
				char *p2 = resolve_path(path, val);
				free(c->resolv_conf);
				c->resolv_conf = p2;
			} else if (!strcmp(key, "access-control")) {
				if (config_add_acl(c, val, where))
					errors++;
			} else if (!strcmp(key, "local-data")) {
				if (config_add_str(&c->local_data, &c->nlocal_data, val, where))
					errors++;
			} else if (!strcmp(key, "local-file") || !strcmp(key, "hosts-file")) {
				char *p2 = resolve_path(path, val);
				int bad = !p2 || (!strcmp(key, "local-file")
				                          ? config_add_str(&c->local_files, &c->nlocal_files, p2, where)
				                          : config_add_str(&c->hosts_files, &c->nhosts_files, p2, where));
				free(p2);
				if (bad)
					errors++;
			} else if (!strcmp(key, "cache-size")) {
				if (parse_size(val, &c->cache_bytes) || c->cache_bytes < (64u << 10))
					ERR("cache-size must be a size of at least 64k (e.g. 64m), got '%s'", val);
			} else if (!strcmp(key, "cache-min-ttl")) {
				if (parse_uint(val, 0, 86400, &c->cache_min_ttl))
					ERR("cache-min-ttl must be 0..86400, got '%s'", val);
			} else if (!strcmp(key, "cache-max-ttl")) {
				if (parse_uint(val, 1, 604800, &c->cache_max_ttl))
					ERR("cache-max-ttl must be 1..604800, got '%s'", val);
			} else if (!strcmp(key, "cache-max-negative-ttl")) {
				if (parse_uint(val, 0, 86400, &c->cache_max_neg_ttl))
					ERR("cache-max-negative-ttl must be 0..86400, got '%s'", val);
			} else if (!strcmp(key, "serve-stale")) {
				if (parse_uint(val, 0, 7 * 86400, &c->serve_stale))
					ERR("serve-stale must be 0..604800 seconds, got '%s'", val);
			} else if (!strcmp(key, "stale-answer-client-timeout")) {
				if (parse_uint(val, 0, 30000, &c->stale_client_ms))
					ERR("stale-answer-client-timeout must be 0..30000 ms, got '%s'", val);
			} else if (!strcmp(key, "forward-timeout")) {
				if (parse_uint(val, 100, 30000, &c->forward_timeout_ms))
					ERR("forward-timeout must be 100..30000 ms, got '%s'", val);
			} else if (!strcmp(key, "max-inflight")) {
				if (parse_uint(val, 1, 1000000, &c->max_inflight))
					ERR("max-inflight must be 1..1000000, got '%s'", val);
			} else if (!strcmp(key, "xfr-max-concurrent")) {
				if (parse_uint(val, 1, 10000, &c->xfr_max))
					ERR("xfr-max-concurrent must be 1..10000, got '%s'", val);
			} else if (!strcmp(key, "control") || !strcmp(key, "metrics") || !strcmp(key, "query-log") ||
			           !strcmp(key, "dnstap")) {
				/* operations: ternctl's socket, Prometheus metrics, the query log, dnstap */
				if (!strcmp(key, "dnstap")) {
					bool sock = !strncmp(val, "unix:", 5);
					char *p2 = resolve_path(path, sock ? val + 5 : val);
					free(c->dnstap);
					c->dnstap = p2 ? malloc(strlen(p2) + 6) : NULL;
					if (c->dnstap)
						sprintf(c->dnstap, "%s%s", sock ? "unix:" : "", p2);
					free(p2);
				} else if (!strcmp(key, "query-log")) {
					free(c->query_log);
					c->query_log = resolve_path(path, val);
				} else if (!strcmp(key, "control")) {
					free(c->control);
					c->control = resolve_path(path, val);
					if (!c->control || strlen(c->control) >= 108)
						ERR("control: the socket path must be shorter than 108 bytes, got '%s'", val);
				} else if (config_parse_listen(val, &c->metrics)) {
					ERR("metrics wants ADDR:PORT (e.g. 127.0.0.1:9153), got '%s'", val);
				} else {
					c->metrics_on = true;
				}
			} else if ((tls_rc = config_tls_option(c, key, val, path, where)) != 0) {
				errors += tls_rc < 0;
			} else if ((xr = val_conf_option(&c->val, key, val, where, path)) <= 0) {
				errors += xr < 0; /* DNSSEC validation (validate/valconf.c), already logged */
			} else {
				/* the policy engine's keys (src/policy/polconf.c) */
				int pr = pol_config_key(&c->policy, key, val, path, where, add_local_rr, c);
				if (pr < 0)
					errors++;
				else if (pr > 0)
					ERR("unknown server option '%s'", key);
			}
		} else if (sec == ZONE) {
			if (!strcmp(key, "name"))
				snprintf(zname, sizeof zname, "%s", val);
			else if (!strcmp(key, "file")) {
				snprintf(zfile, sizeof zfile, "%s", val);
				snprintf(zwhere, sizeof zwhere, "%s", where); /* messages about the file name this line */
			}
			/* ---- DNSSEC signing (issue 12 item 3) ---- */
			else if (!strcmp(key, "dnssec-signing")) {
				if (!strcmp(val, "on") || !strcmp(val, "yes"))
					zsign.on = true;
				else if (!strcmp(val, "off") || !strcmp(val, "no"))
					zsign.on = false;
				else
					ERR("dnssec-signing must be on or off, got '%s'", val);
			} else if (!strcmp(key, "dnssec-algorithm")) {
				if (!(zsign.alg = dnssec_alg_from_text(val))) {
					ERR("dnssec-algorithm must be ecdsap256sha256 or ed25519, got '%s'", val);
					zsign.alg = 13;
				}
			} else if (!strcmp(key, "dnssec-denial")) {
				if (!strcmp(val, "nsec"))
					zsign.nsec3 = false;
				else if (!strcmp(val, "nsec3"))
					zsign.nsec3 = true;
				else
					ERR("dnssec-denial must be nsec or nsec3, got '%s'", val);
			} else if (!strcmp(key, "dnssec-signature-validity")) {
				if (parse_uint(val, 20, 90 * 86400, &zsign.sig_validity))
					ERR("dnssec-signature-validity must be 20..7776000 seconds, got '%s'", val);
			} else if (!strcmp(key, "dnssec-refresh-slice")) {
				if (parse_uint(val, 1, DNSSEC_REFRESH_SLICE_MAX, &zsign.refresh_slice))
					ERR("dnssec-refresh-slice must be 1..%u RRsets, got '%s'", DNSSEC_REFRESH_SLICE_MAX,
					    val);
			} else if (!strcmp(key, "dnssec-cds")) {
				if (!strcmp(val, "on") || !strcmp(val, "yes") || !strcmp(val, "always"))
					zsign.cds = DNSSEC_CDS_ALWAYS;
				else if (!strcmp(val, "off") || !strcmp(val, "no") || !strcmp(val, "none"))
					zsign.cds = DNSSEC_CDS_OFF;
				else if (!strcmp(val, "rollover"))
					zsign.cds = DNSSEC_CDS_ROLLOVER;
				else
					ERR("dnssec-cds must be on, off or rollover, got '%s'", val);
			} else if (!strcmp(key, "dnssec-signed-file")) {
				snprintf(zsigned, sizeof zsigned, "%s", val);
			} else if (!strcmp(key, "key-directory")) {
				snprintf(zkeydir, sizeof zkeydir, "%s", val);
			}
			else if ((xr = config_dnssec_option(&zsign, key, val, where)) <= 0)
				errors += xr < 0; /* keys and rollovers (config_dnssec.c), already logged */
			else if ((xr = xfrin_config_option(&zxfr, key, val, where)) <= 0)
				errors += xr < 0; /* a secondary's setting (xfr/xfrin_config.c), already logged */
			else if ((xr = catalog_config_option(&zcat, key, val, where, path)) <= 0)
				errors += xr < 0; /* a catalog setting (xfr/catalog_config.c), already logged */
			else {
				int r_ = xfrconf_zone_option(&zx, key, val, where); /* xfr/xfrconf.c */
				if (r_ < 0)
					errors++;
				else if (r_ > 0)
					ERR("unknown zone option '%s'", key);
			}
		} else if (sec == KEY) {
			if (!strcmp(key, "name"))
				snprintf(kname, sizeof kname, "%s", val);
			else if (!strcmp(key, "algorithm"))
				snprintf(kalg, sizeof kalg, "%s", val);
			else if (!strcmp(key, "secret"))
				snprintf(ksecret, sizeof ksecret, "%s", val);
			else
				ERR("unknown key option '%s'", key);
		} else if (sec == GROUP) {
			if (pol_config_group_key(&c->policy, key, val, path, where))
				errors++;
		} else {
			ERR("'%s' outside a section (start one with 'server:', 'zone:', 'key:' or 'group:')", key);
		}
	}
	END_ZONE();
	xfrconf_free(&zx);
	fclose(f);
	if (depth == 0) { /* once the whole configuration, includes too, is read */
		for (size_t i = 0; i < c->nzones; i++) /* the server's dnssec-signing-threads */
			if (!c->zones[i].sign.threads)
				c->zones[i].sign.threads = c->sign_threads;
		errors += xfrin_config_check(c);
		errors += catalog_config_check(c);
		errors += config_check_xfr_keys(c);
		errors += val_conf_finish(&c->val);
		errors += pol_config_check_feeds(&c->policy, c->zones, c->nzones);
	}
	errors += pol_config_check(&c->policy);
	return errors;
#undef ERR
#undef END_ZONE
}
