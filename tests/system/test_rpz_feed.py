"""test_rpz_feed.py: a Response Policy Zone fed by zone transfers (issue
14 item 6): "rpz: zone NAME" names a secondary zone of ternd as its RPZ, as
BIND's response-policy and Unbound's rpz: with primary: do.

A ternd primary on loopback serves the policy zone (dynamic UPDATE,
NOTIFY to the secondary); the ternd under test is its secondary and uses
the zone as an RPZ: a trigger in the feed blocks, an UPDATE on the
primary adds one and NOTIFY + IXFR make it take effect, a removed trigger
stops blocking, a broken transfer keeps the last good RPZ, the feed is
not answered from as a zone (but is transferred out), the saved copy is
the RPZ at start, and client groups take feeds of their own.
"""
import os
import re
import shutil
import subprocess
import threading
import time

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.update
import pytest

from conftest import stop_clean
from peers import LOOPBACK, ScriptedServer, free_port, start_knot
from ternd import binary, start_ternd
from test_xfr_in import FakePrimary
from xfr_helpers import wait_for

FEED = "rpz.test"


def feed_text(serial, body):
    return (f"$ORIGIN {FEED}.\n$TTL 300\n@ SOA ns hm {serial} 3600 600 86400 60\n@ NS ns\n"
            f"ns A 192.0.2.1\n{body}")


BODY = ("bad.example CNAME .\n"
        "*.ads.example CNAME *.\n"
        "data.example A 192.0.2.77\n")


def start_primary(tmp_path, sec_port, body=BODY):
    d = tmp_path / "primary"
    d.mkdir(exist_ok=True)
    (d / f"{FEED}.zone").write_text(feed_text(1, body))
    conf = d / "ternd.conf"
    conf.write_text("server:\n    forward: none\n"
                    f"zone:\n    name: {FEED}\n    file: {d / (FEED + '.zone')}\n"
                    "    allow-update: 127.0.0.1\n    allow-transfer: 127.0.0.0/8\n"
                    f"    notify: 127.0.0.1:{sec_port}\n")
    return start_ternd(d, None, args=["--config", str(conf)], probe=FEED + ".")


UPSTREAM_ADDR = "192.0.2.200"


def upstream_answer(wire, transport, peer, sock):
    """The upstream: every name has A 192.0.2.200 (what a name the policy
    lets through resolves to)."""
    q = dns.message.from_wire(wire)
    r = dns.message.make_response(q)
    if q.question[0].rdtype == dns.rdatatype.A:
        r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A", UPSTREAM_ADDR))
    return [r.to_wire()]


@pytest.fixture(autouse=True)
def upstream():
    """The policy applies to clients that may resolve: ternd forwards to
    this scripted upstream on loopback."""
    global UPSTREAM
    UPSTREAM = ScriptedServer(upstream_answer)
    yield UPSTREAM
    UPSTREAM.stop()


def sec_conf(tmp_path, primary, server=(), extra=(), zone_extra=()):
    d = tmp_path / "secondary"
    d.mkdir(exist_ok=True)
    lines = ["server:", f"    forward: {UPSTREAM.host}:{UPSTREAM.port}"] + [f"    {x}" for x in server]
    lines += ["zone:", f"    name: {FEED}", f"    file: {d / (FEED + '.zone')}", f"    primary: {primary}",
              "    allow-notify: 127.0.0.0/8", "    allow-transfer: 127.0.0.1"] + [f"    {x}" for x in zone_extra]
    lines += list(extra)
    conf = d / "ternd.conf"
    conf.write_text("\n".join(lines) + "\n")
    return d, conf


def start_secondary(tmp_path, port, primary, **kw):
    d, conf = sec_conf(tmp_path, primary, **kw)
    return start_ternd(d, None, port=port, args=["--config", str(conf)], wait=False)


def ask(srv, name, qtype="A", source=None):
    q = dns.message.make_query(name, qtype, use_edns=0)
    r = dns.query.udp(q, srv.host, port=srv.port, timeout=2, source=source)
    return r


def rcode_of(srv, name, qtype="A", source=None):
    try:
        return ask(srv, name, qtype, source).rcode()
    except Exception:
        return None


def blocked(srv, name, source=None):
    return rcode_of(srv, name, source=source) == dns.rcode.NXDOMAIN


def resolved(srv, name, source=None):
    """Not blocked: the upstream's answer."""
    try:
        r = ask(srv, name, source=source)
    except Exception:
        return False
    return r.rcode() == dns.rcode.NOERROR and [x.to_text() for s in r.answer for x in s] == [UPSTREAM_ADDR]


def update(primary, *ops):
    u = dns.update.UpdateMessage(FEED + ".")
    for op in ops:
        getattr(u, op[0])(*op[1:])
    r = dns.query.tcp(u, primary.host, port=primary.port, timeout=3)
    assert r.rcode() == dns.rcode.NOERROR, r


def ede_of(r):
    return [o.code for o in r.options if o.otype == dns.edns.EDE]


def test_feed_trigger_blocks_and_the_feed_zone_is_not_answered(tmp_path):
    port = free_port()
    prim = start_primary(tmp_path, port)
    sec = None
    try:
        sec = start_secondary(tmp_path, port, f"{prim.host}:{prim.port}", server=[f"rpz: zone {FEED}"])
        assert wait_for(lambda: blocked(sec, "bad.example."), 5), sec.log_text()
        r = ask(sec, "bad.example.")
        assert r.rcode() == dns.rcode.NXDOMAIN and 15 in ede_of(r)
        # a "*." trigger: NODATA below, the name itself untouched
        r = ask(sec, "x.ads.example.")
        assert r.rcode() == dns.rcode.NOERROR and not r.answer and 15 in ede_of(r)
        assert resolved(sec, "ads.example.")
        # local data of the feed
        r = ask(sec, "data.example.")
        assert [x.to_text() for s in r.answer for x in s] == ["192.0.2.77"]
        # the feed zone is not answered from (as BIND and Unbound) ...
        # the names in it go upstream like any other (from 127.0.0.2: an
        # address its allow-transfer does not name)
        for name, qtype in ((FEED + ".", "SOA"), ("bad.example." + FEED + ".", "CNAME"), ("ns." + FEED + ".", "A"),
                            ("bad.example." + FEED + ".", "SOA")):
            for source in ("127.0.0.1", "127.0.0.2"):
                if qtype == "SOA" and name == FEED + "." and source == "127.0.0.1":
                    continue  # who may transfer it gets the SOA (below)
                r = ask(sec, name, qtype, source=source)
                assert r.rcode() == dns.rcode.NOERROR and not (r.flags & dns.flags.AA), (name, r)
                assert [x.to_text() for s in r.answer for x in s] == ([UPSTREAM_ADDR] if qtype == "A" else []), \
                    (name, r)
        # who may transfer it gets the apex SOA (a downstream secondary
        # compares serials before its IXFR)
        r = ask(sec, FEED + ".", "SOA", source="127.0.0.1")
        assert r.flags & dns.flags.AA and [x.serial for s in r.answer for x in s] == [1], r
        # ... but transferred out where allow-transfer says so
        x = dns.query.xfr(sec.host, FEED + ".", port=sec.port, timeout=5, relativize=False)
        names = {n.to_text() for m in x for s in m.answer for n in [s.name]}
        assert "bad.example." + FEED + "." in names
        assert re.search(r"rpz feed rpz\.test\. \(serial 1\): 4 policy trigger", sec.log_text()), sec.log_text()
    finally:
        for s in (sec, prim):
            if s:
                stop_clean(s)


def test_update_notify_ixfr_adds_and_removes_triggers(tmp_path):
    port = free_port()
    prim = start_primary(tmp_path, port)
    sec = None
    try:
        sec = start_secondary(tmp_path, port, f"{prim.host}:{prim.port}", server=[f"rpz: zone {FEED}"])
        assert wait_for(lambda: blocked(sec, "bad.example."), 5), sec.log_text()
        assert resolved(sec, "new.example.")
        # a trigger added on the primary: NOTIFY, IXFR, the policy built again
        t0 = time.monotonic()
        update(prim, ("add", "new.example", 300, "CNAME", "."))
        assert wait_for(lambda: blocked(sec, "new.example."), 3), sec.log_text()
        took = time.monotonic() - t0
        log = sec.log_text()
        assert re.search(r"serial 1 -> 2 by IXFR from", log), log
        assert "policy built again" in log
        # a removed trigger stops blocking; the others stay
        update(prim, ("delete", "bad.example", "CNAME"))
        assert wait_for(lambda: resolved(sec, "bad.example."), 3), sec.log_text()
        assert blocked(sec, "new.example.")
        # changed local data
        update(prim, ("replace", "data.example", 300, "A", "192.0.2.78"))
        assert wait_for(lambda: [x.to_text() for s in ask(sec, "data.example.").answer for x in s] == ["192.0.2.78"],
                        3), sec.log_text()
        assert took < 3
        # a reload (SIGHUP) reads the feed from the zone it keeps
        sec.reload()
        assert wait_for(lambda: sec.log_text().count("rpz feed rpz.test. (serial 4)") >= 2, 5), sec.log_text()
        assert blocked(sec, "new.example.") and resolved(sec, "bad.example.")
        assert not ask(sec, "ns." + FEED + ".", "SOA", source="127.0.0.2").answer  # still not answered from
        assert not ask(sec, FEED + ".", "SOA", source="127.0.0.2").answer
    finally:
        for s in (sec, prim):
            if s:
                stop_clean(s)


def notify(srv, source="127.0.0.1"):
    q = dns.message.make_query(FEED + ".", "SOA")
    q.flags = dns.flags.AA
    q.set_opcode(dns.opcode.NOTIFY)  # after flags: the opcode is in them
    return dns.query.udp(q, srv.host, port=srv.port, timeout=2, source=source)


def test_broken_transfer_keeps_the_last_good_rpz(tmp_path):
    fake = FakePrimary(feed_text(1, BODY), origin=FEED + ".")
    sec = None
    try:
        sec = start_secondary(tmp_path, free_port(), fake.addr(), server=[f"rpz: zone {FEED}"])
        assert wait_for(lambda: blocked(sec, "bad.example."), 5), sec.log_text()
        # version 2 drops bad.example and adds other.example, but every
        # transfer of it breaks
        fake.text = feed_text(2, "other.example CNAME .\n")
        for mode in ("stop-midway", "wrong-first", "garbage"):
            fake.mode = mode
            n = len(fake.xfr_requests)
            assert notify(sec).rcode() == dns.rcode.NOERROR, (mode, sec.log_text())
            assert wait_for(lambda: len(fake.xfr_requests) > n, 5), (mode, sec.log_text())
            time.sleep(0.3)
            assert blocked(sec, "bad.example."), (mode, sec.log_text())
            assert resolved(sec, "other.example."), mode
        log = sec.log_text()
        assert len(re.findall(r"IXFR from \S+ failed: .*the current version keeps serving", log)) == 3, log
        assert "rpz feed rpz.test. (serial 2)" not in log
        # the transfer works again: the new RPZ replaces the old
        fake.mode = "good"
        assert notify(sec).rcode() == dns.rcode.NOERROR
        assert wait_for(lambda: blocked(sec, "other.example."), 5), sec.log_text()
        assert resolved(sec, "bad.example.")
    finally:
        if sec:
            stop_clean(sec)
        fake.stop()


def test_saved_copy_is_the_rpz_at_start_without_the_primary(tmp_path):
    port = free_port()
    prim = start_primary(tmp_path, port)
    sec = None
    try:
        sec = start_secondary(tmp_path, port, f"{prim.host}:{prim.port}", server=[f"rpz: zone {FEED}"])
        assert wait_for(lambda: blocked(sec, "bad.example."), 5), sec.log_text()
        assert wait_for(lambda: os.path.exists(tmp_path / "secondary" / (FEED + ".zone")), 5)
        sec.stop()
        sec = None
        prim.stop()
        prim = None
        sec = start_secondary(tmp_path, port, f"127.0.0.1:{free_port()}", server=[f"rpz: zone {FEED}"])
        assert wait_for(lambda: blocked(sec, "bad.example."), 5), sec.log_text()
        assert [x.to_text() for s in ask(sec, "data.example.").answer for x in s] == ["192.0.2.77"]
    finally:
        for s in (sec, prim):
            if s:
                stop_clean(s)


def test_client_group_with_its_own_feed(tmp_path):
    port = free_port()
    prim = start_primary(tmp_path, port)
    sec = None
    try:
        # the global policy: a file; the group "kids" (127.0.0.2): the feed
        rpzfile = tmp_path / "local.rpz"
        rpzfile.write_text("$ORIGIN local.rpz.\n@ SOA a. b. 1 2 3 4 5\nfile.example CNAME .\n")
        sec = start_secondary(tmp_path, port, f"{prim.host}:{prim.port}", server=[f"rpz: {rpzfile}"],
                              extra=["group:", "    name: kids", "    clients: 127.0.0.2",
                                     f"    rpz: zone {FEED}", f"    rpz: {rpzfile}"])
        assert wait_for(lambda: blocked(sec, "bad.example.", source="127.0.0.2"), 5), sec.log_text()
        assert blocked(sec, "file.example.", source="127.0.0.2")
        # other clients: the global policy only
        assert blocked(sec, "file.example.")
        assert resolved(sec, "bad.example.")
        # a change of the feed reaches the group
        update(prim, ("add", "new.example", 300, "CNAME", "."))
        assert wait_for(lambda: blocked(sec, "new.example.", source="127.0.0.2"), 3), sec.log_text()
        assert resolved(sec, "new.example.")
        assert blocked(sec, "file.example.")
    finally:
        for s in (sec, prim):
            if s:
                stop_clean(s)


def test_feed_must_be_a_configured_zone(tmp_path):
    d = tmp_path
    conf = d / "ternd.conf"
    conf.write_text("server:\n    forward: none\n    rpz: zone nothere.test\n")
    p = subprocess.run([binary(), "--config", str(conf), "--check"], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert re.search(r"ternd\.conf:3: rpz: zone nothere\.test\. is not a zone", p.stdout + p.stderr), p.stderr
    conf.write_text("server:\n    forward: none\n    rpz: zone bad..name\n")
    p = subprocess.run([binary(), "--config", str(conf), "--check"], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and "ternd.conf:3: rpz: zone wants a zone name" in p.stdout + p.stderr, p.stderr


def test_queries_flow_while_the_feed_changes(tmp_path):
    """30 updates on the primary, each a NOTIFY, an IXFR and a new policy
    at the secondary, while a client asks without a pause: every query is
    answered, a trigger that stays blocks throughout, a name never listed
    always resolves."""
    port = free_port()
    prim = start_primary(tmp_path, port)
    sec = None
    stop = threading.Event()
    seen = {"asked": 0, "wrong": [], "lost": 0}

    def loop():
        while not stop.is_set():
            for name, want in (("bad.example.", dns.rcode.NXDOMAIN), ("fine.example.", dns.rcode.NOERROR)):
                seen["asked"] += 1
                for attempt in range(2):  # a client retries once (UDP on a busy machine)
                    try:
                        r = ask(sec, name)
                        if r.rcode() != want:
                            seen["wrong"].append((name, r.rcode()))
                        break
                    except Exception:
                        if attempt:
                            seen["lost"] += 1

    try:
        sec = start_secondary(tmp_path, port, f"{prim.host}:{prim.port}", server=[f"rpz: zone {FEED}"])
        assert wait_for(lambda: blocked(sec, "bad.example."), 5), sec.log_text()
        t = threading.Thread(target=loop)
        t.start()
        try:
            for i in range(30):
                update(prim, ("add", f"t{i}.example", 300, "CNAME", "."))
            assert wait_for(lambda: blocked(sec, "t29.example."), 5), sec.log_text()
        finally:
            stop.set()
            t.join()
        assert seen["asked"] > 50 and not seen["wrong"] and not seen["lost"], seen
        assert all(blocked(sec, f"t{i}.example.") for i in range(30))
        assert "policy built again" in sec.log_text()
    finally:
        for s in (sec, prim):
            if s:
                stop_clean(s)


def test_knot_primary_feed(tmp_path):
    """Knot serves the policy zone (as an RPZ provider would); ternd follows
    it by AXFR, then by IXFR after Knot's NOTIFY."""
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")
    port = free_port()
    knot = start_knot(tmp_path / "k", {FEED + ".": feed_text(1, BODY)}, axfr=True, notify=[(LOOPBACK, port)],
                      ixfr=True)
    sec = None
    try:
        sec = start_secondary(tmp_path, port, f"{knot.host}:{knot.port}", server=[f"rpz: zone {FEED}"])
        assert wait_for(lambda: blocked(sec, "bad.example."), 5), sec.log_text()
        with open(os.path.join(knot.workdir, FEED + ".zone"), "w") as f:
            f.write(feed_text(2, "knot.example CNAME .\ndata.example A 192.0.2.77\n"))
        subprocess.run(["knotc", "-s", os.path.join(knot.workdir, "knot.sock"), "zone-reload", FEED + "."],
                       check=True, capture_output=True, timeout=10)
        assert wait_for(lambda: blocked(sec, "knot.example."), 5), sec.log_text()
        assert resolved(sec, "bad.example.")
        assert re.search(r"serial 1 -> 2 by IXFR from", sec.log_text()), sec.log_text()
    finally:
        if sec:
            stop_clean(sec)
        knot.stop()


def test_feed_passed_on_to_a_downstream_secondary(tmp_path):
    """ternd keeps the feed hidden but passes it on: a downstream ternd,
    a secondary of it, checks the serial (SOA, answered to the addresses
    allow-transfer names) and transfers each new version."""
    port = free_port()
    prim = start_primary(tmp_path, port)
    sec = down = None
    try:
        sec = start_secondary(tmp_path, port, f"{prim.host}:{prim.port}", server=[f"rpz: zone {FEED}"])
        assert wait_for(lambda: blocked(sec, "bad.example."), 5), sec.log_text()
        d = tmp_path / "downstream"
        d.mkdir()
        conf = d / "ternd.conf"
        conf.write_text(f"server:\n    forward: none\nzone:\n    name: {FEED}\n    file: {d / (FEED + '.zone')}\n"
                        f"    primary: {sec.host}:{sec.port}\n    allow-notify: 127.0.0.0/8\n")
        down = start_ternd(d, None, args=["--config", str(conf)], probe=FEED + ".")

        def down_has(name):
            r = ask(down, name + "." + FEED + ".", "CNAME")
            return r.rcode() == dns.rcode.NOERROR and bool(r.answer) and bool(r.flags & dns.flags.AA)
        assert down_has("bad.example")
        update(prim, ("add", "new.example", 300, "CNAME", "."))
        assert wait_for(lambda: blocked(sec, "new.example."), 3), sec.log_text()
        assert notify(down).rcode() == dns.rcode.NOERROR
        assert wait_for(lambda: down_has("new.example"), 5), down.log_text()
        assert re.search(r"has serial 2, we have 1", down.log_text()), down.log_text()
    finally:
        for s in (down, sec, prim):
            if s:
                stop_clean(s)
