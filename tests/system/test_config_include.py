"""include: FILE in the configuration (issue 13, item 6), as NSD and
Unbound have it: globs in sorted order, paths relative to the including
file, nesting bounded, a missing plain file an error (a pattern may match
nothing), and ternctl following include: to find control:."""
import os
import subprocess

import dns.rcode

from ops_helpers import zone
from ternd import binary, start_ternd
from conftest import stop_clean


def check(tmp_path, conf):
    (tmp_path / "ternd.conf").write_text(conf)
    return subprocess.run([binary(), "--check", "--config", "ternd.conf"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=30)


def test_include_globs_in_order_and_relative(tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    (tmp_path / "zones").mkdir()
    for name in ("b.test", "a.test"):
        (tmp_path / "zones" / f"{name}.zone").write_text(zone(name))
        (d / f"{name}.conf").write_text(f"zone:\n    name: {name}\n    file: ../zones/{name}.zone\n")
    (d / "server.conf").write_text("server:\n    threads: 1\n    include: ../more.conf\n")
    (tmp_path / "more.conf").write_text("server:\n    version: \"included\"\n")
    p = check(tmp_path, "server:\n    listen: 127.0.0.1:1\ninclude: conf.d/*.conf\n")
    assert p.returncode == 0, p.stderr
    assert "2 zone(s) OK" in p.stdout


def test_include_errors_name_file_and_line(tmp_path):
    p = check(tmp_path, "server:\n    include: nothing-here.conf\n")
    assert p.returncode != 0 and "ternd.conf:2: include" in p.stderr and "no such file" in p.stderr
    p = check(tmp_path, "server:\n    include: none/*.conf\n")  # a pattern may match nothing
    assert p.returncode == 0, p.stderr
    (tmp_path / "bad.conf").write_text("server:\n    threads: many\n")
    p = check(tmp_path, "include: bad.conf\n")
    assert p.returncode != 0 and "bad.conf:2:" in p.stderr
    (tmp_path / "loop.conf").write_text("include: loop.conf\n")
    p = check(tmp_path, "include: loop.conf\n")
    assert p.returncode != 0 and "nested more than 8 deep" in p.stderr
    p = check(tmp_path, "include:\n")
    assert p.returncode != 0 and "include wants a file" in p.stderr


def test_running_ternd_reads_includes_and_ternctl_follows_them(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "ctl.conf").write_text("server:\n    control: ../ctl.sock\n")
    (tmp_path / "a.test.zone").write_text(zone("a.test", serial=3))
    (tmp_path / "conf.d" / "zones.conf").write_text("zone:\n    name: a.test\n    file: ../a.test.zone\n")
    conf = tmp_path / "ternd.conf"
    conf.write_text("include: conf.d/*.conf\n")
    srv = start_ternd(tmp_path, {}, args=["--config", str(conf), "--forward", "none"], probe="a.test")
    try:
        assert srv.query("www.a.test").rcode() == dns.rcode.NOERROR
        r = subprocess.run([binary("ternctl"), "-c", str(conf), "zone-status", "a.test"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0 and "serial: 3" in r.stdout, r.stderr
        assert os.path.exists(tmp_path / "ctl.sock")
    finally:
        stop_clean(srv)
