/* config_dnssec.h: the key and rollover settings of a zone ternd signs
 * (dnssec/sign.h, dnssec/roll.h), read from its zone: block. The older
 * dnssec-* settings (algorithm, denial, validity, cds, files) are read by
 * config.c itself. */
#ifndef TERN_SERVER_CONFIG_DNSSEC_H
#define TERN_SERVER_CONFIG_DNSSEC_H

#include "dnssec/sign.h"

/* One "key: val" line of a zone block: 1 when key is none of these, 0 when
 * it was read into p, -1 when its value is wrong (logged with where). */
int config_dnssec_option(dnssec_policy *p, const char *key, const char *val, const char *where);
/* dnssec-signing-threads (a zone's, or the server's default for the zones
 * that do not set it): 1..DNSSEC_SIGN_THREADS_MAX into *out, or -1 (logged
 * with where). */
int config_dnssec_threads(const char *val, unsigned *out, const char *where);

#endif
