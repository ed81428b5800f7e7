/* xfrin_config.h: the settings of a secondary zone (docs/configuration.md,
 * "Secondary zones"): in a zone: section,
 *
 *     primary: 192.0.2.1:53 [key NAME] [tls NAME] [pin sha256/B64]
 *                                           (repeatable: tried in order;
 *                                           tls: SOA queries and transfers
 *                                           over TLS only, port 853 default)
 *     allow-notify: 192.0.2.0/24 [key NAME] (repeatable)
 *     xfr-max-size: 512m                    (bound on one transfer)
 *
 * A zone with a primary is a secondary: its file: is where the transferred
 * zone is kept (it need not exist), and it is not read again on reload. */
#ifndef TERN_XFR_XFRIN_CONFIG_H
#define TERN_XFR_XFRIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tern/name.h"

/* A primary (address and port) or an allow-notify prefix, with an optional
 * TSIG key named by its key: section. */
typedef struct cfg_peer {
	struct sockaddr_storage addr;
	socklen_t len;
	unsigned bits;   /* prefix length; the whole address for a primary */
	char text[80];   /* as given, for messages */
	bool has_key;
	uint8_t key[TERN_NAME_MAX];
	/* a primary asked over TLS (RFC 9103 XoT): "tls NAME" (the name its
	 * certificate must carry) and/or "pin sha256/BASE64" */
	bool tls;
	char tls_name[256];
	bool has_pin;
	uint8_t pin[32];
} cfg_peer;

typedef struct cfg_xfrin {
	cfg_peer *primaries;
	size_t nprimaries;
	cfg_peer *allow_notify;
	size_t nallow_notify;
	size_t max_bytes; /* xfr-max-size; default XFRIN_MAX_BYTES */
} cfg_xfrin;

#define XFRIN_MAX_BYTES ((size_t)1 << 30)

struct config;
struct cfg_zone;

/* One option of a zone: section. Returns 1 if key is not a secondary
 * option, 0 when taken into *x (made on first use), -1 after logging what
 * is wrong as where: message. */
int xfrin_config_option(cfg_xfrin **x, const char *key, const char *val, const char *where);
/* After the whole file: every key named exists, allow-notify only with a
 * primary. Logs each problem (naming the zone's definition); returns
 * their number. */
int xfrin_config_check(const struct config *c);
void xfrin_config_free(cfg_xfrin *x);

/* Whether sa (a NOTIFY's source) may notify this secondary zone, signed
 * with key (NULL: unsigned): an allow-notify prefix whose key (if it
 * names one) is key, or else one of the primaries' addresses (any port),
 * as BIND and Knot allow by default. */
bool xfrin_notify_allowed(const cfg_xfrin *x, const struct sockaddr *sa, const uint8_t *key);

#endif
