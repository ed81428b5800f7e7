"""Soak (issue 6): a steady UDP load with 1 % malformed packets mixed in
loses nothing, answers every valid query correctly, and ternd's memory stays
flat; the next normal query is answered at the end.

Load: TERN_SOAK_QPS queries a second (default 4000: a Python sender on one
core; ternd answers over 100k/s on this machine, so this is well under half
its capacity) for TERN_SOAK_SECONDS seconds. The default is 60 s against
the plain build and 10 s against the sanitizer build (TERN_BUILD containing
"san"), so that both builds together stay within CI's time; TERN_QUICK=1
makes it 10 s on both. TERN_SOAK_SECONDS, when set, wins.

Every valid query is one of a few templates (positive answers, NXDOMAIN,
NODATA, wildcard, CNAME chain, referral, truncated big RRset, with and
without EDNS); its reply must equal, byte for byte after the ID, what ternd
answered for that template before the load. A query is lost when no reply
came within 2 s. Losses are allowed only up to the number of datagrams the
kernel reported dropping meanwhile (/proc/net/snmp Udp RcvbufErrors +
InErrors, machine-wide): ternd itself must drop nothing.

Memory: VmRSS at 10 s (or a third of a shorter run) and at the end may
differ by at most 4 MB; the number of open descriptors must not change."""
import os
import random
import socket
import struct
import time

import dns.message
import pytest

from conftest import core_zones, stop_clean
from hostile_helpers import open_fds, rss_kb, udp_kernel_drops
from ternd import start_ternd

RSS_GROWTH_KB = 4096


def soak_seconds():
    if os.environ.get("TERN_SOAK_SECONDS"):
        return float(os.environ["TERN_SOAK_SECONDS"])
    if os.environ.get("TERN_QUICK") == "1" or "san" in os.environ.get("TERN_BUILD", ""):
        return 10.0
    return 60.0


TEMPLATES = [
    ("www.example.com", "A", True), ("www.example.com", "AAAA", False), ("example.com", "MX", True),
    ("nothere.example.com", "A", True), ("www.example.com", "TXT", False), ("x.y.wild.example.com", "TXT", True),
    ("chain1.example.com", "A", True), ("foo.sub.example.com", "A", False), ("big.example.com", "TXT", False),
    ("www.other.test", "A", True), ("x.dn.example.com", "A", True), ("_sip._udp.example.com", "SRV", True),
]

ID = 0x4242
WWW = b"\x03www\x07example\x03com\x00"
Q_A = struct.pack("!HH", 1, 1)


def header(qd=1, an=0, ns=0, ar=0, flags=0x0100):
    return struct.pack("!6H", ID, flags, qd, an, ns, ar)


MALFORMED = [
    b"\x42\x42\x01\x00\x00", header(), header(qd=0), header(qd=2) + WWW + Q_A, header(an=5) + WWW + Q_A,
    header() + b"\xc0\x0c" + Q_A, header() + b"\xc0\x12" + Q_A + WWW, header() + b"\x40" + b"a" * 64 + b"\x00" + Q_A,
    header() + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + Q_A, header() + WWW + Q_A + b"\xde\xad",
    header(ar=2) + WWW + Q_A + (b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)) * 2,
    header(ar=1) + WWW + Q_A + b"\x00" + struct.pack("!HHIH", 41, 1232, 1 << 16, 0),  # BADVERS
    header(flags=0x8100) + WWW + Q_A,  # QR=1: silence
    header(flags=0x2100) + WWW + Q_A, header(flags=0x7900) + WWW + Q_A,  # opcodes 4 and 15
    b"",  # a zero-length datagram
]


def mutated(rng, base):
    pkt = bytearray(base)
    for _ in range(rng.randint(1, 6)):
        pkt[rng.randrange(2, len(pkt))] = rng.randrange(256)
    if rng.random() < 0.3:
        pkt = pkt[:rng.randrange(len(pkt))]
    if rng.random() < 0.2:
        pkt += bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
    return bytes(pkt)


def learn(srv, sock):
    """The expected reply (bytes after the ID) of each template; asked three
    times to make sure ternd's answer to it does not vary."""
    wires, expect = [], []
    for i, (name, qtype, edns) in enumerate(TEMPLATES):
        q = dns.message.make_query(name, qtype, use_edns=0 if edns else False, payload=1232, id=0)
        w = q.to_wire()
        wires.append(w)
        seen = set()
        for k in range(3):
            sock.sendto(struct.pack("!H", 60000 + k) + w[2:], (srv.host, srv.port))
            r = sock.recv(65535)
            assert r[:2] == struct.pack("!H", 60000 + k)
            seen.add(r[2:])
        assert len(seen) == 1, f"{name} {qtype}: answers vary"
        expect.append(seen.pop())
    return wires, expect


@pytest.fixture
def soak_srv(tmp_path):
    srv = start_ternd(tmp_path, core_zones(), threads=2)
    yield srv
    stop_clean(srv)


def test_soak_with_malformed_mixed_in(soak_srv):
    srv = soak_srv
    duration = soak_seconds()
    qps = float(os.environ.get("TERN_SOAK_QPS", "4000"))
    t_mid = min(10.0, duration / 3)
    rng = random.Random(66)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    bad = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    dest = (srv.host, srv.port)
    sock.settimeout(2)
    wires, expect = learn(srv, sock)
    sock.setblocking(False)
    bad.setblocking(False)
    base = wires[0]

    outstanding = {}  # id -> (template, sent time)
    sent = ok = wrong = lost = malformed = bad_replies = 0
    wrong_examples = []
    rss = {}
    fds0 = open_fds(srv.pid)
    drops0 = udp_kernel_drops()
    rss_samples = []
    tick = 0.005
    t0 = time.monotonic()
    next_tick = t0
    next_sample = t0 + 1.0
    n = 0

    def drain():
        nonlocal ok, wrong, bad_replies
        while True:
            try:
                r = sock.recv(65535)
            except BlockingIOError:
                break
            qid = (r[0] << 8) | r[1]
            o = outstanding.pop(qid, None)
            if o is None:
                continue  # a late reply to one already counted lost
            if r[2:] == expect[o[0]]:
                ok += 1
            else:
                wrong += 1
                if len(wrong_examples) < 3:
                    wrong_examples.append((TEMPLATES[o[0]], r.hex()))
        while True:
            try:
                bad.recv(65535)
                bad_replies += 1
            except BlockingIOError:
                break

    while True:
        now = time.monotonic()
        if now - t0 >= duration:
            break
        if now >= next_sample:
            rss_samples.append((round(now - t0), rss_kb(srv.pid)))
            next_sample += 1.0
        if "mid" not in rss and now - t0 >= t_mid:
            rss["mid"] = rss_kb(srv.pid)
        # send what is due for this tick
        due = int((now - t0) * qps) - n
        for _ in range(max(0, due)):
            n += 1
            if n % 100 == 0:  # 1 % malformed, from its own socket
                pkt = MALFORMED[(n // 100) % len(MALFORMED)] if rng.random() < 0.5 else mutated(rng, base)
                bad.sendto(pkt, dest)
                malformed += 1
                continue
            ti = n % len(TEMPLATES)
            qid = n & 0xFFFF
            if qid in outstanding:
                lost += 1  # unanswered for a whole ID cycle
            outstanding[qid] = (ti, now)
            try:
                sock.sendto(struct.pack("!H", qid) + wires[ti][2:], dest)
            except BlockingIOError:
                pass  # counted lost below if no reply
            sent += 1
        drain()
        # expire after 2 s
        if n % 2000 < 40:
            limit = now - 2.0
            for qid in [q for q, (_, t) in outstanding.items() if t < limit]:
                del outstanding[qid]
                lost += 1
        next_tick += tick
        pause = next_tick - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    elapsed = time.monotonic() - t0
    end_wait = time.monotonic() + 2.0
    while outstanding and time.monotonic() < end_wait:
        drain()
        time.sleep(0.01)
    lost += len(outstanding)
    rss["end"] = rss_kb(srv.pid)
    fds1 = open_fds(srv.pid)
    drops1 = udp_kernel_drops()
    kernel_drops = (drops1["RcvbufErrors"] - drops0["RcvbufErrors"]) + (drops1["InErrors"] - drops0["InErrors"])
    sock.close()
    bad.close()
    growth = rss["end"] - rss.get("mid", rss["end"])
    print(f"\n[soak {os.environ.get('TERN_BUILD', 'build')}] {duration:.0f} s, {sent / elapsed:.0f} valid q/s: "
          f"{sent} valid sent, {ok} answered correctly, {wrong} wrong, {lost} lost; {malformed} malformed "
          f"sent ({bad_replies} answered); kernel UDP drops meanwhile (machine-wide) {kernel_drops}; "
          f"VmRSS {rss.get('mid')} kB at {t_mid:.0f} s, {rss['end']} kB at end (growth {growth} kB; "
          f"samples min {min(s for _, s in rss_samples)} max {max(s for _, s in rss_samples)}); fds {fds0} -> {fds1}")
    assert wrong == 0, wrong_examples
    assert lost <= kernel_drops, f"{lost} valid queries lost, the kernel dropped only {kernel_drops}"
    assert ok + lost == sent
    assert sent >= 0.9 * qps * 0.99 * duration, f"the sender fell behind: {sent} in {elapsed:.1f} s"
    assert growth <= RSS_GROWTH_KB, f"VmRSS grew by {growth} kB: {rss_samples}"
    assert fds1 == fds0
    r = srv.query("www.example.com", "A")
    assert r.rcode() == 0 and r.answer
    r = srv.query("www.example.com", "A", tcp=True)
    assert r.rcode() == 0 and r.answer
