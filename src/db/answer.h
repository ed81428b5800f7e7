/* answer.h: authoritative answers from a zone set (RFC 1034 4.3.2, RFC 2308
 * negative answers, RFC 4592 wildcards, RFC 6672 DNAME, RFC 8482 ANY). */
#ifndef TERN_DB_ANSWER_H
#define TERN_DB_ANSWER_H

#include <stdbool.h>

#include "db/zone.h"
#include "tern/msg.h"

#define DB_MAX_CHAIN 16 /* CNAME/DNAME links followed for one query */

typedef struct db_result {
	unsigned rcode;
	bool aa;
	bool no_zone; /* no served zone contains the name: REFUSED, or forward */
	bool referral; /* the answer is a delegation */
	bool wildcard; /* synthesized from a wildcard */
	const uint8_t *apex; /* the zone that answered (for rate limiting) */
	const db_zone *zone; /* the same zone, or NULL (for counters) */
	bool has_next; /* a CNAME/DNAME chain left the served data at next */
	uint8_t next[TERN_NAME_MAX];
} db_result;

/* Appends the answer, authority and additional sections for query q to m
 * (whose question is already written). Over UDP (tcp false) an RRset that
 * does not fit is left out whole and the message marked truncated; ANY gets
 * one RRset over UDP, all of them over TCP. Thread-safe: reads only. */
void db_answer(const db_set *set, const tern_query *q, tern_msgw *m, bool tcp, db_result *res);

/* Adds a whole RRset with the given owner and TTL, or nothing: one that does
 * not fit marks the message truncated (RFC 2181 9), except in the
 * additional section. Nothing is added once the message is truncated.
 * Returns true if the RRset went in. */
bool db_put_rrset(tern_msgw *m, enum tern_section sec, const uint8_t *owner, const db_rrset *s, uint32_t ttl);

/* Local data's answer from node n (local records, local zones, policy
 * data; may be NULL) for qtype, owner `owner`: the RRset (ANY: the first),
 * or the CNAME; nothing when it has neither (NODATA). true when it put a
 * CNAME whose target (into target) is still to be followed, false when
 * the answer is complete (or the message truncated). */
bool db_put_node_answer(const db_node *n, const uint8_t *owner, uint16_t qtype, tern_msgw *m, uint8_t *target);

#endif
