/* svcb.c: the SvcParams of SVCB and HTTPS RDATA (RFC 9460 2.2, 7;
 * presentation format in appendix A): checked in wire form, printed the
 * way BIND and dig print them, and parsed from text in any key order into
 * the ascending order the wire requires. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lib/encoding.h"
#include "lib/rdata_impl.h"

enum { SVC_MANDATORY, SVC_ALPN, SVC_NODEFAULTALPN, SVC_PORT, SVC_IPV4HINT, SVC_ECH, SVC_IPV6HINT, SVC_DOHPATH };

static const char *const svc_names[] = {
	"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", "dohpath",
};
#define SVC_NNAMES (sizeof svc_names / sizeof svc_names[0])

/* "alpn", or "keyNNNNN" (no leading zeros; key65535 is reserved). */
static int svc_key_from_text(const char *s, size_t len, uint16_t *key)
{
	for (unsigned i = 0; i < SVC_NNAMES; i++) {
		if (strlen(svc_names[i]) == len && memcmp(svc_names[i], s, len) == 0) {
			*key = (uint16_t)i;
			return 0;
		}
	}
	uint64_t v = 0;
	if (len < 4 || memcmp(s, "key", 3) != 0 || (s[3] == '0' && len > 4) ||
	    tern_parse_uint(s + 3, len - 3, 65534, &v))
		return TERN_ESYNTAX;
	*key = (uint16_t)v;
	return 0;
}

static void tb_svc_key(tbuf *t, uint16_t key)
{
	if (key < SVC_NNAMES)
		tern_tb_puts(t, svc_names[key]);
	else
		tern_tb_printf(t, "key%u", key);
}

/* Checks SvcParams in wire form: complete, keys strictly ascending, values
 * of the known keys well formed, mandatory keys present (RFC 9460 8), and
 * no-default-alpn only with alpn (7.1.1). Returns 0 or TERN_EMALFORMED with
 * *why set. */
int tern_svc_check(const uint8_t *p, size_t n, const char **why)
{
	size_t i = 0, manoff = 0, manlen = 0;
	long last = -1;
	bool alpn = false, nodef = false;
	while (i < n) {
		if (n - i < 4) {
			*why = "truncated SvcParam";
			return TERN_EMALFORMED;
		}
		uint16_t key = tern_get_u16(p + i), len = tern_get_u16(p + i + 2);
		i += 4;
		if (n - i < len) {
			*why = "SvcParam value runs past the end";
			return TERN_EMALFORMED;
		}
		if ((long)key <= last) {
			*why = "SvcParam keys not in strictly ascending order";
			return TERN_EMALFORMED;
		}
		last = key;
		const uint8_t *v = p + i;
		bool ok = true;
		switch (key) {
		case SVC_MANDATORY:
			ok = len >= 2 && len % 2 == 0;
			for (size_t j = 0; ok && j < len; j += 2) {
				uint16_t mk = tern_get_u16(v + j);
				ok = mk != SVC_MANDATORY && (j == 0 || mk > tern_get_u16(v + j - 2));
			}
			manoff = i;
			manlen = len;
			break;
		case SVC_ALPN:
			ok = len > 0;
			for (size_t j = 0; ok && j < len; j += 1 + (size_t)v[j])
				ok = v[j] > 0 && v[j] < len - j;
			alpn = true;
			break;
		case SVC_NODEFAULTALPN: ok = len == 0; nodef = true; break;
		case SVC_PORT: ok = len == 2; break;
		case SVC_IPV4HINT: ok = len > 0 && len % 4 == 0; break;
		case SVC_IPV6HINT: ok = len > 0 && len % 16 == 0; break;
		case 65535: ok = false; break;
		}
		if (!ok) {
			*why = "malformed SvcParam value";
			return TERN_EMALFORMED;
		}
		i += len;
	}
	if (nodef && !alpn) {
		*why = "no-default-alpn without alpn";
		return TERN_EMALFORMED;
	}
	for (size_t j = 0; j < manlen; j += 2) {
		uint16_t mk = tern_get_u16(p + manoff + j);
		bool found = false;
		for (i = 0; i < n && !found; i += 4 + (size_t)tern_get_u16(p + i + 2))
			found = tern_get_u16(p + i) == mk;
		if (!found) {
			*why = "a mandatory SvcParam key is missing";
			return TERN_EMALFORMED;
		}
	}
	return 0;
}

static void tb_svc_value(tbuf *t, uint16_t key, const uint8_t *v, size_t len)
{
	char b[INET6_ADDRSTRLEN];
	switch (key) {
	case SVC_MANDATORY:
		for (size_t j = 0; j < len; j += 2) {
			if (j)
				tern_tb_putc(t, ',');
			tb_svc_key(t, tern_get_u16(v + j));
		}
		break;
	case SVC_ALPN:
		/* a value-list (A.1): ',' and '\' inside an id are escaped with
		 * '\' and the result is escaped again as a character-string */
		tern_tb_putc(t, '"');
		for (size_t j = 0; j < len; j += 1 + (size_t)v[j]) {
			if (j)
				tern_tb_putc(t, ',');
			for (size_t c = 1; c <= v[j]; c++) {
				uint8_t ch = v[j + c];
				if (ch == ',')
					tern_tb_puts(t, "\\\\,");
				else if (ch == '\\')
					tern_tb_puts(t, "\\\\\\\\");
				else if (ch == '"')
					tern_tb_puts(t, "\\\"");
				else if (ch < 0x20 || ch > 0x7e)
					tern_tb_printf(t, "\\%03u", ch);
				else
					tern_tb_putc(t, (char)ch);
			}
		}
		tern_tb_putc(t, '"');
		break;
	case SVC_PORT: tern_tb_printf(t, "%u", tern_get_u16(v)); break;
	case SVC_IPV4HINT:
	case SVC_IPV6HINT: {
		size_t w = key == SVC_IPV4HINT ? 4 : 16;
		for (size_t j = 0; j < len; j += w) {
			if (j)
				tern_tb_putc(t, ',');
			inet_ntop(w == 4 ? AF_INET : AF_INET6, v + j, b, sizeof b);
			tern_tb_puts(t, b);
		}
		break;
	}
	case SVC_ECH: tern_tb_base64(t, v, len, false); break;
	default: tern_tb_quoted(t, v, len); break;
	}
}

void tern_svc_to_text(struct walk *k)
{
	tbuf *t = &k->tb;
	size_t n = tern_rd_left(&k->in);
	const uint8_t *p = tern_rd_take(&k->in, n);
	const char *why;
	if (!p || tern_svc_check(p, n, &why)) {
		tern_rd_fail(&k->in, TERN_EMALFORMED);
		return;
	}
	if (n == 0)
		tern_tb_unsep(t);
	for (size_t i = 0; i < n;) {
		uint16_t key = tern_get_u16(p + i), len = tern_get_u16(p + i + 2);
		if (i)
			tern_tb_putc(t, ' ');
		tb_svc_key(t, key);
		if (len) { /* BIND prints an empty value as the bare key */
			tern_tb_putc(t, '=');
			tb_svc_value(t, key, p + i + 4, len);
		}
		i += 4 + (size_t)len;
	}
}

static void reverse(uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t c = a[i];
		a[i] = a[n - 1 - i];
		a[n - 1 - i] = c;
	}
}

/* Sorts the SvcParams in p[0..n) by key in place: a selection sort that
 * rotates the smallest remaining parameter to the front (RFC 9460 2.2:
 * keys in ascending order on the wire, whatever order the text had). */
static void svc_sort(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 4 + (size_t)tern_get_u16(p + i + 2)) {
		/* invariant: p[0..i) holds the smallest parameters, in order */
		size_t min = i;
		for (size_t j = i; j < n; j += 4 + (size_t)tern_get_u16(p + j + 2))
			if (tern_get_u16(p + j) < tern_get_u16(p + min))
				min = j;
		if (min != i) {
			size_t end = min + 4 + tern_get_u16(p + min + 2);
			reverse(p + i, min - i);
			reverse(p + min, end - min);
			reverse(p + i, end - i);
		}
	}
}

/* Splits the first-level-decoded value s at commas. With escapes (alpn,
 * A.1 value-list) '\' takes the next byte literally; items are written to
 * buf, NUL-free. Returns the next position after the item. */
static size_t svc_next_item(const uint8_t *s, size_t len, size_t i, bool escapes, uint8_t *buf, size_t cap,
                            size_t *n, bool *overflow)
{
	*n = 0;
	*overflow = false;
	for (; i < len && s[i] != ','; i++) {
		uint8_t c = s[i];
		if (escapes && c == '\\' && i + 1 < len)
			c = s[++i];
		if (*n < cap)
			buf[(*n)++] = c;
		else
			*overflow = true;
	}
	return i;
}

/* Encodes the value of one key (already character-string decoded into
 * s[0..len)) into k->out. Returns 0 or fails with a message. */
static int svc_value_from_text(struct walk *k, uint16_t key, const uint8_t *s, size_t len, const tern_token *t)
{
	char kb[16];
	if (key < SVC_NNAMES)
		snprintf(kb, sizeof kb, "%s", svc_names[key]);
	else
		snprintf(kb, sizeof kb, "key%u", key);
	uint8_t item[256];
	size_t n;
	bool over;
	switch (key) {
	case SVC_MANDATORY: {
		uint16_t keys[64];
		size_t nk = 0;
		for (size_t i = 0; i <= len; i++) {
			i = svc_next_item(s, len, i, false, item, sizeof item, &n, &over);
			uint16_t mk;
			if (over || svc_key_from_text((const char *)item, n, &mk))
				return tern_walk_fail(k, TERN_ESYNTAX, "bad key in SvcParam mandatory=%.*s", (int)len, (const char *)s);
			if (mk == SVC_MANDATORY)
				return tern_walk_fail(k, TERN_ESYNTAX, "SvcParam mandatory may not list itself");
			if (nk == sizeof keys / sizeof keys[0])
				return tern_walk_fail(k, TERN_ESYNTAX, "too many keys in SvcParam mandatory");
			size_t j = nk++;
			for (; j > 0 && keys[j - 1] > mk; j--) /* insertion sort */
				keys[j] = keys[j - 1];
			keys[j] = mk;
			if (j > 0 && keys[j - 1] == mk)
				return tern_walk_fail(k, TERN_ESYNTAX, "duplicate key in SvcParam mandatory");
		}
		for (size_t j = 0; j < nk; j++)
			tern_wr_u16(k->out, keys[j]);
		return 0;
	}
	case SVC_ALPN:
		for (size_t i = 0; i <= len; i++) {
			i = svc_next_item(s, len, i, true, item, 255, &n, &over);
			if (over || n == 0)
				return tern_walk_fail(k, TERN_ESYNTAX, "bad SvcParam alpn value " TOKF, TOKA(t));
			tern_wr_u8(k->out, (uint8_t)n);
			tern_wr_bytes(k->out, item, n);
		}
		return 0;
	case SVC_NODEFAULTALPN:
		if (len)
			return tern_walk_fail(k, TERN_ESYNTAX, "SvcParam no-default-alpn takes no value");
		return 0;
	case SVC_PORT: {
		uint64_t v = 0;
		if (tern_parse_uint((const char *)s, len, 65535, &v))
			return tern_walk_fail(k, TERN_ESYNTAX, "bad SvcParam port " TOKF, TOKA(t));
		tern_wr_u16(k->out, (uint16_t)v);
		return 0;
	}
	case SVC_IPV4HINT:
	case SVC_IPV6HINT: {
		int af = key == SVC_IPV4HINT ? AF_INET : AF_INET6;
		for (size_t i = 0; i <= len; i++) {
			i = svc_next_item(s, len, i, false, item, 64, &n, &over);
			char a[65];
			uint8_t bin[16];
			if (over || !tern_token_cstr((const char *)item, n, a, sizeof a) || inet_pton(af, a, bin) != 1)
				return tern_walk_fail(k, TERN_ESYNTAX, "bad address in SvcParam %s " TOKF, kb, TOKA(t));
			tern_wr_bytes(k->out, bin, af == AF_INET ? 4 : 16);
		}
		return 0;
	}
	case SVC_ECH: {
		tern_b64dec d;
		tern_b64dec_init(&d);
		if (tern_b64dec_feed(&d, (const char *)s, len, k->out) == TERN_ESYNTAX || tern_b64dec_finish(&d))
			return tern_walk_fail(k, TERN_ESYNTAX, "bad base64 in SvcParam ech");
		return 0;
	}
	default: tern_wr_bytes(k->out, s, len); return 0;
	}
}

int tern_svc_from_text(struct walk *k)
{
	tern_wr *w = k->out;
	size_t start = w->pos;
	/* One scratch for a decoded value; parameters larger than this are
	 * refused (RFC 9460 values are small in practice). */
	uint8_t sc[4096];
	while (k->ti < k->ntok) {
		const tern_token *t = &k->tok[k->ti++];
		const char *eq = memchr(t->p, '=', t->len);
		size_t klen = eq ? (size_t)(eq - t->p) : t->len;
		const char *v = eq ? eq + 1 : NULL;
		size_t vlen = eq ? t->len - klen - 1 : 0;
		const tern_token *vt = t;
		/* key="a b": the lexer hands over 'key=' and then the quoted value */
		if (eq && vlen == 0 && k->ti < k->ntok && k->tok[k->ti].quoted) {
			vt = &k->tok[k->ti++];
			v = vt->p;
			vlen = vt->len;
		} else if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		uint16_t key;
		if (svc_key_from_text(t->p, klen, &key))
			return tern_walk_fail(k, TERN_ESYNTAX, "unknown SvcParam key '%.*s'", (int)(klen > 40 ? 40 : klen), t->p);
		/* ech and dohpath may be empty on the wire, which prints as the
		 * bare key (as BIND does): accept that back (fuzz finding,
		 * fuzz/corpus/rdata/crash-svcb-empty-ech) */
		if (!eq && key != SVC_NODEFAULTALPN && key != SVC_ECH && key != SVC_DOHPATH && key < SVC_NNAMES)
			return tern_walk_fail(k, TERN_ESYNTAX, "SvcParam %s needs a value", svc_names[key]);
		tern_wr sw;
		tern_wr_init(&sw, sc, sizeof sc);
		long n = v ? tern_unescape(v, vlen, &sw, sizeof sc) : 0;
		if (n < 0)
			return tern_walk_fail(k, TERN_ESYNTAX, "bad SvcParam value " TOKF, TOKA(vt));
		tern_wr_u16(w, key);
		size_t lenpos = w->pos;
		tern_wr_u16(w, 0);
		int rc = svc_value_from_text(k, key, sc, (size_t)n, vt);
		if (rc)
			return rc;
		if (w->err)
			return w->err;
		if (w->pos - lenpos - 2 > 65535)
			return tern_walk_fail(k, TERN_ERANGE, "SvcParam value too long");
		tern_put_u16(w->p + lenpos, (uint16_t)(w->pos - lenpos - 2));
	}
	uint8_t *p = w->p + start;
	size_t n = w->pos - start;
	svc_sort(p, n);
	for (size_t i = 0; i < n;) {
		size_t next = i + 4 + tern_get_u16(p + i + 2);
		if (next < n && tern_get_u16(p + next) == tern_get_u16(p + i)) {
			char kb[16];
			tbuf t = {kb, sizeof kb, 0, 0};
			tb_svc_key(&t, tern_get_u16(p + i));
			kb[t.pos] = '\0';
			return tern_walk_fail(k, TERN_ESYNTAX, "duplicate SvcParam key '%s'", kb);
		}
		i = next;
	}
	const char *why;
	if (tern_svc_check(p, n, &why))
		return tern_walk_fail(k, TERN_ESYNTAX, "%s", why);
	return 0;
}
