/* test_diff.c: the differences between zone versions and the journal
 * (db/diff.c, db/journal.c): exactly the changed records, RRsets whose TTL
 * changed removed and added whole, names that come and go, the SOA pair
 * first; journals that share entries, drop the oldest past their bound
 * and restart when a difference does not continue them; the journal file
 * written and read back, and damaged files refused; RFC 1982 serials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db/journal.h"
#include "db/zone.h"
#include "tern/error.h"
#include "tern/rr.h"
#include "tern/wire.h"

#define ORIGIN ((const uint8_t *)"\1z\4test")

static void quiet(void *u, bool e, const char *f, unsigned l, const char *m)
{
	(void)u, (void)e, (void)f, (void)l, (void)m;
}

static db_zone *load(unsigned serial, const char *body)
{
	char text[8192];
	snprintf(text, sizeof text,
	         "$ORIGIN z.test.\n$TTL 300\n@ SOA ns hm %u 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n%s", serial,
	         body);
	db_diag d = {.fn = quiet};
	db_zone *z = zone_load_string(ORIGIN, "t.zone", text, &d);
	assert_non_null(z);
	return z;
}

/* The RRs of a run as "owner-first-label type rdlen ttl" lines, sorted, joined by '|'. */
static void run_text(const uint8_t *p, size_t len, uint32_t n, char *out, size_t cap)
{
	char lines[64][96];
	uint32_t k = 0;
	size_t off = 0;
	while (off < len) {
		size_t ol = tern_name_len(p + off);
		const uint8_t *q = p + off + ol;
		uint16_t type = tern_get_u16(q), rdlen = tern_get_u16(q + 8);
		char label[64] = "@";
		if (ol > 8) /* below z.test */
			snprintf(label, sizeof label, "%.*s", p[off], (const char *)p + off + 1);
		assert_true(k < 64);
		snprintf(lines[k++], sizeof lines[0], "%s %u %u %u", label, type, rdlen, tern_get_u32(q + 4));
		off += ol + 10 + rdlen;
	}
	assert_int_equal(off, len);
	assert_int_equal(k, n);
	qsort(lines, k, sizeof lines[0], (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (uint32_t i = 0; i < k; i++) {
		strncat(out, lines[i], cap - strlen(out) - 1);
		strncat(out, "|", cap - strlen(out) - 1);
	}
}

static void test_diff_exact(void **state)
{
	(void)state;
	db_zone *a = load(1, "www A 192.0.2.10\nwww A 192.0.2.11\nmx A 192.0.2.20\ntxt TXT one\n");
	db_zone *b = load(2, "www A 192.0.2.10\nwww A 192.0.2.12\ntxt 60 TXT one\nnew AAAA 2001:db8::1\n");
	db_diff *d = db_diff_make(a, b);
	assert_non_null(d);
	assert_int_equal(d->from, 1);
	assert_int_equal(d->to, 2);
	/* the SOA pair first */
	assert_int_equal(tern_get_u16(d->del + 8), TERN_T_SOA);
	assert_int_equal(tern_get_u16(d->add + 8), TERN_T_SOA);
	char t[2048];
	run_text(d->del, d->del_len, d->ndel, t, sizeof t);
	/* www .11 gone, mx gone, txt removed whole (TTL changed) */
	assert_string_equal(t, "@ 6 42 300|mx 1 4 300|txt 16 4 300|www 1 4 300|");
	run_text(d->add, d->add_len, d->nadd, t, sizeof t);
	assert_string_equal(t, "@ 6 42 300|new 28 16 300|txt 16 4 60|www 1 4 300|");
	db_diff_unref(d);
	/* no change but the serial: the SOA pair alone */
	db_zone *c = load(3, "www A 192.0.2.10\nwww A 192.0.2.12\ntxt 60 TXT one\nnew AAAA 2001:db8::1\n");
	d = db_diff_make(b, c);
	assert_int_equal(d->ndel, 1);
	assert_int_equal(d->nadd, 1);
	db_diff_unref(d);
	zone_free(a);
	zone_free(b);
	zone_free(c);
}

static void test_diff_names_and_rrsets(void **state)
{
	(void)state;
	/* an empty non-terminal appears (a.b.c), a delegation goes, many
	 * records in one RRset (order in the file differs) */
	db_zone *a = load(5, "sub NS ns.sub\nns.sub A 192.0.2.30\n"
	                     "m MX 10 a\nm MX 20 b\nm MX 30 c\nm MX 40 d\n");
	db_zone *b = load(6, "a.b.c A 192.0.2.40\n"
	                     "m MX 40 d\nm MX 30 c\nm MX 20 b\nm MX 50 e\n");
	db_diff *d = db_diff_make(a, b);
	char t[2048];
	run_text(d->del, d->del_len, d->ndel, t, sizeof t);
	assert_string_equal(t, "@ 6 42 300|m 15 12 300|ns 1 4 300|sub 2 15 300|");
	run_text(d->add, d->add_len, d->nadd, t, sizeof t);
	assert_string_equal(t, "@ 6 42 300|a 1 4 300|m 15 12 300|");
	db_diff_unref(d);
	zone_free(a);
	zone_free(b);
}

static db_diff *fake(uint32_t from, uint32_t to, size_t pad)
{
	/* a run of one SOA (owner z.test) with the given serial, padded */
	uint8_t del[512], add[512];
	size_t n = 0;
	const uint8_t soa_rd_head[] = {2, 'n', 's', 0, 2, 'h', 'm', 0};
	for (int k = 0; k < 2; k++) {
		uint8_t *r = k ? add : del;
		memcpy(r, ORIGIN, 8);
		tern_put_u16(r + 8, TERN_T_SOA);
		tern_put_u16(r + 10, TERN_C_IN);
		tern_put_u32(r + 12, 300);
		tern_put_u16(r + 16, 28);
		memcpy(r + 18, soa_rd_head, 8);
		memset(r + 26, 0, 20);
		tern_put_u32(r + 26, k ? to : from);
		n = 46;
	}
	assert_true(pad < 400);
	/* padding: one TXT RR in the added run (pad 0: an empty RDATA) */
	uint8_t *r = add + n;
	memcpy(r, ORIGIN, 8);
	tern_put_u16(r + 8, TERN_T_TXT);
	tern_put_u16(r + 10, TERN_C_IN);
	tern_put_u32(r + 12, 300);
	tern_put_u16(r + 16, (uint16_t)pad);
	memset(r + 18, 'x', pad);
	if (pad) /* one character-string, as a TXT RDATA must be */
		r[18] = (uint8_t)(pad - 1);
	return db_diff_from_runs(from, to, del, n, 1, add, n + 18 + pad, 2);
}

static void test_journal_bound_and_sharing(void **state)
{
	(void)state;
	db_diff *d1 = fake(1, 2, 100), *d2 = fake(2, 3, 100), *d3 = fake(3, 4, 100);
	size_t one = db_diff_size(d1);
	db_journal *j1 = db_journal_add(NULL, d1, 10 * one);
	db_journal *j2 = db_journal_add(j1, d2, 2 * one);
	assert_int_equal(j2->n, 2);
	assert_ptr_equal(j2->d[0], j1->d[0]); /* shared, not copied */
	db_journal *j3 = db_journal_add(j2, d3, 2 * one); /* the oldest goes */
	assert_int_equal(j3->n, 2);
	assert_int_equal(j3->d[0]->from, 2);
	assert_int_equal(db_journal_find(j3, 2), 0);
	assert_int_equal(db_journal_find(j3, 3), 1);
	assert_int_equal(db_journal_find(j3, 1), -1);
	assert_int_equal(j3->bytes, 2 * one);
	/* a difference bigger than the bound: empty journal */
	db_journal *j4 = db_journal_add(j3, fake(4, 5, 300), one);
	assert_int_equal(j4->n, 0);
	/* one that does not continue: starts again */
	db_journal *j5 = db_journal_add(j3, fake(9, 10, 0), 100 * one);
	assert_int_equal(j5->n, 1);
	assert_int_equal(j5->d[0]->from, 9);
	db_journal_unref(j1); /* j2, j3 keep d1/d2 alive */
	assert_int_equal(j2->d[0]->from, 1);
	db_journal_unref(j2);
	db_journal_unref(j3);
	db_journal_unref(j4);
	db_journal_unref(j5);
}

static void test_journal_file_roundtrip_and_damage(void **state)
{
	(void)state;
	char path[] = "/tmp/tern-test-jnl-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	db_journal *j = db_journal_add(NULL, fake(1, 2, 10), (size_t)-1);
	db_journal *j2 = db_journal_add(j, fake(2, 3, 20), (size_t)-1);
	assert_int_equal(db_journal_write(j2, path), 0);
	db_journal *r = NULL;
	assert_int_equal(db_journal_read(path, &r), 0);
	assert_non_null(r);
	assert_int_equal(r->n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(r->d[i]->from, j2->d[i]->from);
		assert_int_equal(r->d[i]->add_len, j2->d[i]->add_len);
		assert_memory_equal(r->d[i]->data, j2->d[i]->data, j2->d[i]->del_len + j2->d[i]->add_len);
	}
	db_journal_unref(r);
	/* every truncation of the file is refused (or, at a boundary, a prefix) */
	FILE *f = fopen(path, "rb");
	uint8_t buf[2048];
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	for (size_t cut = 0; cut < len; cut++) {
		int rc = db_journal_parse(buf, cut, &r);
		if (rc == 0) {
			assert_true(cut == 8 || (r && r->n == 1));
			db_journal_unref(r);
		} else {
			assert_int_equal(rc, TERN_EMALFORMED);
			assert_null(r);
		}
	}
	/* a difference that does not continue the one before */
	buf[8 + 24 + j2->d[0]->del_len + j2->d[0]->add_len + 3] ^= 0x40; /* second's "from" */
	assert_int_equal(db_journal_parse(buf, len, &r), TERN_EMALFORMED);
	/* writing an empty journal removes the file */
	assert_int_equal(db_journal_write(NULL, path), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(db_journal_read(path, &r), 0);
	assert_null(r);
	db_journal_unref(j);
	db_journal_unref(j2);
}

static void test_serial_arithmetic(void **state)
{
	(void)state;
	assert_true(db_serial_lt(1, 2));
	assert_false(db_serial_lt(2, 1));
	assert_false(db_serial_lt(5, 5));
	assert_true(db_serial_lt(0xffffffffu, 0)); /* wraps (RFC 1982 3.1) */
	assert_true(db_serial_lt(0xfffffff0u, 5));
	assert_false(db_serial_lt(5, 0xfffffff0u));
	assert_true(db_serial_lt(0, 0x7fffffffu));
	assert_false(db_serial_lt(0, 0x80000000u)); /* undefined: neither */
	assert_false(db_serial_lt(0x80000000u, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_exact),
		cmocka_unit_test(test_diff_names_and_rrsets),
		cmocka_unit_test(test_journal_bound_and_sharing),
		cmocka_unit_test(test_journal_file_roundtrip_and_damage),
		cmocka_unit_test(test_serial_arithmetic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
