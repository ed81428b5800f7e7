/* resign.h: a change to a zone ternd signs, signed incrementally
 * (docs/architecture.md, "Re-signing what changed"): the edits applied
 * with zone_apply's fast path, plus the signer's own edits: the RRSIGs of
 * the RRsets that changed, and the NSEC or NSEC3 chain mended around the
 * names that enter or leave it. Control thread (or whoever holds the
 * server's change_lock). */
#ifndef TERN_DNSSEC_RESIGN_H
#define TERN_DNSSEC_RESIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/apply.h"
#include "dnssec/sign.h"

/* Records the signer makes: an edit of one is not the user's to make
 * (RRSIG, NSEC, NSEC3, NSEC3PARAM anywhere; DNSKEY, CDS, CDNSKEY at the
 * apex). */
bool dnssec_managed_type(const db_zone *z, const uint8_t *owner, uint16_t type);

typedef struct dnssec_resign_stats {
	bool whole;          /* signed whole (the structure moved, or the zone
	                      * was not signed by this key and policy) */
	size_t signatures;   /* RRSIGs made */
	size_t chain;        /* NSEC/NSEC3 records written or removed */
} dnssec_resign_stats;

/* The version of old (a zone ternd signs with the keys ks under p, as serving)
 * after edits (none of a managed type), signed: returns it with one
 * reference, or NULL with the reason in diag (as zone_apply). flags as
 * zone_apply's (DB_APPLY_DIFF: the journal entry, in ast->diff; when the
 * zone is signed whole it is db_diff_make's). serial: the new SOA serial,
 * or 0 to keep what the edits give. rs and ast may be NULL. */
db_zone *dnssec_resign(const db_zone *old, const db_edit *edits, size_t n, const struct dnssec_keyset *ks,
                       const dnssec_policy *p, uint32_t serial, unsigned flags, const char *what, db_diag *diag,
                       db_apply_stats *ast, dnssec_resign_stats *rs);

/* A reload: z (the zone file as loaded, unsigned or not) against the
 * version serving (signed by ternd with the keys ks under p): the
 * difference of their records but the signer's, re-signed as above, with
 * serial. Returns NULL, with nothing reported, when the served version is
 * not of these keys and this policy, or publishes CDS/CDNSKEY (the caller
 * signs z whole), or with the reason in diag. */
db_zone *dnssec_resign_reload(const db_zone *served, const db_zone *z, const struct dnssec_keyset *ks,
                              const dnssec_policy *p, uint32_t serial, db_diag *diag, dnssec_resign_stats *rs);

/* The timed refresh, one step (refresh.c; docs/architecture.md,
 * "Refreshing by parts"): of old's RRsets whose signatures are due (made
 * a quarter of p's validity ago or more, DNSSEC_INCEPTION_SKEW aside),
 * the oldest, at most p->refresh_slice (DNSSEC_REFRESH_SLICE when 0) of
 * them, signed again with the keys ks at now (a time() value), and the
 * SOA with serial: a change like an UPDATE's (flags as dnssec_resign's:
 * DB_APPLY_DIFF for the journal entry). journal: the zone's journal size
 * (0: none): fewer RRsets, so that the step's entry stays about a quarter
 * of it (all of it once the oldest due signatures are half way to their
 * expiry, rs->urgent), never fewer than DNSSEC_REFRESH_SLICE_MIN. Returns
 * the new version (one reference; its sig_oldest is the oldest inception
 * left), or NULL: rs->whole when old is not signed with ks and p's chain
 * (the caller signs it whole), rs->idle when nothing is due (rs->oldest:
 * the oldest inception there is), else with the reason in diag. */
typedef struct dnssec_refresh_stats {
	bool whole;        /* NULL returned: to be signed whole */
	bool idle;         /* NULL returned: nothing is due */
	bool urgent;       /* the oldest due are half way to their expiry */
	size_t rrsets;     /* RRsets signed again */
	size_t signatures; /* RRSIGs made */
	size_t due_left;   /* RRsets still due after this step */
	uint32_t oldest;   /* the oldest inception left (UINT32_MAX: none) */
} dnssec_refresh_stats;
db_zone *dnssec_refresh(const db_zone *old, const struct dnssec_keyset *ks, const dnssec_policy *p, uint32_t serial,
                        int64_t now, size_t journal, unsigned flags, db_diag *diag, db_apply_stats *ast,
                        dnssec_refresh_stats *rs);

#endif
