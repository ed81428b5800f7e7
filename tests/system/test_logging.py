"""ternd's log (issue 10, items 10, 18 and 19): levels that add output (-v,
-vv, -q, log-level), the decisions for each query at debug, upstream
down/up transitions once each, a log file reopened on SIGHUP, ISO 8601
timestamps with the UTC offset, what start-up says; --check printing plain
file:line lines in file order; and the configuration line named for
local-data and for missing zone and hosts files."""
import os
import re
import signal
import subprocess
import time

import dns.rcode

from conftest import core_zones, stop_clean
from fwd_helpers import Upstream, dead_addr, fwd, query, wait_up  # noqa: F401
from peers import free_port
from ternd import binary, start_ternd

# 2026-12-06T09:30:00.123+00:00 ternd[42] info: ...
ISO_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d ternd\[\d+\] "
                      r"(error|warning|info|debug): ")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def debug_lines(text):
    return [l for l in text.splitlines() if " debug: " in l]


def ternd_run(args, cwd, timeout=10):
    return subprocess.run([binary()] + list(args), cwd=str(cwd), capture_output=True, text=True, timeout=timeout)


# ------------------------------------------------------------ levels

def test_no_debug_lines_by_default(run_ternd):
    srv = run_ternd(core_zones())
    assert srv.query("www.example.com", "A").answer
    time.sleep(0.2)
    assert not debug_lines(srv.log_text()), srv.log_text()


def test_verbose_logs_each_query_decision(run_ternd):
    srv = run_ternd(core_zones(), args=["-v"])
    assert srv.query("www.example.com", "A").answer
    r = srv.query("nothing.example.com", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    r = srv.query("www.elsewhere.test", "A")  # no zone, no forwarding
    assert r.rcode() == dns.rcode.REFUSED
    assert wait_for(lambda: len(debug_lines(srv.log_text())) >= 3), srv.log_text()
    dbg = "\n".join(debug_lines(srv.log_text()))
    assert re.search(r"127\.0\.0\.1#\d+ www\.example\.com\.? A\b.*NOERROR.*zone example\.com", dbg), dbg
    assert re.search(r"nothing\.example\.com\.? A\b.*NXDOMAIN.*zone example\.com", dbg), dbg
    assert re.search(r"www\.elsewhere\.test\.? A\b.*REFUSED.*forwarding", dbg), dbg


def test_log_level_debug_in_config(run_ternd, tmp_path):
    (tmp_path / "ternd.conf").write_text("server:\n    log-level: debug\n")
    srv = run_ternd(core_zones(), args=["--config", "ternd.conf"])
    assert srv.query("www.example.com", "TXT", tcp=True)
    assert wait_for(lambda: re.search(r"www\.example\.com\.? TXT.*TCP", srv.log_text())), srv.log_text()


def test_v_vv_q_step_from_the_configured_level(run_ternd, tmp_path):
    """-v is one level more than configured, -vv two, -q one less."""
    (tmp_path / "ternd.conf").write_text("server:\n    log-level: warning\n")
    for d in "abcd":
        (tmp_path / d).mkdir()
    quiet = run_ternd(core_zones(), args=["--config", "../ternd.conf"], workdir=tmp_path / "a")
    one = run_ternd(core_zones(), args=["--config", "../ternd.conf", "-v"], workdir=tmp_path / "b")
    two = run_ternd(core_zones(), args=["--config", "../ternd.conf", "-vv"], workdir=tmp_path / "c")
    less = run_ternd(core_zones(), args=["-q"], workdir=tmp_path / "d")
    for s in (quiet, one, two, less):
        assert s.query("www.example.com", "A").answer
    assert wait_for(lambda: debug_lines(two.log_text())), two.log_text()
    for s in (quiet, one, two, less):
        s.stop()  # the logs are complete (run_ternd still checks the exit status)
    assert " ready" in one.log_text() and not debug_lines(one.log_text()), one.log_text()
    assert " ready" not in quiet.log_text() and "zone example.com" not in quiet.log_text(), quiet.log_text()
    assert " ready" not in less.log_text(), less.log_text()


def test_verbose_logs_forwarding_and_servfail(fwd):  # noqa: F811
    srv = fwd.ternd(forward=[dead_addr()], config=["forward-timeout: 300"], args=["-v"])
    assert query(srv, "www.up.test").rcode() == dns.rcode.SERVFAIL
    assert wait_for(lambda: re.search(r"www\.up\.test\.? A\b.*SERVFAIL", srv.log_text())), srv.log_text()
    assert re.search(r"www\.up\.test\.? A\b.*(ask|forward)", srv.log_text()), srv.log_text()


def test_verbose_logs_rate_limiting(run_ternd):
    import socket
    import dns.message
    srv = run_ternd(core_zones(), args=["-v", "--rrl-limit", "5"])
    wire = dns.message.make_query("www.example.com", "A").to_wire()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(60):
            s.sendto(wire, (srv.host, srv.port))
    assert wait_for(lambda: re.search(r"rate limit.*127\.0\.0\.1#\d+.*(slipped|dropped)", srv.log_text())), \
        srv.log_text()[-3000:]


# ------------------------------------------------------------ info level

def test_upstream_down_and_up_logged_once_each(fwd):  # noqa: F811
    port = free_port()
    addr = f"127.0.0.1:{port}"
    srv = fwd.ternd(forward=[addr], config=["forward-timeout: 400"])
    # down after 3 failures in a row spread over at least a second
    # (resolve/attempt.h): distinct names, so the failure cache is no help
    for i in range(20):
        assert query(srv, f"n{i}.up.test").rcode() == dns.rcode.SERVFAIL
        if f"upstream {addr} down" in srv.log_text():
            break
        time.sleep(0.1)
    assert wait_for(lambda: f"upstream {addr} down" in srv.log_text()), srv.log_text()
    assert srv.log_text().count(f"upstream {addr} down") == 1, srv.log_text()
    up = fwd.upstream(port=port)
    # while it is down, clients get SERVFAIL at once and one probe a second
    # checks it; the probe's answer brings it back
    assert wait_for(lambda: query(srv, "www.up.test", "A").rcode() == dns.rcode.NOERROR, timeout=8)
    for i in range(3):
        assert query(srv, f"www.up.test", "A" if i % 2 else "AAAA").rcode() == dns.rcode.NOERROR
    assert wait_for(lambda: f"upstream {addr} up" in srv.log_text()), srv.log_text()
    assert srv.log_text().count(f"upstream {addr} up") == 1, srv.log_text()
    assert up.count() >= 1


def test_startup_names_what_it_uses(fwd, tmp_path):  # noqa: F811
    up = fwd.upstream()
    fz = fwd.upstream()
    hosts = tmp_path / "hosts"
    hosts.write_text("192.0.2.7 printer.lan\n192.0.2.8 nas.lan nas\n")
    srv = fwd.ternd(forward=[up], forward_zones=[("corp.test", fz)],
                    local=["a.lan. A 192.0.2.1", "b.lan. A 192.0.2.2"], config=[f"hosts-file: {hosts}"])
    assert wait_for(lambda: " ready" in srv.log_text()), srv.log_text()  # said after the workers start
    log = srv.log_text()
    assert f"upstream {up.addr}" in log, log
    assert re.search(rf"forward-zone corp\.test\.?: upstream {re.escape(fz.addr)}", log), log
    # 5, and the PTR records made for the 4 addresses (local-data-ptr)
    assert re.search(r"local records: 9 records", log), log
    assert f"hosts-file {hosts}" in log, log
    assert re.search(r"listening on 127\.0\.0\.1:\d+", log), log


def test_listen_without_port_says_port_53(tmp_path):
    """--listen with no port means port 53, and the log says so (bound, or
    not: either way the message names the port)."""
    host = "127.0.0.53" if os.geteuid() != 0 else "127.0.9.53"
    srv = start_ternd(tmp_path, core_zones(), args=["--listen", host], wait=False)
    try:
        assert wait_for(lambda: re.search(rf"(listening on|cannot listen on) {re.escape(host)}:53\b",
                                          srv.log_text()), 10), srv.log_text()
    finally:
        srv.stop()


# ------------------------------------------------------------ destination, format

def test_timestamps_are_iso8601_with_offset(run_ternd):
    srv = run_ternd(core_zones(), args=["-v"])
    srv.query("www.example.com", "A")
    assert wait_for(lambda: debug_lines(srv.log_text()))
    lines = [l for l in srv.log_text().splitlines() if l.strip()]
    assert lines and all(ISO_LINE.match(l) for l in lines), lines


def test_timestamps_follow_tz(tmp_path):
    """Local time with its offset: TZ=UTC-5 (POSIX: 5 hours east) gives +05:00."""
    env = dict(os.environ, TZ="UTC-5")
    port = free_port()
    for origin, text in core_zones().items():
        (tmp_path / f"{origin}.zone").write_text(text)
    argv = [binary(), "--listen", f"127.0.0.1:{port}", "--threads", "1", "--forward", "none",
            "--zone", "example.com=example.com.zone"]
    p = subprocess.Popen(argv, cwd=str(tmp_path), env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=10)
    assert re.match(r"^\S+\+05:00 ternd\[", line), line


def test_log_file_reopened_on_sighup(run_ternd, tmp_path):
    (tmp_path / "ternd.conf").write_text("server:\n    log-file: logs/ternd.log\n")
    (tmp_path / "logs").mkdir()
    srv = run_ternd(core_zones(), args=["--config", "ternd.conf", "-v"])
    path = tmp_path / "logs" / "ternd.log"
    assert wait_for(lambda: path.exists() and " ready" in path.read_text()), srv.log_text()
    assert " ready" not in srv.log_text()  # nothing of it on stderr
    assert all(ISO_LINE.match(l) for l in path.read_text().splitlines())
    os.rename(path, str(path) + ".1")  # logrotate
    srv.query("before.example.com", "A")
    srv.reload()
    assert wait_for(lambda: path.exists() and "reloaded" in path.read_text()), srv.log_text()
    srv.query("after.example.com", "A")
    assert wait_for(lambda: "after.example.com" in path.read_text())
    old = (tmp_path / "logs" / "ternd.log.1").read_text()
    assert "before.example.com" in old and "after.example.com" not in old and "reloaded" not in old


def test_log_file_gets_the_whole_start_up(run_ternd, tmp_path):
    """The log file is opened once the configuration is read, before the
    zones load: their lines are in it, not on stderr."""
    (tmp_path / "ternd.conf").write_text("server:\n    log-file: ternd-file.log\n")
    srv = run_ternd(core_zones(), args=["--config", "ternd.conf"])
    path = tmp_path / "ternd-file.log"
    assert wait_for(lambda: path.exists() and " ready" in path.read_text()), srv.log_text()
    text = path.read_text()
    assert "starting" in text and re.search(r"zone example\.com\.?: \d+ records", text), text
    assert "zone example.com" not in srv.log_text(), srv.log_text()


def test_start_up_failure_with_log_file_says_where_to_look(tmp_path):
    # A broken zone no longer stops start-up (test_zone_partial.py); a bad
    # local record does, after the log file is open.
    (tmp_path / "ternd.conf").write_text("server:\n    log-file: ternd-file.log\n"
                                         "    local-data: \"x.t. A 192.0.2.300\"\n")
    p = ternd_run(["--listen", f"127.0.0.1:{free_port()}", "--config", "ternd.conf"], tmp_path)
    assert p.returncode != 0
    assert "ternd-file.log" in p.stderr, p.stderr
    assert re.search(r"ternd\.conf:3: .*192\.0\.2\.300", (tmp_path / "ternd-file.log").read_text())


def test_log_file_syslog_accepted(tmp_path):
    (tmp_path / "ternd.conf").write_text("server:\n    log-file: syslog\n")
    p = ternd_run(["--check", "--config", "ternd.conf"], tmp_path)
    assert p.returncode == 0, p.stderr


def test_log_file_unwritable_is_an_error(tmp_path):
    (tmp_path / "ternd.conf").write_text("server:\n    log-file: nosuchdir/ternd.log\n")
    p = ternd_run(["--listen", f"127.0.0.1:{free_port()}", "--config", "ternd.conf"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"nosuchdir/ternd\.log.*No such file", p.stderr), p.stderr


# ------------------------------------------------------------ --check

CHECK_CONF = """server:
    bogus: 1
zone:
    name: t
    unknown-zone-option: 2
server:
    local-data: "a.lan. A 192.0.2.300"
    threads: zero
    hosts-file: nohosts
zone:
    name: u
    file: missing.zone
"""


def test_check_prints_plain_lines_in_file_order(tmp_path):
    (tmp_path / "ternd.conf").write_text(CHECK_CONF)
    p = ternd_run(["--check", "--config", "ternd.conf"], tmp_path)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert not STAMP.search(out) and "ternd[" not in out, out
    located = [l for l in p.stderr.splitlines() if re.match(r"^ternd\.conf:\d+: ", l)]
    nums = [int(l.split(":")[1]) for l in located]
    assert nums == sorted(nums), p.stderr
    assert set(nums) >= {2, 3, 5, 7, 8, 9, 12}, p.stderr
    # everything located comes before the summary
    lines = p.stderr.splitlines()
    assert re.search(r"error\(s\)", lines[-1]), p.stderr


def test_check_warning_is_marked(tmp_path):
    (tmp_path / "t.zone").write_text("$ORIGIN t.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n"
                                     "sub NS ns.sub\nns.sub A 192.0.2.2\nx.sub A 192.0.2.3\n")
    p = ternd_run(["--check", "--zone", "t=t.zone"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^t\.zone:8: warning: ", p.stderr, re.M), p.stderr


# ------------------------------------------------------------ file:line

def test_local_data_error_names_its_config_line(tmp_path):
    conf = "server:\n    threads: 1\n\n# comment\n\n    local-data: \"ok.lan. A 192.0.2.1\"\n" \
           "    local-data: \"bad.lan. A 192.0.2.300\"\n"
    (tmp_path / "ternd.conf").write_text(conf)
    p = ternd_run(["--check", "--config", "ternd.conf"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"^ternd\.conf:7: .*192\.0\.2\.300", p.stderr, re.M), p.stderr
    assert "local-data:" not in p.stderr.replace("ternd.conf:7: ", ""), p.stderr


def test_local_data_directive_names_its_config_line(tmp_path):
    (tmp_path / "ternd.conf").write_text("server:\n    local-data: \"$INCLUDE /etc/hostname\"\n")
    p = ternd_run(["--check", "--config", "ternd.conf"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"^ternd\.conf:2: .*no directives", p.stderr, re.M), p.stderr


def test_local_data_from_command_line(tmp_path):
    p = ternd_run(["--check", "--forward", "none", "--local", "x.lan. A 1.2.3"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"^--local: ", p.stderr, re.M), p.stderr


def test_missing_zone_file_names_its_config_line(tmp_path):
    conf = "server:\n    threads: 1\nzone:\n    name: t\n    file: missing.zone\n"
    (tmp_path / "ternd.conf").write_text(conf)
    p = ternd_run(["--check", "--config", "ternd.conf"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"^ternd\.conf:5: zone file '[^']*missing\.zone': cannot open: No such file or directory$",
                     p.stderr, re.M), p.stderr


def test_missing_hosts_and_local_file_name_their_config_lines(tmp_path):
    conf = "server:\n    threads: 1\n    hosts-file: nohosts\n    local-file: nolocal\n"
    (tmp_path / "ternd.conf").write_text(conf)
    p = ternd_run(["--check", "--config", "ternd.conf"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"^ternd\.conf:3: hosts-file '[^']*nohosts': cannot open: No such file or directory$",
                     p.stderr, re.M), p.stderr
    assert re.search(r"^ternd\.conf:4: .*nolocal.*No such file", p.stderr, re.M), p.stderr


def test_hosts_file_errors_name_the_hosts_file_line(tmp_path):
    (tmp_path / "hosts").write_text("# hosts\n192.0.2.1 a.lan\n192.0.2.2 a.lan\n192.0.2.3 bad..name\n")
    (tmp_path / "ternd.conf").write_text("server:\n    hosts-file: hosts\n    local-data: \"a.lan. CNAME b.lan.\"\n")
    p = ternd_run(["--check", "--config", "ternd.conf"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"hosts:4: .*bad\.\.name", p.stderr), p.stderr
    # the CNAME beside the hosts' A records: one of the lines involved is named
    assert re.search(r"(ternd\.conf:3|hosts:[23]): .*CNAME", p.stderr), p.stderr
