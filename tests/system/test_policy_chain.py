"""CNAME-target inspection (issue 14, items 6-7): block lists and RPZ QNAME
triggers see every name an upstream answer's CNAME (or DNAME) chain leads
to, not only the query's name.

The upstream is real: a ternd (or Knot) serving the zones authoritatively
on loopback, where `tracker.example. CNAME ads.blocked.test.` and its kin
live; the ternd under test forwards to it. A block-list hit anywhere in the
chain gives the block answer for the query's name (as Pi-hole's and
AdGuard Home's CNAME inspection do); an RPZ trigger rewrites at the name it
matched, the CNAMEs before it kept (BIND, Unbound)."""
import dns.edns
import dns.flags
import dns.rdatatype
import pytest

from fwd_helpers import NOERROR, NXDOMAIN, REFUSED, chain, fwd, rdatas  # noqa: F401
from fwd_helpers import query as plain_query

SOA = "$TTL 300\n@ SOA ns.{o}. host.{o}. 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\n"

ZONES = {
    "example": SOA.format(o="example") + """
tracker CNAME ads.blocked.test.
deep CNAME hop
hop CNAME x.sub.blocked.test.
fine CNAME www.ok.test.
lookalike CNAME blocked.test.example.
blocked.test A 192.0.2.99
other CNAME xblocked.test.
allowed CNAME ok.blocked.test.
rpznx CNAME nx.rpz.test.
rpznodata CNAME nodata.rpz.test.
rpzdata CNAME data.rpz.test.
rpzdrop CNAME drop.rpz.test.
pass CNAME pass.rpzwild.test.
wild CNAME other.rpzwild.test.
zero 0 CNAME ads.blocked.test.
dn DNAME blocked.test.
""",
    "blocked.test": SOA.format(o="blocked.test") + """
ads A 192.0.2.10
ads AAAA 2001:db8::10
x.sub A 192.0.2.12
ok A 192.0.2.11
""",
    "xblocked.test": SOA.format(o="xblocked.test") + "@ A 192.0.2.13\n",
    "ok.test": SOA.format(o="ok.test") + "www A 192.0.2.20\n",
    "rpz.test": SOA.format(o="rpz.test") + """
nx A 192.0.2.30
nodata A 192.0.2.32
data A 192.0.2.31
drop A 192.0.2.33
""",
    "rpzwild.test": SOA.format(o="rpzwild.test") + "pass A 192.0.2.40\nother A 192.0.2.41\n",
}

RPZ = """$TTL 300
@ SOA localhost. root.localhost. 1 3600 600 86400 60
  NS localhost.
nx.rpz.test CNAME .
nodata.rpz.test CNAME *.
data.rpz.test A 192.0.2.77
drop.rpz.test CNAME rpz-drop.
*.rpzwild.test CNAME .
pass.rpzwild.test CNAME rpz-passthru.
"""


def query(srv, name, qtype="A", **kw):
    kw.setdefault("use_edns", 0)
    return plain_query(srv, name, qtype, **kw)


def ede_codes(r):
    return [o.code for o in r.options if o.otype == dns.edns.EDE]


def lists(tmp_path, block="blocked.test\n", allow=None):
    out = []
    bl = tmp_path / "block.txt"
    bl.write_text(block)
    out.append(f"block-list: {bl}")
    if allow is not None:
        al = tmp_path / "allow.txt"
        al.write_text(allow)
        out.append(f"allow-list: {al}")
    return out


@pytest.fixture(params=["ternd", "knot"])
def upstream(request, fwd):  # noqa: F811
    """The authoritative upstream: a ternd (it follows CNAMEs across the
    zones it serves, so the chain comes in one answer) or Knot (it does not,
    so ternd asks for each target itself)."""
    if request.param == "ternd":
        return fwd.authoritative(ZONES)
    return fwd.knot(ZONES)


def assert_blocked(r, name, qtype="A"):
    assert r.rcode() == NOERROR, r.to_text()
    assert ede_codes(r) == [15], r.to_text()
    assert chain(r) == [(name + ".", qtype)], r.to_text()  # the chain is gone
    assert rdatas(r) == (["0.0.0.0"] if qtype == "A" else ["::"])
    assert not (r.flags & dns.flags.AA)


def test_blocked_via_chain(fwd, upstream, tmp_path):  # noqa: F811
    srv = fwd.ternd([upstream], config=lists(tmp_path))
    for _ in range(2):  # from the upstream's answer, then from the cache
        assert_blocked(query(srv, "tracker.example"), "tracker.example")
        assert_blocked(query(srv, "tracker.example", "AAAA"), "tracker.example", "AAAA")
        assert_blocked(query(srv, "deep.example"), "deep.example")  # two links, a subtree entry
        assert_blocked(query(srv, "tracker.example", tcp=True), "tracker.example")
    r = query(srv, "tracker.example", "MX")  # null: NODATA for other types
    assert r.rcode() == NOERROR and not r.answer and ede_codes(r) == [15], r.to_text()
    # the name itself is blocked as before
    assert_blocked(query(srv, "ads.blocked.test"), "ads.blocked.test")


def test_chain_no_false_positives(fwd, upstream, tmp_path):  # noqa: F811
    srv = fwd.ternd([upstream], config=lists(tmp_path))
    r = query(srv, "fine.example")
    assert chain(r) == [("fine.example.", "CNAME"), ("www.ok.test.", "A")], r.to_text()
    assert rdatas(r, "www.ok.test", "A") == ["192.0.2.20"] and not ede_codes(r)
    r = query(srv, "lookalike.example")  # blocked.test.example is not below blocked.test
    assert rdatas(r, "blocked.test.example", "A") == ["192.0.2.99"] and not ede_codes(r), r.to_text()
    r = query(srv, "other.example")  # xblocked.test is another name
    assert rdatas(r, "xblocked.test", "A") == ["192.0.2.13"] and not ede_codes(r), r.to_text()


@pytest.mark.parametrize("answer,rcode", [("nxdomain", NXDOMAIN), ("refused", REFUSED)])
def test_chain_block_answers(fwd, tmp_path, answer, rcode):  # noqa: F811
    auth = fwd.authoritative(ZONES)
    srv = fwd.ternd([auth], config=lists(tmp_path) + [f"block-answer: {answer}"])
    for _ in range(2):
        r = query(srv, "tracker.example")
        assert r.rcode() == rcode and not r.answer and ede_codes(r) == [15], r.to_text()


def test_allow_list_exempts_chain_target(fwd, tmp_path):  # noqa: F811
    auth = fwd.authoritative(ZONES)
    srv = fwd.ternd([auth], config=lists(tmp_path, allow="ok.blocked.test\n"))
    for _ in range(2):
        r = query(srv, "allowed.example")
        assert chain(r) == [("allowed.example.", "CNAME"), ("ok.blocked.test.", "A")], r.to_text()
        assert rdatas(r, "ok.blocked.test", "A") == ["192.0.2.11"] and not ede_codes(r)
    assert_blocked(query(srv, "tracker.example"), "tracker.example")


def test_uncacheable_chain_inspected(fwd, tmp_path):  # noqa: F811
    """A CNAME with TTL 0 is not cached: the answer is written from the
    upstream's message, and its chain is inspected there too."""
    auth = fwd.authoritative(ZONES)
    srv = fwd.ternd([auth], config=lists(tmp_path))
    for _ in range(2):
        assert_blocked(query(srv, "zero.example"), "zero.example")


def test_dname_chain(fwd, upstream, tmp_path):  # noqa: F811
    """A DNAME leads into the blocked subtree: the synthesized CNAME's
    target is blocked."""
    srv = fwd.ternd([upstream], config=lists(tmp_path))
    assert_blocked(query(srv, "ads.dn.example"), "ads.dn.example")


def test_rpz_chain_triggers(fwd, upstream, tmp_path):  # noqa: F811
    z = tmp_path / "policy.rpz"
    z.write_text(RPZ)
    srv = fwd.ternd([upstream], config=[f"rpz: {z}"])
    for _ in range(2):
        r = query(srv, "rpznx.example")  # NXDOMAIN at the target, the CNAME kept
        assert r.rcode() == NXDOMAIN and ede_codes(r) == [15], r.to_text()
        assert chain(r) == [("rpznx.example.", "CNAME")], r.to_text()
        r = query(srv, "rpznodata.example")
        assert r.rcode() == NOERROR and chain(r) == [("rpznodata.example.", "CNAME")] and ede_codes(r) == [15]
        r = query(srv, "rpzdata.example")  # local data for the target
        assert chain(r) == [("rpzdata.example.", "CNAME"), ("data.rpz.test.", "A")], r.to_text()
        assert rdatas(r, "data.rpz.test", "A") == ["192.0.2.77"] and ede_codes(r) == [4]
        r = query(srv, "pass.example")  # PASSTHRU beats the wildcard
        assert rdatas(r, "pass.rpzwild.test", "A") == ["192.0.2.40"] and not ede_codes(r), r.to_text()
        r = query(srv, "wild.example")  # the wildcard trigger
        assert r.rcode() == NXDOMAIN and chain(r) == [("wild.example.", "CNAME")], r.to_text()
        r = query(srv, "fine.example")
        assert rdatas(r, "www.ok.test", "A") == ["192.0.2.20"] and not ede_codes(r)
    with pytest.raises(dns.exception.Timeout):
        query(srv, "rpzdrop.example", timeout=0.5)


def test_client_group_lists_apply_to_chain(fwd, tmp_path):  # noqa: F811
    auth = fwd.authoritative(ZONES)
    kids = tmp_path / "kids.txt"
    kids.write_text("blocked.test\n")
    srv = fwd.ternd([auth], config=["group:", "name: kids", "clients: 127.0.0.2/32", f"block-list: {kids}"])
    for _ in range(2):
        r = query(srv, "tracker.example", source="127.0.0.2")
        assert_blocked(r, "tracker.example")
        r = query(srv, "tracker.example", source="127.0.0.1")
        assert rdatas(r, "ads.blocked.test", "A") == ["192.0.2.10"] and not ede_codes(r), r.to_text()
