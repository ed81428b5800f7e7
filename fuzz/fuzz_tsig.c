/* fuzz_tsig.c: TSIG verification (tsig.c, RFC 8945) of any message, with
 * a fixed keyring of three keys (hmac-sha256, hmac-md5, hmac-sha512; the
 * seeds in corpus/tsig are signed with them by gen_corpus.py).
 *
 * The input is a message. Checks:
 *  - tern_tsig_find and the server's parse agree on where the TSIG is;
 *  - tern_tsig_verify_request returns one of its documented results, with
 *    c.key set exactly when it verified, and the time window applied;
 *  - the answer to it (the message cut before its TSIG) signs, at exactly
 *    tern_tsig_sign_size more bytes, into a message whose TSIG reads back
 *    with the error we chose; a verified request's answer verifies at a
 *    client holding the request's MAC;
 *  - as the middle message of a transfer, the input is verified or refused
 *    without a leak (the running digest is freed). */
#include <string.h>

#include "fuzz.h"
#include "tern/msg.h"
#include "tern/tsig.h"

#define NKEYS 3
static tern_tsig_key keys[NKEYS]; /* built once, then read only */

static void init_keys(void)
{
	static int done;
	if (done)
		return;
	/* "fuzz-tsig-secret-sha256-32bytes!", "fuzz-md5-secret!", "fuzz-tsig-secret-sha512" */
	FUZZ_CHECK(!tern_tsig_key_from_text(&keys[0], "k1.example", "hmac-sha256",
	                                    "ZnV6ei10c2lnLXNlY3JldC1zaGEyNTYtMzJieXRlcyE="));
	FUZZ_CHECK(!tern_tsig_key_from_text(&keys[1], "k2.example", "hmac-md5", "ZnV6ei1tZDUtc2VjcmV0IQ=="));
	FUZZ_CHECK(!tern_tsig_key_from_text(&keys[2], "k3.example", "hmac-sha512", "ZnV6ei10c2lnLXNlY3JldC1zaGE1MTI="));
	done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[TERN_MSG_MAX + 1024]; /* scratch, not state */
	init_keys();
	if (size > TERN_MSG_MAX)
		return 0;

	tern_tsig_rr rr;
	int found = tern_tsig_find(data, size, &rr);
	FUZZ_CHECK(found == 1 || found == 0 || found == TERN_EMALFORMED);
	if (found == 1) {
		FUZZ_CHECK(rr.start >= TERN_HDR_LEN && rr.start < size);
		FUZZ_CHECK(rr.mac_len == 0 || (rr.mac >= data && rr.mac + rr.mac_len <= data + size));
		FUZZ_CHECK(rr.other_len == 0 || (rr.other >= data && rr.other + rr.other_len <= data + size));
	}
	tern_query q;
	enum tern_qparse pr = tern_query_parse(data, size, &q);
	/* the strict parse and the finder agree on where it is; the parse only
	 * places it, its RDATA is read by the finder (and by the server's
	 * check, which answers FORMERR then) */
	if (pr == TERN_Q_OK && q.tsig_off) {
		tern_tsig_rr at;
		FUZZ_CHECK(found == 1 ? rr.start == q.tsig_off : tern_tsig_read(data, size, q.tsig_off, &at) != 0);
	}
	if (pr == TERN_Q_OK && found == 1)
		FUZZ_CHECK(q.tsig_off == rr.start);

	/* as a message in the middle of a transfer signed with key 0: an
	 * unsigned one is digested, a signed one checked */
	tern_tsig_ctx c;
	tern_tsig_ctx_init(&c, &keys[0]);
	c.nsigned = c.nverified = 1;
	memset(c.mac, 0x5a, 32);
	c.mac_len = 32;
	int r = tern_tsig_verify(&c, data, size, found == 1 ? rr.time_signed : 0);
	FUZZ_CHECK(r == 0 || r == TERN_EMALFORMED || r > 0);
	FUZZ_CHECK(r != 0 || found == 0 || found == 1);
	tern_tsig_ctx_free(&c);
	if (found != 1)
		return 0;

	/* the server's check, at a time near the request's: the last byte
	 * picks -300 .. +400 s (inside and outside a 300 s fudge) */
	uint64_t now = rr.time_signed + (uint64_t)(data[size - 1] % 8) * 100 - 300;
	tern_tsig_ctx s;
	r = tern_tsig_verify_request(&s, keys, NKEYS, data, size, rr.start, now);
	FUZZ_CHECK(r == 0 || r == TERN_EMALFORMED || r == TERN_TSIG_BADKEY || r == TERN_TSIG_BADSIG ||
	           r == TERN_TSIG_BADTIME);
	if (r == 0 || r == TERN_TSIG_BADTIME || r == TERN_TSIG_BADSIG)
		FUZZ_CHECK(s.key != NULL);
	if (r == TERN_TSIG_BADKEY)
		FUZZ_CHECK(s.key == NULL);
	if (r == 0 || r == TERN_TSIG_BADTIME) {
		uint64_t d = now > rr.time_signed ? now - rr.time_signed : rr.time_signed - now;
		FUZZ_CHECK((r == 0) == (d <= rr.fudge));
	}
	if (r < 0) {
		tern_tsig_ctx_free(&s);
		return 0;
	}
	FUZZ_CHECK(s.error == (uint16_t)r);

	/* the answer: the message before its TSIG, as a response */
	size_t len = rr.start;
	memcpy(buf, data, len);
	buf[2] |= 0x80;
	tern_put_u16(buf + 10, (uint16_t)(tern_get_u16(buf + 10) - 1));
	size_t need = tern_tsig_sign_size(&s), out;
	FUZZ_CHECK(tern_tsig_sign(&s, buf, len, len + need - 1, now, &out) == TERN_ESPACE);
	/* (ARCOUNT was at least 1 with the TSIG, so it can grow back) */
	FUZZ_CHECK(tern_tsig_sign(&s, buf, len, sizeof buf, now, &out) == 0 && out == len + need);
	tern_tsig_rr back; /* the records before it walked in the request: they do here */
	FUZZ_CHECK(tern_tsig_find(buf, out, &back) == 1);
	FUZZ_CHECK(back.start == len && back.error == r);
	FUZZ_CHECK(back.mac_len == (r == 0 || r == TERN_TSIG_BADTIME ? tern_tsig_alg_mac_len(s.key->alg) : 0));
	FUZZ_CHECK(back.other_len == (r == TERN_TSIG_BADTIME ? 6 : 0));
	if (r == 0) { /* a client holding the request's MAC accepts it */
		tern_tsig_ctx_init(&c, s.key);
		memcpy(c.mac, rr.mac, rr.mac_len);
		c.mac_len = rr.mac_len;
		c.nsigned = 1;
		FUZZ_CHECK(tern_tsig_verify(&c, buf, out, now) == 0);
		tern_tsig_ctx_free(&c);
	}
	tern_tsig_ctx_free(&s);
	return 0;
}
