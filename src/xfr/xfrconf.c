/* xfrconf.c: see xfrconf.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/log.h"
#include "xfr/xfrconf.h"

void xfrconf_init(xfr_zone_conf *x)
{
	memset(x, 0, sizeof *x);
	x->journal_size = XFR_JOURNAL_DEFAULT;
}

void xfrconf_free(xfr_zone_conf *x)
{
	free(x->acl);
	free(x->update);
	free(x->notify);
	xfrconf_init(x);
}

xfr_zone_conf xfrconf_take(xfr_zone_conf *x)
{
	xfr_zone_conf t = *x;
	xfrconf_init(x);
	return t;
}

/* Splits "WORD [key NAME]": the first word into first (cap bytes), the key
 * name (wire) into key. Returns 0, or -1 for anything else. */
static int split_key(const char *val, char *first, size_t cap, bool *has_key, uint8_t *key)
{
	char w1[512], w2[16], w3[512], w4[8];
	int n = sscanf(val, "%511s %15s %511s %7s", w1, w2, w3, w4);
	if (n != 1 && n != 3)
		return -1;
	if (strlen(w1) >= cap)
		return -1;
	strcpy(first, w1);
	*has_key = n == 3;
	if (n == 3) {
		size_t len;
		if (strcmp(w2, "key") || tern_name_from_text(w3, strlen(w3), (const uint8_t *)"", key, &len))
			return -1;
		tern_name_lower(key, key);
	}
	return 0;
}

static int parse_acl(const char *val, xfr_acl *out, const char *where, const char *opt)
{
	char pfx[80];
	memset(out, 0, sizeof *out);
	if (split_key(val, pfx, sizeof pfx, &out->has_key, out->key))
		goto bad;
	if (tern_prefix_parse(pfx, &out->pfx))
		goto bad;
	return 0;
bad:
	log_err("%s: %s wants 'PREFIX' or 'PREFIX key NAME' (e.g. 192.0.2.0/24 key xfr), got '%s'", where, opt, val);
	return -1;
}

int xfrconf_parse_acl(const char *val, xfr_acl *out, const char *where)
{
	return parse_acl(val, out, where, "allow-transfer");
}

int xfrconf_parse_notify(const char *val, xfr_notify_to *out, const char *where)
{
	char addr[80];
	memset(out, 0, sizeof *out);
	cfg_listen l;
	if (split_key(val, addr, sizeof addr, &out->has_key, out->key) || config_parse_listen(addr, &l)) {
		log_err("%s: notify wants 'ADDR[:PORT]' or 'ADDR[:PORT] key NAME' (e.g. 192.0.2.7:53), got '%s'",
		        where, val);
		return -1;
	}
	out->addr = l.addr;
	out->len = l.len;
	return 0;
}

static int push(void **v, size_t *n, size_t size, const void *item)
{
	void *nv = realloc(*v, (*n + 1) * size);
	if (!nv)
		return -1;
	memcpy((char *)nv + *n * size, item, size);
	*v = nv;
	(*n)++;
	return 0;
}

int xfrconf_zone_option(xfr_zone_conf *x, const char *key, const char *val, const char *where)
{
	if (!strcmp(key, "allow-transfer")) {
		xfr_acl a;
		if (xfrconf_parse_acl(val, &a, where))
			return -1;
		return push((void **)&x->acl, &x->nacl, sizeof a, &a);
	}
	if (!strcmp(key, "allow-update")) {
		xfr_acl a;
		if (parse_acl(val, &a, where, "allow-update"))
			return -1;
		return push((void **)&x->update, &x->nupdate, sizeof a, &a);
	}
	if (!strcmp(key, "notify")) {
		xfr_notify_to t;
		if (xfrconf_parse_notify(val, &t, where))
			return -1;
		return push((void **)&x->notify, &x->nnotify, sizeof t, &t);
	}
	if (!strcmp(key, "journal-size")) {
		char *e;
		errno = 0;
		unsigned long long v = strtoull(val, &e, 10);
		unsigned long long mult = 1;
		if (*e == 'k' || *e == 'K')
			mult = 1ull << 10, e++;
		else if (*e == 'm' || *e == 'M')
			mult = 1ull << 20, e++;
		else if (*e == 'g' || *e == 'G')
			mult = 1ull << 30, e++;
		if (!*val || val[0] == '-' || errno || *e || v > (1ull << 40) / mult) {
			log_err("%s: journal-size must be a size in bytes (e.g. 1m, 0 for none), got '%s'", where, val);
			return -1;
		}
		x->journal_size = (size_t)(v * mult);
		return 0;
	}
	return 1;
}

bool xfr_acl_allows(const xfr_acl *acl, size_t n, const struct sockaddr *client, const uint8_t *key)
{
	uint8_t addr[16];
	bool v6;
	if (!tern_prefix_client(client, addr, &v6))
		return false;
	for (size_t i = 0; i < n; i++) {
		const xfr_acl *a = &acl[i];
		if (!tern_prefix_match(&a->pfx, addr, v6))
			continue;
		if (!a->has_key || (key && tern_name_eq(a->key, key)))
			return true;
	}
	return false;
}
