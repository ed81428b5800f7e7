/* upstreams.h: building a version's upstream sets and its resolver (the
 * cache and the in-flight table) from the configuration, at start-up and
 * at each reload (main.c). Main thread only. */
#ifndef TERN_SERVER_UPSTREAMS_H
#define TERN_SERVER_UPSTREAMS_H

#include "server/config.h"
#include "server/server.h"

/* The upstreams (from the configuration, else the nameserver lines of
 * resolv.conf); sets[0] is the default set, maybe empty. prev (may be
 * NULL): the sets serving now, whose health is kept. NULL: out of memory. */
upstreams *upstreams_build(const config *c, const upstreams *prev);
/* Adds addr to the set of zone ("" is the root: the default set), with
 * its TLS settings (may be NULL). -1 when it is refused (this server's
 * own address: a forwarding loop; too many for one zone), logged. */
int upstreams_add(upstreams *r, const config *c, const uint8_t *zone, const cfg_listen *addr, const fwd_tls *tls);
/* How many upstreams u has in all its sets (u may be NULL). */
unsigned upstreams_total(const upstreams *u);
/* A reload keeps what is known of an upstream that stays (same zone, same
 * address): its round-trip time and its run of timeouts. */
void upstreams_keep_health(upstreams *u, const upstreams *prev);

/* The cache and the in-flight table. NULL: no upstreams, no forwarding. */
resolver *resolver_build(const config *c, const upstreams *ups);
void resolver_free(resolver *r);

#endif
