/* config_dnssec.c: see config_dnssec.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/config_dnssec.h"
#include "server/log.h"

/* seconds, or a number with s, m, h, d or w (as Knot's policy times):
 * 0 .. 10 years */
static int parse_interval(const char *v, uint32_t *out)
{
	char *e;
	errno = 0;
	if (!*v || *v == '-' || *v == '+' || *v == ' ')
		return -1;
	unsigned long long x = strtoull(v, &e, 10);
	unsigned long long mult = 1;
	switch (*e) {
	case 0: break;
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: return -1;
	}
	if (*e && e[1])
		return -1;
	if (errno || e == v || x > 10ull * 366 * 86400 / mult)
		return -1;
	*out = (uint32_t)(x * mult);
	return 0;
}

int config_dnssec_threads(const char *val, unsigned *out, const char *where)
{
	char *e;
	errno = 0;
	unsigned long x = *val >= '0' && *val <= '9' ? strtoul(val, &e, 10) : 0;
	if (!x || errno || *e || x > DNSSEC_SIGN_THREADS_MAX) {
		log_err("%s: dnssec-signing-threads must be 1..%u, got '%s'", where, DNSSEC_SIGN_THREADS_MAX, val);
		return -1;
	}
	*out = (unsigned)x;
	return 0;
}

int config_dnssec_option(dnssec_policy *p, const char *key, const char *val, const char *where)
{
	static const struct {
		const char *key;
		size_t off;
	} times[] = {
		{"dnssec-zsk-lifetime", offsetof(dnssec_policy, zsk_lifetime)},
		{"dnssec-ksk-lifetime", offsetof(dnssec_policy, ksk_lifetime)},
		{"dnssec-propagation-delay", offsetof(dnssec_policy, propagation_delay)},
		{"dnssec-parent-ds-ttl", offsetof(dnssec_policy, parent_ds_ttl)},
		{"dnssec-parent-check-interval", offsetof(dnssec_policy, parent_check_interval)},
	};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		if (strcmp(key, times[i].key))
			continue;
		if (parse_interval(val, (uint32_t *)((char *)p + times[i].off))) {
			log_err("%s: %s must be a time in seconds (or with s, m, h, d, w: 30d), at most 10 years, got '%s'",
			        where, key, val);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "dnssec-parent")) { /* ADDR[:PORT] [key NAME] */
		char addr[256], kw[8], kname[TERN_NAME_TEXT_MAX], extra[2];
		int n = sscanf(val, "%255s %7s %1023s %1s", addr, kw, kname, extra);
		cfg_listen l;
		size_t klen;
		if (n < 1 || config_parse_listen(addr, &l)) {
			log_err("%s: dnssec-parent wants a server of the parent zone as 192.0.2.1:53 or [2001:db8::1]:53, "
			        "got '%s'",
			        where, val);
			return -1;
		}
		/* the key's name parsed aside: one that fails half way is left
		 * unterminated, and an earlier line's must not become that */
		uint8_t kwire[TERN_NAME_MAX];
		if (n != 1 && (n != 3 || strcmp(kw, "key") ||
		               tern_name_from_text(kname, strlen(kname), (const uint8_t *)"", kwire, &klen))) {
			log_err("%s: dnssec-parent is ADDR[:PORT] [key NAME] (a key: section's name), got '%s'", where, val);
			return -1;
		}
		if (n == 3)
			memcpy(p->parent_key, kwire, klen);
		p->parent = l.addr;
		p->parent_len = l.len;
		p->parent_has_key = n == 3;
		return 0;
	}
	if (!strcmp(key, "dnssec-signing-threads"))
		return config_dnssec_threads(val, &p->threads, where);
	if (!strcmp(key, "dnssec-single-type-signing")) {
		if (!strcmp(val, "on") || !strcmp(val, "yes"))
			p->single_type = true;
		else if (!strcmp(val, "off") || !strcmp(val, "no"))
			p->single_type = false;
		else {
			log_err("%s: dnssec-single-type-signing must be on or off, got '%s'", where, val);
			return -1;
		}
		return 0;
	}
	return 1;
}
