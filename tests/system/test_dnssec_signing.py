"""ternd signs a zone itself (issue 12 item 3: `dnssec-signing: on`, the
zone signed whole at each load): the keys (a KSK and a ZSK, or with
dnssec-single-type-signing one CSK) are made once and kept in the key
directory, the signed zone validates in Unbound and delv for the whole
query set of dnssec_zones.py (ECDSAP256SHA256 and ED25519, NSEC and NSEC3),
passes ternd's own --check --dnssec, survives a restart with the same keys,
and a corrupt key file keeps the last good version with an error naming the
file. Rollovers: test_dnssec_roll.py."""
import glob
import os
import subprocess
import time

import dns.dnssec
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import stop_clean
from dnssec_zones import ORIGIN, SIGNED, absname, unsigned_parent
from peers import ScriptedServer
from ternd import binary, start_ternd
from xfr_helpers import wait_for
from test_dnssec_validate import expected_insecure, start_unbound, validation_queries

VARIANTS = [("ecdsap256sha256", "nsec", "kskzsk"), ("ed25519", "nsec3", "csk"), ("ecdsap256sha256", "nsec3", "csk"),
            ("ed25519", "nsec", "kskzsk")]


def write_conf(work, parent, children, alg, denial, keys="kskzsk"):
    """A configuration that signs sec.test. and serves the children as
    they are; returns its path."""
    (work / "sec.zone").write_text(parent)
    (work / "keys").mkdir(exist_ok=True)
    lines = ["zone:", "    name: sec.test", "    file: sec.zone", "    dnssec-signing: on",
             f"    dnssec-algorithm: {alg}", f"    dnssec-denial: {denial}", "    key-directory: keys",
             "    dnssec-signed-file: sec.signed", "    dnssec-cds: on"]
    if keys == "csk":
        lines.append("    dnssec-single-type-signing: on")
    for origin, text in children.items():
        f = origin.rstrip(".") + ".zone"
        (work / f).write_text(text)
        lines += ["zone:", f"    name: {origin}", f"    file: {f}"]
    conf = work / "ternd.conf"
    conf.write_text("\n".join(lines) + "\n")
    return str(conf)


def ksk_file(work):
    """The .key file of the zone's KSK (or CSK): the one with flags 257."""
    key = [k for k in glob.glob(str(work / "keys" / "Ksec.test+*.key")) if " DNSKEY 257 " in open(k).read()]
    assert len(key) == 1, key
    return key[0]


def ds_of(work):
    p = subprocess.run(["dnssec-dsfromkey", "-2", ksk_file(work)], capture_output=True, text=True, check=True)
    return p.stdout.strip()


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda v: "-".join(v))
def signer(request, tmp_path_factory):
    alg, denial, keys = request.param
    work = tmp_path_factory.mktemp(f"sign-{alg}-{denial}-{keys}")
    parent, children = unsigned_parent(work / "pre")
    conf = write_conf(work, parent, children, alg, denial, keys)
    srv = start_ternd(work, None, args=["--config", conf], probe=ORIGIN)
    try:
        yield {"work": work, "conf": conf, "ternd": srv, "alg": alg, "denial": denial, "keys": keys}
    finally:
        stop_clean(srv)


def test_key_made_and_zone_signed(signer):
    work, srv = signer["work"], signer["ternd"]
    csk = signer["keys"] == "csk"
    pem = glob.glob(str(work / "keys" / "Ksec.test+*.pem"))
    assert len(pem) == (1 if csk else 2) and all(oct(os.stat(p).st_mode & 0o777) == "0o600" for p in pem)
    r = srv.query(ORIGIN, "DNSKEY", want_dnssec=True)
    want_alg = 13 if signer["alg"] == "ecdsap256sha256" else 15
    keys = [rd for s in r.answer if s.rdtype == dns.rdatatype.DNSKEY for rd in s]
    want = [(257, want_alg)] if csk else [(256, want_alg), (257, want_alg)]
    assert sorted((k.flags, k.algorithm) for k in keys) == want
    # the KSK (or CSK) signs the DNSKEY RRset, the ZSK (or CSK) the rest
    ksk = next(dns.dnssec.key_id(k) for k in keys if k.flags == 257)
    zsk = next(dns.dnssec.key_id(k) for k in keys if k.flags == (257 if csk else 256))
    assert [rd.key_tag for s in r.answer if s.rdtype == dns.rdatatype.RRSIG for rd in s] == [ksk]
    r = srv.query(absname("www"), "A", want_dnssec=True)
    assert [rd.key_tag for s in r.answer if s.rdtype == dns.rdatatype.RRSIG for rd in s] == [zsk]
    r = srv.query("nx." + ORIGIN, "A", want_dnssec=True)
    deny = dns.rdatatype.NSEC3 if signer["denial"] == "nsec3" else dns.rdatatype.NSEC
    assert r.rcode() == dns.rcode.NXDOMAIN and any(s.rdtype == deny for s in r.authority)


def test_offline_verifiers_accept_the_signed_file(signer):
    """Issue 12 item 4: the signed zone as written out passes BIND's
    dnssec-verify, ldns-verify-zone and kzonecheck --dnssec on. A CSK
    (flags 257) signs everything: dnssec-verify -z says so."""
    path = str(signer["work"] / "sec.signed")
    z = ["-z"] if signer["keys"] == "csk" else []
    for argv in (["dnssec-verify", "-q"] + z + ["-o", ORIGIN, path], ["ldns-verify-zone", path],
                 ["kzonecheck", "-o", ORIGIN, "--dnssec", "on", path]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"{argv[0]}: {p.stdout}{p.stderr}"


def test_cds_and_cdnskey_name_the_key(signer):
    """RFC 7344: CDNSKEY is the KSK (or CSK), CDS its DS (what
    dnssec-dsfromkey makes of the key file), both signed."""
    srv = signer["ternd"]
    want = ds_of(signer["work"]).split(None, 3)[3].split()  # tag alg type digest
    r = srv.query(ORIGIN, "CDS", want_dnssec=True)
    cds = [rd for s in r.answer if s.rdtype == dns.rdatatype.CDS for rd in s]
    assert [[str(c.key_tag), str(c.algorithm), str(c.digest_type), c.digest.hex().upper()] for c in cds] == [want]
    assert any(s.rdtype == dns.rdatatype.RRSIG for s in r.answer)
    r = srv.query(ORIGIN, "CDNSKEY", want_dnssec=True)
    keys = srv.query(ORIGIN, "DNSKEY").answer[0]
    assert {rd.to_text() for s in r.answer if s.rdtype == dns.rdatatype.CDNSKEY for rd in s} == \
        {rd.to_text() for rd in keys if rd.flags == 257}


def test_own_check_verifies(signer):
    p = subprocess.run([binary(), "--check", "--dnssec", "--config", signer["conf"]], capture_output=True,
                       text=True, timeout=60, cwd=str(signer["work"]))
    assert p.returncode == 0 and "warning" not in p.stdout + p.stderr, p.stdout + p.stderr


def test_validates(signer):
    """Unbound (with the DS of ternd's key as trust anchor) and delv: every
    answer secure, or insecure below the unsigned child; none bogus."""
    work, srv = signer["work"], signer["ternd"]
    ds = ds_of(work)
    (work / "unbound").mkdir(exist_ok=True)
    ub = start_unbound(str(work / "unbound"), srv.port, ds)
    try:
        bad = []
        for name, qtype in validation_queries():
            r = dns.query.udp(dns.message.make_query(name, qtype, want_dnssec=True), ub.host, port=ub.port,
                              timeout=5)
            ad = bool(r.flags & dns.flags.AD)
            if r.rcode() == dns.rcode.SERVFAIL or ad == expected_insecure(name, qtype):
                bad.append(f"{name} {qtype}: {dns.rcode.to_text(r.rcode())} AD={ad}")
        bad += [ln for ln in ub.log_text().splitlines() if "validation failure" in ln]
        assert not bad, "\n".join(bad)
    finally:
        ub.stop()
    key = open(ksk_file(work)).read().split()
    anchor = work / "anchor.conf"
    anchor.write_text(f'trust-anchors {{ {key[0]} static-key {key[3]} {key[4]} {key[5]} "{key[6]}"; }};\n')
    for name, qtype in [(ORIGIN, "SOA"), (absname("nx"), "A"), (absname("zz.wild"), "TXT"), (absname("ent"), "A"),
                        (absname("x.dn"), "A"), (absname("away"), "DS"), ("www." + SIGNED, "A")]:
        p = subprocess.run(["delv", f"@{srv.host}", "-p", str(srv.port), "-a", str(anchor), f"+root={ORIGIN}",
                            name, qtype], capture_output=True, text=True, timeout=20)
        assert "fully validated" in p.stdout + p.stderr, f"{name} {qtype}: {p.stdout}{p.stderr}"


def test_restart_keeps_the_key_and_a_bad_key_keeps_the_last_version(signer, tmp_path):
    """A second ternd over the same key directory signs with the same keys;
    a corrupt key file on SIGHUP: an error naming it, the zone keeps
    serving its last signed version."""
    work = signer["work"]
    before = signer["ternd"].query(ORIGIN, "DNSKEY", want_dnssec=True).answer[0]
    srv = start_ternd(tmp_path, None, args=["--config", signer["conf"]], probe=ORIGIN)
    try:
        after = srv.query(ORIGIN, "DNSKEY", want_dnssec=True).answer[0]
        assert before == after
        pem = glob.glob(str(work / "keys" / "Ksec.test+*.pem"))[0]
        good = open(pem).read()
        try:
            with open(pem, "w") as f:
                f.write("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
            srv.reload()
            deadline = time.monotonic() + 5
            while pem not in srv.log_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert f"{pem}: not a usable" in srv.log_text(), srv.log_text()
            r = srv.query(absname("www"), "A", want_dnssec=True)
            assert any(s.rdtype == dns.rdatatype.RRSIG for s in r.answer)
            p = subprocess.run([binary(), "--check", "--config", signer["conf"]], capture_output=True, text=True,
                               timeout=60, cwd=str(work))
            assert p.returncode != 0 and pem in p.stdout + p.stderr
        finally:
            with open(pem, "w") as f:
                f.write(good)
    finally:
        stop_clean(srv)


def sig_times(srv):
    r = srv.query(ORIGIN, "SOA", want_dnssec=True)
    sig = next(rd for s in r.answer if s.rdtype == dns.rdatatype.RRSIG for rd in s)
    return sig.inception, sig.expiration


def test_signatures_made_again_before_they_expire(tmp_path):
    """dnssec-signature-validity 20 s: the zone is signed again a quarter
    of the way (5 s), without a reload, and stays valid throughout."""
    parent, children = unsigned_parent(tmp_path / "pre")
    conf = write_conf(tmp_path, parent, {}, "ed25519", "nsec")
    with open(conf, "a") as f:
        f.write("    dnssec-signature-validity: 20\n")
    # the option belongs to the sec.test zone block, the last one written
    srv = start_ternd(tmp_path, None, args=["--config", conf], probe=ORIGIN)
    try:
        first = sig_times(srv)
        assert first[1] - first[0] == 20 + 3600
        deadline = time.monotonic() + 12
        while sig_times(srv) == first and time.monotonic() < deadline:
            time.sleep(0.25)
        again = sig_times(srv)
        assert again[0] > first[0] and again[1] > first[1], (first, again)
        assert "signatures made again" in srv.log_text()
    finally:
        stop_clean(srv)


def serial(srv):
    return srv.query(ORIGIN, "SOA").answer[0][0].serial


def test_timed_signing_notifies_secondaries(tmp_path):
    """A signing on the timer (dnssec-signature-validity 20 s: every 5 s)
    publishes a new serial, and the zone's notify: targets hear of it at
    once, as after a reload or an UPDATE: a secondary would otherwise
    learn of new signatures or a key step only at its SOA refresh, past
    the propagation delay a rollover counts on."""
    got = []

    def handler(wire, transport, peer, sock):
        m = dns.message.from_wire(wire)
        if m.opcode() == dns.opcode.NOTIFY:
            got.append(m.answer[0][0].serial if m.answer else None)
        return [dns.message.make_response(m).to_wire()]

    with ScriptedServer(handler) as sec:
        parent, _ = unsigned_parent(tmp_path / "pre")
        conf = write_conf(tmp_path, parent, {}, "ed25519", "nsec")
        with open(conf, "a") as f:
            f.write("    dnssec-signature-validity: 20\n")
            f.write(f"    notify: 127.0.0.1:{sec.port}\n")
        srv = start_ternd(tmp_path, None, args=["--config", conf], probe=ORIGIN)
        try:
            first = serial(srv)
            assert wait_for(lambda: first in got, timeout=5), got  # at start-up
            assert wait_for(lambda: serial(srv) > first, timeout=12)
            now = serial(srv)
            assert "signatures made again" in srv.log_text()
            assert wait_for(lambda: any(x is not None and x >= now for x in got), timeout=5), (now, got)
        finally:
            stop_clean(srv)


def test_serial_follows_each_signing(tmp_path):
    """Every signing changes the zone (new signatures), so each one serves
    a higher serial: on SIGHUP, on a restart (kept in the key directory),
    never the file's again; no "serial unchanged" warning on reload."""
    parent, _ = unsigned_parent(tmp_path / "pre")
    conf = write_conf(tmp_path, parent, {}, "ecdsap256sha256", "nsec3")
    srv = start_ternd(tmp_path, None, args=["--config", conf], probe=ORIGIN)
    try:
        first = serial(srv)
        assert first == 2026120601  # the file's, at the first signing
        srv.reload()
        deadline = time.monotonic() + 5
        while serial(srv) == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert serial(srv) == first + 1
        assert "changed but its SOA serial" not in srv.log_text()
    finally:
        stop_clean(srv)
    srv = start_ternd(tmp_path, None, args=["--config", conf], probe=ORIGIN)
    try:
        assert serial(srv) == first + 2
    finally:
        stop_clean(srv)


def test_check_writes_nothing(tmp_path):
    """ternd --check signs (so signing errors show) but keeps no key and
    records no serial."""
    parent, _ = unsigned_parent(tmp_path / "pre")
    conf = write_conf(tmp_path, parent, {}, "ed25519", "nsec3")
    p = subprocess.run([binary(), "--check", "--dnssec", "--config", conf], capture_output=True, text=True,
                       timeout=60, cwd=str(tmp_path))
    assert p.returncode == 0 and "warning" not in p.stdout + p.stderr, p.stdout + p.stderr
    # (--check prints warnings and errors only: the zone signed, no file written)
    assert os.listdir(tmp_path / "keys") == []
