#!/usr/bin/env python3
"""bench.py: the tern benchmark's orchestrator (run it through bench/run.sh).

Starts ternd, NSD, Knot and the bare responder on loopback (high ports, the
same zone), drives them with bench/blast (built by run.sh), interleaves the
servers in every round (A B C A B C ...), and writes:

  build/bench/results.json   every raw measurement and the summary
  build/bench/table.md       the table (also printed)
  build/bench/qps.png        queries/s per server and layout (gnuplot)

Every process it starts is stopped by its pid on exit, also on Ctrl-C.
Only loopback addresses are used.
"""

import argparse
import datetime
import json
import os
import re
import platform
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

import xfr                      # bench/xfr.py: the zone transfer figures

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HOST = "127.0.0.1"
ORIGIN = "bench.test"

STARTED = []            # every Server we started, for cleanup


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- helpers
def free_port():
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((HOST, 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind((HOST, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def soa_query(qid, name=ORIGIN, qtype=6):
    """A query with RD=1 (a cache answers it from upstream)."""
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack(">HH", qtype, 1)


def wait_answer(port, deadline_s, proc=None, interval=0.002):
    """Polls with a SOA query for the origin until a NOERROR answer with
    ANCOUNT > 0 arrives. Returns the monotonic time of that answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(interval)
    end = time.monotonic() + deadline_s
    qid = 1
    try:
        while time.monotonic() < end:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"exited with status {proc.returncode}")
            qid = (qid + 1) & 0xFFFF
            try:
                s.sendto(soa_query(qid), (HOST, port))
            except OSError:
                time.sleep(interval)
                continue
            t_send = time.monotonic()
            while time.monotonic() - t_send < interval:
                try:
                    data = s.recv(4096)
                except (socket.timeout, ConnectionRefusedError, OSError):
                    break
                if len(data) >= 12 and data[:2] == struct.pack(">H", qid):
                    rcode = data[3] & 15
                    ancount = struct.unpack(">H", data[6:8])[0]
                    if rcode == 0 and ancount > 0:
                        return time.monotonic()
                    time.sleep(interval)
                    break
    finally:
        s.close()
    raise RuntimeError(f"no answer on port {port} within {deadline_s}s")


def proc_tree(pid):
    """pid and all its descendants (from /proc)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def start_time(pid):
    """The start time of pid (clock ticks since boot), None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        return int(st[st.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def cpu_seconds(pids):
    tck = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / tck
        except (OSError, ValueError):
            pass
    return total


def memory_kib(pid):
    """VmRSS of pid, and the sum of PSS over its process tree (fair for
    forking servers such as NSD whose children share the zone pages)."""
    rss = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    pss = 0
    tree_rss = 0
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        tree_rss += int(line.split()[1])
        except OSError:
            pass
    return {"rss_kib": rss, "tree_rss_kib": tree_rss, "tree_pss_kib": pss}


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=5)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception:
        return None


# ---------------------------------------------------------------- servers
class Server:
    def __init__(self, name, argv, workdir, port, pin, threads, ready_timeout=120):
        self.name = name
        self.port = port
        self.workdir = workdir
        self.threads = threads
        os.makedirs(workdir, exist_ok=True)
        self.logpath = os.path.join(workdir, name + ".log")
        self.logf = open(self.logpath, "w")
        if pin is not None:
            argv = ["taskset", "-c", str(pin)] + argv
        self.argv = argv
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                     cwd=workdir, stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        STARTED.append(self)
        try:
            t = wait_answer(port, ready_timeout, self.proc)
        except Exception as e:
            self.stop()
            raise RuntimeError(f"{name} did not start: {e}\n--- {self.logpath}:\n"
                               + open(self.logpath, errors="replace").read()[-3000:]) from None
        self.ready_s = t - self.t_start

    def cpu(self):
        return cpu_seconds(proc_tree(self.pid))

    def memory(self):
        return memory_kib(self.pid)

    def stop(self):
        # the processes this server forked (NSD's servers, ...), each with its
        # start time, so that only they are signalled if they outlive the parent
        forked = [(p, start_time(p)) for p in proc_tree(self.pid) if p != self.pid]
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        for p, st in forked:
            if st is not None and start_time(p) == st:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self in STARTED:
            STARTED.remove(self)
        self.logf.close()


def start_bare(cfg, wd, pin, threads, zone):
    port = free_port()
    return Server("bare", [cfg.bin("bare"), "--listen", f"{HOST}:{port}", "--threads", str(threads)],
                  wd, port, pin, threads)


def start_ternd(cfg, wd, pin, threads, zone):
    port = free_port()
    # authoritative only, as NSD and Knot are: no forwarding to the
    # machine's resolv.conf (nothing may leave loopback)
    return Server("ternd", [cfg.ternd, "--listen", f"{HOST}:{port}", "--zone", f"{ORIGIN}={zone}",
                            "--forward", "none", "--threads", str(threads)], wd, port, pin, threads)


def start_nsd(cfg, wd, pin, threads, zone):
    port = free_port()
    wd = os.path.abspath(os.path.join(wd, "nsd"))
    os.makedirs(wd, exist_ok=True)
    conf = [
        "server:",
        f"    ip-address: {HOST}@{port}",
        f"    port: {port}",
        '    username: ""',
        '    chroot: ""',
        f'    zonesdir: "{wd}"',
        f'    pidfile: "{wd}/nsd.pid"',
        f'    xfrdfile: "{wd}/xfrd.state"',
        f'    zonelistfile: "{wd}/zone.list"',
        '    database: ""',
        f"    server-count: {threads}",
        f"    reuseport: {'yes' if threads > 1 else 'no'}",
        "    verbosity: 0",
        "    hide-version: yes",
        "    rrl-ratelimit: 0",
        "    rrl-whitelist-ratelimit: 0",
        "    tcp-count: 1000",
        "remote-control:",
        "    control-enable: no",
        "zone:",
        f"    name: {ORIGIN}",
        f'    zonefile: "{zone}"',
    ]
    path = os.path.join(wd, "nsd.conf")
    with open(path, "w") as f:
        f.write("\n".join(conf) + "\n")
    return Server("nsd", ["nsd", "-d", "-c", path], wd, port, pin, threads)


def start_knot(cfg, wd, pin, threads, zone):
    port = free_port()
    wd = os.path.abspath(os.path.join(wd, "knot"))
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd, exist_ok=True)
    conf = [
        "server:",
        f'    rundir: "{wd}"',
        f'    listen: "{HOST}@{port}"',
        "    user: root:root",
        "    background-workers: 1",
        f"    udp-workers: {threads}",
        f"    tcp-workers: {threads}",
        "log:",
        "  - target: stderr",
        "    any: warning",
        "database:",
        f'    storage: "{wd}"',
        "template:",
        "  - id: default",
        f'    storage: "{wd}"',
        "    zonefile-sync: -1",
        "    zonefile-load: whole",
        "    journal-content: none",
        "zone:",
        f'  - domain: "{ORIGIN}."',
        f'    file: "{zone}"',
    ]
    path = os.path.join(wd, "knot.conf")
    with open(path, "w") as f:
        f.write("\n".join(conf) + "\n")
    return Server("knot", ["knotd", "-c", path], wd, port, pin, threads)


# caches (in front of one upstream authoritative server)
def start_ternd_fwd(cfg, wd, pin, threads, upstream, ready_timeout=120):
    port = free_port()
    return Server("ternd", [cfg.ternd, "--listen", f"{HOST}:{port}", "--forward", f"{HOST}:{upstream}",
                            "--threads", str(threads)], wd, port, pin, threads, ready_timeout)


def start_unbound(cfg, wd, pin, threads, upstream, ready_timeout=120):
    port = free_port()
    wd = os.path.abspath(os.path.join(wd, "unbound"))
    os.makedirs(wd, exist_ok=True)
    conf = [
        "server:",
        f"    interface: {HOST}@{port}",
        f"    port: {port}",
        "    do-daemonize: no",
        '    username: ""',
        '    chroot: ""',
        f'    directory: "{wd}"',
        f'    pidfile: "{wd}/unbound.pid"',
        "    use-syslog: no",
        "    verbosity: 0",
        f"    num-threads: {threads}",
        f"    so-reuseport: {'yes' if threads > 1 else 'no'}",
        "    do-ip6: no",
        "    do-not-query-localhost: no",
        "    access-control: 127.0.0.0/8 allow",
        f'    local-zone: "{ORIGIN.split(".")[-1]}." nodefault',
        '    module-config: "iterator"',
        "    qname-minimisation: no",
        "    minimal-responses: yes",
        "    msg-cache-size: 128m",
        "    rrset-cache-size: 256m",
        "remote-control:",
        "    control-enable: no",
        "forward-zone:",
        f'    name: "{ORIGIN}."',
        f"    forward-addr: {HOST}@{upstream}",
    ]
    path = os.path.join(wd, "unbound.conf")
    with open(path, "w") as f:
        f.write("\n".join(conf) + "\n")
    return Server("unbound", ["unbound", "-d", "-c", path], wd, port, pin, threads, ready_timeout)


def start_dnsmasq(cfg, wd, pin, threads, upstream, ready_timeout=120):
    port = free_port()
    return Server("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                              "--no-daemon", "--user=root", "--pid-file", f"--port={port}",
                              f"--listen-address={HOST}", "--bind-interfaces",
                              f"--server={HOST}#{upstream}", "--cache-size=100000",
                              "--dns-forward-max=10000"],
                  wd, port, pin, 1, ready_timeout)


AUTH = {"bare": start_bare, "ternd": start_ternd, "nsd": start_nsd, "knot": start_knot}
CACHE = {"ternd": start_ternd_fwd, "unbound": start_unbound, "dnsmasq": start_dnsmasq}
NEEDS = {"nsd": "nsd", "knot": "knotd", "unbound": "unbound", "dnsmasq": "dnsmasq"}


# ---------------------------------------------------------------- load generators
def blast(cfg, port, qfile, duration, pin=None, rate=0, tcp=False, threads=1, extra=()):
    argv = [cfg.bin("blast"), "-s", HOST, "-p", str(port), "-f", qfile, "-d", str(duration),
            "-T", str(threads)]
    if rate:
        argv += ["-r", str(int(rate))]
    if tcp:
        argv += ["--tcp", "-c", "8", "-w", "16"]
    argv += list(extra)
    if pin is not None:
        argv = ["taskset", "-c", str(pin)] + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if r.returncode != 0:
        raise RuntimeError(f"blast failed ({r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout)


def dnsperf(cfg, port, qfile, duration, pin=None):
    argv = ["dnsperf", "-s", HOST, "-p", str(port), "-d", qfile, "-l", str(duration),
            "-c", "4", "-q", "256"]
    if pin is not None:
        argv = ["taskset", "-c", str(pin)] + argv
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    el = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    qps = None
    lost = None
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("Queries per second:"):
            qps = float(line.split()[-1])
        if line.startswith("Queries lost:"):
            lost = int(line.split()[2])
    return {"generator": "dnsperf", "qps": qps, "lost": lost,
            "cpu": {"user_s": ru1.ru_utime - ru0.ru_utime, "sys_s": ru1.ru_stime - ru0.ru_stime,
                    "elapsed_s": el, "util": cpu / el if el else None}}


# ---------------------------------------------------------------- the benchmark
class Config:
    def __init__(self, a):
        self.a = a
        self.out = os.path.abspath(a.out)
        # run.sh snapshots build/ternd here, so a rebuild during the run changes nothing
        snap = os.path.join(self.out, "ternd")
        self.ternd = snap if os.path.exists(snap) else os.path.join(ROOT, "build", "ternd")

    def bin(self, name):
        return os.path.join(self.out, name)


def data_dir(cfg, names):
    d = os.path.join(cfg.out, f"data-{names}")
    if not os.path.exists(os.path.join(d, "manifest.json")):
        log(f"generating zone and queries for {names} names into {d}")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_zone.py"), "--out", d,
                        "--names", str(names)], check=True, stdout=subprocess.DEVNULL)
    return d


def rotate(lst, k):
    k %= len(lst)
    return lst[k:] + lst[:k]


def measure(cfg, srv, qfile, duration, gen_pin, **kw):
    c0 = srv.cpu()
    t0 = time.monotonic()
    res = blast(cfg, srv.port, qfile, duration, pin=gen_pin, **kw)
    el = time.monotonic() - t0
    res["server_cpu_util"] = round((srv.cpu() - c0) / el, 3)
    return res


def run_throughput(cfg, results, names, servers, layouts, qkind):
    a = cfg.a
    d = data_dir(cfg, names)
    zone = os.path.join(d, "zone.db")
    qfile = os.path.join(d, f"q-{qkind}.txt")
    wd = os.path.join(cfg.out, "run")
    for layout in layouts:
        pin_srv, pin_gen, threads = {"pinned": (0, 1, 1), "unpinned-1": (None, None, 1),
                                     "unpinned-2": (None, None, 2)}[layout]
        log(f"== {layout}: starting {', '.join(servers)} ({threads} thread(s))")
        running = {}
        try:
            for s in servers:
                running[s] = AUTH[s](cfg, os.path.join(wd, layout), pin_srv, threads, zone)
            for s in servers:            # warm-up, not recorded
                blast(cfg, running[s].port, qfile, 1, pin=pin_gen, threads=a.gen_threads)
            for r in range(a.rounds):
                for s in rotate(servers, r):
                    res = measure(cfg, running[s], qfile, a.duration, pin_gen, threads=a.gen_threads)
                    res.update(test="udp", layout=layout, server=s, round=r, query=qkind,
                               server_threads=threads)
                    results["runs"].append(res)
                    log(f"  round {r + 1}/{a.rounds} {s:6s} {res['qps']:>10.0f} q/s  "
                        f"lost {res['lost']}  gen cpu {res['cpu']['util']:.2f}  "
                        f"server cpu {res['server_cpu_util']:.2f}")
            if layout == "pinned" and a.per_kind:
                kinds = ["a", "aaaa", "cname", "mx", "txt", "referral", "nxdomain", "nodata", "wildcard"]
                for k in kinds:
                    qf = os.path.join(d, f"q-{k}.txt")
                    for r in range(max(1, a.rounds // 2)):
                        for s in rotate(servers, r):
                            res = measure(cfg, running[s], qf, max(1, a.duration / 2), pin_gen)
                            res.update(test="udp-kind", layout=layout, server=s, round=r, query=k,
                                       server_threads=threads)
                            results["runs"].append(res)
                    log(f"  per-kind {k}: done")
            if layout == "pinned" and a.latency:
                real = [s for s in servers if s != "bare"]
                med = {s: statistics.median(x["qps"] for x in results["runs"]
                                            if x["test"] == "udp" and x["layout"] == "pinned"
                                            and x["server"] == s) for s in real}
                rate = a.rate or max(5000, int(min(med.values()) * 0.5 / 5000) * 5000)
                results["latency_rate"] = rate
                log(f"  latency at a fixed offered load of {rate} q/s")
                for r in range(a.rounds):
                    for s in rotate(servers, r):
                        res = measure(cfg, running[s], qfile, a.duration, pin_gen, rate=rate)
                        res.update(test="latency", layout=layout, server=s, round=r, query=qkind,
                                   server_threads=threads)
                        results["runs"].append(res)
                        log(f"  round {r + 1} {s:6s} p50 {res['latency_us']['p50']:.0f} us  "
                            f"p99 {res['latency_us']['p99']:.0f} us  lost {res['lost']}")
            if layout == "pinned" and a.tcp:
                tsrv = [s for s in servers if s != "bare"]
                for r in range(a.rounds):
                    for s in rotate(tsrv, r):
                        res = measure(cfg, running[s], qfile, a.duration, pin_gen, tcp=True)
                        res.update(test="tcp", layout=layout, server=s, round=r, query=qkind,
                                   server_threads=threads)
                        results["runs"].append(res)
                        log(f"  tcp round {r + 1} {s:6s} {res['qps']:>10.0f} q/s  "
                            f"gen cpu {res['cpu']['util']:.2f}  server cpu {res['server_cpu_util']:.2f}")
            if layout == "pinned" and a.dnsperf and shutil.which("dnsperf") and "bare" in running:
                res = dnsperf(cfg, running["bare"].port, qfile, a.duration, pin=pin_gen)
                res.update(test="generator-check", layout=layout, server="bare", round=0)
                results["runs"].append(res)
                log(f"  dnsperf against bare: {res['qps']} q/s, its cpu {res['cpu']['util']:.2f}")
        finally:
            for s in running.values():
                s.stop()


def run_load(cfg, results, sizes, servers):
    a = cfg.a
    wd = os.path.join(cfg.out, "load")
    for n in sizes:
        d = data_dir(cfg, n)
        zone = os.path.join(d, "zone.db")
        for r in range(min(a.rounds, 3)):
            for s in rotate(servers, r):
                srv = AUTH[s](cfg, wd, None, 1, zone)
                try:
                    time.sleep(0.5)
                    mem = srv.memory()
                finally:
                    srv.stop()
                rec = {"test": "load", "server": s, "names": n, "round": r,
                       "ready_s": round(srv.ready_s, 4), **mem}
                results["load"].append(rec)
                log(f"  load {n} names {s:6s} ready {srv.ready_s:7.3f} s  "
                    f"rss {mem['rss_kib'] / 1024:7.1f} MiB  pss(tree) {mem['tree_pss_kib'] / 1024:7.1f} MiB")


def forward_supported(cfg):
    try:
        r = subprocess.run([cfg.ternd, "--help"], capture_output=True, text=True, timeout=5)
        return "--forward" in (r.stdout + r.stderr)
    except OSError:
        return False


def run_cache(cfg, results, names, caches):
    a = cfg.a
    d = data_dir(cfg, names)
    zone = os.path.join(d, "zone.db")
    # the working set: the first 5000 cacheable lines of the mixed file.
    # Referral queries (names at or below a delegation, the s<N> names of
    # gen_zone.py) are left out: the upstream answers them with a referral
    # (NOERROR, no answer, NS in authority, no SOA), which a forwarder must
    # not cache (RFC 2308 2.2 and 5: no SOA, no negative caching), so ternd
    # asks the upstream for every one of them; Unbound instead follows or
    # keeps the delegation itself. Either way they are not cache hits.
    hits = os.path.join(d, "q-cachehit.txt")
    referral = re.compile(r"^(?:[^ ]+\.)?s\d+\.")
    with open(os.path.join(d, "q-mixed.txt")) as f, open(hits, "w") as g:
        n = 0
        for line in f:
            if n >= 5000:
                break
            if referral.match(line):
                continue
            g.write(line)
            n += 1
    wd = os.path.join(cfg.out, "cache")
    up = AUTH["nsd" if shutil.which("nsd") else "ternd"](cfg, os.path.join(wd, "upstream"), None, 1, zone)
    running = {}
    try:
        for s in list(caches):
            try:
                running[s] = CACHE[s](cfg, os.path.join(wd, s), 0, 1, up.port, ready_timeout=15)
            except RuntimeError as e:
                results["notes"].append(f"{s} left out of the cache benchmark: {str(e).splitlines()[0]}")
                log(f"  {e}")
                caches.remove(s)
        for s in caches:            # warm: every name of the working set, twice, gently
            for _ in range(2):
                blast(cfg, running[s].port, hits, 2, pin=1, rate=5000)
        for r in range(a.rounds):
            for s in rotate(caches, r):
                res = measure(cfg, running[s], hits, a.duration, 1)
                res.update(test="cache", layout="pinned", server=s, round=r, query="cachehit",
                           server_threads=1)
                results["runs"].append(res)
                log(f"  cache round {r + 1} {s:8s} {res['qps']:>10.0f} q/s  lost {res['lost']}  "
                    f"gen cpu {res['cpu']['util']:.2f}  server cpu {res['server_cpu_util']:.2f}")
    finally:
        for s in running.values():
            s.stop()
        up.stop()


# ---------------------------------------------------------------- report
def spread(xs):
    return (min(xs), max(xs)) if xs else (None, None)


def summarise(results):
    runs = results["runs"]
    summ = {}
    for x in runs:
        if x.get("generator") != "blast":
            continue
        key = (x["test"], x["layout"], x.get("query"), x["server"])
        summ.setdefault(key, []).append(x)
    out = []
    for (test, layout, query, server), xs in summ.items():
        q = [x["qps"] for x in xs]
        row = {"test": test, "layout": layout, "query": query, "server": server, "n": len(xs),
               "qps_median": statistics.median(q), "qps_min": min(q), "qps_max": max(q),
               "gen_cpu_max": max(x["cpu"]["util"] for x in xs),
               "server_cpu_median": statistics.median(x["server_cpu_util"] for x in xs),
               "lost_total": sum(x["lost"] for x in xs),
               "answered_total": sum(x["answered"] for x in xs)}
        if test == "latency":
            row["p50_us"] = statistics.median(x["latency_us"]["p50"] for x in xs)
            row["p99_us"] = statistics.median(x["latency_us"]["p99"] for x in xs)
            row["p99_us_max"] = max(x["latency_us"]["p99"] for x in xs)
        out.append(row)
    # fractions of bare and ratio to the best anchor, per (test, layout, query)
    groups = {}
    for row in out:
        groups.setdefault((row["test"], row["layout"], row["query"]), {})[row["server"]] = row
    for g in groups.values():
        bare = g.get("bare")
        anchors = [g[s]["qps_median"] for s in ("nsd", "knot", "unbound", "dnsmasq") if s in g]
        for s, row in g.items():
            if bare and s != "bare":
                row["of_bare"] = row["qps_median"] / bare["qps_median"]
            if s == "ternd" and anchors:
                row["ternd_over_best_anchor"] = row["qps_median"] / max(anchors)
    load = {}
    for x in results["load"]:
        load.setdefault((x["names"], x["server"]), []).append(x)
    lrows = []
    for (n, s), xs in sorted(load.items()):
        lrows.append({"names": n, "server": s, "n": len(xs),
                      "ready_s_median": statistics.median(x["ready_s"] for x in xs),
                      "ready_s_min": min(x["ready_s"] for x in xs),
                      "ready_s_max": max(x["ready_s"] for x in xs),
                      "rss_mib_median": statistics.median(x["rss_kib"] for x in xs) / 1024,
                      "pss_tree_mib_median": statistics.median(x["tree_pss_kib"] for x in xs) / 1024})
    return out, lrows


def fmt_k(v):
    return f"{v / 1000:.1f}k" if v is not None else "-"


def table(results):
    rows, lrows = results["summary"]["throughput"], results["summary"]["load"]
    order = {"bare": 0, "ternd": 1, "nsd": 2, "knot": 3, "unbound": 4, "dnsmasq": 5}
    lines = []
    tests = [("udp", "UDP queries/s, mixed queries (closed loop)"),
             ("tcp", "TCP queries/s with connection reuse (8 connections x 16 pipelined)"),
             ("cache", "Cache hits, UDP queries/s (warmed)")]
    for test, title in tests:
        rs = [r for r in rows if r["test"] == test]
        if not rs:
            continue
        lines += [f"### {title}", "",
                  "| layout | server | median q/s | spread (min-max) | of bare | ternd / best anchor | server CPU | generator CPU (max) | lost |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in sorted(rs, key=lambda r: (r["layout"], order.get(r["server"], 9))):
            of_bare = f"{r['of_bare'] * 100:.0f} %" if "of_bare" in r else "-"
            ratio = f"{r['ternd_over_best_anchor']:.2f}" if "ternd_over_best_anchor" in r else ""
            bound = " (gen-bound)" if r["gen_cpu_max"] >= 0.9 else ""
            lines.append(f"| {r['layout']} | {r['server']} | {fmt_k(r['qps_median'])}{bound} | "
                         f"{fmt_k(r['qps_min'])}-{fmt_k(r['qps_max'])} | {of_bare} | {ratio} | "
                         f"{r['server_cpu_median']:.2f} | {r['gen_cpu_max']:.2f} | "
                         f"{r['lost_total']} of {r['answered_total'] + r['lost_total']} |")
        lines.append("")
    rs = [r for r in rows if r["test"] == "latency"]
    if rs:
        lines += [f"### Latency at a fixed offered load of {results.get('latency_rate')} q/s (pinned)", "",
                  "| server | p50 (us) | p99 (us, median of rounds) | p99 worst round | answered q/s | lost |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in sorted(rs, key=lambda r: order.get(r["server"], 9)):
            lines.append(f"| {r['server']} | {r['p50_us']:.0f} | {r['p99_us']:.0f} | {r['p99_us_max']:.0f} | "
                         f"{fmt_k(r['qps_median'])} | {r['lost_total']} |")
        lines.append("")
    rs = [r for r in rows if r["test"] == "udp-kind"]
    if rs:
        kinds = sorted({r["query"] for r in rs})
        srvs = sorted({r["server"] for r in rs}, key=lambda s: order.get(s, 9))
        lines += ["### UDP queries/s per query kind (pinned, median)", "",
                  "| kind | " + " | ".join(srvs) + " |", "|---|" + "---:|" * len(srvs)]
        for k in kinds:
            cells = []
            for s in srvs:
                m = [r for r in rs if r["query"] == k and r["server"] == s]
                cells.append(fmt_k(m[0]["qps_median"]) if m else "-")
            lines.append(f"| {k} | " + " | ".join(cells) + " |")
        lines.append("")
    if lrows:
        lines += ["### Zone load (start to first answer) and memory after loading", "",
                  "| names | server | ready (s, median) | spread | VmRSS (MiB) | PSS of process tree (MiB) |",
                  "|---:|---|---:|---:|---:|---:|"]
        for r in lrows:
            lines.append(f"| {r['names']} | {r['server']} | {r['ready_s_median']:.3f} | "
                         f"{r['ready_s_min']:.3f}-{r['ready_s_max']:.3f} | {r['rss_mib_median']:.1f} | "
                         f"{r['pss_tree_mib_median']:.1f} |")
        lines.append("")
    lines += xfr.table_lines(results)
    for c in results.get("generator_checks", []):
        lines.append(f"Generator check: dnsperf against the bare responder (pinned): "
                     f"{fmt_k(c['qps'])} q/s with dnsperf at {c['cpu']['util']:.2f} CPU.")
    for n in results.get("notes", []):
        lines.append(f"Note: {n}")
    return "\n".join(lines) + "\n"


def plot(cfg, results):
    if not shutil.which("gnuplot"):
        results["notes"].append("gnuplot not found: no plot")
        return None
    rows = [r for r in results["summary"]["throughput"] if r["test"] in ("udp", "tcp", "cache")]
    if not rows:
        return None
    order = ["bare", "ternd", "nsd", "knot", "unbound", "dnsmasq"]
    servers = [s for s in order if any(r["server"] == s for r in rows)]
    cats = []
    for r in rows:
        c = f"{r['test']} {r['layout']}"
        if c not in cats:
            cats.append(c)
    dat = os.path.join(cfg.out, "qps.dat")
    with open(dat, "w") as f:
        f.write("layout " + " ".join(servers) + "\n")
        for c in cats:
            vals = []
            for s in servers:
                m = [r for r in rows if f"{r['test']} {r['layout']}" == c and r["server"] == s]
                vals.append(f"{m[0]['qps_median'] / 1000:.1f}" if m else "0")
            f.write('"' + c + '" ' + " ".join(vals) + "\n")
    png = os.path.join(cfg.out, "qps.png")
    gp = os.path.join(cfg.out, "qps.gp")
    with open(gp, "w") as f:
        f.write(f"""set terminal pngcairo size 1000,560 noenhanced
set output "{png}"
set title "tern benchmark: queries/s (thousands, median of rounds) per server and layout"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set ylabel "thousand queries/s"
set yrange [0:*]
set grid ytics
set xtics rotate by -20
plot for [i=2:{len(servers) + 1}] "{dat}" using i:xtic(1) title columnheader(i)
""")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        # pngcairo may be missing in gnuplot-nox; fall back to the png terminal
        with open(gp) as f:
            text = f.read().replace("pngcairo", "png")
        with open(gp, "w") as f:
            f.write(text)
        r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        results["notes"].append(f"gnuplot failed: {r.stderr.strip()[:200]}")
        return None
    return png


def phase(results, fn, *args):
    """Runs one part of the benchmark; a failure is noted and the rest goes on."""
    try:
        fn(*args)
    except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as e:
        msg = f"{fn.__name__} failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        log(f"!! {msg}\n{e}")
        results["notes"].append(msg)


def main():
    ap = argparse.ArgumentParser(description="tern benchmark (use bench/run.sh)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"), help="output directory")
    ap.add_argument("--names", type=int, default=100000, help="zone entries (default 100000)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    ap.add_argument("--servers", default="bare,ternd,nsd,knot", help="authoritative servers (comma list)")
    ap.add_argument("--layouts", default="pinned,unpinned-1,unpinned-2",
                    help="pinned, unpinned-1, unpinned-2 (comma list; none: skip the throughput part)")
    ap.add_argument("--query", default="mixed", help="query file kind for the main figures")
    ap.add_argument("--load-sizes", default=None, help="comma list of zone sizes for load/memory "
                    "(default: --names and 1000000)")
    ap.add_argument("--gen-threads", type=int, default=1, help="blast threads for the UDP figures")
    ap.add_argument("--rate", type=int, default=0, help="offered load for latency (default: half "
                    "the slowest server's pinned median)")
    ap.add_argument("--no-tcp", dest="tcp", action="store_false")
    ap.add_argument("--no-latency", dest="latency", action="store_false")
    ap.add_argument("--no-per-kind", dest="per_kind", action="store_false")
    ap.add_argument("--no-load", dest="load", action="store_false")
    ap.add_argument("--no-cache", dest="cache", action="store_false")
    ap.add_argument("--no-dnsperf", dest="dnsperf", action="store_false")
    ap.add_argument("--caches", default="ternd,unbound,dnsmasq", help="servers of the cache benchmark")
    ap.add_argument("--no-xfr", dest="xfr", action="store_false", help="skip the zone transfer figures")
    ap.add_argument("--xfr-names", type=int, default=1000000,
                    help="zone entries for the transfer figures (default 1000000)")
    ap.add_argument("--xfr-servers", default="ternd,knot,nsd", help="servers of the transfer figures")
    ap.add_argument("--xfr-rounds", type=int, default=3, help="rounds of the transfer figures (default 3)")
    ap.add_argument("--xfr-parts", default="out,in", help="out (AXFR out, queries/s during AXFRs), "
                    "in (secondaries of a Knot primary); comma list")
    ap.add_argument("--mode", default="full", help="a label for the run (run.sh --quick sets quick)")
    a = ap.parse_args()
    cfg = Config(a)
    os.makedirs(cfg.out, exist_ok=True)

    def on_term(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    results = {"meta": {}, "runs": [], "load": [], "notes": []}
    servers = []
    for s in a.servers.split(","):
        if s in NEEDS and not shutil.which(NEEDS[s]):
            results["notes"].append(f"{s} skipped: {NEEDS[s]} not installed")
            continue
        servers.append(s)
    layouts = [x for x in a.layouts.split(",") if x and x != "none"]
    sizes = [int(x) for x in a.load_sizes.split(",")] if a.load_sizes else sorted({a.names, 1000000})
    try:
        cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                          if l.startswith("model name")), platform.machine())
    except OSError:
        cpu_model = platform.machine()
    results["meta"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": a.mode, "kernel": platform.release(), "cpu": cpu_model, "cpus": os.cpu_count(),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
        "names": a.names, "rounds": a.rounds, "duration_s": a.duration, "query": a.query,
        "servers": servers, "layouts": layouts, "load_sizes": sizes,
        "generator": "blast (bench/blast.c), 1 thread, 4 UDP sockets x 32 outstanding, EDNS 1232, RD; TCP 8 connections x 16 pipelined",
        "versions": {"ternd": tool_version([cfg.ternd, "--version"]),
                     "nsd": tool_version(["nsd", "-v"]), "knot": tool_version(["knotd", "--version"]),
                     "unbound": tool_version(["unbound", "-V"]),
                     "dnsmasq": tool_version(["dnsmasq", "--version"]),
                     "dnsperf": tool_version(["dnsperf", "-h"])},
        "git": subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                              capture_output=True, text=True).stdout.strip(),
    }
    interrupted = False
    try:
        d = data_dir(cfg, a.names)
        results["meta"]["zone"] = json.load(open(os.path.join(d, "manifest.json")))
        if a.load:
            log("== zone load time and memory")
            phase(results, run_load, cfg, results, sizes, [s for s in servers if s != "bare"])
        phase(results, run_throughput, cfg, results, a.names, servers, layouts, a.query)
        if a.cache:
            caches = [s for s in a.caches.split(",") if s not in NEEDS or shutil.which(NEEDS[s])]
            if "ternd" in caches and not forward_supported(cfg):
                results["notes"].append("ternd left out of the cache benchmark: it does not accept --forward yet")
                log("== ternd left out of the cache benchmark: --forward not accepted yet")
                caches.remove("ternd")
            if caches:
                log(f"== cache benchmark: {', '.join(caches)}")
                phase(results, run_cache, cfg, results, a.names, caches)
        if a.xfr:
            phase(results, xfr.run_xfr, sys.modules[__name__], cfg, results, a.xfr_names,
                  a.xfr_servers.split(","), min(a.rounds, a.xfr_rounds), a.duration, a.xfr_parts.split(","))
    except KeyboardInterrupt:
        log("interrupted: stopping servers")
        results["notes"].append("interrupted: partial results")
        interrupted = True
    finally:
        for s in list(STARTED):
            s.stop()
    results["meta"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    results["generator_checks"] = [x for x in results["runs"] if x.get("test") == "generator-check"]
    thr, ld = summarise(results)
    results["summary"] = {"throughput": thr, "load": ld, "xfr": xfr.summarise(results)}
    if interrupted:
        # keep the last complete run's table, JSON and plot; the partial one goes aside
        part = os.path.join(cfg.out, "results-interrupted.json")
        with open(part, "w") as f:
            json.dump(results, f, indent=1)
        print(table(results))
        print(f"interrupted: partial results in {os.path.relpath(part)}")
        sys.exit(130)
    png = plot(cfg, results)
    text = table(results)
    what = (f"{a.names} names, {a.rounds} rounds x {a.duration} s, queries: {a.query}" if layouts or a.load
            or a.cache else f"zone transfers only, {a.xfr_names} names")
    head = (f"tern benchmark ({a.mode}): {what}; {results['meta']['cpu']}, {results['meta']['cpus']} CPUs; "
            f"load average at start {' '.join(results['meta']['loadavg_start'])}\n\n")
    with open(os.path.join(cfg.out, "table.md"), "w") as f:
        f.write(head + text)
    with open(os.path.join(cfg.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    hist = os.path.join(cfg.out, "history")      # every run kept, by date
    os.makedirs(hist, exist_ok=True)
    stamp = results["meta"]["date"].replace(":", "").replace("+0000", "Z")
    with open(os.path.join(hist, f"{stamp}-{a.mode}.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(head + text)
    print(f"raw results: {os.path.relpath(os.path.join(cfg.out, 'results.json'))}")
    if png:
        print(f"plot: {os.path.relpath(png)}")


if __name__ == "__main__":
    main()
