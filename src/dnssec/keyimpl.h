/* keyimpl.h: a zone's signing keys as keys.c and sign.c share them.
 * Internal to src/dnssec. */
#ifndef TERN_DNSSEC_KEYIMPL_H
#define TERN_DNSSEC_KEYIMPL_H

#include <openssl/evp.h>

#include "dnssec/keystate.h"
#include "dnssec/sign.h"

typedef struct dnssec_key {
	EVP_PKEY *pkey;
	uint8_t alg;
	uint16_t tag;
	uint8_t dnskey[4 + 64]; /* the DNSKEY RDATA (flags 257 for a KSK or CSK, 256 for a ZSK) */
	size_t dnskey_len;
	dnssec_keystate st; /* its timing (keystate.h) */
	bool dirty;         /* st changed since its file was read */
	/* what it does in the version signed now (dnssec_keys_roll) */
	bool publish, sign_keys, sign_data;
} dnssec_key;

typedef struct dnssec_keyset {
	dnssec_key **k; /* in key file name order, then the ones made since */
	size_t n, cap;
	int cds;        /* the key CDS and CDNSKEY name, -1: none */
	char dir[4096]; /* "dir/" or "" */
	char zname[TERN_NAME_TEXT_MAX]; /* the zone, no final dot */
	uint8_t alg;
} dnssec_keyset;

/* Writes text to path whole: to "path.new", then renamed over path, so a
 * reader (or a crash) never sees half of it. -1 with errno on a failure
 * (path.new removed). */
int dnssec_file_replace(const char *path, const char *text, size_t len);

#endif
