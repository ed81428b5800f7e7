/* resign_impl.h: what resign.c and resign_reload.c share. Internal to
 * src/dnssec. */
#ifndef TERN_DNSSEC_RESIGN_IMPL_H
#define TERN_DNSSEC_RESIGN_IMPL_H

#include <stdbool.h>

#include "dnssec/keyimpl.h"

/* The served DNSKEY RRset of z is the keys of ks that are published, and
 * some of them sign: z was signed with this key set. */
bool dnssec_keys_serve(const db_zone *z, const dnssec_keyset *ks);
/* z's chain is of p's kind (NSEC or NSEC3), and not empty. */
bool dnssec_chain_is(const db_zone *z, const dnssec_policy *p);

#endif
