"""Client groups over DoT and DoH (issue 14, item 7 with item 4): a DoT or
DoH client's group is decided by its TCP peer address, as for UDP and TCP,
so it gets its group's lists and its group's upstreams. kdig +tls and
curl --http2 bound to 127.0.0.2 / 127.0.0.3 / 127.0.0.1 (-b, --interface);
an X-Forwarded-For header chooses nothing."""
import base64
import subprocess

import dns.message
import dns.rcode
import pytest

from fwd_helpers import fwd  # noqa: F401
from tls_helpers import HOST, make_ca, make_cert


@pytest.fixture
def pki(tmp_path):
    d = str(tmp_path)
    ca = make_ca(d)
    cert, key = make_cert(d, "server")
    return {"ca": ca, "cert": cert, "key": key}


@pytest.fixture
def srv(fwd, pki, tmp_path):  # noqa: F811
    main_up = fwd.upstream()
    main_up.records.add("games.test. 300 IN A 192.0.2.50")
    family = fwd.upstream(records=None)
    family.records.rrsets.clear()
    family.records.names.clear()
    family.records.add("www.up.test. 300 IN A 192.0.2.200")
    kids = tmp_path / "kids.txt"
    kids.write_text("games.test\n")
    from peers import free_port
    dot, doh = free_port(), free_port()
    s = fwd.ternd([main_up], config=[f"listen-tls: 127.0.0.1:{dot}", f"listen-https: 127.0.0.1:{doh}",
                                     f"tls-certificate: {pki['cert']}", f"tls-key: {pki['key']}",
                                     "group:", "name: kids", "clients: 127.0.0.2/32", f"block-list: {kids}",
                                     "block-answer: nxdomain",
                                     "group:", "name: family", "clients: 127.0.0.3", f"forward: {family.addr}"])
    s.dot, s.doh, s.main_up, s.family = dot, doh, main_up, family
    return s


def kdig(srv, pki, source, name, *extra):
    out = subprocess.run(["kdig", "-b", source, "@127.0.0.1", "-p", str(srv.dot), f"+tls-ca={pki['ca']}",
                          f"+tls-hostname={HOST}", name, "A", *extra], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def doh(srv, pki, source, name, *headers):
    wire = dns.message.make_query(name, "A", id=0).to_wire()
    b64 = base64.urlsafe_b64encode(wire).decode().rstrip("=")
    args = ["curl", "-s", "--http2", "--interface", source, "--cacert", pki["ca"], "--resolve",
            f"{HOST}:{srv.doh}:127.0.0.1", "-o", "-"]
    for h in headers:
        args += ["-H", h]
    r = subprocess.run(args + [f"https://{HOST}:{srv.doh}/dns-query?dns={b64}"], capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    return dns.message.from_wire(r.stdout)


def test_dot_client_groups(srv, pki):
    assert "NXDOMAIN" in kdig(srv, pki, "127.0.0.2", "games.test")  # kids: their list
    assert "192.0.2.50" in kdig(srv, pki, "127.0.0.1", "games.test")  # everyone else
    assert kdig(srv, pki, "127.0.0.3", "www.up.test", "+short").split() == ["192.0.2.200"]  # family's upstream
    assert sorted(kdig(srv, pki, "127.0.0.1", "www.up.test", "+short").split()) == ["192.0.2.1", "192.0.2.2"]
    assert srv.family.count("www.up.test") == 1 and srv.main_up.count("www.up.test") == 1
    assert srv.main_up.count("games.test") == 1


def test_doh_client_groups(srv, pki):
    r = doh(srv, pki, "127.0.0.2", "games.test")
    assert r.rcode() == dns.rcode.NXDOMAIN, r.to_text()
    r = doh(srv, pki, "127.0.0.1", "games.test")
    assert [str(x) for x in r.answer[0]] == ["192.0.2.50"], r.to_text()
    r = doh(srv, pki, "127.0.0.3", "www.up.test")
    assert [str(x) for x in r.answer[0]] == ["192.0.2.200"], r.to_text()
    assert srv.family.count("www.up.test") == 1


def test_doh_forwarded_for_not_trusted(srv, pki):
    """The group is the TCP peer's: a header claiming another client changes nothing."""
    for h in ("X-Forwarded-For: 127.0.0.2", "Forwarded: for=127.0.0.2"):
        r = doh(srv, pki, "127.0.0.1", "games.test", h)
        assert [str(x) for x in r.answer[0]] == ["192.0.2.50"], r.to_text()
    r = doh(srv, pki, "127.0.0.2", "games.test", "X-Forwarded-For: 127.0.0.1")
    assert r.rcode() == dns.rcode.NXDOMAIN
