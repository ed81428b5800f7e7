/* loc.c: LOC RDATA (RFC 1876): a version, three precisions in a
 * mantissa-exponent byte each, latitude and longitude in thousandths of an
 * arc-second from 2^31, altitude in centimetres above 100000 m below the
 * WGS 84 spheroid. Parsed from and printed to the RFC 1876 3 text form. */
#include "lib/rdata_impl.h"

#define LOC_EQUATOR 2147483648u /* 2^31: latitude/longitude 0 */
#define LOC_ALT_BASE 10000000u  /* altitude 0 m is 100000.00 m above the base */

/* "123", "123.4", "123.45" with an optional 'm' (when unit), optionally
 * negative; the value in units of 10^-frac. */
static bool loc_decimal(const tern_token *t, unsigned frac, bool neg_ok, bool unit, int64_t *v)
{
	const char *s = t->p;
	size_t len = t->len, i = 0;
	bool neg = false;
	if (unit && len && (s[len - 1] == 'm' || s[len - 1] == 'M'))
		len--;
	if (neg_ok && len && s[0] == '-') {
		neg = true;
		i++;
	}
	int64_t n = 0;
	size_t digits = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (n > 100000000000)
			return false;
		n = n * 10 + (s[i] - '0');
	}
	if (!digits)
		return false;
	unsigned f = 0;
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9' && f < frac; i++, f++)
			n = n * 10 + (s[i] - '0');
	}
	if (i != len)
		return false;
	for (; f < frac; f++)
		n *= 10;
	*v = neg ? -n : n;
	return true;
}

static bool loc_prec(int64_t cm, uint8_t *out)
{
	unsigned e = 0;
	if (cm > 9000000000) /* 9e9 cm: the largest mantissa and exponent */
		return false;
	while (cm >= 10 && e < 9) {
		cm /= 10;
		e++;
	}
	if (cm > 9)
		return false;
	*out = (uint8_t)(cm << 4 | e);
	return true;
}

/* RFC 1876 2: mantissa and power-of-ten exponent, each 0..9. A zero
 * mantissa with a non-zero exponent is zero written another way, which no
 * text form can give back: only 0x00 is accepted for zero (found by the
 * rdata fuzzer, fuzz/corpus/rdata/crash-loc-zero-mantissa). */
static bool loc_prec_ok(uint8_t p)
{
	return (p >> 4) <= 9 && (p & 15) <= 9 && ((p >> 4) != 0 || (p & 15) == 0);
}

/* d [m [s]] then hemisphere; returns thousandths of arc-seconds from the
 * equator / prime meridian, signed. */
static int loc_angle(struct walk *k, unsigned maxdeg, char pos, char neg, int64_t *out)
{
	int64_t part[3] = {0, 0, 0};
	static const unsigned frac[3] = {0, 0, 3};
	static const int64_t max[3] = {0, 59, 59999};
	unsigned n = 0;
	while (k->ti < k->ntok) {
		const tern_token *t = &k->tok[k->ti++];
		if (t->len == 1 && (t->p[0] | 0x20) == (pos | 0x20)) {
			if (!n)
				break;
			*out = ((part[0] * 60 + part[1]) * 60) * 1000 + part[2];
			if (*out > (int64_t)maxdeg * 3600000)
				return tern_walk_fail(k, TERN_ERANGE, "LOC angle out of range");
			return 0;
		}
		if (t->len == 1 && (t->p[0] | 0x20) == (neg | 0x20)) {
			if (!n)
				break;
			*out = -(((part[0] * 60 + part[1]) * 60) * 1000 + part[2]);
			if (-*out > (int64_t)maxdeg * 3600000)
				return tern_walk_fail(k, TERN_ERANGE, "LOC angle out of range");
			return 0;
		}
		if (n == 3 || !loc_decimal(t, frac[n], false, false, &part[n]) || (n && part[n] > max[n]))
			return tern_walk_fail(k, TERN_ESYNTAX, "bad LOC coordinate " TOKF, TOKA(t));
		n++;
	}
	return tern_walk_fail(k, TERN_ESYNTAX, "LOC coordinate without '%c' or '%c'", pos, neg);
}

int tern_loc_from_text(struct walk *k)
{
	int64_t lat = 0, lon = 0, alt = 0;
	int rc = loc_angle(k, 90, 'N', 'S', &lat);
	if (!rc)
		rc = loc_angle(k, 180, 'E', 'W', &lon);
	if (rc)
		return rc;
	if (k->ti == k->ntok)
		return tern_walk_fail(k, TERN_ESYNTAX, "missing RDATA field 'altitude'");
	const tern_token *t = &k->tok[k->ti++];
	if (!loc_decimal(t, 2, true, true, &alt) || alt < -(int64_t)LOC_ALT_BASE ||
	    alt > (int64_t)UINT32_MAX - LOC_ALT_BASE)
		return tern_walk_fail(k, TERN_ERANGE, "bad LOC altitude " TOKF, TOKA(t));
	/* defaults (RFC 1876 3): size 1 m, horizontal 10000 m, vertical 10 m */
	uint8_t prec[3] = {0x12, 0x16, 0x13};
	static const char *const what[3] = {"size", "horizontal precision", "vertical precision"};
	for (unsigned i = 0; i < 3 && k->ti < k->ntok; i++) {
		int64_t v;
		t = &k->tok[k->ti++];
		if (!loc_decimal(t, 2, false, true, &v) || !loc_prec(v, &prec[i]))
			return tern_walk_fail(k, TERN_ERANGE, "bad LOC %s " TOKF, what[i], TOKA(t));
	}
	tern_wr_u8(k->out, 0); /* version */
	tern_wr_bytes(k->out, prec, 3);
	tern_wr_u32(k->out, (uint32_t)(LOC_EQUATOR + lat));
	tern_wr_u32(k->out, (uint32_t)(LOC_EQUATOR + lon));
	tern_wr_u32(k->out, (uint32_t)(alt + LOC_ALT_BASE));
	return 0;
}

/* Checks the 16 bytes at the reader and returns them, or NULL. */
const uint8_t *tern_loc_take(tern_rd *in)
{
	const uint8_t *p = tern_rd_take(in, 16);
	if (!p)
		return NULL;
	uint32_t lat = tern_get_u32(p + 4), lon = tern_get_u32(p + 8);
	uint32_t dlat = lat > LOC_EQUATOR ? lat - LOC_EQUATOR : LOC_EQUATOR - lat;
	uint32_t dlon = lon > LOC_EQUATOR ? lon - LOC_EQUATOR : LOC_EQUATOR - lon;
	if (p[0] != 0 || !loc_prec_ok(p[1]) || !loc_prec_ok(p[2]) || !loc_prec_ok(p[3]) || dlat > 90u * 3600000 ||
	    dlon > 180u * 3600000) {
		tern_rd_fail(in, TERN_EMALFORMED);
		return NULL;
	}
	return p;
}

static void tb_loc_prec(tbuf *t, uint8_t p)
{
	/* as BIND: whole metres from an exponent of 2 up, else 0.xx m */
	unsigned long long v = p >> 4;
	unsigned e = p & 15;
	for (unsigned i = e < 2 ? 0 : 2; i < e; i++)
		v *= 10;
	if (e >= 2 && v) /* a zero mantissa prints as 0.00m, which reads back */
		tern_tb_printf(t, "%llum", v);
	else
		tern_tb_printf(t, "0.%02llum", v); /* v is in cm */
}

void tern_loc_to_text(struct walk *k)
{
	tbuf *t = &k->tb;
	const uint8_t *p = tern_loc_take(&k->in);
	if (!p)
		return;
	for (unsigned i = 0; i < 2; i++) {
		uint32_t v = tern_get_u32(p + 4 + 4 * i);
		uint32_t a = v >= LOC_EQUATOR ? v - LOC_EQUATOR : LOC_EQUATOR - v;
		char hemi = i == 0 ? (v >= LOC_EQUATOR ? 'N' : 'S') : (v >= LOC_EQUATOR ? 'E' : 'W');
		tern_tb_printf(t, "%u %u %u.%03u %c ", a / 3600000, a / 60000 % 60, a / 1000 % 60, a % 1000, hemi);
	}
	int64_t alt = (int64_t)tern_get_u32(p + 12) - LOC_ALT_BASE;
	int64_t aa = alt < 0 ? -alt : alt;
	tern_tb_printf(t, "%s%lld.%02lldm ", alt < 0 ? "-" : "", (long long)(aa / 100), (long long)(aa % 100));
	for (unsigned i = 1; i < 4; i++) {
		if (i > 1)
			tern_tb_putc(t, ' ');
		tb_loc_prec(t, p[i]);
	}
}
