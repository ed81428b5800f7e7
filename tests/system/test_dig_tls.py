"""test_dig_tls.py: tern's DNS over TLS (+tls) and over HTTPS (+https)
compared with BIND 9.18's dig (issue 15, kdig's extras with dig's output).

A test CA (openssl) signs a certificate for dns.test and 127.0.0.1; Unbound
serves up.test over DoT and over DoH, and so does ternd (listen-tls,
listen-https) when it has them. Every invocation runs through dig and
tern (test_dig_compat.compare: stdout byte for byte after masking, stderr,
exit status). Where dig 9.18 exits 0 after a failed peer check (no answer
came), tern exits 9: that one difference is asserted as such. +tls-pin is
kdig's (dig has none): tern with a pin is compared with dig without one.

    TERN_BUILD=build /usr/bin/python3 -m pytest -q tests/system/test_dig_tls.py
"""
import os
import shutil
import signal
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dig_compat as compat  # noqa: E402
import tls_helpers as th  # noqa: E402

pytestmark = [compat.pytestmark,
              pytest.mark.skipif(shutil.which("unbound") is None or shutil.which("openssl") is None,
                                 reason="unbound and openssl are needed")]

ZONE = "$ORIGIN up.test.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.7\n"
LOCAL = ["www.up.test. 300 IN A 192.0.2.7"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    ca = th.make_ca(d)
    cert, key = th.make_cert(d, "srv")
    other = os.path.join(d, "other")
    os.makedirs(other)
    other_ca = th.make_ca(other, cn="another CA")
    return {"ca": ca, "cert": cert, "key": key, "other_ca": other_ca, "pin": th.spki_pin(cert)}


@pytest.fixture(scope="module")
def services(tmp_path_factory, pki):
    """{"unbound-dot": port, "unbound-doh": port, "ternd-dot": port, "ternd-doh": port}
    (ternd's only if this ternd serves TLS)."""
    procs, out = [], {}
    try:
        for kind in ("dot", "doh"):
            d = str(tmp_path_factory.mktemp("unbound-" + kind))
            proc, port = th.start_unbound_dot(d, pki["cert"], pki["key"], LOCAL, https=kind == "doh")
            procs.append(proc)
            out["unbound-" + kind] = port
        ternd = None
        try:
            ternd = th.start_tls_ternd(tmp_path_factory.mktemp("ternd"), {"up.test": ZONE}, pki["cert"], pki["key"])
            out["ternd-dot"], out["ternd-doh"] = ternd.dot, ternd.doh
        except RuntimeError:
            pass  # this ternd has no listen-tls: its cases are skipped
        yield out
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if ternd is not None:
            ternd.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return str(tmp_path_factory.mktemp("home"))


def _port(services, server):
    if server not in services:
        pytest.skip(f"{server}: this ternd does not serve DNS over TLS/HTTPS")
    return str(services[server])


# Each entry: the arguments after "@127.0.0.1 -p PORT +tries=1 +time=2"; {ca} is the test CA.
DOT_CASES = [
    ["+tls", "www.up.test"], ["+tls", "www.up.test", "+short"], ["+tls", "www.up.test", "+qr"],
    ["+tls", "nx.up.test"], ["+tls", "+tls-ca={ca}", "www.up.test"],
    ["+tls", "+tls-ca={ca}", "+tls-hostname=dns.test", "www.up.test"], ["+tls", "www.up.test", "+yaml"],
    ["+tls", "www.up.test", "+nocookie", "+noall", "+answer", "+stats"], ["+tls", "www.up.test", "www.up.test", "TXT"],
    ["+tls", "+notls", "+tcp", "www.up.test"],
]
DOH_CASES = [
    ["+https", "www.up.test"], ["+https-get", "www.up.test"], ["+https=/dns-query", "www.up.test", "+short"],
    ["+https-post", "www.up.test", "+qr"], ["+https", "+tls-ca={ca}", "www.up.test"],
    ["+https", "+tls-ca={ca}", "+tls-hostname=dns.test", "nx.up.test"], ["+https=/nope", "www.up.test"],
    ["+https", "www.up.test", "+yaml"],
]


def _args(args, pki):
    return [a.format(**pki) for a in args]


@pytest.mark.parametrize("server", ["unbound-dot", "ternd-dot"])
@pytest.mark.parametrize("args", DOT_CASES, ids=[" ".join(a) for a in DOT_CASES])
def test_dot_same_as_dig(services, pki, home, server, args):
    compat.compare(["@127.0.0.1", "-p", _port(services, server), "+tries=1", "+time=2"] + _args(args, pki), home)


@pytest.mark.parametrize("server", ["unbound-doh", "ternd-doh"])
@pytest.mark.parametrize("args", DOH_CASES, ids=[" ".join(a) for a in DOH_CASES])
def test_doh_same_as_dig(services, pki, home, server, args):
    compat.compare(["@127.0.0.1", "-p", _port(services, server), "+tries=1", "+time=2"] + _args(args, pki), home)


def test_server_port_with_hash(services, home):
    """@ADDR#PORT (kdig's; dig 9.18 has only -p): as dig with -p PORT."""
    port = str(services["unbound-dot"])
    d = compat._run("dig", ["@127.0.0.1", "-p", port, "+tls", "+tries=1", "www.up.test"], home)
    t = compat._run(compat.TERN, [f"@127.0.0.1#{port}", "+tls", "+tries=1", "www.up.test"], home)
    assert compat.mask(t.stdout).replace(f"#{port} ", f" -p {port} ", 1) == compat.mask(d.stdout)
    assert t.returncode == d.returncode == 0


@pytest.mark.parametrize("args", [["+tls"], ["+https"]])
def test_default_ports(home, args):
    """853 for +tls and 443 for +https without -p: nobody listens on
    127.0.0.9, and both programs name the port they tried."""
    t = compat.compare(["@127.0.0.9", "+tries=1", "+time=1"] + args + ["www.up.test"], home)
    assert ("#853(" if args == ["+tls"] else "#443(") in t.stdout


FAILED_CHECKS = [
    (["+tls-ca"], "unable to get local issuer certificate"),  # the system's store does not know the test CA
    (["+tls-ca={other_ca}"], "unable to get local issuer certificate"),
    (["+tls-ca={ca}", "+tls-hostname=wrong.test"], "hostname mismatch"),
]


@pytest.mark.parametrize("transport", ["+tls", "+https"])
@pytest.mark.parametrize("extra,why", FAILED_CHECKS, ids=[" ".join(a) for a, _ in FAILED_CHECKS])
def test_failed_peer_check_as_dig_but_status_9(services, pki, home, transport, extra, why):
    port = services["unbound-dot" if transport == "+tls" else "unbound-doh"]
    args = ["@127.0.0.1", "-p", str(port), "+tries=1", transport] + _args(extra, pki) + ["www.up.test"]
    d = compat._run("dig", args, home)
    t = compat._run(compat.TERN, args, home)
    assert t.stdout == d.stdout and t.stderr == d.stderr
    assert f"failed: {why}" in t.stdout and "192.0.2.7" not in t.stdout
    assert (d.returncode, t.returncode) == (0, 9)  # dig 9.18 exits 0 without an answer; tern says no reply


@pytest.mark.parametrize("qtype", ["A", "AXFR"])
def test_missing_ca_file(services, home, qtype):
    """dig's line for a CA file it cannot read; tern adds why on stderr and
    exits 9 (dig: 0)."""
    args = ["@127.0.0.1", "-p", str(services["unbound-dot"]), "+tries=2", "+tls", "+tls-ca=/nonexistent/ca.pem",
            "www.up.test", qtype]
    d = compat._run("dig", args, home)
    t = compat._run(compat.TERN, args, home)
    assert t.stdout == d.stdout == ";; TLS context cannot be created\n"
    assert "/nonexistent/ca.pem" in t.stderr and (d.returncode, t.returncode) == (0, 9)


def test_kdig_pin(services, pki, home):
    """+tls-pin (kdig): the right pin gets dig's answer as +tls shows it
    (even with +tls-ca naming a CA that did not sign it: the pin is the
    check, RFC 7858 4.2); a wrong one the failure line and status 9."""
    port = str(services["unbound-dot"])
    base = ["@127.0.0.1", "-p", port, "+tries=1", "+tls", "www.up.test"]
    d = compat._run("dig", base, home)
    for pin_args in ([f"+tls-pin={pki['pin']}"], [f"+tls-pin={pki['pin'][len('sha256/'):]}"],
                     [f"+tls-pin={pki['pin']}", f"+tls-ca={pki['other_ca']}"]):
        t = compat._run(compat.TERN, base + pin_args, home)
        assert t.returncode == 0, t.stdout + t.stderr
        strip = lambda s: compat.mask(s).replace(" " + " ".join(pin_args), "")  # noqa: E731 the greeting's arguments
        assert strip(t.stdout) == strip(d.stdout)
    wrong = "sha256/" + "A" * 43 + "="
    t = compat._run(compat.TERN, base + [f"+tls-pin={wrong}"], home)
    assert t.returncode == 9 and "failed: the server's public key does not match the pin" in t.stdout
    t = compat._run(compat.TERN, base + ["+tls-pin=nonsense"], home)
    assert t.returncode == 1 and "invalid +tls-pin" in t.stderr


def test_client_certificates_are_refused(home):
    t = compat._run(compat.TERN, ["@127.0.0.9", "+tls", "+tls-certfile=x.pem", "www.up.test"], home)
    assert t.returncode == 10 and "not supported" in t.stderr


# ---------------------------------------------------------------- zone transfers over TLS (RFC 9103)
# BIND's named serves up.test over TLS (its "tls" clause, the test CA's
# certificate) to loopback, and takes a TSIG key; dig 9.18 transfers over
# TLS with +tls, and so does tern.

KEY = ("tkey.", "hmac-sha256", "c2VjcmV0IG9mIHRoZSB0bHMgdHJhbnNmZXIga2V5")
Y = ":".join((KEY[1], KEY[0], KEY[2]))


@pytest.fixture(scope="module")
def named_xot(tmp_path_factory, pki):
    import peers
    if shutil.which("named") is None:
        pytest.skip("named not installed")
    d = str(tmp_path_factory.mktemp("named-xot"))
    port, tport = peers.free_port(), peers.free_port()
    zpath = os.path.join(d, "up.test.zone")
    with open(zpath, "w") as f:
        f.write(ZONE)
    conf = os.path.join(d, "named.conf")
    with open(conf, "w") as f:
        f.write(f'tls local-tls {{ key-file "{pki["key"]}"; cert-file "{pki["cert"]}"; }};\n'
                f'options {{ directory "{d}"; pid-file "{d}/named.pid"; session-keyfile "{d}/s.key";\n'
                f'  listen-on port {port} {{ 127.0.0.1; }}; listen-on port {tport} tls local-tls {{ 127.0.0.1; }};\n'
                '  listen-on-v6 { none; }; recursion no; dnssec-validation no; allow-transfer { 127.0.0.1; }; };\n'
                'controls { };\n'
                f'key "{KEY[0]}" {{ algorithm {KEY[1]}; secret "{KEY[2]}"; }};\n'
                f'zone "up.test" {{ type primary; file "{zpath}"; }};\n')
    srv = peers._start("named", ["named", "-g", "-c", conf], d, "127.0.0.1", port, "up.test.")
    srv.tls_port = tport
    yield srv
    srv.stop()


XOT_CASES = [
    ["+tls", "up.test", "AXFR"], ["+tls", "up.test", "AXFR", "+multiline"], ["+tls", "+short", "up.test", "AXFR"],
    ["+tls", "up.test", "IXFR=1"], ["+tls", "+tls-ca={ca}", "+tls-hostname=dns.test", "up.test", "AXFR"],
    ["+tls", "-y", Y, "up.test", "AXFR"], ["+tls", "-y", Y, "www.up.test"], ["+tls", "-y", Y, "www.up.test", "+qr"],
]


@pytest.mark.parametrize("args", XOT_CASES, ids=[" ".join(a)[:50] for a in XOT_CASES])
def test_xot_and_tsig_over_tls_same_as_dig(named_xot, pki, home, args):
    import test_dig_tsig
    d = compat._run("dig", ["@127.0.0.1", "-p", str(named_xot.tls_port), "+tries=1"] + _args(args, pki), home)
    t = compat._run(compat.TERN, ["@127.0.0.1", "-p", str(named_xot.tls_port), "+tries=1"] + _args(args, pki), home)
    assert compat.mask(test_dig_tsig.mask(t.stdout)) == compat.mask(test_dig_tsig.mask(d.stdout)), \
        f"--- dig\n{d.stdout}\n--- tern\n{t.stdout}"
    assert t.stderr == d.stderr.replace("dig:", "tern:") and t.returncode == d.returncode
    assert "(TLS)" in t.stdout or "+short" in args


def test_xot_failed_peer_check(named_xot, pki, home):
    args = ["@127.0.0.1", "-p", str(named_xot.tls_port), "+tries=1", "+tls", f"+tls-ca={pki['other_ca']}",
            "up.test", "AXFR"]
    d = compat._run("dig", args, home)
    t = compat._run(compat.TERN, args, home)
    assert t.stdout == d.stdout and "failed: unable to get local issuer certificate" in t.stdout
    assert (d.returncode, t.returncode) == (0, 9)
