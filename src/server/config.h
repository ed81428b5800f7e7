/* config.h: ternd's configuration, from the command line and from a file in
 * the nsd.conf/unbound.conf style:
 *
 *     server:
 *         listen: 127.0.0.1:5353
 *         threads: 2
 *     zone:
 *         name: example.com
 *         file: example.com.zone     # relative to this file's directory
 *         dnssec-signing: on         # ternd signs it (dnssec/sign.h)
 *
 * Every error names file:line. A config is built completely, then used
 * read-only; a reload builds a new one. */
#ifndef TERN_SERVER_CONFIG_H
#define TERN_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "dnssec/sign.h"
#include "tern/prefix.h"
#include "tern/name.h"
#include "resolve/forward.h"
#include "tern/tsig.h"
#include "xfr/xfrconf.h"

/* What a listen address serves: plain DNS (UDP and TCP), DNS over TLS
 * (TCP, RFC 7858) or DNS over HTTPS (TCP, HTTP/2, RFC 8484). */
enum cfg_transport { CFG_PLAIN = 0, CFG_TLS = 1, CFG_HTTPS = 2 };

typedef struct cfg_listen {
	struct sockaddr_storage addr;
	socklen_t len;
	char text[64]; /* for messages: "192.0.2.1:53", "[2001:db8::1]:53" (the port always shown) */
	uint8_t transport; /* enum cfg_transport */
} cfg_listen;

typedef struct cfg_zone {
	uint8_t origin[TERN_NAME_MAX];
	char *file;  /* NULL only for a catalog producer without file: */
	char *where; /* "file:line" of its file: line, or "--zone" */
	struct cfg_xfrin *xfrin; /* a secondary's settings (src/xfr/xfrin_config.h), or NULL */
	xfr_zone_conf xfr; /* allow-transfer, notify, journal-size (xfr/xfrconf.h) */
	dnssec_policy sign; /* dnssec-signing and its options (sign.h) */
	struct cfg_catalog *catalog; /* catalog zone settings (src/xfr/catalog_config.h), or NULL */
} cfg_zone;

/* A value and where it was given ("file:line", "--local"), for messages. */
typedef struct cfg_str {
	char *val;
	char *where;
} cfg_str;

typedef struct cfg_acl {
	tern_prefix pfx;
	bool allow;
} cfg_acl;

typedef struct cfg_forward {
	uint8_t zone[TERN_NAME_MAX]; /* "." for the default upstreams */
	cfg_listen addr;
	fwd_tls tls;                 /* "ADDR tls NAME [pin sha256/B64]" (config_tls.c) */
} cfg_forward;

typedef struct config {
	cfg_listen *listen;
	size_t nlisten;
	cfg_zone *zones;
	size_t nzones;
	unsigned threads;        /* 0: one per CPU */
	unsigned sign_threads;   /* dnssec-signing-threads of the zones that do not set it; 0: one per CPU */
	char *version;           /* CH TXT version.bind / version.server; NULL: refused */
	char *identity;          /* CH TXT id.server / hostname.bind, and NSID; NULL: refused */
	bool nsid;               /* answer NSID (RFC 5001) with identity */
	unsigned udp_max;        /* largest UDP answer with EDNS (default 1232) */
	unsigned tcp_idle_ms;    /* close a TCP connection idle this long */
	unsigned tcp_max;        /* TCP connections in all */
	unsigned tcp_max_per_client; /* TCP connections from one address, per worker */
	int log_level;
	char *log_file;          /* NULL: stderr; "syslog"; or a path (see log_open) */
	/* forwarding (see docs/configuration.md) */
	cfg_forward *forward;    /* upstreams, per zone ("." = all other names) */
	size_t nforward;
	bool no_forward;         /* forward: none */
	char *resolv_conf;       /* where to find upstreams when none are given */
	char *user;              /* drop to this user after binding (least privilege) */
	char *chroot;            /* chroot here after binding; files must lie inside */
	cfg_acl *acl;            /* who may use forwarding and the cache */
	size_t nacl;
	cfg_str *local_data;     /* zone-file lines: local records */
	size_t nlocal_data;
	cfg_str *local_files;    /* files of zone-file lines */
	size_t nlocal_files;
	cfg_str *hosts_files;    /* /etc/hosts format */
	size_t nhosts_files;
	size_t cache_bytes;      /* default 64 MiB */
	unsigned cache_min_ttl, cache_max_ttl, cache_max_neg_ttl;
	unsigned serve_stale;    /* seconds past expiry; 0: off */
	unsigned stale_client_ms; /* RFC 8767 client-response timer (default 1800); 0: off */
	unsigned forward_timeout_ms; /* give up (SERVFAIL) after this long */
	unsigned max_inflight;   /* distinct questions outstanding upstream */
	unsigned rrl_limit;      /* responses/s per client prefix and kind; 0: off */
	unsigned rrl_slip;       /* every Nth limited response goes out truncated */
	unsigned rrl_v4_prefix, rrl_v6_prefix;
	bool cookies;            /* answer DNS cookies (RFC 7873, 9018); default on */
	tern_tsig_key *keys;     /* TSIG keys ("key:" sections), names distinct */
	size_t nkeys;
	unsigned xfr_max;        /* zone transfers out at once, in all (xfr-max-concurrent) */
	/* operations (issue 13): read at start only */
	char *control;           /* the control socket's path (ternctl), or NULL */
	cfg_listen metrics;      /* where /metrics is served, if metrics_on */
	bool metrics_on;
	char *query_log;         /* one line per query to this file, or NULL */
	char *dnstap;            /* "unix:PATH" or a file for dnstap, or NULL */
	/* the policy engine (src/policy/policy.h): local zones, block lists,
	 * RPZ, client groups ("group:" sections) */
	pol_config policy;
	/* TLS (config_tls.c): listen-tls/listen-https addresses are in listen[]
	 * with their transport; the files are read into a context per version */
	char *tls_cert;          /* tls-certificate: PEM chain */
	char *tls_key;           /* tls-key: PEM private key */
	char *tls_ca_file;       /* tls-ca-file: CAs for TLS upstreams; NULL: the system's */
	struct val_conf *val;    /* DNSSEC validation (src/validate/valconf.h), or NULL */
} config;

/* Defaults: no listeners, no zones, 1232, 10 s, 1000 connections. */
void config_init(config *c);
void config_free(config *c);

/* Reads a configuration file into c (adding to what is there). Errors are
 * logged as file:line and counted; returns the number of errors. */
int config_load(config *c, const char *path);

/* "127.0.0.1:5353", "[::1]:5353", "127.0.0.1" (port 53), "::1" (port 53). */
int config_parse_listen(const char *s, cfg_listen *out);
int config_add_listen(config *c, const char *s, const char *where);
/* "example.org=zones/example.org.zone" */
int config_add_zone(config *c, const char *origin, const char *file, const char *where);

/* Adds val to *v (local_data, local_files or hosts_files of c), given at
 * where. Returns 0 or -1 (out of memory). */
int config_add_str(cfg_str **v, size_t *n, const char *val, const char *where);

/* "10.0.0.1:53" (port 53 if omitted) for zone ("." for the default). */
int config_add_forward(config *c, const char *zone, const char *addr, const char *where);
/* "192.168.0.0/16 allow" or "10.0.0.0/8 refuse" */
int config_add_acl(config *c, const char *spec, const char *where);
/* A TSIG key: name, algorithm (NULL: hmac-sha256), base64 secret. Logs
 * what is wrong with where (file:line) and returns -1, or 0. */
int config_add_key(config *c, const char *name, const char *alg, const char *secret, const char *where);
/* config_tls.c: the TLS keys of a server: section (listen-tls,
 * listen-https, tls-certificate, tls-key, tls-ca-file). Returns 0 when key
 * is not one of them, 1 when taken, -1 after logging an error at where.
 * path: the configuration file (relative file names start at its
 * directory). */
int config_tls_option(config *c, const char *key, const char *val, const char *path, const char *where);
/* The words after an upstream's address: "tls NAME" or "tls NAME pin
 * sha256/BASE64" or "tls pin sha256/BASE64" (DNS over TLS, RFC 7858 and
 * 8310: strict, the name checked against the certificate or the key
 * against the pin). An empty tail is plain DNS. Returns 0, or -1 after
 * logging why at where. */
int config_forward_tls(const char *tail, fwd_tls *out, const char *where);
/* "https://ADDR[:PORT][/PATH] NAME [pin sha256/BASE64]" (or "https://ADDR
 * pin ..."): DNS over HTTPS (RFC 8484), the port 443 and the path
 * /dns-query by default. The address with its port goes to addr. Returns
 * 0, or -1 after logging why at where. */
int config_forward_https(const char *spec, char *addr, size_t addrlen, fwd_tls *out, const char *where);
/* Drops the plain listen addresses, keeping listen-tls/listen-https ones
 * (--listen on the command line replaces the file's plain addresses). */
void config_drop_plain_listens(config *c);
/* Checks the TLS settings as a whole (a TLS listener needs a certificate
 * and key). Returns the number of errors logged. */
int config_tls_check(const config *c);

/* Does the ACL let this client use forwarding and the cache? The most
 * specific prefix that covers the address decides; an address no rule
 * covers is allowed only if it is loopback (127.0.0.0/8, ::1). */
bool config_allowed(const config *c, const struct sockaddr *sa);

#endif
