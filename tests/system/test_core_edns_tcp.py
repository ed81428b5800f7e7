"""ternd's message handling around the answer: opcodes, QR, CH TXT, EDNS
(RFC 6891, RFC 5001 NSID), truncation and TCP fallback (RFC 1035 4.2.1,
RFC 2181 9), TCP framing, pipelining, idle timeout and connection bound
(RFC 7766), and IPv6 listeners."""
import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from conftest import (core_zones, is_aa, is_tc, raw_tcp, raw_udp, rrs, tcp_connect, tcp_read_msg, types_of,
                      zone_text)

NOERROR, FORMERR, REFUSED, NOTIMP = dns.rcode.NOERROR, dns.rcode.FORMERR, dns.rcode.REFUSED, dns.rcode.NOTIMP


def write_config(tmp_path, text, name="ternd.conf"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ------------------------------------------------------- opcodes, QR bit

@pytest.mark.parametrize("opcode", [dns.opcode.IQUERY, dns.opcode.STATUS, 3, 15])
def test_notimp_for_other_opcodes(core, tcp, opcode):
    m = dns.message.make_query("www.example.com", "A")
    m.set_opcode(opcode)
    wire = m.to_wire()
    reply = (raw_tcp if tcp else raw_udp)(core, wire)
    assert reply is not None
    # read the header by hand: dnspython will not parse every opcode
    rid, flags, qd, an, ns, ar = struct.unpack("!6H", reply[:12])
    assert rid == m.id and flags & 0x8000
    assert (flags >> 11) & 0xF == opcode and flags & 0xF == NOTIMP
    assert an == 0


@pytest.mark.parametrize("opcode", [dns.opcode.IQUERY, dns.opcode.STATUS, 3, 15])
def test_notimp_clears_query_only_flags(core, tcp, opcode):
    """Issue 10 item 20 (genreport opcodeflg): RD and CD are defined only for
    QUERY (RFC 1035 4.1.1, RFC 4035 3.2.2), so the NOTIMP answer to another
    opcode does not copy them; of the header only ID, opcode and QR are set."""
    m = dns.message.make_query("www.example.com", "A")
    m.set_opcode(opcode)
    # every flag bit a client can set: AA TC RD RA Z AD CD
    m.flags |= dns.flags.AA | dns.flags.TC | dns.flags.RD | dns.flags.RA | 0x0040 | dns.flags.AD | dns.flags.CD
    reply = (raw_tcp if tcp else raw_udp)(core, m.to_wire())
    assert reply is not None
    rid, flags, qd, an, ns, ar = struct.unpack("!6H", reply[:12])
    assert rid == m.id
    assert flags == 0x8000 | opcode << 11 | NOTIMP, hex(flags)


def test_update_with_a_zone_section_not_soa_is_formerr(core, tcp):
    """UPDATE (RFC 2136) goes to the updater (tests/system/test_update.py);
    a zone section whose type is not SOA is FORMERR (3.1.1), and of the
    header only ID, opcode and QR are set, as for NOTIMP."""
    m = dns.message.make_query("example.com", "A")
    m.set_opcode(dns.opcode.UPDATE)
    m.flags |= dns.flags.RD | dns.flags.CD | dns.flags.AD
    reply = (raw_tcp if tcp else raw_udp)(core, m.to_wire())
    rid, flags, qd, an, ns, ar = struct.unpack("!6H", reply[:12])
    assert rid == m.id and flags == 0x8000 | dns.opcode.UPDATE << 11 | dns.rcode.FORMERR, hex(flags)


def test_query_keeps_rd_and_cd(core):
    m = dns.message.make_query("www.example.com", "A")
    m.flags |= dns.flags.RD | dns.flags.CD
    r = dns.message.from_wire(raw_udp(core, m.to_wire()))
    assert r.flags & dns.flags.RD and r.flags & dns.flags.CD


@pytest.mark.parametrize("qtype,rcode", [("SOA", dns.rcode.NOTAUTH), ("A", dns.rcode.FORMERR)])
def test_notify_to_a_primary_zone(core, tcp, qtype, rcode):
    """NOTIFY (RFC 1996) is for secondary zones (tests/system/test_xfr_in.py):
    for a zone ternd is primary of, NOTAUTH; a question other than SOA,
    FORMERR (as BIND)."""
    m = dns.message.make_query("example.com", qtype)
    m.set_opcode(dns.opcode.NOTIFY)
    reply = (raw_tcp if tcp else raw_udp)(core, m.to_wire())
    rid, flags, qd, an, ns, ar = struct.unpack("!6H", reply[:12])
    assert rid == m.id and flags & 0x8000
    assert (flags >> 11) & 0xF == dns.opcode.NOTIFY and flags & 0xF == rcode
    assert qd == 1 and an == 0


def test_no_answer_to_responses(core):
    m = dns.message.make_query("www.example.com", "A")
    m.flags |= dns.flags.QR
    assert raw_udp(core, m.to_wire(), timeout=0.5) is None
    with tcp_connect(core) as s:
        wire = m.to_wire()
        good = dns.message.make_query("www.example.com", "A")
        # a response then a query on one connection: only the query is answered
        s.sendall(struct.pack("!H", len(wire)) + wire + struct.pack("!H", len(good.to_wire())) + good.to_wire())
        r = dns.message.from_wire(tcp_read_msg(s))
        assert r.id == good.id and r.answer


# ----------------------------------------------------------------- CHAOS

CHAOS_NAMES = ["version.bind", "version.server", "id.server", "hostname.bind"]


@pytest.mark.parametrize("name", CHAOS_NAMES)
def test_chaos_off_by_default(core, tcp, name):
    r = core.query(name, "TXT", tcp=tcp, rdclass=dns.rdataclass.CH)
    assert r.rcode() == REFUSED and not r.answer


def test_chaos_configured(run_ternd, tmp_path, tcp):
    conf = write_config(tmp_path, 'server:\n  version: "x"\n  identity: "y"\n')
    srv = run_ternd(core_zones(), args=["--config", conf])
    for name, text in [("version.bind", '"x"'), ("VERSION.server", '"x"'), ("id.server", '"y"'),
                       ("hostname.bind", '"y"')]:
        r = srv.query(name, "TXT", tcp=tcp, rdclass=dns.rdataclass.CH)
        assert r.rcode() == NOERROR and is_aa(r), r.to_text()
        assert len(r.answer) == 1 and r.answer[0].rdclass == dns.rdataclass.CH
        assert r.answer[0].rdtype == dns.rdatatype.TXT
        assert [rd.to_text() for rd in r.answer[0]] == [text]
    # other CH names and the IN zones are unaffected
    assert srv.query("foo.bind", "TXT", tcp=tcp, rdclass=dns.rdataclass.CH).rcode() == REFUSED
    assert srv.query("www.example.com", "A", tcp=tcp).answer


# ------------------------------------------------------------------- EDNS

def test_edns_advertises_1232_and_echoes_do(core, tcp):
    r = core.query("www.example.com", "A", tcp=tcp, use_edns=0, payload=4096, want_dnssec=True)
    assert r.edns == 0 and r.payload == 1232
    assert r.ednsflags & dns.flags.DO
    r = core.query("www.example.com", "A", tcp=tcp, use_edns=0, payload=1400)
    assert r.edns == 0 and not r.ednsflags & dns.flags.DO


def test_no_opt_without_edns(core, tcp):
    r = core.query("www.example.com", "A", tcp=tcp)
    assert r.edns == -1 and r.answer


def test_badvers(core, tcp):
    # an OPT record of version 1 (dnspython's make_query sends version 0)
    base = dns.message.make_query("www.example.com", "A").to_wire()
    wire = with_additional(base, opt_rr(version=1), 1)
    reply = (raw_tcp if tcp else raw_udp)(core, wire)
    r = dns.message.from_wire(reply)
    # BADVERS is extended rcode 16: its upper bits are in the OPT record,
    # which carries version 0 (RFC 6891 6.1.3)
    assert r.rcode() == dns.rcode.BADVERS
    assert r.edns == 0 and not r.answer


def opt_rr(payload=1232, options=b"", version=0):
    return b"\x00" + struct.pack("!HHIH", 41, payload, version << 16, len(options)) + options


def with_additional(wire, extra, n):
    """wire with n more RRs (bytes extra) appended to its additional section."""
    ar = struct.unpack("!H", wire[10:12])[0] + n
    return wire[:10] + struct.pack("!H", ar) + wire[12:] + extra


def test_two_opt_records_formerr(core):
    base = dns.message.make_query("www.example.com", "A").to_wire()
    wire = with_additional(base, opt_rr() + opt_rr(), 2)
    reply = raw_udp(core, wire)
    assert reply is not None
    assert dns.message.from_wire(reply).rcode() == FORMERR


def test_unknown_options_ignored(core, tcp):
    opts = [dns.edns.GenericOption(65001, b"xyz"), dns.edns.GenericOption(20292, b"")]
    r = core.query("www.example.com", "A", tcp=tcp, use_edns=0, options=opts)
    assert r.rcode() == NOERROR and r.answer
    assert not r.options  # not echoed


def nsid_query(srv, tcp):
    return srv.query("www.example.com", "A", tcp=tcp, use_edns=0, options=[dns.edns.GenericOption(dns.edns.NSID, b"")])


def test_nsid_not_sent_unless_configured(core, tcp):
    r = nsid_query(core, tcp)
    assert r.rcode() == NOERROR and not [o for o in r.options if o.otype == dns.edns.NSID]


def test_nsid_configured(run_ternd, tmp_path, tcp):
    conf = write_config(tmp_path, 'server:\n  identity: "ns-test-1"\n  nsid: yes\n')
    srv = run_ternd(core_zones(), args=["--config", conf])
    r = nsid_query(srv, tcp)
    nsid = [o for o in r.options if o.otype == dns.edns.NSID]
    assert len(nsid) == 1 and r.answer
    assert getattr(nsid[0], "nsid", None) == b"ns-test-1" or nsid[0].to_wire() == b"ns-test-1"
    # only to those who ask (RFC 5001 2.1)
    r = srv.query("www.example.com", "A", tcp=tcp, use_edns=0)
    assert not r.options


# -------------------------------------------------------------- truncation

def full_tcp(srv, name, qtype):
    r = srv.query(name, qtype, tcp=True)
    assert not is_tc(r)
    return r


def assert_whole_rrsets(truncated, full):
    """Every RRset of the truncated answer is the whole RRset of the full one."""
    for sec_t, sec_f in ((truncated.answer, full.answer), (truncated.authority, full.authority)):
        whole = {(s.name, s.rdtype): rrs([s]) for s in sec_f}
        for s in sec_t:
            assert rrs([s]) == whole[(s.name, s.rdtype)]


def test_truncation_without_edns(core):
    full = full_tcp(core, "big.example.com", "TXT")
    assert len(full.answer[0]) == 10
    reply = raw_udp(core, dns.message.make_query("big.example.com", "TXT").to_wire())
    assert len(reply) <= 512
    r = dns.message.from_wire(reply)
    assert is_tc(r) and r.rcode() == NOERROR
    assert not r.answer  # the one RRset does not fit: none of it is sent
    # the rest of the name's data is not affected
    assert not is_tc(core.query("big.example.com", "A"))


def test_truncation_keeps_whole_rrsets(core):
    full = full_tcp(core, "tc-chain.example.com", "TXT")
    assert types_of(full.answer) == ["CNAME", "TXT"]
    r = core.query("tc-chain.example.com", "TXT")
    assert is_tc(r)
    assert types_of(r.answer) == ["CNAME"]
    assert_whole_rrsets(r, full)


def test_edns_size_allows_larger_udp(core):
    r = core.query("big.example.com", "TXT", use_edns=0, payload=1232)
    assert not is_tc(r) and len(r.answer[0]) == 10


@pytest.mark.parametrize("payload", [512, 1000, 1100])
def test_truncation_over_client_edns_size(core, payload):
    wire = dns.message.make_query("big.example.com", "TXT", use_edns=0, payload=payload).to_wire()
    reply = raw_udp(core, wire)
    assert len(reply) <= max(payload, 512)
    r = dns.message.from_wire(reply)
    assert is_tc(r) and not r.answer and r.edns == 0


def test_truncation_over_server_max(core):
    # 2100 bytes: over udp-max-size 1232 even when the client allows 4096
    wire = dns.message.make_query("bigger.example.com", "TXT", use_edns=0, payload=4096).to_wire()
    reply = raw_udp(core, wire)
    assert len(reply) <= 1232
    r = dns.message.from_wire(reply)
    assert is_tc(r) and not r.answer
    full = full_tcp(core, "bigger.example.com", "TXT")
    assert len(full.answer[0]) == 20


def test_tc_fallback_to_tcp_gives_full_answer(core):
    """What a stub does: UDP, TC=1, then the same query over TCP."""
    q = dns.message.make_query("tc-chain.example.com", "TXT")
    r, used_tcp = dns.query.udp_with_fallback(q, core.host, port=core.port, timeout=3)
    assert used_tcp and not is_tc(r)
    assert types_of(r.answer) == ["CNAME", "TXT"] and len(r.answer[1]) == 10


def test_answer_up_to_65535_bytes_over_tcp(run_ternd, tcp):
    lines = ["$ORIGIN huge.test.", "$TTL 60", "@ SOA ns hm 1 60 60 60 60", "@ NS ns", "ns A 192.0.2.1"]
    # 238 TXT records of 255 bytes: about 64 KB in one RRset
    lines += [f'txt TXT "{i:03d}{"x" * 252}"' for i in range(238)]
    srv = run_ternd({"huge.test": "\n".join(lines) + "\n"})
    if tcp:
        with tcp_connect(srv, timeout=5) as s:
            wire = dns.message.make_query("txt.huge.test", "TXT").to_wire()
            s.sendall(struct.pack("!H", len(wire)) + wire)
            reply = tcp_read_msg(s)
        assert 60000 < len(reply) <= 65535
        r = dns.message.from_wire(reply)
        assert not is_tc(r) and len(r.answer[0]) == 238
    else:
        r = srv.query("txt.huge.test", "TXT", use_edns=0, payload=4096)
        assert is_tc(r) and not r.answer


# -------------------------------------------------------------------- TCP

def test_tcp_pipelined_queries(core):
    names = [("www.example.com", "A"), ("nx.example.com", "A"), ("example.com", "MX"), ("chain1.example.com", "A"),
             ("x.sub.example.com", "A"), ("big.example.com", "TXT"), ("www.other.test", "A"),
             ("foo.bar.dn.example.com", "TXT"), ("example.org", "A"), ("zz.wild.example.com", "A")]
    qs = [dns.message.make_query(n, t) for n, t in names]
    with tcp_connect(core) as s:
        s.sendall(b"".join(struct.pack("!H", len(w)) + w for w in (m.to_wire() for m in qs)))
        replies = {}
        for _ in qs:
            r = dns.message.from_wire(tcp_read_msg(s))
            replies[r.id] = r
    assert set(replies) == {m.id for m in qs}
    for m in qs:
        r = replies[m.id]
        assert r.question[0].name == m.question[0].name and not is_tc(r)
        alone = core.query(str(m.question[0].name), dns.rdatatype.to_text(m.question[0].rdtype), tcp=True)
        assert r.rcode() == alone.rcode() and r.flags == alone.flags
        assert (r.answer, r.authority, r.additional) == (alone.answer, alone.authority, alone.additional)


def test_tcp_query_split_across_segments(core):
    wire = dns.message.make_query("www.example.com", "A").to_wire()
    framed = struct.pack("!H", len(wire)) + wire
    with tcp_connect(core) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for part in (framed[:1], framed[1:5], framed[5:]):
            s.sendall(part)
            time.sleep(0.05)
        r = dns.message.from_wire(tcp_read_msg(s))
    assert r.answer


def test_tcp_idle_timeout(run_ternd, tmp_path):
    conf = write_config(tmp_path, "server:\n  tcp-idle-timeout: 1\n")
    srv = run_ternd(core_zones(), args=["--config", conf])
    with tcp_connect(srv, timeout=5) as s:
        # a connection that is used stays open between queries
        wire = dns.message.make_query("www.example.com", "A").to_wire()
        s.sendall(struct.pack("!H", len(wire)) + wire)
        assert tcp_read_msg(s) is not None
        t0 = time.monotonic()
        try:
            data = s.recv(1)
        except ConnectionResetError:
            data = b""
        waited = time.monotonic() - t0
    assert data == b"", "the server should close the idle connection"
    assert 0.5 <= waited <= 3.5, waited
    # a half-sent query does not keep a connection open either
    with tcp_connect(srv, timeout=5) as s:
        s.sendall(b"\x00\x30\x12")
        t0 = time.monotonic()
        try:
            data = s.recv(1)
        except ConnectionResetError:
            data = b""
        assert data == b"" and time.monotonic() - t0 <= 3.5
    assert srv.query("www.example.com", "A", tcp=True).answer


def test_tcp_connection_bound(run_ternd, tmp_path):
    conf = write_config(tmp_path, "server:\n  tcp-max-connections: 3\n")
    srv = run_ternd(core_zones(), args=["--config", conf], threads=1)
    wire = dns.message.make_query("www.example.com", "A").to_wire()
    framed = struct.pack("!H", len(wire)) + wire
    conns = []
    try:
        for _ in range(3):
            s = tcp_connect(srv, timeout=3)
            s.sendall(framed)
            assert tcp_read_msg(s) is not None
            conns.append(s)
            time.sleep(0.05)
        # a fourth connection is served; the one idle the longest is closed
        s = tcp_connect(srv, timeout=3)
        conns.append(s)
        s.sendall(framed)
        assert tcp_read_msg(s) is not None
        try:
            first = conns[0].recv(1)
        except ConnectionResetError:
            first = b""
        assert first == b""
        for c in conns[1:]:
            c.sendall(framed)
            assert tcp_read_msg(c) is not None
    finally:
        for c in conns:
            c.close()


# ------------------------------------------------------------------- IPv6

def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_listener(run_ternd, tcp):
    srv = run_ternd(core_zones(), host="::1")
    r = srv.query("www.example.com", "AAAA", tcp=tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert [rd.to_text() for rd in r.answer[0]] == ["2001:db8::80"]


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv4_and_ipv6_at_once(run_ternd, tmp_path):
    from peers import free_port
    p6 = free_port("::1")
    srv = run_ternd(core_zones(), args=["--listen", f"[::1]:{p6}"])
    r4 = srv.query("www.example.com", "A")
    srv6 = type(srv)("v6", srv.proc, "::1", p6, srv.workdir, srv.log)
    r6 = srv6.query("www.example.com", "A", tcp=True)
    assert r4.answer == r6.answer
