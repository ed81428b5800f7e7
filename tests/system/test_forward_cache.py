"""The forwarding cache (issue 3): TTLs count down and expire, negative
answers are cached for min(SOA TTL, SOA MINIMUM) (RFC 2308 section 5),
the min/max TTL clamps, serve-stale (RFC 8767) when every upstream fails,
and the byte bound under a flood of unique names.

Timing: TTLs of 1 to 4 s and sleeps with at least 0.5 s of margin either
side of every boundary; no assertion is tighter than that."""
import time

import dns.rdatatype

from fwd_helpers import (NOERROR, NXDOMAIN, REFUSED, SERVFAIL, Records, fwd, flood, query, rdatas,  # noqa: F401
                         rss_kb, sanitizer_build, timed)


def soa_of(r):
    soas = [s for s in r.authority if s.rdtype == dns.rdatatype.SOA]
    assert len(soas) == 1, r.to_text()
    return soas[0]


# --------------------------------------------------------- positive TTLs

def test_ttl_counts_down_then_expires(fwd):  # noqa: F811
    up = fwd.upstream()  # short.up.test has TTL 4
    srv = fwd.ternd([up])
    t0 = time.monotonic()
    r1 = query(srv, "short.up.test")
    assert r1.rcode() == NOERROR and rdatas(r1) == ["192.0.2.4"]
    assert 3 <= r1.answer[0].ttl <= 4
    assert up.count("short.up.test") == 1
    time.sleep(1.5)
    r2 = query(srv, "short.up.test")
    assert rdatas(r2) == ["192.0.2.4"]
    assert r2.answer[0].ttl < r1.answer[0].ttl and r2.answer[0].ttl <= 3, r2.to_text()
    assert up.count("short.up.test") == 1, "answered from the cache"
    time.sleep(max(0.0, t0 + 4.8 - time.monotonic()))
    r3 = query(srv, "short.up.test")
    assert rdatas(r3) == ["192.0.2.4"] and 3 <= r3.answer[0].ttl <= 4
    assert up.count("short.up.test") == 2, "expired: asked upstream again"


def test_cname_chain_rrsets_count_down_separately(fwd):  # noqa: F811
    """A chain whose links have different TTLs is cached per RRset: when the
    CNAME (TTL 2) expires the chain is asked again, while its target's own
    RRset (TTL 300) is still answered from the cache."""
    up = fwd.upstream(Records("""
a.up.test. 2 IN CNAME b.up.test.
b.up.test. 300 IN A 192.0.2.77
"""))
    srv = fwd.ternd([up])
    r = query(srv, "a.up.test")
    assert [s.ttl <= 2 for s in r.answer] == [True, False]
    time.sleep(2.6)
    r = query(srv, "a.up.test")
    assert rdatas(r, "b.up.test", "A") == ["192.0.2.77"]
    assert up.count("a.up.test") == 2, "the CNAME expired"
    # b.up.test's own RRset was still cached
    r = query(srv, "b.up.test")
    assert rdatas(r) == ["192.0.2.77"]
    assert up.count("b.up.test") == 0


# ---------------------------------------------------------- negative TTLs

def test_negative_answers_cached_for_min_of_soa_ttl_and_minimum(fwd):  # noqa: F811
    """NXDOMAIN and NODATA (RFC 2308): SOA TTL 100 with MINIMUM 2, and SOA
    TTL 2 with MINIMUM 100, are both cached for 2 s; and
    cache-max-negative-ttl: 2 clamps SOA TTL 100 / MINIMUM 100 the same way.
    Re-asked at 0.6 s: from the cache; at 3.0 s: upstream again."""
    setups = {
        "min2": (Records(soa="up.test. 100 IN SOA ns.up.test. host.up.test. 1 3600 600 86400 2"), None),
        "ttl2": (Records(soa="up.test. 2 IN SOA ns.up.test. host.up.test. 1 3600 600 86400 100"), None),
        "clamp": (Records(soa="up.test. 100 IN SOA ns.up.test. host.up.test. 1 3600 600 86400 100"),
                  ["cache-max-negative-ttl: 2"]),
    }
    runs = {}
    for key, (recs, conf) in setups.items():
        up = fwd.upstream(recs)
        runs[key] = (fwd.ternd([up], config=conf), up)
    qs = [("nx.up.test", "A", NXDOMAIN), ("www.up.test", "MX", NOERROR)]
    t0 = time.monotonic()
    for key, (srv, up) in runs.items():
        for name, qtype, rcode in qs:
            r = query(srv, name, qtype)
            assert r.rcode() == rcode and not r.answer, (key, r.to_text())
            assert soa_of(r).ttl <= 2, (key, r.to_text())
    time.sleep(max(0.0, t0 + 0.6 - time.monotonic()))
    for key, (srv, up) in runs.items():
        for name, qtype, rcode in qs:
            r = query(srv, name, qtype)
            assert r.rcode() == rcode and soa_of(r).ttl <= 2
            assert up.count(name, qtype) == 1, (key, name, qtype, "cached")
    time.sleep(max(0.0, t0 + 3.0 - time.monotonic()))
    for key, (srv, up) in runs.items():
        for name, qtype, rcode in qs:
            assert query(srv, name, qtype).rcode() == rcode
            assert up.count(name, qtype) == 2, (key, name, qtype, "expired after 2 s")


def test_nodata_cached_separately_from_other_types(fwd):  # noqa: F811
    """A cached NODATA for www.up.test MX does not hide its A records."""
    up = fwd.upstream()
    srv = fwd.ternd([up])
    assert not query(srv, "www.up.test", "MX").answer
    r = query(srv, "www.up.test", "A")
    assert rdatas(r) == ["192.0.2.1", "192.0.2.2"]


# ---------------------------------------------------------------- clamps

def test_ttl_clamps(fwd):  # noqa: F811
    """cache-max-ttl: 2 -> a 300 s record is re-asked after 3 s and shown
    with TTL <= 2; cache-min-ttl: 10 -> a 1 s record is still cached after
    3 s (and shown with its clamped TTL)."""
    up1 = fwd.upstream()
    hi = fwd.ternd([up1], config=["cache-max-ttl: 2"])
    up2 = fwd.upstream()
    lo = fwd.ternd([up2], config=["cache-min-ttl: 10"])
    t0 = time.monotonic()
    r = query(hi, "www.up.test")
    assert r.answer[0].ttl <= 2, r.to_text()
    r = query(lo, "one.up.test")
    assert rdatas(r) == ["192.0.2.11"]
    time.sleep(max(0.0, t0 + 3.0 - time.monotonic()))
    query(hi, "www.up.test")
    assert up1.count("www.up.test") == 2
    r = query(lo, "one.up.test")
    assert rdatas(r) == ["192.0.2.11"] and up2.count("one.up.test") == 1
    assert 1 <= r.answer[0].ttl <= 8


# ------------------------------------------------------------ serve-stale

def test_serve_stale(fwd):  # noqa: F811
    """RFC 8767. one.up.test has TTL 1. After it is cached, the upstream
    goes away; 2.5 s later (expired 1.5 s ago):
      serve-stale: 60, upstream stopped (ECONNREFUSED) -> the stale data, TTL 30
      serve-stale: 60, upstream silent                  -> the stale data, TTL 30, within 3 s
      serve-stale: 0 (off), upstream stopped            -> SERVFAIL
      serve-stale: 1, upstream stopped (past the window)-> SERVFAIL
    (forward-timeout: 1000 but for the silent one, to keep the test short)"""
    fast = "forward-timeout: 1000"  # the default 2500 only where the 3 s bound is checked (silent)
    setups = {"stopped": ["serve-stale: 60", fast], "silent": ["serve-stale: 60"], "off": [fast],
              "window": ["serve-stale: 1", fast]}
    runs = {}
    for key, conf in setups.items():
        up = fwd.upstream()
        runs[key] = (fwd.ternd([up], config=conf), up)
    t0 = time.monotonic()
    for key, (srv, up) in runs.items():
        r = query(srv, "one.up.test")
        assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.11"], key
    for key, (srv, up) in runs.items():
        if key == "silent":
            up.silent = True
        else:
            up.stop()
    time.sleep(max(0.0, t0 + 2.5 - time.monotonic()))
    for key in ("stopped", "silent"):
        srv, up = runs[key]
        r, dt = timed(query, srv, "one.up.test", timeout=6)
        assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.11"], (key, r.to_text())
        assert r.answer[0].ttl == 30, (key, r.to_text())
        assert dt < 3.0, (key, dt)
    for key in ("off", "window"):
        srv, up = runs[key]
        r, dt = timed(query, srv, "one.up.test", timeout=6)
        assert r.rcode() == SERVFAIL and not r.answer, (key, r.to_text())
        assert dt < 3.0, (key, dt)
    # a name never cached is still SERVFAIL with serve-stale on
    r = query(runs["stopped"][0], "www.up.test", timeout=6)
    assert r.rcode() == SERVFAIL


# ---------------------------------------------------------- the byte bound

FLOOD_TXT = " ".join(['"' + c * 240 + '"' for c in "abcd"])  # ~970 bytes of RDATA per answer
FLOOD_ZONE = f"""$ORIGIN flood.test.
$TTL 3600
@ IN SOA ns.flood.test. host.flood.test. 1 3600 600 86400 300
@ IN NS ns
ns IN A 192.0.2.53
* IN TXT {FLOOD_TXT}
"""
FLOOD_NAMES = 20000


def test_cache_stays_within_its_size_under_a_flood(fwd):  # noqa: F811
    """cache-size: 1m; 20,000 unique names, each a ~1 KB TXT answer (a
    wildcard at an authoritative ternd upstream), i.e. ~20 MB of data if
    the cache kept it all.

    Bound: ternd's RSS (VmRSS) may grow by at most 12 MB over the flood
    (1 MB of cache plus allocator slack, in-flight records and per-thread
    buffers; an unbounded cache would grow by >= 20 MB). Measured on the
    plain build: +1.0 MB with cache-size: 1m, and +21 MB for the same flood
    with cache-size: 64m (so the bound tells the two apart). Under the
    sanitizer build (TERN_BUILD=build/san) ASan's quarantine keeps freed
    memory, so the RSS bound is not checked there (the rest is).

    LRU: afterwards the first names asked are gone (RD=0 -> REFUSED: the
    cache-only answer), the last ones still cached; other names are still
    answered at once."""
    auth = fwd.authoritative({"flood.test": FLOOD_ZONE})
    srv = fwd.ternd([auth], config=["cache-size: 1m"], local=["printer.lan. A 192.0.2.9"])
    # warm up: threads, sockets, first allocations
    assert flood(srv, [f"w{i}.flood.test" for i in range(300)], "TXT") == {NOERROR: 300}
    before = rss_kb(srv.pid)
    t0 = time.monotonic()
    res = flood(srv, [f"n{i}.flood.test" for i in range(FLOOD_NAMES)], "TXT")
    took = time.monotonic() - t0
    after = rss_kb(srv.pid)
    growth_mb = (after - before) / 1024
    print(f"flood: {res} in {took:.1f} s; VmRSS {before} kB -> {after} kB (+{growth_mb:.1f} MB)")
    assert res.get(NOERROR, 0) >= FLOOD_NAMES * 0.99, res
    if not sanitizer_build():
        assert growth_mb < 12, f"VmRSS grew by {growth_mb:.1f} MB with cache-size: 1m"
    # LRU: the oldest entries were evicted, the newest kept
    old = [query(srv, f"n{i}.flood.test", "TXT", rd=False).rcode() for i in range(50)]
    assert old.count(REFUSED) == 50, old
    new = [query(srv, f"n{i}.flood.test", "TXT", rd=False).rcode() for i in range(FLOOD_NAMES - 50, FLOOD_NAMES)]
    assert new.count(NOERROR) == 50, new
    # still serving at once
    for name, qtype in [("printer.lan", "A"), ("fresh.flood.test", "TXT"), (f"n{FLOOD_NAMES - 1}.flood.test", "TXT")]:
        r, dt = timed(query, srv, name, qtype, use_edns=0, payload=1232)
        assert r.rcode() == NOERROR and r.answer and dt < 0.5, (name, dt)


def test_entry_larger_than_small_cache_still_answered(fwd):  # noqa: F811
    """cache-size at its minimum (64k): answers still flow (an entry that does
    not fit, or evicts everything, is still given to the client)."""
    auth = fwd.authoritative({"flood.test": FLOOD_ZONE})
    srv = fwd.ternd([auth], config=["cache-size: 64k"])
    res = flood(srv, [f"s{i}.flood.test" for i in range(500)], "TXT")
    assert res == {NOERROR: 500}, res
