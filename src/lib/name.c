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
	const uint8_t *p = r->p;
	size_t pos = r->pos, n = 0, resume = 0, limit = r->pos;
	if (pos < r->len && p[pos] == 0) { /* the root (an OPT's owner) */
		out[0] = 0;
		*outlen = 1;
		r->pos = pos + 1;
		return 0;
	}
	int jumped = 0;
	for (;;) {
		/* a run of plain labels, checked, then copied in one piece */
		size_t start = pos, n0 = n;
		uint8_t c;
		for (;;) {
			if (pos >= r->len)
				goto malformed;
			c = p[pos];
			if (c == 0 || (c & 0xc0))
				break;
			if (n + 1 + c > TERN_NAME_MAX)
				goto bad_name;
			if (pos + 1 + c > r->len)
				goto malformed;
			n += 1 + (size_t)c;
			pos += 1 + (size_t)c;
			if (n >= TERN_NAME_MAX) /* no room left for the root label */
				goto bad_name;
		}
		if (pos > start)
			memcpy(out + n0, p + start, pos - start);
		if (c == 0) {
			out[n++] = 0;
			break;
		}
		if ((c & 0xc0) != 0xc0) /* 0x40 and 0x80: extended/reserved label types */
			goto bad_name;
		if (pos + 1 >= r->len)
			goto malformed;
		size_t target = (size_t)(c & 0x3f) << 8 | p[pos + 1];
		if (target >= limit)
			goto bad_name;
		if (!jumped)
			resume = pos + 2;
		jumped = 1;
		limit = target;
		pos = target;
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


static inline uint64_t load8(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t load4x2(const uint8_t *p, unsigned n) /* 4 <= n <= 8 */
{
	uint32_t a, b;
	memcpy(&a, p, 4);
	memcpy(&b, p + n - 4, 4);
	return a | (uint64_t)b << 32;
}

/* Case-insensitive equality of two labels' bytes (n bytes each), a word at
 * a time; the words overlap rather than read past the labels. */
static inline bool label_eq(const uint8_t *a, const uint8_t *b, unsigned n)
{
	uint64_t x, y;
	if (n > 8) {
		for (unsigned i = 0; i + 8 < n; i += 8) {
			x = load8(a + i);
			y = load8(b + i);
			if (x != y && tern_fold8(x) != tern_fold8(y))
				return false;
		}
		x = load8(a + n - 8);
		y = load8(b + n - 8);
	} else if (n >= 4) {
		x = load4x2(a, n);
		y = load4x2(b, n);
	} else if (n) {
		x = a[0] | (uint64_t)a[n / 2] << 8 | (uint64_t)a[n - 1] << 16;
		y = b[0] | (uint64_t)b[n / 2] << 8 | (uint64_t)b[n - 1] << 16;
	} else {
		return true;
	}
	return x == y || tern_fold8(x) == tern_fold8(y);
}

/* The compression table is a tree of the labels written so far: entry k is
 * the label at off[k] followed by the name of entry parent[k] (or by the
 * root, TERN_CTAB_ROOT). Every suffix the message holds in full is one
 * entry, so the longest suffix of a name already present is found by
 * matching the name's labels from the right, one tree level per label,
 * without following pointers in the message. A (parent, label) pair is
 * never entered twice (it would have been matched), so the match is the
 * same pointer the flat search over every earlier name would pick. */
int tern_wr_name(tern_wr *w, tern_ctab *ct, const uint8_t *name)
{
	if (w->err)
		return w->err;
	uint8_t lab[TERN_NAME_MAX / 2 + 1]; /* label offsets: at most 127 labels */
	unsigned nl = 0;
	size_t i = 0;
	while (name[i]) {
		lab[nl++] = (uint8_t)i;
		i += 1 + (size_t)name[i];
	}
	size_t len = i + 1;
	unsigned keep = nl; /* labels written literally: [0, keep) */
	unsigned e = TERN_CTAB_ROOT; /* the entry for the suffix from label keep */
	if (ct) {
		while (keep > 0) {
			const uint8_t *l = name + lab[keep - 1];
			unsigned k = 0;
			for (; k < ct->n; k++) {
				if (ct->parent[k] != e)
					continue;
				const uint8_t *m = w->p + ct->off[k];
				if (m[0] == l[0] && label_eq(m + 1, l + 1, l[0]))
					break;
			}
			if (k == ct->n)
				break;
			e = k;
			keep--;
		}
	}
	size_t prefix = keep < nl ? lab[keep] : len - 1; /* bytes before the pointer or root */
	size_t need = prefix + (e != TERN_CTAB_ROOT ? 2 : 1);
	uint8_t *q = tern_wr_take(w, need);
	if (!q)
		return w->err;
	size_t start = (size_t)(q - w->p);
	memcpy(q, name, prefix);
	if (e != TERN_CTAB_ROOT)
		tern_put_u16(q + prefix, (uint16_t)(0xc000 | ct->off[e]));
	else
		q[prefix] = 0;
	if (ct) {
		/* the new labels, rightmost first, so a parent is always entered
		 * before its child */
		while (keep > 0) {
			size_t off = start + lab[--keep];
			if (ct->n >= TERN_CTAB_MAX || off >= 0x4000)
				break;
			ct->off[ct->n] = (uint16_t)off;
			ct->parent[ct->n] = (uint8_t)e;
			e = ct->n++;
		}
	}
	return 0;
}

/* Bytes that end a run of plain label bytes in presentation text. */
static const uint8_t name_special[256] = {['.'] = 1, ['\\'] = 1};

/* RFC 1035 5.1: \X is X, \DDD is the byte with decimal value DDD. Writes
 * the wire form in one pass: runs of plain bytes are copied, and a label's
 * length byte is filled in when the label ends. */
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
	size_t n = 1;   /* bytes written */
	size_t lab = 0; /* offset of the current label's length byte */
	size_t i = 0;
	int absolute = 0;
	for (;;) {
		/* a byte may be written while n < lim: 63 per label, and the
		 * name keeps room for the root label (254 bytes before it) */
		size_t lim = lab + 1 + TERN_LABEL_MAX < TERN_NAME_MAX - 1 ? lab + 1 + TERN_LABEL_MAX : TERN_NAME_MAX - 1;
		for (;;) {
			size_t room = lim > n ? lim - n : 0;
			size_t stop = len - i < room ? len : i + room;
			while (i < stop && !name_special[(uint8_t)s[i]])
				out[n++] = (uint8_t)s[i++];
			if (i == len || s[i] == '.')
				break;
			if (s[i] != '\\')
				return TERN_ENAME; /* a plain byte with no room left */
			uint8_t c;
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
				i += 4;
			} else {
				c = (uint8_t)s[i + 1];
				i += 2;
			}
			if (n >= lim)
				return TERN_ENAME;
			out[n++] = c;
		}
		out[lab] = (uint8_t)(n - lab - 1);
		if (i == len)
			break;
		/* s[i] == '.' */
		if (n - lab - 1 == 0) /* empty label */
			return TERN_ENAME;
		if (i == len - 1) {
			absolute = 1;
			break;
		}
		/* a new label needs its length byte, a byte, and the root after
		 * it: it cannot start past byte 252 (at 254 the room left for its
		 * bytes, lim - n, would be negative) */
		if (n + 2 >= TERN_NAME_MAX)
			return TERN_ENAME;
		lab = n;
		out[n++] = 0;
		i++;
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
