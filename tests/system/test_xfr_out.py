"""Zone transfers out (issue 11, items 2-4): AXFR (RFC 5936) and IXFR
(RFC 1995) from ternd as primary, with allow-transfer, TSIG, the journal
of differences made on reload, and NOTIFY (RFC 1996) on serial changes."""
import os
import re
import socket
import struct
import threading
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import stop_clean
from peers import ScriptedServer
from xfr_helpers import (KEYRING, KEY_NAME, canonical, rrs_of, start_primary, transfer, wait_for, write,
                         xfr_query, zone_rrs, zone_text)

ORIGIN = "xfr.test"
BODY1 = """www A 192.0.2.10
www A 192.0.2.11
mail MX 10 mx
mx A 192.0.2.20
txt TXT "one"
sub NS ns.sub
ns.sub A 192.0.2.30
a.b.c A 192.0.2.40
"""
# serial 2: one A of www changed, txt's TTL changed, mx gone, new added
BODY2 = """www A 192.0.2.10
www A 192.0.2.12
mail MX 10 mx
txt 60 TXT "one"
sub NS ns.sub
ns.sub A 192.0.2.30
a.b.c A 192.0.2.40
new AAAA 2001:db8::1
new TXT "added"
"""
ALLOW = ["allow-transfer: 127.0.0.0/8"]


@pytest.fixture
def primary(tmp_path):
    started = []

    def run(zones, **kw):
        srv = start_primary(tmp_path, zones, **kw)
        started.append(srv)
        return srv

    yield run
    for srv in reversed(started):
        stop_clean(srv)


def axfr(srv, origin=ORIGIN, **kw):
    return transfer(srv.host, srv.port, xfr_query(origin, "AXFR", **kw))


def ixfr(srv, serial, origin=ORIGIN, **kw):
    return transfer(srv.host, srv.port, xfr_query(origin, "IXFR", serial=serial, **kw))


def reload_to(srv, tmp_path, text, serial):
    write(os.path.join(str(tmp_path), ORIGIN + ".zone"), text)
    srv.reload()
    assert wait_for(lambda: srv.query(ORIGIN, "SOA").answer[0][0].serial == serial), srv.log_text()


def soa_serials(lines):
    return [int(line.split()[6]) for line in lines if line.split()[3] == "SOA"]


# ---- AXFR ----

def test_axfr_whole_zone_soa_first_and_last(primary):
    text = zone_text(ORIGIN, 1, BODY1)
    srv = primary({ORIGIN: (text, ALLOW)})
    msgs = axfr(srv)
    lines = rrs_of(msgs)
    assert lines[0].split()[3] == "SOA" and lines[-1] == lines[0]
    assert soa_serials(lines) == [1, 1]
    assert msgs[0].flags & 0x0400  # AA
    # every record of the file, the SOA once (it opens and closes)
    assert canonical(lines[:-1]) == canonical(zone_rrs(ORIGIN, text))
    # the apex comes first (RFC 5936 2.2: order free, SOA first; ours: apex, then the nodes)
    assert lines[1].startswith(ORIGIN + ". ") and lines[1].split()[3] == "NS"


def test_axfr_acl(primary):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1), []),
                   "denied.test": (zone_text("denied.test", 1), ["allow-transfer: 10.0.0.0/8"]),
                   "ok.test": (zone_text("ok.test", 1), ["allow-transfer: 10.0.0.0/8", "allow-transfer: 127.0.0.1"])})
    # default: nobody
    assert axfr(srv)[0].rcode() == dns.rcode.REFUSED
    assert axfr(srv, "denied.test")[0].rcode() == dns.rcode.REFUSED
    assert axfr(srv, "ok.test")[0].rcode() == dns.rcode.NOERROR
    assert "AXFR refused to 127.0.0.1" in srv.log_text()


def test_axfr_notauth_and_udp(primary):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, BODY1), ALLOW)})
    # not a zone we serve, and a name inside one that is not its apex: NOTAUTH (RFC 5936 2.2.1)
    assert axfr(srv, "other.test")[0].rcode() == dns.rcode.NOTAUTH
    assert axfr(srv, "www." + ORIGIN)[0].rcode() == dns.rcode.NOTAUTH
    # AXFR over UDP is not defined (RFC 5936 4.2): NOTIMP, as Knot and NSD
    r = dns.query.udp(xfr_query(ORIGIN), srv.host, port=srv.port, timeout=3)
    assert r.rcode() == dns.rcode.NOTIMP


def big_body(n):
    return "".join(f"h{i} A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n" for i in range(n))


def test_axfr_50k_names_while_queries_are_answered(primary):
    n = 50000
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, big_body(n)), ALLOW)}, threads=1)
    latencies = []
    stop = threading.Event()

    def ask():
        while not stop.is_set():
            t0 = time.monotonic()
            r = srv.query(f"h{len(latencies) % n}.{ORIGIN}", "A", timeout=2)
            assert r.rcode() == dns.rcode.NOERROR and r.answer
            latencies.append(time.monotonic() - t0)

    t = threading.Thread(target=ask)
    t.start()
    try:
        msgs = axfr(srv)
    finally:
        stop.set()
        t.join()
    lines = rrs_of(msgs)
    assert len(lines) == n + 3 + 1  # h*, SOA NS ns, closing SOA
    assert len({line for line in lines if line.startswith("h")}) == n
    assert len(msgs) > 10 and max(len(m.to_wire()) for m in msgs) <= 16384 + 1024
    assert latencies and max(latencies) < 1.0


def raw_transfer(srv, q, after_first=None, rcvbuf=4096):
    """The messages of an AXFR as bytes, read without parsing (a big zone
    stays quick); after_first() runs once the first one is in."""
    msgs = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.connect((srv.host, srv.port))
        w = q.to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        f = s.makefile("rb")
        soas = 0
        while soas < 2:
            n = struct.unpack("!H", f.read(2))[0]
            m = f.read(n)
            assert len(m) == n
            msgs.append(m)
            if len(msgs) == 1 and after_first:
                after_first()
            # SOA records of this zone: its owner (a pointer to the question) then type 6
            soas += m.count(b"\xc0\x0c\x00\x06\x00\x01")
    return msgs


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "tsig"])
def test_axfr_survives_a_reload_that_replaces_the_zone(primary, tmp_path, keyed):
    n = 100000  # ~2.5 MB: more than the socket buffers hold, so the transfer outlasts the reload
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, big_body(n)), ALLOW)}, key=keyed)
    q = xfr_query(ORIGIN, keyed=keyed)

    def reload():  # the transfer has started: the zone (and the config with its key) is replaced under it
        reload_to(srv, tmp_path, zone_text(ORIGIN, 2, "only A 192.0.2.99\n"), 2)

    msgs = raw_transfer(srv, q, after_first=reload)
    assert sum(struct.unpack("!H", m[6:8])[0] for m in msgs) == n + 4  # every record of version 1
    assert not any(b"\x04only" in m for m in msgs)
    unsigned = msgs[-1][:10] + b"\0\0" + msgs[-1][12:]  # ARCOUNT 0: the TSIG is left unread
    last = dns.message.from_wire(unsigned, xfr=True, one_rr_per_rrset=True, ignore_trailing=True)
    assert last.answer[-1].rdtype == dns.rdatatype.SOA and last.answer[-1][0].serial == 1
    # signed answers carry a TSIG in every message (test_tsig_... checks the MACs)
    assert all(struct.unpack("!H", m[10:12])[0] == (1 if keyed else 0) for m in msgs)
    log = srv.log_text()
    # the reload happened while the transfer ran (it ended after it)
    assert log.index("reloaded:") < log.index(f"AXFR to 127.0.0.1 done: {len(msgs)} message(s), {n + 4} record(s)")
    assert srv.query("only." + ORIGIN, "A").answer  # and the new version serves


def test_concurrent_transfer_bound(primary):
    # 100k names: more than the socket buffers take, so a transfer that reads
    # nothing holds its slot (its output waits)
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, big_body(100000)), ALLOW)}, server=["xfr-max-concurrent: 1"],
                  threads=1)  # one worker: the stalled transfer's and everyone else's
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window stays small
        s.connect((srv.host, srv.port))
        w = xfr_query(ORIGIN).to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        assert wait_for(lambda: "AXFR to 127.0.0.1, serial 1" in srv.log_text())
        assert first_rcode(srv) == dns.rcode.SERVFAIL
        # the stalled transfer holds no worker up: queries are answered at once
        for i in range(20):
            t0 = time.monotonic()
            assert srv.query(f"h{i}.{ORIGIN}", "A", tcp=bool(i % 2)).answer
            assert time.monotonic() - t0 < 0.5
        assert "xfr-max-concurrent" in srv.log_text()
    finally:
        s.close()
    # the slot comes back when that connection goes
    assert wait_for(lambda: first_rcode(srv) == dns.rcode.NOERROR, timeout=5)


def first_rcode(srv):
    """The rcode of the first message of an AXFR (the rest is not read)."""
    with socket.create_connection((srv.host, srv.port), timeout=5) as s:
        w = xfr_query(ORIGIN).to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        f = s.makefile("rb")
        n = struct.unpack("!H", f.read(2))[0]
        return f.read(n)[3] & 0xF


# ---- IXFR ----

def test_ixfr_returns_exactly_the_difference(primary, tmp_path):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, BODY1), ALLOW)})
    reload_to(srv, tmp_path, zone_text(ORIGIN, 2, BODY2), 2)
    lines = rrs_of(ixfr(srv, 1))
    fq = lambda s: f"{s}.{ORIGIN}."  # noqa: E731
    soa = lambda n: f"{ORIGIN}. 300 IN SOA ns.{ORIGIN}. hm.{ORIGIN}. {n} 3600 600 86400 300"  # noqa: E731
    assert lines[0] == soa(2) and lines[-1] == soa(2)
    # RFC 1995 4: old SOA, removed RRs, new SOA, added RRs
    i_new = lines.index(soa(2), 1)
    assert lines[1] == soa(1)
    removed, added = canonical(lines[2:i_new]), canonical(lines[i_new + 1:-1])
    assert removed == canonical([f"{fq('www')} 300 IN A 192.0.2.11", f"{fq('mx')} 300 IN A 192.0.2.20",
                                 f'{fq("txt")} 300 IN TXT "one"'])
    assert added == canonical([f"{fq('www')} 300 IN A 192.0.2.12", f"{fq('new')} 300 IN AAAA 2001:db8::1",
                               f'{fq("new")} 300 IN TXT "added"', f'{fq("txt")} 60 IN TXT "one"'])


def test_ixfr_chains_differences(primary, tmp_path):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, BODY1), ALLOW)})
    reload_to(srv, tmp_path, zone_text(ORIGIN, 2, BODY2), 2)
    reload_to(srv, tmp_path, zone_text(ORIGIN, 3, BODY2 + "more A 192.0.2.77\n"), 3)
    srv.reload()  # the same serial again: the journal stays
    time.sleep(0.5)
    lines = rrs_of(ixfr(srv, 1))
    assert soa_serials(lines) == [3, 1, 2, 2, 3, 3]  # 1 -> 2, then 2 -> 3
    assert lines[-2] == f"more.{ORIGIN}. 300 IN A 192.0.2.77"
    assert soa_serials(rrs_of(ixfr(srv, 2))) == [3, 2, 3, 3]
    # a serial the journal does not start at (between versions): the whole zone
    assert soa_serials(rrs_of(ixfr(srv, 0))) == [3, 3]


def test_ixfr_current_or_newer_client_gets_one_soa(primary):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 7, BODY1), ALLOW)})
    for serial in (7, 8, 7 + 2**30):
        lines = rrs_of(ixfr(srv, serial))
        assert len(lines) == 1 and soa_serials(lines) == [7]
    # serial arithmetic (RFC 1982): 7 - 2^30 is older; no journal -> AXFR form
    lines = rrs_of(ixfr(srv, (7 - 2**30) % 2**32))
    assert soa_serials(lines) == [7, 7] and len(lines) > 3


def test_ixfr_older_than_journal_gets_axfr_form_and_journal_bound(primary, tmp_path):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, BODY1), ALLOW + ["journal-size: 500"])})
    reload_to(srv, tmp_path, zone_text(ORIGIN, 2, BODY2), 2)
    reload_to(srv, tmp_path, zone_text(ORIGIN, 3, BODY2 + "more A 192.0.2.77\n"), 3)
    # 1->2 takes 397 bytes, 2->3 217: 500 bytes hold the newest only
    assert re.search(r"serial 2 -> 3: 0 record\(s\) removed, 1 added \(compared in \d+ ms\); journal 1 difference\(s\), "
                     r"217 bytes", srv.log_text())
    lines = rrs_of(ixfr(srv, 2))  # still in the journal: incremental
    assert soa_serials(lines) == [3, 2, 3, 3]
    lines = rrs_of(ixfr(srv, 1))  # older than the journal: the whole zone, AXFR form
    assert soa_serials(lines) == [3, 3]
    assert canonical(lines[:-1]) == canonical(zone_rrs(ORIGIN, zone_text(ORIGIN, 3, BODY2 + "more A 192.0.2.77\n")))


def test_ixfr_over_udp(primary, tmp_path):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, BODY1), ALLOW)})
    reload_to(srv, tmp_path, zone_text(ORIGIN, 2, BODY2), 2)
    # RFC 1995 4: the whole answer when it fits one datagram ...
    r = dns.query.udp(xfr_query(ORIGIN, "IXFR", serial=1), srv.host, port=srv.port, timeout=3,
                      one_rr_per_rrset=True)
    assert soa_serials([x.to_text() for x in r.answer]) == [2, 1, 2, 2]
    # ... else our SOA alone (the client then asks over TCP)
    big = BODY2 + "".join(f"n{i} TXT \"{'x' * 100}\"\n" for i in range(30))
    reload_to(srv, tmp_path, zone_text(ORIGIN, 3, big), 3)
    r = dns.query.udp(xfr_query(ORIGIN, "IXFR", serial=2), srv.host, port=srv.port, timeout=3)
    assert [x.to_text() for x in r.answer][0].split()[6] == "3" and len(r.answer) == 1 and len(r.answer[0]) == 1
    # and a refused client is refused over UDP too
    r = dns.query.udp(xfr_query("denied.test", "IXFR", serial=1), srv.host, port=srv.port, timeout=3)
    assert r.rcode() == dns.rcode.NOTAUTH


def test_journal_survives_a_restart(tmp_path):
    srv = start_primary(tmp_path, {ORIGIN: (zone_text(ORIGIN, 1, BODY1), ALLOW)})
    try:
        reload_to(srv, tmp_path, zone_text(ORIGIN, 2, BODY2), 2)
        assert os.path.exists(os.path.join(str(tmp_path), ORIGIN + ".zone.jnl"))
    finally:
        stop_clean(srv)
    conf = os.path.join(str(tmp_path), "ternd.conf")
    from ternd import start_ternd
    srv = start_ternd(tmp_path, None, args=["--config", conf], probe=ORIGIN + ".")
    try:
        assert soa_serials(rrs_of(ixfr(srv, 1))) == [2, 1, 2, 2]
        assert "difference(s) from serial 1" in srv.log_text()
    finally:
        stop_clean(srv)


def test_journal_file_damaged_is_ignored(tmp_path):
    with open(os.path.join(str(tmp_path), ORIGIN + ".zone.jnl"), "wb") as f:
        f.write(b"TERNJNL1" + b"\xff" * 40)
    srv = start_primary(tmp_path, {ORIGIN: (zone_text(ORIGIN, 2, BODY2), ALLOW)})
    try:
        assert "ignored: malformed" in srv.log_text()
        assert soa_serials(rrs_of(ixfr(srv, 1))) == [2, 2]  # AXFR form
    finally:
        stop_clean(srv)


# ---- TSIG ----

def test_tsig_transfer_signed_every_message(primary):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1, big_body(3000)), [f"allow-transfer: 127.0.0.1 key {KEY_NAME}"])},
                  key=True)
    # unsigned: this line needs the key
    assert axfr(srv)[0].rcode() == dns.rcode.REFUSED
    msgs = axfr(srv, keyed=True)  # dnspython verifies every message's MAC in turn
    assert len(msgs) > 1 and all(m.had_tsig for m in msgs)
    assert len(rrs_of(msgs)) == 3000 + 4


def test_tsig_unknown_key_is_notauth(primary):
    srv = primary({ORIGIN: (zone_text(ORIGIN, 1), ALLOW)})  # no key: sections
    q = xfr_query(ORIGIN, keyed=True)
    with socket.create_connection((srv.host, srv.port), timeout=5) as s:
        w = q.to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        n = struct.unpack("!H", s.recv(2))[0]
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
    assert data[3] & 0xF == dns.rcode.NOTAUTH  # RFC 8945 5.2.1: BADKEY


# ---- NOTIFY ----

def test_notify_on_serial_change(tmp_path):
    got = []

    def handler(wire, transport, peer, sock):
        m = dns.message.from_wire(wire)
        got.append(m)
        r = dns.message.make_response(m)
        return [r.to_wire()]

    with ScriptedServer(handler) as sec:
        srv = start_primary(tmp_path, {ORIGIN: (zone_text(ORIGIN, 1, BODY1), ALLOW + [f"notify: 127.0.0.1:{sec.port}"])})
        try:
            assert wait_for(lambda: len(got) == 1)  # at start-up
            reload_to(srv, tmp_path, zone_text(ORIGIN, 2, BODY2), 2)
            assert wait_for(lambda: len(got) == 2)
            m = got[1]
            assert m.opcode() == 4 and m.flags & 0x0400
            assert m.question[0].name.to_text() == ORIGIN + "." and m.question[0].rdtype == dns.rdatatype.SOA
            assert m.answer[0][0].serial == 2
            assert wait_for(lambda: "NOTIFY serial 2 to 127.0.0.1" in srv.log_text() and "acknowledged" in srv.log_text())
            # answered: no more tries; an unchanged serial: no NOTIFY
            srv.reload()
            time.sleep(1.5)
            assert len(got) == 2
        finally:
            stop_clean(srv)


def test_notify_retries_until_answered(tmp_path):
    got = []

    def handler(wire, transport, peer, sock):
        got.append(time.monotonic())
        if len(got) < 3:
            return []  # silence: ternd tries again (1 s, then 2 s)
        return [dns.message.make_response(dns.message.from_wire(wire)).to_wire()]

    with ScriptedServer(handler) as sec:
        srv = start_primary(tmp_path, {ORIGIN: (zone_text(ORIGIN, 1), [f"notify: 127.0.0.1:{sec.port}"])})
        try:
            assert wait_for(lambda: len(got) >= 3, timeout=6)
            time.sleep(1.5)
            assert len(got) == 3
            assert 0.8 < got[1] - got[0] < 1.8 and 1.8 < got[2] - got[1] < 2.8
        finally:
            stop_clean(srv)


# ---- configuration ----

def test_config_errors_name_file_and_line(tmp_path):
    import subprocess
    from ternd import binary
    from xfr_helpers import write_config
    conf = write_config(tmp_path, {ORIGIN: (zone_text(ORIGIN, 1), ["allow-transfer: 10.0.0.0/33",
                                                                   "allow-transfer: 127.0.0.1 key nokey",
                                                                   "notify: 127.0.0.1:99999", "journal-size: 5q"])},
                        server=["xfr-max-concurrent: 0"])
    r = subprocess.run([binary(), "--check", "--config", conf], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "ternd.conf:3: xfr-max-concurrent must be 1..10000" in err
    assert "ternd.conf:7: allow-transfer wants" in err
    assert "ternd.conf:9: notify wants" in err
    assert "ternd.conf:10: journal-size must be" in err
    assert re.search(r"ternd\.conf:\d+: zone names key 'nokey\.', which no key: section defines", err), err
