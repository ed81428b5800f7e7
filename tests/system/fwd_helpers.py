"""fwd_helpers.py: what the forwarding system tests (test_forward_*.py) share.

    def test_x(fwd):
        up = fwd.upstream(Records(RECORDS))           # a scripted upstream
        srv = fwd.ternd(forward=[up], config=["serve-stale: 60"])
        r = srv.query("www.up.test", "A")
        assert up.count("www.up.test") == 1

- `Records` answers like an authoritative server from zone-file lines (CNAME
  chains followed, NODATA and NXDOMAIN with the SOA), optionally adding junk
  to the authority and additional sections.
- `Upstream` wraps peers.ScriptedServer: it remembers every query (name, type,
  id, transport, source address) and can be told to delay, stay silent or
  answer TC=1 over UDP.
- the `fwd` fixture starts ternd (and upstreams) and stops every one of them
  at teardown by pid; each ternd must exit with status 0.

Every ternd started here is given an upstream explicitly (`--forward` to
loopback or `--forward none`) and `--resolv-conf` pointing at an empty file in
the test's directory, so no test ever reads the machine's /etc/resolv.conf.
Only loopback is used."""
import os
import random
import selectors
import shutil
import socket
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from peers import LOOPBACK, ScriptedServer, free_port, start_knot
from ternd import start_ternd

NOERROR, NXDOMAIN, SERVFAIL, REFUSED = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL, dns.rcode.REFUSED

# The SOA of the scripted upstream's zone: SOA TTL 100, MINIMUM 2 (RFC 2308:
# a negative answer may be cached for min(TTL, MINIMUM) = 2 s).
UP_SOA = "up.test. 100 IN SOA ns.up.test. host.up.test. 1 3600 600 86400 2"

UP_RECORDS = """
www.up.test. 300 IN A 192.0.2.1
www.up.test. 300 IN A 192.0.2.2
www.up.test. 300 IN AAAA 2001:db8::1
up.test. 300 IN MX 10 mail.up.test.
up.test. 300 IN MX 20 mail2.up.test.
mail.up.test. 300 IN A 192.0.2.25
c1.up.test. 300 IN CNAME c2.up.test.
c2.up.test. 200 IN CNAME www.up.test.
short.up.test. 4 IN A 192.0.2.4
one.up.test. 1 IN A 192.0.2.11
txt.up.test. 300 IN TXT "only text here"
victim.test. 300 IN A 192.0.2.66
"""

# The same data as a zone for real upstreams (another ternd, knot).
UP_ZONE = """$ORIGIN up.test.
$TTL 300
@       IN SOA ns.up.test. host.up.test. 1 3600 600 86400 2
@       IN NS ns
ns      IN A 192.0.2.53
www     IN A 192.0.2.1
www     IN A 192.0.2.2
www     IN AAAA 2001:db8::1
@       IN MX 10 mail
@       IN MX 20 mail2
mail    IN A 192.0.2.25
mail2   IN A 192.0.2.26
c1      IN CNAME c2
c2  200 IN CNAME www
txt     IN TXT "only text here"
"""


def is_ra(r):
    return bool(r.flags & dns.flags.RA)


def is_aa(r):
    return bool(r.flags & dns.flags.AA)


def rdatas(r, name=None, rdtype=None):
    """The rdata texts of the answer section (optionally of one owner/type), sorted."""
    out = []
    for s in r.answer:
        if name is not None and s.name != dns.name.from_text(name):
            continue
        if rdtype is not None and s.rdtype != dns.rdatatype.from_text(rdtype):
            continue
        out += [rd.to_text() for rd in s]
    return sorted(out)


def chain(r):
    """The answer section as [(owner, type)] in order."""
    return [(s.name.to_text().lower(), dns.rdatatype.to_text(s.rdtype)) for s in r.answer]


def ttls(r):
    return [s.ttl for s in r.answer]


# ------------------------------------------------------------ upstream data

class Records:
    """Authoritative-style answers from zone-file lines `owner ttl IN TYPE rdata`."""

    def __init__(self, text=UP_RECORDS, soa=UP_SOA, junk=False):
        self.rrsets = {}  # (name, rdtype) -> RRset
        self.names = set()
        for line in text.strip().splitlines():
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            self.add(line)
        self.soa = self._parse(soa)
        self.junk = junk  # add unrelated records to authority and additional

    @staticmethod
    def _parse(line):
        owner, ttl, cls, rtype, rdata = line.split(None, 4)
        return dns.rrset.from_text(owner, int(ttl), cls, rtype, rdata)

    def add(self, line):
        rr = self._parse(line)
        key = (rr.name, rr.rdtype)
        if key in self.rrsets:
            self.rrsets[key].union_update(rr)
            self.rrsets[key].ttl = rr.ttl
        else:
            self.rrsets[key] = rr
        self.names.add(rr.name)

    def respond(self, q):
        """The response to dns.message q (QR, RA set; RD copied)."""
        r = dns.message.make_response(q)
        r.flags |= dns.flags.RA | dns.flags.AA
        qn, qt = q.question[0].name, q.question[0].rdtype
        name = qn
        for _ in range(16):
            s = self.rrsets.get((name, qt))
            if s is not None:
                r.answer.append(s)
                break
            c = self.rrsets.get((name, dns.rdatatype.CNAME))
            if c is not None and qt != dns.rdatatype.CNAME:
                r.answer.append(c)
                name = c[0].target
                continue
            if name not in self.names:
                r.set_rcode(dns.rcode.NXDOMAIN)
            r.authority.append(self.soa)
            break
        if self.junk:
            r.authority.append(dns.rrset.from_text("up.test.", 300, "IN", "NS", "ns.evil.test."))
            r.additional.append(dns.rrset.from_text("victim.test.", 300, "IN", "A", "6.6.6.6"))
            r.additional.append(dns.rrset.from_text("ns.evil.test.", 300, "IN", "A", "6.6.6.7"))
        return r


class Upstream:
    """A scripted upstream on 127.0.0.1 (a peers.ScriptedServer).

    answer(q, transport, peer, sock) -> [dns.message] decides the replies; by
    default Records.respond. Knobs (may be changed while running):
      delay    seconds to wait before replying (each query has its own thread)
      silent   never reply (the query is still recorded)
      tc_udp   over UDP reply TC=1 with empty sections; TCP gets the answer
    Every query is recorded in .log as dict(name, type, id, transport, peer)."""

    def __init__(self, records=None, answer=None, delay=0.0, silent=False, tc_udp=False, port=None, host=LOOPBACK):
        self.records = records if records is not None else Records()
        self.answer = answer
        self.delay = delay
        self.silent = silent
        self.tc_udp = tc_udp
        self.log = []
        self._lock = threading.Lock()
        self.server = ScriptedServer(self._handle, host=host, port=port)
        self.host, self.port = self.server.host, self.server.port
        self.addr = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        self.stopped = False

    def _handle(self, wire, transport, peer, sock):
        try:
            q = dns.message.from_wire(wire)
        except Exception:
            return []
        entry = {"name": q.question[0].name.to_text().lower() if q.question else None,
                 "type": dns.rdatatype.to_text(q.question[0].rdtype) if q.question else None,
                 "id": q.id, "transport": transport, "peer": peer, "flags": q.flags, "edns": q.edns,
                 "payload": q.payload if q.edns >= 0 else None}
        with self._lock:
            self.log.append(entry)
        if self.delay:
            time.sleep(self.delay)
        if self.silent:
            return []
        if self.tc_udp and transport == "udp":
            r = dns.message.make_response(q)
            r.flags |= dns.flags.TC | dns.flags.RA
            return [r.to_wire()]
        if self.answer is not None:
            out = self.answer(q, transport, peer, sock)
        else:
            out = [self.records.respond(q)]
        size = 65535 if transport == "tcp" else 0  # 0: the query's EDNS size
        return [m if isinstance(m, bytes) else m.to_wire(max_size=size) for m in out or []]

    def count(self, name=None, qtype=None, transport=None):
        """Queries seen (for name, of qtype, over transport, each if given)."""
        if name is not None:
            name = name.lower().rstrip(".") + "."
        with self._lock:
            return sum(1 for e in self.log
                       if (name is None or e["name"] == name) and (qtype is None or e["type"] == qtype)
                       and (transport is None or e["transport"] == transport))

    def names(self):
        with self._lock:
            return [e["name"] for e in self.log]

    def stop(self):
        if not self.stopped:
            self.stopped = True
            self.server.stop()


def dead_addr():
    """A loopback address:port where nothing listens (ECONNREFUSED)."""
    return f"{LOOPBACK}:{free_port()}"


# ------------------------------------------------------------ ternd

def wait_up(srv, timeout=10.0):
    """Waits until ternd answers anything (a CH TXT query: never forwarded,
    never counted at an upstream)."""
    q = dns.message.make_query("ready.invalid", "TXT", rdclass="CH")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            raise RuntimeError(f"ternd exited with status {srv.proc.returncode}\n{srv.log_text()}")
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.2)
                s.sendto(q.to_wire(), (srv.host, srv.port))
                s.recv(4096)
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"ternd did not answer within {timeout}s\n{srv.log_text()}")


def addr_of(u):
    """'host:port' of an Upstream, a Peer (ternd, knot) or a string."""
    if isinstance(u, str):
        return u
    if isinstance(u, Upstream):
        return u.addr
    return f"{u.host}:{u.port}"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def sanitizer_build():
    return "san" in os.environ.get("TERN_BUILD", "")


class Fwd:
    """Starts ternd instances and upstreams for one test; stops them all."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.ternds = []
        self.upstreams = []
        self.peers = []
        self.n = 0

    def upstream(self, records=None, **kw):
        u = Upstream(records, **kw)
        self.upstreams.append(u)
        return u

    def ternd(self, forward=(), forward_zones=(), local=(), config=None, zones=None, args=(), threads=2,
              wait=True, port=None, forward_flag=True):
        """Starts ternd forwarding to `forward` (Upstreams or 'addr:port'
        strings; empty: --forward none, unless forward_flag is False: then no
        --forward at all, for tests of the config file's `forward:` or of
        --resolv-conf), with --forward-zone ZONE=ADDR for each (zone,
        upstream) of forward_zones, --local records, and a config file whose
        server: section holds the `config` lines (if given)."""
        self.n += 1
        work = self.tmp / f"ternd{self.n}"
        work.mkdir()
        resolv = work / "resolv.conf"
        resolv.write_text("# empty: the tests never use the machine's resolvers\n")
        argv = ["--resolv-conf", str(resolv)]
        if config is not None:
            conf = work / "ternd.conf"
            conf.write_text("server:\n" + "".join(f"    {line}\n" for line in config))
            argv = ["--config", str(conf)] + argv
        if forward:
            for u in forward:
                argv += ["--forward", addr_of(u)]
        elif forward_flag:
            argv += ["--forward", "none"]
        for zone, u in forward_zones:
            argv += ["--forward-zone", f"{zone}={addr_of(u)}"]
        for rr in local:
            argv += ["--local", rr]
        argv += list(args)
        srv = start_ternd(work, zones, args=argv, threads=threads, wait=False, port=port)
        self.ternds.append(srv)
        if wait:
            wait_up(srv)
        return srv

    def knot(self, zones):
        """knotd serving zones (a real upstream); stopped at teardown."""
        if shutil.which("knotd") is None:
            pytest.skip("knotd not installed")
        self.n += 1
        work = self.tmp / f"knot{self.n}"
        work.mkdir()
        k = start_knot(work, zones)
        self.peers.append(k)
        return k

    def authoritative(self, zones):
        """A ternd serving zones authoritatively, forwarding nothing (a real upstream)."""
        return self.ternd(zones=zones)

    def close(self):
        bad = []
        for srv in reversed(self.ternds):
            srv.stop()
            if srv.exit_status != 0:
                bad.append(f"ternd exited with {srv.exit_status}\n{srv.log_text()}")
        for u in self.upstreams:
            u.stop()
        for p in self.peers:
            p.stop()
        assert not bad, "\n".join(bad)


@pytest.fixture
def fwd(tmp_path):
    f = Fwd(tmp_path)
    yield f
    f.close()


# ------------------------------------------------------------ clients

def query(srv, name, qtype="A", rd=True, tcp=False, timeout=5.0, source=None, **kw):
    """One query to srv; source: bind the client socket to this address."""
    q = dns.message.make_query(name, qtype, **kw)
    if not rd:
        q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, srv.host, port=srv.port, timeout=timeout, source=source)
    return dns.query.udp(q, srv.host, port=srv.port, timeout=timeout, source=source)


def timed(fn, *a, **kw):
    t = time.monotonic()
    r = fn(*a, **kw)
    return r, time.monotonic() - t


def burst(srv, names, qtype="A", timeout=6.0, source=LOOPBACK):
    """Sends one query per entry of names at once, each from its own socket
    (its own source port), and collects the replies: returns a list of
    (reply or None, seconds) in the order of names."""
    socks = []
    msgs = []
    t0 = time.monotonic()
    try:
        for name in names:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((source, 0))
            s.setblocking(False)
            socks.append(s)
            q = dns.message.make_query(name, qtype)
            msgs.append(q)
        for s, q in zip(socks, msgs):
            s.sendto(q.to_wire(), (srv.host, srv.port))
        out = [None] * len(socks)
        pending = set(range(len(socks)))
        sel = selectors.DefaultSelector()
        for i, s in enumerate(socks):
            sel.register(s, selectors.EVENT_READ, i)
        deadline = t0 + timeout
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
                i = key.data
                try:
                    wire = socks[i].recv(65535)
                    r = dns.message.from_wire(wire)
                except Exception:
                    continue
                if i in pending and r.id == msgs[i].id:
                    out[i] = (r, time.monotonic() - t0)
                    pending.discard(i)
                    sel.unregister(socks[i])
        sel.close()
        return [o if o is not None else (None, None) for o in out]
    finally:
        for s in socks:
            s.close()


def flood(srv, names, qtype="A", window=100, timeout=1.0):
    """Asks every name once over one UDP socket (EDNS, 1232 bytes), keeping
    `window` queries outstanding. Returns {rcode: count} (None for
    unanswered; "tc" counts truncated answers besides)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    out = {}
    outstanding = {}  # id -> sent time
    ids = list(range(65536))
    random.shuffle(ids)
    nexti = 0
    it = iter(names)
    done = False
    try:
        while True:
            while not done and len(outstanding) < window:
                try:
                    name = next(it)
                except StopIteration:
                    done = True
                    break
                qid = ids[nexti % 65536]
                nexti += 1
                q = dns.message.make_query(name, qtype, id=qid, use_edns=0, payload=1232)
                s.sendto(q.to_wire(), (srv.host, srv.port))
                outstanding[qid] = time.monotonic()
            if not outstanding:
                break
            events = sel.select(timeout=timeout)
            if not events:
                now = time.monotonic()
                for qid, t in list(outstanding.items()):
                    if now - t > timeout:
                        del outstanding[qid]
                        out[None] = out.get(None, 0) + 1
                continue
            while True:
                try:
                    wire = s.recv(65535)
                except BlockingIOError:
                    break
                qid = int.from_bytes(wire[:2], "big")
                if qid in outstanding:
                    del outstanding[qid]
                    rc = wire[3] & 0xF
                    out[rc] = out.get(rc, 0) + 1
                    if wire[2] & 0x02:
                        out["tc"] = out.get("tc", 0) + 1
        return out
    finally:
        sel.close()
        s.close()
