"""Forwarding under hostile upstreams (issue 6): an upstream that answers
with a huge number of records, with compression-pointer loops and other
broken names, with wrong counts, truncated or random bytes, with a storm of
garbage datagrams. ternd stays up; the client gets SERVFAIL or a sane answer
(a well-formed message whose answer section is about the question asked,
within the client's size, TC=1 when something did not fit) within
forward-timeout (0.5 s here) and a little; the next good name is answered
from the same upstream.

Each case asks its own name (no help from the cache); every upstream is a
peers.ScriptedServer on loopback (fwd_helpers.Upstream)."""
import random
from concurrent.futures import ThreadPoolExecutor
import struct
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from fwd_helpers import NXDOMAIN, NOERROR, SERVFAIL, Records, burst, fwd, query, timed  # noqa: F401

TIMEOUT_MS = 500


def question_wire(q):
    qs = q.question[0]
    return qs.name.to_wire() + struct.pack("!HH", qs.rdtype, qs.rdclass)


def raw(q, body, an=0, ns=0, ar=0, flags=0x8580, qd=1, question=True):
    """A response to q: header (q's ID, QR AA RD RA by default), the
    question (the name at offset 12), then `body` bytes as they are."""
    return struct.pack("!6H", q.id, flags, qd, an, ns, ar) + (question_wire(q) if question else b"") + body


def rr(owner, rtype=1, rdata=b"\xc0\x00\x02\x01", ttl=300):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def ptr(off):
    return struct.pack("!H", 0xC000 | off)


def many_a(q, n):
    """n A records for the question's name (owner compressed to offset 12)."""
    return raw(q, b"".join(rr(ptr(12), 1, struct.pack("!I", 0xC6120000 + i)) for i in range(n)), an=n)


def pointer_chain(q, n):
    """n answer records whose owners are each a 63-byte label plus a pointer
    to the previous owner: the later ones decompress to names over 255."""
    base = 12 + len(question_wire(q))
    body = b""
    prev = 12
    for i in range(n):
        off = base + len(body)
        body += rr(b"\x3f" + bytes([97 + i % 26]) * 63 + ptr(prev))
        prev = off
    return raw(q, body, an=n)


def self_loop(q):
    off = 12 + len(question_wire(q))
    return raw(q, rr(ptr(off)), an=1)


def two_loop(q):
    # owner A = label + pointer to B; owner B = label + pointer to A
    off = 12 + len(question_wire(q))
    a = b"\x01a" + ptr(off + 4 + 10 + 4)  # record A: 4 bytes owner, 10 fixed, 4 rdata
    b = b"\x01b" + ptr(off)
    return raw(q, rr(a) + rr(b), an=2)


def forward_pointer(q):
    off = 12 + len(question_wire(q))
    return raw(q, rr(ptr(off + 100)) + b"\x00" * 120, an=1)


def pointer_into_header(q):
    return raw(q, rr(ptr(0)), an=1)


def counts_lie(q):
    return raw(q, rr(ptr(12)), an=65535, ns=65535, ar=65535)


def rdlength_past_end(q):
    return raw(q, ptr(12) + struct.pack("!HHIH", 1, 1, 300, 60000) + b"\x01\x02\x03\x04", an=1)


def cut_short(q):
    return raw(q, rr(ptr(12))[:7], an=1)


def a_with_bad_rdlength(q):
    return raw(q, rr(ptr(12), 1, b"\x01\x02\x03"), an=1)  # A with 3 bytes


def long_label_in_cname_target(q):
    return raw(q, rr(ptr(12), 5, b"\x50" + b"x" * 80 + b"\x00"), an=1)


def long_cname_chain(q):
    """200 CNAMEs c0 -> c1 -> ... in one answer, then an A."""
    r = dns.message.make_response(q)
    r.flags |= dns.flags.RA | dns.flags.AA
    name = q.question[0].name
    for i in range(200):
        nxt = dns.name.from_text(f"c{i}.chain.up.test.")
        r.answer.append(dns.rrset.from_text(name, 300, "IN", "CNAME", nxt.to_text()))
        name = nxt
    r.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "192.0.2.7"))
    return r.to_wire(max_size=65535)


def junk_sections(q):
    """The right A record, then 2,000 unrelated records in authority and
    additional: the answer must carry none of them."""
    ans = rr(ptr(12), 1, b"\xc0\x00\x02\x09")
    junk = b"".join(rr(b"\x04junk" + struct.pack("!H", 0xC000 | 12), 1, struct.pack("!I", i)) for i in range(1000))
    return raw(q, ans + junk + junk, an=1, ns=1000, ar=1000)


def question_garbage(q):
    return raw(q, b"", question=False) + b"\xff" * 40


def random_bytes_same_id(q):
    rng = random.Random(q.id)
    return struct.pack("!H", q.id) + bytes(rng.randrange(256) for _ in range(rng.randrange(10, 600)))


# name -> (what the upstream sends over UDP, over TCP); None: the good answer
CASES = {
    "huge-udp": (lambda q: many_a(q, 4000), None),            # 64 KB in one datagram
    "huge-tcp": ("tc", lambda q: many_a(q, 4000)),            # TC=1, then 64 KB over TCP
    "big2k-tcp": ("tc", lambda q: many_a(q, 2000)),           # TC=1, then 2,000 records (32 KB)
    "huge-both-tc": ("tc", "tc"),                             # TC=1 over TCP as well
    "ptr-self-loop": (self_loop, self_loop),
    "ptr-two-loop": (two_loop, two_loop),
    "ptr-forward": (forward_pointer, forward_pointer),
    "ptr-header": (pointer_into_header, pointer_into_header),
    "ptr-chain-over-255": (lambda q: pointer_chain(q, 6), lambda q: pointer_chain(q, 6)),
    "counts-lie": (counts_lie, counts_lie),
    "rdlength-past-end": (rdlength_past_end, rdlength_past_end),
    "cut-short": (cut_short, cut_short),
    "a-rdlength-3": (a_with_bad_rdlength, a_with_bad_rdlength),
    "label-80": (long_label_in_cname_target, long_label_in_cname_target),
    "cname-200": (long_cname_chain, long_cname_chain),
    "junk-2000": (junk_sections, junk_sections),
    "no-question": (question_garbage, question_garbage),
    "random-bytes": (random_bytes_same_id, random_bytes_same_id),
}


def hostile_answer(q, transport, peer, sock):
    label = q.question[0].name.labels[0].decode().lower()
    good = Records("good.up.test. 300 IN A 192.0.2.1\nok.up.test. 300 IN A 192.0.2.2")
    if label not in CASES:
        return [good.respond(q)]
    spec = CASES[label][0 if transport == "udp" else 1]
    if spec is None:
        return [good.respond(q)]
    if spec == "tc":
        r = dns.message.make_response(q)
        r.flags |= dns.flags.TC | dns.flags.RA
        return [r.to_wire()]
    return [spec(q)]


def assert_sane(r, qname, udp_limit=None):
    """SERVFAIL, or an answer whose records are all about qname's chain.
    NXDOMAIN only after a chain: ternd follows 16 links of cname-200's chain
    and asks the upstream for the rest (RFC 1034 5.3.3), and this upstream
    does not know the continuation names, so it says NXDOMAIN for them."""
    assert r.rcode() in (NOERROR, SERVFAIL) or (r.rcode() == NXDOMAIN and r.answer), dns.rcode.to_text(r.rcode())
    if udp_limit:
        assert len(r.to_wire()) <= udp_limit
    names = {dns.name.from_text(qname)}
    for s in r.answer:
        assert s.name in names, f"unrelated record in the answer: {s}"
        if s.rdtype == dns.rdatatype.CNAME:
            names.add(s[0].target)
    for s in r.authority + r.additional:
        assert "junk" not in s.name.to_text() and s.rdtype != dns.rdatatype.A, f"junk kept: {s}"


@pytest.fixture
def hostile(fwd):  # noqa: F811
    up = fwd.upstream(answer=hostile_answer)
    srv = fwd.ternd([up], config=[f"forward-timeout: {TIMEOUT_MS}"])
    return srv, up


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_upstream_answer(hostile, case):
    srv, up = hostile
    qname = f"{case}.up.test"
    # the same name over UDP and TCP at once (so the case costs one timeout)
    with ThreadPoolExecutor(2) as ex:
        fu = ex.submit(timed, query, srv, qname, "A", timeout=5, use_edns=0, payload=1232)
        ft = ex.submit(timed, query, srv, qname, "A", tcp=True, timeout=5)
        r, took = fu.result()
        rt, took_tcp = ft.result()
    assert max(took, took_tcp) < TIMEOUT_MS / 1000 + 1.0, f"{took:.2f} s, {took_tcp:.2f} s"
    assert_sane(r, qname, udp_limit=1232)
    assert_sane(rt, qname)
    print(f"\n[hostile upstream {case}] UDP: {dns.rcode.to_text(r.rcode())} "
          f"{sum(len(s) for s in r.answer)} records{' TC' if r.flags & dns.flags.TC else ''} "
          f"({took * 1000:.0f} ms); TCP: {dns.rcode.to_text(rt.rcode())} {sum(len(s) for s in rt.answer)} records")
    assert srv.proc.poll() is None, "ternd died"
    ok = query(srv, "good.up.test", "A")
    assert ok.rcode() == NOERROR and [rd.address for s in ok.answer for rd in s] == ["192.0.2.1"]


@pytest.mark.parametrize("case,n", [("huge-tcp", 4000), ("big2k-tcp", 2000)])
def test_huge_answer_over_tcp_to_tcp_client(hostile, case, n):
    """A 4,000- or 2,000-record RRset over TCP from upstream (64 KB and
    32 KB; decompressed about 120 KB and 60 KB): a TCP client gets the whole
    RRset or SERVFAIL, never a part; a UDP client gets TC=1 or SERVFAIL."""
    srv, up = hostile
    qname = f"{case}.up.test"
    r = query(srv, qname, "A", tcp=True, timeout=5)
    assert_sane(r, qname)
    got = sum(len(s) for s in r.answer)
    ru = query(srv, qname, "A", timeout=5, use_edns=0, payload=1232)
    assert_sane(ru, qname, udp_limit=1232)
    print(f"\n[hostile upstream {case} to a TCP client] {dns.rcode.to_text(r.rcode())} {got} records; "
          f"UDP client: {dns.rcode.to_text(ru.rcode())}{' TC' if ru.flags & dns.flags.TC else ''}")
    assert got in (0, n), got
    assert ru.rcode() == SERVFAIL or ru.flags & dns.flags.TC


def test_garbage_storm(fwd):  # noqa: F811
    """Each query gets 200 garbage datagrams (random bytes, some with the
    right ID) before the right answer: the right answer is still taken."""
    good = Records("storm.up.test. 300 IN A 192.0.2.77")

    def storm(q, transport, peer, sock):
        rng = random.Random(q.id)
        out = []
        for i in range(200):
            head = struct.pack("!H", q.id if i % 2 else rng.randrange(65536))
            out.append(head + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))))
        out.append(good.respond(q))
        return out

    up = fwd.upstream(answer=storm)
    srv = fwd.ternd([up], config=[f"forward-timeout: {TIMEOUT_MS}"])
    r = query(srv, "storm.up.test", "A", timeout=5)
    print(f"\n[garbage storm] {dns.rcode.to_text(r.rcode())} {[rd.to_text() for s in r.answer for rd in s]}")
    assert r.rcode() in (NOERROR, SERVFAIL)
    assert_sane(r, "storm.up.test")
    assert srv.proc.poll() is None
    r2 = query(srv, "storm.up.test", "A", timeout=5)
    assert r2.rcode() in (NOERROR, SERVFAIL)


def test_many_hostile_names_at_once(hostile):
    """Every hostile case, 20 names each, all at once over UDP: every client
    gets an answer (SERVFAIL or sane) and the good name still works."""
    srv, up = hostile
    names = [f"{case}.up.test" for case in CASES] * 20
    t0 = time.monotonic()
    res = burst(srv, names, timeout=TIMEOUT_MS / 1000 + 3)
    took = time.monotonic() - t0
    answered = [r for r, _ in res if r is not None]
    print(f"\n[hostile burst] {len(answered)}/{len(names)} answered in {took:.2f} s")
    assert len(answered) == len(names)
    for (r, _), name in zip(res, names):
        assert_sane(r, name, udp_limit=512)
    ok = query(srv, "ok.up.test", "A")
    assert ok.rcode() == NOERROR and ok.answer


@pytest.mark.parametrize("case", ["a-rdlength-3", "label-80"])
def test_malformed_answer_record_is_a_failure_not_nodata(hostile, case):
    srv, up = hostile
    r = query(srv, f"{case}.up.test", "A", timeout=5)
    assert r.rcode() == SERVFAIL, f"{dns.rcode.to_text(r.rcode())}, answer {r.answer}, authority {r.authority}"
