/* zonecheck.c: the checks of a zone's records that need more than one
 * record at a time, done once at load (zone.c calls them; zone_build.h is
 * what the two share). Errors make the zone fail to load; warnings name
 * file:line and change nothing. What they catch, as named-checkzone,
 * kzonecheck and nsd-checkzone do:
 *   - two different DNAMEs at one name, an NS target below a DNAME (RFC
 *     6672 2.4: no data below a DNAME; no resolver could reach it): errors;
 *   - an NS or MX target inside the zone with no address records, a
 *     delegation whose in-bailiwick name server has no glue, a name that
 *     ends with the origin twice (a relative name missing its dot):
 *     warnings. */
#include <string.h>

#include "db/zone_build.h"
#include "tern/rr.h"

/* True if name, at or below z's origin, ends with the origin twice. */
static bool repeats_origin(const db_zone *z, const uint8_t *name)
{
	size_t ol = z->origin_len; /* with the root label's byte */
	if (z->origin_labels == 0)
		return false;
	size_t len = tern_name_len(name);
	if (len < 2 * ol - 1)
		return false;
	size_t start = len - (2 * ol - 1), o = 0;
	while (o < start && name[o])
		o += 1u + name[o];
	return o == start && db_name_eq_len(name + start, z->origin, ol - 1) &&
	       db_name_eq_len(name + start + ol - 1, z->origin, ol);
}

static void origin_warning(build *b, const tern_zrr *rr, const char *what, const uint8_t *name)
{
	char text[TERN_NAME_TEXT_MAX], origin[TERN_NAME_TEXT_MAX];
	zb_name_text(name, text, sizeof text);
	zb_name_text(b->z->origin, origin, sizeof origin);
	db_diag_report(b->diag, false, rr->file, rr->line,
	               "%s %s ends with the origin %s twice: a relative name that lacks its trailing dot?", what,
	               text, origin);
}

void zb_check_origin_repeat(build *b, const tern_zrr *rr)
{
	const db_zone *z = b->z;
	if (z->origin_labels == 0)
		return;
	if (!rr->same_owner && repeats_origin(z, rr->owner))
		origin_warning(b, rr, "owner", rr->owner);
	if (rr->rdlen < 2 * z->origin_len - 1)
		return; /* too short to hold a name with the origin twice */
	uint16_t off[8];
	/* the commonest types hold one name, which tern_rdata_target finds
	 * without walking the type's fields */
	const uint8_t *one = tern_rdata_target(rr->type, rr->rdata, rr->rdlen);
	size_t n = one ? 1 : tern_rdata_names(rr->type, rr->rdata, rr->rdlen, off, 8);
	if (one)
		off[0] = (uint16_t)(one - rr->rdata);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *name = rr->rdata + off[i];
		size_t len = tern_name_len(name);
		/* only names in the zone: ending with the origin once */
		if (len >= z->origin_len &&
		    db_name_eq_len(name + len - z->origin_len, z->origin, z->origin_len) && repeats_origin(z, name))
			origin_warning(b, rr, "name", name);
	}
}

/* True if name is at or below the name of node n. */
static bool under(const uint8_t *name, const db_node *n)
{
	size_t len = tern_name_len(name);
	if (len < n->name_len)
		return false;
	size_t start = len - n->name_len, o = 0;
	while (o < start && name[o])
		o += 1u + name[o];
	return o == start && db_name_eq_len(name + start, n->name, n->name_len);
}

/* The node of name, or else of its closest ancestor in the zone (name is
 * at or below the origin, so the apex ends the search). */
static const db_node *closest(const build *b, const uint8_t *name, uint32_t hash, bool *exact)
{
	*exact = true;
	for (const uint8_t *p = name;; p += 1u + *p) {
		const db_node *n = zb_index_find(b, p, tern_name_len(p), p == name ? hash : db_name_hash(p));
		if (n || !*p)
			return n;
		*exact = false;
	}
}

static bool has_address(const db_node *n)
{
	return n && (zb_has_type(n, TERN_T_A) || zb_has_type(n, TERN_T_AAAA));
}

/* The target checks of records that zb_check_glue did not cover. The
 * index is far bigger than the cache in a big zone, so each target goes
 * through a pipeline of TQ_AHEAD: its index slot is prefetched when it
 * enters, the entry of b->nodes a third of the way along, the node (and
 * its name, which follows it) two thirds of the way. */
typedef struct tq {
	const db_node *n;
	const brec *r;
	const uint8_t *target;
	uint32_t hash;
} tq;

#define TQ_AHEAD 24

static void check_target(build *b, const tq *q)
{
	const db_node *n = q->n;
	const brec *r = q->r;
	const uint8_t *target = q->target;
	bool ns = r->type == TERN_T_NS;
	bool exact;
	const db_node *t = closest(b, target, q->hash, &exact);
	if (!t)
		return;
	char owner[TERN_NAME_TEXT_MAX], tt[TERN_NAME_TEXT_MAX], at[TERN_NAME_TEXT_MAX];
	/* the target, or its closest ancestor strictly above it, below or at
	 * a DNAME: no resolver reaches it (RFC 6672 2.4) */
	uint8_t below = exact ? DB_UNDER_DNAME : DB_UNDER_DNAME | DB_DNAME;
	if (t->flags & below) {
		if (!ns)
			return;
		zb_name_text(n->name, owner, sizeof owner);
		zb_name_text(target, tt, sizeof tt);
		zb_name_text((t->flags & DB_UNDER_DNAME) ? node_dname(t)->name : t->name, at, sizeof at);
		db_diag_report(b->diag, true, r->file, r->line, "%s NS %s: the target is below the DNAME at %s (RFC 6672 2.4)",
		               owner, tt, at);
		return;
	}
	/* at or below a delegation point: another zone's data, whose glue is
	 * optional here (sibling glue) */
	if ((t->flags & (DB_OCCLUDED | DB_CUT)) || (exact && has_address(t)))
		return;
	zb_name_text(n->name, owner, sizeof owner);
	zb_name_text(target, tt, sizeof tt);
	db_diag_report(b->diag, false, r->file, r->line,
	               "%s %s %s: the target has no address records (A or AAAA) in the zone", owner, ns ? "NS" : "MX", tt);
}

void zb_check_glue(build *b, const db_node *cut, const brec *r, const db_node *t)
{
	if (!under(r->rdata, cut) || has_address(t))
		return;
	char owner[TERN_NAME_TEXT_MAX], tt[TERN_NAME_TEXT_MAX];
	zb_name_text(cut->name, owner, sizeof owner);
	zb_name_text(r->rdata, tt, sizeof tt);
	db_diag_report(b->diag, false, r->file, r->line,
	               "delegation %s: in-bailiwick name server %s has no glue (A or AAAA)", owner, tt);
}

/* The target of r at n that check_target is to look at, or NULL. */
static const uint8_t *target_of(const build *b, const db_node *n, const brec *r)
{
	const uint8_t *t;
	if (r->type == TERN_T_NS && n == b->z->apex)
		t = r->rdata;
	else if (r->type == TERN_T_NS && (n->flags & DB_CUT) && !under(r->rdata, n)) /* else: zb_check_glue */
		t = r->rdata;
	else if (r->type == TERN_T_MX && !(n->flags & DB_CUT))
		t = tern_rdata_target(TERN_T_MX, r->rdata, r->rdlen);
	else
		return NULL;
	/* outside the zone, or a null MX (RFC 7505) */
	return t && t[0] && under(t, b->z->apex) ? t : NULL;
}

void zb_check_targets(build *b)
{
	tq ring[TQ_AHEAD];
	size_t head = 0, len = 0; /* ring[head] is the oldest of len in flight */
	for (size_t i = 0; i < b->nchecks; i++) {
		const db_node *n = b->checks[i];
		if (n->flags & (DB_OCCLUDED | DB_UNDER_DNAME))
			continue; /* its data is ignored (with a warning) */
		for (const brec *r = n->build; r; r = r->next) {
			const uint8_t *t = target_of(b, n, r);
			if (!t)
				continue;
			if (len == TQ_AHEAD) {
				check_target(b, &ring[head]);
				head = (head + 1) % TQ_AHEAD;
				len--;
			}
			uint32_t h = db_name_hash(t);
			zb_index_prefetch(b, h, 0);
			ring[(head + len++) % TQ_AHEAD] = (tq){n, r, t, h};
			/* the ones a third and two thirds of the way along */
			if (len > TQ_AHEAD / 3)
				zb_index_prefetch(b, ring[(head + len - 1 - TQ_AHEAD / 3) % TQ_AHEAD].hash, 1);
			if (len > 2 * TQ_AHEAD / 3)
				zb_index_prefetch(b, ring[(head + len - 1 - 2 * TQ_AHEAD / 3) % TQ_AHEAD].hash, 2);
		}
	}
	for (; len; len--, head = (head + 1) % TQ_AHEAD)
		check_target(b, &ring[head]);
}

void zb_check_dnames(build *b, const db_node *n)
{
	const brec *first = NULL, *second = NULL;
	for (const brec *r = n->build; r; r = r->next)
		if (r->type == TERN_T_DNAME && (!first || r->seq < first->seq))
			first = r;
	for (const brec *r = n->build; first && r; r = r->next)
		if (r->type == TERN_T_DNAME && r != first && (!second || r->seq < second->seq) &&
		    tern_rdata_compare(TERN_T_DNAME, r->rdata, r->rdlen, first->rdata, first->rdlen))
			second = r;
	if (second) {
		char owner[TERN_NAME_TEXT_MAX];
		zb_name_text(n->name, owner, sizeof owner);
		db_diag_report(b->diag, true, second->file, second->line, "%s has more than one DNAME", owner);
	}
}
