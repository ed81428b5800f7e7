/* zjournal.h: the zone manager's journal step (docs/architecture.md,
 * "Zone transfers out"): when a zone version is loaded, the differences
 * that lead to it are attached to it before it is published. */
#ifndef TERN_XFR_ZJOURNAL_H
#define TERN_XFR_ZJOURNAL_H

#include "db/zone.h"
#include "server/config.h"

/* z was just loaded for cz; prev is the version serving now (NULL or
 * without data at start-up). Attaches z->journal:
 *  - same serial as prev: prev's journal (nothing changed for IXFR);
 *  - a higher serial (RFC 1982): prev's journal plus the difference
 *    prev -> z, the oldest dropped past journal-size;
 *  - a lower serial: none (secondaries must AXFR);
 *  - at start-up: the journal file <zone file>.jnl if it ends at z's
 *    serial.
 * The journal file is rewritten (atomically) whenever the journal
 * changes. Nothing is kept for a zone nobody may transfer (no
 * allow-transfer) or with journal-size 0. Control thread only. */
void xfr_zone_loaded(const cfg_zone *cz, const db_zone *prev, db_zone *z);

/* z was just read from cz's zone file, for a zone ternd signs: when
 * <zone file>.jnl has a difference starting at z's serial, the
 * differences from there on are applied to z (the IXFR rules, strict)
 * and the result returned in its place (z released); else z itself. The
 * file may lag behind the journal (docs/architecture.md, "Persisting a
 * signed zone's changes"). A journal that does not read or apply is
 * logged and z used as it is. Control thread. */
db_zone *xfr_zone_replay(const cfg_zone *cz, db_zone *z, const char *zname);

#endif
