/* local.c: local records (issue: "the alias table"): single records from
 * the configuration (local-data), files of zone-file lines (local-file) and
 * hosts files (/etc/hosts format), gathered into one zone of local data,
 * with a PTR record made for each address (local-data-ptr); and the answer
 * from them under the local zones' rules (Unbound's local-zone types). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/local.h"
#include "db/answer.h"
#include "server/log.h"
#include "tern/zonefile.h"

/* the name the zone parser gives the generated text */
#define LOCAL_NAME "local-data"

/* The text handed to the zone parser, and where each of its lines came
 * from, so that a message about line N of it names the configuration line
 * (local-data), or the hosts file and line, that gave it. */
typedef struct origin {
	const char *file; /* with line 0: a complete "file:line" (or "--local") */
	unsigned line;
} origin;

typedef struct sbuf {
	char *p;
	size_t len, cap;
	origin *lines; /* lines[k]: where line k + 1 of p came from */
	size_t nlines, lcap;
} sbuf;

static int put(sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t nc = (b->cap ? b->cap * 2 : 4096) + n;
		char *np = realloc(b->p, nc);
		if (!np)
			return -1;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

static int puts_(sbuf *b, const char *s)
{
	return put(b, s, strlen(s));
}

/* Ends a line of the text, which came from file:line. */
static int endl(sbuf *b, const char *file, unsigned line)
{
	if (b->nlines == b->lcap) {
		size_t nc = b->lcap ? b->lcap * 2 : 64;
		origin *nl = realloc(b->lines, nc * sizeof *nl);
		if (!nl)
			return -1;
		b->lines = nl;
		b->lcap = nc;
	}
	b->lines[b->nlines++] = (origin){file, line};
	return puts_(b, "\n");
}

/* "addr name [alias...]" lines; '#' starts a comment. where: the
 * configuration line naming the file. Returns the records added, or -1. */
static long hosts_to_text(const char *path, const char *where, sbuf *b, unsigned *errors)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		log_err("%s: hosts-file '%s': cannot open: %s", where, path, strerror(errno));
		(*errors)++;
		return -1;
	}
	char line[4096];
	unsigned lineno = 0;
	long added = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *save = NULL, *addr = strtok_r(line, " \t\r\n", &save);
		if (!addr)
			continue;
		unsigned char bin[16];
		const char *type = inet_pton(AF_INET, addr, bin) == 1 ? "A" : inet_pton(AF_INET6, addr, bin) == 1 ? "AAAA" : NULL;
		if (!type) {
			log_warn("%s:%u: not an address: '%s' (line ignored)", path, lineno, addr);
			continue;
		}
		for (char *name; (name = strtok_r(NULL, " \t\r\n", &save));) {
			uint8_t wire[TERN_NAME_MAX];
			size_t wl;
			if (tern_name_from_text(name, strlen(name), (const uint8_t *)"", wire, &wl)) {
				log_warn("%s:%u: not a host name: '%s' (ignored)", path, lineno, name);
				continue;
			}
			char text[TERN_NAME_TEXT_MAX];
			tern_name_to_text(wire, text, sizeof text);
			if (puts_(b, text) || puts_(b, " ") || puts_(b, type) || puts_(b, " ") || puts_(b, addr) ||
			    endl(b, path, lineno)) {
				fclose(f);
				(*errors)++;
				return -1;
			}
			added++;
		}
	}
	fclose(f);
	return added;
}

typedef struct local_diag {
	const sbuf *b;
} local_diag;

/* Messages about the generated text ("local-data", line N) name where
 * that line came from; those about included local-files name those files. */
static void diag_fn(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	const local_diag *ld = user;
	enum log_level lv = error ? LOG_ERR : LOG_WARN;
	if (!strcmp(file, LOCAL_NAME) && line >= 1 && line <= ld->b->nlines) {
		const origin *o = &ld->b->lines[line - 1];
		if (o->line)
			log_msg(lv, "%s:%u: %s", o->file, o->line, msg);
		else
			log_msg(lv, "%s: %s", o->file, msg);
	} else if (!strcmp(file, LOCAL_NAME)) {
		log_msg(lv, "local records: %s", msg);
	} else if (line) {
		log_msg(lv, "%s:%u: %s", file, line, msg);
	} else {
		log_msg(lv, "%s: %s", file, msg);
	}
}

/* ---- PTR records for the local addresses (dnsmasq does it for
 * /etc/hosts; Unbound's local-data-ptr) ---- */

typedef struct ptr_ctx {
	const pol_config *pc;   /* the local zones: a redirect's data names no host */
	pol_names explicit_ptr; /* reverse names that have PTR records of their own */
	pol_names done;         /* reverse names a PTR was made for */
	sbuf out;
	bool oom;
} ptr_ctx;

/* The in-addr.arpa / ip6.arpa name of an address (RFC 1035 3.5, RFC 3596 2.5). */
static void reverse_name(const uint8_t *a, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	if (n == 4) {
		snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa.", a[3], a[2], a[1], a[0]);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 16; i-- > 0 && o + 4 < cap;) {
		out[o++] = hex[a[i] & 15];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, cap - o, "ip6.arpa.");
}

static int ptr_rr(const tern_zrr *rr, void *user)
{
	ptr_ctx *c = user;
	if (rr->type == TERN_T_PTR) {
		c->oom |= pol_names_add(&c->explicit_ptr, rr->owner, POL_DATA, POL_NONE) != 0;
		return 0;
	}
	if ((rr->type != TERN_T_A || rr->rdlen != 4) && (rr->type != TERN_T_AAAA || rr->rdlen != 16))
		return 0;
	static const uint8_t zero[16];
	if (rr->owner[0] == 1 && rr->owner[1] == '*') /* a wildcard names no host */
		return 0;
	if (!memcmp(rr->rdata, zero, rr->rdlen)) /* 0.0.0.0 / :: (a block, not a host) */
		return 0;
	for (size_t i = 0; i < c->pc->nlzones; i++) /* a redirect (address=/x/...) is no host either, as in dnsmasq */
		if (c->pc->lzones[i].type == POL_LZ_REDIRECT && tern_name_eq(c->pc->lzones[i].name, rr->owner))
			return 0;
	char rev[80], owner[TERN_NAME_TEXT_MAX], line[TERN_NAME_TEXT_MAX + 120];
	reverse_name(rr->rdata, rr->rdlen, rev, sizeof rev);
	tern_name_to_text(rr->owner, owner, sizeof owner);
	int n = snprintf(line, sizeof line, "%s %u IN PTR %s\n", rev, (unsigned)rr->ttl, owner);
	if (n > 0 && (size_t)n < sizeof line)
		c->oom |= put(&c->out, line, (size_t)n) != 0;
	return 0;
}

static void ptr_err(const char *file, unsigned line, const char *msg, void *user)
{
	(void)file, (void)line, (void)msg, (void)user; /* reported by the real load */
}

/* Appends to b a PTR record for each A/AAAA record of b's text (the first
 * name of an address wins, as in dnsmasq), except for addresses that have a
 * PTR record of their own, 0.0.0.0 and ::, and the data of redirect local
 * zones. */
static int add_ptrs(sbuf *b, const pol_config *pc)
{
	ptr_ctx c = {.pc = pc};
	pol_names_init(&c.explicit_ptr);
	pol_names_init(&c.done);
	tern_zparse zp = {.origin = (const uint8_t *)"", .default_ttl = 3600, .have_default_ttl = 1,
	                  .allow_include = 1, .on_rr = ptr_rr, .on_error = ptr_err, .user = &c};
	int pr = tern_zone_parse_string(&zp, "local-data", b->p, b->len);
	(void)pr; /* errors: reported by the real load */
	/* the candidates are lines "REV TTL IN PTR NAME": keep the first per REV */
	int rc = c.oom ? -1 : 0;
	for (char *l = c.out.p, *e; rc == 0 && l && *l; l = e + 1) {
		e = strchr(l, '\n');
		char *sp = strchr(l, ' ');
		uint8_t wire[TERN_NAME_MAX];
		size_t wl;
		if (!e || !sp || tern_name_from_text(l, (size_t)(sp - l), (const uint8_t *)"", wire, &wl))
			break;
		db_qname qn;
		db_qname_init(&qn, wire);
		pol_match pm;
		if (pol_names_lookup(&c.explicit_ptr, &qn, &pm) && pm.exact)
			continue;
		if (pol_names_lookup(&c.done, &qn, &pm) && pm.exact)
			continue;
		if (pol_names_add(&c.done, wire, POL_DATA, POL_NONE) || put(b, l, (size_t)(e - l) + 1))
			rc = -1;
	}
	pol_names_free(&c.explicit_ptr);
	pol_names_free(&c.done);
	free(c.out.p);
	return rc;
}

int local_build(const config *c, db_zone **out)
{
	*out = NULL;
	if (!c->nlocal_data && !c->nlocal_files && !c->nhosts_files)
		return 0;
	sbuf b = {0};
	unsigned errors = 0;
	if (puts_(&b, "$TTL 3600") || endl(&b, "local records", 0))
		errors++;
	for (size_t i = 0; i < c->nlocal_data; i++) {
		/* one record each: a directive ($INCLUDE of any file, $ORIGIN...)
		 * is not a record, and would reach outside the configured paths */
		const cfg_str *d = &c->local_data[i];
		const char *l = d->val;
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '$' || strchr(l, '\n')) {
			log_err("%s: local-data: one record per line, no directives: '%s'", d->where, d->val);
			errors++;
			continue;
		}
		if (puts_(&b, d->val) || endl(&b, d->where, 0))
			errors++;
	}
	for (size_t i = 0; i < c->nlocal_files; i++) {
		const cfg_str *d = &c->local_files[i];
		if (puts_(&b, "$INCLUDE \"") || puts_(&b, d->val) || puts_(&b, "\"") || endl(&b, d->where, 0))
			errors++;
		else
			log_info("local-file %s", d->val);
	}
	for (size_t i = 0; i < c->nhosts_files; i++) {
		long n = hosts_to_text(c->hosts_files[i].val, c->hosts_files[i].where, &b, &errors);
		if (n >= 0)
			log_info("hosts-file %s: %ld records", c->hosts_files[i].val, n);
	}
	/* PTR records for the local addresses (local-data-ptr) */
	if (!errors && b.p && c->policy.local_ptr && add_ptrs(&b, &c->policy))
		errors++;
	/* parsed even after errors, so that one --check reports them all */
	local_diag ld = {&b};
	db_diag diag = {.fn = diag_fn, .user = &ld};
	db_zone *z = b.p ? zone_load_local(LOCAL_NAME, b.p, &diag) : NULL;
	free(b.p);
	free(b.lines);
	if (!z || errors) {
		zone_free(z);
		return -1;
	}
	log_info("local records: %zu records (%zu local-data, %zu local-file, %zu hosts-file)", z->nrecords,
	         c->nlocal_data, c->nlocal_files, c->nhosts_files);
	*out = z;
	return 0;
}

/* ---- answering ---- */

/* The records of n for the question (db_put_node_answer): LOCAL_CHAIN when
 * *name is a CNAME's target to follow. */
static enum local_verdict put_node(const db_node *n, const uint8_t *owner, uint16_t qtype, tern_msgw *m,
                                   unsigned *rcode, uint8_t *name)
{
	*rcode = TERN_R_NOERROR;
	return db_put_node_answer(n, owner, qtype, m, name) ? LOCAL_CHAIN : LOCAL_DONE;
}

/* The SOA at the local zone's apex (local data), for negative answers. */
static void put_soa(const db_zone *local, const db_qname *qn, unsigned apex, tern_msgw *m)
{
	const db_node *a = local ? zone_find_q(local, qn, apex) : NULL;
	const db_rrset *soa = a ? node_rrset(a, TERN_T_SOA) : NULL;
	if (soa)
		db_put_rrset(m, TERN_S_AUTHORITY, a->name, soa, soa->ttl);
}

enum local_verdict local_answer(const db_zone *local, const pol_names *lzones, const uint8_t *lookup,
                                const uint8_t *owner, uint16_t qtype, tern_msgw *m, unsigned *rcode, uint8_t *name)
{
	db_qname qn;
	db_qname_init(&qn, lookup);
	pol_match lz = {.action = POL_LZ_TRANSPARENT, .suffix = 0};
	bool in_zone = lzones && pol_names_lookup(lzones, &qn, &lz);
	switch (lz.action) {
	case POL_LZ_NXDOMAIN:
		*rcode = TERN_R_NXDOMAIN;
		return LOCAL_DONE;
	case POL_LZ_ALWAYS_REFUSE:
		*rcode = TERN_R_REFUSED;
		return LOCAL_DONE;
	case POL_LZ_DENY:
		return LOCAL_DROP;
	case POL_LZ_REDIRECT: /* every name of the zone gets the apex's data */
		return put_node(local ? zone_find_q(local, &qn, lz.suffix) : NULL, owner, qtype, m, rcode, name);
	default:
		break;
	}
	const db_node *n = local ? zone_find_q(local, &qn, 0) : NULL;
	if (n && n->nrrsets)
		return put_node(n, owner, qtype, m, rcode, name);
	/* RFC 4592: a wildcard of the closest encloser, for a name that does
	 * not exist (within the local zone, if there is one) */
	unsigned top = in_zone ? lz.suffix : qn.labels;
	for (unsigned i = 1; !n && local && i <= top; i++) {
		const db_node *ce = zone_find_q(local, &qn, i);
		if (!ce)
			continue;
		if (ce->flags & DB_HAS_WILD) {
			uint8_t wild[TERN_NAME_MAX];
			size_t l = db_qname_len(&qn, i);
			if (l + 2 <= TERN_NAME_MAX) {
				wild[0] = 1;
				wild[1] = '*';
				memcpy(wild + 2, db_qname_suffix(&qn, i), l);
				const db_node *w = zone_find(local, wild);
				if (w && w->nrrsets)
					return put_node(w, owner, qtype, m, rcode, name);
			}
		}
		break;
	}
	switch (lz.action) {
	case POL_LZ_STATIC: /* NODATA for a name that exists (below it: data), else NXDOMAIN */
		*rcode = n || lz.suffix == 0 ? TERN_R_NOERROR : TERN_R_NXDOMAIN; /* the apex exists */
		put_soa(local, &qn, lz.suffix, m);
		return LOCAL_DONE;
	case POL_LZ_REFUSE:
		*rcode = TERN_R_REFUSED;
		return LOCAL_DONE;
	default: /* transparent: on to the zones and upstream */
		return LOCAL_PASS;
	}
}
