/* resign_impl.h: what resign.c and resign_reload.c share. Internal to
 * src/dnssec. */
#ifndef TERN_DNSSEC_RESIGN_IMPL_H
#define TERN_DNSSEC_RESIGN_IMPL_H

#include <stdbool.h>

#include "dnssec/keyimpl.h"

/* The served DNSKEY RRset of z holds k's key. */
bool dnssec_key_serves(const db_zone *z, const dnssec_key *k);
/* z's chain is of p's kind (NSEC or NSEC3), and not empty. */
bool dnssec_chain_is(const db_zone *z, const dnssec_policy *p);

#endif
