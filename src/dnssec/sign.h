/* sign.h: ternd signs the zones it is told to (issue 12 item 3): per zone
 * `dnssec-signing: on`, keys of `dnssec-algorithm` (ECDSAP256SHA256 by
 * default, or ED25519) kept as files in `key-directory`: a KSK (flags
 * 257, signs the DNSKEY, CDS and CDNSKEY RRsets) and a ZSK (256, signs
 * the rest), or with `dnssec-single-type-signing` one CSK (257, signs
 * everything). Each key's timing is kept beside it (keystate.h) and moved
 * on by the rollover state machine (roll.h) at each signing. The zone is
 * signed whole each time it loads (start-up, SIGHUP) and when a step of
 * the keys or a signature refresh is due, with NSEC or NSEC3 (RFC 9276:
 * no salt, no extra iterations, no opt-out) and signatures valid for
 * `sig_validity` from an hour before. libcrypto does the cryptography.
 * Control and main threads, one at a time (the server's change_lock); a
 * signing whole splits its work over `dnssec-signing-threads` threads of
 * its own (dnssec_sign_zone). */
#ifndef TERN_DNSSEC_SIGN_H
#define TERN_DNSSEC_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "db/zone.h"
#include "tern/name.h"

typedef struct dnssec_policy {
	bool on;
	uint8_t alg;           /* 13 (ECDSAP256SHA256) or 15 (ED25519) */
	bool nsec3;
	char *keydir;          /* NULL: the zone file's directory */
	unsigned sig_validity; /* seconds; 0: DNSSEC_SIG_VALIDITY */
	char *signed_file;     /* NULL, or where to write the signed zone */
	uint8_t cds;           /* DNSSEC_CDS_*: CDS and CDNSKEY (RFC 7344, 8078) */
	/* keys and their rollovers (roll.h); lifetimes 0: never rolled */
	bool single_type;      /* a zone's first key is a CSK */
	uint32_t zsk_lifetime, ksk_lifetime, propagation_delay, parent_ds_ttl;
	/* dnssec-parent: a server of the parent asked for the new KSK's DS
	 * (server/ds_check.h); parent_len 0: none */
	struct sockaddr_storage parent;
	socklen_t parent_len;
	uint32_t parent_check_interval;
	/* dnssec-parent ADDR key NAME: the question is signed with that TSIG
	 * key and only an answer signed with it counts (RFC 8945) */
	bool parent_has_key;
	uint8_t parent_key[TERN_NAME_MAX + 1];
	/* dnssec-signing-threads: the threads a signing whole splits its
	 * work over (1..DNSSEC_SIGN_THREADS_MAX); 0: the online CPUs */
	unsigned threads;
	/* dnssec-refresh-slice: the timed refresh re-signs at most this many
	 * RRsets (the oldest signatures first) per step, each step published
	 * as a change of its own (resign.h, dnssec_refresh); 0: the default */
	unsigned refresh_slice;
} dnssec_policy;

#define DNSSEC_SIGN_THREADS_MAX 64
/* RRsets re-signed per refresh step: some 0.3 s of signing on one core
 * (ECDSA P-256 or Ed25519), the time change_lock is held */
#define DNSSEC_REFRESH_SLICE 10000u
#define DNSSEC_REFRESH_SLICE_MAX 1000000u
/* the fewest a step takes to keep its journal entry small (refresh.c) */
#define DNSSEC_REFRESH_SLICE_MIN 100u
/* A zone of fewer names is signed by one thread whatever p->threads. */
#define DNSSEC_SIGN_PAR_MIN_NAMES 1000

enum { DNSSEC_CDS_OFF, DNSSEC_CDS_ALWAYS, DNSSEC_CDS_ROLLOVER };
#define DNSSEC_ZSK_LIFETIME (30u * 86400u)
#define DNSSEC_PROPAGATION_DELAY 3600u
#define DNSSEC_PARENT_DS_TTL 86400u
#define DNSSEC_PARENT_CHECK_INTERVAL 3600u
/* The policy a zone block starts with. */
#define DNSSEC_POLICY_DEFAULT                                                                                    \
	((dnssec_policy){.alg = 13,                                                                               \
	                 .zsk_lifetime = DNSSEC_ZSK_LIFETIME,                                                     \
	                 .propagation_delay = DNSSEC_PROPAGATION_DELAY,                                           \
	                 .parent_ds_ttl = DNSSEC_PARENT_DS_TTL,                                                   \
	                 .parent_check_interval = DNSSEC_PARENT_CHECK_INTERVAL})

#define DNSSEC_SIG_VALIDITY (14u * 86400u)
/* Signatures start this long before they are made (validators whose
 * clocks run slow), and are made again after a quarter of their
 * validity (zones_resign). */
#define DNSSEC_INCEPTION_SKEW 3600u

/* Algorithm mnemonic ("ecdsap256sha256", "ed25519", any case) to number;
 * 0 when it is not one ternd signs with. */
uint8_t dnssec_alg_from_text(const char *s);

/* The keys of origin under p: every "K<origin>+<alg>+<tag>.pem" (PKCS#8)
 * of the policy's algorithm in the key directory with its state file
 * "K<origin>+<alg>+<tag>.state" (keystate.h); "K...+<tag>.key" beside
 * them is the DNSKEY record, for making the DS. A directory from before
 * key states (key files, no state file) keeps its first key as a CSK
 * that is active and whose DS is at the parent. zone_file names the
 * directory when p->keydir is NULL. Returns the set (possibly empty: no
 * key yet), or NULL with the reason (naming the file, and its line) in
 * diag: a key or state file missing, unreadable or corrupt. */
struct dnssec_keyset;
struct dnssec_keyset *dnssec_keys_load(const uint8_t *origin, const dnssec_policy *p, const char *zone_file,
                                       db_diag *diag);
void dnssec_keys_free(struct dnssec_keyset *ks);

/* Moves the keys on to now (roll.h) for zone z (its DNSKEY TTL and largest
 * TTL time the steps), making the keys it needs (written at once, with
 * their state, unless DB_DIAG_NO_WRITE in diag->flags), and settles what
 * each key does in a signing made now. *changed: a step was taken. -1 with
 * the reason in diag when a key cannot be made or written. */
int dnssec_keys_roll(struct dnssec_keyset *ks, const dnssec_policy *p, const db_zone *z, int64_t now, bool *changed,
                     db_diag *diag);
/* Writes the state files that changed (each replaced whole, by rename);
 * nothing with DB_DIAG_NO_WRITE. A file that cannot be written is an error
 * in diag (the roll goes on from the old state after a restart). */
void dnssec_keys_save(struct dnssec_keyset *ks, db_diag *diag);
/* When the keys' next step is due (a time() value), 0: none planned. */
int64_t dnssec_keys_next(struct dnssec_keyset *ks, const dnssec_policy *p, const db_zone *z, int64_t now);
/* ternctl zone-ksk-submitted: the ready KSKs' DS is at the parent from
 * now. Returns how many keys that concerned. */
size_t dnssec_keys_submitted(struct dnssec_keyset *ks, int64_t now);
/* The KSK whose DS the parent should get and has not been confirmed to
 * have (dnssec-parent asks for it): true with its DNSKEY RDATA and tag. */
bool dnssec_keys_awaiting_ds(const struct dnssec_keyset *ks, const uint8_t **dnskey, size_t *len, uint16_t *tag);

/* For ternctl zone-status and the log: key i (< dnssec_keys_count). */
typedef struct dnssec_key_info {
	const char *role; /* "ksk", "zsk", "csk" */
	uint16_t tag;
	char state[64];
	char next[128];
} dnssec_key_info;
size_t dnssec_keys_count(const struct dnssec_keyset *ks);
void dnssec_keys_info(struct dnssec_keyset *ks, size_t i, const dnssec_policy *p, const db_zone *z, int64_t now,
                      dnssec_key_info *out);

/* A signed version of z: its records without their RRSIG, NSEC, NSEC3 and
 * NSEC3PARAM (and the DNSKEYs of ks, and with dnssec-cds its CDS and
 * CDNSKEY), with the published keys of ks added to its DNSKEY RRset
 * (dnssec_keys_roll settles which), every authoritative RRset signed by
 * the keys that sign it
 * and an NSEC or NSEC3 chain, and serial as its SOA serial. Loaded (and
 * checked) like a zone file; returns NULL with the reason in diag. z is
 * not changed. With p->signed_file (and not DB_DIAG_NO_WRITE), the signed
 * zone is written there too, as a master file (replaced whole, by
 * rename): what dnssec-verify, ldns-verify-zone or kzonecheck can check.
 * With T = p->threads (0: the online CPUs; 1 for a zone of fewer than
 * DNSSEC_SIGN_PAR_MIN_NAMES names) the work is split in T parts, one
 * thread each: of the n names (empty non-terminals, glue and occluded
 * names too) in canonical order, part i signs names i * n / T up to
 * (i + 1) * n / T and their NSEC records, and with NSEC3 the same share of
 * the NSEC3 records in hash order. The signed zone, its text too, is the
 * same whatever T (but ECDSA's random signatures). */
db_zone *dnssec_sign_zone(const db_zone *z, const struct dnssec_keyset *ks, const dnssec_policy *p,
                          uint32_t serial, db_diag *diag);
/* The same with the signatures made at when (a time() value, as
 * dnssec_keys_roll's now): signatures of Ed25519 keys made at one time
 * are the same bytes each time (the tests compare signings). */
db_zone *dnssec_sign_zone_at(const db_zone *z, const struct dnssec_keyset *ks, const dnssec_policy *p,
                             uint32_t serial, int64_t when, db_diag *diag);
/* The threads dnssec_sign_zone signs a zone of that many names with. */
unsigned dnssec_sign_threads(const dnssec_policy *p, size_t names);

/* One RRset at a time (re-signing, resign.h): a signer of z's RRsets with
 * the keys of ks that sign now, its signatures valid from
 * DNSSEC_INCEPTION_SKEW ago for p's validity (NULL: out of memory, or
 * libcrypto refused a key). dnssec_signer_sign writes the next RRSIG over
 * s at owner (of the keys from *next on that sign s's type: KSKs and CSKs
 * the DNSKEY, CDS and CDNSKEY RRsets, ZSKs and CSKs the rest) into rd
 * (DNSSEC_RRSIG_MAX bytes) and returns its length, 0 when there is no
 * more, -1 on a failure; start with *next = 0 and call until 0.
 * dnssec_type_bitmap: the NSEC/NSEC3 type bitmap (RFC 4034 4.1.2) of the
 * sorted, distinct types[0..n) into out (DNSSEC_BITMAP_MAX bytes); returns
 * its length. */
#define DNSSEC_RRSIG_MAX (18 + 255 + 64)
#define DNSSEC_BITMAP_MAX (256 * 34)
typedef struct dnssec_signer dnssec_signer;
dnssec_signer *dnssec_signer_new(const db_zone *z, const struct dnssec_keyset *ks, const dnssec_policy *p);
/* The same with its signatures made at when (a time() value). */
dnssec_signer *dnssec_signer_new_at(const db_zone *z, const struct dnssec_keyset *ks, const dnssec_policy *p,
                                    int64_t when);
int dnssec_signer_sign(dnssec_signer *g, const uint8_t *owner, const db_rrset *s, size_t *next, uint8_t *rd);
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
