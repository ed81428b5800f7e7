/* zonesync.h: the zone-file writer (docs/architecture.md, "Persisting a
 * signed zone's changes"). One thread writes zone files outside
 * change_lock: the newest version handed to it for each file, once (a
 * newer one replaces one not yet written). Every write of these files,
 * whether left to the thread or done at once, goes through one mutex, and
 * the writer remembers what each file holds: the serial it wrote, and the
 * file's identity then (device, inode, size, modification time), so that
 * a file changed behind its back counts as unknown. */
#ifndef TERN_XFR_ZONESYNC_H
#define TERN_XFR_ZONESYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/zone.h"

typedef struct zonesync zonesync;

zonesync *zonesync_start(void);
/* Writes what is pending, then stops the thread and frees zs. */
void zonesync_stop(zonesync *zs);

/* z (a version of a zone ternd signs, just published, whose journal file
 * was written when journal_ok) made durable: left to the thread when the
 * file is known to hold a serial from which z's journal leads to z (after
 * a write of the file in flight, if any, ends), else written now. Takes
 * its own reference on z. Returns 0, or -1 with err filled when the write
 * now failed. zname: for the log. */
int zonesync_persist(zonesync *zs, db_zone *z, const char *path, const char *zname, bool journal_ok, char *err,
                     size_t errcap);
/* z is to be in its file: left to the thread unless the file is known to
 * hold z's serial already (after a start or a reload, so that the first
 * UPDATE finds the file known). */
void zonesync_prime(zonesync *zs, db_zone *z, const char *path, const char *zname);
/* Waits until nothing is pending or being written. */
void zonesync_flush(zonesync *zs);

#endif
