"""Prefetch: a popular cache entry is refreshed upstream shortly before it
expires, once, so its clients never meet an expired entry (the cache gives
the refresh to exactly one query: when an entry hit at least twice has less
than 10 % of its TTL left)."""
import time

from fwd_helpers import NOERROR, Records, fwd, query, ttls  # noqa: F401


def test_popular_entry_refreshed_once_before_expiry(fwd):  # noqa: F811
    up = fwd.upstream(Records("pop.up.test. 11 IN A 192.0.2.11\nrare.up.test. 11 IN A 192.0.2.12"))
    srv = fwd.ternd([up])
    t0 = time.monotonic()
    assert query(srv, "pop.up.test").rcode() == NOERROR          # miss: upstream 1
    assert query(srv, "rare.up.test").rcode() == NOERROR         # miss: upstream 2
    assert query(srv, "pop.up.test").rcode() == NOERROR          # hit 1
    assert up.count("pop.up.test") == 1
    time.sleep(max(0.0, t0 + 10.2 - time.monotonic()))           # 1 s of 11 left: < 10 %
    r = query(srv, "pop.up.test")                                # hit 2 -> prefetch
    assert r.rcode() == NOERROR and ttls(r) == [1]
    for _ in range(5):                                           # only one refresh
        query(srv, "pop.up.test")
    time.sleep(0.3)
    assert up.count("pop.up.test") == 2, up.log
    time.sleep(max(0.0, t0 + 11.6 - time.monotonic()))           # the first copy has expired
    r = query(srv, "pop.up.test")
    assert r.rcode() == NOERROR and r.answer and ttls(r)[0] >= 9  # the refreshed copy
    assert up.count("pop.up.test") == 2
    # the entry hit only once was not refreshed: it expired and is asked again
    assert query(srv, "rare.up.test").rcode() == NOERROR
    assert up.count("rare.up.test") == 2
