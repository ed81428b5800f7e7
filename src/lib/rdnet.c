/* rdnet.c: RDATA fields that hold network addresses in forms of their
 * own: the IPSECKEY gateway (RFC 4025 2.5, its format chosen by the
 * gateway type before it), APL address prefix lists (RFC 3123 4) and the
 * 64-bit ILNP identifiers and locators of NID and L64 (RFC 6742 2.1,
 * 2.3). Text as BIND's dig prints it. Wire input is untrusted: every read
 * goes through k->in; nothing allocates. */
#include <arpa/inet.h>
#include <string.h>

#include "lib/encoding.h"
#include "lib/rdata_impl.h"

/* ---- IPSECKEY gateway: 0 none ("."), 1 IPv4, 2 IPv6, 3 an uncompressed
 * domain name. The walker has just handled precedence, gateway type and
 * algorithm, one byte each, so the type is two bytes back. ---- */

/* Reads the gateway at k->in; *type receives the gateway type. Returns its
 * bytes (NULL and k->in failed when malformed); *len its length. */
static const uint8_t *gateway_take(struct walk *k, unsigned *type, size_t *len)
{
	tern_rd *in = &k->in;
	if (in->pos < 2) {
		tern_rd_fail(in, TERN_EMALFORMED);
		return NULL;
	}
	*type = in->p[in->pos - 2];
	size_t start = in->pos;
	switch (*type) {
	case 0: *len = 0; return in->p + start;
	case 1: *len = 4; return tern_rd_take(in, 4);
	case 2: *len = 16; return tern_rd_take(in, 16);
	case 3: {
		uint8_t name[TERN_NAME_MAX];
		size_t n;
		if (tern_rd_name(in, name, &n))
			return NULL;
		if (in->pos - start != n) { /* RFC 4025 2.5: never compressed */
			tern_rd_fail(in, TERN_EMALFORMED);
			return NULL;
		}
		*len = n;
		return in->p + start;
	}
	}
	tern_rd_fail(in, TERN_EMALFORMED);
	return NULL;
}

void tern_gateway_skip(struct walk *k)
{
	unsigned type;
	size_t len;
	(void)gateway_take(k, &type, &len);
}

void tern_gateway_to_text(struct walk *k)
{
	unsigned type;
	size_t len;
	const uint8_t *p = gateway_take(k, &type, &len);
	char b[INET6_ADDRSTRLEN];
	if (!p)
		return;
	if (type == 0)
		tern_tb_putc(&k->tb, '.');
	else if (type == 3)
		tern_tb_name(&k->tb, p);
	else
		tern_tb_puts(&k->tb, inet_ntop(type == 1 ? AF_INET : AF_INET6, p, b, sizeof b));
}

int tern_gateway_from_text(struct walk *k, const tern_token *t)
{
	tern_wr *w = k->out;
	if (w->err || w->pos < 2)
		return w->err ? w->err : TERN_ESYNTAX;
	unsigned type = w->p[w->pos - 2];
	char s[INET6_ADDRSTRLEN + 1];
	uint8_t a[16];
	switch (type) {
	case 0:
		if (t->len != 1 || t->p[0] != '.')
			return tern_walk_fail(k, TERN_ESYNTAX, "IPSECKEY gateway type 0 takes '.' as gateway, not " TOKF,
			                      TOKA(t));
		return 0;
	case 1:
	case 2: {
		int af = type == 1 ? AF_INET : AF_INET6;
		if (!tern_token_cstr(t->p, t->len, s, sizeof s) || inet_pton(af, s, a) != 1)
			return tern_walk_fail(k, TERN_ESYNTAX, "bad IPSECKEY gateway " TOKF " (type %u wants an %s address)",
			                      TOKA(t), type, type == 1 ? "IPv4" : "IPv6");
		tern_wr_bytes(w, a, type == 1 ? 4 : 16);
		return 0;
	}
	case 3: {
		uint8_t name[TERN_NAME_MAX];
		size_t len;
		int rc = tern_name_from_text(t->p, t->len, k->origin, name, &len);
		if (rc)
			return tern_walk_fail(k, rc, "bad IPSECKEY gateway " TOKF, TOKA(t));
		tern_wr_bytes(w, name, len);
		return 0;
	}
	}
	return tern_walk_fail(k, TERN_ESYNTAX, "IPSECKEY gateway type %u unknown (0 to 3)", type);
}

/* ---- APL (RFC 3123 4): items to the end, possibly none, each
 * u16 ADDRESSFAMILY, u8 PREFIX, u8 N (0x80) | AFDLENGTH, AFDPART without
 * trailing zero bytes. Families 1 (IPv4) and 2 (IPv6) have a text form;
 * an item of another family makes the RDATA print in the generic form.
 * ---- */

/* Checks one item at in (NULL and in failed when malformed). */
static const uint8_t *apl_item(tern_rd *in, unsigned *afi, unsigned *prefix, bool *neg, size_t *n)
{
	*afi = tern_rd_u16(in);
	*prefix = tern_rd_u8(in);
	unsigned x = tern_rd_u8(in);
	*neg = x & 0x80;
	*n = x & 0x7f;
	const uint8_t *p = tern_rd_take(in, *n);
	if (!p)
		return NULL;
	size_t max = *afi == 1 ? 4 : 16;
	/* BIND: an AFDPART ends with a non-zero byte and fits the family */
	if ((*afi != 1 && *afi != 2) || *n > max || *prefix > 8 * max || (*n && p[*n - 1] == 0)) {
		tern_rd_fail(in, TERN_EMALFORMED);
		return NULL;
	}
	return p;
}

void tern_apl_skip(struct walk *k)
{
	unsigned afi, prefix;
	bool neg;
	size_t n;
	while (tern_rd_left(&k->in) && apl_item(&k->in, &afi, &prefix, &neg, &n))
		;
}

void tern_apl_to_text(struct walk *k)
{
	unsigned afi, prefix;
	bool neg;
	size_t n;
	if (!tern_rd_left(&k->in))
		tern_tb_unsep(&k->tb); /* empty RDATA is valid: an empty list */
	for (bool first = true; tern_rd_left(&k->in); first = false) {
		const uint8_t *p = apl_item(&k->in, &afi, &prefix, &neg, &n);
		if (!p)
			return;
		uint8_t a[16] = {0};
		memcpy(a, p, n);
		char b[INET6_ADDRSTRLEN];
		inet_ntop(afi == 1 ? AF_INET : AF_INET6, a, b, sizeof b);
		tern_tb_printf(&k->tb, "%s%s%u:%s/%u", first ? "" : " ", neg ? "!" : "", afi, b, prefix);
	}
}

int tern_apl_from_text(struct walk *k)
{
	for (; k->ti < k->ntok; k->ti++) {
		const tern_token *t = &k->tok[k->ti];
		char s[INET6_ADDRSTRLEN + 16];
		if (!tern_token_cstr(t->p, t->len, s, sizeof s))
			goto bad;
		char *p = s;
		bool neg = *p == '!';
		p += neg;
		if ((p[0] != '1' && p[0] != '2') || p[1] != ':')
			goto bad;
		unsigned afi = (unsigned)(p[0] - '0');
		char *slash = strchr(p, '/');
		if (!slash)
			goto bad;
		*slash = '\0';
		uint64_t prefix;
		size_t max = afi == 1 ? 4 : 16;
		const char *ps = slash + 1;
		if (tern_parse_uint(ps, strlen(ps), 8 * max, &prefix))
			return tern_walk_fail(k, TERN_ERANGE, "bad APL prefix length in " TOKF, TOKA(t));
		uint8_t a[16];
		if (inet_pton(afi == 1 ? AF_INET : AF_INET6, p + 2, a) != 1)
			goto bad;
		size_t n = max;
		while (n && a[n - 1] == 0) /* RFC 3123 4.1: no trailing zero bytes */
			n--;
		tern_wr_u16(k->out, (uint16_t)afi);
		tern_wr_u8(k->out, (uint8_t)prefix);
		tern_wr_u8(k->out, (uint8_t)((neg ? 0x80 : 0) | n));
		tern_wr_bytes(k->out, a, n);
		continue;
	bad:
		return tern_walk_fail(k, TERN_ESYNTAX, "bad APL item " TOKF " (want [!]1:IPv4/prefix or [!]2:IPv6/prefix)",
		                      TOKA(t));
	}
	return 0;
}

/* ---- ILNP 64-bit values (RFC 6742 2.1, 2.3): four groups of one to
 * four hex digits separated by ':', printed without leading zeros ---- */

void tern_ilnp64_to_text(struct walk *k)
{
	const uint8_t *p = tern_rd_take(&k->in, 8);
	if (p)
		tern_tb_printf(&k->tb, "%x:%x:%x:%x", tern_get_u16(p), tern_get_u16(p + 2), tern_get_u16(p + 4),
		               tern_get_u16(p + 6));
}

int tern_ilnp64_from_text(struct walk *k, const tern_token *t)
{
	uint8_t v[8];
	size_t i = 0;
	for (unsigned g = 0; g < 4; g++) {
		unsigned x = 0, nd = 0;
		int d;
		while (i < t->len && nd < 4 && (d = tern_hex_digit((unsigned char)t->p[i])) >= 0) {
			x = x << 4 | (unsigned)d;
			nd++;
			i++;
		}
		if (!nd || (g < 3 && (i == t->len || t->p[i++] != ':')))
			return tern_walk_fail(k, TERN_ESYNTAX, "bad 64-bit locator " TOKF " (want x:x:x:x, hex)", TOKA(t));
		tern_put_u16(v + 2 * g, (uint16_t)x);
	}
	if (i != t->len)
		return tern_walk_fail(k, TERN_ESYNTAX, "bad 64-bit locator " TOKF " (want x:x:x:x, hex)", TOKA(t));
	tern_wr_bytes(k->out, v, 8);
	return 0;
}
