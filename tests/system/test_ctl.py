"""ternctl against a running ternd (issue 13, item 1): every command, its
exit codes (0 ok, 1 ternd said error, 2 usage, 3 cannot connect), --json,
zone-add and cache-flush while queries flow (none lost), and hostile
clients on the control socket (garbage, huge lines, slow clients): ternd
keeps answering DNS and the next ternctl works."""
import json
import re
import os
import socket
import stat
import time

import dns.rcode

from fwd_helpers import Records, query, rdatas  # noqa: F401
from ops_helpers import Stream, ops, zone  # noqa: F401

NOERROR, REFUSED, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.REFUSED, dns.rcode.NXDOMAIN


def soa_serial(srv, origin):
    r = query(srv, origin, "SOA")
    assert r.rcode() == NOERROR and r.answer, r.to_text()
    return r.answer[0][0].serial


# ------------------------------------------------------------ finding ternd

def test_socket_is_unix_mode_0660_and_found_both_ways(ops):  # noqa: F811
    srv = ops.ternd()
    st = os.stat(srv.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    for via_socket in (False, True):
        r = ops.ctl(srv, "status", via_socket=via_socket)
        assert r.returncode == 0, r.stderr
        assert "ternd" in r.stdout and "workers: 2" in r.stdout and "zones: 1 (1 loaded)" in r.stdout


def test_exit_codes(ops, tmp_path):  # noqa: F811
    srv = ops.ternd()
    assert ops.ctl(srv, "no-such-command").returncode == 2
    assert ops.ctl(srv, "zone-add", "only-one-arg").returncode == 2
    assert ops.ctl(srv, "stats", "--bogus").returncode == 2
    r = ops.ctl(srv, "zone-status", "nosuch.example")
    assert r.returncode == 1 and "no such zone" in r.stderr
    r = ops.ctl(srv, "zone-status", "nosuch.example", json=True)
    assert r.returncode == 1 and json.loads(r.stdout) == {"ok": False, "error": "no such zone: nosuch.example"}
    r = subprocess_ctl(["-s", str(tmp_path / "nobody-here.sock"), "status"])
    assert r.returncode == 3 and "cannot connect" in r.stderr
    conf = tmp_path / "no-control.conf"
    conf.write_text("server:\n    threads: 1\n")
    r = subprocess_ctl(["-c", str(conf), "status"])
    assert r.returncode == 3 and "control" in r.stderr


def subprocess_ctl(argv):
    import subprocess
    from ternd import binary
    return subprocess.run([binary("ternctl")] + argv, capture_output=True, text=True, timeout=30)


# ------------------------------------------------------------ status, stats

def test_status_json_lists_upstreams(ops):  # noqa: F811
    up = ops.upstream(Records())
    srv = ops.ternd(forward=[up])
    assert query(srv, "www.up.test").rcode() == NOERROR
    r = ops.ctl(srv, "status", json=True)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["workers"] == 2 and st["zones"] == 1 and st["forwarding"] is True
    assert st["metrics"] == f"127.0.0.1:{srv.metrics_port}"
    assert [u["address"] for u in st["upstreams"]] == [up.addr]
    assert st["upstreams"][0]["state"] == "up" and st["upstreams"][0]["srtt_ms"] > 0
    human = ops.ctl(srv, "status").stdout
    assert f"upstream {up.addr} for .: up" in human


def test_stats_count_what_was_sent_and_reset(ops):  # noqa: F811
    srv = ops.ternd()
    for _ in range(5):
        assert query(srv, "www.example.org", "A").rcode() == NOERROR
    for _ in range(3):
        assert query(srv, "nx.example.org", "AAAA", tcp=True).rcode() == NXDOMAIN
    assert query(srv, "elsewhere.test", "SRV").rcode() == REFUSED
    st = json.loads(ops.ctl(srv, "stats", json=True).stdout)
    q = st["queries"]
    # wait_up probes with CH TXT: compare by type, which it does not use
    assert q["type"]["A"] >= 5 and q["type"]["AAAA"] == 3 and q["type"]["SRV"] == 1
    assert q["tcp"] == 3
    assert st["responses"]["rcode"]["NXDOMAIN"] == 3
    assert st["by_zone"]["example.org."]["NXDOMAIN"] == 3
    assert st["by_zone"]["example.org."]["NOERROR"] >= 5
    assert st["responses"]["source"]["zone"] >= 8
    assert st["tcp"]["accepted"] == 3
    text = ops.ctl(srv, "stats", "--reset").stdout
    assert "queries.type.AAAA 3" in text and "zone.example.org.rcode.NXDOMAIN 3" in text
    after = json.loads(ops.ctl(srv, "stats", json=True).stdout)
    assert after["queries"]["type"].get("AAAA", 0) == 0 and after["queries"]["tcp"] == 0
    assert query(srv, "www.example.org", "MX").rcode() == NOERROR
    assert json.loads(ops.ctl(srv, "stats", json=True).stdout)["queries"]["type"]["MX"] == 1


def test_sigusr1_logs_the_new_counters(ops):  # noqa: F811
    import signal
    srv = ops.ternd()
    assert query(srv, "nx.example.org", "A").rcode() == NXDOMAIN
    os.kill(srv.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while "NXDOMAIN" not in srv.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "responses NOERROR" in srv.log_text() and "NXDOMAIN 1" in srv.log_text(), srv.log_text()


def test_log_level(ops):  # noqa: F811
    srv = ops.ternd()
    assert ops.ctl(srv, "log-level", "debug").returncode == 0
    assert ops.ctl(srv, "status").returncode == 0
    assert "control: status" in srv.log_text()  # a debug line
    r = ops.ctl(srv, "log-level", "loud")
    assert r.returncode == 1 and "error, warning, info or debug" in r.stderr


# ------------------------------------------------------------ zones

def test_zone_status(ops):  # noqa: F811
    srv = ops.ternd(zones={"example.org": zone("example.org", serial=7), "example.net": zone("example.net", 9)})
    r = ops.ctl(srv, "zone-status")
    assert r.returncode == 0
    assert "example.org.\n  state: loaded\n  serial: 7\n" in r.stdout
    assert "example.net.\n  state: loaded\n  serial: 9\n" in r.stdout
    assert "  role: primary\n  expires in: -\n  journal: -\n  dnssec: unsigned\n" in r.stdout
    one = json.loads(ops.ctl(srv, "zone-status", "example.net", json=True).stdout)["zones"]
    assert len(one) == 1 and one[0]["serial"] == 9 and one[0]["file"].endswith("example.net.zone")
    assert one[0]["expires_in"] is None and one[0]["state"] == "loaded" and one[0]["role"] == "primary"


def test_reload_all_and_one_zone(ops):  # noqa: F811
    srv = ops.ternd(zones={"example.org": zone("example.org", 1), "example.net": zone("example.net", 1)})
    org = os.path.join(srv.workdir, "example.org.zone")
    net = os.path.join(srv.workdir, "example.net.zone")
    open(org, "w").write(zone("example.org", 2))
    open(net, "w").write(zone("example.net", 2))
    r = ops.ctl(srv, "reload", "example.org")
    assert r.returncode == 0 and "serial 2" in r.stdout, r.stderr
    assert soa_serial(srv, "example.org") == 2
    assert soa_serial(srv, "example.net") == 1  # only the zone asked for
    # a broken zone file: an error naming file:line, the old version serves
    open(org, "w").write(zone("example.org", 3) + "bad line here\n")
    r = ops.ctl(srv, "reload", "example.org")
    assert r.returncode == 1 and "example.org.zone:" in r.stderr and "previous version keeps serving" in r.stderr
    assert soa_serial(srv, "example.org") == 2
    r = ops.ctl(srv, "reload")  # everything, as SIGHUP
    assert r.returncode == 0 and "reloaded" in r.stdout, r.stderr
    assert soa_serial(srv, "example.net") == 2
    st = json.loads(ops.ctl(srv, "stats", json=True).stdout)
    assert st["reloads"] == {"ok": 1, "failed": 0} and st["zone_changes"] == 1
    # a configuration that does not parse: nothing changes, exit 1
    with open(srv.conf, "a") as f:
        f.write("    no-such-option: 1\n")
    r = ops.ctl(srv, "reload")
    assert r.returncode == 1 and "keep serving" in r.stderr
    assert soa_serial(srv, "example.net") == 2
    assert json.loads(ops.ctl(srv, "stats", json=True).stdout)["reloads"] == {"ok": 1, "failed": 1}


def test_reload_warns_that_operations_settings_need_a_restart(ops):  # noqa: F811
    srv = ops.ternd()
    text = open(srv.conf).read().replace(f"127.0.0.1:{srv.metrics_port}", "127.0.0.1:1")
    open(srv.conf, "w").write(text + "    query-log: q.log\n")
    r = ops.ctl(srv, "reload")
    assert r.returncode == 0, r.stderr
    log = srv.log_text()
    assert "reload: 'metrics' changed" in log and "reload: 'query-log' changed" in log, log
    assert "ternd_queries_total" in __import__("ops_helpers").scrape(srv)  # still where it was


def test_zone_add_and_remove_while_queries_flow(ops, tmp_path):  # noqa: F811
    srv = ops.ternd()
    newfile = tmp_path / "new.test.zone"
    newfile.write_text(zone("new.test", serial=5, last=77))
    assert query(srv, "www.new.test").rcode() == REFUSED
    with Stream(srv, "www.example.org") as s:
        time.sleep(0.2)
        r = ops.ctl(srv, "zone-add", "new.test", str(newfile))
        assert r.returncode == 0 and "serial 5" in r.stdout, r.stderr
        r = query(srv, "www.new.test")
        assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.77"]
        r = ops.ctl(srv, "zone-add", "new.test", str(newfile))
        assert r.returncode == 1 and "served already" in r.stderr
        r = ops.ctl(srv, "zone-remove", "new.test")
        assert r.returncode == 0, r.stderr
        assert query(srv, "www.new.test").rcode() == REFUSED
        time.sleep(0.2)
    assert s.sent > 20 and s.lost == 0 and s.wrong == 0, (s.sent, s.lost, s.wrong_text[:2])
    assert ops.ctl(srv, "zone-remove", "new.test").returncode == 1
    # a zone-add whose file does not load changes nothing
    bad = tmp_path / "bad.test.zone"
    bad.write_text("$ORIGIN bad.test.\nthis is not a zone\n")
    r = ops.ctl(srv, "zone-add", "bad.test", str(bad))
    assert r.returncode == 1 and "bad.test.zone:2" in r.stderr
    assert query(srv, "www.bad.test").rcode() == REFUSED
    # relative file names are made absolute by ternctl (ternd has its own directory)
    import subprocess
    from ternd import binary
    r = subprocess.run([binary("ternctl"), "-s", srv.sock, "zone-add", "new.test", "new.test.zone"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=30)
    assert r.returncode == 0, r.stderr
    assert rdatas(query(srv, "www.new.test")) == ["192.0.2.77"]


def test_runtime_zone_changes_outlive_a_full_reload(ops, tmp_path):  # noqa: F811
    import signal
    srv = ops.ternd(zones={"example.org": zone("example.org"), "example.net": zone("example.net")})
    newfile = tmp_path / "new.test.zone"
    newfile.write_text(zone("new.test", serial=5, last=77))
    assert ops.ctl(srv, "zone-add", "new.test", str(newfile)).returncode == 0
    assert ops.ctl(srv, "zone-remove", "example.net").returncode == 0
    assert ops.ctl(srv, "reload").returncode == 0
    assert rdatas(query(srv, "www.new.test")) == ["192.0.2.77"]
    assert query(srv, "www.example.net").rcode() == REFUSED
    assert query(srv, "www.example.org").rcode() == NOERROR
    os.kill(srv.pid, signal.SIGHUP)  # the same through SIGHUP
    deadline = time.monotonic() + 5
    while srv.log_text().count("reloaded:") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rdatas(query(srv, "www.new.test")) == ["192.0.2.77"]
    assert query(srv, "www.example.net").rcode() == REFUSED
    # adding it back at run time undoes the removal
    net = os.path.join(srv.workdir, "example.net.zone")
    assert ops.ctl(srv, "zone-add", "example.net", net).returncode == 0
    assert ops.ctl(srv, "reload").returncode == 0
    assert query(srv, "www.example.net").rcode() == NOERROR
    st = ops.ctl(srv, "zone-status").stdout
    assert "new.test." in st and "example.net." in st and "example.org." in st


def test_replication_commands(tmp_path):
    """zone-refresh and zone-retransfer on a secondary, zone-notify on a
    primary: a ternd primary A (no notify: line until the last step) and a
    ternd secondary B, both with control sockets."""
    import subprocess as sp
    from conftest import stop_clean
    from ternd import binary, start_ternd
    from xfr_helpers import wait_for, write, write_config, zone_text
    adir, bdir = tmp_path / "a", tmp_path / "b"
    adir.mkdir(), bdir.mkdir()
    body = "www A 192.0.2.10\n"
    a = start_ternd(adir, None, args=["--config", write_config(adir, {"rep.test": (
        zone_text("rep.test", 1, body), ["allow-transfer: 127.0.0.1"])}, server=["control: ctl.sock"])],
        probe="rep.test.")
    b = None

    def ctl(srv_dir, *args):
        return sp.run([binary("ternctl"), "-s", os.path.join(str(srv_dir), "ctl.sock")] + list(args),
                      capture_output=True, text=True, timeout=30)

    def serial(srv):
        r = query(srv, "rep.test", "SOA")
        return r.answer[0][0].serial if r.answer else None

    try:
        conf = write_config(bdir, {"rep.test": (zone_text("rep.test", 1, body),
                                                [f"primary: {a.host}:{a.port}"])}, server=["control: ctl.sock"])
        b = start_ternd(bdir, None, args=["--config", conf], probe="rep.test.")
        assert wait_for(lambda: serial(b) == 1, timeout=5)
        # a change at A without NOTIFY: B only sees it when told to look
        write(str(adir / "rep.test.zone"), zone_text("rep.test", 2, "www A 192.0.2.20\n"))
        a.reload()
        assert wait_for(lambda: serial(a) == 2, timeout=5)
        r = ctl(bdir, "zone-refresh", "rep.test")
        assert r.returncode == 0 and "checking the primaries" in r.stdout, r.stdout + r.stderr
        assert wait_for(lambda: serial(b) == 2, timeout=5), b.log_text()[-2000:]
        r = ctl(bdir, "zone-retransfer", "rep.test")
        assert r.returncode == 0, r.stdout + r.stderr
        assert wait_for(lambda: "transferring the whole zone again" in b.log_text(), timeout=5)
        assert wait_for(lambda: "serial 2 -> 2 by AXFR" in b.log_text(), timeout=5), b.log_text()[-2000:]
        assert rdatas(query(b, "www.rep.test")) == ["192.0.2.20"]
        # zone-status shows the replication state
        st = ctl(bdir, "zone-status", "rep.test").stdout
        assert "role: secondary" in st and re.search(r"expires in: \d+ s", st), st
        st = ctl(adir, "zone-status", "rep.test").stdout
        assert "role: primary" in st and "journal: 1 difference(s) from serial 1" in st, st
        # the wrong side: refresh a primary zone, notify without targets
        r = ctl(adir, "zone-refresh", "rep.test")
        assert r.returncode == 1 and "not a secondary" in r.stderr, r.stdout + r.stderr
        r = ctl(adir, "zone-notify", "rep.test")
        assert r.returncode == 1 and "no notify" in r.stderr, r.stdout + r.stderr
        assert ctl(bdir, "zone-refresh", "nosuch.test").returncode == 1
        # with a notify: target, zone-notify sends it now (B logs it)
        write_config(adir, {"rep.test": (zone_text("rep.test", 2, "www A 192.0.2.20\n"),
                                         ["allow-transfer: 127.0.0.1", f"notify: {b.host}:{b.port}"])},
                     server=["control: ctl.sock"])
        reloads = a.log_text().count("reloaded:")
        a.reload()
        assert wait_for(lambda: a.log_text().count("reloaded:") > reloads, timeout=5)
        before = b.log_text().count("NOTIFY received")
        r = ctl(adir, "zone-notify", "rep.test")
        assert r.returncode == 0 and "queued to 1 target" in r.stdout, r.stdout + r.stderr
        assert wait_for(lambda: b.log_text().count("NOTIFY received") > before or "acknowledged" in a.log_text(),
                        timeout=5), a.log_text()[-2000:]
    finally:
        if b:
            stop_clean(b)
        stop_clean(a)


# ------------------------------------------------------------ cache

def test_cache_dump_and_flush_subtree_while_queries_flow(ops):  # noqa: F811
    records = Records()
    records.add("a.sub.up.test. 300 IN A 192.0.2.91")
    records.add("b.deep.sub.up.test. 300 IN A 192.0.2.92")
    up = ops.upstream(records)
    srv = ops.ternd(forward=[up])
    for name in ("www.up.test", "a.sub.up.test", "b.deep.sub.up.test", "txt.up.test"):
        query(srv, name, "TXT" if name.startswith("txt") else "A")
    dump = ops.ctl(srv, "cache-dump")
    assert dump.returncode == 0
    lines = [line for line in dump.stdout.splitlines() if not line.startswith(";")]
    a_sub = [line for line in lines if line.startswith("a.sub.up.test.")]
    assert len(a_sub) == 1 and a_sub[0].split("\t")[2:] == ["IN", "A", "192.0.2.91"]
    assert 295 <= int(a_sub[0].split("\t")[1]) <= 300
    entries = json.loads(ops.ctl(srv, "cache-dump", json=True).stdout)["entries"]
    assert {"name": "www.up.test.", "type": "A"} in [{"name": e["name"], "type": e["type"]} for e in entries]
    with Stream(srv, "www.up.test") as s:
        time.sleep(0.2)
        r = ops.ctl(srv, "cache-flush", "sub.up.test")
        assert r.returncode == 0 and "flushed 2 entries" in r.stdout, r.stdout
        time.sleep(0.2)
    assert s.sent > 20 and s.lost == 0 and s.wrong == 0, (s.sent, s.lost, s.wrong_text[:2])
    before = up.count("a.sub.up.test")
    query(srv, "a.sub.up.test")
    assert up.count("a.sub.up.test") == before + 1  # asked again: it was flushed
    www = up.count("www.up.test")
    query(srv, "www.up.test")
    assert up.count("www.up.test") == www  # outside the subtree: still cached
    r = ops.ctl(srv, "cache-flush", "txt.up.test", "TXT", json=True)
    assert json.loads(r.stdout) == {"flushed": 1}
    r = ops.ctl(srv, "cache-flush")
    assert r.returncode == 0 and "flushed" in r.stdout
    assert "; 0 entries" in ops.ctl(srv, "cache-dump").stdout
    assert ops.ctl(srv, "cache-flush", "x.test", "NOTATYPE").returncode == 1


def test_cache_commands_without_forwarding(ops):  # noqa: F811
    srv = ops.ternd()
    r = ops.ctl(srv, "cache-flush")
    assert r.returncode == 1 and "forwarding is off" in r.stderr


# ------------------------------------------------------------ stop

def test_stop(ops):  # noqa: F811
    srv = ops.ternd()
    r = ops.ctl(srv, "stop")
    assert r.returncode == 0 and "stopping" in r.stdout
    srv.proc.wait(timeout=10)
    assert srv.proc.returncode == 0, srv.log_text()
    assert not os.path.exists(srv.sock)


# ------------------------------------------------------------ hostile clients

def raw_ctl(path, data, timeout=10.0, shut=True):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                out += c
        except (ConnectionResetError, socket.timeout):
            pass
        return out


def test_hostile_requests_get_errors(ops):  # noqa: F811
    srv = ops.ternd()
    cases = [
        b"\x00\x01\x02garbage\n",
        b"status \xff\xfe\n",
        b"\n",
        b"--json\n",
        b"status extra args here now\n",
        b"stats --reset --reset --what\n",
        b"zone-add a b c d e f g h i j k\n",
        b"status",  # no newline, then EOF
        b"A" * (1 << 20),  # a huge line
        b"status\r\n",
    ]
    for data in cases:
        out = raw_ctl(srv.sock, data)
        if data == b"status\r\n":
            assert out.startswith(b"ok\n"), out[:100]
        else:
            assert out.startswith(b"error\n"), (data[:40], out[:200])
    assert ops.ctl(srv, "status").returncode == 0
    assert query(srv, "www.example.org").rcode() == NOERROR


def test_slow_client_is_closed_and_ternd_keeps_answering(ops):  # noqa: F811
    srv = ops.ternd()
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.connect(srv.sock)
    slow.sendall(b"sta")  # and nothing more
    t0 = time.monotonic()
    for _ in range(10):
        assert query(srv, "www.example.org").rcode() == NOERROR
    r = ops.ctl(srv, "status", timeout=20)  # waits for the slow one's timeout at most
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 8
    slow.settimeout(10)
    assert slow.recv(100).startswith(b"error\nrequest timed out")
    slow.close()
