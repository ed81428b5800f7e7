"""Failing upstreams (issue 10 items 8 and 9): fast failure once every
upstream of a set is down, with one probe at a time to see one come back;
ICMP port unreachable counted at once; the RFC 8767 client-response timer
(stale data after stale-answer-client-timeout while the refresh goes on);
Extended DNS Errors (RFC 8914) on every SERVFAIL and stale answer of
ternd's own, and the upstream's passed on; the resolution-failure cache
(RFC 9520 3.2: a failure held at least 1 s, longer while it keeps failing);
at most two queries to an upstream per client question, and none after its
SERVFAIL.

Every upstream is on loopback: a scripted one (fwd_helpers.Upstream) or a
closed port (dead_addr: the kernel answers ICMP port unreachable)."""
import time

import dns.edns
import dns.message
import dns.rcode

from fwd_helpers import NOERROR, SERVFAIL, dead_addr, fwd, rdatas, timed  # noqa: F401
from fwd_helpers import query as plain_query
from peers import free_port

WWW = ["192.0.2.1", "192.0.2.2"]


def query(srv, name, qtype="A", **kw):
    """A query with EDNS (the Extended DNS Errors ride in its OPT record)."""
    kw.setdefault("use_edns", 0)
    return plain_query(srv, name, qtype, **kw)


def edes(r):
    """[(code, text)] of the Extended DNS Error options of a response."""
    return [(o.code, o.text or "") for o in r.options if o.otype == dns.edns.EDE]


def ede_codes(r):
    return [c for c, _ in edes(r)]


def servfail_answer(ede=None):
    """An upstream answer function: SERVFAIL, with an EDE option if given."""
    def answer(q, transport, peer, sock):
        r = dns.message.make_response(q)
        r.set_rcode(dns.rcode.SERVFAIL)
        if ede is not None:
            r.use_edns(0, options=[dns.edns.EDEOption(*ede)])
        return [r]
    return answer


def mark_down(srv):
    """Asks new names until the upstreams are marked down (3 failures in a
    row over at least 1 s): each fails within the forward-timeout."""
    t0 = time.monotonic()
    i = 0
    while "down" not in srv.log_text():
        r, dt = timed(query, srv, f"d{i}.up.test", timeout=8)
        assert r.rcode() == SERVFAIL, r.to_text()
        assert time.monotonic() - t0 < 8, "never marked down"
        i += 1
        time.sleep(0.1)


def test_servfail_upstream_asked_once_and_failure_cached(fwd):  # noqa: F811
    """One client question to an upstream that always says SERVFAIL: one
    upstream query (was 13), SERVFAIL with EDE 22 at once; three client
    retries within the second: no upstream query (was 37 in all), SERVFAIL
    with EDE 13 (Cached Error); after the hold (1 s) it is asked again, and
    failing again, held for longer (2 s: exponential backoff)."""
    bad = fwd.upstream(answer=servfail_answer())
    srv = fwd.ternd([bad])
    r, dt = timed(query, srv, "www.up.test")
    assert r.rcode() == SERVFAIL and dt < 0.5, (r.to_text(), dt)
    assert ede_codes(r) == [22], edes(r)
    assert bad.count() == 1
    t0 = time.monotonic()
    for _ in range(3):
        r = query(srv, "www.up.test")
        assert r.rcode() == SERVFAIL and 13 in ede_codes(r), edes(r)
    assert time.monotonic() - t0 < 0.9
    assert bad.count() == 1, f"{bad.count()} upstream queries for 4 client queries within 1 s"
    # other names and types are not held
    assert query(srv, "www.up.test", "AAAA").rcode() == SERVFAIL
    assert bad.count() == 2
    time.sleep(1.1)
    assert query(srv, "www.up.test").rcode() == SERVFAIL
    assert bad.count() == 3
    time.sleep(1.1)  # within the new 2 s hold
    r = query(srv, "www.up.test")
    assert r.rcode() == SERVFAIL and 13 in ede_codes(r)
    assert bad.count() == 3


def test_servfail_upstream_fails_over_then_twice_at_most(fwd):  # noqa: F811
    """A SERVFAILing upstream ends its part at once (the next one is asked);
    a silent one is asked at most twice per client question."""
    bad = fwd.upstream(answer=servfail_answer())
    silent = fwd.upstream(silent=True)
    srv = fwd.ternd([bad, silent], config=["forward-timeout: 1500"])
    r, dt = timed(query, srv, "www.up.test", timeout=8)
    assert r.rcode() == SERVFAIL and dt < 2.0, dt
    assert bad.count() == 1 and 1 <= silent.count() <= 2, (bad.count(), silent.count())
    assert 22 in ede_codes(r), edes(r)


def test_upstream_ede_passed_on(fwd):  # noqa: F811
    """The upstream's Extended DNS Error (here 6, DNSSEC Bogus) is what the
    client gets, also from the failure cache."""
    bad = fwd.upstream(answer=servfail_answer((6, "bogus signature")))
    srv = fwd.ternd([bad])
    r = query(srv, "www.up.test")
    assert r.rcode() == SERVFAIL and edes(r) == [(6, "bogus signature")], edes(r)
    r = query(srv, "www.up.test")
    assert r.rcode() == SERVFAIL and 6 in ede_codes(r) and 13 in ede_codes(r), edes(r)
    assert bad.count() == 1


def test_dead_upstream_fast_failure(fwd):  # noqa: F811
    """A closed port (ICMP port unreachable: a failure at once, not at the
    try's end): after failures over a second it is marked down (logged once), and
    from then on a question gets SERVFAIL with EDE 22 in well under 100 ms
    instead of waiting for forward-timeout."""
    srv = fwd.ternd([dead_addr()], threads=1)
    mark_down(srv)
    times = []
    for i in range(5):
        r, dt = timed(query, srv, f"fast{i}.up.test", timeout=8)
        assert r.rcode() == SERVFAIL and 22 in ede_codes(r), (r.to_text(), edes(r))
        times.append(dt)
    # well under 100 ms (a loaded machine may delay one now and then; the
    # forward-timeout is 2.5 s)
    times.sort()
    assert times[3] < 0.05 and times[4] < 0.5, [round(t * 1000) for t in times]
    log = srv.log_text()
    assert log.count("down") == 1, log


def test_down_upstream_probed_and_back(fwd):  # noqa: F811
    """While the only upstream is down, questions fail at once and one probe
    at a time (at most one a second) checks it; once it answers again, the
    names are answered again."""
    port = free_port()
    srv = fwd.ternd([f"127.0.0.1:{port}"], threads=1)
    mark_down(srv)
    up = fwd.upstream(port=port)  # the upstream comes back on the same port
    t0 = time.monotonic()
    answered = False
    i = 0
    while time.monotonic() - t0 < 4.0:
        r, dt = timed(query, srv, f"back{i}.up.test", timeout=8)
        i += 1
        if r.rcode() != SERVFAIL:
            answered = True
            break
        assert dt < 0.5, dt  # at once, not after forward-timeout
        time.sleep(0.05)
    assert answered, "the upstream is back but never used again"
    # every query before it came back failed at once; the upstream saw the
    # probes only: about one a second, not one per client query
    assert up.count() <= 1 + (time.monotonic() - t0) * 1 + 1, (up.count(), i)
    r = query(srv, "www.up.test")
    assert r.rcode() == NOERROR and rdatas(r) == WWW
    assert "up again" in srv.log_text()


def test_stale_answer_after_client_timeout_carries_ede3(fwd):  # noqa: F811
    """RFC 8767 client-response timer: an expired name whose refresh does
    not come back within stale-answer-client-timeout (300 ms here) is
    answered with the stale data (TTL 30, EDE 3) then, well before
    forward-timeout; the refresh goes on and fills the cache."""
    up = fwd.upstream()
    srv = fwd.ternd([up], config=["serve-stale: 60", "stale-answer-client-timeout: 300"])
    assert rdatas(query(srv, "one.up.test")) == ["192.0.2.11"]  # TTL 1
    time.sleep(1.2)
    up.delay = 1.0  # slow, not dead
    r, dt = timed(query, srv, "one.up.test", timeout=8)
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.11"], r.to_text()
    assert 0.25 < dt < 1.2, dt
    assert r.answer[0].ttl == 30 and ede_codes(r) == [3], (r.to_text(), edes(r))
    up.delay = 0
    time.sleep(1.2)  # the refresh came back meanwhile
    assert up.count("one.up.test") >= 2
    r = query(srv, "one.up.test")
    assert r.rcode() == NOERROR and not edes(r) and r.answer[0].ttl <= 1, r.to_text()


def test_stale_answer_when_upstream_down(fwd):  # noqa: F811
    """serve-stale and an upstream that fails: stale data with EDE 3 (not
    SERVFAIL); and once it is down, at once."""
    up = fwd.upstream()
    srv = fwd.ternd([up], config=["serve-stale: 60", "forward-timeout: 600"])
    assert rdatas(query(srv, "one.up.test")) == ["192.0.2.11"]
    time.sleep(1.2)
    up.silent = True
    r = query(srv, "one.up.test", timeout=8)
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.11"] and ede_codes(r) == [3], edes(r)
    mark_down(srv)
    r, dt = timed(query, srv, "one.up.test", timeout=8)
    assert r.rcode() == NOERROR and ede_codes(r) == [3] and dt < 0.5, (edes(r), dt)
    r = query(srv, "never.up.test")
    assert r.rcode() == SERVFAIL and 22 in ede_codes(r)


def test_no_ede_without_edns(fwd):  # noqa: F811
    """EDE is an EDNS option: a client without EDNS gets a plain SERVFAIL."""
    bad = fwd.upstream(answer=servfail_answer())
    srv = fwd.ternd([bad])
    r = query(srv, "www.up.test", use_edns=False)
    assert r.rcode() == SERVFAIL and r.edns < 0


def test_refusals_say_why(fwd):  # noqa: F811
    """REFUSED of ternd's own carries an Extended DNS Error too: 18
    Prohibited for a client the ACL refuses, 20 Not Authoritative for a name
    no upstream serves (forward: none with a forward-zone elsewhere)."""
    up = fwd.upstream()
    srv = fwd.ternd([], forward_zones=[("up.test", up)],
                    config=["access-control: 127.0.0.0/8 refuse", "access-control: 127.0.0.1/32 allow"])
    r = query(srv, "www.up.test", source="127.0.0.2")
    assert r.rcode() == dns.rcode.REFUSED and ede_codes(r) == [18], edes(r)
    r = query(srv, "www.other.test")
    assert r.rcode() == dns.rcode.REFUSED and ede_codes(r) == [20], edes(r)
    # (a zone transfer of a zone not served is NOTAUTH now: tests/system/test_xfr_out.py)
    assert query(srv, "www.up.test").rcode() == NOERROR
