"""The query log (issue 13, item 4): `query-log: FILE` writes one line per
answered query from a thread of its own; the lines decode back to the
queries sent; a log that cannot be written (a full disk: /dev/full; a full
pipe) drops entries and counts them, ternd logs the problem once and keeps
answering, and says so when writing works again."""
import json
import os
import re
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode

from fwd_helpers import Records, query  # noqa: F401
from ops_helpers import ops  # noqa: F401

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\S+)#(\d+) (\S+) (\S+) (\S+) (\S+) (udp|tcp) (\S+) "
                  r"(\S+) (\d+)$")


def read_lines(path, want, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = open(path).read().splitlines() if os.path.exists(path) else []
        if len(lines) >= want:
            return lines
        time.sleep(0.05)
    return lines


def test_lines_match_the_queries(ops, tmp_path):  # noqa: F811
    up = ops.upstream(Records())
    log = tmp_path / "query.log"
    srv = ops.ternd(forward=[up], config=[f"query-log: {log}"], metrics=False)
    sent = []
    for name, qtype, tcp, rcode, source in [("www.example.org", "A", False, "NOERROR", "zone"),
                                             ("nx.example.org", "MX", True, "NXDOMAIN", "zone"),
                                             ("www.up.test", "AAAA", False, "NOERROR", "upstream"),
                                             ("www.up.test", "AAAA", True, "NOERROR", "cache")]:
        q = dns.message.make_query(name, qtype)
        if tcp:
            r = dns.query.tcp(q, srv.host, port=srv.port, timeout=3)
        else:
            r = dns.query.udp(q, srv.host, port=srv.port, timeout=3)
        assert dns.rcode.to_text(r.rcode()) == rcode
        sent.append((name + ".", qtype, "tcp" if tcp else "udp", rcode, source))
    q = dns.message.make_query("www.example.org", "TXT")
    q.flags &= ~dns.flags.RD
    dns.query.udp(q, srv.host, port=srv.port, timeout=3)
    sent.append(("www.example.org.", "TXT", "udp", "NOERROR", "zone"))
    lines = [line for line in read_lines(log, 5 + 1) if " CH " not in line]  # wait_up's CH TXT probes
    assert len(lines) == len(sent), lines
    lines.sort()  # each worker's lines are in order; between workers, by arrival time
    for line, (name, qtype, transport, rcode, source) in zip(lines, sent):
        m = LINE.match(line)
        assert m, line
        ts, addr, port, lname, cls, ltype, flags, ltr, lrcode, lsource, us = m.groups()
        assert (lname, cls, ltype, ltr, lrcode, lsource) == (name, "IN", qtype, transport, rcode, source), line
        assert addr == "127.0.0.1" and 0 < int(port) < 65536
        assert flags == ("-" if qtype == "TXT" else "+rd")
        assert int(us) < 5_000_000
        assert abs(time.time() - time.mktime(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) + time.timezone) < 120
    st = json.loads(ops.ctl(srv, "stats", json=True).stdout)
    assert st["query_log"]["dropped_full"] == 0 and st["query_log"]["dropped_write"] == 0
    assert st["query_log"]["written"] >= 5


def test_disk_full_is_logged_once_and_answering_goes_on(ops):  # noqa: F811
    srv = ops.ternd(config=["query-log: /dev/full"])
    for i in range(30):
        assert query(srv, "www.example.org").rcode() == dns.rcode.NOERROR
        if i % 10 == 0:
            time.sleep(0.05)  # several batches reach the writer
    time.sleep(0.2)
    st = json.loads(ops.ctl(srv, "stats", json=True).stdout)
    assert st["query_log"]["dropped_write"] >= 30 and st["query_log"]["written"] == 0
    errors = [line for line in srv.log_text().splitlines() if "query-log /dev/full" in line]
    assert len(errors) == 1 and "No space left on device" in errors[0], errors


def test_full_pipe_drops_then_recovers(ops, tmp_path):  # noqa: F811
    fifo = str(tmp_path / "qlog.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        srv = ops.ternd(config=[f"query-log: {fifo}"])
        # a name of 200 bytes: some 300 lines fill a 64 KiB pipe
        long = ".".join(["a" * 60, "b" * 60, "c" * 60]) + ".example.org"
        for _ in range(600):
            query(srv, long)
        deadline = time.monotonic() + 5
        while "entries are dropped" not in srv.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "entries are dropped" in srv.log_text(), srv.log_text()
        assert query(srv, "www.example.org").rcode() == dns.rcode.NOERROR
        data = b""
        while True:  # drain the pipe: writing works again
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        assert data.count(b"\n") > 100
        for _ in range(5):
            query(srv, "www.example.org")
        deadline = time.monotonic() + 5
        while "writing again" not in srv.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "writing again" in srv.log_text()
        st = json.loads(ops.ctl(srv, "stats", json=True).stdout)
        assert st["query_log"]["dropped_write"] > 0
        assert len([line for line in srv.log_text().splitlines() if "entries are dropped" in line]) == 1
    finally:
        os.close(reader)
