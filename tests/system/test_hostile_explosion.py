"""Queries that would make work explode stop at documented limits (issue 6;
architecture.md "Answer": CNAME chains are followed through all served
zones for at most 16 links, loops are stopped; DNAME synthesis likewise):
long CNAME chains, CNAME loops across two zones, wildcard CNAME loops, deep
wildcards (100+ labels), names of exactly 255 bytes, DNAME chains, loops and
DNAMEs that grow the name. Each is answered in well under a second with a
well-formed message (a chain that is a prefix of the real one, every RRset
whole), and the server keeps answering normal queries at once, also right
after a burst of such queries.

The limit as implemented (answer.c, DB_MAX_CHAIN = 16): the query name and
16 more names are looked up, so a chain of 16 CNAMEs ending in an A record
is answered completely, and a longer chain is cut after 17 CNAME records
(the 17th is included, its target is not looked up)."""
import socket
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import stop_clean
from ternd import start_ternd

LIMIT = 16
SOA = "@ IN SOA ns hostmaster 1 7200 3600 1209600 300\n@ IN NS ns\nns IN A 192.0.2.53\n"


def chain_zone():
    z = "$ORIGIN chain.test.\n$TTL 300\n" + SOA
    for i in range(40):  # c0 -> c1 -> ... -> c40 (A): 40 links
        z += f"c{i} IN CNAME c{i + 1}\n"
    z += "c40 IN A 192.0.2.40\n"
    for i in range(LIMIT):  # d0 -> ... -> d16 (A): exactly 16 links
        z += f"d{i} IN CNAME d{i + 1}\n"
    z += f"d{LIMIT} IN A 192.0.2.16\n"
    for i in range(LIMIT + 1):  # e0 -> ... -> e17 (A): 17 links
        z += f"e{i} IN CNAME e{i + 1}\n"
    z += f"e{LIMIT + 1} IN A 192.0.2.17\n"
    # the chain alternates between two zones: x0.chain.test -> x1.alt.test -> x2.chain.test ...
    for i in range(0, 40, 2):
        z += f"x{i} IN CNAME x{i + 1}.alt.test.\n"
    # a loop across the two zones
    z += "loop IN CNAME loop.alt.test.\n"
    # wildcards: a deep one, and two that loop through each other
    z += "*.deep IN A 192.0.2.99\n*.deep IN TXT \"deep\"\n"
    z += "*.w1 IN CNAME x.w2\n*.w2 IN CNAME x.w1\n"
    z += "*.wc IN CNAME *.wc\n"  # a wildcard CNAME to its own owner name
    # DNAME: a chain of 20 (x.n0 -> x.n1 -> ... -> x.n20), a loop, a growing one
    for i in range(20):
        z += f"n{i} IN DNAME n{i + 1}.chain.test.\n"
    z += "n20 IN A 192.0.2.20\n*.n20 IN A 192.0.2.21\n"
    z += "la IN DNAME lb.chain.test.\nlb IN DNAME la.chain.test.\n"
    z += "grow IN DNAME a.b.c.d.e.f.g.h.grow2.chain.test.\n"
    z += "grow2 IN DNAME a.b.c.d.e.f.g.h.grow.chain.test.\n"
    return z


def alt_zone():
    z = "$ORIGIN alt.test.\n$TTL 300\n" + SOA
    for i in range(1, 40, 2):
        z += f"x{i} IN CNAME x{i + 1}.chain.test.\n"
    z += "x40 IN A 192.0.2.41\n"
    z += "loop IN CNAME loop.chain.test.\n"
    return z


ZONES = {"chain.test": chain_zone(), "alt.test": alt_zone()}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start_ternd(tmp_path_factory.mktemp("explode"), ZONES, threads=2)
    assert "error" not in s.log_text().lower(), s.log_text()
    yield s
    stop_clean(s)


def ask(srv, qname, qtype="A", tcp=False):
    """(reply, seconds): EDNS 1232 over UDP, or TCP."""
    q = dns.message.make_query(qname, qtype, use_edns=0, payload=1232)
    t0 = time.monotonic()
    if tcp:
        r = dns.query.tcp(q, srv.host, port=srv.port, timeout=3)
    else:
        r = dns.query.udp(q, srv.host, port=srv.port, timeout=3)
    took = time.monotonic() - t0
    # well-formed: dnspython parsed it; re-parse the wire strictly too
    dns.message.from_wire(r.to_wire())
    return r, took


def owners(r, rdtype):
    return [s.name.to_text().lower() for s in r.answer if s.rdtype == rdtype]


def assert_serving(srv):
    r, took = ask(srv, "c40.chain.test")
    assert r.rcode() == dns.rcode.NOERROR and r.answer[0][0].address == "192.0.2.40"
    assert took < 0.5


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_long_cname_chain_cut_at_limit(srv, tcp):
    r, took = ask(srv, "c0.chain.test", tcp=tcp)
    assert took < 1.0
    assert r.rcode() == dns.rcode.NOERROR
    cn = owners(r, dns.rdatatype.CNAME)
    # a prefix of the chain, in order, cut at the limit: the 17 names looked up
    assert cn == [f"c{i}.chain.test." for i in range(LIMIT + 1)], cn
    assert not owners(r, dns.rdatatype.A)
    assert all(len(s) == 1 for s in r.answer)
    assert_serving(srv)


def test_chain_of_exactly_16_links_is_complete(srv):
    r, took = ask(srv, "d0.chain.test")
    assert took < 1.0 and r.rcode() == dns.rcode.NOERROR
    assert owners(r, dns.rdatatype.CNAME) == [f"d{i}.chain.test." for i in range(LIMIT)]
    assert [s[0].address for s in r.answer if s.rdtype == dns.rdatatype.A] == ["192.0.2.16"]


def test_chain_of_17_links_is_cut(srv):
    r, _ = ask(srv, "e0.chain.test")
    assert owners(r, dns.rdatatype.CNAME) == [f"e{i}.chain.test." for i in range(LIMIT + 1)]
    assert not owners(r, dns.rdatatype.A)


def test_chain_alternating_between_two_zones_cut_at_limit(srv):
    r, took = ask(srv, "x0.chain.test")
    assert took < 1.0 and r.rcode() == dns.rcode.NOERROR
    want = [f"x{i}.{'alt' if i % 2 else 'chain'}.test." for i in range(LIMIT + 1)]
    assert owners(r, dns.rdatatype.CNAME) == want
    assert_serving(srv)


@pytest.mark.parametrize("qname", ["loop.chain.test", "loop.alt.test"])
def test_cname_loop_across_two_zones(srv, qname):
    r, took = ask(srv, qname)
    assert took < 1.0 and r.rcode() == dns.rcode.NOERROR
    cn = owners(r, dns.rdatatype.CNAME)
    assert sorted(cn) == ["loop.alt.test.", "loop.chain.test."], cn  # each link once, then stop
    assert_serving(srv)


@pytest.mark.parametrize("qname", ["a.w1.chain.test", "q.wc.chain.test"])
def test_wildcard_cname_loops(srv, qname):
    r, took = ask(srv, qname)
    assert took < 1.0 and r.rcode() == dns.rcode.NOERROR
    cn = owners(r, dns.rdatatype.CNAME)
    assert 1 <= len(cn) <= LIMIT + 1 and len(set(cn)) == len(cn), cn
    assert_serving(srv)


def deep_name(labels, suffix="deep.chain.test."):
    return "a." * labels + suffix


@pytest.mark.parametrize("labels", [100, 110, 119])
@pytest.mark.parametrize("qtype", ["A", "TXT", "MX"])
def test_deep_wildcard(srv, labels, qtype):
    """A name of 100+ labels under *.deep.chain.test: synthesized from the
    wildcard (A, TXT) or NODATA (MX), owner the full query name."""
    qname = deep_name(labels)
    r, took = ask(srv, qname, qtype)
    assert took < 1.0 and r.rcode() == dns.rcode.NOERROR
    if qtype == "MX":
        assert not r.answer and r.authority
    else:
        assert [s.name for s in r.answer] == [dns.name.from_text(qname)]
    assert_serving(srv)


def name_of_wire_length(total, suffix="deep.chain.test."):
    """A name under suffix whose wire form is exactly `total` bytes."""
    suffix_len = len(dns.name.from_text(suffix).to_wire())
    rest = total - suffix_len
    labels = []
    while rest > 0:
        n = min(63, rest - 1)
        if rest - (n + 1) == 1:  # avoid leaving one byte (a label needs two)
            n -= 1
        labels.append("b" * n)
        rest -= n + 1
    name = ".".join(labels) + "." + suffix
    assert len(dns.name.from_text(name).to_wire()) == total
    return name


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_name_of_255_bytes(srv, tcp):
    """The longest legal name (255 bytes on the wire) under the wildcard: the
    answer's owner is that name, uncompressible except for its suffix."""
    qname = name_of_wire_length(255)
    r, took = ask(srv, qname, "TXT", tcp=tcp)
    assert took < 1.0 and r.rcode() == dns.rcode.NOERROR
    assert [s.name for s in r.answer] == [dns.name.from_text(qname)]
    # one byte more is no name at all: FORMERR (sent raw, dnspython refuses it)
    wire = bytearray(dns.message.make_query("x.deep.chain.test", "A").to_wire())
    qn = dns.name.from_text(qname).to_wire()
    over = b"\x01z" + qn  # 257 bytes
    raw = bytes(wire[:12]) + over + b"\x00\x01\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(raw, (srv.host, srv.port))
        reply = s.recv(65535)
    assert reply[3] & 0xF == dns.rcode.FORMERR
    assert_serving(srv)


def test_dname_chain_cut_at_limit(srv):
    """x.n0 -> x.n1 -> ... -> x.n20: 20 DNAMEs; synthesis stops at the limit
    with every DNAME and its synthesized CNAME paired."""
    r, took = ask(srv, "x.n0.chain.test")
    assert took < 1.0 and r.rcode() == dns.rcode.NOERROR
    dn = owners(r, dns.rdatatype.DNAME)
    cn = owners(r, dns.rdatatype.CNAME)
    assert dn == [f"n{i}.chain.test." for i in range(len(dn))] and 1 <= len(dn) <= LIMIT + 1
    assert cn == [f"x.n{i}.chain.test." for i in range(len(cn))] and len(dn) - 1 <= len(cn) <= len(dn)
    assert len(cn) <= LIMIT
    print(f"\n[dname-chain] {len(dn)} DNAMEs, {len(cn)} synthesized CNAMEs before the stop")
    assert_serving(srv)


def test_short_dname_chain_complete(srv):
    """x.n15 -> ... -> x.n20 (wildcard A): 5 DNAMEs, answered to the end."""
    r, _ = ask(srv, "x.n15.chain.test")
    assert owners(r, dns.rdatatype.DNAME) == [f"n{i}.chain.test." for i in range(15, 20)]
    assert [s[0].address for s in r.answer if s.rdtype == dns.rdatatype.A] == ["192.0.2.21"]


def test_dname_loop(srv):
    r, took = ask(srv, "x.la.chain.test")
    assert took < 1.0 and r.rcode() == dns.rcode.NOERROR
    cn = owners(r, dns.rdatatype.CNAME)
    assert 2 <= len(cn) <= LIMIT + 1
    assert_serving(srv)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dname_growing_the_name_ends_in_yxdomain(srv, tcp):
    """grow -> a.b.c.d.e.f.g.h.grow2 -> a.b.c.d.e.f.g.h.grow: each step adds
    16 bytes, so the name outgrows 255 bytes before the chain limit:
    YXDOMAIN (RFC 6672 2.2), with the DNAMEs and CNAMEs synthesized so far.
    Those records are about 2.7 KB: over UDP (1232 bytes) the answer is
    cut to the RRsets that fit with TC=1, and the client asks again over TCP."""
    r, took = ask(srv, "q.grow.chain.test", tcp=tcp)
    assert took < 1.0
    if tcp:
        assert r.rcode() == dns.rcode.YXDOMAIN, dns.rcode.to_text(r.rcode())
    else:
        assert r.flags & dns.flags.TC and len(r.to_wire()) <= 1232
    assert owners(r, dns.rdatatype.DNAME)
    assert_serving(srv)


def test_burst_of_explosive_queries_keeps_normal_latency(srv):
    """600 worst-case queries sent at once (long chains, loops, deep
    wildcards, DNAME growth); then a normal query is answered at once, and
    every explosive one got an answer."""
    names = [("c0.chain.test", "A"), ("x0.chain.test", "A"), ("loop.chain.test", "A"),
             ("x.n0.chain.test", "A"), ("q.grow.chain.test", "A"), (deep_name(119), "TXT"),
             ("a.w1.chain.test", "A"), ("x.la.chain.test", "A")]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.settimeout(3)
    t0 = time.monotonic()
    sent = 0
    try:
        for i in range(600):
            qn, qt = names[i % len(names)]
            q = dns.message.make_query(qn, qt, id=i, use_edns=0, payload=1232)
            s.sendto(q.to_wire(), (srv.host, srv.port))
            sent += 1
            if i % 50 == 49:
                time.sleep(0.005)
        got = set()
        while len(got) < sent:
            try:
                w = s.recv(65535)
            except socket.timeout:
                break
            got.add(int.from_bytes(w[:2], "big"))
    finally:
        s.close()
    took = time.monotonic() - t0
    print(f"\n[explosion burst] {len(got)}/{sent} answered in {took:.2f} s")
    assert len(got) >= sent * 0.99
    r, t = ask(srv, "c40.chain.test")
    assert r.answer and t < 0.2
