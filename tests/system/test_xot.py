"""Zone transfers over TLS, ternd as primary (RFC 9103, XoT; issue 14 item
4 with the replication issue): AXFR and IXFR on ternd's listen-tls to
clients that allow-transfer lets in (with TSIG when it names a key),
streamed message by message as over TCP; refused when not allowed, on a
connection that did not select ALPN "dot" or is below TLS 1.3 (RFC 9103),
and over DoH (no transfer over DoH is defined). Clients: kdig +tls, tern
+tls and a Python TLS client."""
import base64
import os
import ssl
import subprocess
import time

import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import stop_clean
from peers import free_port
from ternd import binary
from tls_helpers import HOST, make_ca, make_cert
from xfr_helpers import (KEY_NAME, KEY_SECRET, canonical, rrs_of, start_primary, transfer, wait_for, write,
                         xfr_query, zone_rrs, zone_text)

ORIGIN = "xot.test"
BODY = "".join(f"h{i} A 192.0.2.{i % 250 + 1}\nh{i} TXT \"host number {i} of the XoT test zone\"\n"
               for i in range(3000))


@pytest.fixture
def primary(tmp_path):
    d = str(tmp_path)
    ca = make_ca(d)
    cert, key = make_cert(d, "server")
    dot, doh = free_port(), free_port()
    zones = {ORIGIN: (zone_text(ORIGIN, 1, BODY), ["allow-transfer: 127.0.0.1", "journal-size: 10M"]),
             "keyed.test": (zone_text("keyed.test", 1, "www A 192.0.2.7\n"),
                            [f"allow-transfer: 127.0.0.1 key {KEY_NAME.rstrip('.')}"]),
             "closed.test": (zone_text("closed.test", 1, "www A 192.0.2.8\n"), [])}
    srv = start_primary(tmp_path, zones, key=True,
                        server=[f"listen-tls: 127.0.0.1:{dot}", f"listen-https: 127.0.0.1:{doh}",
                                f"tls-certificate: {cert}", f"tls-key: {key}"])
    srv.dot, srv.doh, srv.ca, srv.dir = dot, doh, ca, d
    yield srv
    stop_clean(srv)


def tls_wrap(ca, alpn=("dot",), max_version=None):
    ctx = ssl.create_default_context(cafile=ca)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if max_version:
        ctx.maximum_version = max_version
    return lambda s: ctx.wrap_socket(s, server_hostname=HOST)


def xot(srv, q, **kw):
    return transfer("127.0.0.1", srv.dot, q, connect=tls_wrap(srv.ca, **kw))


def kdig(srv, *args):
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(srv.dot), f"+tls-ca={srv.ca}", f"+tls-hostname={HOST}",
                          *args], capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


def kdig_rrs(text):
    return canonical([ln for ln in text.splitlines() if ln and not ln.startswith(";")])


def test_axfr_over_tls(primary):
    msgs = xot(primary, xfr_query(ORIGIN, "AXFR"))
    assert len(msgs) > 4  # streamed: many messages
    got = rrs_of(msgs)
    want = zone_rrs(ORIGIN, zone_text(ORIGIN, 1, BODY))
    assert canonical(got[:-1]) == canonical(want)
    assert got[0].split()[3] == "SOA" and got[-1].split()[3] == "SOA"


def test_axfr_and_ixfr_over_tls_kdig(primary):
    out = kdig(primary, "-t", "AXFR", ORIGIN)
    assert ";; Received" in out and " messages, " in out, out[-2000:]
    assert len(kdig_rrs(out)) == len(zone_rrs(ORIGIN, zone_text(ORIGIN, 1, BODY))) + 1  # the SOA twice
    # a new serial: IXFR from 1 gives the difference
    write(os.path.join(primary.dir, ORIGIN + ".zone"), zone_text(ORIGIN, 2, BODY + "new AAAA 2001:db8::7\n"))
    primary.reload()
    assert wait_for(lambda: primary.query(ORIGIN, "SOA").answer[0][0].serial == 2), primary.log_text()
    out = kdig(primary, "-t", "IXFR=1", ORIGIN)
    rrs = kdig_rrs(out)
    assert any("2001:db8::7" in r for r in rrs), out
    assert len(rrs) == 5, out  # SOA 2, SOA 1, SOA 2, the new AAAA, SOA 2
    msgs = xot(primary, xfr_query(ORIGIN, "IXFR", serial=1))
    assert [r.split()[3] for r in rrs_of(msgs)] == ["SOA", "SOA", "SOA", "AAAA", "SOA"]


def test_tern_client_axfr_over_tls(primary):
    out = subprocess.run([binary("tern"), "@127.0.0.1", "-p", str(primary.dot), "+tls", f"+tls-ca={primary.ca}",
                          f"+tls-hostname={HOST}", "AXFR", ORIGIN], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    assert len(kdig_rrs(out.stdout)) == len(zone_rrs(ORIGIN, zone_text(ORIGIN, 1, BODY))) + 1


def test_xot_refused_when_not_allowed(primary):
    msgs = xot(primary, xfr_query("closed.test", "AXFR"))
    assert msgs[-1].rcode() == dns.rcode.REFUSED
    assert "REFUSED" in kdig(primary, "-t", "AXFR", "closed.test")


def test_xot_with_tsig(primary):
    msgs = xot(primary, xfr_query("keyed.test", "AXFR"))  # unsigned: refused
    assert msgs[-1].rcode() in (dns.rcode.REFUSED, dns.rcode.NOTAUTH)
    msgs = xot(primary, xfr_query("keyed.test", "AXFR", keyed=True))  # every message verified
    assert msgs[-1].rcode() == dns.rcode.NOERROR and "192.0.2.7" in " ".join(rrs_of(msgs))
    out = kdig(primary, "-y", f"hmac-sha256:{KEY_NAME}:{KEY_SECRET}", "-t", "AXFR", "keyed.test")
    assert "192.0.2.7" in out and "TSIG" in out and ";; Received" in out, out


def test_xot_needs_alpn_dot_and_tls13(primary):
    """RFC 9103: ALPN "dot" selected in the handshake, TLS 1.3 or later."""
    msgs = xot(primary, xfr_query(ORIGIN, "AXFR"), alpn=None)
    assert len(msgs) == 1 and msgs[0].rcode() == dns.rcode.REFUSED
    msgs = xot(primary, xfr_query(ORIGIN, "AXFR"), max_version=ssl.TLSVersion.TLSv1_2)
    assert len(msgs) == 1 and msgs[0].rcode() == dns.rcode.REFUSED
    # plain queries on such connections are answered as before
    from tls_helpers import dot_connect, dot_recv, dot_send
    with dot_connect(primary.dot, primary.ca, alpn=None) as c:
        dot_send(c, dns.message.make_query(ORIGIN, "SOA"))
        assert dot_recv(c).answer


def test_no_transfer_over_doh(primary):
    wire = dns.message.make_query(ORIGIN, "AXFR", id=0).to_wire()
    b64 = base64.urlsafe_b64encode(wire).decode().rstrip("=")
    r = subprocess.run(["curl", "-s", "--http2", "--cacert", primary.ca, "--resolve",
                        f"{HOST}:{primary.doh}:127.0.0.1", "-o", "-",
                        f"https://{HOST}:{primary.doh}/dns-query?dns={b64}"], capture_output=True, timeout=20)
    m = dns.message.from_wire(r.stdout)
    assert m.rcode() == dns.rcode.REFUSED and not m.answer


# ---- a ternd secondary pulling over TLS (primary: ADDR:PORT tls NAME) ----

def start_tls_secondary(tmp_path, primary, tls_word, key=False):
    d = tmp_path / f"sec-{tls_word.replace(' ', '-').replace('/', '_')[:40]}"
    (d / "sec").mkdir(parents=True)
    lines = ["server:", "    forward: none", f"    tls-ca-file: {primary.ca}"]
    if key:
        lines += ["key:", f"    name: {KEY_NAME}", "    algorithm: hmac-sha256", f"    secret: {KEY_SECRET}"]
    origin = "keyed.test" if key else ORIGIN
    lines += ["zone:", f"    name: {origin}", f"    file: sec/{origin}.zone",
              f"    primary: 127.0.0.1:{primary.dot}" + (f" key {KEY_NAME}" if key else "") + f" {tls_word}"]
    conf = d / "ternd.conf"
    conf.write_text("\n".join(lines) + "\n")
    from ternd import start_ternd
    return start_ternd(d, None, args=["--config", str(conf)], wait=False)


def soa_serial(srv, origin=ORIGIN):
    try:
        r = dns.query.udp(dns.message.make_query(origin, "SOA"), "127.0.0.1", port=srv.port, timeout=0.5)
        return r.answer[0][0].serial if r.answer else None
    except Exception:
        return None


def test_ternd_secondary_over_tls(primary, tmp_path):
    """AXFR at start, then NOTIFY -> SOA query and IXFR, all over TLS."""
    sec = start_tls_secondary(tmp_path, primary, f"tls {HOST}")
    try:
        assert wait_for(lambda: soa_serial(sec) == 1, timeout=15), sec.log_text()
        r = sec.query("h5.xot.test", "TXT")
        assert [x.to_text() for x in r.answer[0]] == ['"host number 5 of the XoT test zone"']
        write(os.path.join(primary.dir, ORIGIN + ".zone"), zone_text(ORIGIN, 2, BODY + "new AAAA 2001:db8::7\n"))
        primary.reload()
        assert wait_for(lambda: primary.query(ORIGIN, "SOA").answer[0][0].serial == 2), primary.log_text()
        n = dns.message.make_query(ORIGIN, "SOA")
        n.set_opcode(dns.opcode.NOTIFY)
        dns.query.udp(n, "127.0.0.1", port=sec.port, timeout=3, source="127.0.0.1")
        assert wait_for(lambda: soa_serial(sec) == 2, timeout=15), sec.log_text()
        assert [x.to_text() for x in sec.query("new.xot.test", "AAAA").answer[0]] == ["2001:db8::7"]
        log = sec.log_text()
        assert "IXFR" in log, log
    finally:
        stop_clean(sec)


def test_ternd_secondary_over_tls_tsig_and_pin(primary, tmp_path):
    from tls_helpers import spki_pin
    pin = spki_pin(os.path.join(primary.dir, "server.pem"))
    sec = start_tls_secondary(tmp_path, primary, f"pin {pin}", key=True)
    try:
        assert wait_for(lambda: soa_serial(sec, "keyed.test") == 1, timeout=15), sec.log_text()
        r = sec.query("www.keyed.test", "A")
        assert [x.to_text() for x in r.answer[0]] == ["192.0.2.7"]
    finally:
        stop_clean(sec)


@pytest.mark.parametrize("word", ["tls wrong.test", "pin sha256/" + "A" * 43 + "="])
def test_ternd_secondary_tls_refuses_wrong_peer(primary, tmp_path, word):
    """A certificate for another name, or another key: no transfer, the
    reason logged, and never clear text instead."""
    sec = start_tls_secondary(tmp_path, primary, word)
    try:
        assert wait_for(lambda: "TLS" in sec.log_text(), timeout=15), sec.log_text()
        time.sleep(0.5)
        r = dns.query.udp(dns.message.make_query(ORIGIN, "SOA"), "127.0.0.1", port=sec.port, timeout=2)
        assert r.rcode() == dns.rcode.SERVFAIL and not r.answer, r.to_text()
        assert "AXFR" not in primary.log_text() or "refused" not in primary.log_text().lower()
    finally:
        stop_clean(sec)


def test_bad_tls_primary_config(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("server:\n    forward: none\nzone:\n    name: x.test\n    file: x.zone\n"
                    "    primary: 127.0.0.1 tls\nzone:\n    name: y.test\n    file: y.zone\n"
                    "    primary: 127.0.0.1 pin nonsense\n")
    r = subprocess.run([binary("ternd"), "--check", "--config", str(conf)], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != 0
    assert "bad.conf:6: primary wants 'ADDR:PORT [key NAME] [tls NAME] [pin sha256/BASE64]'" in r.stderr, r.stderr
    assert "bad.conf:10: bad pin 'nonsense'" in r.stderr, r.stderr


def test_xot_stalled_reader_holds_nothing_up(tmp_path):
    """A TLS transfer whose reader stops: one worker, yet every other client
    is answered at once (the transfer writes only when TLS took the last
    message); the reader then gets the whole zone."""
    import socket
    import struct
    d = str(tmp_path)
    ca = make_ca(d)
    cert, key = make_cert(d, "server")
    dot = free_port()
    n = 150000  # ~8 MB of messages: more than the socket buffers hold (tcp_wmem's 4 MB at most)
    body = "".join(f"n{i} A 192.0.2.{i % 250 + 1}\nn{i} TXT \"{'x' * 20}\"\n" for i in range(n))
    srv = start_primary(tmp_path, {ORIGIN: (zone_text(ORIGIN, 1, body), ["allow-transfer: 127.0.0.1"])},
                        server=[f"listen-tls: 127.0.0.1:{dot}", f"tls-certificate: {cert}", f"tls-key: {key}"],
                        threads=1)
    try:
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        raw.settimeout(20)
        raw.connect(("127.0.0.1", dot))
        s = tls_wrap(ca)(raw)
        w = xfr_query(ORIGIN, "AXFR").to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        f = s.makefile("rb")
        first = f.read(struct.unpack("!H", f.read(2))[0])
        assert dns.message.from_wire(first, xfr=True, origin=None, one_rr_per_rrset=True).rcode() == 0
        time.sleep(0.3)  # the reader stops; the worker must not wait for it
        for i in range(20):
            t0 = time.monotonic()
            assert srv.query(f"n{i}.{ORIGIN}", "A", tcp=bool(i % 2)).answer
            assert time.monotonic() - t0 < 0.5
        assert "AXFR to 127.0.0.1 done" not in srv.log_text()  # the transfer waits for its reader
        records, soas = 0, first.count(b"\xc0\x0c\x00\x06\x00\x01")
        records += struct.unpack("!H", first[6:8])[0]
        while soas < 2:
            m = f.read(struct.unpack("!H", f.read(2))[0])
            records += struct.unpack("!H", m[6:8])[0]
            soas += m.count(b"\xc0\x0c\x00\x06\x00\x01")
        assert records == 2 * n + 4  # SOA, NS, ns A, the names, SOA
        s.close()
    finally:
        stop_clean(srv)
