/* ds_check.h: ternd asks the parent itself whether the DS of a zone's new
 * KSK is there (issue 12 item 3; Knot's ksk-submission check): with
 * `dnssec-parent: ADDR[:PORT]`, while a KSK is ready and its DS not
 * confirmed, the parent server is asked for the zone's DS every
 * `dnssec-parent-check-interval`; a DS that matches the key counts as
 * ternctl zone-ksk-submitted. The answer is not validated (DNSSEC): name
 * a parent server reached over a path you trust (as Knot's documentation
 * says of its own check), or sign the exchange with a TSIG key you share
 * with it (`dnssec-parent: ADDR key NAME`). Main thread (zones_resign), blocking for at most the
 * timeout. */
#ifndef TERN_SERVER_DS_CHECK_H
#define TERN_SERVER_DS_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Asks addr (UDP) for origin's DS, RD clear: 1 when an answer holds a DS
 * of origin that matches the DNSKEY RDATA dnskey (tag, algorithm,
 * digest: dnssec/verify.h), 0 when it holds none, -1 when no answer came
 * within timeout_ms or it was not one. With key (dnssec-parent ... key
 * NAME), the question is signed with that TSIG key and only an answer
 * signed with it counts: -2 when the only answers had no TSIG or a bad
 * one. */
struct tern_tsig_key;
int ds_check_parent(const struct sockaddr *addr, socklen_t len, const uint8_t *origin, const uint8_t *dnskey,
                    size_t keylen, const struct tern_tsig_key *key, int timeout_ms);

/* The reading of an answer (len bytes from the network): 1 when it is the
 * answer to question id (origin DS) and its answer section holds a DS of
 * origin matching dnskey, 0 when it holds none, -1 when it is not that
 * answer or does not parse. */
int ds_check_answer(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *origin, const uint8_t *dnskey,
                    size_t keylen);

#endif
