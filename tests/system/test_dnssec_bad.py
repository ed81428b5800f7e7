"""Signed zones with faults (issue 12, "Bad input"): a signature that does
not verify, missing signatures, a broken NSEC3 chain, an unknown algorithm,
expired signatures. ternd loads and serves each as its file says, with a
clear warning naming file:line: the faults every load sees, and with
`--check --dnssec` the signatures verified with the zone's DNSKEYs."""
import re
import subprocess

import dns.message
import dns.query
import dns.rdatatype
import pytest

from conftest import stop_clean
from dnssec_zones import ORIGIN, PARENT, sign_all
from ternd import binary, start_ternd


def one_per_line(path):
    """The zone at path with one whole record per line (dnssec-signzone
    writes multi-line RRSIGs), so lines can be edited and named."""
    p = subprocess.run(["ldns-read-zone", path], capture_output=True, text=True, check=True, timeout=30)
    return p.stdout


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    work = tmp_path_factory.mktemp("dnssec-bad")
    text = sign_all(work, "bind-nsec3").zones[ORIGIN]
    (work / "signed.zone").write_text(text)
    return work, one_per_line(str(work / "signed.zone"))


def check(work, name, text, dnssec=True):
    """ternd --check [--dnssec] on text as zone sec.test.; returns (exit
    status, output, path)."""
    path = str(work / name)
    with open(path, "w") as f:
        f.write(text)
    argv = [binary(), "--check", "--zone", f"sec.test={path}"] + (["--dnssec"] if dnssec else [])
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr, path


def lines_of(text, owner, rtype, covers=None):
    """Line numbers (1-based) of the records of owner and type in text."""
    out = []
    for i, ln in enumerate(text.splitlines(), 1):
        f = ln.split()
        if len(f) >= 5 and f[0] == owner and f[3] == rtype and (covers is None or f[4] == covers):
            out.append(i)
    return out


def replace_line(text, lineno, new):
    ls = text.splitlines()
    ls[lineno - 1] = new
    return "\n".join(ls) + "\n"


def drop_lines(text, numbers):
    return "\n".join(ln for i, ln in enumerate(text.splitlines(), 1) if i not in numbers) + "\n"


def test_clean_zone_is_clean(signed):
    work, text = signed
    rc, out, _ = check(work, "clean.zone", text)
    assert rc == 0 and "warning" not in out, out


def test_signature_that_does_not_verify(signed):
    work, text = signed
    a = lines_of(text, "www.sec.test.", "A")[0]
    bad = replace_line(text, a, text.splitlines()[a - 1].replace("192.0.2.80", "192.0.2.81"))
    sig = lines_of(bad, "www.sec.test.", "RRSIG", "A")[0]
    rc, out, path = check(work, "tampered.zone", bad)
    assert rc == 0, out
    assert f"{path}:{sig}: warning: www.sec.test. RRSIG covering A: the signature does not verify" in out, out
    # without --dnssec a load does not verify signatures
    rc, out, _ = check(work, "tampered.zone", bad, dnssec=False)
    assert "does not verify" not in out


def test_missing_signatures(signed):
    work, text = signed
    bad = drop_lines(text, set(lines_of(text, "www.sec.test.", "RRSIG", "AAAA")))
    aaaa = lines_of(bad, "www.sec.test.", "AAAA")[0]
    rc, out, path = check(work, "nosig.zone", bad, dnssec=False)
    assert rc == 0, out
    assert f"{path}:{aaaa}: warning: www.sec.test. AAAA has no RRSIG covering it" in out, out


def test_broken_nsec3_chain(signed):
    work, text = signed
    n3 = [i for i, ln in enumerate(text.splitlines(), 1) if ln.split()[3:4] == ["NSEC3"]]
    gone = text.splitlines()[n3[3] - 1].split()[0]
    bad = drop_lines(text, {n3[3]} | set(lines_of(text, gone, "RRSIG", "NSEC3")))
    rc, out, _ = check(work, "chain.zone", bad, dnssec=False)
    assert rc == 0, out
    assert "its next hashed owner is not the next hash in the chain" in out, out
    assert "has no matching NSEC3 and no opt-out NSEC3 covers it" in out, out


def test_unknown_algorithm(signed):
    work, text = signed
    sig = lines_of(text, "txt.sec.test.", "RRSIG", "TXT")[0]
    f = text.splitlines()[sig - 1].split()
    f[5] = "200"  # the RRSIG's algorithm field
    bad = replace_line(text, sig, " ".join(f))
    rc, out, path = check(work, "alg.zone", bad)
    assert rc == 0, out
    assert f"{path}:{sig}: warning: txt.sec.test. RRSIG covering TXT: algorithm 200 is not one ternd verifies" in out, out


def test_expired_signatures(tmp_path):
    d = tmp_path / "k"
    d.mkdir()
    for flags in (["-f", "KSK"], []):
        subprocess.run(["dnssec-keygen", "-q", "-a", "ECDSAP256SHA256", *flags, "-K", str(d), ORIGIN],
                       check=True, capture_output=True)
    (d / "z").write_text(PARENT)
    subprocess.run(["dnssec-signzone", "-S", "-K", str(d), "-o", ORIGIN, "-s", "20200101000000", "-e",
                    "20200201000000", "-P", "-f", str(d / "z.signed"), str(d / "z")], check=True,
                   capture_output=True, cwd=str(d))
    text = one_per_line(str(d / "z.signed"))
    rc, out, path = check(tmp_path, "expired.zone", text, dnssec=False)
    assert rc == 0, out
    soa_sig = lines_of(text, ORIGIN, "RRSIG", "SOA")[0]
    assert re.search(rf"{re.escape(path)}:{soa_sig}: warning: sec.test. RRSIG covering SOA: expired \d+ days ago", out), out
    assert "signatures: " in out and " expired" in out  # the count past the first few


def test_served_as_the_file_says(signed, tmp_path):
    """A tampered record, a missing RRSIG and a broken chain: loaded with
    warnings, served as written."""
    work, text = signed
    a = lines_of(text, "www.sec.test.", "A")[0]
    bad = replace_line(text, a, text.splitlines()[a - 1].replace("192.0.2.80", "192.0.2.81"))
    bad = drop_lines(bad, set(lines_of(bad, "www.sec.test.", "RRSIG", "AAAA")))
    srv = start_ternd(tmp_path, {ORIGIN: bad})
    try:
        assert "has no RRSIG covering it" in srv.log_text()
        q = dns.message.make_query("www.sec.test.", "A", want_dnssec=True)
        r = dns.query.udp(q, srv.host, port=srv.port, timeout=3)
        assert [rd.address for rd in r.answer[0]] == ["192.0.2.81"]
        assert any(s.rdtype == dns.rdatatype.RRSIG for s in r.answer)
        q = dns.message.make_query("www.sec.test.", "AAAA", want_dnssec=True)
        r = dns.query.udp(q, srv.host, port=srv.port, timeout=3)
        assert [s.rdtype for s in r.answer] == [dns.rdatatype.AAAA]
    finally:
        stop_clean(srv)
