"""test_client_interactive.py: the client's interactive mode (issue 4's
"Enter hostname:" / "Record type:" loop, issue 15's prompts on the
terminal, help, and line editing with libedit), on a pipe and through a
pty, and the seed's session and dig's text against ternd.

Split out of test_client.py (its helpers and the Knot fixture are shared
from there).

    TERN_BUILD=build /usr/bin/python3 -m pytest -q tests/system/test_client_interactive.py
"""
import os
import pty
import select
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_client import ROOT, TERN, at, dig_text, knot, run, sections, tern_built  # noqa: E402,F401


# ---------------------------------------------------------------- interactive

def test_interactive_pipe_word_for_word(knot):
    # stdout is a pipe: the prompts go to stderr, the answers alone to stdout
    r = run(["@127.0.0.1", "-p", str(knot.port)], input="alias.example.com\nCNAME\n")
    assert r.returncode == 0
    assert r.stderr == "Enter hostname: Record type: Enter hostname: \n"
    assert r.stdout.startswith("\n; <<>> tern ") and "Enter hostname" not in r.stdout
    s = sections(r.stdout)
    assert s["ANSWER"] == {("alias.example.com.", 3600, "IN", "CNAME", "example.com.")}


def test_interactive_loop_default_type_and_quit(knot):
    r = run(at(knot) + ["-i", "+short"], input="example.com\n\nwww.example.com\nA\nexample.com\nmx\nquit\nnx.example.com\n\n")
    assert r.returncode == 0
    assert r.stderr.count("Enter hostname: ") == 4 and r.stderr.count("Record type: ") == 3
    assert r.stdout == "192.0.2.1\n192.0.2.80\n192.0.2.81\n10 mail.example.com.\n20 mail2.example.com.\n"
    assert "192.0.2.1\n" in r.stdout and "192.0.2.80" in r.stdout and "10 mail.example.com." in r.stdout
    r = run(at(knot), input="nx.example.com\n\n")
    assert r.returncode == 0 and "status: NXDOMAIN" in r.stdout
    r = run(at(knot) + ["+rcode-status"], input="nx.example.com\n\n")
    assert r.returncode == 2
    r = run(at(knot), input="example.com\nBOGUS\nexample.com\nexit\n")
    assert "Unknown record type 'BOGUS'" in r.stderr and r.returncode == 0
    r = run(at(knot), input="")
    assert r.returncode == 0 and r.stderr == "Enter hostname: \n" and r.stdout == ""
    r = run(at(knot), input="help\nquit\n")
    assert "quit" in r.stderr and "Record type" in r.stderr and r.stdout == "" and r.returncode == 0
    # the type (and class) may follow the name on one line: no second prompt
    r = run(at(knot) + ["+short"], input="example.com MX\ntxt.example.com\nTXT IN\nexample.com  aaaa in\n")
    assert r.stderr.count("Record type: ") == 1 and r.returncode == 0
    assert "10 mail.example.com." in r.stdout and '"hello world"' in r.stdout and "2001:db8::1" in r.stdout
    r = run(at(knot), input="example.com NOSUCH\n")
    assert "Unknown record type 'NOSUCH'" in r.stderr


def _read_until(fd, pattern, timeout=10):
    buf = b""
    deadline = time.monotonic() + timeout
    while pattern not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {pattern!r}; got {buf!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def test_interactive_pty(knot):
    master, slave = pty.openpty()
    proc = subprocess.Popen([TERN] + at(knot), stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    try:
        _read_until(master, b"Enter hostname: ")
        os.write(master, b"example.com\n")
        _read_until(master, b"Record type: ")
        os.write(master, b"\n")
        out = _read_until(master, b"Enter hostname: ")
        assert b"192.0.2.1" in out and b"status: NOERROR" in out
        os.write(master, b"alias.example.com\n")
        _read_until(master, b"Record type: ")
        os.write(master, b"CNAME\n")
        out = _read_until(master, b"Enter hostname: ")
        assert b"CNAME\texample.com." in out.replace(b" ", b"\t") or b"CNAME" in out
        os.write(master, b"quit\n")
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, 9)
            proc.wait()
        os.close(master)


def _with_libedit():
    r = subprocess.run(["ldd", TERN], capture_output=True, text=True)
    return "libedit" in r.stdout


@pytest.mark.skipif(not _with_libedit(), reason="tern built without libedit (libedit-dev)")
def test_interactive_pty_history_and_help(knot):
    """On a terminal the prompts are on stdout, lines can be edited and the
    up arrow brings back the last name (libedit, when built with it)."""
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm", HOME="/nonexistent")
    proc = subprocess.Popen([TERN] + at(knot) + ["+short"], stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True, env=env)
    os.close(slave)
    try:
        _read_until(master, b"Enter hostname: ")
        os.write(master, b"help\r")
        assert b"quit" in _read_until(master, b"Enter hostname: ")
        os.write(master, b"www.example.com\r")
        _read_until(master, b"Record type: ")
        os.write(master, b"\r")
        out = _read_until(master, b"Enter hostname: ")
        assert b"192.0.2.80" in out
        # edit: "example.con", Backspace, "m" -> example.com
        os.write(master, b"example.con\x7fm\r")
        _read_until(master, b"Record type: ")
        os.write(master, b"MX\r")
        out = _read_until(master, b"Enter hostname: ")
        assert b"10 mail.example.com." in out
        # the up arrow three times: MX, example.com, then www.example.com
        os.write(master, b"\x1b[A\x1b[A\x1b[A\r")
        _read_until(master, b"Record type: ")
        os.write(master, b"\r")
        out = _read_until(master, b"Enter hostname: ")
        assert b"192.0.2.81" in out
        os.write(master, b"quit\r")
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, 9)
            proc.wait()
        os.close(master)


# ---------------------------------------------------------------- against ternd

@pytest.fixture(scope="module")
def ternd(tmp_path_factory):
    """ternd serving the demo zone of etc/, if it is built and starts."""
    from ternd import binary, start_ternd
    if not os.access(binary(), os.X_OK):
        pytest.skip("ternd not built")
    with open(os.path.join(ROOT, "etc", "example.com.zone")) as f:
        demo = f.read()
    srv = start_ternd(tmp_path_factory.mktemp("ternd"), {"example.com": demo})
    yield srv
    srv.stop()


def test_seed_session_against_ternd(ternd):
    """The original project's session: a piped hostname and type."""
    r = run(at(ternd), input="alias.example.com\nCNAME\n")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr.startswith("Enter hostname: Record type: ")
    assert sections(r.stdout)["ANSWER"] == {("alias.example.com.", 3600, "IN", "CNAME", "example.com.")}


TERND_COMPARE = [["example.com"], ["example.com", "MX"], ["alias.example.com"], ["ftp.example.com"],
                 ["nx.example.com"], ["example.com", "TXT"], ["_dns._udp.example.com", "SRV"],
                 ["example.com", "+tcp"], ["example.com", "NS", "+norecurse"], ["example.com", "+noall", "+answer"]]


@pytest.mark.parametrize("args", TERND_COMPARE, ids=[" ".join(a) for a in TERND_COMPARE])
def test_same_text_as_dig_on_ternd(ternd, args):
    # both send a DNS cookie by default and ternd answers it (RFC 7873)
    t = run(at(ternd) + args)
    d = subprocess.run(["dig"] + at(ternd) + args, capture_output=True, text=True)
    assert dig_text(t.stdout) == dig_text(d.stdout)


