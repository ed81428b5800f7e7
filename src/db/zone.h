/* zone.h: the in-memory zone database.
 *
 * A zone is an immutable index of nodes (one per owner name, plus the empty
 * non-terminals between them and the apex), each with its RRsets. It is
 * built completely by zone_load (parsed, checked, indexed) before anyone
 * sees it, lives in one arena, and is freed as a whole. Lookups take no
 * lock: a built zone is never written again.
 *
 * A zone set is all the zones one server version serves; the most specific
 * zone containing a name answers for it. */
#ifndef TERN_DB_ZONE_H
#define TERN_DB_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/arena.h"
#include "tern/name.h"

typedef struct db_rrset {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	const uint8_t *rdata; /* count times: u16 length (host order), bytes */
} db_rrset;

enum {
	DB_APEX = 1 << 0,
	DB_CUT = 1 << 1,        /* NS below the apex: a delegation point */
	DB_OCCLUDED = 1 << 2,   /* strictly below a delegation point (cut) */
	DB_HAS_WILD = 1 << 3,   /* has a child named "*" */
	DB_DNAME = 1 << 4,      /* has a DNAME RRset */
	DB_UNDER_DNAME = 1 << 5,/* strictly below a DNAME (dname) */
	DB_GLUE = 1 << 6,       /* named as an NS target by a delegation */
};

typedef struct db_node {
	const uint8_t *name;        /* wire, case as first written */
	struct db_node *hnext;      /* hash chain */
	struct db_node *parent;     /* NULL at the apex */
	const struct db_node *cut;  /* DB_OCCLUDED: the topmost cut above */
	const struct db_node *dname;/* DB_UNDER_DNAME: the topmost DNAME above */
	uint32_t hash;
	uint16_t flags;
	uint16_t nrrsets;
	db_rrset *rrsets;           /* sorted by type */
	void *build;                /* records while loading; NULL after */
} db_node;

typedef struct db_zone {
	const uint8_t *origin;
	unsigned origin_labels;
	db_node *apex;
	db_node **table;
	uint32_t mask;
	size_t nnodes, nrecords;
	const db_rrset *soa;
	uint32_t neg_ttl;  /* RFC 2308 5: min(SOA TTL, SOA MINIMUM) */
	uint32_t serial;
	const char *file;
	bool local; /* local records: no SOA/NS needed, no delegations */
	arena mem;
} db_zone;

/* Diagnostics while loading: one call per problem, naming file:line. */
typedef struct db_diag {
	void (*fn)(void *user, bool error, const char *file, unsigned line, const char *msg);
	void *user;
	unsigned errors, warnings;
} db_diag;

void db_diag_report(db_diag *d, bool error, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Loads a zone from a master file. Every problem is reported through diag;
 * returns the zone only if there were no errors (warnings are fine), else
 * NULL. */
db_zone *zone_load(const uint8_t *origin, const char *path, db_diag *diag);
/* The same from text in memory (tests, local data). */
db_zone *zone_load_string(const uint8_t *origin, const char *name, const char *text, db_diag *diag);
/* Local records (zone-file lines with absolute names, origin the root):
 * answered for exactly their names, with no SOA, NS or delegations. */
db_zone *zone_load_local(const char *name, const char *text, db_diag *diag);
void zone_free(db_zone *z);

/* The node with exactly this name, or NULL. */
const db_node *zone_find(const db_zone *z, const uint8_t *name);
const db_rrset *node_rrset(const db_node *n, uint16_t type);

/* Iterates RDATA of an RRset: for (rdata_iter it = ...). */
static inline const uint8_t *rrset_rdata(const uint8_t *p, uint16_t *len)
{
	uint16_t l;
	__builtin_memcpy(&l, p, 2);
	*len = l;
	return p + 2;
}

typedef struct db_set {
	db_zone **zones;
	size_t nzones;
	db_zone **table; /* by origin, open addressing */
	uint32_t mask;
} db_set;

db_set *db_set_new(db_zone **zones, size_t n); /* takes ownership */
void db_set_free(db_set *s);
/* The most specific zone containing name, or NULL. */
const db_zone *db_set_find(const db_set *s, const uint8_t *name);
/* The zone whose origin is exactly name, or NULL. */
const db_zone *db_set_get(const db_set *s, const uint8_t *name);

#endif
