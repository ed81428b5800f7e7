/* fuzz_server.c: one packet in, one response out (query_respond), with a
 * rich zone set loaded: delegations with glue and DS, a served child zone,
 * wildcards (with CNAME and loops), DNAME, CNAME chains within and across
 * zones and loops, empty non-terminals, truncation-sized RRsets and one
 * record of most types; and two signed zones (NSEC, NSEC3 with opt-out)
 * whose DO=1 answers carry RRSIGs and denial proofs.
 *
 * Local records (a name of their own, a CNAME into the zones and one out of
 * them) and a resolver with one upstream are configured too, and a small
 * cache is filled afresh for every input (a CNAME chain, an RRset, NODATA
 * and NXDOMAIN entries), so that chains cross from local data to zones to
 * the cache to the upstream.
 *
 * Every input is answered four times: over UDP and over TCP, each from a
 * client the ACL allows and from one it does not; the last time with debug
 * logging on (quietened), so the query's debug line (querylog.c) is made
 * from every input too. A query that would go
 * upstream is answered a second time as a waiter would be, with a made-up
 * upstream result (an A record, or a failure). Checks on each response:
 * sent unless the query is to be dropped or forwarded (and forwarded only
 * for an allowed client); no longer than the
 * limit (UDP: 512 without EDNS, else the client's size clamped to
 * [512, udp-max-size]; TCP: 65535); the same ID and opcode, QR set; every
 * record parses and its RDATA is valid for its type; an OPT exactly when
 * the query had a usable one.
 *
 * The zones and configuration are built once, on the first input, and are
 * read-only afterwards (as a published version is for the workers). */
#include <stddef.h>
#include <string.h>

#include "db/zone.h"
#include "fuzz.h"
#include "resolve/cache.h"
#include "resolve/forward.h"
#include "server/log.h"
#include "server/query.h"
#include "tern/msg.h"
#include "tern/tsig.h"

#define X100 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define BIG(n) "big IN TXT \"" #n "-" X100 "\"\n"
#define BIGGER(n) "bigger IN TXT \"" #n "-" X100 X100 "\"\n"

static const char example_com[] =
	"$ORIGIN example.com.\n"
	"$TTL 3600\n"
	"@ IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n"
	"  IN NS ns1\n"
	"  IN NS ns2.example.net.\n"
	"  IN A 192.0.2.1\n"
	"  IN AAAA 2001:db8::1\n"
	"  IN MX 10 mail\n"
	"  IN MX 20 mx.other.test.\n"
	"  IN TXT \"v=spf1 mx -all\"\n"
	"  IN CAA 0 issue \"ca.example.net\"\n"
	"  IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
	"  IN NSEC3PARAM 1 0 0 -\n"
	"  IN ZONEMD 2024010101 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"  IN CSYNC 2024010101 3 A NS AAAA\n"
	"ns1 IN A 192.0.2.53\n"
	"    IN AAAA 2001:db8::53\n"
	"mail IN A 192.0.2.25\n"
	"     IN AAAA 2001:db8::25\n"
	"www IN A 192.0.2.80\n"
	"    IN AAAA 2001:db8::80\n"
	"    IN HTTPS 1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.80 ech=AEX+DQBBpQAgACB/bc6P3Zl9UXZ1upNUNtSO1ZNTt7IlBlbFxFJxTgB0IQAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA=\n"
	"MiXeD IN A 192.0.2.81\n"
	"txt IN TXT \"hello\" \"world\"\n"
	"    IN TXT \"second string\" \"with \\\"quotes\\\" and \\\\ and \\255\"\n"
	"ptr IN PTR www.example.com.\n"
	"hinfo IN HINFO \"PC\" \"Linux\"\n"
	"sshfp IN SSHFP 1 1 0123456789abcdef0123456789abcdef01234567\n"
	"_443._tcp.www IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"naptr IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.\n"
	"svc IN SVCB 1 www alpn=h2 mandatory=alpn\n"
	"svc0 IN SVCB 0 www\n"
	"unknown IN TYPE65534 \\# 3 abcdef\n"
	"loc IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n"
	"rp IN RP hostmaster.example.com. txt\n"
	"afsdb IN AFSDB 1 mail\n"
	"kx IN KX 10 mail\n"
	"minfo IN MINFO hostmaster errors\n"
	"mb IN MB mail\n"
	"mg IN MG mail\n"
	"mr IN MR mail\n"
	"ds-ish IN CDS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"       IN CDNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
	"rrsig IN RRSIG A 13 3 3600 20250101000000 20240101000000 12345 example.com. "
	"mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
	"      IN A 192.0.2.7\n"
	"nsec IN NSEC www.example.com. A RRSIG NSEC TYPE65534\n"
	"nsec3 IN NSEC3 1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG\n"
	"dhcid IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=\n"
	"pgp IN OPENPGPKEY mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2YhvyDMXjq\n"
	"smimea IN SMIMEA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"eui IN EUI48 00-00-5e-00-53-2a\n"
	"    IN EUI64 00-00-5e-ef-10-00-00-2a\n"
	"uri IN URI 10 1 \"https://www.example.com/\"\n"
	"spf IN SPF \"v=spf1 -all\"\n"
	"cert IN TYPE37 \\# 5 0001000000\n"
	"ipseckey IN TYPE45 \\# 7 0a010100000000\n"
	"_sip._udp IN SRV 10 5 5060 sip\n"
	"          IN SRV 20 5 5060 sip2.other.test.\n"
	"sip IN A 192.0.2.60\n"
	"alias IN CNAME www\n"
	"chain1 IN CNAME chain2\n"
	"chain2 IN CNAME chain3\n"
	"chain3 IN CNAME www\n"
	"ChainX IN CNAME chain1\n"
	"out IN CNAME www.other.test.\n"
	"ext IN CNAME www.example.org.\n"
	"dangling IN CNAME nothere\n"
	"loop-a IN CNAME loop-b\n"
	"loop-b IN CNAME loop-a\n"
	"self IN CNAME self\n"
	"xloop IN CNAME xloop.other.test.\n"
	"tosub IN CNAME www.sub\n"
	"todn IN CNAME x.y.dn\n"
	"a.b.ent IN A 192.0.2.9\n"
	"*.wild IN A 192.0.2.99\n"
	"       IN TXT \"wildcard\"\n"
	"       IN MX 10 mail\n"
	"exists.wild IN A 192.0.2.98\n"
	"x.ent.wild IN A 192.0.2.97\n"
	"*.wcname IN CNAME www\n"
	"*.wcloop IN CNAME a.wcloop\n"
	"*.wcdeep IN CNAME x.wcdeep2\n"
	"*.wcdeep2 IN CNAME y.wcdeep\n"
	"*.wcdn IN CNAME q.dn\n"
	"* IN TXT \"apex wildcard\"\n"
	"sub IN NS ns.sub\n"
	"    IN NS ns1\n"
	"    IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"ns.sub IN A 192.0.2.100\n"
	"       IN AAAA 2001:db8::100\n"
	"nods IN NS ns.example.net.\n"
	"child IN NS ns.child\n"
	"      IN DS 54321 13 2 fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\n"
	"ns.child IN A 192.0.2.110\n"
	"dn IN DNAME other.test.\n"
	"dnx IN DNAME example.net.\n"
	"dnself IN DNAME dnself.example.com.\n"
	"dnloop IN DNAME x.dnloop2.example.com.\n"
	"dnloop2 IN DNAME dnloop.example.com.\n"
	"dnlong IN DNAME a123456789012345678901234567890123456789012345678901234567890.b123456789012345678901234567890123456789012345678901234567890."
	"c123456789012345678901234567890123456789012345678901234567890.d1234567890123456789012345678901234567890123456789012.\n"
	BIG(01) BIG(02) BIG(03) BIG(04) BIG(05) BIG(06) BIG(07) BIG(08) BIG(09) BIG(10)
	"big IN A 192.0.2.200\n"
	BIGGER(01) BIGGER(02) BIGGER(03) BIGGER(04) BIGGER(05) BIGGER(06) BIGGER(07) BIGGER(08) BIGGER(09) BIGGER(10)
	"tc-chain IN CNAME big\n"
	"manyns IN NS ns1.manyns\n"
	"       IN NS ns2.manyns\n"
	"       IN NS ns3.manyns\n"
	"       IN NS ns.sub\n"
	"       IN NS mail\n"
	"ns1.manyns IN A 192.0.2.131\n"
	"           IN AAAA 2001:db8::131\n"
	"ns2.manyns IN A 192.0.2.132\n"
	"ns3.manyns IN A 192.0.2.133\n"
	"mx IN MX 1 host1\nmx IN MX 2 host2\nmx IN MX 3 host3\nmx IN MX 4 host4\nmx IN MX 5 host5\n"
	"mx IN MX 6 host6\nmx IN MX 7 host7\nmx IN MX 8 host8\nmx IN MX 9 mail\nmx IN MX 10 www.other.test.\n"
	"$GENERATE 1-40 alias$ CNAME host$\n"
	"$GENERATE 1-40 host$ A 192.0.2.$\n"
	"$GENERATE 1-40 host$ AAAA 2001:db8::$\n";

static const char child_example_com[] =
	"$ORIGIN child.example.com.\n"
	"$TTL 600\n"
	"@ IN SOA ns.child.example.com. hostmaster.example.com. 7 3600 600 86400 120\n"
	"  IN NS ns\n"
	"ns IN A 192.0.2.110\n"
	"www IN A 192.0.2.111\n"
	"back IN CNAME www.example.com.\n"
	"*.w IN CNAME back\n";

static const char other_test[] =
	"$ORIGIN other.test.\n"
	"$TTL 3600\n"
	"@ 60 IN SOA ns.other.test. hostmaster.other.test. 1 3600 600 86400 900\n"
	"  IN NS ns\n"
	"ns IN A 192.0.2.120\n"
	"www IN A 192.0.2.121\n"
	"mx IN A 192.0.2.122\n"
	"sip2 IN AAAA 2001:db8::122\n"
	"foo.bar IN TXT \"under other\"\n"
	"xloop IN CNAME xloop.example.com.\n"
	"back IN CNAME chain1.example.com.\n";

/* nsec.test., signed by ldns-signzone (ECDSAP256SHA256, NSEC) */
static const char nsec_test[] =
	"nsec.test. 300 IN SOA ns.nsec.test. hm.nsec.test. 1 3600 600 86400 60\n"
	"nsec.test. 300 IN RRSIG SOA 13 2 300 20370101000000 20260101000000 13524 nsec.test. RHqPg9rS+nkzKl7yPasxDv0COc9nxIzKw+J7JG00BaRk1HZN0m3CbQwsB/qfOrR0E+0ngwpCz4yBPMEHqSQS0g==\n"
	"nsec.test. 300 IN NS ns.nsec.test.\n"
	"nsec.test. 300 IN RRSIG NS 13 2 300 20370101000000 20260101000000 13524 nsec.test. k82dcXVWIVJVhqyyNMMXMvpItbvfb/Kireypebhqpc6FC9zTQmq3Cmz5H6T7PGf04IwxtEWsit6bPSF4GNLogg==\n"
	"nsec.test. 300 IN DNSKEY 256 3 13 J9JZqFG8p6kdsLNuwnI7AtneTiQoTYyAFF45DfzDO9KwNXvuSI+BV9528BzWzgegWSynW+py5xlBeA4G6NnXBQ== ;{id = 13524 (zsk), size = 256b}\n"
	"nsec.test. 300 IN DNSKEY 257 3 13 4WU/Hhp+1TXDEcuWI0cj47eli1Hc0aR8gud5kbRt91Cxj7sqwkg3y/cTpICCm8nAbjF3/mCcLdjk+60IcIWvLA== ;{id = 52144 (ksk), size = 256b}\n"
	"nsec.test. 300 IN RRSIG DNSKEY 13 2 300 20370101000000 20260101000000 52144 nsec.test. 454nP/BK/qwYeW9fwC/VitVK37K3WXErSmi16E1da9q9IvHziPGu53M2CR+yPJ8joC/3gAH6402AgzfoPMrMMQ==\n"
	"nsec.test. 60 IN NSEC alias.nsec.test. NS SOA RRSIG NSEC DNSKEY \n"
	"nsec.test. 60 IN RRSIG NSEC 13 2 60 20370101000000 20260101000000 13524 nsec.test. ckyPOZRbS+9bZs+xncFIExe351r8sRoEA3AMVxQxcMF/+JKp7AzSg2A+ep5Shifc8lMOQfR9nGvabVotsl84+w==\n"
	"alias.nsec.test. 300 IN CNAME www.nsec.test.\n"
	"alias.nsec.test. 300 IN RRSIG CNAME 13 3 300 20370101000000 20260101000000 13524 nsec.test. 0AAj4Z6suNRNkPjuoNf2AsQKq3eCkx41K9qhFDXiMKFzrVTUBaIR8NaiMwY/66Tt4Y/ZPqqHtXXjzGBwx7zmOg==\n"
	"alias.nsec.test. 60 IN NSEC dn.nsec.test. CNAME RRSIG NSEC \n"
	"alias.nsec.test. 60 IN RRSIG NSEC 13 3 60 20370101000000 20260101000000 13524 nsec.test. +75eKVlS2Y8Sq0wl/cSMVSDpjZkZDffCKUFl30MJpxhmiwEsvNYQLk6adRRRYC9HyGdWK6ifZTpEMMZVb4kxMg==\n"
	"dn.nsec.test. 300 IN DNAME www.example.com.\n"
	"dn.nsec.test. 300 IN RRSIG DNAME 13 3 300 20370101000000 20260101000000 13524 nsec.test. 2V0/852kHnJhV3iOvVwLzGrgB7lBPJOMZwyN6ilzmANUXk6pW6YOwiiXw8Tly7hp0JifRZODahX6wl4FN31u0w==\n"
	"dn.nsec.test. 60 IN NSEC a.b.ent.nsec.test. DNAME RRSIG NSEC \n"
	"dn.nsec.test. 60 IN RRSIG NSEC 13 3 60 20370101000000 20260101000000 13524 nsec.test. FiP+osOTkN/7jtBlMcAxKDpud2pVR71x3NWv5QQGlt2XRAtKTnHe9BoNbNjrEX1cq/ZwGLX2wxn3KaZ/KuPgcQ==\n"
	"a.b.ent.nsec.test. 300 IN A 192.0.2.3\n"
	"a.b.ent.nsec.test. 300 IN RRSIG A 13 5 300 20370101000000 20260101000000 13524 nsec.test. 9wXqvcwIVBBOROMMXS46PNKUsK1C47REsrMwKG97V5iDXq3F4He46k0NlYtgkiCgdhdXPbwdGmy0yMtcg61Rkg==\n"
	"a.b.ent.nsec.test. 60 IN NSEC insec.nsec.test. A RRSIG NSEC \n"
	"a.b.ent.nsec.test. 60 IN RRSIG NSEC 13 5 60 20370101000000 20260101000000 13524 nsec.test. +u16lM/PsXUY1E52JHZRAT0wY9Fnn7ENpmAeuF4y1UEsiAo4Gu4OuQUG6jzIRx7AvGyioAmy5c1gPD0Qq1uaZw==\n"
	"insec.nsec.test. 300 IN NS ns.example.net.\n"
	"insec.nsec.test. 60 IN NSEC mx.nsec.test. NS RRSIG NSEC \n"
	"insec.nsec.test. 60 IN RRSIG NSEC 13 3 60 20370101000000 20260101000000 13524 nsec.test. E7A1hAgmNltvAHqo3Sn7JACrLG4L6RUOc+Cyhd9fPz5+hg1Pj8mlvDUA1dnKRNm6DybRPtbvLch0RlvH96Yhsg==\n"
	"mx.nsec.test. 300 IN MX 10 www.nsec.test.\n"
	"mx.nsec.test. 300 IN RRSIG MX 13 3 300 20370101000000 20260101000000 13524 nsec.test. UgVRpbTusYt28XvdsnZ2tTYdnv+7nAufx3/47GRZwKIWtcL2+8dIUica4ryOs3pWz4zUeXSpC/QCpsrnvG8AqA==\n"
	"mx.nsec.test. 60 IN NSEC ns.nsec.test. MX RRSIG NSEC \n"
	"mx.nsec.test. 60 IN RRSIG NSEC 13 3 60 20370101000000 20260101000000 13524 nsec.test. i1ECTnYepsB9MIYFqyEDIeaLSYAvkv7pIdt3GhVuRHALIB0F1OXlE4NfMOAvb7rNQiFmQm3Y6iHT8QaGXTn0xg==\n"
	"ns.nsec.test. 300 IN A 192.0.2.1\n"
	"ns.nsec.test. 300 IN RRSIG A 13 3 300 20370101000000 20260101000000 13524 nsec.test. n7KLhBVJA8cVvUu5CtnvTCq3EsZtB1HU9PPcHdJp7F6CtCmlCXqp+uBQnFBy/9C6s5XAvqnDiC7Zk8Ln8rVnFw==\n"
	"ns.nsec.test. 60 IN NSEC sec.nsec.test. A RRSIG NSEC \n"
	"ns.nsec.test. 60 IN RRSIG NSEC 13 3 60 20370101000000 20260101000000 13524 nsec.test. gJKhIkOrJviK0qwxlTHXoSszTL/L6ebmgF22UWH+DzqFk6K0MWq+cAXRcfZnLKOzHfAF+PQGWyKGzqnLW3Y5nw==\n"
	"sec.nsec.test. 300 IN NS ns.sec.nsec.test.\n"
	"sec.nsec.test. 300 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"sec.nsec.test. 300 IN RRSIG DS 13 3 300 20370101000000 20260101000000 13524 nsec.test. cesOD7nGrY0chK+rjE2dT740e8y70mhvRbywGcnC0+3xZxLKxobGNDq3vBuBU1zljLb48MbBG1gDz9N2wyohSA==\n"
	"sec.nsec.test. 60 IN NSEC *.wild.nsec.test. NS DS RRSIG NSEC \n"
	"sec.nsec.test. 60 IN RRSIG NSEC 13 3 60 20370101000000 20260101000000 13524 nsec.test. zaaVXYyqDo1EBZCTL8FZoP6sNyBzyj22noB1pUA1e5y2QdbhTFebMPdJPQGGIHCaKL8PfX3nqa4Qo2FW2gPZ/A==\n"
	"ns.sec.nsec.test. 300 IN A 192.0.2.4\n"
	"*.wild.nsec.test. 300 IN TXT \"w\"\n"
	"*.wild.nsec.test. 300 IN RRSIG TXT 13 3 300 20370101000000 20260101000000 13524 nsec.test. rZP3SPJRuElOm7r29EL3k1Em5hwcvX6ned1Q0ABjzEpFvw+YRahgEi1lMycOfONfqvDzMlWQ19cNIIvyTmc9fw==\n"
	"*.wild.nsec.test. 60 IN NSEC www.nsec.test. TXT RRSIG NSEC \n"
	"*.wild.nsec.test. 60 IN RRSIG NSEC 13 3 60 20370101000000 20260101000000 13524 nsec.test. qCqbPZ0Gp5t45iTcHwcr1tq13UTq+0OgQHBQpPOxsR/gmEwGkJP3XTkX4TbLuAOQmWXBncc0RLjsl/zlF7huTg==\n"
	"www.nsec.test. 300 IN A 192.0.2.2\n"
	"www.nsec.test. 300 IN RRSIG A 13 3 300 20370101000000 20260101000000 13524 nsec.test. W9HL1/wWWLidllnpGirLp5jSdrxq85pP7uBi+LyNaqNCS3E33rIorXmWzzgmOQUjsDJVSkJ+ZHNFSmb58+m4tg==\n"
	"www.nsec.test. 300 IN AAAA 2001:db8::2\n"
	"www.nsec.test. 300 IN RRSIG AAAA 13 3 300 20370101000000 20260101000000 13524 nsec.test. M3jtLptp2cFnx712Vd7hBM4dkq85WtSJRbVesCmCx+UQ7SxxwDl/ZjqOVa3w4j1ej2eCE6Tb0HEMlQs35h8Abg==\n"
	"www.nsec.test. 60 IN NSEC nsec.test. A AAAA RRSIG NSEC \n"
	"www.nsec.test. 60 IN RRSIG NSEC 13 3 60 20370101000000 20260101000000 13524 nsec.test. XV1JwKOIOhUxI2C4v4xP9q9nyR1TbHFCnA6Y2FjjLilue7WsGC3m2K3FEaBw/UAJ1mMKQbCOFo46Bxf08Vvcow==\n";

/* nsec3.test., signed by ldns-signzone (ECDSAP256SHA256, NSEC3 opt-out) */
static const char nsec3_test[] =
	"nsec3.test. 300 IN SOA ns.nsec3.test. hm.nsec3.test. 1 3600 600 86400 60\n"
	"nsec3.test. 300 IN RRSIG SOA 13 2 300 20370101000000 20260101000000 29336 nsec3.test. yHyIWRAfOBEs4cj+1b7DXnolzmKpeSyVKcwPd3yN1IOuu1Yaod4Cc4ZP+4vihChyNcTPJFsIQ+XyJah4Y3tonw==\n"
	"nsec3.test. 300 IN NS ns.nsec3.test.\n"
	"nsec3.test. 300 IN RRSIG NS 13 2 300 20370101000000 20260101000000 29336 nsec3.test. 61HkOiXEvQn/w8CmTVIlgP57j+NZEFXTivQQR4q+EfE7gBFs2xpW4z3Agw5nOhA3hXYiDKZjHFf+NlVjlKEZUg==\n"
	"nsec3.test. 300 IN DNSKEY 256 3 13 9Cjo+KEpKPQvVFAXSUrIL6tX0R4K6Dofa/EqLGcXkuEu/H2wTzNpDTi6nryTmMSoGDzC3BOhU5GF39wYJ2qEfg== ;{id = 29336 (zsk), size = 256b}\n"
	"nsec3.test. 300 IN DNSKEY 257 3 13 KDo/s32uXPOeEs8R2PFPdIPjPoHA2C82Hb8VLlzY/cIR145g6MQTBGn+9R6DDilXbQh4Ff5I66P1YmhzpnAV0w== ;{id = 44236 (ksk), size = 256b}\n"
	"nsec3.test. 300 IN RRSIG DNSKEY 13 2 300 20370101000000 20260101000000 44236 nsec3.test. WDcwkovlAOAn6U9x3v43A7oKo0grdSZPqebjWl6EGv/zUVw4B7bnM2xSANiKhYC/lUJHVvaur0tAQ7HWaPR/mA==\n"
	"nsec3.test. 3600 IN NSEC3PARAM 1 0 0 - \n"
	"nsec3.test. 3600 IN RRSIG NSEC3PARAM 13 2 3600 20370101000000 20260101000000 29336 nsec3.test. tVgTrQFPSZvoitFFOy54LTZIlUpvwTS1ri8xSBIaAhwQzNlEQtE+rVUyybHucXFB5sU9Hy/NFmFwN48qNulcUg==\n"
	"0madr2c2o78cqsoquiejtbeh6gfgb0ff.nsec3.test. 60 IN NSEC3 1 1 0 -  35jtmrqeffgoh561ojgvun7v8epbqv8b NS SOA RRSIG DNSKEY NSEC3PARAM \n"
	"0madr2c2o78cqsoquiejtbeh6gfgb0ff.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. QkSACoyy6dWvS0CtaK11b3pLjen8LMRXh3sdxzTG4T777s3q/tFqv27czr+7Qd24YfNtW849KVDaKJvCX/tuLA==\n"
	"alias.nsec3.test. 300 IN CNAME www.nsec3.test.\n"
	"alias.nsec3.test. 300 IN RRSIG CNAME 13 3 300 20370101000000 20260101000000 29336 nsec3.test. lDa0Cwxg0+N3xZxJeuX6fvhGdQZ3uldJtyzGHoRaJ7l9MhrJc2O3h0RA2UgeX5aVwfj9+CBu1blzql954Jot8Q==\n"
	"p8bv8vfl48k8n4to2rf54opog5btjpi5.nsec3.test. 60 IN NSEC3 1 1 0 -  r2ca2qe5l7ip1o619mp5snm1kneds7er CNAME RRSIG \n"
	"p8bv8vfl48k8n4to2rf54opog5btjpi5.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. SLVZRorzunffSQ0RyzGUTTPl9KhW+f7HHl/pA7nC4BtmrTXAB3lY45LquGgQClSLycsMNTy5jvUgFqnnBQ7JzA==\n"
	"dn.nsec3.test. 300 IN DNAME www.example.com.\n"
	"dn.nsec3.test. 300 IN RRSIG DNAME 13 3 300 20370101000000 20260101000000 29336 nsec3.test. 0h4yI6b/IxUKNknMlWjoe18ktbBGodk51lGYiw9aPOK82p2v46qpwBOetqzwbczfQ3SANDzVOMPQbZWgeXZIUQ==\n"
	"36pjm4m3c3hspk8m1kh1i4pj99g73n7v.nsec3.test. 60 IN NSEC3 1 1 0 -  8pbuads05mac49qk5jdnals59la6oa4s DNAME RRSIG \n"
	"36pjm4m3c3hspk8m1kh1i4pj99g73n7v.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. mIm62eEAtnQZORFPh7t0yYssgKFkGTURdYXcqgGJvDSGONKjBs4RCRLAjZfG42seL6RNxcJuWKmxKZ6baf9LmQ==\n"
	"enpupj05c84j6m6b4ve9lvlhgtul912k.nsec3.test. 60 IN NSEC3 1 1 0 -  i21nnev0fdg0j8amgrph1mcomc218q51\n"
	"enpupj05c84j6m6b4ve9lvlhgtul912k.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. ScysJ0ASdMuNDKFvCr9M5sKEab9wbHciUW4Vqd9nLeZpneclVhLX5lkT07epy2Ysz13h5T9B0yESj4LKJvbXkQ==\n"
	"scfaci74usuhn5ihuofuidqjfdt8fppv.nsec3.test. 60 IN NSEC3 1 1 0 -  0madr2c2o78cqsoquiejtbeh6gfgb0ff\n"
	"scfaci74usuhn5ihuofuidqjfdt8fppv.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. WQQUrQHR152r3n6niw8FRM4HidXWVbGXwtEdI0YouF1fECQz6LDuYuJDfwjZ+IljR/dLF4ScV4sHdiF/JVGgQA==\n"
	"a.b.ent.nsec3.test. 300 IN A 192.0.2.3\n"
	"a.b.ent.nsec3.test. 300 IN RRSIG A 13 5 300 20370101000000 20260101000000 29336 nsec3.test. g5kKvClSWKqNSePgfocQW91cDhgdLINFXRumdcden045VezOmZg7cxqlXWa748TRD+i/3Wpof7dLdPONpUogaw==\n"
	"d7qv5gk44vuvai0e4nd77ju2ov4o0hmn.nsec3.test. 60 IN NSEC3 1 1 0 -  enpupj05c84j6m6b4ve9lvlhgtul912k A RRSIG \n"
	"d7qv5gk44vuvai0e4nd77ju2ov4o0hmn.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. XU1yvAOwmhpbQA7gOE5AEcvmSfebFm1RLlC8sJvWQKn0eL8h05jbInI7hNbSE6m4SaeObDIqrygGSG/9vU10JA==\n"
	"insec.nsec3.test. 300 IN NS ns.example.net.\n"
	"kdv60sqdd5jkfrrfh02mt0sr4giil6c3.nsec3.test. 60 IN NSEC3 1 1 0 -  mkam7lc8bq7rs9a3iori61sii0cni62b NS \n"
	"kdv60sqdd5jkfrrfh02mt0sr4giil6c3.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. KATmkZ31VFIvxHi6czhpkkFTcjVcrYpCkKVsZTqL7ggM5JbNROCZ/p1FtrjBc26b3lOGOhfG1N+ATJ8gQQySjQ==\n"
	"mx.nsec3.test. 300 IN MX 10 www.nsec3.test.\n"
	"mx.nsec3.test. 300 IN RRSIG MX 13 3 300 20370101000000 20260101000000 29336 nsec3.test. PyAsWrgNi3HH+vJqeb101nMvfKkGth46J/tmxw9jFMT5rTxzNgkL2o/w6KHWZDe0Y9RELFhDL/0g90kspal57Q==\n"
	"i21nnev0fdg0j8amgrph1mcomc218q51.nsec3.test. 60 IN NSEC3 1 1 0 -  kdv60sqdd5jkfrrfh02mt0sr4giil6c3 MX RRSIG \n"
	"i21nnev0fdg0j8amgrph1mcomc218q51.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. LRyV2SBcvqBhQf4FALIXZHoeJ2Vrh56gncUTMtvtplGuUG01zOdxJbTOh07lK2vDzFnOeXVMydzBsCtsh9we4Q==\n"
	"ns.nsec3.test. 300 IN A 192.0.2.1\n"
	"ns.nsec3.test. 300 IN RRSIG A 13 3 300 20370101000000 20260101000000 29336 nsec3.test. 1OPRPVkkgFj282fvY0DdXvaQDNkw+Qly3S7vE7vpuiIBtIsn63jBArsRu62UnZnOfGC/1ZLCERDecC2eBUaU8w==\n"
	"auule8ie240lqpj657b2hojpftklvld3.nsec3.test. 60 IN NSEC3 1 1 0 -  d7qv5gk44vuvai0e4nd77ju2ov4o0hmn A RRSIG \n"
	"auule8ie240lqpj657b2hojpftklvld3.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. yqf39VTfFIerQ3HYwy19uOTQrZJbqF93/N+2TKpQqdDTYxTpZcHx9iBCw8FCV5BigbeSpq5q0u7CWkFQC2qCEQ==\n"
	"sec.nsec3.test. 300 IN NS ns.sec.nsec3.test.\n"
	"sec.nsec3.test. 300 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"sec.nsec3.test. 300 IN RRSIG DS 13 3 300 20370101000000 20260101000000 29336 nsec3.test. 6s9TuHm5mHUQIFsClkZVwt0QgLqGdmuDqF0F5wRxsG1RcJpBlWNLF/wkq1C3KDUXUR2BfDxqv06rbnwSgshRUw==\n"
	"mkam7lc8bq7rs9a3iori61sii0cni62b.nsec3.test. 60 IN NSEC3 1 1 0 -  p8bv8vfl48k8n4to2rf54opog5btjpi5 NS DS RRSIG \n"
	"mkam7lc8bq7rs9a3iori61sii0cni62b.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. pxRkZE8ib8HaeNqM+pCtUooB73u3FDiP/fNp1ucAvscUAKv/cXC1ovLO2bBqZRZaLbhV6eoMCZv92mgEXnCplA==\n"
	"ns.sec.nsec3.test. 300 IN A 192.0.2.4\n"
	"8pbuads05mac49qk5jdnals59la6oa4s.nsec3.test. 60 IN NSEC3 1 1 0 -  auule8ie240lqpj657b2hojpftklvld3\n"
	"8pbuads05mac49qk5jdnals59la6oa4s.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. Ah3g2p7V1Au6v7gUrHiSO09Vt61VZ9kTSfXSCec14k2017c3U7d3TQNMYHVUhyA7TI7dx3hSox5ZOts14skUlQ==\n"
	"*.wild.nsec3.test. 300 IN TXT \"w\"\n"
	"*.wild.nsec3.test. 300 IN RRSIG TXT 13 3 300 20370101000000 20260101000000 29336 nsec3.test. meLqzaGXIoHcRs+HJRP589s+ajfdi7HBQ7TZH16T9/dfTX9qJveALHHcTtZ96klo3kA93yDFVYz8ElRovWAHTQ==\n"
	"r2ca2qe5l7ip1o619mp5snm1kneds7er.nsec3.test. 60 IN NSEC3 1 1 0 -  scfaci74usuhn5ihuofuidqjfdt8fppv TXT RRSIG \n"
	"r2ca2qe5l7ip1o619mp5snm1kneds7er.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. LxfBICoSPc+cUDnNCanXlyLglVLTZc1/5F9BBpoGdGv6pyeDqUiwgsihL0mbGx13vdaR0jEMFJrr0PrNGZGCBw==\n"
	"www.nsec3.test. 300 IN A 192.0.2.2\n"
	"www.nsec3.test. 300 IN RRSIG A 13 3 300 20370101000000 20260101000000 29336 nsec3.test. UkqpiPbJiOLFWt/Liel17gn7NOMFkD4z6E6zdfc7+qP7Eg9jX3785BgONv/VgROXV5Ww4qZSMUbXC0e8i4kS5A==\n"
	"www.nsec3.test. 300 IN AAAA 2001:db8::2\n"
	"www.nsec3.test. 300 IN RRSIG AAAA 13 3 300 20370101000000 20260101000000 29336 nsec3.test. TWVxDl+g8G1trQMfclCuaCgeJKKafQgVuyWbMWayeE9zwKJnmuOtwqfyQleYhRADlAZ1HfiVWhKCUdewjRpMsA==\n"
	"35jtmrqeffgoh561ojgvun7v8epbqv8b.nsec3.test. 60 IN NSEC3 1 1 0 -  36pjm4m3c3hspk8m1kh1i4pj99g73n7v A AAAA RRSIG \n"
	"35jtmrqeffgoh561ojgvun7v8epbqv8b.nsec3.test. 60 IN RRSIG NSEC3 13 3 60 20370101000000 20260101000000 29336 nsec3.test. RoS1uU9jnycxUWdAmPor/CiLQGhoJhkkjVjDKrms2aqrO8ggX0AKP5xU+K4vcp6IdapBClb38g/mr3z1hp5jWA==\n";

static void on_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	if (error)
		fprintf(stderr, "fuzz_server zone data: %s:%u: %s\n", file, line, msg);
}

static db_zone *load(const char *origin, const char *text)
{
	uint8_t name[TERN_NAME_MAX];
	size_t len;
	FUZZ_CHECK(tern_name_from_text(origin, strlen(origin), NULL, name, &len) == 0);
	db_diag diag = {.fn = on_diag};
	db_zone *z = zone_load_string(name, origin, text, &diag);
	FUZZ_CHECK(z != NULL);
	return z;
}

static const char local_data[] =
	"local.example.org. 60 IN A 192.0.2.201\n"
	"local.example.org. 60 IN TXT \"local\"\n"
	"tozone.example.org. 60 IN CNAME chain1.example.com.\n"
	"tocache.example.org. 60 IN CNAME c1.cached.test.\n"
	"www.example.com. 60 IN TXT \"local shadows zone\"\n"
	"*.wild.example.org. 60 IN A 192.0.2.202\n"
	"static.example.org. 60 IN SOA ns.example.org. h.example.org. 1 2 3 4 5\n"
	"host.static.example.org. 60 IN A 192.0.2.203\n"
	"redirect.example.org. 60 IN CNAME chain1.example.com.\n";

/* The policy: local zones of each type, a block list, RPZ triggers of each
 * action (a local-data CNAME leading into a zone). */
static const char block_list[] = "ads.example.org\n0.0.0.0 track.example.com tracker.cached.test\n";
static const char rpz_zone[] = "@ SOA a. b. 1 2 3 4 5\nnx.rpz.test CNAME .\nnd.rpz.test CNAME *.\n"
                               "*.w.rpz.test CNAME .\nok.w.rpz.test CNAME rpz-passthru.\n"
                               "drop.rpz.test CNAME rpz-drop.\ntcp.rpz.test CNAME rpz-tcp-only.\n"
                               "data.rpz.test A 192.0.2.9\ndata.rpz.test TXT \"x\"\n"
                               "cn.rpz.test CNAME chain1.example.com.\n*.cn.rpz.test CNAME c1.cached.test.\n";

static policy *the_policy(void)
{
	static policy p;
	atomic_init(&p.refs, 1);
	pol_names_init(&p.lzones);
	static const struct {
		const char *name;
		uint8_t type;
	} lz[] = {{"static.example.org.", POL_LZ_STATIC},       {"refuse.example.org.", POL_LZ_REFUSE},
	          {"redirect.example.org.", POL_LZ_REDIRECT},   {"nx.example.org.", POL_LZ_NXDOMAIN},
	          {"deny.example.org.", POL_LZ_DENY},           {"always.example.org.", POL_LZ_ALWAYS_REFUSE},
	          {"example.org.", POL_LZ_TRANSPARENT}};
	for (size_t i = 0; i < sizeof lz / sizeof *lz; i++) {
		uint8_t w[TERN_NAME_MAX];
		size_t len;
		FUZZ_CHECK(tern_name_from_text(lz[i].name, strlen(lz[i].name), NULL, w, &len) == 0);
		FUZZ_CHECK(pol_names_add(&p.lzones, w, lz[i].type, lz[i].type) == 0);
	}
	pol_names_init(&p.global.names);
	p.global.answer = POL_ANS_NULL;
	p.global.ttl = 60;
	p.global.ups = -1;
	fuzz_quiet();
	FUZZ_CHECK(pol_list_load_text(&p.global.names, "fuzz", block_list, strlen(block_list), false) == 3);
	pol_text t = {0};
	FUZZ_CHECK(rpz_load_text(&p.global.names, &t, "fuzz", rpz_zone, strlen(rpz_zone)) == 10);
	fuzz_loud();
	db_diag diag = {.fn = on_diag};
	p.global.rpz_data = zone_load_local("rpz", t.p, &diag);
	FUZZ_CHECK(p.global.rpz_data != NULL);
	free(t.p);
	return &p;
}

/* Dropped on purpose: a deny local zone, an RPZ rpz-drop. */
static bool deliberately_dropped(const tern_query *q)
{
	return q->qclass == TERN_C_IN &&
	       (tern_name_is_sub(q->qname, (const uint8_t *)"\4deny\7example\3org") ||
	        tern_name_eq(q->qname, (const uint8_t *)"\4drop\3rpz\4test"));
}

static const uint8_t c1_name[] = "\2c1\6cached\4test";

/* A fresh cache for one input: c1 -> c2 (CNAMEs), c2 A; nodata NODATA for
 * AAAA; nx NXDOMAIN. */
static cache *fresh_cache(void)
{
	cache_opts o = {.max_bytes = 1 << 16, .stripes = 2, .stale_window = 3600};
	cache *c = cache_new(&o);
	FUZZ_CHECK(c != NULL);
	static const uint8_t c2[] = "\2c2\6cached\4test";
	static const uint8_t nodata[] = "\6nodata\6cached\4test";
	static const uint8_t nx[] = "\2nx\6cached\4test";
	static const uint8_t soa_owner[] = "\6cached\4test";
	static const uint8_t soa[] = "\2ns\6cached\4test\0\2hm\6cached\4test\0"
	                             "\0\0\0\1\0\0\16\20\0\0\2\130\0\1\121\200\0\0\1\54";
	uint8_t set[2 + sizeof c2];
	uint16_t l = sizeof c2;
	memcpy(set, &l, 2);
	memcpy(set + 2, c2, sizeof c2);
	FUZZ_CHECK(cache_put_rrset(c, c1_name, TERN_T_CNAME, 300, 1, set, sizeof set, 1000) == 0);
	uint8_t a[2 + 4] = {0, 0, 192, 0, 2, 77};
	l = 4;
	memcpy(a, &l, 2);
	FUZZ_CHECK(cache_put_rrset(c, c2, TERN_T_A, 300, 1, a, sizeof a, 1000) == 0);
	FUZZ_CHECK(cache_put_negative(c, nodata, TERN_T_AAAA, 60, soa_owner, soa, sizeof soa - 1, 1000) == 0);
	FUZZ_CHECK(cache_put_negative(c, nx, CACHE_NXDOMAIN, 60, soa_owner, soa, sizeof soa - 1, 1000) == 0);
	return c;
}

/* Built once; read-only after (but for the cache pointer, set per input). */
static version *the_version(void)
{
	static version v;
	static bool ready;
	if (ready)
		return &v;
	config_init(&v.cfg);
	v.cfg.version = strdup("ternd fuzz");
	v.cfg.identity = strdup("fuzz.example");
	v.cfg.nsid = true;
	FUZZ_CHECK(v.cfg.version && v.cfg.identity);
	/* fuzz_tsig.c's first key: its seeds reach the TSIG check (BADTIME
	 * with their fixed time, BADSIG when altered) */
	FUZZ_CHECK(config_add_key(&v.cfg, "k1.example", "hmac-sha256", "ZnV6ei10c2lnLXNlY3JldC1zaGEyNTYtMzJieXRlcyE=",
	                          "fuzz") == 0);
	db_zone **zones = malloc(5 * sizeof *zones);
	FUZZ_CHECK(zones != NULL);
	zones[0] = load("example.com.", example_com);
	zones[1] = load("child.example.com.", child_example_com);
	zones[2] = load("other.test.", other_test);
	zones[3] = load("nsec.test.", nsec_test);
	zones[4] = load("nsec3.test.", nsec3_test);
	v.zones = db_set_new(zones, 5);
	FUZZ_CHECK(v.zones != NULL);
	db_diag diag = {.fn = on_diag};
	v.local = zone_load_local("local-data", local_data, &diag);
	FUZZ_CHECK(v.local != NULL);
	v.policy = the_policy();
	v.cfg.serve_stale = 3600;
	static resolver res;
	static upstream_set sets[1];
	static upstreams ups;
	sets[0].n = 1; /* zone "." (all zeros), one upstream; never contacted */
	res.table = fwd_table_new(100);
	FUZZ_CHECK(res.table != NULL);
	ups.sets = sets;
	ups.nsets = 1;
	atomic_init(&ups.refs, 1);
	res.max_waiters = 100;
	v.res = &res;
	v.ups = &ups;
	v.generation = 1;
	ready = true;
	return &v;
}

static uint8_t out[65536]; /* scratch */

static bool it_flags_ra(const uint8_t *pkt)
{
	return (tern_get_u16(pkt + 2) & TERN_F_RA) != 0;
}

/* What an upstream might have said about (name, type): one A record for
 * type A, else a failure (serve stale, or SERVFAIL). */
static void made_up_result(const qctx *ctx, fwd_result *fr)
{
	memset(fr, 0, offsetof(fwd_result, data));
	size_t nl = tern_name_len(ctx->name);
	memcpy(fr->name, ctx->name, nl);
	fr->qtype = ctx->type;
	fr->soa_off = 0xffff;
	if (ctx->type != TERN_T_A) {
		fr->failed = true;
		fr->rcode = TERN_R_SERVFAIL;
		return;
	}
	fr->rcode = TERN_R_NOERROR;
	fr->nrr = 1;
	memcpy(fr->data, ctx->name, nl);
	uint8_t *p = fr->data + nl;
	tern_put_u16(p, TERN_T_A);
	tern_put_u32(p + 2, 60);
	tern_put_u16(p + 6, 4);
	memcpy(p + 8, "\xc0\x00\x02\x63", 4);
	fr->len = nl + 12;
}

static void check_response(const version *v, const uint8_t *pkt, size_t len, const qctx *ctx, size_t n)
{
	bool tcp = ctx->tcp;
	tern_query q;
	enum tern_qparse pr = tern_query_parse(pkt, len, &q);
	if (pr == TERN_Q_DROP) {
		FUZZ_CHECK(n == 0 && !ctx->forward);
		return;
	}
	if (ctx->forward) {
		FUZZ_CHECK(n == 0 && ctx->allowed && pr == TERN_Q_OK && (q.hdr.flags & TERN_F_RD));
		FUZZ_CHECK(tern_name_len(ctx->name) <= TERN_NAME_MAX && ctx->type == q.qtype);
		return;
	}
	if (ctx->xfr) { /* zone transfers go to xfr_respond (fuzz_xfr.c) */
		FUZZ_CHECK(n == 0 && pr == TERN_Q_OK && q.qclass == TERN_C_IN &&
		           (q.qtype == TERN_T_AXFR || q.qtype == TERN_T_IXFR));
		return;
	}
	if (ctx->update) { /* UPDATE goes to the updater thread (xfr/updater.c; fuzz_update.c) */
		FUZZ_CHECK(n == 0 && pr == TERN_Q_OK && TERN_OPCODE(q.hdr.flags) == TERN_OP_UPDATE);
		return;
	}
	if (n == 0 && pr == TERN_Q_OK && deliberately_dropped(&q))
		return;
	FUZZ_CHECK(n >= TERN_HDR_LEN); /* everything else gets an answer */
	if (it_flags_ra(out) && !ctx->allowed)
		FUZZ_CHECK(!"RA set for a client the ACL refuses");
	size_t limit = TERN_UDP_MIN;
	if (tcp)
		limit = TERN_MSG_MAX;
	else if (q.edns && q.edns_size > TERN_UDP_MIN)
		limit = q.edns_size < v->cfg.udp_max ? q.edns_size : v->cfg.udp_max;
	FUZZ_CHECK(n <= limit);

	tern_msg_iter it;
	FUZZ_CHECK(tern_msg_iter_init(&it, out, n) == 0);
	FUZZ_CHECK(it.hdr.id == q.hdr.id);
	FUZZ_CHECK(it.hdr.flags & TERN_F_QR);
	FUZZ_CHECK(TERN_OPCODE(it.hdr.flags) == TERN_OPCODE(q.hdr.flags));
	FUZZ_CHECK(it.hdr.count[TERN_S_QUESTION] == (q.question_end ? 1 : 0));
	unsigned rcode = TERN_RCODE(it.hdr.flags);
	/* AA also on YXDOMAIN (RFC 6672 2.2: a DNAME substitution too long),
	 * and on SERVFAIL after an authoritative CNAME/DNAME chain whose
	 * upstream part failed (AA is kept from the zones' part; reported, and
	 * allowed here so that the harness checks everything else). */
	if (it.hdr.flags & TERN_F_AA)
		FUZZ_CHECK(rcode == TERN_R_NOERROR || rcode == TERN_R_NXDOMAIN || rcode == TERN_R_YXDOMAIN ||
		           rcode == TERN_R_SERVFAIL);

	tern_rr rr;
	int r;
	unsigned nopt = 0, ntsig = 0;
	while ((r = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section == TERN_S_QUESTION) {
			FUZZ_CHECK(rr.owner_len == q.qname_len && memcmp(rr.owner, q.qname, q.qname_len) == 0);
			FUZZ_CHECK(rr.type == q.qtype && rr.cls == q.qclass);
			continue;
		}
		if (rr.type == TERN_T_OPT) {
			FUZZ_CHECK(rr.section == TERN_S_ADDITIONAL && rr.owner_len == 1);
			nopt++;
			continue;
		}
		if (rr.type == TERN_T_TSIG) { /* only in answer to a signed query (RFC 8945) */
			FUZZ_CHECK(q.tsig_off && rr.section == TERN_S_ADDITIONAL && rr.cls == TERN_C_ANY);
			ntsig++;
			continue;
		}
		FUZZ_CHECK(rr.cls == q.qclass);
		static uint8_t rd[65536];
		size_t rdlen;
		tern_rd rdr;
		tern_rd_init(&rdr, out, n);
		rdr.pos = rr.rdata_off;
		FUZZ_CHECK(tern_rdata_unpack(&rdr, rr.type, rr.rdlen, rd, sizeof rd, &rdlen) == 0);
		FUZZ_CHECK(rdr.pos == rr.rdata_off + rr.rdlen);
	}
	FUZZ_CHECK(r == 0 && it.r.pos == n);
	bool want_opt = q.edns && (pr == TERN_Q_OK || pr == TERN_Q_BADVERS || pr == TERN_Q_FORMERR);
	FUZZ_CHECK(nopt == (want_opt ? 1u : 0u));
	tern_tsig_rr t; /* one TSIG at most, the last record */
	FUZZ_CHECK(tern_tsig_find(out, n, &t) == (ntsig ? 1 : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	version *v = the_version();
	v->res->cache = fresh_cache();
	static fwd_result fr;
	for (int i = 0; i < 4; i++) {
		bool debug = i == 3; /* once per input with the debug line (querylog.c) */
		if (debug) {
			fuzz_quiet();
			log_set_level(LOG_DEBUG);
		}
		qctx ctx = {.tcp = i & 1, .allowed = i & 2, .now_ms = 2000};
		size_t n = query_respond(v, data, size, out, sizeof out, &ctx);
		if (debug)
			query_log(v, data, size, &ctx, out, n);
		check_response(v, data, size, &ctx, n);
		if (ctx.forward) {
			made_up_result(&ctx, &fr);
			qctx again = {.tcp = ctx.tcp, .allowed = true, .now_ms = 2000, .fr = &fr};
			n = query_respond(v, data, size, out, sizeof out, &again);
			if (debug)
				query_log(v, data, size, &again, out, n);
			check_response(v, data, size, &again, n);
		}
		if (debug) {
			log_set_level(LOG_INFO);
			fuzz_loud();
		}
	}
	cache_free(v->res->cache);
	v->res->cache = NULL;
	return 0;
}
