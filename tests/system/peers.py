"""peers.py: start reference DNS servers (Knot, NSD, BIND) and small scripted
dnspython servers on loopback for the system tests.

Every server binds 127.0.0.1 on a free high port, is started as a child
process (or thread) of the test, and is stopped by the pid it was started
with. Nothing here sends traffic anywhere but loopback.

    with knot(tmp_path, {"example.com": ZONE_TEXT}) as srv:
        ... query srv.host, srv.port ...

    srv = start_knot(tmp_path, zones)   # the same without the context manager
    srv.stop()

    with ScriptedServer(handler) as fake:  # handler(query, transport) -> reply(s)
        ... fake.port ...
"""

import contextlib
import os
import random
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import threading
import time

import dns.message
import dns.query

LOOPBACK = "127.0.0.1"


def _family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _port_pool():
    """The ports this test process hands to servers: below the kernel's
    ephemeral range (where clients such as dig pick their source ports; a
    client that happens to take the server's port reads its own query back),
    and split between pytest-xdist workers so two workers never race for one.
    """
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        lo, hi = 32768, 60999
    if lo - 1 - 10000 >= 2000:
        first, last = 10000, lo - 1
    else:
        first, last = hi + 1, 65535
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    size = (last - first + 1) // max(count, 1)
    start = first + (index % max(count, 1)) * size
    return list(range(start, start + size))


_POOL = None
_RECENT = []


def free_port(host=LOOPBACK):
    """A port free for both UDP and TCP on host right now, outside the
    ephemeral range, and not handed out recently by this process."""
    global _POOL
    if _POOL is None:
        _POOL = _port_pool()
    fam = _family(host)
    for _ in range(500):
        port = random.choice(_POOL)
        if port in _RECENT:
            continue
        ok = True
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(fam, kind) as s:
                try:
                    s.bind((host, port))
                except OSError:
                    ok = False
                    break
        if ok:
            _RECENT.append(port)
            del _RECENT[:-1000]
            return port
    raise RuntimeError("no free port found")


def wait_answering(host, port, qname, timeout=10.0, proc=None):
    """Polls host:port with a SOA query for qname over UDP until it answers."""
    deadline = time.monotonic() + timeout
    q = dns.message.make_query(qname, "SOA")
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            r = dns.query.udp(q, host, port=port, timeout=0.2)
            if r.rcode() == 0:
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server on {host}:{port} did not answer within {timeout}s")


class Peer:
    """A reference server process started by this module."""

    def __init__(self, name, proc, host, port, workdir, log):
        self.name = name
        self.proc = proc
        self.pid = proc.pid
        self.host = host
        self.port = port
        self.workdir = workdir
        self.log = log

    def stop(self):
        """Stops the process we started, by its pid; kills it after 5 s."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def log_text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _start(name, argv, workdir, host, port, probe):
    log = open(os.path.join(workdir, name + ".log"), "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    peer = Peer(name, proc, host, port, workdir, log)
    try:
        wait_answering(host, port, probe, proc=proc)
    except Exception as e:
        peer.stop()
        raise RuntimeError(f"{name} failed to start: {e}\n{peer.log_text()}") from None
    return peer


def _write_zones(workdir, zones):
    """zones: {origin: zone text}; returns [(origin, path)]."""
    out = []
    for origin, text in zones.items():
        path = os.path.join(workdir, origin.rstrip(".") + ".zone")
        with open(path, "w") as f:
            f.write(text)
        out.append((origin.rstrip("."), path))
    return out


def start_knot(workdir, zones, host=LOOPBACK, port=None, nsid=None, axfr=False, notify=None, ixfr=False,
               tsig=None):
    """Starts knotd serving zones ({origin: zone file text}) on host:port
    (a free port if None); axfr=True lets loopback transfer them. notify:
    [(host, port)] to send NOTIFY to when a zone changes; ixfr=True keeps
    the differences of zone-file reloads in the journal, so that changes
    are served by IXFR. tsig: (name, algorithm, base64 secret): transfers
    must be signed with it, and NOTIFY is signed. Returns a Peer; call
    stop() (or use `with`)."""
    if shutil.which("knotd") is None:
        raise RuntimeError("knotd not installed")
    workdir = os.path.join(str(workdir), "knot")
    os.makedirs(workdir, exist_ok=True)
    port = port or free_port(host)
    zlist = _write_zones(workdir, zones)
    conf = [
        "server:",
        f'    rundir: "{workdir}"',
        f'    listen: "{host}@{port}"',
        "    user: root:root",
        "    background-workers: 1",
        "    udp-workers: 1",
        "    tcp-workers: 1",
    ]
    if nsid:
        conf.append(f'    nsid: "{nsid}"')
    conf += [
        "log:",
        "  - target: stderr",
        "    any: info",
    ]
    if tsig:
        conf += ["key:", f"  - id: {tsig[0]}", f"    algorithm: {tsig[1]}", f"    secret: {tsig[2]}"]
    if axfr:
        conf += ["acl:", "  - id: loopback_xfr", f"    address: {host}", "    action: transfer"]
        if tsig:
            conf.append(f"    key: {tsig[0]}")
    if notify:
        conf += ["remote:"]
        for i, (h, p) in enumerate(notify):
            conf += [f"  - id: notify{i}", f"    address: {h}@{p}"]
            if tsig:
                conf.append(f"    key: {tsig[0]}")
    conf += [
        "database:",
        f'    storage: "{workdir}"',
        "template:",
        "  - id: default",
        f'    storage: "{workdir}"',
        "    zonefile-sync: -1",
        "    zonefile-load: difference" if ixfr else "    zonefile-load: whole",
        "    journal-content: changes" if ixfr else "    journal-content: none",
    ]
    if axfr:
        conf.append("    acl: loopback_xfr")
    if notify:
        conf.append("    notify: [" + ", ".join(f"notify{i}" for i in range(len(notify))) + "]")
    conf += [
        "zone:",
    ]
    for origin, path in zlist:
        conf += [f'  - domain: "{origin}."', f'    file: "{path}"']
    cpath = os.path.join(workdir, "knot.conf")
    with open(cpath, "w") as f:
        f.write("\n".join(conf) + "\n")
    return _start("knot", ["knotd", "-c", cpath], workdir, host, port, zlist[0][0] + ".")


def start_nsd(workdir, zones, host=LOOPBACK, port=None, nsid=None, axfr=False, notify=None, tsig=None):
    """Starts nsd in the foreground serving zones on host:port; like start_knot
    (axfr: loopback may transfer; notify: [(host, port)] to NOTIFY on
    change). NSD 4.6 keeps no differences: IXFR is answered with the whole
    zone. SIGHUP (peer.reload()) reloads changed zone files. tsig: (name,
    algorithm, base64 secret) that transfers and NOTIFY must be signed
    with."""
    if shutil.which("nsd") is None:
        raise RuntimeError("nsd not installed")
    workdir = os.path.join(str(workdir), "nsd")
    os.makedirs(workdir, exist_ok=True)
    port = port or free_port(host)
    zlist = _write_zones(workdir, zones)
    conf = [
        "server:",
        f"    ip-address: {host}@{port}",
        f"    port: {port}",
        '    username: ""',
        '    chroot: ""',
        f'    zonesdir: "{workdir}"',
        f'    pidfile: "{workdir}/nsd.pid"',
        f'    xfrdfile: "{workdir}/xfrd.state"',
        f'    zonelistfile: "{workdir}/zone.list"',
        '    database: ""',
        "    server-count: 1",
        "    verbosity: 1",
    ]
    if nsid:
        conf.append(f'    nsid: "ascii_{nsid}"')
    conf += ["remote-control:", "    control-enable: no"]
    kname = tsig[0] if tsig else "NOKEY"
    if tsig:
        conf += ["key:", f"    name: {tsig[0]}", f"    algorithm: {tsig[1]}", f'    secret: "{tsig[2]}"']
    for origin, path in zlist:
        conf += ["zone:", f"    name: {origin}", f'    zonefile: "{path}"']
        if axfr:
            conf.append(f"    provide-xfr: {host} {kname}")
        for h, p in notify or ():
            conf.append(f"    notify: {h}@{p} {kname}")
    cpath = os.path.join(workdir, "nsd.conf")
    with open(cpath, "w") as f:
        f.write("\n".join(conf) + "\n")
    return _start("nsd", ["nsd", "-d", "-c", cpath], workdir, host, port, zlist[0][0] + ".")


def start_named(workdir, zones, host=LOOPBACK, port=None, notify=None, ixfr=False, tsig=None):
    """Starts BIND's named in the foreground (-g) as a primary of zones on
    host:port; loopback may transfer them; notify: [(host, port)] to
    NOTIFY at once (notify-delay 0) on change; ixfr=True keeps the
    differences of reloads (ixfr-from-differences), so changes are served
    by IXFR. SIGHUP reloads changed zone files. tsig: (name, algorithm,
    base64 secret) that transfers must be signed with; NOTIFY is signed."""
    if shutil.which("named") is None:
        raise RuntimeError("named not installed")
    workdir = os.path.join(str(workdir), "named")
    os.makedirs(workdir, exist_ok=True)
    port = port or free_port(host)
    zlist = _write_zones(workdir, zones)
    keyref = f' key "{tsig[0]}"' if tsig else ""
    also = " ".join(f"{h} port {p}{keyref};" for h, p in notify or ())
    conf = [
        "options {",
        f'    directory "{workdir}";',
        f'    pid-file "{workdir}/named.pid";',
        f'    session-keyfile "{workdir}/session.key";',
        f'    managed-keys-directory "{workdir}";',
        f"    listen-on port {port} {{ {host}; }};",
        "    listen-on-v6 { none; };",
        "    recursion no;",
        "    dnssec-validation no;",
        f'    allow-transfer {{ key "{tsig[0]}"; }};' if tsig else f"    allow-transfer {{ {host}; }};",
        "    notify explicit;",
        "    notify-delay 0;",
        f"    also-notify {{ {also} }};" if also else "",
        f"    ixfr-from-differences {'yes' if ixfr else 'no'};",
        "};",
        "controls { };",
    ]
    if tsig:
        conf.append(f'key "{tsig[0]}" {{ algorithm {tsig[1]}; secret "{tsig[2]}"; }};')
    for origin, path in zlist:
        conf += [f'zone "{origin}" {{ type primary; file "{path}"; }};']
    cpath = os.path.join(workdir, "named.conf")
    with open(cpath, "w") as f:
        f.write("\n".join(conf) + "\n")
    return _start("named", ["named", "-g", "-c", cpath], workdir, host, port, zlist[0][0] + ".")


# ---- secondaries of a primary (zone transfers in at the peer) ----
#
# key: None or (name, algorithm, base64 secret); the peer then signs its
# requests with it and accepts only signed NOTIFYs.


def start_knot_secondary(workdir, origin, primary, key=None, host=LOOPBACK, port=None):
    """knotd as a secondary of primary (host, port) for origin; NOTIFY
    accepted from the primary's address. Transfers out allowed to
    loopback (to compare). Returns a Peer once the zone has loaded."""
    if shutil.which("knotd") is None:
        raise RuntimeError("knotd not installed")
    workdir = os.path.join(str(workdir), "knot-secondary")
    os.makedirs(workdir, exist_ok=True)
    port = port or free_port(host)
    keyref = ""
    conf = ["server:", f'    rundir: "{workdir}"', f'    listen: "{host}@{port}"', "    user: root:root",
            "    background-workers: 1", "    udp-workers: 1", "    tcp-workers: 1",
            "log:", "  - target: stderr", "    any: info"]
    if key:
        conf += ["key:", f"  - id: {key[0]}", f"    algorithm: {key[1]}", f"    secret: {key[2]}"]
        keyref = f"    key: {key[0]}"
    conf += ["remote:", "  - id: primary", f"    address: {primary[0]}@{primary[1]}"] + ([keyref] if key else [])
    conf += ["acl:", "  - id: from_primary", f"    address: {primary[0]}", "    action: notify"] + \
        ([keyref] if key else [])
    conf += ["  - id: loopback_xfr", f"    address: {host}", "    action: transfer"]
    conf += ["database:", f'    storage: "{workdir}"',
             "template:", "  - id: default", f'    storage: "{workdir}"', "    zonefile-sync: -1",
             "    journal-content: changes",
             "zone:", f'  - domain: "{origin}."', "    master: primary", "    acl: [from_primary, loopback_xfr]"]
    cpath = os.path.join(workdir, "knot.conf")
    with open(cpath, "w") as f:
        f.write("\n".join(conf) + "\n")
    return _start("knot", ["knotd", "-c", cpath], workdir, host, port, origin + ".")


def start_nsd_secondary(workdir, origin, primary, key=None, host=LOOPBACK, port=None):
    """nsd as a secondary of primary (host, port) for origin; like
    start_knot_secondary."""
    if shutil.which("nsd") is None:
        raise RuntimeError("nsd not installed")
    workdir = os.path.join(str(workdir), "nsd-secondary")
    os.makedirs(workdir, exist_ok=True)
    port = port or free_port(host)
    kname = key[0] if key else "NOKEY"
    conf = ["server:", f"    ip-address: {host}@{port}", f"    port: {port}", '    username: ""', '    chroot: ""',
            f'    zonesdir: "{workdir}"', f'    pidfile: "{workdir}/nsd.pid"', f'    xfrdfile: "{workdir}/xfrd.state"',
            f'    zonelistfile: "{workdir}/zone.list"', '    database: ""', "    server-count: 1", "    verbosity: 2",
            f'    xfrdir: "{workdir}"',
            "remote-control:", "    control-enable: no"]
    if key:
        conf += ["key:", f"    name: {key[0]}", f"    algorithm: {key[1]}", f'    secret: "{key[2]}"']
    conf += ["zone:", f"    name: {origin}", f'    zonefile: "{origin}.zone"',
             f"    request-xfr: {primary[0]}@{primary[1]} {kname}", f"    allow-notify: {primary[0]} {kname}",
             f"    provide-xfr: {host} NOKEY"]
    cpath = os.path.join(workdir, "nsd.conf")
    with open(cpath, "w") as f:
        f.write("\n".join(conf) + "\n")
    return _start("nsd", ["nsd", "-d", "-c", cpath], workdir, host, port, origin + ".")


def start_bind_secondary(workdir, origin, primary, key=None, host=LOOPBACK, port=None):
    """named (BIND 9) in the foreground as a secondary of primary (host,
    port) for origin; like start_knot_secondary."""
    if shutil.which("named") is None:
        raise RuntimeError("named not installed")
    workdir = os.path.join(str(workdir), "bind-secondary")
    os.makedirs(workdir, exist_ok=True)
    port = port or free_port(host)
    keyclause = f' key "{key[0]}"' if key else ""
    conf = ["options {", f'    directory "{workdir}";', f"    listen-on port {port} {{ {host}; }};",
            "    listen-on-v6 { none; };", f'    pid-file "{workdir}/named.pid";',
            f'    session-keyfile "{workdir}/session.key";', f'    managed-keys-directory "{workdir}";',
            "    recursion no;", "    notify no;", "    dnssec-validation no;", "    allow-query { any; };",
            "};", "controls { };"]
    if key:
        conf += [f'key "{key[0]}" {{ algorithm {key[1]}; secret "{key[2]}"; }};']
    conf += [f'zone "{origin}" {{', "    type secondary;",
             f"    primaries {{ {primary[0]} port {primary[1]}{keyclause}; }};",
             f'    file "{origin}.bk";', f"    allow-notify {{ {primary[0]}; }};",
             f"    allow-transfer {{ {host}; }};", "};"]
    cpath = os.path.join(workdir, "named.conf")
    with open(cpath, "w") as f:
        f.write("\n".join(conf) + "\n")
    return _start("bind", ["named", "-g", "-c", cpath], workdir, host, port, origin + ".")


@contextlib.contextmanager
def knot(workdir, zones, **kw):
    peer = start_knot(workdir, zones, **kw)
    try:
        yield peer
    finally:
        peer.stop()


@contextlib.contextmanager
def nsd(workdir, zones, **kw):
    peer = start_nsd(workdir, zones, **kw)
    try:
        yield peer
    finally:
        peer.stop()


class ScriptedServer:
    """A tiny UDP+TCP DNS server in this process (threads) whose answers a
    test scripts: handler(query_wire: bytes, transport: "udp"|"tcp", peer,
    sock) returns a list of reply byte strings to send (possibly empty: stay
    silent). host may be "127.0.0.1" or "::1". Over UDP the handler may also send datagrams itself through sock
    (e.g. from another socket, to test source checking). Every received
    query is appended to self.queries as (transport, wire)."""

    def __init__(self, handler, host=LOOPBACK, port=None):
        self.handler = handler
        self.host = host
        self.queries = []
        self._lock = threading.Lock()
        outer = self

        class UDPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                outer._record("udp", data)
                for reply in outer.handler(data, "udp", self.client_address, sock) or []:
                    sock.sendto(reply, self.client_address)

        class TCPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                conn = self.request
                conn.settimeout(5)
                while True:
                    hdr = _recv_exact(conn, 2)
                    if not hdr:
                        return
                    data = _recv_exact(conn, struct.unpack("!H", hdr)[0])
                    if data is None:
                        return
                    outer._record("tcp", data)
                    for reply in outer.handler(data, "tcp", self.client_address, conn) or []:
                        try:
                            conn.sendall(struct.pack("!H", len(reply)) + reply)
                        except OSError:
                            return  # the client went away: nothing to report

        class UDP(socketserver.ThreadingMixIn, socketserver.UDPServer):
            daemon_threads = True
            allow_reuse_address = True
            address_family = _family(host)

        class TCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True
            address_family = _family(host)

        for _ in range(20):
            p = port or free_port(host)
            try:
                self.udp = UDP((host, p), UDPHandler)
            except OSError:
                if port:
                    raise
                continue
            try:
                self.tcp = TCP((host, p), TCPHandler)
            except OSError:
                self.udp.server_close()
                if port:
                    raise
                continue
            break
        self.port = p
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
                         for s in (self.udp, self.tcp)]
        for t in self._threads:
            t.start()

    def _record(self, transport, data):
        with self._lock:
            self.queries.append((transport, data))

    def stop(self):
        for s in (self.udp, self.tcp):
            s.shutdown()
            s.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = conn.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf
