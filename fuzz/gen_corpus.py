#!/usr/bin/python3
"""gen_corpus.py: writes the seed corpora under fuzz/corpus/NAME/.

    /usr/bin/python3 fuzz/gen_corpus.py

Seeds are small and meaningful: real queries and responses built with
dnspython, the malformed cases the hostile-traffic list names (pointer
loops, forward pointers, long labels, bad counts, two OPTs, ...), zone-file
snippets of every directive and many types, and configuration snippets.
Files are named for what they hold; regenerating rewrites the same bytes.
Files starting with crash- or regress- are reproducers of past findings,
kept by hand: this script never touches them."""
import os
import struct

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

HERE = os.path.dirname(os.path.abspath(__file__))


def out(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def q(name, rdtype="A", **kw):
    m = dns.message.make_query(name, rdtype, **kw)
    m.id = 0x1234
    return m.to_wire()


def hdr(id=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", id, flags, qd, an, ns, ar)


def wname(text):
    return dns.name.from_text(text).to_wire()


OPT = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)  # root OPT, no options

# ---- malformed packets (shared by msg, name and server) ----
MALFORMED = {
    "short-header": hdr()[:7],
    "header-only": hdr(qd=0),
    "empty": b"",
    "qd0": hdr(qd=0) + wname("example.com.") + b"\x00\x01\x00\x01",
    "qd2": hdr(qd=2) + (wname("example.com.") + b"\x00\x01\x00\x01") * 2,
    "count-too-big": hdr(an=5) + wname("example.com.") + b"\x00\x01\x00\x01",
    "truncated-question": hdr() + wname("example.com.")[:5],
    "pointer-loop": hdr() + b"\xc0\x0c\x00\x01\x00\x01",
    "pointer-loop-2": hdr() + b"\x01a\xc0\x0e\x01b\xc0\x0c\x00\x01\x00\x01",
    "forward-pointer": hdr() + b"\xc0\x12\x00\x01\x00\x01" + wname("example.com."),
    "pointer-past-end": hdr() + b"\xc3\xff\x00\x01\x00\x01",
    "label-64": hdr() + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",
    "name-256": hdr() + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01",
    "reserved-label-40": hdr() + b"\x41\x00\x00\x01\x00\x01",
    "reserved-label-80": hdr() + b"\x81\x00\x00\x01\x00\x01",
    "trailing-garbage": q("example.com.") + b"garbage",
    "two-opt": hdr(ar=2) + wname("example.com.") + b"\x00\x01\x00\x01" + OPT + OPT,
    "opt-in-answer": hdr(an=1) + wname("example.com.") + b"\x00\x01\x00\x01" + OPT,
    "opt-not-root": hdr(ar=1) + wname("example.com.") + b"\x00\x01\x00\x01" + wname("x.") + OPT[1:],
    "opt-bad-option-len": hdr(ar=1) + wname("example.com.") + b"\x00\x01\x00\x01"
    + b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 4) + struct.pack("!HH", 10, 200),
    "opt-cookie-bad-len": hdr(ar=1) + wname("example.com.") + b"\x00\x01\x00\x01"
    + b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 9) + struct.pack("!HH", 10, 5) + b"abcde",
    "edns-version-1": hdr(ar=1) + wname("example.com.") + b"\x00\x01\x00\x01"
    + b"\x00" + struct.pack("!HHIH", 41, 1232, 0x00010000, 0),
    "qr-set": hdr(flags=0x8100) + wname("example.com.") + b"\x00\x01\x00\x01",
    "opcode-notify": hdr(flags=0x2000) + wname("example.com.") + b"\x00\x06\x00\x01",
    "opcode-update-qd0": hdr(flags=0x2800, qd=0),
    "opcode-15": hdr(flags=0x7800) + wname("example.com.") + b"\x00\x01\x00\x01",
    "rdlen-past-end": hdr(an=1, flags=0x8180) + wname("example.com.") + b"\x00\x01\x00\x01"
    + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x40\x01\x02",
}


def gen_msg():
    queries = {
        "q-a": q("example.com."),
        "q-aaaa-edns": q("www.example.com.", "AAAA", use_edns=0),
        "q-mx-do": q("example.com.", "MX", want_dnssec=True),
        "q-any-tcp": q("example.com.", "ANY", use_edns=0, payload=65535),
        "q-txt-nsid": q("txt.example.com.", "TXT", use_edns=0, options=[dns.edns.GenericOption(3, b"")]),
        "q-cookie": q("example.com.", "SOA", use_edns=0, options=[dns.edns.GenericOption(10, b"\x01" * 8)]),
        "q-cookie-server": q("example.com.", "SOA", use_edns=0,
                             options=[dns.edns.GenericOption(10, b"\x01" * 8 + b"\x02" * 16)]),
        "q-ch-version": q("version.bind.", "TXT", rdclass="CH"),
        "q-axfr": q("example.com.", "AXFR"),
        "q-escaped-name": q("we\\.ird\\032name\\255.example.com.", "A"),
    }
    for k, v in queries.items():
        out("msg", k, v)
    # responses with many record types, compressed
    resp = dns.message.make_response(dns.message.make_query("example.com.", "ANY", use_edns=0))
    resp.id = 0x1234
    rrs = [
        ("example.com.", "SOA", "ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"),
        ("example.com.", "NS", "ns1.example.com."),
        ("example.com.", "MX", "10 mail.example.com."),
        ("example.com.", "TXT", '"v=spf1 mx -all" "two"'),
        ("example.com.", "CAA", '0 issue "ca.example.net"'),
        ("example.com.", "A", "192.0.2.1"),
        ("example.com.", "AAAA", "2001:db8::1"),
        ("example.com.", "DNSKEY", "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
        ("example.com.", "NSEC", "a.example.com. A NS SOA MX TXT AAAA RRSIG NSEC DNSKEY"),
        ("example.com.", "HTTPS", '1 . alpn="h2,h3" port=443 ipv4hint=192.0.2.1'),
    ]
    for owner, t, text in rrs:
        resp.answer.append(dns.rrset.from_text(owner, 3600, "IN", t, text))
    resp.additional.append(dns.rrset.from_text("ns1.example.com.", 3600, "IN", "A", "192.0.2.53"))
    out("msg", "r-any-many-types", resp.to_wire())
    r2 = dns.message.make_response(dns.message.make_query("nothere.example.com.", "A"))
    r2.id = 7
    r2.set_rcode(dns.rcode.NXDOMAIN)
    r2.authority.append(dns.rrset.from_text("example.com.", 300, "IN", "SOA",
                                            "ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"))
    out("msg", "r-nxdomain", r2.to_wire())
    r3 = dns.message.make_response(dns.message.make_query("www.sub.example.com.", "A"))
    r3.authority.append(dns.rrset.from_text("sub.example.com.", 3600, "IN", "NS", "ns.sub.example.com."))
    r3.additional.append(dns.rrset.from_text("ns.sub.example.com.", 3600, "IN", "A", "192.0.2.100"))
    out("msg", "r-referral", r3.to_wire())
    r4 = dns.message.make_response(dns.message.make_query("x.dn.example.com.", "A"))
    r4.answer.append(dns.rrset.from_text("dn.example.com.", 3600, "IN", "DNAME", "other.test."))
    r4.answer.append(dns.rrset.from_text("x.dn.example.com.", 3600, "IN", "CNAME", "x.other.test."))
    r4.answer.append(dns.rrset.from_text("x.other.test.", 3600, "IN", "A", "192.0.2.121"))
    out("msg", "r-dname-chain", r4.to_wire())
    # unknown type and bad RDATA for its type (shown generically)
    out("msg", "r-unknown-type", hdr(flags=0x8400, qd=0, an=1) + wname("x.") + struct.pack("!HHIH", 65534, 1, 60, 3) + b"\xab\xcd\xef")
    out("msg", "r-bad-a-rdata", hdr(flags=0x8400, qd=0, an=1) + wname("x.") + struct.pack("!HHIH", 1, 1, 60, 3) + b"\x01\x02\x03")
    out("msg", "r-mx-pointer-in-rdata", hdr(flags=0x8400, qd=1, an=1) + wname("example.com.") + b"\x00\x0f\x00\x01"
        + b"\xc0\x0c" + struct.pack("!HHIH", 15, 1, 60, 7) + b"\x00\x0a\x04mail\xc0\x0c")
    out("msg", "r-rdata-pointer-loop", hdr(flags=0x8400, qd=0, an=1) + wname("x.") + struct.pack("!HHIH", 5, 1, 60, 2) + b"\xc0\x17")
    for k, v in MALFORMED.items():
        out("msg", "bad-" + k, v)


def gen_name():
    out("name", "simple", wname("www.example.com."))
    out("name", "root", b"\x00")
    out("name", "compressed", hdr() + wname("example.com.") + b"\x03www\xc0\x0c" + b"\x04mail\xc0\x0c")
    out("name", "chain-of-pointers", hdr() + wname("com.") + b"\x07example\xc0\x0c\x03www\xc0\x11\xc0\x19")
    out("name", "escapes", wname("a\\.b.\\000\\255.\\\"q\\\".example."))
    out("name", "max-name", (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"b" * 61 + b"\x00")
    out("name", "max-label", b"\x3f" + bytes(range(63)) + b"\x00")
    out("name", "text-relative", b"www.sub")
    out("name", "text-escapes", b"\\065\\.x\\\\y.example.")
    out("name", "text-at", b"@")
    for k in ("pointer-loop", "pointer-loop-2", "forward-pointer", "pointer-past-end", "label-64",
              "name-256", "reserved-label-40", "reserved-label-80"):
        out("name", "bad-" + k, MALFORMED[k])


def gen_rdata():
    samples = [
        ("A", "192.0.2.1"), ("NS", "ns1.example.com."), ("CNAME", "www.example.com."),
        ("SOA", "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"),
        ("PTR", "www.example.com."), ("HINFO", '"PC" "Linux"'),
        ("MX", "10 mail.example.com."), ("TXT", '"hello" "wo\\"rld" "\\255\\000;()"'),
        ("RP", "hostmaster.example.com. txt.example.com."), ("AFSDB", "1 afs.example.com."),
        ("AAAA", "2001:db8::1"), ("LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"),
        ("SRV", "10 5 5060 sip.example.com."),
        ("NAPTR", '100 10 "S" "SIP+D2U" "!^.*$!sip:info@example.com!" _sip._udp.example.com.'),
        ("KX", "10 kx.example.com."), ("DNAME", "other.test."),
        ("DS", "12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
        ("SSHFP", "1 1 0123456789abcdef0123456789abcdef01234567"),
        ("RRSIG", "A 13 3 3600 20250101000000 20240101000000 12345 example.com. "
                  "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
        ("NSEC", "www.example.com. A NS SOA MX RRSIG NSEC TYPE65534"),
        ("DNSKEY", "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
        ("DHCID", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="),
        ("NSEC3", "1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG"),
        ("NSEC3PARAM", "1 0 0 -"),
        ("TLSA", "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
        ("CSYNC", "2024010101 3 A NS AAAA"),
        ("ZONEMD", "2024010101 1 1 " + "ab" * 48),
        ("SVCB", '1 svc.example.com. alpn="h2,h3" port=8443 ipv6hint=2001:db8::1 mandatory=alpn'),
        ("HTTPS", '1 . alpn="h2" ech=AEX+DQBBpQAgACB/bc6P3Zl9UXZ1upNUNtSO1ZNTt7IlBlbFxFJxTgB0IQAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA='),
        ("EUI48", "00-00-5e-00-53-2a"), ("EUI64", "00-00-5e-ef-10-00-00-2a"),
        ("URI", '10 1 "https://www.example.com/"'), ("CAA", '0 issue "ca.example.net; account=1"'),
        ("IPSECKEY", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
        ("APL", "1:192.168.32.0/21 !1:192.168.38.0/28 2:ff00::/8"),
        ("NID", "10 0014:4fff:ff20:ee64"), ("L32", "10 10.1.2.0"), ("L64", "10 2001:0DB8:1140:1000"),
        ("LP", "10 l64-subnet1.example.com."),
        ("CERT", "1 12345 8 MIIBIjAN"), ("WKS", "192.0.2.1 6 25 80"), ("OPENPGPKEY", "mQINBFit2jsBEADrbl5v"),
    ]
    for t, text in samples:
        try:
            rd = dns.rdata.from_text("IN", t, text, origin=dns.name.root, relativize=False)
        except Exception as e:
            raise SystemExit("%s %r: %s" % (t, text, e))
        code = dns.rdatatype.from_text(t)
        out("rdata", t.lower(), struct.pack("!H", code) + rd.to_wire())
    # generic and corner cases
    out("rdata", "minfo", struct.pack("!H", 14) + wname("a.example.") + wname("b.example."))
    out("rdata", "unknown-65534", struct.pack("!H", 65534) + b"\xab\xcd\xef")
    out("rdata", "null-empty", struct.pack("!H", 10))
    out("rdata", "opt-meta", struct.pack("!H", 41) + struct.pack("!HH", 3, 0))
    out("rdata", "mx-compressed", struct.pack("!H", 15) + b"\x00\x0a\x04mail\x07example\x00" + b"\x00\x14\x03mx2\xc0\x07")
    out("rdata", "txt-empty-string", struct.pack("!H", 16) + b"\x00")
    out("rdata", "nsec-bitmap-bad", struct.pack("!H", 47) + b"\x00" + b"\x00\x21" + b"\xff" * 33)
    out("rdata", "a-too-long", struct.pack("!H", 1) + b"\x01\x02\x03\x04\x05")
    out("rdata", "apl-empty", struct.pack("!H", 42))
    out("rdata", "apl-trailing-zero", struct.pack("!H", 42) + b"\x00\x01\x08\x02\x0a\x00")
    out("rdata", "ipseckey-name-gateway-no-key", struct.pack("!H", 45) + b"\x0a\x03\x00" + wname("gw.example."))
    out("rdata", "ipseckey-v6-gateway", struct.pack("!H", 45) + b"\x0a\x02\x02" + bytes(range(16)) + b"\x01\x02")
    out("rdata", "ipseckey-bad-gateway-type", struct.pack("!H", 45) + b"\x0a\x09\x02\x01")


ZONE_HEAD = "$ORIGIN example.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n  IN NS ns1\nns1 IN A 192.0.2.53\n"


def gen_zonefile():
    z = {
        "minimal": ZONE_HEAD,
        "directives": "$ORIGIN example.\n$TTL 1h30m\n@ SOA ns1 hm (\n 1 ; serial\n 2h 1h 2w 5m )\n NS ns1\n"
                      "ns1 A 192.0.2.1\n$ORIGIN sub.example.\nwww A 192.0.2.2\n$TTL 60\n@ 1D IN TXT \"x\"\n",
        "generate": ZONE_HEAD + "$GENERATE 1-20 host-$ A 192.0.2.$\n$GENERATE 10-30/5 h${0,3,d} 60 IN CNAME t${-1,4,x}.example.org.\n",
        "include-refused": ZONE_HEAD + "$INCLUDE other.zone\n",
        "many-types": ZONE_HEAD
        + "a A 192.0.2.1\naaaa AAAA 2001:db8::1\nmx MX 10 mail\ntxt TXT \"a\" \"b c\" unquoted\n"
        "srv SRV 1 2 3 t\nnaptr NAPTR 1 2 \"S\" \"x\" \"\" .\nds DS 1 13 2 0123456789abcdef\n"
        "loc LOC 52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m\nsshfp SSHFP 1 1 00ff\n"
        "caa CAA 128 tbs \"x\"\nsvcb SVCB 1 . alpn=h2,h3 port=53 no-default-alpn key65000=\"x\"\n"
        "https HTTPS 0 www\neui EUI48 00-00-5e-00-53-2a\neui64 EUI64 00-00-5e-ef-10-00-00-2a\n"
        "uri URI 1 1 \"u\"\nhinfo HINFO a b\ngeneric TYPE65534 \\# 2 abcd\ngeneric-a A \\# 4 c0000201\n"
        "rrsig RRSIG A 13 2 3600 20250101000000 20240101000000 1 example. AAAA\n"
        "nsec NSEC a.example. A TYPE1234\nnsec3 NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s\n"
        "nsec3param NSEC3PARAM 1 0 10 aabb\ndnskey DNSKEY 256 3 8 AwEAAQ==\ntlsa TLSA 3 1 1 ab\n"
        "csync CSYNC 1 0 A\nzonemd ZONEMD 1 1 1 " + "00" * 48 + "\nrp RP a.b. .\nkx KX 1 k\n"
        "minfo MINFO a b\nspf SPF \"v=spf1\"\ndhcid DHCID AAAA\nopenpgpkey OPENPGPKEY AAAA\n",
        "cuts-dname-wild": ZONE_HEAD
        + "sub NS ns.sub\nns.sub A 192.0.2.9\noccluded.sub A 192.0.2.10\ndn DNAME other.\nx.dn A 192.0.2.1\n"
        "*.wild A 192.0.2.99\n*.wild CNAME x\nloop1 CNAME loop2\nloop2 CNAME loop1\na.b.c.ent TXT ent\n",
        "errors": "$ORIGIN example.\nbad A 999.1.1.1\n@ NS\n$TTL\n$UNKNOWN x\nno-ttl A 1.2.3.4\n"
                  "x IN TYPE99999 \\# 1 00\ny CNAME a\ny A 192.0.2.1\n(\n",
        "two-soa": ZONE_HEAD + "@ SOA ns2 hm 2 1 1 1 1\n",
        "no-soa": "$ORIGIN example.\n$TTL 60\n@ NS ns1\nns1 A 192.0.2.1\n",
        "escapes-quotes": ZONE_HEAD + "\\@\\. TXT \"semi;colon\" \"paren(\" \"quote\\\"\" \\# \n"
                          "a\\032b A 192.0.2.1\n\"quoted-owner\" A 192.0.2.1\n",
        "crlf-blank-owner": ZONE_HEAD.replace("\n", "\r\n") + "www A 192.0.2.1\r\n    AAAA 2001:db8::1\r\n",
        "long-names": ZONE_HEAD + ("a" * 63 + ".") * 3 + " A 192.0.2.1\n" + "b" * 64 + " A 192.0.2.1\n",
        "ttl-units": ZONE_HEAD + "t1 1w2d3h4m5s A 192.0.2.1\nt2 2147483647 A 192.0.2.1\nt3 2147483648 A 192.0.2.1\n",
        "classes": ZONE_HEAD + "c1 CH TXT x\nc2 CLASS3 TXT y\nc3 3600 IN A 192.0.2.1\nc4 IN 3600 A 192.0.2.1\n",
        "local-data": "www.example.org. 60 A 192.0.2.1\nwww.example.org. AAAA 2001:db8::1\n",
        "nul-byte": ZONE_HEAD + "x A 192.0.2.1\x00\n",
        "new-types": ZONE_HEAD + "ipk IPSECKEY 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==\n"
                     "ipk IPSECKEY 10 3 0 gw\nipk IPSECKEY 10 0 2 . AQID\nipk IPSECKEY 1 2 2 2001:db8::1 AQID\n"
                     "apl APL 1:192.168.32.0/21 !1:192.168.38.0/28 2:FF00::/8\napl2 APL\n"
                     "nid NID 10 0014:4fff:ff20:ee64\nl32 L32 10 10.1.2.0\nl64 L64 10 2001:db8:1140:1000\n"
                     "lp LP 10 l64-subnet1\n",
        "signed-mnemonics": ZONE_HEAD + "@ DNSKEY 256 3 RSASHA1 AQID\n@ DNSKEY 257 3 ECDSAP256SHA256 AQID\n"
                            "@ 300 RRSIG NS RSASHA1 1 3600 21220222132804 20240101000000 1 example. AQID\n"
                            "@ 3600 RRSIG SOA ED25519 1 3600 20250101000000 20240101000000 1 example. AQID\n"
                            "sub NS ns.sub\nsub DS 1 RSASHA256 2 AABB\nsub RRSIG DS 8 2 3600 1 2 1 example. AQID\n",
        "checks": ZONE_HEAD + "@ NS ns2\n@ MX 10 mail\ndeleg NS ns.deleg\nwww CNAME www.example\n"
                  "c CNAME a.x.\nC CNAME A.X.\ndn DNAME a.\ndn DNAME b.\n"
                  "$GENERATE 1-2 g${2147483647} A 192.0.2.1\n",
    }
    for k, v in z.items():
        out("zonefile", k, v)


def gen_config():
    c = {
        "default": "server:\n    listen: 127.0.0.1:5353\n    listen: [::1]:5353\nzone:\n    name: example.com\n    file: example.com.zone\n",
        "all-server-options": "server:\n listen: 0.0.0.0\n listen: ::\n threads: 2\n version: \"ternd 1\"\n identity: ns1\n"
                              " nsid: yes\n udp-max-size: 1400\n tcp-idle-timeout: 5\n tcp-max-connections: 100\n"
                              " log-level: debug\n cache-size: 64m\n cache-min-ttl: 5\n cache-max-ttl: 3600\n"
                              " cache-max-negative-ttl: 60\n serve-stale: 86400\n forward-timeout: 1500\n max-inflight: 50\n"
                              " control: /run/ternd/ternd.ctl\n metrics: 127.0.0.1:9153\n metrics: bad\n",
        "forwarding": "server:\n forward: 192.0.2.53:53\n forward: [2001:db8::53]:5353\n forward-zone: corp.example=10.0.0.1\n"
                      " access-control: 192.168.0.0/16 allow\n access-control: 10.0.0.0/8 refuse\n"
                      " access-control: ::1 allow\n access-control: 2001:db8::/32 allow\n resolv-conf: resolv.conf\n",
        "local-data": "server:\n local-data: \"www.example.org. 60 A 192.0.2.1\"\n local-file: local.zone\n hosts-file: /etc/hosts\n",
        "forward-none": "server:\n forward: none\n",
        "dnssec-signing": "zone:\n name: example.com\n file: example.com.zone\n dnssec-signing: on\n"
                          " dnssec-algorithm: ed25519\n dnssec-denial: nsec3\n dnssec-signature-validity: 30\n"
                          " key-directory: keys\n",
        "errors": "server:\n listen: 999.1.1.1\n threads: 0\n nsid: maybe\n udp-max-size: 100\n bogus: 1\n"
                  "access-control: 10.0.0.0/33 allow\nzone:\n name: example.com\nfoo:\nkey without colon\n",
        "zone-missing-file": "zone:\n    name: example.net\n",
        "comments-quotes": "# comment\nserver: # trailing\n    version: \"a: b # c\"\n    identity: \"\"\n\n",
        "acl-edge": "server:\n access-control: 0.0.0.0/0 allow\n access-control: ::/0 refuse\n"
                    " access-control: 192.0.2.1/4294967328 allow\n access-control: 10.0.0.0/-1 allow\n",
        "long-line": "server:\n version: " + "v" * 5000 + "\n identity: x\n",
        "xfr-out": "server:\n xfr-max-concurrent: 3\nkey:\n name: k1\n secret: c2VjcmV0\nzone:\n name: example.com\n"
                   " file: e.zone\n allow-transfer: 192.0.2.0/24\n allow-transfer: ::1 key k1\n notify: 192.0.2.7:53\n"
                   " notify: [2001:db8::7] key k1\n journal-size: 10k\n",
        "xfr-out-errors": "server:\n xfr-max-concurrent: 0\nzone:\n name: example.com\n file: e.zone\n"
                          " allow-transfer: 192.0.2.0/33\n allow-transfer: 10.0.0.1 key\n allow-transfer: 10.0.0.1 key nokey\n"
                          " notify: 999.0.0.1\n notify: 10.0.0.1 kex k1\n journal-size: -1\n journal-size: 5q\n",
    }
    for k, v in c.items():
        out("config", k, v)


def gen_server():
    # names that the server harness's zones answer in every way
    names = [
        ("example.com.", "SOA"), ("example.com.", "NS"), ("www.example.com.", "A"), ("MiXeD.eXaMpLe.CoM.", "A"),
        ("example.com.", "MX"), ("_sip._udp.example.com.", "SRV"), ("chain1.example.com.", "A"),
        ("ChainX.example.com.", "AAAA"), ("loop-a.example.com.", "A"), ("out.example.com.", "A"),
        ("nothere.example.com.", "A"), ("a.b.ent.example.com.", "TXT"), ("b.ent.example.com.", "A"),
        ("anything.wild.example.com.", "MX"), ("x.y.wcname.example.com.", "A"), ("q.wcloop.example.com.", "A"),
        ("www.sub.example.com.", "A"), ("sub.example.com.", "DS"), ("www.child.example.com.", "A"),
        ("child.example.com.", "DS"), ("x.dn.example.com.", "A"), ("foo.bar.dn.example.com.", "TXT"),
        ("a.b.c.d.e.dnlong.example.com.", "A"), ("big.example.com.", "TXT"), ("bigger.example.com.", "TXT"),
        ("tc-chain.example.com.", "TXT"), ("mx.example.com.", "MX"), ("manyns.example.com.", "A"),
        ("www.example.net.", "A"), ("example.com.", "DNSKEY"), ("nsec3.example.com.", "NSEC3"),
    ]
    for i, (n, t) in enumerate(names):
        kw = {}
        if i % 3 == 1:
            kw = {"use_edns": 0, "payload": 1232}
        elif i % 3 == 2:
            kw = {"use_edns": 0, "payload": 4096, "want_dnssec": True}
        out("server", "q-%02d-%s-%s" % (i, n.rstrip(".").lower() or "root", t.lower()), q(n, t, **kw))
    # DO=1 against the signed zones: RRSIGs, NSEC/NSEC3 proofs, DS, truncation
    signed = [("www", "A"), ("nx", "A"), ("www", "TXT"), ("x.wild", "TXT"), ("x.wild", "A"), ("ent", "A"),
              ("a.nx.ent", "A"), ("alias", "A"), ("x.dn", "A"), ("x.sec", "A"), ("x.insec", "A"),
              ("sec", "DS"), ("insec", "DS"), ("", "DNSKEY"), ("www", "RRSIG"), ("mx", "MX"), ("", "ANY")]
    for zone in ("nsec.test.", "nsec3.test."):
        for n, t in signed:
            name = (n + "." if n else "") + zone
            out("server", "q-do-%s-%s-%s" % (zone.split(".")[0], n or "apex", t.lower()),
                q(name, t, use_edns=0, payload=1232, want_dnssec=True))
    out("server", "q-do-nsec3-owner", q("35jtmrqeffgoh561ojgvun7v8epbqv8b.nsec3.test.", "NSEC3", use_edns=0,
                                        want_dnssec=True))
    out("server", "q-do-512-nx", q("nx.nsec3.test.", "A", use_edns=0, payload=512, want_dnssec=True))
    out("server", "q-any-udp", q("example.com.", "ANY"))
    out("server", "q-any-edns", q("example.com.", "ANY", use_edns=0, payload=65535))
    out("server", "q-ch-version", q("version.bind.", "TXT", rdclass="CH"))
    out("server", "q-ch-id-nsid", q("id.server.", "TXT", rdclass="CH", use_edns=0,
                                    options=[dns.edns.GenericOption(3, b"")]))
    out("server", "q-axfr", q("example.com.", "AXFR"))
    out("server", "q-opt-qtype", q("example.com.", "OPT"))
    out("server", "q-class-hs", q("example.com.", "A", rdclass="HS"))
    out("server", "q-edns-512-big", q("big.example.com.", "TXT", use_edns=0, payload=100))
    for k in ("qd0", "qd2", "pointer-loop", "forward-pointer", "label-64", "two-opt", "opt-in-answer",
              "edns-version-1", "qr-set", "opcode-notify", "opcode-15", "trailing-garbage", "opt-cookie-bad-len",
              "short-header"):
        out("server", "bad-" + k, MALFORMED[k])


def resp(qname, qtype, answer=(), authority=(), additional=(), rcode=0, flags=None, edns=True):
    m = dns.message.make_response(dns.message.make_query(qname, qtype, use_edns=0 if edns else None))
    m.id = 0x4242
    m.set_rcode(rcode)
    if flags is not None:
        m.flags = flags
    for sec, rrs in ((m.answer, answer), (m.authority, authority), (m.additional, additional)):
        for owner, ttl, t, text in rrs:
            sec.append(dns.rrset.from_text(owner, ttl, "IN", t, text))
    return m.to_wire(max_size=65535)


SOA_TEXT = "ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"


def gen_upstream():
    u = {
        "a": resp("www.example.com.", "A", [("www.example.com.", 300, "A", "192.0.2.80")]),
        "a-two-records": resp("www.example.com.", "A", [("www.example.com.", 300, "A", "192.0.2.80"),
                                                         ("www.example.com.", 60, "A", "192.0.2.81")]),
        "aaaa": resp("www.example.com.", "AAAA", [("www.example.com.", 300, "AAAA", "2001:db8::80")]),
        "cname-chain": resp("a.example.com.", "A", [("a.example.com.", 60, "CNAME", "b.example.net."),
                                                     ("b.example.net.", 60, "CNAME", "c.example.org."),
                                                     ("c.example.org.", 60, "A", "192.0.2.1")]),
        "cname-loop": resp("a.example.com.", "A", [("a.example.com.", 60, "CNAME", "b.example.com."),
                                                    ("b.example.com.", 60, "CNAME", "a.example.com.")]),
        "cname-long": resp("c0.example.com.", "A", [("c%d.example.com." % i, 60, "CNAME", "c%d.example.com." % (i + 1))
                                                     for i in range(20)] + [("c20.example.com.", 60, "A", "192.0.2.20")]),
        "cname-query": resp("a.example.com.", "CNAME", [("a.example.com.", 60, "CNAME", "b.example.com.")]),
        "dname": resp("x.dn.example.com.", "A", [("dn.example.com.", 60, "DNAME", "other.test."),
                                                  ("x.dn.example.com.", 60, "CNAME", "x.other.test."),
                                                  ("x.other.test.", 60, "A", "192.0.2.121")]),
        "nxdomain": resp("nothere.example.com.", "A", authority=[("example.com.", 3600, "SOA", SOA_TEXT)], rcode=3),
        "nodata": resp("www.example.com.", "MX", authority=[("example.com.", 60, "SOA", SOA_TEXT)]),
        "nodata-no-soa": resp("www.example.com.", "MX"),
        "cname-then-nxdomain": resp("a.example.com.", "A", [("a.example.com.", 60, "CNAME", "gone.example.net.")],
                                    authority=[("example.net.", 900, "SOA", SOA_TEXT)], rcode=3),
        "soa-wrong-zone": resp("nothere.example.com.", "A", authority=[("example.org.", 3600, "SOA", SOA_TEXT)], rcode=3),
        "poison-extra-answer": resp("www.example.com.", "A", [("www.example.com.", 300, "A", "192.0.2.80"),
                                                              ("www.bank.test.", 86400, "A", "203.0.113.66")]),
        "poison-authority-ns": resp("www.example.com.", "A", [("www.example.com.", 300, "A", "192.0.2.80")],
                                    authority=[("com.", 86400, "NS", "ns.evil.test.")],
                                    additional=[("ns.evil.test.", 86400, "A", "203.0.113.66")]),
        "poison-unrelated-cname": resp("www.example.com.", "A", [("other.example.com.", 60, "CNAME", "evil.test."),
                                                                 ("www.example.com.", 60, "A", "192.0.2.80")]),
        "case-mixed": resp("WwW.ExAmPlE.cOm.", "A", [("www.EXAMPLE.com.", 300, "A", "192.0.2.80")]),
        "servfail": resp("www.example.com.", "A", rcode=2),
        "refused": resp("www.example.com.", "A", rcode=5),
        "truncated": resp("big.example.com.", "TXT", flags=0x8380),
        "txt-big": resp("big.example.com.", "TXT", [("big.example.com.", 60, "TXT", '"%s"' % ("x" * 250))] * 1
                        + [("big.example.com.", 60, "TXT", '"%d%s"' % (i, "y" * 240)) for i in range(30)]),
        "wrong-class-answer": resp("www.example.com.", "A", [("www.example.com.", 300, "A", "192.0.2.80")]).replace(
            b"\x00\x01\x00\x01\x00\x00\x01\x2c", b"\x00\x01\x00\x03\x00\x00\x01\x2c"),
        "ttl-zero-and-max": resp("www.example.com.", "A", [("www.example.com.", 0, "A", "192.0.2.80"),
                                                           ("www.example.com.", 2147483647, "A", "192.0.2.81")]),
        "any": resp("example.com.", "ANY", [("example.com.", 60, "A", "192.0.2.1"), ("example.com.", 60, "MX", "10 mail.example.com.")]),
        "https": resp("example.com.", "HTTPS", [("example.com.", 60, "HTTPS", '1 . alpn="h2" ipv4hint=192.0.2.1')]),
    }
    for k, v in u.items():
        out("upstream", k, v)
    out("upstream", "not-a-response", q("www.example.com."))
    for k in ("pointer-loop", "rdlen-past-end", "count-too-big", "two-opt", "trailing-garbage"):
        out("upstream", "bad-" + k, MALFORMED[k][:2] + bytes([MALFORMED[k][2] | 0x80]) + MALFORMED[k][3:]
            if len(MALFORMED[k]) > 3 else MALFORMED[k])


def gen_xfrin():
    """Transfers as a primary sends them: a flag byte (1: IXFR from serial
    1 was asked, 0: AXFR), then TCP-framed messages."""
    origin = "example.com."

    def soa(serial):
        return dns.rrset.from_text(origin, 300, "IN", "SOA", f"ns1.{origin} hostmaster.{origin} {serial} 3600 600 86400 60")

    def rr(name, rdtype, text, ttl=300):
        return dns.rrset.from_text(name, ttl, "IN", rdtype, text)

    body = [rr(origin, "NS", "ns1." + origin), rr("ns1." + origin, "A", "192.0.2.1"),
            rr("www." + origin, "A", "192.0.2.11"), rr("sub." + origin, "NS", "ns.sub." + origin),
            rr("ns.sub." + origin, "A", "192.0.2.53"), rr("mx." + origin, "MX", "10 www." + origin),
            rr("t." + origin, "TXT", '"a b" c')]

    def msgs(qtype, rrsets, per=3, first_q=True, later_q=False):
        q = dns.message.make_query(origin, qtype)
        q.id = 0x2a2a
        wire = b""
        for i in range(0, max(len(rrsets), 1), per):
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            if (i and not later_q) or (not i and not first_q):
                r.question = []
            r.answer = rrsets[i:i + per]
            w = r.to_wire(max_size=65535)
            wire += struct.pack("!H", len(w)) + w
        return wire

    out("xfrin", "axfr-one-message", b"\0" + msgs("AXFR", [soa(2)] + body + [soa(2)], per=100))
    out("xfrin", "axfr-three-messages", b"\0" + msgs("AXFR", [soa(2)] + body + [soa(2)]))
    out("xfrin", "axfr-question-repeated", b"\0" + msgs("AXFR", [soa(2)] + body + [soa(2)], later_q=True))
    out("xfrin", "axfr-mismatched-soa", b"\0" + msgs("AXFR", [soa(2)] + body + [soa(3)]))
    out("xfrin", "axfr-no-soa-first", b"\0" + msgs("AXFR", body + [soa(2)]))
    out("xfrin", "axfr-only-soa", b"\0" + msgs("AXFR", [soa(2), soa(2)]))
    out("xfrin", "axfr-trailing-records", b"\0" + msgs("AXFR", [soa(2)] + body + [soa(2)] + body[:1], per=100))
    out("xfrin", "axfr-no-ns", b"\0" + msgs("AXFR", [soa(2), body[2], soa(2)]))
    out("xfrin", "axfr-cut-short", b"\0" + msgs("AXFR", [soa(2)] + body + [soa(2)])[:90])
    out("xfrin", "ixfr-uptodate", b"\1" + msgs("IXFR", [soa(1)]))
    out("xfrin", "ixfr-one-sequence", b"\1" + msgs("IXFR", [soa(2), soa(1), rr("www." + origin, "A", "192.0.2.10"),
                                                           rr("old." + origin, "TXT", '"to be removed"'), soa(2),
                                                           rr("www." + origin, "A", "192.0.2.11"),
                                                           rr("new." + origin, "AAAA", "2001:db8::1"), soa(2)], per=100))
    out("xfrin", "ixfr-two-sequences", b"\1" + msgs("IXFR", [soa(3), soa(1), rr("www." + origin, "A", "192.0.2.10"),
                                                            soa(2), rr("www." + origin, "A", "192.0.2.11"), soa(2),
                                                            rr("www." + origin, "A", "192.0.2.11"), soa(3),
                                                            rr("www." + origin, "A", "192.0.2.12"), soa(3)]))
    out("xfrin", "ixfr-delete-missing", b"\1" + msgs("IXFR", [soa(2), soa(1), rr("nothere." + origin, "A", "192.0.2.99"),
                                                             soa(2), soa(2)], per=100))
    out("xfrin", "ixfr-delete-cut", b"\1" + msgs("IXFR", [soa(2), soa(1), rr("sub." + origin, "NS", "ns.sub." + origin),
                                                         soa(2), rr("sub." + origin, "DNAME", "elsewhere.example."),
                                                         soa(2)], per=100))
    out("xfrin", "ixfr-not-chained", b"\1" + msgs("IXFR", [soa(3), soa(1), soa(2), soa(4), soa(3), soa(3)], per=100))
    out("xfrin", "ixfr-axfr-style", b"\1" + msgs("IXFR", [soa(2)] + body + [soa(2)]))
    out("xfrin", "garbage", b"\0\x00\x20" + b"\x2a\x2a\x84\x00" + b"\xff" * 28)
    refused = dns.message.make_response(dns.message.make_query(origin, "IXFR"))
    refused.id = 0x2a2a
    refused.set_rcode(dns.rcode.NOTIMP)
    w = refused.to_wire()
    out("xfrin", "ixfr-notimp", b"\1" + struct.pack("!H", len(w)) + w)


# ---- zone transfers out (fuzz_xfr.c): byte 0 even = journal file, odd = request ----
def jrr(owner, rdtype, rdata_text, ttl=300):
    rd = dns.rdata.from_text("IN", rdtype, rdata_text).to_wire()
    t = dns.rdatatype.from_text(rdtype)
    return wname(owner) + struct.pack("!HHIH", t, 1, ttl, len(rd)) + rd


def jdiff(frm, to, dels, adds):
    soa = "ns.x.test. hm.x.test. %d 3600 600 86400 300"
    d = jrr("x.test.", "SOA", soa % frm) + b"".join(jrr(*r) for r in dels)
    a = jrr("x.test.", "SOA", soa % to) + b"".join(jrr(*r) for r in adds)
    return struct.pack("!IIIIII", frm, to, 1 + len(dels), 1 + len(adds), len(d), len(a)) + d + a


def gen_xfr():
    j1 = jdiff(1, 2, [("www.x.test.", "A", "192.0.2.2")], [("www.x.test.", "A", "192.0.2.3"),
                                                            ("new.x.test.", "MX", "10 www.x.test.")])
    j2 = jdiff(2, 3, [], [("t.x.test.", "TXT", '"hello"')])
    journals = {
        "journal-one": b"TERNJNL1" + j1,
        "journal-two": b"TERNJNL1" + j1 + j2,
        "journal-empty": b"TERNJNL1",
        "journal-bad-magic": b"TERNJNL0" + j1,
        "journal-gap": b"TERNJNL1" + j1 + jdiff(5, 6, [], []),
        "journal-serial-back": b"TERNJNL1" + jdiff(3, 2, [], []),
        "journal-truncated": b"TERNJNL1" + j1[:-3],
        "journal-count-wrong": b"TERNJNL1" + j1[:8] + struct.pack("!I", 9) + j1[12:],
        "journal-wrap": b"TERNJNL1" + jdiff(0xFFFFFFFF, 0, [], []),
    }
    for k, v in journals.items():
        out("xfr", k, b"\x00" + v)

    def ixfr(serial, origin="x.test.", **kw):
        m = dns.message.make_query(origin, "IXFR", **kw)
        m.id = 0x1234
        m.authority.append(dns.rrset.from_text(origin, 0, "IN", "SOA", f". . {serial} 0 0 0 0"))
        return m.to_wire()

    reqs = {
        "axfr": q("x.test.", "AXFR"),
        "axfr-edns": q("x.test.", "AXFR", use_edns=0),
        "axfr-other-zone": q("y.test.", "AXFR"),
        "axfr-below-apex": q("www.x.test.", "AXFR"),
        "ixfr-1": ixfr(1),
        "ixfr-2-current": ixfr(2),
        "ixfr-0-old": ixfr(0),
        "ixfr-newer": ixfr(1000),
        "ixfr-edns-small": ixfr(1, use_edns=0, payload=512),
        "ixfr-no-soa": q("x.test.", "IXFR"),
        "ixfr-soa-in-answer": hdr(an=1) + wname("x.test.") + b"\x00\xfb\x00\x01" + jrr("x.test.", "SOA", ". . 1 0 0 0 0"),
        "ixfr-soa-short": hdr(ns=1) + wname("x.test.") + b"\x00\xfb\x00\x01" + wname("x.test.")
        + struct.pack("!HHIH", 6, 1, 0, 6) + b"\x00\x00\x00\x00\x00\x01",
    }
    for k, v in reqs.items():
        out("xfr", k, b"\x01" + v)
        out("xfr", k + "-v6", b"\x03" + v)


def gen_tsig():
    """Messages signed with the keys of fuzz_tsig.c (and others): valid,
    unknown key, wrong secret, every algorithm, truncated MAC, TSIG not
    last, two TSIGs, a signed response, a transfer's unsigned message.
    dnspython signs with time.time(): pinned, so the bytes stay the same."""
    from unittest import mock

    import dns.tsig
    import dns.tsigkeyring

    keys = {"k1.example.": (dns.tsig.HMAC_SHA256, "ZnV6ei10c2lnLXNlY3JldC1zaGEyNTYtMzJieXRlcyE="),
            "k2.example.": (dns.tsig.HMAC_MD5, "ZnV6ei1tZDUtc2VjcmV0IQ=="),
            "k3.example.": (dns.tsig.HMAC_SHA512, "ZnV6ei10c2lnLXNlY3JldC1zaGE1MTI="),
            "k4.example.": (dns.tsig.HMAC_SHA1, "ZnV6ei10c2lnLXNlY3JldC1zaGE1MTI="),
            "k1.other.": (dns.tsig.HMAC_SHA256, "ZnV6ei10c2lnLXNlY3JldC1zaGEyNTYtMzJieXRlcyE=")}

    def signed(keyname, qname="www.example.com.", secret=None, **kw):
        alg, sec = keys[keyname]
        kr = dns.tsigkeyring.from_text({keyname: (alg, secret or sec)})
        m = dns.message.make_query(qname, "A", **kw)
        m.id = 0x1234
        m.use_tsig(kr, keyname=keyname, algorithm=alg)
        return m

    with mock.patch("time.time", return_value=1700000000):
        for i, name in enumerate(("k1.example.", "k2.example.", "k3.example.")):
            out("tsig", f"q-valid-{i + 1}", signed(name).to_wire())
        out("tsig", "q-valid-edns", signed("k1.example.", use_edns=0).to_wire())
        out("tsig", "q-unknown-key", signed("k1.other.").to_wire())
        out("tsig", "q-wrong-alg", signed("k4.example.", qname="k1.example.").to_wire())
        out("tsig", "q-wrong-secret", signed("k1.example.", secret="b3RoZXI=").to_wire())
        w = signed("k1.example.").to_wire()
        # the MAC (32 bytes before Original ID, Error, Other Len) cut to 16
        at = len(w) - 6 - 32
        cut = w[:at - 2] + struct.pack("!H", 16) + w[at:at + 16] + w[at + 32:]
        rd_at = len(cut) - (6 + 16 + 10 + len(wname("hmac-sha256."))) - 2
        cut = cut[:rd_at] + struct.pack("!H", struct.unpack("!H", cut[rd_at:rd_at + 2])[0] - 16) + cut[rd_at + 2:]
        out("tsig", "q-truncated-mac", cut)
        tsig_rr = w[w.rindex(b"\x02k1"):]  # the TSIG RR: owner k1.example. to the end
        out("tsig", "bad-two-tsig", w[:10] + struct.pack("!H", 2) + w[12:] + tsig_rr)
        out("tsig", "bad-not-last", w[:10] + struct.pack("!H", 2) + w[12:] + wname(".") + struct.pack("!HHIH", 1, 1, 0, 4)
            + b"\xc0\x00\x02\x01")
        out("tsig", "bad-in-answer", w[:6] + struct.pack("!H", 1) + w[8:10] + struct.pack("!H", 0) + w[12:])
        q1 = signed("k1.example.")
        q1.to_wire()
        r = dns.message.make_response(q1)
        r.answer.append(dns.rrset.from_text("www.example.com.", 300, "IN", "A", "192.0.2.80"))
        out("tsig", "r-signed", r.to_wire())
        r.tsig = None
        out("tsig", "r-unsigned", r.to_wire())
        r2 = dns.message.make_response(q1)
        r2.set_rcode(dns.rcode.NOTAUTH)
        r2.use_tsig(dns.tsigkeyring.from_text({"k1.example.": keys["k1.example."]}), keyname="k1.example.",
                    tsig_error=18, other_data=bytes(6), algorithm=dns.tsig.HMAC_SHA256)
        r2.request_mac = q1.mac
        out("tsig", "r-badtime", r2.to_wire())
    for name in ("q-unknown-key", "q-valid-1", "q-wrong-secret", "q-truncated-mac", "bad-not-last"):
        out("server", "q-tsig-" + name, open(os.path.join(HERE, "corpus", "tsig", name), "rb").read())
    out("config", "keys", "key:\n name: k1.example\n secret: c2VjcmV0\nkey:\n name: k2\n algorithm: hmac-md5\n"
                          " secret: \"c2VjcmV0c2VjcmV0\"  # comment\nkey:\n name: k3\n algorithm: HMAC-SHA512.\n"
                          " secret: c2Vj*\nkey:\n name: k1.example.\n secret: c2VjcmV0\nkey:\n name: nosecret\n")


def gen_catalog():
    """Catalog zone texts (origin cat.invalid.) for the catalog harness."""
    head = "@ 0 SOA invalid. invalid. 1 3600 600 2147483646 0\n@ 0 NS invalid.\n"
    v2 = head + 'version 0 TXT "2"\n'
    out("catalog", "empty", v2)
    out("catalog", "three-members", v2 + "a.zones 0 PTR a.test.\nb.zones 0 PTR b.test.\nc.zones 0 PTR example.com.\n")
    out("catalog", "knot-style-ids", v2 + "7876474e171ed212.zones 0 PTR a.test.\n")
    out("catalog", "version-1", head + 'version 0 TXT "1"\na.zones 0 PTR a.test.\n')
    out("catalog", "no-version", head + "a.zones 0 PTR a.test.\n")
    out("catalog", "two-versions", head + 'version 0 TXT "1"\nversion 0 TXT "2"\na.zones 0 PTR a.test.\n')
    out("catalog", "two-ptrs-one-node", v2 + "a.zones 0 PTR a.test.\na.zones 0 PTR b.test.\n")
    out("catalog", "one-zone-two-nodes", v2 + "a.zones 0 PTR a.test.\nb.zones 0 PTR A.TEST.\n")
    out("catalog", "root-and-self", v2 + "r.zones 0 PTR .\ns.zones 0 PTR cat.invalid.\nt.zones 0 PTR x.cat.invalid.\n")
    out("catalog", "odd-bytes", v2 + "a.zones 0 PTR a\\/b\\.c\\000d.test.\nb.zones 0 PTR ..\\..test.\n".replace("..\\..", "\\.\\."))
    out("catalog", "long-name", v2 + "a.zones 0 PTR " + ".".join(["x" * 63] * 3) + ".\n")
    out("catalog", "properties", v2 + "a.zones 0 PTR a.test.\ngroup.a.zones 0 TXT g\ncoo.a.zones 0 PTR other.\n"
        "x.y.zones 0 PTR deep.test.\nzones 0 PTR top.test.\n")


if __name__ == "__main__":
    gen_msg()
    gen_name()
    gen_rdata()
    gen_zonefile()
    gen_config()
    gen_server()
    gen_upstream()
    gen_tsig()
    gen_xfr()
    gen_xfrin()
    gen_catalog()
