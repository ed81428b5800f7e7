"""The timed signature refresh of a zone ternd signs, by slices
(docs/architecture.md, "Refreshing by parts"; BIND's sig-signing-signatures
is the same idea): each step re-signs the RRsets with the oldest
signatures, at most dnssec-refresh-slice of them, and publishes them as an
UPDATE is published: a new serial, a journal entry (so a secondary gets
IXFR, not the whole zone again), NOTIFY. After the steps every signature
is new, the zone still verifies offline, and the IXFRs from the serial
before lead exactly to the zone after."""
import re
import shutil
import subprocess

import dns.message
import dns.query
import dns.rdatatype
import pytest

from conftest import stop_clean
from ternd import start_ternd
from xfr_helpers import transfer, wait_for, xfr_query

ORIGIN = "slice.test"
NAMES = 40
SLICE = 16


def zone_text(names=NAMES):
    lines = ["$TTL 300", f"@ SOA ns1.{ORIGIN}. admin.{ORIGIN}. 2026120601 3600 600 86400 300",
             f"@ NS ns1.{ORIGIN}.", "ns1 A 192.0.2.1"]
    lines += [f"h{i:02d} A 192.0.{2 + i // 200}.{10 + i % 200}" for i in range(names)]
    lines += ["h00 TXT \"two RRsets at one name\"", "sub NS ns.sub", "ns.sub A 192.0.2.99",
              "sub DS 12345 13 2 " + "ab" * 32]
    return "\n".join(lines) + "\n"


def start(tmp_path, denial, names=NAMES, extra=(f"    dnssec-refresh-slice: {SLICE}",)):
    (tmp_path / "z.zone").write_text(zone_text(names))
    (tmp_path / "keys").mkdir()
    conf = tmp_path / "ternd.conf"
    conf.write_text("\n".join([
        "zone:", f"    name: {ORIGIN}", "    file: z.zone", "    dnssec-signing: on",
        "    dnssec-algorithm: ed25519", f"    dnssec-denial: {denial}", "    key-directory: keys",
        "    dnssec-signature-validity: 40", "    allow-transfer: 127.0.0.1", *extra]) + "\n")
    return start_ternd(tmp_path, None, args=["--config", str(conf)], probe=ORIGIN + ".")


def axfr(srv):
    msgs = transfer(srv.host, srv.port, xfr_query(ORIGIN, "AXFR"))
    rrs = [rr for m in msgs for rr in m.answer]
    assert rrs[0].rdtype == dns.rdatatype.SOA and rrs[-1].rdtype == dns.rdatatype.SOA
    return rrs[:-1]


def lines(rrs):
    """One canonical text line per record."""
    out = set()
    for s in rrs:
        for rd in s:
            out.add(f"{s.name.to_text().lower()} {s.ttl} {dns.rdatatype.to_text(s.rdtype)} {rd.to_text()}")
    return out


def inceptions(rrs):
    return [rd.inception for s in rrs if s.rdtype == dns.rdatatype.RRSIG for rd in s]


def wait_refreshed(srv, z0, timeout=45):
    """Until every signature served is newer than all of z0's."""
    first = min(inceptions(z0))
    assert wait_for(lambda: min(inceptions(axfr(srv))) > first, timeout=timeout, step=0.5), srv.log_text()[-3000:]


def serial(srv):
    r = dns.query.udp(dns.message.make_query(ORIGIN, "SOA"), srv.host, port=srv.port, timeout=3)
    return r.answer[0][0].serial


def apply_ixfr(have, msgs):
    """RFC 1995 4: SOA_new, then per difference SOA_old, the records
    removed, SOA_next, the records added; SOA_new again. Returns the
    records after, and how many differences there were."""
    rrs = [(s, rd) for m in msgs for s in m.answer for rd in s]
    assert rrs[0][0].rdtype == dns.rdatatype.SOA and rrs[1][0].rdtype == dns.rdatatype.SOA, \
        "not an incremental transfer (RFC 1995 4): " + " / ".join(s.to_text() for s, _ in rrs[:3])
    final = rrs[0][1].serial
    have, steps, adding = set(have), 0, True  # the first SOA opens a removal
    for s, rd in rrs[1:-1]:
        line = f"{s.name.to_text().lower()} {s.ttl} {dns.rdatatype.to_text(s.rdtype)} {rd.to_text()}"
        if s.rdtype == dns.rdatatype.SOA:
            adding = not adding
            steps += adding
            if adding:  # the difference's new SOA replaces the old one
                have = {x for x in have if x.split()[2] != "SOA"}
            have.add(line) if adding else have.discard(line)
            continue
        if adding:
            have.add(line)
        else:
            assert line in have, "IXFR removes a record that is not there: " + line
            have.discard(line)
    assert rrs[-1][1].serial == final
    return have, steps


@pytest.mark.parametrize("denial", ["nsec", "nsec3"])
def test_refresh_by_slices(tmp_path, denial):
    srv = start(tmp_path, denial)
    try:
        s0 = serial(srv)
        z0 = axfr(srv)
        first = min(inceptions(z0))
        nsigs = len(inceptions(z0))
        serials = {s0}

        def all_new():
            serials.add(serial(srv))
            return min(inceptions(axfr(srv))) > first

        # due a quarter of the validity (10 s) after the signing, then one
        # slice of at most SLICE RRsets a second
        assert wait_for(all_new, timeout=45, step=0.5), srv.log_text()[-3000:]
        z1 = axfr(srv)
        s1 = z1[0][0].serial
        log = srv.log_text()
        steps = [ln for ln in log.splitlines() if "signatures made again for" in ln]
        assert len(steps) >= 3, log[-3000:]  # some 90 RRsets, 16 at a time
        assert "signatures made again, serial" not in log  # never the zone whole
        # every step its own serial, and each one a journal entry
        msgs = transfer(srv.host, srv.port, xfr_query(ORIGIN, "IXFR", serial=s0))
        after, ndiff = apply_ixfr(lines(z0), msgs)
        assert after == lines(z1)
        assert ndiff == ((s1 - s0) & 0xffffffff) and ndiff >= 3, (ndiff, s0, s1)
        # the same signatures, all made again: as many as before
        assert len(inceptions(z1)) == nsigs
        # and the zone as served verifies offline
        path = tmp_path / "axfr.zone"
        path.write_text("\n".join(sorted(lines(z1))) + "\n")
        for argv in (["dnssec-verify", "-q", "-o", ORIGIN, str(path)], ["ldns-verify-zone", str(path)]):
            if shutil.which(argv[0]):
                p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
                assert p.returncode == 0, f"{argv[0]}: {p.stdout}{p.stderr}"
    finally:
        stop_clean(srv)


def test_steps_fit_the_journal(tmp_path):
    """Without dnssec-refresh-slice (10000 RRsets a step), a small
    journal-size makes the steps smaller, so that each journal entry stays
    about a quarter of it (200k: some 50 KB, under 200 RRsets of ~250 bytes
    each way) and the IXFR from the serial before the refresh still works."""
    srv = start(tmp_path, "nsec", names=300, extra=("    journal-size: 200k",))
    try:
        s0 = serial(srv)
        z0 = axfr(srv)
        wait_refreshed(srv, z0)
        z1 = axfr(srv)
        log = srv.log_text()
        sizes = [int(ln.split("made again for ")[1].split()[0]) for ln in log.splitlines()
                 if "signatures made again for" in ln]
        assert len(sizes) >= 3 and 100 <= max(sizes) <= 200, sizes  # some 610 RRsets
        msgs = transfer(srv.host, srv.port, xfr_query(ORIGIN, "IXFR", serial=s0))
        after, ndiff = apply_ixfr(lines(z0), msgs)
        assert after == lines(z1) and ndiff == len(sizes)
    finally:
        stop_clean(srv)


def test_steps_hurry_near_expiry(tmp_path):
    """Steps kept small for the journal would not finish a big zone within
    the validity: once the oldest due signatures are half way to their
    expiry (20 s of 40), the journal bound gives way and the rest goes in
    full steps, at once: no signature expires."""
    srv = start(tmp_path, "nsec", names=3000, extra=("    journal-size: 200k",))
    try:
        wait_refreshed(srv, axfr(srv), timeout=35)
        log = srv.log_text()
        sizes = [int(ln.split("made again for ")[1].split()[0]) for ln in log.splitlines()
                 if "signatures made again for" in ln]
        assert sizes and max(sizes[:3]) <= 200 and max(sizes) > 200, sizes
        assert "signatures made again, serial" not in log
    finally:
        stop_clean(srv)


def test_parent_asked_once_per_interval(tmp_path):
    """A refresh step comes every second; the parent (dnssec-parent, here
    down) is still asked once per dnssec-parent-check-interval, not at
    every step, and each question waits for its timeout under the lock."""
    from peers import free_port
    srv = start(tmp_path, "nsec", extra=(f"    dnssec-refresh-slice: {SLICE}",
                                         f"    dnssec-parent: 127.0.0.1:{free_port()}",
                                         "    dnssec-parent-check-interval: 30"))
    try:
        assert wait_for(lambda: srv.log_text().count("signatures made again for") >= 4, timeout=30, step=0.5), \
            srv.log_text()[-3000:]
        log = srv.log_text()
        assert log.count("no answer from the parent (dnssec-parent)") == 1, log[-3000:]
    finally:
        stop_clean(srv)


def test_file_written_after_the_last_step(tmp_path):
    """A zone that takes UPDATEs has its signed file rewritten by the
    writer thread; a refresh hands it over once, after its last step, not
    at each step (a restart signs the zone anyway; at 1M names each write
    is some 600 MB and a core busy for seconds)."""
    srv = start(tmp_path, "nsec", extra=(f"    dnssec-refresh-slice: {SLICE}", "    allow-update: 127.0.0.1"))
    try:
        s0 = serial(srv)
        z0 = axfr(srv)
        wait_refreshed(srv, z0)
        last = serial(srv)
        assert wait_for(lambda: f"serial {last} written to" in srv.log_text(), timeout=10), srv.log_text()[-3000:]
        written = [int(x) for x in re.findall(r"serial (\d+) written to", srv.log_text())]
        assert [x for x in written if s0 < x < last] == [], (s0, last, written)
        assert (last - s0) >= 3
    finally:
        stop_clean(srv)


def test_refresh_slice_is_checked(tmp_path):
    """dnssec-refresh-slice takes 1..1000000 RRsets; anything else is an
    error naming the file and line."""
    (tmp_path / "z.zone").write_text(zone_text())
    conf = tmp_path / "ternd.conf"
    conf.write_text("zone:\n    name: slice.test\n    file: z.zone\n    dnssec-signing: on\n"
                    "    dnssec-refresh-slice: 0\n")
    from ternd import binary
    p = subprocess.run([binary("ternd"), "--check", "--config", str(conf)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0
    assert "ternd.conf:5:" in p.stderr and "dnssec-refresh-slice" in p.stderr, p.stderr
