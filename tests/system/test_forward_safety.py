"""Forwarding safety (issue 3): anti-spoofing (answers must match ID,
source address and port, and question; a forgery does not stop the real
answer from being accepted), random query IDs and source ports, access
control (no open resolver), coalescing of identical questions in flight
across worker threads, and the bound on questions in flight (SERVFAIL past
it, while cached and local names are still answered at once)."""
import socket
import threading
import time

import dns.message
import dns.name
import dns.rrset
import pytest

from fwd_helpers import (NOERROR, REFUSED, SERVFAIL, Records, burst, fwd, flood, is_ra, query,  # noqa: F401
                         rdatas, timed)
from conftest import zone_text

WWW = ["192.0.2.1", "192.0.2.2"]
FORGED = "6.6.6.6"


def forged_reply(q, name=None, qtype=None, qid=None, addr=FORGED):
    """A reply to q that claims `name qtype` -> addr, with q's ID unless qid."""
    name = name or q.question[0].name.to_text()
    qtype = qtype or "A"
    f = dns.message.make_query(name, qtype)
    r = dns.message.make_response(f)
    r.id = q.id if qid is None else qid
    r.flags |= dns.flags.RA
    r.answer.append(dns.rrset.from_text(name, 300, "IN", qtype, addr if qtype == "A" else "2001:db8::666"))
    return r


# ----------------------------------------------------------------- spoofing

def test_wrong_id_then_wrong_question_then_the_answer(fwd):  # noqa: F811
    """Over the upstream's own address and port: a reply with the wrong ID,
    then with the right ID but another name, then another type, then the
    real answer. The client gets the real answer; nothing forged is cached."""
    recs = Records()

    def answer(q, transport, peer, sock):
        if transport != "udp":
            return [recs.respond(q)]
        return [forged_reply(q, qid=(q.id + 1) & 0xFFFF),
                forged_reply(q, name="victim.test."),
                forged_reply(q, qtype="AAAA"),
                recs.respond(q)]

    up = fwd.upstream(answer=answer)
    srv = fwd.ternd([up])
    r = query(srv, "www.up.test")
    assert r.rcode() == NOERROR and rdatas(r) == WWW, r.to_text()
    assert up.count("www.up.test") == 1
    # not poisoned: victim.test and www AAAA are asked upstream, real data
    up.answer = None
    assert rdatas(query(srv, "victim.test")) == ["192.0.2.66"]
    assert rdatas(query(srv, "www.up.test", "AAAA")) == ["2001:db8::1"]
    assert up.count("victim.test") == 1 and up.count("www.up.test", "AAAA") == 1


@pytest.mark.parametrize("source", ["other-port", "other-address"])
def test_forged_answer_from_another_source_ignored(fwd, source):  # noqa: F811
    """A forgery with the right ID and question from another port (or
    another address with the upstream's port) arrives first; the real answer
    40 ms later is accepted."""
    recs = Records()

    def answer(q, transport, peer, sock):
        if transport == "udp":
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0) if source == "other-port" else ("127.0.0.2", up.port))
                s.sendto(forged_reply(q).to_wire(), peer)
            time.sleep(0.04)
        return [recs.respond(q)]

    up = fwd.upstream(answer=answer)
    srv = fwd.ternd([up])
    r = query(srv, "www.up.test")
    assert r.rcode() == NOERROR and rdatas(r) == WWW, r.to_text()
    assert rdatas(query(srv, "www.up.test")) == WWW


def test_only_forgeries_end_in_servfail_not_poison(fwd):  # noqa: F811
    """Nothing but forgeries (wrong ID): the client gets SERVFAIL (after
    forward-timeout: 1000) and no forged data."""
    def answer(q, transport, peer, sock):
        return [forged_reply(q, qid=(q.id + 1) & 0xFFFF)]

    up = fwd.upstream(answer=answer)
    srv = fwd.ternd([up], config=["forward-timeout: 1000"])
    r, dt = timed(query, srv, "www.up.test", timeout=8)
    assert r.rcode() == SERVFAIL and FORGED not in r.to_text() and dt < 2.0


def test_random_ids_and_source_ports(fwd):  # noqa: F811
    """30 questions one after another: IDs from a cryptographic source (at
    most a couple equal: 30 of 65536 collide with p < 1%; not a counter) and
    source ports that vary per query (the Kaminsky defence: a fixed port per
    worker would give at most 2 here)."""
    up = fwd.upstream()
    srv = fwd.ternd([up])
    for i in range(30):
        query(srv, f"n{i}.up.test")
    ids = [e["id"] for e in up.log]
    ports = [e["peer"][1] for e in up.log]
    assert len(ids) == 30
    assert len(set(ids)) >= 28, ids
    steps = {(b - a) & 0xFFFF for a, b in zip(ids, ids[1:])}
    assert len(steps) > 5, f"IDs look sequential: {ids}"
    assert len(set(ports)) >= 20, f"source ports: {ports}"
    assert all(p >= 1024 for p in ports)


# ---------------------------------------------------------- access control

def test_acl_refuses_other_clients(fwd):  # noqa: F811
    """access-control: 127.0.0.0/8 refuse, 127.0.0.1/32 allow. A client on
    127.0.0.2 gets REFUSED for forwarded names (over UDP and TCP), even
    cached ones and with RD=0; local records and zone data are still
    answered to it."""
    up = fwd.upstream()
    srv = fwd.ternd([up], config=["access-control: 127.0.0.0/8 refuse", "access-control: 127.0.0.1/32 allow"],
                    local=["printer.lan. A 192.0.2.9"],
                    zones={"example.com": zone_text("example.com")})
    for tcp in (False, True):
        r = query(srv, "www.up.test", source="127.0.0.2", tcp=tcp)
        assert r.rcode() == REFUSED and not r.answer and not is_ra(r), r.to_text()
    assert up.count() == 0
    r = query(srv, "www.up.test")  # from 127.0.0.1: allowed
    assert r.rcode() == NOERROR and rdatas(r) == WWW and is_ra(r)
    for rd in (True, False):
        r = query(srv, "www.up.test", source="127.0.0.2", rd=rd)
        assert r.rcode() == REFUSED and not r.answer, "the cache is closed to it too"
    r = query(srv, "printer.lan", source="127.0.0.2")
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.9"]
    r = query(srv, "www.example.com", source="127.0.0.2")
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.80"]
    assert up.count() == 1


def test_acl_default_allows_loopback(fwd):  # noqa: F811
    """Default: loopback (127.0.0.0/8) allowed."""
    up = fwd.upstream()
    srv = fwd.ternd([up])
    r = query(srv, "www.up.test", source="127.0.0.2")
    assert r.rcode() == NOERROR and rdatas(r) == WWW and is_ra(r)


def test_acl_rule_for_others_keeps_loopback_allowed(fwd):  # noqa: F811
    """Issue 10 item 5: one access-control line that does not cover
    127.0.0.1 leaves the default loopback allow in place for it (Unbound's
    behaviour); the address the rule names is refused; an address no rule
    covers and that is not loopback stays refused (only the default allows)."""
    up = fwd.upstream()
    srv = fwd.ternd([up], config=["access-control: 127.0.0.2/32 refuse"])
    r = query(srv, "www.up.test")  # from 127.0.0.1
    assert r.rcode() == NOERROR and rdatas(r) == WWW and is_ra(r), r.to_text()
    assert query(srv, "www.up.test", source="127.0.0.3").rcode() == NOERROR
    assert query(srv, "www.up.test", source="127.0.0.2").rcode() == REFUSED


@pytest.mark.parametrize("rules,allowed,refused", [
    (["127.0.0.0/8 allow", "127.0.0.2/32 refuse"], "127.0.0.1", "127.0.0.2"),
    (["127.0.0.2/32 refuse", "127.0.0.0/8 allow"], "127.0.0.1", "127.0.0.2"),
    (["127.0.0.0/8 refuse", "127.0.0.2/31 allow"], "127.0.0.2", "127.0.0.1"),
], ids=["refuse-inside-allow", "order-irrelevant", "allow-inside-refuse"])
def test_acl_most_specific_prefix_wins(fwd, rules, allowed, refused):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], config=[f"access-control: {r}" for r in rules])
    assert query(srv, "www.up.test", source=allowed).rcode() == NOERROR
    assert query(srv, "www.up.test", source=refused).rcode() == REFUSED


# --------------------------------------------------------------- coalescing

def test_identical_questions_coalesced(fwd):  # noqa: F811
    """50 identical questions from 50 sockets at once (spread over both
    worker threads by SO_REUSEPORT) while the upstream takes 300 ms: all 50
    answered, one upstream query."""
    up = fwd.upstream(delay=0.3)
    srv = fwd.ternd([up], threads=2)
    res = burst(srv, ["www.up.test"] * 50, timeout=6)
    answered = [r for r, _ in res if r is not None]
    assert len(answered) == 50, f"{50 - len(answered)} of 50 unanswered"
    assert all(r.rcode() == NOERROR and rdatas(r) == WWW for r in answered)
    assert up.count() == 1, f"upstream saw {up.count()} queries"


def test_coalescing_ignores_case(fwd):  # noqa: F811
    """Names compare without case: www.up.test and WWW.UP.TEST are the same
    question (each client still gets its own spelling back)."""
    up = fwd.upstream(delay=0.3)
    srv = fwd.ternd([up], threads=2)
    names = ["www.up.test", "WWW.UP.TEST", "Www.Up.Test", "wWw.uP.tEsT"] * 5
    res = burst(srv, names, timeout=6)
    assert all(r is not None and rdatas(r) == WWW for r, _ in res)
    for (r, _), name in zip(res, names):
        assert r.question[0].name.to_text(omit_final_dot=True) == name
    assert up.count() == 1


def test_different_types_not_coalesced(fwd):  # noqa: F811
    up = fwd.upstream(delay=0.3)
    srv = fwd.ternd([up])
    a = threading.Thread(target=lambda: burst(srv, ["www.up.test"] * 5))
    a.start()
    r = query(srv, "www.up.test", "AAAA")
    a.join()
    assert rdatas(r) == ["2001:db8::1"]
    assert up.count("www.up.test", "A") == 1 and up.count("www.up.test", "AAAA") == 1


# ---------------------------------------------------------- in-flight bound

def test_max_inflight_exceeded_servfail(fwd):  # noqa: F811
    """max-inflight: 5, a silent upstream, 20 distinct names at once: the
    upstream sees at most 5 of them; the others get SERVFAIL at once (well
    before forward-timeout: 1500); all get SERVFAIL; once they are done new
    questions go upstream again."""
    up = fwd.upstream(silent=True)
    srv = fwd.ternd([up], config=["max-inflight: 5", "forward-timeout: 1500"])
    res = burst(srv, [f"s{i}.up.test" for i in range(20)], timeout=6)
    assert all(r is not None and r.rcode() == SERVFAIL for r, _ in res), res
    fast = sum(1 for _, dt in res if dt < 1.0)
    assert fast >= 15, [round(dt, 2) for _, dt in res]
    assert len(set(up.names())) <= 5, sorted(set(up.names()))
    up.silent = False
    # the upstream, silent for over a second, may be marked down: then a
    # probe (one a second) finds it back within a few seconds
    deadline = time.monotonic() + 4
    while True:
        r = query(srv, "www.up.test")
        if r.rcode() == NOERROR or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.rcode() == NOERROR and rdatas(r) == WWW


def test_flood_of_slow_names_bounded_and_not_blocking(fwd):  # noqa: F811
    """2000 distinct names under slow.test whose upstream never answers
    (forward-timeout: 1500, max-inflight: 500), sent 1000 at a time, while
    cached, local and zone names are asked: those answer within 0.5 s each
    meanwhile; the slow upstream sees at most 500 distinct names; every
    slow name gets SERVFAIL."""
    fast = fwd.upstream()
    slow = fwd.upstream(silent=True)
    srv = fwd.ternd([fast], forward_zones=[("slow.test", slow)], local=["printer.lan. A 192.0.2.9"],
                    zones={"example.com": zone_text("example.com")},
                    config=["max-inflight: 500", "forward-timeout: 1500"])
    assert rdatas(query(srv, "www.up.test")) == WWW  # cached now
    result = {}

    def run():
        result.update(flood(srv, [f"n{i}.slow.test" for i in range(2000)], window=1000, timeout=4.0))

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.2)
    worst = 0.0
    checks = 0
    while t.is_alive() and checks < 30:
        for name in ("www.up.test", "printer.lan", "www.example.com"):
            r, dt = timed(query, srv, name, timeout=3)
            assert r.rcode() == NOERROR and r.answer, (name, r.to_text())
            worst = max(worst, dt)
        checks += 1
        time.sleep(0.05)
    t.join()
    assert checks >= 3, "the flood ended before the checks ran"
    assert worst < 0.5, f"a cached/local/zone answer took {worst:.2f} s during the flood"
    assert result.get(SERVFAIL, 0) == 2000, result
    assert len(set(slow.names())) <= 500
    assert fast.count() == 1
