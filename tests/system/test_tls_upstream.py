"""DNS over TLS and DNS over HTTPS upstreams (issue 14, item 3): `forward: ADDR:PORT tls NAME`
(the name checked against the certificate, CAs from `tls-ca-file:`) or
`tls pin sha256/BASE64` (RFC 7858 4.2); strict (RFC 8310): a wrong name,
an expired or self-signed certificate or a wrong pin fails that upstream,
is logged, and nothing is ever sent in clear text; failover to the next
TLS upstream; one kept connection per upstream and worker with pipelined
questions and answers in any order. `forward: https://ADDR:PORT/PATH NAME`
asks over HTTP/2 (RFC 8484 POST). Upstreams: Unbound's DoT and DoH
services, ternd's own DoH service, and a scripted DoT server in this
process."""
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from peers import ScriptedServer
from ternd import start_ternd
from tls_helpers import DotServer, answer_a, make_ca, make_cert, spki_pin, start_unbound_dot


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    ca = make_ca(d)
    cert, key = make_cert(d, "server")
    expired, expired_key = make_cert(d, "expired", expired=True)
    selfs, selfs_key = make_cert(d, "self", self_signed=True)
    return {"dir": d, "ca": ca, "cert": cert, "key": key, "expired": (expired, expired_key),
            "self": (selfs, selfs_key)}


def forwarder(d, pki, forwards, threads=1, extra=""):
    conf = d / "fwd.conf"
    conf.write_text("server:\n" + "".join(f"    forward: {f}\n" for f in forwards) +
                    f"    tls-ca-file: {pki['ca']}\n    forward-timeout: 1500\n"
                    f"    local-data: \"probe.local. 60 IN A 127.0.0.9\"\n{extra}")
    return start_ternd(d, args=["-c", str(conf)], threads=threads, probe="probe.local")


def ask(srv, name, qtype="A", timeout=5):
    return dns.query.udp(dns.message.make_query(name, qtype), srv.host, port=srv.port, timeout=timeout)


def addrs(r):
    return [str(x) for rr in r.answer for x in rr]


def test_unbound_dot_upstream(tmp_path, pki):
    proc, port = start_unbound_dot(str(tmp_path), pki["cert"], pki["key"],
                                   ["www.up.test. 60 IN A 198.51.100.9", "up.test. 60 IN MX 10 mail.up.test."])
    try:
        srv = forwarder(tmp_path, pki, [f"127.0.0.1:{port} tls dns.test"])
        try:
            r = ask(srv, "www.up.test")
            assert r.rcode() == dns.rcode.NOERROR and addrs(r) == ["198.51.100.9"]
            assert ask(srv, "up.test", "MX").answer[0][0].preference == 10
            assert ask(srv, "nx.up.test").rcode() == dns.rcode.NXDOMAIN
        finally:
            srv.stop()
        assert srv.exit_status == 0, srv.log_text()
    finally:
        proc.terminate()
        proc.wait()


def test_connection_reused_pipelined_out_of_order(tmp_path, pki):
    """Four different questions at once: one connection carries them all;
    the upstream answers them in reverse order and each gets its own."""
    with DotServer(pki["cert"], pki["key"], lambda m: answer_a("198.51.100." + str(m.question[0].name)[1])(m),
                   batch=4) as up:
        srv = forwarder(tmp_path, pki, [f"127.0.0.1:{up.port} tls dns.test"], threads=1)
        try:
            import threading
            res = {}

            def one(i):
                res[i] = ask(srv, f"n{i}.up.test")
            ts = [threading.Thread(target=one, args=(i,)) for i in range(1, 5)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            for i in range(1, 5):
                assert addrs(res[i]) == [f"198.51.100.{i}"], (i, res[i].to_text())
            assert up.connections == 1
        finally:
            srv.stop()
        assert srv.exit_status == 0, srv.log_text()


def test_connection_kept_between_questions(tmp_path, pki):
    with DotServer(pki["cert"], pki["key"], answer_a("198.51.100.1")) as up:
        srv = forwarder(tmp_path, pki, [f"127.0.0.1:{up.port} tls dns.test"], threads=1)
        try:
            for i in range(10):
                r = ask(srv, f"q{i}.up.test")
                assert addrs(r) == ["198.51.100.1"], (r.to_text(), srv.log_text())
            assert up.connections == 1 and len(up.queries) == 10
        finally:
            srv.stop()


def test_tls_upstream_counted_and_timed(tmp_path, pki):
    """Questions sent over TLS count as upstream queries, each answer's
    latency is measured from when its question left (not from 0), and
    `ternctl status` shows the upstream up with its RTT. (Before, a DoT
    question was never counted and its latency was the time since boot.)"""
    import json
    import subprocess
    from ternd import binary
    with DotServer(pki["cert"], pki["key"], answer_a("198.51.100.1")) as up:
        sock = tmp_path / "ctl.sock"
        addr = f"127.0.0.1:{up.port}"
        srv = forwarder(tmp_path, pki, [f"{addr} tls dns.test"], threads=1, extra=f"    control: {sock}\n")
        try:
            for i in range(5):
                r = ask(srv, f"q{i}.up.test")
                assert addrs(r) == ["198.51.100.1"], (r.to_text(), srv.log_text())

            def ctl(*args):
                r = subprocess.run([binary("ternctl"), "-s", str(sock), "--json"] + list(args),
                                   capture_output=True, text=True, timeout=30)
                assert r.returncode == 0, r.stderr
                return json.loads(r.stdout)
            st = ctl("stats")["upstreams"][addr]
            assert st["queries"] == 5 and st["answers"] == 5, st
            assert 0 < st["latency_us_sum"] < 5 * 2_000_000, st
            ups = ctl("status")["upstreams"]
            assert ups[0]["address"] == addr and ups[0]["state"] == "up" and 0 < ups[0]["srtt_ms"] < 2000, ups
        finally:
            srv.stop()
        assert srv.exit_status == 0, srv.log_text()


@pytest.mark.parametrize("case", ["wrong-name", "expired", "self-signed", "wrong-pin", "untrusted-ca"])
def test_bad_upstream_refused_and_logged(tmp_path, pki, case):
    cert, key, name = pki["cert"], pki["key"], "dns.test"
    spec = None
    if case == "wrong-name":
        name = "other.test"
    elif case == "expired":
        cert, key = pki["expired"]
    elif case == "self-signed":
        cert, key = pki["self"]
    elif case == "untrusted-ca":
        other = make_ca(str(tmp_path), "other", cn="other CA")
        cert, key = make_cert(str(tmp_path), "otherserver", ca="other")
        assert other
    with DotServer(cert, key, answer_a("198.51.100.1")) as up:
        spec = f"127.0.0.1:{up.port} tls {name}"
        if case == "wrong-pin":
            spec = f"127.0.0.1:{up.port} tls pin {spki_pin(pki['self'][0])}"
        srv = forwarder(tmp_path, pki, [spec])
        try:
            r = ask(srv, "www.up.test")
            assert r.rcode() == dns.rcode.SERVFAIL
            assert up.queries == []
            log = srv.log_text()
            want = {"wrong-name": "hostname mismatch", "expired": "expired", "self-signed": "self-signed",
                    "wrong-pin": "does not match the pin", "untrusted-ca": "unable to get local issuer"}[case]
            assert want in log and "no fallback to clear text" in log, log
        finally:
            srv.stop()
        assert srv.exit_status == 0


def test_pin_accepts_self_signed(tmp_path, pki):
    cert, key = pki["self"]
    with DotServer(cert, key, answer_a("198.51.100.2")) as up:
        srv = forwarder(tmp_path, pki, [f"127.0.0.1:{up.port} tls pin {spki_pin(cert)}"])
        try:
            assert addrs(ask(srv, "www.up.test")) == ["198.51.100.2"]
        finally:
            srv.stop()


def test_never_clear_text(tmp_path, pki):
    """A TLS upstream that speaks plain DNS: no query reaches it in clear
    text (over UDP or TCP), the client gets SERVFAIL."""
    def handler(wire, transport, peer, sock):
        m = dns.message.from_wire(wire)
        return [dns.message.make_response(m).to_wire()]
    with ScriptedServer(handler) as plain:
        srv = forwarder(tmp_path, pki, [f"127.0.0.1:{plain.port} tls dns.test"], extra="    tcp-idle-timeout: 1\n")
        try:
            assert ask(srv, "www.up.test").rcode() == dns.rcode.SERVFAIL
            time.sleep(0.5)
            assert plain.queries == []
        finally:
            srv.stop()


def test_failover_between_tls_upstreams(tmp_path, pki):
    """The first upstream fails verification, or is not there: the next
    TLS upstream answers, and keeps answering."""
    with DotServer(pki["cert"], pki["key"], answer_a("198.51.100.3")) as good, \
            DotServer(pki["cert"], pki["key"], answer_a("198.51.100.4")) as bad:
        from peers import free_port
        dead = free_port()
        srv = forwarder(tmp_path, pki, [f"127.0.0.1:{bad.port} tls wrong.test", f"127.0.0.1:{dead} tls dns.test",
                                        f"127.0.0.1:{good.port} tls dns.test"])
        try:
            for i in range(5):
                r = ask(srv, f"f{i}.up.test")
                assert addrs(r) == ["198.51.100.3"], r.to_text()
            assert bad.queries == []
        finally:
            srv.stop()
        assert srv.exit_status == 0, srv.log_text()


@pytest.mark.parametrize("spec,msg", [
    ("127.0.0.1:853 tls", "needs the name"),
    ("127.0.0.1:853 tcp dns.test", "want 'tls NAME'"),
    ("127.0.0.1:853 tls dns.test pin nonsense", "pin sha256/BASE64"),
    ("127.0.0.1:853 tls dns.test extra", "unexpected"),
])
def test_bad_tls_forward_config(tmp_path, spec, msg):
    import subprocess
    from ternd import binary
    conf = tmp_path / "bad.conf"
    conf.write_text(f"server:\n    forward: {spec}\n")
    r = subprocess.run([binary(), "-c", str(conf), "--check"], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and msg in r.stderr + r.stdout and "bad.conf:2" in r.stderr + r.stdout


def test_unbound_doh_upstream(tmp_path, pki):
    proc, port = start_unbound_dot(str(tmp_path), pki["cert"], pki["key"], ["www.up.test. 60 IN A 198.51.100.10"],
                                   https=True)
    try:
        srv = forwarder(tmp_path, pki, [f"https://127.0.0.1:{port}/dns-query dns.test"])
        try:
            for i in range(3):
                r = ask(srv, "www.up.test")
                assert r.rcode() == dns.rcode.NOERROR and addrs(r) == ["198.51.100.10"], r.to_text()
            assert ask(srv, "nx.up.test").rcode() == dns.rcode.NXDOMAIN
        finally:
            srv.stop()
        assert srv.exit_status == 0, srv.log_text()
    finally:
        proc.terminate()
        proc.wait()


def test_ternd_doh_upstream(tmp_path, pki):
    """ternd asks another ternd's DoH service; many questions at once go
    as streams of one connection; a wrong path (404) fails over to the next
    upstream; a wrong name is refused and logged."""
    from tls_helpers import start_tls_ternd
    zone = "$ORIGIN up.test.\n$TTL 60\n@ SOA ns h 1 1 1 1 60\n@ NS ns\nns A 192.0.2.1\n" + "".join(
        f"n{i} A 198.51.100.{i}\n" for i in range(1, 30))
    (tmp_path / "up").mkdir()
    (tmp_path / "fw").mkdir()
    up = start_tls_ternd(tmp_path / "up", {"up.test": zone}, pki["cert"], pki["key"], args=["--forward", "none"])
    try:
        srv = forwarder(tmp_path / "fw", pki, [f"https://127.0.0.1:{up.doh}/wrong dns.test",
                                               f"https://127.0.0.1:{up.doh} dns.test"])
        try:
            import threading
            res = {}

            def one(i):
                res[i] = ask(srv, f"n{i}.up.test")
            ts = [threading.Thread(target=one, args=(i,)) for i in range(1, 30)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            for i in range(1, 30):
                assert addrs(res[i]) == [f"198.51.100.{i}"], res[i].to_text()
        finally:
            srv.stop()
        assert srv.exit_status == 0, srv.log_text()
        (tmp_path / "bad").mkdir()
        srv = forwarder(tmp_path / "bad", pki, [f"https://127.0.0.1:{up.doh} other.test"])
        try:
            assert ask(srv, "n1.up.test").rcode() == dns.rcode.SERVFAIL
            assert "hostname mismatch" in srv.log_text()
        finally:
            srv.stop()
    finally:
        up.stop()


@pytest.mark.parametrize("spec,msg", [
    ("https://127.0.0.1:443/dns-query", "needs the name"),
    ("https:///dns-query dns.test", "want https://ADDR"),
])
def test_bad_https_forward_config(tmp_path, spec, msg):
    import subprocess
    from ternd import binary
    conf = tmp_path / "bad.conf"
    conf.write_text(f"server:\n    forward: {spec}\n")
    r = subprocess.run([binary(), "-c", str(conf), "--check"], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and msg in r.stderr + r.stdout and "bad.conf:2" in r.stderr + r.stdout
