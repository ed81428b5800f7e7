"""SIGHUP reload: a changed zone is served, a broken one leaves the old
data serving with the error logged as file:line, zones come and go with
the configuration file, and no query is lost while reloads happen under
load (issue 2, "What a user gets")."""
import os
import re
import socket
import threading
import time

import dns.message
import dns.rcode

from conftest import is_aa


def zone(serial, addr, extra=""):
    return f"""$ORIGIN r.test.
$TTL 60
@ SOA ns hm {serial} 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
www A {addr}
{extra}"""


def write(path, text):
    # write then rename: the reload never reads a half-written file
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def answer_of(srv, name="www.r.test", qtype="A", tcp=False):
    r = srv.query(name, qtype, tcp=tcp)
    return [rd.to_text() for s in r.answer for rd in s]


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def test_sighup_picks_up_changed_zone(run_ternd):
    srv = run_ternd({"r.test": zone(1, "192.0.2.10")})
    path = os.path.join(srv.workdir, "r.test.zone")
    assert answer_of(srv) == ["192.0.2.10"]
    write(path, zone(2, "192.0.2.20", "new A 192.0.2.21\n"))
    srv.reload()
    assert wait_for(lambda: answer_of(srv) == ["192.0.2.20"])
    for tcp in (False, True):
        assert answer_of(srv, tcp=tcp) == ["192.0.2.20"]
        assert answer_of(srv, "new.r.test", tcp=tcp) == ["192.0.2.21"]
        r = srv.query("r.test", "SOA", tcp=tcp)
        assert r.answer[0][0].serial == 2 and is_aa(r)
    # and a name that went away is NXDOMAIN
    write(path, zone(3, "192.0.2.30"))
    srv.reload()
    assert wait_for(lambda: srv.query("new.r.test", "A").rcode() == dns.rcode.NXDOMAIN)


def test_broken_zone_on_reload_keeps_old_data(run_ternd):
    srv = run_ternd({"r.test": zone(1, "192.0.2.10")})
    path = os.path.join(srv.workdir, "r.test.zone")
    write(path, zone(2, "192.0.2.20", "bad FOO 1\n"))
    srv.reload()
    # the zone that fails keeps its old version; the reload itself goes on
    # (tests/system/test_zone_partial.py: the other zones update)
    assert wait_for(lambda: "keeps serving" in srv.log_text())
    log = srv.log_text()
    assert re.search(r"r\.test\.zone:7: .*FOO", log), log
    for tcp in (False, True):
        assert answer_of(srv, tcp=tcp) == ["192.0.2.10"]
        assert srv.query("r.test", "SOA", tcp=tcp).answer[0][0].serial == 1
    # a missing file is an error too
    os.unlink(path)
    srv.reload()
    assert wait_for(lambda: srv.log_text().count("keeps serving") == 2)
    assert answer_of(srv) == ["192.0.2.10"]
    # once fixed, the next reload serves the new data
    write(path, zone(3, "192.0.2.30"))
    srv.reload()
    assert wait_for(lambda: answer_of(srv) == ["192.0.2.30"])


def test_reload_adds_and_removes_zones_from_config(run_ternd, tmp_path):
    (tmp_path / "a.zone").write_text(zone(1, "192.0.2.10").replace("r.test.", "a.test."))
    (tmp_path / "b.zone").write_text(zone(1, "192.0.2.11").replace("r.test.", "b.test."))
    conf = tmp_path / "ternd.conf"
    conf.write_text("zone:\n  name: a.test\n  file: a.zone\n")
    srv = run_ternd(None, args=["--config", str(conf)], probe="a.test")
    assert srv.query("www.b.test", "A").rcode() == dns.rcode.REFUSED
    conf.write_text("zone:\n  name: b.test\n  file: b.zone\n")
    srv.reload()
    assert wait_for(lambda: answer_of(srv, "www.b.test") == ["192.0.2.11"])
    assert srv.query("www.a.test", "A").rcode() == dns.rcode.REFUSED


def test_reload_under_load_loses_no_query(run_ternd):
    """Two threads query over UDP back to back (one outstanding query each,
    2 s to answer, no retry) while six SIGHUPs swap between two versions of a
    5000-name zone. Every query must be answered, with one of the two
    versions' data."""
    names = "".join(f"h{i} A 192.0.2.{i % 250 + 1}\n" for i in range(5000))
    versions = [zone(1, "192.0.2.10", names), zone(2, "192.0.2.20", names)]
    srv = run_ternd({"r.test": versions[0]}, threads=2)
    path = os.path.join(srv.workdir, "r.test.zone")
    stop = threading.Event()
    stats = []

    def load(k):
        sent = answered = wrong = 0
        seen = set()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2.0)
        try:
            while not stop.is_set():
                q = dns.message.make_query("www.r.test" if sent % 2 == 0 else f"h{sent % 5000}.r.test", "A")
                s.sendto(q.to_wire(), (srv.host, srv.port))
                sent += 1
                try:
                    while True:  # skip a late reply to an earlier query, if any
                        r = dns.message.from_wire(s.recv(4096))
                        if r.id == q.id:
                            break
                except socket.timeout:
                    continue  # lost: counted, never retried
                answered += 1
                if r.rcode() != dns.rcode.NOERROR or len(r.answer) != 1:
                    wrong += 1
                elif q.question[0].name.labels[0] == b"www":
                    seen.add(r.answer[0][0].to_text())
        finally:
            s.close()
        stats.append((k, sent, answered, wrong, seen))

    threads = [threading.Thread(target=load, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.2)
        for i in range(6):
            write(path, versions[(i + 1) % 2])
            srv.reload()
            time.sleep(0.25)
    finally:
        stop.set()
        for t in threads:
            t.join()
    sent = sum(s[1] for s in stats)
    answered = sum(s[2] for s in stats)
    wrong = sum(s[3] for s in stats)
    seen = set().union(*(s[4] for s in stats))
    print(f"reload under load: {sent} queries sent, {answered} answered, {sent - answered} lost, {wrong} wrong")
    assert sent > 200, "the load threads did not run"
    assert sent - answered == 0, f"{sent - answered} of {sent} queries lost during reloads"
    assert wrong == 0
    assert seen == {"192.0.2.10", "192.0.2.20"}, seen  # both versions were served
    log = srv.log_text()
    assert log.count("reloaded:") == 6, log
    assert answer_of(srv) == ["192.0.2.10"]  # the last version written
