/* polconf.c: the policy engine's configuration keys (policy.h). They live
 * here, not in config.c, so that config.c only hands them over. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "server/config.h"
#include "server/log.h"

void pol_config_init(pol_config *c)
{
	memset(c, 0, sizeof *c);
	c->local_ptr = true;
	c->block_ttl = 60;
	c->lists.answer = POL_ANS_NULL; /* Pi-hole's default: 0.0.0.0 / :: */
}

static void strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void lists_free(pol_lists *l)
{
	strs_free(l->block, l->nblock);
	strs_free(l->allow, l->nallow);
	strs_free(l->rpz, l->nrpz);
	strs_free(l->block_where, l->nblock);
	strs_free(l->allow_where, l->nallow);
	strs_free(l->rpz_where, l->nrpz);
	strs_free((char **)l->rpz_zone, l->nrpz);
}

void pol_config_free(pol_config *c)
{
	free(c->lzones);
	lists_free(&c->lists);
	for (size_t i = 0; i < c->ngroups; i++) {
		pol_group_cfg *g = &c->groups[i];
		free(g->name);
		free(g->where);
		free(g->clients);
		lists_free(&g->lists);
		strs_free(g->forward, g->nforward);
	}
	free(c->groups);
	memset(c, 0, sizeof *c);
}

static int push(char ***v, size_t *n, const char *s)
{
	char *d = strdup(s);
	char **nv = d ? realloc(*v, (*n + 1) * sizeof *nv) : NULL;
	if (!nv) {
		free(d);
		return -1;
	}
	nv[(*n)++] = d;
	*v = nv;
	return 0;
}

/* file relative to the directory of base */
static char *resolve(const char *base, const char *file)
{
	const char *slash = base ? strrchr(base, '/') : NULL;
	if (file[0] == '/' || !slash)
		return strdup(file);
	size_t dl = (size_t)(slash - base) + 1;
	char *p = malloc(dl + strlen(file) + 1);
	if (p) {
		memcpy(p, base, dl);
		strcpy(p + dl, file);
	}
	return p;
}

/* adds a file to one of a list set's three kinds; the where list grows with
 * the path list (same count) */
static int add_file(char ***paths, char ***wheres, size_t *n, const char *base, const char *file, const char *where)
{
	char *p = resolve(base, file);
	size_t n0 = *n, n1 = *n;
	int r = !p || push(paths, n, p) || push(wheres, &n1, where);
	free(p);
	if (r && *n != n0) { /* keep the two lists the same length */
		free((*paths)[--*n]);
	}
	return r ? -1 : 0;
}

/* "rpz: zone NAME": the RPZ is the zone NAME, a zone of this
 * configuration (a secondary fed by transfers, usually), read again each
 * time it changes (rpz_feed.c). rpz[i] is then NULL. */
static int add_feed(pol_lists *l, const char *val, const char *where)
{
	while (*val == ' ' || *val == '\t')
		val++;
	size_t vl = strlen(val);
	while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
		vl--;
	uint8_t wire[TERN_NAME_MAX];
	size_t len;
	if (!vl || tern_name_from_text(val, vl, (const uint8_t *)"", wire, &len)) {
		log_err("%s: rpz: zone wants a zone name (rpz: zone rpz.example), got '%s'", where, val);
		return -1;
	}
	tern_name_lower(wire, wire);
	uint8_t *z = malloc(len);
	char **np = realloc(l->rpz, (l->nrpz + 1) * sizeof *np);
	if (np)
		l->rpz = np;
	char **nw = realloc(l->rpz_where, (l->nrpz + 1) * sizeof *nw);
	if (nw)
		l->rpz_where = nw;
	uint8_t **nz = realloc(l->rpz_zone, (l->nrpz + 1) * sizeof *nz);
	if (nz)
		l->rpz_zone = nz;
	char *w = strdup(where);
	if (!z || !np || !nw || !nz || !w) {
		free(z);
		free(w);
		return -1;
	}
	memcpy(z, wire, len);
	l->rpz[l->nrpz] = NULL;
	l->rpz_where[l->nrpz] = w;
	l->rpz_zone[l->nrpz++] = z;
	return 0;
}

static int answer_from(const char *v, uint8_t *out)
{
	if (!strcmp(v, "nxdomain"))
		*out = POL_ANS_NXDOMAIN;
	else if (!strcmp(v, "null") || !strcmp(v, "null-ip") || !strcmp(v, "0.0.0.0"))
		*out = POL_ANS_NULL;
	else if (!strcmp(v, "refused"))
		*out = POL_ANS_REFUSED;
	else
		return -1;
	return 0;
}

/* A list key of a server or group section: 0 taken, -1 error, 1 not one. */
static int list_key(pol_lists *l, const char *key, const char *val, const char *base, const char *where)
{
	if (!strcmp(key, "block-list"))
		return add_file(&l->block, &l->block_where, &l->nblock, base, val, where);
	if (!strcmp(key, "allow-list"))
		return add_file(&l->allow, &l->allow_where, &l->nallow, base, val, where);
	if (!strcmp(key, "rpz")) {
		if (!strncmp(val, "zone", 4) && (!val[4] || val[4] == ' ' || val[4] == '\t'))
			return add_feed(l, val + 4, where); /* "rpz: zone NAME" */
		size_t n = l->nrpz;
		if (add_file(&l->rpz, &l->rpz_where, &l->nrpz, base, val, where))
			return -1;
		uint8_t **nz = realloc(l->rpz_zone, l->nrpz * sizeof *nz);
		if (!nz) { /* the lists stay the same length: this one goes */
			free(l->rpz[--l->nrpz]);
			free(l->rpz_where[l->nrpz]);
			return -1;
		}
		l->rpz_zone = nz;
		nz[n] = NULL; /* a file */
		return 0;
	}
	if (!strcmp(key, "block-answer")) {
		if (answer_from(val, &l->answer) == 0)
			return 0;
		log_err("%s: block-answer must be nxdomain, null or refused, got '%s'", where, val);
		return -1;
	}
	return 1;
}

static const struct {
	const char *name;
	uint8_t type;
} lz_types[] = {
	{"transparent", POL_LZ_TRANSPARENT},         {"static", POL_LZ_STATIC},
	{"refuse", POL_LZ_REFUSE},                   {"redirect", POL_LZ_REDIRECT},
	{"always-nxdomain", POL_LZ_NXDOMAIN},        {"always_nxdomain", POL_LZ_NXDOMAIN},
	{"always-refuse", POL_LZ_ALWAYS_REFUSE},     {"always_refuse", POL_LZ_ALWAYS_REFUSE},
	{"deny", POL_LZ_DENY},
};

static int add_lzone(pol_config *c, const char *name, uint8_t type, const char *where, bool quiet_same)
{
	pol_lzone_cfg z;
	size_t len;
	if (tern_name_from_text(name, strlen(name), (const uint8_t *)"", z.name, &len)) {
		log_err("%s: bad local-zone name '%s'", where, name);
		return -1;
	}
	z.type = type;
	for (size_t i = 0; i < c->nlzones; i++)
		if (tern_name_eq(c->lzones[i].name, z.name)) {
			if (c->lzones[i].type == type && quiet_same)
				return 0;
			log_err("%s: local-zone '%s' given twice", where, name);
			return -1;
		}
	pol_lzone_cfg *n = realloc(c->lzones, (c->nlzones + 1) * sizeof *n);
	if (!n)
		return -1;
	c->lzones = n;
	c->lzones[c->nlzones++] = z;
	return 0;
}

/* dnsmasq's address=/NAME/[ADDR]: a redirect local zone with that address
 * (A or AAAA), or always-nxdomain without one. Several NAMEs may share one
 * line (/a/b/ADDR), as in dnsmasq. */
static int address_key(pol_config *c, const char *val, const char *where,
                       int (*add_local)(void *user, const char *rr, const char *where), void *user)
{
	char buf[1024];
	if (val[0] != '/' || strlen(val) >= sizeof buf || !strrchr(val + 1, '/')) {
		log_err("%s: address wants /NAME/ADDRESS (dnsmasq's form), got '%s'", where, val);
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", val + 1);
	char *last = strrchr(buf, '/');
	*last = 0;
	const char *addr = last + 1;
	unsigned char bin[16];
	const char *type = NULL;
	if (*addr)
		type = inet_pton(AF_INET, addr, bin) == 1 ? "A" : inet_pton(AF_INET6, addr, bin) == 1 ? "AAAA" : NULL;
	if (*addr && !type) {
		log_err("%s: address: '%s' is not an IPv4 or IPv6 address", where, addr);
		return -1;
	}
	int errors = 0;
	char *save = NULL;
	for (char *name = strtok_r(buf, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		if (add_lzone(c, name, type ? POL_LZ_REDIRECT : POL_LZ_NXDOMAIN, where, true)) {
			errors++;
			continue;
		}
		if (type) {
			char line[1200];
			size_t nl = strlen(name);
			snprintf(line, sizeof line, "%s%s 3600 IN %s %s", name, nl && name[nl - 1] == '.' ? "" : ".", type,
			         addr);
			if (add_local(user, line, where))
				errors++;
		}
	}
	return errors ? -1 : 0;
}

int pol_config_key(pol_config *c, const char *key, const char *val, const char *base, const char *where,
                   int (*add_local)(void *user, const char *rr, const char *where), void *user)
{
	int r = list_key(&c->lists, key, val, base, where);
	if (r <= 0)
		return r;
	if (!strcmp(key, "local-zone")) {
		char name[1024], type[32];
		if (sscanf(val, "%1023s %31s", name, type) != 2) {
			log_err("%s: local-zone wants NAME TYPE, got '%s'", where, val);
			return -1;
		}
		for (size_t i = 0; i < sizeof lz_types / sizeof *lz_types; i++)
			if (!strcmp(type, lz_types[i].name))
				return add_lzone(c, name, lz_types[i].type, where, false);
		log_err("%s: local-zone type must be transparent, static, refuse, redirect, always-nxdomain, "
		        "always-refuse or deny, got '%s'",
		        where, type);
		return -1;
	}
	if (!strcmp(key, "local-data-ptr")) {
		if (!strcmp(val, "yes"))
			c->local_ptr = true;
		else if (!strcmp(val, "no"))
			c->local_ptr = false;
		else {
			log_err("%s: local-data-ptr must be yes or no, got '%s'", where, val);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "block-ttl")) {
		char *e;
		errno = 0;
		unsigned long t = strtoul(val, &e, 10);
		if (!*val || *e || errno || t > 86400 || val[0] == '-') {
			log_err("%s: block-ttl must be 0..86400 seconds, got '%s'", where, val);
			return -1;
		}
		c->block_ttl = (uint32_t)t;
		return 0;
	}
	if (!strcmp(key, "address"))
		return address_key(c, val, where, add_local, user);
	return 1;
}

int pol_config_group_begin(pol_config *c, const char *where)
{
	pol_group_cfg *n = realloc(c->groups, (c->ngroups + 1) * sizeof *n);
	if (!n)
		return -1;
	c->groups = n;
	pol_group_cfg *g = &c->groups[c->ngroups];
	memset(g, 0, sizeof *g);
	if (!(g->where = strdup(where)))
		return -1;
	c->ngroups++;
	return 0;
}

int pol_config_group_key(pol_config *c, const char *key, const char *val, const char *base, const char *where)
{
	pol_group_cfg *g = &c->groups[c->ngroups - 1];
	int r = list_key(&g->lists, key, val, base, where);
	if (r == 0 && strcmp(key, "block-answer"))
		g->own_lists = true;
	if (r <= 0)
		return r;
	if (!strcmp(key, "name")) {
		free(g->name);
		g->name = strdup(val);
		return g->name ? 0 : -1;
	}
	if (!strcmp(key, "clients")) {
		char buf[4096];
		snprintf(buf, sizeof buf, "%s", val);
		char *save = NULL;
		for (char *t = strtok_r(buf, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
			pol_prefix p;
			if (tern_prefix_parse(t, &p)) {
				log_err("%s: bad client prefix '%s' (want 192.168.1.0/24, 127.0.0.2 or 2001:db8::/32)", where,
				        t);
				return -1;
			}
			pol_prefix *n = realloc(g->clients, (g->nclients + 1) * sizeof *n);
			if (!n)
				return -1;
			g->clients = n;
			g->clients[g->nclients++] = p;
		}
		return 0;
	}
	if (!strcmp(key, "forward")) {
		cfg_listen l;
		if (config_parse_listen(val, &l)) {
			log_err("%s: bad upstream address '%s' (want 192.0.2.53:53 or [2001:db8::53]:53)", where, val);
			return -1;
		}
		return push(&g->forward, &g->nforward, val);
	}
	log_err("%s: unknown group option '%s' (name, clients, block-list, allow-list, rpz, block-answer, forward)",
	        where, key);
	return -1;
}

int pol_config_check(const pol_config *c)
{
	int errors = 0;
	for (size_t i = 0; i < c->ngroups; i++) {
		const pol_group_cfg *g = &c->groups[i];
		if (!g->name || !g->name[0]) {
			log_err("%s: group needs a 'name'", g->where);
			errors++;
			continue;
		}
		if (!g->nclients) {
			log_err("%s: group '%s' needs 'clients' (address prefixes)", g->where, g->name);
			errors++;
		}
		for (size_t j = 0; j < i; j++)
			if (c->groups[j].name && !strcmp(c->groups[j].name, g->name)) {
				log_err("%s: group '%s' already defined at %s", g->where, g->name, c->groups[j].where);
				errors++;
			}
	}
	return errors;
}
