#!/usr/bin/env python3
"""bench/dnssec_auth.py: DO=1 queries to a signed zone, ternd against Knot
and NSD (issue 12, "Benchmarks": "DO=1 mixed queries per second on one
core against Knot and NSD on the same signed zone"), by hand or from
bench/run.sh.

The bench zone (bench/gen_zone.py, N entries, default 100000) is signed
once by ldns-signzone (one ECDSAP256SHA256 key; NSEC, or NSEC3 with no
salt and 0 iterations, RFC 9276), so the three servers serve the same
bytes. Each serves it with one worker, pinned to CPU 0; bench/blast
replays the generator's mixed query file (answers, NODATA, NXDOMAIN,
wildcards, CNAMEs, referrals) with DO=1 from CPU 1, in alternating
rounds. Before the rounds, each server's DO=1 answers are checked: a
positive answer carries its RRSIG and an NXDOMAIN its NSEC/NSEC3 proof.
Reported: queries/s and queries per server CPU-second (the fairer figure
on a shared machine), medians, and ternd's ratios to each.

  bench/dnssec_auth.py [--names N] [--denial nsec,nsec3] [--rounds R] [--duration S]
                       [--out DIR] [--blast PATH] [--ternd PATH] [--servers ternd,knot,nsd]

Writes DIR/dnssec_auth.json and DIR/dnssec_auth.md and prints the table.
Every process started is stopped by its pid; only 127.0.0.1 is used."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types

import bench as B  # bench/bench.py: Server, start_*, data_dir, cpu accounting

ORIGIN = "bench.test"
STARTERS = {"ternd": B.start_ternd, "knot": B.start_knot, "nsd": B.start_nsd}
TOOLS = {"ternd": None, "knot": "knotd", "nsd": "nsd"}


def sign(data, wd, denial):
    """The bench zone signed by ldns-signzone; returns the signed file."""
    os.makedirs(wd, exist_ok=True)
    key = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", ORIGIN], cwd=wd, capture_output=True,
                         text=True, check=True).stdout.strip()
    out = os.path.join(wd, f"zone.{denial}.signed")
    argv = ["ldns-signzone", "-f", out, "-o", ORIGIN]
    if denial == "nsec3":
        argv += ["-n", "-t", "0"]
    argv += [os.path.join(data, "zone.db"), os.path.join(wd, key)]
    t0 = time.monotonic()
    subprocess.run(argv, cwd=wd, check=True, capture_output=True)
    B.log(f"  {denial}: signed by ldns-signzone in {time.monotonic() - t0:.1f} s")
    return out


def first_line(path):
    with open(path) as f:
        name, qtype = f.readline().split()[:2]
    return name, qtype


def check(port, data):
    """(a positive answer has RRSIG, an NXDOMAIN has NSEC/NSEC3 and RRSIG)."""
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    def ask(name, qtype):
        q = dns.message.make_query(name, qtype, want_dnssec=True, payload=1232)
        return dns.query.udp(q, B.HOST, port=port, timeout=5)
    r = ask(*first_line(os.path.join(data, "q-a.txt")))
    pos = any(rr.rdtype == dns.rdatatype.RRSIG for rr in r.answer)
    r = ask(*first_line(os.path.join(data, "q-nxdomain.txt")))
    kinds = {rr.rdtype for rr in r.authority}
    neg = r.rcode() == dns.rcode.NXDOMAIN and dns.rdatatype.RRSIG in kinds and (
        dns.rdatatype.NSEC in kinds or dns.rdatatype.NSEC3 in kinds)
    return pos, neg


def blast(path, port, qfile, duration, pin):
    argv = ["taskset", "-c", str(pin), path, "-s", B.HOST, "-p", str(port), "-f", qfile, "-d", str(duration),
            "--do"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if r.returncode != 0:
        raise RuntimeError(f"blast failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def run_denial(a, data, work, denial, names):
    zone = sign(data, os.path.join(work, f"keys-{denial}"), denial)
    cfg = types.SimpleNamespace(ternd=os.path.abspath(a.ternd))
    qfile = os.path.join(data, "q-mixed.txt")
    runs, checks = {n: [] for n in names}, {}
    for r in range(a.rounds):
        for name in (names if r % 2 == 0 else list(reversed(names))):
            wd = os.path.join(work, f"{name}-{denial}-{r}")
            os.makedirs(wd, exist_ok=True)
            s = STARTERS[name](cfg, wd, 0, 1, zone)
            try:
                if name not in checks:
                    checks[name] = check(s.port, data)
                    B.log(f"  {denial} {name}: DO=1 positive answer has RRSIG {checks[name][0]}, "
                          f"NXDOMAIN proven {checks[name][1]}")
                blast(a.blast, s.port, qfile, 1, 1)  # warm
                c0, t0 = s.cpu(), time.monotonic()
                res = blast(a.blast, s.port, qfile, a.duration, 1)
                el, cpu = time.monotonic() - t0, s.cpu() - c0
                answered = res.get("answered", res.get("received", 0))
                runs[name].append({"qps": res["qps"], "server_cpu_s": cpu, "elapsed_s": el, "answered": answered,
                                   "lost": res.get("lost"), "rcodes": res.get("rcodes"),
                                   "q_per_cpu_s": answered / cpu if cpu else None})
                B.log(f"  {denial} round {r + 1} {name:6s} {res['qps']:>9.0f} q/s  server cpu {cpu / el:.2f}  "
                      f"{answered / cpu if cpu else 0:>9.0f} q/cpu-s  lost {res.get('lost')}")
            finally:
                s.stop()
    med = {n: {"qps": statistics.median(x["qps"] for x in v),
               "q_per_cpu_s": statistics.median(x["q_per_cpu_s"] or 0 for x in v)} for n, v in runs.items()}
    return {"runs": runs, "median": med, "checks": checks}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=100000)
    ap.add_argument("--denial", default="nsec,nsec3")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--servers", default="ternd,knot,nsd")
    ap.add_argument("--out", default=os.path.join(B.ROOT, "build", "bench"))
    ap.add_argument("--blast", default=os.path.join(B.ROOT, "build", "bench", "blast"))
    ap.add_argument("--ternd", default=os.path.join(B.ROOT, "build", "ternd"))
    a = ap.parse_args()
    for tool in ("ldns-signzone", "ldns-keygen", "taskset"):
        if not shutil.which(tool):
            print(f"bench/dnssec_auth.py: {tool} missing; skipped", file=sys.stderr)
            return 0
    names = [n for n in a.servers.split(",") if n == "ternd" or shutil.which(TOOLS.get(n) or "")]
    os.makedirs(a.out, exist_ok=True)
    cfg = types.SimpleNamespace(out=os.path.abspath(a.out))
    data = B.data_dir(cfg, a.names)
    work = tempfile.mkdtemp(prefix="tern-dnssec-auth-")
    results = {}
    try:
        for denial in a.denial.split(","):
            results[denial] = run_denial(a, data, work, denial, names)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = open("/proc/loadavg").read().split()[:3]
    text = (f"DO=1 mixed queries to the signed {a.names}-entry bench zone (signed once by ldns-signzone, "
            f"ECDSAP256SHA256; the same file for every server), one worker pinned to CPU 0, blast --do on CPU 1; "
            f"{a.rounds} x {a.duration:g} s, medians; load average {' '.join(load)}\n\n"
            "| denial | server | queries/s | queries per server CPU-second | RRSIG / NXDOMAIN proof |\n"
            "|---|---|---:|---:|---|\n")
    for denial, r in results.items():
        for n in names:
            m, c = r["median"][n], r["checks"].get(n, (False, False))
            text += (f"| {denial} | {n} | {m['qps']:,.0f} | {m['q_per_cpu_s']:,.0f} | "
                     f"{'yes' if c[0] else 'NO'} / {'yes' if c[1] else 'NO'} |\n")
        t = r["median"].get("ternd")
        for n in names:
            if n != "ternd" and t:
                o = r["median"][n]
                text += (f"| {denial} | ternd/{n} | {t['qps'] / o['qps']:.2f} | "
                         f"{t['q_per_cpu_s'] / o['q_per_cpu_s']:.2f} | |\n")
    print(text)
    with open(os.path.join(a.out, "dnssec_auth.md"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "dnssec_auth.json"), "w") as f:
        json.dump({"results": results, "loadavg": load, "names": a.names}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
