/* test_name.c: names (decompression checks, compression, text forms,
 * ordering) and the query parser / message composer of msg.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tern/msg.h"
#include "tern/name.h"

static int rd_name(const uint8_t *pkt, size_t len, size_t pos, uint8_t *out, size_t *outlen, size_t *end)
{
	tern_rd r;
	tern_rd_init(&r, pkt, len);
	r.pos = pos;
	int rc = tern_rd_name(&r, out, outlen);
	*end = r.pos;
	return rc;
}

static void test_decompress_ok(void **st)
{
	(void)st;
	/* 0: "example.com." ; 13: "www" + ptr->0 ; 19: ptr->13 */
	uint8_t pkt[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	                 3, 'w', 'w', 'w', 0xc0, 0, 0xc0, 13};
	uint8_t out[255];
	size_t len, end;
	assert_int_equal(rd_name(pkt, sizeof pkt, 13, out, &len, &end), 0);
	assert_int_equal(len, 17);
	assert_int_equal(end, 19);
	assert_memory_equal(out, "\3www\7example\3com", 17);
	assert_int_equal(rd_name(pkt, sizeof pkt, 19, out, &len, &end), 0);
	assert_int_equal(end, 21);
	assert_int_equal(len, 17);
}

static void test_decompress_rejects(void **st)
{
	(void)st;
	uint8_t out[255];
	size_t len, end;
	/* forward pointer */
	uint8_t fwd[] = {0xc0, 2, 0};
	assert_int_equal(rd_name(fwd, sizeof fwd, 0, out, &len, &end), TERN_ENAME);
	/* self pointer */
	uint8_t self[] = {0, 0xc0, 1};
	assert_int_equal(rd_name(self, sizeof self, 1, out, &len, &end), TERN_ENAME);
	/* loop: 0 -> "a" then pointer to 0 again */
	uint8_t loop[] = {1, 'a', 0xc0, 0};
	assert_int_equal(rd_name(loop, sizeof loop, 0, out, &len, &end), TERN_ENAME);
	/* two pointers to each other, entered from behind */
	uint8_t loop2[] = {0xc0, 2, 0xc0, 0, 0xc0, 2};
	assert_int_equal(rd_name(loop2, sizeof loop2, 4, out, &len, &end), TERN_ENAME);
	/* reserved label types 0x40 and 0x80 */
	uint8_t ext[] = {0x41, 'a', 0};
	assert_int_equal(rd_name(ext, sizeof ext, 0, out, &len, &end), TERN_ENAME);
	uint8_t ext2[] = {0x81, 'a', 0};
	assert_int_equal(rd_name(ext2, sizeof ext2, 0, out, &len, &end), TERN_ENAME);
	/* truncated label and missing root */
	uint8_t trunc[] = {5, 'a', 'b'};
	assert_int_equal(rd_name(trunc, sizeof trunc, 0, out, &len, &end), TERN_EMALFORMED);
	uint8_t noroot[] = {1, 'a'};
	assert_int_equal(rd_name(noroot, sizeof noroot, 0, out, &len, &end), TERN_EMALFORMED);
	uint8_t halfptr[] = {0xc0};
	assert_int_equal(rd_name(halfptr, sizeof halfptr, 0, out, &len, &end), TERN_EMALFORMED);
	/* a name of 256 bytes: 4 labels of 63 + root = 257 */
	uint8_t big[300];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		big[n++] = 63;
		memset(big + n, 'x', 63);
		n += 63;
	}
	big[n++] = 0;
	assert_int_equal(rd_name(big, n, 0, out, &len, &end), TERN_ENAME);
	/* 255 exactly is fine: 3 x 63-labels + one 61-label + root */
	big[3 * 64] = 61;
	big[3 * 64 + 62] = 0;
	assert_int_equal(rd_name(big, 3 * 64 + 63, 0, out, &len, &end), 0);
	assert_int_equal(len, 255);
}

static void test_compress(void **st)
{
	(void)st;
	uint8_t buf[512];
	tern_wr w;
	tern_ctab ct = {0};
	tern_wr_init(&w, buf, sizeof buf);
	w.pos = 12;
	assert_int_equal(tern_wr_name(&w, &ct, (const uint8_t *)"\7example\3com"), 0);
	assert_int_equal(w.pos, 12 + 13);
	/* same name, other case: a pointer to 12 */
	assert_int_equal(tern_wr_name(&w, &ct, (const uint8_t *)"\7EXAMPLE\3com"), 0);
	assert_int_equal(w.pos, 12 + 13 + 2);
	assert_int_equal(buf[25], 0xc0);
	assert_int_equal(buf[26], 12);
	/* www.example.com: "www" + pointer */
	assert_int_equal(tern_wr_name(&w, &ct, (const uint8_t *)"\3www\7example\3com"), 0);
	assert_memory_equal(buf + 27, "\3www\xc0\x0c", 6);
	/* mail.www.example.com: "mail" + pointer to the www name */
	assert_int_equal(tern_wr_name(&w, &ct, (const uint8_t *)"\4mail\3www\7example\3com"), 0);
	assert_memory_equal(buf + 33, "\4mail\xc0\x1b", 7);
	/* com alone: pointer to the "com" suffix at 12+8 */
	assert_int_equal(tern_wr_name(&w, &ct, (const uint8_t *)"\3com"), 0);
	assert_memory_equal(buf + 40, "\xc0\x14", 2);
	/* the root is never compressed */
	assert_int_equal(tern_wr_name(&w, &ct, (const uint8_t *)""), 0);
	assert_int_equal(buf[42], 0);
	/* and what we wrote decompresses back */
	uint8_t out[255];
	size_t len, end;
	assert_int_equal(rd_name(buf, 43, 33, out, &len, &end), 0);
	assert_memory_equal(out, "\4mail\3www\7example\3com", len);
	/* no room: sticky TERN_ESPACE */
	tern_wr small;
	tern_wr_init(&small, buf, 5);
	assert_int_equal(tern_wr_name(&small, NULL, (const uint8_t *)"\7example\3com"), TERN_ESPACE);
}

static void test_text(void **st)
{
	(void)st;
	uint8_t out[255];
	size_t len;
	const uint8_t *origin = (const uint8_t *)"\7example\3com";
	assert_int_equal(tern_name_from_text("www", 3, origin, out, &len), 0);
	assert_memory_equal(out, "\3www\7example\3com", len);
	assert_int_equal(tern_name_from_text("@", 1, origin, out, &len), 0);
	assert_int_equal(len, 13);
	assert_int_equal(tern_name_from_text(".", 1, NULL, out, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(tern_name_from_text("a\\.b.c.", 7, NULL, out, &len), 0);
	assert_memory_equal(out, "\3a.b\1c", 7);
	assert_int_equal(tern_name_from_text("\\065\\032x.", 10, NULL, out, &len), 0);
	assert_memory_equal(out, "\3A x", 5);
	assert_int_equal(tern_name_from_text("a..b.", 5, NULL, out, &len), TERN_ENAME);
	assert_int_equal(tern_name_from_text("rel", 3, NULL, out, &len), TERN_ENAME);
	assert_int_equal(tern_name_from_text("\\256.", 5, NULL, out, &len), TERN_ESYNTAX);
	assert_int_equal(tern_name_from_text("\\12", 3, NULL, out, &len), TERN_ESYNTAX);
	char label64[80];
	memset(label64, 'x', 64);
	label64[64] = '.';
	assert_int_equal(tern_name_from_text(label64, 65, NULL, out, &len), TERN_ENAME);
	assert_int_equal(tern_name_from_text(label64 + 1, 64, NULL, out, &len), 0);

	char txt[TERN_NAME_TEXT_MAX];
	assert_int_equal(tern_name_to_text((const uint8_t *)"\3a.b\3x y\1c", txt, sizeof txt), 14);
	assert_string_equal(txt, "a\\.b.x\\032y.c.");
	assert_int_equal(tern_name_to_text((const uint8_t *)"", txt, sizeof txt), 1);
	assert_string_equal(txt, ".");
	assert_int_equal(tern_name_to_text((const uint8_t *)"\7example", txt, 5), TERN_ESPACE);
}

/* Names at the 255-byte limit from text: every split of labels around the
 * last bytes, absolute and relative, is either exactly right or refused,
 * and nothing is written past out[] (the fuzz finding: a label starting at
 * byte 254 was copied without bound). out sits in a larger buffer with a
 * guard pattern after its 255 bytes; ASan catches the rest. */
static void test_text_at_the_limit(void **st)
{
	(void)st;
	const uint8_t org[] = "\3org";
	char text[600];
	for (int last = 1; last <= 70; last++) {
		for (int rel = 0; rel < 2; rel++) {
			/* 63a.63a.63a.<last>a[.] then maybe more labels */
			for (int more = 0; more < 3; more++) {
				size_t n = 0;
				for (int k = 0; k < 3; k++) {
					memset(text + n, 'a', 63);
					n += 63;
					text[n++] = '.';
				}
				memset(text + n, 'a', (size_t)last);
				n += (size_t)last;
				for (int m = 0; m < more; m++) {
					text[n++] = '.';
					text[n++] = 'b';
				}
				if (!rel)
					text[n++] = '.';
				struct {
					uint8_t out[TERN_NAME_MAX];
					uint8_t guard[64];
				} buf;
				memset(buf.guard, 0x5a, sizeof buf.guard);
				size_t len = 0;
				int rc = tern_name_from_text(text, n, rel ? org : NULL, buf.out, &len);
				/* wire length: 3 x 64 + 1 + last + 2 x more + root (+ 4 for org) */
				size_t want = 3 * 64 + 1 + (size_t)last + 2 * (size_t)more + 1 + (rel ? 4 : 0);
				if (last > 63 || want > TERN_NAME_MAX) {
					assert_int_equal(rc, TERN_ENAME);
				} else {
					assert_int_equal(rc, 0);
					assert_int_equal(len, want);
					assert_int_equal(tern_name_len(buf.out), want);
				}
				for (size_t g = 0; g < sizeof buf.guard; g++)
					assert_int_equal(buf.guard[g], 0x5a);
			}
		}
	}
	/* the fuzzer's reproducer */
	const char *r = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b";
	uint8_t out[TERN_NAME_MAX];
	size_t len;
	assert_int_equal(tern_name_from_text(r, strlen(r), org, out, &len), TERN_ENAME);
}

static void test_compare(void **st)
{
	(void)st;
	/* RFC 4034 6.1 example order */
	const char *order[] = {"\7example", "\1a\7example", "\010yljkjljk\1a\7example", "\1Z\1a\7example",
	                       "\4zABC\1a\7EXAMPLE", "\1z\7example", "\1\001\1z\7example", "\1*\1z\7example",
	                       "\1\200\1z\7example"};
	for (size_t i = 0; i + 1 < sizeof order / sizeof *order; i++)
		assert_true(tern_name_cmp((const uint8_t *)order[i], (const uint8_t *)order[i + 1]) < 0);
	assert_int_equal(tern_name_cmp((const uint8_t *)"\1A\1b", (const uint8_t *)"\1a\1B"), 0);
	assert_true(tern_name_eq((const uint8_t *)"\3WwW\1x", (const uint8_t *)"\3www\1X"));
	assert_false(tern_name_eq((const uint8_t *)"\3www\1x", (const uint8_t *)"\3ww\1x"));
	assert_true(tern_name_is_sub((const uint8_t *)"\1a\1b\1c", (const uint8_t *)"\1B\1c"));
	assert_true(tern_name_is_sub((const uint8_t *)"\1a", (const uint8_t *)""));
	assert_false(tern_name_is_sub((const uint8_t *)"\2xb\1c", (const uint8_t *)"\1b\1c"));
	assert_int_equal(tern_name_hash((const uint8_t *)"\3ABC"), tern_name_hash((const uint8_t *)"\3abc"));
	assert_int_equal(tern_name_labels((const uint8_t *)"\1a\1b"), 2);
}

/* A query for example.com A with optional bytes appended after the question. */
static size_t mkq(uint8_t *p, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ar)
{
	uint8_t h[12] = {0x12, 0x34, (uint8_t)(flags >> 8), (uint8_t)flags, 0, (uint8_t)qd, 0, (uint8_t)an, 0, 0, 0,
	                 (uint8_t)ar};
	memcpy(p, h, 12);
	memcpy(p + 12, "\7example\3com\0\0\1\0\1", 17);
	return 29;
}

static const uint8_t opt0[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0}; /* 1232, DO */

static void test_query_parse(void **st)
{
	(void)st;
	uint8_t p[512];
	tern_query q;
	size_t n = mkq(p, 0x0100, 1, 0, 0);
	assert_int_equal(tern_query_parse(p, n, &q), TERN_Q_OK);
	assert_int_equal(q.qtype, 1);
	assert_int_equal(q.question_end, 29);
	assert_false(q.edns);
	/* short, response */
	assert_int_equal(tern_query_parse(p, 11, &q), TERN_Q_DROP);
	n = mkq(p, 0x8100, 1, 0, 0);
	assert_int_equal(tern_query_parse(p, n, &q), TERN_Q_DROP);
	/* qdcount 0 and 2 */
	n = mkq(p, 0, 0, 0, 0);
	assert_int_equal(tern_query_parse(p, 12, &q), TERN_Q_FORMERR);
	n = mkq(p, 0, 2, 0, 0);
	assert_int_equal(tern_query_parse(p, n, &q), TERN_Q_FORMERR);
	/* trailing garbage */
	n = mkq(p, 0, 1, 0, 0);
	p[n++] = 0xff;
	assert_int_equal(tern_query_parse(p, n, &q), TERN_Q_FORMERR);
	/* opcode STATUS -> NOTIMP; NOTIFY and UPDATE are parsed like a query */
	n = mkq(p, 2 << 11, 1, 0, 0);
	assert_int_equal(tern_query_parse(p, n, &q), TERN_Q_NOTIMP);
	n = mkq(p, 5 << 11, 1, 0, 0);
	assert_int_equal(tern_query_parse(p, n, &q), TERN_Q_OK);
	assert_int_equal(TERN_OPCODE(q.hdr.flags), TERN_OP_UPDATE);
	n = mkq(p, 4 << 11, 1, 0, 0);
	assert_int_equal(tern_query_parse(p, n, &q), TERN_Q_OK);
	assert_int_equal(TERN_OPCODE(q.hdr.flags), TERN_OP_NOTIFY);
	/* EDNS */
	n = mkq(p, 0, 1, 0, 1);
	memcpy(p + n, opt0, sizeof opt0);
	assert_int_equal(tern_query_parse(p, n + sizeof opt0, &q), TERN_Q_OK);
	assert_true(q.edns);
	assert_true(q.edns_do);
	assert_int_equal(q.edns_size, 1232);
	/* two OPTs */
	n = mkq(p, 0, 1, 0, 2);
	memcpy(p + n, opt0, sizeof opt0);
	memcpy(p + n + sizeof opt0, opt0, sizeof opt0);
	assert_int_equal(tern_query_parse(p, n + 2 * sizeof opt0, &q), TERN_Q_FORMERR);
	/* OPT in the answer section */
	n = mkq(p, 0, 1, 1, 0);
	memcpy(p + n, opt0, sizeof opt0);
	assert_int_equal(tern_query_parse(p, n + sizeof opt0, &q), TERN_Q_FORMERR);
	/* version 1 -> BADVERS */
	n = mkq(p, 0, 1, 0, 1);
	memcpy(p + n, opt0, sizeof opt0);
	p[n + 6] = 1;
	assert_int_equal(tern_query_parse(p, n + sizeof opt0, &q), TERN_Q_BADVERS);
	/* unknown option ignored, NSID seen, bad cookie length rejected */
	static const uint8_t opt_opts[] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 8, 0, 99, 0, 0, 0, 3, 0, 0};
	n = mkq(p, 0, 1, 0, 1);
	memcpy(p + n, opt_opts, sizeof opt_opts);
	assert_int_equal(tern_query_parse(p, n + sizeof opt_opts, &q), TERN_Q_OK);
	assert_true(q.nsid);
	static const uint8_t opt_cookie[] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 9, 0, 10, 0, 5, 1, 2, 3, 4, 5};
	memcpy(p + n, opt_cookie, sizeof opt_cookie);
	assert_int_equal(tern_query_parse(p, n + sizeof opt_cookie, &q), TERN_Q_FORMERR);
	/* an OPT RDATA shorter than one option header: the option length must
	 * not be read from past the RDATA (fuzz finding: the length check
	 * underflowed and a cookie was copied from beyond the packet) */
	{
		static const uint8_t opt_short[] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 2, 0, 10};
		static const uint8_t after[] = {0, 40};
		uint8_t *pkt = malloc(64);
		n = mkq(pkt, 0, 1, 0, 1);
		memcpy(pkt + n, opt_short, sizeof opt_short);
		memcpy(pkt + n + sizeof opt_short, after, sizeof after);
		assert_int_equal(tern_query_parse(pkt, n + sizeof opt_short + sizeof after, &q), TERN_Q_FORMERR);
		assert_int_equal(q.cookie_len, 0);
		free(pkt);
	}
	/* option length past the RDATA */
	static const uint8_t opt_bad[] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 4, 0, 3, 0, 9};
	memcpy(p + n, opt_bad, sizeof opt_bad);
	assert_int_equal(tern_query_parse(p, n + sizeof opt_bad, &q), TERN_Q_FORMERR);
}

static void test_msgw_truncation(void **st)
{
	(void)st;
	uint8_t buf[100];
	tern_msgw m;
	tern_msgw_init(&m, buf, sizeof buf, 80, 7, TERN_F_QR);
	assert_int_equal(tern_msgw_question(&m, (const uint8_t *)"\1a", 1, 1), 0); /* 12 + 7 */
	uint8_t a[4] = {192, 0, 2, 1};
	/* each A RR with a compressed owner: 2 + 10 + 4 = 16 bytes */
	for (int i = 0; i < 3; i++)
		assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, (const uint8_t *)"\1a", 1, 1, 60, a, 4), 0);
	tern_msgw_mark mk = tern_msgw_get_mark(&m);
	assert_int_equal(tern_msgw_rr(&m, TERN_S_ANSWER, (const uint8_t *)"\1a", 1, 1, 60, a, 4), TERN_ESPACE);
	assert_int_equal(m.w.pos, mk.pos); /* unchanged */
	/* the OPT may use the room above the limit */
	assert_int_equal(tern_msgw_opt(&m, 1232, TERN_R_BADVERS, true, NULL, 0), 0);
	m.truncated = true;
	int len = tern_msgw_finish(&m, TERN_R_BADVERS);
	assert_int_equal(len, 19 + 48 + 11);
	assert_int_equal(buf[2] & 0x02, 0x02); /* TC */
	assert_int_equal(buf[7], 3);           /* ANCOUNT */
	assert_int_equal(buf[11], 1);          /* ARCOUNT */
	assert_int_equal(buf[len - 11 + 5], 1); /* extended rcode: 16 >> 4 */

	tern_msg_iter it;
	tern_rr rr;
	assert_int_equal(tern_msg_iter_init(&it, buf, (size_t)len), 0);
	int count = 0, r;
	while ((r = tern_msg_next(&it, &rr)) == 1)
		count++;
	assert_int_equal(r, 0);
	assert_int_equal(count, 5);
}


/* Compression compares labels a word at a time (overlapping words, first/
 * middle/last byte under 4): for every label length, a label that differs
 * in any one byte is not matched, one that differs only in case is. */
static void test_compress_label_bytes(void **st)
{
	(void)st;
	static uint8_t buf[4096];
	for (unsigned l = 1; l <= TERN_LABEL_MAX; l++) {
		uint8_t a[TERN_NAME_MAX], b[TERN_NAME_MAX];
		a[0] = (uint8_t)l;
		for (unsigned i = 0; i < l; i++)
			a[1 + i] = (uint8_t)("aBcDeFgHiJ"[(i * 7 + l) % 10]);
		memcpy(a + 1 + l, "\3com", 5);
		size_t alen = tern_name_len(a);
		for (unsigned at = 0; at < l; at++) {
			tern_wr w;
			tern_ctab ct = {0};
			tern_wr_init(&w, buf, sizeof buf);
			w.pos = 12;
			assert_int_equal(tern_wr_name(&w, &ct, a), 0);
			/* one byte changed: only "com" is shared */
			memcpy(b, a, alen);
			b[1 + at] = (uint8_t)(b[1 + at] == 'x' ? 'y' : 'x');
			size_t p = w.pos;
			assert_int_equal(tern_wr_name(&w, &ct, b), 0);
			assert_int_equal(w.pos - p, 1 + l + 2);
			assert_int_equal(buf[p + 1 + l], 0xc0);
			assert_int_equal(buf[p + 2 + l], 12 + 1 + l);
			/* only the case of that byte changed: the whole name is shared */
			memcpy(b, a, alen);
			b[1 + at] ^= 0x20;
			p = w.pos;
			assert_int_equal(tern_wr_name(&w, &ct, b), 0);
			assert_int_equal(w.pos - p, 2);
			assert_int_equal(buf[p + 1], 12);
			/* '@' and '`', '[' and '{' differ in bit 5 too, and are not letters */
			memcpy(b, a, alen);
			b[1 + at] = '@';
			uint8_t c[TERN_NAME_MAX];
			memcpy(c, b, alen);
			c[1 + at] = '`';
			p = w.pos;
			assert_int_equal(tern_wr_name(&w, &ct, b), 0);
			assert_int_equal(w.pos - p, 1 + l + 2);
			p = w.pos;
			assert_int_equal(tern_wr_name(&w, &ct, c), 0);
			assert_int_equal(w.pos - p, 1 + l + 2);
		}
	}
}

/* The table holds 96 labels and offsets below 0x4000: past either, names are
 * written in full or against what the table holds, and still read back. */
static void test_compress_limits(void **st)
{
	(void)st;
	static uint8_t buf[0x5000];
	tern_wr w;
	tern_ctab ct = {0};
	tern_wr_init(&w, buf, sizeof buf);
	w.pos = 12;
	/* 200 distinct two-label names: the table fills */
	size_t at[200];
	uint8_t names[200][16];
	for (int i = 0; i < 200; i++) {
		names[i][0] = 3;
		names[i][1] = (uint8_t)('a' + i % 26);
		names[i][2] = (uint8_t)('a' + i / 26);
		names[i][3] = 'x';
		memcpy(names[i] + 4, "\3org", 5);
		at[i] = w.pos;
		assert_int_equal(tern_wr_name(&w, &ct, names[i]), 0);
		assert_true(ct.n <= TERN_CTAB_MAX);
	}
	assert_int_equal(ct.n, TERN_CTAB_MAX);
	for (unsigned k = 0; k < ct.n; k++) {
		assert_true(ct.off[k] < 0x4000);
		assert_true(ct.parent[k] == TERN_CTAB_ROOT || ct.parent[k] < k);
	}
	for (int i = 0; i < 200; i++) {
		uint8_t out[TERN_NAME_MAX];
		size_t len, end;
		assert_int_equal(rd_name(buf, w.pos, at[i], out, &len, &end), 0);
		assert_int_equal(len, 9);
		assert_memory_equal(out, names[i], 9);
	}
	/* a name straddling 0x4000, written twice: either in full again or as
	 * a pointer to its start (below 0x4000); never a pointer past 0x3fff */
	tern_ctab ct2 = {0};
	tern_wr_init(&w, buf, sizeof buf);
	memset(buf, 0xff, sizeof buf);
	w.pos = 0x3ff8;
	const uint8_t *s = (const uint8_t *)"\5first\6second\3org"; /* labels at 0x3ff8, 0x3ffe, 0x4005 */
	assert_int_equal(tern_wr_name(&w, &ct2, s), 0);
	size_t p = w.pos;
	assert_int_equal(tern_wr_name(&w, &ct2, s), 0);
	assert_true(w.pos - p == tern_name_len(s) || (w.pos - p == 2 && buf[p] == 0xff && buf[p + 1] == 0xf8));
	p = w.pos;
	assert_int_equal(tern_wr_name(&w, &ct2, (const uint8_t *)"\3org"), 0);
	assert_true(w.pos - p == 5); /* "org" at 0x4005 cannot be pointed to */
	for (unsigned k = 0; k < ct2.n; k++)
		assert_true(ct2.off[k] < 0x4000);
	uint8_t out[TERN_NAME_MAX];
	size_t len, end;
	assert_int_equal(rd_name(buf, w.pos, 0x3ff8, out, &len, &end), 0);
	assert_memory_equal(out, s, len);
}

/* tern_rd_name copies runs of labels in one piece: runs broken by pointers
 * at every place, 63-byte labels, the root alone at the end of a buffer. */
static void test_decompress_runs(void **st)
{
	(void)st;
	uint8_t pkt[600];
	size_t n = 0;
	/* 12: a.<63 x L>.com */
	memset(pkt, 0, 12);
	n = 12;
	pkt[n++] = 1;
	pkt[n++] = 'a';
	pkt[n++] = 63;
	memset(pkt + n, 'L', 63);
	n += 63;
	memcpy(pkt + n, "\3com", 5);
	n += 5;
	size_t second = n; /* b + pointer to the 63-byte label (12 + 2) */
	pkt[n++] = 1;
	pkt[n++] = 'b';
	pkt[n++] = 0xc0;
	pkt[n++] = 14;
	size_t third = n; /* x.y + pointer to the second name */
	memcpy(pkt + n, "\1x\1y\xc0", 5);
	n += 5;
	pkt[n++] = (uint8_t)second;
	size_t root = n;
	pkt[n++] = 0;
	uint8_t out[TERN_NAME_MAX];
	size_t len;
	tern_rd r;
	tern_rd_init(&r, pkt, n);
	r.pos = third;
	assert_int_equal(tern_rd_name(&r, out, &len), 0);
	assert_int_equal(len, 4 + 2 + 64 + 5);
	assert_memory_equal(out, "\1x\1y\1b\77", 7);
	assert_memory_equal(out + 7 + 63, "\3com", 5);
	assert_int_equal(r.pos, third + 6);
	/* the root, last byte of the buffer */
	r.pos = root;
	assert_int_equal(tern_rd_name(&r, out, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(r.pos, root + 1);
	/* at the very end: nothing to read */
	assert_int_equal(tern_rd_name(&r, out, &len), TERN_EMALFORMED);
	/* a run cut short by the end of the buffer, in a heap copy of exactly
	 * that size (ASan: no read past it) */
	for (size_t cut = 13; cut < second; cut++) {
		uint8_t *h = malloc(cut);
		assert_non_null(h);
		memcpy(h, pkt, cut);
		tern_rd_init(&r, h, cut);
		r.pos = 12;
		assert_int_equal(tern_rd_name(&r, out, &len), TERN_EMALFORMED);
		free(h);
	}
	/* a 255-byte name of runs and pointers is fine, 256 is not */
	uint8_t big[600];
	n = 0;
	for (int k = 0; k < 3; k++) {
		big[n++] = 63;
		memset(big + n, 'q', 63);
		n += 63;
	}
	big[n++] = 61;
	memset(big + n, 'r', 61);
	n += 61;
	big[n++] = 0; /* 255 bytes at 0 */
	size_t ptr = n;  /* "\1z" + pointer to the second 63-byte label: 2 + 191 */
	big[n++] = 1;
	big[n++] = 'z';
	big[n++] = 0xc0;
	big[n++] = 64;
	tern_rd_init(&r, big, n);
	assert_int_equal(tern_rd_name(&r, out, &len), 0);
	assert_int_equal(len, 255);
	r.pos = ptr;
	assert_int_equal(tern_rd_name(&r, out, &len), 0);
	assert_int_equal(len, 2 + 191);
	big[ptr + 3] = 0; /* pointer to the whole 255 bytes: 257 */
	r.pos = ptr;
	r.err = 0;
	assert_int_equal(tern_rd_name(&r, out, &len), TERN_ENAME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decompress_ok), cmocka_unit_test(test_decompress_rejects),
		cmocka_unit_test(test_compress),      cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_at_the_limit),
		cmocka_unit_test(test_compare),       cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_msgw_truncation),
		cmocka_unit_test(test_compress_label_bytes),
		cmocka_unit_test(test_compress_limits),
		cmocka_unit_test(test_decompress_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
