/* test_msg.c: the EDNS reader of msg.c (tern_msg_edns, tern_edns_rcode,
 * tern_edns_next_opt) on messages built with tern_msgw and on hand-made
 * packets: fields of the OPT TTL, option walking, malformed options and
 * messages, and agreement with the strict tern_query_parse. The header
 * parser on runts. The composer (tern_msgw): name compression across
 * roll-backs, RRsets written with owner pointers, messages past 16 KB
 * (offsets a pointer cannot reach), each result read back by the strict
 * reader of msgcheck.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "msgcheck.h"
#include "tern/msg.h"
#include "tern/name.h"

static const uint8_t example[] = "\7example\3com";

/* A response for example.com A with one answer, then the given OPT (when
 * payload is not 0). Returns the message length. */
static size_t build(uint8_t *buf, size_t cap, uint16_t flags, uint16_t payload, unsigned ext_rcode, bool do_bit,
                    const uint8_t *opts, size_t optlen)
{
	tern_msgw m;
	static const uint8_t addr[4] = {192, 0, 2, 1};
	tern_msgw_init(&m, buf, cap, cap - 64, 0x1234, flags);
	assert_int_equal(tern_msgw_question(&m, example, TERN_T_A, TERN_C_IN), 0);
	assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, example, TERN_T_A, TERN_C_IN, 300, addr, 4), 0);
	if (payload)
		assert_int_equal(tern_msgw_opt(&m, payload, ext_rcode, do_bit, opts, optlen), 0);
	int n = tern_msgw_finish(&m, ext_rcode & 0xf);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_no_opt(void **st)
{
	(void)st;
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR, 0, TERN_R_NXDOMAIN, false, NULL, 0);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	assert_false(e.present);
	assert_null(e.opts);
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(buf + 2)), TERN_R_NXDOMAIN);
	tern_edns_opt o;
	size_t pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 0);
}

static void test_fields(void **st)
{
	(void)st;
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR | TERN_F_AA, 4096, TERN_R_BADVERS, true, NULL, 0);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.payload, 4096);
	assert_int_equal(e.ext_rcode, 1);
	assert_int_equal(e.version, 0);
	assert_true(e.do_bit);
	assert_int_equal(e.flags, 0x8000);
	assert_int_equal(e.opts_len, 0);
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(buf + 2)), TERN_R_BADVERS);

	len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, NULL, 0);
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.payload, 1232);
	assert_false(e.do_bit);
	assert_int_equal(e.flags, 0);
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(buf + 2)), TERN_R_NOERROR);
}

/* Version, MBZ flags and payload below 512 come through as sent. */
static void test_raw_ttl(void **st)
{
	(void)st;
	uint8_t pkt[] = {0, 1, 0x80, 0x05, 0, 0, 0, 0, 0, 0, 0, 1,     /* header: REFUSED, one additional */
	                 0, 0, 41, 0x01, 0x00, 0x02, 0x01, 0x40, 0x01, 0, 0}; /* OPT 256, ext 2, v1, DO+0x4001 */
	tern_edns e;
	assert_int_equal(tern_msg_edns(pkt, sizeof pkt, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.payload, 256);
	assert_int_equal(e.ext_rcode, 2);
	assert_int_equal(e.version, 1);
	assert_false(e.do_bit);
	assert_int_equal(e.flags, 0x4001);
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(pkt + 2)), 2 << 4 | TERN_R_REFUSED);
	pkt[19] = 0xc0; /* DO and one MBZ bit */
	assert_int_equal(tern_msg_edns(pkt, sizeof pkt, &e), 0);
	assert_true(e.do_bit);
	assert_int_equal(e.flags, 0xc001);
}

static void test_options(void **st)
{
	(void)st;
	static const uint8_t opts[] = {
		0, TERN_OPT_NSID, 0, 0,                                  /* NSID, empty */
		0, TERN_OPT_COOKIE, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8,        /* client cookie */
		0, 15, 0, 4, 0, 3, 'h', 'i',                             /* EDE 3 "hi" */
	};
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, opts, sizeof opts);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	assert_int_equal(e.opts_len, sizeof opts);
	assert_memory_equal(e.opts, opts, sizeof opts);
	assert_true(e.opts >= buf && e.opts + e.opts_len == buf + len);

	tern_edns_opt o;
	size_t pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(o.code, TERN_OPT_NSID);
	assert_int_equal(o.len, 0);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(o.code, TERN_OPT_COOKIE);
	assert_int_equal(o.len, 8);
	assert_memory_equal(o.data, opts + 8, 8);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(o.code, 15);
	assert_int_equal(o.len, 4);
	assert_memory_equal(o.data, "\0\3hi", 4);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 0);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 0); /* stays at the end */
}

static void test_malformed_options(void **st)
{
	(void)st;
	/* a whole header whose data runs past the RDATA */
	static const uint8_t runs[] = {0, TERN_OPT_NSID, 0, 0, 0, 12, 0, 9, 1, 2, 3};
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, runs, sizeof runs);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, len, &e), 0); /* the message itself is fine */
	tern_edns_opt o;
	size_t pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), TERN_EMALFORMED);
	assert_int_equal(o.code, 12);
	assert_int_equal(o.len, 9);
	assert_null(o.data);
	assert_int_equal(pos, 4); /* not moved past the bad option */

	/* fewer than 4 bytes left: no header */
	static const uint8_t stub[] = {0, TERN_OPT_NSID, 0, 0, 0, 10};
	len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, stub, sizeof stub);
	assert_int_equal(tern_msg_edns(buf, len, &e), 0);
	pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), TERN_EMALFORMED);
	assert_int_equal(o.code, 0);
	assert_int_equal(o.len, 0);
	assert_null(o.data);
}

/* Only the additional section counts, and only its first OPT. */
static void test_which_opt(void **st)
{
	(void)st;
	uint8_t buf[512];
	tern_msgw m;
	static const uint8_t root[1] = {0};
	static const uint8_t ttl_in_answer[4] = {0};
	tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 7, TERN_F_QR);
	assert_int_equal(tern_msgw_question(&m, example, TERN_T_A, TERN_C_IN), 0);
	/* an OPT-typed RR in the answer section: not EDNS */
	assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, root, TERN_T_OPT, 999, 0, ttl_in_answer, 0), 0);
	int n = tern_msgw_finish(&m, 0);
	assert_true(n > 0);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, (size_t)n, &e), 0);
	assert_false(e.present);

	tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 7, TERN_F_QR);
	assert_int_equal(tern_msgw_question(&m, example, TERN_T_A, TERN_C_IN), 0);
	assert_int_equal(tern_msgw_opt(&m, 1400, 0, true, NULL, 0), 0);
	assert_int_equal(tern_msgw_opt(&m, 4000, 0x30, false, NULL, 0), 0);
	n = tern_msgw_finish(&m, 0);
	assert_true(n > 0);
	assert_int_equal(tern_msg_edns(buf, (size_t)n, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.payload, 1400);
	assert_true(e.do_bit);
	assert_int_equal(e.ext_rcode, 0);
}

/* A message that does not walk is an error, even after its OPT. */
static void test_malformed_message(void **st)
{
	(void)st;
	uint8_t buf[512];
	size_t len = build(buf, sizeof buf, TERN_F_QR, 1232, 0, false, NULL, 0);
	tern_edns e;
	assert_true(tern_msg_edns(buf, 11, &e) < 0);      /* short header */
	assert_true(tern_msg_edns(buf, len - 1, &e) < 0); /* OPT cut short */
	assert_false(e.present);
	tern_put_u16(buf + 10, 2); /* claims a second additional RR */
	assert_true(tern_msg_edns(buf, len, &e) < 0);
	/* the header's rcode is still there for a caller that falls back */
	e.present = false;
	assert_int_equal(tern_edns_rcode(&e, tern_get_u16(buf + 2)), 0);
}

/* On a query the lenient reader and the strict parser agree. */
static void test_agrees_with_query_parse(void **st)
{
	(void)st;
	static const uint8_t opts[] = {0, TERN_OPT_COOKIE, 0, 8, 9, 8, 7, 6, 5, 4, 3, 2};
	uint8_t buf[512];
	tern_msgw m;
	tern_msgw_init(&m, buf, sizeof buf, sizeof buf, 42, TERN_F_RD);
	assert_int_equal(tern_msgw_question(&m, example, TERN_T_AAAA, TERN_C_IN), 0);
	assert_int_equal(tern_msgw_opt(&m, 2048, 0, true, opts, sizeof opts), 0);
	int n = tern_msgw_finish(&m, 0);
	assert_true(n > 0);
	tern_query q;
	assert_int_equal(tern_query_parse(buf, (size_t)n, &q), TERN_Q_OK);
	tern_edns e;
	assert_int_equal(tern_msg_edns(buf, (size_t)n, &e), 0);
	assert_int_equal(e.present, q.edns);
	assert_int_equal(e.payload, q.edns_size);
	assert_int_equal(e.version, q.edns_version);
	assert_int_equal(e.do_bit, q.edns_do);
	tern_edns_opt o;
	size_t pos = 0;
	assert_int_equal(tern_edns_next_opt(&e, &pos, &o), 1);
	assert_int_equal(o.code, TERN_OPT_COOKIE);
	assert_int_equal(o.len, q.cookie_len);
	assert_memory_equal(o.data, q.cookie, o.len);
}


/* ---- the header parser on runts ---- */

/* 0..11 bytes: dropped, never read past (each in a buffer of exactly that
 * size, so ASan sees an over-read); 12 bytes of header alone: FORMERR. */
static void test_query_parse_runts(void **st)
{
	(void)st;
	static const uint8_t hdr[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	for (size_t n = 0; n <= 11; n++) {
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, hdr, n);
		tern_query q;
		memset(&q, 0xa5, sizeof q);
		assert_int_equal(tern_query_parse(n ? p : NULL, n, &q), TERN_Q_DROP);
		assert_int_equal(q.question_end, 0);
		assert_false(q.edns);
		tern_msg_iter it;
		assert_true(tern_msg_iter_init(&it, n ? p : NULL, n) < 0);
		tern_edns e;
		assert_true(tern_msg_edns(n ? p : NULL, n, &e) < 0);
		free(p);
	}
	uint8_t *p = malloc(12);
	assert_non_null(p);
	memcpy(p, hdr, 12);
	tern_query q;
	assert_int_equal(tern_query_parse(p, 12, &q), TERN_Q_FORMERR); /* QDCOUNT 1, no question */
	assert_int_equal(q.hdr.id, 0x1234);
	assert_int_equal(q.hdr.count[TERN_S_QUESTION], 1);
	p[2] = 0x81; /* QR: a response is dropped, whatever follows */
	assert_int_equal(tern_query_parse(p, 12, &q), TERN_Q_DROP);
	p[2] = 0x01;
	p[5] = 0; /* no question */
	assert_int_equal(tern_query_parse(p, 12, &q), TERN_Q_FORMERR);
	free(p);
}

/* ---- the composer ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

/* A random name from few labels (so that suffixes are shared), in random
 * case; now and then 63-byte labels or a name of exactly 255 bytes. */
static size_t rand_name(uint8_t *out)
{
	static const char *const pool[] = {"a", "b", "ns", "mail", "example", "com", "org", "x1", "www", "Zone"};
	size_t n = 0;
	if (!rnd(40)) { /* 255 bytes: 63 + 63 + 63 + 61 + root */
		for (int k = 0; k < 4; k++) {
			unsigned l = k < 3 ? 63 : 61;
			out[n++] = (uint8_t)l;
			for (unsigned i = 0; i < l; i++)
				out[n++] = (uint8_t)("abcXYZ"[rnd(6)]);
		}
		out[n++] = 0;
		return n;
	}
	unsigned labels = 1 + rnd(5);
	for (unsigned k = 0; k < labels && n + 1 + 63 < TERN_NAME_MAX; k++) {
		if (!rnd(12)) {
			out[n++] = 63;
			for (unsigned i = 0; i < 63; i++)
				out[n++] = (uint8_t)(rnd(2) ? 'q' : 'Q');
			continue;
		}
		const char *l = pool[rnd(sizeof pool / sizeof pool[0])];
		size_t len = strlen(l);
		out[n++] = (uint8_t)len;
		for (size_t i = 0; i < len; i++) {
			char c = l[i];
			if (c >= 'a' && c <= 'z' && rnd(2))
				c = (char)(c - 32);
			else if (c >= 'A' && c <= 'Z' && rnd(2))
				c = (char)(c + 32);
			out[n++] = (uint8_t)c;
		}
	}
	out[n++] = 0;
	return n;
}

/* What a message should hold: the records, names lower-cased. */
typedef struct model {
	mc_rr rr[4096];
	size_t n;
} model;

static void model_add(model *md, unsigned sec, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
                      size_t rdlen)
{
	assert_true(md->n < sizeof md->rr / sizeof md->rr[0]);
	mc_rr *r = &md->rr[md->n++];
	memset(r, 0, sizeof *r);
	r->section = sec;
	r->olen = tern_name_len(owner);
	memcpy(r->owner, owner, r->olen);
	mc_lower(r->owner, r->olen);
	r->type = type;
	r->cls = TERN_C_IN;
	r->ttl = ttl;
	r->wire_rdlen = rdlen;
	r->rdlen = rdlen;
	if (rdlen)
		memcpy(r->rdata, rd, rdlen < sizeof r->rdata ? rdlen : sizeof r->rdata);
	size_t head, tail;
	if (sec && mc_layout(type, &head, &tail))
		mc_lower(r->rdata + head, rdlen - head - tail);
}

static void model_check(const model *md, const uint8_t *buf, size_t len, mc_msg *mm)
{
	mc_walk(buf, len, mm);
	assert_int_equal(mm->nrr, md->n);
	for (size_t i = 0; i < md->n; i++) {
		const mc_rr *a = &md->rr[i], *b = &mm->rr[i];
		if (a->section != b->section || a->type != b->type || a->olen != b->olen ||
		    memcmp(a->owner, b->owner, a->olen) || (a->section && a->ttl != b->ttl)) {
			char x[TERN_NAME_TEXT_MAX], y[TERN_NAME_TEXT_MAX];
			tern_name_to_text(a->owner, x, sizeof x);
			tern_name_to_text(b->owner, y, sizeof y);
			fail_msg("record %zu: want sec %u %s type %u ttl %u, got sec %u %s type %u ttl %u", i, a->section, x,
			         a->type, a->ttl, b->section, y, b->type, b->ttl);
		}
		if (!a->section)
			continue;
		size_t keep = a->rdlen < sizeof a->rdata ? a->rdlen : sizeof a->rdata;
		if (a->rdlen != b->rdlen || memcmp(a->rdata, b->rdata, keep))
			fail_msg("record %zu (type %u): RDATA differs", i, a->type);
	}
}

/* Random RDATA of type into rd; returns its length. name: the (last) name in
 * it, for the types that have one. */
static size_t rand_rdata(uint16_t type, uint8_t *rd, const uint8_t **name)
{
	size_t n = 0;
	*name = NULL;
	switch (type) {
	case TERN_T_A:
		for (int i = 0; i < 4; i++)
			rd[n++] = (uint8_t)rnd(256);
		return n;
	case TERN_T_TXT: {
		size_t l = rnd(8) ? rnd(60) : 255;
		rd[n++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			rd[n++] = (uint8_t)("abcDEF\x03\xc0"[rnd(8)]); /* bytes that look like labels and pointers */
		return n;
	}
	case TERN_T_MX:
		rd[n++] = 0;
		rd[n++] = (uint8_t)rnd(100);
		*name = rd + n;
		return n + rand_name(rd + n);
	case TERN_T_SRV: /* not compressed: copied as is */
		for (int i = 0; i < 6; i++)
			rd[n++] = (uint8_t)rnd(256);
		*name = rd + n;
		return n + rand_name(rd + n);
	case TERN_T_SOA:
	case TERN_T_MINFO:
		n = rand_name(rd);
		*name = rd + n;
		n += rand_name(rd + n);
		if (type == TERN_T_SOA)
			for (int i = 0; i < 20; i++)
				rd[n++] = (uint8_t)rnd(256);
		return n;
	default: /* NS, CNAME, PTR */
		*name = rd;
		return rand_name(rd);
	}
}

/* A name the message holds and where (an owner or an RDATA name), as
 * answer.c keeps them to write later owners as pointers. */
typedef struct known {
	uint8_t name[TERN_NAME_MAX];
	uint16_t ptr;
} known;

/* Composes random messages as answer.c does (whole RRsets or nothing,
 * owners after the first record as pointers, owners taken from earlier
 * owners and RDATA names, roll-backs of RRsets that do not fit and of some
 * that do) and checks each against what was written. */
static void test_compose_random(void **st)
{
	(void)st;
	static const uint16_t types[] = {TERN_T_A, TERN_T_NS, TERN_T_CNAME, TERN_T_MX, TERN_T_SOA,
	                                 TERN_T_PTR, TERN_T_TXT, TERN_T_SRV, TERN_T_MINFO};
	static model md;
	static uint8_t buf[65535];
	static known kn[8192];
	unsigned rolled = 0, refused = 0, above = 0;
	for (unsigned iter = 0; iter < 400; iter++) {
		size_t cap = iter % 4 == 0 ? 65535 : iter % 4 == 1 ? 512 : iter % 4 == 2 ? 1232 : 4096;
		size_t limit = cap - 11 - rnd(64); /* room for an OPT */
		tern_msgw m;
		tern_msgw_init(&m, buf, cap, limit, (uint16_t)iter, TERN_F_QR);
		md.n = 0;
		size_t nk = 0;
		uint8_t q[TERN_NAME_MAX];
		rand_name(q);
		assert_int_equal(tern_msgw_question(&m, q, TERN_T_A, TERN_C_IN), 0);
		model_add(&md, 0, q, TERN_T_A, 0, NULL, 0);
		if (q[0]) {
			memcpy(kn[nk].name, q, tern_name_len(q));
			kn[nk++].ptr = TERN_HDR_LEN;
		}
		unsigned sets = cap == 65535 ? 1500 : 60, sec = 1;
		for (unsigned set = 0; set < sets; set++) {
			if (sec < 3 && !rnd(sets / 4)) /* the sections in order */
				sec++;
			uint16_t type = types[rnd(sizeof types / sizeof types[0])];
			if (cap == 65535 && rnd(4) == 0)
				type = TERN_T_TXT; /* get past 16 KB sooner */
			uint8_t owner[TERN_NAME_MAX];
			uint16_t optr = 0;
			const uint8_t *own = owner;
			if (rnd(10) == 0) { /* the question's own buffer (query.c passes q->qname) */
				memcpy(owner, q, tern_name_len(q));
				own = q;
			} else if (nk && rnd(3) == 0) { /* an owner the message holds */
				const known *k = &kn[rnd((uint32_t)nk)];
				memcpy(owner, k->name, tern_name_len(k->name));
				optr = k->ptr;
			} else {
				rand_name(owner);
			}
			tern_msgw_mark mk = tern_msgw_get_mark(&m);
			size_t mn = md.n, mk_nk = nk;
			unsigned count = 1 + rnd(5);
			bool ok = true;
			for (unsigned i = 0; i < count && ok; i++) {
				uint8_t rd[2 * TERN_NAME_MAX + 64];
				const uint8_t *rname;
				size_t rdlen = rand_rdata(type, rd, &rname);
				int rc;
				if (optr) {
					rc = tern_msgw_rr_ptr(&m, sec, optr, type, TERN_C_IN, 300 + i, rd, rdlen);
				} else {
					rc = tern_msgw_rr(&m, sec, own, type, TERN_C_IN, 300 + i, rd, rdlen);
					if (!rc) {
						optr = m.owner_ptr;
						if (optr && nk < sizeof kn / sizeof kn[0]) {
							memcpy(kn[nk].name, owner, tern_name_len(owner));
							kn[nk++].ptr = optr;
						}
					}
				}
				if (rc) {
					assert_int_equal(rc, TERN_ESPACE);
					ok = false;
					break;
				}
				model_add(&md, sec, owner, type, 300 + i, rd, rdlen);
				if (m.rdata_ptr) {
					assert_true(tern_rdata_compressible(type));
					assert_non_null(rname);
					if (nk < sizeof kn / sizeof kn[0]) {
						memcpy(kn[nk].name, rname, tern_name_len(rname));
						kn[nk++].ptr = m.rdata_ptr;
					}
				}
			}
			if (!ok || rnd(10) == 0) { /* whole RRsets or nothing */
				tern_msgw_rollback(&m, &mk);
				md.n = mn;
				nk = mk_nk;
				rolled++;
				refused += !ok;
			}
		}
		if (rnd(2))
			assert_int_equal(tern_msgw_opt(&m, 1232, 0, false, NULL, 0), 0);
		else
			m.w.cap = m.limit; /* nothing above the limit */
		int n = tern_msgw_finish(&m, 0);
		assert_true(n > 0 && (size_t)n <= cap);
		size_t len = (size_t)n;
		if (m.count[TERN_S_ADDITIONAL] > 0 && tern_get_u16(buf + len - 11 + 1) == TERN_T_OPT)
			len -= 11; /* the OPT: the model does not know it */
		tern_put_u16(buf + 10, (uint16_t)(tern_get_u16(buf + 10) - (len != (size_t)n)));
		mc_msg mm;
		model_check(&md, buf, len, &mm);
		above += mm.pointers_above_16k;
		free(mm.rr);
	}
	assert_true(rolled > 100);
	assert_true(refused > 50);
	assert_true(above > 100); /* compression still works past 16 KB */
}

/* A roll-back forgets the names it wrote: written again after it, they are
 * written anew (a pointer into the dropped bytes would now land in whatever
 * took their place). */
static void test_compose_rollback(void **st)
{
	(void)st;
	static model md;
	uint8_t buf[600];
	tern_msgw m;
	tern_msgw_init(&m, buf, sizeof buf, 512, 1, TERN_F_QR);
	md.n = 0;
	const uint8_t *q = (const uint8_t *)"\3www\7Example\3com";
	assert_int_equal(tern_msgw_question(&m, q, TERN_T_MX, TERN_C_IN), 0);
	model_add(&md, 0, q, TERN_T_MX, 0, NULL, 0);
	/* an RRset that fits */
	const uint8_t *ns[2] = {(const uint8_t *)"\3ns1\7example\3COM", (const uint8_t *)"\3ns2\3net"};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tern_msgw_rr(&m, TERN_S_AUTHORITY, q, TERN_T_NS, TERN_C_IN, 60, ns[i],
		                              tern_name_len(ns[i])),
		                 0);
		model_add(&md, TERN_S_AUTHORITY, q, TERN_T_NS, 60, ns[i], tern_name_len(ns[i]));
	}
	/* one that does not: its first records put new names in the table */
	tern_msgw_mark mk = tern_msgw_get_mark(&m);
	unsigned ct_before = m.ct.n;
	uint8_t rd[300];
	int rc = 0;
	for (int i = 0; i < 40 && !rc; i++) {
		rd[0] = 0;
		rd[1] = (uint8_t)i;
		size_t l = 2;
		l += (size_t)snprintf((char *)rd + l + 1, 20, "host%02d", i);
		rd[2] = (uint8_t)(l - 2);
		l++;
		memcpy(rd + l, "\4zone\7example\3org", 18);
		l += 18;
		rc = tern_msgw_rr(&m, TERN_S_ANSWER, (const uint8_t *)"\4mail\7example\3org", TERN_T_MX, TERN_C_IN,
		                  60, rd, l);
		if (!rc)
			assert_true(m.ct.n > ct_before);
	}
	assert_int_equal(rc, TERN_ESPACE);
	size_t dropped_end = m.w.pos; /* (unchanged by the failed record) */
	assert_true(dropped_end > mk.pos + 100);
	tern_msgw_rollback(&m, &mk);
	m.truncated = true;
	assert_int_equal(m.ct.n, ct_before);
	assert_int_equal(m.w.pos, mk.pos);
	assert_int_equal(m.owner_ptr, 0);
	assert_int_equal(m.rdata_ptr, 0);
	/* more, in the additional section: first something of another shape,
	 * then the very names the roll-back dropped */
	static const uint8_t a[4] = {192, 0, 2, 1};
	const uint8_t *owners[] = {
		(const uint8_t *)"\2zz\5other\3net",         (const uint8_t *)"\6host03\4zone\7example\3org",
		(const uint8_t *)"\4mail\7example\3org",      (const uint8_t *)"\4zone\7EXAMPLE\3org",
		(const uint8_t *)"\6HOST00\4zone\7example\3org", (const uint8_t *)"\3org",
	};
	for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
		assert_int_equal(tern_msgw_rr(&m, TERN_S_ADDITIONAL, owners[i], TERN_T_A, TERN_C_IN, 60, a, 4), 0);
		model_add(&md, TERN_S_ADDITIONAL, owners[i], TERN_T_A, 60, a, 4);
	}
	int n = tern_msgw_finish(&m, 0);
	assert_true(n > 0);
	assert_true(buf[2] & 0x02); /* TC */
	mc_msg mm;
	model_check(&md, buf, (size_t)n, &mm);
	free(mm.rr);
	/* and no pointer goes to where the dropped records were but no name
	 * was written since: covered by mc_walk (a target must start a label
	 * written earlier); check that the dropped range is not referenced at
	 * all except by labels written after the roll-back */
	for (size_t p = mk.pos; p + 1 < (size_t)n; p++)
		if ((buf[p] & 0xc0) == 0xc0) {
			size_t t = (size_t)(buf[p] & 0x3f) << 8 | buf[p + 1];
			assert_true(t < p);
		}
}

/* A TCP answer past 20 KB of many distinct names: no pointer may target an
 * offset above 0x3fff (a 14-bit field would wrap), yet names after 16 KB are
 * still compressed against the names below it. */
static void test_compose_large(void **st)
{
	(void)st;
	static model md;
	static uint8_t buf[65535];
	tern_msgw m;
	tern_msgw_init(&m, buf, sizeof buf, sizeof buf - 11, 7, TERN_F_QR);
	md.n = 0;
	const uint8_t *q = (const uint8_t *)"\3big\7example\3com";
	assert_int_equal(tern_msgw_question(&m, q, TERN_T_NS, TERN_C_IN), 0);
	model_add(&md, 0, q, TERN_T_NS, 0, NULL, 0);
	uint16_t optr = 0;
	unsigned written = 0;
	for (unsigned i = 0; i < 1500; i++) {
		/* host<i>.lab<i%50>.example.com: new labels at every depth */
		uint8_t rd[64];
		size_t l = 0;
		int k = snprintf((char *)rd + 1, 20, "Host%04u", i);
		rd[0] = (uint8_t)k;
		l = 1 + (size_t)k;
		k = snprintf((char *)rd + l + 1, 20, "lab%02u", i % 50);
		rd[l] = (uint8_t)k;
		l += 1 + (size_t)k;
		memcpy(rd + l, "\7example\3COM", 13);
		l += 13;
		int rc = optr ? tern_msgw_rr_ptr(&m, TERN_S_ANSWER, optr, TERN_T_NS, TERN_C_IN, 60, rd, l)
		              : tern_msgw_rr(&m, TERN_S_ANSWER, q, TERN_T_NS, TERN_C_IN, 60, rd, l);
		if (rc) {
			assert_int_equal(rc, TERN_ESPACE);
			break;
		}
		if (!optr)
			optr = m.owner_ptr;
		assert_int_equal(optr, TERN_HDR_LEN);
		model_add(&md, TERN_S_ANSWER, q, TERN_T_NS, 60, rd, l);
		written++;
		/* the glue for it, owner written as a pointer to the RDATA
		 * (answer.c) or, past 16 KB, by name */
		uint16_t rp = m.rdata_ptr;
		assert_true(rp < 0x4000);
		static const uint8_t a[4] = {192, 0, 2, 53};
		if (rp)
			rc = tern_msgw_rr_ptr(&m, TERN_S_ANSWER, rp, TERN_T_A, TERN_C_IN, 60, a, 4);
		else
			rc = tern_msgw_rr(&m, TERN_S_ANSWER, rd, TERN_T_A, TERN_C_IN, 60, a, 4);
		if (rc)
			break;
		model_add(&md, TERN_S_ANSWER, rd, TERN_T_A, 60, a, 4);
	}
	int n = tern_msgw_finish(&m, 0);
	assert_true(n > 40000);
	assert_true(written > 1000);
	mc_msg mm;
	model_check(&md, buf, (size_t)n, &mm);
	assert_true(mm.pointers_above_16k > 1000);
	free(mm.rr);
	/* every pointer's target, read raw, is below 0x4000 and before it */
	for (size_t p = TERN_HDR_LEN; p + 1 < (size_t)n; p++)
		if ((buf[p] & 0xc0) == 0xc0 && p >= 0x4000) {
			size_t t = (size_t)(buf[p] & 0x3f) << 8 | buf[p + 1];
			(void)t; /* (any byte pair may look like this; mc_walk reads only real fields) */
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_opt),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_raw_ttl),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_malformed_options),
		cmocka_unit_test(test_which_opt),
		cmocka_unit_test(test_malformed_message),
		cmocka_unit_test(test_agrees_with_query_parse),
		cmocka_unit_test(test_query_parse_runts),
		cmocka_unit_test(test_compose_random),
		cmocka_unit_test(test_compose_rollback),
		cmocka_unit_test(test_compose_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
