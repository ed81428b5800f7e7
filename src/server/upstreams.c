/* upstreams.c: see upstreams.h. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/upstreams.h"

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

int upstreams_add(upstreams *r, const config *c, const uint8_t *zone, const cfg_listen *addr, const fwd_tls *tls)
{
	/* An upstream that is this server would forward to itself forever. */
	for (size_t i = 0; i < c->nlisten; i++)
		if (same_addr(&c->listen[i].addr, &addr->addr)) {
			log_err("forwarding loop: upstream %s is this server's own listen address; not used", addr->text);
			return -1;
		}
	upstream_set *set = NULL;
	for (unsigned i = 0; i < r->nsets; i++)
		if (tern_name_eq(r->sets[i].zone, zone))
			set = &r->sets[i];
	if (!set) {
		upstream_set *ns = realloc(r->sets, (r->nsets + 1) * sizeof *ns);
		if (!ns)
			return -1;
		r->sets = ns;
		set = &r->sets[r->nsets++];
		memset(set, 0, sizeof *set);
		memcpy(set->zone, zone, tern_name_len(zone));
	}
	if (set->n >= FWD_MAX_UPSTREAMS) {
		log_err("more than %d upstreams for one zone: %s ignored", FWD_MAX_UPSTREAMS, addr->text);
		return -1;
	}
	upstream *u = &set->ups[set->n++];
	memcpy(&u->addr, &addr->addr, sizeof u->addr);
	u->len = addr->len;
	snprintf(u->text, sizeof u->text, "%s", addr->text);
	if (tls)
		u->tls = *tls;
	atomic_store(&u->srtt_us, 0);
	atomic_store(&u->timeouts, 0);
	return 0;
}

unsigned upstreams_total(const upstreams *u)
{
	unsigned total = 0;
	for (unsigned i = 0; u && i < u->nsets; i++)
		total += u->sets[i].n;
	return total;
}

void upstreams_keep_health(upstreams *u, const upstreams *prev)
{
	for (unsigned i = 0; prev && i < u->nsets; i++)
		for (unsigned j = 0; j < prev->nsets; j++) {
			if (!tern_name_eq(u->sets[i].zone, prev->sets[j].zone))
				continue;
			for (unsigned k = 0; k < u->sets[i].n; k++)
				for (unsigned l = 0; l < prev->sets[j].n; l++) {
					upstream *x = &u->sets[i].ups[k];
					const upstream *y = &prev->sets[j].ups[l];
					if (x->len == y->len && !memcmp(&x->addr, &y->addr, x->len)) {
						atomic_store(&x->srtt_us, atomic_load(&y->srtt_us));
						atomic_store(&x->timeouts, atomic_load(&y->timeouts));
					}
				}
		}
}

upstreams *upstreams_build(const config *c, const upstreams *prev)
{
	upstreams *r = upstreams_new(1); /* sets[0]: the default, zone "." */
	if (!r)
		return NULL;
	/* forward: none turns off the default upstreams only: forward-zones
	 * still work, and every other name gets REFUSED (as Unbound with a
	 * forward-zone and no default) */
	for (size_t i = 0; i < c->nforward; i++) {
		if (c->no_forward && !c->forward[i].zone[0]) {
			log_warn("upstream %s not used: forward: none", c->forward[i].addr.text);
			continue;
		}
		if (upstreams_add(r, c, c->forward[i].zone, &c->forward[i].addr, &c->forward[i].tls))
			continue;
		char zone[TERN_NAME_TEXT_MAX];
		tern_name_to_text(c->forward[i].zone, zone, sizeof zone);
		if (c->forward[i].zone[0])
			log_info("forward-zone %s: upstream %s", zone, c->forward[i].addr.text);
		else
			log_info("upstream %s", c->forward[i].addr.text);
	}
	if (c->no_forward)
		log_info("no default upstreams (forward: none): names outside the forward-zones get REFUSED");
	bool any_default = c->no_forward;
	for (size_t i = 0; i < c->nforward; i++)
		any_default |= c->forward[i].zone[0] == 0;
	if (!any_default) {
		const char *path = c->resolv_conf ? c->resolv_conf : "/etc/resolv.conf";
		FILE *f = fopen(path, "r");
		char line[512];
		while (f && fgets(line, sizeof line, f)) {
			char word[32], addr[128];
			if (sscanf(line, "%31s %127s", word, addr) != 2 || strcmp(word, "nameserver"))
				continue;
			cfg_listen l;
			char spec[140];
			snprintf(spec, sizeof spec, strchr(addr, ':') ? "[%s]:53" : "%s:53", addr);
			if (config_parse_listen(spec, &l) == 0 && upstreams_add(r, c, (const uint8_t *)"", &l, NULL) == 0)
				log_info("upstream %s (from %s)", l.text, path);
		}
		if (f)
			fclose(f);
		if (!r->sets[0].n)
			log_warn("no upstream resolvers (none configured, none in %s): names outside local data get "
			         "REFUSED", path);
	}
	upstreams_keep_health(r, prev);
	return r;
}

resolver *resolver_build(const config *c, const upstreams *ups)
{
	if (!upstreams_total(ups))
		return NULL;
	resolver *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	cache_opts co = {
		.max_bytes = c->cache_bytes,
		.min_ttl = c->cache_min_ttl,
		.max_ttl = c->cache_max_ttl,
		.max_neg_ttl = c->cache_max_neg_ttl,
		.stale_window = c->serve_stale,
	};
	r->cache = cache_new(&co);
	r->table = fwd_table_new(c->max_inflight);
	r->failures = failcache_new(4096);
	r->max_waiters = c->max_inflight * 8;
	if (!r->cache || !r->table || !r->failures) {
		cache_free(r->cache);
		fwd_table_free(r->table);
		failcache_free(r->failures);
		free(r);
		return NULL;
	}
	return r;
}

void resolver_free(resolver *r)
{
	if (!r)
		return;
	cache_free(r->cache);
	fwd_table_free(r->table);
	failcache_free(r->failures);
	free(r);
}
