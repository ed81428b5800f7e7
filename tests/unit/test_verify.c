/* test_verify.c: the DNSSEC crypto primitives (src/dnssec/verify.c) with
 * known vectors: RFC 4034 5.4's DNSKEY, key tag and DS; RRsets signed by
 * dnspython 2.3 (dns.dnssec.sign; tests/unit/verify_vectors.h says how)
 * with RSASHA256 (8), ECDSAP256SHA256 (13) and ED25519 (15); every byte
 * that matters changed once must fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dnssec/verify.h"
#include "tern/rr.h"

#include "verify_vectors.h"

/* RFC 4034 5.4: dskey.example.com. DNSKEY 256 3 5, key tag 60485, DS SHA-1 */
static const uint8_t rfc_key[] = {
	0x01, 0x00, 0x03, 0x05, 0x01, 0x03, 0x9e, 0x8a, 0x24, 0x74, 0x18, 0xe3, 0x18, 0x90, 0x3b, 0x21,
	0x5a, 0x84, 0x8a, 0xcf, 0xd5, 0xf3, 0x7f, 0x02, 0x6b, 0xd4, 0x06, 0x2d, 0xb2, 0x6c, 0x77, 0x4c,
	0x69, 0x09, 0x68, 0xd5, 0xd5, 0x6d, 0xf8, 0xbf, 0xda, 0x91, 0xe6, 0xf3, 0x6d, 0x9a, 0x27, 0x98,
	0x88, 0xf4, 0x13, 0x33, 0x35, 0x7c, 0x5e, 0x60, 0x29, 0x99, 0x0d, 0x10, 0xfd, 0xf5, 0x66, 0x30,
	0x62, 0xa5, 0x12, 0x76, 0x33, 0x26, 0x98, 0x0a, 0x61, 0x5d, 0xdb, 0xf1, 0x7a, 0x05, 0xdd, 0xfc,
	0xce, 0x7e, 0x5f, 0xb3, 0xab, 0xcc, 0xa0, 0x5a, 0x31, 0xb0, 0x95, 0x74, 0x52, 0xd4, 0x52, 0x1e,
	0x83, 0x87, 0x07, 0x89, 0x06, 0x31, 0x15, 0xbf, 0x97, 0xf6, 0xc3, 0x08, 0xcc, 0xf5, 0x7c, 0xdc,
	0x9c, 0xe7, 0xfe, 0x10, 0xf6, 0xed, 0x1b, 0xd0, 0xcc, 0x06, 0x60, 0x03, 0x8c, 0x50, 0xdc, 0xdb,
	0x0f, 0xeb, 0x96, 0x3c, 0x2f, 0x17,
};

static void test_key_tag_and_ds(void **state)
{
	(void)state;
	assert_int_equal(dnssec_key_tag(rfc_key, sizeof rfc_key), 60485);
	const uint8_t *owner = (const uint8_t *)"\5dskey\7EXAMPLE\3com";
	uint8_t ds[4 + 20] = {0xec, 0x45, 5, 1, 0x2b, 0xb1, 0x83, 0xaf, 0x5f, 0x22, 0x58, 0x81,
	                      0x79, 0xa5, 0x3b, 0x0a, 0x98, 0x63, 0x1f, 0xad, 0x1a, 0x29, 0x21, 0x18};
	assert_true(dnssec_ds_matches(owner, ds, sizeof ds, rfc_key, sizeof rfc_key));
	ds[23] ^= 1;
	assert_false(dnssec_ds_matches(owner, ds, sizeof ds, rfc_key, sizeof rfc_key));
	ds[23] ^= 1;
	ds[0] ^= 1; /* key tag */
	assert_false(dnssec_ds_matches(owner, ds, sizeof ds, rfc_key, sizeof rfc_key));
	ds[0] ^= 1;
	ds[3] = 9; /* unknown digest type */
	assert_false(dnssec_ds_matches(owner, ds, sizeof ds, rfc_key, sizeof rfc_key));
	uint8_t d[64];
	assert_int_equal(dnssec_ds_digest(owner, rfc_key, sizeof rfc_key, 2, d), 32);
	assert_int_equal(dnssec_ds_digest(owner, rfc_key, sizeof rfc_key, 4, d), 48);
	assert_int_equal(dnssec_ds_digest(owner, rfc_key, sizeof rfc_key, 3, d), 0);
}

/* example. MX 10 Mail.Example. / 20 b.example. (upper case on purpose:
 * the signed form folds it, RFC 4034 6.2), in the other order */
static const uint8_t mx1[] = {0, 20, 1, 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
static const uint8_t mx2[] = {0, 10, 4, 'M', 'a', 'i', 'l', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0};
static const uint8_t *apex = (const uint8_t *)"\7example";
#define NOW 1800000000u

static int check(const uint8_t *sig, size_t siglen, const uint8_t *key, size_t keylen)
{
	dnssec_rdata rrs[3] = {{mx1, sizeof mx1}, {mx2, sizeof mx2}, {mx1, sizeof mx1}};
	return dnssec_verify_rrset((const uint8_t *)"\7EXAMPLE", TERN_T_MX, rrs, 3, sig, siglen, key, keylen, apex, NOW);
}

static void one_alg(const uint8_t *sig0, size_t siglen, const uint8_t *key, size_t keylen)
{
	uint8_t sig[1024];
	assert_true(siglen <= sizeof sig);
	memcpy(sig, sig0, siglen);
	assert_int_equal(check(sig, siglen, key, keylen), DNSSEC_OK);
	sig[siglen - 5] ^= 0x40; /* the signature */
	assert_int_equal(check(sig, siglen, key, keylen), DNSSEC_EBADSIG);
	sig[siglen - 5] ^= 0x40;
	sig[7] ^= 1; /* original TTL: signed data */
	assert_int_equal(check(sig, siglen, key, keylen), DNSSEC_EBADSIG);
	sig[7] ^= 1;
	sig[17] ^= 1; /* key tag */
	assert_int_equal(check(sig, siglen, key, keylen), DNSSEC_EKEY);
	sig[17] ^= 1;
	sig[1] = TERN_T_NS; /* type covered */
	assert_int_equal(check(sig, siglen, key, keylen), DNSSEC_ESCOPE);
	sig[1] = TERN_T_MX;
	/* an RR more or less is another RRset */
	dnssec_rdata one[1] = {{mx1, sizeof mx1}};
	assert_int_equal(dnssec_verify_rrset(apex, TERN_T_MX, one, 1, sig, siglen, key, keylen, apex, NOW),
	                 DNSSEC_EBADSIG);
	/* times: 1700000000 .. 2000000000 */
	dnssec_rdata rrs[2] = {{mx1, sizeof mx1}, {mx2, sizeof mx2}};
	assert_int_equal(dnssec_verify_rrset(apex, TERN_T_MX, rrs, 2, sig, siglen, key, keylen, apex, 2000000001u),
	                 DNSSEC_EEXPIRED);
	assert_int_equal(dnssec_verify_rrset(apex, TERN_T_MX, rrs, 2, sig, siglen, key, keylen, apex, 1699999999u),
	                 DNSSEC_ENOTYET);
	/* another signer than the zone expected */
	assert_int_equal(dnssec_verify_rrset(apex, TERN_T_MX, rrs, 2, sig, siglen, key, keylen,
	                                     (const uint8_t *)"\3com", NOW),
	                 DNSSEC_ESCOPE);
	/* truncated input never reads past its end */
	for (size_t l = 0; l < 40 && l < siglen; l++)
		assert_int_not_equal(check(sig, l, key, keylen), DNSSEC_OK);
	for (size_t l = 0; l < keylen; l++)
		assert_int_not_equal(check(sig, siglen, key, l), DNSSEC_OK);
}

static void test_rsasha256(void **state)
{
	(void)state;
	one_alg(rsa_sig, sizeof rsa_sig, rsa_key, sizeof rsa_key);
}

static void test_ecdsap256(void **state)
{
	(void)state;
	one_alg(ec_sig, sizeof ec_sig, ec_key, sizeof ec_key);
	assert_int_equal(dnssec_key_tag(ec_key, sizeof ec_key), (ec_sig[16] << 8) | ec_sig[17]);
}

static void test_ed25519(void **state)
{
	(void)state;
	one_alg(ed_sig, sizeof ed_sig, ed_key, sizeof ed_key);
}

/* RFC 4035 5.3.2: a wildcard expansion is verified over "*." and the
 * RRSIG's labels rightmost labels of the owner. */
static void test_wildcard(void **state)
{
	(void)state;
	static const uint8_t a[] = {192, 0, 2, 9};
	const uint8_t *zone = (const uint8_t *)"\3sig\4test";
	dnssec_rdata rrs[1] = {{a, 4}};
	assert_int_equal(dnssec_verify_rrset((const uint8_t *)"\1x\1Y\4wild\3sig\4test", TERN_T_A, rrs, 1, wild_sig,
	                                     sizeof wild_sig, wild_key, sizeof wild_key, zone, WILD_NOW),
	                 DNSSEC_OK);
	assert_int_equal(dnssec_verify_rrset((const uint8_t *)"\1*\4wild\3sig\4test", TERN_T_A, rrs, 1, wild_sig,
	                                     sizeof wild_sig, wild_key, sizeof wild_key, zone, WILD_NOW),
	                 DNSSEC_OK);
	/* the same labels, another wildcard: not its signature */
	assert_int_equal(dnssec_verify_rrset((const uint8_t *)"\1x\4mild\3sig\4test", TERN_T_A, rrs, 1, wild_sig,
	                                     sizeof wild_sig, wild_key, sizeof wild_key, zone, WILD_NOW),
	                 DNSSEC_EBADSIG);
	/* labels above the owner's: not this owner's signature */
	assert_int_equal(dnssec_verify_rrset(zone, TERN_T_A, rrs, 1, wild_sig, sizeof wild_sig, wild_key,
	                                     sizeof wild_key, zone, WILD_NOW),
	                 DNSSEC_ESCOPE);
}

static void test_unsupported(void **state)
{
	(void)state;
	uint8_t key[sizeof ec_key], sig[sizeof ec_sig];
	memcpy(key, ec_key, sizeof key);
	memcpy(sig, ec_sig, sizeof sig);
	key[3] = sig[2] = 253; /* PRIVATEDNS */
	/* the tag changes with the algorithm byte */
	uint16_t tag = dnssec_key_tag(key, sizeof key);
	sig[16] = (uint8_t)(tag >> 8);
	sig[17] = (uint8_t)tag;
	assert_int_equal(check(sig, sizeof sig, key, sizeof key), DNSSEC_EALG);
	assert_false(dnssec_alg_supported(253));
	assert_true(dnssec_alg_supported(8) && dnssec_alg_supported(13) && dnssec_alg_supported(15));
	key[3] = sig[2] = 13;
	key[0] &= (uint8_t)~1; /* not a zone key (flags bit 7, RFC 4034 2.1.1) */
	tag = dnssec_key_tag(key, sizeof key);
	sig[16] = (uint8_t)(tag >> 8);
	sig[17] = (uint8_t)tag;
	assert_int_equal(check(sig, sizeof sig, key, sizeof key), DNSSEC_EKEY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_tag_and_ds), cmocka_unit_test(test_rsasha256),
		cmocka_unit_test(test_ecdsap256),      cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_wildcard),       cmocka_unit_test(test_unsupported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
