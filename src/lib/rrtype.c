/* rrtype.c: RR type and class mnemonics (IANA "Resource Record (RR) TYPEs"
 * registry), the RFC 3597 TYPEnnn / CLASSnnn forms, and TTLs with BIND's
 * unit suffixes. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tern/rr.h"

struct mnemonic {
	uint16_t value;
	const char *name;
};

/* Sorted by value. */
static const struct mnemonic types[] = {
	{1, "A"},          {2, "NS"},          {3, "MD"},         {4, "MF"},        {5, "CNAME"},
	{6, "SOA"},        {7, "MB"},          {8, "MG"},         {9, "MR"},        {10, "NULL"},
	{11, "WKS"},       {12, "PTR"},        {13, "HINFO"},     {14, "MINFO"},    {15, "MX"},
	{16, "TXT"},       {17, "RP"},         {18, "AFSDB"},     {19, "X25"},      {20, "ISDN"},
	{21, "RT"},        {22, "NSAP"},       {23, "NSAP-PTR"},  {24, "SIG"},      {25, "KEY"},
	{26, "PX"},        {27, "GPOS"},       {28, "AAAA"},      {29, "LOC"},      {30, "NXT"},
	{31, "EID"},       {32, "NIMLOC"},     {33, "SRV"},       {34, "ATMA"},     {35, "NAPTR"},
	{36, "KX"},        {37, "CERT"},       {38, "A6"},        {39, "DNAME"},    {40, "SINK"},
	{41, "OPT"},       {42, "APL"},        {43, "DS"},        {44, "SSHFP"},    {45, "IPSECKEY"},
	{46, "RRSIG"},     {47, "NSEC"},       {48, "DNSKEY"},    {49, "DHCID"},    {50, "NSEC3"},
	{51, "NSEC3PARAM"}, {52, "TLSA"},      {53, "SMIMEA"},    {55, "HIP"},      {56, "NINFO"},
	{57, "RKEY"},      {58, "TALINK"},     {59, "CDS"},       {60, "CDNSKEY"},  {61, "OPENPGPKEY"},
	{62, "CSYNC"},     {63, "ZONEMD"},     {64, "SVCB"},      {65, "HTTPS"},    {66, "DSYNC"},
	{99, "SPF"},       {100, "UINFO"},     {101, "UID"},      {102, "GID"},     {103, "UNSPEC"},
	{104, "NID"},      {105, "L32"},       {106, "L64"},      {107, "LP"},      {108, "EUI48"},
	{109, "EUI64"},    {249, "TKEY"},      {250, "TSIG"},     {251, "IXFR"},    {252, "AXFR"},
	{253, "MAILB"},    {254, "MAILA"},     {255, "ANY"},      {256, "URI"},     {257, "CAA"},
	{258, "AVC"},      {259, "DOA"},       {260, "AMTRELAY"}, {261, "RESINFO"}, {262, "WALLET"},
	{32768, "TA"},     {32769, "DLV"},
};

static const struct mnemonic classes[] = {
	{1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"},
};

const char *tern_type_name(uint16_t type)
{
	size_t lo = 0, hi = sizeof types / sizeof types[0];
	while (lo < hi) { /* binary search; types[] is sorted by value */
		size_t mid = lo + (hi - lo) / 2;
		if (types[mid].value == type)
			return types[mid].name;
		if (types[mid].value < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int put_text(char *buf, size_t cap, const char *prefix, const char *name, unsigned v)
{
	int n = name ? snprintf(buf, cap, "%s", name) : snprintf(buf, cap, "%s%u", prefix, v);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			buf[0] = '\0';
		return TERN_ESPACE;
	}
	return n;
}

int tern_type_to_text(uint16_t type, char *buf, size_t cap)
{
	return put_text(buf, cap, "TYPE", tern_type_name(type), type);
}

/* Parses the decimal after a "TYPE"/"CLASS" prefix: 1 to 5 digits, <= 65535.
 * Leading zeros are tolerated ("TYPE001") as BIND does. */
static int parse_u16_suffix(const char *s, size_t len, uint16_t *v)
{
	if (len == 0 || len > 5)
		return TERN_ESYNTAX;
	unsigned n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TERN_ESYNTAX;
		n = n * 10 + (unsigned)(s[i] - '0');
	}
	if (n > 65535)
		return TERN_ERANGE;
	*v = (uint16_t)n;
	return 0;
}

static int from_text(const struct mnemonic *tab, size_t n, const char *prefix, const char *s,
                     size_t len, uint16_t *v)
{
	if (!len)
		return TERN_ETYPE;
	/* Hot in zone loading: reject on the first letter (ASCII case folded)
	 * before comparing; name[len] == 0 makes the length exact. */
	for (size_t i = 0; i < n; i++) {
		if (((tab[i].name[0] ^ s[0]) & ~0x20) != 0)
			continue;
		if (strncasecmp(tab[i].name, s, len) == 0 && tab[i].name[len] == 0) {
			*v = tab[i].value;
			return 0;
		}
	}
	size_t pl = strlen(prefix);
	if (len > pl && strncasecmp(s, prefix, pl) == 0)
		return parse_u16_suffix(s + pl, len - pl, v);
	return TERN_ETYPE;
}

int tern_type_from_text(const char *s, size_t len, uint16_t *type)
{
	return from_text(types, sizeof types / sizeof types[0], "TYPE", s, len, type);
}

/* RFC 6895 3.1: 128-255 are QTYPEs and meta-types; OPT (41) is a meta-type.
 * Type 0 is reserved and cannot be data either. */
bool tern_type_is_meta(uint16_t type)
{
	return type == 0 || type == TERN_T_OPT || (type >= 128 && type <= 255);
}

int tern_class_to_text(uint16_t cls, char *buf, size_t cap)
{
	const char *name = NULL;
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (classes[i].value == cls)
			name = classes[i].name;
	return put_text(buf, cap, "CLASS", name, cls);
}

int tern_class_from_text(const char *s, size_t len, uint16_t *cls)
{
	/* BIND's long spellings of CH and HS */
	if (len == 5 && strncasecmp(s, "CHAOS", 5) == 0) {
		*cls = TERN_C_CH;
		return 0;
	}
	if (len == 6 && strncasecmp(s, "HESIOD", 6) == 0) {
		*cls = TERN_C_HS;
		return 0;
	}
	return from_text(classes, sizeof classes / sizeof classes[0], "CLASS", s, len, cls);
}

/* Either plain seconds ("3600") or one or more <number><unit> parts
 * ("1h30m"), as BIND's ttl.c accepts; a bare number may not follow units. */
int tern_ttl_from_text(const char *s, size_t len, uint32_t *ttl)
{
	const uint64_t max = 0x7fffffff;
	uint64_t total = 0;
	size_t i = 0;
	if (len == 0)
		return TERN_ESYNTAX;
	while (i < len) {
		uint64_t n = 0;
		size_t start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			n = n * 10 + (uint64_t)(s[i] - '0');
			if (n > max)
				return TERN_ERANGE;
			i++;
		}
		if (i == start)
			return TERN_ESYNTAX;
		uint64_t mult;
		if (i == len) {
			if (start != 0) /* "1h30": a bare number after units */
				return TERN_ESYNTAX;
			mult = 1;
		} else {
			switch (s[i] | 0x20) {
			case 's': mult = 1; break;
			case 'm': mult = 60; break;
			case 'h': mult = 3600; break;
			case 'd': mult = 86400; break;
			case 'w': mult = 604800; break;
			default: return TERN_ESYNTAX;
			}
			i++;
		}
		total += n * mult; /* n <= 2^31, mult < 2^20: no 64-bit overflow */
		if (total > max)
			return TERN_ERANGE;
	}
	*ttl = (uint32_t)total;
	return 0;
}
