/* test_rdata.c: unit tests for tern/rr.h: type/class/TTL text, RDATA text
 * <-> wire for every supported type, unpack/pack with name compression,
 * error messages, and untrusted wire input (truncated, mutated, random). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/rr.h"

/* ---- helpers ---- */

#define MAXTOK 256

/* Splits s into tokens the way the zone lexer hands them over: blanks
 * separate, "..." is one token with quoted=1 and the quotes removed,
 * escapes stay as written, an unquoted token ends at a quote. */
static size_t split(const char *s, tern_token *t, size_t max)
{
	size_t n = 0;
	while (*s && n < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		const char *st;
		if (*s == '"') {
			st = ++s;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1])
					s++;
				s++;
			}
			t[n++] = (tern_token){st, (size_t)(s - st), 1};
			if (*s)
				s++;
		} else {
			st = s;
			while (*s && *s != ' ' && *s != '\t' && *s != '"') {
				if (*s == '\\' && s[1])
					s++;
				s++;
			}
			t[n++] = (tern_token){st, (size_t)(s - st), 0};
		}
	}
	return n;
}

static const uint8_t origin[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};

static uint16_t type_of(const char *s)
{
	uint16_t type = 0;
	assert_int_equal(tern_type_from_text(s, strlen(s), &type), 0);
	return type;
}

/* Parses text as RDATA of type; returns the code, fills out/len/err. */
static int parse(uint16_t type, const char *text, uint8_t *out, size_t cap, size_t *len, char *err, size_t errcap)
{
	tern_token tok[MAXTOK];
	size_t n = split(text, tok, MAXTOK);
	return tern_rdata_from_text(type, tok, n, origin, out, cap, len, err, errcap);
}

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* Expects text to fail with rc and an error message containing msg. */
static void expect_error(const char *type, const char *text, int rc, const char *msg)
{
	uint8_t out[4096];
	size_t len;
	char err[256] = "unset";
	int got = parse(type_of(type), text, out, sizeof out, &len, err, sizeof err);
	if (got != rc || (msg && !strstr(err, msg)))
		fail_msg("%s %s: got %d '%s', want %d '%s'", type, text, got, err, rc, msg ? msg : "");
}

/* ---- one representative record per type ---- */

struct rcase {
	const char *type;
	const char *in;     /* text as written in a zone */
	const char *text;   /* canonical text (as dig prints it) */
	const char *wire;   /* uncompressed wire, hex */
	int cut;            /* a prefix length that must be malformed, or -1 */
};

static const struct rcase cases[] = {
	{"A", "192.0.2.1", "192.0.2.1", "c0000201", 3},
	{"AAAA", "2001:db8::1", "2001:db8::1", "20010db8000000000000000000000001", 15},
	{"NS", "ns1.example.com.", "ns1.example.com.", "036e7331076578616d706c6503636f6d00", 16},
	{"NS", "ns1", "ns1.example.", "036e7331076578616d706c6500", 12},
	{"MD", "md.example.", "md.example.", "026d64076578616d706c6500", 11},
	{"MF", "mf.example.", "mf.example.", "026d66076578616d706c6500", 11},
	{"CNAME", "www.example.com.", "www.example.com.", "03777777076578616d706c6503636f6d00", 16},
	{"SOA", "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300", "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300", "036e7331076578616d706c6503636f6d000a686f73746d6173746572076578616d706c6503636f6d0078a3f17500001c2000000e10001275000000012c", 60},
	{"SOA", "ns1 hostmaster 1 1h 30m 2w 1d", "ns1.example. hostmaster.example. 1 3600 1800 1209600 86400", "036e7331076578616d706c65000a686f73746d6173746572076578616d706c65000000000100000e10000007080012750000015180", 52},
	{"MB", "mb.example.", "mb.example.", "026d62076578616d706c6500", 11},
	{"MG", "mg.example.", "mg.example.", "026d67076578616d706c6500", 11},
	{"MR", "mr.example.", "mr.example.", "026d72076578616d706c6500", 11},
	{"PTR", "host.example.", "host.example.", "04686f7374076578616d706c6500", 13},
	{"HINFO", "\"Generic PC\" Linux", "\"Generic PC\" \"Linux\"", "0a47656e65726963205043054c696e7578", 16},
	{"MINFO", "rm.example. em.example.", "rm.example. em.example.", "02726d076578616d706c650002656d076578616d706c6500", 23},
	{"MX", "10 mail.example.com.", "10 mail.example.com.", "000a046d61696c076578616d706c6503636f6d00", 19},
	{"TXT", "\"hello world\" \"second\"", "\"hello world\" \"second\"", "0b68656c6c6f20776f726c64067365636f6e64", 18},
	{"TXT", "unquoted", "\"unquoted\"", "08756e71756f746564", 8},
	{"TXT", "\"quote\\\" back\\\\ tab\\009 nul\\000 hi\\255\"", "\"quote\\\" back\\\\ tab\\009 nul\\000 hi\\255\"", "1a71756f746522206261636b5c2074616209206e756c00206869ff", 26},
	{"RP", "mbox.example. txt.example.", "mbox.example. txt.example.", "046d626f78076578616d706c650003747874076578616d706c6500", 26},
	{"AFSDB", "1 afs.example.", "1 afs.example.", "000103616673076578616d706c6500", 14},
	{"RT", "5 relay.example.", "5 relay.example.", "00050572656c6179076578616d706c6500", 16},
	{"PX", "10 map822.example. mapx400.example.", "10 map822.example. mapx400.example.", "000a066d6170383232076578616d706c6500076d617078343030076578616d706c6500", 34},
	{"SRV", "10 20 443 target.example.", "10 20 443 target.example.", "000a001401bb06746172676574076578616d706c6500", 21},
	{"NAPTR", "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .", "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .", "0064000a0155074532552b7369701b215e2e2a24217369703a696e666f406578616d706c652e636f6d2100", 42},
	{"KX", "10 kx.example.", "10 kx.example.", "000a026b78076578616d706c6500", 13},
	{"DNAME", "target.example.", "target.example.", "06746172676574076578616d706c6500", 15},
	{"DS", "12345 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D", "12345 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237 C7F8EC8D", "30390802e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d", 3},
	{"CDS", "12345 8 2 e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237 c7f8ec8d", "12345 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237 C7F8EC8D", "30390802e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d", 3},
	{"SSHFP", "1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac", "1 1 DD465C09CFA51FB45020CC83316FFF21B9EC74AC", "0101dd465c09cfa51fb45020cc83316fff21b9ec74ac", 1},
	{"RRSIG", "A 8 2 86400 20240101000000 20231201000000 12345 example. AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3 +/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv", "A 8 2 86400 20240101000000 20231201000000 12345 example. AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3 +/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv", "000108020001518065920080656922003039076578616d706c650003010001acffb409bcc939f831f7a1e5ec88f7a59255ec53040be432027390a4ce896d6f9086f3c5e177fbfe118163aaec7af1462c47945944c4e2c026be5e98bbcded25978272e1e3e079c5094d573f0e83c92f", 17},
	{"RRSIG", "TYPE65534 8 2 1h 1704067200 1701388800 12345 example. AwEA AQ==", "TYPE65534 8 2 3600 20240101000000 20231201000000 12345 example. AwEAAQ==", "fffe080200000e1065920080656922003039076578616d706c650003010001", 17},
	{"NSEC", "host.example. A MX RRSIG NSEC TYPE1234", "host.example. A MX RRSIG NSEC TYPE1234", "04686f7374076578616d706c65000006400100000003041b000000000000000000000000000000000000000000000000000020", 50},
	{"NSEC", "host.example.", "host.example.", "04686f7374076578616d706c6500", 13},
	{"DNSKEY", "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv", "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3 +/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv", "0101030803010001acffb409bcc939f831f7a1e5ec88f7a59255ec53040be432027390a4ce896d6f9086f3c5e177fbfe118163aaec7af1462c47945944c4e2c026be5e98bbcded25978272e1e3e079c5094d573f0e83c92f", 3},
	{"CDNSKEY", "256 3 13 oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA==", "256 3 13 oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8 KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA==", "0100030da09311112cf9138818cd2feae970ebbd4d6a30f6088c25b325a39abbc5cd1197aa098283e5aaf421177c2aa5d714992a9957d1bcc18f98cd71f1f1806b65e148", 3},
	{"NSEC3", "1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG", "1 1 12 AABBCCDD 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG", "0101000c04aabbccdd1417f3df17b2b2adaef615257de4d2020b80ac6c7c0006400000000002", 37},
	{"NSEC3", "1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s", "1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S", "01000000001417f3df17b2b2adaef615257de4d2020b80ac6c7c", 25},
	{"NSEC3PARAM", "1 0 10 aabbccdd", "1 0 10 AABBCCDD", "0100000a04aabbccdd", 8},
	{"NSEC3PARAM", "1 0 0 -", "1 0 0 -", "0100000000", 4},
	{"TLSA", "3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6", "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6", "0301010c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6", 2},
	{"SMIMEA", "3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6", "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6", "0301010c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6", 2},
	{"SVCB", "1 . alpn=h2,h3 port=443", "1 . alpn=\"h2,h3\" port=443", "000100000100060268320268330003000201bb", 18},
	{"HTTPS", "1 . alpn=\"h2,h3\" ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1", "1 . alpn=\"h2,h3\" ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1", "0001000001000602683202683300040008c0000201c00002020006001020010db8000000000000000000000001", 44},
	{"HTTPS", "0 foo.example.", "0 foo.example.", "000003666f6f076578616d706c6500", 14},
	{"HTTPS", "1 svc.example. port=8443 mandatory=port,alpn alpn=h2 no-default-alpn", "1 svc.example. mandatory=alpn,port alpn=\"h2\" no-default-alpn port=8443", "000103737663076578616d706c6500000000040001000300010003026832000200000003000220fb", 39},
	{"HTTPS", "1 . ech=AEP+DQA/BAAgACBDRVNUQ0VTVENFU1RDRVNUQ0VTVENFU1RDRVNUQ0UAAA==", "1 . ech=AEP+DQA/BAAgACBDRVNUQ0VTVENFU1RDRVNUQ0VTVENFU1RDRVNUQ0UAAA==", "0001000005002b0043fe0d003f04002000204345535443455354434553544345535443455354434553544345535443450000", 49},
	{"SVCB", "1 . key65000=hello key667=\"x y\" key7=\"/q{?dns}\"", "1 . dohpath=\"/q{?dns}\" key667=\"x y\" key65000=\"hello\"", "000100000700082f717b3f646e737d029b0003782079fde8000568656c6c6f", 30},
	{"SVCB", "2 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"", "2 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"", "0002000001000c08665c6f6f2c626172026832", 18},
	{"CAA", "0 issue \"letsencrypt.org\"", "0 issue \"letsencrypt.org\"", "000569737375656c657473656e63727970742e6f7267", 1},
	{"CAA", "128 tbs \"\"", "128 tbs \"\"", "8003746273", 1},
	{"URI", "10 1 \"ftp://ftp1.example.com/public\"", "10 1 \"ftp://ftp1.example.com/public\"", "000a00016674703a2f2f667470312e6578616d706c652e636f6d2f7075626c6963", 3},
	{"SPF", "\"v=spf1 mx -all\"", "\"v=spf1 mx -all\"", "0e763d73706631206d78202d616c6c", 14},
	{"OPENPGPKEY", "mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2YhvyDMXjq", "mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2Y hvyDMXjq", "99020d0458adda3b011000eb6e5e6f8d5c587801348342036020691e2aefd528e5ab1c79823b4f85bd9886fc833178ea", -1},
	{"DHCID", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", "000201636fc0b8271c82825bb1ac5c41cf5351aa69b4febd94e8f17cdb95000da48c40", -1},
	{"EUI48", "00-00-5E-00-53-2a", "00-00-5e-00-53-2a", "00005e00532a", 5},
	{"EUI64", "00-00-5e-ef-10-00-00-2a", "00-00-5e-ef-10-00-00-2a", "00005eef1000002a", 7},
	{"ZONEMD", "2018031500 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE", "2018031500 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B6 41A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE", "7848b78c0101febe3d4ce2ec2ffa4ba99d46cd69d6d29711e55217057bee7eb1a7b641a47ba7fed2dd5b97ae499fafa4f22c6bd647de", 5},
	{"CSYNC", "66 3 A NS AAAA", "66 3 A NS AAAA", "000000420003000460000008", 11},
	{"LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m", "000016138b3cf018810cbce0009895b8", 15},
	{"LOC", "42 21 54 S 71 06 18 W -24m 30m", "42 21 54.000 S 71 6 18.000 W -24.00m 30m 10000m 10m", "0033161376e8d23070be15f000988d20", 15},
	{"KEY", "256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3", "256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3", "010003050103d22a6ca77f35b893206fd35e4c506d83788437", 3},
	{"SIG", "A 1 2 3600 20240101000000 20231201000000 1 example. AQID", "A 1 2 3600 20240101000000 20231201000000 1 example. AQID", "0001010200000e1065920080656922000001076578616d706c6500010203", 17},
	{"TA", "12345 8 2 AABBCCDD", "12345 8 2 AABBCCDD", "30390802aabbccdd", 3},
	/* RFC 4025, 3123, 6742: as dig prints them (issue 10 item 13) */
	{"IPSECKEY", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", "0a0102c0000226010351537986ed35533b6064478eeeb27b5bd74dae149b6e81ba3a0521af82ab7801", 5},
	{"IPSECKEY", "10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", "10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", "0a0002010351537986ed35533b6064478eeeb27b5bd74dae149b6e81ba3a0521af82ab7801", 2},
	{"IPSECKEY", "10 2 2 2001:0DB8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", "10 2 2 2001:db8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", "0a020220010db8000080020000000020000001010351537986ed35533b6064478eeeb27b5bd74dae149b6e81ba3a0521af82ab7801", 10},
	{"IPSECKEY", "10 3 2 mygateway.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", "10 3 2 mygateway.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", "0a0302096d7967617465776179076578616d706c6503636f6d00010351537986ed35533b6064478eeeb27b5bd74dae149b6e81ba3a0521af82ab7801", 10},
	{"IPSECKEY", "10 3 0 gw", "10 3 0 gw.example.", "0a030002677707" "6578616d706c6500", 12}, /* no key (Knot accepts it; RFC 4025 2.6) */
	{"APL", "1:192.168.32.0/21 !1:192.168.38.0/28", "1:192.168.32.0/21 !1:192.168.38.0/28", "00011503c0a82000011c83c0a826", 6},
	{"APL", "1:224.0.0.0/4 2:FF00:0:0:0:0:0:0:0/8", "1:224.0.0.0/4 2:ff00::/8", "00010401e000020801ff", 9},
	{"APL", "1:0.0.0.0/0 2:::/0 1:192.168.1.1/32", "1:0.0.0.0/0 2:::/0 1:192.168.1.1/32", "000100000002000000012004c0a80101", 3},
	{"NID", "10 0014:4fff:ff20:ee64", "10 14:4fff:ff20:ee64", "000a00144fffff20ee64", 9},
	{"L32", "10 10.1.2.0", "10 10.1.2.0", "000a0a010200", 5},
	{"L64", "10 2001:0DB8:1140:1000", "10 2001:db8:1140:1000", "000a20010db811401000", 9},
	{"LP", "10 l64-subnet1.example.com.", "10 l64-subnet1.example.com.", "000a0b6c36342d7375626e657431076578616d706c6503636f6d00", 26},
	{"LP", "20 sub", "20 sub.example.", "0014037375620" "76578616d706c6500", 12},
	{"TYPE65534", "\\# 3 abcdef", "\\# 3 ABCDEF", "abcdef", -1},
	{"WKS", "\\# 5 c000020106", "\\# 5 C000020106", "c000020106", -1},
};

#define NCASES (sizeof cases / sizeof cases[0])

static void test_text_to_wire_to_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		const struct rcase *c = &cases[i];
		uint16_t type = type_of(c->type);
		uint8_t want[4096], out[4096], out2[4096];
		size_t wlen = unhex(c->wire, want), len, len2;
		char err[256], text[8192];
		int rc = parse(type, c->in, out, sizeof out, &len, err, sizeof err);
		if (rc)
			fail_msg("%s %s: %s", c->type, c->in, err);
		assert_int_equal(len, wlen);
		assert_memory_equal(out, want, wlen);
		int tl = tern_rdata_to_text(type, out, len, text, sizeof text);
		assert_true(tl > 0);
		assert_int_equal((size_t)tl, strlen(text));
		if (strcmp(text, c->text))
			fail_msg("%s: got '%s', want '%s'", c->type, text, c->text);
		/* the canonical text parses back to the same wire */
		rc = parse(type, c->text, out2, sizeof out2, &len2, err, sizeof err);
		if (rc)
			fail_msg("%s %s: %s", c->type, c->text, err);
		assert_int_equal(len2, wlen);
		assert_memory_equal(out2, want, wlen);
	}
}

/* The RFC 3597 generic form is accepted for every type, also with the hex
 * split over several tokens. */
static void test_generic_form_for_known_types(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		const struct rcase *c = &cases[i];
		uint8_t want[4096], out[4096];
		size_t wlen = unhex(c->wire, want), len;
		char text[9000], err[256];
		int n = snprintf(text, sizeof text, "\\# %zu ", wlen);
		for (size_t j = 0; j < wlen; j++) /* a space every 3 bytes: odd splits */
			n += snprintf(text + n, sizeof text - (size_t)n, j % 3 == 2 ? "%02X " : "%02x", want[j]);
		int rc = parse(type_of(c->type), text, out, sizeof out, &len, err, sizeof err);
		if (rc)
			fail_msg("%s %s: %s", c->type, text, err);
		assert_int_equal(len, wlen);
		assert_memory_equal(out, want, wlen);
	}
}

/* Wire -> unpack (from inside a message) -> the same bytes; pack without
 * compression writes RDLENGTH and the same bytes. */
static void test_unpack_and_pack(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		const struct rcase *c = &cases[i];
		uint16_t type = type_of(c->type);
		uint8_t msg[4096] = {0}, out[4096];
		size_t wlen = unhex(c->wire, msg + 12), len = 0;
		msg[12 + wlen] = 0xAA; /* a byte after the RDATA that must stay unread */
		tern_rd r;
		tern_rd_init(&r, msg, 12 + wlen + 1);
		r.pos = 12;
		int rc = tern_rdata_unpack(&r, type, (uint16_t)wlen, out, sizeof out, &len);
		if (rc)
			fail_msg("%s: unpack %d", c->type, rc);
		assert_int_equal(len, wlen);
		assert_memory_equal(out, msg + 12, wlen);
		assert_int_equal(r.pos, 12 + wlen);

		uint8_t pk[4096];
		tern_wr w;
		tern_wr_init(&w, pk, sizeof pk);
		assert_int_equal(tern_rdata_pack(&w, NULL, type, out, len), 0);
		assert_int_equal(w.pos, 2 + wlen);
		assert_int_equal(tern_get_u16(pk), wlen);
		assert_memory_equal(pk + 2, out, wlen);

		/* too small an output buffer */
		if (wlen > 0) {
			tern_rd_init(&r, msg, 12 + wlen);
			r.pos = 12;
			assert_int_equal(tern_rdata_unpack(&r, type, (uint16_t)wlen, out, wlen - 1, &len), TERN_ESPACE);
		}
	}
}

/* Every proper prefix of every record either decodes or is
 * TERN_EMALFORMED, and the given cut is always malformed. */
static void test_truncated_wire(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		const struct rcase *c = &cases[i];
		uint16_t type = type_of(c->type);
		uint8_t wire[4096], out[4096];
		size_t wlen = unhex(c->wire, wire), len;
		for (size_t cut = 0; cut < wlen; cut++) {
			/* exactly cut bytes, so reading past them is an ASan error */
			uint8_t *b = malloc(cut ? cut : 1);
			memcpy(b, wire, cut);
			tern_rd r;
			tern_rd_init(&r, b, cut);
			int rc = tern_rdata_unpack(&r, type, (uint16_t)cut, out, sizeof out, &len);
			assert_true(rc == 0 || rc == TERN_EMALFORMED);
			if ((int)cut == c->cut && rc != TERN_EMALFORMED)
				fail_msg("%s cut at %zu: %d", c->type, cut, rc);
			char text[9000];
			assert_true(tern_rdata_to_text(type, b, cut, text, sizeof text) >= 0);
			free(b);
		}
		/* RDLENGTH beyond the end of the message */
		tern_rd r;
		tern_rd_init(&r, wire, wlen);
		assert_int_equal(tern_rdata_unpack(&r, type, (uint16_t)(wlen + 1), out, sizeof out, &len),
		                 TERN_EMALFORMED);
		assert_int_equal(r.err, TERN_EMALFORMED);
	}
}

/* ---- names: decompression and compression ---- */

static void test_unpack_decompresses_mx(void **state)
{
	(void)state;
	/* header, then "example.com" at 12, then MX RDATA 10 mail.<ptr 12> */
	uint8_t msg[64] = {0};
	static const uint8_t name[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
	memcpy(msg + 12, name, sizeof name);
	static const uint8_t rd[] = {0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 12};
	memcpy(msg + 25, rd, sizeof rd);
	tern_rd r;
	tern_rd_init(&r, msg, 25 + sizeof rd);
	r.pos = 25;
	uint8_t out[64];
	size_t len;
	assert_int_equal(tern_rdata_unpack(&r, TERN_T_MX, sizeof rd, out, sizeof out, &len), 0);
	static const uint8_t want[] = {0, 10, 4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
	assert_int_equal(len, sizeof want);
	assert_memory_equal(out, want, sizeof want);
	assert_int_equal(r.pos, 25 + sizeof rd);

	/* the same pointer in SOA, SRV and RP names (RFC 3597 4 lets receivers
	 * decompress them) */
	static const uint8_t srv[] = {0, 1, 0, 2, 0, 3, 0xc0, 12};
	memcpy(msg + 25, srv, sizeof srv);
	tern_rd_init(&r, msg, 25 + sizeof srv);
	r.pos = 25;
	assert_int_equal(tern_rdata_unpack(&r, TERN_T_SRV, sizeof srv, out, sizeof out, &len), 0);
	assert_int_equal(len, 6 + sizeof name);

	/* but not in DNAME, KX, SVCB or RRSIG: a pointer there is malformed */
	static const uint8_t ptr[] = {0xc0, 12};
	memcpy(msg + 25, ptr, sizeof ptr);
	tern_rd_init(&r, msg, 25 + sizeof ptr);
	r.pos = 25;
	assert_int_equal(tern_rdata_unpack(&r, TERN_T_DNAME, sizeof ptr, out, sizeof out, &len), TERN_EMALFORMED);
	static const uint8_t kx[] = {0, 1, 0xc0, 12};
	memcpy(msg + 25, kx, sizeof kx);
	tern_rd_init(&r, msg, 25 + sizeof kx);
	r.pos = 25;
	assert_int_equal(tern_rdata_unpack(&r, TERN_T_KX, sizeof kx, out, sizeof out, &len), TERN_EMALFORMED);
	assert_int_equal(r.pos, 25 + sizeof kx); /* still skipped */
	tern_rd_init(&r, msg, 25 + sizeof kx);
	r.pos = 25;
	assert_int_equal(tern_rdata_unpack(&r, TERN_T_HTTPS, sizeof kx, out, sizeof out, &len), TERN_EMALFORMED);

	/* a forward pointer and a pointer loop */
	static const uint8_t fwd[] = {0, 1, 0xc0, 40};
	memcpy(msg + 25, fwd, sizeof fwd);
	tern_rd_init(&r, msg, sizeof msg);
	r.pos = 25;
	assert_int_equal(tern_rdata_unpack(&r, TERN_T_MX, sizeof fwd, out, sizeof out, &len), TERN_EMALFORMED);
	static const uint8_t self[] = {0, 1, 0xc0, 27};
	memcpy(msg + 25, self, sizeof self);
	tern_rd_init(&r, msg, 25 + sizeof self);
	r.pos = 25;
	assert_int_equal(tern_rdata_unpack(&r, TERN_T_MX, sizeof self, out, sizeof out, &len), TERN_EMALFORMED);
}

static void test_pack_compresses_mx_not_srv(void **state)
{
	(void)state;
	uint8_t msg[512] = {0};
	tern_wr w;
	tern_wr_init(&w, msg, sizeof msg);
	w.pos = 12;
	tern_ctab ct = {0};
	static const uint8_t name[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
	assert_int_equal(tern_wr_name(&w, &ct, name), 0);
	uint8_t rd[256];
	size_t len;
	char err[128];

	assert_int_equal(parse(TERN_T_MX, "10 mail.example.com.", rd, sizeof rd, &len, err, sizeof err), 0);
	size_t at = w.pos;
	assert_int_equal(tern_rdata_pack(&w, &ct, TERN_T_MX, rd, len), 0);
	static const uint8_t mx[] = {0, 9, 0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 12};
	assert_int_equal(w.pos - at, sizeof mx);
	assert_memory_equal(msg + at, mx, sizeof mx);

	/* SRV (RFC 2782) and DNAME names are never compressed */
	assert_int_equal(parse(TERN_T_SRV, "0 0 1 mail.example.com.", rd, sizeof rd, &len, err, sizeof err), 0);
	at = w.pos;
	assert_int_equal(tern_rdata_pack(&w, &ct, TERN_T_SRV, rd, len), 0);
	assert_int_equal(w.pos - at, 2 + len);
	assert_int_equal(tern_get_u16(msg + at), len);
	assert_memory_equal(msg + at + 2, rd, len);
	assert_int_equal(parse(TERN_T_DNAME, "example.com.", rd, sizeof rd, &len, err, sizeof err), 0);
	at = w.pos;
	assert_int_equal(tern_rdata_pack(&w, &ct, TERN_T_DNAME, rd, len), 0);
	assert_int_equal(w.pos - at, 2 + len);

	/* SOA: both names compressed, numbers copied */
	assert_int_equal(parse(TERN_T_SOA, "ns.example.com. example.com. 1 2 3 4 5", rd, sizeof rd, &len, err,
	                       sizeof err), 0);
	at = w.pos;
	assert_int_equal(tern_rdata_pack(&w, &ct, TERN_T_SOA, rd, len), 0);
	assert_int_equal(tern_get_u16(msg + at), 3 + 2 + 2 + 20);

	/* round trip of the whole message region through unpack */
	tern_rd r;
	tern_rd_init(&r, msg, w.pos);
	r.pos = at + 2;
	uint8_t back[256];
	size_t blen;
	assert_int_equal(tern_rdata_unpack(&r, TERN_T_SOA, tern_get_u16(msg + at), back, sizeof back, &blen), 0);
	assert_int_equal(blen, len);
	assert_memory_equal(back, rd, len);

	/* no room: sticky TERN_ESPACE, and the ctab is left as it was */
	unsigned n = ct.n;
	tern_wr_init(&w, msg, at + 5);
	w.pos = at;
	assert_int_equal(tern_rdata_pack(&w, &ct, TERN_T_SOA, rd, len), TERN_ESPACE);
	assert_int_equal(ct.n, n);
}

/* ---- errors ---- */

static void test_errors(void **state)
{
	(void)state;
	expect_error("MX", "70000 mx.example.", TERN_ERANGE, "MX preference '70000' out of range");
	expect_error("MX", "10", TERN_ESYNTAX, "missing RDATA field 'exchange'");
	expect_error("MX", "10 mx.example. foo", TERN_ESYNTAX, "extra token 'foo' after RDATA");
	expect_error("MX", "1x mx.example.", TERN_ESYNTAX, "MX preference '1x' is not a number");
	expect_error("MX", "-1 mx.example.", TERN_ESYNTAX, "not a number");
	expect_error("MX", "", TERN_ESYNTAX, "missing RDATA field 'preference'");
	expect_error("DS", "1 256 2 AABB", TERN_ERANGE, "DS algorithm '256' out of range");
	expect_error("DS", "1 8 2", TERN_ESYNTAX, "missing RDATA field 'digest'");
	expect_error("DS", "1 8 2 AAB", TERN_ESYNTAX, "hex");
	expect_error("DS", "1 8 2 AAXX", TERN_ESYNTAX, "bad hex");
	expect_error("SOA", "ns. host. 1 2 3 4", TERN_ESYNTAX, "missing RDATA field 'minimum'");
	expect_error("SOA", "ns. host. 4294967296 2 3 4 5", TERN_ERANGE, "serial");
	expect_error("SOA", "ns. host. 1 2x 3 4 5", TERN_ESYNTAX, "refresh");
	expect_error("A", "192.0.2", TERN_ESYNTAX, "bad IPv4 address '192.0.2'");
	expect_error("A", "192.0.2.256", TERN_ESYNTAX, "bad IPv4");
	expect_error("A", "192.0.2.1 192.0.2.2", TERN_ESYNTAX, "extra token '192.0.2.2'");
	expect_error("AAAA", "2001:db8::g", TERN_ESYNTAX, "bad IPv6");
	expect_error("DNSKEY", "257 3 8 AwE*", TERN_ESYNTAX, "bad base64");
	expect_error("DNSKEY", "257 3 8 AwE", TERN_ESYNTAX, "incomplete");
	expect_error("DNSKEY", "257 3 8 AQ== AQ==", TERN_ESYNTAX, "bad base64");
	expect_error("DNSKEY", "65536 3 8 AQ==", TERN_ERANGE, "flags");
	expect_error("TXT", "", TERN_ESYNTAX, "missing");
	expect_error("TXT", "\"bad\\25\"", TERN_ESYNTAX, "bad escape");
	expect_error("TXT", "\"bad\\256\"", TERN_ESYNTAX, "bad escape");
	expect_error("TXT", "trailing\\", TERN_ESYNTAX, "bad escape");
	expect_error("HINFO", "\"only cpu\"", TERN_ESYNTAX, "missing RDATA field 'os'");
	expect_error("NSEC", "next.example. A FOO", TERN_ESYNTAX, "unknown type 'FOO'");
	expect_error("NSEC3", "1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3z", TERN_ESYNTAX, "base32hex");
	expect_error("NSEC3", "1 0 0 abc 2vptu5timamqttgl4luu9kg21e0aor3s", TERN_ESYNTAX, "salt");
	expect_error("NSEC3PARAM", "1 0 65536 -", TERN_ERANGE, "iterations");
	expect_error("RRSIG", "A 8 2 3600 20241301000000 20240101000000 1 example. AQ==", TERN_ESYNTAX,
	             "expiration '20241301000000'");
	expect_error("RRSIG", "A 8 2 3600 20240230000000 20240101000000 1 example. AQ==", TERN_ESYNTAX, "time");
	expect_error("RRSIG", "FOO 8 2 3600 1 2 1 example. AQ==", TERN_ESYNTAX, "unknown type 'FOO'");
	expect_error("RRSIG", "A 8 2 3600 19691231235959 2 1 example. AQ==", TERN_ERANGE, "expiration");
	expect_error("RRSIG", "A RSASHA2 2 3600 1 2 1 example. AQ==", TERN_ESYNTAX, "RRSIG algorithm 'RSASHA2' is not a number");
	expect_error("EUI48", "00-00-5e-00-53", TERN_ESYNTAX, "EUI48");
	expect_error("EUI48", "00:00:5e:00:53:2a", TERN_ESYNTAX, "EUI48");
	/* a bad hex digit must not reach the shift (UBSan: shift of a negative value) */
	expect_error("EUI48", "0g-00-5e-00-53-2a", TERN_ESYNTAX, "EUI48");
	expect_error("EUI64", "00-00-5e-00-53-2a-00-x1", TERN_ESYNTAX, "EUI64");
	expect_error("EUI64", "00-00-5e-ef-10-00-00-2g", TERN_ESYNTAX, "EUI64");
	expect_error("CAA", "0 is-sue \"x\"", TERN_ESYNTAX, "CAA tag");
	expect_error("CAA", "0 issue", TERN_ESYNTAX, "missing RDATA field 'value'");
	expect_error("SVCB", "1 . alpn=h2 alpn=h3", TERN_ESYNTAX, "duplicate SvcParam key 'alpn'");
	expect_error("SVCB", "1 . port=1 key3=2", TERN_ESYNTAX, "duplicate SvcParam key 'port'");
	expect_error("SVCB", "1 . foo=bar", TERN_ESYNTAX, "unknown SvcParam key 'foo'");
	expect_error("SVCB", "1 . key65535=x", TERN_ESYNTAX, "unknown SvcParam key");
	expect_error("SVCB", "1 . key01=x", TERN_ESYNTAX, "unknown SvcParam key");
	expect_error("SVCB", "1 . mandatory=port alpn=h2", TERN_ESYNTAX, "mandatory SvcParam key is missing");
	expect_error("SVCB", "1 . mandatory=mandatory", TERN_ESYNTAX, "may not list itself");
	expect_error("SVCB", "1 . mandatory=alpn,alpn alpn=h2", TERN_ESYNTAX, "duplicate key");
	expect_error("SVCB", "1 . no-default-alpn", TERN_ESYNTAX, "no-default-alpn without alpn");
	expect_error("SVCB", "1 . no-default-alpn=x alpn=h2", TERN_ESYNTAX, "takes no value");
	expect_error("SVCB", "1 . port=70000", TERN_ESYNTAX, "port");
	expect_error("SVCB", "1 . port", TERN_ESYNTAX, "needs a value");
	expect_error("SVCB", "1 . alpn=h2,,h3", TERN_ESYNTAX, "alpn");
	expect_error("SVCB", "1 . ipv4hint=192.0.2.1,::1", TERN_ESYNTAX, "ipv4hint");
	expect_error("SVCB", "1 . ipv6hint=192.0.2.1", TERN_ESYNTAX, "ipv6hint");
	expect_error("SVCB", "1 . ech=***", TERN_ESYNTAX, "ech");
	expect_error("LOC", "91 N 0 E 0", TERN_ERANGE, "LOC");
	expect_error("LOC", "1 60 N 0 E 0", TERN_ESYNTAX, "LOC");
	expect_error("LOC", "1 N 0 E", TERN_ESYNTAX, "altitude");
	expect_error("LOC", "1 X 0 E 0", TERN_ESYNTAX, "LOC");
	expect_error("LOC", "1 N 0 E 0 90000001m", TERN_ERANGE, "size");
	expect_error("URI", "10 1", TERN_ESYNTAX, "missing RDATA field 'target'");
	expect_error("NS", "bad..name.", TERN_ENAME, "bad NS nsdname");
	/* generic form */
	expect_error("TYPE65534", "\\# 3 abcd", TERN_ESYNTAX, "length 3 does not match 2");
	expect_error("TYPE65534", "\\# 1 abc", TERN_ESYNTAX, "odd number");
	expect_error("TYPE65534", "\\# x", TERN_ESYNTAX, "length 'x'");
	expect_error("TYPE65534", "\\#", TERN_ESYNTAX, "without a length");
	expect_error("TYPE65534", "\\# 65536", TERN_ESYNTAX, "length");
	expect_error("TYPE65534", "\\# 1 zz", TERN_ESYNTAX, "bad hex");
	expect_error("TYPE65534", "abcdef", TERN_ESYNTAX, "\\#");
	expect_error("MX", "\\# 2 000a", TERN_ESYNTAX, "not valid MX");
	expect_error("MX", "\\# 4 000ac000", TERN_ESYNTAX, "not valid MX"); /* no pointers in text */
	expect_error("A", "\\# 0", TERN_ESYNTAX, "not valid A");
	expect_error("OPT", "0", TERN_ESYNTAX, "\\#");
	/* a quoted "\#" is an ordinary string, not the generic marker */
	uint8_t out[600];
	size_t len;
	char err[128];
	assert_int_equal(parse(TERN_T_TXT, "\"\\#\" 0", out, sizeof out, &len, err, sizeof err), 0);
	assert_int_equal(len, 4);

	/* character-strings: 255 bytes fit, 256 do not; escapes count once */
	char big[1200];
	memset(big, 'a', 255);
	strcpy(big + 255, "");
	assert_int_equal(parse(TERN_T_TXT, big, out, sizeof out, &len, err, sizeof err), 0);
	assert_int_equal(len, 256);
	big[0] = '"';
	memset(big + 1, 'a', 256);
	strcpy(big + 257, "\"");
	expect_error("TXT", big, TERN_ERANGE, "longer than 255");
	char esc[1200] = "\"";
	for (int i = 0; i < 255; i++)
		strcat(esc, "\\255");
	strcat(esc, "\"");
	assert_int_equal(parse(TERN_T_TXT, esc, out, sizeof out, &len, err, sizeof err), 0);
	assert_int_equal(len, 256);
	assert_int_equal(out[255], 255);

	/* relative names without an origin; NULL err is allowed */
	tern_token tok[2];
	size_t n = split("10 mx", tok, 2);
	assert_int_equal(tern_rdata_from_text(TERN_T_MX, tok, n, NULL, out, sizeof out, &len, err, sizeof err), TERN_ENAME);
	assert_non_null(strstr(err, "origin"));
	assert_int_equal(tern_rdata_from_text(TERN_T_MX, tok, n, NULL, out, sizeof out, &len, NULL, 0), TERN_ENAME);
	/* "@" is the origin */
	n = split("10 @", tok, 2);
	assert_int_equal(tern_rdata_from_text(TERN_T_MX, tok, n, origin, out, sizeof out, &len, err, sizeof err), 0);
	assert_int_equal(len, 2 + sizeof origin);

	/* output buffer too small */
	n = split("10 mx.example.", tok, 2);
	assert_int_equal(tern_rdata_from_text(TERN_T_MX, tok, n, origin, out, 5, &len, err, sizeof err), TERN_ESPACE);
	assert_non_null(strstr(err, "does not fit"));
}

/* ---- text output details ---- */

static void test_to_text_edges(void **state)
{
	(void)state;
	char buf[256];
	/* undecodable RDATA of a known type falls back to the generic form */
	static const uint8_t badmx[] = {0, 10, 5, 'a', 'b'};
	assert_int_equal(tern_rdata_to_text(TERN_T_MX, badmx, sizeof badmx, buf, sizeof buf), 15);
	assert_string_equal(buf, "\\# 5 000A056162");
	static const uint8_t a5[] = {1, 2, 3, 4, 5};
	tern_rdata_to_text(TERN_T_A, a5, sizeof a5, buf, sizeof buf);
	assert_string_equal(buf, "\\# 5 0102030405");
	tern_rdata_to_text(TERN_T_A, a5, 0, buf, sizeof buf);
	assert_string_equal(buf, "\\# 0");
	/* meta and unknown types always use the generic form */
	tern_rdata_to_text(TERN_T_OPT, a5, 2, buf, sizeof buf);
	assert_string_equal(buf, "\\# 2 0102");
	/* a long generic value is split into 56-character words like dig */
	uint8_t z[40] = {0};
	tern_rdata_to_text(4242, z, sizeof z, buf, sizeof buf);
	assert_string_equal(buf, "\\# 40 00000000000000000000000000000000000000000000000000000000 "
	                         "000000000000000000000000");
	/* too small a buffer: TERN_ESPACE and still NUL-terminated */
	static const uint8_t a[] = {192, 0, 2, 1};
	assert_int_equal(tern_rdata_to_text(TERN_T_A, a, 4, buf, 9), TERN_ESPACE);
	assert_true(strlen(buf) < 9);
	assert_int_equal(tern_rdata_to_text(TERN_T_A, a, 4, buf, 10), 9);
	assert_int_equal(tern_rdata_to_text(TERN_T_A, a, 4, buf, 0), TERN_ESPACE);
	/* empty TXT string, empty base64 key, empty NSEC bitmap */
	static const uint8_t txt[] = {0, 1, 'x'};
	tern_rdata_to_text(TERN_T_TXT, txt, sizeof txt, buf, sizeof buf);
	assert_string_equal(buf, "\"\" \"x\"");
	static const uint8_t key[] = {1, 0, 3, 8};
	tern_rdata_to_text(TERN_T_DNSKEY, key, sizeof key, buf, sizeof buf);
	assert_string_equal(buf, "256 3 8");
	/* the bitmap must be well formed: a window with a trailing zero byte,
	 * or out of order, is not */
	static const uint8_t nsec[] = {0, 0, 2, 0x40, 0};
	tern_rdata_to_text(TERN_T_NSEC, nsec, sizeof nsec, buf, sizeof buf);
	assert_string_equal(buf, "\\# 5 0000024000");
	static const uint8_t nsec2[] = {0, 1, 1, 0x40, 0, 1, 0x40};
	tern_rdata_to_text(TERN_T_NSEC, nsec2, sizeof nsec2, buf, sizeof buf);
	assert_string_equal(buf, "\\# 7 00010140000140");
	/* SVCB keys out of order on the wire are malformed */
	static const uint8_t svcb[] = {0, 1, 0, 0, 3, 0, 2, 1, 187, 0, 1, 0, 3, 2, 'h', '2'};
	tern_rdata_to_text(TERN_T_SVCB, svcb, sizeof svcb, buf, sizeof buf);
	assert_true(strncmp(buf, "\\# 16 ", 6) == 0);
	/* RRSIG times: the edges of the 32-bit range */
	static const uint8_t sig[] = {0, 1, 8, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0};
	tern_rdata_to_text(TERN_T_RRSIG, sig, sizeof sig, buf, sizeof buf);
	assert_string_equal(buf, "A 8 0 0 21060207062815 19700101000000 0 .");
	/* CAA value with quotes and non-ASCII */
	static const uint8_t caa[] = {0, 5, 'i', 's', 's', 'u', 'e', '"', 0xc3, ';'};
	tern_rdata_to_text(TERN_T_CAA, caa, sizeof caa, buf, sizeof buf);
	assert_string_equal(buf, "0 issue \"\\\"\\195;\"");
}

/* RFC 4034 A.1: algorithm mnemonics in DNSKEY, RRSIG, DS (and their
 * kin), written back as numbers; issue 10 item 12. */
static void test_algorithm_mnemonics(void **state)
{
	(void)state;
	static const struct {
		const char *type, *in, *text;
	} c[] = {
		{"DNSKEY", "256 3 RSASHA1 AQID", "256 3 5 AQID"},
		{"DNSKEY", "256 3 rsasha1-nsec3-sha1 AQID", "256 3 7 AQID"},
		{"CDNSKEY", "257 3 ECDSAP256SHA256 AQID", "257 3 13 AQID"},
		{"KEY", "256 3 DSA AQID", "256 3 3 AQID"},
		{"DS", "1 ED25519 2 AABB", "1 15 2 AABB"},
		{"CDS", "1 ED448 2 AABB", "1 16 2 AABB"},
		{"DLV", "1 DSA-NSEC3-SHA1 1 AABB", "1 6 1 AABB"},
		{"RRSIG", "NSEC RSASHA1 2 300 20240101000000 20231201000000 1 example. AQID",
		 "NSEC 5 2 300 20240101000000 20231201000000 1 example. AQID"},
		{"RRSIG", "A RSAMD5 2 300 1 2 1 example. AQID", "A 1 2 300 19700101000001 19700101000002 1 example. AQID"},
		{"RRSIG", "A DH 2 300 1 2 1 example. AQID", "A 2 2 300 19700101000001 19700101000002 1 example. AQID"},
		{"RRSIG", "A RSASHA256 2 300 1 2 1 example. AQID", "A 8 2 300 19700101000001 19700101000002 1 example. AQID"},
		{"RRSIG", "A RSASHA512 2 300 1 2 1 example. AQID", "A 10 2 300 19700101000001 19700101000002 1 example. AQID"},
		{"RRSIG", "A ECC-GOST 2 300 1 2 1 example. AQID", "A 12 2 300 19700101000001 19700101000002 1 example. AQID"},
		{"RRSIG", "A ECDSAP384SHA384 2 300 1 2 1 example. AQID", "A 14 2 300 19700101000001 19700101000002 1 example. AQID"},
		{"RRSIG", "A INDIRECT 2 300 1 2 1 example. AQID", "A 252 2 300 19700101000001 19700101000002 1 example. AQID"},
		{"RRSIG", "A PRIVATEDNS 2 300 1 2 1 example. AQID", "A 253 2 300 19700101000001 19700101000002 1 example. AQID"},
		{"RRSIG", "A PRIVATEOID 2 300 1 2 1 example. AQID", "A 254 2 300 19700101000001 19700101000002 1 example. AQID"},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint8_t out[512];
		size_t len;
		char err[256], text[1024];
		uint16_t type = type_of(c[i].type);
		if (parse(type, c[i].in, out, sizeof out, &len, err, sizeof err))
			fail_msg("%s %s: %s", c[i].type, c[i].in, err);
		assert_true(tern_rdata_to_text(type, out, len, text, sizeof text) > 0);
		if (strcmp(text, c[i].text))
			fail_msg("%s %s: got '%s', want '%s'", c[i].type, c[i].in, text, c[i].text);
	}
}

/* RFC 4034 3.1.5: RRSIG times are modulo 2^32 (serial arithmetic), so a
 * date after 2106 is valid; issue 10 item 15. */
static void test_rrsig_time_after_2106(void **state)
{
	(void)state;
	uint8_t out[512];
	size_t len;
	char err[256], text[1024];
	assert_int_equal(parse(TERN_T_RRSIG, "A 8 2 300 21220222132804 21060207062816 1 example. AQID", out,
	                       sizeof out, &len, err, sizeof err), 0);
	/* 2122-02-22T13:28:04Z is 4801210084 s, modulo 2^32 0x1e2ca6e4; 2106-02-07T06:28:16Z wraps to 0 */
	static const uint8_t want[] = {0x1e, 0x2c, 0xa6, 0xe4, 0, 0, 0, 0};
	assert_memory_equal(out + 8, want, sizeof want);
	assert_true(tern_rdata_to_text(TERN_T_RRSIG, out, len, text, sizeof text) > 0);
	assert_string_equal(text, "A 8 2 300 19860116065948 19700101000000 1 example. AQID");
}

/* APL with no items is valid (RFC 3123 4: an empty list), text and wire;
 * malformed APL and IPSECKEY wire falls back to the generic form. */
static void test_apl_ipseckey_edges(void **state)
{
	(void)state;
	uint8_t out[64];
	size_t len = 99;
	char err[256], text[256];
	assert_int_equal(parse(42, "", out, sizeof out, &len, err, sizeof err), 0);
	assert_int_equal(len, 0);
	assert_int_equal(tern_rdata_to_text(42, out, 0, text, sizeof text), 0);
	assert_string_equal(text, "");
	/* a trailing zero in AFDPART, an unknown family, a prefix too long */
	static const uint8_t z[] = {0, 1, 8, 2, 10, 0}, f[] = {0, 3, 8, 1, 10}, p[] = {0, 1, 33, 1, 10};
	assert_int_equal(tern_rdata_to_text(42, z, sizeof z, text, sizeof text), 17);
	assert_string_equal(text, "\\# 6 000108020A00");
	assert_true(tern_rdata_to_text(42, f, sizeof f, text, sizeof text) > 0 && text[0] == '\\');
	assert_true(tern_rdata_to_text(42, p, sizeof p, text, sizeof text) > 0 && text[0] == '\\');
	/* IPSECKEY: unknown gateway type; a compressed gateway name */
	static const uint8_t g[] = {10, 4, 2, 1, 2, 3, 4}, c[] = {10, 3, 2, 0xc0, 0};
	assert_true(tern_rdata_to_text(TERN_T_IPSECKEY, g, sizeof g, text, sizeof text) > 0 && text[0] == '\\');
	tern_rd r;
	tern_rd_init(&r, c, sizeof c);
	assert_int_not_equal(tern_rdata_unpack(&r, TERN_T_IPSECKEY, sizeof c, out, sizeof out, &len), 0);
	expect_error("IPSECKEY", "10 1 2 2001:db8::1 AQID", TERN_ESYNTAX, "wants an IPv4 address");
	expect_error("IPSECKEY", "10 0 2 gw.example. AQID", TERN_ESYNTAX, "takes '.'");
	expect_error("IPSECKEY", "10 7 2 . AQID", TERN_ESYNTAX, "gateway type 7 unknown");
	expect_error("APL", "1:192.168.0.0/33", TERN_ERANGE, "prefix");
	expect_error("APL", "3:192.168.0.0/8", TERN_ESYNTAX, "bad APL item");
	expect_error("APL", "1:192.168.0.0", TERN_ESYNTAX, "bad APL item");
	expect_error("APL", "2:192.168.0.0/8", TERN_ESYNTAX, "bad APL item");
	expect_error("NID", "10 1:2:3", TERN_ESYNTAX, "64-bit locator");
	expect_error("L64", "10 1:2:3:4:5", TERN_ESYNTAX, "64-bit locator");
	expect_error("L64", "10 12345:2:3:4", TERN_ESYNTAX, "64-bit locator");
	expect_error("L32", "10 2001:db8::1", TERN_ESYNTAX, "IPv4");
}

/* ---- types, classes and TTLs ---- */

static void test_types_classes(void **state)
{
	(void)state;
	char buf[32];
	uint16_t v;
	assert_string_equal(tern_type_name(TERN_T_NSEC3PARAM), "NSEC3PARAM");
	assert_null(tern_type_name(4242));
	assert_int_equal(tern_type_to_text(TERN_T_AAAA, buf, sizeof buf), 4);
	assert_string_equal(buf, "AAAA");
	assert_int_equal(tern_type_to_text(4242, buf, sizeof buf), 8);
	assert_string_equal(buf, "TYPE4242");
	assert_int_equal(tern_type_to_text(4242, buf, 8), TERN_ESPACE);
	assert_int_equal(tern_type_from_text("aaaa", 4, &v), 0);
	assert_int_equal(v, TERN_T_AAAA);
	assert_int_equal(tern_type_from_text("Https", 5, &v), 0);
	assert_int_equal(v, TERN_T_HTTPS);
	assert_int_equal(tern_type_from_text("TYPE65535", 9, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(tern_type_from_text("type1", 5, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(tern_type_from_text("TYPE65536", 9, &v), TERN_ERANGE);
	assert_int_equal(tern_type_from_text("TYPE", 4, &v), TERN_ETYPE);
	assert_int_equal(tern_type_from_text("TYPE1x", 6, &v), TERN_ESYNTAX);
	assert_int_equal(tern_type_from_text("AAAAA", 5, &v), TERN_ETYPE);
	assert_int_equal(tern_type_from_text("A", 0, &v), TERN_ETYPE);
	/* every mnemonic maps back to itself */
	for (unsigned t = 0; t < 65536; t++) {
		const char *name = tern_type_name((uint16_t)t);
		if (!name)
			continue;
		assert_int_equal(tern_type_from_text(name, strlen(name), &v), 0);
		assert_int_equal(v, t);
	}
	assert_true(tern_type_is_meta(TERN_T_OPT));
	assert_true(tern_type_is_meta(TERN_T_ANY));
	assert_true(tern_type_is_meta(TERN_T_AXFR));
	assert_true(tern_type_is_meta(TERN_T_TSIG));
	assert_true(tern_type_is_meta(128));
	assert_false(tern_type_is_meta(TERN_T_A));
	assert_false(tern_type_is_meta(TERN_T_URI));
	assert_false(tern_type_is_meta(127));

	assert_int_equal(tern_class_to_text(TERN_C_IN, buf, sizeof buf), 2);
	assert_string_equal(buf, "IN");
	tern_class_to_text(TERN_C_CH, buf, sizeof buf);
	assert_string_equal(buf, "CH");
	tern_class_to_text(42, buf, sizeof buf);
	assert_string_equal(buf, "CLASS42");
	assert_int_equal(tern_class_from_text("in", 2, &v), 0);
	assert_int_equal(v, TERN_C_IN);
	assert_int_equal(tern_class_from_text("CHAOS", 5, &v), 0);
	assert_int_equal(v, TERN_C_CH);
	assert_int_equal(tern_class_from_text("class255", 8, &v), 0);
	assert_int_equal(v, 255);
	assert_int_equal(tern_class_from_text("XX", 2, &v), TERN_ETYPE);
	assert_int_equal(tern_class_from_text("CLASS70000", 10, &v), TERN_ERANGE);
}

static void test_ttl(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int rc;
		uint32_t v;
	} t[] = {
		{"0", 0, 0},
		{"3600", 0, 3600},
		{"1h30m", 0, 5400},
		{"1H30M", 0, 5400},
		{"2w", 0, 1209600},
		{"1D", 0, 86400},
		{"1w2d3h4m5s", 0, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5},
		{"10s", 0, 10},
		{"2147483647", 0, 2147483647},
		{"2147483648", TERN_ERANGE, 0},
		{"99999999999999999999", TERN_ERANGE, 0},
		{"3551w", TERN_ERANGE, 0}, /* 3551 weeks > 2^31-1 seconds */
		{"3550w", 0, 3550u * 604800},
		{"3550w1w", TERN_ERANGE, 0},
		{"", TERN_ESYNTAX, 0},
		{"h", TERN_ESYNTAX, 0},
		{"1h30", TERN_ESYNTAX, 0},
		{"1x", TERN_ESYNTAX, 0},
		{"-1", TERN_ESYNTAX, 0},
		{"1 h", TERN_ESYNTAX, 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint32_t v = 12345;
		int rc = tern_ttl_from_text(t[i].s, strlen(t[i].s), &v);
		if (rc != t[i].rc || (rc == 0 && v != t[i].v))
			fail_msg("ttl '%s': got %d %u", t[i].s, rc, v);
	}
	/* SOA timers take units, or plain numbers up to 2^32-1 */
	uint8_t out[128];
	size_t len;
	char err[128];
	assert_int_equal(parse(TERN_T_SOA, "a. b. 1 4294967295 1h 1d 1W", out, sizeof out, &len, err, sizeof err), 0);
	assert_int_equal(tern_get_u32(out + len - 16), 4294967295u);
	assert_int_equal(tern_get_u32(out + len - 4), 604800);
}

static void test_rdata_target(void **state)
{
	(void)state;
	uint8_t out[256];
	size_t len;
	char err[128];
	const uint8_t *t;
	assert_int_equal(parse(TERN_T_MX, "10 mx.example.", out, sizeof out, &len, err, sizeof err), 0);
	t = tern_rdata_target(TERN_T_MX, out, len);
	assert_ptr_equal(t, out + 2);
	assert_null(tern_rdata_target(TERN_T_MX, out, len - 1)); /* name cut short */
	assert_null(tern_rdata_target(TERN_T_MX, out, 2));
	assert_int_equal(parse(TERN_T_SRV, "1 2 3 t.example.", out, sizeof out, &len, err, sizeof err), 0);
	assert_ptr_equal(tern_rdata_target(TERN_T_SRV, out, len), out + 6);
	assert_int_equal(parse(TERN_T_CNAME, "c.example.", out, sizeof out, &len, err, sizeof err), 0);
	assert_ptr_equal(tern_rdata_target(TERN_T_CNAME, out, len), out);
	assert_ptr_equal(tern_rdata_target(TERN_T_DNAME, out, len), out);
	assert_ptr_equal(tern_rdata_target(TERN_T_NS, out, len), out);
	assert_ptr_equal(tern_rdata_target(TERN_T_PTR, out, len), out);
	assert_null(tern_rdata_target(TERN_T_A, out, len));
	assert_null(tern_rdata_target(TERN_T_TXT, out, len));
	static const uint8_t ptr[] = {0xc0, 0};
	assert_null(tern_rdata_target(TERN_T_NS, ptr, sizeof ptr));
}

/* ---- untrusted wire input ---- */

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* What unpack accepts must print as its type and parse back from that
 * text to RDATA that prints the same. */
static void check_accepted(uint16_t type, const uint8_t *rd, size_t len)
{
	static char text[140000], text2[140000];
	static uint8_t back[65536];
	size_t blen;
	char err[256];
	int tl = tern_rdata_to_text(type, rd, len, text, sizeof text);
	assert_true(tl >= 0);
	static tern_token tok[70000];
	size_t n = split(text, tok, 70000);
	int rc = tern_rdata_from_text(type, tok, n, NULL, back, sizeof back, &blen, err, sizeof err);
	if (rc)
		fail_msg("TYPE%u '%s' does not parse back: %s", type, text, err);
	assert_true(tern_rdata_to_text(type, back, blen, text2, sizeof text2) >= 0);
	if (strcmp(text, text2))
		fail_msg("TYPE%u: '%s' became '%s'", type, text, text2);
}

static void fuzz_one(uint16_t type, const uint8_t *rd, size_t len)
{
	static uint8_t out[65536];
	size_t olen;
	/* exactly len bytes on the heap, so any overread trips ASan */
	uint8_t *b = malloc(len ? len : 1);
	memcpy(b, rd, len);
	tern_rd r;
	tern_rd_init(&r, b, len);
	int rc = tern_rdata_unpack(&r, type, (uint16_t)len, out, sizeof out, &olen);
	assert_true(rc == 0 || rc == TERN_EMALFORMED);
	if (rc == 0 && !tern_type_is_meta(type))
		check_accepted(type, out, olen);
	char text[2048];
	(void)tern_rdata_to_text(type, b, len, text, sizeof text); /* may be ESPACE */
	tern_wr w;
	tern_ctab ct = {0};
	tern_wr_init(&w, out, sizeof out);
	assert_int_equal(tern_rdata_pack(&w, &ct, type, b, len), 0);
	free(b);
}

static void test_fuzz_mutated(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		uint16_t type = type_of(cases[i].type);
		uint8_t wire[4096], m[4096];
		size_t wlen = unhex(cases[i].wire, wire);
		for (int it = 0; it < 3000; it++) {
			memcpy(m, wire, wlen);
			size_t len = wlen;
			int nmut = 1 + (int)(rnd() % 4);
			for (int k = 0; k < nmut && len; k++) {
				switch (rnd() % 4) {
				case 0: m[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8)); break;
				case 1: m[rnd() % len] = (uint8_t)rnd(); break;
				case 2: len = rnd() % len; break;
				case 3:
					if (len < sizeof m)
						m[len++] = (uint8_t)rnd();
					break;
				}
			}
			fuzz_one(type, m, len);
		}
	}
}

static void test_fuzz_random(void **state)
{
	(void)state;
	uint8_t m[300];
	static const uint16_t extra[] = {21, 24, 25, 26, 32768, 32769, 65535};
	for (unsigned t = 0; t < 270 + sizeof extra / sizeof extra[0]; t++) {
		uint16_t type = t < 270 ? (uint16_t)t : extra[t - 270];
		for (int it = 0; it < 400; it++) {
			size_t len = rnd() % sizeof m;
			for (size_t j = 0; j < len; j++)
				m[j] = (uint8_t)(rnd() % 4 ? rnd() % 8 : rnd()); /* small bytes: plausible lengths */
			fuzz_one(type, m, len);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_to_wire_to_text),
		cmocka_unit_test(test_generic_form_for_known_types),
		cmocka_unit_test(test_unpack_and_pack),
		cmocka_unit_test(test_truncated_wire),
		cmocka_unit_test(test_unpack_decompresses_mx),
		cmocka_unit_test(test_pack_compresses_mx_not_srv),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_to_text_edges),
		cmocka_unit_test(test_algorithm_mnemonics),
		cmocka_unit_test(test_apl_ipseckey_edges),
		cmocka_unit_test(test_rrsig_time_after_2106),
		cmocka_unit_test(test_types_classes),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_rdata_target),
		cmocka_unit_test(test_fuzz_mutated),
		cmocka_unit_test(test_fuzz_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
