"""Pre-signed zones served by ternd, checked by real validators (issue 12,
"How it is checked"): Unbound as a validating resolver (trust anchor of
sec.test., stub zones pointing at ternd on loopback) and delv (its own
validator, querying ternd directly). For every name and type of the query
set in every signing variant: secure (AD from Unbound, "fully validated"
from delv) or, for the unsigned child plain.sec.test., provably insecure;
never bogus."""
import os
import shutil
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import stop_clean
from dnssec_zones import CHILD_QUERIES, ORIGIN, PLAIN, QUERIES, SIGNED, VARIANTS, absname, sign_all
from peers import LOOPBACK, Peer, free_port
from ternd import start_ternd

pytestmark = pytest.mark.skipif(shutil.which("unbound") is None, reason="unbound not installed")

# what a validator cannot ask: the RRSIG type (RFC 4035 3.2.1 leaves it
# unvalidated) and an NSEC3 query at a name (answered as NXDOMAIN, which
# Unbound validates like any other)
SKIP = {"RRSIG"}


def validation_queries():
    return [(absname(n), t) for n, t in QUERIES + CHILD_QUERIES if t not in SKIP]


def start_unbound(workdir, ternd_port, anchor):
    port = free_port()
    conf = os.path.join(workdir, "unbound.conf")
    lines = [
        "server:",
        f"  interface: {LOOPBACK}",
        f"  port: {port}",
        "  do-daemonize: no",
        '  username: ""',
        '  chroot: ""',
        f'  directory: "{workdir}"',
        f'  pidfile: "{workdir}/unbound.pid"',
        "  use-syslog: no",
        '  logfile: ""',
        "  verbosity: 1",
        "  val-log-level: 2",
        "  num-threads: 1",
        '  module-config: "validator iterator"',
        "  do-not-query-localhost: no",
        "  qname-minimisation: no",
        "  prefetch: no",
        "  cache-max-negative-ttl: 0",
        "  access-control: 127.0.0.0/8 allow",
        '  local-zone: "test." nodefault',  # RFC 6761: Unbound answers test. itself
        f'  trust-anchor: "{anchor}"',
    ]
    for z in (ORIGIN, SIGNED, PLAIN):
        lines += ["stub-zone:", f'  name: "{z}"', f"  stub-addr: {LOOPBACK}@{ternd_port}"]
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    log = open(os.path.join(workdir, "unbound.log"), "w")
    proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    peer = Peer("unbound", proc, LOOPBACK, port, workdir, log)
    deadline = time.monotonic() + 10
    while True:
        try:
            r = dns.query.udp(dns.message.make_query(ORIGIN, "SOA"), LOOPBACK, port=port, timeout=0.5)
            if r.rcode() == dns.rcode.NOERROR:
                return peer
        except Exception:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            peer.stop()
            raise RuntimeError("unbound did not start:\n" + peer.log_text())
        time.sleep(0.1)


@pytest.fixture(scope="module", params=VARIANTS)
def setup(request, tmp_path_factory):
    variant = request.param
    work = tmp_path_factory.mktemp("val-" + variant)
    signed = sign_all(work, variant)
    (work / "ternd").mkdir()
    ternd = start_ternd(work / "ternd", signed.zones)
    (work / "unbound").mkdir()
    unbound = None
    try:
        unbound = start_unbound(str(work / "unbound"), ternd.port, signed.ds_anchor)
        yield {"variant": variant, "ternd": ternd, "unbound": unbound, "signed": signed, "work": work}
    finally:
        if unbound:
            unbound.stop()
        stop_clean(ternd)


def expected_insecure(name, qtype):
    """Below the insecure delegation; its DS (absent) is proved by the
    signed parent, so that answer is secure."""
    return name.endswith(PLAIN) and not (name == PLAIN and qtype == "DS")


def optout_proof(setup, name, qtype):
    """True when ternd's DO=1 answer rests on an NSEC3 with the opt-out
    flag: RFC 5155 9.2, the validator can only call it insecure then (the
    name might be an unsigned delegation), which is no failure."""
    t = setup["ternd"]
    r = dns.query.udp(dns.message.make_query(name, qtype, want_dnssec=True), t.host, port=t.port, timeout=3)
    return any(s.rdtype == dns.rdatatype.NSEC3 and any(rd.flags & 1 for rd in s) for s in r.authority)


def test_unbound_validates(setup):
    """Every answer is secure (AD) or, in the unsigned child, insecure;
    none is SERVFAIL (bogus) and Unbound logs no validation failure."""
    ub = setup["unbound"]
    bad = []
    for name, qtype in validation_queries():
        q = dns.message.make_query(name, qtype, want_dnssec=True)
        r = dns.query.udp(q, ub.host, port=ub.port, timeout=5)
        ad = bool(r.flags & dns.flags.AD)
        if r.rcode() == dns.rcode.SERVFAIL or ad == expected_insecure(name, qtype) and not (
                not ad and optout_proof(setup, name, qtype)):
            bad.append(f"{name} {qtype}: {dns.rcode.to_text(r.rcode())} AD={ad}")
    log = ub.log_text()
    failures = [ln for ln in log.splitlines() if "validation failure" in ln]
    assert not bad and not failures, f"{setup['variant']}:\n" + "\n".join(bad + failures)


@pytest.mark.skipif(shutil.which("delv") is None, reason="delv not installed")
def test_delv_validates(setup):
    """delv validates each answer itself, asking ternd for DNSKEY and DS."""
    ternd = setup["ternd"]
    anchor = os.path.join(str(setup["work"]), "anchor.conf")
    key = setup["signed"].key_anchor.split()
    # "sec.test. 3600 IN DNSKEY 257 3 13 <key>" -> trust-anchors clause
    i = key.index("DNSKEY")
    with open(anchor, "w") as f:
        f.write(f'trust-anchors {{ {key[0]} static-key {key[i + 1]} {key[i + 2]} {key[i + 3]} '
                f'"{"".join(key[i + 4:])}"; }};\n')
    bad = []
    for name, qtype in validation_queries():
        p = subprocess.run(["delv", f"@{ternd.host}", "-p", str(ternd.port), "-a", anchor, f"+root={ORIGIN}",
                            name, qtype], capture_output=True, text=True, timeout=20)
        out = p.stdout + p.stderr
        want = "unsigned answer" if expected_insecure(name, qtype) else "fully validated"
        if want not in out and not ("unsigned answer" in out and optout_proof(setup, name, qtype)):
            bad.append(f"{name} {qtype}: {out.strip()}")
    assert not bad, f"{setup['variant']}:\n" + "\n\n".join(bad)
