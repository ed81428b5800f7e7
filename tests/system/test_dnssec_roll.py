"""Key rollovers of a zone ternd signs (issue 12 item 3, "Rollovers"): with
lifetimes of seconds, a ZSK roll (pre-publication) and a KSK roll (double
signature) complete while Unbound keeps validating the zone the whole time,
from a trust anchor in the parent: the parent test. is served and signed by
a second ternd, and its DS for roll.test. follows the child's CDS (as a
parent that reads CDS would), after which ternctl zone-ksk-submitted lets
the child drop its old KSK. Every answer AD, none SERVFAIL, no validation
failure in Unbound's log. The child is stopped while its new KSK waits for
its DS and started again: the roll goes on from the state files. The
signed zone passes dnssec-verify and ldns-verify-zone in each phase. With
dnssec-parent, the child asks the parent for the DS itself.

Also: a corrupt or missing key state file keeps the last good version with
an error naming the file (and line); a key directory from before key
states (one key, no state file) keeps its key as a CSK."""
import glob
import json
import os
import shutil
import subprocess
import threading
import time

import dns.dnssec
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import stop_clean
from peers import LOOPBACK, Peer, free_port
from ternd import binary, start_ternd

pytestmark = pytest.mark.skipif(shutil.which("unbound") is None, reason="unbound not installed")

CHILD = "roll.test."
PARENT = "test."

CHILD_ZONE = """$ORIGIN roll.test.
$TTL 2
@       SOA ns.roll.test. host.roll.test. 1 3600 600 86400 2
@       NS ns
ns      A 127.0.0.1
www     A 192.0.2.1
txt     TXT "rolling"
"""

PARENT_ZONE = """$ORIGIN test.
$TTL 2
@       SOA ns.test. host.test. {serial} 3600 600 86400 2
@       NS ns
ns      A 127.0.0.1
roll    NS ns.roll
ns.roll A 127.0.0.1
{ds}
"""

ROLL_OPTIONS = ["dnssec-zsk-lifetime: 6", "dnssec-ksk-lifetime: 14", "dnssec-propagation-delay: 1",
                "dnssec-parent-ds-ttl: 2", "dnssec-signature-validity: 120", "dnssec-cds: rollover"]


def write_conf(work, origin, zone_file, options, tail=()):
    lines = ["server:", "    control: ctl.sock", "zone:", f"    name: {origin}", f"    file: {zone_file}",
             "    dnssec-signing: on", "    key-directory: keys", f"    dnssec-signed-file: {origin}signed"]
    lines += ["    " + o for o in options] + list(tail)
    (work / "keys").mkdir(exist_ok=True)
    conf = work / "ternd.conf"
    conf.write_text("\n".join(lines) + "\n")
    return str(conf)


def ctl(conf, *args):
    return subprocess.run([binary("ternctl"), "-c", conf] + list(args), capture_output=True, text=True, timeout=30)


def ds_lines(srv, origin):
    """The CDS RRset of origin as DS lines for its parent's zone ([] when
    none)."""
    r = srv.query(origin, "CDS")
    return sorted(f"{origin} 2 IN DS {rd.to_text()}" for s in r.answer if s.rdtype == dns.rdatatype.CDS for rd in s)


def dnskeys(srv, origin):
    """{tag: flags} of origin's DNSKEY RRset."""
    r = srv.query(origin, "DNSKEY")
    return {dns.dnssec.key_id(rd): rd.flags for s in r.answer if s.rdtype == dns.rdatatype.DNSKEY for rd in s}


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_unbound(workdir, parent_port, child_port, anchor):
    port = free_port()
    conf = os.path.join(workdir, "unbound.conf")
    lines = ["server:", f"  interface: {LOOPBACK}", f"  port: {port}", "  do-daemonize: no", '  username: ""',
             '  chroot: ""', f'  directory: "{workdir}"', f'  pidfile: "{workdir}/unbound.pid"', "  use-syslog: no",
             '  logfile: ""', "  verbosity: 1", "  val-log-level: 2", "  num-threads: 1",
             '  module-config: "validator iterator"', "  do-not-query-localhost: no", "  qname-minimisation: no",
             "  prefetch: no", "  access-control: 127.0.0.0/8 allow", '  local-zone: "test." nodefault',
             f'  trust-anchor: "{anchor}"',
             "stub-zone:", f'  name: "{PARENT}"', f"  stub-addr: {LOOPBACK}@{parent_port}",
             "stub-zone:", f'  name: "{CHILD}"', f"  stub-addr: {LOOPBACK}@{child_port}"]
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    log = open(os.path.join(workdir, "unbound.log"), "w")
    proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    peer = Peer("unbound", proc, LOOPBACK, port, workdir, log)
    try:
        wait_for(lambda: _answers(port), 10, "unbound")
    except AssertionError:
        peer.stop()
        raise RuntimeError("unbound did not start:\n" + peer.log_text()) from None
    return peer


def _answers(port):
    try:
        r = dns.query.udp(dns.message.make_query(CHILD, "SOA"), LOOPBACK, port=port, timeout=0.5)
        return r.rcode() == dns.rcode.NOERROR
    except Exception:
        return False


class Validating:
    """Queries Unbound from a thread without pause (but while paused) and
    keeps every answer that is not secure."""

    QUERIES = [(CHILD, "SOA"), ("www." + CHILD, "A"), ("txt." + CHILD, "TXT"), ("nx." + CHILD, "A"),
               (CHILD, "DNSKEY"), ("www." + CHILD, "AAAA")]

    def __init__(self, ub):
        self.ub = ub
        self.answers = 0
        self.bad = []
        self.stop_ev, self.pause_ev, self.paused = threading.Event(), threading.Event(), threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        i = 0
        while not self.stop_ev.is_set():
            if self.pause_ev.is_set():
                self.paused.set()
                time.sleep(0.05)
                continue
            name, qtype = self.QUERIES[i % len(self.QUERIES)]
            i += 1
            try:
                r = dns.query.udp(dns.message.make_query(name, qtype, want_dnssec=True), self.ub.host,
                                  port=self.ub.port, timeout=3)
            except Exception as e:  # a lost answer is a failure too
                self.bad.append(f"{time.strftime('%T')} {name} {qtype}: {e!r}")
                continue
            self.answers += 1
            if r.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) or not r.flags & dns.flags.AD:
                self.bad.append(f"{time.strftime('%T')} {name} {qtype}: {dns.rcode.to_text(r.rcode())} "
                                f"AD={bool(r.flags & dns.flags.AD)}")
            time.sleep(0.02)

    def pause(self):
        self.paused.clear()
        self.pause_ev.set()
        self.paused.wait(10)

    def resume(self):
        self.pause_ev.clear()

    def stop(self):
        self.stop_ev.set()
        self.t.join(10)


def verify_offline(path):
    """dnssec-verify and ldns-verify-zone on the signed zone as written."""
    out = []
    for argv in (["dnssec-verify", "-q", "-o", CHILD, path], ["ldns-verify-zone", path]):
        if shutil.which(argv[0]) is None:
            continue
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if p.returncode:
            out.append(f"{argv[0]}: {p.stdout}{p.stderr}")
    return out


class Parent:
    """test. signed by a second ternd (one CSK, no rollover), holding the
    DS lines it is given."""

    def __init__(self, work, port=None, tail=()):
        self.work, self.serial, self.port = work, 1, port or free_port()
        work.mkdir()
        self.conf = write_conf(work, PARENT, "test.zone", ["dnssec-single-type-signing: on"], tail)
        self.srv = None

    def set_ds(self, lines):
        self.serial += 1
        (self.work / "test.zone").write_text(PARENT_ZONE.format(serial=self.serial, ds="\n".join(lines)))
        if self.srv:
            self.srv.reload()
            want = sorted(ln.split(None, 4)[4] for ln in lines)
            wait_for(lambda: sorted(rd.to_text() for s in self.srv.query(CHILD, "DS").answer for rd in s) == want,
                     10, "the parent serving the new DS")
        else:
            self.srv = start_ternd(self.work, None, args=["--config", self.conf], port=self.port, probe=PARENT)

    def anchor(self):
        key = glob.glob(str(self.work / "keys" / "Ktest+*.key"))
        assert len(key) == 1, key
        p = subprocess.run(["dnssec-dsfromkey", "-2", key[0]], capture_output=True, text=True, check=True)
        return p.stdout.strip()


def test_zsk_and_ksk_roll_under_a_validator(tmp_path):
    child_dir = tmp_path / "child"
    child_dir.mkdir()
    (child_dir / "roll.zone").write_text(CHILD_ZONE)
    conf = write_conf(child_dir, CHILD, "roll.zone", ROLL_OPTIONS)
    port = free_port()
    child = start_ternd(child_dir, None, args=["--config", conf], port=port, probe=CHILD)
    parent = Parent(tmp_path / "parent")
    ub = val = None
    try:
        # the first keys: a KSK (257) and a ZSK (256); CDS names the KSK
        first = dnskeys(child, CHILD)
        assert sorted(first.values()) == [256, 257], first
        ksk1 = next(t for t, f in first.items() if f == 257)
        zsk1 = next(t for t, f in first.items() if f == 256)
        cds = ds_lines(child, CHILD)
        assert len(cds) == 1 and f" {ksk1} " in cds[0], cds
        parent.set_ds(cds)
        st = ctl(conf, "zone-status", CHILD)
        assert f"key: ksk {ksk1}: active, ready: DS to submit" in st.stdout, st.stdout + st.stderr
        assert f"key: zsk {zsk1}: active" in st.stdout, st.stdout
        r = ctl(conf, "zone-ksk-submitted", CHILD)
        assert r.returncode == 0, r.stdout + r.stderr
        assert ctl(conf, "zone-ksk-submitted", CHILD).returncode != 0  # nothing waits any more
        wait_for(lambda: not ds_lines(child, CHILD), 5, "the CDS to go (dnssec-cds: rollover)")
        (tmp_path / "unbound").mkdir()
        ub = start_unbound(str(tmp_path / "unbound"), parent.srv.port, port, parent.anchor())
        val = Validating(ub)
        problems = verify_offline(str(child_dir / "roll.test.signed"))

        # ZSK: a second one is published, becomes active, the first goes
        def zsk_rolled():  # the first ZSK gone (its successor signs since)
            k = dnskeys(child, CHILD)
            return zsk1 not in k and 256 in k.values()
        seen = set()

        def watch(cond):
            def f():
                k = dnskeys(child, CHILD)
                if tuple(sorted(k)) not in seen:
                    seen.add(tuple(sorted(k)))
                    problems.extend(verify_offline(str(child_dir / "roll.test.signed")))
                return cond()
            return f
        wait_for(watch(zsk_rolled), 30, "the ZSK roll")

        # KSK: a second KSK, ready after TTL + propagation: CDS names it
        cds2 = wait_for(watch(lambda: [c for c in ds_lines(child, CHILD) if f" {ksk1} " not in c]), 30,
                        "the new KSK's CDS")
        ksk2 = int(cds2[0].split()[4])
        assert set(dnskeys(child, CHILD)) >= {ksk1, ksk2}  # double signature: both there

        # a restart while the new KSK waits for its DS
        val.pause()
        before = dnskeys(child, CHILD)
        stop_clean(child)
        (child_dir / "again").mkdir()
        child = start_ternd(child_dir / "again", None, args=["--config", conf], port=port, probe=CHILD)
        assert ksk1 in dnskeys(child, CHILD) and ksk2 in dnskeys(child, CHILD)
        assert ds_lines(child, CHILD) == cds2  # still waiting for the parent
        assert set(before) & set(dnskeys(child, CHILD)) >= {ksk1, ksk2}
        val.resume()

        parent.set_ds(cds2)
        time.sleep(2.5)  # the parent's old DS (TTL 2) gone from Unbound's cache
        st = ctl(conf, "zone-status", CHILD)
        assert f"key: ksk {ksk2}: active, ready: DS to submit" in st.stdout, st.stdout + st.stderr
        r = ctl(conf, "zone-ksk-submitted", CHILD + "")
        assert r.returncode == 0, r.stdout + r.stderr
        # the old KSK goes after the parent's DS TTL + propagation delay
        wait_for(watch(lambda: ksk1 not in dnskeys(child, CHILD)), 20, "the old KSK's removal")
        assert [f for t, f in dnskeys(child, CHILD).items() if t == ksk2] == [257]
        time.sleep(3)  # Unbound re-validates everything after the last step
        val.stop()
        fails = [ln for ln in ub.log_text().splitlines() if "validation failure" in ln]
        assert val.answers > 200, val.answers
        assert not val.bad and not fails, "\n".join(val.bad[:20] + fails[:20])
        assert not problems, "\n".join(problems)
        assert len(seen) >= 4, seen  # the phases the offline verifiers saw
    finally:
        if val:
            val.stop()
        if ub:
            ub.stop()
        if parent.srv:
            stop_clean(parent.srv)
        stop_clean(child)


def test_parent_asked_for_the_ds(tmp_path):
    """dnssec-parent: ternd asks the parent for the new KSK's DS itself
    (every dnssec-parent-check-interval) and goes on with the roll when it
    is there, without ternctl zone-ksk-submitted; while the parent does not
    answer, a warning, and the roll waits."""
    parent = Parent(tmp_path / "parent")
    child_dir = tmp_path / "child"
    child_dir.mkdir()
    (child_dir / "roll.zone").write_text(CHILD_ZONE)
    conf = write_conf(child_dir, CHILD, "roll.zone",
                      ["dnssec-zsk-lifetime: 0", "dnssec-ksk-lifetime: 8", "dnssec-propagation-delay: 1",
                       "dnssec-parent-ds-ttl: 2", "dnssec-cds: rollover", f"dnssec-parent: 127.0.0.1:{parent.port}",
                       "dnssec-parent-check-interval: 1"])
    child = start_ternd(child_dir, None, args=["--config", conf], probe=CHILD)
    try:
        ksk1 = next(t for t, f in dnskeys(child, CHILD).items() if f == 257)
        wait_for(lambda: "no answer from the parent (dnssec-parent) about the DS of KSK" in child.log_text(), 10,
                 "the warning while the parent is down")
        parent.set_ds(ds_lines(child, CHILD))
        wait_for(lambda: not ds_lines(child, CHILD), 10, "the first KSK's DS seen at the parent")
        assert f"the parent serves the DS of KSK {ksk1}" in child.log_text()
        cds2 = wait_for(lambda: ds_lines(child, CHILD), 20, "the new KSK's CDS")
        assert ksk1 in dnskeys(child, CHILD)
        parent.set_ds(cds2)
        wait_for(lambda: ksk1 not in dnskeys(child, CHILD), 15, "the old KSK's removal")
        assert sorted(dnskeys(child, CHILD).values()) == [256, 257]
    finally:
        if parent.srv:
            stop_clean(parent.srv)
        stop_clean(child)


TSIG_NAME = "parent-check."
TSIG_SECRET = "cGFyZW50IGNoZWNrIHNlY3JldCAzMiBieXRlcyBsb25nIQ=="
WRONG_SECRET = "d3Jvbmcgc2VjcmV0IG9mIHRoaXJ0eSB0d28gYnl0ZXMhIQ=="


def key_section(secret):
    return ["key:", f"    name: {TSIG_NAME}", "    algorithm: hmac-sha256", f"    secret: {secret}"]


def test_parent_asked_with_tsig(tmp_path):
    """dnssec-parent ADDR key NAME (RFC 8945): the DS question is signed
    with the key and only an answer signed with it counts. A child whose
    secret differs gets the parent's BADSIG answer, which it does not use
    (a warning; the roll waits); the child with the parent's secret sees
    the DS and goes on. A key no key: section defines is a configuration
    error."""
    parent = Parent(tmp_path / "parent", tail=key_section(TSIG_SECRET))
    kids = {}
    try:
        for kind, secret in (("good", TSIG_SECRET), ("bad", WRONG_SECRET)):
            d = tmp_path / kind
            d.mkdir()
            (d / "roll.zone").write_text(CHILD_ZONE)
            conf = write_conf(d, CHILD, "roll.zone",
                              ["dnssec-zsk-lifetime: 0", "dnssec-ksk-lifetime: 3600", "dnssec-cds: rollover",
                               f"dnssec-parent: 127.0.0.1:{parent.port} key {TSIG_NAME}",
                               "dnssec-parent-check-interval: 1"], key_section(secret))
            kids[kind] = start_ternd(d, None, args=["--config", conf], probe=CHILD)
        ksk = {k: next(t for t, f in dnskeys(srv, CHILD).items() if f == 257) for k, srv in kids.items()}
        parent.set_ds(ds_lines(kids["good"], CHILD) + ds_lines(kids["bad"], CHILD))
        wait_for(lambda: f"the parent serves the DS of KSK {ksk['good']}" in kids["good"].log_text(), 10,
                 "the DS seen over TSIG")
        wait_for(lambda: "was not signed with the key, or its TSIG did not verify" in kids["bad"].log_text(), 10,
                 "the warning for an answer that does not verify")
        assert "the parent serves the DS" not in kids["bad"].log_text()
        assert ds_lines(kids["bad"], CHILD)  # still waiting: CDS still published
    finally:
        if parent.srv:
            stop_clean(parent.srv)
        for srv in kids.values():
            stop_clean(srv)
    d = tmp_path / "nokey"
    d.mkdir()
    conf = write_conf(d, CHILD, "roll.zone", [f"dnssec-parent: 127.0.0.1:53 key {TSIG_NAME}"])
    p = subprocess.run([binary(), "--check", "--config", conf], capture_output=True, text=True, timeout=30,
                       cwd=str(d))
    assert p.returncode != 0 and "dnssec-parent names key 'parent-check.'" in p.stdout + p.stderr, p.stdout + p.stderr
    conf = write_conf(d, CHILD, "roll.zone", ["dnssec-parent: 127.0.0.1:53 kee x"])
    p = subprocess.run([binary(), "--check", "--config", conf], capture_output=True, text=True, timeout=30,
                       cwd=str(d))
    assert p.returncode != 0 and "dnssec-parent is ADDR[:PORT] [key NAME]" in p.stdout + p.stderr


def _signed_child(tmp_path, options=()):
    (tmp_path / "roll.zone").write_text(CHILD_ZONE)
    conf = write_conf(tmp_path, CHILD, "roll.zone", list(options))
    return conf, start_ternd(tmp_path, None, args=["--config", conf], probe=CHILD)


def _signed(srv):
    r = srv.query("www." + CHILD, "A", want_dnssec=True)
    return any(s.rdtype == dns.rdatatype.RRSIG for s in r.answer)


def test_bad_state_file_keeps_the_last_version(tmp_path):
    """A corrupt state file: an error naming it and its line, the zone keeps
    its signed version; a state file gone: an error naming it; both at
    reload and in ternd --check."""
    conf, srv = _signed_child(tmp_path)
    try:
        states = sorted(glob.glob(str(tmp_path / "keys" / "Kroll.test+013+*.state")))
        assert len(states) == 2
        text = open(states[0]).read()
        assert "role: " in text and "created: " in text
        lines = text.splitlines()
        bad = lines[:3] + ["colour: red"] + lines[3:]
        with open(states[0], "w") as f:
            f.write("\n".join(bad) + "\n")
        serial = srv.query(CHILD, "SOA").answer[0][0].serial
        srv.reload()
        wait_for(lambda: f"{states[0]}:4: unknown field 'colour'" in srv.log_text(), 5, "the error")
        assert _signed(srv) and srv.query(CHILD, "SOA").answer[0][0].serial == serial
        p = subprocess.run([binary(), "--check", "--config", conf], capture_output=True, text=True, timeout=60)
        assert p.returncode != 0 and f"{states[0]}:4:" in p.stdout + p.stderr
        os.unlink(states[0])
        srv.reload()
        wait_for(lambda: f"{states[0]}: missing" in srv.log_text(), 5, "the missing-file error")
        assert _signed(srv)
    finally:
        stop_clean(srv)


def test_key_directory_before_states_keeps_its_csk(tmp_path):
    """One key file, no state file (what ternd wrote before rollovers): it
    stays the zone's only key, a CSK (257) that signs everything, with its
    state file written; CDS (dnssec-cds: on) names it."""
    (tmp_path / "keys").mkdir()
    pem = tmp_path / "keys" / "Kroll.test+013+00001.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    str(pem)], check=True, capture_output=True)
    conf, srv = _signed_child(tmp_path, ["dnssec-cds: on"])
    try:
        keys = dnskeys(srv, CHILD)
        assert list(keys.values()) == [257], keys
        tag = next(iter(keys))
        assert not pem.exists()  # named by its tag now
        state = open(tmp_path / "keys" / f"Kroll.test+013+{tag:05d}.state").read()
        assert "role: csk" in state and "submitted: " in state
        r = srv.query("www." + CHILD, "A", want_dnssec=True)
        sigs = [rd.key_tag for s in r.answer if s.rdtype == dns.rdatatype.RRSIG for rd in s]
        assert sigs == [tag]
        assert [ln.split()[4] for ln in ds_lines(srv, CHILD)] == [str(tag)]
        st = ctl(conf, "zone-status", CHILD)
        assert f"key: csk {tag}: active, DS at the parent; next: no rollover" in st.stdout, st.stdout + st.stderr
        st = ctl(conf, "--json", "zone-status", CHILD)
        keys = json.loads(st.stdout)["zones"][0]["keys"]
        assert keys == [{"role": "csk", "tag": tag, "state": "active, DS at the parent",
                         "next": "no rollover (lifetime 0)"}], st.stdout
    finally:
        stop_clean(srv)
