/* verify.h: the DNSSEC crypto primitives over plain wire data, for the
 * validator (src/validate/) and anything else that must check a signature
 * without a zone behind it: the key tag (RFC 4034 Appendix B), the DS
 * digest of a DNSKEY (RFC 4034 5.1.4, RFC 4509, RFC 6605), and an RRSIG
 * over an RRset (RFC 4034 3.1.8.1 signed data, 6.2 canonical RR form, 6.3
 * canonical order; RFC 4035 5.3 checks).
 *
 * Algorithms (libcrypto EVP): RSA/SHA-1 (5, 7), RSA/SHA-256 (8), RSA/SHA-512
 * (10), ECDSA P-256/SHA-256 (13), P-384/SHA-384 (14), Ed25519 (15), Ed448
 * (16). DS digests: SHA-1 (1), SHA-256 (2), SHA-384 (4).
 *
 * All input is untrusted wire data (uncompressed RDATA): every length is
 * checked; nothing is kept between calls; thread safe. */
#ifndef TERN_DNSSEC_VERIFY_H
#define TERN_DNSSEC_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Results of dnssec_verify_rrset (0 is valid). */
enum dnssec_status {
	DNSSEC_OK = 0,
	DNSSEC_EMALFORMED = -1, /* an RDATA that does not parse */
	DNSSEC_EALG = -2,       /* algorithm not supported (treat as insecure, RFC 4035 5.2) */
	DNSSEC_EKEY = -3,       /* the key is not the one the RRSIG names (tag, algorithm, not a zone key) */
	DNSSEC_EEXPIRED = -4,   /* now after the expiration (RFC 4034 3.1.5, serial arithmetic) */
	DNSSEC_ENOTYET = -5,    /* now before the inception */
	DNSSEC_ESCOPE = -6,     /* labels field greater than the owner's labels, type or signer mismatch */
	DNSSEC_EBADSIG = -7,    /* the signature does not verify */
	DNSSEC_ENOMEM = -8,
};

const char *dnssec_strerror(int status);

/* RFC 4034 Appendix B: the key tag of DNSKEY RDATA (any algorithm but 1). */
uint16_t dnssec_key_tag(const uint8_t *dnskey, size_t len);

/* Whether alg can be verified here. */
bool dnssec_alg_supported(uint8_t alg);

/* The pieces dnssec_verify_rrset is made of, for a caller that verifies
 * many signatures with the same keys (db/dnssecverify.c: a whole zone at
 * load) and keeps a libcrypto context per key: the public key of DNSKEY
 * key material (RDATA after flags, protocol, algorithm; RFC 3110 2 for
 * RSA, moduli up to 4096 bits; RFC 6605 4; RFC 8080 3), NULL when alg is
 * not supported or the key is malformed (EVP_PKEY_free it); the digest
 * alg signs with (NULL for EdDSA, which has none of its own); the RRSIG
 * signature in the form libcrypto verifies: for ECDSA the DER of r | s
 * into der (at least 128 bytes, *dlen its length), for the others *dlen
 * 0 (use the signature as it is). false: a malformed signature. */
struct evp_pkey_st;
struct evp_md_st;
struct evp_pkey_st *dnssec_dnskey_pkey(uint8_t alg, const uint8_t *key, size_t len);
const struct evp_md_st *dnssec_alg_md(uint8_t alg);
bool dnssec_sig_for_evp(uint8_t alg, const uint8_t *sig, size_t siglen, uint8_t *der, size_t *dlen);

/* The digest of DS digest type dtype over owner (wire, folded to lower
 * case here) | DNSKEY RDATA into out (at least 48 bytes). Returns its
 * length, or 0 for an unsupported digest type. */
size_t dnssec_ds_digest(const uint8_t *owner, const uint8_t *dnskey, size_t keylen, uint8_t dtype, uint8_t *out);

/* Whether DS RDATA ds matches the DNSKEY (owner, dnskey): key tag,
 * algorithm and digest. */
bool dnssec_ds_matches(const uint8_t *owner, const uint8_t *ds, size_t dslen, const uint8_t *dnskey, size_t keylen);

/* One RR of an RRset: uncompressed RDATA. */
typedef struct dnssec_rdata {
	const uint8_t *rd;
	uint16_t len;
} dnssec_rdata;

/* Verifies RRSIG RDATA sig over the RRset (owner, type, class IN, the n
 * RDATA rrs, in any order, duplicates allowed) with DNSKEY RDATA key, at
 * time now (seconds since 1970, compared by serial arithmetic). A
 * wildcard expansion (labels below the owner's) is verified over the
 * wildcard name (RFC 4035 5.3.2). signer: the zone whose key this is
 * (the RRSIG's signer name must equal it, and owner must be at or below
 * it), or NULL to skip that check. */
int dnssec_verify_rrset(const uint8_t *owner, uint16_t type, const dnssec_rdata *rrs, unsigned n,
                        const uint8_t *sig, size_t siglen, const uint8_t *key, size_t keylen, const uint8_t *signer,
                        uint32_t now);

#endif
