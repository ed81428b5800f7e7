/* xfrconf.h: the transfer settings of one zone (docs/configuration.md):
 *
 *     zone:
 *         allow-transfer: 192.0.2.0/24 key xfr-key   # repeatable
 *         notify: 192.0.2.7:53 key xfr-key          # repeatable
 *         journal-size: 1m
 *         allow-update: 127.0.0.1 key ddns-key       # repeatable (UPDATE)
 *
 * and of the server (xfr-max-concurrent). Parsed here so that config.c
 * only hands over the keys it does not know. Key names are checked
 * against the configuration's `key:` sections once the whole file is read
 * (xfrconf_check). */
#ifndef TERN_XFR_XFRCONF_H
#define TERN_XFR_XFRCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tern/name.h"
#include "tern/prefix.h"

/* One allow-transfer line: an address prefix and, optionally, the TSIG key
 * the request must be signed with. */
typedef struct xfr_acl {
	tern_prefix pfx;
	bool has_key;
	uint8_t key[TERN_NAME_MAX]; /* wire, when has_key */
} xfr_acl;

/* One notify line: where to send NOTIFY, and the key to sign it with. */
typedef struct xfr_notify_to {
	struct sockaddr_storage addr;
	socklen_t len;
	bool has_key;
	uint8_t key[TERN_NAME_MAX];
} xfr_notify_to;

#define XFR_JOURNAL_DEFAULT (1u << 20) /* bytes of differences kept per zone */

typedef struct xfr_zone_conf {
	xfr_acl *acl;
	size_t nacl;
	xfr_acl *update; /* allow-update (RFC 2136, xfr/updater.c): the same form */
	size_t nupdate;
	xfr_notify_to *notify;
	size_t nnotify;
	size_t journal_size; /* 0: no journal (IXFR answered AXFR-style) */
} xfr_zone_conf;

void xfrconf_init(xfr_zone_conf *x);
void xfrconf_free(xfr_zone_conf *x);
/* Moves x into a new owner (x is left empty). */
xfr_zone_conf xfrconf_take(xfr_zone_conf *x);

/* Handles one zone option if it is a transfer setting. Returns 1 when key
 * is not one of ours, 0 when it was taken, -1 after logging an error
 * naming where (file:line). */
int xfrconf_zone_option(xfr_zone_conf *x, const char *key, const char *val, const char *where);

/* "PREFIX [key NAME]" / "ADDR[:PORT] [key NAME]". Return 0 or -1 (logged). */
int xfrconf_parse_acl(const char *val, xfr_acl *out, const char *where);
int xfrconf_parse_notify(const char *val, xfr_notify_to *out, const char *where);

/* Does an allow-transfer list let a client (address, and the key that
 * verified its request, NULL if unsigned) transfer? Any matching line
 * whose key (if it names one) is the request's key allows. An empty list
 * allows nobody. */
bool xfr_acl_allows(const xfr_acl *acl, size_t n, const struct sockaddr *client, const uint8_t *key);

#endif
