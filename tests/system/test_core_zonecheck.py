"""Zone files where ternd disagreed with NSD, Knot and BIND (issue 10,
items 12-17 and 21): DNSSEC algorithm mnemonics, RRSIG times after 2106,
the text forms of IPSECKEY/APL/NID/L32/L64/LP, case variants of one RR,
the DNAME and $GENERATE errors, the warnings the references give, and
signed zones whose RRSIGs keep their own TTLs."""
import os
import re
import subprocess
import time

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rcode

from conftest import rrs
from ternd import binary

HEAD = """$ORIGIN s.test.
$TTL 3600
@ SOA ns hm 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
"""

SIGNED = HEAD.replace("@ NS ns\n", "@ 7200 NS ns\n") + """
@ 600 DNSKEY 256 3 ECDSAP256SHA256 AQID
@ 600 DNSKEY 257 3 RSASHA1-NSEC3-SHA1 AQID
@ 3600 RRSIG SOA ECDSAP256SHA256 2 3600 21220222132804 20240101000000 1 s.test. AQID
@ 7200 RRSIG NS ECDSAP256SHA256 2 7200 20250101000000 20240101000000 1 s.test. AQID
@ 600 RRSIG DNSKEY RSASHA1 2 600 20250101000000 20240101000000 2 s.test. AQID
@ 300 NSEC ns.s.test. SOA NS RRSIG NSEC DNSKEY
@ 300 RRSIG NSEC ECDSAP256SHA256 2 300 20250101000000 20240101000000 1 s.test. AQID
sub NS ns.sub
ns.sub A 192.0.2.9
sub 3600 DS 1 ED25519 2 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB
sub 3600 RRSIG DS ECDSAP256SHA256 3 3600 20250101000000 20240101000000 1 s.test. AQID
"""


def ternd_check(tmp_path, text, origin="s.test"):
    (tmp_path / "z.zone").write_text(text)
    return subprocess.run([binary(), "--check", "--zone", f"{origin}=z.zone"], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=10)


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def test_signed_zone_loads_and_rrsigs_keep_their_ttls(run_ternd, tcp):
    # items 12, 15, 21: mnemonics, a 2122 expiration, one TTL per RRSIG
    srv = run_ternd({"s.test": SIGNED})
    assert "differs" not in srv.log_text(), srv.log_text()
    r = srv.query("s.test", "RRSIG", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR
    got = sorted((dns.rdatatype.to_text(s.covers), s.ttl, len(s)) for s in r.answer)
    assert got == [("DNSKEY", 600, 1), ("NS", 7200, 1), ("NSEC", 300, 1), ("SOA", 3600, 1)]
    r = srv.query("s.test", "DNSKEY", tcp=tcp)
    assert sorted(rd.algorithm for rd in r.answer[0]) == [7, 13] and r.answer[0].ttl == 600
    r = srv.query("sub.s.test", "DS", tcp=tcp)
    assert r.answer[0][0].algorithm == 15
    r = srv.query("sub.s.test", "RRSIG", tcp=tcp)  # at a cut: the referral (RRSIG is child data)
    assert r.rcode() == dns.rcode.NOERROR


NEW_TYPES = {
    "ipk": ("IPSECKEY", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
    "ipk6": ("IPSECKEY", "10 2 2 2001:db8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
    "ipkn": ("IPSECKEY", "10 3 2 gw.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
    "apl": ("APL", "1:192.168.32.0/21 !1:192.168.38.0/28 2:ff00::/8"),
    "nid": ("NID", "10 0014:4fff:ff20:ee64"),
    "l32": ("L32", "10 10.1.2.0"),
    "l64": ("L64", "10 2001:0db8:1140:1000"),
    "lp": ("LP", "10 l64-subnet1.example.com."),
}


def test_ipseckey_apl_ilnp_types_served(run_ternd):
    # item 13: what the zone says is what goes on the wire
    text = HEAD + "".join(f"{n} {t} {rd}\n" for n, (t, rd) in NEW_TYPES.items()) + "apl0 APL\n"
    srv = run_ternd({"s.test": text})
    for n, (t, rd) in NEW_TYPES.items():
        r = srv.query(f"{n}.s.test", t)
        want = dns.rdata.from_text(dns.rdataclass.IN, t, rd)
        assert r.answer and r.answer[0][0] == want, (n, r)
    r = srv.query("apl0.s.test", "APL")
    assert len(r.answer[0]) == 1 and r.answer[0][0].items == ()


def test_case_variants_are_one_rr(run_ternd):
    # item 14: before, "more than one CNAME" refused the zone
    srv = run_ternd({"s.test": HEAD + "cname CNAME srv.x.\nCname CNAME SRV.X.\n"
                                      "mx MX 10 Mail.x.\nmx MX 10 mail.X.\n"})
    r = srv.query("cname.s.test", "CNAME")
    assert rrs(r.answer) == {"cname.s.test. 3600 IN CNAME srv.x."}
    assert len(srv.query("mx.s.test", "MX").answer[0]) == 1


def test_check_refuses_what_the_references_refuse(tmp_path):
    # item 16: each an error naming file:line
    p = ternd_check(tmp_path, HEAD + "sub NS ns.other.\nsub DNAME a.example.\nsub DNAME b.example.\n")
    assert p.returncode != 0 and "z.zone:8: sub.s.test. has more than one DNAME" in p.stderr, p.stderr
    p = ternd_check(tmp_path, HEAD.replace("ns A", "@ DNAME example.net.\nns A"))
    assert p.returncode != 0
    assert re.search(r"z\.zone:4: s\.test\. NS ns\.s\.test\.: the target is below the DNAME at s\.test\.",
                     p.stderr), p.stderr
    p = ternd_check(tmp_path, HEAD + "$GENERATE 1-2 host${2147483647} A 192.0.2.1\n")
    assert p.returncode != 0 and "z.zone:6: $GENERATE value" in p.stderr, p.stderr


def test_check_warns_as_the_references_do(tmp_path):
    # item 17: warnings with file:line; the zone still loads
    p = ternd_check(tmp_path, HEAD + "@ NS ns2\n@ MX 10 mail\nsub NS ns.sub\nwww CNAME www.s.test\n")
    assert p.returncode == 0, p.stderr
    for want in [r"z\.zone:6: .*ns2\.s\.test\..*no address records",
                 r"z\.zone:7: .*mail\.s\.test\..*no address records",
                 r"z\.zone:8: (warning: )?delegation sub\.s\.test\.: .*ns\.sub\.s\.test\. has no glue",
                 r"z\.zone:9: .*www\.s\.test\.s\.test\. ends with the origin s\.test\. twice"]:
        assert re.search(want, p.stderr), (want, p.stderr)


def test_reload_warns_when_content_changes_but_serial_does_not(run_ternd):
    # item 17: on SIGHUP, the old zone and the new one are compared
    srv = run_ternd({"s.test": HEAD + "www A 192.0.2.10\n"})
    path = os.path.join(srv.workdir, "s.test.zone")
    with open(path, "w") as f:
        f.write(HEAD + "www A 192.0.2.20\n")
    srv.reload()
    assert wait_for(lambda: "serial (1) did not" in srv.log_text()), srv.log_text()
    assert re.search(r"s\.test\.zone:3: .*zone s\.test\. changed but its SOA serial \(1\) did not", srv.log_text())
    # the new data is served all the same (the warning changes nothing)
    assert srv.query("www.s.test", "A").answer[0][0].to_text() == "192.0.2.20"
