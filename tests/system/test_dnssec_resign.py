"""A zone ternd signs, changed by dynamic UPDATE (issue 12 item 3:
re-signing only what changed). After updates that add names first and
last in canonical order, a name under new empty non-terminals, an RRset at
a name, and remove a name (the only child of an empty non-terminal) and
another whole name, with NSEC and with NSEC3:
  - the zone is changed in place (nodes shared), not signed whole (log);
  - its AXFR passes dnssec-verify, ldns-verify-zone and kzonecheck
    --dnssec on;
  - Unbound, validating with the key's DS as trust anchor, answers every
    changed name secure: AD on the data, NXDOMAIN and NODATA proven;
  - the IXFR of one more change holds only that change: the new RRset and
    its RRSIG, the new name's NSEC/NSEC3 and the neighbour's, their
    RRSIGs, the SOA and its RRSIG;
  - an UPDATE naming a record the signer makes (RRSIG, NSEC3PARAM) is
    REFUSED;
  - a reload of a changed file re-signs only the differences;
  - dnssec-signing on a secondary zone is a configuration error."""
import glob
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
import pytest

from conftest import stop_clean
from dnssec_zones import ORIGIN
from ternd import binary, start_ternd
from test_dnssec_validate import start_unbound
from xfr_helpers import KEY_NAME, KEY_SECRET, KEYRING, transfer, xfr_query

ZONE = """$TTL 300
@ SOA ns1 hm 2026120601 3600 600 86400 300
@ NS ns1
ns1 A 192.0.2.53
www A 192.0.2.80
mail MX 10 www
a.b.ent A 192.0.2.10
*.wild TXT "w"
m A 192.0.2.4
k.m A 192.0.2.5
"""

BATCHES = [
    "update add 0first.sec.test. 300 A 192.0.2.100\nupdate add zzz.sec.test. 300 A 192.0.2.101\nsend\n",
    "update add p.q.r.sec.test. 300 A 192.0.2.102\nupdate add www.sec.test. 300 TXT \"new\"\nsend\n",
    "update delete a.b.ent.sec.test.\nupdate delete m.sec.test. A\nsend\n",
]


def serial(srv):
    return srv.query(ORIGIN, "SOA").answer[0][0].serial


def nsupdate(srv, commands):
    secret = f"hmac-sha256:{KEY_NAME.rstrip('.')}:{KEY_SECRET}"
    script = f"server {srv.host} {srv.port}\nzone {ORIGIN}\n" + commands
    return subprocess.run(["nsupdate", "-y", secret], input=script, capture_output=True, text=True, timeout=30)


def wait_serial(srv, want):
    deadline = time.monotonic() + 5
    while serial(srv) != want and time.monotonic() < deadline:
        time.sleep(0.05)
    assert serial(srv) == want


def start_signer(work, zone, denial):
    """ternd signing sec.test (zone text) with denial, UPDATE by TSIG."""
    (work / "sec.zone").write_text(zone)
    (work / "keys").mkdir()
    conf = work / "ternd.conf"
    conf.write_text("\n".join([
        "server:", "    forward: none",
        "key:", f"    name: {KEY_NAME}", "    algorithm: hmac-sha256", f"    secret: {KEY_SECRET}",
        "zone:", "    name: sec.test", "    file: sec.zone", "    dnssec-signing: on",
        f"    dnssec-denial: {denial}", "    key-directory: keys",
        f"    allow-update: 127.0.0.1 key {KEY_NAME}", "    allow-transfer: 127.0.0.0/8",
        "    journal-size: 1m"]) + "\n")
    return start_ternd(work, None, args=["--config", str(conf)], probe=ORIGIN)


@pytest.fixture(scope="module", params=["nsec", "nsec3"])
def resigner(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"resign-{request.param}")
    srv = start_signer(work, ZONE, request.param)
    try:
        first = serial(srv)
        for i, batch in enumerate(BATCHES):
            p = nsupdate(srv, batch)
            assert p.returncode == 0, p.stdout + p.stderr
            wait_serial(srv, first + 1 + i)
        yield {"work": work, "ternd": srv, "denial": request.param, "first": first}
    finally:
        stop_clean(srv)


def test_changed_in_place(resigner):
    log = resigner["ternd"].log_text()
    assert log.count("chain record(s) made again") == len(BATCHES), log
    assert "signed whole" not in log
    assert "nodes shared" in log


def axfr_text(srv):
    msgs = transfer(srv.host, srv.port, xfr_query(ORIGIN.rstrip(".")))
    rrs = [rr for m in msgs for rr in m.answer]
    return "\n".join(rr.to_text() for rr in rrs[:-1]) + "\n"


def test_axfr_passes_offline_verifiers(resigner):
    path = resigner["work"] / "axfr.zone"
    path.write_text(axfr_text(resigner["ternd"]))
    for argv in (["dnssec-verify", "-q", "-z", "-o", ORIGIN, str(path)], ["ldns-verify-zone", str(path)],
                 ["kzonecheck", "-o", ORIGIN, "--dnssec", "on", str(path)]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"{argv[0]}: {p.stdout}{p.stderr}"


def ds_of(work):
    """The DS of the zone's KSK (a KSK and a ZSK by default: the .key file whose DNSKEY has flags 257)."""
    keys = [k for k in glob.glob(str(work / "keys" / "Ksec.test+*.key"))
            if " DNSKEY 257 " in open(k).read()]
    assert len(keys) == 1, keys
    p = subprocess.run(["dnssec-dsfromkey", "-2", keys[0]], capture_output=True, text=True, check=True)
    return p.stdout.strip()


def test_unbound_validates_the_changed_names(resigner):
    work, srv = resigner["work"], resigner["ternd"]
    (work / "unbound").mkdir(exist_ok=True)
    ub = start_unbound(str(work / "unbound"), srv.port, ds_of(work))
    want = [("0first", "A", dns.rcode.NOERROR, True), ("zzz", "A", dns.rcode.NOERROR, True),
            ("p.q.r", "A", dns.rcode.NOERROR, True), ("q.r", "A", dns.rcode.NOERROR, False),  # a new ENT
            ("r", "TXT", dns.rcode.NOERROR, False), ("www", "TXT", dns.rcode.NOERROR, True),
            ("www", "A", dns.rcode.NOERROR, True), ("a.b.ent", "A", dns.rcode.NXDOMAIN, False),
            ("ent", "A", dns.rcode.NXDOMAIN, False), ("m", "A", dns.rcode.NOERROR, False),  # now an ENT
            ("k.m", "A", dns.rcode.NOERROR, True), ("nx", "A", dns.rcode.NXDOMAIN, False),
            ("0firsu", "A", dns.rcode.NXDOMAIN, False), ("zzzz", "A", dns.rcode.NXDOMAIN, False),
            ("x.wild", "TXT", dns.rcode.NOERROR, True), ("", "SOA", dns.rcode.NOERROR, True)]
    try:
        bad = []
        for label, qtype, rcode, data in want:
            name = f"{label}.{ORIGIN}" if label else ORIGIN
            r = dns.query.udp(dns.message.make_query(name, qtype, want_dnssec=True), ub.host, port=ub.port,
                              timeout=5)
            got = [rr for s in r.answer if s.rdtype == dns.rdatatype.from_text(qtype) for rr in s]
            if r.rcode() != rcode or not (r.flags & dns.flags.AD) or bool(got) != data:
                bad.append(f"{name} {qtype}: {dns.rcode.to_text(r.rcode())} AD={bool(r.flags & dns.flags.AD)} "
                           f"answer={[x.to_text() for x in got]}")
        bad += [ln for ln in ub.log_text().splitlines() if "validation failure" in ln]
        assert not bad, "\n".join(bad)
    finally:
        ub.stop()


def test_ixfr_holds_only_the_change(resigner):
    srv, denial = resigner["ternd"], resigner["denial"]
    before = serial(srv)
    p = nsupdate(srv, "update add new1.sec.test. 300 A 192.0.2.200\nsend\n")
    assert p.returncode == 0, p.stdout + p.stderr
    wait_serial(srv, before + 1)
    msgs = transfer(srv.host, srv.port, xfr_query(ORIGIN.rstrip("."), "IXFR", serial=before))
    rrs = [rr for m in msgs for rr in m.answer]
    soas = [i for i, rr in enumerate(rrs) if rr.rdtype == dns.rdatatype.SOA]
    assert len(soas) == 4, [rr.to_text() for rr in rrs]  # one difference: before, SOA_old..SOA_new..SOA_new
    removed, added = rrs[soas[1] + 1:soas[2]], rrs[soas[2] + 1:soas[3]]

    def kinds(run):
        out = []
        for rr in run:
            t = dns.rdatatype.to_text(rr.rdtype)
            if rr.rdtype == dns.rdatatype.RRSIG:
                t += "/" + dns.rdatatype.to_text(rr[0].type_covered)
            owner = rr.name.to_text()
            if denial == "nsec3" and rr.rdtype in (dns.rdatatype.NSEC3, dns.rdatatype.RRSIG) \
                    and len(rr.name.labels[0]) == 32:
                owner = "<hash>"
            out.append((owner, t))
        return sorted(out)

    deny = "NSEC3" if denial == "nsec3" else "NSEC"
    # gone: the old SOA's signature, the neighbour's NSEC(3) and its signature
    rk = kinds(removed)
    chain_removed = [x for x in rk if x[1] in (deny, "RRSIG/" + deny)]
    assert len(chain_removed) == 2 and sorted([(ORIGIN, "RRSIG/SOA")] + chain_removed) == rk, rk
    want_added = [(ORIGIN, "RRSIG/SOA"), ("new1." + ORIGIN, "A"), ("new1." + ORIGIN, "RRSIG/A")]
    if denial == "nsec":
        want_added += [("new1." + ORIGIN, "NSEC"), ("new1." + ORIGIN, "RRSIG/NSEC")]
        want_added += chain_removed  # the neighbour's NSEC, rewritten
    else:
        want_added += [("<hash>", "NSEC3"), ("<hash>", "NSEC3"), ("<hash>", "RRSIG/NSEC3"),
                       ("<hash>", "RRSIG/NSEC3")]
    assert kinds(added) == sorted(want_added), kinds(added)


def test_signer_records_refused(resigner):
    """RRSIG, NSEC3PARAM and the apex's DNSKEY are the signer's: adding one
    is REFUSED, and the zone keeps its own."""
    srv = resigner["ternd"]
    for name, rdtype, text in [("x", "NSEC3PARAM", "1 0 0 -"), ("", "DNSKEY", "257 3 13 " + "A" * 88),
                               ("www", "RRSIG", "A 13 3 300 20300101000000 20200101000000 1 sec.test. AAAA")]:
        upd = dns.update.UpdateMessage(ORIGIN, keyring=KEYRING, keyname=KEY_NAME)
        upd.add(f"{name}.{ORIGIN}" if name else ORIGIN, 300, rdtype, text)
        r = dns.query.tcp(upd, srv.host, port=srv.port, timeout=5)
        assert r.rcode() == dns.rcode.REFUSED, (rdtype, dns.rcode.to_text(r.rcode()))
    assert "records are made by the signer" in srv.log_text()
    keys = srv.query(ORIGIN, "DNSKEY").answer[0]
    assert sorted(k.flags for k in keys) == [256, 257]  # the KSK and the ZSK, no key of the UPDATE's


@pytest.mark.parametrize("denial", ["nsec", "nsec3"])
def test_reload_of_a_changed_file_re_signs_the_changes(tmp_path, denial):
    """SIGHUP after the zone file changed: only the differences are
    signed (the log says so), the serial goes up, and the AXFR passes the
    three offline verifiers."""
    (tmp_path / "sec.zone").write_text(ZONE)
    (tmp_path / "keys").mkdir()
    conf = tmp_path / "ternd.conf"
    conf.write_text("\n".join([
        "server:", "    forward: none", "zone:", "    name: sec.test", "    file: sec.zone", "    dnssec-signing: on",
        f"    dnssec-denial: {denial}", "    key-directory: keys", "    allow-transfer: 127.0.0.0/8"]) + "\n")
    srv = start_ternd(tmp_path, None, args=["--config", str(conf)], probe=ORIGIN)
    try:
        first = serial(srv)
        (tmp_path / "sec.zone").write_text(ZONE.replace("a.b.ent A 192.0.2.10\n", "")
                                           + "0first A 192.0.2.1\nx.y.z A 192.0.2.2\n")
        srv.reload()
        wait_serial(srv, first + 1)
        assert "changes re-signed" in srv.log_text(), srv.log_text()
        path = tmp_path / "axfr.zone"
        path.write_text(axfr_text(srv))
        for argv in (["dnssec-verify", "-q", "-z", "-o", ORIGIN, str(path)], ["ldns-verify-zone", str(path)],
                     ["kzonecheck", "-o", ORIGIN, "--dnssec", "on", str(path)]):
            p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, f"{argv[0]}: {p.stdout}{p.stderr}"
        r = srv.query("a.b.ent." + ORIGIN, "A", want_dnssec=True)
        assert r.rcode() == dns.rcode.NXDOMAIN
        r = srv.query("x.y.z." + ORIGIN, "A", want_dnssec=True)
        assert any(s.rdtype == dns.rdatatype.RRSIG for s in r.answer)
    finally:
        stop_clean(srv)


def test_signing_a_secondary_is_a_configuration_error(tmp_path):
    """A secondary's serials are its primary's: IXFR in could not line up
    with the serials ternd's signing serves, so the combination is refused
    at the zone's line."""
    (tmp_path / "keys").mkdir()
    conf = tmp_path / "ternd.conf"
    conf.write_text("\n".join([
        "server:", "    forward: none", "zone:", "    name: sec.test", "    file: sec.zone",
        "    primary: 127.0.0.1:53", "    dnssec-signing: on", "    key-directory: keys"]) + "\n")
    p = subprocess.run([binary(), "--check", "--config", str(conf)], capture_output=True, text=True, timeout=30,
                       cwd=str(tmp_path))
    assert p.returncode != 0 and "dnssec-signing on a secondary zone" in p.stdout + p.stderr, p.stdout + p.stderr


def test_referral_below_a_cut_follows_a_changed_cut(tmp_path):
    """A name below a delegation point (its glue) is answered with the
    referral of the cut as the current version has it: after an UPDATE
    that changes the cut's NSEC (a new name right after it in canonical
    order, a change made in place), the referral for the glue name carries
    the new NSEC, as the one for the cut itself does."""
    srv = start_signer(tmp_path, ZONE + "sub NS ns.sub\nns.sub A 192.0.2.54\n", "nsec")
    try:
        first = serial(srv)
        p = nsupdate(srv, "update add sub0.sec.test. 300 A 192.0.2.103\nsend\n")
        assert p.returncode == 0, p.stdout + p.stderr
        wait_serial(srv, first + 1)
        assert "signed whole" not in srv.log_text()

        def nsec_next(qname, qtype):
            r = srv.query(qname, qtype, want_dnssec=True)
            nsecs = [rr for rr in r.authority if rr.rdtype == dns.rdatatype.NSEC]
            assert len(nsecs) == 1 and nsecs[0].name.to_text() == "sub.sec.test.", r.to_text()
            return nsecs[0][0].next.to_text()

        assert nsec_next("sub.sec.test.", "DS") == "sub0.sec.test."
        assert nsec_next("ns.sub.sec.test.", "A") == "sub0.sec.test."
        assert nsec_next("x.ns.sub.sec.test.", "A") == "sub0.sec.test."
    finally:
        stop_clean(srv)
