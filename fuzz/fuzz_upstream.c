/* fuzz_upstream.c: the forwarder's handling of upstream answers.
 *
 * The input is an upstream's response. The question it is checked against
 * is taken from the input itself (ID, first question) when that parses, so
 * most inputs get past the matching into the sanitizer proper; otherwise
 * it is example.com/A, ID 0. A fresh small cache receives what
 * fwd_sanitize keeps. Checks on an accepted answer (FWD_OK):
 *  - the result holds only the question's name and the CNAME chain from it
 *    (every answer record's owner is the name or the target of a CNAME
 *    before it), plus at most one SOA whose owner is above the chain's end:
 *    this is what keeps a forged or careless upstream from poisoning the
 *    cache with names it was not asked about;
 *  - every record's RDATA is valid for its type;
 *  - the result and the cache's copy both write into messages that parse,
 *    over TCP and in 512 bytes (truncated). */
#include <stddef.h>
#include <string.h>

#include "fuzz.h"
#include "resolve/cache.h"
#include "resolve/forward.h"
#include "tern/msg.h"

static uint8_t out[65536];
static uint8_t rdbuf[65536];
static fwd_result res;

static void check_message(size_t n, size_t cap)
{
	FUZZ_CHECK(n >= TERN_HDR_LEN && n <= cap);
	tern_msg_iter it;
	FUZZ_CHECK(tern_msg_iter_init(&it, out, n) == 0);
	tern_rr rr;
	int r;
	while ((r = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section == TERN_S_QUESTION)
			continue;
		tern_rd rd;
		tern_rd_init(&rd, out, n);
		rd.pos = rr.rdata_off;
		size_t l;
		FUZZ_CHECK(tern_rdata_unpack(&rd, rr.type, rr.rdlen, rdbuf, sizeof rdbuf, &l) == 0);
	}
	FUZZ_CHECK(r == 0 && it.r.pos == n);
}

/* A name stored in the result: well-formed and inside it. */
static size_t stored_name(const uint8_t *p, size_t room)
{
	size_t off = 0;
	while (off < room && p[off]) {
		FUZZ_CHECK(p[off] <= TERN_LABEL_MAX);
		off += 1u + p[off];
	}
	FUZZ_CHECK(off < room && off + 1 <= TERN_NAME_MAX);
	return off + 1;
}

static void check_result(const fwd_result *fr, const uint8_t *qname, uint16_t qtype)
{
	FUZZ_CHECK(fr->len <= FWD_RESULT_MAX);
	FUZZ_CHECK(fr->rcode == TERN_R_NOERROR || fr->rcode == TERN_R_NXDOMAIN);
	FUZZ_CHECK(!fr->failed && fr->qtype == qtype && tern_name_eq(fr->name, qname));
	/* every CNAME target counts (an RRset of several CNAMEs is kept whole,
	 * though only the first is followed): at most one per record */
	static uint8_t chain[FWD_RESULT_MAX / 11 + 2][TERN_NAME_MAX];
	unsigned nchain = 1, nans = 0;
	memcpy(chain[0], qname, tern_name_len(qname));
	bool soa_seen = false;
	size_t off = 0;
	while (off < fr->len) {
		const uint8_t *o = fr->data + off;
		size_t ol = stored_name(o, fr->len - off);
		FUZZ_CHECK(off + ol + 8 <= fr->len);
		uint16_t type = tern_get_u16(o + ol);
		uint16_t rdlen = tern_get_u16(o + ol + 6);
		const uint8_t *rd = o + ol + 8;
		FUZZ_CHECK(off + ol + 8 + rdlen <= fr->len);
		tern_rd r;
		tern_rd_init(&r, rd, rdlen);
		size_t l;
		FUZZ_CHECK(tern_rdata_unpack(&r, type, rdlen, rdbuf, sizeof rdbuf, &l) == 0);
		if (fr->proof_off && off >= fr->proof_off) {
			/* DNSSEC proofs, after the answer or the SOA */
			FUZZ_CHECK(type == TERN_T_NSEC || type == TERN_T_NSEC3 || type == TERN_T_RRSIG);
		} else if (off == fr->soa_off) {
			FUZZ_CHECK(type == TERN_T_SOA && !soa_seen);
			FUZZ_CHECK(tern_name_is_sub(chain[nchain - 1], o)); /* above the chain's end */
			soa_seen = true;
		} else {
			/* the owner is the question's name or a CNAME target so far */
			bool in_chain = false;
			for (unsigned i = 0; i < nchain; i++)
				in_chain = in_chain || tern_name_eq(o, chain[i]);
			FUZZ_CHECK(in_chain);
			FUZZ_CHECK(type == qtype || type == TERN_T_CNAME || type == TERN_T_RRSIG || qtype == TERN_T_ANY);
			if (type == TERN_T_CNAME && qtype != TERN_T_CNAME) {
				FUZZ_CHECK(nchain < sizeof chain / sizeof chain[0]);
				memcpy(chain[nchain++], rd, tern_name_len(rd));
			}
			nans++;
		}
		off += ol + 8 + rdlen;
	}
	FUZZ_CHECK(off == fr->len);
	FUZZ_CHECK(soa_seen == (fr->soa_off != 0xffff));
	FUZZ_CHECK(fr->nrr == 0 || fr->nrr == nans);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t qname[TERN_NAME_MAX] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
	uint16_t qtype = TERN_T_A, id = 0;
	tern_msg_iter it;
	tern_rr q;
	if (tern_msg_iter_init(&it, data, size) == 0 && it.hdr.count[TERN_S_QUESTION] >= 1 &&
	    tern_msg_next(&it, &q) == 1) {
		id = it.hdr.id;
		memcpy(qname, q.owner, q.owner_len);
		qtype = q.type;
	}

	cache_opts o = {.max_bytes = 1 << 16, .stripes = 2};
	cache *c = cache_new(&o);
	if (!c)
		return 0;
	enum fwd_verdict v = fwd_sanitize(data, size, id, qname, qtype, NULL, c, 1000, &res);
	FUZZ_CHECK(v == FWD_IGNORE || v == FWD_TRUNC || v == FWD_BAD || v == FWD_OK);
	if (v == FWD_BAD) { /* the upstream's Extended DNS Error: printable text, terminated */
		size_t n = strnlen(res.ede_text, sizeof res.ede_text);
		FUZZ_CHECK(n < sizeof res.ede_text);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(res.ede_text[i] >= 0x20 && res.ede_text[i] < 0x7f);
		FUZZ_CHECK(res.ede != FWD_NO_EDE || n == 0);
	}
	if (v == FWD_OK) {
		check_result(&res, qname, qtype);
		static const size_t caps[] = {sizeof out - 1, TERN_UDP_MIN};
		for (size_t i = 0; i < 2; i++) {
			tern_msgw m;
			tern_msgw_init(&m, out, caps[i], caps[i], 1, TERN_F_QR);
			FUZZ_CHECK(tern_msgw_question(&m, qname, qtype, TERN_C_IN) == 0);
			int rc = fwd_result_write(&res, &m, qname, true);
			FUZZ_CHECK(rc == 0 || (rc == TERN_ESPACE && m.truncated));
			int n = tern_msgw_finish(&m, res.rcode);
			FUZZ_CHECK(n > 0);
			check_message((size_t)n, caps[i]);

			/* what the cache now holds for the question */
			tern_msgw_init(&m, out, caps[i], caps[i], 1, TERN_F_QR);
			FUZZ_CHECK(tern_msgw_question(&m, qname, qtype, TERN_C_IN) == 0);
			cache_hit h;
			rc = cache_get(c, qname, qtype, 1000, false, &m, qname, &h);
			FUZZ_CHECK(rc == 0 || (rc == TERN_ESPACE && m.truncated));
			if (h.kind == CACHE_MISS)
				(void)cache_get(c, qname, CACHE_NXDOMAIN, 1000, false, &m, qname, &h);
			n = tern_msgw_finish(&m, 0);
			FUZZ_CHECK(n > 0);
			check_message((size_t)n, caps[i]);
		}
	}
	cache_free(c);
	return 0;
}
