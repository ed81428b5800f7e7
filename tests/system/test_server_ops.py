"""Running the server (issue 10, items 1, 2, 3 and 7): a second ternd on
the same address refuses to start; SIGUSR1 logs counters and no signal a
user sends by habit kills ternd silently; SIGHUP applies `listen:` and
`forward:` and warns for each changed setting that needs a restart; after
dropping privileges, files a reload will read are checked."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from fwd_helpers import Records, Upstream
from peers import LOOPBACK, free_port, wait_answering
from ternd import Ternd, binary, start_ternd

ZONE = """$ORIGIN ops.test.
$TTL 60
@ SOA ns host 1 7200 3600 1209600 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.1
"""

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")


def wait_for(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def answers(host, port, tcp=False, timeout=0.5):
    """Does host:port answer www.ops.test A?"""
    q = dns.message.make_query("www.ops.test", "A")
    try:
        if tcp:
            r = dns.query.tcp(q, host, port=port, timeout=timeout)
        else:
            r = dns.query.udp(q, host, port=port, timeout=timeout)
        return r.rcode() == dns.rcode.NOERROR and r.answer
    except (OSError, dns.exception.Timeout):
        return False


class Conf:
    """A ternd started from a configuration file alone (no --listen or
    --threads on the command line: those would override the file), which a
    test rewrites before SIGHUP."""

    def __init__(self, tmp_path, server_lines, extra_args=()):
        self.dir = tmp_path
        self.zone = tmp_path / "ops.test.zone"
        self.zone.write_text(ZONE)
        self.path = tmp_path / "ternd.conf"
        self.write(server_lines)
        resolv = tmp_path / "resolv.conf"
        resolv.write_text("")
        argv = [binary(), "--config", str(self.path), "--resolv-conf", str(resolv)] + list(extra_args)
        log = open(tmp_path / "ternd.log", "w")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp_path))
        self.srv = Ternd("ternd", proc, LOOPBACK, None, str(tmp_path), log)

    def write(self, server_lines):
        text = "server:\n" + "".join(f"    {line}\n" for line in server_lines)
        text += f"zone:\n    name: ops.test\n    file: {self.zone}\n"
        tmp = str(self.path) + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.path)

    def log(self):
        return self.srv.log_text()

    def reload(self, server_lines):
        """Rewrites the file, sends SIGHUP, waits for the reload to end."""
        done = self.log().count("reloaded:") + self.log().count("reload failed")
        self.write(server_lines)
        os.kill(self.srv.pid, signal.SIGHUP)
        assert wait_for(lambda: self.log().count("reloaded:") + self.log().count("reload failed") > done), \
            self.log()

    def stop(self):
        self.srv.stop()
        assert self.srv.exit_status == 0, self.log()


@pytest.fixture
def conf(tmp_path):
    made = []

    def make(server_lines, extra_args=()):
        c = Conf(tmp_path, server_lines, extra_args)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def ternd_argv(workdir, port, threads=2, host=LOOPBACK):
    zone = os.path.join(str(workdir), "ops.test.zone")
    with open(zone, "w") as f:
        f.write(ZONE)
    resolv = os.path.join(str(workdir), "resolv.conf")
    open(resolv, "w").close()
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [binary(), "--listen", listen, "--threads", str(threads), "--zone", f"ops.test={zone}",
            "--resolv-conf", resolv, "--forward", "none"]


# ------------------------------------------------- item 1: one process per address

def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("host", [LOOPBACK, "::1"])
def test_second_ternd_on_the_same_address_refuses_to_start(tmp_path, host):
    if host == "::1" and not ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    port = free_port(host)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_ternd(tmp_path / "a", {"ops.test": ZONE}, host=host, port=port, threads=2)
    try:
        p = subprocess.run(ternd_argv(tmp_path / "b", port, host=host), capture_output=True, text=True,
                           timeout=20)
        assert p.returncode != 0, p.stderr
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        assert shown in p.stderr and "already in use" in p.stderr, p.stderr
        # the first one keeps all the traffic: every query is answered
        for _ in range(20):
            assert answers(host, port, timeout=1.0)
        assert first.proc.poll() is None
    finally:
        first.stop()
    assert first.exit_status == 0


@pytest.mark.parametrize("kind", [socket.SOCK_DGRAM, socket.SOCK_STREAM])
def test_refuses_an_address_another_process_shares_with_reuseport(tmp_path, kind):
    """Another process of the same user holding the port with SO_REUSEPORT
    (UDP only, or a TCP listener only): ternd must not join its group."""
    port = free_port()
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((LOOPBACK, port))
    if kind == socket.SOCK_STREAM:
        s.listen(8)
    try:
        p = subprocess.run(ternd_argv(tmp_path, port), capture_output=True, text=True, timeout=20)
        assert p.returncode != 0
        proto = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
        assert re.search(rf"{LOOPBACK}:{port} \({proto}\): address already in use", p.stderr), p.stderr
    finally:
        s.close()


def test_own_workers_still_share_the_address(tmp_path):
    """The reuseport spread between one process's workers stays: 4 workers
    start, and a burst from many source ports is answered in full."""
    srv = start_ternd(tmp_path, {"ops.test": ZONE}, threads=4)
    try:
        for _ in range(40):
            assert answers(srv.host, srv.port, timeout=1.0)
        assert "already in use" not in srv.log_text()
    finally:
        srv.stop()
    assert srv.exit_status == 0


# ------------------------------------------------- item 2: signals

def test_sigusr1_logs_counters(tmp_path):
    srv = start_ternd(tmp_path, {"ops.test": ZONE})
    try:
        for _ in range(5):
            assert answers(srv.host, srv.port)
        for _ in range(2):
            assert answers(srv.host, srv.port, tcp=True)
        os.kill(srv.pid, signal.SIGUSR1)
        assert wait_for(lambda: "stats:" in srv.log_text()), srv.log_text()
        m = re.search(r"stats: .*queries (\d+) \(UDP (\d+), TCP (\d+)\), responses (\d+)", srv.log_text())
        assert m, srv.log_text()
        total, udp, tcp, responses = map(int, m.groups())
        # the start-up probe asked over UDP too
        assert udp >= 5 and tcp == 2 and total == udp + tcp and responses >= 7
        assert answers(srv.host, srv.port)
    finally:
        srv.stop()
    assert srv.exit_status == 0


HABIT = [signal.SIGUSR2, signal.SIGALRM, signal.SIGPIPE, signal.SIGWINCH, signal.SIGVTALRM, signal.SIGPROF,
         signal.SIGIO, signal.SIGPWR, signal.SIGCONT, signal.SIGURG, signal.SIGCHLD, signal.SIGXFSZ]


def test_signals_sent_by_habit_do_not_kill(tmp_path):
    srv = start_ternd(tmp_path, {"ops.test": ZONE})
    try:
        for sig in HABIT:
            os.kill(srv.pid, sig)
            time.sleep(0.05)
            assert srv.proc.poll() is None, f"{sig.name} killed ternd ({srv.proc.returncode})\n{srv.log_text()}"
            assert answers(srv.host, srv.port, timeout=1.0), sig.name
        assert wait_for(lambda: "SIGUSR2 ignored" in srv.log_text()), srv.log_text()
        assert "SIGALRM ignored" in srv.log_text()
    finally:
        srv.stop()
    assert srv.exit_status == 0


def test_sigquit_stops_cleanly(tmp_path):
    srv = start_ternd(tmp_path, {"ops.test": ZONE})
    os.kill(srv.pid, signal.SIGQUIT)
    assert srv.proc.wait(timeout=5) == 0
    assert "SIGQUIT: stopping" in srv.log_text()
    srv.stop()


# ------------------------------------------------- item 3: what SIGHUP applies

def test_sighup_moves_the_listen_address(conf):
    p1, p2 = free_port(), free_port()
    c = conf([f"listen: {LOOPBACK}:{p1}", "threads: 2", "forward: none"])
    wait_answering(LOOPBACK, p1, "ops.test", proc=c.srv.proc)
    # a TCP connection accepted before the reload stays open
    keep = socket.create_connection((LOOPBACK, p1), timeout=2)
    c.reload([f"listen: {LOOPBACK}:{p2}", "threads: 2", "forward: none"])
    assert wait_for(lambda: answers(LOOPBACK, p2) and answers(LOOPBACK, p2, tcp=True)), c.log()
    assert not answers(LOOPBACK, p1) and not answers(LOOPBACK, p1, tcp=True)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, p1), timeout=1).close()
    q = dns.message.make_query("www.ops.test", "A").to_wire()
    keep.sendall(struct.pack("!H", len(q)) + q)
    n = struct.unpack("!H", keep.recv(2))[0]
    assert dns.message.from_wire(keep.recv(n)).answer
    keep.close()
    assert f"no longer listening on {LOOPBACK}:{p1}" in c.log()
    assert f"listening on {LOOPBACK}:{p2}" in c.log()
    assert "restart" not in c.log()


def test_sighup_adds_and_keeps_listen_addresses(conf):
    p1, p2 = free_port(), free_port()
    c = conf([f"listen: {LOOPBACK}:{p1}", "forward: none"])
    wait_answering(LOOPBACK, p1, "ops.test", proc=c.srv.proc)
    c.reload([f"listen: {LOOPBACK}:{p1}", f"listen: {LOOPBACK}:{p2}", "forward: none"])
    for port in (p1, p2):
        for tcp in (False, True):
            assert wait_for(lambda: answers(LOOPBACK, port, tcp=tcp)), (port, tcp, c.log())


def test_sighup_to_a_taken_address_keeps_the_old_one(conf):
    p1, p2 = free_port(), free_port()
    c = conf([f"listen: {LOOPBACK}:{p1}", "forward: none"])
    wait_answering(LOOPBACK, p1, "ops.test", proc=c.srv.proc)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind((LOOPBACK, p2))
        c.reload([f"listen: {LOOPBACK}:{p2}", "forward: none"])
        assert f"{LOOPBACK}:{p2} (UDP): address already in use" in c.log()
        assert "listen addresses stay as they were" in c.log()
        assert answers(LOOPBACK, p1) and answers(LOOPBACK, p1, tcp=True)


def test_sighup_replaces_the_upstreams(conf):
    up1 = Upstream(Records())
    up2 = Upstream(Records())
    try:
        port = free_port()
        c = conf([f"listen: {LOOPBACK}:{port}", f"forward: {up1.addr}"])
        wait_answering(LOOPBACK, port, "ops.test", proc=c.srv.proc)
        r = dns.query.udp(dns.message.make_query("www.up.test", "A"), LOOPBACK, port=port, timeout=3)
        assert r.rcode() == dns.rcode.NOERROR and up1.count("www.up.test") == 1
        c.reload([f"listen: {LOOPBACK}:{port}", f"forward: {up2.addr}"])
        r = dns.query.udp(dns.message.make_query("mail.up.test", "A"), LOOPBACK, port=port, timeout=3)
        assert r.rcode() == dns.rcode.NOERROR
        assert up2.count("mail.up.test") == 1 and up1.count("mail.up.test") == 0
        assert "restart" not in c.log()
        # and forwarding can be turned off: names outside the zones are refused
        c.reload([f"listen: {LOOPBACK}:{port}", "forward: none"])
        r = dns.query.udp(dns.message.make_query("txt.up.test", "TXT"), LOOPBACK, port=port, timeout=3)
        assert r.rcode() == dns.rcode.REFUSED
        assert up1.count("txt.up.test") == 0 and up2.count("txt.up.test") == 0
    finally:
        up1.stop()
        up2.stop()


def test_sighup_replaces_a_forward_zone_upstream(conf):
    up1 = Upstream(Records())
    up2 = Upstream(Records())
    try:
        port = free_port()
        c = conf([f"listen: {LOOPBACK}:{port}", f"forward-zone: up.test={up1.addr}"])
        wait_answering(LOOPBACK, port, "ops.test", proc=c.srv.proc)
        r = dns.query.udp(dns.message.make_query("www.up.test", "A"), LOOPBACK, port=port, timeout=3)
        assert r.rcode() == dns.rcode.NOERROR and up1.count("www.up.test") == 1
        c.reload([f"listen: {LOOPBACK}:{port}", f"forward-zone: up.test={up2.addr}"])
        r = dns.query.udp(dns.message.make_query("mail.up.test", "A"), LOOPBACK, port=port, timeout=3)
        assert r.rcode() == dns.rcode.NOERROR
        assert up2.count("mail.up.test") == 1 and up1.count("mail.up.test") == 0
    finally:
        up1.stop()
        up2.stop()


def test_sighup_warns_for_each_setting_that_needs_a_restart(conf):
    port = free_port()
    base = [f"listen: {LOOPBACK}:{port}", "forward: none"]
    c = conf(base + ["threads: 2", "cache-size: 8m", "tcp-max-connections: 100"])
    wait_answering(LOOPBACK, port, "ops.test", proc=c.srv.proc)
    c.reload(base + ["threads: 3", "cache-size: 16m", "tcp-max-connections: 100"])
    log = c.log()
    assert re.search(r"'threads' changed \(2 -> 3\) but takes effect only on restart", log), log
    assert "'cache-size' changed" in log
    assert "'tcp-max-connections'" not in log  # unchanged
    assert answers(LOOPBACK, port)


def test_sighup_turning_forwarding_on_needs_a_restart(conf):
    up = Upstream(Records())
    try:
        port = free_port()
        c = conf([f"listen: {LOOPBACK}:{port}", "forward: none"])
        wait_answering(LOOPBACK, port, "ops.test", proc=c.srv.proc)
        c.reload([f"listen: {LOOPBACK}:{port}", f"forward: {up.addr}"])
        assert "'forward' changed, but forwarding was off at start" in c.log()
    finally:
        up.stop()


# ------------------------------------------------- item 7: readable after the drop

@pytest.fixture
def world_dir():
    d = tempfile.mkdtemp(prefix="tern-ops-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@ROOT_ONLY
def test_files_a_reload_cannot_read_are_named_at_start(world_dir):
    zone = os.path.join(world_dir, "ops.test.zone")
    with open(zone, "w") as f:
        f.write(ZONE)
    os.chmod(zone, 0o600)  # root's alone
    hosts = os.path.join(world_dir, "hosts")
    with open(hosts, "w") as f:
        f.write("192.0.2.7 printer.lan\n")
    os.chmod(hosts, 0o644)
    conf = os.path.join(world_dir, "ternd.conf")
    with open(conf, "w") as f:
        f.write(f"server:\n    forward: none\n    hosts-file: {hosts}\n")
    os.chmod(conf, 0o600)
    srv = start_ternd(world_dir, args=["--config", conf, "--zone", f"ops.test={zone}", "--user", "nobody"],
                      probe="ops.test")
    try:
        log = srv.log_text()
        assert re.search(rf"zone file {re.escape(zone)} is not readable by user nobody", log), log
        assert re.search(rf"configuration {re.escape(conf)} is not readable by user nobody", log), log
        assert hosts not in log.split("running as user")[-1]  # readable: no warning
        assert answers(srv.host, srv.port)
    finally:
        srv.stop()
    assert srv.exit_status == 0


@ROOT_ONLY
def test_no_warning_when_every_file_is_readable(world_dir):
    zone = os.path.join(world_dir, "ops.test.zone")
    with open(zone, "w") as f:
        f.write(ZONE)
    os.chmod(zone, 0o644)
    srv = start_ternd(world_dir, {}, args=["--zone", f"ops.test={zone}", "--user", "nobody", "--forward", "none"],
                      probe="ops.test")
    try:
        assert "not readable" not in srv.log_text()
    finally:
        srv.stop()
    assert srv.exit_status == 0
