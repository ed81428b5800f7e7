"""test_xfr_in.py: ternd as a secondary (issue 11, item 5).

Interop: Knot, NSD and BIND as primaries on loopback; ternd transfers the
zone (AXFR), then a change at the peer (serial + 1) makes the peer NOTIFY
ternd, which pulls the difference (IXFR where the peer has one) and answers
the new data within 2 s. Then restarts with the primary down (the disk copy
serves), expiry (SERVFAIL), and a scripted (dnspython) primary that sends
bad transfers: the old zone keeps serving, one clear log line, retry with
back-off.
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

from peers import LOOPBACK, ScriptedServer, free_port, start_knot, start_named, start_nsd
from ternd import start_ternd

ORIGIN = "example.com."


def zone_text(serial, change=False, refresh=3600, retry=600, expire=86400):
    """Version 1, or (change=True) version 2: www changed, new added, old
    removed."""
    lines = [
        "$ORIGIN example.com.",
        "$TTL 300",
        f"@ IN SOA ns1 hostmaster {serial} {refresh} {retry} {expire} 60",
        "@ NS ns1",
        "@ MX 10 mx1",
        "ns1 A 192.0.2.1",
        "mx1 A 192.0.2.20",
        "sub NS ns.sub",
        "ns.sub A 192.0.2.53",
        'txt TXT "hello world" "second string"',
        "alias CNAME www",
        "v6 AAAA 2001:db8::1",
    ]
    if change:
        lines += ["www A 192.0.2.11", "new A 192.0.2.30", "new TXT added"]
    else:
        lines += ["www A 192.0.2.10", 'old TXT "to be removed"']
    return "\n".join(lines) + "\n"


def write_conf(workdir, primaries, zone_file="sec/example.com.zone", extra_zone=(), extra_keys=()):
    """A ternd configuration with example.com a secondary of primaries."""
    os.makedirs(os.path.join(workdir, os.path.dirname(zone_file)), exist_ok=True)
    lines = []
    for k in extra_keys:
        lines += ["key:"] + [f"    {x}" for x in k]
    lines += ["zone:", "    name: example.com", f"    file: {zone_file}"]
    lines += [f"    primary: {p}" for p in primaries]
    lines += [f"    {x}" for x in extra_zone]
    path = os.path.join(workdir, "ternd.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def start_secondary(workdir, port, primaries, wait=True, **kw):
    conf = write_conf(str(workdir), primaries, **kw)
    return start_ternd(workdir, port=port, args=["--config", conf], probe=ORIGIN if wait else None, wait=wait)


def rrsets_of(text):
    """{(name, type): set of rdata text} of a zone text (out-of-zone glue and
    data below cuts included: what a transfer holds)."""
    z = dns.zone.from_text(text, origin=ORIGIN, relativize=False, check_origin=False)
    out = {}
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            out[(name.to_text(), dns.rdatatype.to_text(rds.rdtype))] = {r.to_text() for r in rds}
    return out


def served(srv, name, rdtype):
    """The rdata set ternd answers for name/type (authoritative data at and
    above cuts; the delegation's NS and glue from the referral)."""
    r = srv.query(name, rdtype, tcp=True)
    out = set()
    for sec in (r.answer, r.authority, r.additional):
        for rrset in sec:
            if rrset.name.to_text() == name and dns.rdatatype.to_text(rrset.rdtype) == rdtype:
                out |= {x.to_text() for x in rrset}
    return r, out


def assert_same_content(srv, text):
    """ternd answers every RRset of the zone text, exactly."""
    for (name, rdtype), want in rrsets_of(text).items():
        _, got = served(srv, name, rdtype)
        assert got == want, f"{name} {rdtype}: ternd has {got}, the primary {want}"


def wait_for(pred, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def www_is(srv, addr):
    try:
        r = srv.query("www.example.com.", "A", timeout=0.5)
    except Exception:
        return False
    return any(x.to_text() == addr for rrset in r.answer for x in rrset)


def wait_log(srv, pattern, timeout):
    return wait_for(lambda: re.search(pattern, srv.log_text()) is not None, timeout, 0.05)


def check_interop(tmp_path, start_peer, change_peer, expect_ixfr):
    """The whole cycle against one peer: AXFR, change + NOTIFY -> new data
    within 2 s, same content as the peer."""
    tport = free_port()
    peer = start_peer(tmp_path, tport)
    srv = None
    try:
        srv = start_secondary(tmp_path / "t", tport, [f"{LOOPBACK}:{peer.port}"])
        assert wait_log(srv, r"by AXFR from", 5), srv.log_text()
        assert_same_content(srv, zone_text(1))
        assert os.path.exists(tmp_path / "t" / "sec" / "example.com.zone")
        t0 = time.monotonic()
        change_peer(peer)
        assert wait_for(lambda: www_is(srv, "192.0.2.11"), 10), srv.log_text() + peer.log_text()
        elapsed = time.monotonic() - t0
        log = srv.log_text()
        assert "NOTIFY received" in log, log
        assert elapsed < 2.0 + change_delay(peer), f"new data after {elapsed:.2f} s\n{log}"
        kind = r"by IXFR from" if expect_ixfr else r"by (IXFR \(answered as AXFR\)|AXFR) from"
        assert re.search(r"serial 1 -> 2 " + kind, log), log
        assert_same_content(srv, zone_text(2, change=True))
        _, old = served(srv, "old.example.com.", "TXT")
        assert not old
        # the copy on disk is the new version, and loads as a zone file
        with open(tmp_path / "t" / "sec" / "example.com.zone") as f:
            disk = f.read()
        assert rrsets_of(disk) == rrsets_of(zone_text(2, change=True))
        state = open(tmp_path / "t" / "sec" / "example.com.zone.state").read()
        assert re.search(r"^serial 2$", state, re.M), state
    finally:
        if srv:
            srv.stop()
            assert srv.exit_status == 0, srv.log_text()
        peer.stop()


def change_delay(peer):
    """Seconds a peer itself may take between the change command and its
    NOTIFY (not ternd's time)."""
    return getattr(peer, "notify_delay", 0.0)


def edit_zone_file(peer, text):
    path = os.path.join(peer.workdir, "example.com.zone")
    with open(path, "w") as f:
        f.write(text)


# ---- Knot ----

def test_knot_primary(tmp_path):
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")

    def start(tmp, tport):
        return start_knot(tmp / "k", {ORIGIN: zone_text(1)}, axfr=True, notify=[(LOOPBACK, tport)], ixfr=True)

    def change(peer):
        edit_zone_file(peer, zone_text(2, change=True))
        sock = os.path.join(peer.workdir, "knot.sock")
        subprocess.run(["knotc", "-s", sock, "zone-reload", ORIGIN], check=True, capture_output=True, timeout=10)

    check_interop(tmp_path, start, change, expect_ixfr=True)


# ---- BIND ----

def test_bind_primary(tmp_path):
    if not shutil.which("named"):
        pytest.skip("named not installed")

    def start(tmp, tport):
        return start_named(tmp / "b", {ORIGIN: zone_text(1)}, notify=[(LOOPBACK, tport)], ixfr=True)

    def change(peer):
        time.sleep(1.1)  # named compares the file's mtime in seconds
        edit_zone_file(peer, zone_text(2, change=True))
        os.kill(peer.pid, signal.SIGHUP)

    check_interop(tmp_path, start, change, expect_ixfr=True)


# ---- NSD ----

def test_nsd_primary(tmp_path):
    if not shutil.which("nsd"):
        pytest.skip("nsd not installed")

    def start(tmp, tport):
        return start_nsd(tmp / "n", {ORIGIN: zone_text(1)}, axfr=True, notify=[(LOOPBACK, tport)])

    def change(peer):
        time.sleep(1.1)  # nsd compares the file's mtime in seconds
        edit_zone_file(peer, zone_text(2, change=True))
        os.kill(peer.pid, signal.SIGHUP)

    # NSD 4.6 keeps no differences: the IXFR is answered with the whole zone
    check_interop(tmp_path, start, change, expect_ixfr=False)
