/* names.h: a set of domain names with an action each, for the policy
 * engine (block lists, allow lists, RPZ triggers, local zones).
 *
 * Every name carries two actions: one for the name itself (exact) and one
 * for the names strictly below it (subtree): a block-list line "ads.example"
 * sets both, an RPZ trigger "ads.example" only the exact one and
 * "*.ads.example" only the subtree one. A lookup walks the suffixes of the
 * query's name once, most specific first, with the suffix hashes of
 * db_qname (zone.h): the name hashed once, one probe per label.
 *
 * Built once (pol_names_add), frozen (pol_names_freeze), then read without
 * locks by every worker until the version that holds it is freed. Memory:
 * the names packed in one byte array (3 action bytes, the name in wire
 * form, lower case), and an open-addressing table of 8 bytes a slot (offset
 * and hash) kept between 1/4 and 1/2 full. */
#ifndef TERN_POLICY_NAMES_H
#define TERN_POLICY_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"

/* Actions (one byte). 0: none. */
enum pol_action {
	POL_NONE = 0,
	POL_BLOCK,     /* a block list: answered as block-answer says */
	POL_NXDOMAIN,  /* RPZ "CNAME ." */
	POL_NODATA,    /* RPZ "CNAME *." */
	POL_PASSTHRU,  /* RPZ "CNAME rpz-passthru.": resolved as usual */
	POL_DROP,      /* RPZ "CNAME rpz-drop.": no answer at all */
	POL_TCP_ONLY,  /* RPZ "CNAME rpz-tcp-only.": TC=1 over UDP */
	POL_DATA,      /* RPZ local data: the records of the trigger */
	/* local zones (Unbound's types) */
	POL_LZ_TRANSPARENT,
	POL_LZ_STATIC,
	POL_LZ_REFUSE,
	POL_LZ_REDIRECT,
	POL_LZ_NXDOMAIN, /* always-nxdomain */
	POL_LZ_ALWAYS_REFUSE,
	POL_LZ_DENY,     /* no answer at all (dropped) */
	POL_ACTION_MAX
};

typedef struct pol_slot {
	uint32_t off;  /* entry offset + 1; 0: empty */
	uint32_t hash; /* db_name_hash of the name */
} pol_slot;

typedef struct pol_names {
	uint8_t *bytes;  /* entries: exact, subtree, allow, name (wire) */
	size_t len, cap;
	pol_slot *slots; /* one cache line holds 8: a probe costs one miss */
	uint32_t mask;   /* slots - 1 */
	size_t count;
	size_t nallow;   /* allow entries: a lookup then looks at every level */
	unsigned max_labels; /* of the longest name: suffixes longer are not looked at */
} pol_names;

/* One match: the action and how many labels the matched name has. */
typedef struct pol_match {
	uint8_t action;
	bool exact;       /* matched the name itself, not an ancestor's subtree */
	unsigned suffix;  /* the suffix index of qn that matched */
} pol_match;

void pol_names_init(pol_names *s);
void pol_names_free(pol_names *s);
/* Adds name (wire, any case) with these actions (POL_NONE: leave as is).
 * An action already set for that name is kept (the first list wins).
 * Returns 0, or -1 when out of memory or past 4 GiB of names. */
int pol_names_add(pol_names *s, const uint8_t *name, uint8_t exact, uint8_t subtree);
/* Adds n names at once (wire, lower case already, as a list loader makes
 * them), each with the same actions as pol_names_add: the table slots of
 * all are fetched from memory together, so that their cache misses
 * overlap (a 1M-name table is far larger than the caches). -1: out of
 * memory. */
int pol_names_add_batch(pol_names *s, const uint8_t *const *names, size_t n, uint8_t exact, uint8_t subtree);
/* An allow-list entry: name and its subtree are never blocked. */
int pol_names_allow(pol_names *s, const uint8_t *name);
/* Makes room for n more names of about bytes bytes in all (a hint: a
 * list's size, so that loading it does not rehash). -1: out of memory. */
int pol_names_reserve(pol_names *s, size_t n, size_t bytes);
/* Gives back the spare room of the building arrays. */
void pol_names_freeze(pol_names *s);

/* The most specific action for qn: its own exact action, else the
 * subtree action of its nearest ancestor that has one. An allow entry at
 * the name or any ancestor wins over every action (whatever its depth):
 * then nothing matches. Returns false when nothing matches. Reads only;
 * thread-safe. */
bool pol_names_lookup(const pol_names *s, const db_qname *qn, pol_match *m);

#endif
