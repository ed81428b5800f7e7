/* test_sign.c: unit tests of zone signing (dnssec/sign.h): a zone signed
 * with keys that are not kept (DB_DIAG_NO_WRITE) loads again with every
 * signature verified (DB_DIAG_VERIFY) and no warning, for NSEC and NSEC3,
 * with a KSK and a ZSK (the KSK signs only the DNSKEY RRset, the ZSK the
 * rest) and with one CSK;
 * a name with more types than any bitmap buffer on the stack would hold;
 * the serial asked for. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/dnssec.h"
#include "db/zone.h"
#include "dnssec/sign.h"
#include "tern/rr.h"

static void on_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	fprintf(stderr, "  %s %s:%u: %s\n", error ? "error" : "warning", file, line, msg);
}

static char *zone_text(void)
{
	size_t cap = 64 << 10, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n,
	                      "$ORIGIN example.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n"
	                      "*.w TXT \"w\"\na.b.ent A 192.0.2.2\nsub NS ns.sub\nns.sub A 192.0.2.3\n");
	/* 600 types at one name: windows 3 to 5 of the bitmap */
	for (unsigned ty = 1000; ty < 1600; ty++)
		n += (size_t)snprintf(t + n, cap - n, "many TYPE%u \\# 1 %02x\n", ty, ty & 0xff);
	return t;
}

/* The key tags of the RRSIGs over type at n. */
static unsigned sig_count(const db_node *n, uint16_t type)
{
	const db_rrset *sig = node_rrsigs(n, type);
	return sig ? sig->count : 0;
}

static void sign_and_check(bool nsec3, bool csk)
{
	static const uint8_t origin[] = "\7example";
	char *text = zone_text();
	db_diag dg = {.fn = on_diag, .flags = DB_DIAG_NO_WRITE | DB_DIAG_VERIFY};
	db_zone *z = zone_load_string(origin, "t.zone", text, &dg);
	assert_non_null(z);
	dnssec_policy p = DNSSEC_POLICY_DEFAULT;
	p.on = true;
	p.alg = 15;
	p.nsec3 = nsec3;
	p.single_type = csk;
	p.keydir = (char *)".";
	struct dnssec_keyset *ks = dnssec_keys_load(origin, &p, "t.zone", &dg);
	assert_non_null(ks);
	bool changed = false;
	assert_int_equal(dnssec_keys_roll(ks, &p, z, (int64_t)time(NULL), &changed, &dg), 0);
	assert_true(changed);
	assert_int_equal(dnssec_keys_count(ks), csk ? 1 : 2);
	unsigned warnings = dg.warnings;
	db_zone *s = dnssec_sign_zone(z, ks, &p, 4242, &dg);
	assert_non_null(s);
	assert_int_equal(dg.errors, 0);
	assert_int_equal(dg.warnings, warnings); /* every signature verifies, the chain is whole */
	assert_int_equal(s->serial, 4242);
	assert_non_null(s->dnssec);
	assert_int_equal(s->dnssec->nsec3, nsec3);
	/* one key signs each RRset: the KSK (or CSK) the DNSKEY RRset, the
	 * ZSK (or CSK) the SOA */
	assert_int_equal(node_rrset(s->apex, TERN_T_DNSKEY)->count, csk ? 1 : 2);
	assert_int_equal(sig_count(s->apex, TERN_T_DNSKEY), 1);
	assert_int_equal(sig_count(s->apex, TERN_T_SOA), 1);
	uint16_t l1, l2;
	const uint8_t *k1 = rrset_rdata(node_rrsigs(s->apex, TERN_T_DNSKEY)->rdata, &l1);
	const uint8_t *k2 = rrset_rdata(node_rrsigs(s->apex, TERN_T_SOA)->rdata, &l2);
	if (csk)
		assert_int_equal(tern_get_u16(k1 + 16), tern_get_u16(k2 + 16));
	else
		assert_int_not_equal(tern_get_u16(k1 + 16), tern_get_u16(k2 + 16));
	const db_node *many = zone_find(s, (const uint8_t *)"\4many\7example");
	assert_non_null(many);
	if (!nsec3) {
		const db_rrset *nsec = node_rrset(many, TERN_T_NSEC);
		assert_non_null(nsec);
		uint16_t len;
		const uint8_t *rd = rrset_rdata(nsec->rdata, &len);
		size_t nl = tern_name_len(rd);
		/* windows 0 (RRSIG, NSEC), 3, 4, 5, 6 (1536..1599) */
		assert_int_equal(rd[nl], 0);
		unsigned windows = 0;
		for (size_t i = nl; i < len; i += 2u + rd[i + 1])
			windows++;
		assert_int_equal(windows, 5);
	}
	dnssec_keys_free(ks);
	zone_free(s);
	zone_free(z);
	free(text);
}

static void test_sign_nsec(void **state)
{
	(void)state;
	sign_and_check(false, false);
}

static void test_sign_nsec3(void **state)
{
	(void)state;
	sign_and_check(true, false);
}

static void test_sign_csk(void **state)
{
	(void)state;
	sign_and_check(false, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_nsec),
		cmocka_unit_test(test_sign_nsec3),
		cmocka_unit_test(test_sign_csk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
