#!/usr/bin/env python3
"""bench/dnssec_cache.py: cache hits with DO=1, ternd against Unbound
(issue 14, "Benchmarks": the first line), by hand or from bench/run.sh.

One authoritative ternd on loopback serves bench.test (N names, default
5000, one A each) signed by itself (dnssec-signing: on, ECDSA P-256).
ternd and Unbound, one worker thread each, forward bench.test to it and
validate it with its DNSKEY as their trust anchor (so both ask with DO=1,
keep the RRSIGs and answer DO=1 clients with them and AD). Every name is
asked twice to warm the caches, and each answer is checked (RRSIG present,
AD set); then bench/blast replays the names with DO=1 against each server
in alternating rounds, the server pinned to CPU 0 and blast to CPU 1.
Reported: queries/s, and queries per server CPU-second (the fairer
figure on a shared machine), and ternd/Unbound of both (medians).

  bench/dnssec_cache.py [--names N] [--rounds R] [--duration S] [--out DIR] [--blast PATH]

Writes DIR/dnssec_cache.json and DIR/dnssec_cache.md and prints the table.
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

import bench as B  # bench/bench.py: Server, free_port, cpu accounting

ORIGIN = "bench.test"


def dnskey_anchor(port):
    """The zone's DNSKEY records (a trust anchor), asked of the authoritative server."""
    import dns.message
    import dns.query
    import dns.rdatatype
    q = dns.message.make_query(ORIGIN, "DNSKEY", want_dnssec=True)
    r = dns.query.udp(q, B.HOST, port=port, timeout=5)
    keys = [rr for rr in r.answer if rr.rdtype == dns.rdatatype.DNSKEY]
    if not keys:
        raise RuntimeError("the authoritative server gave no DNSKEY")
    return [f"{ORIGIN}. DNSKEY {rd.to_text()}" for rd in keys[0]]


def check_answer(port, name):
    """The answer a DO=1 client gets from a warm cache: (has RRSIG, has AD)."""
    import dns.flags
    import dns.message
    import dns.query
    import dns.rdatatype
    q = dns.message.make_query(name, "A", want_dnssec=True)
    r = dns.query.udp(q, B.HOST, port=port, timeout=5)
    return (any(rr.rdtype == dns.rdatatype.RRSIG for rr in r.answer), bool(r.flags & dns.flags.AD))


def start_auth(ternd, wd, names):
    os.makedirs(wd, exist_ok=True)
    zone = os.path.join(wd, "bench.test.zone")
    with open(zone, "w") as f:
        f.write(f"$ORIGIN {ORIGIN}.\n$TTL 86400\n@ SOA ns hm 1 3600 600 864000 3600\n@ NS ns\nns A 192.0.2.53\n")
        for i in range(names):
            f.write(f"h{i} A 192.0.2.{i % 250 + 1}\n")
    port = B.free_port()
    conf = os.path.join(wd, "auth.conf")
    with open(conf, "w") as f:
        f.write(f"server:\n    listen: {B.HOST}:{port}\n    forward: none\n    threads: 1\n"
                f"zone:\n    name: {ORIGIN}\n    file: {zone}\n    dnssec-signing: on\n    key-directory: {wd}\n")
    return B.Server("auth", [ternd, "-c", conf], wd, port, None, 1)


def start_ternd(ternd, wd, up, anchors, pin):
    os.makedirs(wd, exist_ok=True)
    port = B.free_port()
    conf = os.path.join(wd, "ternd.conf")
    with open(conf, "w") as f:
        f.write(f"server:\n    listen: {B.HOST}:{port}\n    threads: 1\n    forward: {B.HOST}:{up}\n"
                + "".join(f'    trust-anchor: "{a}"\n' for a in anchors))
    return B.Server("ternd", [ternd, "-c", conf], wd, port, pin, 1)


def start_unbound(wd, up, anchors, pin):
    wd = os.path.abspath(wd)
    os.makedirs(wd, exist_ok=True)
    port = B.free_port()
    conf = [
        "server:",
        f"    interface: {B.HOST}@{port}",
        f"    port: {port}",
        "    do-daemonize: no",
        '    username: ""',
        '    chroot: ""',
        f'    directory: "{wd}"',
        '    pidfile: ""',
        "    use-syslog: no",
        "    verbosity: 0",
        "    num-threads: 1",
        "    do-ip6: no",
        "    do-not-query-localhost: no",
        "    access-control: 127.0.0.0/8 allow",
        '    local-zone: "test." nodefault',
        '    module-config: "validator iterator"',
        "    qname-minimisation: no",
        "    minimal-responses: yes",
        "    msg-cache-size: 64m",
        "    rrset-cache-size: 128m",
    ] + [f'    trust-anchor: "{a}"' for a in anchors] + [
        "remote-control:",
        "    control-enable: no",
        "forward-zone:",
        f'    name: "{ORIGIN}."',
        f"    forward-addr: {B.HOST}@{up}",
    ]
    path = os.path.join(wd, "unbound.conf")
    with open(path, "w") as f:
        f.write("\n".join(conf) + "\n")
    return B.Server("unbound", ["unbound", "-d", "-c", path], wd, port, pin, 1)


def blast(path, port, qfile, duration, pin=None, rate=0):
    argv = [path, "-s", B.HOST, "-p", str(port), "-f", qfile, "-d", str(duration), "--do"]
    if rate:
        argv += ["-r", str(rate)]
    if pin is not None:
        argv = ["taskset", "-c", str(pin)] + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if r.returncode != 0:
        raise RuntimeError(f"blast failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--out", default=os.path.join(B.ROOT, "build", "bench"))
    ap.add_argument("--blast", default=os.path.join(B.ROOT, "build", "bench", "blast"))
    ap.add_argument("--ternd", default=os.path.join(B.ROOT, "build", "ternd"))
    a = ap.parse_args()
    for tool in ("unbound", "taskset"):
        if not shutil.which(tool):
            print(f"bench/dnssec_cache.py: {tool} missing; skipped", file=sys.stderr)
            return 0
    os.makedirs(a.out, exist_ok=True)
    d = tempfile.mkdtemp(prefix="tern-dnssec-cache-")
    servers = []
    try:
        auth = start_auth(os.path.abspath(a.ternd), os.path.join(d, "auth"), a.names)
        servers.append(auth)
        anchors = dnskey_anchor(auth.port)
        caches = {"ternd": start_ternd(os.path.abspath(a.ternd), os.path.join(d, "ternd"), auth.port, anchors, 0),
                  "unbound": start_unbound(os.path.join(d, "unbound"), auth.port, anchors, 0)}
        servers += caches.values()
        qfile = os.path.join(d, "queries")
        with open(qfile, "w") as f:
            f.writelines(f"h{i}.{ORIGIN} A\n" for i in range(a.names))
        checks = {}
        for name, s in caches.items():  # warm: every name, twice, gently
            for _ in range(2):
                blast(a.blast, s.port, qfile, max(2, a.names / 4000), pin=1, rate=5000)
            checks[name] = check_answer(s.port, f"h7.{ORIGIN}")
            B.log(f"  {name}: warm; a DO=1 answer has RRSIG {checks[name][0]}, AD {checks[name][1]}")
        runs = {n: [] for n in caches}
        for r in range(a.rounds):
            for name in (list(caches) if r % 2 == 0 else list(reversed(caches))):
                s = caches[name]
                c0, t0 = s.cpu(), time.monotonic()
                res = blast(a.blast, s.port, qfile, a.duration, pin=1)
                el, cpu = time.monotonic() - t0, s.cpu() - c0
                answered = res.get("answered", res.get("received", 0))
                runs[name].append({"qps": res["qps"], "server_cpu_s": cpu, "elapsed_s": el,
                                   "answered": answered, "lost": res.get("lost"), "rcodes": res.get("rcodes"),
                                   "q_per_cpu_s": answered / cpu if cpu else None})
                B.log(f"  round {r + 1} {name:8s} {res['qps']:>9.0f} q/s  server cpu {cpu / el:.2f}  "
                      f"{answered / cpu if cpu else 0:>9.0f} q/cpu-s  lost {res.get('lost')}  {res.get('rcodes')}")
        med = {n: {"qps": statistics.median(x["qps"] for x in v),
                   "q_per_cpu_s": statistics.median(x["q_per_cpu_s"] or 0 for x in v)} for n, v in runs.items()}
        t, u = med["ternd"], med["unbound"]
        load = open("/proc/loadavg").read().split()[:3]
        text = (f"Cache hits with DO=1 ({a.names} signed names, ECDSA P-256, validated with the zone's DNSKEY as "
                f"trust anchor; one worker each pinned to CPU 0, blast --do on CPU 1; {a.rounds} x {a.duration:g} s, "
                f"median; load average {' '.join(load)})\n\n"
                "| server | queries/s | queries per server CPU-second | RRSIG, AD in answers |\n|---|---|---|---|\n"
                + "".join(f"| {n} | {med[n]['qps']:,.0f} | {med[n]['q_per_cpu_s']:,.0f} | "
                          f"{'yes' if checks[n][0] else 'NO'}, {'yes' if checks[n][1] else 'NO'} |\n" for n in caches)
                + f"| ternd/unbound | {t['qps'] / u['qps']:.2f} | {t['q_per_cpu_s'] / u['q_per_cpu_s']:.2f} | |\n")
        print(text)
        with open(os.path.join(a.out, "dnssec_cache.md"), "w") as f:
            f.write(text)
        with open(os.path.join(a.out, "dnssec_cache.json"), "w") as f:
            json.dump({"runs": runs, "median": med, "checks": checks, "loadavg": load}, f, indent=1)
    finally:
        for s in reversed(servers):
            s.stop()
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
