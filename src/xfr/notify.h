/* notify.h: NOTIFY out (RFC 1996), on a thread of its own.
 *
 * When a reload changes a zone's serial, each `notify:` target of the zone
 * is sent a NOTIFY (opcode 4, AA, the question (origin, SOA, IN) and the
 * zone's SOA in the answer section, RFC 1996 3.7), signed when the target
 * names a key. It is sent again, 1, 2, 4 and 8 seconds later, until a
 * response with the same ID, opcode and question comes from the target's
 * address (5 tries in all, RFC 1996 3.6); a newer NOTIFY of the same zone
 * to the same target replaces one still pending.
 *
 * The thread is the zone manager's event loop for timers and outgoing
 * datagrams; secondary refresh timers are meant to join it. Its interface
 * is what to notify; it copies what it needs and shares nothing with the
 * workers. */
#ifndef TERN_XFR_NOTIFY_H
#define TERN_XFR_NOTIFY_H

#include "server/query.h"

typedef struct notifier notifier;
typedef struct notify_batch notify_batch;

/* Starts the thread. Returns NULL (logged) when it cannot. */
notifier *notify_start(void);
/* Stops the thread and frees everything still pending. NULL is fine. */
void notify_stop(notifier *n);

/* The NOTIFYs that publishing next would call for: every zone of next
 * (loaded, with notify targets) whose serial differs from the same zone in
 * cur (cur NULL, or the zone new or without data then: every zone). Copies
 * what it needs, so cur may be freed afterwards. NULL when there is none
 * (or out of memory, logged). Control thread. */
notify_batch *notify_collect(const version *cur, const version *next);
/* Queues a batch (taken; NULL is fine) to the thread: call after the
 * version it was collected for is published, so that a secondary asking
 * at once sees the new serial. */
void notify_submit(notifier *n, notify_batch *b);

/* One zone (the interface the zone manager uses for changes that do not
 * come from a reload): NOTIFY for serial of z to its targets in cfg. */
void notify_zone(notifier *n, const config *cfg, const db_zone *z);

#endif
