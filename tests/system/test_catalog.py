"""test_catalog.py: catalog zones (RFC 9432, schema version 2; issue 11,
item 7), both roles.

- ternd producer -> ternd consumer: the members appear at the consumer,
  a zone added to the producer's configuration (SIGHUP) appears, a removed
  one goes (no longer served, its files deleted); the members survive a
  restart of the consumer with the producer down.
- ternd producer -> BIND 9.18 consumer (catalog-zones in named.conf) and
  Knot 3.2 consumer (catalog-role: interpret): added and removed there.
- Knot producer (catalog-role: generate) -> ternd consumer; a member
  removed at Knot (configuration + knotc reload) is removed at ternd.
- Bad catalogs from a scripted (dnspython) primary: an unknown version, a
  member that is a configured zone, the root, the catalog itself, too many
  members, a member whose id changes (reset, RFC 9432 5.4).
"""
import os
import re
import shutil
import signal
import subprocess
import time

import dns.flags
import dns.message
import dns.opcode
import dns.rrset
import dns.query
import dns.rcode
import dns.rdatatype
import dns.zone
import pytest

from peers import LOOPBACK, Peer, ScriptedServer, _start, free_port
from ternd import start_ternd
from xfr_helpers import wait_for, write

CAT = "cat.invalid"


def member_text(origin, serial=1, addr="192.0.2.10"):
    return (f"$ORIGIN {origin}.\n$TTL 300\n@ SOA ns hm {serial} 3600 600 86400 300\n"
            f"@ NS ns\nns A 192.0.2.1\nwww A {addr}\n")


def answer(srv_host, srv_port, name, rdtype="A", timeout=0.5):
    """(rcode, [rdata text]) of a UDP query, or (None, []) on silence."""
    try:
        r = dns.query.udp(dns.message.make_query(name, rdtype), srv_host, port=srv_port, timeout=timeout)
    except Exception:
        return None, []
    return r.rcode(), [x.to_text() for rrset in r.answer for x in rrset]


def serves(srv, name, addr):
    rc, got = answer(srv.host, srv.port, name)
    return rc == dns.rcode.NOERROR and addr in got


def not_served(srv, name):
    rc, _ = answer(srv.host, srv.port, name)
    return rc == dns.rcode.REFUSED


KEY = ["key:", "    name: cat-key", "    algorithm: hmac-sha256",
       "    secret: c2VjcmV0IG9mIHRoZSBjYXRhbG9nIGtleSBvZiB0ZXJu"]


def write_producer(workdir, members, notify_port, catalog_file=False, key=False):
    """ternd's configuration as a producer of CAT with these members
    ({origin: address of www}), all transferable and notifying loopback
    (key: only with TSIG, NOTIFY signed)."""
    lines = ["server:", "    forward: none"] + (KEY if key else [])
    k = " key cat-key" if key else ""
    opts = [f"allow-transfer: 127.0.0.0/8{k}", f"notify: 127.0.0.1:{notify_port}{k}"]
    lines += ["zone:", f"    name: {CAT}", "    catalog-role: producer"] + [f"    {o}" for o in opts]
    if catalog_file:
        lines.append(f"    file: {CAT}.zone")
    for origin, addr in members.items():
        write(os.path.join(workdir, origin + ".zone"), member_text(origin, addr=addr))
        lines += ["zone:", f"    name: {origin}", f"    file: {origin}.zone", f"    catalog: {CAT}"]
        lines += [f"    {o}" for o in opts]
    path = os.path.join(workdir, "ternd.conf")
    write(path, "\n".join(lines) + "\n")
    return path


def write_consumer(workdir, primary_port, extra=(), cfg_zones=(), catalog=CAT, key=False):
    """ternd's configuration as a consumer of catalog from 127.0.0.1:primary_port."""
    lines = ["server:", "    forward: none"] + (KEY if key else [])
    lines += ["zone:", f"    name: {catalog}", f"    file: cat/{catalog}.zone",
              f"    primary: 127.0.0.1:{primary_port}" + (" key cat-key" if key else ""),
              "    catalog-role: consumer",
              "    catalog-zone-dir: members"] + [f"    {x}" for x in extra]
    for origin in cfg_zones:
        write(os.path.join(workdir, origin + ".zone"), member_text(origin, addr="198.51.100.1"))
        lines += ["zone:", f"    name: {origin}", f"    file: {origin}.zone"]
    os.makedirs(os.path.join(workdir, "cat"), exist_ok=True)
    path = os.path.join(workdir, "ternd.conf")
    write(path, "\n".join(lines) + "\n")
    return path


def start_conf(workdir, conf, port=None, probe=None):
    return start_ternd(workdir, port=port, args=["--config", conf], probe=probe, wait=probe is not None)


def test_ternd_producer_to_ternd_consumer(tmp_path):
    pdir, cdir = tmp_path / "p", tmp_path / "c"
    pdir.mkdir(), cdir.mkdir()
    pport, cport = free_port(), free_port()
    members = {"a.test": "192.0.2.1", "b.test": "192.0.2.2"}
    pconf = write_producer(str(pdir), members, cport, catalog_file=True)
    prod = start_conf(pdir, pconf, port=pport, probe="a.test.")
    cons = None
    try:
        # the producer serves its catalog: version 2, one PTR per member
        r = dns.query.tcp(dns.message.make_query("version." + CAT, "TXT"), LOOPBACK, port=pport, timeout=3)
        assert [x.to_text() for rr in r.answer for x in rr] == ['"2"']
        assert os.path.exists(pdir / f"{CAT}.zone"), "the generated catalog is written for inspection"
        cconf = write_consumer(str(cdir), pport)
        cons = start_conf(cdir, cconf, port=cport, probe=CAT + ".")
        assert wait_for(lambda: serves(cons, "www.a.test.", "192.0.2.1") and serves(cons, "www.b.test.", "192.0.2.2"),
                        10), cons.log_text()
        assert os.path.exists(cdir / "members" / "a.test.zone")
        # a zone added at the producer: NOTIFY of the catalog, then the member
        members["c.test"] = "192.0.2.3"
        write_producer(str(pdir), members, cport, catalog_file=True)
        prod.reload()
        assert wait_for(lambda: serves(cons, "www.c.test.", "192.0.2.3"), 10), cons.log_text()
        # a member's own change reaches the consumer by NOTIFY to the member
        write(str(pdir / "a.test.zone"), member_text("a.test", serial=2, addr="192.0.2.101"))
        prod.reload()
        assert wait_for(lambda: serves(cons, "www.a.test.", "192.0.2.101"), 10), cons.log_text()
        # a zone removed: no longer served there, its files gone
        del members["b.test"]
        write_producer(str(pdir), members, cport, catalog_file=True)
        prod.reload()
        assert wait_for(lambda: not_served(cons, "www.b.test."), 10), cons.log_text()
        assert not os.path.exists(cdir / "members" / "b.test.zone")
        assert re.search(r"zone b\.test\.: removed from catalog cat\.invalid\.", cons.log_text())
        # a restart with the producer down: the members come from disk
        cons.stop()
        prod.stop()
        prod = None
        cons = start_conf(cdir, cconf, port=cport, probe="a.test.")
        assert serves(cons, "www.a.test.", "192.0.2.101") and serves(cons, "www.c.test.", "192.0.2.3")
        assert not_served(cons, "www.b.test.")
        # and a reload keeps them
        cons.reload()
        time.sleep(0.5)
        assert serves(cons, "www.c.test.", "192.0.2.3"), cons.log_text()
    finally:
        if cons:
            cons.stop()
            assert cons.exit_status == 0, cons.log_text()
        if prod:
            prod.stop()


def test_ternd_to_ternd_with_tsig(tmp_path):
    """The members are transferred with the catalog's key, and NOTIFY for
    them must be signed with it too."""
    pdir, cdir = tmp_path / "p", tmp_path / "c"
    pdir.mkdir(), cdir.mkdir()
    pport, cport = free_port(), free_port()
    members = {"a.test": "192.0.2.1"}
    prod = start_conf(pdir, write_producer(str(pdir), members, cport, key=True), port=pport, probe="a.test.")
    cons = None
    try:
        # an unsigned transfer of the catalog is refused by the producer
        r = dns.query.tcp(dns.message.make_query(CAT, "AXFR"), LOOPBACK, port=pport, timeout=3)
        assert r.rcode() == dns.rcode.REFUSED
        cons = start_conf(cdir, write_consumer(str(cdir), pport, key=True), port=cport, probe=CAT + ".")
        assert wait_for(lambda: serves(cons, "www.a.test.", "192.0.2.1"), 10), cons.log_text()
        members["b.test"] = "192.0.2.2"
        write_producer(str(pdir), members, cport, key=True)
        prod.reload()
        assert wait_for(lambda: serves(cons, "www.b.test.", "192.0.2.2"), 10), cons.log_text()
        write(str(pdir / "a.test.zone"), member_text("a.test", serial=2, addr="192.0.2.201"))
        prod.reload()
        assert wait_for(lambda: serves(cons, "www.a.test.", "192.0.2.201"), 10), cons.log_text()
        assert "NOTIFY received" in cons.log_text()
    finally:
        if cons:
            cons.stop()
            assert cons.exit_status == 0, cons.log_text()
        prod.stop()


def start_bind_consumer(workdir, primary_port, port):
    """named (BIND 9.18) with CAT as a secondary zone and a catalog-zones
    entry for it whose members are transferred from ternd."""
    if shutil.which("named") is None:
        pytest.skip("named not installed")
    workdir = os.path.join(str(workdir), "bind-consumer")
    os.makedirs(os.path.join(workdir, "catz"), exist_ok=True)
    prim = f"127.0.0.1 port {primary_port}"
    conf = ["options {", f'    directory "{workdir}";', f"    listen-on port {port} {{ 127.0.0.1; }};",
            "    listen-on-v6 { none; };", f'    pid-file "{workdir}/named.pid";',
            f'    session-keyfile "{workdir}/session.key";', f'    managed-keys-directory "{workdir}";',
            "    recursion no;", "    notify no;", "    dnssec-validation no;", "    allow-new-zones yes;",
            f'    catalog-zones {{ zone "{CAT}" default-primaries {{ {prim}; }} zone-directory "catz" '
            "min-update-interval 1; };",
            "};", "controls { };",
            f'zone "{CAT}" {{ type secondary; primaries {{ {prim}; }}; file "{CAT}.bk"; '
            "allow-notify { 127.0.0.1; }; };"]
    cpath = os.path.join(workdir, "named.conf")
    with open(cpath, "w") as f:
        f.write("\n".join(conf) + "\n")
    return _start("bind", ["named", "-g", "-c", cpath], workdir, LOOPBACK, port, CAT + ".")


def test_ternd_producer_to_bind_consumer(tmp_path):
    pport, bport = free_port(), free_port()
    members = {"a.test": "192.0.2.1", "b.test": "192.0.2.2"}
    pconf = write_producer(str(tmp_path), members, bport)
    prod = start_conf(tmp_path, pconf, port=pport, probe="a.test.")
    bind = None
    try:
        bind = start_bind_consumer(tmp_path, pport, bport)
        assert wait_for(lambda: serves(bind, "www.a.test.", "192.0.2.1") and serves(bind, "www.b.test.", "192.0.2.2"),
                        15), bind.log_text()
        # added at ternd + SIGHUP -> NOTIFY -> BIND adds and transfers it
        members["c.test"] = "192.0.2.3"
        write_producer(str(tmp_path), members, bport)
        prod.reload()
        assert wait_for(lambda: serves(bind, "www.c.test.", "192.0.2.3"), 15), bind.log_text()
        # removed at ternd -> removed at BIND
        del members["a.test"]
        write_producer(str(tmp_path), members, bport)
        prod.reload()
        assert wait_for(lambda: not_served(bind, "www.a.test."), 15), bind.log_text()
        assert serves(bind, "www.b.test.", "192.0.2.2")
    finally:
        if bind:
            bind.stop()
        prod.stop()
        assert prod.exit_status == 0, prod.log_text()


def start_knot_consumer(workdir, primary_port, port):
    """knotd 3.2 with CAT as a secondary zone it interprets (catalog-role:
    interpret); members use the template catmember: the same primary."""
    if shutil.which("knotd") is None:
        pytest.skip("knotd not installed")
    workdir = os.path.join(str(workdir), "knot-consumer")
    os.makedirs(workdir, exist_ok=True)
    conf = ["server:", f'    rundir: "{workdir}"', f'    listen: "127.0.0.1@{port}"', "    user: root:root",
            "    background-workers: 1", "    udp-workers: 1", "    tcp-workers: 1",
            "log:", "  - target: stderr", "    any: info",
            "remote:", "  - id: producer", f"    address: 127.0.0.1@{primary_port}",
            "acl:", "  - id: from_producer", "    address: 127.0.0.1", "    action: notify",
            "database:", f'    storage: "{workdir}"',
            "template:", "  - id: default", f'    storage: "{workdir}"', "    zonefile-sync: -1",
            "  - id: catmember", f'    storage: "{workdir}"', "    master: producer", "    acl: from_producer",
            "zone:", f'  - domain: "{CAT}."', "    master: producer", "    acl: from_producer",
            "    catalog-role: interpret", "    catalog-template: catmember"]
    cpath = os.path.join(workdir, "knot.conf")
    write(cpath, "\n".join(conf) + "\n")
    log = open(os.path.join(workdir, "knot.log"), "w")
    proc = subprocess.Popen(["knotd", "-c", cpath], stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    # not peers._start: Knot refuses queries into a catalog it interprets,
    # and has no member zone yet to ask for
    return Peer("knot", proc, LOOPBACK, port, workdir, log)


def test_ternd_producer_to_knot_consumer(tmp_path):
    pport, kport = free_port(), free_port()
    members = {"a.test": "192.0.2.1", "b.test": "192.0.2.2"}
    prod = start_conf(tmp_path, write_producer(str(tmp_path), members, kport), port=pport, probe="a.test.")
    knot = None
    try:
        knot = start_knot_consumer(tmp_path, pport, kport)
        assert wait_for(lambda: serves(knot, "www.a.test.", "192.0.2.1") and serves(knot, "www.b.test.", "192.0.2.2"),
                        15), knot.log_text()
        members["c.test"] = "192.0.2.3"
        write_producer(str(tmp_path), members, kport)
        prod.reload()
        assert wait_for(lambda: serves(knot, "www.c.test.", "192.0.2.3"), 15), knot.log_text()
        del members["a.test"]
        write_producer(str(tmp_path), members, kport)
        prod.reload()
        assert wait_for(lambda: not_served(knot, "www.a.test."), 15), knot.log_text()
        assert serves(knot, "www.b.test.", "192.0.2.2")
    finally:
        if knot:
            knot.stop()
        prod.stop()


def write_knot_producer(workdir, port, members, notify_port):
    """knotd's configuration: CAT generated (catalog-role: generate) from
    the member zones ({origin: address of www}); everything transferable
    by loopback and notified to 127.0.0.1:notify_port."""
    os.makedirs(workdir, exist_ok=True)
    conf = ["server:", f'    rundir: "{workdir}"', f'    listen: "127.0.0.1@{port}"', "    user: root:root",
            "    background-workers: 1", "    udp-workers: 1", "    tcp-workers: 1",
            "log:", "  - target: stderr", "    any: info",
            "acl:", "  - id: loopback_xfr", "    address: 127.0.0.1", "    action: transfer",
            "remote:", "  - id: consumer", f"    address: 127.0.0.1@{notify_port}",
            "database:", f'    storage: "{workdir}"',
            "template:", "  - id: default", f'    storage: "{workdir}"', "    zonefile-sync: -1",
            "    journal-content: none", "    acl: loopback_xfr", "    notify: consumer",
            "zone:", f'  - domain: "{CAT}."', "    catalog-role: generate"]
    for origin, addr in members.items():
        path = os.path.join(workdir, origin + ".zone")
        write(path, member_text(origin, addr=addr))
        conf += [f'  - domain: "{origin}."', f'    file: "{path}"', "    catalog-role: member",
                 f"    catalog-zone: {CAT}."]
    cpath = os.path.join(workdir, "knot.conf")
    write(cpath, "\n".join(conf) + "\n")
    return cpath


def test_knot_producer_to_ternd_consumer(tmp_path):
    if shutil.which("knotd") is None:
        pytest.skip("knotd not installed")
    kdir, cdir = str(tmp_path / "knot"), tmp_path / "c"
    cdir.mkdir()
    kport, cport = free_port(), free_port()
    members = {"a.test": "192.0.2.1", "b.test": "192.0.2.2", "c.test": "192.0.2.3"}
    kconf = write_knot_producer(kdir, kport, members, cport)
    knot = _start("knot", ["knotd", "-c", kconf], kdir, LOOPBACK, kport, "a.test.")
    cons = None
    try:
        # Knot generates the catalog once its members are loaded (it
        # transfers it but refuses queries into it)
        assert wait_for(lambda: "[cat.invalid.] loaded" in knot.log_text(), 10), knot.log_text()
        cons = start_conf(cdir, write_consumer(str(cdir), kport), port=cport, probe=CAT + ".")
        for origin, addr in members.items():
            assert wait_for(lambda: serves(cons, f"www.{origin}.", addr), 10), cons.log_text()
        # one member removed at Knot (configuration + reload): gone at ternd
        del members["b.test"]
        write_knot_producer(kdir, kport, members, cport)
        knot.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: not_served(cons, "www.b.test."), 15), cons.log_text() + knot.log_text()
        # the new catalog came by a transfer after Knot's NOTIFY (Knot
        # refuses the SOA query into its catalog: ternd asks IXFR at once)
        assert re.search(r"zone cat\.invalid\.: serial \d+ -> \d+ by I?[AX]FR", cons.log_text())
        assert serves(cons, "www.a.test.", "192.0.2.1") and serves(cons, "www.c.test.", "192.0.2.3")
        assert not os.path.exists(cdir / "members" / "b.test.zone")
    finally:
        if cons:
            cons.stop()
            assert cons.exit_status == 0, cons.log_text()
        knot.stop()


# ---- bad catalogs, from a scripted primary ----

class ZonesPrimary:
    """A dnspython primary for several zones ({origin: text}, changeable):
    SOA answered, AXFR and IXFR answered with the whole zone (AXFR-style).
    On 127.0.0.2, so NOTIFYs come from the primary's own address."""

    def __init__(self, zones):
        self.zones = dict(zones)
        self._parsed = {}
        self.srv = ScriptedServer(self.handle, host="127.0.0.2")
        self.port = self.srv.port

    def stop(self):
        self.srv.stop()

    def _zone(self, origin):
        text = self.zones[origin.rstrip(".")]
        if self._parsed.get(origin, (None,))[0] != text:  # parsed once per text: big catalogs are slow to read
            self._parsed[origin] = (text, dns.zone.from_text(text, origin=origin, relativize=False,
                                                             check_origin=False))
        return self._parsed[origin][1]

    def handle(self, wire, transport, peer, sock):
        q = dns.message.from_wire(wire)
        origin = q.question[0].name.to_text()
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        if origin.rstrip(".") not in self.zones:
            r.set_rcode(dns.rcode.REFUSED)
            return [r.to_wire()]
        z = self._zone(origin)
        soa = z.find_rrset(origin, "SOA")
        qtype = q.question[0].rdtype
        if qtype == dns.rdatatype.SOA:
            r.answer.append(soa)
            return [r.to_wire()]
        if qtype not in (dns.rdatatype.AXFR, dns.rdatatype.IXFR) or transport != "tcp":
            return []
        rrs = [soa] + [dns.rrset.from_rdata_list(name, rds.ttl, list(rds))
                       for name, node in z.nodes.items() for rds in node.rdatasets
                       if rds.rdtype != dns.rdatatype.SOA] + [soa]
        out = []
        for i in range(0, len(rrs), 200):  # big catalogs take several messages
            m = r if i == 0 else dns.message.make_response(q)
            if i:
                m.question = []
            m.answer = rrs[i:i + 200]
            out.append(m.to_wire(max_size=65535))
        return out

    def notify(self, srv, origin):
        q = dns.message.make_query(origin, "SOA")
        q.flags = dns.flags.AA
        q.set_opcode(dns.opcode.NOTIFY)  # after the flags, which hold the opcode
        return dns.query.udp(q, srv.host, port=srv.port, timeout=2, source="127.0.0.2")


def catalog_text(serial, members, version="2", extra=""):
    """members: [(id label, member zone)]."""
    lines = [f"$ORIGIN {CAT}.", f"@ 0 SOA invalid. invalid. {serial} 3600 600 2147483646 0", "@ 0 NS invalid.",
             f'version 0 TXT "{version}"'] + [f"{i}.zones 0 PTR {m}" for i, m in members] + [extra]
    return "\n".join(lines) + "\n"


@pytest.fixture
def scripted(tmp_path):
    zones = {"a.test": member_text("a.test", addr="192.0.2.1"), "b.test": member_text("b.test", addr="192.0.2.2"),
             "c.test": member_text("c.test", addr="192.0.2.3"), "local.test": member_text("local.test"),
             CAT: catalog_text(1, [("ida", "a.test.")])}
    prim = ZonesPrimary(zones)
    yield prim
    prim.stop()


def start_scripted_consumer(tmp_path, prim, extra=(), cfg_zones=()):
    cdir = tmp_path / "c"
    cdir.mkdir(exist_ok=True)
    conf = write_consumer(str(cdir), prim.port, extra=extra, cfg_zones=cfg_zones)
    conf_text = open(conf).read().replace("primary: 127.0.0.1:", "primary: 127.0.0.2:")
    write(conf, conf_text)
    return start_conf(cdir, conf, probe=CAT + ".")


def change_catalog(prim, cons, text, log_pattern):
    """Gives the primary a new catalog, NOTIFYs ternd, waits for the log line."""
    prim.zones[CAT] = text
    r = prim.notify(cons, CAT + ".")
    assert r.rcode() == dns.rcode.NOERROR and r.opcode() == dns.opcode.NOTIFY, r
    assert wait_for(lambda: re.search(log_pattern, cons.log_text()), 10), cons.log_text()


def test_bad_catalogs_change_nothing(tmp_path, scripted):
    prim = scripted
    cons = start_scripted_consumer(tmp_path, prim, cfg_zones=["local.test"])
    try:
        assert wait_for(lambda: serves(cons, "www.a.test.", "192.0.2.1"), 10), cons.log_text()
        # an unknown schema version: ignored, a.test kept, b.test not added
        change_catalog(prim, cons, catalog_text(2, [("idb", "b.test.")], version="1"),
                       r"catalog cat\.invalid\.: serial 2 not processed: no \"version\" TXT \"2\"")
        time.sleep(0.3)
        assert serves(cons, "www.a.test.", "192.0.2.1") and not_served(cons, "www.b.test.")
        # broken (RFC 9432 4.2): one zone under two member nodes
        change_catalog(prim, cons, catalog_text(3, [("x1", "b.test."), ("x2", "b.test.")]),
                       r"serial 3 not processed: b\.test\. is listed by two member nodes")
        assert serves(cons, "www.a.test.", "192.0.2.1") and not_served(cons, "www.b.test.")
        # refused members: a configured zone, the root, the catalog, below it
        change_catalog(prim, cons, catalog_text(4, [("ida", "a.test."), ("l", "local.test."), ("r", "."),
                                                     ("s", CAT + "."), ("t", "x." + CAT + "."),
                                                     ("idc", "c.test.")]),
                       r"zone c\.test\.: serial none -> 1")
        log = cons.log_text()
        assert "member local.test. refused: a zone of that name is configured" in log
        assert "member . refused: " in log
        assert f"member {CAT}. refused: it is the catalog or below it" in log
        assert f"member x.{CAT}. refused: it is the catalog or below it" in log
        assert serves(cons, "www.local.test.", "198.51.100.1"), "the configured zone is not taken over"
        assert serves(cons, "www.c.test.", "192.0.2.3") and serves(cons, "www.a.test.", "192.0.2.1")
        # a member node renamed (RFC 9432 5.4): reset and transferred again
        prim.zones["a.test"] = member_text("a.test", addr="192.0.2.111")  # same serial: only a reset sees it
        change_catalog(prim, cons, catalog_text(5, [("idnew", "a.test."), ("idc", "c.test.")]),
                       r"zone a\.test\.: its member node in catalog cat\.invalid\. changed; reset")
        assert wait_for(lambda: serves(cons, "www.a.test.", "192.0.2.111"), 10), cons.log_text()
    finally:
        cons.stop()
        assert cons.exit_status == 0, cons.log_text()


def test_catalog_max_members(tmp_path, scripted):
    prim = scripted
    prim.zones[CAT] = catalog_text(1, [("ida", "a.test."), ("idb", "b.test."), ("idc", "c.test.")])
    cons = start_scripted_consumer(tmp_path, prim, extra=["catalog-max-members: 2"])
    try:
        assert wait_for(lambda: re.search(r"lists 3 member zones, more than catalog-max-members \(2\): not processed",
                                          cons.log_text()), 10), cons.log_text()
        assert not_served(cons, "www.a.test.")
        # within the bound: processed
        change_catalog(prim, cons, catalog_text(2, [("ida", "a.test."), ("idb", "b.test.")]),
                       r"zone b\.test\.: serial none -> 1")
        assert wait_for(lambda: serves(cons, "www.a.test.", "192.0.2.1"), 10)
        # a member the primary does not have (no data yet) across a reload
        change_catalog(prim, cons, catalog_text(3, [("ida", "a.test."), ("idn", "nodata.test.")]),
                       r"zone nodata\.test\.: added by catalog")
        cons.reload()
        assert wait_for(lambda: "reloaded:" in cons.log_text(), 10), cons.log_text()
        assert answer(cons.host, cons.port, "www.nodata.test.")[0] == dns.rcode.SERVFAIL
        assert serves(cons, "www.a.test.", "192.0.2.1") and not_served(cons, "www.b.test.")
    finally:
        cons.stop()
        assert cons.exit_status == 0, cons.log_text()


def test_config_errors(tmp_path):
    """Each catalog misconfiguration is one file:line error of --check; a
    producer needs no file."""
    from ternd import binary
    conf = tmp_path / "ternd.conf"
    for z in ("m.test", "n.test", "o.test"):
        write(str(tmp_path / f"{z}.zone"), member_text(z))
    lines = [
        "zone:", "    name: cat1.invalid", "    file: cat1.zone", "    catalog-role: consumer",  # 3: no primary
        "zone:", "    name: m.test", "    file: m.test.zone", "    catalog: nowhere.invalid",  # 7: no producer
        "zone:", "    name: p.invalid", "    catalog-role: producer", "    primary: 127.0.0.1:53",  # 9
        "zone:", "    name: q.invalid", "    catalog-role: sideways",  # 15: bad role
        "zone:", "    name: r.invalid", "    catalog-role: producer",  # fine without file
        "zone:", "    name: n.test", "    file: n.test.zone", "    catalog-zone-dir: x",  # 21: dir, no consumer
        "zone:", "    name: o.test", "    file: o.test.zone", "    catalog-max-members: 0",  # 26
    ]
    conf.write_text("\n".join(lines) + "\n")
    r = subprocess.run([binary(), "--check", "--config", str(conf)], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    err = r.stderr
    assert re.search(r"ternd\.conf:3: a catalog consumer zone is a secondary: give it a primary:", err), err
    assert re.search(r"ternd\.conf:7: catalog: nowhere\.invalid\. is not a zone with catalog-role: producer", err), err
    assert re.search(r"ternd\.conf:9: a catalog producer zone is made by ternd: it cannot have a primary:", err), err
    assert re.search(r"ternd\.conf:15: catalog-role must be producer or consumer", err), err
    assert re.search(r"ternd\.conf:21: catalog-zone-dir is for a catalog-role: consumer zone", err), err
    assert re.search(r"ternd\.conf:26: catalog-max-members must be 1\.\.10000000", err), err
    assert "r.invalid" not in err, err
    # the six above, q.invalid's missing file, cat1's (a consumer's data come by transfer)
    assert len(re.findall(r"ternd\.conf:\d+: ", err)) == 8, err
