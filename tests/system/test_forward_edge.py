"""Forwarding edge cases: unusual upstream answers (TTL 0, NXDOMAIN without
SOA, CNAME loops, partial chains, huge RRsets, changed case, error rcodes),
queries in flight across a reload and a stop, coalescing across transports
and listeners, IPv6 upstreams, and chains from local data that must not
reach the upstream for clients that may not use it."""
import os
import signal
import socket
import struct
import threading
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode

from fwd_helpers import (NOERROR, NXDOMAIN, REFUSED, SERVFAIL, UP_RECORDS, Records, burst, chain, fwd,  # noqa: F401
                         query, rdatas, timed)
from peers import free_port

WWW = ["192.0.2.1", "192.0.2.2"]


# ------------------------------------------------------ unusual upstreams

def test_ttl_zero_not_cached(fwd):  # noqa: F811
    up = fwd.upstream(Records("z.up.test. 0 IN A 192.0.2.5"))
    srv = fwd.ternd([up])
    for i in (1, 2):
        r = query(srv, "z.up.test")
        assert rdatas(r) == ["192.0.2.5"] and r.answer[0].ttl == 0
        assert up.count() == i


def test_nxdomain_without_soa_not_cached(fwd):  # noqa: F811
    """RFC 2308 section 5: negative answers without an SOA are not cached."""
    def nx(q, transport, peer, sock):
        r = dns.message.make_response(q)
        r.set_rcode(dns.rcode.NXDOMAIN)
        return [r]

    up = fwd.upstream(answer=nx)
    srv = fwd.ternd([up])
    for i in (1, 2):
        assert query(srv, "nx.up.test").rcode() == NXDOMAIN
        assert up.count() == i


def test_upstream_changing_question_case_accepted(fwd):  # noqa: F811
    """Names compare without case: an answer whose question is spelled in
    capitals is still the answer."""
    recs = Records()

    def upper(q, transport, peer, sock):
        w = bytearray(recs.respond(q).to_wire())
        i = 12
        while w[i]:
            n = w[i]
            w[i + 1:i + 1 + n] = bytes(w[i + 1:i + 1 + n]).upper()
            i += n + 1
        return [bytes(w)]

    up = fwd.upstream(answer=upper)
    srv = fwd.ternd([up])
    r, dt = timed(query, srv, "www.up.test")
    assert r.rcode() == NOERROR and rdatas(r) == WWW and dt < 1.0


def test_cname_loop_at_upstream_ends(fwd):  # noqa: F811
    up = fwd.upstream(Records("la.up.test. 300 IN CNAME lb.up.test.\nlb.up.test. 300 IN CNAME la.up.test."))
    srv = fwd.ternd([up])
    r, dt = timed(query, srv, "la.up.test", timeout=8)
    assert r.rcode() in (NOERROR, SERVFAIL) and dt < 3.0
    assert all(t == "CNAME" for _, t in chain(r)) and len(r.answer) <= 2
    assert srv.proc.poll() is None


def test_cname_to_nxdomain_and_nodata_cached(fwd):  # noqa: F811
    up = fwd.upstream(Records(UP_RECORDS + "cn.up.test. 300 IN CNAME nx.up.test.\n"
                              "cd.up.test. 300 IN CNAME www.up.test.\n"))
    srv = fwd.ternd([up])
    for _ in (1, 2):
        r = query(srv, "cn.up.test")
        assert r.rcode() == NXDOMAIN and chain(r) == [("cn.up.test.", "CNAME")]
        assert [s.name.to_text() for s in r.authority] == ["up.test."]
        r = query(srv, "cd.up.test", "TXT")
        assert r.rcode() == NOERROR and chain(r) == [("cd.up.test.", "CNAME")]
        assert [s.name.to_text() for s in r.authority] == ["up.test."]
    assert up.count("cn.up.test") == 1 and up.count("cd.up.test") == 1


def test_partial_chain_from_upstream_completed(fwd):  # noqa: F811
    """An authoritative upstream (typical behind a forward-zone) answers
    ext.up.test with only its CNAME to www.other.test; a resolver goes on
    with the target (RFC 1034 5.3.3 step 3: change SNAME, go on), as ternd
    does for a local CNAME, and the client gets the whole chain."""
    recs = Records(UP_RECORDS + "ext.up.test. 300 IN CNAME www.other.test.\n")
    other = Records("www.other.test. 300 IN A 192.0.2.200",
                    soa="other.test. 100 IN SOA ns.other.test. h.other.test. 1 3600 600 86400 2")

    def answer(q, transport, peer, sock):
        is_other = q.question[0].name.to_text().lower().endswith("other.test.")
        return [(other if is_other else recs).respond(q)]

    up = fwd.upstream(answer=answer)
    srv = fwd.ternd([up])
    r = query(srv, "ext.up.test", timeout=8)
    assert r.rcode() == NOERROR, r.to_text()
    assert chain(r) == [("ext.up.test.", "CNAME"), ("www.other.test.", "A")]
    assert rdatas(r, "www.other.test") == ["192.0.2.200"]


def test_large_rrset_over_tcp_whole_or_not_at_all(fwd):  # noqa: F811
    """300 A records (~8 KB), truncated over UDP and fetched over TCP by
    ternd: the client (over TCP) must get all 300, or SERVFAIL, never a
    part of the RRset."""
    big = "\n".join(f"big.up.test. 300 IN A 10.0.{i // 250}.{i % 250}" for i in range(300))
    up = fwd.upstream(Records(big), tc_udp=True)
    srv = fwd.ternd([up])
    r = query(srv, "big.up.test", tcp=True, timeout=8)
    assert r.rcode() in (NOERROR, SERVFAIL)
    if r.rcode() == NOERROR:
        assert len(rdatas(r)) == 300, f"{len(rdatas(r))} of 300 records"


def test_servfail_upstream_not_hammered(fwd):  # noqa: F811
    """The only upstream answers SERVFAIL to everything. The client gets
    SERVFAIL within 3 s; the upstream must not see a flood: one try per
    per-try timeout (>= 100 ms) is at most ~25 in 2.5 s; allowed: 30."""
    def servfail(q, transport, peer, sock):
        r = dns.message.make_response(q)
        r.set_rcode(dns.rcode.SERVFAIL)
        return [r]

    up = fwd.upstream(answer=servfail)
    srv = fwd.ternd([up])
    r, dt = timed(query, srv, "www.up.test", timeout=8)
    assert r.rcode() == SERVFAIL and dt < 3.0
    time.sleep(0.2)
    assert up.count() <= 30, f"the upstream saw {up.count()} queries for one client query"


# -------------------------------------------------- in flight across events

def test_reload_with_queries_in_flight(fwd):  # noqa: F811
    """SIGHUP while 20 questions wait on a slow upstream (0.5 s): every one
    is still answered (the reload frees the old version only when it is
    safe: run this against build/san too)."""
    up = fwd.upstream(delay=0.5)
    srv = fwd.ternd([up], config=['local-data: "printer.lan. A 192.0.2.9"'])
    result = []
    t = threading.Thread(target=lambda: result.extend(burst(srv, [f"n{i}.up.test" for i in range(20)], timeout=6)))
    t.start()
    time.sleep(0.15)
    srv.reload()
    t.join()
    assert all(r is not None and r.rcode() == NXDOMAIN for r, _ in result), result
    assert rdatas(query(srv, "printer.lan")) == ["192.0.2.9"]
    assert rdatas(query(srv, "www.up.test")) == WWW


def test_stop_with_queries_in_flight_exits_cleanly(fwd):  # noqa: F811
    """SIGTERM while questions wait on a silent upstream, over UDP and TCP:
    ternd exits with status 0 (no leak or use-after-free report under
    build/san); the fixture checks the status."""
    up = fwd.upstream(silent=True)
    srv = fwd.ternd([up], threads=2)
    threading.Thread(target=lambda: burst(srv, [f"n{i}.up.test" for i in range(20)], timeout=2),
                     daemon=True).start()
    socks = []
    for i in range(3):
        s = socket.create_connection((srv.host, srv.port), timeout=2)
        w = dns.message.make_query(f"t{i}.up.test", "A").to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        socks.append(s)
    time.sleep(0.3)
    assert up.count() >= 5
    os.kill(srv.pid, signal.SIGTERM)
    srv.proc.wait(timeout=5)
    for s in socks:
        s.close()
    assert srv.proc.returncode == 0, srv.log_text()


# ------------------------------------------------------------- coalescing

def test_coalescing_across_udp_and_tcp(fwd):  # noqa: F811
    """5 TCP and 20 UDP clients ask the same slow question: all answered,
    one upstream query (TCP waiters of another worker are answered through
    its mailbox)."""
    up = fwd.upstream(delay=0.3)
    srv = fwd.ternd([up], threads=2)
    tcp_socks = []
    for _ in range(5):
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        q = dns.message.make_query("www.up.test", "A")
        tcp_socks.append((s, q))
    for s, q in tcp_socks:
        w = q.to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
    res = burst(srv, ["www.up.test"] * 20, timeout=6)
    assert all(r is not None and rdatas(r) == WWW for r, _ in res)
    for s, q in tcp_socks:
        n = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
        r = dns.message.from_wire(s.recv(n, socket.MSG_WAITALL))
        s.close()
        assert r.id == q.id and rdatas(r) == WWW
    assert up.count() == 1


def test_coalesced_waiters_get_their_own_size(fwd):  # noqa: F811
    """Waiters of one question with different UDP sizes: the 512-byte client
    gets TC=1, the EDNS one the whole answer (40 A records, ~700 bytes)."""
    big = "\n".join(f"big.up.test. 300 IN A 192.0.2.{i}" for i in range(1, 41))
    up = fwd.upstream(Records(big), delay=0.3)
    srv = fwd.ternd([up])
    out = {}

    def ask(key, **kw):
        out[key] = query(srv, "big.up.test", **kw)

    ts = [threading.Thread(target=ask, args=("small",), kwargs={"use_edns": False}),
          threading.Thread(target=ask, args=("edns",), kwargs={"use_edns": 0, "payload": 1232})]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out["small"].flags & dns.flags.TC
    assert not (out["edns"].flags & dns.flags.TC) and len(rdatas(out["edns"])) == 40
    assert up.count() == 1


def test_coalesced_questions_count_once_against_max_inflight(fwd):  # noqa: F811
    """max-inflight: 3 and 20 clients asking 3 distinct questions: all
    answered (18 waiters share one question). Note: main.c also caps the
    waiters at 8 x max-inflight in all (24 here; not in
    docs/configuration.md): with max-inflight: 1, 20 identical questions
    get 8 answers and 12 SERVFAILs."""
    up = fwd.upstream(delay=0.3)
    srv = fwd.ternd([up], config=["max-inflight: 3"])
    res = burst(srv, ["www.up.test"] * 18 + ["mail.up.test", "c1.up.test"], timeout=6)
    assert all(r is not None and r.rcode() == NOERROR and r.answer for r, _ in res)
    assert all(rdatas(r) == WWW for r, _ in res[:18])
    assert up.count() == 3


def test_coalescing_across_two_listen_addresses(fwd):  # noqa: F811
    """Clients on two listen ports share one upstream query; each gets its
    answer from the port it asked (dnspython checks the source)."""
    up = fwd.upstream(delay=0.3)
    p2 = free_port()
    srv = fwd.ternd([up], args=["--listen", f"127.0.0.1:{p2}"])
    out = {}

    def ask(port):
        q = dns.message.make_query("www.up.test", "A")
        out[port] = dns.query.udp(q, srv.host, port=port, timeout=5)

    ts = [threading.Thread(target=ask, args=(p,)) for p in (srv.port, p2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(rdatas(r) == WWW for r in out.values()) and len(out) == 2
    assert up.count() == 1


# ------------------------------------------------------------------ IPv6

def test_ipv6_upstream(fwd):  # noqa: F811
    up6 = fwd.upstream(host="::1")
    srv = fwd.ternd([f"[::1]:{up6.port}"])
    r = query(srv, "www.up.test")
    assert r.rcode() == NOERROR and rdatas(r) == WWW and up6.count() == 1


# ------------------------------------------- chains that must stay local

def test_local_cname_not_completed_for_refused_client(fwd):  # noqa: F811
    """A client outside the ACL asks a local CNAME whose target is
    forwarded: it may get the local CNAME, but the target is neither asked
    upstream nor taken from the cache for it."""
    up = fwd.upstream()
    srv = fwd.ternd([up], config=["access-control: 127.0.0.0/8 refuse", "access-control: 127.0.0.1/32 allow"],
                    local=["alias.lan. CNAME www.up.test."])
    r = query(srv, "alias.lan", source="127.0.0.2")
    assert r.rcode() in (NOERROR, REFUSED)
    assert "192.0.2.1" not in r.to_text() and up.count() == 0
    assert rdatas(query(srv, "alias.lan"), "www.up.test") == WWW  # allowed client: the chain
    r = query(srv, "alias.lan", source="127.0.0.2")
    assert "192.0.2.1" not in r.to_text(), "cached data given to a refused client"
    assert up.count() == 1


def test_local_cname_rd0_not_forwarded(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["alias.lan. CNAME www.up.test."])
    r = query(srv, "alias.lan", rd=False)
    assert rdatas(r, "alias.lan", "CNAME") == ["www.up.test."] and up.count() == 0
