"""Dynamic update (RFC 2136, RFC 3007 TSIG) against ternd as primary
(issue "Replication", item 6): nsupdate -y (BIND) and knsupdate (Knot)
add and delete records; prerequisites; allow-update by address and key;
the serial goes up; the change survives a restart (the zone file is
rewritten atomically); a Knot secondary follows by NOTIFY + IXFR; 100
updates in a row while queries flow lose no query."""
import os
import shutil
import subprocess
import threading
import time

import dns.message
import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update
import pytest

from conftest import stop_clean
from peers import free_port, start_knot_secondary
from ternd import start_ternd
from xfr_helpers import KEY_NAME, KEY_SECRET, KEYRING, canonical, rrs_of, transfer, wait_for, xfr_query, zone_text

ORIGIN = "upd.test"
BODY = "www A 192.0.2.10\nold TXT \"old\"\n"


def start(tmp_path, options, threads=2, name="ternd.conf"):
    zfile = tmp_path / f"{ORIGIN}.zone"
    if not zfile.exists():
        zfile.write_text(zone_text(ORIGIN, 1, BODY))
    conf = tmp_path / name
    conf.write_text(f"key:\n    name: {KEY_NAME}\n    secret: {KEY_SECRET}\n"
                    f"zone:\n    name: {ORIGIN}\n    file: {zfile}\n" + "".join(f"    {o}\n" for o in options))
    return start_ternd(tmp_path, None, args=["--config", str(conf)], probe=ORIGIN + ".", threads=threads)


def ask(srv, name, qtype="TXT"):
    r = dns.query.udp(dns.message.make_query(name, qtype), srv.host, port=srv.port, timeout=2)
    return r.rcode(), sorted(rd.to_text() for s in r.answer for rd in s)


def serial(srv):
    r = dns.query.udp(dns.message.make_query(ORIGIN, "SOA"), srv.host, port=srv.port, timeout=2)
    return r.answer[0][0].serial


def nsupdate(tool, srv, commands):
    secret = f"hmac-sha256:{KEY_NAME.rstrip('.')}:{KEY_SECRET}"
    script = f"server {srv.host} {srv.port}\nzone {ORIGIN}\n" + commands
    p = subprocess.run([tool, "-y", secret], input=script, capture_output=True, text=True, timeout=30)
    return p


@pytest.mark.parametrize("tool", ["nsupdate", "knsupdate"])
def test_signed_update_add_delete_and_restart(tmp_path, tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed")
    srv = start(tmp_path, [f"allow-update: 127.0.0.1 key {KEY_NAME}"])
    try:
        p = nsupdate(tool, srv, f"update add _acme-challenge.www.{ORIGIN}. 60 TXT \"token-1\"\nsend\n")
        assert p.returncode == 0, p.stdout + p.stderr
        assert ask(srv, f"_acme-challenge.www.{ORIGIN}") == (dns.rcode.NOERROR, ['"token-1"'])
        assert serial(srv) == 2
        p = nsupdate(tool, srv, f"update delete old.{ORIGIN}. TXT\nupdate add new.{ORIGIN}. 60 A 192.0.2.99\nsend\n")
        assert p.returncode == 0, p.stdout + p.stderr
        assert ask(srv, f"old.{ORIGIN}")[0] == dns.rcode.NXDOMAIN
        assert ask(srv, f"new.{ORIGIN}", "A") == (dns.rcode.NOERROR, ["192.0.2.99"])
        assert serial(srv) == 3
        assert "UPDATE from 127.0.0.1 for upd.test.: serial 2 -> 3" in srv.log_text()
    finally:
        stop_clean(srv)
    # the zone file holds the change: a restart serves it at once
    text = (tmp_path / f"{ORIGIN}.zone").read_text()
    assert "token-1" in text and "192.0.2.99" in text
    srv = start(tmp_path, [f"allow-update: 127.0.0.1 key {KEY_NAME}"])
    try:
        assert ask(srv, f"_acme-challenge.www.{ORIGIN}") == (dns.rcode.NOERROR, ['"token-1"'])
        assert serial(srv) == 3
    finally:
        stop_clean(srv)


def test_refusals_and_prerequisites(tmp_path):
    srv = start(tmp_path, [f"allow-update: 127.0.0.1 key {KEY_NAME}"])
    try:
        # unsigned: the allow-update line wants the key
        u = dns.update.UpdateMessage(ORIGIN)
        u.add("x", 60, "A", "192.0.2.1")
        assert dns.query.tcp(u, srv.host, port=srv.port, timeout=3).rcode() == dns.rcode.REFUSED
        # a zone not served: NOTAUTH (signed)
        u = dns.update.UpdateMessage("other.test", keyring=KEYRING, keyname=KEY_NAME)
        u.add("x", 60, "A", "192.0.2.1")
        assert dns.query.tcp(u, srv.host, port=srv.port, timeout=3).rcode() == dns.rcode.NOTAUTH
        # prerequisites: the answer is signed and says why (RFC 2136 3.2)
        u = dns.update.UpdateMessage(ORIGIN, keyring=KEYRING, keyname=KEY_NAME)
        u.present("nothere")
        u.add("x", 60, "A", "192.0.2.1")
        r = dns.query.udp(u, srv.host, port=srv.port, timeout=3)
        assert r.rcode() == dns.rcode.NXDOMAIN and r.had_tsig
        u = dns.update.UpdateMessage(ORIGIN, keyring=KEYRING, keyname=KEY_NAME)
        u.absent("www")
        u.add("x", 60, "A", "192.0.2.1")
        assert dns.query.tcp(u, srv.host, port=srv.port, timeout=3).rcode() == dns.rcode.YXDOMAIN
        u = dns.update.UpdateMessage(ORIGIN, keyring=KEYRING, keyname=KEY_NAME)
        u.present("www", "A", "192.0.2.10")
        u.replace("www", 60, "A", "192.0.2.11")
        assert dns.query.tcp(u, srv.host, port=srv.port, timeout=3).rcode() == dns.rcode.NOERROR
        assert ask(srv, f"www.{ORIGIN}", "A") == (dns.rcode.NOERROR, ["192.0.2.11"])
        # a name outside the zone: NOTZONE
        u = dns.update.UpdateMessage(ORIGIN, keyring=KEYRING, keyname=KEY_NAME)
        u.add("x.elsewhere.", 60, "A", "192.0.2.1")
        assert dns.query.tcp(u, srv.host, port=srv.port, timeout=3).rcode() == dns.rcode.NOTZONE
        # a wrong key: NOTAUTH (BADSIG) before anything is read
        bad = dns.tsigkeyring.from_text({KEY_NAME: ("hmac-sha256", "AAAA" + KEY_SECRET[4:])})
        u = dns.update.UpdateMessage(ORIGIN, keyring=bad, keyname=KEY_NAME)
        u.add("x", 60, "A", "192.0.2.1")
        with pytest.raises(Exception):  # dnspython cannot verify the error's TSIG with its key
            dns.query.tcp(u, srv.host, port=srv.port, timeout=3)
        assert ask(srv, f"x.{ORIGIN}", "A")[0] == dns.rcode.NXDOMAIN
    finally:
        stop_clean(srv)
    # without allow-update nobody may update
    srv = start(tmp_path, [], name="plain.conf")
    try:
        u = dns.update.UpdateMessage(ORIGIN, keyring=KEYRING, keyname=KEY_NAME)
        u.add("x", 60, "A", "192.0.2.1")
        assert dns.query.tcp(u, srv.host, port=srv.port, timeout=3).rcode() == dns.rcode.REFUSED
    finally:
        stop_clean(srv)


def test_100_updates_while_queries_flow_and_a_secondary_follows(tmp_path):
    if shutil.which("knotd") is None or shutil.which("nsupdate") is None:
        pytest.skip("knotd or nsupdate not installed")
    kport = free_port()
    srv = start(tmp_path, [f"allow-update: 127.0.0.1 key {KEY_NAME}", "allow-transfer: 127.0.0.1",
                           f"notify: 127.0.0.1:{kport}"])
    sec = None
    stop = threading.Event()
    counts = {"asked": 0, "answered": 0}

    def query_loop():
        while not stop.is_set():
            counts["asked"] += 1
            q = dns.message.make_query(f"www.{ORIGIN}", "A")
            for attempt in range(2):  # a client retries once, as stubs do (UDP is lossy under load)
                try:
                    r = dns.query.udp(q, srv.host, port=srv.port, timeout=2)
                    if r.rcode() == dns.rcode.NOERROR and r.answer:
                        counts["answered"] += 1
                    break
                except Exception:
                    pass

    try:
        sec = start_knot_secondary(tmp_path, ORIGIN, (srv.host, srv.port), port=kport)
        assert wait_for(lambda: serial_of(sec) == 1, timeout=5), sec.log_text()
        t = threading.Thread(target=query_loop)
        t.start()
        # one nsupdate session, 100 updates: add, then delete the one before
        cmds = []
        for i in range(100):
            cmds.append(f"update add t{i}.{ORIGIN}. 60 TXT \"v{i}\"")
            if i:
                cmds.append(f"update delete t{i - 1}.{ORIGIN}. TXT")
            cmds.append("send")
        p = nsupdate("nsupdate", srv, "\n".join(cmds) + "\n")
        stop.set()
        t.join()
        assert p.returncode == 0, p.stdout + p.stderr
        assert counts["asked"] > 50 and counts["answered"] == counts["asked"], counts
        assert serial(srv) == 101
        assert ask(srv, f"t99.{ORIGIN}") == (dns.rcode.NOERROR, ['"v99"'])
        assert ask(srv, f"t98.{ORIGIN}")[0] == dns.rcode.NXDOMAIN
        # the secondary follows (NOTIFY -> IXFR) to the same content
        assert wait_for(lambda: serial_of(sec) == 101, timeout=15), sec.log_text()[-3000:]
        mine = rrs_of(transfer(srv.host, srv.port, xfr_query(ORIGIN)))
        theirs = rrs_of(transfer(sec.host, sec.port, xfr_query(ORIGIN)))
        assert canonical(theirs[:-1]) == canonical(mine[:-1])
        assert "IXFR, incoming" in sec.log_text()
    finally:
        stop.set()
        if sec:
            sec.stop()
        stop_clean(srv)


def serial_of(peer):
    try:
        r = dns.query.udp(dns.message.make_query(ORIGIN, "SOA"), peer.host, port=peer.port, timeout=0.5)
        return r.answer[0][0].serial if r.answer else None
    except Exception:
        return None
