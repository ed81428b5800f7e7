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
    """The rdata set a server answers for name/type (authoritative data at
    and above cuts; the delegation's NS and glue from the referral)."""
    r = dns.query.tcp(dns.message.make_query(name, rdtype), srv.host, port=srv.port, timeout=3)
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
        r = dns.query.udp(dns.message.make_query("www.example.com.", "A"), srv.host, port=srv.port, timeout=0.5)
    except Exception:
        return False
    return any(x.to_text() == addr for rrset in r.answer for x in rrset)


def wait_log(srv, pattern, timeout):
    return wait_for(lambda: re.search(pattern, srv.log_text()) is not None, timeout, 0.05)


def check_interop(tmp_path, start_peer, change_peer, expect_ixfr, key=None):
    """The whole cycle against one peer: AXFR, change + NOTIFY -> new data
    within 2 s, same content as the peer. key: (name, alg, secret) that
    signs everything."""
    tport = free_port()
    peer = start_peer(tmp_path, tport)
    srv = None
    try:
        primary = f"{LOOPBACK}:{peer.port}" + (f" key {key[0]}" if key else "")
        keys = [(f"name: {key[0]}", f"algorithm: {key[1]}", f"secret: {key[2]}")] if key else ()
        srv = start_secondary(tmp_path / "t", tport, [primary], extra_keys=keys)
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
        # the copy on disk is the new version (written just after it is
        # published), and loads as a zone file
        # (the timer state is saved before the version is published, the
        # file after it: waiting for the state alone raced with the file)
        state = tmp_path / "t" / "sec" / "example.com.zone.state"
        assert wait_for(lambda: re.search(r"^serial 2$", state.read_text(), re.M), 2), state.read_text()
        disk_file = tmp_path / "t" / "sec" / "example.com.zone"
        want = rrsets_of(zone_text(2, change=True))
        assert wait_for(lambda: rrsets_of(disk_file.read_text()) == want, 5), disk_file.read_text()
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


KEY = ("xfr-key.", "hmac-sha256", "c2VjcmV0IHNoYXJlZCBieSBrbm90IGFuZCB0ZXJuZCwgMzIgYnk=")


def test_knot_primary_tsig(tmp_path):
    """The same with TSIG: every query and transfer signed, Knot's NOTIFY
    signed (allowed because the primary line names the key)."""
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")

    def start(tmp, tport):
        return start_knot(tmp / "k", {ORIGIN: zone_text(1)}, axfr=True, notify=[(LOOPBACK, tport)], ixfr=True,
                          tsig=KEY)

    def change(peer):
        edit_zone_file(peer, zone_text(2, change=True))
        sock = os.path.join(peer.workdir, "knot.sock")
        subprocess.run(["knotc", "-s", sock, "zone-reload", ORIGIN], check=True, capture_output=True, timeout=10)

    check_interop(tmp_path, start, change, expect_ixfr=True, key=KEY)


def test_knot_primary_wrong_key(tmp_path):
    """A key the primary does not share: nothing is transferred, the log
    says why."""
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")
    peer = start_knot(tmp_path / "k", {ORIGIN: zone_text(1)}, axfr=True, tsig=KEY)
    try:
        wrong = (f"name: {KEY[0]}", f"algorithm: {KEY[1]}", "secret: d3Jvbmcgc2VjcmV0")
        srv = start_secondary(tmp_path / "t", free_port(), [f"{LOOPBACK}:{peer.port} key {KEY[0]}"],
                              extra_keys=[wrong], wait=False)
        try:
            assert wait_log(srv, r"AXFR from \S+ failed: message 1: TSIG BADSIG", 5), srv.log_text()
            assert srv.query(ORIGIN, "SOA").rcode() == dns.rcode.SERVFAIL
        finally:
            srv.stop()
        assert srv.exit_status == 0, srv.log_text()
    finally:
        peer.stop()


# ---- BIND ----

@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "tsig"])
def test_bind_primary(tmp_path, key):
    if not shutil.which("named"):
        pytest.skip("named not installed")

    def start(tmp, tport):
        return start_named(tmp / "b", {ORIGIN: zone_text(1)}, notify=[(LOOPBACK, tport)], ixfr=True, tsig=key)

    def change(peer):
        time.sleep(1.1)  # named compares the file's mtime in seconds
        edit_zone_file(peer, zone_text(2, change=True))
        os.kill(peer.pid, signal.SIGHUP)

    check_interop(tmp_path, start, change, expect_ixfr=True, key=key)


# ---- NSD ----

@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "tsig"])
def test_nsd_primary(tmp_path, key):
    if not shutil.which("nsd"):
        pytest.skip("nsd not installed")

    def start(tmp, tport):
        return start_nsd(tmp / "n", {ORIGIN: zone_text(1)}, axfr=True, notify=[(LOOPBACK, tport)], tsig=key)

    def change(peer):
        time.sleep(1.1)  # nsd compares the file's mtime in seconds
        edit_zone_file(peer, zone_text(2, change=True))
        os.kill(peer.pid, signal.SIGHUP)

    # NSD 4.6 keeps no differences: the IXFR is answered with the whole zone
    check_interop(tmp_path, start, change, expect_ixfr=False, key=key)


# ---- a scripted primary (dnspython) ----

def soa_of(text, origin=ORIGIN):
    z = dns.zone.from_text(text, origin=origin, relativize=False)
    return z.find_rrset(origin, "SOA")


def records_of(text, origin=ORIGIN):
    """The zone's RRsets, SOA first (AXFR order)."""
    z = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)
    soa = z.find_rrset(origin, "SOA")
    out = [soa]
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            if rds.rdtype != dns.rdatatype.SOA:
                out.append(dns.rrset.from_rdata_list(name, rds.ttl, list(rds)))
    return out


class FakePrimary:
    """Answers SOA, AXFR and IXFR for example.com from self.text; self.mode
    picks a way to break the transfer. Listens on host (default
    127.0.0.2, so that NOTIFY from the test's 127.0.0.1 is not the
    primary's address). self.expire_opt: an EDNS EXPIRE value to answer."""

    def __init__(self, text, host="127.0.0.2", origin=ORIGIN):
        self.text = text
        self.origin = origin
        self.mode = "good"
        self.expire_opt = None
        self.ixfr = None  # (old_text, new_text) to answer IXFR incrementally
        self.srv = ScriptedServer(self.handle, host=host)
        self.host = host
        self.port = self.srv.port
        self.xfr_requests = []
        self.expire_asked = 0

    def addr(self):
        return f"{self.host}:{self.port}"

    def stop(self):
        self.srv.stop()

    def _reply(self, q):
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        if self.expire_opt is not None and q.edns >= 0:
            r.use_edns(0, options=[dns.edns.GenericOption(9, struct.pack("!I", self.expire_opt))])
        return r

    def handle(self, wire, transport, peer, sock):
        q = dns.message.from_wire(wire)
        if any(o.otype == 9 for o in q.options):
            self.expire_asked += 1
        qtype = q.question[0].rdtype
        if qtype == dns.rdatatype.SOA:
            r = self._reply(q)
            r.answer.append(soa_of(self.text, self.origin))
            return [r.to_wire()]
        if qtype not in (dns.rdatatype.AXFR, dns.rdatatype.IXFR) or transport != "tcp":
            return []
        self.xfr_requests.append(dns.rdatatype.to_text(qtype))
        return self.transfer(q, qtype, sock)

    def messages(self, q, rrsets, per_msg=4):
        out = []
        for i in range(0, len(rrsets), per_msg):
            r = self._reply(q) if i == 0 else dns.message.make_response(q)
            if i:
                r.question = []
            r.answer = rrsets[i:i + per_msg]
            out.append(r.to_wire(max_size=65535))
        return out

    def transfer(self, q, qtype, sock):
        mode = self.mode
        soa = soa_of(self.text, self.origin)
        recs = records_of(self.text, self.origin)
        if mode == "ixfr-mismatch" and qtype == dns.rdatatype.AXFR:
            r = self._reply(q)
            r.set_rcode(dns.rcode.REFUSED)
            return [r.to_wire()]
        if mode == "ixfr-mismatch" or (mode == "good" and self.ixfr and qtype == dns.rdatatype.IXFR):
            old_text, new_text = self.ixfr
            old = soa_of(old_text)
            delete = [dns.rrset.from_text("www." + ORIGIN, 300, "IN", "A", "192.0.2.10")]
            if mode == "ixfr-mismatch":
                delete = [dns.rrset.from_text("nothere." + ORIGIN, 300, "IN", "A", "192.0.2.99")]
            add = [dns.rrset.from_text("www." + ORIGIN, 300, "IN", "A", "192.0.2.11")]
            return self.messages(q, [soa, old] + delete + [soa] + add + [soa], per_msg=100)
        if mode == "good":
            return self.messages(q, recs + [soa])
        if mode == "mismatched-soa":
            bad = dns.rrset.from_text(ORIGIN, 300, "IN", "SOA", soa[0].to_text().replace(
                f" {soa[0].serial} ", f" {soa[0].serial + 7} "))
            return self.messages(q, recs + [bad])
        if mode == "wrong-first":
            return self.messages(q, recs[1:] + [soa])
        if mode == "wrong-question":
            msgs = self.messages(q, recs + [soa])
            r = dns.message.from_wire(msgs[0])
            r.question = [dns.rrset.RRset(dns.name.from_text("example.net."), dns.rdataclass.IN,
                                          dns.rdatatype.AXFR)]
            return [r.to_wire()] + msgs[1:]
        if mode == "wrong-id":
            msgs = self.messages(q, recs + [soa])
            return [struct.pack("!H", (q.id + 1) & 0xffff) + m[2:] for m in msgs]
        if mode == "garbage":
            return [b"\x00\x01garbage that is not a DNS message at all" * 3]
        if mode == "stop-midway":
            msgs = self.messages(q, recs + [soa], per_msg=3)
            sock.sendall(struct.pack("!H", len(msgs[0])) + msgs[0])
            sock.shutdown(socket.SHUT_RDWR)
            return []
        if mode == "hang":  # the first message, then nothing (the connection stays open)
            msgs = self.messages(q, recs + [soa], per_msg=3)
            sock.sendall(struct.pack("!H", len(msgs[0])) + msgs[0])
            time.sleep(8)
            return []
        if mode == "no-end":
            return self.messages(q, recs)[:1] + [b""][:0]
        if mode == "oversize":
            big = [dns.rrset.from_text(f"big{i}." + ORIGIN, 300, "IN", "TXT", '"' + "x" * 200 + '"')
                   for i in range(100)]
            return self.messages(q, recs + big + [soa], per_msg=20)
        raise AssertionError(mode)


def notify(srv, zone=ORIGIN, source="127.0.0.1", serial=None):
    """Sends a NOTIFY for zone to ternd from source; returns the answer."""
    q = dns.message.make_query(zone, "SOA")
    q.set_opcode(dns.opcode.NOTIFY)
    q.flags = dns.flags.AA | (q.flags & ~dns.flags.RD)
    q.set_opcode(dns.opcode.NOTIFY)
    if serial is not None:
        s = soa_of(zone_text(serial))
        q.answer.append(s)
    return dns.query.udp(q, srv.host, port=srv.port, timeout=2, source=source)


@pytest.fixture
def fake(tmp_path):
    f = FakePrimary(zone_text(1, retry=1))
    yield f
    f.stop()


def test_notify_answers(tmp_path, fake):
    """RFC 1996 3.7: the NOTIFY answer: AA, NOERROR, opcode NOTIFY, the
    question echoed, only from allowed sources; NOTAUTH for zones that
    are not our secondaries."""
    srv = start_secondary(tmp_path, free_port(), [fake.addr()])
    try:
        assert wait_log(srv, r"by AXFR from", 5), srv.log_text()
        # 127.0.0.1 is neither the primary (127.0.0.2) nor in allow-notify
        r = notify(srv)
        assert r.rcode() == dns.rcode.REFUSED and r.opcode() == dns.opcode.NOTIFY
        # the primary's own address may notify (any port), as in BIND
        r = notify(srv, source="127.0.0.2", serial=1)
        assert r.rcode() == dns.rcode.NOERROR, r
        assert r.opcode() == dns.opcode.NOTIFY
        assert r.flags & dns.flags.AA and r.flags & dns.flags.QR
        assert r.question[0].name.to_text() == ORIGIN and r.question[0].rdtype == dns.rdatatype.SOA
        assert not r.answer
        # a zone not served
        r = notify(srv, zone="example.net.", source="127.0.0.2")
        assert r.rcode() == dns.rcode.NOTAUTH
        assert wait_log(srv, r"NOTIFY received", 2), srv.log_text()
    finally:
        srv.stop()
    assert srv.exit_status == 0, srv.log_text()


def test_allow_notify_prefix_and_primary_zone(tmp_path, fake):
    """allow-notify lets another address in; a zone we are primary for gets
    NOTAUTH."""
    primary_zone = tmp_path / "p.zone"
    primary_zone.write_text(zone_text(5).replace("example.com.", "example.org."))
    conf = write_conf(str(tmp_path), [fake.addr()], extra_zone=["allow-notify: 127.0.0.0/30"])
    with open(conf, "a") as f:
        f.write(f"zone:\n    name: example.org\n    file: {primary_zone}\n")
    srv = start_ternd(tmp_path, args=["--config", conf], probe=ORIGIN)
    try:
        assert notify(srv).rcode() == dns.rcode.NOERROR
        assert notify(srv, zone="example.org.").rcode() == dns.rcode.NOTAUTH
    finally:
        srv.stop()
    assert srv.exit_status == 0, srv.log_text()


def test_ixfr_from_scripted_primary(tmp_path, fake):
    """IXFR with our serial in the authority section; the difference
    applied; EXPIRE asked for in every query."""
    srv = start_secondary(tmp_path, free_port(), [fake.addr()])
    try:
        assert wait_log(srv, r"by AXFR from", 5)
        fake.ixfr = (fake.text, zone_text(2, retry=1))
        fake.text = zone_text(2, retry=1)
        notify(srv, source="127.0.0.2")
        assert wait_for(lambda: www_is(srv, "192.0.2.11"), 3), srv.log_text()
        assert wait_log(srv, r"serial 1 -> 2 by IXFR from", 2), srv.log_text()
        assert fake.xfr_requests == ["AXFR", "IXFR"]
        assert fake.expire_asked >= 3  # SOA, AXFR, SOA, IXFR
        # the rest of the zone is still there
        assert_same_content(srv, zone_text(2, retry=1).replace("www A 192.0.2.10", "www A 192.0.2.11"))
    finally:
        srv.stop()
    assert srv.exit_status == 0, srv.log_text()


BAD = {
    "mismatched-soa": r"IXFR from \S+ failed: SOA serial 9 ends a transfer that began with serial 2",
    "wrong-first": r"failed: the first record is not the zone's SOA",
    "wrong-question": r"failed: message 1: the question is not the one asked",
    "wrong-id": r"failed: message 1: ID \d+, the request's was \d+",
    "garbage": r"failed: message 1: (malformed|ID)",
    "stop-midway": r"failed: after 1 message\(s\), \d+ bytes: the connection was closed",
    "oversize": r"failed: transfer larger than xfr-max-size \(4096 bytes\)",
    "ixfr-mismatch": r"IXFR from \S+ not applied: IXFR from serial 1 to 2 deletes 'nothere.example.com. A 192.0.2.99', "
                     r"which the zone does not hold",
}


@pytest.mark.parametrize("mode", sorted(BAD))
def test_bad_transfer_keeps_old_zone(tmp_path, fake, mode):
    """A primary that breaks the transfer: the old version keeps serving,
    one clear log line says why, and the next try comes after a back-off."""
    srv = start_secondary(tmp_path, free_port(), [fake.addr()], extra_zone=["xfr-max-size: 4096"])
    try:
        assert wait_log(srv, r"by AXFR from", 5), srv.log_text()
        fake.ixfr = (fake.text, zone_text(2, retry=1))
        fake.text = zone_text(2, change=True, retry=1)
        fake.mode = mode
        notify(srv, source="127.0.0.2")
        assert wait_log(srv, BAD[mode], 8), srv.log_text()
        assert www_is(srv, "192.0.2.10")  # version 1 keeps serving
        # back-off: retry 1 s, then 2 s
        assert wait_log(srv, r"next try in 1 s; the current version keeps serving", 3), srv.log_text()
        assert wait_log(srv, r"next try in 2 s", 4), srv.log_text()
        assert www_is(srv, "192.0.2.10")
        assert srv.proc.poll() is None
        # one line per failed check, saying all of it
        errors = [l for l in srv.log_text().splitlines() if " error: " in l]
        assert errors and all(re.search(BAD[mode], l) and "next try in" in l for l in errors), errors
        # the primary mends its ways: the next try succeeds
        fake.mode = "good"
        fake.ixfr = None
        assert wait_for(lambda: www_is(srv, "192.0.2.11"), 6), srv.log_text()
    finally:
        srv.stop()
    assert srv.exit_status == 0, srv.log_text()


def test_restart_primary_down_then_expire(tmp_path):
    """The disk copy serves at once after a restart with the primary down;
    past the SOA expire (kept across the restart) the zone is SERVFAIL."""
    fake = FakePrimary(zone_text(1, refresh=1, retry=1, expire=4))
    port = free_port()
    srv = start_secondary(tmp_path, port, [fake.addr()])
    try:
        assert wait_log(srv, r"by AXFR from", 5)
        t_xfr = time.monotonic()
    finally:
        srv.stop()
        fake.stop()
    assert srv.exit_status == 0
    srv = start_secondary(tmp_path, port, [fake.addr()], wait=False)
    try:
        assert wait_for(lambda: www_is(srv, "192.0.2.10"), 3), srv.log_text()
        assert wait_log(srv, r"refresh from \S+ failed", 3), srv.log_text()
        assert www_is(srv, "192.0.2.10")
        # expire 4 s after the transfer (not after the restart)
        assert wait_for(lambda: srv.query("www.example.com.", "A").rcode() == dns.rcode.SERVFAIL, 6)
        assert time.monotonic() - t_xfr < 4 + 1.5, "expired late"
        assert "expired" in srv.log_text()
    finally:
        srv.stop()
    assert srv.exit_status == 0, srv.log_text()


def test_edns_expire(tmp_path):
    """RFC 7314: the primary's EXPIRE value stands for the SOA's; ternd
    answers EXPIRE as a secondary (time left) and as a primary (SOA)."""
    fake = FakePrimary(zone_text(1))
    fake.expire_opt = 50
    primary_zone = tmp_path / "p.zone"
    primary_zone.write_text(zone_text(5, expire=1234).replace("example.com.", "example.org."))
    conf = write_conf(str(tmp_path), [fake.addr()])
    with open(conf, "a") as f:
        f.write(f"zone:\n    name: example.org\n    file: {primary_zone}\n")
    srv = start_ternd(tmp_path, args=["--config", conf], probe=ORIGIN)
    try:
        def expire_of(name):
            q = dns.message.make_query(name, "SOA", use_edns=0, options=[dns.edns.GenericOption(9, b"")])
            r = dns.query.udp(q, srv.host, port=srv.port, timeout=2)
            vals = [struct.unpack("!I", o.to_wire())[0] for o in r.options if o.otype == 9]
            return vals[0] if vals else None
        assert 45 <= expire_of(ORIGIN) <= 50
        assert expire_of("example.org.") == 1234
        # no option when not asked
        r = srv.query(ORIGIN, "SOA", use_edns=0)
        assert not [o for o in r.options if o.otype == 9]
    finally:
        srv.stop()
        fake.stop()
    assert srv.exit_status == 0, srv.log_text()


def test_secondary_is_primary_of_knot(tmp_path):
    """A chain Knot -> ternd -> Knot: what ternd receives (by IXFR) goes
    into its journal and is announced to its own secondary, which pulls it
    from ternd by IXFR (issue 11, item 5: a secondary may also be a
    primary)."""
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")
    from peers import start_knot_secondary
    tport, sport = free_port(), free_port()
    top = start_knot(tmp_path / "k", {ORIGIN: zone_text(1)}, axfr=True, notify=[(LOOPBACK, tport)], ixfr=True)
    srv = sec = None
    try:
        srv = start_secondary(tmp_path / "t", tport, [f"{LOOPBACK}:{top.port}"],
                              extra_zone=[f"allow-transfer: {LOOPBACK}", f"notify: {LOOPBACK}:{sport}"])
        assert wait_log(srv, r"by AXFR from", 5), srv.log_text()
        sec = start_knot_secondary(tmp_path / "s", "example.com", (LOOPBACK, tport), port=sport)
        assert wait_for(lambda: www_is(sec, "192.0.2.10"), 5), sec.log_text()
        edit_zone_file(top, zone_text(2, change=True))
        subprocess.run(["knotc", "-s", os.path.join(top.workdir, "knot.sock"), "zone-reload", ORIGIN],
                       check=True, capture_output=True, timeout=10)
        assert wait_for(lambda: www_is(srv, "192.0.2.11"), 3), srv.log_text()
        assert wait_for(lambda: www_is(sec, "192.0.2.11"), 5), sec.log_text() + srv.log_text()
        assert re.search(r"IXFR, incoming, remote 127\.0\.0\.1@\d+, finished", sec.log_text()), sec.log_text()
        assert_same_content(sec, zone_text(2, change=True))
    finally:
        for p in (sec, srv, top):
            if p:
                p.stop()
    assert srv.exit_status == 0, srv.log_text()


def test_reload_keeps_secondary_and_adds_new_one(tmp_path, fake):
    """SIGHUP does not read a secondary zone's file again (its data come
    from the primary), and a secondary zone added by the reload is
    transferred at once."""
    conf = write_conf(str(tmp_path), [fake.addr()])
    srv = start_ternd(tmp_path, args=["--config", conf], probe=ORIGIN)
    try:
        assert wait_log(srv, r"by AXFR from", 5)
        # the file on disk says something else: not read on reload
        (tmp_path / "sec" / "example.com.zone").write_text(zone_text(7).replace("192.0.2.10", "192.0.2.77"))
        other = FakePrimary(zone_text(3).replace("example.com.", "example.org."), origin="example.org.")
        try:
            with open(conf, "a") as f:
                f.write(f"zone:\n    name: example.org\n    file: sec/example.org.zone\n    primary: {other.addr()}\n")
            srv.reload()
            assert wait_log(srv, r"zone example\.org\.: serial none -> 3 by AXFR", 5), srv.log_text()
            assert www_is(srv, "192.0.2.10")
            assert srv.query("example.com.", "SOA").answer[0][0].serial == 1
        finally:
            other.stop()
    finally:
        srv.stop()
    assert srv.exit_status == 0, srv.log_text()


def test_check_accepts_secondary_without_file(tmp_path):
    """--check: a secondary zone needs no file yet; a key that no key:
    section defines is an error naming the zone's line."""
    conf = write_conf(str(tmp_path), ["127.0.0.2:53"])
    from ternd import binary
    r = subprocess.run([binary(), "--check", "--config", conf], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    conf = write_conf(str(tmp_path), ["127.0.0.2:53 key nokey"])
    r = subprocess.run([binary(), "--check", "--config", conf], capture_output=True, text=True, timeout=10)
    # named by the zone's line (its file: line, which also names a missing file)
    assert r.returncode != 0 and re.search(r"ternd\.conf:\d+: zone names key 'nokey\.'", r.stderr), r.stderr


def test_soa_query_falls_back_to_tcp(tmp_path):
    """A primary silent over UDP (or truncating) is asked over TCP."""
    for mode in ("silent", "truncate"):
        fake = FakePrimary(zone_text(1, retry=1))
        inner = fake.handle

        def handle(wire, transport, peer, sock, mode=mode, inner=inner):
            q = dns.message.from_wire(wire)
            if transport == "udp" and q.question[0].rdtype == dns.rdatatype.SOA:
                if mode == "silent":
                    return []
                r = dns.message.make_response(q)
                r.flags |= dns.flags.TC
                return [r.to_wire()]
            return inner(wire, transport, peer, sock)
        fake.srv.handler = handle
        srv = start_secondary(tmp_path / mode, free_port(), [fake.addr()])
        try:
            assert wait_log(srv, r"by AXFR from", 5)
            fake.text = zone_text(2, change=True, retry=1)
            notify(srv, source="127.0.0.2")
            assert wait_for(lambda: www_is(srv, "192.0.2.11"), 5), srv.log_text()
            soa_tcp = [w for t, w in fake.srv.queries
                       if t == "tcp" and dns.message.from_wire(w).question[0].rdtype == dns.rdatatype.SOA]
            assert soa_tcp, mode
        finally:
            srv.stop()
            fake.stop()
        assert srv.exit_status == 0, srv.log_text()


def test_stop_during_transfer(tmp_path, fake):
    """ternd stops at once even while a primary holds a transfer open."""
    srv = start_secondary(tmp_path, free_port(), [fake.addr()])
    try:
        assert wait_log(srv, r"by AXFR from", 5)
        fake.text = zone_text(2, change=True, retry=1)
        fake.mode = "hang"
        notify(srv, source="127.0.0.2")
        assert wait_log(srv, r"has serial 2, we have 1; transferring", 3), srv.log_text()
        time.sleep(0.3)
        assert www_is(srv, "192.0.2.10")
    finally:
        t0 = time.monotonic()
        srv.stop()
        took = time.monotonic() - t0
    assert srv.exit_status == 0, srv.log_text()
    assert took < 2.0, f"stopping took {took:.2f} s"
