"""TSIG (RFC 8945) on queries (issue 11, item 1).

`key:` sections in the configuration; a signed query is verified and its
answer signed (dnspython, dig -y and kdig -y verify it), for every
algorithm, over UDP and TCP; an unknown key gets NOTAUTH with TSIG error
BADKEY and an unsigned TSIG, a wrong secret BADSIG, a Time Signed outside
the fudge BADTIME (signed, with the request's time and the server's in
Other Data), a TSIG that is not the last record FORMERR (RFC 8945 5.1,
5.2, 5.3.2). Unsigned queries are answered as before."""
import os
import re
import shutil
import socket
import struct
import subprocess
import time
from unittest import mock

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import pytest

from ternd import binary, start_ternd

ZONE = """$ORIGIN example.com.
$TTL 300
@ SOA ns host 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
""" + "".join(f'big TXT "{i:02d} {"x" * 60}"\n' for i in range(30)) + "".join(
    f'mid TXT "{i:02d} {"x" * 60}"\n' for i in range(5))  # 413 bytes: fits 512 without a TSIG, not with one
SECRET = "dGVybi10c2lnLXN5c3RlbS10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"
OTHER_SECRET = "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="
ALGS = {
    "hmac-md5": dns.tsig.HMAC_MD5,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}
BADSIG, BADKEY, BADTIME = 16, 17, 18


def key_name(alg):
    return f"k-{alg}.example."


def config():
    lines = []
    for alg in ALGS:
        lines += ["key:", f"    name: {key_name(alg)}"]
        if alg != "hmac-sha256":  # the default
            lines.append(f"    algorithm: {alg}")
        lines.append(f'    secret: "{SECRET}"   # a comment after the value')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("tsig")
    conf = d / "tsig.conf"
    conf.write_text(config())
    s = start_ternd(d, {"example.com": ZONE}, args=["--config", str(conf)])
    yield s
    s.stop()
    assert s.exit_status == 0, s.log_text()


def keyring(alg, secret=SECRET, name=None):
    return dns.tsigkeyring.from_text({name or key_name(alg): (ALGS[alg], secret)})


def signed_query(alg, secret=SECRET, name=None, qname="www.example.com", qtype="A", **kw):
    q = dns.message.make_query(qname, qtype, **kw)
    q.use_tsig(keyring(alg, secret, name), keyname=name or key_name(alg), algorithm=ALGS[alg])
    return q


def exchange(srv, wire, tcp=False):
    """Sends raw bytes, returns the raw answer."""
    if tcp:
        with socket.create_connection((srv.host, srv.port), timeout=3) as s:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            n = struct.unpack("!H", recv_all(s, 2))[0]
            return recv_all(s, n)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(wire, (srv.host, srv.port))
        return s.recv(65535)


def recv_all(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        assert c, "connection closed"
        b += c
    return b


def tsig_fields(wire):
    """The TSIG RR of a message (the last record), as a dict, or None."""
    qd, an, ns, ar = struct.unpack("!4H", wire[4:12])
    off = 12
    for _ in range(qd):
        _, n = dns.name.from_wire(wire, off)
        off += n + 4
    found = None
    for _ in range(an + ns + ar):
        start = off
        name, n = dns.name.from_wire(wire, off)
        off += n
        rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", wire[off:off + 10])
        off += 10
        if rtype == 250:
            p = off
            alg, n = dns.name.from_wire(wire, p)
            p += n
            hi, lo, fudge, maclen = struct.unpack("!HIHH", wire[p:p + 10])
            p += 10
            mac = wire[p:p + maclen]
            p += maclen
            orig_id, error, olen = struct.unpack("!HHH", wire[p:p + 6])
            p += 6
            found = dict(start=start, name=name, alg=alg, klass=rclass, ttl=ttl, time=hi << 32 | lo, fudge=fudge, mac=mac,
                         orig_id=orig_id, error=error, other=wire[p:p + olen])
        off += rdlen
    assert off == len(wire)
    return found


def rcode_of(wire):
    return struct.unpack("!H", wire[2:4])[0] & 0xF


@pytest.mark.parametrize("alg", list(ALGS))
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_signed_query_gets_signed_answer(srv, alg, tcp):
    q = signed_query(alg)
    r = srv.send(q, tcp=tcp)  # dnspython verifies the answer's TSIG with the keyring
    assert r.rcode() == dns.rcode.NOERROR
    assert r.had_tsig
    assert r.answer[0][0].address == "192.0.2.80"
    assert r.flags & dns.flags.AA


def test_signed_query_without_edns_and_refused_name(srv):
    r = srv.send(signed_query("hmac-sha256", use_edns=False))
    assert r.had_tsig and r.rcode() == dns.rcode.NOERROR and r.opt is None
    r = srv.send(signed_query("hmac-sha256", qname="www.example.net"))  # not served: REFUSED, still signed
    assert r.had_tsig and r.rcode() == dns.rcode.REFUSED


@pytest.mark.parametrize("edns", [False, True], ids=["512", "edns1232"])
def test_signed_truncated_answer_fits(srv, edns):
    """Room for the TSIG is kept: an answer too big for UDP is truncated
    (TC) within the size limit, and still signed."""
    q = signed_query("hmac-sha512", qname="big.example.com", qtype="TXT", use_edns=0 if edns else False)
    a = exchange(srv, q.to_wire())
    assert len(a) <= (1232 if edns else 512)
    r = dns.message.from_wire(a, keyring=keyring("hmac-sha512"), request_mac=q.mac)
    assert r.flags & dns.flags.TC and r.had_tsig
    r = srv.send(signed_query("hmac-sha512", qname="big.example.com", qtype="TXT"), tcp=True)
    assert len(r.answer[0]) == 30 and r.had_tsig


def test_signed_answer_room_for_tsig(srv):
    """An answer that would fit in 512 bytes alone but not with its TSIG
    is truncated rather than sent unsigned or not at all."""
    q = signed_query("hmac-sha512", qname="mid.example.com", qtype="TXT", use_edns=False)
    a = exchange(srv, q.to_wire())
    assert len(a) <= 512
    r = dns.message.from_wire(a, keyring=keyring("hmac-sha512"), request_mac=q.mac)
    assert r.flags & dns.flags.TC and r.had_tsig
    r = srv.query("mid.example.com", "TXT", use_edns=False)  # unsigned: it fits
    assert len(r.answer[0]) == 5 and not r.flags & dns.flags.TC


def test_unsigned_query_still_answered(srv):
    r = srv.query("www.example.com", "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.had_tsig
    assert tsig_fields(r.to_wire()) is None


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_unknown_key_badkey(srv, tcp):
    """RFC 8945 5.2.1: NOTAUTH, TSIG error BADKEY, no MAC (5.3.2). Before
    TSIG support this query was answered as if unsigned."""
    q = signed_query("hmac-sha256", name="nosuchkey.example.")
    a = exchange(srv, q.to_wire(), tcp)
    assert rcode_of(a) == dns.rcode.NOTAUTH
    t = tsig_fields(a)
    assert t is not None, "the answer carries a TSIG RR"
    assert t["error"] == BADKEY and t["mac"] == b""
    assert t["name"] == dns.name.from_text("nosuchkey.example.")
    assert t["orig_id"] == q.id and t["klass"] == 255 and t["ttl"] == 0
    assert struct.unpack("!4H", a[4:12])[1] == 0, "no answer records"
    # dnspython reading it with the key it used: the peer's BADKEY
    with pytest.raises(dns.tsig.PeerBadKey):
        dns.message.from_wire(a, keyring=keyring("hmac-sha256", name="nosuchkey.example."), request_mac=q.mac)


def test_wrong_algorithm_badkey(srv):
    q = signed_query("hmac-sha512", name=key_name("hmac-sha256"))  # the name of a sha256 key
    a = exchange(srv, q.to_wire())
    assert rcode_of(a) == dns.rcode.NOTAUTH
    assert tsig_fields(a)["error"] == BADKEY


@pytest.mark.parametrize("alg", ["hmac-md5", "hmac-sha256", "hmac-sha512"])
def test_wrong_secret_badsig(srv, alg):
    q = signed_query(alg, secret=OTHER_SECRET)
    a = exchange(srv, q.to_wire())
    assert rcode_of(a) == dns.rcode.NOTAUTH
    t = tsig_fields(a)
    assert t["error"] == BADSIG and t["mac"] == b""
    assert t["name"] == dns.name.from_text(key_name(alg))
    with pytest.raises(dns.tsig.PeerBadSignature):
        dns.message.from_wire(a, keyring=keyring(alg, OTHER_SECRET), request_mac=q.mac)


@pytest.mark.parametrize("skew", [-1000, 1000])
def test_time_outside_fudge_badtime(srv, skew):
    """RFC 8945 5.2.3: BADTIME, signed, with the request's Time Signed and
    the server's time in Other Data (so the client can fix its clock)."""
    q = signed_query("hmac-sha256")
    t0 = int(time.time()) + skew
    with mock.patch("time.time", return_value=t0):
        wire = q.to_wire()
    a = exchange(srv, wire)
    now = int(time.time())
    assert rcode_of(a) == dns.rcode.NOTAUTH
    t = tsig_fields(a)
    assert t["error"] == BADTIME
    assert t["time"] == t0
    assert len(t["other"]) == 6
    server_time = int.from_bytes(t["other"], "big")
    assert abs(server_time - now) <= 2
    assert len(t["mac"]) == 32, "a BADTIME answer is signed"
    with pytest.raises(dns.tsig.PeerBadTime):
        dns.message.from_wire(a, keyring=keyring("hmac-sha256"), request_mac=q.mac)


def test_time_inside_fudge_accepted(srv):
    q = signed_query("hmac-sha256")
    with mock.patch("time.time", return_value=int(time.time()) - 250):
        wire = q.to_wire()
    a = exchange(srv, wire)
    assert rcode_of(a) == dns.rcode.NOERROR
    r = dns.message.from_wire(a, keyring=keyring("hmac-sha256"), request_mac=q.mac)
    assert r.had_tsig


def test_tsig_not_last_formerr(srv):
    """RFC 8945 5.1: a TSIG anywhere but last is FORMERR (unsigned)."""
    wire = bytearray(signed_query("hmac-sha256", use_edns=False).to_wire())
    wire += b"\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"  # ". A 192.0.2.1" after it
    wire[10:12] = struct.pack("!H", struct.unpack("!H", wire[10:12])[0] + 1)
    a = exchange(srv, bytes(wire))
    assert rcode_of(a) == dns.rcode.FORMERR
    assert tsig_fields(a) is None


def with_mac(wire, mac):
    """wire (whose TSIG RR is last) with that TSIG's MAC replaced."""
    t = tsig_fields(wire)
    rdata = (t["alg"].to_wire() + struct.pack("!HIHH", t["time"] >> 32, t["time"] & 0xFFFFFFFF, t["fudge"], len(mac))
             + mac + struct.pack("!HHH", t["orig_id"], t["error"], len(t["other"])) + t["other"])
    return wire[:t["start"]] + t["name"].to_wire() + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata


def test_truncated_mac(srv):
    """RFC 8945 5.2.2.1: a MAC cut to half the hash (16 of 32 bytes) is
    allowed, and the answer is signed with the full MAC; shorter is FORMERR."""
    q = signed_query("hmac-sha256", use_edns=False)
    wire = q.to_wire()
    mac = tsig_fields(wire)["mac"]
    a = exchange(srv, with_mac(wire, mac[:16]))
    assert rcode_of(a) == dns.rcode.NOERROR
    assert len(tsig_fields(a)["mac"]) == 32
    a = exchange(srv, with_mac(wire, mac[:15]))
    assert rcode_of(a) == dns.rcode.FORMERR
    assert tsig_fields(a) is None
    a = exchange(srv, with_mac(wire, mac[:15] + bytes([mac[15] ^ 1])))
    assert rcode_of(a) == dns.rcode.NOTAUTH
    assert tsig_fields(a)["error"] == BADSIG


def need(tool):
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} not installed (tests/deps.sh)")
    return path


@pytest.mark.parametrize("alg", list(ALGS))
def test_dig_y(srv, alg):
    dig = need("dig")
    p = subprocess.run([dig, "-p", str(srv.port), f"@{srv.host}", "+norec", "+time=3", "+tries=1",
                        "-y", f"{alg}:{key_name(alg)}:{SECRET}", "www.example.com", "A"],
                       capture_output=True, text=True, timeout=20)
    out = p.stdout + p.stderr
    assert "status: NOERROR" in out, out
    assert "TSIG PSEUDOSECTION" in out, out
    assert "Couldn't verify" not in out and "failure" not in out.lower(), out
    assert "192.0.2.80" in out


def test_dig_y_wrong_secret(srv):
    dig = need("dig")
    p = subprocess.run([dig, "-p", str(srv.port), f"@{srv.host}", "+norec", "+time=3", "+tries=1",
                        "-y", f"hmac-sha256:{key_name('hmac-sha256')}:{OTHER_SECRET}", "www.example.com", "A"],
                       capture_output=True, text=True, timeout=20)
    out = p.stdout + p.stderr
    assert "status: NOTAUTH" in out, out
    assert re.search(r"TSIG\s+hmac-sha256\..*BADSIG", out), out


@pytest.mark.parametrize("alg", ["hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha512"])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_kdig_y(srv, alg, tcp):
    kdig = need("kdig")
    argv = [kdig, "-p", str(srv.port), f"@{srv.host}", "+norec", "+time=3", "+retry=0",
            "-y", f"{alg}:{key_name(alg)}:{SECRET}", "www.example.com", "A"]
    if tcp:
        argv.insert(1, "+tcp")
    p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    out = p.stdout + p.stderr
    assert "status: NOERROR" in out, out
    assert "TSIG PSEUDOSECTION" in out, out
    assert "WARNING" not in out, out
    assert "192.0.2.80" in out


def test_kdig_unknown_key(srv):
    kdig = need("kdig")
    p = subprocess.run([kdig, "-p", str(srv.port), f"@{srv.host}", "+norec", "+time=3", "+retry=0",
                        "-y", f"hmac-sha256:nosuchkey:{SECRET}", "www.example.com", "A"],
                       capture_output=True, text=True, timeout=20)
    out = p.stdout + p.stderr
    assert "BADKEY" in out, out  # kdig shows the TSIG error as the status
    assert "192.0.2.80" not in out


def test_key_config_errors(tmp_path):
    (tmp_path / "bad.conf").write_text(
        "key:\n  name: a\n  secret: not*base64\n"
        "key:\n  name: b\n  algorithm: hmac-sha3\n  secret: c2VjcmV0\n"
        "key:\n  name: c\n"
        "key:\n  name: d\n  secret: c2VjcmV0\n  colour: red\n"
        "key:\n  name: d\n  secret: c2VjcmV0\n")
    p = subprocess.run([binary(), "--check", "--config", "bad.conf"], cwd=str(tmp_path), capture_output=True,
                       text=True, timeout=10)
    assert p.returncode != 0
    err = p.stderr
    assert re.search(r"bad\.conf:1: .*base64", err), err
    assert re.search(r"bad\.conf:4: .*hmac-sha3", err), err
    assert re.search(r"bad\.conf:8: .*secret", err), err
    assert re.search(r"bad\.conf:13: .*colour", err), err
    assert re.search(r"bad\.conf:14: .*twice", err), err
    assert "c2VjcmV0" not in err, "secrets are not logged"


def test_forwarded_signed_query(tmp_path):
    """A signed query answered from upstream (the query is parked, then
    answered again when the upstream answers) gets a signed answer too."""
    from fwd_helpers import UP_RECORDS, Fwd, Records
    f = Fwd(tmp_path)
    try:
        up = f.upstream(Records(UP_RECORDS))
        conf = tmp_path / "keys.conf"
        conf.write_text(config())
        srv = f.ternd(forward=[up], args=["--config", str(conf)])
        for tcp in (False, True):
            r = srv.send(signed_query("hmac-sha256", qname="www.up.test"), tcp=tcp)
            assert r.had_tsig and r.rcode() == dns.rcode.NOERROR
            assert r.answer, r
        a = exchange(srv, signed_query("hmac-sha256", qname="www.up.test", secret=OTHER_SECRET).to_wire())
        assert rcode_of(a) == dns.rcode.NOTAUTH and tsig_fields(a)["error"] == BADSIG
    finally:
        f.close()
