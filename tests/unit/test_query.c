/* test_query.c: query_respond and query_error (query.c) on hand-made
 * packets, without sockets: what the response header copies from the query.
 *
 * RFC 1035 4.1.1 copies RD into the response; RFC 4035 3.2.2 copies CD.
 * Both are defined only for opcode QUERY, so a NOTIMP (or FORMERR) answer to
 * any other opcode carries the ID, the opcode and QR, nothing else (issue
 * 10 item 20: ISC genreport's opcodeflg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/query.h"
#include "tern/msg.h"
#include "tern/wire.h"

/* A query for www.example.com A with the given header flags. */
static size_t make_query(uint8_t *p, uint16_t flags)
{
	static const uint8_t q[] = "\3www\7example\3com";
	memset(p, 0, 12);
	tern_put_u16(p, 0x1234);
	tern_put_u16(p + 2, flags);
	tern_put_u16(p + 4, 1);
	memcpy(p + 12, q, sizeof q);
	size_t n = 12 + sizeof q;
	tern_put_u16(p + n, 1);
	tern_put_u16(p + n + 2, 1);
	return n + 4;
}

#define ALL_CLIENT_BITS (TERN_F_AA | TERN_F_TC | TERN_F_RD | TERN_F_RA | 0x0040u | TERN_F_AD | TERN_F_CD)

static void test_notimp_copies_only_id_and_opcode(void **state)
{
	(void)state;
	version v;
	memset(&v, 0, sizeof v);
	config_init(&v.cfg);
	for (unsigned op = 1; op < 16; op++) {
		uint8_t pkt[64], out[512];
		size_t len = make_query(pkt, (uint16_t)(op << 11 | ALL_CLIENT_BITS));
		for (int tcp = 0; tcp < 2; tcp++) {
			qctx ctx = {.tcp = tcp != 0};
			size_t n = query_respond(&v, pkt, len, out, sizeof out, &ctx);
			if (op == TERN_OP_UPDATE) { /* handed to the updater thread (xfr/updater.h) */
				assert_true(n == 0 && ctx.update);
				continue;
			}
			assert_true(n >= 12);
			assert_int_equal(tern_get_u16(out), 0x1234);
			/* NOTIFY is implemented (src/xfr/xfr_query.c): a question
			 * of type A gets FORMERR there; the flags are cleared alike */
			unsigned rcode = op == TERN_OP_NOTIFY ? TERN_R_FORMERR : TERN_R_NOTIMP;
			assert_int_equal(tern_get_u16(out + 2), TERN_F_QR | op << 11 | rcode);
		}
		/* the same through query_error (used when a parked query fails) */
		size_t n = query_error(pkt, len, TERN_R_SERVFAIL, FWD_NO_EDE, NULL, out, sizeof out, false);
		assert_true(n >= 12);
		assert_int_equal(tern_get_u16(out + 2), TERN_F_QR | op << 11 | TERN_R_SERVFAIL);
	}
	config_free(&v.cfg);
}

static void test_query_copies_rd_and_cd(void **state)
{
	(void)state;
	version v;
	memset(&v, 0, sizeof v);
	config_init(&v.cfg);
	uint8_t pkt[64], out[512];
	/* no zones, no forwarding: REFUSED, with RD and CD echoed */
	size_t len = make_query(pkt, TERN_F_RD | TERN_F_CD | TERN_F_AD);
	qctx ctx = {0};
	size_t n = query_respond(&v, pkt, len, out, sizeof out, &ctx);
	assert_true(n >= 12);
	uint16_t f = tern_get_u16(out + 2);
	assert_true(f & TERN_F_RD);
	assert_true(f & TERN_F_CD);
	assert_int_equal(f & 0x7800, 0);
	config_free(&v.cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notimp_copies_only_id_and_opcode),
		cmocka_unit_test(test_query_copies_rd_and_cd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
