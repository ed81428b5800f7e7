"""test_dig_tsig.py: tern's TSIG (-y, -k) compared with dig's (issue 15,
issue 11 item 9).

ternd, Knot and BIND share a key (tkey., hmac-sha256) that transfers of
tsig.test need; each serves a journal with one difference (serial 1 -> 2),
so IXFR=1 gets an incremental answer. Every invocation runs through dig and
through tern (test_dig_compat.compare: stdout byte for byte after masking,
stderr, exit status), with the TSIG record's time, MAC and original ID
masked besides. Scripted servers answer unsigned or with a bad MAC, for
dig's ";; Couldn't verify signature" lines.

    TERN_BUILD=build /usr/bin/python3 -m pytest -q tests/system/test_dig_tsig.py
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import dns.message
import dns.query
import dns.rrset
import dns.tsigkeyring
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
import test_dig_compat as compat  # noqa: E402
from ternd import start_ternd  # noqa: E402

pytestmark = compat.pytestmark

KEY = ("tkey.", "hmac-sha256", "c2VjcmV0IG9mIHRoZSB0c2lnIGtleSBvZiB0aGUgZGlnIHRlc3Q=")
ORIGIN = "tsig.test"


def zone(serial):
    extra = "new A 192.0.2.2\n" if serial > 1 else "old A 192.0.2.3\n"
    return (f"$ORIGIN {ORIGIN}.\n$TTL 300\n@ SOA ns hm {serial} 3600 600 86400 300\n@ NS ns\n"
            f"ns A 192.0.2.1\nwww A 192.0.2.80\n{extra}")


BIG = "big.test"  # a zone whose AXFR takes several messages, each signed (RFC 8945 5.3.1)
BIG_ZONE = (f"$ORIGIN {BIG}.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n"
            + "".join(f'r{i:04d} TXT "{"x" * 60} {i}"\n' for i in range(1500)))


def _serial(port):
    q = dns.message.make_query(ORIGIN + ".", "SOA")
    try:
        return dns.query.udp(q, "127.0.0.1", port=port, timeout=0.5).answer[0][0].serial
    except Exception:
        return None


def _wait_serial(port, serial):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _serial(port) == serial:
            return
        time.sleep(0.05)
    raise RuntimeError(f"serial {serial} not served on port {port}")


def _rewrite(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def start_keyed_ternd(workdir):
    workdir = str(workdir)
    conf = os.path.join(workdir, "ternd.conf")
    with open(conf, "w") as f:
        f.write("server:\n    forward: none\n"
                f"key:\n    name: {KEY[0]}\n    algorithm: {KEY[1]}\n    secret: {KEY[2]}\n"
                f"zone:\n    name: {ORIGIN}\n    file: {ORIGIN}.zone\n    allow-transfer: 127.0.0.1 key {KEY[0]}\n"
                f"zone:\n    name: {BIG}\n    file: {BIG}.zone\n    allow-transfer: 127.0.0.1 key {KEY[0]}\n")
    _rewrite(os.path.join(workdir, BIG + ".zone"), BIG_ZONE)
    path = os.path.join(workdir, ORIGIN + ".zone")
    _rewrite(path, zone(1))
    srv = start_ternd(workdir, None, args=["--config", conf], probe=ORIGIN + ".")
    _rewrite(path, zone(2))
    srv.reload()
    return srv


def start_keyed_knot(workdir):
    srv = peers.start_knot(workdir, {ORIGIN: zone(1), BIG: BIG_ZONE}, axfr=True, ixfr=True, tsig=KEY)
    _rewrite(os.path.join(srv.workdir, ORIGIN + ".zone"), zone(2))
    subprocess.run(["knotc", "-s", os.path.join(srv.workdir, "knot.sock"), "zone-reload", ORIGIN],
                   check=True, capture_output=True, timeout=10)
    return srv


def start_keyed_named(workdir):
    srv = peers.start_named(workdir, {ORIGIN: zone(1), BIG: BIG_ZONE}, ixfr=True, tsig=KEY)
    time.sleep(1.1)  # named compares the file's mtime in seconds
    _rewrite(os.path.join(srv.workdir, ORIGIN + ".zone"), zone(2))
    os.kill(srv.pid, signal.SIGHUP)
    return srv


SERVERS = ["ternd", "knot"] + (["named"] if shutil.which("named") else [])


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    starters = {"ternd": start_keyed_ternd, "knot": start_keyed_knot, "named": start_keyed_named}
    srv = {}
    try:
        for name in SERVERS:
            srv[name] = starters[name](tmp_path_factory.mktemp(name))
        for s in srv.values():
            _wait_serial(s.port, 2)
        yield srv
    finally:
        for s in srv.values():
            s.stop()
    assert srv["ternd"].exit_status == 0, srv["ternd"].log_text()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    out = {}
    for name, text in {
        "good": f'key "{KEY[0]}" {{\n\talgorithm {KEY[1]};\n\tsecret "{KEY[2]}";\n}};\n',
        "comments": f'# tsig-keygen\nkey {KEY[0]} {{ // the key\n /* c */ secret "{KEY[2]}"; algorithm HMAC-SHA256; }};',
        "wrong": f'key "{KEY[0]}" {{ algorithm {KEY[1]}; secret "d3Jvbmcgc2VjcmV0"; }};\n',
        "incomplete": f'key "{KEY[0]}" {{ algorithm {KEY[1]}; }};\n',
        "garbage": "garbage\n",
        "badalg": f'key "{KEY[0]}" {{ algorithm hmac-foo; secret "{KEY[2]}"; }};\n',
    }.items():
        p = d / name
        p.write_text(text)
        out[name] = str(p)
    # the K*.key/K*.private pair of older BIND versions (dig -k takes it)
    (d / "Ktkey.+163+00001.key").write_text(f"; a key\n{KEY[0]} IN KEY 512 3 163 {KEY[2]}\n")
    (d / "Ktkey.+163+00001.private").write_text(
        f"Private-key-format: v1.3\nAlgorithm: 163 (HMAC_SHA256)\nKey: {KEY[2]}\nBits: AAA=\n")
    out["kpair"] = str(d / "Ktkey.+163+00001")
    return out


# the TSIG record's Time Signed, MAC (any split) and Original ID differ from run to run
TSIG_RR = re.compile(r"(TSIG\s+\S+) \d+ (\d+) (\d+)(.*?) \d+ ([A-Z]+ \d+ )", re.S)
LOG_TIME = re.compile(r"^\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d\.\d{3} ", re.M)
TSIG_YAML = re.compile(r"(TSIG \S+) \d+ (\d+) (\d+) \S* ?\d+ ")


def mask(text):
    return TSIG_YAML.sub(r"\1 T \2 \3 M ID ", TSIG_RR.sub(r"\1 T \2 \3 M ID \5", text))


def compare(args, home):
    d = compat._run("dig", args, home)
    t = compat._run(compat.TERN, args, home)
    dm, tm = compat.mask(mask(d.stdout)), compat.mask(mask(t.stdout))
    assert tm == dm, f"stdout differs for {args}\n--- dig\n{d.stdout}\n--- tern\n{t.stdout}"
    d.stderr = LOG_TIME.sub("", d.stderr)  # dig logs the K* pair's deprecation with a time stamp
    assert compat.mask_err(t.stderr) == compat.mask_err(d.stderr), \
        f"stderr differs for {args}\n--- dig\n{d.stderr}\n--- tern\n{t.stderr}"
    assert t.returncode == d.returncode, f"exit {t.returncode} where dig exits {d.returncode}: {args}"
    return d, t


Y = f"{KEY[1]}:{KEY[0]}:{KEY[2]}"
# Each entry: the arguments after "@127.0.0.1 -p PORT +tries=1 +time=1"; "{good}" and such name key files.
CASES = [
    ["-y", Y, "www.tsig.test"], ["-y", Y, "www.tsig.test", "+multiline"], ["-y", Y, "www.tsig.test", "+short"],
    ["-y", Y, "www.tsig.test", "+qr"], ["-y", Y, "www.tsig.test", "+nocomments"], ["-y", Y, "nx.tsig.test", "+tcp"],
    ["-y", Y, "www.tsig.test", "+noall", "+answer", "+additional"], ["-y", Y, "www.tsig.test", "+split=8"],
    ["-y", Y, "www.tsig.test", "+nottlid", "+noclass"], ["-y", Y, "www.tsig.test", "+yaml"],
    ["-y", Y, "www.tsig.test", "www.tsig.test", "MX"],
    ["-y", Y, "tsig.test", "AXFR"], ["-y", Y, "tsig.test", "AXFR", "+multiline"],
    ["-y", Y, "tsig.test", "AXFR", "+noall", "+answer"], ["-y", Y, "-t", "AXFR", "tsig.test", "+short"],
    ["-y", Y, "tsig.test", "IXFR=1"], ["-y", Y, "tsig.test", "IXFR=2"], ["-y", Y, "tsig.test", "IXFR=1", "+onesoa"],
    ["-k", "{good}", "www.tsig.test"], ["-k", "{comments}", "tsig.test", "AXFR"], ["-k", "{good}", "tsig.test", "IXFR=1"],
    ["tsig.test", "AXFR"],  # no key: refused
    # the server does not know the key, or takes it for another: its error, dig's words
    ["-y", f"{KEY[0]}:{KEY[2]}", "www.tsig.test"],  # dig's default algorithm: hmac-md5
    ["-y", f"hmac-sha512:{KEY[0]}:{KEY[2]}", "www.tsig.test"],
    ["-y", f"hmac-sha256:other.key:{KEY[2]}", "www.tsig.test"],
    ["-y", f"hmac-sha256:{KEY[0]}:d3Jvbmcgc2VjcmV0", "www.tsig.test"],
    ["-k", "{wrong}", "tsig.test", "AXFR"], ["-y", f"hmac-sha256:{KEY[0]}:d3Jvbmcgc2VjcmV0", "tsig.test", "IXFR=1"],
    # keys that cannot be made: said, and the queries go unsigned
    ["-y", f"hmac-foo:{KEY[0]}:{KEY[2]}", "www.tsig.test"], ["-y", f"{KEY[0]}:!!!", "www.tsig.test"],
    ["-y", f"hmac-sha256:a..b:{KEY[2]}", "www.tsig.test"], ["-y", "tkey", "www.tsig.test"],
    ["-k", "{incomplete}", "www.tsig.test"], ["-k", "{garbage}", "www.tsig.test"], ["-k", "{badalg}", "www.tsig.test"],
    ["-k", "/nonexistent/key", "www.tsig.test"],
    ["-y", f"hmac-sha256-1234567890123:{KEY[0]}:{KEY[2]}", "www.tsig.test"],  # dig: unknown key type
    ["-k", "{kpair}", "www.tsig.test"], ["-k", "{kpair}.key", "tsig.test", "AXFR"],
    ["-k", "{kpair}.private", "tsig.test", "IXFR=1"],
]


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("args", CASES, ids=[" ".join(a)[:60] for a in CASES])
def test_tsig_same_as_dig(keyed, files, home, server, args):
    args = [a.format(**files) for a in args]
    compare(["@127.0.0.1", "-p", str(keyed[server].port), "+tries=1", "+time=1"] + args, home)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return str(tmp_path_factory.mktemp("home"))


def _scripted(kind):
    """Answers signed with the key ("signed"), another secret ("badmac"),
    another key ("otherkey"), unsigned ("unsigned"), or with the BADTIME
    error a server reports ("badtime")."""
    good = dns.tsigkeyring.from_text({KEY[0]: (KEY[1], KEY[2])})
    other = dns.tsigkeyring.from_text({KEY[0]: (KEY[1], "d3Jvbmcgc2VjcmV0")})

    def handler(wire, transport, peer, sock):
        q = dns.message.from_wire(wire, keyring=good)
        r = dns.message.make_response(q)  # signed with the query's key
        r.flags |= 0x0400  # AA
        r.answer.append(dns.rrset.from_text("example.com.", 300, "IN", "A", "192.0.2.1"))
        if kind == "badmac":
            r.use_tsig(other, keyname=KEY[0])
        elif kind == "unsigned":
            r.keyring = None
            r.tsig = None
        elif kind == "otherkey":
            r.use_tsig(dns.tsigkeyring.from_text({"other.key.": (KEY[1], KEY[2])}), keyname="other.key.")
        elif kind == "badtime":  # the server says our time is off (its MAC good)
            r.use_tsig(good, keyname=KEY[0], tsig_error=18, other_data=b"\x00\x00\x00\x00\x00\x01")
        return [r.to_wire()]
    return peers.ScriptedServer(handler)


@pytest.mark.parametrize("kind", ["signed", "badmac", "unsigned", "otherkey", "badtime"])
@pytest.mark.parametrize("opts", [[], ["+short"], ["+tcp"], ["+yaml"]], ids=lambda o: " ".join(o) or "default")
def test_verification_failures_as_dig(home, kind, opts):
    srv = _scripted(kind)
    try:
        _, t = compare(["@127.0.0.1", "-p", str(srv.port), "+tries=1", "+time=1", "-y", Y] + opts + ["example.com"],
                       home)
        assert "192.0.2.1" in t.stdout
        assert ("Couldn't verify signature" in t.stdout) == (kind != "signed" and "+yaml" not in opts)
    finally:
        srv.stop()


@pytest.mark.parametrize("server", SERVERS)
def test_every_message_of_a_transfer_is_verified(keyed, home, server):
    """A transfer of several messages, each signed, passes tern's check of
    every message (no warning, each message's TSIG shown as dig shows it);
    with a wrong secret it fails (both as dig)."""
    port = str(keyed[server].port)
    _, t = compare(["@127.0.0.1", "-p", port, "-y", Y, BIG, "AXFR"], home)
    msgs = int(re.search(r"messages (\d+),", t.stdout).group(1))
    assert msgs > 1 and t.stdout.count("\tTSIG\t") == msgs and "WARNING" not in t.stdout
    _, t = compare(["@127.0.0.1", "-p", port, "-y", f"{KEY[1]}:{KEY[0]}:d3Jvbmcgc2VjcmV0", BIG, "AXFR"], home)
    assert "Transfer failed" in t.stdout


def test_json_shows_the_tsig_record(keyed, home):
    """+json (RFC 8427, tern's own): the TSIG record among the additional
    records, its RDATA in presentation form."""
    import json
    t = compat._run(compat.TERN, ["@127.0.0.1", "-p", str(keyed["ternd"].port), "-y", Y, "+json", "www.tsig.test"],
                    home)
    assert t.returncode == 0, t.stderr
    rr = [r for r in json.loads(t.stdout)["additionalRRs"] if r["TYPE"] == 250]
    assert len(rr) == 1 and rr[0]["NAME"] == KEY[0] and rr[0]["CLASSname"] == "ANY"
    fields = rr[0]["rdataTSIG"].split(" ")
    assert fields[0] == "hmac-sha256." and fields[2:4] == ["300", "32"] and fields[-2:] == ["NOERROR", "0"], rr


def _transfer_server(bad):
    """AXFR of example.com. in three messages, each signed in turn (RFC 8945
    5.3.1); bad: the index of a message whose MAC is spoiled."""
    good = dns.tsigkeyring.from_text({KEY[0]: (KEY[1], KEY[2])})
    soa = dns.rrset.from_text("example.com.", 300, "IN", "SOA", "ns.example.com. hm.example.com. 1 3600 600 86400 300")
    parts = [[soa, dns.rrset.from_text("a.example.com.", 300, "IN", "A", "192.0.2.1")],
             [dns.rrset.from_text("b.example.com.", 300, "IN", "A", "192.0.2.2")], [soa]]

    def handler(wire, transport, peer, sock):
        q = dns.message.from_wire(wire, keyring=good)
        out, ctx = [], None
        for i, rrsets in enumerate(parts):
            r = dns.message.make_response(q)
            r.flags |= 0x0400
            if i:
                r.question = []
            r.answer.extend(rrsets)
            w = bytearray(r.to_wire(multi=True, tsig_ctx=ctx))
            ctx = r.tsig_ctx
            if i == bad:
                w[-7] ^= 0xFF  # the MAC's last byte (Original ID, Error, Other Len follow)
            out.append(bytes(w))
        return out
    return peers.ScriptedServer(handler)


@pytest.mark.parametrize("bad", [None, 1, 2], ids=["all-good", "second-bad", "last-bad"])
def test_a_bad_message_inside_a_transfer_as_dig(home, bad):
    srv = _transfer_server(bad)
    try:
        _, t = compare(["@127.0.0.1", "-p", str(srv.port), "+tries=1", "+time=2", "-y", Y, "example.com", "AXFR"],
                       home)
        assert ("Couldn't verify signature" in t.stdout) == (bad is not None)
        assert "192.0.2.2" in t.stdout and "messages 3" in t.stdout
    finally:
        srv.stop()
