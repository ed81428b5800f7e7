/* valconf.h: the validator's settings (docs/configuration.md, "DNSSEC
 * validation"):
 *   dnssec-validation: yes|no   default: yes when a trust anchor is given
 *   trust-anchor: "ZONE DS ..." or "ZONE DNSKEY ..." (zone-file syntax)
 *   trust-anchor-file: FILE     zone-file lines of DS or DNSKEY records
 *   domain-insecure: NAME       a negative trust anchor: NAME and below are
 *                               not validated (RFC 7646)
 * With dnssec-validation: yes and no anchor, the root's is read from
 * VAL_ROOT_KEY (Debian's dns-root-data). Built while the configuration is
 * read; read only afterwards (shared by the workers). */
#ifndef TERN_VALIDATE_VALCONF_H
#define TERN_VALIDATE_VALCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/name.h"

#define VAL_ROOT_KEY "/usr/share/dns/root.key"

typedef struct val_anchor {
	uint8_t zone[TERN_NAME_MAX]; /* lower case */
	uint16_t type;               /* DS or DNSKEY */
	uint16_t rdlen;
	uint8_t *rdata;
} val_anchor;

typedef struct val_conf {
	int setting;        /* dnssec-validation: -1 unset, 0 no, 1 yes */
	bool on;            /* decided by val_conf_finish */
	val_anchor *anchors;
	size_t nanchors;
	uint8_t (*insecure)[TERN_NAME_MAX]; /* domain-insecure, lower case */
	size_t ninsecure;
} val_conf;

/* A server option of the configuration file: 1 when key is not one of
 * the validator's, 0 when taken, -1 on an error (logged with where).
 * base: the configuration file, relative paths are read from its
 * directory. *vc is allocated on first use. */
int val_conf_option(val_conf **vc, const char *key, const char *val, const char *where, const char *base);
/* Decides whether validation is on and reads the default root anchor
 * when it is wanted. Returns the number of errors (logged). */
int val_conf_finish(val_conf **vc);
void val_conf_free(val_conf *vc);

/* The anchors' zone closest above name (or name itself), or NULL. */
const uint8_t *val_anchor_for(const val_conf *vc, const uint8_t *name);
/* Whether a domain-insecure covers name. */
bool val_insecure(const val_conf *vc, const uint8_t *name);

#endif
