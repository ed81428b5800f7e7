/* policy.c: building a policy from its configuration, choosing a client's
 * view, and answering a query by a view's lists (policy.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/answer.h"
#include "policy/policy.h"
#include "server/log.h"

static void view_free(pol_view *v)
{
	pol_names_free(&v->names);
	zone_unref(v->rpz_data);
	v->rpz_data = NULL;
}

void policy_release(policy *p)
{
	if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	pol_names_free(&p->lzones);
	for (size_t i = 0; i < p->ngroups; i++)
		if (p->groups[i].view != &p->global) {
			view_free(p->groups[i].view);
			free(p->groups[i].view);
		}
	view_free(&p->global);
	free(p->groups);
	free(p->prefixes);
	free(p->prefix_group);
	policy_feeds_free(p);
	free(p);
}

static void rpz_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	log_msg(error ? LOG_ERR : LOG_WARN, "%s:%u: %s", file, line, msg);
}

/* Loads the lists of l into v. Returns the number of errors (files that
 * cannot be read). */
static int view_build(policy *p, pol_view *v, const pol_lists *l, uint8_t answer, uint32_t ttl,
                      const db_set *zones)
{
	int errors = 0;
	pol_names_init(&v->names);
	v->answer = l->answer ? l->answer : answer;
	v->ttl = ttl;
	v->ups = -1;
	/* allow lists first: they are flags, and cost a look at every level
	 * only when there are any */
	for (size_t i = 0; i < l->nallow; i++)
		if (pol_list_load(&v->names, l->allow[i], true) < 0)
			errors++;
	/* RPZ before the block lists: an RPZ action on a name is kept over a
	 * plain block of the same name (the first list wins) */
	pol_text data = {0};
	for (size_t i = 0; i < l->nrpz; i++) {
		if (l->rpz_zone && l->rpz_zone[i]) { /* a feed: the zone's version now */
			const db_zone *z = db_set_get(zones, l->rpz_zone[i]);
			if (z && !zone_has_data(z))
				z = NULL; /* a secondary before its first transfer */
			char zn[TERN_NAME_TEXT_MAX];
			tern_name_to_text(l->rpz_zone[i], zn, sizeof zn);
			unsigned ignored = 0;
			long n = z ? rpz_load_zone(&v->names, &data, z, &ignored) : 0;
			if (n < 0 || policy_note_feed(p, l->rpz_zone[i], z)) {
				log_err("rpz feed %s: out of memory", zn);
				errors++;
			} else if (!z) {
				log_info("rpz feed %s: no data yet (until a transfer brings it)", zn);
			} else {
				log_info("rpz feed %s (serial %u): %ld policy trigger(s)%s", zn, z->serial, n,
				         ignored ? ", records of other trigger kinds ignored" : "");
			}
			continue;
		}
		long n = rpz_load(&v->names, &data, l->rpz[i]);
		if (n < 0)
			errors++;
		else
			log_info("%s: %ld policy trigger(s)", l->rpz[i], n);
	}
	if (data.len) {
		db_diag diag = {.fn = rpz_diag};
		v->rpz_data = zone_load_local("rpz local data", data.p, &diag);
		if (!v->rpz_data)
			errors++;
	}
	free(data.p);
	for (size_t i = 0; i < l->nblock; i++) {
		long n = pol_list_load(&v->names, l->block[i], false);
		if (n < 0)
			errors++;
		else
			log_info("%s: %ld name(s) blocked", l->block[i], n);
	}
	pol_names_freeze(&v->names);
	return errors;
}

static int prefix_cmp(const void *a, const void *b)
{
	const pol_prefix *x = a, *y = b;
	return (int)y->bits - (int)x->bits; /* most specific first */
}

int policy_build(const pol_config *c, const db_set *zones, policy **out)
{
	*out = NULL;
	if (!c->nlzones && !c->lists.nblock && !c->lists.nallow && !c->lists.nrpz && !c->ngroups)
		return 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	policy *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	atomic_init(&p->refs, 1);
	p->local_ptr = c->local_ptr;
	int errors = 0;
	pol_names_init(&p->lzones);
	for (size_t i = 0; i < c->nlzones; i++)
		if (pol_names_add(&p->lzones, c->lzones[i].name, c->lzones[i].type, c->lzones[i].type))
			errors++;
	errors += view_build(p, &p->global, &c->lists, POL_ANS_NULL, c->block_ttl, zones);
	if (c->ngroups) {
		p->groups = calloc(c->ngroups, sizeof *p->groups);
		size_t np = 0;
		for (size_t i = 0; i < c->ngroups; i++)
			np += c->groups[i].nclients;
		p->prefixes = calloc(np ? np : 1, sizeof *p->prefixes);
		p->prefix_group = calloc(np ? np : 1, sizeof *p->prefix_group);
		if (!p->groups || !p->prefixes || !p->prefix_group) {
			policy_release(p);
			return -1;
		}
		p->ngroups = c->ngroups;
		for (size_t i = 0; i < c->ngroups; i++) {
			const pol_group_cfg *g = &c->groups[i];
			p->groups[i].name = g->name;
			if (g->own_lists) {
				pol_view *v = calloc(1, sizeof *v);
				if (!v) {
					policy_release(p);
					return -1;
				}
				p->groups[i].view = v;
				errors += view_build(p, v, &g->lists, p->global.answer, c->block_ttl, zones);
			} else if (g->lists.answer && g->lists.answer != p->global.answer) {
				/* the global lists with another answer: a copy of the view
				 * would copy the lists; load them again instead (rare) */
				pol_view *v = calloc(1, sizeof *v);
				if (!v) {
					policy_release(p);
					return -1;
				}
				p->groups[i].view = v;
				pol_lists l = c->lists;
				l.answer = g->lists.answer;
				errors += view_build(p, v, &l, p->global.answer, c->block_ttl, zones);
			} else {
				p->groups[i].view = &p->global;
			}
		}
		/* one table of prefixes, most specific first: the first match is the
		 * client's group (a stable sort keeps the order of the file among
		 * equals) */
		for (size_t i = 0, k = 0; i < c->ngroups; i++)
			for (size_t j = 0; j < c->groups[i].nclients; j++, k++)
				p->prefixes[k] = c->groups[i].clients[j], p->prefix_group[k] = (unsigned)i;
		/* insertion sort of (prefix, group) pairs: a handful of prefixes */
		for (size_t i = 1; i < np; i++)
			for (size_t j = i; j > 0 && prefix_cmp(&p->prefixes[j - 1], &p->prefixes[j]) > 0; j--) {
				pol_prefix t = p->prefixes[j];
				p->prefixes[j] = p->prefixes[j - 1];
				p->prefixes[j - 1] = t;
				unsigned g = p->prefix_group[j];
				p->prefix_group[j] = p->prefix_group[j - 1];
				p->prefix_group[j - 1] = g;
			}
		p->nprefixes = np;
	}
	if (errors) {
		policy_release(p);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (p->global.names.count)
		log_info("policy: %zu name(s) in %ld ms", p->global.names.count, ms);
	*out = p;
	return 0;
}

int policy_group_of(const policy *p, const struct sockaddr *client)
{
	uint8_t addr[16];
	bool v6;
	if (!p->nprefixes || !client || !tern_prefix_client(client, addr, &v6))
		return -1;
	for (size_t i = 0; i < p->nprefixes; i++)
		if (tern_prefix_match(&p->prefixes[i], addr, v6))
			return (int)p->prefix_group[i];
	return -1;
}

const pol_view *policy_view_for(const policy *p, const struct sockaddr *client)
{
	if (!p->ngroups)
		return &p->global;
	int g = policy_group_of(p, client);
	return g < 0 ? &p->global : p->groups[g].view;
}

enum pol_verdict policy_answer(const pol_view *view, const db_qname *qn, const uint8_t *qname, uint16_t qtype,
                               bool tcp, tern_msgw *m, unsigned *rcode, uint16_t *ede, uint8_t *name)
{
	pol_match pm;
	if (!pol_names_lookup(&view->names, qn, &pm))
		return POL_PASS;
	return policy_apply(view, &pm, qn, qname, qtype, tcp, m, rcode, ede, name);
}

enum pol_verdict policy_apply(const pol_view *view, const pol_match *match, const db_qname *qn, const uint8_t *qname,
                              uint16_t qtype, bool tcp, tern_msgw *m, unsigned *rcode, uint16_t *ede, uint8_t *name)
{
	const pol_match pm = *match;
	*rcode = TERN_R_NOERROR;
	*ede = POL_EDE_BLOCKED;
	switch (pm.action) {
	case POL_BLOCK:
		if (view->answer == POL_ANS_NXDOMAIN) {
			*rcode = TERN_R_NXDOMAIN;
		} else if (view->answer == POL_ANS_REFUSED) {
			*rcode = TERN_R_REFUSED;
		} else if (qtype == TERN_T_A || qtype == TERN_T_AAAA) {
			uint8_t zero[16] = {0};
			(void)tern_msgw_rr(m, TERN_S_ANSWER, qname, qtype, TERN_C_IN, view->ttl, zero,
			                   qtype == TERN_T_A ? 4 : 16);
		} /* else NODATA */
		return POL_ANSWERED;
	case POL_NXDOMAIN:
		*rcode = TERN_R_NXDOMAIN;
		return POL_ANSWERED;
	case POL_NODATA:
		return POL_ANSWERED;
	case POL_DROP:
		return POL_DROPPED;
	case POL_TCP_ONLY:
		if (tcp)
			return POL_PASS;
		m->truncated = true; /* RFC 1035 4.1.1 TC: ask again over TCP */
		return POL_ANSWERED;
	case POL_DATA: {
		*ede = POL_EDE_FORGED;
		uint8_t key[TERN_NAME_MAX]; /* the trigger's owner in the local data */
		if (pm.exact) {
			memcpy(key, db_qname_suffix(qn, 0), db_qname_len(qn, 0));
		} else {
			key[0] = 1;
			key[1] = '*';
			size_t l = db_qname_len(qn, pm.suffix);
			if (l + 2 > TERN_NAME_MAX)
				return POL_ANSWERED;
			memcpy(key + 2, db_qname_suffix(qn, pm.suffix), l);
		}
		const db_node *n = view->rpz_data ? zone_find(view->rpz_data, key) : NULL;
		return db_put_node_answer(n, qname, qtype, m, name) ? POL_CHAIN : POL_ANSWERED;
	}
	case POL_PASSTHRU:
	default:
		return POL_PASS;
	}
}
