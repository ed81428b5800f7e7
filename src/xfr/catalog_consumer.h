/* catalog_consumer.h: which member zones the consumer catalogs of a
 * configuration give (RFC 9432 5), worked out from the catalog versions a
 * zone set serves. The zone manager (server/zones.c, at start-up) and the
 * secondary thread (xfr/secondary.c, after each catalog transfer and each
 * reload) both ask it, so they agree. No I/O but logging. */
#ifndef TERN_XFR_CATALOG_CONSUMER_H
#define TERN_XFR_CATALOG_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"
#include "server/config.h"

typedef struct catalog_want {
	uint8_t zone[TERN_NAME_MAX]; /* the member zone */
	uint8_t id[64];              /* its member node's label (<unique-N>): length byte, bytes */
	size_t catalog;              /* its catalog: an index into cfg->zones */
	char *file;                  /* where it is kept (catalog_member_file) */
} catalog_want;

typedef struct catalog_wants {
	catalog_want *m; /* sorted by zone (tern_name_cmp) */
	size_t n, cap;
	/* per cfg zone: false for a consumer catalog that could not be read
	 * (no data, unknown version, broken, too many members): its members
	 * stay as they are (RFC 9432 5.1) */
	bool *usable;
} catalog_wants;

/* Who registered a member zone now: the cfg index of its catalog, or -1. */
typedef long (*catalog_owner_fn)(void *arg, const uint8_t *zone);

/* Fills out with the members of every consumer catalog of cfg, as the
 * versions in set list them. Refused, with a log line when log is set: a
 * member that is the root, the catalog or below it; a zone of the
 * configuration (RFC 9432 5.2, name clash); a zone another catalog has
 * (the one owner() names keeps it, else the first in configuration
 * order); a member whose file would be a configured zone's file. Returns
 * 0, or -1 when out of memory (out empty). */
int catalog_wanted(const config *cfg, const db_set *set, catalog_owner_fn owner, void *arg, bool log,
                   catalog_wants *out);
void catalog_wants_free(catalog_wants *w);
/* The index in w->m of zone (lower-case, as stored), or -1. */
long catalog_wants_find(const catalog_wants *w, const uint8_t *zone);

#endif
