#!/usr/bin/env python3
"""bench/policy.py: the block-list benchmark of issue 14 (item 6), by hand or
from bench/run.sh (`make bench`):

  1. load: a list of N blocked domains (default 1,000,000) loaded by ternd
     (`block-list: FILE`, one domain per line), by dnsmasq (the same names as
     `address=/NAME/` lines) and by Unbound (`local-zone: "NAME"
     always_nxdomain` lines): seconds until each answers, and its resident
     memory then (VmRSS) against the same server with no list;
  2. answers: queries/s of ternd answering blocked names against ternd
     answering cache hits (the same ternd, one worker, pinned to CPU 0;
     blast pinned to CPU 1), and cache hits of a ternd without the list,
     in interleaved rounds; with the server's CPU time per query, the
     fairer figure on a machine where the generator is the limit; and the
     same for CNAME chains (CNAME inspection): a cached name behind a
     CNAME, with and without the list, and a CNAME whose target is listed
     (answered blocked from the cached CNAME alone).

  bench/policy.py [--names N] [--rounds R] [--duration S] [--out DIR]
                  [--no-unbound] [--no-dnsmasq]

Everything listens on 127.0.0.1 on free high ports; every process started
is stopped by pid. Writes DIR/policy.json and prints a table."""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def query_wire(name, qid=0x1234):
    q = bytearray(qid.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00")
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return bytes(q + b"\x00\x00\x01\x00\x01")


def answers(port, name, timeout=0.2):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(query_wire(name), (HOST, port))
            return len(s.recv(4096)) >= 12
        except OSError:
            return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Proc:
    def __init__(self, argv, port, log, pin=None):
        if pin is not None:
            argv = ["taskset", "-c", str(pin)] + argv
        self.log = open(log, "w")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = port
        self.ready_s = None

    def wait_ready(self, probe, timeout=300):
        while time.monotonic() - self.t0 < timeout:
            if self.p.poll() is not None:
                raise RuntimeError(f"exited with {self.p.returncode}: see {self.log.name}")
            if answers(self.port, probe):
                self.ready_s = time.monotonic() - self.t0
                return self
            time.sleep(0.01)
        raise RuntimeError("not ready in time")

    def cpu(self):
        with open(f"/proc/{self.p.pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


def gen_names(n, seed=14):
    """n distinct names shaped like the ones of real lists."""
    rnd = random.Random(seed)
    words = ["ads", "track", "metric", "pixel", "stat", "cdn", "tag", "beacon", "click", "count", "log", "img"]
    tlds = ["com", "net", "org", "io", "info", "de", "ru", "xyz", "top", "co.uk"]
    out = []
    for i in range(n):
        w = rnd.choice(words)
        out.append(f"{w}{i:x}-{rnd.randrange(1 << 20):x}.{rnd.choice(words)}{i % 997}.{rnd.choice(tlds)}")
    return out


def ternd(args, wd, extra_conf, pin=None, threads=1, forward=None):
    port = free_port()
    conf = os.path.join(wd, "ternd.conf")
    with open(conf, "w") as f:
        f.write("server:\n" + "".join(f"    {line}\n" for line in extra_conf))
    empty = os.path.join(wd, "resolv.empty")
    open(empty, "w").close()
    argv = [args.ternd, "--config", conf, "--listen", f"{HOST}:{port}", "--threads", str(threads),
            "--resolv-conf", empty, "--forward", forward or "none"]
    return Proc(argv, port, os.path.join(wd, "ternd.log"), pin)


def measure_load(args, wd, names, results):
    blocked = os.path.join(wd, "block.txt")
    with open(blocked, "w") as f:
        f.write("".join(n + "\n" for n in names))
    probe = names[len(names) // 2]
    rows = []

    def one(server, make, listed):
        d = os.path.join(wd, f"{server}-{'list' if listed else 'none'}")
        os.makedirs(d, exist_ok=True)
        p = make(d, listed)
        try:
            p.wait_ready(probe if listed else "probe.invalid")
            time.sleep(0.2)
            rss = rss_kib(p.p.pid)
        finally:
            p.stop()
        note = ""
        if server == "ternd" and listed:
            with open(p.log.name) as f:
                for line in f:
                    if "policy:" in line:
                        note = line.split("policy:", 1)[1].strip()
        rows.append({"server": server, "list": listed, "names": len(names) if listed else 0,
                     "ready_s": round(p.ready_s, 3), "rss_kib": rss, "note": note})
        print(f"  {server:8s} {'list' if listed else 'none':4s} ready {p.ready_s:7.3f} s  rss {rss / 1024:7.1f} MiB"
              f"  {note}", flush=True)

    def mk_ternd(d, listed):
        return ternd(args, d, [f"block-list: {blocked}"] if listed else [])

    def mk_dnsmasq(d, listed):
        port = free_port()
        conf = os.path.join(d, "dnsmasq.conf")
        with open(conf, "w") as f:
            if listed:
                f.write("".join(f"address=/{n}/\n" for n in names))
        return Proc(["dnsmasq", "--no-daemon", f"--conf-file={conf}", f"--port={port}", f"--listen-address={HOST}",
                     "--bind-interfaces", "--no-resolv", "--no-hosts", "--user=root", "--pid-file"],
                    port, os.path.join(d, "dnsmasq.log"))

    def mk_unbound(d, listed):
        port = free_port()
        conf = os.path.join(d, "unbound.conf")
        with open(conf, "w") as f:
            f.write("server:\n"
                    f"    interface: {HOST}@{port}\n    port: {port}\n    do-daemonize: no\n"
                    f'    username: ""\n    chroot: ""\n    directory: "{d}"\n    pidfile: ""\n'
                    "    use-syslog: no\n    verbosity: 0\n    num-threads: 1\n    do-ip6: no\n")
            if listed:
                f.write("".join(f'    local-zone: "{n}" always_nxdomain\n' for n in names))
        return Proc(["unbound", "-d", "-c", conf], port, os.path.join(d, "unbound.log"))

    servers = [("ternd", mk_ternd)]
    if args.dnsmasq and shutil.which("dnsmasq"):
        servers.append(("dnsmasq", mk_dnsmasq))
    if args.unbound and shutil.which("unbound"):
        servers.append(("unbound", mk_unbound))
    for server, make in servers:
        for listed in (False, True):
            try:
                one(server, make, listed)
            except RuntimeError as e:
                print(f"  {server}: {e}", flush=True)
    results["load"] = rows


def blast(args, port, qfile, duration, pin):
    argv = ["taskset", "-c", str(pin), args.blast, "-s", HOST, "-p", str(port), "-f", qfile, "-d", str(duration)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if r.returncode != 0:
        raise RuntimeError(f"blast failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def measure_answers(args, wd, names, results):
    """Blocked names against cache hits, the same ternd."""
    d = os.path.join(wd, "qps")
    os.makedirs(d, exist_ok=True)
    # the upstream: a ternd serving the cached names
    zone = os.path.join(d, "up.zone")
    with open(zone, "w") as f:
        f.write("$ORIGIN up.bench.\n$TTL 86400\n@ SOA ns h 1 3600 600 86400 3600\n@ NS ns\nns A 192.0.2.53\n")
        f.write("".join(f"h{i} A 192.0.2.{i % 250 + 1}\n" for i in range(5000)))
        # CNAME chains (CNAME inspection): to a cached name, and to a listed one
        f.write("".join(f"k{i} CNAME h{i}\n" for i in range(5000)))
        rnd = random.Random(11)
        f.write("".join(f"c{i} CNAME {n}.\n" for i, n in enumerate(rnd.sample(names, min(5000, len(names))))))
    up_port = free_port()
    upw = os.path.join(d, "up")
    os.makedirs(upw, exist_ok=True)
    empty = os.path.join(upw, "resolv.empty")
    open(empty, "w").close()
    up = Proc([args.ternd, "--listen", f"{HOST}:{up_port}", "--zone", f"up.bench={zone}", "--threads", "1",
               "--resolv-conf", empty, "--forward", "none"], up_port, os.path.join(upw, "ternd.log"))
    blocked = os.path.join(d, "block.txt")
    with open(blocked, "w") as f:
        f.write("".join(n + "\n" for n in names))
    hits = os.path.join(d, "q-cached.txt")
    with open(hits, "w") as f:
        f.write("".join(f"h{i}.up.bench A\n" for i in range(5000)))
    chits = os.path.join(d, "q-chain-cached.txt")
    with open(chits, "w") as f:
        f.write("".join(f"k{i}.up.bench A\n" for i in range(5000)))
    cblk = os.path.join(d, "q-chain-blocked.txt")
    with open(cblk, "w") as f:
        f.write("".join(f"c{i}.up.bench A\n" for i in range(min(5000, len(names)))))
    blk = os.path.join(d, "q-blocked.txt")
    rnd = random.Random(7)
    with open(blk, "w") as f:
        f.write("".join(f"{n} A\n" for n in rnd.sample(names, min(5000, len(names)))))
    srv = bare = None
    runs = []
    try:
        up.wait_ready("h1.up.bench")
        srvd = os.path.join(d, "ternd")
        os.makedirs(srvd, exist_ok=True)
        srv = ternd(args, srvd, [f"block-list: {blocked}"], pin=0, forward=f"{HOST}:{up_port}")
        srv.wait_ready("h1.up.bench")
        bared = os.path.join(d, "ternd-nolist")  # the same ternd without the list: what the lookup costs
        os.makedirs(bared, exist_ok=True)
        bare = ternd(args, bared, [], pin=0, forward=f"{HOST}:{up_port}")
        bare.wait_ready("h1.up.bench")
        for s_ in (srv, bare):
            for _ in range(2):  # warm: every cached name (and chain), gently
                for qf in (hits, chits, cblk):
                    blast(args, s_.port, qf, 2, 1)
        kinds = [("cached", srv, hits), ("blocked", srv, blk), ("cached-nolist", bare, hits),
                 ("chain-cached", srv, chits), ("chain-blocked", srv, cblk), ("chain-nolist", bare, chits)]
        for r in range(args.rounds):
            for kind, s_, qf in kinds[r % len(kinds):] + kinds[:r % len(kinds)]:
                c0, t0 = s_.cpu(), time.monotonic()
                res = blast(args, s_.port, qf, args.duration, 1)
                cpu = (s_.cpu() - c0) / (time.monotonic() - t0)
                us = cpu / res["qps"] * 1e6 if res["qps"] else 0
                runs.append({"kind": kind, "round": r, "qps": res["qps"], "lost": res.get("lost", 0),
                             "server_cpu": round(cpu, 3), "server_us_per_query": round(us, 2),
                             "rcodes": res.get("rcodes")})
                print(f"  round {r + 1} {kind:14s} {res['qps']:>10.0f} q/s  lost {res.get('lost', 0)}  "
                      f"server cpu {cpu:.2f}  {us:.2f} us/query", flush=True)
    finally:
        for s_ in (srv, bare):
            if s_:
                s_.stop()
        up.stop()
    results["answers"] = runs
    for kind in ("cached", "blocked", "cached-nolist", "chain-cached", "chain-blocked", "chain-nolist"):
        xs = [x["qps"] for x in runs if x["kind"] == kind]
        if xs:
            results.setdefault("answers_median", {})[kind] = statistics.median(xs)
            results.setdefault("us_per_query_median", {})[kind] = statistics.median(
                x["server_us_per_query"] for x in runs if x["kind"] == kind)


def main():
    ap = argparse.ArgumentParser(description="tern block-list benchmark")
    ap.add_argument("--names", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "policy"))
    ap.add_argument("--ternd", default=os.path.join(ROOT, "build", "ternd"))
    ap.add_argument("--blast", default=os.path.join(ROOT, "build", "bench", "blast"))
    ap.add_argument("--no-unbound", dest="unbound", action="store_false")
    ap.add_argument("--no-dnsmasq", dest="dnsmasq", action="store_false")
    ap.add_argument("--no-load", dest="load", action="store_false")
    ap.add_argument("--no-answers", dest="answers", action="store_false")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    names = gen_names(args.names)
    results = {"names": args.names}
    if args.load:
        print(f"== load: {args.names} blocked names", flush=True)
        measure_load(args, args.out, names, results)
    if args.answers:
        if not os.access(args.blast, os.X_OK):
            sys.exit(f"{args.blast}: build it first (bench/run.sh does)")
        print("== answers: blocked names vs cache hits (ternd, 1 worker on CPU 0; blast on CPU 1)", flush=True)
        measure_answers(args, args.out, names, results)
    with open(os.path.join(args.out, "policy.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("\n| server | list | ready (s) | RSS (MiB) |\n|---|---|---|---|")
    for r in results.get("load", []):
        print(f"| {r['server']} | {r['names'] if r['list'] else 'none'} | {r['ready_s']} | {r['rss_kib'] / 1024:.1f} |")
    for kind, q in results.get("answers_median", {}).items():
        print(f"ternd {kind}: {q:.0f} q/s, {results['us_per_query_median'][kind]:.2f} us of server CPU "
              "per query (medians)")


if __name__ == "__main__":
    main()
