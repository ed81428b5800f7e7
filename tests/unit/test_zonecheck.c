/* test_zonecheck.c: the zone checks that need more than one record
 * (src/db/zonecheck.c, and the RRset rules of zone.c): records that differ
 * only in the case of their names, DNAME rules, NS/MX targets and glue,
 * names that repeat the origin, RRSIGs stored per type covered, and the
 * content digest a reload compares. Issue 10 items 14, 16, 17, 21. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/zone.h"
#include "tern/rr.h"

#define MAXD 16

struct diags {
	unsigned n;
	bool error[MAXD];
	char text[MAXD][600]; /* "file:line: message" */
};

static void diag_collect(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	struct diags *d = user;
	if (d->n < MAXD) {
		d->error[d->n] = error;
		snprintf(d->text[d->n], sizeof d->text[d->n], "%s:%u: %s", file, line, msg);
	}
	d->n++;
}

/* Loads text as example.com from "t.zone"; returns the zone (or NULL). */
static db_zone *load_diag(const char *text, struct diags *d, db_diag *dg)
{
	static const uint8_t origin[] = "\7example\3com";
	memset(d, 0, sizeof *d);
	*dg = (db_diag){.fn = diag_collect, .user = d};
	return zone_load_string(origin, "t.zone", text, dg);
}

static void dump(const struct diags *d)
{
	for (unsigned i = 0; i < d->n && i < MAXD; i++)
		fprintf(stderr, "  got %s: %s\n", d->error[i] ? "error" : "warning", d->text[i]);
}

static void expect_diag(const struct diags *d, bool error, const char *text)
{
	for (unsigned i = 0; i < d->n && i < MAXD; i++)
		if (d->error[i] == error && strcmp(d->text[i], text) == 0)
			return;
	dump(d);
	fail_msg("no %s \"%s\"", error ? "error" : "warning", text);
}

static void expect_clean(const struct diags *d, const db_diag *dg)
{
	if (dg->errors || dg->warnings) {
		dump(d);
		fail_msg("%u errors, %u warnings; want none", dg->errors, dg->warnings);
	}
}

static const db_node *node(const db_zone *z, const char *text)
{
	uint8_t name[TERN_NAME_MAX];
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), NULL, name, &len), 0);
	return zone_find(z, name);
}

#define HEAD                                                                                       \
	"$ORIGIN example.com.\n"                                                                   \
	"$TTL 3600\n"                                                                              \
	"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"                                           \
	"@ NS ns1\n"                                                                               \
	"ns1 A 192.0.2.53\n"

/* ---- item 14: the same RR written in another case ---- */

static void test_case_variants_are_one_rr(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	db_zone *z = load_diag(HEAD "cname CNAME srv.x.\n"
	                            "Cname CNAME SRV.X.\n"
	                            "mx MX 10 Mail.Example.Net.\n"
	                            "mx MX 10 mail.example.net.\n"
	                            "mx MX 10 mail2.example.net.\n"
	                            "srv SRV 1 2 3 Target.Example.Net.\n"
	                            "srv SRV 1 2 3 TARGET.example.net.\n"
	                            "ptr PTR A.B.\nptr PTR a.b.\n"
	                            "@ NS NS1\n"
	                            "txt TXT \"Abc\"\ntxt TXT \"abc\"\n", /* not names: two records */
	                       &d, &dg);
	assert_non_null(z);
	expect_clean(&d, &dg);
	const db_rrset *s = node_rrset(node(z, "cname.example.com."), TERN_T_CNAME);
	assert_int_equal(s->count, 1);
	uint16_t len;
	const uint8_t *rd = rrset_rdata(s->rdata, &len);
	assert_memory_equal(rd, "\3srv\1x", 7); /* the first one written */
	assert_int_equal(node_rrset(node(z, "mx.example.com."), TERN_T_MX)->count, 2);
	assert_int_equal(node_rrset(node(z, "srv.example.com."), TERN_T_SRV)->count, 1);
	assert_int_equal(node_rrset(node(z, "ptr.example.com."), TERN_T_PTR)->count, 1);
	assert_int_equal(node_rrset(z->apex, TERN_T_NS)->count, 1);
	assert_int_equal(node_rrset(node(z, "txt.example.com."), TERN_T_TXT)->count, 2);
	zone_free(z);

	/* two different CNAMEs are still an error */
	z = load_diag(HEAD "cname CNAME a.x.\ncname CNAME b.x.\n", &d, &dg);
	assert_null(z);
	expect_diag(&d, true, "t.zone:6: cname.example.com. has more than one CNAME");
}

/* The canonical order folds names only: an MX preference byte of 'A'
 * (65) and one of 'a' (97) stay two records. */
static void test_case_folding_only_in_names(void **state)
{
	(void)state;
	uint8_t a[] = {0, 'A', 1, 'X', 0}, b[] = {0, 'a', 1, 'x', 0}, c[] = {0, 'A', 1, 'x', 0};
	assert_true(tern_rdata_compare(TERN_T_MX, a, sizeof a, b, sizeof b) < 0);
	assert_int_equal(tern_rdata_compare(TERN_T_MX, a, sizeof a, c, sizeof c), 0);
	assert_true(tern_rdata_compare(TERN_T_TXT, a, sizeof a, c, sizeof c) < 0);
	/* NSEC keeps the case of its next name (RFC 6840 5.1) */
	assert_false(tern_rdata_names_fold(TERN_T_NSEC));
	assert_true(tern_rdata_names_fold(TERN_T_RRSIG));
	uint16_t off[4];
	uint8_t soa[] = {1, 'a', 0, 1, 'b', 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5};
	assert_int_equal(tern_rdata_names(TERN_T_SOA, soa, sizeof soa, off, 4), 2);
	assert_int_equal(off[0], 0);
	assert_int_equal(off[1], 3);
	assert_int_equal(tern_rdata_names(TERN_T_SOA, soa, sizeof soa - 1, off, 4), 0); /* does not decode */
}

/* The reference: lower-case the names, then compare the bytes. */
static int canon_ref(uint16_t type, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t x[2][64];
	const uint8_t *in[2] = {a, b};
	size_t len[2] = {alen, blen};
	for (int k = 0; k < 2; k++) {
		memcpy(x[k], in[k], len[k]);
		uint16_t off[8];
		size_t n = tern_rdata_names(type, x[k], len[k], off, 8);
		for (size_t i = 0; i < n; i++)
			for (size_t o = off[i]; x[k][o]; o += 1u + x[k][o])
				for (size_t j = 1; j <= x[k][o]; j++)
					if (x[k][o + j] >= 'A' && x[k][o + j] <= 'Z')
						x[k][o + j] |= 0x20;
	}
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(x[0], x[1], n);
	return c < 0 ? -1 : c > 0 ? 1 : alen < blen ? -1 : alen > blen;
}

/* tern_rdata_compare is the canonical order (RFC 4034 6.3), its fast path
 * included: MX RDATA of every mix of preference bytes and name case. */
static void test_canonical_order(void **state)
{
	(void)state;
	static const uint8_t pref[] = {0, 'A', 'a', 'Z', '[', 0x7f};
	static const char *const names[] = {"\1a\1B", "\1A\1b", "\1a\1b", "\1b\1A", "\2aB", "\1[", "\1a"};
	uint8_t rd[6 * 7][16];
	size_t len[6 * 7], n = 0;
	for (size_t p = 0; p < sizeof pref; p++)
		for (size_t k = 0; k < 7; k++, n++) {
			rd[n][0] = 0;
			rd[n][1] = pref[p];
			size_t l = strlen(names[k]) + 1;
			memcpy(rd[n] + 2, names[k], l);
			len[n] = 2 + l;
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int got = tern_rdata_compare(TERN_T_MX, rd[i], len[i], rd[j], len[j]);
			got = got < 0 ? -1 : got > 0;
			if (got != canon_ref(TERN_T_MX, rd[i], len[i], rd[j], len[j]))
				fail_msg("MX %zu vs %zu: got %d", i, j, got);
		}
}

/* ---- item 16: refused as NSD, Knot and BIND refuse ---- */

static void test_dname_errors(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	/* two DNAMEs at a name that also has NS (so the DNAMEs are occluded) */
	db_zone *z = load_diag(HEAD "sub NS ns.other.\nsub DNAME a.example.\nsub DNAME b.example.\n", &d, &dg);
	assert_null(z);
	expect_diag(&d, true, "t.zone:8: sub.example.com. has more than one DNAME");
	/* and without the NS; a case variant is the same DNAME */
	z = load_diag(HEAD "sub DNAME a.example.\nsub DNAME A.example.\n", &d, &dg);
	assert_non_null(z);
	zone_free(z);
	z = load_diag(HEAD "sub DNAME a.example.\nsub DNAME b.example.\n", &d, &dg);
	assert_null(z);
	expect_diag(&d, true, "t.zone:7: sub.example.com. has more than one DNAME");
	/* a DNAME at the apex with the name server's address below it */
	z = load_diag("$ORIGIN example.com.\n$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	              "@ NS ns1\n@ DNAME example.net.\nns1 A 192.0.2.53\n",
	              &d, &dg);
	assert_null(z);
	expect_diag(&d, true,
	            "t.zone:4: example.com. NS ns1.example.com.: the target is below the DNAME at example.com. (RFC 6672 2.4)");
	/* a delegation's name server below a DNAME elsewhere */
	z = load_diag(HEAD "dn DNAME example.net.\nsub NS ns.dn\n", &d, &dg);
	assert_null(z);
	expect_diag(&d, true,
	            "t.zone:7: sub.example.com. NS ns.dn.example.com.: the target is below the DNAME at dn.example.com. (RFC 6672 2.4)");
}

/* ---- item 17: warnings the references give ---- */

static void test_target_warnings(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	db_zone *z = load_diag(HEAD "@ NS ns2\n"                         /* 6: no address */
	                            "@ MX 10 mail\n"                     /* 7: no address */
	                            "@ MX 20 mx.example.net.\n"          /* outside: fine */
	                            "@ MX 0 .\n"                         /* null MX: fine */
	                            "www MX 10 ns1\n"                    /* has an address */
	                            "sub NS ns.sub\n"                    /* 11: no glue */
	                            "sub NS ns.example.net.\n"           /* outside: fine */
	                            "sub NS ns1\n"                       /* in the zone, has an address */
	                            "sub2 NS ns.sub2\nns.sub2 AAAA 2001:db8::1\n" /* glue */
	                            "sub3 NS ns.sub\n"                   /* sibling: no warning */
	                            "ent.x A 192.0.2.1\n@ NS ent\n",     /* 18: an empty non-terminal */
	                       &d, &dg);
	assert_non_null(z);
	assert_int_equal(dg.errors, 0);
	expect_diag(&d, false, "t.zone:6: example.com. NS ns2.example.com.: the target has no address records (A or AAAA) in the zone");
	expect_diag(&d, false, "t.zone:7: example.com. MX mail.example.com.: the target has no address records (A or AAAA) in the zone");
	expect_diag(&d, false, "t.zone:11: delegation sub.example.com.: in-bailiwick name server ns.sub.example.com. has no glue (A or AAAA)");
	expect_diag(&d, false, "t.zone:18: example.com. NS ent.example.com.: the target has no address records (A or AAAA) in the zone");
	if (dg.warnings != 4) {
		dump(&d);
		fail_msg("%u warnings, want 4", dg.warnings);
	}
	zone_free(z);
}

static void test_origin_twice(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	db_zone *z = load_diag(HEAD "www CNAME www.example.com\n"              /* 6 */
	                            "mail.example.com A 192.0.2.2\n"          /* 7 */
	                            "@ MX 10 ns1.example.com.example.com.\n"  /* 8: written so: warned too */
	                            "example.com.example.com. A 192.0.2.3\n"  /* 9 */
	                            "x TXT \"example.com\"\n"                 /* text: fine */
	                            "y CNAME example.com.\n",                 /* fine */
	                       &d, &dg);
	assert_non_null(z);
	assert_int_equal(dg.errors, 0);
	expect_diag(&d, false, "t.zone:6: name www.example.com.example.com. ends with the origin example.com. twice: a relative name that lacks its trailing dot?");
	expect_diag(&d, false, "t.zone:7: owner mail.example.com.example.com. ends with the origin example.com. twice: a relative name that lacks its trailing dot?");
	expect_diag(&d, false, "t.zone:8: name ns1.example.com.example.com. ends with the origin example.com. twice: a relative name that lacks its trailing dot?");
	expect_diag(&d, false, "t.zone:9: owner example.com.example.com. ends with the origin example.com. twice: a relative name that lacks its trailing dot?");
	/* and the MX target has no address: 5 in all */
	assert_int_equal(dg.warnings, 5);
	zone_free(z);
}

/* ---- item 21: signed zones ---- */

#define SIG(cov, ttl) "@ " #ttl " RRSIG " cov " 13 2 " #ttl " 20370101000000 20240101000000 1 example.com. AQID\n"

static void test_rrsigs_keep_their_ttls(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	db_zone *z = load_diag("$ORIGIN example.com.\n$TTL 3600\n"
	                       "@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300\n" SIG("SOA", 3600)
	                       "@ 7200 NS ns1\n" SIG("NS", 7200)
	                       "@ 300 NSEC ns1 SOA NS RRSIG NSEC DNSKEY\n" SIG("NSEC", 300)
	                       "@ 600 DNSKEY 256 3 ECDSAP256SHA256 AQID\n" SIG("DNSKEY", 600)
	                       "@ 600 RRSIG DNSKEY 13 2 600 20370101000000 20240101000000 2 example.com. AQID\n"
	                       "ns1 A 192.0.2.53\n"
	                       "ns1 RRSIG A 13 3 3600 20370101000000 20240101000000 1 example.com. AQID\n"
	                       "ns1 300 NSEC example.com. A RRSIG NSEC\n"
	                       "ns1 300 RRSIG NSEC 13 3 300 20370101000000 20240101000000 1 example.com. AQID\n",
	                       &d, &dg);
	assert_non_null(z);
	/* no "TTL differs" for the RRSIGs (and the zone is signed whole:
	 * no DNSSEC warning either) */
	expect_clean(&d, &dg);
	const db_node *a = z->apex;
	static const struct {
		uint16_t covered;
		uint32_t ttl;
		unsigned count;
	} want[] = {{TERN_T_NS, 7200, 1}, {TERN_T_SOA, 3600, 1}, {TERN_T_NSEC, 300, 1}, {TERN_T_DNSKEY, 600, 2}};
	const db_rrset *first = node_rrset(a, TERN_T_RRSIG);
	assert_non_null(first);
	for (unsigned i = 0; i < 4; i++) {
		const db_rrset *s = node_rrsigs(a, want[i].covered);
		assert_non_null(s);
		assert_int_equal(s->type, TERN_T_RRSIG);
		assert_int_equal(s->ttl, want[i].ttl);
		assert_int_equal(s->count, want[i].count);
		assert_ptr_equal(s, first + i); /* consecutive, in order of the type covered */
	}
	assert_null(node_rrsigs(a, TERN_T_A));
	/* the covered RRsets keep their own TTLs too */
	assert_int_equal(node_rrset(a, TERN_T_NSEC)->ttl, 300);
	assert_int_equal(node_rrset(a, TERN_T_NS)->ttl, 7200);
	zone_free(z);

	/* RRSIGs covering one type still form one RRset: TTLs must agree */
	z = load_diag(HEAD SIG("A", 3600) "@ 60 RRSIG A 13 2 60 20250101000000 20240101000000 9 example.com. AQID\n",
	              &d, &dg);
	assert_non_null(z);
	expect_diag(&d, false, "t.zone:7: example.com. RRSIG covering A: TTL 60 differs from the RRset's TTL 3600; using 3600");
	zone_free(z);
}

/* ---- item 17: content changed, serial not (on reload) ---- */

static db_set *one(db_zone *z)
{
	db_zone **zones = calloc(1, sizeof *zones);
	assert_non_null(zones);
	zones[0] = z;
	db_set *s = db_set_new(zones, 1);
	assert_non_null(s);
	return s;
}

static void test_reload_serial_unchanged(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	db_set *old = one(load_diag(HEAD "www A 192.0.2.1\nwww A 192.0.2.2\n", &d, &dg));
	/* the same records in another order: the same content */
	db_set *same = one(load_diag(HEAD "www A 192.0.2.2\nwww A 192.0.2.1\n", &d, &dg));
	db_set *changed = one(load_diag(HEAD "www A 192.0.2.1\nwww A 192.0.2.3\n", &d, &dg));
	db_set *bumped = one(load_diag("$ORIGIN example.com.\n$TTL 3600\n@ SOA ns1 hostmaster 2 7200 3600 1209600 300\n"
	                               "@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.1\nwww A 192.0.2.3\n",
	                               &d, &dg));
	memset(&d, 0, sizeof d);
	dg = (db_diag){.fn = diag_collect, .user = &d};
	db_set_check_reload(old, same, &dg);
	db_set_check_reload(old, bumped, &dg);
	db_set_check_reload(NULL, changed, &dg);
	assert_int_equal(dg.warnings, 0);
	db_set_check_reload(old, changed, &dg);
	assert_int_equal(dg.warnings, 1);
	expect_diag(&d, false,
	            "t.zone:3: zone example.com. changed but its SOA serial (1) did not: secondaries will not see the change");
	db_set_free(old);
	db_set_free(same);
	db_set_free(changed);
	db_set_free(bumped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_variants_are_one_rr),
		cmocka_unit_test(test_case_folding_only_in_names),
		cmocka_unit_test(test_canonical_order),
		cmocka_unit_test(test_dname_errors),
		cmocka_unit_test(test_target_warnings),
		cmocka_unit_test(test_origin_twice),
		cmocka_unit_test(test_rrsigs_keep_their_ttls),
		cmocka_unit_test(test_reload_serial_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
