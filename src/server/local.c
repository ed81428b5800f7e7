/* local.c: local records (issue: "the alias table"): single records from
 * the configuration (local-data), files of zone-file lines (local-file) and
 * hosts files (/etc/hosts format), gathered into one transparent zone. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/local.h"
#include "server/log.h"

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
