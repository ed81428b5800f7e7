"""make install / make uninstall and the Debian package (issue 13, item 5).

The install goes into a temporary PREFIX (no root needed, nothing of the
machine touched); the installed ternd is then run without --config, so it
must read $(sysconfdir)/tern/ternd.conf, and the installed ternctl without
-c finds ternd through the same file. The package is built from a copy of
the source tree (dpkg-buildpackage writes next to it), its contents listed
and checked with lintian. Loopback only; processes stopped by pid."""
import os
import re
import shutil
import subprocess

import dns.rcode
import pytest

from peers import free_port, wait_answering
from ternd import ROOT

FILES = ["sbin/ternd", "sbin/ternctl", "bin/tern", "share/man/man1/tern.1", "share/man/man5/ternd.conf.5",
         "share/man/man8/ternd.8", "share/man/man8/ternctl.8", "etc/tern/ternd.conf", "etc/tern/example.com.zone",
         "etc/tern/aliases.txt", "lib/systemd/system/ternd.service"]


def make(*args, **kw):
    # the sanitizer build's objects link only with its flags (make SAN=1)
    san = ["SAN=1"] if os.environ.get("TERN_BUILD", "build").rstrip("/").endswith("san") else []
    return subprocess.run(["make", "--no-print-directory", "-s", *san, *args], cwd=kw.pop("cwd", ROOT),
                          capture_output=True, text=True, timeout=kw.pop("timeout", 600))


def test_install_run_uninstall(tmp_path):
    prefix = tmp_path / "prefix"
    build = os.environ.get("TERN_BUILD", "build")
    r = make("install", f"PREFIX={prefix}", f"BUILD={build}")
    assert r.returncode == 0, r.stdout + r.stderr
    for f in FILES:
        assert (prefix / f).is_file(), f
    assert os.access(prefix / "sbin/ternd", os.X_OK)
    unit = (prefix / "lib/systemd/system/ternd.service").read_text()
    assert f"ExecStart={prefix}/sbin/ternd --config {prefix}/etc/tern/ternd.conf" in unit
    conf = prefix / "etc/tern/ternd.conf"
    assert "control: /run/ternd/ternd.ctl" in conf.read_text()
    # a second install keeps the (edited) configuration
    conf.write_text(conf.read_text() + "# edited\n")
    assert make("install", f"PREFIX={prefix}", f"BUILD={build}").returncode == 0
    assert conf.read_text().endswith("# edited\n")

    # the installed ternd, with no --config: the installed file (edited for this test)
    port, mport = free_port(), free_port()
    text = conf.read_text()
    text = re.sub(r"(?m)^ *listen:.*\n", "", text)
    text = re.sub(r"(?m)^( *)control:.*$", rf"\1control: {tmp_path}/ternd.ctl", text)
    text = re.sub(r"(?m)^( *)metrics:.*$", rf"\1metrics: 127.0.0.1:{mport}", text)
    text = text.replace("server:\n", f"server:\n    listen: 127.0.0.1:{port}\n    forward: none\n", 1)
    conf.write_text(text)
    chk = subprocess.run([str(prefix / "sbin/ternd"), "--check"], capture_output=True, text=True, timeout=30,
                         cwd=tmp_path)
    assert chk.returncode == 0 and "1 zone(s) OK" in chk.stdout, chk.stderr
    log = open(tmp_path / "ternd.log", "w")
    proc = subprocess.Popen([str(prefix / "sbin/ternd"), "--threads", "1"], stdout=log, stderr=subprocess.STDOUT,
                            cwd=tmp_path)
    try:
        wait_answering("127.0.0.1", port, "example.com", proc=proc)
        import dns.message
        import dns.query
        r = dns.query.udp(dns.message.make_query("example.com", "SOA"), "127.0.0.1", port=port, timeout=3)
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        st = subprocess.run([str(prefix / "sbin/ternctl"), "status"], capture_output=True, text=True, timeout=30,
                            cwd=tmp_path)
        assert st.returncode == 0 and "zones: 1 (1 loaded)" in st.stdout, st.stderr
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
    assert proc.returncode == 0, open(tmp_path / "ternd.log").read()

    r = make("uninstall", f"PREFIX={prefix}", f"BUILD={build}")
    assert r.returncode == 0, r.stderr
    for f in FILES:
        assert (prefix / f).exists() == f.startswith("etc/"), f


def test_install_into_destdir_for_usr(tmp_path):
    """DESTDIR stages (as a package build does); PREFIX=/usr puts the configuration in /etc."""
    dest = tmp_path / "dest"
    build = os.environ.get("TERN_BUILD", "build")
    r = make("install", f"DESTDIR={dest}", "PREFIX=/usr", f"BUILD={build}")
    assert r.returncode == 0, r.stdout + r.stderr
    for f in ["usr/sbin/ternd", "usr/sbin/ternctl", "usr/bin/tern", "etc/tern/ternd.conf",
              "usr/share/man/man5/ternd.conf.5", "usr/lib/systemd/system/ternd.service"]:
        assert (dest / f).is_file(), f
    unit = (dest / "usr/lib/systemd/system/ternd.service").read_text()
    assert "ExecStart=/usr/sbin/ternd --config /etc/tern/ternd.conf" in unit and str(dest) not in unit
    v = subprocess.run([str(dest / "usr/sbin/ternd"), "--help"], capture_output=True, text=True, timeout=30)
    assert v.returncode == 0 and "/etc/tern/ternd.conf" in v.stdout
    h = subprocess.run([str(dest / "usr/sbin/ternctl"), "--help"], capture_output=True, text=True, timeout=30)
    assert h.returncode == 0 and "default /etc/tern/ternd.conf" in h.stdout
    r = make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr", f"BUILD={build}")
    assert r.returncode == 0 and not (dest / "usr/sbin/ternd").exists()


def test_check_without_installed_configuration(tmp_path):
    """ternd --check reads the installed default; a missing one is an error."""
    prefix = tmp_path / "prefix"
    build = os.environ.get("TERN_BUILD", "build")
    assert make("install", f"PREFIX={prefix}", f"BUILD={build}").returncode == 0
    os.remove(prefix / "etc/tern/ternd.conf")
    chk = subprocess.run([str(prefix / "sbin/ternd"), "--check"], capture_output=True, text=True, timeout=30,
                         cwd=tmp_path)
    assert chk.returncode == 1 and f"{prefix}/etc/tern/ternd.conf: cannot read" in chk.stderr, chk.stderr


@pytest.mark.skipif(shutil.which("dpkg-buildpackage") is None or not os.path.exists("/usr/bin/dh"),
                    reason="dpkg-dev and debhelper are needed")
@pytest.mark.skipif(os.environ.get("TERN_BUILD", "build").rstrip("/").endswith("san"),
                    reason="the package builds from source, not from the sanitizer build: once is enough")
def test_debian_package(tmp_path):
    src = tmp_path / "tern"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for f in files:
        if os.path.isfile(os.path.join(ROOT, f)):
            os.makedirs(src / os.path.dirname(f), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), src / f)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
    r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, capture_output=True, text=True,
                       timeout=1200, env=env)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    debs = [f for f in os.listdir(tmp_path) if f.endswith(".deb") and f.startswith("ternd_")]
    assert len(debs) == 1, os.listdir(tmp_path)
    deb = str(tmp_path / debs[0])
    listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    for f in ["./usr/sbin/ternd", "./usr/sbin/ternctl", "./usr/bin/tern", "./etc/tern/ternd.conf",
              "./usr/share/man/man8/ternctl.8.gz", "./usr/share/man/man5/ternd.conf.5.gz"]:
        assert f in listing, f + "\n" + listing
    assert re.search(r"\./(usr/)?lib/systemd/system/ternd\.service", listing), listing
    conffiles = subprocess.run(["dpkg-deb", "-f", deb, "Package"], capture_output=True, text=True).stdout
    assert conffiles.strip() == "ternd"
    ctl = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", deb, str(ctl)], check=True)
    assert "/etc/tern/ternd.conf" in (ctl / "conffiles").read_text()
    post = (ctl / "postinst").read_text()
    assert "adduser" in post and "systemctl" in post or "deb-systemd-helper" in post
    if shutil.which("lintian"):
        lint = subprocess.run(["lintian", "--no-tag-display-limit", deb], capture_output=True, text=True,
                              timeout=600)
        errors = [line for line in lint.stdout.splitlines() if line.startswith("E:")]
        assert not errors, lint.stdout
