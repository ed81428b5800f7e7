/* keyimpl.h: the signing key as keys.c and sign.c share it. Internal to
 * src/dnssec. */
#ifndef TERN_DNSSEC_KEYIMPL_H
#define TERN_DNSSEC_KEYIMPL_H

#include <openssl/evp.h>

#include "dnssec/sign.h"

typedef struct dnssec_key {
	EVP_PKEY *pkey;
	uint8_t alg;
	uint16_t tag;
	uint8_t dnskey[4 + 64]; /* the DNSKEY RDATA */
	size_t dnskey_len;
} dnssec_key;

#endif
