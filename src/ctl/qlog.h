/* qlog.h: the query log (issue 13 item 4): one text line per answered
 * query, written by a thread of its own.
 *
 * Each worker owns a ring (single producer: that worker; single consumer:
 * the writer thread). A worker claims a slot, fills it and publishes it
 * with one release store; when its ring is full the entry is dropped and
 * counted, so answering never waits for the disk. The writer drains every
 * ring every few milliseconds into one write(2) per batch; when a write
 * fails (disk full, a full pipe) the batch is dropped and counted, the
 * problem logged once, and it is logged again when writing works again.
 * Each worker's lines are in the order of its responses; lines of
 * different workers may interleave out of order by up to one drain period
 * (20 ms); the time on each line is the query's arrival. A file renamed
 * away (log rotation) is noticed within a second and the path opened
 * again.
 *
 * Line format (space separated, one per query):
 *   TIME CLIENT#PORT NAME CLASS TYPE FLAGS TRANSPORT RCODE SOURCE MICROSECONDS
 *   2026-12-06T10:08:27.123456Z 127.0.0.1#53211 www.example.com. IN A +rd udp NOERROR zone 35 */
#ifndef TERN_CTL_QLOG_H
#define TERN_CTL_QLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define QLOG_RING 4096 /* entries per worker (a power of two) */

typedef struct qlog_entry {
	uint64_t t_us;  /* CLOCK_REALTIME when the query arrived */
	uint32_t dur_us; /* until the response was made */
	uint16_t qtype, qclass, flags, port;
	uint8_t rcode, source, transport, family, namelen;
	uint8_t addr[16];
	uint8_t name[255]; /* wire form, namelen bytes ("" when the query had no question) */
} qlog_entry;

typedef struct qlog qlog;

/* Opens (appends to) path: before the privilege drop. NULL after logging. */
qlog *qlog_open(const char *path, unsigned nworkers);
int qlog_start(qlog *q);
/* Stops the writer after a last drain, closes, frees. NULL is fine. */
void qlog_stop(qlog *q);

/* The worker's next free slot, or NULL (the ring is full: counted as
 * dropped). Fill it, then qlog_commit. Worker w only. */
qlog_entry *qlog_slot(qlog *q, unsigned w);
void qlog_commit(qlog *q, unsigned w);

/* Fills e's name, type, class from a response (its question) and its
 * client from addr. */
void qlog_fill(qlog_entry *e, const uint8_t *resp, size_t len, const struct sockaddr *addr);

typedef struct qlog_stats {
	uint64_t written, dropped_full, dropped_write;
} qlog_stats;
void qlog_get_stats(qlog *q, qlog_stats *out);

#endif
