/* xfrin_net.h: a secondary's exchanges with one primary, blocking with
 * deadlines (the secondary thread's own sockets; never a worker's): the
 * SOA query (UDP, then TCP when truncated) and a transfer over TCP fed to
 * an xfrin; both over TLS only for a primary given with "tls" (RFC 9103). Requests carry an empty EDNS EXPIRE option (RFC 7314 2) and are
 * signed when the primary has a key; answers to signed requests must be
 * signed. Zone files and the timer state are written here too. */
#ifndef TERN_XFR_XFRIN_NET_H
#define TERN_XFR_XFRIN_NET_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "db/zone.h"
#include "tern/tsig.h"
#include "tls/tls.h"
#include "xfr/xfrin.h"

typedef struct xfr_primary {
	struct sockaddr_storage addr;
	socklen_t len;
	char text[80];
	bool has_key;
	tern_tsig_key key;
	/* XFR over TLS (RFC 9103): SOA queries and transfers over TLS only,
	 * ALPN "dot", the certificate checked against tls_name and the CAs of
	 * tls_ca (tls-ca-file; "": the system's store), or the key against
	 * pin. Plain data: the struct is copied as it is (catalog members). */
	bool tls;
	char tls_name[256];
	bool has_pin;
	tls_pin pin;
	char tls_ca[1024];
} xfr_primary;

/* The primary's SOA serial for origin (and its EDNS EXPIRE value in
 * *expire, -1 without one). timeout_ms bounds each try (UDP, then TCP
 * when truncated or silent). Every wait ends within 100 ms of *cancel
 * becoming true (cancel may be NULL). Returns 0, or -1 with err holding
 * one line. */
int xfr_soa_query(const xfr_primary *p, const uint8_t *origin, int timeout_ms, const atomic_bool *cancel,
                  uint32_t *serial, int64_t *expire, char *err, size_t errcap);

/* A transfer: AXFR, or IXFR from cur (which must have data) when ixfr.
 * x is initialised here (xfrin_free it after). idle_ms bounds each wait
 * for the primary, total_ms the whole transfer (a primary that trickles
 * cannot hold the thread), cancel as for xfr_soa_query. Returns
 * XFRIN_DONE, or XFRIN_ERR with err holding one line. */
int xfr_transfer(const xfr_primary *p, const db_zone *cur, bool ixfr, size_t max_bytes, int idle_ms, int total_ms,
                 const atomic_bool *cancel, xfrin *x, char *err, size_t errcap);

/* Writes z as a zone file at path atomically (a temporary file beside it,
 * fsync, rename, fsync of the directory). Returns 0 or -1 with err. */
int xfr_zone_save(const db_zone *z, const char *path, char *err, size_t errcap);

/* The timers of a secondary zone, kept in "<file>.state" (docs/
 * configuration.md): the serial they belong to, when it was last
 * refreshed, and when it expires (seconds since the epoch). */
typedef struct xfr_state {
	uint32_t serial;
	int64_t refreshed;
	int64_t expires;
} xfr_state;
int xfr_state_save(const char *zone_file, const xfr_state *st);
/* 0 with st filled, or -1 (no file, or one that does not parse). */
int xfr_state_load(const char *zone_file, xfr_state *st);

#endif
