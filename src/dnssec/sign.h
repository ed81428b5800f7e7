/* sign.h: ternd signs the zones it is told to (issue 12 item 3, first
 * step): per zone `dnssec-signing: on`, one combined signing key (flags
 * 257, a CSK: it signs the DNSKEY RRset and every other RRset) of
 * `dnssec-algorithm` (ECDSAP256SHA256 by default, or ED25519), made on
 * first use and kept as a file in `key-directory`; the zone is signed
 * whole each time it loads (start-up, SIGHUP), with NSEC or NSEC3 (RFC
 * 9276: no salt, no extra iterations, no opt-out) and signatures valid
 * for `sig_validity` from an hour before the load. Key rollovers, CDS and
 * re-signing only what changed are later steps. libcrypto does the
 * cryptography. Control thread only. */
#ifndef TERN_DNSSEC_SIGN_H
#define TERN_DNSSEC_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"

typedef struct dnssec_policy {
	bool on;
	uint8_t alg;           /* 13 (ECDSAP256SHA256) or 15 (ED25519) */
	bool nsec3;
	char *keydir;          /* NULL: the zone file's directory */
	unsigned sig_validity; /* seconds; 0: DNSSEC_SIG_VALIDITY */
	char *signed_file;     /* NULL, or where to write the signed zone */
	bool cds;              /* publish CDS and CDNSKEY for the key (RFC 7344, 8078) */
} dnssec_policy;

#define DNSSEC_SIG_VALIDITY (14u * 86400u)
/* Signatures start this long before they are made (validators whose
 * clocks run slow), and are made again after a quarter of their
 * validity (zones_resign). */
#define DNSSEC_INCEPTION_SKEW 3600u

/* Algorithm mnemonic ("ecdsap256sha256", "ed25519", any case) to number;
 * 0 when it is not one ternd signs with. */
uint8_t dnssec_alg_from_text(const char *s);

/* The signing key of origin under p: the first key file of its algorithm
 * in the key directory ("K<origin>+<alg>+<tag>.pem", PKCS#8), or a new key
 * written there (with "K<origin>+<alg>+<tag>.key", its DNSKEY record, for
 * making the DS); with DB_DIAG_NO_WRITE in diag->flags a new key is not
 * written. zone_file names the directory when p->keydir is NULL. Returns
 * an opaque key or NULL with the reason (naming the file) in diag. */
struct dnssec_key;
struct dnssec_key *dnssec_key_get(const uint8_t *origin, const dnssec_policy *p, const char *zone_file,
                                  db_diag *diag);
void dnssec_key_free(struct dnssec_key *k);

/* A signed version of z: its records without their RRSIG, NSEC, NSEC3 and
 * NSEC3PARAM, with the key's DNSKEY added, every authoritative RRset signed
 * and an NSEC or NSEC3 chain, and serial as its SOA serial. Loaded (and
 * checked) like a zone file; returns NULL with the reason in diag. z is
 * not changed. With p->signed_file (and not DB_DIAG_NO_WRITE), the signed
 * zone is written there too, as a master file (replaced whole, by
 * rename): what dnssec-verify, ldns-verify-zone or kzonecheck can check. */
db_zone *dnssec_sign_zone(const db_zone *z, const struct dnssec_key *k, const dnssec_policy *p, uint32_t serial,
                          db_diag *diag);

/* One RRset at a time (re-signing, resign.h): a signer of z's RRsets with
 * k, its signatures valid from DNSSEC_INCEPTION_SKEW ago for p's
 * validity; dnssec_signer_sign writes the RRSIG RDATA over s at owner
 * into rd (DNSSEC_RRSIG_MAX bytes) and returns its length, 0 on a
 * failure. dnssec_type_bitmap: the NSEC/NSEC3 type bitmap (RFC 4034
 * 4.1.2) of the sorted, distinct types[0..n) into out (DNSSEC_BITMAP_MAX
 * bytes); returns its length. */
#define DNSSEC_RRSIG_MAX (18 + 255 + 64)
#define DNSSEC_BITMAP_MAX (256 * 34)
typedef struct dnssec_signer dnssec_signer;
dnssec_signer *dnssec_signer_new(const db_zone *z, const struct dnssec_key *k, const dnssec_policy *p);
size_t dnssec_signer_sign(dnssec_signer *g, const uint8_t *owner, const db_rrset *s, uint8_t *rd);
void dnssec_signer_free(dnssec_signer *g);
size_t dnssec_type_bitmap(const uint16_t *types, size_t n, uint8_t *out);

/* The serial a new signing of origin serves (its content changes each
 * time: new signatures, so secondaries must see a new serial, RFC 1982
 * arithmetic): the file's, or one more than the last one ternd served
 * if that is not below it. The last one is kept in the key directory
 * ("<zone>.serial") so that it survives a restart; served is the serial
 * serving now, if any (0: none). dnssec_serial_save records it once the
 * signed zone is published. */
uint32_t dnssec_serial_next(const uint8_t *origin, const dnssec_policy *p, const char *zone_file,
                            uint32_t file_serial, uint32_t served);
void dnssec_serial_save(const uint8_t *origin, const dnssec_policy *p, const char *zone_file, uint32_t serial,
                        db_diag *diag);

#endif
