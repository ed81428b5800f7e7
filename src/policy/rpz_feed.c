/* rpz_feed.c: Response Policy Zones fed by zone transfers ("rpz: zone
 * NAME", policy.h). The RPZ is a zone of the server (a secondary, usually,
 * kept by AXFR/IXFR from a provider, as BIND's response-policy zones and
 * Unbound's rpz: with primary: are); the policy reads that zone's records
 * with the same rpz_add_record as an RPZ file's, and records which version
 * of the zone it read. Whoever publishes a server version with another
 * version of a feed zone builds the policy again (server.c:
 * server_publish), so that the policy is swapped whole, as on reload, and
 * the query path pays nothing for the feed. The feed zone itself is hidden
 * from answers (db_set_hide): BIND and Unbound do not answer from a policy
 * zone either; transfers out of it still work. */
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "server/config.h"
#include "server/log.h"

long rpz_load_zone(pol_names *s, pol_text *data, const db_zone *z, unsigned *ignored)
{
	long triggers = 0;
	*ignored = 0;
	if (!z || !zone_has_data(z))
		return 0;
	for (size_t b = 0; b < ((size_t)1 << (32 - z->shift)); b++)
		for (const db_node *n = z->table[b]; n; n = n->hnext)
			for (unsigned i = 0; i < n->nrrsets; i++) {
				const db_rrset *rs = &n->rrsets[i];
				if (rs->type == TERN_T_SOA || rs->type == TERN_T_RRSIG)
					continue;
				const uint8_t *p = rs->rdata;
				for (unsigned k = 0; k < rs->count; k++) {
					uint16_t len;
					const uint8_t *rd = rrset_rdata(p, &len);
					p = rd + len;
					int r = rpz_add_record(s, data, z->origin, n->name, rs->type, rs->ttl, rd, len);
					if (r < 0)
						return -1;
					if (r == 0)
						triggers++;
					else if (n != z->apex)
						++*ignored;
				}
			}
	return triggers;
}

bool pol_config_has_feeds(const pol_config *c)
{
	for (size_t g = 0; g <= c->ngroups; g++) {
		const pol_lists *l = g ? &c->groups[g - 1].lists : &c->lists;
		for (size_t i = 0; i < l->nrpz; i++)
			if (l->rpz_zone && l->rpz_zone[i])
				return true;
	}
	return false;
}

int pol_config_hide_feeds(const pol_config *c, db_set *zones)
{
	for (size_t g = 0; zones && g <= c->ngroups; g++) {
		const pol_lists *l = g ? &c->groups[g - 1].lists : &c->lists;
		for (size_t i = 0; i < l->nrpz; i++)
			if (l->rpz_zone && l->rpz_zone[i] && db_set_hide(zones, l->rpz_zone[i]) < 0)
				return -1;
	}
	return 0;
}

int policy_note_feed(policy *p, const uint8_t *origin, const db_zone *z)
{
	for (size_t i = 0; i < p->nfeeds; i++)
		if (tern_name_eq(p->feed_origin[i], origin))
			return 0; /* a feed in several views: read the same version */
	const uint8_t **no = realloc(p->feed_origin, (p->nfeeds + 1) * sizeof *no);
	if (!no)
		return -1;
	p->feed_origin = no;
	db_zone **nz = realloc(p->feed_zone, (p->nfeeds + 1) * sizeof *nz);
	if (!nz)
		return -1;
	p->feed_zone = nz;
	no[p->nfeeds] = origin;
	nz[p->nfeeds++] = z ? zone_ref((db_zone *)z) : NULL;
	return 0;
}

bool policy_feeds_stale(const policy *p, const db_set *zones)
{
	for (size_t i = 0; p && i < p->nfeeds; i++) {
		const db_zone *z = db_set_get(zones, p->feed_origin[i]);
		if ((z && zone_has_data(z) ? z : NULL) != p->feed_zone[i])
			return true;
	}
	return false;
}

void policy_feeds_free(policy *p)
{
	for (size_t i = 0; i < p->nfeeds; i++)
		zone_unref(p->feed_zone[i]);
	free(p->feed_zone);
	free(p->feed_origin);
}

int pol_config_check_feeds(const pol_config *pc, const struct cfg_zone *zones, size_t nzones)
{
	int errors = 0;
	for (size_t g = 0; g <= pc->ngroups; g++) {
		const pol_lists *l = g ? &pc->groups[g - 1].lists : &pc->lists;
		for (size_t i = 0; i < l->nrpz; i++) {
			if (!l->rpz_zone || !l->rpz_zone[i])
				continue;
			size_t k = 0;
			while (k < nzones && !tern_name_eq(zones[k].origin, l->rpz_zone[i]))
				k++;
			if (k == nzones) {
				char zn[TERN_NAME_TEXT_MAX];
				tern_name_to_text(l->rpz_zone[i], zn, sizeof zn);
				log_err("%s: rpz: zone %s is not a zone of this configuration (a zone: block, with "
				        "primary: for a feed transferred in)",
				        l->rpz_where[i], zn);
				errors++;
			}
		}
	}
	return errors;
}
