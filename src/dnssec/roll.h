/* roll.h: the key timing state machine of a zone ternd signs (issue 12
 * item 3): which keys a zone has, and when each moves on, per RFC 7583
 * (timing) and RFC 6781 4.1 (the methods):
 *
 * - ZSK rollover by pre-publication (RFC 6781 4.1.1.1, RFC 7583 3.2.1):
 *   dnssec-zsk-lifetime after a ZSK became active, a new ZSK is published;
 *   Ipub = TTL(DNSKEY) + propagation delay later it becomes active and the
 *   old one retires (stops signing, stays published); Iret = max zone TTL
 *   + propagation delay later (Dsgn is 0: the zone is signed whole) the
 *   old one is removed.
 * - KSK (and CSK) rollover by double signature (RFC 6781 4.1.2, RFC 7583
 *   3.3.1): dnssec-ksk-lifetime after a KSK became active, a new KSK is
 *   published and signs the DNSKEY RRset beside the old one at once;
 *   TTL(DNSKEY) + propagation delay later it is ready (its DS may go to
 *   the parent: CDS/CDNSKEY name it); once the operator says the DS is at
 *   the parent (ternctl zone-ksk-submitted) and the parent's DS TTL +
 *   propagation delay have passed, the old key is retired and removed.
 * - A zone with no key gets its first ones at once, active (and a KSK
 *   ready) from the start: nothing is cached yet that they must wait for.
 *
 * Pure functions of the keys' timing (keystate.h), the policy and a clock
 * given by the caller: no I/O, so tests drive it with a fake clock. */
#ifndef TERN_DNSSEC_ROLL_H
#define TERN_DNSSEC_ROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnssec/keystate.h"

typedef struct roll_policy {
	bool single_type;      /* a zone's first key is a CSK (else a KSK and a ZSK) */
	uint32_t zsk_lifetime; /* seconds; 0: never rolled */
	uint32_t ksk_lifetime;
	uint32_t propagation_delay; /* until every secondary serves a new version */
	uint32_t parent_ds_ttl;     /* how long resolvers may keep the parent's old DS */
	uint32_t dnskey_ttl;        /* the zone's: TTL of its DNSKEY RRset */
	uint32_t max_ttl;           /* the largest TTL in the signed zone */
} roll_policy;

/* Takes every step due at now (keys[i] changed in place; *changed set when
 * any did). Returns 0, or the role (dnssec_role) of a key the zone needs
 * now: the caller makes it, adds it with only role, alg, tag and created
 * (= now) set, and calls again. */
int roll_advance(dnssec_keystate *const *keys, size_t n, const roll_policy *p, int64_t now, bool *changed);

/* When the next step is due (a time > now once roll_advance ran at now;
 * <= now when one is due), 0 when none is planned (waiting for nothing, or
 * only for ternctl zone-ksk-submitted). */
int64_t roll_next(dnssec_keystate *const *keys, size_t n, const roll_policy *p, int64_t now);

/* What a key does in the version signed now. */
bool roll_published(const dnssec_keystate *k); /* in the DNSKEY RRset */
bool roll_signs_keys(const dnssec_keystate *k); /* signs DNSKEY, CDS, CDNSKEY */
bool roll_signs_data(const dnssec_keystate *k); /* signs every other RRset */

/* The key CDS and CDNSKEY name (RFC 7344 4, RFC 8078), -1 for none: the
 * newest ready KSK (or CSK); with only_unsubmitted (dnssec-cds: rollover)
 * only while its DS is not confirmed at the parent. */
int roll_cds_key(dnssec_keystate *const *keys, size_t n, bool only_unsubmitted);

/* ternctl zone-ksk-submitted: the ready KSKs whose DS was not confirmed are
 * now; returns how many. */
size_t roll_submitted(dnssec_keystate *const *keys, size_t n, int64_t now);

/* For ternctl zone-status: key i's state ("active", "published", ...) and
 * its next step in words, with its time (UTC) where it has one. */
void roll_describe(dnssec_keystate *const *keys, size_t n, size_t i, const roll_policy *p, int64_t now, char *state,
                   size_t scap, char *next, size_t ncap);

#endif
