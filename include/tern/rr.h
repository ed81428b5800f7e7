/* tern/rr.h: RR types and classes, and RDATA in its three forms: text
 * (presentation, RFC 1035 5.1 and each type's RFC), uncompressed wire (how
 * tern stores it) and packet wire (possibly compressed, as in a message).
 *
 * Types are described by a table in rdata.c; every type not in the table is
 * handled through the RFC 3597 generic form (TYPE65534 \# 3 abcdef), which is
 * also accepted for known types. */
#ifndef TERN_RR_H
#define TERN_RR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/error.h"
#include "tern/name.h"
#include "tern/wire.h"

enum tern_type {
	TERN_T_A = 1,
	TERN_T_NS = 2,
	TERN_T_MD = 3,
	TERN_T_MF = 4,
	TERN_T_CNAME = 5,
	TERN_T_SOA = 6,
	TERN_T_MB = 7,
	TERN_T_MG = 8,
	TERN_T_MR = 9,
	TERN_T_NULL = 10,
	TERN_T_WKS = 11,
	TERN_T_PTR = 12,
	TERN_T_HINFO = 13,
	TERN_T_MINFO = 14,
	TERN_T_MX = 15,
	TERN_T_TXT = 16,
	TERN_T_RP = 17,
	TERN_T_AFSDB = 18,
	TERN_T_AAAA = 28,
	TERN_T_LOC = 29,
	TERN_T_SRV = 33,
	TERN_T_NAPTR = 35,
	TERN_T_KX = 36,
	TERN_T_CERT = 37,
	TERN_T_DNAME = 39,
	TERN_T_OPT = 41,
	TERN_T_DS = 43,
	TERN_T_SSHFP = 44,
	TERN_T_IPSECKEY = 45,
	TERN_T_RRSIG = 46,
	TERN_T_NSEC = 47,
	TERN_T_DNSKEY = 48,
	TERN_T_DHCID = 49,
	TERN_T_NSEC3 = 50,
	TERN_T_NSEC3PARAM = 51,
	TERN_T_TLSA = 52,
	TERN_T_SMIMEA = 53,
	TERN_T_CDS = 59,
	TERN_T_CDNSKEY = 60,
	TERN_T_OPENPGPKEY = 61,
	TERN_T_CSYNC = 62,
	TERN_T_ZONEMD = 63,
	TERN_T_SVCB = 64,
	TERN_T_HTTPS = 65,
	TERN_T_SPF = 99,
	TERN_T_EUI48 = 108,
	TERN_T_EUI64 = 109,
	TERN_T_TKEY = 249,
	TERN_T_TSIG = 250,
	TERN_T_IXFR = 251,
	TERN_T_AXFR = 252,
	TERN_T_ANY = 255,
	TERN_T_URI = 256,
	TERN_T_CAA = 257,
};

enum tern_class {
	TERN_C_IN = 1,
	TERN_C_CH = 3,
	TERN_C_HS = 4,
	TERN_C_NONE = 254,
	TERN_C_ANY = 255,
};

/* Mnemonic of a type ("A", "NSEC3PARAM"), or NULL if it has none. */
const char *tern_type_name(uint16_t type);
/* Writes the mnemonic or "TYPEnnn"; returns the length or TERN_ESPACE. */
int tern_type_to_text(uint16_t type, char *buf, size_t cap);
/* Parses a mnemonic (case-insensitive) or "TYPEnnn". */
TERN_WUR int tern_type_from_text(const char *s, size_t len, uint16_t *type);
/* Meta-types and QTYPE-only values (OPT, TKEY, TSIG, IXFR, AXFR, ANY, ...)
 * that cannot appear as zone data. */
bool tern_type_is_meta(uint16_t type);

int tern_class_to_text(uint16_t cls, char *buf, size_t cap); /* "IN" or "CLASSnnn" */
TERN_WUR int tern_class_from_text(const char *s, size_t len, uint16_t *cls);

/* A TTL in seconds, or with BIND units: "3600", "1h30m", "2w", "1D" (case-
 * insensitive). Values above 2^31-1 are TERN_ERANGE (RFC 2181 8). */
TERN_WUR int tern_ttl_from_text(const char *s, size_t len, uint32_t *ttl);

/* One token of presentation text as the zone-file lexer hands it over: the
 * raw characters between the delimiters, escapes NOT yet interpreted, quotes
 * removed (quoted is then 1). */
typedef struct tern_token {
	const char *p;
	size_t len;
	int quoted;
} tern_token;

/* Converts the RDATA tokens of one record to uncompressed wire form.
 * origin completes relative names (NULL: relative names are an error).
 * Accepts the RFC 3597 generic form for every type. On error returns
 * TERN_ESYNTAX/TERN_ERANGE/TERN_ENAME/TERN_ESPACE and, if err is not NULL,
 * writes a one-line reason (without file:line) into err. */
TERN_WUR int tern_rdata_from_text(uint16_t type, const tern_token *tok, size_t ntok,
                                  const uint8_t *origin, uint8_t *out, size_t cap,
                                  size_t *outlen, char *err, size_t errcap);

/* Presentation form of uncompressed RDATA, as dig prints it on one line.
 * Types without a text form (or RDATA that does not decode as its type)
 * are written in the RFC 3597 generic form. Returns the length or
 * TERN_ESPACE; NUL-terminates when cap > 0. */
int tern_rdata_to_text(uint16_t type, const uint8_t *rd, size_t rdlen, char *buf, size_t cap);

/* Reads rdlen bytes of RDATA at r's position from a message, expanding
 * compressed names for the types whose names may be compressed (RFC 3597
 * section 4), and checks it against the type's format. Writes uncompressed
 * RDATA to out. Advances r past the rdlen bytes. */
TERN_WUR int tern_rdata_unpack(tern_rd *r, uint16_t type, uint16_t rdlen, uint8_t *out,
                               size_t cap, size_t *outlen);

/* Writes RDLENGTH and RDATA into a message, compressing the embedded names
 * of well-known types (NS, CNAME, SOA, PTR, MX, MB, MG, MR, MINFO; RFC 3597
 * section 4) when ct is not NULL. Returns 0 or w->err. */
int tern_rdata_pack(tern_wr *w, tern_ctab *ct, uint16_t type, const uint8_t *rd, size_t rdlen);

/* The domain name inside RDATA that additional-section processing and
 * CNAME/DNAME following need: the target of NS, CNAME, DNAME, PTR, MX
 * (exchange), SRV (target), or NULL for other types. */
const uint8_t *tern_rdata_target(uint16_t type, const uint8_t *rd, size_t rdlen);

/* The offsets of the domain names embedded in uncompressed RDATA of type
 * (every name field of its text form: NS, MX exchange, SOA mname and
 * rname, RRSIG signer, SVCB target, ...), at most max of them, in order.
 * Returns how many; 0 for types without names and for RDATA that does not
 * decode as its type. */
size_t tern_rdata_names(uint16_t type, const uint8_t *rd, size_t rdlen, uint16_t *off, size_t max);

/* Whether the canonical form of type lowercases its embedded names (RFC
 * 4034 6.2 as corrected by RFC 6840 5.1: not NSEC). Two RDATA of such a
 * type that differ only in the case of those names are the same RR. */
bool tern_rdata_names_fold(uint16_t type);

/* Orders two uncompressed RDATA of type as their canonical forms compare
 * (RFC 4034 6.3: left-justified octet strings, names folded to lower case
 * where tern_rdata_names_fold says so). Returns <0, 0 or >0. */
int tern_rdata_compare(uint16_t type, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
