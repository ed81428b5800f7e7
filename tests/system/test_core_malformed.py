"""Malformed packets: each gets the right answer (FORMERR with the ID
echoed) or silence, and the next normal query is still answered, over UDP
and TCP (RFC 1035 4.1, RFC 6891 6.1.1, architecture.md "Parse")."""
import random
import socket
import struct

import dns.message
import dns.rcode
import pytest

from conftest import assert_serving, raw_tcp, raw_udp, tcp_connect, tcp_read_msg

ID = 0x4242
FORMERR = dns.rcode.FORMERR


def header(qd=1, an=0, ns=0, ar=0, flags=0x0100, id=ID):
    return struct.pack("!6H", id, flags, qd, an, ns, ar)


WWW = b"\x03www\x07example\x03com\x00"
Q_A = struct.pack("!HH", 1, 1)


def opt(owner=b"\x00", version=0):
    return owner + struct.pack("!HHIH", 41, 1232, version << 16, 0)


# name, wire, expected: "silence" or an rcode
CASES = [
    ("short-header", b"\x42\x42\x01\x00\x00", "silence"),
    ("header-only-qd1", header(), FORMERR),
    ("qdcount-0", header(qd=0), FORMERR),
    ("qdcount-2", header(qd=2) + WWW + Q_A, FORMERR),
    ("qdcount-2-both-present", header(qd=2) + WWW + Q_A + WWW + Q_A, FORMERR),
    ("ancount-without-records", header(an=5) + WWW + Q_A, FORMERR),
    ("arcount-without-records", header(ar=1) + WWW + Q_A, FORMERR),
    ("question-cut-in-name", header() + WWW[:7], FORMERR),
    ("question-without-type", header() + WWW + b"\x00", FORMERR),
    ("pointer-loop", header() + b"\xc0\x0c" + Q_A, FORMERR),
    ("pointer-loop-two", header() + b"\x01a\xc0\x0e" + Q_A + b"\x01b\xc0\x0c", FORMERR),
    ("forward-pointer", header() + b"\xc0\x12" + Q_A + WWW, FORMERR),
    ("pointer-past-end", header() + b"\xc3\xff" + Q_A, FORMERR),
    ("label-64", header() + b"\x40" + b"a" * 64 + b"\x00" + Q_A, FORMERR),
    ("label-type-10", header() + b"\x80" + b"a" * 10 + b"\x00" + Q_A, FORMERR),
    ("name-over-255", header() + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + Q_A, FORMERR),
    # a 193-byte question name, then an additional owner of one more 63-byte
    # label pointing back to it: 257 bytes
    ("name-over-255-via-pointer", header(ar=1) + (b"\x3f" + b"b" * 63) * 3 + b"\x00" + Q_A
     + b"\x3f" + b"c" * 63 + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 0), FORMERR),
    ("garbage-after-question", header() + WWW + Q_A + b"\xde\xad\xbe\xef", FORMERR),
    ("two-opt", header(ar=2) + WWW + Q_A + opt() + opt(), FORMERR),
    ("opt-in-answer", header(an=1) + WWW + Q_A + opt(), FORMERR),
    ("opt-not-root", header(ar=1) + WWW + Q_A + opt(owner=b"\x01x\x00"), FORMERR),
    ("rdlength-past-end", header(ar=1) + WWW + Q_A + b"\x00" + struct.pack("!HHIH", 1, 1, 0, 40) + b"\x01\x02",
     FORMERR),
    ("response-qr1", header(flags=0x8100) + WWW + Q_A, "silence"),
    ("response-qr1-broken", header(flags=0x8100, qd=7), "silence"),
    ("meta-qtype-opt", header() + WWW + struct.pack("!HH", 41, 1), FORMERR),
]


def check_reply(reply, expected):
    if expected == "silence":
        assert reply is None, reply.hex() if reply else None
        return
    assert reply is not None, "expected an answer, got silence"
    rid, flags, qd, an, ns, ar = struct.unpack("!6H", reply[:12])
    assert rid == ID and flags & 0x8000, reply.hex()
    assert flags & 0xF == expected, f"rcode {flags & 0xF}, want {expected}"
    assert an == 0 and ns == 0


@pytest.mark.parametrize("name,wire,expected", CASES, ids=[c[0] for c in CASES])
def test_malformed_udp(core, name, wire, expected):
    check_reply(raw_udp(core, wire, timeout=0.5 if expected == "silence" else 2.0), expected)
    assert_serving(core)


@pytest.mark.parametrize("name,wire,expected", [c for c in CASES if len(c[1]) >= 12],
                         ids=[c[0] for c in CASES if len(c[1]) >= 12])
def test_malformed_tcp(core, name, wire, expected):
    check_reply(raw_tcp(core, wire, timeout=0.5 if expected == "silence" else 2.0), expected)
    assert_serving(core)


def test_formerr_echoes_a_parsed_question(core):
    reply = raw_udp(core, header() + WWW + Q_A + b"\x00")
    r = dns.message.from_wire(reply)
    assert r.rcode() == FORMERR and str(r.question[0].name) == "www.example.com."


def test_zero_length_datagram(core):
    assert raw_udp(core, b"", timeout=0.5) is None
    assert_serving(core)


def test_short_tcp_frames_close_the_connection(core):
    # a zero-length frame and a frame too short for a header
    for frame in (b"\x00\x00", b"\x00\x05hello"):
        with tcp_connect(core, timeout=3) as s:
            s.sendall(frame)
            try:
                assert s.recv(100) == b""
            except ConnectionResetError:
                pass
    assert_serving(core)


def test_oversized_tcp_length_prefix(core):
    """A length prefix larger than what follows: the server waits for the
    rest, answers nothing, and closes when the client does."""
    wire = dns.message.make_query("www.example.com", "A").to_wire()
    with tcp_connect(core, timeout=3) as s:
        s.sendall(b"\xff\xff" + wire)
        s.shutdown(socket.SHUT_WR)
        try:
            assert s.recv(100) == b""
        except ConnectionResetError:
            pass
    # a prefix longer than the message by a few bytes: trailing garbage, FORMERR
    with tcp_connect(core, timeout=3) as s:
        s.sendall(struct.pack("!H", len(wire) + 3) + wire + b"\x00\x00\x00")
        r = dns.message.from_wire(tcp_read_msg(s))
        assert r.rcode() == FORMERR
    assert_serving(core)


def test_tcp_malformed_then_good_on_one_connection(core):
    bad = header() + b"\xc0\x0c" + Q_A
    good = dns.message.make_query("www.example.com", "A")
    with tcp_connect(core, timeout=3) as s:
        for w in (bad, good.to_wire()):
            s.sendall(struct.pack("!H", len(w)) + w)
        first = tcp_read_msg(s)
        check_reply(first, FORMERR)
        r = dns.message.from_wire(tcp_read_msg(s))
        assert r.id == good.id and r.answer


def test_random_garbage_survived(core):
    """300 seeded random mutations of a valid query; only the absence of a
    crash and a valid header on every reply are checked."""
    rng = random.Random(4242)
    base = bytearray(dns.message.make_query("www.example.com", "A", use_edns=0).to_wire())
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.05)
    try:
        for i in range(300):
            pkt = bytearray(base)
            for _ in range(rng.randint(1, 6)):
                pos = rng.randrange(2, len(pkt))  # keep the ID
                pkt[pos] = rng.randrange(256)
            if rng.random() < 0.3:
                pkt = pkt[:rng.randrange(len(pkt))]
            if rng.random() < 0.2:
                pkt += bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
            sock.sendto(bytes(pkt), (core.host, core.port))
            try:
                reply = sock.recv(65535)
                assert len(reply) >= 12 and reply[2] & 0x80
            except socket.timeout:
                pass
    finally:
        sock.close()
    assert_serving(core)
