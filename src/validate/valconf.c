/* valconf.c: the validator's settings (contract in valconf.h). */
#include "validate/valconf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "tern/rr.h"
#include "tern/zonefile.h"

static val_conf *get(val_conf **vc)
{
	if (!*vc && (*vc = calloc(1, sizeof **vc)))
		(*vc)->setting = -1;
	return *vc;
}

typedef struct anchor_ctx {
	val_conf *vc;
	int added, errors;
	const char *where;
} anchor_ctx;

static int on_rr(const tern_zrr *rr, void *user)
{
	anchor_ctx *a = user;
	if (rr->type != TERN_T_DS && rr->type != TERN_T_DNSKEY) {
		log_err("%s:%u: a trust anchor is a DS or DNSKEY record", rr->file, rr->line);
		a->errors++;
		return 0;
	}
	if ((rr->type == TERN_T_DS && rr->rdlen < 5) || (rr->type == TERN_T_DNSKEY && rr->rdlen < 5)) {
		log_err("%s:%u: trust anchor too short", rr->file, rr->line);
		a->errors++;
		return 0;
	}
	val_conf *vc = a->vc;
	val_anchor *n = realloc(vc->anchors, (vc->nanchors + 1) * sizeof *n);
	uint8_t *rd = malloc(rr->rdlen);
	if (!n || !rd) {
		free(rd);
		if (n)
			vc->anchors = n;
		a->errors++;
		return 1;
	}
	vc->anchors = n;
	val_anchor *x = &n[vc->nanchors++];
	tern_name_lower(x->zone, rr->owner);
	x->type = rr->type;
	x->rdlen = rr->rdlen;
	memcpy(rd, rr->rdata, rr->rdlen);
	x->rdata = rd;
	a->added++;
	return 0;
}

static void on_error(const char *file, unsigned line, const char *msg, void *user)
{
	anchor_ctx *a = user;
	log_err("%s:%u: %s", file, line, msg);
	a->errors++;
}

static int read_anchors(val_conf *vc, const char *path, const char *text, const char *where)
{
	anchor_ctx a = {.vc = vc, .where = where};
	tern_zparse zp = {.origin = (const uint8_t *)"", .default_ttl = 3600, .have_default_ttl = 1,
	                  .on_rr = on_rr, .on_error = on_error, .user = &a};
	int r = text ? tern_zone_parse_string(&zp, where, text, strlen(text)) : tern_zone_parse_file(&zp, path);
	if (r && !a.errors)
		a.errors++;
	if (!a.errors && !a.added) {
		log_err("%s: no DS or DNSKEY record in the trust anchor", where);
		a.errors++;
	}
	return a.errors;
}

static char *rel_path(const char *base, const char *file)
{
	if (file[0] == '/' || !base || !strchr(base, '/'))
		return strdup(file);
	size_t dl = (size_t)(strrchr(base, '/') - base);
	char *p = malloc(dl + 1 + strlen(file) + 1);
	if (p)
		sprintf(p, "%.*s/%s", (int)dl, base, file);
	return p;
}

int val_conf_option(val_conf **vcp, const char *key, const char *val, const char *where, const char *base)
{
	if (strcmp(key, "dnssec-validation") && strcmp(key, "trust-anchor") && strcmp(key, "trust-anchor-file") &&
	    strcmp(key, "domain-insecure"))
		return 1;
	val_conf *vc = get(vcp);
	if (!vc)
		return -1;
	if (!strcmp(key, "dnssec-validation")) {
		if (!strcmp(val, "yes"))
			vc->setting = 1;
		else if (!strcmp(val, "no"))
			vc->setting = 0;
		else {
			log_err("%s: dnssec-validation must be yes or no, got '%s'", where, val);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "trust-anchor"))
		return read_anchors(vc, NULL, val, where) ? -1 : 0;
	if (!strcmp(key, "trust-anchor-file")) {
		char *p = rel_path(base, val);
		FILE *f = p ? fopen(p, "r") : NULL;
		if (!f) {
			log_err("%s: trust-anchor-file '%s': %s", where, p ? p : val, strerror(errno));
			free(p);
			return -1;
		}
		fclose(f);
		int e = read_anchors(vc, p, NULL, where);
		free(p);
		return e ? -1 : 0;
	}
	uint8_t name[TERN_NAME_MAX];
	size_t len;
	if (tern_name_from_text(val, strlen(val), (const uint8_t *)"", name, &len)) {
		log_err("%s: domain-insecure wants a domain name, got '%s'", where, val);
		return -1;
	}
	uint8_t(*n)[TERN_NAME_MAX] = realloc(vc->insecure, (vc->ninsecure + 1) * sizeof *n);
	if (!n)
		return -1;
	vc->insecure = n;
	tern_name_lower(n[vc->ninsecure++], name);
	return 0;
}

int val_conf_finish(val_conf **vcp)
{
	val_conf *vc = *vcp;
	if (!vc)
		return 0;
	vc->on = vc->setting == 1 || (vc->setting < 0 && vc->nanchors);
	if (vc->on && !vc->nanchors)
		return read_anchors(vc, VAL_ROOT_KEY, NULL, VAL_ROOT_KEY " (the default root trust anchor)");
	return 0;
}

void val_conf_free(val_conf *vc)
{
	if (!vc)
		return;
	for (size_t i = 0; i < vc->nanchors; i++)
		free(vc->anchors[i].rdata);
	free(vc->anchors);
	free(vc->insecure);
	free(vc);
}

const uint8_t *val_anchor_for(const val_conf *vc, const uint8_t *name)
{
	const uint8_t *best = NULL;
	unsigned bl = 0;
	for (size_t i = 0; i < vc->nanchors; i++) {
		const uint8_t *z = vc->anchors[i].zone;
		unsigned l = tern_name_labels(z);
		if (tern_name_is_sub(name, z) && (!best || l > bl)) {
			best = z;
			bl = l;
		}
	}
	return best;
}

bool val_insecure(const val_conf *vc, const uint8_t *name)
{
	for (size_t i = 0; i < vc->ninsecure; i++)
		if (tern_name_is_sub(name, vc->insecure[i]))
			return true;
	return false;
}
