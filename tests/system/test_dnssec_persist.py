"""How an UPDATE to a zone ternd signs is made durable (docs/architecture.md,
"Persisting a signed zone's changes"; issue 12: the 1M-name signed zone's
file, 617 MB, was rewritten before each UPDATE was answered):
  - the journal (<zone file>.jnl) is written before the answer, even
    without allow-transfer; the zone file is written by the writer thread
    after the answer (at a start the writer puts the signed zone in its
    file, so that the first UPDATE finds it known); a file changed behind
    the writer's back is written before the next answer, as before;
  - a zone file that lags behind its journal (a crash after the answer,
    before the file) is brought up to date from the journal at start-up
    and on reload, then signed; the data validate offline;
  - a journal that is not well formed is reported and the file used as it
    is; one that does not apply to the file likewise;
  - a stop writes what is pending."""
import shutil
import subprocess
import time

import dns.rcode
import dns.rdatatype
import pytest

from conftest import stop_clean
from dnssec_zones import ORIGIN
from ternd import start_ternd
from test_dnssec_resign import ZONE, axfr_text, nsupdate, serial, wait_serial
from xfr_helpers import KEY_NAME, KEY_SECRET


def config(work, denial, transfer=True):
    lines = ["server:", "    forward: none",
             "key:", f"    name: {KEY_NAME}", "    algorithm: hmac-sha256", f"    secret: {KEY_SECRET}",
             "zone:", "    name: sec.test", "    file: sec.zone", "    dnssec-signing: on",
             f"    dnssec-denial: {denial}", "    key-directory: keys",
             f"    allow-update: 127.0.0.1 key {KEY_NAME}"]
    if transfer:
        lines.append("    allow-transfer: 127.0.0.0/8")
    conf = work / "ternd.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def start(work, conf):
    return start_ternd(work, None, args=["--config", str(conf)], probe=ORIGIN)


def has_a(srv, name):
    r = srv.query(f"{name}.{ORIGIN}", "A", want_dnssec=True)
    return r.rcode() == dns.rcode.NOERROR and any(s.rdtype == dns.rdatatype.A for s in r.answer) and \
        any(s.rdtype == dns.rdatatype.RRSIG for s in r.answer)


def verify_offline(work, srv):
    path = work / "axfr.zone"
    path.write_text(axfr_text(srv))
    for argv in (["dnssec-verify", "-q", "-z", "-o", ORIGIN, str(path)], ["ldns-verify-zone", str(path)]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"{argv[0]}: {p.stdout}{p.stderr}"


def wait_log(srv, text, timeout=10):
    deadline = time.monotonic() + timeout
    while text not in srv.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    return text in srv.log_text()


@pytest.mark.parametrize("denial", ["nsec", "nsec3"])
def test_journal_first_file_later_and_replayed(tmp_path, denial):
    (tmp_path / "sec.zone").write_text(ZONE)
    (tmp_path / "keys").mkdir()
    conf = config(tmp_path, denial, transfer=False)  # the journal is kept all the same
    srv = start(tmp_path, conf)
    try:
        first = serial(srv)
        # at the start the writer puts the signed zone in its file, so that
        # the first UPDATE finds the file known
        assert wait_log(srv, f"serial {first} written to"), srv.log_text()
        p = nsupdate(srv, "update add u1.sec.test. 300 A 192.0.2.201\nsend\n")
        assert p.returncode == 0, p.stdout + p.stderr
        wait_serial(srv, first + 1)
        assert (tmp_path / "sec.zone.jnl").exists()
        # left to the writer thread (its log line), not written before the answer
        assert wait_log(srv, f"serial {first + 1} written to"), srv.log_text()
        assert "before the answer" not in srv.log_text()
        lagging = (tmp_path / "sec.zone").read_text()  # the file at first + 1
        assert "u1.sec.test." in lagging
        for i in (2, 3):
            p = nsupdate(srv, f"update add u{i}.sec.test. 300 A 192.0.2.20{i}\nsend\n")
            assert p.returncode == 0, p.stdout + p.stderr
            wait_serial(srv, first + i)
        assert "before the answer" not in srv.log_text()
    finally:
        stop_clean(srv)  # a stop writes what is pending
    assert "u3.sec.test." in (tmp_path / "sec.zone").read_text()

    # a crash after the answers, before the file: the file lags at first + 1
    (tmp_path / "sec.zone").write_text(lagging)
    srv = start(tmp_path, config(tmp_path, denial))  # allow-transfer now, for the AXFR below
    try:
        log = srv.log_text()
        assert "2 change(s) from the journal" in log, log
        for name in ("u1", "u2", "u3", "www"):
            assert has_a(srv, name), name
        assert serial(srv) > first + 3
        verify_offline(tmp_path, srv)
    finally:
        stop_clean(srv)


def test_file_changed_behind_the_writer_is_written_first(tmp_path):
    """The writer knows what a file holds only while the file is the one
    it wrote (device, inode, size, time): a file changed since is
    written again before the next UPDATE is answered."""
    (tmp_path / "sec.zone").write_text(ZONE)
    (tmp_path / "keys").mkdir()
    srv = start(tmp_path, config(tmp_path, "nsec"))
    try:
        first = serial(srv)
        assert wait_log(srv, f"serial {first} written to"), srv.log_text()
        with open(tmp_path / "sec.zone", "a") as f:
            f.write("; an operator was here\n")
        p = nsupdate(srv, "update add c1.sec.test. 300 A 192.0.2.1\nsend\n")
        assert p.returncode == 0, p.stdout + p.stderr
        wait_serial(srv, first + 1)
        assert f"serial {first + 1} written to" in srv.log_text() and "before the answer" in srv.log_text()
        assert "c1.sec.test." in (tmp_path / "sec.zone").read_text()
    finally:
        stop_clean(srv)


def test_reload_reads_the_files_as_served(tmp_path):
    """A reload right after UPDATEs sees their changes (it waits for the
    writer, and the journal carries a lagging file): nothing is lost and
    nothing is signed whole."""
    (tmp_path / "sec.zone").write_text(ZONE)
    (tmp_path / "keys").mkdir()
    srv = start(tmp_path, config(tmp_path, "nsec"))
    try:
        first = serial(srv)
        for i in range(1, 6):
            p = nsupdate(srv, f"update add r{i}.sec.test. 300 A 192.0.2.{i}\nsend\n")
            assert p.returncode == 0, p.stdout + p.stderr
        wait_serial(srv, first + 5)
        srv.reload()
        deadline = time.monotonic() + 10
        while "reloaded" not in srv.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "reloaded" in srv.log_text()
        for i in range(1, 6):
            assert has_a(srv, f"r{i}"), i
        assert "signed whole" not in srv.log_text()
    finally:
        stop_clean(srv)


@pytest.mark.parametrize("damage", ["malformed", "does-not-apply"])
def test_bad_journal_reported_file_used(tmp_path, damage):
    (tmp_path / "sec.zone").write_text(ZONE)
    (tmp_path / "keys").mkdir()
    conf = config(tmp_path, "nsec")
    srv = start(tmp_path, conf)
    try:
        first = serial(srv)
        p = nsupdate(srv, "update add b1.sec.test. 300 A 192.0.2.1\nsend\n")
        assert p.returncode == 0, p.stdout + p.stderr
        wait_serial(srv, first + 1)
        assert wait_log(srv, f"serial {first + 1} written to"), srv.log_text()
        lagging = (tmp_path / "sec.zone").read_text()
        p = nsupdate(srv, "update add b2.sec.test. 300 A 192.0.2.2\nsend\n")
        assert p.returncode == 0, p.stdout + p.stderr
        wait_serial(srv, first + 2)
    finally:
        stop_clean(srv)
    jnl = tmp_path / "sec.zone.jnl"
    if damage == "malformed":
        data = bytearray(jnl.read_bytes())
        data[len(data) // 2] ^= 0xFF
        data = data[:len(data) - 3]
        jnl.write_bytes(bytes(data))
        want = "malformed; the zone file is used as it is"
    else:  # the file at first + 1 lacks the name the journal deletes
        lagging = lagging.replace("b1.sec.test.", "other.sec.test.")
        want = "does not apply to the zone file"
    (tmp_path / "sec.zone").write_text(lagging)
    srv = start(tmp_path, conf)
    try:
        assert want in srv.log_text(), srv.log_text()
        assert has_a(srv, "www") and not has_a(srv, "b2")
    finally:
        stop_clean(srv)
    shutil.rmtree(tmp_path / "keys")


def test_timed_signing_reaches_the_file(tmp_path):
    """A signing on the timer (dnssec-signature-validity 20 s: every 5 s)
    hands the version it publishes to the writer like an UPDATE does, so
    the file follows the zone served and the next UPDATE finds it known
    (answered without writing the file first)."""
    (tmp_path / "sec.zone").write_text(ZONE)
    (tmp_path / "keys").mkdir()
    conf = config(tmp_path, "nsec")
    with open(conf, "a") as f:
        f.write("    dnssec-signature-validity: 20\n")
    srv = start(tmp_path, conf)
    try:
        first = serial(srv)
        assert wait_log(srv, f"serial {first} written to"), srv.log_text()
        assert wait_log(srv, "signatures made again", timeout=12), srv.log_text()
        now = serial(srv)
        assert now > first
        assert wait_log(srv, f"serial {now} written to"), srv.log_text()
        p = nsupdate(srv, "update add u9.sec.test. 300 A 192.0.2.209\nsend\n")
        assert p.returncode == 0, p.stdout + p.stderr
        assert has_a(srv, "u9")
        assert "written before the answer" not in srv.log_text(), srv.log_text()
    finally:
        stop_clean(srv)
