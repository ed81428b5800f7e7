/* blocklist.c: block and allow lists in the two formats people share
 * (hosts files, "0.0.0.0 ads.example"; one domain per line), read whole
 * into memory and parsed in one pass. A bad line is a warning naming
 * file:line (the first 20 of a file; then a count) and is skipped. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "server/log.h"

#define WARN_MAX 20

/* Names of hosts files that are not blocks: the file's own housekeeping
 * ("127.0.0.1 localhost", "255.255.255.255 broadcasthost", ...). */
static bool housekeeping(const char *s, size_t n)
{
	static const char *const names[] = {"localhost", "localhost.localdomain", "local", "broadcasthost",
	                                    "ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
	                                    "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "localhost."};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strlen(names[i]) == n && !strncasecmp(names[i], s, n))
			return true;
	return false;
}

static bool is_addr(const char *s, size_t n)
{
	char buf[64];
	unsigned char bin[16];
	if (n >= sizeof buf || n < 2)
		return false;
	for (size_t i = 0; i < n; i++) { /* a quick no for most names */
		char c = s[i];
		if (!((c >= '0' && c <= '9') || c == '.' || c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

/* A host name as lists write them: letters, digits, '-', '_', dots
 * between labels, an optional final dot; labels of 1..63 bytes, 255 in
 * all (RFC 1035 2.3.4). Into wire form, in one pass. */
static bool host_name(const char *s, size_t n, uint8_t *wire)
{
	if (n && s[n - 1] == '.')
		n--;
	if (!n || n > TERN_NAME_MAX - 2)
		return false;
	size_t lab = 0, o = 1; /* wire[lab]: the length byte of the label being written */
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			size_t ll = o - lab - 1;
			if (!ll || ll > 63)
				return false;
			wire[lab] = (uint8_t)ll;
			lab = o++;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		          c == '_';
		if (!ok)
			return false;
		wire[o++] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	size_t ll = o - lab - 1;
	if (!ll || ll > 63)
		return false;
	wire[lab] = (uint8_t)ll;
	wire[o] = 0;
	return true;
}

typedef struct tok {
	const char *p;
	size_t n;
} tok;

/* The next token of [*q, le) up to a comment ('#'); n == 0 at the end. */
static tok next_token(const char **q, const char *le)
{
	const char *p = *q;
	while (p < le && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\0'))
		p++;
	if (p >= le || *p == '#') {
		*q = le;
		return (tok){p, 0};
	}
	const char *b = p;
	while (p < le && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#' && *p != '\0')
		p++;
	*q = p;
	return (tok){b, (size_t)(p - b)};
}

/* Names of a block list wait here to be added 64 at a time
 * (pol_names_add_batch). */
#define BATCH 64
typedef struct batch {
	uint8_t wire[BATCH][TERN_NAME_MAX];
	const uint8_t *ptr[BATCH];
	size_t n;
} batch;

static int flush(pol_names *s, batch *b)
{
	int r = b->n ? pol_names_add_batch(s, b->ptr, b->n, POL_BLOCK, POL_BLOCK) : 0;
	b->n = 0;
	return r;
}

/* 0 added, 1 not a name, -1 out of memory */
static int add_name(pol_names *s, batch *b, const char *p, size_t n, bool allow)
{
	uint8_t *wire = b->wire[b->n];
	if (!host_name(p, n, wire))
		return 1;
	if (allow)
		return pol_names_allow(s, wire) ? -1 : 0;
	b->ptr[b->n] = wire;
	if (++b->n == BATCH)
		return flush(s, b);
	return 0;
}

long pol_list_load_text(pol_names *s, const char *name, const char *text, size_t len, bool allow)
{
	long added = 0;
	unsigned lineno = 0, bad = 0;
	const char *p = text, *end = text + len;
	size_t lines = 1; /* room for every line, so that the table never grows while loading */
	for (const char *c = text; (c = memchr(c, '\n', (size_t)(end - c))); c++)
		lines++;
	batch *b = malloc(sizeof *b);
	if (!b || pol_names_reserve(s, lines, len + 4 * lines)) {
		free(b);
		log_err("%s: out of memory", name);
		return -1;
	}
	b->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *line = p;
		p = nl ? nl + 1 : end;
		lineno++;
		if (line < le && (*line == '!' || *line == '[')) /* Adblock comments and headers */
			continue;
		const char *q = line;
		tok t0 = next_token(&q, le);
		if (!t0.n)
			continue;
		const char *why = NULL;
		if (is_addr(t0.p, t0.n)) { /* hosts format: every name after the address */
			unsigned names = 0;
			for (tok t = next_token(&q, le); t.n && !why; t = next_token(&q, le), names++) {
				if (housekeeping(t.p, t.n) || is_addr(t.p, t.n))
					continue;
				int r = add_name(s, b, t.p, t.n, allow);
				if (r < 0) {
					log_err("%s:%u: out of memory", name, lineno);
					free(b);
					return -1;
				}
				if (r > 0)
					why = "not a domain name";
				else
					added++;
			}
			if (!names)
				why = "an address without a name";
		} else {
			/* one domain: "*.name" and "||name^" say the same as "name" */
			const char *ns = t0.p;
			size_t nn = t0.n;
			if (nn > 2 && ns[0] == '*' && ns[1] == '.')
				ns += 2, nn -= 2;
			else if (nn > 3 && ns[0] == '|' && ns[1] == '|' && ns[nn - 1] == '^')
				ns += 2, nn -= 3;
			uint8_t w0[TERN_NAME_MAX];
			if (next_token(&q, le).n)
				why = host_name(ns, nn, w0) ? "more than one name on a line (want 'NAME' or 'ADDRESS NAME...')"
				                            : "neither an address nor a domain name";
			int r = why ? 0 : add_name(s, b, ns, nn, allow);
			if (r < 0) {
				log_err("%s:%u: out of memory", name, lineno);
				free(b);
				return -1;
			}
			if (r > 0)
				why = "not a domain name";
			else if (!why)
				added++;
		}
		if (why && ++bad <= WARN_MAX) {
			int show = (int)(le - line > 60 ? 60 : le - line);
			log_warn("%s:%u: %s: '%.*s' (line skipped)", name, lineno, why, show, line);
		}
	}
	int fr = flush(s, b);
	free(b);
	if (fr) {
		log_err("%s: out of memory", name);
		return -1;
	}
	if (bad > WARN_MAX)
		log_warn("%s: %u more bad lines skipped", name, bad - WARN_MAX);
	return added;
}

long pol_list_load(pol_names *s, const char *path, bool allow)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		log_err("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 1u << 20;
			char *nb = realloc(buf, nc);
			if (!nb) {
				free(buf);
				fclose(f);
				log_err("%s: out of memory", path);
				return -1;
			}
			buf = nb;
			cap = nc;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	bool err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		log_err("%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	long n = pol_list_load_text(s, path, buf, len, allow);
	free(buf);
	return n;
}
