/* config.h: ternd's configuration, from the command line and from a file in
 * the nsd.conf/unbound.conf style:
 *
 *     server:
 *         listen: 127.0.0.1:5353
 *         threads: 2
 *     zone:
 *         name: example.com
 *         file: example.com.zone     # relative to this file's directory
 *
 * Every error names file:line. A config is built completely, then used
 * read-only; a reload builds a new one. */
#ifndef TERN_SERVER_CONFIG_H
#define TERN_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tern/name.h"

typedef struct cfg_listen {
	struct sockaddr_storage addr;
	socklen_t len;
	char text[64]; /* as given, for messages */
} cfg_listen;

typedef struct cfg_zone {
	uint8_t origin[TERN_NAME_MAX];
	char *file;
	char *where; /* "file:line" or "--zone" of its definition */
} cfg_zone;

typedef struct config {
	cfg_listen *listen;
	size_t nlisten;
	cfg_zone *zones;
	size_t nzones;
	unsigned threads;        /* 0: one per CPU */
	char *version;           /* CH TXT version.bind / version.server; NULL: refused */
	char *identity;          /* CH TXT id.server / hostname.bind, and NSID; NULL: refused */
	bool nsid;               /* answer NSID (RFC 5001) with identity */
	unsigned udp_max;        /* largest UDP answer with EDNS (default 1232) */
	unsigned tcp_idle_ms;    /* close a TCP connection idle this long */
	unsigned tcp_max;        /* TCP connections in all */
	int log_level;
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

#endif
