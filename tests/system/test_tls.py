"""DNS over TLS and DNS over HTTPS service (issue 14, item 4).

ternd's `listen-tls:` (RFC 7858) and `listen-https:` (RFC 8484, HTTP/2)
with a test CA and certificate made here with openssl: queried with
dnspython over ssl, kdig +tls/+https, dig +tls/+https and curl --http2;
pipelining and out-of-order answers; forwarded queries answered when the
upstream answers; HTTP statuses for bad requests; HTTP/2 abuse; stalled
handshakes closed on the idle timer without starving other clients; the
certificate replaced on SIGHUP."""
import os
import socket
import ssl
import subprocess
import threading
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from peers import ScriptedServer
from ternd import start_ternd
from tls_helpers import (HOST, H2Client, b64url, curl, dot_connect, dot_query, dot_recv, dot_send, make_ca,
                         make_cert, start_tls_ternd)

ZONE = """$ORIGIN example.com.
$TTL 300
@ SOA ns host 1 7200 3600 1209600 120
@ NS ns
ns A 192.0.2.53
www 60 A 192.0.2.80
big TXT "%s"
""" % ("x" * 200)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    ca = make_ca(d)
    cert, key = make_cert(d, "server")
    return {"dir": d, "ca": ca, "cert": cert, "key": key}


@pytest.fixture(scope="module")
def srv(tmp_path_factory, pki):
    d = tmp_path_factory.mktemp("tlsd")
    s = start_tls_ternd(d, {"example.com": ZONE}, pki["cert"], pki["key"], extra="    tcp-idle-timeout: 3\n")
    yield s
    s.stop()
    assert s.exit_status == 0, s.log_text()


def q(name, qtype="A", **kw):
    return dns.message.make_query(name, qtype, **kw)


# ---- DoT ----

def test_dot_answers(srv, pki):
    r = dot_query(srv.dot, pki["ca"], "www.example.com")
    assert r.rcode() == dns.rcode.NOERROR
    assert [str(x) for x in r.answer[0]] == ["192.0.2.80"]


def test_dot_alpn_dot(srv, pki):
    with dot_connect(srv.dot, pki["ca"]) as c:
        assert c.selected_alpn_protocol() == "dot"
    with dot_connect(srv.dot, pki["ca"], alpn=None) as c:  # RFC 7858 needs no ALPN
        dot_send(c, q("www.example.com"))
        assert dot_recv(c).rcode() == dns.rcode.NOERROR


def test_dot_pipelined(srv, pki):
    """Many queries written at once on one connection are all answered."""
    with dot_connect(srv.dot, pki["ca"]) as c:
        msgs = [q("www.example.com") for _ in range(50)]
        c.sendall(b"".join(len(m.to_wire()).to_bytes(2, "big") + m.to_wire() for m in msgs))
        got = {dot_recv(c).id for _ in msgs}
        assert got == {m.id for m in msgs}


def test_dot_kdig(srv, pki):
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(srv.dot), f"+tls-ca={pki['ca']}", f"+tls-hostname={HOST}",
                          "www.example.com", "A", "+short"], capture_output=True, text=True, timeout=20)
    assert out.stdout.split() == ["192.0.2.80"], out.stdout + out.stderr


def test_dot_dig(srv, pki):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(srv.dot), "+tls", f"+tls-ca={pki['ca']}",
                          f"+tls-hostname={HOST}", "www.example.com", "A", "+short"],
                         capture_output=True, text=True, timeout=20)
    assert out.stdout.split() == ["192.0.2.80"], out.stdout + out.stderr


def test_dot_wrong_ca_refused_by_client(srv, pki, tmp_path):
    other = make_ca(str(tmp_path), "other", cn="another CA")
    with pytest.raises(ssl.SSLCertVerificationError):
        dot_query(srv.dot, other, "www.example.com")


def test_dot_no_plain_dns_on_tls_port(srv):
    """A listen-tls port speaks TLS only: clear-text DNS gets no answer,
    and there is no UDP socket."""
    with pytest.raises(Exception):
        dns.query.tcp(q("www.example.com"), "127.0.0.1", port=srv.dot, timeout=2)
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(q("www.example.com"), "127.0.0.1", port=srv.dot, timeout=1)


def test_dot_short_frame_closes(srv, pki):
    with dot_connect(srv.dot, pki["ca"]) as c:
        c.sendall(b"\x00\x05hello")
        c.settimeout(3)
        assert c.recv(100) == b""
    assert dot_query(srv.dot, pki["ca"], "www.example.com").rcode() == dns.rcode.NOERROR


# ---- DoH ----

def test_doh_get(srv, pki):
    m = q("www.example.com")
    m.id = 0
    status, headers, body = curl(srv.doh, pki["ca"], "/dns-query?dns=" + b64url(m.to_wire()))
    assert status == 200 and headers["content-type"] == "application/dns-message"
    r = dns.message.from_wire(body)
    assert r.id == 0 and [str(x) for x in r.answer[0]] == ["192.0.2.80"]
    assert headers["cache-control"] == "max-age=60"  # RFC 8484 5.1: the smallest TTL


def test_doh_post(srv, pki, tmp_path):
    m = q("big.example.com", "TXT")
    m.id = 4242
    f = tmp_path / "q.bin"
    f.write_bytes(m.to_wire())
    status, headers, body = curl(srv.doh, pki["ca"], "/dns-query", "-H", "content-type: application/dns-message",
                                 "--data-binary", f"@{f}")
    assert status == 200, (status, headers)
    r = dns.message.from_wire(body)
    assert r.id == 4242 and r.answer[0].rdtype == dns.rdatatype.TXT
    assert headers["cache-control"] == "max-age=300"


def test_doh_negative_max_age(srv, pki):
    """A negative answer's freshness is its SOA's TTL here (the only record)."""
    status, headers, body = curl(srv.doh, pki["ca"], "/dns-query?dns=" + b64url(q("nx.example.com").to_wire()))
    r = dns.message.from_wire(body)
    assert status == 200 and r.rcode() == dns.rcode.NXDOMAIN
    assert headers["cache-control"] == "max-age=120"


def test_doh_kdig(srv, pki):
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(srv.doh), "+https", f"+tls-ca={pki['ca']}",
                          f"+tls-hostname={HOST}", "www.example.com", "A"], capture_output=True, text=True,
                         timeout=20)
    assert "192.0.2.80" in out.stdout and "HTTP/2-POST" in out.stdout and "status: 200" in out.stdout, out.stdout + out.stderr


def test_doh_dig(srv, pki):
    for method in ("+https", "+https-get"):
        out = subprocess.run(["dig", "@127.0.0.1", "-p", str(srv.doh), method, f"+tls-ca={pki['ca']}",
                              f"+tls-hostname={HOST}", "www.example.com", "A", "+short"],
                             capture_output=True, text=True, timeout=20)
        assert out.stdout.split() == ["192.0.2.80"], method + out.stdout + out.stderr


@pytest.mark.parametrize("path,args,status", [
    ("/other", (), 404),
    ("/", (), 404),
    ("/dns-query", ("-X", "PUT"), 405),
    ("/dns-query", ("-X", "DELETE"), 405),
    ("/dns-query", (), 400),                      # GET without dns=
    ("/dns-query?dns=", (), 400),
    ("/dns-query?dns=!!!!", (), 400),             # not base64url
    ("/dns-query?dns=AAAA", (), 400),             # shorter than a header
    ("/dns-query?dns=A", (), 400),                # not a base64 length
    ("/dns-query", ("-H", "content-type: text/plain", "--data-binary", "x" * 20), 415),
    ("/dns-query", ("--data-binary", "x" * 20), 415),   # curl's default form type
    ("/dns-query", ("-H", "content-type: application/dns-message", "--data-binary", "x" * 5), 400),
])
def test_doh_bad_requests(srv, pki, path, args, status):
    got, _, body = curl(srv.doh, pki["ca"], path, *args)
    assert got == status


def test_doh_body_too_large(srv, pki, tmp_path):
    f = tmp_path / "big.bin"
    f.write_bytes(b"\0" * 70000)
    status, _, _ = curl(srv.doh, pki["ca"], "/dns-query", "-H", "content-type: application/dns-message",
                        "--data-binary", f"@{f}")
    assert status == 413


def test_doh_headers_too_large(srv, pki):
    h = H2Client(srv.doh, pki["ca"])
    sid = h.request("GET", "/dns-query?dns=" + b64url(q("www.example.com").to_wire()),
                    headers=[("x-pad", "y" * 9000)])
    got = h.responses(1)
    h.close()
    assert got[sid][0] == 431, got


def test_doh_too_many_streams(srv, pki):
    """More than 100 open streams: the extra ones are refused (RST_STREAM)
    and the others still answered; the server stays up for others."""
    h = H2Client(srv.doh, pki["ca"])
    path = "/dns-query?dns=" + b64url(q("www.example.com").to_wire())
    # headers without END_STREAM keep the streams open
    sids = [h.request("POST", "/dns-query", headers=[("content-type", "application/dns-message")], body=b"",
                      end=False) for _ in range(130)]
    got = h.responses(30, timeout=3)
    resets = [s for s, v in got.items() if v[0] is None]
    assert resets and min(resets) > sids[99], got
    h.close()
    status, _, _ = curl(srv.doh, pki["ca"], path)
    assert status == 200


def test_doh_many_streams_one_connection(srv, pki):
    h = H2Client(srv.doh, pki["ca"])
    names = [f"n{i}.example.com" for i in range(60)] + ["www.example.com"] * 20
    sids = {h.request("GET", "/dns-query?dns=" + b64url(q(n).to_wire())): n for n in names}
    got = h.responses(len(sids))
    h.close()
    assert len(got) == len(sids)
    for sid, name in sids.items():
        st, _, body = got[sid]
        r = dns.message.from_wire(body)
        assert st == 200 and str(r.question[0].name) == name + "."


def test_doh_http11_refused(srv, pki):
    """DoH is served over HTTP/2 only."""
    r = subprocess.run(["curl", "-s", "--http1.1", "--cacert", pki["ca"], "--resolve",
                        f"{HOST}:{srv.doh}:127.0.0.1", "-o", "/dev/null", "-w", "%{http_code}",
                        f"https://{HOST}:{srv.doh}/dns-query?dns=" + b64url(q("www.example.com").to_wire())],
                       capture_output=True, text=True, timeout=20)
    assert r.stdout != "200"


# ---- slow and stalled clients ----

def test_stalled_handshake_closed_on_idle_timer(srv):
    """A client that connects and never finishes its handshake is closed
    after tcp-idle-timeout (3 s here)."""
    s = socket.create_connection(("127.0.0.1", srv.dot))
    s.sendall(b"\x16\x03\x01\x00\x50")  # the start of a ClientHello, then silence
    s.settimeout(10)
    t0 = time.time()
    assert s.recv(100) in (b"",)  # closed, not answered
    assert 2 <= time.time() - t0 <= 8
    s.close()


def test_stalled_clients_do_not_starve_others(srv, pki):
    """200 stalled handshakes from one address (127.0.0.2) cost that address
    its own connections; a client elsewhere is answered at once."""
    stalled = []
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", srv.dot))
        s.sendall(b"\x16\x03\x01")
        stalled.append(s)
    try:
        t0 = time.time()
        for _ in range(5):
            assert dot_query(srv.dot, pki["ca"], "www.example.com").rcode() == dns.rcode.NOERROR
        status, _, _ = curl(srv.doh, pki["ca"], "/dns-query?dns=" + b64url(q("www.example.com").to_wire()))
        assert status == 200
        assert time.time() - t0 < 3
    finally:
        for s in stalled:
            s.close()


# ---- forwarding ----

def test_forwarded_answers_over_dot_and_doh(tmp_path, pki):
    """A DoT or DoH client whose query goes upstream is answered when the
    upstream answers; a local answer asked later on the same DoT connection
    comes first (out of order, RFC 7858 3.3)."""
    gate = threading.Event()

    def handler(wire, transport, peer, sock):
        m = dns.message.from_wire(wire)
        r = dns.message.make_response(m)
        if str(m.question[0].name).startswith("slow"):
            gate.wait(5)
        r.answer.append(dns.rrset.from_text(m.question[0].name, 30, "IN", "A", "198.51.100.7"))
        return [r.to_wire()]

    with ScriptedServer(handler) as up:
        srv = start_tls_ternd(tmp_path, {"example.com": ZONE}, pki["cert"], pki["key"],
                              args=["--forward", f"127.0.0.1:{up.port}"])
        try:
            with dot_connect(srv.dot, pki["ca"]) as c:
                slow, fast = q("slow.up.test"), q("www.example.com")
                dot_send(c, slow)
                dot_send(c, fast)
                first = dot_recv(c)
                assert first.id == fast.id
                gate.set()
                second = dot_recv(c)
                assert second.id == slow.id and [str(x) for x in second.answer[0]] == ["198.51.100.7"]
            status, headers, body = curl(srv.doh, pki["ca"], "/dns-query?dns=" + b64url(q("other.up.test").to_wire()))
            r = dns.message.from_wire(body)
            assert status == 200 and [str(x) for x in r.answer[0]] == ["198.51.100.7"]
            assert headers["cache-control"] == "max-age=30"
        finally:
            srv.stop()
        assert srv.exit_status == 0, srv.log_text()


# ---- certificates ----

def test_certificate_reloaded_on_sighup(tmp_path, pki):
    d = str(tmp_path)
    ca2 = make_ca(d, "ca2", cn="second CA")
    cert2, key2 = make_cert(d, "server2", ca="ca2")
    # the config names fixed paths; the files change under them
    cert, key = os.path.join(d, "cur.pem"), os.path.join(d, "cur.key")
    for src, dst in ((pki["cert"], cert), (pki["key"], key)):
        with open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
    srv = start_tls_ternd(tmp_path, {"example.com": ZONE}, cert, key)
    try:
        old = dot_connect(srv.dot, pki["ca"])
        dot_send(old, q("www.example.com"))
        assert dot_recv(old).rcode() == dns.rcode.NOERROR
        for src, dst in ((cert2, cert), (key2, key)):
            with open(src, "rb") as f, open(dst, "wb") as g:
                g.write(f.read())
        srv.reload()
        deadline = time.time() + 10
        while True:
            try:
                assert dot_query(srv.dot, ca2, "www.example.com").rcode() == dns.rcode.NOERROR
                break
            except ssl.SSLError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        # the connection made before the reload goes on with its context
        dot_send(old, q("www.example.com"))
        assert dot_recv(old).rcode() == dns.rcode.NOERROR
        old.close()
        # a key that does not load: the reload fails, the old one serves
        with open(key, "w") as g:
            g.write("not a key\n")
        srv.reload()
        time.sleep(1)
        assert dot_query(srv.dot, ca2, "www.example.com").rcode() == dns.rcode.NOERROR
        assert "cur.key" in srv.log_text()
    finally:
        srv.stop()
    assert srv.exit_status == 0


@pytest.mark.parametrize("extra,msg", [
    ("", "need tls-certificate and tls-key"),
    ("    tls-certificate: nonexistent.pem\n    tls-key: nonexistent.key\n", "nonexistent.pem"),
])
def test_bad_tls_config_refused(tmp_path, extra, msg):
    from peers import free_port
    from ternd import binary
    conf = tmp_path / "bad.conf"
    conf.write_text(f"server:\n    listen-tls: 127.0.0.1:{free_port()}\n{extra}")
    r = subprocess.run([binary(), "-c", str(conf), "--check"], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and msg in r.stderr + r.stdout


def test_unreadable_key_after_privilege_drop_warned(tmp_path, pki):
    """The key is read again on every reload, after the privilege drop: a
    key that the user cannot read is named at start-up."""
    if os.getuid() != 0:
        pytest.skip("needs root to drop privileges")
    key = tmp_path / "private.key"
    key.write_bytes(open(pki["key"], "rb").read())
    os.chmod(key, 0o600)
    srv = start_tls_ternd(tmp_path, {"example.com": ZONE}, pki["cert"], str(key), args=["--user", "nobody"])
    try:
        assert dot_query(srv.dot, pki["ca"], "www.example.com").rcode() == dns.rcode.NOERROR
        log = srv.log_text()
        assert "tls-key" in log and "private.key" in log and "not readable by user nobody" in log, log
    finally:
        srv.stop()


def test_doh_request_bodies_bounded_per_connection(srv, pki):
    """Streams that hold big request bodies open: past 256 KiB held on one
    connection, the stream that crosses it is refused with 503 (memory per
    connection stays bounded); the others are answered, and so is a new
    request on the same connection."""
    import h2.events
    h = H2Client(srv.doh, pki["ca"])
    hdrs = [("content-type", "application/dns-message")]
    chunk = b"\0" * 16000
    sids = [h.request("POST", "/dns-query", headers=hdrs, body=b"", end=False) for _ in range(6)]
    # 4 x 64000 bytes = 256000 bytes held; the 5th stream goes over
    want = {s: 64000 for s in sids[:4]}
    want[sids[4]] = 16000
    sock, conn = h.sock, h.conn
    sock.settimeout(0.2)
    deadline = time.time() + 15
    while any(want.values()) and time.time() < deadline:
        for s, left in want.items():
            n = min(left, len(chunk), conn.local_flow_control_window(s))
            if n > 0:
                conn.send_data(s, chunk[:n])
                want[s] -= n
        h.flush()
        try:
            data = sock.recv(65536)
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            h.flush()
        except socket.timeout:
            pass
    assert not any(want.values()), want
    for s in sids[:5]:
        conn.end_stream(s)
    ok = q("www.example.com")
    last = h.request("GET", "/dns-query?dns=" + b64url(ok.to_wire()))
    h.flush()
    sock.settimeout(5)
    got = h.responses(6, timeout=10)
    h.close()
    # the stream whose data crossed the bound got 503; the others' bodies
    # (zeros: a DNS header and trailing bytes) were answered FORMERR
    assert sorted(got[s][0] for s in sids[:5]) == [200, 200, 200, 200, 503], got
    for s in sids[:5]:
        if got[s][0] == 200:
            assert dns.message.from_wire(got[s][2]).rcode() == dns.rcode.FORMERR
    assert got[last][0] == 200


def test_listen_tls_added_and_removed_on_sighup(tmp_path, pki):
    """listen-tls/listen-https follow reloads like listen: added ones are
    bound (TCP only), removed ones closed; plain listening goes on."""
    from peers import free_port
    from tls_helpers import tls_config
    conf, dot, doh = tls_config(str(tmp_path), pki["cert"], pki["key"])
    plain = tmp_path / "plain.conf"
    plain.write_text(f"server:\n    tls-certificate: {pki['cert']}\n    tls-key: {pki['key']}\n")
    live = tmp_path / "live.conf"
    live.write_text(plain.read_text())
    srv = start_ternd(tmp_path, {"example.com": ZONE}, args=["-c", str(live)])
    try:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", dot), timeout=1).close()
        live.write_text(open(conf).read())
        srv.reload()
        deadline = time.time() + 10
        while True:
            try:
                r = dot_query(dot, pki["ca"], "www.example.com")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        assert r.rcode() == dns.rcode.NOERROR
        status, _, _ = curl(doh, pki["ca"], "/dns-query?dns=" + b64url(q("www.example.com").to_wire()))
        assert status == 200
        live.write_text(plain.read_text())
        srv.reload()
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", dot), timeout=1).close()
                time.sleep(0.2)
            except OSError:
                break
        else:
            raise AssertionError("listen-tls address still open after the reload")
        assert srv.query("www.example.com").rcode() == dns.rcode.NOERROR
        assert "listening on 127.0.0.1:%d (DNS over TLS)" % dot in srv.log_text()
    finally:
        srv.stop()
    assert srv.exit_status == 0, srv.log_text()


@pytest.mark.parametrize("transport", ["dot", "doh"])
def test_edns_answers_padded(srv, pki, transport):
    """Answers with EDNS are padded to a multiple of 468 bytes (RFC 8467
    4.1; RFC 7830 3: MUST when the query was padded, MAY with EDNS);
    answers without EDNS are not (the client could not read the option)."""
    import dns.edns
    padded = q("www.example.com", use_edns=0, options=[dns.edns.GenericOption(12, b"\0" * 50)])
    plain_edns = q("www.example.com", use_edns=0)
    no_edns = q("www.example.com", use_edns=False)

    def ask(m):
        if transport == "dot":
            with dot_connect(srv.dot, pki["ca"]) as c:
                wire = m.to_wire()
                c.sendall(len(wire).to_bytes(2, "big") + wire)
                from tls_helpers import recv_exact
                n = int.from_bytes(recv_exact(c, 2), "big")
                return recv_exact(c, n)
        status, _, body = curl(srv.doh, pki["ca"], "/dns-query?dns=" + b64url(m.to_wire()))
        assert status == 200
        return body
    for m in (padded, plain_edns):
        wire = ask(m)
        r = dns.message.from_wire(wire)
        assert len(wire) % 468 == 0, len(wire)
        assert any(o.otype == 12 for o in r.options)
        assert [str(x) for x in r.answer[0]] == ["192.0.2.80"]
    wire = ask(no_edns)
    assert len(wire) % 468 != 0 and dns.message.from_wire(wire).edns < 0


def _pb_fields(b):
    """A protobuf message's fields as {number: [value, ...]} (varints, bytes, fixed32)."""
    out, i = {}, 0
    def varint():
        nonlocal i
        v = shift = 0
        while True:
            c = b[i]
            i += 1
            v |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return v
    while i < len(b):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            val = varint()
        elif wire == 2:
            n = varint()
            val, i = b[i:i + n], i + n
        elif wire == 5:
            val, i = b[i:i + 4], i + 4
        else:
            raise AssertionError(f"wire type {wire}")
        out.setdefault(field, []).append(val)
    return out


def _tap_messages(data):
    """(Message.type, socket_protocol, qname/qtype) of each data frame of a Frame Streams file."""
    import struct
    got, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from(">I", data, i)
        i += 4
        if n == 0:  # a control frame: its length, then it
            (c,) = struct.unpack_from(">I", data, i)
            i += 4 + c
            continue
        tap = _pb_fields(data[i:i + n])
        i += n
        m = _pb_fields(tap[14][0])
        wire = (m.get(10) or m.get(14))[0]
        dm = dns.message.from_wire(wire)
        qn = f"{dm.question[0].name}/{dns.rdatatype.to_text(dm.question[0].rdtype)}"
        got.append((m[1][0], m.get(3, [0])[0], qn))
    return got


def test_dnstap_names_dot_and_doh(tmp_path, pki):
    """dnstap's socket_protocol is DOT (3) and DOH (4) for queries that came
    that way (dnstap.proto's SocketProtocol); dnstap-read decodes the file.
    Debian's dnstap-read (BIND 9.18) prints only UDP and TCP, so the fields
    are read here."""
    import shutil
    tap = tmp_path / "tap.fstrm"
    srv = start_tls_ternd(tmp_path, {"example.com": ZONE}, pki["cert"], pki["key"], extra=f"    dnstap: {tap}\n")
    try:
        assert dot_query(srv.dot, pki["ca"], "www.example.com").rcode() == dns.rcode.NOERROR
        status, _, _ = curl(srv.doh, pki["ca"], "/dns-query?dns=" + b64url(q("www.example.com", "TXT").to_wire()))
        assert status == 200
    finally:
        srv.stop()
    assert srv.exit_status == 0, srv.log_text()
    if shutil.which("dnstap-read"):
        out = subprocess.run(["dnstap-read", str(tap)], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
    got = {t for t in _tap_messages(tap.read_bytes()) if t[2].startswith("www.")}
    # Message.type 5 CLIENT_QUERY, 6 CLIENT_RESPONSE
    assert got == {(5, 3, "www.example.com./A"), (6, 3, "www.example.com./A"),
                   (5, 4, "www.example.com./TXT"), (6, 4, "www.example.com./TXT")}, got
