"""test_client.py: system tests of the client `tern` (issue 4).

The client is run as a program ($TERN_BUILD/tern, default build/tern from
the repository root) against ternd (the demo zone; skipped if not built),
Knot and NSD started on loopback by peers.py, and
against small scripted dnspython servers for what a real server will not
do on demand (truncation, wrong IDs, spoofed sources, silence). Its output is
compared with dig's and kdig's on the same server.

    /usr/bin/python3 -m pytest tests/system/test_client.py
    TERN_BUILD=build/san /usr/bin/python3 -m pytest tests/system/test_client.py

Environment: TERN_BUILD (directory of the binaries, default build);
TERN_FUZZ_RUNS and TERN_FUZZ_SEED (how many mutated replies
test_mutated_replies_never_crash sends, default 60, and its seed).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TERN_BUILD", "build")
TERN = os.path.join(ROOT, BUILD, "tern") if not os.path.isabs(BUILD) else os.path.join(BUILD, "tern")

# 40 TXT records of ~60 bytes: about 2.7 kB, more than 1232 bytes of UDP.
BIG_TXT = "".join(f'big TXT "record {i:02d} {"x" * 48}"\n' for i in range(40))

ZONE = f"""$ORIGIN example.com.
$TTL 3600
@       IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@       NS    ns1
@       NS    ns2
@       A     192.0.2.1
@       AAAA  2001:db8::1
@       MX    10 mail
@       MX    20 mail2
ns1     A     192.0.2.53
ns2     A     192.0.2.54
mail    A     192.0.2.25
mail2   AAAA  2001:db8::25
alias   CNAME @
chain   CNAME alias
www     300 A 192.0.2.80
www     300 A 192.0.2.81
txt     TXT   "hello world" "second string"
_sip._udp SRV 10 60 5060 sip
sip     A     192.0.2.60
caa     CAA   0 issue "ca.example.net"
nodata  TXT   "only txt"
{BIG_TXT}"""

REVERSE4 = """$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@   SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@   NS  ns1.example.com.
1   PTR example.com.
"""

REVERSE6 = """$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 3600
@   SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@   NS  ns1.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR example.com.
"""

NSID = "knot-test"


# ---------------------------------------------------------------- helpers

def run(args, input=None, timeout=30, env=None):
    """Runs tern with args; returns CompletedProcess (text)."""
    e = dict(os.environ)
    e.setdefault("TZ", "UTC")
    if env:
        e.update(env)
    r = subprocess.run([TERN] + list(args), input=input, capture_output=True, text=True,
                       timeout=timeout, env=e)
    # under SAN=1 builds a sanitizer report is a failure of any test
    assert "runtime error:" not in r.stderr and "AddressSanitizer" not in r.stderr, r.stderr
    return r


def at(srv):
    return ["@" + srv.host, "-p", str(srv.port)]


SECTION_RE = re.compile(r"^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:$")


def sections(text):
    """dig-style text -> {section: set of (name, ttl, class, type, rdata)};
    question entries get ttl None. Whitespace is normalized; names are
    compared lower-case."""
    out = {}
    cur = None
    for line in text.splitlines():
        m = SECTION_RE.match(line)
        if m:
            cur = m.group(1)
            out.setdefault(cur, set())
            continue
        if cur is None:
            continue
        if not line.strip():
            cur = None
            continue
        if cur == "QUESTION":
            f = line.lstrip(";").split()
            out[cur].add((f[0].lower(), None, f[1], f[2], ""))
        else:
            if line.startswith(";"):
                continue
            f = line.split(None, 4)
            out[cur].add((f[0].lower(), int(f[1]), f[2], f[3], " ".join(f[4].split()) if len(f) > 4 else ""))
    return out


def make_reply(query_wire, rrs=(), rcode=0, flags=None, id=None, edns=True):
    """A reply to query_wire with answer RRs given as text lines."""
    q = dns.message.from_wire(query_wire)
    r = dns.message.make_response(q)
    if not edns:
        r.use_edns(False)
    r.flags |= dns.flags.AA
    if flags is not None:
        r.flags = flags
    for line in rrs:
        rr = dns.rrset.from_text(*line.split(None, 4))
        r.answer.append(rr)
    r.set_rcode(rcode)
    if id is not None:
        r.id = id
    return r.to_wire()


def parse_json_stream(text):
    dec = json.JSONDecoder()
    objs, pos = [], 0
    text = text.strip()
    while pos < len(text):
        obj, end = dec.raw_decode(text, pos)
        objs.append(obj)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return objs


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="session", autouse=True)
def tern_built():
    if not os.access(TERN, os.X_OK):
        pytest.fail(f"{TERN} not built (make build/tern, or set TERN_BUILD)")


@pytest.fixture(scope="module")
def knot(tmp_path_factory):
    d = tmp_path_factory.mktemp("knot")
    zones = {"example.com": ZONE, "2.0.192.in-addr.arpa": REVERSE4, "8.b.d.0.1.0.0.2.ip6.arpa": REVERSE6}
    with peers.knot(d, zones, nsid=NSID, axfr=True) as k:
        yield k


@pytest.fixture
def fake():
    """A scripted server that answers example.com A with 192.0.2.1 and
    records every query; tests replace .handler."""
    def handler(wire, transport, peer, sock):
        return [make_reply(wire, ["example.com. 300 IN A 192.0.2.1"])]
    srv = peers.ScriptedServer(handler)
    yield srv
    srv.stop()


def queries_of(srv):
    return [(t, dns.message.from_wire(w)) for t, w in srv.queries]


# ---------------------------------------------------------------- basic output

def test_dig_style_output(knot):
    r = run(at(knot) + ["example.com"])
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "; <<>> tern " in out and f"<<>> @127.0.0.1 -p {knot.port} example.com" in out
    assert re.search(r"^;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+$", out, re.M)
    assert re.search(r"^;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1$", out, re.M)
    assert ";; WARNING: recursion requested but not available" in out
    assert ";; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n" in out
    s = sections(out)
    assert s["QUESTION"] == {("example.com.", None, "IN", "A", "")}
    assert s["ANSWER"] == {("example.com.", 3600, "IN", "A", "192.0.2.1")}
    assert re.search(r"^;; Query time: \d+ msec$", out, re.M)
    assert f";; SERVER: 127.0.0.1#{knot.port}(127.0.0.1) (UDP)" in out
    assert re.search(r"^;; WHEN: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \w+ \d{4}$", out, re.M)
    assert re.search(r"^;; MSG SIZE  rcvd: 56$", out, re.M)


def test_sections_authority_additional(knot):
    r = run(at(knot) + ["example.com", "MX"])
    s = sections(r.stdout)
    assert s["ANSWER"] == {("example.com.", 3600, "IN", "MX", "10 mail.example.com."),
                           ("example.com.", 3600, "IN", "MX", "20 mail2.example.com.")}
    assert ("mail.example.com.", 3600, "IN", "A", "192.0.2.25") in s["ADDITIONAL"]
    r = run(at(knot) + ["nx.example.com"])
    s = sections(r.stdout)
    assert "ANSWER" not in s
    assert s["AUTHORITY"] == {("example.com.", 300, "IN", "SOA",
                               "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300")}


def test_type_and_class_positional_and_flags(knot):
    for args in (["txt.example.com", "TXT"], ["txt.example.com", "TXT", "IN"], ["-t", "TXT", "txt.example.com"],
                 ["TXT", "txt.example.com"], ["txt.example.com", "-t", "txt", "-c", "in"],
                 ["-q", "txt.example.com", "-t", "TXT"]):
        r = run(at(knot) + args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        s = sections(r.stdout)
        assert s["ANSWER"] == {("txt.example.com.", 3600, "IN", "TXT", '"hello world" "second string"')}, args


def test_class_and_type_sent(fake):
    r = run(at(fake) + ["-c", "CH", "-t", "TXT", "version.bind", "+timeout=1", "+tries=1"])
    q = queries_of(fake)[0][1]
    assert q.question[0].rdclass == 3 and q.question[0].rdtype == dns.rdatatype.TXT
    assert str(q.question[0].name) == "version.bind."
    assert r.returncode == 0 and sections(r.stdout)["QUESTION"] == {("version.bind.", None, "CH", "TXT", "")}


# ---------------------------------------------------------------- +short

def test_short(knot):
    r = run(at(knot) + ["+short", "example.com"])
    assert r.stdout == "192.0.2.1\n" and r.returncode == 0
    r = run(at(knot) + ["chain.example.com", "+short"])
    assert r.stdout.splitlines() == ["alias.example.com.", "example.com.", "192.0.2.1"]
    r = run(at(knot) + ["www.example.com", "+short"])
    assert sorted(r.stdout.splitlines()) == ["192.0.2.80", "192.0.2.81"]
    r = run(at(knot) + ["+short", "nx.example.com"])
    assert r.stdout == "" and r.returncode == 0  # dig's status: a reply arrived
    r = run(at(knot) + ["+short", "+rcode-status", "nx.example.com"])
    assert r.stdout == "" and r.returncode == 2


def test_short_matches_dig(knot):
    for args in (["example.com", "MX"], ["chain.example.com"], ["txt.example.com", "TXT"],
                 ["_sip._udp.example.com", "SRV"], ["caa.example.com", "CAA"], ["example.com", "AAAA"]):
        t = run(at(knot) + args + ["+short"])
        d = subprocess.run(["dig"] + at(knot) + args + ["+short"], capture_output=True, text=True)
        assert sorted(t.stdout.splitlines()) == sorted(d.stdout.splitlines()), args


# ---------------------------------------------------------------- +json

def test_json_fields(knot):
    r = run(at(knot) + ["+json", "example.com", "MX"])
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert isinstance(m["ID"], int) and 0 <= m["ID"] <= 65535
    assert m["QR"] is True and m["AA"] is True and m["TC"] is False and m["RD"] is True
    assert m["RA"] is False and m["AD"] is False and m["CD"] is False
    assert m["Opcode"] == 0 and m["RCODE"] == 0
    assert (m["QDCOUNT"], m["ANCOUNT"], m["NSCOUNT"]) == (1, 2, 0)
    assert m["ARCOUNT"] == len(m["additionalRRs"]) >= 2
    assert m["QNAME"] == "example.com." and m["QTYPE"] == 15 and m["QTYPEname"] == "MX"
    assert m["QCLASS"] == 1 and m["QCLASSname"] == "IN"
    assert m["questionRRs"] == [{"NAME": "example.com.", "TYPE": 15, "TYPEname": "MX", "CLASS": 1,
                                 "CLASSname": "IN"}]
    assert m["authorityRRs"] == []
    ans = sorted(m["answerRRs"], key=lambda x: x["rdataMX"])
    assert [a["rdataMX"] for a in ans] == ["10 mail.example.com.", "20 mail2.example.com."]
    for a in ans:
        assert a["NAME"] == "example.com." and a["TYPE"] == 15 and a["TYPEname"] == "MX"
        assert a["CLASS"] == 1 and a["CLASSname"] == "IN" and a["TTL"] == 3600
        assert a["RDLENGTH"] == len(bytes.fromhex(a["RDATAHEX"]))
    glue = [a for a in m["additionalRRs"] if a["TYPE"] == 1]
    assert {"NAME": "mail.example.com.", "TYPE": 1, "TYPEname": "A", "CLASS": 1, "CLASSname": "IN",
            "TTL": 3600, "RDLENGTH": 4, "RDATAHEX": "C0000219", "rdataA": "192.0.2.25"} in glue
    opt = [a for a in m["additionalRRs"] if a["TYPE"] == 41]
    assert len(opt) == 1 and opt[0]["NAME"] == "." and opt[0]["CLASS"] == 1232
    # the whole message, as received, decodes to the same thing
    msg = dns.message.from_wire(bytes.fromhex(m["messageOctetsHEX"]))
    assert msg.id == m["ID"] and len(msg.answer[0]) == 2
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", m["dateString"])
    assert abs(m["dateSeconds"] - time.time()) < 60


def test_json_types(knot):
    def one(args):
        r = run(at(knot) + ["+json", "+rcode-status"] + args)
        return r.returncode, json.loads(r.stdout)
    rc, m = one(["alias.example.com", "CNAME"])
    assert m["answerRRs"][0]["rdataCNAME"] == "example.com."
    rc, m = one(["example.com", "AAAA"])
    assert m["answerRRs"][0]["rdataAAAA"] == "2001:db8::1"
    assert m["answerRRs"][0]["RDATAHEX"] == "20010DB8000000000000000000000001"
    rc, m = one(["example.com", "NS"])
    assert sorted(a["rdataNS"] for a in m["answerRRs"]) == ["ns1.example.com.", "ns2.example.com."]
    rc, m = one(["txt.example.com", "TXT"])
    assert m["answerRRs"][0]["rdataTXT"] == '"hello world" "second string"'
    rc, m = one(["-x", "192.0.2.1"])
    assert m["answerRRs"][0]["rdataPTR"] == "example.com."
    assert m["QNAME"] == "1.2.0.192.in-addr.arpa." and m["QTYPEname"] == "PTR"
    rc, m = one(["nx.example.com"])
    assert rc == 2 and m["RCODE"] == 3 and m["ANCOUNT"] == 0 and m["answerRRs"] == []
    assert m["authorityRRs"][0]["TYPEname"] == "SOA"
    assert m["authorityRRs"][0]["rdataSOA"].startswith("ns1.example.com. hostmaster.example.com. 2024010101")


def test_json_escapes_odd_names(fake):
    fake.handler = lambda w, *a: [make_reply(w)]
    odd = 'we\\"ird\\032name\\\\x.example.'  # a quote, a space and a backslash in one label
    r = run(at(fake) + ["+json", odd])
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert dns.name.from_text(m["QNAME"]) == dns.name.from_text(odd)
    sent = queries_of(fake)[0][1].question[0].name
    assert sent.labels[0] == b'we"ird name\\x'


def test_json_several_and_errors_on_stderr(knot, fake):
    r = run(at(knot) + ["+json", "+rcode-status", "example.com", "nx.example.com", "txt.example.com", "TXT"])
    objs = parse_json_stream(r.stdout)
    assert [o["QNAME"] for o in objs] == ["example.com.", "nx.example.com.", "txt.example.com."]
    assert r.returncode == 2
    fake.handler = lambda *a: []
    r = run(at(fake) + ["+json", "+timeout=1", "+tries=1", "example.com"])
    assert r.returncode == 9 and r.stdout == ""
    assert "timed out" in r.stderr


# ---------------------------------------------------------------- exit codes

def test_exit_codes(knot, fake):
    # dig's statuses: 0 whenever a reply arrived
    for rs in ([], ["+rcode-status"]):
        assert run(at(knot) + rs + ["example.com"]).returncode == 0
        assert run(at(knot) + rs + ["nodata.example.com", "A"]).returncode == 0  # NODATA
    assert run(at(knot) + ["nx.example.com"]).returncode == 0
    assert run(at(knot) + ["example.org"]).returncode == 0  # REFUSED
    # +rcode-status: tern's own distinct statuses
    assert run(at(knot) + ["+rcode-status", "nx.example.com"]).returncode == 2
    assert run(at(knot) + ["+rcode-status", "example.org"]).returncode == 3
    fake.handler = lambda w, *a: [make_reply(w, rcode=dns.rcode.SERVFAIL)]
    r = run(at(fake) + ["+rcode-status", "example.com"])
    assert r.returncode == 3 and "status: SERVFAIL" in r.stdout
    assert run(at(fake) + ["example.com"]).returncode == 0
    fake.handler = lambda w, *a: [make_reply(w, rcode=dns.rcode.REFUSED)]
    assert run(at(fake) + ["+rcode-status", "example.com"]).returncode == 3
    fake.handler = lambda w, *a: [make_reply(w, rcode=dns.rcode.FORMERR)]
    assert run(at(fake) + ["+rcode-status", "example.com"]).returncode == 3
    fake.handler = lambda *a: []
    assert run(at(fake) + ["+timeout=1", "+tries=1", "example.com"]).returncode == 9
    for bad in (["+frobnicate"], ["-p", "70000", "x."], ["-p", "x", "x."], ["-x"], ["-z"],
                ["@", "x."], ["@[::1", "x."], ["-p"], ["+nobufsize", "x."], ["IXFR=x", "x."]):
        r = run(["@127.0.0.1"] + bad)
        assert r.returncode == 1, bad
        assert r.stderr, bad
    for bad in (["+tries=x", "x."], ["+bufsize=70000", "x."], ["+qid=70000", "x."], ["+edns=300", "x."]):
        r = run(["@127.0.0.1"] + bad)
        assert r.returncode == 10 and "Couldn't parse" in r.stderr, bad
    # an unknown type or class is warned about and ignored, as dig does
    r = run(at(knot) + ["-t", "NOSUCHTYPE", "-c", "NOCLASS", "example.com", "+short"])
    assert r.returncode == 0 and r.stdout == "192.0.2.1\n"
    assert ";; Warning, ignoring invalid type NOSUCHTYPE" in r.stderr
    assert ";; Warning, ignoring invalid class NOCLASS" in r.stderr


def test_exit_code_worst_wins(knot, fake):
    assert run(at(knot) + ["+rcode-status", "example.com", "nx.example.com"]).returncode == 2
    assert run(at(knot) + ["+rcode-status", "nx.example.com", "example.org", "example.com"]).returncode == 3
    assert run(at(knot) + ["nx.example.com", "example.org", "example.com"]).returncode == 0
    fake.handler = lambda w, *a: [] if b"silent" in w else [make_reply(w, rcode=dns.rcode.NXDOMAIN)]
    r = run(at(fake) + ["+timeout=1", "+tries=1", "nx.example.com", "silent.example.com", "nx2.example.com"])
    assert r.returncode == 9


def test_help_documents_exit_codes():
    r = run(["--help"])
    assert r.returncode == 0
    for code, what in (("0", "reply arrived"), ("1", "usage"), ("2", "NXDOMAIN"), ("3", "SERVFAIL"),
                       ("8", "batch"), ("9", "no reply"), ("10", "internal")):
        assert re.search(rf"^\s+{code}\s+.*{what}", r.stdout, re.M), code
    for opt in ("+[no]tcp", "+[no]short", "+[no]recurse", "+[no]dnssec", "+bufsize", "+[no]edns", "+timeout=",
                "+tries=", "+[no]nsid", "+[no]json", "+[no]rcode-status", "-x dot-notation", "-p port", "-4", "-6",
                "-i", "TERN_RESOLV_CONF"):
        assert opt in r.stdout, opt
    assert run(["-h"]).returncode == 0
    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.startswith("tern ")


# ---------------------------------------------------------------- several queries, -x

def test_several_queries(knot):
    args = ["example.com", "A", "example.com", "MX", "txt.example.com", "TXT", "+short"]
    r = run(at(knot) + args)
    # +short is global in dig, wherever it stands
    d = subprocess.run(["dig"] + at(knot) + args, capture_output=True, text=True)
    assert r.stdout == d.stdout == '192.0.2.1\n10 mail.example.com.\n20 mail2.example.com.\n"hello world" "second string"\n'
    r = run(at(knot) + ["example.com", "A", "example.com", "MX"])
    assert r.stdout.count("; <<>> tern") == 1  # one greeting per run, as dig
    blocks = r.stdout.split(";; Got answer:")
    assert ("example.com.", 3600, "IN", "A", "192.0.2.1") in sections(blocks[1])["ANSWER"]
    r = run(at(knot) + ["+short", "example.com", "www.example.com", "-x", "192.0.2.1"])
    lines = r.stdout.splitlines()
    assert lines[0] == "192.0.2.1" and sorted(lines[1:3]) == ["192.0.2.80", "192.0.2.81"]
    assert lines[3] == "example.com."


def test_batch_file(knot, tmp_path):
    f = tmp_path / "queries"
    f.write_text("example.com MX +short\n# a comment\n\n  nx.example.com ; trailing comment\n"
                 "-x 192.0.2.1\ntxt.example.com -t TXT +noall +answer\n")
    r = run(at(knot) + ["+short", "-f", str(f)])
    assert r.returncode == 0
    assert r.stdout.splitlines() == ["10 mail.example.com.", "20 mail2.example.com.", "example.com.",
                                     '"hello world" "second string"']
    d = subprocess.run(["dig"] + at(knot) + ["+short", "-f", str(f)], capture_output=True, text=True)
    assert d.stdout == r.stdout
    r = run(at(knot) + ["-f", "-"], input="example.com\n")
    assert r.returncode == 0 and "Enter hostname" not in r.stdout
    assert sections(r.stdout)["ANSWER"] == {("example.com.", 3600, "IN", "A", "192.0.2.1")}
    for bad in ("example.com NOSUCH.TYPE +frob\n", "@127.0.0.1 example.com\n", "-p 53 example.com\n"):
        f.write_text(bad)
        assert run(at(knot) + ["-f", str(f)]).returncode == 1, bad
    f.write_text("")
    r = run(at(knot) + ["-f", str(f)], input="example.com\n")
    assert r.returncode == 0 and r.stdout == ""
    r = run(at(knot) + ["-f", str(tmp_path / "missing")])
    assert r.returncode == 8 and "couldn't open specified batch file" in r.stderr  # dig's status


def test_reverse(knot, fake):
    r = run(at(knot) + ["-x", "192.0.2.1"])
    s = sections(r.stdout)
    assert s["QUESTION"] == {("1.2.0.192.in-addr.arpa.", None, "IN", "PTR", "")}
    assert s["ANSWER"] == {("1.2.0.192.in-addr.arpa.", 3600, "IN", "PTR", "example.com.")}
    r = run(at(knot) + ["-x", "2001:db8::1", "+short"])
    assert r.stdout == "example.com.\n"
    fake.handler = lambda *a: []
    run(at(fake) + ["+timeout=1", "+tries=1", "-x", "2001:db8::abcd"])
    q = queries_of(fake)[0][1]
    assert str(q.question[0].name) == "d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    assert q.question[0].rdtype == dns.rdatatype.PTR


# ---------------------------------------------------------------- server selection

def test_server_forms(knot):
    p = knot.port
    for args in ([f"@127.0.0.1#{p}"], [f"@127.0.0.1:{p}"], [f"@[127.0.0.1]:{p}"], ["@127.0.0.1", f"-p{p}"],
                 ["-4", "-p", str(p), "@localhost"], ["-4", f"@127.0.0.1#{p}"]):
        r = run(args + ["+short", "example.com"])
        assert r.stdout == "192.0.2.1\n", (args, r.stdout, r.stderr)
    r = run(["-6", f"@127.0.0.1#{p}", "example.com"])
    assert r.returncode == 1


def test_source_address(fake):
    peers_seen = []

    def handler(wire, transport, peer, sock):
        peers_seen.append((transport, peer[0]))
        return [make_reply(wire, ["example.com. 300 IN A 192.0.2.1"])]
    fake.handler = handler
    for opts in (["-b", "127.0.0.2"], ["-b127.0.0.3", "+tcp"]):
        assert run(at(fake) + opts + ["example.com"]).returncode == 0
    assert peers_seen == [("udp", "127.0.0.2"), ("tcp", "127.0.0.3")]
    port = peers.free_port()
    assert run(at(fake) + ["-b", f"127.0.0.2#{port}", "example.com"]).returncode == 0
    for bad in (["-b", "::1"], ["-b", "nonsense"], ["-b", "127.0.0.1#x"], ["-b"]):
        assert run(at(fake) + bad + ["example.com"]).returncode == 1, bad


def test_ipv6_server():
    def handler(wire, transport, peer, sock):
        return [make_reply(wire, ["example.com. 300 IN A 192.0.2.1"])]
    with peers.ScriptedServer(handler, host="::1") as srv:
        for args in ([f"@[::1]:{srv.port}"], ["@::1", "-p", str(srv.port)], [f"@::1#{srv.port}"]):
            r = run(args + ["example.com"])
            assert r.returncode == 0, (args, r.stderr)
            assert f";; SERVER: ::1#{srv.port}(::1) (UDP)" in r.stdout
        assert run(["-6", f"@::1#{srv.port}", "example.com"]).returncode == 0
        assert run(["-4", f"@::1#{srv.port}", "example.com"]).returncode == 1


def test_default_server_from_resolv_conf(knot, tmp_path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("# test\nsearch example.net\nnameserver 127.0.0.1\nnameserver 192.0.2.99\n")
    r = run(["-p", str(knot.port), "example.com"], env={"TERN_RESOLV_CONF": str(conf)})
    assert r.returncode == 0, r.stderr
    assert f";; SERVER: 127.0.0.1#{knot.port}(127.0.0.1) (UDP)" in r.stdout
    assert "; (1 server found)" not in r.stdout


# ---------------------------------------------------------------- transport

def test_tcp(knot, fake):
    r = run(at(knot) + ["+tcp", "example.com"])
    assert r.returncode == 0 and "(127.0.0.1) (TCP)" in r.stdout
    run(at(fake) + ["+tcp", "example.com"])
    run(at(fake) + ["+notcp", "example.com"])
    run(at(fake) + ["+vc", "example.com"])
    assert [t for t, _ in fake.queries] == ["tcp", "udp", "tcp"]
    fake.queries.clear()
    run(at(fake) + ["-t", "AXFR", "example.com", "+timeout=1", "+tries=1"])
    assert [t for t, _ in fake.queries] == ["tcp"]  # zone transfers are TCP only


def test_truncation_falls_back_to_tcp(fake):
    def handler(wire, transport, peer, sock):
        if transport == "udp":
            q = dns.message.from_wire(wire)
            r = dns.message.make_response(q)
            r.flags |= dns.flags.TC | dns.flags.AA
            return [r.to_wire()]
        return [make_reply(wire, ["example.com. 300 IN A 192.0.2.7"])]
    fake.handler = handler
    r = run(at(fake) + ["example.com"])
    assert r.returncode == 0
    assert ";; Truncated, retrying in TCP mode.\n" in r.stdout
    assert sections(r.stdout)["ANSWER"] == {("example.com.", 300, "IN", "A", "192.0.2.7")}
    assert "(TCP)" in r.stdout
    assert [t for t, _ in fake.queries] == ["udp", "tcp"]
    # +ignore keeps the truncated answer
    fake.queries.clear()
    r = run(at(fake) + ["+ignore", "example.com"])
    assert "flags: qr tc aa" in r.stdout.replace("qr aa tc", "qr tc aa") and "Truncated" not in r.stdout
    assert [t for t, _ in fake.queries] == ["udp"]


def test_truncation_from_knot(knot):
    r = run(at(knot) + ["big.example.com", "TXT"])
    assert r.returncode == 0
    assert "Truncated, retrying in TCP mode." in r.stdout and "(TCP)" in r.stdout
    assert len(sections(r.stdout)["ANSWER"]) == 40
    for quiet in (["+short"], ["+noall", "+answer"], ["+json"]):
        r = run(at(knot) + ["big.example.com", "TXT"] + quiet)
        d = subprocess.run(["dig"] + at(knot) + ["big.example.com", "TXT"] + quiet, capture_output=True, text=True)
        assert "Truncated" not in r.stdout + r.stderr and r.returncode == 0, quiet
        if quiet != ["+json"]:
            assert r.stdout == d.stdout
    r = run(at(knot) + ["big.example.com", "TXT", "+ignore"])
    assert "Truncated" not in r.stdout and re.search(r"^;; flags: qr aa tc rd;", r.stdout, re.M)
    assert len(sections(r.stdout).get("ANSWER", ())) < 40 and "(UDP)" in r.stdout


def test_mismatched_replies_are_ignored(fake):
    """Wrong ID, wrong question, wrong source port and garbage are all
    passed over (the ID and the question with dig's warnings) and the client
    takes the right reply; a message without QR is taken, as dig takes it,
    with its warning. test_dig_compat.py compares each case with dig."""
    def handler(wire, transport, peer, sock):
        q = dns.message.from_wire(wire)
        wrong_id = make_reply(wire, ["example.com. 300 IN A 6.6.6.1"], id=(q.id + 1) % 65536)
        other_q = dns.message.make_query("other.example.com", "A")
        other_q.id = q.id
        wrong_q = make_reply(other_q.to_wire(), ["other.example.com. 300 IN A 6.6.6.2"])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as spoof:
            spoof.bind(("127.0.0.1", 0))
            spoof.sendto(make_reply(wire, ["example.com. 300 IN A 6.6.6.3"]), peer)
        return [wrong_id, wrong_q, wire[:2] + b"\x81\x80garbage",
                make_reply(wire, ["example.com. 300 IN A 192.0.2.1"])]
    fake.handler = handler
    r = run(at(fake) + ["example.com", "+timeout=2", "+tries=1"])
    assert r.returncode == 0, r.stdout
    assert sections(r.stdout)["ANSWER"] == {("example.com.", 300, "IN", "A", "192.0.2.1")}
    assert "6.6.6" not in r.stdout
    assert re.search(r"^;; Warning: ID mismatch: expected ID \d+, got \d+$", r.stdout, re.M)
    assert ";; ;; Question section mismatch: got other.example.com/A/IN" in r.stdout
    fake.handler = lambda wire, *a: [wire]  # the query itself: QR=0
    r = run(at(fake) + ["example.com", "+timeout=2", "+tries=1"])
    assert r.returncode == 0 and r.stdout.startswith(";; Warning: query response not set\n")


def test_mismatched_replies_over_tcp(fake):
    """Over TCP dig names a message with another ID and stops there (status
    0, no greeting); so does tern."""
    def handler(wire, transport, peer, sock):
        q = dns.message.from_wire(wire)
        return [make_reply(wire, ["example.com. 300 IN A 6.6.6.1"], id=(q.id + 1) % 65536),
                make_reply(wire, ["example.com. 300 IN A 192.0.2.1"])]
    fake.handler = handler
    r = run(at(fake) + ["+tcp", "example.com", "+timeout=2", "+tries=1"])
    assert r.returncode == 0 and "6.6.6" not in r.stdout
    assert re.fullmatch(r";; ERROR: ID mismatch: expected ID \d+, got \d+\n", r.stdout)


def test_malformed_reply(fake):
    """A reply with the right ID and question whose records do not parse is
    reported (exit 3), never a crash."""
    def cut(wire):
        good = make_reply(wire, ["example.com. 300 IN A 192.0.2.1"], edns=False)
        return good[:-3]  # the A record's RDATA cut short

    def bad_rdata(wire):
        good = make_reply(wire, ["example.com. 300 IN A 192.0.2.1"], edns=False)
        return good[:-6] + b"\x00\x05" + good[-4:] + b"\x01"  # an A record of 5 bytes

    for make in (cut, bad_rdata):
        fake.handler = lambda wire, *a: [make(wire)]
        for opts in ([], ["+short"], ["+json"]):
            r = run(at(fake) + opts + ["example.com", "+timeout=1", "+tries=1", "+rcode-status"])
            assert r.returncode == 3, (make.__name__, opts, r.stdout)
            assert "Got bad packet" in r.stdout + r.stderr, (make.__name__, opts)
            if opts == ["+json"]:
                json.loads(r.stdout)  # still well-formed JSON


def test_mutated_replies_never_crash(fake):
    """Replies with random damage (bytes flipped after the ID, cut short,
    junk appended), each followed by the intact reply: whatever the client
    takes, it must exit with a documented status and no sanitizer report."""
    import random
    rnd = random.Random(int(os.environ.get("TERN_FUZZ_SEED", "4")))
    rrs = ["example.com. 300 IN MX 10 mail.example.com.", "example.com. 300 IN TXT \"a\" \"b\"",
           "example.com. 300 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5"]

    def mutate(good):
        b = bytearray(good)
        for _ in range(rnd.randint(1, 6)):
            i = rnd.randrange(2, len(b))
            b[i] = rnd.randrange(256)
        if rnd.random() < 0.3:
            b = b[:rnd.randrange(12, len(b))]
        if rnd.random() < 0.2:
            b += bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 40)))
        b[2] |= 0x80  # QR
        return bytes(b)

    def handler(wire, transport, peer, sock):
        good = make_reply(wire, rrs)
        return [mutate(good), good]
    fake.handler = handler
    for i in range(int(os.environ.get("TERN_FUZZ_RUNS", "60"))):
        opts = [[], ["+short"], ["+json"], ["+yaml"], ["+multiline", "+unknownformat"],
                ["+expandaaaa", "+identify", "+nottlid", "+ttlunits"]][i % 6]
        r = run(at(fake) + opts + ["example.com", "+timeout=1", "+tries=1", "+rcode-status"])
        assert r.returncode in (0, 2, 3), (i, r.returncode, r.stdout, r.stderr)
        if opts == ["+json"] and r.stdout:
            json.loads(r.stdout)


def test_case_of_question_ignored(fake):
    def handler(wire, transport, peer, sock):
        q = dns.message.from_wire(wire)
        r = dns.message.make_response(q)
        r.question[0].name = dns.name.from_text("EXAMPLE.com")
        return [r.to_wire()]
    fake.handler = handler
    assert run(at(fake) + ["example.com", "+timeout=1", "+tries=1"]).returncode == 0


def test_silence_no_reply(fake):
    fake.handler = lambda *a: []
    t0 = time.monotonic()
    r = run(at(fake) + ["+timeout=1", "+tries=2", "example.com"])
    elapsed = time.monotonic() - t0
    assert r.returncode == 9
    assert 1.8 < elapsed < 6
    assert r.stdout.count(f";; communications error to 127.0.0.1#{fake.port}: timed out") == 2
    assert ";; no servers could be reached" in r.stdout
    assert len(fake.queries) == 2
    # the same ID on every try, so that a late answer still counts
    ids = {dns.message.from_wire(w).id for _, w in fake.queries}
    assert len(ids) == 1


def test_no_reply_text_as_dig(fake):
    fake.handler = lambda *a: []
    for opts in (["+timeout=1", "+tries=2"], ["+timeout=1", "+tries=1", "+short"]):
        t = run(at(fake) + opts + ["example.com"])
        d = subprocess.run(["dig"] + at(fake) + opts + ["example.com"], capture_output=True, text=True)
        assert t.returncode == 9 and dig_text(t.stdout) == dig_text(d.stdout), opts


def test_tries_and_timeout(fake):
    fake.handler = lambda *a: []
    t0 = time.monotonic()
    run(at(fake) + ["+timeout=1", "+tries=3", "example.com"])
    assert len(fake.queries) == 3 and 2.7 < time.monotonic() - t0 < 8
    fake.queries.clear()
    run(at(fake) + ["+time=1", "+retry=1", "example.com"])
    assert len(fake.queries) == 2
    fake.queries.clear()
    t0 = time.monotonic()
    run(at(fake) + ["+timeout=1", "+tries=1", "example.com"])
    assert len(fake.queries) == 1 and 0.9 < time.monotonic() - t0 < 4


def test_late_answer_to_first_try_counts(fake):
    state = {"n": 0}

    def handler(wire, transport, peer, sock):
        state["n"] += 1
        if state["n"] == 1:
            time.sleep(1.3)  # answers the first try during the second
            return [make_reply(wire, ["example.com. 300 IN A 192.0.2.1"])]
        return []
    fake.handler = handler
    r = run(at(fake) + ["+timeout=1", "+tries=3", "example.com"])
    assert r.returncode == 0 and len(fake.queries) == 2


def test_no_server_listening():
    port = peers.free_port()
    r = run(["@127.0.0.1", "-p", str(port), "+timeout=1", "+tries=2", "example.com"])
    assert r.returncode == 9
    r = run(["@127.0.0.1", "-p", str(port), "+tcp", "+timeout=1", "+tries=2", "example.com"])
    assert r.returncode == 9 and "connection refused" in r.stdout.lower()


# ---------------------------------------------------------------- zone transfers

AXFR_CASES = [["axfr", "example.com"], ["-t", "AXFR", "example.com", "+short"],
              ["axfr", "example.com", "+nocmd", "+nostats"], ["-t", "AXFR", "nx.test"]]


@pytest.mark.parametrize("args", AXFR_CASES, ids=[" ".join(a) for a in AXFR_CASES])
def test_axfr_as_dig(knot, args):
    t = run(at(knot) + args)
    d = subprocess.run(["dig"] + at(knot) + args, capture_output=True, text=True)
    assert dig_text(t.stdout) == dig_text(d.stdout)
    if "nx.test" in args:
        assert t.returncode == 0 and "; Transfer failed." in t.stdout  # as dig
        assert run(at(knot) + args + ["+rcode-status"]).returncode == 3
    else:
        assert t.returncode == 0


def axfr_messages(wire, parts, qd_in_all=False):
    """The messages of a transfer: parts is a list of lists of RR lines."""
    q = dns.message.from_wire(wire)
    out = []
    for i, lines in enumerate(parts):
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        if i and not qd_in_all:
            r.question = []
        for line in lines:
            r.answer.append(dns.rrset.from_text(*line.split(None, 4)))
        out.append(r.to_wire())
    return out


SOA = "example.com. 300 IN SOA ns1.example.com. h.example.com. 7 3600 600 86400 300"


def test_axfr_several_messages(fake):
    def handler(wire, transport, peer, sock):
        if transport != "tcp":
            return []
        q = dns.message.from_wire(wire)
        stray = make_reply(wire, ["example.com. 300 IN A 6.6.6.6"], id=(q.id + 1) % 65536)
        msgs = axfr_messages(wire, [[SOA, "a.example.com. 300 IN A 192.0.2.1"],
                                    ["b.example.com. 300 IN A 192.0.2.2"],
                                    ["c.example.com. 300 IN A 192.0.2.3", SOA]])
        return [msgs[0], stray, msgs[1], msgs[2]]
    fake.handler = handler
    r = run(at(fake) + ["axfr", "example.com"])
    assert r.returncode == 0, r.stdout
    recs = [" ".join(x.split()) for x in r.stdout.splitlines() if x and not x.startswith(";")]
    assert recs == [" ".join(SOA.split()), "a.example.com. 300 IN A 192.0.2.1", "b.example.com. 300 IN A 192.0.2.2",
                    "c.example.com. 300 IN A 192.0.2.3", " ".join(SOA.split())]
    m = re.search(r"^;; XFR size: 5 records \(messages 3, bytes (\d+)\)$", r.stdout, re.M)
    assert m, r.stdout
    assert "(TCP)" in r.stdout and "6.6.6.6" not in r.stdout
    assert [t for t, _ in fake.queries] == ["tcp"]
    r = run(at(fake) + ["axfr", "example.com", "+json"])
    objs = parse_json_stream(r.stdout)
    assert [o["ANCOUNT"] for o in objs] == [2, 1, 2] and r.returncode == 0


def test_axfr_failures(fake):
    # refused
    fake.handler = lambda w, t, *a: [make_reply(w, rcode=dns.rcode.REFUSED)] if t == "tcp" else []
    r = run(at(fake) + ["axfr", "example.com", "+timeout=1"])
    assert r.returncode == 0 and "; Transfer failed." in r.stdout  # dig's status
    r = run(at(fake) + ["axfr", "example.com", "+timeout=1", "+rcode-status"])
    assert r.returncode == 3 and "; Transfer failed." in r.stdout
    # the server stops after the first message
    fake.handler = lambda w, t, *a: axfr_messages(w, [[SOA, "a.example.com. 300 IN A 192.0.2.1"]])
    r = run(at(fake) + ["axfr", "example.com", "+timeout=1", "+rcode-status"])
    assert r.returncode == 3 and "; Transfer failed." in r.stdout
    # the first record is not an SOA
    fake.handler = lambda w, t, *a: axfr_messages(w, [["a.example.com. 300 IN A 192.0.2.1", SOA]])
    r = run(at(fake) + ["axfr", "example.com", "+timeout=1", "+rcode-status"])
    assert r.returncode == 3 and "; Transfer failed." in r.stdout and "192.0.2.1" not in r.stdout
    # nobody listens
    port = peers.free_port()
    r = run(["@127.0.0.1", "-p", str(port), "axfr", "example.com", "+timeout=1", "+tries=1"])
    assert r.returncode == 9 and "no servers could be reached" in r.stdout


# ---------------------------------------------------------------- query flags and EDNS

def test_query_flags_and_edns(fake):
    def q(*opts):
        fake.queries.clear()
        run(at(fake) + list(opts) + ["example.com"])
        return queries_of(fake)[0][1]
    m = q()  # dig's defaults: RD and AD (RFC 6840 5.7)
    assert m.flags & dns.flags.RD and m.flags & dns.flags.AD and not m.flags & dns.flags.CD
    assert m.edns == 0 and m.payload == 1232 and not m.ednsflags & dns.flags.DO
    # and a DNS cookie (RFC 7873), 8 random bytes, as dig sends
    assert [(o.otype, len(o.to_wire())) for o in m.options] == [(dns.edns.COOKIE, 8)]
    m = q("+norecurse")
    assert not m.flags & dns.flags.RD
    m = q("+norec", "+recurse")
    assert m.flags & dns.flags.RD
    m = q("+dnssec")
    assert m.ednsflags & dns.flags.DO and m.edns == 0
    m = q("+bufsize=4096")
    assert m.payload == 4096
    m = q("+noedns")
    assert m.edns == -1
    m = q("+noedns", "+edns")
    assert m.edns == 0
    m = q("+nsid")
    assert [o.otype for o in m.options] == [dns.edns.NSID, dns.edns.COOKIE]
    m = q("+nocookie", "+nosearch", "+noidnin", "+noidnout")
    assert m.flags & dns.flags.RD and not m.options
    m = q("+cookie=0102030405060708aabbccddeeff0011")
    assert [o.to_wire().hex() for o in m.options] == ["0102030405060708aabbccddeeff0011"]
    m = q("+nocookie", "+subnet=192.0.2.0/24", "+expire", "+ednsopt=65001:abcd", "+padding=128")
    assert [o.otype for o in m.options] == [dns.edns.ECS, dns.edns.EXPIRE, 65001, dns.edns.PADDING]
    assert m.options[0].address == "192.0.2.0" and m.options[0].srclen == 24
    assert len(fake.queries[0][1]) % 128 == 0  # RFC 7830: padded to the block
    m = q("+opcode=NOTIFY", "+aaflag", "+noadflag", "+qid=4660")
    assert m.opcode() == dns.opcode.NOTIFY and m.flags & dns.flags.AA and m.id == 4660
    m = q("+noedns", "+dnssec")  # DO needs EDNS: dig sends it anyway
    assert m.edns == 0 and m.ednsflags & dns.flags.DO
    m = q("+edns=1", "+ednsflags=0x80")
    assert m.edns == 1 and m.ednsflags & 0xffff == 0x80
    m = q("+header-only")
    assert len(m.question) == 0
    m = q("+noadflag", "+cdflag")
    assert not m.flags & dns.flags.AD and m.flags & dns.flags.CD
    m = q("+noad", "+adflag")
    assert m.flags & dns.flags.AD
    m = q("+tcp", "+dnssec", "+bufsize=2048")
    assert m.ednsflags & dns.flags.DO and m.payload == 2048
    assert fake.queries[0][0] == "tcp"


def test_dnssec_and_nsid_output(knot):
    r = run(at(knot) + ["+dnssec", "+nsid", "example.com"])
    assert "; EDNS: version: 0, flags: do; udp: 1232\n" in r.stdout
    nsid_hex = " ".join(f"{b:02x}" for b in NSID.encode())
    assert f'; NSID: {nsid_hex} ("{NSID}")\n' in r.stdout
    r = run(at(knot) + ["example.com"])
    assert "NSID" not in r.stdout
    r = run(at(knot) + ["+noedns", "example.com"])
    assert "OPT PSEUDOSECTION" not in r.stdout and "ADDITIONAL: 0" in r.stdout


def test_recursion_flags_in_output(fake):
    def handler(wire, transport, peer, sock):
        return [make_reply(wire, ["example.com. 300 IN A 192.0.2.1"],
                           flags=dns.flags.QR | dns.flags.RD | dns.flags.RA | dns.flags.AD)]
    fake.handler = handler
    r = run(at(fake) + ["example.com"])
    assert ";; flags: qr rd ra ad;" in r.stdout and "WARNING" not in r.stdout


def test_nocmd(knot):
    r = run(at(knot) + ["+nocmd", "example.com"])
    assert "<<>>" not in r.stdout and ";; ANSWER SECTION:" in r.stdout
    r = run(at(knot) + ["+noall", "+answer", "example.com", "MX"])
    assert [" ".join(x.split()) for x in r.stdout.splitlines()] == [
        "example.com. 3600 IN MX 10 mail.example.com.", "example.com. 3600 IN MX 20 mail2.example.com."]


# ---------------------------------------------------------------- against dig and kdig

COMPARE = [
    ["example.com"], ["example.com", "MX"], ["example.com", "NS"], ["example.com", "SOA"],
    ["example.com", "AAAA"], ["alias.example.com"], ["chain.example.com"], ["www.example.com"],
    ["txt.example.com", "TXT"], ["_sip._udp.example.com", "SRV"], ["caa.example.com", "CAA"],
    ["nx.example.com"], ["nodata.example.com"], ["example.org"], ["-x", "192.0.2.1"],
    ["-x", "2001:db8::1"], ["big.example.com", "TXT"], ["example.com", "+norecurse"],
    ["example.com", "+dnssec"], ["example.com", "+tcp"], ["example.com", "+noedns"],
]


@pytest.mark.parametrize("args", COMPARE, ids=[" ".join(a) for a in COMPARE])
def test_same_records_as_dig(knot, args):
    t = run(at(knot) + args)
    d = subprocess.run(["dig"] + at(knot) + args, capture_output=True, text=True)
    ts, ds = sections(t.stdout), sections(d.stdout)
    assert ts == ds
    status = re.search(r"status: (\w+)", d.stdout).group(1)
    assert f"status: {status}," in t.stdout
    flags = re.search(r";; flags:([^;]*);", d.stdout).group(1)
    assert f";; flags:{flags};" in t.stdout
    # apart from the id, the times and the program's name, the text is dig's
    # byte for byte (owners longer than dig's 24 columns: up to whitespace)
    assert dig_text(t.stdout) == dig_text(d.stdout)


def dig_text(out):
    lines = []
    for line in out.splitlines():
        if line.startswith(("; <<>>", ";; Query time:", ";; WHEN:")):
            continue
        line = re.sub(r"id: \d+$", "id: N", line)
        line = re.sub(r"^; COOKIE: [0-9a-f]+", "; COOKIE: C", line)
        if len(line.split("\t")[0]) >= 24:
            line = " ".join(line.split())
        lines.append(line)
    return lines


DISPLAY = [
    ["+noall", "+answer"], ["+nocomments"], ["+nostats"], ["+noquestion"], ["+noall", "+comments"],
    ["+noall", "+stats"], ["+noall"], ["+noall", "+question"], ["+noall", "+answer", "+authority", "+additional"],
    ["+nocmd"], ["+noadditional", "+noauthority"], ["+noall", "+all"],
]


@pytest.mark.parametrize("opts", DISPLAY, ids=[" ".join(o) for o in DISPLAY])
def test_display_options_as_dig(knot, opts):
    for name in (["example.com", "MX"], ["nx.example.com"]):
        t = run(at(knot) + name + opts)
        d = subprocess.run(["dig"] + at(knot) + name + opts, capture_output=True, text=True)
        assert dig_text(t.stdout) == dig_text(d.stdout), (name, t.stdout, d.stdout)
        assert t.returncode == d.returncode == 0


QR_CASES = [["+qr", "+nocookie"], ["+qr", "+nocookie", "+noedns", "+norec"], ["+qr", "+nocookie", "+nsid", "+dnssec"],
            ["+qr", "+short"], ["+qr", "+nocookie", "+tcp"]]


@pytest.mark.parametrize("opts", QR_CASES, ids=[" ".join(o) for o in QR_CASES])
def test_qr_as_dig(knot, opts):
    t = run(at(knot) + opts + ["example.com"])
    d = subprocess.run(["dig"] + at(knot) + opts + ["example.com"], capture_output=True, text=True)
    assert dig_text(t.stdout) == dig_text(d.stdout)


@pytest.mark.skipif(shutil.which("nsd") is None, reason="nsd not installed")
def test_same_records_as_dig_on_nsd(tmp_path):
    with peers.nsd(tmp_path, {"example.com": ZONE}, nsid="nsd-test") as n:
        for args in (["example.com", "MX"], ["txt.example.com", "TXT"], ["nx.example.com"], ["alias.example.com"],
                     ["example.com", "NS", "+norecurse", "+nsid"], ["big.example.com", "TXT"]):
            t = run(at(n) + args)
            d = subprocess.run(["dig"] + at(n) + args, capture_output=True, text=True)
            assert dig_text(t.stdout) == dig_text(d.stdout), args


@pytest.mark.skipif(shutil.which("kdig") is None, reason="kdig not installed")
@pytest.mark.parametrize("args", COMPARE[:12], ids=[" ".join(a) for a in COMPARE[:12]])
def test_same_records_as_kdig(knot, args):
    t = run(at(knot) + args)
    k = subprocess.run(["kdig"] + at(knot) + args, capture_output=True, text=True)
    ts, ks = sections(t.stdout), sections(k.stdout)
    for sec in ("ANSWER", "AUTHORITY", "ADDITIONAL"):
        assert ts.get(sec, set()) == ks.get(sec, set()), sec
