"""ops_helpers.py: what test_ctl.py and test_metrics.py share: a ternd with
a control socket and a metrics port (`ops` fixture), ternctl, a steady
stream of queries that counts what was lost, and a raw look at /metrics.

    def test_x(ops):
        srv = ops.ternd(zones={"example.org": ZONE})
        r = ops.ctl(srv, "status")              # CompletedProcess
        assert r.returncode == 0

Every ternd is given `--forward none` or a loopback upstream and an empty
--resolv-conf (fwd_helpers.Fwd); loopback only."""
import os
import re
import socket
import subprocess
import threading
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from fwd_helpers import Fwd, Records  # noqa: F401
from peers import free_port
from ternd import binary

ZONE = """$ORIGIN {origin}.
$TTL 300
@       IN SOA ns.{origin}. host.{origin}. {serial} 3600 600 86400 300
@       IN NS ns
ns      IN A 192.0.2.53
www     IN A 192.0.2.{last}
"""


def zone(origin, serial=1, last=1):
    return ZONE.format(origin=origin, serial=serial, last=last)


class Ops(Fwd):
    def ternd(self, zones=None, forward=(), config=(), metrics=True, **kw):
        """ternd with `control: ctl.sock` (and `metrics:` on a free port)."""
        lines = ["control: ctl.sock"] + list(config)
        port = None
        if metrics:
            port = free_port()
            lines.append(f"metrics: 127.0.0.1:{port}")
        srv = super().ternd(forward=forward, zones=zones or {"example.org": zone("example.org")}, config=lines, **kw)
        srv.conf = os.path.join(srv.workdir, "ternd.conf")
        srv.sock = os.path.join(srv.workdir, "ctl.sock")
        srv.metrics_port = port
        deadline = time.monotonic() + 10
        while not os.path.exists(srv.sock) and time.monotonic() < deadline:
            time.sleep(0.05)
        return srv

    def ctl(self, srv, *args, json=False, timeout=30, via_socket=False):
        argv = [binary("ternctl")]
        argv += ["-s", srv.sock] if via_socket else ["-c", srv.conf]
        if json:
            argv.append("--json")
        argv += list(args)
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def ops(tmp_path):
    f = Ops(tmp_path)
    yield f
    f.close()


class Stream:
    """Queries (name, type) over UDP without pause from a thread until
    stopped; counts answers that are wrong or missing (a retry after 1 s of
    silence still counts the loss)."""

    def __init__(self, srv, name, qtype="A", expect=dns.rcode.NOERROR):
        self.srv, self.name, self.qtype, self.expect = srv, name, qtype, expect
        self.sent = self.lost = self.wrong = 0
        self.wrong_text = []
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop_ev.is_set():
            q = dns.message.make_query(self.name, self.qtype)
            self.sent += 1
            try:
                r = dns.query.udp(q, self.srv.host, port=self.srv.port, timeout=1.0)
                if r.rcode() != self.expect or not r.answer:
                    self.wrong += 1
                    self.wrong_text.append(r.to_text())
            except dns.exception.Timeout:
                self.lost += 1

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        self.t.join(5)


def http(port, raw, timeout=5.0):
    """Sends raw bytes to 127.0.0.1:port and returns everything read until
    the server closes (or b"" on a timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        return out


def scrape(srv):
    r = http(srv.metrics_port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = r.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK"), r[:300]
    return body.decode()


def metric(text, name, **labels):
    """The value of one series of the exposition text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pat = re.escape(name) + (r"\{" + re.escape(want) + r"\}" if labels else "") + r" (\S+)$"
    for line in text.splitlines():
        m = re.match(pat, line)
        if m:
            return float(m.group(1))
    return 0.0
