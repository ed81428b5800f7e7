/* validate.h: the DNSSEC validator of the forwarding cache (RFC 4033-4035,
 * RFC 5155, RFC 6840). It judges what the cache holds, entry by entry: an
 * RRset with its RRSIGs, or a negative entry with its NSEC/NSEC3 proofs,
 * against the chain of trust from the configured anchor (valconf.h) down to
 * the zone that signed it, built from DS and DNSKEY RRsets which are asked
 * of the upstreams like any question and cached (with their own status).
 *
 * No sockets and no waiting: when something the chain needs is not in the
 * cache, val_entry says VAL_NEED with the question to ask; the caller asks
 * it upstream (with CD=1) and calls again when the answer is cached. Each
 * verdict is stored with the entry (cache_set_status), so an entry is
 * checked once.
 *
 * Thread safety: any thread; reads the cache through cache_peek copies. */
#ifndef TERN_VALIDATE_VALIDATE_H
#define TERN_VALIDATE_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "resolve/cache.h"
#include "validate/valconf.h"

enum val_result { VAL_SECURE, VAL_INSECURE, VAL_BOGUS, VAL_NEED };

typedef struct val_need {
	uint8_t name[TERN_NAME_MAX];
	uint16_t type; /* DS or DNSKEY */
} val_need;

/* The status of the entry cache_get(name, type) serves (it must exist).
 * now_s: the time for signature validity (seconds since 1970). On
 * VAL_BOGUS, why holds the reason (for the debug log and the EDE text). */
enum val_result val_entry(const val_conf *vc, cache *c, uint64_t now_ms, uint32_t now_s, const uint8_t *name,
                          uint16_t type, val_need *need, char *why, size_t whylen);

/* The cache status bits of a result. */
uint8_t val_status_flags(enum val_result r);

#endif
