/* zonefile.c: the RFC 1035 section 5 master-file parser (tern/zonefile.h).
 *
 * A file is read whole into one buffer (at most 1 GiB) with a NUL sentinel,
 * so the lexer (zlex.c) needs no refills and tokens never cross a buffer
 * edge. Per record nothing is allocated: one token array and one RDATA
 * buffer in the parser are reused, and the callback's pointers are valid
 * only during the call. This file handles the directives ($ORIGIN, $TTL,
 * $INCLUDE, $GENERATE), the owner/TTL/class defaulting rules and error
 * reporting; tern_rdata_from_text converts the RDATA tokens. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/zlex.h"
#include "tern/rr.h"
#include "tern/zonefile.h"

#define FILE_MAX ((size_t)1 << 30) /* largest file read: 1 GiB */
#define RDATA_MAX 65535
#define INCLUDE_HARD_MAX 64  /* cap on max_include_depth: bounds memory and stack */
#define GEN_MAX 65536        /* most records one $GENERATE may make */
#define GEN_TEXT_MAX 65536   /* expanded $GENERATE rhs text */
#define GEN_WIDTH_MAX 255    /* largest ${offset,width,base} width */
#define SHOW_MAX 64          /* bytes of a token quoted in a message */
#define SHOW_BUF (SHOW_MAX * 4 + 8)

struct parser {
	const tern_zparse *zp;
	uint16_t cls; /* the zone's class */
	unsigned max_depth, max_errors, nerr;
	int stop; /* stop at once: a callback said so, or too many errors */
	int ret;  /* the callback's value, or a fatal -errno */
	/* owner generations: each owner a source parses gets a new number;
	 * last_gen is the one of the record handed over last (0: none) */
	uint64_t gen_next, last_gen;
	unsigned next_id; /* of the next source */
	/* TTL state is global across $INCLUDE, as in BIND. */
	uint32_t dollar_ttl, last_ttl;
	int have_dollar_ttl, have_last_ttl;
	tern_token tok[TERN_ZLEX_MAXTOK];
	unsigned tokline[TERN_ZLEX_MAXTOK];
	tern_token gtok[TERN_ZLEX_MAXTOK]; /* a $GENERATE rhs, expanded */
	unsigned gtokline[TERN_ZLEX_MAXTOK];
	uint8_t rd[RDATA_MAX];
	char gtext[GEN_TEXT_MAX + 1];
	char gname[TERN_NAME_TEXT_MAX + 1];
};

/* One file (or string) being read. $ORIGIN and the previous owner are
 * per source: an included file starts with the origin given on the
 * $INCLUDE line (or the includer's) and no previous owner, and what it
 * changes does not leak back (RFC 1035 5.1, as BIND does). */
struct source {
	const char *name; /* for messages; a file's directory bases $INCLUDE */
	unsigned id;      /* tern_zrr.file_id */
	int is_file;
	unsigned depth;
	int have_origin, have_owner, owner_bad;
	uint8_t origin[TERN_NAME_MAX];
	uint8_t owner[TERN_NAME_MAX];
	/* the token owner was parsed from (.p NULL: none, or $ORIGIN changed
	 * since): the same text again is the same name, not parsed again */
	tern_token owner_tok;
	uint64_t owner_gen; /* owner's generation */
};

/* The fields between owner and RDATA: [TTL] [class] type, in either order. */
struct rrhead {
	uint32_t ttl;
	int have_ttl;
	uint16_t type;
};

/* Copies at most SHOW_MAX bytes of a token for a message, with bytes
 * outside printable ASCII as \DDD. */
static const char *show(const char *s, size_t len, char buf[SHOW_BUF])
{
	size_t o = 0;
	for (size_t i = 0; i < len && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, SHOW_BUF - o, "\\%03u", c);
	}
	if (len > SHOW_MAX) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *showtok(const tern_token *t, char buf[SHOW_BUF])
{
	return show(t->p, t->len, buf);
}

__attribute__((format(printf, 4, 5))) static void report(struct parser *p, const char *file,
                                                         unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->stop)
		return;
	if (++p->nerr > p->max_errors) {
		snprintf(msg, sizeof msg, "too many errors (stopped after %u)", p->max_errors);
		p->stop = 1;
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	}
	/* one line: a quoted token may span lines inside parentheses and
	 * carry control bytes into the text (fuzz finding) */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	if (p->zp->on_error)
		p->zp->on_error(file, line, msg, p->zp->user);
}

static int tok_is(const tern_token *t, const char *word)
{
	return !t->quoted && t->len == strlen(word) && strncasecmp(t->p, word, t->len) == 0;
}

/* A name is absolute if it ends in an unescaped '.'. */
static int name_is_relative(const char *s, size_t len)
{
	if (len == 0 || s[len - 1] != '.')
		return 1;
	size_t bs = 0;
	while (bs + 1 < len && s[len - 2 - bs] == '\\')
		bs++;
	/* "\\." is escaped backslash then a real dot; "\." is an escaped dot. */
	return bs % 2 == 1;
}

static const uint8_t *origin_of(const struct source *src)
{
	return src->have_origin ? src->origin : NULL;
}

/* Parses a name (owner, $ORIGIN, ...) against the source's origin. */
static int parse_name(struct parser *p, const struct source *src, const tern_token *t,
                      unsigned line, const char *what, uint8_t out[TERN_NAME_MAX])
{
	char b[SHOW_BUF];
	size_t len;

	if (!src->have_origin && name_is_relative(t->p, t->len)) {
		report(p, src->name, line, "relative name '%s' with no $ORIGIN", showtok(t, b));
		return -1;
	}
	int r = tern_name_from_text(t->p, t->len, origin_of(src), out, &len);
	if (r != 0) {
		report(p, src->name, line, "bad %s '%s' (%s)", what, showtok(t, b),
		       tern_strerror(r));
		return -1;
	}
	return 0;
}

static int parse_ttl(struct parser *p, const struct source *src, const tern_token *t,
                     unsigned line, uint32_t *ttl)
{
	char b[SHOW_BUF];
	int r = tern_ttl_from_text(t->p, t->len, ttl);

	if (r == TERN_ERANGE) {
		report(p, src->name, line, "TTL '%s' out of range (RFC 2181 8: at most 2147483647)",
		       showtok(t, b));
		return -1;
	}
	if (r != 0) {
		report(p, src->name, line, "bad TTL '%s'", showtok(t, b));
		return -1;
	}
	return 0;
}

/* The common class and type mnemonics, without the table walk of
 * tern_class_from_text / tern_type_from_text: 'I' for IN, 'T' for a type
 * in *type, 0 for anything else (then those functions decide). Only
 * all-letter words that are not also class names, so the answer is the
 * one the tables give. */
static int common_mnemonic(const tern_token *t, uint16_t *type)
{
	if (t->len == 0 || t->len > 5)
		return 0;
	uint64_t w = 0;
	for (size_t i = 0; i < t->len; i++) {
		uint8_t c = (uint8_t)t->p[i] | 0x20; /* exact for letters; others miss below */
		w |= (uint64_t)c << (8 * i);
	}
#define W2(a, b) ((uint64_t)(a) | (uint64_t)(b) << 8)
#define W3(a, b, c) (W2(a, b) | (uint64_t)(c) << 16)
#define W4(a, b, c, d) (W3(a, b, c) | (uint64_t)(d) << 24)
#define W5(a, b, c, d, e) (W4(a, b, c, d) | (uint64_t)(e) << 32)
	switch (t->len) {
	case 1:
		if (w == 'a')
			return *type = TERN_T_A, 'T';
		break;
	case 2:
		if (w == W2('i', 'n'))
			return 'I';
		if (w == W2('n', 's'))
			return *type = TERN_T_NS, 'T';
		if (w == W2('m', 'x'))
			return *type = TERN_T_MX, 'T';
		if (w == W2('d', 's'))
			return *type = TERN_T_DS, 'T';
		break;
	case 3:
		if (w == W3('t', 'x', 't'))
			return *type = TERN_T_TXT, 'T';
		if (w == W3('s', 'o', 'a'))
			return *type = TERN_T_SOA, 'T';
		if (w == W3('p', 't', 'r'))
			return *type = TERN_T_PTR, 'T';
		if (w == W3('s', 'r', 'v'))
			return *type = TERN_T_SRV, 'T';
		if (w == W3('c', 'a', 'a'))
			return *type = TERN_T_CAA, 'T';
		break;
	case 4:
		if (w == W4('a', 'a', 'a', 'a'))
			return *type = TERN_T_AAAA, 'T';
		break;
	case 5:
		if (w == W5('c', 'n', 'a', 'm', 'e'))
			return *type = TERN_T_CNAME, 'T';
		if (w == W5('d', 'n', 'a', 'm', 'e'))
			return *type = TERN_T_DNAME, 'T';
		break;
	}
#undef W2
#undef W3
#undef W4
#undef W5
	return 0;
}

/* Parses [TTL] [class] type (RFC 1035 5.1: TTL and class may come in
 * either order, and either may be left out) starting at tok[*i]; leaves
 * *i at the first RDATA token. A token starting with a digit is a TTL
 * (no class or type mnemonic does). */
static int rr_head(struct parser *p, const struct source *src, const tern_token *tok,
                   const unsigned *tl, size_t n, size_t *i, struct rrhead *h)
{
	char b[SHOW_BUF], zc[32];
	int have_cls = 0;

	h->have_ttl = 0;
	for (; *i < n; (*i)++) {
		const tern_token *t = &tok[*i];
		uint16_t c;
		if (!h->have_ttl && t->len > 0 && t->p[0] >= '0' && t->p[0] <= '9') {
			if (parse_ttl(p, src, t, tl[*i], &h->ttl) < 0)
				return -1;
			h->have_ttl = 1;
			continue;
		}
		int m = common_mnemonic(t, &h->type);
		if (m == 'I' && !have_cls && p->cls == TERN_C_IN) {
			have_cls = 1;
			continue;
		}
		if (m == 'T') {
			(*i)++;
			return 0;
		}
		if (!have_cls && tern_class_from_text(t->p, t->len, &c) == 0) {
			if (c != p->cls) {
				if (tern_class_to_text(p->cls, zc, sizeof zc) < 0)
					zc[0] = '\0';
				report(p, src->name, tl[*i], "class '%s' does not match the zone class %s",
				       showtok(t, b), zc);
				return -1;
			}
			have_cls = 1;
			continue;
		}
		if (tern_type_from_text(t->p, t->len, &h->type) != 0) {
			report(p, src->name, tl[*i], "unknown RR type '%s'", showtok(t, b));
			return -1;
		}
		if (tern_type_is_meta(h->type)) {
			report(p, src->name, tl[*i], "RR type '%s' cannot appear in zone data",
			       showtok(t, b));
			return -1;
		}
		(*i)++;
		return 0;
	}
	report(p, src->name, tl[n - 1], "missing RR type");
	return -1;
}

/* Converts the RDATA, settles the TTL and hands the record over. Returns
 * 0, or -1 after an error (reported) or when the callback stopped us. */
static int rr_finish(struct parser *p, const struct source *src, const uint8_t *owner,
                     uint64_t gen, const struct rrhead *h, const tern_token *rdtok, size_t nrd,
                     unsigned line)
{
	const tern_zparse *zp = p->zp;
	char err[256];
	size_t rdlen = 0;

	err[0] = '\0';
	uint32_t ttl;

	int r = tern_rdata_from_text(h->type, rdtok, nrd, origin_of(src), p->rd, RDATA_MAX, &rdlen,
	                             err, sizeof err);
	if (r != 0) {
		if (r == TERN_ESPACE)
			report(p, src->name, line, "RDATA longer than 65535 bytes");
		else if (err[0])
			report(p, src->name, line, "%s", err);
		else
			report(p, src->name, line, "bad RDATA (%s)", tern_strerror(r));
		return -1;
	}
	if (rdlen > RDATA_MAX) {
		report(p, src->name, line, "RDATA longer than 65535 bytes");
		return -1;
	}

	/* RFC 2308 4: $TTL is the default; without it the last TTL stated
	 * (RFC 1035 5.1), then the caller's default, then an SOA's own
	 * MINIMUM (BIND uses it too), which then counts as the last TTL. */
	if (h->have_ttl) {
		ttl = h->ttl;
		p->last_ttl = ttl;
		p->have_last_ttl = 1;
	} else if (p->have_dollar_ttl) {
		ttl = p->dollar_ttl;
	} else if (p->have_last_ttl) {
		ttl = p->last_ttl;
	} else if (zp->have_default_ttl) {
		ttl = zp->default_ttl;
	} else if (h->type == TERN_T_SOA && rdlen >= 22) {
		ttl = tern_get_u32(p->rd + rdlen - 4);
		if (ttl > 0x7fffffffu)
			ttl = 0x7fffffffu;
		p->last_ttl = ttl;
		p->have_last_ttl = 1;
	} else {
		report(p, src->name, line, "no TTL given and no $TTL or earlier TTL to default to");
		return -1;
	}

	if (zp->on_rr) {
		tern_zrr rr = {
			.owner = owner, .type = h->type, .cls = p->cls, .ttl = ttl,
			.rdata = p->rd, .rdlen = (uint16_t)rdlen, .file = src->name, .file_id = src->id,
			.line = line,
			.same_owner = gen != 0 && gen == p->last_gen,
		};
		p->last_gen = gen;
		int c = zp->on_rr(&rr, zp->user);
		if (c != 0) {
			p->stop = 1;
			p->ret = c;
			return -1;
		}
	}
	return 0;
}

static void do_record(struct parser *p, struct source *src, const tern_zentry *e)
{
	struct rrhead h;
	size_t i = 0;

	if (e->blank) {
		/* RFC 1035 5.1: a blank owner is the previous owner. */
		if (src->owner_bad)
			return; /* that owner was reported already */
		if (!src->have_owner) {
			report(p, src->name, e->line, "no previous owner name");
			return;
		}
	} else {
		const tern_token *t = &e->tok[0];
		i = 1;
		/* zone files group records by owner: the same token as the
		 * previous owner's is the same name (the origin is unchanged) */
		if (!(src->have_owner && src->owner_tok.p && t->len == src->owner_tok.len &&
		      t->quoted == src->owner_tok.quoted && memcmp(t->p, src->owner_tok.p, t->len) == 0)) {
			src->owner_tok.p = NULL;
			if (parse_name(p, src, t, e->tokline[0], "owner name", src->owner) < 0) {
				src->have_owner = 0;
				src->owner_bad = 1;
				return;
			}
			src->have_owner = 1;
			src->owner_bad = 0;
			src->owner_tok = *t;
			src->owner_gen = ++p->gen_next;
		}
	}
	if (i >= e->ntok) {
		report(p, src->name, e->line, "missing RR type");
		return;
	}
	if (rr_head(p, src, e->tok, e->tokline, e->ntok, &i, &h) < 0)
		return;
	(void)rr_finish(p, src, src->owner, src->owner_gen, &h, e->tok + i, e->ntok - i, e->line);
}

/* ---- reading files ---- */

/* Reads a whole file into a new buffer with a '\0' after the last byte.
 * Returns 0 or -errno (-EFBIG beyond FILE_MAX); *op says what failed. */
static int read_file(const char *path, char **out, size_t *outlen, const char **op)
{
	struct stat st;
	size_t cap = 65536, len = 0;
	char *buf = NULL;
	int err;

	*op = "open";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*op = "read";
	if (fstat(fd, &st) < 0)
		goto fail_errno;
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto fail;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > FILE_MAX) {
			err = -EFBIG;
			goto fail;
		}
		cap = (size_t)st.st_size + 1; /* + 1: EOF is seen without a realloc */
	}
	buf = malloc(cap + 1);
	if (!buf)
		goto fail_errno;
	for (;;) {
		if (len == cap) {
			if (cap > FILE_MAX) {
				err = -EFBIG;
				goto fail;
			}
			size_t ncap = cap * 2 > FILE_MAX + 1 ? FILE_MAX + 1 : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			if (!nb)
				goto fail_errno;
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail_errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FILE_MAX) {
		err = -EFBIG;
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail_errno:
	err = -errno;
fail:
	free(buf);
	close(fd);
	return err;
}

static void parse_text(struct parser *p, struct source *src, const char *text, size_t len);

/* $INCLUDE <file> [origin] (RFC 1035 5.1). A relative path is taken from
 * the including file's directory (from the working directory for text
 * that is not a file). The depth limit also stops include cycles. */
static void do_include(struct parser *p, struct source *src, const tern_zentry *e)
{
	const char *op;
	char *text = NULL;
	size_t len;

	if (!p->zp->allow_include) {
		report(p, src->name, e->line, "$INCLUDE not allowed here");
		return;
	}
	if (e->ntok < 2 || e->ntok > 3) {
		report(p, src->name, e->line, "$INCLUDE takes a file name and an optional origin");
		return;
	}
	if (src->depth + 1 > p->max_depth) {
		report(p, src->name, e->line, "$INCLUDE depth exceeds %u", p->max_depth);
		return;
	}

	struct source *inc = calloc(1, sizeof *inc + PATH_MAX);
	if (!inc) {
		report(p, src->name, e->line, "out of memory");
		p->stop = 1;
		p->ret = -ENOMEM;
		return;
	}
	char *path = (char *)(inc + 1);
	const tern_token *f = &e->tok[1];
	size_t dir = 0;
	if (src->is_file && f->len > 0 && f->p[0] != '/') {
		const char *slash = strrchr(src->name, '/');
		if (slash)
			dir = (size_t)(slash - src->name) + 1;
	}
	char b[SHOW_BUF];
	if (f->len == 0 || memchr(f->p, '\0', f->len) || dir + f->len >= PATH_MAX) {
		report(p, src->name, e->line, "bad $INCLUDE file name '%s'", showtok(f, b));
		goto out;
	}
	memcpy(path, src->name, dir);
	memcpy(path + dir, f->p, f->len);
	path[dir + f->len] = '\0';

	inc->name = path;
	inc->id = ++p->next_id;
	inc->is_file = 1;
	inc->depth = src->depth + 1;
	if (e->ntok == 3) {
		if (parse_name(p, src, &e->tok[2], e->tokline[2], "$INCLUDE origin", inc->origin) < 0)
			goto out;
		inc->have_origin = 1;
	} else if (src->have_origin) {
		memcpy(inc->origin, src->origin, sizeof inc->origin);
		inc->have_origin = 1;
	}

	int r = read_file(path, &text, &len, &op);
	if (r < 0) {
		report(p, src->name, e->line, "cannot %s '%s': %s", op, show(path, strlen(path), b),
		       strerror(-r));
		goto out;
	}
	parse_text(p, inc, text, len);
out:
	free(text);
	free(inc);
}

/* ---- $GENERATE ---- */

static int parse_uint(const char **s, const char *end, long long max, long long *v)
{
	const char *q = *s;
	long long x = 0;
	if (q >= end || *q < '0' || *q > '9')
		return -1;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		x = x * 10 + (*q - '0');
		if (x > max)
			return -1;
	}
	*s = q;
	*v = x;
	return 0;
}

/* start-stop[/step] with 0 <= start <= stop < 2^31 and step >= 1. */
static int parse_range(const tern_token *t, long long *start, long long *stop, long long *step)
{
	const char *s = t->p, *end = t->p + t->len;
	*step = 1;
	if (parse_uint(&s, end, INT_MAX, start) < 0 || s == end || *s++ != '-' ||
	    parse_uint(&s, end, INT_MAX, stop) < 0)
		return -1;
	if (s < end && (*s++ != '/' || parse_uint(&s, end, INT_MAX, step) < 0))
		return -1;
	if (s != end || *step < 1 || *stop < *start)
		return -1;
	return 0;
}

/* BIND's nibble form: the hex digits of v lowest first, one per label,
 * padded with "0." labels until width characters are written. */
static size_t nibbles(char *out, size_t cap, unsigned width, int upper, unsigned long long v)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	size_t o = 0;
	do {
		if (o < cap)
			out[o] = hex[(v & 0xf) + (upper ? 16 : 0)];
		o++;
		v >>= 4;
		if (width > 0)
			width--;
		if (width > 0 || v != 0) {
			if (o < cap)
				out[o] = '.';
			o++;
			if (width > 0)
				width--;
		}
	} while (v != 0 || width > 0);
	return o;
}

/* Expands $ (the iterator), ${offset[,width[,base]]}, "$$" (a '$') in a
 * $GENERATE lhs or rhs; \X is copied as is (so "\$" reaches the name or
 * RDATA parser as an escaped '$'). Returns NULL or an error message. */
static const char *gen_expand(const tern_token *t, long long v, char *out, size_t cap,
                              size_t *outlen)
{
	const char *s = t->p, *end = t->p + t->len;
	size_t o = 0;

	while (s < end) {
		if (*s == '\\') {
			size_t n = s + 1 < end ? 2 : 1;
			if (cap - o < n)
				return "$GENERATE expansion too long";
			memcpy(out + o, s, n);
			o += n;
			s += n;
			continue;
		}
		if (*s != '$' || (s + 1 < end && s[1] == '$')) {
			if (o == cap)
				return "$GENERATE expansion too long";
			out[o++] = *s;
			s += *s == '$' ? 2 : 1;
			continue;
		}
		s++;
		long long off = 0, width = 0;
		char base = 'd';
		if (s < end && *s == '{') {
			int neg = 0;
			s++;
			if (s < end && (*s == '-' || *s == '+'))
				neg = *s++ == '-';
			if (parse_uint(&s, end, INT_MAX, &off) < 0)
				return "bad $GENERATE modifier";
			if (neg)
				off = -off;
			if (s < end && *s == ',') {
				s++;
				if (parse_uint(&s, end, GEN_WIDTH_MAX, &width) < 0)
					return "bad $GENERATE modifier (width is 0 to 255)";
				if (s < end && *s == ',') {
					s++;
					if (s >= end || !strchr("doxXnN", *s) || *s == '\0')
						return "bad $GENERATE modifier (base is d, o, x, X, n or N)";
					base = *s++;
				}
			}
			if (s >= end || *s++ != '}')
				return "bad $GENERATE modifier";
		}
		long long x = v + off;
		if (x < 0)
			return "$GENERATE value is negative";
		if (x > INT_MAX) /* BIND: "out of range"; v and off are each below 2^31 */
			return "$GENERATE value (iterator plus offset) is above 2147483647";
		char num[2 * GEN_WIDTH_MAX + 40];
		size_t n;
		if (base == 'n' || base == 'N') {
			n = nibbles(num, sizeof num, (unsigned)width, base == 'N', (unsigned long long)x);
		} else {
			const char *fmt = base == 'o' ? "%0*llo" : base == 'x' ? "%0*llx" :
			                  base == 'X' ? "%0*llX" : "%0*lld";
			int k = base == 'd' ? snprintf(num, sizeof num, fmt, (int)width, x) :
			                      snprintf(num, sizeof num, fmt, (int)width,
			                               (unsigned long long)x);
			n = k < 0 ? 0 : (size_t)k;
		}
		if (n > sizeof num || cap - o < n)
			return "$GENERATE expansion too long";
		memcpy(out + o, num, n);
		o += n;
	}
	*outlen = o;
	return NULL;
}

/* BIND's $GENERATE range lhs [ttl] [class] type rhs: one record per value
 * of the range, with $ in lhs and rhs replaced. Bounded to GEN_MAX values;
 * the first failing record stops it. */
static void do_generate(struct parser *p, struct source *src, const tern_zentry *e)
{
	long long start, stop, step;
	struct rrhead h;
	size_t i = 3;
	char b[SHOW_BUF];
	const char *why;

	if (e->ntok < 5) {
		report(p, src->name, e->line, "$GENERATE takes a range, lhs, [TTL] [class] type and rhs");
		return;
	}
	if (parse_range(&e->tok[1], &start, &stop, &step) < 0) {
		report(p, src->name, e->tokline[1], "bad $GENERATE range '%s'", showtok(&e->tok[1], b));
		return;
	}
	if ((stop - start) / step + 1 > GEN_MAX) {
		report(p, src->name, e->tokline[1], "$GENERATE range '%s' has more than %d entries",
		       showtok(&e->tok[1], b), GEN_MAX);
		return;
	}
	if (rr_head(p, src, e->tok, e->tokline, e->ntok, &i, &h) < 0)
		return;
	if (i >= e->ntok) {
		report(p, src->name, e->line, "$GENERATE has no rhs");
		return;
	}
	for (long long v = start; v <= stop && !p->stop; v += step) {
		uint8_t owner[TERN_NAME_MAX];
		size_t n, off = 0;

		why = gen_expand(&e->tok[2], v, p->gname, TERN_NAME_TEXT_MAX, &n);
		if (why) {
			report(p, src->name, e->line, "%s", why);
			return;
		}
		tern_token lhs = { .p = p->gname, .len = n, .quoted = 0 };
		if (parse_name(p, src, &lhs, e->line, "$GENERATE owner", owner) < 0)
			return;
		/* The rhs is expanded, then split into tokens again, so that a
		 * quoted rhs such as "10 mail$" can hold several fields. */
		for (size_t k = i; k < e->ntok; k++) {
			if (k > i) {
				if (off == GEN_TEXT_MAX) {
					report(p, src->name, e->line, "$GENERATE expansion too long");
					return;
				}
				p->gtext[off++] = ' ';
			}
			why = gen_expand(&e->tok[k], v, p->gtext + off, GEN_TEXT_MAX - off, &n);
			if (why) {
				report(p, src->name, e->line, "%s", why);
				return;
			}
			off += n;
		}
		p->gtext[off] = '\0';
		tern_zlex lx;
		tern_zentry ge = { .tok = p->gtok, .tokline = p->gtokline, .cap = TERN_ZLEX_MAXTOK };
		tern_zlex_init(&lx, p->gtext, off, e->line);
		(void)tern_zlex_entry(&lx, &ge);
		if (ge.err || lx.p != lx.end) {
			report(p, src->name, e->line, "bad $GENERATE rhs: %s",
			       ge.err ? ge.err : "it holds a line break");
			return;
		}
		for (size_t k = 0; k < ge.ntok; k++)
			ge.tokline[k] = e->line;
		if (rr_finish(p, src, owner, 0, &h, ge.tok, ge.ntok, e->line) < 0)
			return;
	}
}

/* ---- directives and the main loop ---- */

static void do_directive(struct parser *p, struct source *src, const tern_zentry *e)
{
	const tern_token *d = &e->tok[0];
	char b[SHOW_BUF];

	if (tok_is(d, "$ORIGIN")) {
		if (e->ntok != 2) {
			report(p, src->name, e->line, "$ORIGIN takes one name");
			return;
		}
		uint8_t o[TERN_NAME_MAX];
		/* RFC 1035 5.1: a relative $ORIGIN is relative to the current one. */
		if (parse_name(p, src, &e->tok[1], e->tokline[1], "$ORIGIN", o) < 0)
			return;
		memcpy(src->origin, o, sizeof o);
		src->have_origin = 1;
		src->owner_tok.p = NULL; /* relative owners mean something else now */
	} else if (tok_is(d, "$TTL")) {
		uint32_t ttl;
		if (e->ntok != 2) {
			report(p, src->name, e->line, "$TTL takes one TTL");
			return;
		}
		if (parse_ttl(p, src, &e->tok[1], e->tokline[1], &ttl) < 0)
			return;
		p->dollar_ttl = ttl;
		p->have_dollar_ttl = 1;
	} else if (tok_is(d, "$INCLUDE")) {
		do_include(p, src, e);
	} else if (tok_is(d, "$GENERATE")) {
		do_generate(p, src, e);
	} else {
		report(p, src->name, e->line, "unknown directive '%s'", showtok(d, b));
	}
}

static void parse_text(struct parser *p, struct source *src, const char *text, size_t len)
{
	tern_zlex lx;
	tern_zentry e = { .tok = p->tok, .tokline = p->tokline, .cap = TERN_ZLEX_MAXTOK };

	tern_zlex_init(&lx, text, len, 1);
	while (!p->stop && tern_zlex_entry(&lx, &e)) {
		if (e.err) {
			report(p, src->name, e.errline, "%s", e.err);
			continue;
		}
		if (e.ntok == 0)
			continue;
		const tern_token *t = &e.tok[0];
		if (!e.blank && !t->quoted && t->len > 0 && t->p[0] == '$')
			do_directive(p, src, &e);
		else
			do_record(p, src, &e);
	}
}

static struct parser *parser_new(const tern_zparse *zp)
{
	struct parser *p = malloc(sizeof *p);
	if (!p)
		return NULL;
	p->zp = zp;
	p->cls = zp->default_class ? zp->default_class : TERN_C_IN;
	p->max_depth = zp->max_include_depth ? zp->max_include_depth : 8;
	if (p->max_depth > INCLUDE_HARD_MAX)
		p->max_depth = INCLUDE_HARD_MAX;
	p->max_errors = zp->max_errors ? zp->max_errors : 100;
	p->nerr = 0;
	p->stop = 0;
	p->ret = 0;
	p->gen_next = p->last_gen = 0;
	p->next_id = 0;
	p->have_dollar_ttl = p->have_last_ttl = 0;
	p->dollar_ttl = p->last_ttl = 0;
	return p;
}

static void source_init(struct source *src, const tern_zparse *zp, const char *name, int is_file)
{
	memset(src, 0, sizeof *src);
	src->name = name;
	src->is_file = is_file;
	if (zp->origin) {
		memcpy(src->origin, zp->origin, tern_name_len(zp->origin));
		src->have_origin = 1;
	}
}

static int parse_run(const tern_zparse *zp, const char *name, int is_file, const char *text,
                     size_t len)
{
	struct source src;
	struct parser *p = parser_new(zp);
	if (!p) {
		if (zp->on_error)
			zp->on_error(name, 0, "out of memory", zp->user);
		return -ENOMEM;
	}
	source_init(&src, zp, name, is_file);
	src.id = ++p->next_id;
	parse_text(p, &src, text, len);
	int ret = p->ret ? p->ret : p->nerr ? TERN_ESYNTAX : 0;
	free(p);
	return ret;
}

int tern_zone_parse_file(const tern_zparse *zp, const char *path)
{
	char *text, msg[SHOW_BUF + 128], b[SHOW_BUF];
	size_t len;
	const char *op;

	int r = read_file(path, &text, &len, &op);
	if (r < 0) {
		if (zp->on_error) {
			snprintf(msg, sizeof msg, "cannot %s '%s': %s", op, show(path, strlen(path), b),
			         strerror(-r));
			zp->on_error(path, 0, msg, zp->user);
		}
		return r;
	}
	r = parse_run(zp, path, 1, text, len);
	free(text);
	return r;
}

int tern_zone_parse_string(const tern_zparse *zp, const char *name, const char *text, size_t len)
{
	/* A copy gives the lexer its '\0' sentinel. */
	char *copy = malloc(len + 1);
	if (!copy) {
		if (zp->on_error)
			zp->on_error(name, 0, "out of memory", zp->user);
		return -ENOMEM;
	}
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	int r = parse_run(zp, name, 0, copy, len);
	free(copy);
	return r;
}
