/* query.h: from one query packet to one response packet. Used by the UDP
 * and TCP paths alike; takes no lock and allocates nothing. */
#ifndef TERN_SERVER_QUERY_H
#define TERN_SERVER_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"
#include "server/config.h"

/* What a worker sees of one published server version. */
typedef struct version {
	config cfg;
	db_set *zones;
	uint64_t generation;
} version;

/* Writes the response to pkt into out (cap bytes, at least 65535 for TCP)
 * and returns its length, or 0 when nothing is to be sent. */
size_t query_respond(const version *v, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap, bool tcp);

#endif
