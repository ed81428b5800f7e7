/* zonesync.h: the zone-file writer (docs/architecture.md, "Persisting a
 * signed zone's changes"). One thread writes zone files outside
 * change_lock: the newest version handed to it for each file, once (a
 * newer one replaces one not yet written). Every write of these files,
 * whether left to the thread or done at once, goes through one mutex, and
 * the writer remembers the serial each file holds. */
#ifndef TERN_XFR_ZONESYNC_H
#define TERN_XFR_ZONESYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "db/zone.h"

typedef struct zonesync zonesync;

zonesync *zonesync_start(void);
/* Writes what is pending, then stops the thread and frees zs. */
void zonesync_stop(zonesync *zs);

/* z is to be written to path (zname for the log) by the thread; takes a
 * reference on z. */
void zonesync_later(zonesync *zs, db_zone *z, const char *path, const char *zname);
/* Writes z to path now (after a write of path in progress), and drops a
 * pending older version. Returns 0, or -1 with err filled. */
int zonesync_now(zonesync *zs, const db_zone *z, const char *path, const char *zname, char *err, size_t errcap);
/* The serial the file at path holds, when this writer wrote it since the
 * last zonesync_forget. */
bool zonesync_serial(zonesync *zs, const char *path, uint32_t *serial);
/* Waits until nothing is pending or being written. */
void zonesync_flush(zonesync *zs);
/* Forgets every serial it knew (a reload: the files may have changed). */
void zonesync_forget(zonesync *zs);

#endif
