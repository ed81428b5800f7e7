"""Shared fixtures of the ternd core system tests.

`core` is one ternd serving the fixture zones of tests/system/zones
(example.com, its child child.example.com, and other.test) for a whole test
module; `tcp` parametrizes a test over UDP and TCP. Every ternd started
through `run_ternd` is stopped at teardown and must exit with status 0 (a
sanitizer report makes it non-zero)."""
import os
import socket
import struct
import sys

import dns.flags
import dns.rcode
import dns.rdatatype
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ternd import start_ternd  # noqa: E402

ZONES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zones")
CORE_ORIGINS = ["example.com", "child.example.com", "other.test"]


def zone_text(origin):
    with open(os.path.join(ZONES_DIR, origin + ".zone")) as f:
        return f.read()


def core_zones():
    return {o: zone_text(o) for o in CORE_ORIGINS}


def stop_clean(srv):
    """Stops srv and fails the test if ternd did not exit with status 0."""
    srv.stop()
    assert srv.exit_status == 0, f"ternd exited with {srv.exit_status}\n{srv.log_text()}"


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    srv = start_ternd(tmp_path_factory.mktemp("core"), core_zones())
    yield srv
    stop_clean(srv)


@pytest.fixture
def run_ternd(tmp_path):
    """run_ternd(zones, args=..., ...) -> Ternd; every one is stopped (and
    checked for a clean exit) at teardown, in reverse order."""
    started = []

    def run(zones=None, **kw):
        srv = start_ternd(kw.pop("workdir", tmp_path), zones, **kw)
        started.append(srv)
        return srv

    yield run
    for srv in reversed(started):
        stop_clean(srv)


@pytest.fixture(params=[False, True], ids=["udp", "tcp"])
def tcp(request):
    return request.param


# ------------------------------------------------------------------ helpers

def rrs(section):
    """A section as a set of 'owner ttl class type rdata' lines (owners
    lower-cased: DNS names compare case-insensitively)."""
    out = set()
    for rrset in section:
        for line in rrset.to_text().splitlines():
            owner, rest = line.split(" ", 1)
            out.add(owner.lower() + " " + rest)
    return out


def types_of(section):
    return sorted(dns.rdatatype.to_text(s.rdtype) for s in section)


def is_aa(r):
    return bool(r.flags & dns.flags.AA)


def is_tc(r):
    return bool(r.flags & dns.flags.TC)


def soa_ttl(r):
    """The TTL of the one SOA in the authority section (asserted there)."""
    soas = [s for s in r.authority if s.rdtype == dns.rdatatype.SOA]
    assert len(soas) == 1, r.to_text()
    return soas[0].ttl


def raw_udp(srv, wire, timeout=2.0):
    """Sends wire bytes over UDP; returns the reply bytes or None (silence)."""
    fam = socket.AF_INET6 if ":" in srv.host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(wire, (srv.host, srv.port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_connect(srv, timeout=3.0):
    fam = socket.AF_INET6 if ":" in srv.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((srv.host, srv.port))
    return s


def tcp_read_msg(sock):
    """One length-prefixed message, or None when the server closed."""
    hdr = recv_exact(sock, 2)
    if hdr is None:
        return None
    return recv_exact(sock, struct.unpack("!H", hdr)[0])


def raw_tcp(srv, wire, timeout=2.0):
    """Sends one framed message over a new TCP connection; returns the reply
    bytes, or None if the server closed without answering."""
    with tcp_connect(srv, timeout) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        try:
            return tcp_read_msg(s)
        except (socket.timeout, ConnectionResetError):
            return None


def assert_serving(srv):
    """The server still answers a normal query over UDP and TCP."""
    for tcp in (False, True):
        r = srv.query("www.example.com", "A", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and r.answer, r.to_text()
