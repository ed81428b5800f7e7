/* policy.h: the resolver's policy engine (issue 14, items 5-7): local
 * zones (Unbound's local-zone types), block lists and allow lists (hosts
 * and one-domain-per-line files), Response Policy Zones (QNAME triggers),
 * and client groups with their own lists and upstreams.
 *
 * The configuration (pol_config) is read with the rest of the
 * configuration; policy_build turns it into an immutable policy hung on
 * the server version (query.h), as zones are: a reload builds a new one
 * beside the old, publishes it with the version, and the old one is freed
 * when no worker can see it any more (docs/architecture.md, Lifetimes).
 * Nothing here locks or allocates on the query path.
 *
 * RPZ from a zone transfer ("rpz: zone NAME", rpz_feed.c): rpz_add_record
 * (rpz.c) takes one record of an RPZ zone at a time, whatever read it: the
 * file loader, and rpz_load_zone for a zone of the server (a secondary fed
 * by AXFR/IXFR). server_publish builds the policy again whenever a version
 * holds another version of a feed zone than its policy read; the zone
 * itself is not touched, only hidden from answers (db_set_hide). */
#ifndef TERN_POLICY_POLICY_H
#define TERN_POLICY_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "db/zone.h"
#include "policy/names.h"
#include "tern/prefix.h"
#include "tern/msg.h"

/* Extended DNS Errors of policy answers (RFC 8914 4.16, 4.5) */
#define POL_EDE_BLOCKED 15 /* a block list or an RPZ NXDOMAIN/NODATA/... */
#define POL_EDE_FORGED 4   /* Forged Answer: RPZ local data answered instead */

/* block-answer: what a blocked name gets */
enum pol_answer {
	POL_ANS_DEFAULT = 0, /* a group's: the global setting */
	POL_ANS_NXDOMAIN,
	POL_ANS_NULL,        /* 0.0.0.0 / :: for A / AAAA, NODATA otherwise */
	POL_ANS_REFUSED,
};

/* One set of lists: the global one, or a client group's. */
typedef struct pol_lists {
	char **block, **allow, **rpz; /* file paths (rpz[i] NULL: a feed) */
	size_t nblock, nallow, nrpz;
	char **block_where, **allow_where, **rpz_where; /* "file:line" of each */
	uint8_t **rpz_zone; /* per rpz entry: NULL (a file), or the origin of the
	                       zone of "rpz: zone NAME" (wire, lower case) */
	uint8_t answer; /* enum pol_answer */
} pol_lists;

typedef tern_prefix pol_prefix; /* tern/prefix.h */

/* A client group: its clients, its lists, its upstreams. */
typedef struct pol_group_cfg {
	char *name;
	char *where;
	pol_prefix *clients;
	size_t nclients;
	pol_lists lists;
	bool own_lists;  /* lists given: they replace the global ones */
	char **forward;  /* its own upstreams, "ADDR[:PORT]" (checked) */
	size_t nforward;
} pol_group_cfg;

typedef struct pol_lzone_cfg {
	uint8_t name[TERN_NAME_MAX];
	uint8_t type; /* POL_LZ_* */
} pol_lzone_cfg;

typedef struct pol_config {
	pol_lzone_cfg *lzones;
	size_t nlzones;
	bool local_ptr; /* PTR records for local A/AAAA (default yes) */
	uint32_t block_ttl; /* TTL of blocked answers (default 60) */
	pol_lists lists;
	pol_group_cfg *groups;
	size_t ngroups;
} pol_config;

void pol_config_init(pol_config *c);
void pol_config_free(pol_config *c);

/* A server-section key of the policy engine (local-zone, local-data-ptr,
 * block-list, allow-list, block-answer, block-ttl, rpz, address). base is
 * the configuration file (relative paths are resolved against its
 * directory). Returns 1 if key is not a policy key, 0 when taken, -1 after
 * logging an error naming where. address=/NAME/ADDR adds to *local_data. */
int pol_config_key(pol_config *c, const char *key, const char *val, const char *base, const char *where,
                   int (*add_local)(void *user, const char *rr, const char *where), void *user);
/* A new "group:" section at where. -1: out of memory. */
int pol_config_group_begin(pol_config *c, const char *where);
/* A key of the current group section (name, clients, block-list,
 * allow-list, rpz, block-answer, forward). Same returns, never 1. */
int pol_config_group_key(pol_config *c, const char *key, const char *val, const char *base, const char *where);
/* At the end of the configuration: every group has a distinct name and at
 * least one client prefix. Returns the number of errors logged. */
int pol_config_check(const pol_config *c);

/* ---- the built policy ---- */

/* What applies to one client: lists, the answer for blocked names, RPZ
 * local data (owner: the trigger name, or "*." and the trigger). */
typedef struct pol_view {
	pol_names names;    /* block/allow entries and RPZ triggers */
	db_zone *rpz_data;  /* RPZ local-data records, or NULL */
	uint8_t answer;     /* enum pol_answer, never DEFAULT */
	uint32_t ttl;
	int ups;            /* the group's upstream set in the version (-1: the default ones) */
} pol_view;

typedef struct pol_group {
	const char *name;
	pol_view *view;
} pol_group;

typedef struct policy {
	atomic_uint refs;
	pol_names lzones;   /* local zones: name -> POL_LZ_* (exact and subtree) */
	pol_view global;
	pol_group *groups;
	size_t ngroups;
	pol_prefix *prefixes; /* every group's client prefixes, most specific first */
	unsigned *prefix_group; /* prefixes[i] belongs to groups[prefix_group[i]] */
	size_t nprefixes;
	bool local_ptr;
	/* RPZ feeds (rpz_feed.c): each distinct "rpz: zone NAME" and the
	 * version of that zone read (held; NULL when the zone had no data) */
	const uint8_t **feed_origin; /* into the configuration */
	db_zone **feed_zone;
	size_t nfeeds;
} policy;

/* Builds the policy of c (NULL when c configures nothing, and *out is then
 * NULL). zones: where the RPZ feeds ("rpz: zone NAME") are read from (a
 * feed zone not there, or zones NULL, gives no triggers yet). Every problem of a list file is logged as file:line; a list that
 * cannot be read is an error (-1), a bad line in one is a warning. */
int policy_build(const pol_config *c, const db_set *zones, policy **out);
static inline policy *policy_hold(policy *p)
{
	if (p)
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}
void policy_release(policy *p);

/* The view for this client: its group's, or the global one. One pointer
 * test when there are no groups. */
const pol_view *policy_view_for(const policy *p, const struct sockaddr *client);
/* The group of this client (-1: none). */
int policy_group_of(const policy *p, const struct sockaddr *client);

/* Outcome of the policy step for one query. */
enum pol_verdict {
	POL_PASS,    /* nothing applies: go on (zones, cache, upstream) */
	POL_ANSWERED,/* *rcode and m say it all */
	POL_CHAIN,   /* a CNAME of RPZ local data was written: go on at name */
	POL_DROPPED, /* send nothing */
};

/* Applies view to the question (qn: the query name's suffixes). On
 * POL_ANSWERED the answer is in m with *rcode, and *ede is the Extended
 * DNS Error to add (RFC 8914 4.16: 15 Blocked) or FWD_NO_EDE-like 0xffff. */
enum pol_verdict policy_answer(const pol_view *view, const db_qname *qn, const uint8_t *qname, uint16_t qtype,
                               bool tcp, tern_msgw *m, unsigned *rcode, uint16_t *ede, uint8_t *name);
/* The second half of policy_answer: the action of a match already looked
 * up for qn (pol_names_lookup), answered with owner qname. */
enum pol_verdict policy_apply(const pol_view *view, const pol_match *match, const db_qname *qn, const uint8_t *qname,
                              uint16_t qtype, bool tcp, tern_msgw *m, unsigned *rcode, uint16_t *ede, uint8_t *name);

/* ---- CNAME-target inspection (chain.c) ---- */

/* A name an upstream answer's CNAME chain (or the cache's) led to, checked
 * against view (BIND's RPZ: QNAME triggers match "the query names of
 * requests and the targets of CNAME records resolved to generate the
 * response"; Pi-hole's and AdGuard Home's CNAME inspection for block
 * lists). The chain so far is in m, written after start (the end of the
 * question); the query is (qname, qtype).
 *   - nothing matches, an allow-list entry or RPZ PASSTHRU: POL_PASS;
 *   - a block-list entry: the chain is taken back to start and the client
 *     gets the block answer for qname, as if it had asked for the blocked
 *     name (POL_ANSWERED, EDE 15);
 *   - an RPZ action: applied at target, the chain before it kept, as BIND
 *     and Unbound rewrite a chain (NXDOMAIN, NODATA, local data: POL_ANSWERED;
 *     a local-data CNAME: POL_CHAIN with its target in name; rpz-drop:
 *     POL_DROPPED; rpz-tcp-only over UDP: TC=1).
 * Reads only; no lock, no allocation. */
enum pol_verdict policy_chain(const pol_view *view, const uint8_t *target, const uint8_t *qname, uint16_t qtype,
                              bool tcp, tern_msgw *m, const tern_msgw_mark *start, unsigned *rcode, uint16_t *ede,
                              uint8_t *name);

/* ---- block-list and RPZ files (blocklist.c, rpz.c) ---- */

/* Reads a block list (allow false) or allow list in hosts format
 * ("0.0.0.0 name...", "127.0.0.1 name", ":: name") or one domain per line
 * ("name", "*.name", "||name^" of Adblock-style lists), '#' and '!'
 * comments, blank lines; a line that is neither is a warning (path:line)
 * and skipped. Each name blocks (allows) itself and its subtree. Returns
 * the number of names added, or -1 (the file cannot be read, out of
 * memory). */
long pol_list_load(pol_names *s, const char *path, bool allow);
/* The same from text in memory (tests, fuzzing). */
long pol_list_load_text(pol_names *s, const char *name, const char *text, size_t len, bool allow);

/* Text of zone-file lines (RPZ local data, gathered from every RPZ file
 * of a view before it becomes one local zone). */
typedef struct pol_text {
	char *p;
	size_t len, cap;
} pol_text;
int pol_text_put(pol_text *t, const char *s, size_t n);

/* Reads an RPZ zone file (origin from $ORIGIN or the first SOA owner)
 * into s, and its local data into data as lines of text whose owners are
 * the trigger names. Records of other trigger kinds (rpz-ip, rpz-nsdname,
 * rpz-client-ip, rpz-nsip) are counted in a warning and ignored. Returns
 * the number of QNAME triggers, or -1 after logging (file:line). */
long rpz_load(pol_names *s, pol_text *data, const char *path);
long rpz_load_text(pol_names *s, pol_text *data, const char *name, const char *text, size_t len);
/* One record of an RPZ zone whose origin is origin: the hook for an RPZ
 * zone from elsewhere (a transfer). Returns 0, 1 if ignored (apex SOA/NS,
 * another trigger kind), -1 when out of memory. */
int rpz_add_record(pol_names *s, pol_text *data, const uint8_t *origin, const uint8_t *owner, uint16_t type,
                   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

/* ---- RPZ feeds: an RPZ that is a zone of the server (rpz_feed.c) ---- */

/* Reads every record of zone z (an RPZ) with rpz_add_record. Returns the
 * number of QNAME triggers, or -1 when out of memory; *ignored counts the
 * records of other trigger kinds. */
long rpz_load_zone(pol_names *s, pol_text *data, const db_zone *z, unsigned *ignored);
/* Whether c names any feed (global or in a group). */
bool pol_config_has_feeds(const pol_config *c);
/* Hides each feed zone of c in zones (db_set_hide): not answered from. */
int pol_config_hide_feeds(const pol_config *c, db_set *zones);
/* Records that p read feed origin at version z (NULL: no data). -1: out of
 * memory. */
int policy_note_feed(policy *p, const uint8_t *origin, const db_zone *z);
/* Whether a feed zone of p is another version in zones than the one p
 * read: the policy is to be built again (server_publish). */
bool policy_feeds_stale(const policy *p, const db_set *zones);
void policy_feeds_free(policy *p);
/* At the end of the configuration: every feed is a configured zone.
 * Returns the number of errors logged (file:line). */
struct cfg_zone;
int pol_config_check_feeds(const pol_config *pc, const struct cfg_zone *zones, size_t nzones);

#endif
