"""The harness's own promise: a server port it hands out is one no client's
kernel-chosen source port can ever be.

A client socket bound to 0.0.0.0:P with SO_REUSEPORT (dig 9.18 does this) and
connected to 127.0.0.1:P wins the kernel's socket lookup over a server bound
to 127.0.0.1:P with the same port, so the client reads its own query back
(dig: "Warning: query response not set"). That happened in CI twice when
the server's port had come from the ephemeral range, where dig also picks
its source ports.
"""

import socket

import peers


def _ephemeral_range():
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo, hi = (int(x) for x in f.read().split())
    return lo, hi


def test_server_ports_outside_the_ephemeral_range():
    lo, hi = _ephemeral_range()
    seen = set()
    for _ in range(200):
        p = peers.free_port()
        assert not lo <= p <= hi, f"port {p} is in the ephemeral range {lo}-{hi}"
        seen.add(p)
    assert len(seen) > 100, "free_port hands out few distinct ports"


def test_server_ports_free_for_udp_and_tcp():
    for host in ("127.0.0.1", "::1"):
        p = peers.free_port(host)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            with socket.socket(fam, kind) as s:
                s.bind((host, p))
