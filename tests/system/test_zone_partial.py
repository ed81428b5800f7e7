"""One broken zone does not take the others down ("Rough edges", item 6):
ternd starts with the zones that load, logs each failure as file:line,
answers SERVFAIL for a configured zone that has no data, retries it on
every reload, and a zone that breaks on reload keeps its old data while
the other zones update. `--check` still fails on any error."""
import os
import re
import subprocess

import dns.rcode

from conftest import is_aa
from ternd import binary
from test_core_reload import answer_of, wait_for, write


def zone(origin, serial, addr, extra=""):
    return f"""$ORIGIN {origin}.
$TTL 60
@ SOA ns hm {serial} 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
www A {addr}
{extra}"""


def conf_for(tmp_path, names):
    conf = tmp_path / "ternd.conf"
    conf.write_text("".join(f"zone:\n  name: {n}\n  file: {n}.zone\n" for n in names))
    return str(conf)


def test_starts_with_the_zones_that_load(run_ternd, tmp_path):
    (tmp_path / "good.test.zone").write_text(zone("good.test", 1, "192.0.2.10"))
    (tmp_path / "bad.test.zone").write_text(zone("bad.test", 1, "192.0.2.11", "oops FOO 1\n"))
    srv = run_ternd(None, args=["--config", conf_for(tmp_path, ["good.test", "bad.test"])], probe="good.test")
    for tcp in (False, True):
        assert answer_of(srv, "www.good.test", tcp=tcp) == ["192.0.2.10"]
        r = srv.query("www.bad.test", "A", tcp=tcp)
        # configured but without data: SERVFAIL, not REFUSED, not forwarded
        assert r.rcode() == dns.rcode.SERVFAIL and not is_aa(r)
        assert srv.query("bad.test", "SOA", tcp=tcp).rcode() == dns.rcode.SERVFAIL
    log = srv.log_text()
    assert re.search(r"bad\.test\.zone:7: .*FOO", log), log
    assert re.search(r"zone bad\.test\.?: .*SERVFAIL", log), log


def test_missing_zone_file_at_start(run_ternd, tmp_path):
    (tmp_path / "good.test.zone").write_text(zone("good.test", 1, "192.0.2.10"))
    srv = run_ternd(None, args=["--config", conf_for(tmp_path, ["good.test", "gone.test"])], probe="good.test")
    assert answer_of(srv, "www.good.test") == ["192.0.2.10"]
    assert srv.query("www.gone.test", "A").rcode() == dns.rcode.SERVFAIL
    assert "gone.test.zone" in srv.log_text()
    # retried on every reload: once the file is there, it is served
    write(str(tmp_path / "gone.test.zone"), zone("gone.test", 5, "192.0.2.50"))
    srv.reload()
    assert wait_for(lambda: answer_of(srv, "www.gone.test") == ["192.0.2.50"])


def test_broken_on_reload_keeps_old_data_while_others_update(run_ternd, tmp_path):
    a, b = str(tmp_path / "a.test.zone"), str(tmp_path / "b.test.zone")
    write(a, zone("a.test", 1, "192.0.2.10"))
    write(b, zone("b.test", 1, "192.0.2.20"))
    srv = run_ternd(None, args=["--config", conf_for(tmp_path, ["a.test", "b.test"])], probe="a.test")
    write(a, zone("a.test", 2, "192.0.2.11", "bad FOO 1\n"))
    write(b, zone("b.test", 2, "192.0.2.21"))
    srv.reload()
    assert wait_for(lambda: answer_of(srv, "www.b.test") == ["192.0.2.21"])
    for tcp in (False, True):
        assert answer_of(srv, "www.a.test", tcp=tcp) == ["192.0.2.10"]
        assert srv.query("a.test", "SOA", tcp=tcp).answer[0][0].serial == 1
    log = srv.log_text()
    assert re.search(r"a\.test\.zone:7: .*FOO", log), log
    assert re.search(r"zone a\.test\.?: .*serial 1 keeps serving", log), log
    # fixed: the next reload serves it
    write(a, zone("a.test", 3, "192.0.2.12"))
    srv.reload()
    assert wait_for(lambda: answer_of(srv, "www.a.test") == ["192.0.2.12"])
    assert answer_of(srv, "www.b.test") == ["192.0.2.21"]


def test_check_still_fails_on_a_broken_zone(tmp_path):
    (tmp_path / "good.test.zone").write_text(zone("good.test", 1, "192.0.2.10"))
    (tmp_path / "bad.test.zone").write_text(zone("bad.test", 1, "192.0.2.11", "oops FOO 1\n"))
    p = subprocess.run([binary(), "--check", "--config", conf_for(tmp_path, ["good.test", "bad.test"])],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "bad.test.zone:7:" in p.stdout + p.stderr
