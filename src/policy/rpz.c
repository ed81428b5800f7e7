/* rpz.c: Response Policy Zones, the format BIND, Unbound and Knot Resolver
 * share (draft-vixie-dnsop-dns-rpz): a zone whose owner names, relative to
 * its origin, are triggers and whose records are the actions. Only QNAME
 * triggers are read:
 *
 *     bad.example      CNAME .              NXDOMAIN
 *     *.bad.example    CNAME *.             NODATA, for the names below
 *     ok.bad.example   CNAME rpz-passthru.  resolved as usual
 *     x.example        CNAME rpz-drop.      no answer
 *     y.example        CNAME rpz-tcp-only.  TC=1 over UDP
 *     z.example        A 192.0.2.1          answered with these records
 *     w.example        CNAME other.example. (a local-data CNAME)
 *
 * An exact trigger covers the name only, a "*." one the names strictly
 * below (the draft's section 6: an exact match beats a wildcard, a longer
 * name beats a shorter one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "server/log.h"
#include "tern/rr.h"
#include "tern/zonefile.h"

int pol_text_put(pol_text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t nc = (t->cap ? t->cap * 2 : 4096) + n;
		char *np = realloc(t->p, nc);
		if (!np)
			return -1;
		t->p = np;
		t->cap = nc;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = 0;
	return 0;
}

static bool last_label_is(const uint8_t *name, size_t len, const char *label)
{
	/* name is a relative name of len bytes (no root): find its last label */
	size_t off = 0, last = 0;
	while (off < len && name[off]) {
		last = off;
		off += 1u + name[off];
	}
	size_t ll = name[last];
	return ll == strlen(label) && !strncasecmp((const char *)name + last + 1, label, ll);
}

static uint8_t special_target(const uint8_t *t, const uint8_t *trigger)
{
	if (t[0] == 0)
		return POL_NXDOMAIN;
	if (t[0] == 1 && t[1] == '*' && t[2] == 0)
		return POL_NODATA;
	if (tern_name_eq(t, (const uint8_t *)"\14rpz-passthru"))
		return POL_PASSTHRU;
	if (tern_name_eq(t, (const uint8_t *)"\10rpz-drop"))
		return POL_DROP;
	if (tern_name_eq(t, (const uint8_t *)"\14rpz-tcp-only"))
		return POL_TCP_ONLY;
	if (tern_name_eq(t, trigger)) /* the old form of PASSTHRU */
		return POL_PASSTHRU;
	return POL_NONE;
}

int rpz_add_record(pol_names *s, pol_text *data, const uint8_t *origin, const uint8_t *owner, uint16_t type,
                   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	if (!tern_name_is_sub(owner, origin) || tern_name_eq(owner, origin))
		return 1; /* outside the zone, or its apex (SOA, NS) */
	size_t olen = tern_name_len(owner), rlen = olen - tern_name_len(origin); /* the relative part */
	static const char *const kinds[] = {"rpz-ip", "rpz-nsdname", "rpz-client-ip", "rpz-nsip"};
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (last_label_is(owner, rlen, kinds[i]))
			return 1;
	if (type == TERN_T_RRSIG || type == TERN_T_NSEC || type == TERN_T_NSEC3 || type == TERN_T_DNAME)
		return 1;
	bool wild = owner[0] == 1 && owner[1] == '*';
	uint8_t trig[TERN_NAME_MAX]; /* the trigger: relative part, then the root */
	memcpy(trig, owner, rlen);
	trig[rlen] = 0;
	const uint8_t *base = wild ? trig + 2 : trig; /* a wildcard covers what is below base */
	uint8_t action = POL_DATA;
	if (type == TERN_T_CNAME && rdlen) {
		uint8_t a = special_target(rdata, base);
		if (wild && rdata[0] == 1 && rdata[1] == '*' && rdata[2] == 0)
			a = POL_NODATA;
		if (a)
			action = a;
	}
	if (pol_names_add(s, base, wild ? POL_NONE : action, wild ? action : POL_NONE))
		return -1;
	if (action != POL_DATA)
		return 0;
	/* local data: a line of text, owner the trigger ("*.name" for a wildcard) */
	char owner_text[TERN_NAME_TEXT_MAX], type_text[32];
	char small[4096], *rd_text = small;
	size_t cap = sizeof small;
	if ((size_t)rdlen * 4 + 64 > cap) { /* the text of a big RDATA (\# or escapes) */
		cap = (size_t)rdlen * 4 + 64;
		if (!(rd_text = malloc(cap)))
			return -1;
	}
	tern_name_to_text(trig, owner_text, sizeof owner_text);
	tern_type_to_text(type, type_text, sizeof type_text);
	int r = 0;
	if (tern_rdata_to_text(type, rdata, rdlen, rd_text, cap) < 0) {
		r = 1;
	} else {
		char head[TERN_NAME_TEXT_MAX + 64];
		int n = snprintf(head, sizeof head, "%s %u IN %s ", owner_text, (unsigned)ttl, type_text);
		if (n < 0 || pol_text_put(data, head, (size_t)n) || pol_text_put(data, rd_text, strlen(rd_text)) ||
		    pol_text_put(data, "\n", 1))
			r = -1;
	}
	if (rd_text != small)
		free(rd_text);
	return r;
}

typedef struct rpz_ctx {
	pol_names *s;
	pol_text *data;
	uint8_t origin[TERN_NAME_MAX];
	long triggers;
	unsigned ignored, outside;
	bool oom;
} rpz_ctx;

static int on_rr(const tern_zrr *rr, void *user)
{
	rpz_ctx *c = user;
	if (rr->type == TERN_T_SOA && c->triggers == 0 && c->origin[0] == 0)
		memcpy(c->origin, rr->owner, tern_name_len(rr->owner)); /* the zone's origin */
	if (rr->type == TERN_T_SOA || (rr->type == TERN_T_NS && tern_name_eq(rr->owner, c->origin)))
		return 0;
	if (!tern_name_is_sub(rr->owner, c->origin)) {
		if (c->outside++ < 5)
			log_warn("%s:%u: owner outside the policy zone (ignored)", rr->file, rr->line);
		return 0;
	}
	int r = rpz_add_record(c->s, c->data, c->origin, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
	if (r < 0) {
		c->oom = true;
		return 1;
	}
	if (r == 0)
		c->triggers++;
	else
		c->ignored++;
	return 0;
}

static void on_error(const char *file, unsigned line, const char *msg, void *user)
{
	(void)user;
	log_warn("%s:%u: %s (line skipped)", file, line, msg);
}

static long finish(rpz_ctx *c, const char *name, int r)
{
	if (c->oom) {
		log_err("%s: out of memory", name);
		return -1;
	}
	if (r < 0 && r != TERN_ESYNTAX)
		return -1; /* unreadable: reported by the parser */
	if (c->ignored)
		log_info("%s: %u record(s) of other trigger kinds (rpz-ip, rpz-nsdname, rpz-client-ip, rpz-nsip) "
		         "ignored",
		         name, c->ignored);
	return c->triggers;
}

static void setup(tern_zparse *zp, rpz_ctx *c, pol_names *s, pol_text *data, bool file)
{
	memset(c, 0, sizeof *c);
	c->s = s;
	c->data = data;
	memset(zp, 0, sizeof *zp);
	zp->origin = (const uint8_t *)""; /* relative names: below the root unless $ORIGIN */
	zp->default_ttl = 300;
	zp->have_default_ttl = 1;
	zp->max_errors = 1000;
	zp->allow_include = file;
	zp->on_rr = on_rr;
	zp->on_error = on_error;
	zp->user = c;
}

long rpz_load(pol_names *s, pol_text *data, const char *path)
{
	rpz_ctx c;
	tern_zparse zp;
	setup(&zp, &c, s, data, true);
	return finish(&c, path, tern_zone_parse_file(&zp, path));
}

long rpz_load_text(pol_names *s, pol_text *data, const char *name, const char *text, size_t len)
{
	rpz_ctx c;
	tern_zparse zp;
	setup(&zp, &c, s, data, false);
	return finish(&c, name, tern_zone_parse_string(&zp, name, text, len));
}
