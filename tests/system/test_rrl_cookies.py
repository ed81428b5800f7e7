"""Response rate limiting and DNS cookies (issue 6, "Not a weapon").

A flood from one address is limited per /24 and response kind; another
/24 is answered normally; a real client in the flooded /24 still gets its
answer over TCP after a truncated (slipped) reply; a client that proves its
address with a valid server cookie (RFC 7873, 9018) is not limited."""
import os
import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from ternd import start_ternd

ZONE = """$ORIGIN example.com.
$TTL 300
@ SOA ns host 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
"""
COOKIE = 10


def flood(srv, source, n, rate, name="www.example.com", wait=0.5):
    """Sends n queries from source at rate/s; returns (full, slipped, dropped)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.setblocking(False)
    q = dns.message.make_query(name, "A")
    wire = bytearray(q.to_wire())
    got = {}
    t0 = time.monotonic()
    for i in range(n):
        struct.pack_into("!H", wire, 0, i)
        s.sendto(bytes(wire), (srv.host, srv.port))
        due = t0 + (i + 1) / rate
        while True:
            try:
                data = s.recv(4096)
                r = dns.message.from_wire(data)
                got[r.id] = r
            except (BlockingIOError, dns.exception.DNSException):
                pass
            if time.monotonic() >= due:
                break
            time.sleep(0.0005)
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
            r = dns.message.from_wire(data)
            got[r.id] = r
        except BlockingIOError:
            time.sleep(0.005)
    s.close()
    full = sum(1 for r in got.values() if not (r.flags & dns.flags.TC) and r.answer)
    slipped = sum(1 for r in got.values() if r.flags & dns.flags.TC)
    return full, slipped, n - len(got)


def stub(srv, source, name="www.example.com", tries=3, timeout=0.3):
    """A stub resolver: UDP with retries, TCP after TC. Says how it got its
    answer: "udp", "tcp", or "" (no answer)."""
    q = dns.message.make_query(name, "A")
    for _ in range(tries):
        try:
            r = dns.query.udp(q, srv.host, port=srv.port, timeout=timeout, source=source)
        except dns.exception.Timeout:
            continue
        if r.flags & dns.flags.TC:
            r = dns.query.tcp(q, srv.host, port=srv.port, timeout=2, source=source)
            return "tcp" if r.answer else ""
        return "udp" if r.answer else ""
    return ""


@pytest.fixture
def rrl_server(tmp_path):
    conf = tmp_path / "rrl.conf"
    conf.write_text("server:\n    rrl-limit: 200\n")  # rrl-slip: the default, 1
    srv = start_ternd(tmp_path, {"example.com": ZONE}, args=["--config", str(conf)])
    yield srv
    srv.stop()
    assert srv.exit_status == 0


def test_flood_limited_other_prefix_answered(rrl_server):
    """2,000 q/s for 2 s from 127.0.0.1 with a limit of 200/s (issue 6: the
    plain token bucket let 15 % through as full answers, NSD 4 %, Knot
    14 %). A prefix that keeps going over its limit stays limited: the
    flood gets the burst (half a second's worth) and what refills while it
    drains, then only truncated replies, under 4 % in all. 127.0.1.1
    (another /24) is not affected, and once the flood stops 127.0.0.1 is
    answered again within two seconds. Figures are printed for the notes."""
    n = 4000
    full, slipped, dropped = flood(rrl_server, "127.0.0.1", n, 2000)
    print(f"flood {n} at 2000/s, limit 200/s, slip 1: full {full} ({100 * full / n:.1f} %), "
          f"slipped {slipped}, dropped {dropped}")
    assert 0 < full <= n * 0.04, (full, slipped, dropped)
    assert slipped > 0
    end = time.monotonic()
    other = [stub(rrl_server, "127.0.1.1", tries=1) for _ in range(50)]
    assert all(other)
    time.sleep(max(0.0, end + 2.5 - time.monotonic()))
    q = dns.message.make_query("www.example.com", "A")
    r = dns.query.udp(q, rrl_server.host, port=rrl_server.port, timeout=2, source="127.0.0.1")
    assert r.answer and not (r.flags & dns.flags.TC)


def test_real_client_in_flooded_prefix_gets_answer_over_tcp(rrl_server):
    """With slip 1 every limited answer is TC=1 (no larger than the query,
    nothing to amplify): a stub in the flooded /24 asking the flooded name
    shares the flood's bucket, which stays limited while the flood lasts,
    and gets its answer over TCP every time (Knot: every time; NSD: 63 %)."""
    import threading
    stop = threading.Event()

    def attacker():
        while not stop.is_set():
            flood(rrl_server, "127.0.0.1", 500, 2000, wait=0.0)

    t = threading.Thread(target=attacker)
    t.start()
    try:
        time.sleep(0.3)
        ok = [stub(rrl_server, "127.0.0.2") for _ in range(30)]
    finally:
        stop.set()
        t.join()
    print(f"stub in the flooded /24: {ok.count('tcp')} answered over TCP after TC, "
          f"{ok.count('udp')} over UDP, {ok.count('')} not answered, of 30")
    assert all(ok), ok


def cookie_query(name, cookie):
    q = dns.message.make_query(name, "A", use_edns=0, options=[dns.edns.GenericOption(COOKIE, cookie)])
    return q


def server_cookie(r):
    for o in r.options:
        if o.otype == COOKIE:
            return o.to_wire() if hasattr(o, "to_wire") else o.data
    return None


def test_cookie_answered_and_valid_cookie_exempt_from_rrl(rrl_server):
    client = os.urandom(8)
    r = dns.query.udp(cookie_query("www.example.com", client), "127.0.0.1", port=rrl_server.port, timeout=2,
                      source="127.0.0.3")
    c = server_cookie(r)
    assert c is not None and len(c) == 24 and c[:8] == client
    assert c[8] == 1  # RFC 9018 4.2: version 1
    # exhaust the /24's budget, then ask with the valid cookie: never limited
    flood(rrl_server, "127.0.0.1", 1000, 4000, wait=0.1)
    answered = 0
    for _ in range(50):
        r = dns.query.udp(cookie_query("www.example.com", c), "127.0.0.1", port=rrl_server.port, timeout=1,
                          source="127.0.0.3")
        if r.answer and not (r.flags & dns.flags.TC):
            answered += 1
        new = server_cookie(r)
        assert new is not None and new[:8] == client
        c = new
    assert answered == 50
    # the same cookie from another address is not valid there: limited
    flood(rrl_server, "127.0.0.1", 1000, 4000, wait=0.0)
    limited = 0
    for _ in range(100):
        r = dns.query.udp(cookie_query("www.example.com", c), "127.0.0.1", port=rrl_server.port, timeout=1,
                          source="127.0.0.4")
        limited += bool(r.flags & dns.flags.TC)
    assert limited > 0


def test_cookie_off_by_config(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("server:\n    cookies: no\n")
    srv = start_ternd(tmp_path, {"example.com": ZONE}, args=["--config", str(conf)])
    try:
        r = dns.query.udp(cookie_query("www.example.com", os.urandom(8)), srv.host, port=srv.port, timeout=2)
        assert server_cookie(r) is None and r.answer
    finally:
        srv.stop()
    assert srv.exit_status == 0


def test_rrl_off_by_default(tmp_path):
    srv = start_ternd(tmp_path, {"example.com": ZONE})
    try:
        full, slipped, dropped = flood(srv, "127.0.0.1", 1000, 2000)
        assert (full, slipped) == (1000, 0) and dropped == 0
    finally:
        srv.stop()
    assert srv.exit_status == 0
