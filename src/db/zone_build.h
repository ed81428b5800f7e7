/* zone_build.h: what zone.c (loading, RRsets, the index) shares with
 * zonecheck.c (the checks of the loaded records that need the whole zone:
 * NS and MX targets, glue, names that repeat the origin, DNAMEs). Internal
 * to src/db. */
#ifndef TERN_DB_ZONE_BUILD_H
#define TERN_DB_ZONE_BUILD_H

#include "db/zone.h"
#include "tern/zonefile.h"

/* A record while loading, hung on its node (newest first), RDATA inline. */
typedef struct brec {
	struct brec *next;
	const char *file;
	unsigned line;
	uint32_t ttl;
	uint32_t seq; /* file order, so the first TTL of an RRset wins */
	uint16_t type, rdlen;
	uint8_t rdata[];
} brec;

/* The load-time index: open addressing over (hash, node number + 1), so
 * that looking up a name not seen yet (the usual case) reads one slot and
 * no node. The first slot tried comes from the top bits of the hash times
 * 2^32/phi (Fibonacci hashing): names that differ only in their last
 * characters can differ little in the hash's low bits. */
typedef struct islot {
	uint32_t hash, idx; /* idx 0: empty */
} islot;

typedef struct build {
	db_zone *z;
	db_diag *diag;
	arena tmp;
	const char *last_file; /* interned copy of the parser's file name */
	unsigned last_file_id;
	const char *first_file; /* where the zone's first record is, for */
	unsigned first_line;    /* errors about what no line holds */
	uint32_t seq;
	int oom;
	db_node *last_node; /* the node of the record hung last, or NULL */
	bool pushed_last;   /* the parser's previous record is pending */
	struct pend *pend;  /* PENDING records, from phead on, plen of them */
	unsigned phead, plen;
	db_node **nodes;    /* in creation order: every parent before its children */
	size_t nodes_cap;
	islot *slots;
	uint32_t smask;  /* slots - 1 */
	unsigned sshift; /* 32 - log2(slots) */
	unsigned first_shift; /* of the first index: sized from the text's length */
	db_node **checks;   /* nodes with NS or MX records, for zb_check_targets */
	size_t nchecks, checks_cap;
	/* signed zones only (a DNSSEC record was read): */
	bool signed_zone;
	struct zb_dnode *dnodes; /* nodes with NSEC or NSEC3, where they are */
	size_t ndnodes, dnodes_cap;
	db_node **hidden;   /* DB_HASHED nodes, out of the table */
	size_t nhidden, hidden_cap;
	struct verify *verify; /* dnssecverify.c's state, made on first use */
	size_t unsigned_sets; /* authoritative RRsets without RRSIG */
	const char *unsigned_file; /* the first of them */
	unsigned unsigned_line;
} build;

/* A node with NSEC or NSEC3 records and the line of the first of them. */
typedef struct zb_dnode {
	db_node *n;
	const char *file;
	unsigned line;
	uint16_t type; /* TERN_T_NSEC or TERN_T_NSEC3 */
} zb_dnode;

/* The node with exactly this name in the load-time index, or NULL. */
db_node *zb_index_find(const build *b, const uint8_t *name, size_t len, uint32_t h);
/* Brings into the cache, for the name of hash h in the load-time index:
 * stage 0 its slot; 1 (the slot cached) the entry of b->nodes the slot
 * names; 2 (that cached too) the node and its name. */
void zb_index_prefetch(const build *b, uint32_t h, int stage);
/* Whether n has a record of type (while loading: n->build). */
int zb_has_type(const db_node *n, uint16_t type);
/* name as text, cut with "..." if it does not fit. */
void zb_name_text(const uint8_t *name, char *buf, size_t cap);

/* ---- dnssec.c, dnsseccheck.c (signed zones only) ---- */

/* Before n's records become RRsets: whether n holds NSEC3 records and
 * nothing else but their RRSIGs, right below the apex (DB_HASHED); notes
 * n in b->dnodes when it has NSEC or NSEC3. -1: out of memory. */
int zb_dnssec_node(build *b, db_node *n);
/* After n's RRsets are made (its records still at hand): warns for each
 * authoritative RRset without an RRSIG covering it (RFC 4035 2.2), counted
 * in b and named once per zone; the rest are counted. */
void zb_check_signed(build *b, const db_node *n);
/* With n's records still at hand: its RRSIGs' validity times, and with
 * DB_DIAG_VERIFY their signatures (dnssecverify.c). */
void zb_verify_node(build *b, const db_node *n);
/* The counts past the warnings given one by one; frees the state. */
void zb_verify_done(build *b);
/* After every node is built: the zone's db_dnssec (z->dnssec), and the
 * checks of its NSEC or NSEC3 chain (complete, canonical order, matching
 * parameters, NSEC3PARAM present). -1: out of memory. */
int zb_dnssec_finish(build *b);

/* ---- zonecheck.c ---- */

/* Warns (file:line) when the owner or an RDATA name of rr ends with the
 * zone's origin twice ("ns1.test.lan" written in zone test.lan: a relative
 * name that lacked its trailing dot). */
void zb_check_origin_repeat(build *b, const tern_zrr *rr);
/* A delegation's NS record r at cut whose target node is t (NULL: none),
 * while pass 1 marks glue: an in-bailiwick target without an address is
 * a warning (RFC 9471 2.1: that glue is required). */
void zb_check_glue(build *b, const db_node *cut, const brec *r, const db_node *t);
/* After pass 1 (flags known), before the records become RRsets, for the
 * NS and MX targets zb_check_glue left: a name server below a DNAME is an
 * error (RFC 6672 2.4); a target in the zone without addresses is a
 * warning. */
void zb_check_targets(build *b);
/* Two DNAMEs at n (compared canonically), whatever else is there (RFC
 * 6672 2.4: a DNAME RRset has one record): an error naming the second. */
void zb_check_dnames(build *b, const db_node *n);

#endif
