"""Least privilege (issue 6): dropping to a user after binding, chroot,
the root warning, and readiness/reload notifications for systemd."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import dns.rcode
import pytest

from ternd import binary, start_ternd

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")

ZONE = """$ORIGIN priv.test.
$TTL 60
@ SOA ns host {serial} 7200 3600 1209600 60
@ NS ns
ns A 192.0.2.53
www A {addr}
"""


def ids(pid):
    """(real, effective, saved) uid and gid of a process."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid"):
                out[k] = tuple(int(x) for x in v.split()[:3])
    return out


@pytest.fixture
def world_dir():
    """A directory the unprivileged user can read (pytest's tmp_path is
    private to root)."""
    d = tempfile.mkdtemp(prefix="tern-priv-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write_zone(d, serial, addr):
    path = os.path.join(d, "priv.test.zone")
    with open(path, "w") as f:
        f.write(ZONE.format(serial=serial, addr=addr))
    os.chmod(path, 0o644)
    return path


def wait_for(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


@ROOT_ONLY
def test_drops_to_user_after_binding_and_reload_still_works(world_dir):
    path = write_zone(world_dir, 1, "192.0.2.1")
    srv = start_ternd(world_dir, args=["--zone", f"priv.test={path}", "--user", "nobody"], probe="priv.test")
    try:
        nobody = int(subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True).stdout)
        assert ids(srv.pid)["Uid"] == (nobody,) * 3
        assert ids(srv.pid)["Gid"][0] != 0
        r = srv.query("www.priv.test")
        assert r.answer[0][0].address == "192.0.2.1"
        write_zone(world_dir, 2, "192.0.2.2")
        srv.reload()
        assert wait_for(lambda: srv.query("www.priv.test").answer[0][0].address == "192.0.2.2")
    finally:
        srv.stop()
    assert srv.exit_status == 0
    log = srv.log_text()
    assert "running as user nobody" in log and "running as root" not in log


@ROOT_ONLY
def test_root_without_user_is_warned(world_dir):
    path = write_zone(world_dir, 1, "192.0.2.1")
    srv = start_ternd(world_dir, args=["--zone", f"priv.test={path}"], probe="priv.test")
    srv.stop()
    assert "running as root" in srv.log_text()


def test_unknown_user_is_a_clear_error(world_dir):
    path = write_zone(world_dir, 1, "192.0.2.1")
    r = subprocess.run([binary(), "--listen", "127.0.0.1:0", "--zone", f"priv.test={path}",
                        "--user", "no-such-user-tern"], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    assert "no such user 'no-such-user-tern'" in r.stderr


@ROOT_ONLY
def test_chroot_and_reload_inside_it(world_dir):
    jail = os.path.join(world_dir, "jail")
    os.makedirs(os.path.join(jail, "zones"))
    os.chmod(jail, 0o755)
    os.chmod(os.path.join(jail, "zones"), 0o755)
    path = write_zone(os.path.join(jail, "zones"), 1, "192.0.2.1")
    conf = os.path.join(jail, "ternd.conf")
    with open(conf, "w") as f:
        f.write("zone:\n    name: priv.test\n    file: zones/priv.test.zone\n")
    # LeakSanitizer needs /proc at exit, which the jail does not have; the
    # sanitizer build keeps ASan and UBSan but not leak checks for this run
    saved = os.environ.get("ASAN_OPTIONS")
    os.environ["ASAN_OPTIONS"] = "detect_leaks=0"
    try:
        srv = start_ternd(world_dir, args=["--config", conf, "--chroot", jail, "--user", "nobody"],
                          probe="priv.test")
    finally:
        if saved is None:
            del os.environ["ASAN_OPTIONS"]
        else:
            os.environ["ASAN_OPTIONS"] = saved
    try:
        assert os.readlink(f"/proc/{srv.pid}/root") == os.path.realpath(jail)
        write_zone(os.path.join(jail, "zones"), 2, "192.0.2.2")
        srv.reload()
        assert wait_for(lambda: srv.query("www.priv.test").answer[0][0].address == "192.0.2.2")
        # a file outside the jail cannot be reached after the chroot (the
        # path resolves inside it): that zone does not load (SERVFAIL), the
        # others serve on
        outside = os.path.join(world_dir, "elsewhere.zone")
        with open(outside, "w") as f:
            f.write(ZONE.format(serial=1, addr="192.0.2.9").replace("priv.test", "other.test"))
        os.chmod(outside, 0o644)
        with open(conf, "a") as f:
            f.write(f"zone:\n    name: other.test\n    file: {outside}\n")
        srv.reload()
        assert wait_for(lambda: "zone other.test.: not loaded" in srv.log_text())
        assert srv.query("www.priv.test").rcode() == dns.rcode.NOERROR
        assert srv.query("www.other.test").rcode() == dns.rcode.SERVFAIL
    finally:
        srv.stop()
    assert srv.exit_status == 0


def test_notify_ready_reloading_stopping(world_dir):
    """Type=notify: READY=1 once serving, RELOADING=1 then READY=1 around a
    reload, STOPPING=1 at the end (sd_notify protocol, no libsystemd)."""
    path = write_zone(world_dir, 1, "192.0.2.1")
    sock_path = os.path.join(world_dir, "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    s.settimeout(5)
    env_before = os.environ.get("NOTIFY_SOCKET")
    os.environ["NOTIFY_SOCKET"] = sock_path
    try:
        srv = start_ternd(world_dir, args=["--zone", f"priv.test={path}"], probe="priv.test")
    finally:
        if env_before is None:
            del os.environ["NOTIFY_SOCKET"]
        else:
            os.environ["NOTIFY_SOCKET"] = env_before
    try:
        assert s.recv(256) == b"READY=1"
        os.kill(srv.pid, signal.SIGHUP)
        assert s.recv(256) == b"RELOADING=1"
        assert s.recv(256) == b"READY=1"
    finally:
        srv.stop()
    assert s.recv(256) == b"STOPPING=1"
    s.close()
    assert srv.exit_status == 0
