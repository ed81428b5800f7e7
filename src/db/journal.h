/* journal.h: the differences between versions of a zone (IXFR, RFC 1995),
 * kept beside the data (docs/architecture.md, "Zones that change at run
 * time"; "Zone transfers out").
 *
 * A difference (db_diff) is what turns one version into the next: the
 * records removed (the old SOA first) and the records added (the new SOA
 * first), each a run of uncompressed wire RRs (owner, type, class, TTL,
 * RDLENGTH, RDATA), which is also how IXFR writes them. It is immutable
 * once made and reference-counted, so that the journals of successive zone
 * versions share it.
 *
 * A journal (db_journal) is an immutable array of differences, oldest
 * first, each one starting at the serial where the one before ends. A
 * zone version holds one reference on its journal (db_zone.journal), so a
 * worker answering IXFR from a zone version it holds needs no lock. The
 * control thread makes the next journal when a reload changes a zone with
 * a higher serial (db_journal_add): the old entries are shared, the oldest
 * dropped while the sum passes the zone's journal-size. */
#ifndef TERN_DB_JOURNAL_H
#define TERN_DB_JOURNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db_zone;

/* RFC 1982 serial number arithmetic (SERIAL_BITS 32): a < b. Undefined
 * pairs (exactly 2^31 apart) are neither. */
static inline bool db_serial_lt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}

typedef struct db_diff {
	atomic_uint refs;
	uint32_t from, to;       /* the serials before and after */
	uint32_t ndel, nadd;     /* RRs in del and add (each starts with its SOA) */
	size_t del_len, add_len; /* bytes */
	const uint8_t *del, *add;
	uint8_t data[];
} db_diff;

/* Bytes a difference counts for in journal-size. */
static inline size_t db_diff_size(const db_diff *d)
{
	return sizeof *d + d->del_len + d->add_len;
}

/* The difference from old to new (both loaded zones with an SOA): every
 * RR of old not in new is removed, every RR of new not in old added; an
 * RRset whose TTL changed is removed and added whole. Equal RDATA means
 * equal bytes. Returns a difference with one reference, or NULL when out
 * of memory. Cost: one lookup per name of each version. */
db_diff *db_diff_make(const struct db_zone *old, const struct db_zone *new);
/* A growing run of wire RRs (owner, type, class IN, TTL, RDATA length,
 * RDATA), as a journal entry holds them: db_diff_make's and zone_apply's
 * differences. oom: an append failed (the run is then incomplete). */
typedef struct db_rrrun {
	uint8_t *p;
	size_t len, cap;
	uint32_t n;
	bool oom;
} db_rrrun;
void db_rrrun_add(db_rrrun *r, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl, const uint8_t *rd,
                  uint16_t rdlen);

/* The same from runs of RRs already made (journal file, tests): copies. */
db_diff *db_diff_from_runs(uint32_t from, uint32_t to, const uint8_t *del, size_t del_len, uint32_t ndel,
                           const uint8_t *add, size_t add_len, uint32_t nadd);
void db_diff_unref(db_diff *d);

typedef struct db_journal {
	atomic_uint refs;
	size_t n;
	size_t bytes; /* sum of db_diff_size */
	db_diff *d[]; /* oldest first; d[i]->to == d[i + 1]->from */
} db_journal;

/* A new journal: old's differences (NULL: none) and then d, the oldest
 * dropped while the total passes max_bytes (so a single difference larger
 * than max_bytes leaves an empty journal). d must start where old ends
 * (else old is not kept). Takes d's reference; returns the journal with one
 * reference, or NULL when out of memory (d is then released). */
db_journal *db_journal_add(const db_journal *old, db_diff *d, size_t max_bytes);
static inline db_journal *db_journal_ref(db_journal *j)
{
	if (j)
		atomic_fetch_add_explicit(&j->refs, 1, memory_order_relaxed);
	return j;
}
void db_journal_unref(db_journal *j);

/* d as zone edits (db/apply.h), for applying it again (a journal read
 * back: xfr_zone_replay): each removed record a DB_DEL_RR (the old SOA a
 * DB_DEL_RRSET, whatever it says), then each added one a DB_ADD_RR. e has
 * room for d->ndel + d->nadd; the edits point into d. d must be well
 * formed (made here, or parsed by db_journal_parse). Returns the count. */
struct db_edit;
size_t db_diff_edits(const db_diff *d, struct db_edit *e);

/* The index of the difference that starts at serial, or -1. */
int db_journal_find(const db_journal *j, uint32_t serial);

/* ---- the journal file (docs/architecture.md, "The journal file") ---- */

/* Writes j to path atomically (path.tmp, fsync, rename). Returns 0 or a
 * negative errno. An empty or NULL journal removes the file. */
int db_journal_write(const db_journal *j, const char *path);
/* Parses a journal file's bytes. Every difference must be well formed (its
 * runs walk exactly its counts of RRs with valid uncompressed owners, each
 * run starts with an SOA whose serial is the difference's) and start where
 * the one before ends. Returns 0 with *out (NULL when the file holds no
 * difference), or TERN_EMALFORMED / -ENOMEM. */
int db_journal_parse(const uint8_t *buf, size_t len, db_journal **out);
/* Reads path with db_journal_parse. A missing file is 0 with *out NULL. */
int db_journal_read(const char *path, db_journal **out);

#endif
