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

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "db/arena.h"
#include "tern/name.h"
#include "tern/zonefile.h"

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
	DB_HASHED = 1 << 7,     /* an NSEC3 owner and nothing else: kept out of
	                         * the table (RFC 5155 7.2.8), in the zone's
	                         * NSEC3 index only (db_dnssec) */
};

typedef struct db_node {
	const uint8_t *name;        /* wire, case as first written */
	union {
		struct db_node *hnext;  /* hash chain (once built) */
		void *build;            /* records while loading (zone.c links a
		                         * node into the table only after it is
		                         * done with them; the apex last, at the
		                         * end of the load) */
	};
	struct db_node *parent;     /* NULL at the apex */
	/* Sorted by type; one RRset per type, except RRSIG: one RRset per
	 * type covered (RFC 4034 3, RFC 4035 2.2), consecutive, in order of
	 * the type covered (the first two bytes of each RDATA), each with its
	 * own TTL. The signatures of RRset X are the RRSIG RRset whose first
	 * RDATA covers X.type: node_rrsigs(n, X.type). */
	db_rrset *rrsets;
	uint32_t hash;              /* db_name_hash(name) */
	uint8_t flags;
	uint8_t name_len;           /* tern_name_len(name) */
	uint16_t nrrsets;
	uint32_t nchildren;         /* nodes whose parent this is (zone_apply
	                             * removes a name only when it has none) */
} db_node;

/* DB_OCCLUDED: the topmost delegation point above n. Every name between
 * it and n is occluded too, and it is not (else one above would be the
 * topmost), so it is the first ancestor that is not. Not kept in the
 * node: few names are occluded, and every node would pay 8 bytes. */
static inline const db_node *node_cut(const db_node *n)
{
	const db_node *c = n->parent;
	while (c->flags & DB_OCCLUDED)
		c = c->parent;
	return c;
}

/* DB_UNDER_DNAME: the topmost DNAME above n, found the same way. */
static inline const db_node *node_dname(const db_node *n)
{
	const db_node *d = n->parent;
	while (d->flags & DB_UNDER_DNAME)
		d = d->parent;
	return d;
}

typedef struct db_zone {
	const uint8_t *origin;
	unsigned origin_labels;
	size_t origin_len;     /* tern_name_len(origin) */
	uint32_t origin_hash;  /* db_name_hash(origin) */
	db_node *apex;
	db_node **table;       /* chains by db_bucket: 2^(32 - shift) of them */
	unsigned shift;
	size_t nnodes, nrecords;
	const db_rrset *soa;
	uint32_t neg_ttl;  /* RFC 2308 5: min(SOA TTL, SOA MINIMUM) */
	uint32_t serial;
	unsigned soa_line;  /* where the SOA is, in file (for reload warnings) */
	const char *file;
	bool local; /* local records: no SOA/NS needed, no delegations */
	/* The server's counter slot for this origin (src/server/stats.h); 0
	 * until the server gives one, before it publishes the version. */
	unsigned stats_slot;
	/* Zone sets that hold this version (docs/architecture.md, "Zones that
	 * change at run time"): taken and dropped when server versions are
	 * built and freed, never per query. 1 when made. */
	atomic_uint refs;
	/* Who needs this version's arena: the version itself while refs > 0,
	 * and each later version made by zone_apply that shares its nodes. */
	atomic_uint mem_refs;
	struct db_zone **bases; /* versions whose arenas hold nodes of this one */
	unsigned nbases;
	size_t stale; /* nodes superseded since the last full build (kept
	               * alive in the bases' arenas) */
	/* IXFR (db/journal.h): the differences that lead to this version,
	 * attached by the control thread before the version is published,
	 * then read-only; one reference, dropped by zone_free. NULL: none. */
	struct db_journal *journal;
	/* A zone ternd signs (dnssec/sign.h): the inception of its oldest
	 * signatures (the last whole signing), which the timed refresh
	 * follows; 0 for any other zone. Re-signing a change keeps it. */
	uint32_t sig_oldest;
	/* A signed zone's denial-of-existence indexes (db/dnssec.h), made at
	 * load in mem; NULL for an unsigned zone, which pays nothing. */
	const struct db_dnssec *dnssec;
	arena mem;
} db_zone;

/* Diagnostics while loading: one call per problem, naming file:line. */
typedef struct db_diag {
	void (*fn)(void *user, bool error, const char *file, unsigned line, const char *msg);
	void *user;
	unsigned errors, warnings;
	unsigned flags; /* DB_DIAG_*: checks beyond those of every load */
} db_diag;

/* Verify every RRSIG of signed zones with their DNSKEYs and warn for
 * signatures that expire soon (ternd --check --dnssec; dnssecverify.c). */
#define DB_DIAG_VERIFY 1u
/* A check only (ternd --check): loading writes no file (a zone ternd signs
 * gets a key that is not kept when it has none, and its serial is not
 * recorded). */
#define DB_DIAG_NO_WRITE 2u

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

/* A zone built from records handed over one by one (a zone transfer, an
 * IXFR applied to the records of the version before): the same checks and
 * index as zone_load. name stands for the file in diagnostics (rr->file and
 * rr->line name each record; rr->same_owner may be 0). size_hint: the
 * records' size in bytes, if known (sizes the first index), else 0.
 * zone_builder_add returns 0, or TERN_ELIMIT when out of memory (then only
 * zone_builder_finish or _abort may follow). zone_builder_finish frees the
 * builder and returns the zone, or NULL when diag got an error. */
typedef struct zone_builder zone_builder;
zone_builder *zone_builder_new(const uint8_t *origin, const char *name, size_t size_hint, db_diag *diag);
int zone_builder_add(zone_builder *zb, const tern_zrr *rr);
db_zone *zone_builder_finish(zone_builder *zb);
void zone_builder_abort(zone_builder *zb);
/* A configured zone that has no data (it never loaded): apex and table are
 * NULL, and db_answer answers SERVFAIL for every name in it. */
db_zone *zone_new_empty(const uint8_t *origin, const char *file);
static inline bool zone_has_data(const db_zone *z)
{
	return z->apex != NULL;
}
/* One more zone set holds z. */
static inline db_zone *zone_ref(db_zone *z)
{
	atomic_fetch_add_explicit(&z->refs, 1, memory_order_relaxed);
	return z;
}
/* A zone set lets z go; the last one frees it. NULL is fine. */
void zone_unref(db_zone *z);

/* ---- names as the index sees them ----
 *
 * The index hashes a name label by label from the root: the hash of a name
 * is its first label folded into the hash of its parent. So one right-to-left
 * pass over a name yields the hash of every suffix at once (db_qname), which
 * the zone set and the node index then share: a query's name is hashed once,
 * not once per ancestor tried. Case-insensitive (RFC 4343), like
 * tern_name_eq. Node hashes (db_node.hash) and the zone set's table use this
 * hash, not tern_name_hash. */
#define DB_HASH_SEED 2166136261u
#define DB_LABELS_MAX 128 /* labels of a 255-byte name, plus the root */


static inline uint64_t db_load8(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t db_load4(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The chain of z->table for hash h. From the top bits of h times the
 * golden ratio (Fibonacci hashing): db_hash_label's low bits depend little
 * on a label's last bytes (a multiply carries only upwards), so "h & mask"
 * put host1..host99999 in few chains: 3.5 nodes examined per found name on
 * the 100k-name bench zone, 1.3 this way. */
static inline uint32_t db_bucket(unsigned shift, uint32_t h)
{
	return (uint32_t)(h * 2654435769u) >> shift;
}

/* Folds one label (length byte, then its bytes, read only within the label)
 * into h. Every byte counts: 8-byte words, the last one overlapping the one
 * before; two overlapping 4-byte words for 4..8 bytes; 1..3 bytes as
 * first/middle/last. With the length mixed in, that covers the label
 * exactly. */
static inline __attribute__((always_inline)) uint32_t db_hash_label(uint32_t h, const uint8_t *label)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	unsigned len = label[0];
	const uint8_t *p = label + 1;
	uint64_t a = h ^ (uint64_t)len << 32;
	if (len > 8) {
		for (unsigned i = 0; i + 8 < len; i += 8)
			a = (a ^ tern_fold8(db_load8(p + i))) * k;
		a = (a ^ tern_fold8(db_load8(p + len - 8))) * k;
	} else if (len >= 4) {
		a = (a ^ tern_fold8(db_load4(p) | (uint64_t)db_load4(p + len - 4) << 32)) * k;
	} else if (len) {
		a = (a ^ tern_fold8(p[0] | (uint64_t)p[len / 2] << 8 | (uint64_t)p[len - 1] << 16)) * k;
	} else {
		a *= k;
	}
	return (uint32_t)(a >> 32);
}

uint32_t db_name_hash(const uint8_t *name);

/* A name with the offset and hash of each of its suffixes: suffix i is the
 * name without its first i labels (i = labels is the root). Filled by
 * db_qname_init in one pass; valid as long as name is. */
typedef struct db_qname {
	const uint8_t *name;
	unsigned labels; /* not counting the root */
	uint8_t off[DB_LABELS_MAX];
	uint32_t hash[DB_LABELS_MAX]; /* hash[i] == db_name_hash(name + off[i]) */
} db_qname;

void db_qname_init(db_qname *qn, const uint8_t *name);
static inline const uint8_t *db_qname_suffix(const db_qname *qn, unsigned i)
{
	return qn->name + qn->off[i];
}
static inline size_t db_qname_len(const db_qname *qn, unsigned i)
{
	return (size_t)qn->off[qn->labels] + 1 - qn->off[i];
}

/* The node with exactly this name, or NULL. */
const db_node *zone_find(const db_zone *z, const uint8_t *name);
/* The same for a name whose wire length and db_name_hash are known. */
const db_node *zone_find_h(const db_zone *z, const uint8_t *name, size_t len, uint32_t hash);
/* Case-insensitive equality of two names of wire length len. */
bool db_name_eq_len(const uint8_t *a, const uint8_t *b, size_t len);
/* The node for suffix i of qn, or NULL. */
static inline const db_node *zone_find_q(const db_zone *z, const db_qname *qn, unsigned i)
{
	return zone_find_h(z, db_qname_suffix(qn, i), db_qname_len(qn, i), qn->hash[i]);
}
/* The node with this name that holds records, whether a query can find it
 * or not (an NSEC3 owner, DB_HASHED): for zone_apply, which edits records. */
const db_node *zone_find_stored(const db_zone *z, const uint8_t *name);
/* The RRset of that type at n, or NULL; for RRSIG, the first of them. */
const db_rrset *node_rrset(const db_node *n, uint16_t type);
/* The RRSIGs at n that cover type (one RRset), or NULL. */
const db_rrset *node_rrsigs(const db_node *n, uint16_t covered);

/* Calls fn for every RRset of z: the apex's first, then the other nodes in
 * no particular order. Stops at fn's first non-zero value and returns it. */
typedef int (*zone_rrset_fn)(const db_node *n, const db_rrset *s, void *user);
int zone_walk_rrsets(const db_zone *z, zone_rrset_fn fn, void *user);

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
	db_zone **table; /* by origin, open addressing (hidden zones left out) */
	uint32_t mask;
	unsigned max_labels; /* of the deepest origin: no zone holds a longer suffix */
	/* What db_set_get looks in: table itself, or, once a zone is hidden
	 * (db_set_hide: an RPZ feed, policy.h, kept for transfers but not
	 * answered from), the full table, and table (what answers look in:
	 * db_set_find, db_set_find_q) is one of the same size without the
	 * hidden zones; hidden[i] says zones[i] is (NULL: none is). */
	db_zone **all;
	uint8_t *hidden;
} db_set;

db_set *db_set_new(db_zone **zones, size_t n); /* takes the array and one reference per zone */
void db_set_free(db_set *s);
/* The most specific zone containing name, or NULL. */
const db_zone *db_set_find(const db_set *s, const uint8_t *name);
/* The most specific zone containing suffix `from` of qn (0: the whole
 * name), or NULL; *at receives the suffix index of the zone's origin. No
 * hashing: the suffix hashes are qn's. */
const db_zone *db_set_find_q(const db_set *s, const db_qname *qn, unsigned from, unsigned *at);
/* The zone whose origin is exactly name, or NULL (hidden zones too). */
const db_zone *db_set_get(const db_set *s, const uint8_t *name);
/* Hides the zone of this origin from db_set_find and db_set_find_q (so
 * from answers: names below it are looked up as if it were not served),
 * while db_set_get still finds it (transfers out, NOTIFY, refresh). For a
 * set not yet published. Returns 0, 1 when no such zone, -1 out of memory. */
int db_set_hide(db_set *s, const uint8_t *origin);
/* On reload: warns (file:line of the SOA) for each zone of s whose
 * content differs from the same zone in old while its SOA serial does not
 * (RFC 1996 / RFC 1034 4.3.5: secondaries only transfer a higher serial).
 * Hashes the two zones' records then (a pass over each, for the zones
 * whose serial is the same only). Either set may be NULL. */
void db_set_check_reload(const db_set *old, const db_set *s, db_diag *diag);

#endif
