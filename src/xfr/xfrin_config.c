/* xfrin_config.c: see xfrin_config.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/log.h"
#include "tern/tsig.h"
#include "tls/tls.h"
#include "xfr/xfrin_config.h"

/* "ADDR[:PORT] [key NAME] [tls NAME] [pin sha256/B64]" (a primary; tls
 * and pin: RFC 9103 XoT) or, for a prefix, "ADDR[/BITS] [key NAME]". */
static int parse_peer(const char *val, bool prefix, cfg_peer *p, const char *where, const char *what)
{
	memset(p, 0, sizeof *p);
	char w[8][256];
	int n = 0, used;
	for (const char *r = val; n < 8 && sscanf(r, "%255s%n", w[n], &used) == 1; r += used)
		n++;
	const char *keyname = NULL;
	bool bad = n == 0 || n == 8 || strlen(w[0]) >= 80;
	for (int i = 1; !bad && i < n; i += 2) {
		if (i + 1 >= n)
			bad = true;
		else if (!strcmp(w[i], "key") && !keyname && i == 1)
			keyname = w[i + 1];
		else if (!prefix && !strcmp(w[i], "tls") && !p->tls_name[0])
			snprintf(p->tls_name, sizeof p->tls_name, "%s", w[i + 1]), p->tls = true;
		else if (!prefix && !strcmp(w[i], "pin") && !p->has_pin) {
			tls_pin pin;
			if (tls_pin_parse(w[i + 1], &pin)) {
				log_err("%s: bad pin '%s' (want sha256/BASE64 of the key, RFC 7858 4.2)", where, w[i + 1]);
				return -1;
			}
			memcpy(p->pin, pin.sha256, sizeof p->pin);
			p->has_pin = p->tls = true;
		} else
			bad = true;
	}
	if (bad) {
		log_err("%s: %s wants '%s', got '%s'", where, what,
		        prefix ? "PREFIX [key NAME]" : "ADDR:PORT [key NAME] [tls NAME] [pin sha256/BASE64]", val);
		return -1;
	}
	char a[80];
	memcpy(a, w[0], strlen(w[0]) + 1); /* shorter than 80: checked above */
	const char *name = keyname;
	if (keyname) {
		size_t len;
		if (tern_name_from_text(name, strlen(name), (const uint8_t *)"", p->key, &len)) {
			log_err("%s: bad key name '%s'", where, name);
			return -1;
		}
		tern_name_lower(p->key, p->key);
		p->has_key = true;
	}
	snprintf(p->text, sizeof p->text, "%s", a);
	if (!prefix) {
		cfg_listen l;
		if (config_parse_listen(a, &l)) {
			log_err("%s: bad %s address '%s' (want 192.0.2.1:53 or [2001:db8::1]:53)", where, what, a);
			return -1;
		}
		p->addr = l.addr;
		p->len = l.len;
		p->bits = l.addr.ss_family == AF_INET ? 32 : 128;
		/* XoT: port 853 unless given (RFC 9103, as DoT's RFC 7858) */
		const char *colon = strrchr(a, ':'), *bracket = strchr(a, ']');
		bool port_given = a[0] == '[' ? bracket && bracket[1] == ':' : colon && colon == strchr(a, ':');
		if (p->tls && !port_given) {
			if (p->addr.ss_family == AF_INET)
				((struct sockaddr_in *)&p->addr)->sin_port = htons(853);
			else
				((struct sockaddr_in6 *)&p->addr)->sin6_port = htons(853);
		}
		return 0;
	}
	char *slash = strchr(a, '/');
	long bits = -1;
	if (slash) {
		char *e;
		*slash = 0;
		errno = 0;
		bits = strtol(slash + 1, &e, 10);
		if (*e || e == slash + 1 || bits < 0 || bits > 128)
			bits = 999;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)&p->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&p->addr;
	if (inet_pton(AF_INET, a, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		p->bits = bits < 0 ? 32 : (unsigned)bits;
		p->len = sizeof *v4;
		if (p->bits <= 32)
			return 0;
	} else if (inet_pton(AF_INET6, a, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		p->bits = bits < 0 ? 128 : (unsigned)bits;
		p->len = sizeof *v6;
		if (p->bits <= 128)
			return 0;
	}
	log_err("%s: bad address prefix '%s' in %s", where, val, what);
	return -1;
}

static int push(cfg_peer **arr, size_t *n, const cfg_peer *p)
{
	cfg_peer *a = realloc(*arr, (*n + 1) * sizeof *a);
	if (!a)
		return -1;
	*arr = a;
	a[(*n)++] = *p;
	return 0;
}

static int parse_size(const char *v, size_t *out)
{
	char *e;
	errno = 0;
	unsigned long long x = strtoull(v, &e, 10);
	unsigned long long mul = 1;
	if (*e == 'k' || *e == 'K')
		mul = 1ull << 10, e++;
	else if (*e == 'm' || *e == 'M')
		mul = 1ull << 20, e++;
	else if (*e == 'g' || *e == 'G')
		mul = 1ull << 30, e++;
	if (e == v || *e || errno || v[0] == '-' || x == 0 || x > (1ull << 40) / mul)
		return -1;
	*out = (size_t)(x * mul);
	return 0;
}

int xfrin_config_option(cfg_xfrin **xp, const char *key, const char *val, const char *where)
{
	bool primary = !strcmp(key, "primary"), notify = !strcmp(key, "allow-notify");
	bool size = !strcmp(key, "xfr-max-size");
	if (!primary && !notify && !size)
		return 1;
	if (!*xp) {
		*xp = calloc(1, sizeof **xp);
		if (!*xp)
			return -1;
		(*xp)->max_bytes = XFRIN_MAX_BYTES;
	}
	cfg_xfrin *x = *xp;
	if (size) {
		if (parse_size(val, &x->max_bytes) || x->max_bytes < 512) {
			log_err("%s: xfr-max-size must be a size of at least 512 bytes (e.g. 64m), got '%s'", where, val);
			return -1;
		}
		return 0;
	}
	cfg_peer p;
	if (parse_peer(val, notify, &p, where, key))
		return -1;
	return primary ? push(&x->primaries, &x->nprimaries, &p) : push(&x->allow_notify, &x->nallow_notify, &p);
}

static int check_keys(const config *c, const cfg_zone *z, const cfg_peer *p, size_t n)
{
	int errors = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].has_key && !tern_tsig_key_find(c->keys, c->nkeys, p[i].key)) {
			char k[TERN_NAME_TEXT_MAX];
			tern_name_to_text(p[i].key, k, sizeof k);
			log_err("%s: zone names key '%s' (for %s), which no key: section defines", z->where, k, p[i].text);
			errors++;
		}
	return errors;
}

int xfrin_config_check(const config *c)
{
	int errors = 0;
	for (size_t i = 0; i < c->nzones; i++) {
		const cfg_zone *z = &c->zones[i];
		const cfg_xfrin *x = z->xfrin;
		if (!x)
			continue;
		if (!x->nprimaries) {
			log_err("%s: allow-notify and xfr-max-size are for secondary zones (give a primary:)", z->where);
			errors++;
		}
		errors += check_keys(c, z, x->primaries, x->nprimaries);
		errors += check_keys(c, z, x->allow_notify, x->nallow_notify);
	}
	return errors;
}

void xfrin_config_free(cfg_xfrin *x)
{
	if (!x)
		return;
	free(x->primaries);
	free(x->allow_notify);
	free(x);
}

/* The address bytes of sa (an IPv4-mapped IPv6 address as IPv4). */
static const uint8_t *addr_of(const struct sockaddr *sa, int *fam)
{
	*fam = sa->sa_family;
	if (*fam == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	if (*fam != AF_INET6)
		return NULL;
	const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	static const uint8_t v4map[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(a, v4map, 12)) {
		*fam = AF_INET;
		return a + 12;
	}
	return a;
}

static bool match(const cfg_peer *p, const uint8_t *a, int fam)
{
	int pf;
	const uint8_t *b = addr_of((const struct sockaddr *)&p->addr, &pf);
	if (!b || pf != fam)
		return false;
	unsigned full = p->bits / 8, rest = p->bits % 8;
	if (memcmp(a, b, full))
		return false;
	return !rest || ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

static bool key_ok(const cfg_peer *p, const uint8_t *key)
{
	return !p->has_key || (key && tern_name_eq(p->key, key));
}

bool xfrin_notify_allowed(const cfg_xfrin *x, const struct sockaddr *sa, const uint8_t *key)
{
	int fam;
	const uint8_t *a = sa ? addr_of(sa, &fam) : NULL;
	if (!x || !a)
		return false;
	for (size_t i = 0; i < x->nallow_notify; i++)
		if (match(&x->allow_notify[i], a, fam) && key_ok(&x->allow_notify[i], key))
			return true;
	for (size_t i = 0; i < x->nprimaries; i++)
		if (match(&x->primaries[i], a, fam) && key_ok(&x->primaries[i], key))
			return true;
	return false;
}
