"""DNSSEC through the cache (issue 14 item 1; RFC 4035 3.2, RFC 6840 5).

ternd forwards to a knotd serving a zone signed here with dnssec-signzone
(ECDSA P-256, NSEC, a wildcard). ternd always asks with DO=1; DO=1 clients
get the RRSIGs (and NSEC proofs of denial and of wildcard expansion), from
the first answer and from the cache alike; DO=0 clients get none of them;
AD is never set (ternd does not validate here); CD=1 is passed upstream,
and what was got with CD=1 is not served to CD=0 clients. delv, with the
zone's key as its trust anchor, validates every signed answer through
ternd: the proof that nothing the cache keeps is lost."""
import os
import shutil
import subprocess

import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import pytest

from fwd_helpers import NOERROR, NXDOMAIN, Records, fwd, query  # noqa: F401

ZONE = """$ORIGIN sig.test.
$TTL 300
@       IN SOA ns host 1 3600 600 86400 60
@       IN NS ns
ns      IN A 192.0.2.53
www     IN A 192.0.2.1
www     IN TXT "signed text"
*.wild  IN A 192.0.2.9
alias   IN CNAME www
"""

RRSIG, NSEC = dns.rdatatype.RRSIG, dns.rdatatype.NSEC


def need(*tools):
    for t in tools:
        if shutil.which(t) is None:
            pytest.skip(f"{t} not installed")


@pytest.fixture
def signed(tmp_path):
    """The zone signed: (signed zone text, DNSKEY line of the KSK)."""
    need("dnssec-keygen", "dnssec-signzone", "knotd")
    d = tmp_path / "sign"
    d.mkdir()
    (d / "z").write_text(ZONE)
    run = dict(cwd=d, check=True, capture_output=True)
    subprocess.run(["dnssec-keygen", "-q", "-K", ".", "-a", "ECDSAP256SHA256", "-f", "KSK", "-n", "ZONE",
                    "sig.test"], **run)
    subprocess.run(["dnssec-keygen", "-q", "-K", ".", "-a", "ECDSAP256SHA256", "-n", "ZONE", "sig.test"], **run)
    subprocess.run(["dnssec-signzone", "-q", "-K", ".", "-S", "-o", "sig.test", "-f", "z.signed", "z"], **run)
    ksk = next(line for f in os.listdir(d) if f.endswith(".key")
               for line in (d / f).read_text().splitlines() if " 257 " in line and not line.startswith(";"))
    return (d / "z.signed").read_text(), ksk


def ask(srv, name, qtype="A", do=False, cd=False, tcp=False):
    q = dns.message.make_query(name, qtype, want_dnssec=do, use_edns=0)
    if cd:
        q.flags |= dns.flags.CD
    if tcp:
        return dns.query.tcp(q, srv.host, port=srv.port, timeout=5)
    return dns.query.udp(q, srv.host, port=srv.port, timeout=5)


def types(section):
    return sorted(dns.rdatatype.to_text(s.rdtype) for s in section)


def test_do_clients_get_rrsigs_do0_clients_none(fwd, signed):  # noqa: F811
    zone, _ = signed
    k = fwd.knot({"sig.test": zone})
    srv = fwd.ternd([f"{k.host}:{k.port}"])
    for rnd in ("upstream", "cache"):
        r = ask(srv, "www.sig.test", "A", do=True)
        assert r.rcode() == NOERROR and types(r.answer) == ["A", "RRSIG"], (rnd, r.to_text())
        assert not r.flags & dns.flags.AD, "ternd did not validate it"
        r0 = ask(srv, "www.sig.test", "A")
        assert types(r0.answer) == ["A"], (rnd, r0.to_text())
        assert not r0.flags & dns.flags.AD
    # a CNAME chain: each link with its signature
    r = ask(srv, "alias.sig.test", "A", do=True)
    assert types(r.answer) == ["A", "CNAME", "RRSIG", "RRSIG"], r.to_text()
    r = ask(srv, "alias.sig.test", "A", do=True)
    assert types(r.answer) == ["A", "CNAME", "RRSIG", "RRSIG"], r.to_text()
    assert types(ask(srv, "alias.sig.test", "A").answer) == ["A", "CNAME"]


def test_negative_answers_keep_their_nsec_for_do_clients(fwd, signed):  # noqa: F811
    zone, _ = signed
    k = fwd.knot({"sig.test": zone})
    srv = fwd.ternd([f"{k.host}:{k.port}"])
    for name, qtype, rcode in (("nope.sig.test", "A", NXDOMAIN), ("www.sig.test", "AAAA", NOERROR)):
        for rnd in ("upstream", "cache"):
            r = ask(srv, name, qtype, do=True)
            assert r.rcode() == rcode and not r.answer, (rnd, r.to_text())
            t = types(r.authority)
            assert "SOA" in t and "NSEC" in t and t.count("RRSIG") >= 2, (rnd, r.to_text())
            r0 = ask(srv, name, qtype)
            assert r0.rcode() == rcode and types(r0.authority) == ["SOA"], (rnd, r0.to_text())


def test_wildcard_answer_keeps_its_proof(fwd, signed):  # noqa: F811
    """RFC 4035 3.1.3.3: a wildcard expansion comes with the NSEC that
    proves no closer name exists; from the cache too."""
    zone, _ = signed
    k = fwd.knot({"sig.test": zone})
    srv = fwd.ternd([f"{k.host}:{k.port}"])
    for rnd in ("upstream", "cache"):
        r = ask(srv, "x.wild.sig.test", "A", do=True)
        assert types(r.answer) == ["A", "RRSIG"], (rnd, r.to_text())
        assert "NSEC" in types(r.authority), (rnd, r.to_text())
        r0 = ask(srv, "x.wild.sig.test", "A")
        assert types(r0.answer) == ["A"] and not r0.authority, (rnd, r0.to_text())


def test_explicit_dnssec_types_go_to_do0_clients(fwd, signed):  # noqa: F811
    """RFC 4035 3.2.1: RRSIG/NSEC asked for by QTYPE are the answer."""
    zone, _ = signed
    k = fwd.knot({"sig.test": zone})
    srv = fwd.ternd([f"{k.host}:{k.port}"])
    r = ask(srv, "www.sig.test", "NSEC", tcp=True)
    assert types(r.answer) == ["NSEC"], r.to_text()
    r = ask(srv, "www.sig.test", "NSEC", tcp=True)
    assert types(r.answer) == ["NSEC"], r.to_text()


def test_upstream_asked_with_do_and_client_cd(fwd):  # noqa: F811
    up = fwd.upstream(Records("www.up.test. 300 IN A 192.0.2.1\nbad.up.test. 300 IN A 192.0.2.66\n"))
    srv = fwd.ternd([up])
    assert query(srv, "www.up.test").rcode() == NOERROR
    e = up.log[-1]
    assert e["edns"] == 0 and e["flags"] & dns.flags.RD and not e["flags"] & dns.flags.CD
    assert dns.message.make_query("x", "A").ednsflags == 0
    # the DO bit of what ternd sent (dnspython puts it in ednsflags)
    r = ask(srv, "bad.up.test", "A", cd=True)
    assert r.rcode() == NOERROR and r.flags & dns.flags.CD and not r.flags & dns.flags.AD
    assert up.count("bad.up.test") == 1 and up.log[-1]["flags"] & dns.flags.CD, "CD passed upstream"
    # a CD=1 answer is not one the upstream checked: a CD=0 client makes
    # ternd ask again without CD; after that both kinds use the entry
    r = ask(srv, "bad.up.test", "A")
    assert r.rcode() == NOERROR
    assert up.count("bad.up.test") == 2 and not up.log[-1]["flags"] & dns.flags.CD
    ask(srv, "bad.up.test", "A", cd=True)
    ask(srv, "bad.up.test", "A")
    assert up.count("bad.up.test") == 2


def test_upstream_query_has_do(fwd):  # noqa: F811
    seen = []

    def answer(q, transport, peer, sock):
        seen.append(q.ednsflags)
        r = dns.message.make_response(q)
        r.flags |= dns.flags.RA
        return [r]
    up = fwd.upstream(answer=answer)
    srv = fwd.ternd([up])
    query(srv, "www.up.test")
    assert seen and seen[0] & dns.flags.DO, "ternd always asks with DO=1"


def test_validator_behind_ternd_validates_everything(fwd, signed):  # noqa: F811
    """delv with the zone's KSK as trust anchor, through ternd: every
    answer (positive, CNAME, wildcard, NXDOMAIN, NODATA), asked twice so the
    second comes from the cache, is fully validated."""
    need("delv")
    zone, ksk = signed
    k = fwd.knot({"sig.test": zone})
    srv = fwd.ternd([f"{k.host}:{k.port}"])
    f = ksk.split()
    i = f.index("DNSKEY")
    flags, proto, alg, key = f[i + 1], f[i + 2], f[i + 3], "".join(f[i + 4:])
    anchors = fwd.tmp / "anchors.conf"
    anchors.write_text('trust-anchors { sig.test. static-key %s %s %s "%s"; };\n'
                       % (flags, proto, alg, key))
    cases = [("www.sig.test", "A"), ("www.sig.test", "TXT"), ("alias.sig.test", "A"),
             ("x.wild.sig.test", "A"), ("nope.sig.test", "A"), ("www.sig.test", "AAAA"),
             ("sig.test", "DNSKEY"), ("sig.test", "SOA")]
    for rnd in ("upstream", "cache"):
        for name, qtype in cases:
            out = subprocess.run(["delv", "@" + srv.host, "-p", str(srv.port), "-a", str(anchors),
                                  "+root=sig.test", name, qtype], capture_output=True, text=True, timeout=30)
            text = out.stdout + out.stderr
            assert "fully validated" in text or "negative response, fully validated" in text, \
                (rnd, name, qtype, text)
