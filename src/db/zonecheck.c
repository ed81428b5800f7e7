/* zonecheck.c: the checks of a zone's records that need more than one
 * record at a time, done once at load (zone.c calls them; zone_build.h is
 * what the two share). Errors make the zone fail to load; warnings name
 * file:line and change nothing. What they catch, as named-checkzone,
 * kzonecheck and nsd-checkzone do:
 *   - two different DNAMEs at one name (RFC 6672 2.4), an NS target below
 *     a DNAME (RFC 6672 2.3: it could never be reached): errors;
 *   - an NS or MX target inside the zone with no address records, a
 *     delegation whose in-bailiwick name server has no glue, a name that
 *     ends with the origin twice (a relative name missing its dot):
 *     warnings.
 * Also the zone's content digest, which a reload compares (zoneset.c). */
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
	size_t n = tern_rdata_names(rr->type, rr->rdata, rr->rdlen, off, 8);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *name = rr->rdata + off[i];
		size_t len = tern_name_len(name);
		/* only names in the zone: ending with the origin once */
		if (len >= z->origin_len &&
		    db_name_eq_len(name + len - z->origin_len, z->origin, z->origin_len) && repeats_origin(z, name))
			origin_warning(b, rr, "name", name);
	}
}

/* A 64-bit mix of bytes (words of 8, the tail padded with zeros). */
static uint64_t mix(uint64_t h, const uint8_t *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = (h ^ w ^ (uint64_t)n << 56) * k;
		h ^= h >> 29;
	}
	return h;
}

void zb_digest_rr(build *b, const tern_zrr *rr)
{
	uint8_t head[8];
	tern_put_u16(head, rr->type);
	tern_put_u16(head + 2, rr->rdlen);
	tern_put_u32(head + 4, rr->ttl);
	uint64_t h = mix(0x243f6a8885a308d3ull, head, sizeof head);
	h = mix(h, rr->owner, tern_name_len(rr->owner));
	h = mix(h, rr->rdata, rr->rdlen);
	/* a sum: the order of the records in the file does not count */
	b->digest += h ^ (h >> 31);
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
static const db_node *closest(const build *b, const uint8_t *name, bool *exact)
{
	*exact = true;
	for (const uint8_t *p = name;; p += 1u + *p) {
		const db_node *n = zb_index_find(b, p, tern_name_len(p), db_name_hash(p));
		if (n || !*p)
			return n;
		*exact = false;
	}
}

static bool has_address(const db_node *n)
{
	return n && (zb_has_type(n, TERN_T_A) || zb_has_type(n, TERN_T_AAAA));
}

static void check_target(build *b, const db_node *n, const brec *r, const uint8_t *target)
{
	const db_zone *z = b->z;
	bool ns = r->type == TERN_T_NS;
	if (!target || !target[0] || !under(target, z->apex))
		return; /* outside the zone, or a null MX (RFC 7505) */
	bool exact;
	const db_node *t = closest(b, target, &exact);
	if (!t)
		return;
	char owner[TERN_NAME_TEXT_MAX], tt[TERN_NAME_TEXT_MAX], at[TERN_NAME_TEXT_MAX];
	uint8_t below = exact ? DB_UNDER_DNAME : DB_UNDER_DNAME | DB_DNAME;
	if (t->flags & below) {
		if (!ns)
			return;
		zb_name_text(n->name, owner, sizeof owner);
		zb_name_text(target, tt, sizeof tt);
		zb_name_text((t->flags & DB_UNDER_DNAME) ? t->dname->name : t->name, at, sizeof at);
		db_diag_report(b->diag, true, r->file, r->line, "%s NS %s: the target is below the DNAME at %s (RFC 6672 2.3)",
		               owner, tt, at);
		return;
	}
	if (has_address(exact ? t : NULL))
		return;
	/* at or below a delegation point: an address there is glue */
	bool glue = (t->flags & (DB_OCCLUDED | DB_CUT)) != 0;
	/* Below a delegation, the address is glue: required only for a
	 * name server below its own delegation (in-domain, RFC 9471 2.1);
	 * sibling glue and MX targets there are the child zone's data. */
	if (glue && !(ns && (n->flags & DB_CUT) && under(target, n)))
		return;
	zb_name_text(n->name, owner, sizeof owner);
	zb_name_text(target, tt, sizeof tt);
	if (glue)
		db_diag_report(b->diag, false, r->file, r->line,
		               "delegation %s: in-bailiwick name server %s has no glue (A or AAAA)", owner, tt);
	else
		db_diag_report(b->diag, false, r->file, r->line,
		               "%s %s %s: the target has no address records (A or AAAA) in the zone", owner,
		               ns ? "NS" : "MX", tt);
}

void zb_check_targets(build *b)
{
	for (size_t i = 0; i < b->nchecks; i++) {
		const db_node *n = b->checks[i];
		if (n->flags & (DB_OCCLUDED | DB_UNDER_DNAME))
			continue; /* its data is ignored (with a warning) */
		for (const brec *r = n->build; r; r = r->next) {
			if (r->type == TERN_T_NS && (n == b->z->apex || (n->flags & DB_CUT)))
				check_target(b, n, r, r->rdata);
			else if (r->type == TERN_T_MX && !(n->flags & DB_CUT))
				check_target(b, n, r, tern_rdata_target(TERN_T_MX, r->rdata, r->rdlen));
		}
	}
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
