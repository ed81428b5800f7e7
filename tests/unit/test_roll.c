/* test_roll.c: unit tests of the key rollover state machine (dnssec/roll.h)
 * with a fake clock, and of the key state files it lives in
 * (dnssec/keystate.h): a zone's first keys; a ZSK rollover by
 * pre-publication and a KSK rollover by double signature step by step, at
 * the RFC 7583 times and not a second before; the KSK roll waiting for
 * zone-ksk-submitted; CDS naming the right key; a roll carried on from
 * its state files (a restart); a CSK and its roll; the strict parser's
 * errors with their lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssec/keystate.h"
#include "dnssec/roll.h"

#define T0 1765000000 /* 2025-12-06 */

typedef struct zone_keys {
	dnssec_keystate k[16];
	dnssec_keystate *v[16];
	size_t n;
	uint16_t next_tag;
} zone_keys;

/* roll_advance until the keys are settled, making the keys asked for */
static bool advance(zone_keys *z, const roll_policy *p, int64_t now)
{
	bool changed = false;
	for (int i = 0; i < 8; i++) {
		int role = roll_advance(z->v, z->n, p, now, &changed);
		if (!role)
			return changed;
		assert_true(z->n < 16);
		z->k[z->n] = (dnssec_keystate){.role = (uint8_t)role, .alg = 13, .tag = ++z->next_tag, .created = now};
		z->v[z->n] = &z->k[z->n];
		z->n++;
	}
	fail_msg("roll_advance does not settle");
	return changed;
}

static void init(zone_keys *z)
{
	memset(z, 0, sizeof *z);
	for (size_t i = 0; i < 16; i++)
		z->v[i] = &z->k[i];
	z->next_tag = 100;
}

static const roll_policy POLICY = {.zsk_lifetime = 100, .ksk_lifetime = 0, .propagation_delay = 5,
                                   .parent_ds_ttl = 30, .dnskey_ttl = 10, .max_ttl = 20};

/* which keys (by tag) are published / sign keys / sign data, as bitmasks of
 * tag - 101 */
static unsigned mask(const zone_keys *z, bool (*f)(const dnssec_keystate *))
{
	unsigned m = 0;
	for (size_t i = 0; i < z->n; i++)
		if (f(&z->k[i]))
			m |= 1u << (z->k[i].tag - 101);
	return m;
}

static void test_first_keys(void **state)
{
	(void)state;
	zone_keys z;
	init(&z);
	assert_true(advance(&z, &POLICY, T0));
	assert_int_equal(z.n, 2);
	assert_int_equal(z.k[0].role, DNSSEC_KSK);
	assert_int_equal(z.k[1].role, DNSSEC_ZSK);
	/* both in use at once; the KSK's DS may go to the parent at once */
	assert_int_equal(mask(&z, roll_published), 3);
	assert_int_equal(mask(&z, roll_signs_keys), 1);
	assert_int_equal(mask(&z, roll_signs_data), 2);
	assert_int_equal(z.k[0].ready, T0);
	assert_int_equal(roll_cds_key(z.v, z.n, false), 0);
	assert_int_equal(roll_cds_key(z.v, z.n, true), 0);
	/* nothing more until the ZSK's lifetime is over */
	assert_false(advance(&z, &POLICY, T0 + 50));
	assert_int_equal(roll_next(z.v, z.n, &POLICY, T0 + 50), T0 + 100);
}

static void test_csk(void **state)
{
	(void)state;
	zone_keys z;
	init(&z);
	roll_policy p = POLICY;
	p.single_type = true;
	advance(&z, &p, T0);
	assert_int_equal(z.n, 1);
	assert_int_equal(z.k[0].role, DNSSEC_CSK);
	assert_true(roll_signs_keys(&z.k[0]) && roll_signs_data(&z.k[0]));
	assert_int_equal(roll_next(z.v, z.n, &p, T0), 0); /* no ZSK to roll, KSK lifetime 0 */
}

static void test_zsk_prepublication(void **state)
{
	(void)state;
	zone_keys z;
	init(&z);
	advance(&z, &POLICY, T0);
	assert_false(advance(&z, &POLICY, T0 + 99));
	/* the lifetime is over: a new ZSK, published, not signing */
	assert_true(advance(&z, &POLICY, T0 + 100));
	assert_int_equal(z.n, 3);
	assert_int_equal(z.k[2].role, DNSSEC_ZSK);
	assert_int_equal(mask(&z, roll_published), 7);
	assert_int_equal(mask(&z, roll_signs_data), 2);
	/* Ipub = TTL(DNSKEY) 10 + propagation 5 */
	assert_int_equal(roll_next(z.v, z.n, &POLICY, T0 + 100), T0 + 115);
	assert_false(advance(&z, &POLICY, T0 + 114));
	assert_true(advance(&z, &POLICY, T0 + 115));
	assert_int_equal(mask(&z, roll_signs_data), 4);
	assert_int_equal(mask(&z, roll_published), 7); /* the old one stays published */
	assert_int_equal(z.k[1].retire, T0 + 115);
	/* Iret = max TTL 20 + propagation 5 */
	assert_int_equal(roll_next(z.v, z.n, &POLICY, T0 + 115), T0 + 140);
	assert_false(advance(&z, &POLICY, T0 + 139));
	assert_true(advance(&z, &POLICY, T0 + 140));
	assert_int_equal(mask(&z, roll_published), 5);
	assert_int_equal(z.k[1].remove, T0 + 140);
	/* the next roll: the new ZSK's lifetime from its activation */
	assert_int_equal(roll_next(z.v, z.n, &POLICY, T0 + 140), T0 + 215);
}

static void test_ksk_double_signature(void **state)
{
	(void)state;
	zone_keys z;
	init(&z);
	roll_policy p = POLICY;
	p.zsk_lifetime = 0;
	p.ksk_lifetime = 1000;
	advance(&z, &p, T0);
	assert_int_equal(roll_submitted(z.v, z.n, T0 + 1), 1); /* the first KSK's DS is at the parent */
	assert_int_equal(roll_cds_key(z.v, z.n, true), -1);  /* rollover mode: no CDS now */
	assert_false(advance(&z, &p, T0 + 999));
	assert_true(advance(&z, &p, T0 + 1000));
	assert_int_equal(z.n, 3);
	assert_int_equal(z.k[2].role, DNSSEC_KSK);
	/* double signature: both KSKs sign the DNSKEY RRset from the start */
	assert_int_equal(mask(&z, roll_signs_keys), 1 | 4);
	assert_int_equal(mask(&z, roll_signs_data), 2);
	/* CDS names the old key until the new one is in every cache */
	assert_int_equal(roll_cds_key(z.v, z.n, false), 0);
	assert_int_equal(roll_next(z.v, z.n, &p, T0 + 1000), T0 + 1015);
	assert_false(advance(&z, &p, T0 + 1014));
	assert_true(advance(&z, &p, T0 + 1015));
	assert_int_equal(z.k[2].ready, T0 + 1015);
	assert_int_equal(roll_cds_key(z.v, z.n, false), 2);
	assert_int_equal(roll_cds_key(z.v, z.n, true), 2);
	/* now the parent: nothing happens by time alone */
	assert_int_equal(roll_next(z.v, z.n, &p, T0 + 1015), 0);
	assert_false(advance(&z, &p, T0 + 1400));
	char st[64], next[128];
	roll_describe(z.v, z.n, 2, &p, T0 + 1400, st, sizeof st, next, sizeof next);
	assert_string_equal(st, "active, ready: DS to submit");
	assert_non_null(strstr(next, "zone-ksk-submitted"));
	roll_describe(z.v, z.n, 0, &p, T0 + 1400, st, sizeof st, next, sizeof next);
	assert_non_null(strstr(next, "removed once"));
	assert_int_equal(roll_submitted(z.v, z.n, T0 + 1500), 1);
	assert_int_equal(roll_submitted(z.v, z.n, T0 + 1501), 0); /* once */
	assert_int_equal(roll_cds_key(z.v, z.n, true), -1);
	/* Iret = parent DS TTL 30 + propagation 5 */
	assert_int_equal(roll_next(z.v, z.n, &p, T0 + 1500), T0 + 1535);
	assert_false(advance(&z, &p, T0 + 1534));
	assert_int_equal(mask(&z, roll_signs_keys), 1 | 4);
	assert_true(advance(&z, &p, T0 + 1535));
	assert_int_equal(mask(&z, roll_signs_keys), 4);
	assert_int_equal(mask(&z, roll_published), 2 | 4);
	assert_int_equal(roll_cds_key(z.v, z.n, false), 2);
	assert_int_equal(roll_next(z.v, z.n, &p, T0 + 1535), T0 + 2000);
}

/* a CSK rolls as a KSK does, and both CSKs sign everything meanwhile */
static void test_csk_roll(void **state)
{
	(void)state;
	zone_keys z;
	init(&z);
	roll_policy p = POLICY;
	p.single_type = true;
	p.ksk_lifetime = 100;
	advance(&z, &p, T0);
	roll_submitted(z.v, z.n, T0);
	assert_true(advance(&z, &p, T0 + 100));
	assert_int_equal(z.n, 2);
	assert_int_equal(z.k[1].role, DNSSEC_CSK);
	assert_int_equal(mask(&z, roll_signs_keys), 3);
	assert_int_equal(mask(&z, roll_signs_data), 3);
	assert_true(advance(&z, &p, T0 + 115));
	assert_int_equal(roll_cds_key(z.v, z.n, false), 1);
	assert_int_equal(roll_submitted(z.v, z.n, T0 + 120), 1);
	assert_true(advance(&z, &p, T0 + 155));
	assert_int_equal(mask(&z, roll_published), 2);
	assert_int_equal(mask(&z, roll_signs_data), 2);
	/* the setting decides only a zone's first keys: still CSKs */
	p.single_type = false;
	assert_true(advance(&z, &p, T0 + 215));
	assert_int_equal(z.n, 3);
	assert_int_equal(z.k[2].role, DNSSEC_CSK);
}

/* a restart mid-roll: the states written and read back go on the same */
static void test_roll_goes_on_from_files(void **state)
{
	(void)state;
	zone_keys a, b;
	init(&a);
	advance(&a, &POLICY, T0);
	advance(&a, &POLICY, T0 + 100); /* ZSK published, waiting */
	init(&b);
	b.n = a.n;
	b.next_tag = a.next_tag;
	for (size_t i = 0; i < a.n; i++) {
		char text[DNSSEC_KEYSTATE_MAX], err[128];
		unsigned line = 0;
		size_t len = dnssec_keystate_format(&a.k[i], text, sizeof text);
		assert_true(len > 0);
		assert_int_equal(dnssec_keystate_parse(text, len, &b.k[i], &line, err, sizeof err), 0);
		assert_memory_equal(&a.k[i], &b.k[i], sizeof a.k[i]);
	}
	assert_int_equal(roll_next(b.v, b.n, &POLICY, T0 + 110), T0 + 115);
	advance(&b, &POLICY, T0 + 200); /* down for a while: both steps due at once */
	assert_int_equal(b.k[2].active, T0 + 200);
	assert_int_equal(b.k[1].retire, T0 + 200);
	assert_int_equal(b.k[1].remove, 0); /* the wait after retiring starts now, not before */
	assert_int_equal(roll_next(b.v, b.n, &POLICY, T0 + 200), T0 + 225);
}

static void parse_fails(const char *text, unsigned want_line, const char *want)
{
	dnssec_keystate ks;
	char err[160];
	unsigned line = 99;
	assert_int_equal(dnssec_keystate_parse(text, strlen(text), &ks, &line, err, sizeof err), -1);
	if (line != want_line || !strstr(err, want))
		fail_msg("'%s': line %u '%s', wanted line %u '%s'", text, line, err, want_line, want);
}

static void test_state_file_strict(void **state)
{
	(void)state;
	const char *good = "# a comment\n\nrole: ksk\nalgorithm: 13\ntag: 4242\ncreated: 2026-12-06T12:00:00Z\n"
	                   "publish: 2026-12-06T12:00:00Z  \nready: 2026-12-06T12:00:15Z\n"
	                   "active: 2026-12-06T12:00:00Z\n";
	dnssec_keystate ks;
	char err[160];
	unsigned line;
	assert_int_equal(dnssec_keystate_parse(good, strlen(good), &ks, &line, err, sizeof err), 0);
	assert_int_equal(ks.role, DNSSEC_KSK);
	assert_int_equal(ks.tag, 4242);
	assert_int_equal(ks.ready - ks.publish, 15);
	assert_int_equal(ks.submitted, 0);
	const char *head = "role: zsk\nalgorithm: 13\ntag: 1\ncreated: 2026-12-06T12:00:00Z\n";
	char buf[512];
	parse_fails("role: zsk\nalgorithm: 13\ncolour: red\n", 3, "unknown field 'colour'");
	parse_fails("role: zsk\nrole: ksk\n", 2, "again (first at line 1)");
	parse_fails("role: big\n", 1, "role must be");
	parse_fails("role: zsk\nalgorithm: 013\n", 2, "algorithm must be");
	parse_fails("role: zsk\ntag: 65536\n", 2, "tag must be");
	parse_fails("role zsk\n", 1, "expected 'field: value'");
	parse_fails("role:zsk\n", 1, "needs a value");
	parse_fails("role: zsk\nalgorithm: 13\ntag: 1\n", 0, "no 'created' line");
	snprintf(buf, sizeof buf, "%spublish: 2026-02-30T00:00:00Z\n", head);
	parse_fails(buf, 5, "UTC time");
	snprintf(buf, sizeof buf, "%spublish: 2026-12-06 12:00:00\n", head);
	parse_fails(buf, 5, "UTC time");
	snprintf(buf, sizeof buf, "%sactive: 2026-12-06T12:00:00Z\n", head);
	parse_fails(buf, 5, "'active' without 'publish'");
	snprintf(buf, sizeof buf, "%spublish: 2026-12-06T12:00:00Z\nactive: 2026-12-06T11:00:00Z\n", head);
	parse_fails(buf, 6, "'active' before 'publish'");
	snprintf(buf, sizeof buf, "%spublish: 2026-12-06T12:00:00Z\nready: 2026-12-06T12:00:00Z\n", head);
	parse_fails(buf, 6, "a ZSK has no 'ready'");
	snprintf(buf, sizeof buf, "%s\r\n", head);
	parse_fails(buf, 5, "carriage return");
	char big[DNSSEC_KEYSTATE_MAX + 2];
	memset(big, '#', sizeof big - 1);
	big[sizeof big - 1] = 0;
	parse_fails(big, 0, "longer than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_keys),
		cmocka_unit_test(test_csk),
		cmocka_unit_test(test_zsk_prepublication),
		cmocka_unit_test(test_ksk_double_signature),
		cmocka_unit_test(test_csk_roll),
		cmocka_unit_test(test_roll_goes_on_from_files),
		cmocka_unit_test(test_state_file_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
