/* ds_check.c: see ds_check.h. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dnssec/verify.h"
#include "resolve/forward.h"
#include "server/ds_check.h"
#include "tern/msg.h"
#include "tern/rr.h"
#include "tern/tsig.h"
#include "tern/wire.h"

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int ds_check_answer(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *origin, const uint8_t *dnskey,
                   size_t keylen)
{
	tern_msg_iter it;
	tern_rr rr;
	if (tern_msg_iter_init(&it, pkt, len) || it.hdr.id != id || !(it.hdr.flags & TERN_F_QR) ||
	    it.hdr.count[TERN_S_QUESTION] != 1)
		return -1;
	int found = 0, r;
	bool asked = false;
	while ((r = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section == TERN_S_QUESTION) {
			asked = tern_name_eq(rr.owner, origin) && rr.type == TERN_T_DS;
			continue;
		}
		if (rr.section == TERN_S_ANSWER && rr.type == TERN_T_DS && rr.cls == TERN_C_IN &&
		    tern_name_eq(rr.owner, origin) &&
		    dnssec_ds_matches(origin, pkt + rr.rdata_off, rr.rdlen, dnskey, keylen))
			found = 1;
	}
	return r < 0 || !asked ? -1 : found;
}

int ds_check_parent(const struct sockaddr *addr, socklen_t len, const uint8_t *origin, const uint8_t *dnskey,
                    size_t keylen, const tern_tsig_key *key, int timeout_ms)
{
	uint8_t q[TERN_NAME_MAX + 64 + 2 * TERN_NAME_MAX + 128], a[4096]; /* the question and its TSIG RR */
	uint16_t id;
	fwd_random(&id, sizeof id);
	tern_msgw m;
	tern_msgw_init(&m, q, sizeof q, sizeof q, id, 0); /* RD clear: the parent answers from its own data */
	int qlen;
	if (tern_msgw_question(&m, origin, TERN_T_DS, TERN_C_IN) || (qlen = tern_msgw_finish(&m, 0)) < 0)
		return -1;
	tern_tsig_ctx t;
	tern_tsig_ctx_init(&t, key);
	if (key) { /* RFC 8945 5.1: the question signed; 5.3: so must the answer be */
		size_t sl;
		if (tern_tsig_sign(&t, q, (size_t)qlen, sizeof q, (uint64_t)time(NULL), &sl)) {
			tern_tsig_ctx_free(&t);
			return -1;
		}
		qlen = (int)sl;
	}
	int fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tern_tsig_ctx_free(&t);
		return -1;
	}
	int rc = -1;
	bool bad_tsig = false;
	if (connect(fd, addr, len) || send(fd, q, (size_t)qlen, 0) != qlen)
		goto out;
	int64_t end = now_ms() + timeout_ms;
	for (int64_t left; rc < 0 && (left = end - now_ms()) > 0;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = recv(fd, a, sizeof a, 0);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			break;
		if (n < 12 || tern_get_u16(a) != id)
			continue; /* not the answer: wait on */
		if (key) {
			/* each answer (one UDP message) is checked on its own against
			 * the question's MAC: t stays as signing left it, so a forged
			 * answer cannot spoil the real one's check, and no answer is
			 * taken as a later message of a multi-message exchange */
			tern_tsig_ctx c = t;
			int bad = tern_tsig_verify(&c, a, (size_t)n, (uint64_t)time(NULL));
			tern_tsig_ctx_free(&c);
			if (bad) {
				bad_tsig = true;
				continue;
			}
		}
		rc = ds_check_answer(a, (size_t)n, id, origin, dnskey, keylen); /* anything else: wait on */
	}
out:
	close(fd);
	tern_tsig_ctx_free(&t);
	return rc < 0 && bad_tsig ? -2 : rc;
}
