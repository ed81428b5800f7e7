"""hostile_helpers.py: what the hostile-traffic system tests
(test_hostile_*.py) share.

- `ternd_with_config(workdir, zones, lines)` starts ternd with a config file
  whose `server:` section holds `lines` (tcp-idle-timeout, ...).
- `HostilePool` holds many TCP connections open from a background thread:
  idle ones (connect, send nothing) and slow ones (one byte a second of a
  query that never completes); a connection the server closes is opened
  again after `reconnect_delay`, as a real attacker would.
- `rss_kb`, `raise_fd_limit`, `udp_kernel_drops` and small raw-socket clients.

Only loopback is used; every process is started by the test and stopped by
its pid (Peer.stop)."""
import os
import resource
import selectors
import socket
import struct
import threading
import time

import dns.exception
import dns.message
import dns.query

from ternd import start_ternd


def ternd_with_config(workdir, zones, lines, threads=2, **kw):
    """ternd serving zones with a config file (server: section = lines)."""
    workdir = str(workdir)
    conf = os.path.join(workdir, "ternd.conf")
    with open(conf, "w") as f:
        f.write("server:\n" + "".join(f"    {line}\n" for line in lines))
    args = ["--config", conf] + list(kw.pop("args", ()))
    return start_ternd(workdir, zones, args=args, threads=threads, **kw)


from fwd_helpers import rss_kb  # noqa: E402,F401  (one VmRSS reader for all tests)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def raise_fd_limit(need):
    """Raises this process's soft RLIMIT_NOFILE to at least `need` (up to
    the hard limit); ternd, started afterwards, inherits it. Returns the new
    soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


def udp_kernel_drops():
    """The machine's UDP receive-buffer and in-error counters (/proc/net/snmp):
    datagrams the kernel dropped because a socket's buffer was full. They
    are machine-wide; the soak compares them before and after."""
    with open("/proc/net/snmp") as f:
        lines = [line.split() for line in f if line.startswith("Udp:")]
    names, values = lines[0][1:], [int(v) for v in lines[1][1:]]
    d = dict(zip(names, values))
    return {k: d.get(k, 0) for k in ("InErrors", "RcvbufErrors", "SndbufErrors")}


def tcp_query(srv, qname, qtype="A", timeout=2.0, source=None):
    """One query over a NEW TCP connection; the reply or None (timeout,
    reset, or the server closed)."""
    q = dns.message.make_query(qname, qtype)
    try:
        return dns.query.tcp(q, srv.host, port=srv.port, timeout=timeout, source=source)
    except (OSError, EOFError, dns.exception.Timeout):
        return None


def udp_query(srv, qname, qtype="A", timeout=1.0):
    q = dns.message.make_query(qname, qtype)
    try:
        return dns.query.udp(q, srv.host, port=srv.port, timeout=timeout)
    except (OSError, dns.exception.Timeout):
        return None


class HostilePool:
    """n_idle idle and n_slow slow TCP connections to srv, held open by a
    background thread. Slow connections send the 2-byte length of a
    512-byte query, then one byte a second: the query never completes
    within the test. Closed connections are opened again after
    reconnect_delay seconds (None: never). source: one address or a list
    of them (connections are spread over the list round-robin).

    Counters: .opened (connections established), .closed_by_server (EOF or
    reset seen), .open_now(), .connect_errors."""

    def __init__(self, srv, n_idle, n_slow, reconnect_delay=0.5, source="127.0.0.1", slow_interval=1.0):
        self.srv = srv
        self.n_idle, self.n_slow = n_idle, n_slow
        self.reconnect_delay = reconnect_delay
        self.sources = [source] if isinstance(source, str) else list(source)
        self._next_source = 0
        self.slow_interval = slow_interval
        self.sel = selectors.DefaultSelector()
        self.conns = {}  # sock -> dict(kind, next_byte)
        self.pending = []  # (time, kind): reconnects due
        self.opened = self.closed_by_server = self.connect_errors = 0
        self.slow_bytes = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread = None

    def _connect(self, kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        source = self.sources[self._next_source % len(self.sources)]
        self._next_source += 1
        try:
            s.bind((source, 0))
            s.settimeout(2.0)
            s.connect((self.srv.host, self.srv.port))
            s.setblocking(False)
        except OSError:
            s.close()
            self.connect_errors += 1
            return False
        st = {"kind": kind, "next": time.monotonic() + self.slow_interval, "sent": 0}
        if kind == "slow":
            # the length of a 512-byte message, then nothing for now
            try:
                s.send(struct.pack("!H", 512))
            except OSError:
                pass
        with self._lock:
            self.conns[s] = st
        self.sel.register(s, selectors.EVENT_READ, st)
        self.opened += 1
        return True

    def open_all(self):
        """Opens every connection (in the caller's thread)."""
        for _ in range(self.n_idle):
            self._connect("idle")
        for _ in range(self.n_slow):
            self._connect("slow")

    def _drop(self, s, st):
        try:
            self.sel.unregister(s)
        except (KeyError, ValueError):
            pass
        with self._lock:
            self.conns.pop(s, None)
        s.close()
        self.closed_by_server += 1
        if self.reconnect_delay is not None and not self._stop.is_set():
            self.pending.append((time.monotonic() + self.reconnect_delay, st["kind"]))

    def _run(self):
        while not self._stop.is_set():
            for key, _ in self.sel.select(timeout=0.05):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self._drop(s, key.data)
            now = time.monotonic()
            with self._lock:
                slow = [(s, st) for s, st in self.conns.items() if st["kind"] == "slow" and st["next"] <= now]
            for s, st in slow:
                st["next"] = now + self.slow_interval
                try:
                    s.send(b"\x00")
                    self.slow_bytes += 1
                except OSError:
                    self._drop(s, st)
            due = [p for p in self.pending if p[0] <= now]
            if due:
                self.pending = [p for p in self.pending if p[0] > now]
                for _, kind in due:
                    if self._stop.is_set():
                        break
                    self._connect(kind)

    def start(self):
        self.open_all()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def open_now(self, kind=None):
        with self._lock:
            return sum(1 for st in self.conns.values() if kind is None or st["kind"] == kind)

    def stop(self):
        self._stop.set()
        if self.thread:
            self.thread.join(timeout=5)
        with self._lock:
            socks = list(self.conns)
            self.conns.clear()
        for s in socks:
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()
        self.sel.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
