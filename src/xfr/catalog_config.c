/* catalog_config.c: see catalog_config.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/log.h"
#include "xfr/catalog_config.h"
#include "xfr/xfrin_config.h"

/* dir of the file path (with its slash), or "" */
static char *dir_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	size_t n = slash ? (size_t)(slash - path) + 1 : 0;
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = 0;
	}
	return d;
}

int catalog_config_option(cfg_catalog **cp, const char *key, const char *val, const char *where,
                          const char *conf_path)
{
	bool role = !strcmp(key, "catalog-role"), of = !strcmp(key, "catalog") || !strcmp(key, "catalog-zone");
	bool dir = !strcmp(key, "catalog-zone-dir"), max = !strcmp(key, "catalog-max-members");
	if (!role && !of && !dir && !max)
		return 1;
	if (!*cp) {
		*cp = calloc(1, sizeof **cp);
		if (!*cp)
			return -1;
		(*cp)->max_members = CATALOG_MAX_MEMBERS_DEFAULT;
	}
	cfg_catalog *c = *cp;
	if (role) {
		if (!strcmp(val, "producer") || !strcmp(val, "generate"))
			c->role = CATALOG_PRODUCER;
		else if (!strcmp(val, "consumer") || !strcmp(val, "interpret"))
			c->role = CATALOG_CONSUMER;
		else if (!strcmp(val, "member") || !strcmp(val, "none"))
			c->role = CATALOG_NONE; /* Knot's: a member says so with catalog-zone: */
		else {
			log_err("%s: catalog-role must be producer or consumer (Knot's generate, interpret, member "
			        "and none are read too), got '%s'",
			        where, val);
			return -1;
		}
		return 0;
	}
	if (of) {
		/* parsed aside: a name that fails half way leaves its labels
		 * unterminated, and an earlier catalog: line's name must not
		 * become that (catalog_config_check prints it) */
		uint8_t name[TERN_NAME_MAX];
		size_t len;
		if (tern_name_from_text(val, strlen(val), (const uint8_t *)"", name, &len)) {
			log_err("%s: bad catalog zone name '%s'", where, val);
			return -1;
		}
		tern_name_lower(c->of, name);
		c->member = true;
		return 0;
	}
	if (max) {
		char *e;
		errno = 0;
		unsigned long long x = strtoull(val, &e, 10);
		if (!*val || *e || errno || val[0] == '-' || x < 1 || x > 10000000) {
			log_err("%s: catalog-max-members must be 1..10000000, got '%s'", where, val);
			return -1;
		}
		c->max_members = (size_t)x;
		return 0;
	}
	free(c->dir);
	c->dir = NULL;
	if (!*val) {
		log_err("%s: catalog-zone-dir wants a directory", where);
		return -1;
	}
	size_t n = strlen(val);
	char *base = val[0] == '/' ? strdup("") : dir_of(conf_path);
	c->dir = base ? malloc(strlen(base) + n + 2) : NULL;
	if (c->dir)
		sprintf(c->dir, "%s%s%s", base, val, val[n - 1] == '/' ? "" : "/");
	free(base);
	return c->dir ? 0 : -1;
}

bool catalog_config_file_optional(const cfg_catalog *c)
{
	return c && c->role == CATALOG_PRODUCER;
}

enum catalog_role catalog_role_of(const cfg_zone *cz)
{
	return cz && cz->catalog ? cz->catalog->role : CATALOG_NONE;
}

int catalog_config_check(const config *c)
{
	int errors = 0;
	for (size_t i = 0; i < c->nzones; i++) {
		const cfg_zone *z = &c->zones[i];
		const cfg_catalog *k = z->catalog;
		if (!k)
			continue;
		bool secondary = z->xfrin && z->xfrin->nprimaries;
		if (k->role == CATALOG_CONSUMER && !secondary) {
			log_err("%s: a catalog consumer zone is a secondary: give it a primary:", z->where);
			errors++;
		}
		if (k->role == CATALOG_PRODUCER && secondary) {
			log_err("%s: a catalog producer zone is made by ternd: it cannot have a primary:", z->where);
			errors++;
		}
		if (k->role != CATALOG_CONSUMER && k->dir) {
			log_err("%s: catalog-zone-dir is for a catalog-role: consumer zone", z->where);
			errors++;
		}
		if (k->role == CATALOG_PRODUCER && k->member) {
			log_err("%s: a catalog producer zone cannot itself be a member (catalog:)", z->where);
			errors++;
		}
		if (!k->member)
			continue;
		const cfg_zone *p = NULL;
		for (size_t j = 0; j < c->nzones && !p; j++)
			if (tern_name_eq(c->zones[j].origin, k->of))
				p = &c->zones[j];
		if (!p || catalog_role_of(p) != CATALOG_PRODUCER) {
			char t[TERN_NAME_TEXT_MAX];
			tern_name_to_text(k->of, t, sizeof t);
			log_err("%s: catalog: %s is not a zone with catalog-role: producer", z->where, t);
			errors++;
		}
	}
	return errors;
}

void catalog_config_free(cfg_catalog *c)
{
	if (!c)
		return;
	free(c->dir);
	free(c);
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

char *catalog_member_file(const cfg_zone *cz, const uint8_t *m)
{
	char *dir = cz->catalog && cz->catalog->dir ? strdup(cz->catalog->dir) : dir_of(cz->file);
	if (!dir)
		return NULL;
	char name[200 + 24];
	size_t n = 0, len = tern_name_len(m);
	for (size_t i = 0; m[i] && n < 200; i += m[i] + 1) {
		for (size_t k = 1; k <= m[i] && n < 200; k++) {
			unsigned char ch = m[i + k];
			if (ch >= 'A' && ch <= 'Z')
				ch += 32;
			if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')
				name[n++] = (char)ch;
			else
				n += (size_t)sprintf(name + n, "%%%02x", ch);
		}
		name[n++] = '.';
	}
	if (n >= 200) { /* a file name has at most 255 bytes: cut, and tell apart by a hash */
		uint8_t low[TERN_NAME_MAX];
		tern_name_lower(low, m);
		n = 180;
		n += (size_t)sprintf(name + n, "~%016llx.", (unsigned long long)fnv(low, len));
	}
	name[n] = 0;
	char *p = malloc(strlen(dir) + n + 8);
	if (p)
		sprintf(p, "%s%szone", dir, name);
	free(dir);
	return p;
}
