/* name.c: domain names in uncompressed wire form: decompression from
 * packets (with all the checks untrusted input needs), compression on
 * output, presentation text in both directions, comparison and hashing. */
#include <stdio.h>
#include <string.h>

#include "tern/name.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* RFC 1035 4.1.4. A pointer must point strictly before the previous pointer's
 * target (or before the first pointer itself): targets strictly decrease, so
 * any chain ends, and a loop or a forward pointer is rejected at once. */
int tern_rd_name(tern_rd *r, uint8_t out[TERN_NAME_MAX], size_t *outlen)
{
	if (r->err)
		return r->err;
	size_t pos = r->pos, n = 0, resume = 0, limit = r->pos;
	int jumped = 0;
	for (;;) {
		if (pos >= r->len)
			goto malformed;
		uint8_t c = r->p[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= r->len)
				goto malformed;
			size_t target = (size_t)(c & 0x3f) << 8 | r->p[pos + 1];
			if (target >= limit)
				goto bad_name;
			if (!jumped)
				resume = pos + 2;
			jumped = 1;
			limit = target;
			pos = target;
			continue;
		}
		if (c & 0xc0) /* 0x40 and 0x80: extended/reserved label types */
			goto bad_name;
		if (n + 1 + c > TERN_NAME_MAX)
			goto bad_name;
		if (c == 0) {
			out[n++] = 0;
			break;
		}
		if (pos + 1 + c > r->len)
			goto malformed;
		memcpy(out + n, r->p + pos, 1 + (size_t)c);
		n += 1 + (size_t)c;
		pos += 1 + (size_t)c;
		if (n >= TERN_NAME_MAX) /* no room left for the root label */
			goto bad_name;
	}
	r->pos = jumped ? resume : pos + 1;
	*outlen = n;
	return 0;
malformed:
	tern_rd_fail(r, TERN_EMALFORMED);
	return r->err;
bad_name:
	tern_rd_fail(r, TERN_ENAME);
	return r->err;
}

size_t tern_name_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += 1 + *p;
	return (size_t)(p - name) + 1;
}

unsigned tern_name_labels(const uint8_t *name)
{
	unsigned n = 0;
	for (const uint8_t *p = name; *p; p += 1 + *p)
		n++;
	return n;
}

bool tern_name_eq(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		uint8_t len = *a;
		if (len == 0)
			return true;
		for (uint8_t i = 1; i <= len; i++)
			if (lower(a[i]) != lower(b[i]))
				return false;
		a += 1 + len;
		b += 1 + len;
	}
}

/* Compares one name in our own message (which may be compressed; it was
 * written by us, so it is trusted) with an uncompressed name. */
static bool msg_name_eq(const uint8_t *msg, size_t off, const uint8_t *name)
{
	for (;;) {
		uint8_t c = msg[off];
		if ((c & 0xc0) == 0xc0) {
			off = (size_t)(c & 0x3f) << 8 | msg[off + 1];
			continue;
		}
		if (c != *name)
			return false;
		if (c == 0)
			return true;
		for (uint8_t i = 1; i <= c; i++)
			if (lower(msg[off + i]) != lower(name[i]))
				return false;
		off += 1 + (size_t)c;
		name += 1 + c;
	}
}

int tern_wr_name(tern_wr *w, tern_ctab *ct, const uint8_t *name)
{
	if (w->err)
		return w->err;
	size_t len = tern_name_len(name);
	size_t prefix = len - 1; /* bytes to write before the pointer or root */
	int ptr = -1;
	if (ct) {
		/* Longest suffix already in the message wins: try suffixes from
		 * the whole name down to the last label. */
		for (size_t i = 0; name[i] && ptr < 0; i += 1 + name[i]) {
			for (unsigned k = 0; k < ct->n; k++) {
				if (msg_name_eq(w->p, ct->off[k], name + i)) {
					ptr = ct->off[k];
					prefix = i;
					break;
				}
			}
		}
	}
	size_t need = prefix + (ptr >= 0 ? 2 : 1);
	uint8_t *q = tern_wr_take(w, need);
	if (!q)
		return w->err;
	size_t start = (size_t)(q - w->p);
	memcpy(q, name, prefix);
	if (ptr >= 0)
		tern_put_u16(q + prefix, (uint16_t)(0xc000 | ptr));
	else
		q[prefix] = 0;
	if (ct) {
		for (size_t i = 0; i < prefix; i += 1 + name[i]) {
			if (ct->n >= TERN_CTAB_MAX || start + i >= 0x4000)
				break;
			ct->off[ct->n++] = (uint16_t)(start + i);
		}
	}
	return 0;
}

/* RFC 1035 5.1: \X is X, \DDD is the byte with decimal value DDD. */
int tern_name_from_text(const char *s, size_t len, const uint8_t *origin, uint8_t out[TERN_NAME_MAX],
                        size_t *outlen)
{
	if (len == 0)
		return TERN_ESYNTAX;
	if (len == 1 && s[0] == '@') {
		if (!origin)
			return TERN_ENAME;
		*outlen = tern_name_len(origin);
		memcpy(out, origin, *outlen);
		return 0;
	}
	if (len == 1 && s[0] == '.') {
		out[0] = 0;
		*outlen = 1;
		return 0;
	}
	size_t n = 0;       /* bytes written */
	size_t lab = 0;     /* offset of the current label's length byte */
	int absolute = 0;
	out[0] = 0;
	n = 1;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '.') {
			if (n - lab - 1 == 0) /* empty label */
				return TERN_ENAME;
			if (i == len - 1) {
				absolute = 1;
				break;
			}
			if (n >= TERN_NAME_MAX)
				return TERN_ENAME;
			lab = n;
			out[n++] = 0;
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= len)
				return TERN_ESYNTAX;
			if (s[i + 1] >= '0' && s[i + 1] <= '9') {
				if (i + 3 >= len) /* \DDD needs three digits */
					return TERN_ESYNTAX;
				int v = 0;
				for (int d = 1; d <= 3; d++) {
					char ch = s[i + (size_t)d];
					if (ch < '0' || ch > '9')
						return TERN_ESYNTAX;
					v = v * 10 + (ch - '0');
				}
				if (v > 255)
					return TERN_ESYNTAX;
				c = (uint8_t)v;
				i += 3;
			} else {
				c = (uint8_t)s[++i];
			}
		}
		if (n - lab - 1 >= TERN_LABEL_MAX || n >= TERN_NAME_MAX - 1)
			return TERN_ENAME;
		out[n++] = c;
		out[lab]++;
	}
	/* n bytes hold the labels; terminate */
	if (absolute || !origin) {
		if (!absolute)
			return TERN_ENAME; /* relative name with no origin */
		if (n + 1 > TERN_NAME_MAX)
			return TERN_ENAME;
		out[n++] = 0;
		*outlen = n;
		return 0;
	}
	size_t olen = tern_name_len(origin);
	if (n + olen > TERN_NAME_MAX)
		return TERN_ENAME;
	memcpy(out + n, origin, olen);
	*outlen = n + olen;
	return 0;
}

int tern_name_to_text(const uint8_t *name, char *buf, size_t cap)
{
	size_t n = 0;
#define PUT(ch)                          \
	do {                             \
		if (n + 1 >= cap)        \
			goto nospace;    \
		buf[n++] = (char)(ch);   \
	} while (0)
	if (name[0] == 0)
		PUT('.');
	for (const uint8_t *p = name; *p; p += 1 + *p) {
		for (uint8_t i = 1; i <= *p; i++) {
			uint8_t c = p[i];
			if (c < 0x21 || c > 0x7e) {
				if (n + 4 >= cap)
					goto nospace;
				n += (size_t)snprintf(buf + n, cap - n, "\\%03u", c);
				continue;
			}
			if (strchr(".\\\"();@$", c))
				PUT('\\');
			PUT(c);
		}
		PUT('.');
	}
	buf[n] = 0;
	return (int)n;
#undef PUT
nospace:
	if (cap)
		buf[cap - 1] = 0;
	return TERN_ESPACE;
}

/* RFC 4034 6.1: compare label by label from the root, each label as
 * lower-cased bytes, a shorter label sorting first when one is a prefix. */
int tern_name_cmp(const uint8_t *a, const uint8_t *b)
{
	const uint8_t *la[128], *lb[128];
	int na = 0, nb = 0;
	for (const uint8_t *p = a; *p; p += 1 + *p)
		la[na++] = p;
	for (const uint8_t *p = b; *p; p += 1 + *p)
		lb[nb++] = p;
	while (na > 0 && nb > 0) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		unsigned lx = x[0], ly = y[0], m = lx < ly ? lx : ly;
		for (unsigned i = 1; i <= m; i++) {
			uint8_t cx = lower(x[i]), cy = lower(y[i]);
			if (cx != cy)
				return cx < cy ? -1 : 1;
		}
		if (lx != ly)
			return lx < ly ? -1 : 1;
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

bool tern_name_is_sub(const uint8_t *name, const uint8_t *parent)
{
	size_t nl = tern_name_len(name), pl = tern_name_len(parent);
	const uint8_t *p = name;
	while (nl > pl) {
		nl -= 1 + (size_t)*p;
		p += 1 + *p;
	}
	return nl == pl && tern_name_eq(p, parent);
}

void tern_name_lower(uint8_t *dst, const uint8_t *src)
{
	size_t len = tern_name_len(src);
	for (size_t i = 0; i < len;) {
		uint8_t l = src[i];
		dst[i] = l;
		for (uint8_t k = 1; k <= l; k++)
			dst[i + k] = lower(src[i + k]);
		i += 1 + (size_t)l;
	}
}

int tern_name_concat(const uint8_t *prefix, size_t plen, const uint8_t *suffix, uint8_t out[TERN_NAME_MAX],
                     size_t *outlen)
{
	size_t sl = tern_name_len(suffix);
	if (plen + sl > TERN_NAME_MAX)
		return TERN_ENAME;
	memmove(out + plen, suffix, sl);
	memmove(out, prefix, plen);
	*outlen = plen + sl;
	return 0;
}

uint32_t tern_name_hash(const uint8_t *name)
{
	uint32_t h = 2166136261u;
	size_t len = tern_name_len(name);
	for (size_t i = 0; i < len; i++) {
		h ^= lower(name[i]);
		h *= 16777619u;
	}
	return h;
}
