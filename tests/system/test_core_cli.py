"""ternd's command line: --check with every error as file:line, a listen
address that cannot be bound, --help/--version, and a clean stop on
SIGTERM/SIGINT (issue 2, "What a user gets" and "Zone files")."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import core_zones, stop_clean, zone_text
from peers import free_port
from ternd import binary, start_ternd

GOOD_HEAD = """$ORIGIN t.
$TTL 60
@ SOA ns hm 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
"""


def ternd_run(args, cwd, timeout=10):
    return subprocess.run([binary()] + list(args), cwd=str(cwd), capture_output=True, text=True, timeout=timeout)


def check_zone(tmp_path, text, name="t.zone", origin="t"):
    (tmp_path / name).write_text(text)
    return ternd_run(["--check", "--zone", f"{origin}={name}"], tmp_path)


def error_lines(p):
    """--check's errors: plain 'file:line: message' lines (a warning says
    'file:line: warning: ...'), and the 'N error(s) found' summary."""
    return [l for l in (p.stdout + p.stderr).splitlines()
            if re.match(r"^\S+:\d+: (?!warning: )", l) or "error" in l]


def test_check_good_config(tmp_path):
    for origin, text in core_zones().items():
        (tmp_path / f"{origin}.zone").write_text(text)
    conf = ["server:", "  listen: 127.0.0.1:1", '  version: "v"', "  tcp-idle-timeout: 5"]
    for origin in core_zones():
        conf += ["zone:", f"  name: {origin}", f"  file: {origin}.zone"]
    (tmp_path / "ternd.conf").write_text("\n".join(conf) + "\n")
    p = ternd_run(["--check", "--config", "ternd.conf"], tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not error_lines(p)
    # --check reads the zones but binds nothing (port 1 needs privileges)


def test_check_good_zone_with_warnings(tmp_path):
    # occluded data is a warning, not an error (the fixture has some)
    p = check_zone(tmp_path, zone_text("example.com"), "example.com.zone", "example.com")
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r"example\.com\.zone:\d+: .*occluded.*", p.stderr), p.stderr


@pytest.mark.parametrize("line,what", [
    ("x FOO 1", r"unknown.*type.*FOO"),
    ("x 1q A 192.0.2.2", r"TTL"),
    ("x A 192.0.2.300", r""),
    ("x MX mail", r""),
    ("$INCLUDE missing.inc", r"missing\.inc"),
    ('x TXT "unterminated', r""),
    ("$FOO bar", r""),
])
def test_check_syntax_error_names_file_line(tmp_path, line, what):
    p = check_zone(tmp_path, GOOD_HEAD + "www A 192.0.2.3\n" + line + "\n")
    assert p.returncode != 0
    errs = error_lines(p)
    assert any(re.search(r"t\.zone:7: .*" + what, e, re.I) for e in errs), p.stderr


def test_check_cname_and_other_data(tmp_path):
    p = check_zone(tmp_path, GOOD_HEAD + "www A 192.0.2.3\nwww CNAME ns\n")
    assert p.returncode != 0
    assert re.search(r"t\.zone:7: .*CNAME and other data", p.stderr), p.stderr


def test_check_missing_soa(tmp_path):
    p = check_zone(tmp_path, "$ORIGIN t.\n$TTL 60\n@ NS ns\nns A 192.0.2.1\n")
    assert p.returncode != 0
    # no line holds the missing SOA: the zone's first record is named
    assert re.search(r"t\.zone:3: .*no SOA", p.stderr), p.stderr


def test_check_missing_ns(tmp_path):
    p = check_zone(tmp_path, "$ORIGIN t.\n$TTL 60\n@ SOA ns hm 1 3600 600 86400 60\nns A 192.0.2.1\n")
    assert p.returncode != 0
    # the SOA's line names the apex that lacks NS
    assert re.search(r"t\.zone:3: .*no NS", p.stderr), p.stderr


def test_check_two_soa_and_soa_off_apex(tmp_path):
    p = check_zone(tmp_path, GOOD_HEAD + "@ SOA ns hm 2 3600 600 86400 60\nsub SOA ns hm 1 1 1 1 1\n")
    assert p.returncode != 0
    assert re.search(r"t\.zone:7: .*SOA.*not at the zone apex", p.stderr), p.stderr
    # the second SOA at the apex is named by its line
    assert re.search(r"t\.zone:6: .*2 SOA records", p.stderr), p.stderr


def test_check_reports_every_error(tmp_path):
    """Syntax errors and semantic errors of one zone, and errors of a second
    zone, are all printed in one run, each as file:line."""
    (tmp_path / "u.zone").write_text("$ORIGIN u.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\nns A 192.0.2.1\n")
    text = GOOD_HEAD + "a FOO 1\nb 1q A 192.0.2.2\nc CNAME ns\nc A 192.0.2.4\n$INCLUDE missing.inc\n"
    (tmp_path / "t.zone").write_text(text)
    p = ternd_run(["--check", "--zone", "t=t.zone", "--zone", "u=u.zone"], tmp_path)
    assert p.returncode != 0
    err = p.stderr
    assert re.search(r"t\.zone:6: .*FOO", err), err
    assert re.search(r"t\.zone:7: .*TTL", err), err
    assert re.search(r"t\.zone:8: .*CNAME and other data", err), err
    assert re.search(r"t\.zone:10: .*missing\.inc", err), err
    assert re.search(r"u\.zone:\d+: .*no NS", err), err


def test_check_config_errors(tmp_path):
    (tmp_path / "bad.conf").write_text("server:\n  bogus: 1\n  threads: x\nzone:\n  name: t\n  file: nosuch.zone\n")
    p = ternd_run(["--check", "--config", "bad.conf"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"bad\.conf:2: .*bogus", p.stderr), p.stderr
    assert re.search(r"bad\.conf:3: .*threads", p.stderr), p.stderr
    assert "nosuch.zone" in p.stderr


def test_zone_with_errors_fails_check(tmp_path):
    # A running ternd serves the zones that load and answers SERVFAIL for
    # this one (test_zone_partial.py); --check fails on it.
    (tmp_path / "t.zone").write_text(GOOD_HEAD + "a FOO 1\n")
    port = free_port()
    p = ternd_run(["--check", "--listen", f"127.0.0.1:{port}", "--zone", "t=t.zone"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"t\.zone:6:", p.stderr), p.stderr


def test_listen_address_in_use(tmp_path):
    (tmp_path / "t.zone").write_text(GOOD_HEAD)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t.bind(("127.0.0.1", port))
        t.listen()
        p = ternd_run(["--listen", f"127.0.0.1:{port}", "--zone", "t=t.zone"], tmp_path)
    assert p.returncode != 0
    assert re.search(rf"127\.0\.0\.1:{port}.*(in use|Address already)", p.stderr, re.I), p.stderr


def test_listen_address_not_local(tmp_path):
    (tmp_path / "t.zone").write_text(GOOD_HEAD)
    p = ternd_run(["--listen", "192.0.2.1:5353", "--zone", "t=t.zone"], tmp_path)
    assert p.returncode != 0
    assert re.search(r"cannot listen on 192\.0\.2\.1:5353", p.stderr), p.stderr


@pytest.mark.parametrize("addr", ["nonsense", "127.0.0.1:99999", "[::1", "1.2.3.4.5:53"])
def test_listen_address_malformed(tmp_path, addr):
    (tmp_path / "t.zone").write_text(GOOD_HEAD)
    p = ternd_run(["--check", "--listen", addr, "--zone", "t=t.zone"], tmp_path)
    assert p.returncode != 0
    assert addr in p.stderr, p.stderr


def test_help_and_version(tmp_path):
    p = ternd_run(["--help"], tmp_path)
    assert p.returncode == 0
    for opt in ("--config", "--listen", "--zone", "--threads", "--check", "--help", "--version"):
        assert opt in p.stdout
    p = ternd_run(["--version"], tmp_path)
    assert p.returncode == 0 and re.match(r"ternd \d+\.\d+", p.stdout)


def _options(text):
    """The long options (and -v, -q) named in text; --verbose is -v, --quiet -q."""
    found = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-v|-q)\b", text))
    return {{"--verbose": "-v", "--quiet": "-q"}.get(o, o) for o in found}


def _usage_block(text):
    """From 'usage:' to the first empty line."""
    start = text.index("usage:")
    end = text.find("\n\n", start)
    return text[start:end if end >= 0 else len(text)]


def test_usage_line_lists_every_option(tmp_path):
    """Issue 10 item 11: the usage line of --help names every option that
    --help describes, and the man page's SYNOPSIS and the README's name the
    same set; each is accepted by the binary."""
    p = ternd_run(["--help"], tmp_path)
    assert p.returncode == 0
    described = _options(p.stdout[p.stdout.index("\n\n"):].split("\n\nWith ")[0])
    usage = _options(_usage_block(p.stdout))
    assert len(described) >= 15, described
    assert usage == described, (described - usage, usage - described)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    man = open(os.path.join(root, "docs", "ternd.8")).read()
    synopsis = man[man.index(".SH SYNOPSIS"):man.index(".SH DESCRIPTION")].replace("\\-", "-")
    assert _options(synopsis) == described, (described - _options(synopsis), _options(synopsis) - described)
    options = man[man.index(".SH OPTIONS"):man.index(".SH", man.index(".SH OPTIONS") + 4)].replace("\\-", "-")
    assert described <= _options(options), described - _options(options)
    readme = open(os.path.join(root, "README.md")).read()
    block = readme[readme.index("    ternd [--config"):]
    block = block[:block.index("\n\n")]
    assert _options(block) == described, (described - _options(block), _options(block) - described)
    for opt in sorted(described - {"--help", "--version", "--check", "--dnssec", "-v", "-q"}):
        p = ternd_run([opt], tmp_path)
        assert "unrecognized" not in p.stderr and "requires an argument" in p.stderr, (opt, p.stderr)
    p = ternd_run(["--dnssec"], tmp_path)  # an option of --check only
    assert p.returncode == 2 and "--dnssec goes with --check" in p.stderr, p.stderr


def test_bad_option(tmp_path):
    p = ternd_run(["--bogus"], tmp_path)
    assert p.returncode != 0 and "usage" in p.stderr
    p = ternd_run(["--threads", "0"], tmp_path)
    assert p.returncode != 0 and "--threads" in p.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_within_a_second(tmp_path, sig):
    srv = start_ternd(tmp_path, core_zones(), threads=4)
    try:
        assert srv.query("www.example.com", "A").answer
        # an open TCP connection does not hold the stop up
        held = socket.create_connection((srv.host, srv.port))
        t0 = time.monotonic()
        os.kill(srv.pid, sig)
        srv.proc.wait(timeout=5)
        elapsed = time.monotonic() - t0
        held.close()
    finally:
        stop_clean(srv)
    assert elapsed < 1.0, elapsed


def test_public_example_configuration_checks(tmp_path):
    """etc/ternd-public.conf (RRL on, forwarding off, --user) loads cleanly;
    --check binds nothing, so port 53 and the user need not exist here."""
    from ternd import ROOT
    r = ternd_run(["--check", "--config", os.path.join(ROOT, "etc", "ternd-public.conf")], tmp_path)
    assert r.returncode == 0, r.stderr
