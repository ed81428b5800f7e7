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

typedef struct sbuf {
	char *p;
	size_t len, cap;
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

/* "addr name [alias...]" lines; '#' starts a comment. */
static int hosts_to_text(const char *path, sbuf *b, unsigned *errors)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		log_err("%s: cannot open: %s", path, strerror(errno));
		(*errors)++;
		return -1;
	}
	char line[4096];
	unsigned lineno = 0;
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
			    puts_(b, "\n")) {
				fclose(f);
				return -1;
			}
		}
	}
	fclose(f);
	return 0;
}

static void diag_fn(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	if (line)
		log_msg(error ? LOG_ERR : LOG_WARN, "%s:%u: %s", file, line, msg);
	else
		log_msg(error ? LOG_ERR : LOG_WARN, "%s: %s", file, msg);
}

int local_build(const config *c, db_zone **out)
{
	*out = NULL;
	if (!c->nlocal_data && !c->nlocal_files && !c->nhosts_files)
		return 0;
	sbuf b = {0};
	unsigned errors = 0;
	puts_(&b, "$TTL 3600\n");
	for (size_t i = 0; i < c->nlocal_data; i++) {
		/* one record each: a directive ($INCLUDE of any file, $ORIGIN...)
		 * is not a record, and would reach outside the configured paths */
		const char *l = c->local_data[i];
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '$' || strchr(l, '\n')) {
			log_err("local-data: one record per line, no directives: '%s'", c->local_data[i]);
			errors++;
			continue;
		}
		if (puts_(&b, c->local_data[i]) || puts_(&b, "\n"))
			errors++;
	}
	for (size_t i = 0; i < c->nlocal_files; i++)
		if (puts_(&b, "$INCLUDE \"") || puts_(&b, c->local_files[i]) || puts_(&b, "\"\n"))
			errors++;
	for (size_t i = 0; i < c->nhosts_files; i++)
		hosts_to_text(c->hosts_files[i], &b, &errors);
	db_diag diag = {.fn = diag_fn};
	db_zone *z = (errors || !b.p) ? NULL : zone_load_local("local-data", b.p, &diag);
	free(b.p);
	if (!z || errors)
		return -1;
	*out = z;
	return 0;
}
