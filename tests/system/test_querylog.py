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


def test_rotation_by_rename(ops, tmp_path):  # noqa: F811
    log = tmp_path / "query.log"
    srv = ops.ternd(config=[f"query-log: {log}"], metrics=False)
    query(srv, "www.example.org", "MX")
    assert any(" MX " in line for line in read_lines(log, 1))
    os.rename(log, tmp_path / "query.log.1")
    deadline = time.monotonic() + 5
    while "opened again" not in srv.log_text() and time.monotonic() < deadline:
        query(srv, "www.example.org", "NS")
        time.sleep(0.2)
    assert "opened again (rotated)" in srv.log_text(), srv.log_text()
    query(srv, "www.example.org", "SRV")
    lines = read_lines(log, 1)
    deadline = time.monotonic() + 3
    while not any(" SRV " in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
        lines = read_lines(log, 1)
    assert any(" SRV " in line for line in lines), lines
    old = open(tmp_path / "query.log.1").read()
    assert " MX " in old and " SRV " not in old


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


# ------------------------------------------------------------ dnstap

def dnstap_read(path):
    import subprocess
    r = subprocess.run(["dnstap-read", path], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def tap_lines(lines):
    """dnstap-read's short lines as (kind, transport, name/class/type)."""
    out = []
    for line in lines:
        parts = line.split()
        # 06-Dec-2026 10:18:20.419 CQ 127.0.0.1:44299 -> ? UDP 56b www.example.com/IN/A
        out.append((parts[2], parts[6], parts[8]))
    return out


def test_dnstap_file_decodes_to_the_queries(ops, tmp_path):  # noqa: F811
    import shutil
    import pytest
    if shutil.which("dnstap-read") is None:
        pytest.skip("dnstap-read (bind9-dnsutils) not installed")
    up = ops.upstream(Records())
    tap = tmp_path / "tap.fstrm"
    srv = ops.ternd(forward=[up], config=[f"dnstap: {tap}", "identity: ns-test"], metrics=False)
    query(srv, "www.example.org", "A")
    query(srv, "nx.example.org", "MX", tcp=True)
    query(srv, "www.up.test", "AAAA")
    srv.stop()  # the last frames and STOP are written at exit
    assert srv.exit_status == 0
    got = [t for t in tap_lines(dnstap_read(str(tap))) if "/CH/" not in t[2]]
    want = [("CQ", "UDP", "www.example.org/IN/A"), ("CR", "UDP", "www.example.org/IN/A"),
            ("CQ", "TCP", "nx.example.org/IN/MX"), ("CR", "TCP", "nx.example.org/IN/MX"),
            ("FQ", "UDP", "www.up.test/IN/AAAA"), ("FR", "UDP", "www.up.test/IN/AAAA"),
            ("CQ", "UDP", "www.up.test/IN/AAAA"), ("CR", "UDP", "www.up.test/IN/AAAA")]
    assert sorted(got) == sorted(want), got
    import subprocess
    y = subprocess.run(["dnstap-read", "-y", str(tap)], capture_output=True, text=True).stdout
    assert "identity: ns-test" in y and "query_port:" in y and "response_address: \"127.0.0.1\"" in y


def test_dnstap_unix_socket_to_fstrm_capture(ops, tmp_path):  # noqa: F811
    import shutil
    import subprocess
    import pytest
    if shutil.which("fstrm_capture") is None or shutil.which("dnstap-read") is None:
        pytest.skip("fstrm_capture (fstrm-bin) or dnstap-read not installed")
    sock = tmp_path / "tap.sock"
    out = tmp_path / "captured.fstrm"
    cap = subprocess.Popen(["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", str(sock), "-w", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        srv = ops.ternd(config=[f"dnstap: unix:{sock}"], metrics=False)
        for _ in range(3):
            query(srv, "www.example.org", "TXT")
        srv.stop()  # STOP, then fstrm_capture's FINISH
        assert srv.exit_status == 0
    finally:
        cap.terminate()
        cap.wait(10)
    got = [t for t in tap_lines(dnstap_read(str(out))) if "/CH/" not in t[2]]
    assert got == [("CQ", "UDP", "www.example.org/IN/TXT"), ("CR", "UDP", "www.example.org/IN/TXT")] * 3, got


def test_dnstap_socket_absent_drops_and_answers(ops, tmp_path):  # noqa: F811
    srv = ops.ternd(config=[f"dnstap: unix:{tmp_path}/nobody.sock"])
    for _ in range(10):
        assert query(srv, "www.example.org").rcode() == dns.rcode.NOERROR
    time.sleep(0.2)
    st = json.loads(ops.ctl(srv, "stats", json=True).stdout)
    assert st["dnstap"]["dropped"] >= 20 and st["dnstap"]["written"] == 0
    assert len([line for line in srv.log_text().splitlines() if "cannot connect" in line]) == 1


def test_dnstap_full_pipe_drops_whole_frames(ops, tmp_path):  # noqa: F811
    """A reader that stops reading: frames are dropped and counted, whole, and
    what reaches the reader is still a stream dnstap-read decodes to the end."""
    import shutil
    import threading
    import pytest
    if shutil.which("dnstap-read") is None:
        pytest.skip("dnstap-read (bind9-dnsutils) not installed")
    fifo = str(tmp_path / "tap.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    data = bytearray()
    done = threading.Event()
    try:
        srv = ops.ternd(config=[f"dnstap: {fifo}"])
        long = ".".join(["a" * 60, "b" * 60, "c" * 60]) + ".example.org"
        for _ in range(1200):  # some 600 bytes of dnstap each: more than the pipe and ternd's buffer hold
            query(srv, long)
        deadline = time.monotonic() + 5
        while "does not keep up" not in srv.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "does not keep up" in srv.log_text(), srv.log_text()
        assert query(srv, "www.example.org").rcode() == dns.rcode.NOERROR

        def drain():
            while not done.is_set():
                try:
                    chunk = os.read(reader, 65536)
                except BlockingIOError:
                    time.sleep(0.01)
                    continue
                if not chunk:
                    break
                data.extend(chunk)
        t = threading.Thread(target=drain)
        t.start()
        for _ in range(5):
            query(srv, "www.example.org", "MX")
        deadline = time.monotonic() + 5
        while "keeps up again" not in srv.log_text() and time.monotonic() < deadline:
            query(srv, "www.example.org", "MX")
            time.sleep(0.1)
        assert "keeps up again" in srv.log_text(), srv.log_text()
        st = json.loads(ops.ctl(srv, "stats", json=True).stdout)
        assert st["dnstap"]["dropped"] > 0 and st["dnstap"]["written"] > 200
        srv.stop()  # the last frames and STOP
        assert srv.exit_status == 0
        deadline = time.monotonic() + 5
        while t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        done.set()
        os.close(reader)
    assert len([line for line in srv.log_text().splitlines() if "does not keep up" in line]) == 1
    out = tmp_path / "got.fstrm"
    out.write_bytes(bytes(data))
    got = tap_lines(dnstap_read(str(out)))  # decodes to the end: no frame was cut
    assert len(got) >= st["dnstap"]["written"] and ("CQ", "UDP", "www.example.org/IN/MX") in got


def test_dnstap_collector_that_never_accepts(ops, tmp_path):  # noqa: F811
    """A collector that takes the connection and never answers READY: ternd
    answers on, counts the messages it drops, logs it once, and stops at
    once when told to."""
    import socket
    path = str(tmp_path / "mute.sock")
    lsn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsn.bind(path)
    lsn.listen(16)
    try:
        srv = ops.ternd(config=[f"dnstap: unix:{path}"])
        for _ in range(10):
            assert query(srv, "www.example.org").rcode() == dns.rcode.NOERROR
        time.sleep(1.5)  # a handshake waits a second for the ACCEPT
        st = json.loads(ops.ctl(srv, "stats", json=True).stdout)
        assert st["dnstap"]["written"] == 0 and st["dnstap"]["dropped"] >= 20
        lines = [line for line in srv.log_text().splitlines() if "cannot connect" in line]
        assert len(lines) == 1 and "no Frame Streams handshake" in lines[0], lines
        t0 = time.monotonic()
        srv.stop()
        assert srv.exit_status == 0 and time.monotonic() - t0 < 5
    finally:
        lsn.close()
