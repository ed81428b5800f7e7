"""ternd.py: start the real ternd binary on loopback for system tests.

    with start_ternd(tmp_path, {"example.com": ZONE}) as srv:
        r = srv.query("www.example.com", "A")          # UDP
        r = srv.query("www.example.com", "A", tcp=True)

The binary comes from $TERN_BUILD (default build), relative to the repo root,
so the same tests run against the sanitizer build (TERN_BUILD=build/san).
"""
import os
import signal
import subprocess

import dns.message
import dns.query

from peers import LOOPBACK, Peer, _write_zones, free_port, wait_answering

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def binary(name="ternd"):
    return os.path.join(ROOT, os.environ.get("TERN_BUILD", "build"), name)


class Ternd(Peer):
    def query(self, qname, qtype="A", tcp=False, timeout=3.0, **kw):
        q = dns.message.make_query(qname, qtype, **kw)
        if tcp:
            return dns.query.tcp(q, self.host, port=self.port, timeout=timeout)
        return dns.query.udp(q, self.host, port=self.port, timeout=timeout)

    def send(self, msg, tcp=False, timeout=3.0):
        if tcp:
            return dns.query.tcp(msg, self.host, port=self.port, timeout=timeout)
        return dns.query.udp(msg, self.host, port=self.port, timeout=timeout, ignore_unexpected=True)

    def reload(self):
        os.kill(self.pid, signal.SIGHUP)

    def stop(self):
        """Stops ternd (SIGTERM, by pid) and fails the caller if it did not
        exit cleanly: a sanitizer report makes the exit status non-zero."""
        super().stop()
        self.exit_status = self.proc.returncode


def start_ternd(workdir, zones=None, args=(), host=LOOPBACK, port=None, probe=None, threads=2, wait=True):
    """Starts ternd serving zones ({origin: text}) on host:port."""
    workdir = str(workdir)
    port = port or free_port(host)
    argv = [binary(), "--listen", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "--threads", str(threads)]
    for origin, path in _write_zones(workdir, zones or {}):
        argv += ["--zone", f"{origin}={path}"]
    argv += list(args)
    if "--resolv-conf" not in argv:
        # Never the machine's /etc/resolv.conf: its resolvers are off this
        # machine, and tests send traffic to loopback only. Tests that want
        # forwarding pass --forward (or their own --resolv-conf).
        empty = os.path.join(workdir, "resolv.conf.empty")
        open(empty, "w").close()
        argv += ["--resolv-conf", empty]
    log = open(os.path.join(workdir, "ternd.log"), "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    srv = Ternd("ternd", proc, host, port, workdir, log)
    if wait:
        if probe is None and zones:
            probe = next(iter(zones))
        try:
            if probe:
                wait_answering(host, port, probe, proc=proc)
        except Exception as e:
            srv.stop()
            raise RuntimeError(f"ternd failed to start: {e}\n{srv.log_text()}") from None
    return srv
