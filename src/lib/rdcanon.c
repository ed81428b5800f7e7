/* rdcanon.c: the canonical form of RDATA for comparisons (RFC 4034 6.2,
 * 6.3): which types fold the case of their embedded names, and an order
 * over RDATA that treats names of those types case-insensitively, so that
 * "cname CNAME srv.x." and "Cname CNAME SRV.X." are one RR. Nothing here
 * allocates or writes. */
#include <string.h>

#include "tern/rr.h"

bool tern_rdata_names_fold(uint16_t type)
{
	switch (type) {
	case TERN_T_NS:
	case TERN_T_MD:
	case TERN_T_MF:
	case TERN_T_CNAME:
	case TERN_T_SOA:
	case TERN_T_MB:
	case TERN_T_MG:
	case TERN_T_MR:
	case TERN_T_PTR:
	case TERN_T_MINFO:
	case TERN_T_MX:
	case TERN_T_RP:
	case TERN_T_AFSDB:
	case 21: /* RT */
	case 24: /* SIG */
	case 26: /* PX */
	case 30: /* NXT */
	case TERN_T_NAPTR:
	case TERN_T_KX:
	case TERN_T_SRV:
	case TERN_T_DNAME:
	case 38: /* A6 */
	case TERN_T_RRSIG: return true;
	default: return false;
	}
}

#define NAMES_MAX 8 /* more than any descriptor has */

/* The embedded names of rd as byte ranges [from, to] (to: the root label). */
static size_t name_spans(uint16_t type, const uint8_t *rd, size_t len, uint16_t from[NAMES_MAX],
                         uint16_t to[NAMES_MAX])
{
	size_t n = tern_rdata_names(type, rd, len, from, NAMES_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t o = from[i];
		while (o < len && rd[o]) /* tern_rdata_names checked the labels */
			o += 1u + rd[o];
		to[i] = (uint16_t)o;
	}
	return n;
}

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

int tern_rdata_compare(uint16_t type, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen, d = 0;
	while (d < n && a[d] == b[d])
		d++;
	if (d == n)
		return alen < blen ? -1 : alen > blen;
	/* The prefixes before d are equal, so are their canonical forms. If
	 * neither byte at d is an upper-case letter, folding leaves both as
	 * they are wherever they lie, and they decide (the usual case). */
	if (!tern_rdata_names_fold(type) || ((unsigned)(a[d] - 'A') > 25u && (unsigned)(b[d] - 'A') > 25u))
		return a[d] < b[d] ? -1 : 1;
	uint16_t af[NAMES_MAX], at[NAMES_MAX], bf[NAMES_MAX], bt[NAMES_MAX];
	size_t na = name_spans(type, a, alen, af, at), nb = name_spans(type, b, blen, bf, bt);
	size_t ia = 0, ib = 0; /* the first span not yet passed on each side */
	for (size_t i = d; i < n; i++) {
		while (ia < na && i > at[ia])
			ia++;
		while (ib < nb && i > bt[ib])
			ib++;
		uint8_t x = ia < na && i >= af[ia] ? lower(a[i]) : a[i];
		uint8_t y = ib < nb && i >= bf[ib] ? lower(b[i]) : b[i];
		if (x != y)
			return x < y ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen;
}
