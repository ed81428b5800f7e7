/* rdtext.c: the text side shared by the RDATA code (rdata.c, svcb.c,
 * loc.c): a bounded output buffer for presentation format, strict decimal
 * numbers, RFC 1035 5.1 escapes, and the walker's error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/encoding.h"
#include "lib/rdata_impl.h"

/* ---- text output buffer ---- */

char *tern_tb_take(tbuf *t, size_t n)
{
	if (t->err || t->cap - t->pos <= n) {
		t->err = TERN_ESPACE;
		return NULL;
	}
	char *q = t->p + t->pos;
	t->pos += n;
	return q;
}

void tern_tb_put(tbuf *t, const char *s, size_t n)
{
	char *q = tern_tb_take(t, n);
	if (q && n)
		memcpy(q, s, n);
}

void tern_tb_puts(tbuf *t, const char *s)
{
	tern_tb_put(t, s, strlen(s));
}

void tern_tb_putc(tbuf *t, char c)
{
	tern_tb_put(t, &c, 1);
}

void tern_tb_printf(tbuf *t, const char *fmt, ...)
{
	if (t->err)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->p + t->pos, t->cap - t->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->pos)
		t->err = TERN_ESPACE;
	else
		t->pos += (size_t)n;
}

/* Takes back the separator the walker wrote before a field that printed
 * nothing (an empty bitmap, key or SvcParams). */
void tern_tb_unsep(tbuf *t)
{
	if (!t->err && t->pos && t->p[t->pos - 1] == ' ')
		t->pos--;
}

/* A <character-string> the way dig prints it: quoted, '"' and '\' escaped,
 * bytes outside 0x20..0x7e as \DDD. */
void tern_tb_quoted(tbuf *t, const uint8_t *s, size_t n)
{
	tern_tb_putc(t, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			tern_tb_put(t, e, 2);
		} else if (c < 0x20 || c > 0x7e) {
			tern_tb_printf(t, "\\%03u", c);
		} else {
			tern_tb_putc(t, (char)c);
		}
	}
	tern_tb_putc(t, '"');
}

/* dig splits long hex and base64 fields into words of 56 characters
 * (its default +split), separated by single spaces on one line. */
#define SPLIT 56

void tern_tb_hex(tbuf *t, const uint8_t *s, size_t n, bool split)
{
	size_t step = split ? SPLIT / 2 : n;
	for (size_t i = 0; i < n; i += step) {
		size_t c = n - i < step ? n - i : step;
		char *q = tern_tb_take(t, 2 * c + (i ? 1 : 0));
		if (!q)
			return;
		if (i)
			*q++ = ' ';
		tern_hex_encode(s + i, c, q);
	}
}

void tern_tb_base64(tbuf *t, const uint8_t *s, size_t n, bool split)
{
	size_t step = split ? SPLIT / 4 * 3 : n;
	for (size_t i = 0; i < n; i += step) {
		size_t c = n - i < step ? n - i : step;
		char *q = tern_tb_take(t, (c + 2) / 3 * 4 + (i ? 1 : 0));
		if (!q)
			return;
		if (i)
			*q++ = ' ';
		tern_b64_encode(s + i, c, q);
	}
}

void tern_tb_name(tbuf *t, const uint8_t *name)
{
	if (t->err)
		return;
	int n = tern_name_to_text(name, t->p + t->pos, t->cap - t->pos);
	if (n < 0 || (size_t)n >= t->cap - t->pos)
		t->err = TERN_ESPACE;
	else
		t->pos += (size_t)n;
}

void tern_tb_type(tbuf *t, uint16_t type)
{
	char b[16];
	(void)tern_type_to_text(type, b, sizeof b);
	tern_tb_puts(t, b);
}

/* ---- errors ---- */

int tern_walk_fail(struct walk *k, int rc, const char *fmt, ...)
{
	if (k->err && k->errcap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(k->err, k->errcap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- numbers and text decoding ---- */

/* Strict unsigned decimal: digits only, at least one, value <= max.
 * Returns 0, TERN_ESYNTAX or TERN_ERANGE. */
int tern_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	bool over = false;
	if (len == 0)
		return TERN_ESYNTAX;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TERN_ESYNTAX;
		if (!over) {
			n = n * 10 + (uint64_t)(s[i] - '0');
			over = n > max;
		}
	}
	if (over)
		return TERN_ERANGE;
	*v = n;
	return 0;
}

/* Interprets the RFC 1035 5.1 escapes of a raw token (\DDD with DDD <= 255,
 * and \X for any other X) into at most max bytes written to w. Returns the
 * decoded length, TERN_ESYNTAX for a bad escape or TERN_ERANGE if longer
 * than max. */
long tern_unescape(const char *s, size_t len, tern_wr *w, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)s[i];
		if (c == '\\') {
			if (++i == len)
				return TERN_ESYNTAX;
			if (s[i] >= '0' && s[i] <= '9') {
				if (len - i < 3 || s[i + 1] < '0' || s[i + 1] > '9' || s[i + 2] < '0' || s[i + 2] > '9')
					return TERN_ESYNTAX;
				c = (unsigned)(s[i] - '0') * 100 + (unsigned)(s[i + 1] - '0') * 10 + (unsigned)(s[i + 2] - '0');
				if (c > 255)
					return TERN_ESYNTAX;
				i += 2;
			} else {
				c = (unsigned char)s[i];
			}
		}
		if (n == max)
			return TERN_ERANGE;
		if (w)
			tern_wr_u8(w, (uint8_t)c);
		n++;
	}
	return (long)n;
}

/* A token as a NUL-terminated string for inet_pton and friends. */
bool tern_token_cstr(const char *s, size_t len, char *buf, size_t cap)
{
	if (len >= cap)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}
