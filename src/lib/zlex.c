/* zlex.c: the table-driven master-file lexer (RFC 1035 section 5.1) that
 * zonefile.c runs over a whole file held in memory. See zlex.h.
 *
 * Most lines of a big zone are simple: a few tokens separated by blanks,
 * then a newline. Such a line is split from bit masks (simple_entry, one
 * SSE2 pass over up to 64 bytes); anything else (quotes, parentheses, a
 * comment, an escape, a control byte, a long line, the end of the text)
 * goes through the general loop, which decides and reports. */
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "lib/zlex.h"

/* Character classes outside quotes; 0 is an ordinary token byte. */
enum { C_TOK = 0, C_BLANK, C_NL, C_SEMI, C_QUOTE, C_LPAREN, C_RPAREN, C_ESC, C_NUL };

static const uint8_t cls[256] = {
	[0] = C_NUL,     [' '] = C_BLANK,  ['\t'] = C_BLANK, ['\r'] = C_BLANK,
	['\n'] = C_NL,   [';'] = C_SEMI,   ['"'] = C_QUOTE,  ['('] = C_LPAREN,
	[')'] = C_RPAREN, ['\\'] = C_ESC,
};

/* Inside quotes only these bytes stop the scan. */
static const uint8_t qstop[256] = {
	[0] = 1, ['"'] = 1, ['\\'] = 1, ['\n'] = 1,
};

void tern_zlex_init(tern_zlex *lx, const char *text, size_t len, unsigned line)
{
	lx->p = text;
	lx->end = text + len;
	lx->line = line;
}

static void fail(tern_zentry *e, const char *msg, unsigned line)
{
	if (!e->err) {
		e->err = msg;
		e->errline = line;
	}
}

static void add(tern_zentry *e, const char *p, size_t len, int quoted, unsigned line)
{
	if (e->ntok == e->cap) {
		fail(e, "too many tokens in one record (more than 1024)", line);
		return;
	}
	e->tok[e->ntok] = (tern_token){ .p = p, .len = len, .quoted = quoted };
	e->tokline[e->ntok] = line;
	e->ntok++;
}

#if defined(__SSE2__)
/* A simple entry at s: up to 64 bytes of blanks (' ', '\t', '\r') and
 * token bytes, up to a '\n'. Fills e and returns the length with the
 * newline, or 0 if the entry is not that simple (e is left alone). Reads
 * only whole 16-byte blocks before end. */
static size_t simple_entry(const uint8_t *s, const uint8_t *end, unsigned line, tern_zentry *e)
{
	uint64_t blank = 0, special = 0;
	size_t avail = (size_t)(end - s);
	for (unsigned k = 0; k < 4 && avail >= 16 * (k + 1); k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + 16 * k));
		__m128i bl = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
		                          _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
		                                       _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
		/* bytes below 0x20 (newline, NUL, control bytes) and the
		 * delimiters; blanks are taken out again below */
		__m128i sp = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
		sp = _mm_or_si128(sp, _mm_cmpeq_epi8(v, _mm_set1_epi8(';')));
		sp = _mm_or_si128(sp, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
		sp = _mm_or_si128(sp, _mm_cmpeq_epi8(v, _mm_set1_epi8('(')));
		sp = _mm_or_si128(sp, _mm_cmpeq_epi8(v, _mm_set1_epi8(')')));
		sp = _mm_or_si128(sp, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
		sp = _mm_andnot_si128(bl, sp);
		blank |= (uint64_t)(unsigned)_mm_movemask_epi8(bl) << (16 * k);
		special |= (uint64_t)(unsigned)_mm_movemask_epi8(sp) << (16 * k);
		if (special)
			break;
	}
	if (!special)
		return 0; /* no end of line in sight */
	unsigned nl = (unsigned)__builtin_ctzll(special);
	if (s[nl] != '\n')
		return 0;
	uint64_t tok = ~blank & ((1ull << nl) - 1); /* bit nl is clear, nl < 64 */
	tern_token *tv = e->tok;
	unsigned *tl = e->tokline;
	size_t nt = 0;
	while (tok) {
		unsigned a = (unsigned)__builtin_ctzll(tok);
		unsigned b = (unsigned)__builtin_ctzll(~tok & (~0ull << a));
		if (nt == e->cap)
			return 0; /* too many tokens: let the general loop say so */
		tv[nt].p = (const char *)s + a;
		tv[nt].len = b - a;
		tv[nt].quoted = 0;
		tl[nt] = line;
		nt++;
		tok &= ~0ull << b;
	}
	e->ntok = nt;
	e->blank = (int)(blank & 1);
	return nl + 1;
}
#endif

int tern_zlex_entry(tern_zlex *lx, tern_zentry *e)
{
	const uint8_t *s = (const uint8_t *)lx->p;
	const uint8_t *end = (const uint8_t *)lx->end;
	unsigned line = lx->line, open_line = 0;
	int paren = 0;

	e->ntok = 0;
	e->err = NULL;
	e->errline = 0;
	e->line = line;
	if (s >= end)
		return 0;
#if defined(__SSE2__)
	size_t n = simple_entry(s, end, line, e);
	if (n) {
		lx->p = (const char *)s + n;
		lx->line = line + 1;
		return 1;
	}
#endif
	/* RFC 1035 5.1: an entry starting with a blank has no owner field. */
	e->blank = cls[*s] == C_BLANK;

	for (;;) {
		switch (cls[*s]) {
		case C_BLANK:
			s++;
			break;
		case C_NL:
			s++;
			line++;
			if (!paren)
				goto done;
			break;
		case C_SEMI: /* a comment runs to the end of the line */
			for (;;) {
				while (*s != '\n' && *s != '\0')
					s++;
				if (*s == '\n' || s >= end)
					break;
				fail(e, "NUL byte in zone file", line);
				s++;
			}
			break;
		case C_NUL:
			if (s >= end)
				goto eof;
			fail(e, "NUL byte in zone file", line);
			s++;
			break;
		case C_LPAREN:
			if (paren)
				fail(e, "nested '('", line);
			else
				open_line = line;
			paren = 1;
			s++;
			break;
		case C_RPAREN:
			if (!paren)
				fail(e, "unbalanced ')'", line);
			paren = 0;
			s++;
			break;
		case C_QUOTE: {
			const uint8_t *start = ++s;
			unsigned qline = line;
			for (;;) {
				while (!qstop[*s])
					s++;
				if (*s == '"') {
					add(e, (const char *)start, (size_t)(s - start), 1, qline);
					s++;
					break;
				}
				if (*s == '\\') {
					/* \X: X is taken as is, except that a newline
					 * or the end still ends the quote below. */
					s++;
					if (*s != '\n' && *s != '\0')
						s++;
					continue;
				}
				if (*s == '\n' && paren) {
					s++;
					line++;
					continue;
				}
				if (*s == '\0' && s < end) {
					fail(e, "NUL byte in zone file", line);
					s++;
					continue;
				}
				/* BIND rejects a quote left open at the end of a
				 * line outside parentheses; so do we. */
				fail(e, "unterminated quoted string", qline);
				break;
			}
			break;
		}
		default: { /* C_TOK or C_ESC: an unquoted token */
			const uint8_t *start = s;
			unsigned tline = line;
			for (;;) {
				while (cls[*s] == C_TOK)
					s++;
				if (*s != '\\')
					break;
				s++;
				if (*s == '\n' || (*s == '\r' && s[1] == '\n')) {
					fail(e, "backslash at end of line", line);
					break;
				}
				if (*s == '\0') {
					if (s >= end)
						fail(e, "backslash at end of file", line);
					break; /* a NUL is reported by the main loop */
				}
				s++;
			}
			add(e, (const char *)start, (size_t)(s - start), 0, tline);
			break;
		}
		}
	}
eof:
	if (paren)
		fail(e, "unbalanced '(': not closed at end of file", open_line);
done:
	lx->p = (const char *)s;
	lx->line = line;
	return 1;
}
