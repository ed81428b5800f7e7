/* test_proof.c: the denial pieces of the validator (src/validate/proof.c):
 * RFC 4034 6.1's canonical order example, type bitmaps (RFC 4034 4.1.2),
 * NSEC covering with the wrap at the end of the chain, and the NSEC3 hash
 * with RFC 5155 Appendix A's vectors (salt aabbccdd, 12 iterations). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tern/name.h"
#include "tern/rr.h"
#include "validate/proof.h"

static void name(uint8_t *out, const char *text)
{
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), NULL, out, &len), 0);
}

/* RFC 4034 6.1: the example names, in canonical order */
static void test_canonical_order(void **state)
{
	(void)state;
	static const char *const order[] = {"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
	                                    "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
	                                    "\\200.z.example."};
	uint8_t a[TERN_NAME_MAX], b[TERN_NAME_MAX];
	for (size_t i = 0; i + 1 < sizeof order / sizeof order[0]; i++) {
		name(a, order[i]);
		name(b, order[i + 1]);
		assert_true(val_name_cmp(a, b) < 0);
		assert_true(val_name_cmp(b, a) > 0);
	}
	name(a, "Z.a.example.");
	name(b, "z.A.EXAMPLE.");
	assert_int_equal(val_name_cmp(a, b), 0);
}

static void test_bitmap(void **state)
{
	(void)state;
	/* RFC 4034 4.3: A MX RRSIG NSEC TYPE1234 */
	uint8_t bm[2 + 6 + 2 + 27] = {0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b};
	bm[sizeof bm - 1] = 0x20; /* 1234 = 4 * 256 + 210: byte 26, bit 2 */
	assert_true(val_bitmap_has(bm, sizeof bm, TERN_T_A));
	assert_true(val_bitmap_has(bm, sizeof bm, TERN_T_MX));
	assert_true(val_bitmap_has(bm, sizeof bm, TERN_T_RRSIG));
	assert_true(val_bitmap_has(bm, sizeof bm, TERN_T_NSEC));
	assert_true(val_bitmap_has(bm, sizeof bm, 1234));
	assert_false(val_bitmap_has(bm, sizeof bm, TERN_T_NS));
	assert_false(val_bitmap_has(bm, sizeof bm, TERN_T_DS));
	assert_false(val_bitmap_has(bm, sizeof bm, 1235));
	/* truncated: nothing read past the end */
	for (size_t l = 0; l < sizeof bm; l++)
		(void)val_bitmap_has(bm, l, 1234);
	assert_false(val_bitmap_has(bm, 8, 1234));
}

static void test_nsec_covers(void **state)
{
	(void)state;
	uint8_t o[TERN_NAME_MAX], n[TERN_NAME_MAX], x[TERN_NAME_MAX];
	name(o, "a.example.");
	name(n, "d.example.");
	name(x, "b.example.");
	assert_true(val_nsec_covers(o, n, x));
	name(x, "a.example.");
	assert_false(val_nsec_covers(o, n, x)); /* the owner itself: matched, not covered */
	name(x, "d.example.");
	assert_false(val_nsec_covers(o, n, x));
	name(x, "x.b.example.");
	assert_true(val_nsec_covers(o, n, x));
	/* the last NSEC points back to the apex */
	name(o, "z.example.");
	name(n, "example.");
	name(x, "zz.example.");
	assert_true(val_nsec_covers(o, n, x));
	name(x, "b.example.");
	assert_false(val_nsec_covers(o, n, x));
}

/* RFC 5155 Appendix A: H(example) = 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom,
 * H(a.example) = 35mthgpgcu1qg68fab165klnsnk3dpvl */
static void test_nsec3_hash(void **state)
{
	(void)state;
	static const uint8_t rd[] = {1, 1, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd, 20, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	                             11, 12, 13, 14, 15, 16, 17, 18, 19, 0, 1, 0x40};
	uint8_t owner[TERN_NAME_MAX];
	name(owner, "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.");
	val_nsec3 n3;
	assert_true(val_nsec3_parse(owner, rd, sizeof rd, &n3));
	assert_int_equal(n3.iterations, 12);
	assert_int_equal(n3.flags, 1);
	uint8_t h[VAL_NSEC3_HASH_LEN], ex[TERN_NAME_MAX];
	name(ex, "EXAMPLE.");
	val_nsec3_hash(ex, &n3, h);
	assert_memory_equal(h, n3.hash, sizeof h);
	val_nsec3 other;
	name(owner, "35mthgpgcu1qg68fab165klnsnk3dpvl.example.");
	assert_true(val_nsec3_parse(owner, rd, sizeof rd, &other));
	name(ex, "a.example.");
	val_nsec3_hash(ex, &n3, h);
	assert_memory_equal(h, other.hash, sizeof h);
	assert_true(val_bitmap_has(n3.bm, n3.bmlen, TERN_T_A));
	/* not SHA-1, a short hash, a bad base32hex owner: refused */
	uint8_t bad[sizeof rd];
	memcpy(bad, rd, sizeof rd);
	bad[0] = 2;
	assert_false(val_nsec3_parse(owner, bad, sizeof bad, &other));
	for (size_t l = 0; l < sizeof rd - 3; l++)
		assert_false(val_nsec3_parse(owner, rd, l, &other));
	name(owner, "xyz.example.");
	assert_false(val_nsec3_parse(owner, rd, sizeof rd, &other));
}

static void test_nsec3_covers(void **state)
{
	(void)state;
	val_nsec3 n3;
	memset(&n3, 0, sizeof n3);
	memset(n3.hash, 0x10, sizeof n3.hash);
	memset(n3.next, 0x20, sizeof n3.next);
	uint8_t h[VAL_NSEC3_HASH_LEN];
	memset(h, 0x15, sizeof h);
	assert_true(val_nsec3_covers(&n3, h));
	memset(h, 0x10, sizeof h);
	assert_false(val_nsec3_covers(&n3, h)); /* matches */
	memset(h, 0x30, sizeof h);
	assert_false(val_nsec3_covers(&n3, h));
	/* the last one wraps */
	memset(n3.hash, 0xf0, sizeof n3.hash);
	memset(n3.next, 0x05, sizeof n3.next);
	memset(h, 0xf8, sizeof h);
	assert_true(val_nsec3_covers(&n3, h));
	memset(h, 0x01, sizeof h);
	assert_true(val_nsec3_covers(&n3, h));
	memset(h, 0x30, sizeof h);
	assert_false(val_nsec3_covers(&n3, h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_order), cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_nsec_covers),     cmocka_unit_test(test_nsec3_hash),
		cmocka_unit_test(test_nsec3_covers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
