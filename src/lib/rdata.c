/* rdata.c: RDATA of every RR type tern knows, in its three forms: text
 * (presentation, as dig prints it on one line), uncompressed wire (tern's
 * stored form) and packet wire (names possibly compressed).
 *
 * Each type is a descriptor: a list of fields of a few kinds (a number, a
 * name, a character-string, base64 to the end, a type bitmap, ...). One
 * walker drives the descriptor for the three operations: text to wire,
 * wire to text, and wire to wire (copy: unpack from a message, pack into
 * one, or just validate). Types without a descriptor use the RFC 3597
 * generic form. Nothing here allocates; wire input is untrusted and every
 * read goes through a bounded tern_rd.
 *
 * The text helpers are in rdtext.c, SvcParams in svcb.c, LOC in loc.c, the
 * IPSECKEY gateway, APL and ILNP fields in rdnet.c, the fast paths of the
 * commonest types in rdfast.c;
 * rdata_impl.h is what they share with this file. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "lib/encoding.h"
#include "lib/rdata_impl.h"

enum kind {
	F_U8,
	F_ALG,      /* u8 DNSSEC algorithm; text also takes the mnemonic (RFC 4034 A.1) */
	F_U16,
	F_U32,
	F_TTL,      /* u32; text also takes TTL units (SOA timers, RRSIG TTL) */
	F_TIME,     /* u32; text YYYYMMDDHHmmSS or seconds (RFC 4034 3.2) */
	F_TYPE,     /* u16 as a type mnemonic (RRSIG type covered) */
	F_A,        /* 4 bytes */
	F_AAAA,     /* 16 bytes */
	F_EUI48,    /* 6 bytes as xx-xx-xx-xx-xx-xx (RFC 7043) */
	F_EUI64,    /* 8 bytes */
	F_NAME,     /* domain name */
	F_CHARSTR,  /* <character-string>: u8 length + bytes */
	F_CHARSTRS, /* one or more character-strings to the end (TXT) */
	F_STRING,   /* bytes to the end as one quoted string (URI, CAA value) */
	F_CAA_TAG,  /* u8 length + alphanumeric tag (RFC 8659 4.1) */
	F_BASE64,   /* base64 to the end, possibly empty, over several tokens */
	F_HEX,      /* hex to the end, at least one byte, over several tokens */
	F_SALT,     /* u8 length + bytes; hex, or "-" when empty (RFC 5155 3.3) */
	F_HASH,     /* u8 length + bytes; base32hex (RFC 5155 3.3) */
	F_BITMAP,   /* type bitmap to the end (RFC 4034 4.1.2) */
	F_SVCPARAMS, /* SvcParams to the end (RFC 9460 2.2) */
	F_LOC,      /* the whole LOC RDATA (RFC 1876) */
	F_GATEWAY,  /* IPSECKEY gateway, as its gateway type says (RFC 4025) */
	F_APL,      /* APL items to the end, possibly none (RFC 3123) */
	F_ILNP64,   /* 8 bytes as x:x:x:x (RFC 6742 NID, L64) */
};

struct field {
	uint8_t kind;
	const char *name; /* for error messages */
};

/* RFC 3597 4: a receiver expands pointers in the names of these types... */
#define RD_DECOMPRESS 1
/* ...and a sender may compress only the RFC 1035 ones. */
#define RD_COMPRESS 2
#define RD_BOTH (RD_DECOMPRESS | RD_COMPRESS)

struct rdesc {
	uint16_t type;
	uint8_t flags;
	struct field f[10]; /* ends at the first field without a name */
};

#define SIGFIELDS                                                                                  \
	{ {F_TYPE, "type covered"}, {F_ALG, "algorithm"}, {F_U8, "labels"}, {F_TTL, "original TTL"},  \
	  {F_TIME, "expiration"}, {F_TIME, "inception"}, {F_U16, "key tag"}, {F_NAME, "signer"},     \
	  {F_BASE64, "signature"} }
#define KEYFIELDS { {F_U16, "flags"}, {F_U8, "protocol"}, {F_ALG, "algorithm"}, {F_BASE64, "public key"} }
#define DSFIELDS { {F_U16, "key tag"}, {F_ALG, "algorithm"}, {F_U8, "digest type"}, {F_HEX, "digest"} }
#define CERTUSAGE { {F_U8, "usage"}, {F_U8, "selector"}, {F_U8, "matching type"}, {F_HEX, "data"} }

static const struct rdesc descs[] = {
	{TERN_T_A, 0, {{F_A, "address"}}},
	{TERN_T_NS, RD_BOTH, {{F_NAME, "nsdname"}}},
	{TERN_T_MD, RD_BOTH, {{F_NAME, "madname"}}},
	{TERN_T_MF, RD_BOTH, {{F_NAME, "madname"}}},
	{TERN_T_CNAME, RD_BOTH, {{F_NAME, "cname"}}},
	{TERN_T_SOA, RD_BOTH,
	 {{F_NAME, "mname"}, {F_NAME, "rname"}, {F_U32, "serial"}, {F_TTL, "refresh"}, {F_TTL, "retry"},
	  {F_TTL, "expire"}, {F_TTL, "minimum"}}},
	{TERN_T_MB, RD_BOTH, {{F_NAME, "madname"}}},
	{TERN_T_MG, RD_BOTH, {{F_NAME, "mgmname"}}},
	{TERN_T_MR, RD_BOTH, {{F_NAME, "newname"}}},
	{TERN_T_PTR, RD_BOTH, {{F_NAME, "ptrdname"}}},
	{TERN_T_HINFO, 0, {{F_CHARSTR, "cpu"}, {F_CHARSTR, "os"}}},
	{TERN_T_MINFO, RD_BOTH, {{F_NAME, "rmailbx"}, {F_NAME, "emailbx"}}},
	{TERN_T_MX, RD_BOTH, {{F_U16, "preference"}, {F_NAME, "exchange"}}},
	{TERN_T_TXT, 0, {{F_CHARSTRS, "text"}}},
	{TERN_T_RP, RD_DECOMPRESS, {{F_NAME, "mbox"}, {F_NAME, "txtdname"}}},
	{TERN_T_AFSDB, RD_DECOMPRESS, {{F_U16, "subtype"}, {F_NAME, "hostname"}}},
	{21 /* RT */, RD_DECOMPRESS, {{F_U16, "preference"}, {F_NAME, "intermediate"}}},
	{24 /* SIG */, RD_DECOMPRESS, SIGFIELDS},
	{25 /* KEY */, 0, KEYFIELDS},
	{26 /* PX */, RD_DECOMPRESS, {{F_U16, "preference"}, {F_NAME, "map822"}, {F_NAME, "mapx400"}}},
	{TERN_T_AAAA, 0, {{F_AAAA, "address"}}},
	{TERN_T_LOC, 0, {{F_LOC, "location"}}},
	{TERN_T_SRV, RD_DECOMPRESS,
	 {{F_U16, "priority"}, {F_U16, "weight"}, {F_U16, "port"}, {F_NAME, "target"}}},
	{TERN_T_NAPTR, RD_DECOMPRESS,
	 {{F_U16, "order"}, {F_U16, "preference"}, {F_CHARSTR, "flags"}, {F_CHARSTR, "services"},
	  {F_CHARSTR, "regexp"}, {F_NAME, "replacement"}}},
	{TERN_T_KX, 0, {{F_U16, "preference"}, {F_NAME, "exchanger"}}},
	{TERN_T_DNAME, 0, {{F_NAME, "target"}}},
	{42 /* APL */, 0, {{F_APL, "items"}}},
	{TERN_T_DS, 0, DSFIELDS},
	{TERN_T_SSHFP, 0, {{F_U8, "algorithm"}, {F_U8, "fingerprint type"}, {F_HEX, "fingerprint"}}},
	{TERN_T_IPSECKEY, 0,
	 {{F_U8, "precedence"}, {F_U8, "gateway type"}, {F_U8, "algorithm"}, {F_GATEWAY, "gateway"},
	  {F_BASE64, "public key"}}},
	{TERN_T_RRSIG, 0, SIGFIELDS},
	{TERN_T_NSEC, 0, {{F_NAME, "next domain"}, {F_BITMAP, "type bitmap"}}},
	{TERN_T_DNSKEY, 0, KEYFIELDS},
	{TERN_T_DHCID, 0, {{F_BASE64, "digest"}}},
	{TERN_T_NSEC3, 0,
	 {{F_U8, "hash algorithm"}, {F_U8, "flags"}, {F_U16, "iterations"}, {F_SALT, "salt"},
	  {F_HASH, "next hashed owner"}, {F_BITMAP, "type bitmap"}}},
	{TERN_T_NSEC3PARAM, 0, {{F_U8, "hash algorithm"}, {F_U8, "flags"}, {F_U16, "iterations"}, {F_SALT, "salt"}}},
	{TERN_T_TLSA, 0, CERTUSAGE},
	{TERN_T_SMIMEA, 0, CERTUSAGE},
	{TERN_T_CDS, 0, DSFIELDS},
	{TERN_T_CDNSKEY, 0, KEYFIELDS},
	{TERN_T_OPENPGPKEY, 0, {{F_BASE64, "public key"}}},
	{TERN_T_CSYNC, 0, {{F_U32, "serial"}, {F_U16, "flags"}, {F_BITMAP, "type bitmap"}}},
	{TERN_T_ZONEMD, 0, {{F_U32, "serial"}, {F_U8, "scheme"}, {F_U8, "hash algorithm"}, {F_HEX, "digest"}}},
	{TERN_T_SVCB, 0, {{F_U16, "priority"}, {F_NAME, "target"}, {F_SVCPARAMS, "params"}}},
	{TERN_T_HTTPS, 0, {{F_U16, "priority"}, {F_NAME, "target"}, {F_SVCPARAMS, "params"}}},
	{TERN_T_SPF, 0, {{F_CHARSTRS, "text"}}},
	{104 /* NID */, 0, {{F_U16, "preference"}, {F_ILNP64, "node ID"}}},
	{105 /* L32 */, 0, {{F_U16, "preference"}, {F_A, "locator"}}},
	{106 /* L64 */, 0, {{F_U16, "preference"}, {F_ILNP64, "locator"}}},
	{107 /* LP */, 0, {{F_U16, "preference"}, {F_NAME, "FQDN"}}},
	{TERN_T_EUI48, 0, {{F_EUI48, "address"}}},
	{TERN_T_EUI64, 0, {{F_EUI64, "address"}}},
	{TERN_T_URI, 0, {{F_U16, "priority"}, {F_U16, "weight"}, {F_STRING, "target"}}},
	{TERN_T_CAA, 0, {{F_U8, "flags"}, {F_CAA_TAG, "tag"}, {F_STRING, "value"}}},
	{32768 /* TA */, 0, DSFIELDS},
	{32769 /* DLV */, 0, DSFIELDS},
};

static const struct rdesc *find_desc(uint16_t type)
{
	for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
		if (descs[i].type == type)
			return &descs[i];
	return NULL;
}

/* ---- walker helpers ---- */

static const char *type_text(uint16_t type, char b[16])
{
	(void)tern_type_to_text(type, b, 16);
	return b;
}

static void put(struct walk *k, const void *p, size_t n)
{
	if (k->out)
		tern_wr_bytes(k->out, p, n);
}

/* ---- RRSIG times (RFC 4034 3.2): seconds since 1970 modulo 2^32. Text
 * input takes any date from 1970 to 9999 and keeps it modulo 2^32; output
 * (which has no clock to pick the nearest epoch from) writes 1970..2106 ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, unsigned *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (unsigned)(yoe + era * 400) + (*m <= 2);
}

static int time_from_text(const char *s, size_t len, uint32_t *t)
{
	uint64_t v = 0;
	if (len != 14) {
		int rc = tern_parse_uint(s, len, UINT32_MAX, &v);
		if (!rc)
			*t = (uint32_t)v;
		return rc;
	}
	unsigned f[6];
	static const uint8_t width[6] = {4, 2, 2, 2, 2, 2};
	for (unsigned i = 0, o = 0; i < 6; o += width[i], i++) {
		if (tern_parse_uint(s + o, width[i], 9999, &v))
			return TERN_ESYNTAX;
		f[i] = (unsigned)v;
	}
	static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (f[0] % 4 == 0 && f[0] % 100 != 0) || f[0] % 400 == 0;
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > mdays[f[1] - 1] || (f[1] == 2 && f[2] == 29 && !leap) ||
	    f[3] > 23 || f[4] > 59 || f[5] > 59)
		return TERN_ESYNTAX;
	int64_t secs = days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
	if (secs < 0)
		return TERN_ERANGE;
	/* RFC 4034 3.1.5: the field is the time modulo 2^32, compared with
	 * serial arithmetic (RFC 1982); 2106-02-07T06:28:16 wraps to 0. */
	*t = (uint32_t)secs;
	return 0;
}

static void tb_time(tbuf *t, uint32_t secs)
{
	unsigned y, m, d;
	civil_from_days(secs / 86400, &y, &m, &d);
	unsigned s = secs % 86400;
	tern_tb_printf(t, "%04u%02u%02u%02u%02u%02u", y, m, d, s / 3600, s / 60 % 60, s % 60);
}

/* ---- type bitmaps (RFC 4034 4.1.2): windows in ascending order, each 1
 * to 32 bytes long, without trailing zero bytes ---- */

static const uint8_t *bitmap_take(tern_rd *in, size_t *n)
{
	size_t len = tern_rd_left(in);
	const uint8_t *p = tern_rd_take(in, len);
	int last = -1;
	for (size_t i = 0; p && i < len;) {
		if (len - i < 2 || p[i] <= last || p[i + 1] < 1 || p[i + 1] > 32 || len - i - 2 < p[i + 1] ||
		    p[i + 1 + p[i + 1]] == 0) {
			tern_rd_fail(in, TERN_EMALFORMED);
			return NULL;
		}
		last = p[i];
		i += 2 + (size_t)p[i + 1];
	}
	*n = len;
	return p;
}

static void bitmap_to_text(struct walk *k)
{
	size_t n;
	const uint8_t *p = bitmap_take(&k->in, &n);
	if (!p)
		return;
	if (n == 0)
		tern_tb_unsep(&k->tb);
	bool first = true;
	for (size_t i = 0; i < n; i += 2 + (size_t)p[i + 1]) {
		for (unsigned b = 0; b < 8u * p[i + 1]; b++) {
			if (!(p[i + 2 + b / 8] & (0x80 >> (b % 8))))
				continue;
			if (!first)
				tern_tb_putc(&k->tb, ' ');
			first = false;
			tern_tb_type(&k->tb, (uint16_t)(p[i] << 8 | b));
		}
	}
}

static int bitmap_from_text(struct walk *k)
{
	/* one bit per type; a window's 32 bytes are cleared when it is first
	 * used (clearing all 8 KiB for each NSEC was a tenth of the load of a
	 * signed zone) */
	uint8_t bits[8192];
	bool used[256] = {false};
	for (; k->ti < k->ntok; k->ti++) {
		const tern_token *t = &k->tok[k->ti];
		uint16_t type;
		if (tern_type_from_text(t->p, t->len, &type))
			return tern_walk_fail(k, TERN_ESYNTAX, "unknown type " TOKF " in type bitmap", TOKA(t));
		if (!used[type >> 8]) {
			used[type >> 8] = true;
			memset(bits + 32 * (type >> 8), 0, 32);
		}
		bits[type >> 3] |= (uint8_t)(0x80 >> (type & 7));
	}
	for (unsigned win = 0; win < 256; win++) {
		if (!used[win])
			continue;
		const uint8_t *b = bits + 32 * win;
		unsigned len = 32;
		while (len && !b[len - 1])
			len--;
		if (len) {
			tern_wr_u8(k->out, (uint8_t)win);
			tern_wr_u8(k->out, (uint8_t)len);
			tern_wr_bytes(k->out, b, len);
		}
	}
	return 0;
}

/* ---- one field in each direction ---- */

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Validates one non-name field at k->in and advances past it. */
static void field_skip(struct walk *k, const struct field *f)
{
	tern_rd *in = &k->in;
	size_t n;
	const uint8_t *p;
	switch (f->kind) {
	case F_U8:
	case F_ALG: tern_rd_skip(in, 1); break;
	case F_U16:
	case F_TYPE: tern_rd_skip(in, 2); break;
	case F_U32:
	case F_TTL:
	case F_TIME:
	case F_A: tern_rd_skip(in, 4); break;
	case F_AAAA: tern_rd_skip(in, 16); break;
	case F_EUI48: tern_rd_skip(in, 6); break;
	case F_EUI64:
	case F_ILNP64: tern_rd_skip(in, 8); break;
	case F_GATEWAY: tern_gateway_skip(k); break;
	case F_APL: tern_apl_skip(k); break;
	case F_CHARSTR:
	case F_SALT: tern_rd_skip(in, tern_rd_u8(in)); break;
	case F_CHARSTRS:
		do /* RFC 1035 3.3.14: one or more */
			tern_rd_skip(in, tern_rd_u8(in));
		while (tern_rd_left(in));
		break;
	case F_HASH:
	case F_CAA_TAG:
		n = tern_rd_u8(in);
		p = tern_rd_take(in, n);
		if (p && n == 0)
			tern_rd_fail(in, TERN_EMALFORMED);
		for (size_t i = 0; p && f->kind == F_CAA_TAG && i < n; i++)
			if (!is_alnum(p[i]))
				tern_rd_fail(in, TERN_EMALFORMED);
		break;
	case F_HEX:
		if (!tern_rd_left(in))
			tern_rd_fail(in, TERN_EMALFORMED);
		/* fall through */
	case F_STRING:
	case F_BASE64: tern_rd_skip(in, tern_rd_left(in)); break;
	case F_BITMAP: (void)bitmap_take(in, &n); break;
	case F_LOC: (void)tern_loc_take(in); break;
	case F_SVCPARAMS: {
		const char *why;
		n = tern_rd_left(in);
		p = tern_rd_take(in, n);
		if (p && tern_svc_check(p, n, &why))
			tern_rd_fail(in, TERN_EMALFORMED);
		break;
	}
	}
}

/* A name at k->in into name[]. Pointers only where k->decompress allows
 * (RFC 3597 4); a name whose wire length differs from the bytes it took
 * contained one. */
static void read_name(struct walk *k, uint8_t name[TERN_NAME_MAX], size_t *len)
{
	size_t start = k->in.pos;
	if (tern_rd_name(&k->in, name, len))
		return;
	if (!k->decompress && k->in.pos - start != *len)
		tern_rd_fail(&k->in, TERN_EMALFORMED);
}

static void field_copy(struct walk *k, const struct field *f)
{
	if (f->kind == F_NAME) {
		uint8_t name[TERN_NAME_MAX];
		size_t len, at = k->in.pos;
		read_name(k, name, &len);
		if (!k->in.err && k->names && k->nnames < k->maxnames)
			k->names[k->nnames++] = (uint16_t)at;
		if (k->in.err || !k->out)
			return;
		if (k->ct)
			(void)tern_wr_name(k->out, k->ct, name);
		else
			tern_wr_bytes(k->out, name, len);
		return;
	}
	size_t start = k->in.pos;
	field_skip(k, f);
	if (!k->in.err)
		put(k, k->in.p + start, k->in.pos - start);
}

static void field_to_text(struct walk *k, const struct field *f)
{
	tern_rd *in = &k->in;
	tbuf *t = &k->tb;
	const uint8_t *p;
	size_t n;
	char b[INET6_ADDRSTRLEN];
	switch (f->kind) {
	case F_U8:
	case F_ALG: n = tern_rd_u8(in); goto number;
	case F_U16: n = tern_rd_u16(in); goto number;
	case F_U32:
	case F_TTL:
		n = tern_rd_u32(in);
	number:
		if (!in->err)
			tern_tb_printf(t, "%zu", n);
		break;
	case F_TIME:
		n = tern_rd_u32(in);
		if (!in->err)
			tb_time(t, (uint32_t)n);
		break;
	case F_TYPE:
		n = tern_rd_u16(in);
		if (!in->err)
			tern_tb_type(t, (uint16_t)n);
		break;
	case F_A:
	case F_AAAA:
		if ((p = tern_rd_take(in, f->kind == F_A ? 4 : 16))) {
			inet_ntop(f->kind == F_A ? AF_INET : AF_INET6, p, b, sizeof b);
			tern_tb_puts(t, b);
		}
		break;
	case F_EUI48:
	case F_EUI64:
		n = f->kind == F_EUI48 ? 6 : 8;
		if ((p = tern_rd_take(in, n)))
			for (size_t i = 0; i < n; i++)
				tern_tb_printf(t, i ? "-%02x" : "%02x", p[i]);
		break;
	case F_NAME: {
		uint8_t name[TERN_NAME_MAX];
		read_name(k, name, &n);
		if (!in->err)
			tern_tb_name(t, name);
		break;
	}
	case F_CHARSTR:
	case F_CHARSTRS:
		do {
			n = tern_rd_u8(in);
			if ((p = tern_rd_take(in, n))) {
				if (t->pos && t->p[t->pos - 1] == '"')
					tern_tb_putc(t, ' ');
				tern_tb_quoted(t, p, n);
			}
		} while (f->kind == F_CHARSTRS && tern_rd_left(in));
		break;
	case F_STRING:
		n = tern_rd_left(in);
		if ((p = tern_rd_take(in, n)))
			tern_tb_quoted(t, p, n);
		break;
	case F_CAA_TAG:
	case F_HASH:
	case F_HEX:
	case F_BASE64:
	case F_SALT: {
		size_t start = in->pos;
		field_skip(k, f);
		if (in->err)
			break;
		p = in->p + start;
		n = in->pos - start;
		if (f->kind == F_CAA_TAG) {
			tern_tb_put(t, (const char *)p + 1, n - 1);
		} else if (f->kind == F_HASH) {
			char *q = tern_tb_take(t, (8 * (n - 1) + 4) / 5);
			if (q)
				tern_b32hex_encode(p + 1, n - 1, q);
		} else if (f->kind == F_SALT) {
			if (n == 1)
				tern_tb_putc(t, '-');
			else
				tern_tb_hex(t, p + 1, n - 1, false); /* one token */
		} else if (f->kind == F_HEX) {
			tern_tb_hex(t, p, n, true);
		} else {
			if (n == 0)
				tern_tb_unsep(t);
			tern_tb_base64(t, p, n, true);
		}
		break;
	}
	case F_BITMAP: bitmap_to_text(k); break;
	case F_SVCPARAMS: tern_svc_to_text(k); break;
	case F_LOC: tern_loc_to_text(k); break;
	case F_GATEWAY: tern_gateway_to_text(k); break;
	case F_APL: tern_apl_to_text(k); break;
	case F_ILNP64: tern_ilnp64_to_text(k); break;
	}
}

/* The next token, or a "missing RDATA field" error. */
static int need_token(struct walk *k, const tern_token **t)
{
	if (k->ti == k->ntok)
		return tern_walk_fail(k, TERN_ESYNTAX, "missing RDATA field '%s'", k->f->name);
	*t = &k->tok[k->ti++];
	return 0;
}

static int number_from_text(struct walk *k, const tern_token *t, uint64_t max, uint64_t *v)
{
	char tb[16];
	int rc = tern_parse_uint(t->p, t->len, max, v);
	if (rc == TERN_ERANGE)
		return tern_walk_fail(k, rc, "%s %s " TOKF " out of range", type_text(k->d->type, tb), k->f->name, TOKA(t));
	if (rc)
		return tern_walk_fail(k, rc, "%s %s " TOKF " is not a number", type_text(k->d->type, tb), k->f->name, TOKA(t));
	return 0;
}

/* Hex or base64 over all remaining tokens. */
static int rest_from_text(struct walk *k, bool hex)
{
	tern_hexdec hd;
	tern_b64dec bd;
	tern_hexdec_init(&hd);
	tern_b64dec_init(&bd);
	size_t start = k->out->pos;
	char tb[16];
	if (hex && k->ti == k->ntok)
		return tern_walk_fail(k, TERN_ESYNTAX, "missing RDATA field '%s'", k->f->name);
	for (; k->ti < k->ntok; k->ti++) {
		const tern_token *t = &k->tok[k->ti];
		int rc = hex ? tern_hexdec_feed(&hd, t->p, t->len, k->out) : tern_b64dec_feed(&bd, t->p, t->len, k->out);
		if (rc == TERN_ESYNTAX)
			return tern_walk_fail(k, rc, "bad %s in %s %s " TOKF, hex ? "hex" : "base64", type_text(k->d->type, tb),
			            k->f->name, TOKA(t));
		if (rc)
			return rc;
	}
	if (hex ? tern_hexdec_finish(&hd) : tern_b64dec_finish(&bd))
		return tern_walk_fail(k, TERN_ESYNTAX, "%s %s %s is incomplete", type_text(k->d->type, tb), k->f->name,
		            hex ? "hex" : "base64");
	if (hex && k->out->pos == start)
		return tern_walk_fail(k, TERN_ESYNTAX, "missing RDATA field '%s'", k->f->name);
	return 0;
}

/* One <character-string> (RFC 1035 3.3): at most 255 bytes after escapes. */
static int charstr_from_text(struct walk *k, const tern_token *t)
{
	tern_wr *w = k->out;
	size_t lenpos = w->pos;
	tern_wr_u8(w, 0);
	long n = tern_unescape(t->p, t->len, w, 255);
	if (n == TERN_ERANGE)
		return tern_walk_fail(k, TERN_ERANGE, "character-string longer than 255 bytes");
	if (n < 0)
		return tern_walk_fail(k, TERN_ESYNTAX, "bad escape in " TOKF, TOKA(t));
	if (!w->err)
		w->p[lenpos] = (uint8_t)n;
	return 0;
}

/* RFC 4034 A.1 and the IANA "DNS Security Algorithm Numbers" registry:
 * the mnemonics zone files may use for an algorithm number (written back
 * as numbers, as BIND, Knot and NSD do). */
static bool alg_from_text(const tern_token *t, uint64_t *v)
{
	static const struct {
		uint8_t value;
		const char *name;
	} algs[] = {
		{1, "RSAMD5"},         {2, "DH"},          {3, "DSA"},          {5, "RSASHA1"},
		{6, "DSA-NSEC3-SHA1"}, {7, "RSASHA1-NSEC3-SHA1"},                {8, "RSASHA256"},
		{10, "RSASHA512"},     {12, "ECC-GOST"},   {13, "ECDSAP256SHA256"}, {14, "ECDSAP384SHA384"},
		{15, "ED25519"},       {16, "ED448"},      {252, "INDIRECT"},   {253, "PRIVATEDNS"},
		{254, "PRIVATEOID"},
	};
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (strlen(algs[i].name) == t->len && !strncasecmp(algs[i].name, t->p, t->len)) {
			*v = algs[i].value;
			return true;
		}
	return false;
}

static int field_from_text(struct walk *k, const struct field *f)
{
	const tern_token *t = NULL;
	tern_wr *w = k->out;
	uint64_t v = 0;
	int rc;
	char tb[16];
	switch (f->kind) {
	case F_CHARSTRS:
	case F_BASE64:
	case F_HEX:
	case F_BITMAP:
	case F_SVCPARAMS:
	case F_APL:
	case F_LOC: break; /* these take the remaining tokens themselves */
	default:
		if ((rc = need_token(k, &t)))
			return rc;
	}
	switch (f->kind) {
	case F_U8:
	case F_U16:
	case F_U32:
		rc = number_from_text(k, t, f->kind == F_U8 ? 0xff : f->kind == F_U16 ? 0xffff : 0xffffffff, &v);
		if (rc)
			return rc;
		if (f->kind == F_U8)
			tern_wr_u8(w, (uint8_t)v);
		else if (f->kind == F_U16)
			tern_wr_u16(w, (uint16_t)v);
		else
			tern_wr_u32(w, (uint32_t)v);
		return 0;
	case F_ALG:
		if (!alg_from_text(t, &v) && (rc = number_from_text(k, t, 0xff, &v)))
			return rc;
		tern_wr_u8(w, (uint8_t)v);
		return 0;
	case F_TTL: {
		uint32_t ttl;
		/* plain seconds may use all 32 bits (SOA timers); units up to 2^31-1 */
		if (tern_parse_uint(t->p, t->len, 0xffffffff, &v) == 0)
			ttl = (uint32_t)v;
		else if ((rc = tern_ttl_from_text(t->p, t->len, &ttl)))
			return tern_walk_fail(k, rc, "%s %s " TOKF " is not a valid TTL", type_text(k->d->type, tb), f->name, TOKA(t));
		tern_wr_u32(w, ttl);
		return 0;
	}
	case F_TIME: {
		uint32_t tm;
		if ((rc = time_from_text(t->p, t->len, &tm)))
			return tern_walk_fail(k, rc, "%s %s " TOKF " is not a valid time", type_text(k->d->type, tb), f->name, TOKA(t));
		tern_wr_u32(w, tm);
		return 0;
	}
	case F_TYPE: {
		uint16_t type;
		if (tern_type_from_text(t->p, t->len, &type))
			return tern_walk_fail(k, TERN_ESYNTAX, "unknown type " TOKF, TOKA(t));
		tern_wr_u16(w, type);
		return 0;
	}
	case F_A:
	case F_AAAA: {
		char s[INET6_ADDRSTRLEN + 1];
		uint8_t a[16];
		int af = f->kind == F_A ? AF_INET : AF_INET6;
		if (!tern_token_cstr(t->p, t->len, s, sizeof s) || inet_pton(af, s, a) != 1)
			return tern_walk_fail(k, TERN_ESYNTAX, "bad %s address " TOKF, af == AF_INET ? "IPv4" : "IPv6", TOKA(t));
		tern_wr_bytes(w, a, af == AF_INET ? 4 : 16);
		return 0;
	}
	case F_EUI48:
	case F_EUI64: {
		size_t n = f->kind == F_EUI48 ? 6 : 8;
		bool ok = t->len == 3 * n - 1;
		for (size_t i = 0; ok && i < n; i++) {
			int hi = tern_hex_digit((unsigned char)t->p[3 * i]), lo = tern_hex_digit((unsigned char)t->p[3 * i + 1]);
			ok = hi >= 0 && lo >= 0 && (i == n - 1 || t->p[3 * i + 2] == '-');
			if (ok)
				tern_wr_u8(w, (uint8_t)(hi << 4 | lo));
		}
		if (!ok)
			return tern_walk_fail(k, TERN_ESYNTAX, "bad %s address " TOKF, f->kind == F_EUI48 ? "EUI48" : "EUI64", TOKA(t));
		return 0;
	}
	case F_NAME: {
		uint8_t name[TERN_NAME_MAX];
		size_t len;
		if ((rc = tern_name_from_text(t->p, t->len, k->origin, name, &len)))
			return tern_walk_fail(k, rc, "bad %s %s " TOKF "%s", type_text(k->d->type, tb), f->name, TOKA(t),
			            k->origin ? "" : " (relative names need an origin)");
		tern_wr_bytes(w, name, len);
		return 0;
	}
	case F_CHARSTRS:
		if (k->ti == k->ntok)
			return tern_walk_fail(k, TERN_ESYNTAX, "missing RDATA field '%s'", f->name);
		for (; k->ti < k->ntok; k->ti++)
			if ((rc = charstr_from_text(k, &k->tok[k->ti])))
				return rc;
		return 0;
	case F_CHARSTR: return charstr_from_text(k, t);
	case F_STRING: {
		long n = tern_unescape(t->p, t->len, w, 65535);
		if (n < 0)
			return tern_walk_fail(k, TERN_ESYNTAX, "bad escape in " TOKF, TOKA(t));
		return 0;
	}
	case F_CAA_TAG: {
		bool ok = t->len >= 1 && t->len <= 255;
		for (size_t i = 0; ok && i < t->len; i++)
			ok = is_alnum((uint8_t)t->p[i]);
		if (!ok)
			return tern_walk_fail(k, TERN_ESYNTAX, "bad CAA tag " TOKF " (letters and digits only)", TOKA(t));
		tern_wr_u8(w, (uint8_t)t->len);
		tern_wr_bytes(w, t->p, t->len);
		return 0;
	}
	case F_BASE64: return rest_from_text(k, false);
	case F_HEX: return rest_from_text(k, true);
	case F_SALT: {
		size_t lenpos = w->pos;
		tern_wr_u8(w, 0);
		if (t->len == 1 && t->p[0] == '-')
			return 0;
		tern_hexdec hd;
		tern_hexdec_init(&hd);
		if (t->len > 510 || tern_hexdec_feed(&hd, t->p, t->len, w) == TERN_ESYNTAX || tern_hexdec_finish(&hd))
			return tern_walk_fail(k, TERN_ESYNTAX, "bad %s salt " TOKF, type_text(k->d->type, tb), TOKA(t));
		if (!w->err)
			w->p[lenpos] = (uint8_t)(t->len / 2);
		return 0;
	}
	case F_HASH: {
		uint8_t h[255];
		size_t n;
		if (tern_b32hex_decode(t->p, t->len, h, sizeof h, &n) || n == 0)
			return tern_walk_fail(k, TERN_ESYNTAX, "bad base32hex in %s %s " TOKF, type_text(k->d->type, tb), f->name,
			            TOKA(t));
		tern_wr_u8(w, (uint8_t)n);
		tern_wr_bytes(w, h, n);
		return 0;
	}
	case F_BITMAP: return bitmap_from_text(k);
	case F_SVCPARAMS: return tern_svc_from_text(k);
	case F_LOC: return tern_loc_from_text(k);
	case F_GATEWAY: return tern_gateway_from_text(k, t);
	case F_APL: return tern_apl_from_text(k);
	case F_ILNP64: return tern_ilnp64_from_text(k, t);
	}
	return 0;
}

/* ---- the walker ---- */

/* Runs one operation over every field of k->d. For the wire-reading
 * operations the RDATA must end exactly where the last field does.
 * Returns 0, the first text error, k->in.err or the output's error. */
static int walk(struct walk *k, enum op op)
{
	for (const struct field *f = k->d->f; f->name; f++) {
		k->f = f;
		switch (op) {
		case OP_FROM_TEXT: {
			int rc = field_from_text(k, f);
			if (rc)
				return rc;
			if (k->out->err)
				return k->out->err;
			break;
		}
		case OP_TO_TEXT:
			if (f != k->d->f)
				tern_tb_putc(&k->tb, ' ');
			field_to_text(k, f);
			if (k->tb.err)
				return k->tb.err;
			break;
		case OP_COPY:
			field_copy(k, f);
			if (k->out && k->out->err)
				return k->out->err;
			break;
		}
		if (op != OP_FROM_TEXT && k->in.err)
			return k->in.err;
	}
	if (op == OP_FROM_TEXT) {
		if (k->ti < k->ntok)
			return tern_walk_fail(k, TERN_ESYNTAX, "extra token " TOKF " after RDATA", TOKA(&k->tok[k->ti]));
	} else if (tern_rd_left(&k->in)) {
		tern_rd_fail(&k->in, TERN_EMALFORMED);
		return k->in.err;
	}
	return 0;
}

/* ---- the public interface ---- */

/* RFC 3597 5: \# <length> <hex>... ; the hex may be split over tokens. */
static int generic_from_text(struct walk *k, tern_wr *w)
{
	uint64_t len = 0;
	if (k->ntok < 2)
		return tern_walk_fail(k, TERN_ESYNTAX, "generic RDATA '\\#' without a length");
	const tern_token *t = &k->tok[1];
	if (tern_parse_uint(t->p, t->len, 65535, &len))
		return tern_walk_fail(k, TERN_ESYNTAX, "bad generic RDATA length " TOKF, TOKA(t));
	tern_hexdec hd;
	tern_hexdec_init(&hd);
	for (size_t i = 2; i < k->ntok; i++) {
		t = &k->tok[i];
		int rc = tern_hexdec_feed(&hd, t->p, t->len, w);
		if (rc == TERN_ESYNTAX)
			return tern_walk_fail(k, rc, "bad hex in generic RDATA " TOKF, TOKA(t));
		if (rc)
			return tern_walk_fail(k, rc, "RDATA does not fit");
	}
	if (tern_hexdec_finish(&hd))
		return tern_walk_fail(k, TERN_ESYNTAX, "odd number of hex digits in generic RDATA");
	if (w->pos != len)
		return tern_walk_fail(k, TERN_ESYNTAX, "generic RDATA length %u does not match %zu bytes of hex", (unsigned)len,
		            w->pos);
	/* a known type must decode as that type (no name compression here) */
	if (k->d) {
		tern_rd_init(&k->in, w->p, w->pos);
		k->out = NULL;
		k->decompress = false;
		char tb[16];
		if (walk(k, OP_COPY))
			return tern_walk_fail(k, TERN_ESYNTAX, "generic RDATA is not valid %s RDATA", type_text(k->d->type, tb));
	}
	return 0;
}

int tern_rdata_from_text(uint16_t type, const tern_token *tok, size_t ntok, const uint8_t *origin,
                         uint8_t *out, size_t cap, size_t *outlen, char *err, size_t errcap)
{
	bool generic = ntok && !tok[0].quoted && tok[0].len == 2 && tok[0].p[0] == '\\' && tok[0].p[1] == '#';
	if (!generic && tern_rdata_fast_from_text(type, tok, ntok, origin, out, cap > 65535 ? 65535 : cap, outlen)) {
		if (err && errcap)
			err[0] = '\0';
		return 0;
	}
	struct walk k = {.d = find_desc(type), .tok = tok, .ntok = ntok, .origin = origin, .err = err,
	                 .errcap = errcap};
	tern_wr w;
	bool clamped = cap > 65535;
	tern_wr_init(&w, out, clamped ? 65535 : cap);
	k.out = &w;
	if (err && errcap)
		err[0] = '\0';
	int rc;
	char tb[16];
	if (generic)
		rc = generic_from_text(&k, &w);
	else if (!k.d)
		rc = tern_walk_fail(&k, TERN_ESYNTAX, "type %s has no text form here; use '\\# <length> <hex>'",
		          type_text(type, tb));
	else
		rc = walk(&k, OP_FROM_TEXT);
	if (rc == TERN_ESPACE && err && errcap && !err[0])
		tern_walk_fail(&k, rc, clamped ? "RDATA longer than 65535 bytes" : "RDATA does not fit in the buffer");
	if (rc)
		return rc;
	*outlen = w.pos;
	return 0;
}

static void generic_to_text(tbuf *t, const uint8_t *rd, size_t rdlen)
{
	tern_tb_printf(t, "\\# %zu", rdlen);
	if (rdlen) {
		tern_tb_putc(t, ' ');
		tern_tb_hex(t, rd, rdlen, true);
	}
}

int tern_rdata_to_text(uint16_t type, const uint8_t *rd, size_t rdlen, char *buf, size_t cap)
{
	struct walk k = {.d = find_desc(type), .tb = {buf, cap, 0, 0}};
	int rc = TERN_EMALFORMED;
	if (k.d) {
		tern_rd_init(&k.in, rd, rdlen);
		rc = walk(&k, OP_TO_TEXT);
	}
	if (rc && rc != TERN_ESPACE) { /* no descriptor, or does not decode */
		k.tb.pos = 0;
		k.tb.err = 0;
		generic_to_text(&k.tb, rd, rdlen);
	}
	if (k.tb.err) {
		if (cap)
			buf[k.tb.pos < cap ? k.tb.pos : cap - 1] = '\0';
		return TERN_ESPACE;
	}
	buf[k.tb.pos] = '\0';
	return (int)k.tb.pos;
}

int tern_rdata_unpack(tern_rd *r, uint16_t type, uint16_t rdlen, uint8_t *out, size_t cap, size_t *outlen)
{
	if (r->err)
		return r->err;
	if (tern_rd_left(r) < rdlen) {
		tern_rd_fail(r, TERN_EMALFORMED);
		return r->err;
	}
	tern_wr w;
	tern_wr_init(&w, out, cap > 65535 ? 65535 : cap);
	struct walk k = {.d = find_desc(type), .in = *r, .out = &w};
	k.in.len = r->pos + rdlen; /* the RDATA; pointers may reach back before it */
	r->pos += rdlen;
	int rc;
	if (!k.d) {
		tern_wr_bytes(&w, r->p + k.in.pos, rdlen);
		rc = w.err;
	} else {
		k.decompress = k.d->flags & RD_DECOMPRESS;
		rc = walk(&k, OP_COPY);
		if (rc == TERN_ESPACE && cap > 65535)
			rc = TERN_EMALFORMED; /* expands past 65535 bytes */
		else if (rc && rc != TERN_ESPACE)
			rc = TERN_EMALFORMED; /* including bad names (TERN_ENAME) */
	}
	if (rc)
		return rc;
	*outlen = w.pos;
	return 0;
}

int tern_rdata_pack(tern_wr *w, tern_ctab *ct, uint16_t type, const uint8_t *rd, size_t rdlen)
{
	if (w->err)
		return w->err;
	if (rdlen > 65535) {
		w->err = TERN_ESPACE;
		return w->err;
	}
	size_t start = w->pos;
	tern_wr_u16(w, 0);
	const struct rdesc *d = find_desc(type);
	bool done = false;
	if (ct && d && (d->flags & RD_COMPRESS)) {
		unsigned ctn = ct->n;
		struct walk k = {.d = d, .out = w, .ct = ct};
		tern_rd_init(&k.in, rd, rdlen);
		if (walk(&k, OP_COPY) == 0) {
			done = true;
		} else if (!w->err) { /* stored RDATA that does not decode: as is */
			w->pos = start + 2;
			ct->n = ctn;
		}
		if (w->err)
			ct->n = ctn;
	}
	if (!done)
		tern_wr_bytes(w, rd, rdlen);
	if (w->err)
		return w->err;
	tern_put_u16(w->p + start, (uint16_t)(w->pos - start - 2));
	return 0;
}

const uint8_t *tern_rdata_target(uint16_t type, const uint8_t *rd, size_t rdlen)
{
	size_t off;
	switch (type) {
	case TERN_T_NS:
	case TERN_T_CNAME:
	case TERN_T_DNAME:
	case TERN_T_PTR: off = 0; break;
	case TERN_T_MX: off = 2; break;
	case TERN_T_SRV: off = 6; break;
	default: return NULL;
	}
	/* the name must lie wholly inside the RDATA, without pointers */
	for (size_t i = off; i < rdlen && i - off < TERN_NAME_MAX; i += 1 + (size_t)rd[i]) {
		if (rd[i] == 0)
			return rd + off;
		if (rd[i] > TERN_LABEL_MAX)
			return NULL;
	}
	return NULL;
}

size_t tern_rdata_names(uint16_t type, const uint8_t *rd, size_t rdlen, uint16_t *off, size_t max)
{
	const struct rdesc *d = find_desc(type);
	if (!d || rdlen > 65535)
		return 0;
	struct walk k = {.d = d, .names = off, .maxnames = max};
	tern_rd_init(&k.in, rd, rdlen);
	if (walk(&k, OP_COPY))
		return 0;
	return k.nnames;
}
