/* test_zonefile.c: unit tests of the master-file parser (tern/zonefile.h):
 * directives, defaulting rules, lexing, $INCLUDE/$GENERATE and every error
 * path with its file:line. Fixtures are in tests/unit/zones/ (the runner
 * works from the repository root). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/rr.h"
#include "tern/zonefile.h"

#define ZDIR "tests/unit/zones/"
#define KEEP 512 /* records kept for inspection; more are only counted */

struct rec {
	uint8_t owner[TERN_NAME_MAX];
	uint16_t type, cls;
	uint32_t ttl;
	uint8_t rd[1024];
	uint16_t rdlen;
	char file[256];
	unsigned line;
};

struct col {
	struct rec r[KEEP];
	size_t n;      /* records received */
	char err[128][400];
	size_t nerr;   /* errors received */
	size_t stop_at; /* if non-zero, the callback returns 7 at this record */
};

static int on_rr(const tern_zrr *rr, void *user)
{
	struct col *c = user;
	if (c->n < KEEP) {
		struct rec *r = &c->r[c->n];
		memcpy(r->owner, rr->owner, tern_name_len(rr->owner));
		r->type = rr->type;
		r->cls = rr->cls;
		r->ttl = rr->ttl;
		r->rdlen = rr->rdlen;
		memcpy(r->rd, rr->rdata, rr->rdlen < sizeof r->rd ? rr->rdlen : sizeof r->rd);
		snprintf(r->file, sizeof r->file, "%s", rr->file);
		r->line = rr->line;
	}
	c->n++;
	if (c->stop_at && c->n == c->stop_at)
		return 7;
	return 0;
}

static void on_err(const char *file, unsigned line, const char *msg, void *user)
{
	struct col *c = user;
	if (c->nerr < 128)
		snprintf(c->err[c->nerr], sizeof c->err[0], "%s:%u: %s", file, line, msg);
	c->nerr++;
}

static uint8_t g_origin[TERN_NAME_MAX];

static struct col *col_new(void)
{
	struct col *c = calloc(1, sizeof *c);
	assert_non_null(c);
	return c;
}

static tern_zparse opts(struct col *c)
{
	size_t len;
	assert_int_equal(tern_name_from_text("example.com.", 12, NULL, g_origin, &len), 0);
	return (tern_zparse){ .origin = g_origin, .on_rr = on_rr, .on_error = on_err, .user = c };
}

static int parse_with(const tern_zparse *zp, const char *text)
{
	return tern_zone_parse_string(zp, "test", text, strlen(text));
}

/* Parses text with the default options (origin example.com.). */
static int parse(struct col *c, const char *text)
{
	tern_zparse zp = opts(c);
	return parse_with(&zp, text);
}

static void check_owner(const struct rec *r, const char *name)
{
	uint8_t want[TERN_NAME_MAX];
	size_t len;
	assert_int_equal(tern_name_from_text(name, strlen(name), NULL, want, &len), 0);
	assert_int_equal(tern_name_len(r->owner), len);
	assert_memory_equal(r->owner, want, len);
}

static void check_a(const struct rec *r, const char *owner, uint32_t ttl, uint8_t a, uint8_t b,
                    uint8_t c3, uint8_t d)
{
	const uint8_t want[4] = { a, b, c3, d };
	check_owner(r, owner);
	assert_int_equal(r->type, TERN_T_A);
	assert_int_equal(r->cls, TERN_C_IN);
	assert_int_equal(r->ttl, ttl);
	assert_int_equal(r->rdlen, 4);
	assert_memory_equal(r->rd, want, 4);
}

/* Wire form of a name for building expected RDATA. */
static size_t wire(const char *name, uint8_t *out)
{
	size_t len;
	assert_int_equal(tern_name_from_text(name, strlen(name), NULL, out, &len), 0);
	return len;
}

static void check_rd(const struct rec *r, const void *want, size_t len)
{
	assert_int_equal(r->rdlen, len);
	assert_memory_equal(r->rd, want, len);
}

static void check_err(const struct col *c, size_t i, const char *want)
{
	assert_true(i < c->nerr);
	assert_string_equal(c->err[i], want);
}

/* ---- records, owners, defaulting ---- */

static void test_owners(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "abs.example.org. 60 A 192.0.2.1\n"
	                 "rel 60 A 192.0.2.2\n"
	                 "@ 60 A 192.0.2.3\n"
	                 "\t60 A 192.0.2.4\n"
	                 "a\\.b 60 A 192.0.2.5\n"
	                 "\\065\\066c 60 A 192.0.2.6\n"
	                 "$ORIGIN sub.example.com.\n"
	                 "@ 60 A 192.0.2.7\n"
	                 "x 60 A 192.0.2.8\n"
	                 "$ORIGIN deeper\n"
	                 "y 60 A 192.0.2.9\n"
	                 ". 60 A 192.0.2.10\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 10);
	check_a(&c->r[0], "abs.example.org.", 60, 192, 0, 2, 1);
	check_a(&c->r[1], "rel.example.com.", 60, 192, 0, 2, 2);
	check_a(&c->r[2], "example.com.", 60, 192, 0, 2, 3);
	check_a(&c->r[3], "example.com.", 60, 192, 0, 2, 4); /* blank owner: previous */
	const uint8_t dotted[] = { 3, 'a', '.', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
	assert_memory_equal(c->r[4].owner, dotted, sizeof dotted);
	check_a(&c->r[5], "ABc.example.com.", 60, 192, 0, 2, 6);
	check_a(&c->r[6], "sub.example.com.", 60, 192, 0, 2, 7);
	check_a(&c->r[7], "x.sub.example.com.", 60, 192, 0, 2, 8);
	check_a(&c->r[8], "y.deeper.sub.example.com.", 60, 192, 0, 2, 9);
	check_a(&c->r[9], ".", 60, 192, 0, 2, 10);
	assert_string_equal(c->r[0].file, "test");
	assert_int_equal(c->r[0].line, 1);
	assert_int_equal(c->r[9].line, 12);
	free(c);
}

static void test_case_preserved(void **state)
{
	struct col *c = col_new();
	assert_int_equal(parse(c, "WwW 60 a 192.0.2.1\n"), 0);
	assert_int_equal(c->n, 1);
	assert_memory_equal(c->r[0].owner, "\3WwW", 4);
	assert_int_equal(c->r[0].type, TERN_T_A);
	free(c);
}

static void test_ttl_class_order(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "a 3600 IN A 192.0.2.1\n"
	                 "b IN 7200 A 192.0.2.2\n"
	                 "c A 192.0.2.3\n"          /* last explicit TTL: 7200 */
	                 "d 1h30m A 192.0.2.4\n"
	                 "e in a 192.0.2.5\n"       /* class only: last TTL */
	                 "f 2W CLASS1 A 192.0.2.6\n"
	                 "g 0 A 192.0.2.7\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->n, 7);
	check_a(&c->r[0], "a.example.com.", 3600, 192, 0, 2, 1);
	check_a(&c->r[1], "b.example.com.", 7200, 192, 0, 2, 2);
	check_a(&c->r[2], "c.example.com.", 7200, 192, 0, 2, 3);
	check_a(&c->r[3], "d.example.com.", 5400, 192, 0, 2, 4);
	check_a(&c->r[4], "e.example.com.", 5400, 192, 0, 2, 5);
	check_a(&c->r[5], "f.example.com.", 1209600, 192, 0, 2, 6);
	check_a(&c->r[6], "g.example.com.", 0, 192, 0, 2, 7);
	free(c);
}

static void test_dollar_ttl(void **state)
{
	struct col *c = col_new();
	/* RFC 2308: $TTL, not the last explicit TTL, fills in a missing TTL. */
	int r = parse(c, "a 10 A 192.0.2.1\n"
	                 "b A 192.0.2.2\n"
	                 "$TTL 1d\n"
	                 "c 20 A 192.0.2.3\n"
	                 "d A 192.0.2.4\n"
	                 "$ttl 30\n"
	                 "e A 192.0.2.5\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->n, 5);
	assert_int_equal(c->r[0].ttl, 10);
	assert_int_equal(c->r[1].ttl, 10);
	assert_int_equal(c->r[2].ttl, 20);
	assert_int_equal(c->r[3].ttl, 86400);
	assert_int_equal(c->r[4].ttl, 30);
	free(c);
}

static void test_default_ttl_option(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	zp.default_ttl = 900;
	zp.have_default_ttl = 1;
	int r = parse_with(&zp, "a A 192.0.2.1\n"
	                        "@ SOA ns host 1 2 3 4 5\n"
	                        "b 60 A 192.0.2.2\n"
	                        "c A 192.0.2.3\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->n, 4);
	assert_int_equal(c->r[0].ttl, 900);
	assert_int_equal(c->r[1].ttl, 900); /* the default wins over SOA MINIMUM */
	assert_int_equal(c->r[2].ttl, 60);
	assert_int_equal(c->r[3].ttl, 60);  /* the last explicit TTL wins over the default */
	free(c);
}

static void test_soa_minimum_ttl(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "@ IN SOA ns hostmaster (\n"
	                 "     2024010101 ; serial\n"
	                 "     1h         ; refresh\n"
	                 "     15m 1w\n"
	                 "     300 )      ; minimum\n"
	                 "  NS ns\n"
	                 "ns A 192.0.2.1\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 3);
	uint8_t want[1024];
	size_t n = wire("ns.example.com.", want);
	n += wire("hostmaster.example.com.", want + n);
	const uint32_t v[5] = { 2024010101u, 3600, 900, 604800, 300 };
	for (int i = 0; i < 5; i++, n += 4)
		tern_put_u32(want + n, v[i]);
	check_owner(&c->r[0], "example.com.");
	assert_int_equal(c->r[0].type, TERN_T_SOA);
	assert_int_equal(c->r[0].ttl, 300);
	assert_int_equal(c->r[0].line, 1);
	check_rd(&c->r[0], want, n);
	/* the SOA's MINIMUM then serves as the last TTL */
	check_owner(&c->r[1], "example.com.");
	assert_int_equal(c->r[1].type, TERN_T_NS);
	assert_int_equal(c->r[1].ttl, 300);
	assert_int_equal(c->r[1].line, 6);
	n = wire("ns.example.com.", want);
	check_rd(&c->r[1], want, n);
	assert_int_equal(c->r[2].ttl, 300);
	assert_int_equal(c->r[2].line, 7);
	free(c);
}

static void test_no_ttl_error(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "; nothing to default to\n"
	                 "a A 192.0.2.1\n"
	                 "b 5 A 192.0.2.2\n");
	assert_int_equal(r, TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, "test:2: no TTL given and no $TTL or earlier TTL to default to");
	assert_int_equal(c->n, 1);
	check_a(&c->r[0], "b.example.com.", 5, 192, 0, 2, 2);
	free(c);
}

static void test_default_class(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	zp.default_class = TERN_C_CH;
	int r = parse_with(&zp, "a 60 CH A 192.0.2.1\n"
	                        "b 60 A 192.0.2.2\n"
	                        "c 60 IN A 192.0.2.3\n");
	assert_int_equal(r, TERN_ESYNTAX);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->r[0].cls, TERN_C_CH);
	assert_int_equal(c->r[1].cls, TERN_C_CH);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, "test:3: class 'IN' does not match the zone class CH");
	free(c);
}

/* ---- lexing ---- */

static void test_parens_comments(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "; a comment line\n"
	                 "   ; an indented comment line\n"
	                 "\n"
	                 "a 60 A 192.0.2.1 ; trailing comment\n"
	                 "b ( 60 ; inside\n"
	                 "  A\n"
	                 "\n"
	                 "  192.0.2.2 ) ; after\n"
	                 "c(60)A(192.0.2.3)\n"
	                 "d 60 MX ( 10\n"
	                 "   mail )\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 4);
	check_a(&c->r[0], "a.example.com.", 60, 192, 0, 2, 1);
	assert_int_equal(c->r[0].line, 4);
	check_a(&c->r[1], "b.example.com.", 60, 192, 0, 2, 2);
	assert_int_equal(c->r[1].line, 5);
	check_a(&c->r[2], "c.example.com.", 60, 192, 0, 2, 3);
	assert_int_equal(c->r[2].line, 9);
	uint8_t want[1024] = { 0, 10 };
	size_t n = 2 + wire("mail.example.com.", want + 2);
	assert_int_equal(c->r[3].type, TERN_T_MX);
	check_rd(&c->r[3], want, n);
	assert_int_equal(c->r[3].line, 10);
	free(c);
}

static void test_quotes(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "t 60 TXT \"a b;c\" plain \"q\\\"x\" \"\"\n"
	                 "u 60 TXT ( \"one\"\n"
	                 "  \"two\" ) ; done\n"
	                 "v 60 TXT \"(paren)\"\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 3);
	const uint8_t t[] = "\5a b;c\5plain\3q\"x\0";
	assert_int_equal(c->r[0].type, TERN_T_TXT);
	check_rd(&c->r[0], t, sizeof t - 1);
	const uint8_t u[] = "\3one\3two";
	check_rd(&c->r[1], u, sizeof u - 1);
	const uint8_t v[] = "\7(paren)";
	check_rd(&c->r[2], v, sizeof v - 1);
	free(c);
}

static void test_quote_spans_lines_in_parens(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "t 60 TXT ( \"a\n"
	                 "b\" )\n"
	                 "u 60 A 192.0.2.1\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->n, 2);
	const uint8_t t[] = "\3a\nb";
	check_rd(&c->r[0], t, sizeof t - 1);
	assert_int_equal(c->r[1].line, 3);
	free(c);
}

static void test_crlf(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "$TTL 60\r\n"
	                 "a A 192.0.2.1\r\n"
	                 "\r\n"
	                 "b TXT \"x y\" ; c\r\n"
	                 "c ( A\r\n"
	                 " 192.0.2.3 )\r\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 3);
	check_a(&c->r[0], "a.example.com.", 60, 192, 0, 2, 1);
	const uint8_t t[] = "\3x y";
	check_rd(&c->r[1], t, sizeof t - 1);
	check_a(&c->r[2], "c.example.com.", 60, 192, 0, 2, 3);
	assert_int_equal(c->r[2].line, 5);
	free(c);

	c = col_new();
	tern_zparse zp = opts(c);
	zp.allow_include = 1;
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "crlf.zone"), 0);
	assert_int_equal(c->n, 2);
	check_a(&c->r[0], "crlf.example.com.", 60, 192, 0, 2, 1);
	check_rd(&c->r[1], "\3a b", 4);
	assert_string_equal(c->r[1].file, ZDIR "crlf.zone");
	assert_int_equal(c->r[1].line, 2);
	free(c);
}

static void test_no_final_newline_and_empty(void **state)
{
	struct col *c = col_new();
	assert_int_equal(parse(c, "a 60 A 192.0.2.1"), 0);
	assert_int_equal(c->n, 1);
	free(c);
	c = col_new();
	assert_int_equal(parse(c, ""), 0);
	assert_int_equal(parse(c, "; only a comment"), 0);
	assert_int_equal(parse(c, "\n\n   \n\t\n"), 0);
	assert_int_equal(c->n, 0);
	assert_int_equal(c->nerr, 0);
	free(c);
}

static void test_rdata_forms(void **state)
{
	struct col *c = col_new();
	/* escapes reach the RDATA converter uninterpreted; it decodes them */
	int r = parse(c, "$TTL 60\n"
	                 "g TYPE65534 \\# 3 abcdef\n"
	                 "h A \\# 4 c0000201\n"
	                 "t TXT \"a\\065\\\\\" b\\;c\n"
	                 "v6 AAAA 2001:db8::1\n"
	                 "m MX 10 @\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 5);
	assert_int_equal(c->r[0].type, 65534);
	check_rd(&c->r[0], "\xab\xcd\xef", 3);
	check_a(&c->r[1], "h.example.com.", 60, 192, 0, 2, 1);
	check_rd(&c->r[2], "\3aA\\\3b;c", 8);
	const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	assert_int_equal(c->r[3].type, TERN_T_AAAA);
	check_rd(&c->r[3], v6, 16);
	uint8_t want[1024] = { 0, 10 };
	size_t n = 2 + wire("example.com.", want + 2);
	check_rd(&c->r[4], want, n);
	free(c);
}

/* ---- lexical errors ---- */

static void test_lex_errors(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "a 60 TXT \"open\n"           /* 1 */
	                 "b 60 A 192.0.2.2\n"          /* 2 */
	                 "c 60 A ( ( 192.0.2.3 )\n"    /* 3 */
	                 "d 60 A 192.0.2.4 )\n"        /* 4 */
	                 "e 60 A 192.0.2.5\\\n"        /* 5 */
	                 "f 60 A 192.0.2.6\n"          /* 6 */
	                 "g 60 A (\n"                  /* 7 */
	                 "  192.0.2.7\n");             /* 8 */
	assert_int_equal(r, TERN_ESYNTAX);
	assert_int_equal(c->nerr, 5);
	check_err(c, 0, "test:1: unterminated quoted string");
	check_err(c, 1, "test:3: nested '('");
	check_err(c, 2, "test:4: unbalanced ')'");
	check_err(c, 3, "test:5: backslash at end of line");
	check_err(c, 4, "test:7: unbalanced '(': not closed at end of file");
	assert_int_equal(c->n, 2);
	check_a(&c->r[0], "b.example.com.", 60, 192, 0, 2, 2);
	check_a(&c->r[1], "f.example.com.", 60, 192, 0, 2, 6);
	free(c);
}

static void test_unterminated_quote_at_eof(void **state)
{
	struct col *c = col_new();
	assert_int_equal(parse(c, "a 60 A 192.0.2.1\nt 60 TXT ( \"x\n\n y )\n"), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, "test:2: unterminated quoted string");
	assert_int_equal(c->n, 1);
	free(c);
	c = col_new();
	assert_int_equal(parse(c, "a 60 A 1\\"), TERN_ESYNTAX);
	check_err(c, 0, "test:1: backslash at end of file");
	free(c);
}

static void test_nul_byte(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	const char text[] = "a 60 A 192.0.2.1\nb 60 A 19\0002.0.2.2\nc 60 A 192.0.2.3\n";
	assert_int_equal(tern_zone_parse_string(&zp, "test", text, sizeof text - 1), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, "test:2: NUL byte in zone file");
	assert_int_equal(c->n, 2);
	check_a(&c->r[1], "c.example.com.", 60, 192, 0, 2, 3);
	free(c);

	/* in a comment too; the comment still ends at the line's end */
	c = col_new();
	zp = opts(c);
	const char text2[] = "a 60 A 192.0.2.1 ; x\000 ( y\nb 60 A 192.0.2.2\n";
	assert_int_equal(tern_zone_parse_string(&zp, "test", text2, sizeof text2 - 1), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, "test:1: NUL byte in zone file");
	assert_int_equal(c->n, 1);
	check_a(&c->r[0], "b.example.com.", 60, 192, 0, 2, 2);
	free(c);
}

static void test_too_many_tokens(void **state)
{
	struct col *c = col_new();
	size_t cap = 8 * 2000 + 100;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t o = (size_t)snprintf(text, cap, "t 60 TXT");
	for (int i = 0; i < 1030; i++)
		o += (size_t)snprintf(text + o, cap - o, " x");
	o += (size_t)snprintf(text + o, cap - o, "\nu 60 A 192.0.2.1\n");
	assert_int_equal(parse(c, text), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, "test:1: too many tokens in one record (more than 1024)");
	assert_int_equal(c->n, 1);
	free(text);
	free(c);
}

static void test_rdata_too_long(void **state)
{
	struct col *c = col_new();
	/* 300 strings of 250 bytes: 75300 bytes of RDATA */
	size_t cap = 300 * 260 + 100;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t o = (size_t)snprintf(text, cap, "t 60 TXT");
	for (int i = 0; i < 300; i++) {
		text[o++] = ' ';
		memset(text + o, 'x', 250);
		o += 250;
	}
	o += (size_t)snprintf(text + o, cap - o, "\nu 60 A 192.0.2.1\n");
	assert_int_equal(parse(c, text), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, "test:1: RDATA longer than 65535 bytes");
	assert_int_equal(c->n, 1);
	free(text);
	free(c);
}

static void test_huge_tokens(void **state)
{
	struct col *c = col_new();
	size_t big = 1 << 20;
	char *text = malloc(big + 100);
	assert_non_null(text);
	memset(text, 'a', big);
	memcpy(text + big, " 60 A 192.0.2.1\n", 17);
	assert_int_equal(parse(c, text), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, "test:1: bad owner name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
	                "(invalid domain name)");
	/* a huge quoted token is handed to the RDATA converter intact */
	text[0] = 't';
	memcpy(text + 1, " 60 TXT \"", 9);
	memcpy(text + big, "\"\n", 3);
	c->nerr = 0;
	assert_int_equal(parse(c, text), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	assert_int_equal(c->n, 0);
	free(text);
	free(c);
}

/* ---- field errors, recovery, limits ---- */

static void test_field_errors(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "a 60 AAAAA 192.0.2.1\n"                /* 1 */
	                 "b 1x A 192.0.2.1\n"                    /* 2 */
	                 "c 4294967296 A 192.0.2.1\n"            /* 3 */
	                 "d 60 CH A 192.0.2.1\n"                 /* 4 */
	                 "e 60 IN ANY 192.0.2.1\n"               /* 5 */
	                 "f 60\n"                                /* 6 */
	                 "g\n"                                   /* 7 */
	                 "h 60 IN IN A 192.0.2.1\n"              /* 8 */
	                 "i 60 (\n  AAAAA 192.0.2.1 )\n"         /* 9, 10 */
	                 "a..b 60 A 192.0.2.1\n"                 /* 11 */
	                 "\t60 A 192.0.2.1\n"                    /* 12: owner was bad: skipped */
	                 "ok 60 A 192.0.2.9\n"                   /* 13 */
	                 "$FOO bar\n"                            /* 14 */
	                 "$ORIGIN\n"                             /* 15 */
	                 "$ORIGIN a b\n"                         /* 16 */
	                 "$TTL\n"                                /* 17 */
	                 "$TTL 1x\n"                             /* 18 */
	                 "$ORIGIN a..b\n"                        /* 19 */
	                 "j 60 TYPE0 \\# 0\n");                  /* 20 */
	assert_int_equal(r, TERN_ESYNTAX);
	const char *want[] = {
		"test:1: unknown RR type 'AAAAA'",
		"test:2: bad TTL '1x'",
		"test:3: TTL '4294967296' out of range (RFC 2181 8: at most 2147483647)",
		"test:4: class 'CH' does not match the zone class IN",
		"test:5: RR type 'ANY' cannot appear in zone data",
		"test:6: missing RR type",
		"test:7: missing RR type",
		"test:8: unknown RR type 'IN'",
		"test:10: unknown RR type 'AAAAA'",
		"test:11: bad owner name 'a..b' (invalid domain name)",
		"test:14: unknown directive '$FOO'",
		"test:15: $ORIGIN takes one name",
		"test:16: $ORIGIN takes one name",
		"test:17: $TTL takes one TTL",
		"test:18: bad TTL '1x'",
		"test:19: bad $ORIGIN 'a..b' (invalid domain name)",
		"test:20: RR type 'TYPE0' cannot appear in zone data",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		check_err(c, i, want[i]);
	assert_int_equal(c->nerr, sizeof want / sizeof want[0]);
	assert_int_equal(c->n, 1);
	check_a(&c->r[0], "ok.example.com.", 60, 192, 0, 2, 9);
	free(c);
}

static void test_rdata_error_reported(void **state)
{
	struct col *c = col_new();
	assert_int_equal(parse(c, "a 60 A (\n 192.0.2.1 192.0.2.2 )\nb 60 A 192.0.2.3\n"),
	                 TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	assert_true(strncmp(c->err[0], "test:1: ", 8) == 0);
	assert_true(strlen(c->err[0]) > 8);
	assert_int_equal(c->n, 1);
	free(c);
}

static void test_no_previous_owner(void **state)
{
	struct col *c = col_new();
	assert_int_equal(parse(c, "\n  60 A 192.0.2.1\n"), TERN_ESYNTAX);
	check_err(c, 0, "test:2: no previous owner name");
	free(c);
}

static void test_no_origin(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	zp.origin = NULL;
	int r = parse_with(&zp, "foo 60 A 192.0.2.1\n"
	                        "@ 60 A 192.0.2.1\n"
	                        "abs. 60 A 192.0.2.1\n"
	                        "x\\. 60 A 192.0.2.1\n"
	                        "y\\\\. 60 A 192.0.2.2\n"
	                        "$ORIGIN org.\n"
	                        "foo 60 A 192.0.2.3\n");
	assert_int_equal(r, TERN_ESYNTAX);
	assert_int_equal(c->nerr, 3);
	check_err(c, 0, "test:1: relative name 'foo' with no $ORIGIN");
	check_err(c, 1, "test:2: relative name '@' with no $ORIGIN");
	check_err(c, 2, "test:4: relative name 'x\\.' with no $ORIGIN");
	assert_int_equal(c->n, 3);
	check_owner(&c->r[0], "abs.");
	check_a(&c->r[1], "y\\\\.", 60, 192, 0, 2, 2);
	check_owner(&c->r[2], "foo.org.");
	free(c);
}

static void test_max_errors(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	zp.max_errors = 3;
	int r = parse_with(&zp, "a 60 BAD 1\nb 60 BAD 1\nc 60 BAD 1\nd 60 BAD 1\ne 60 BAD 1\n"
	                        "f 60 A 192.0.2.1\n");
	assert_int_equal(r, TERN_ESYNTAX);
	assert_int_equal(c->nerr, 4);
	check_err(c, 2, "test:3: unknown RR type 'BAD'");
	check_err(c, 3, "test:4: too many errors (stopped after 3)");
	assert_int_equal(c->n, 0);
	free(c);

	/* the default is 100 */
	c = col_new();
	char *text = malloc(200 * 12 + 1);
	assert_non_null(text);
	text[0] = '\0';
	for (int i = 0; i < 200; i++)
		strcat(text, "a 60 BAD 1\n");
	assert_int_equal(parse(c, text), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 101);
	check_err(c, 100, "test:101: too many errors (stopped after 100)");
	free(text);
	free(c);
}

static void test_callback_stops(void **state)
{
	struct col *c = col_new();
	c->stop_at = 2;
	assert_int_equal(parse(c, "a 60 A 192.0.2.1\nb 60 A 192.0.2.2\nc 60 A 192.0.2.3\n"), 7);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->nerr, 0);
	free(c);
	c = col_new();
	c->stop_at = 3;
	assert_int_equal(parse(c, "$GENERATE 1-10 h$ 60 A 192.0.2.$\n"), 7);
	assert_int_equal(c->n, 3);
	free(c);
}

static void test_parse_file_errors(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "no-such.zone"), -ENOENT);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, ZDIR "no-such.zone:0: cannot open '" ZDIR "no-such.zone': No such file or directory");
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "sub"), -EISDIR);
	check_err(c, 1, ZDIR "sub:0: cannot read '" ZDIR "sub': Is a directory");
	free(c);
}

/* ---- $INCLUDE ---- */

static void test_include(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	zp.allow_include = 1;
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "include_main.zone"), 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 9);
	check_a(&c->r[0], "a.example.com.", 300, 192, 0, 2, 1);
	check_a(&c->r[1], "x.example.com.", 300, 192, 0, 2, 10);
	assert_string_equal(c->r[1].file, ZDIR "include_sub.zone");
	assert_int_equal(c->r[1].line, 1);
	check_a(&c->r[2], "y.changed.test.", 300, 192, 0, 2, 11);
	assert_int_equal(c->r[2].line, 3);
	/* the $ORIGIN of the included file does not leak out */
	check_a(&c->r[3], "b.example.com.", 300, 192, 0, 2, 2);
	assert_string_equal(c->r[3].file, ZDIR "include_main.zone");
	assert_int_equal(c->r[3].line, 6);
	check_a(&c->r[4], "x.other.org.", 300, 192, 0, 2, 10);
	check_a(&c->r[5], "y.changed.test.", 300, 192, 0, 2, 11);
	check_a(&c->r[6], "c.example.com.", 300, 192, 0, 2, 3);
	check_a(&c->r[7], "leaf.example.com.", 300, 192, 0, 2, 20);
	assert_string_equal(c->r[7].file, ZDIR "sub/leaf.zone");
	check_a(&c->r[8], "d.example.com.", 300, 192, 0, 2, 4);
	free(c);
}

static void test_include_depth(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	zp.allow_include = 1;
	zp.origin = g_origin;
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "loop.zone"), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, ZDIR "loop.zone:3: $INCLUDE depth exceeds 8");
	assert_int_equal(c->n, 9); /* the top file and 8 levels of includes */
	free(c);

	c = col_new();
	zp = opts(c);
	zp.allow_include = 1;
	zp.max_include_depth = 2;
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "loop.zone"), TERN_ESYNTAX);
	check_err(c, 0, ZDIR "loop.zone:3: $INCLUDE depth exceeds 2");
	assert_int_equal(c->n, 3);
	free(c);

	c = col_new();
	zp = opts(c);
	zp.allow_include = 1;
	zp.max_include_depth = 1;
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "include_main.zone"), TERN_ESYNTAX);
	check_err(c, 0, ZDIR "sub/nested.zone:2: $INCLUDE depth exceeds 1");
	assert_int_equal(c->nerr, 1);
	free(c);
}

static void test_include_errors(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	zp.allow_include = 1;
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "include_missing.zone"), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, ZDIR "include_missing.zone:2: cannot open '" ZDIR
	                "does-not-exist.zone': No such file or directory");
	assert_int_equal(c->n, 1); /* parsing goes on after the failed include */
	free(c);

	c = col_new();
	zp = opts(c);
	zp.allow_include = 1;
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "include_bad.zone"), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, ZDIR "bad.zone:2: unknown RR type 'AAAAA'");
	assert_int_equal(c->n, 2);
	free(c);

	/* not allowed (the default), and wrong arguments */
	c = col_new();
	assert_int_equal(parse(c, "$INCLUDE " ZDIR "bad.zone\n"
	                          "a 60 A 192.0.2.1\n"),
	                 TERN_ESYNTAX);
	check_err(c, 0, "test:1: $INCLUDE not allowed here");
	assert_int_equal(c->n, 1);
	free(c);
	c = col_new();
	zp = opts(c);
	zp.allow_include = 1;
	assert_int_equal(parse_with(&zp, "$INCLUDE\n$INCLUDE a b c\n$INCLUDE \"\"\n"
	                                 "$INCLUDE x a..b\n"),
	                 TERN_ESYNTAX);
	check_err(c, 0, "test:1: $INCLUDE takes a file name and an optional origin");
	check_err(c, 1, "test:2: $INCLUDE takes a file name and an optional origin");
	check_err(c, 2, "test:3: bad $INCLUDE file name ''");
	check_err(c, 3, "test:4: bad $INCLUDE origin 'a..b' (invalid domain name)");
	free(c);

	/* from a string, a relative path is taken from the working directory */
	c = col_new();
	zp = opts(c);
	zp.allow_include = 1;
	assert_int_equal(parse_with(&zp, "$TTL 60\n$INCLUDE " ZDIR "include_sub.zone\n"), 0);
	assert_int_equal(c->n, 2);
	check_owner(&c->r[0], "x.example.com.");
	free(c);
}

static void test_include_blank_owner_scoped(void **state)
{
	struct col *c = col_new();
	tern_zparse zp = opts(c);
	zp.allow_include = 1;
	assert_int_equal(tern_zone_parse_file(&zp, ZDIR "blank_owner_include.zone"), TERN_ESYNTAX);
	assert_int_equal(c->nerr, 1);
	check_err(c, 0, ZDIR "blank_owner_sub.zone:1: no previous owner name");
	assert_int_equal(c->n, 2);
	check_a(&c->r[1], "top.example.com.", 60, 192, 0, 2, 2);
	free(c);
}

/* ---- $GENERATE ---- */

static void test_generate_basic(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "$TTL 77\n"
	                 "$GENERATE 1-3 host-$ A 192.0.2.$\n"
	                 "$GENERATE 10-20/5 h$ 60 IN CNAME t$.example.org.\n"
	                 "$GENERATE 7-7 @ IN 30 NS ns$\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 7);
	check_a(&c->r[0], "host-1.example.com.", 77, 192, 0, 2, 1);
	check_a(&c->r[2], "host-3.example.com.", 77, 192, 0, 2, 3);
	assert_int_equal(c->r[2].line, 2);
	uint8_t want[1024];
	size_t n = wire("t15.example.org.", want);
	check_owner(&c->r[4], "h15.example.com.");
	assert_int_equal(c->r[4].type, TERN_T_CNAME);
	assert_int_equal(c->r[4].ttl, 60);
	check_rd(&c->r[4], want, n);
	check_owner(&c->r[5], "h20.example.com.");
	check_owner(&c->r[6], "example.com.");
	assert_int_equal(c->r[6].ttl, 30);
	n = wire("ns7.example.com.", want);
	check_rd(&c->r[6], want, n);
	free(c);
}

static void test_generate_modifiers(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "$TTL 60\n"
	                 "$GENERATE 26-26 a${0} CNAME b${1,0,d}\n"
	                 "$GENERATE 26-26 c${0,4} CNAME d${-20,3,d}\n"
	                 "$GENERATE 26-26 e${0,0,x} CNAME f${0,4,X}\n"
	                 "$GENERATE 26-26 g${0,0,o} CNAME h${+1}\n"
	                 "$GENERATE 26-26 ${0,0,n} CNAME ${0,0,N}\n"
	                 "$GENERATE 26-26 ${0,5,n} CNAME ${0,3,n}\n"
	                 "$GENERATE 26-26 x\\$$$$ CNAME y$$\n");
	assert_int_equal(r, 0);
	assert_int_equal(c->nerr, 0);
	assert_int_equal(c->n, 7);
	const char *owners[] = { "a26.example.com.", "c0026.example.com.", "e1a.example.com.",
	                         "g32.example.com.", "a.1.example.com.", "a.1.0.example.com.",
	                         "x\\$$26.example.com." };
	const char *targets[] = { "b27.example.com.", "d006.example.com.", "f001A.example.com.",
	                          "h27.example.com.", "A.1.example.com.", "a.1.example.com.",
	                          "y$.example.com." };
	for (size_t i = 0; i < 7; i++) {
		uint8_t want[TERN_NAME_MAX];
		size_t n = wire(targets[i], want);
		check_owner(&c->r[i], owners[i]);
		check_rd(&c->r[i], want, n);
	}
	free(c);
}

static void test_generate_rhs_fields(void **state)
{
	struct col *c = col_new();
	/* a quoted rhs is expanded, then split into fields again */
	assert_int_equal(parse(c, "$GENERATE 1-2 m$ 60 MX \"1$ mail$\"\n"), 0);
	assert_int_equal(c->n, 2);
	uint8_t want[1024] = { 0, 12 };
	size_t n = 2 + wire("mail2.example.com.", want + 2);
	check_rd(&c->r[1], want, n);
	free(c);
}

static void test_generate_limits(void **state)
{
	struct col *c = col_new();
	assert_int_equal(parse(c, "$GENERATE 0-65535 h$ 60 A 192.0.2.1\n"), 0);
	assert_int_equal(c->n, 65536);
	assert_int_equal(c->nerr, 0);
	check_owner(&c->r[KEEP - 1], "h511.example.com.");
	free(c);

	c = col_new();
	int r = parse(c, "$GENERATE 0-65536 h$ 60 A 192.0.2.1\n"             /* 1 */
	                 "$GENERATE 5-1 h$ 60 A 192.0.2.1\n"                 /* 2 */
	                 "$GENERATE 1-5/0 h$ 60 A 192.0.2.1\n"               /* 3 */
	                 "$GENERATE a-b h$ 60 A 192.0.2.1\n"                 /* 4 */
	                 "$GENERATE 1-99999999999 h$ 60 A 192.0.2.1\n"       /* 5 */
	                 "$GENERATE 1-2 h${-5} 60 A 192.0.2.1\n"             /* 6 */
	                 "$GENERATE 1-2 h${0,x} 60 A 192.0.2.1\n"            /* 7 */
	                 "$GENERATE 1-2 h${0,1,q} 60 A 192.0.2.1\n"          /* 8 */
	                 "$GENERATE 1-2 h${0 60 A 192.0.2.1\n"               /* 9 */
	                 "$GENERATE 1-2 h$ 60 A\n"                           /* 10 */
	                 "$GENERATE 1-2 h${0,999} 60 A 192.0.2.1\n"          /* 11 */
	                 "$GENERATE 1-2 h$ 60 AAAAA 1\n"                     /* 12 */
	                 "$GENERATE 1-2 h$..x 60 A 192.0.2.1\n"              /* 13 */
	                 "$GENERATE 1-2 h$ 60 TXT \"(a\"\n"                 /* 14 */
	                 "$GENERATE 0-1/2 h$ 60 A 192.0.2.1\n"               /* 15: ok */
	                 "$GENERATE 0-0-1 h$ 60 A 192.0.2.1\n"               /* 16 */
	                 "$GENERATE 1-2 h$\n"                               /* 17 */
	                 "$GENERATE 1-2 h$ 60 TXT ( \"a\n"                  /* 18 */
	                 "b\" )\n");                                          /* 19 */
	assert_int_equal(r, TERN_ESYNTAX);
	const char *want[] = {
		"test:1: $GENERATE range '0-65536' has more than 65536 entries",
		"test:2: bad $GENERATE range '5-1'",
		"test:3: bad $GENERATE range '1-5/0'",
		"test:4: bad $GENERATE range 'a-b'",
		"test:5: bad $GENERATE range '1-99999999999'",
		"test:6: $GENERATE value is negative",
		"test:7: bad $GENERATE modifier (width is 0 to 255)",
		"test:8: bad $GENERATE modifier (base is d, o, x, X, n or N)",
		"test:9: bad $GENERATE modifier",
		"test:10: $GENERATE has no rhs",
		"test:11: bad $GENERATE modifier (width is 0 to 255)",
		"test:12: unknown RR type 'AAAAA'",
		"test:13: bad $GENERATE owner 'h1..x' (invalid domain name)",
		"test:14: bad $GENERATE rhs: unbalanced '(': not closed at end of file",
		"test:16: bad $GENERATE range '0-0-1'",
		"test:17: $GENERATE takes a range, lhs, [TTL] [class] type and rhs",
		"test:18: bad $GENERATE rhs: it holds a line break",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		check_err(c, i, want[i]);
	assert_int_equal(c->nerr, sizeof want / sizeof want[0]);
	assert_int_equal(c->n, 1);
	check_owner(&c->r[0], "h0.example.com.");
	free(c);
}

/* BIND refuses an iterator plus offset past 2^31-1 ("out of range"), as
 * does Knot; issue 10 item 16. */
static void test_generate_offset_overflow(void **state)
{
	struct col *c = col_new();
	int r = parse(c, "$GENERATE 1-2 host${2147483647} 60 A 192.0.2.1\n"
	                 "$GENERATE 1-2 h$ 60 TXT ${2147483647}\n"
	                 "$GENERATE 1-2 g${2147483645} 60 A 192.0.2.1\n"); /* 2147483647 at most: ok */
	assert_int_equal(r, TERN_ESYNTAX);
	check_err(c, 0, "test:1: $GENERATE value (iterator plus offset) is above 2147483647");
	check_err(c, 1, "test:2: $GENERATE value (iterator plus offset) is above 2147483647");
	assert_int_equal(c->nerr, 2);
	assert_int_equal(c->n, 2);
	check_owner(&c->r[1], "g2147483647.example.com.");
	free(c);
}

static void test_generate_expansion_bound(void **state)
{
	struct col *c = col_new();
	/* 300 copies of ${0,255} expand beyond the 64 KiB rhs limit */
	size_t cap = 300 * 12 + 100;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t o = (size_t)snprintf(text, cap, "$GENERATE 1-1 h 60 TXT ");
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(text + o, cap - o, "${0,255}");
	snprintf(text + o, cap - o, "\n");
	assert_int_equal(parse(c, text), TERN_ESYNTAX);
	check_err(c, 0, "test:1: $GENERATE expansion too long");
	assert_int_equal(c->nerr, 1);
	free(text);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owners),
		cmocka_unit_test(test_case_preserved),
		cmocka_unit_test(test_ttl_class_order),
		cmocka_unit_test(test_dollar_ttl),
		cmocka_unit_test(test_default_ttl_option),
		cmocka_unit_test(test_soa_minimum_ttl),
		cmocka_unit_test(test_no_ttl_error),
		cmocka_unit_test(test_default_class),
		cmocka_unit_test(test_parens_comments),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_quote_spans_lines_in_parens),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_no_final_newline_and_empty),
		cmocka_unit_test(test_rdata_forms),
		cmocka_unit_test(test_lex_errors),
		cmocka_unit_test(test_unterminated_quote_at_eof),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_too_many_tokens),
		cmocka_unit_test(test_rdata_too_long),
		cmocka_unit_test(test_huge_tokens),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_rdata_error_reported),
		cmocka_unit_test(test_no_previous_owner),
		cmocka_unit_test(test_no_origin),
		cmocka_unit_test(test_max_errors),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_parse_file_errors),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_depth),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_include_blank_owner_scoped),
		cmocka_unit_test(test_generate_basic),
		cmocka_unit_test(test_generate_modifiers),
		cmocka_unit_test(test_generate_rhs_fields),
		cmocka_unit_test(test_generate_limits),
		cmocka_unit_test(test_generate_expansion_bound),
		cmocka_unit_test(test_generate_offset_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
