#!/usr/bin/env python3
"""bench/sign.py: the zone-signing benchmark of issue 12 (item 3), by hand
or from bench/run.sh (`make bench`), on the bench zone (bench/gen_zone.py,
1M entries by default), with NSEC and with NSEC3 (no salt, 0 iterations):

  1. signing: ternd (`dnssec-signing: on`: from its start until it serves
     the signed SOA), Knot's automatic signing (the same, `dnssec-signing:
     on`, one combined key, `signing-threads` = the CPUs), BIND's
     dnssec-signzone (`-n` the CPUs) and ldns-signzone (one thread) over the
     zone file; wall seconds and CPU seconds (user + sys) of each, with one
     ECDSAP256SHA256 key (a CSK) everywhere;
  2. memory: the resident size (VmRSS) of ternd and of Knot serving the
     signed zone, once the signed SOA is served;
  3. re-signing: a dynamic UPDATE of 10 records (10 new names) to the
     signed zone ternd serves, from the UPDATE sent until the new serial
     is served (and ternd's own figure from its log), the median of
     --updates runs;
  4. refresh (--refresh V, ternd alone): the zone signed with
     dnssec-signature-validity V, so that its signatures fall due a
     quarter of V after the signing started; then the timed refresh's
     steps (dnssec-refresh-slice RRsets each, one a second) until none is
     due: the steps, their time under change_lock (ternd's log), the
     whole refresh's wall time, and ternd's RSS after it.

  bench/sign.py [--names N] [--out DIR] [--ternd PATH] [--updates K]
                [--no-knot] [--no-bind] [--no-ldns] [--denial nsec,nsec3]
                [--threads T] [--refresh V]

--updates 0 skips the UPDATE runs; --threads T gives ternd's zone
dnssec-signing-threads: T (unset: ternd's default, the online CPUs).

Everything listens on 127.0.0.1 on free high ports; every process started
is stopped by pid. Writes DIR/sign.json and prints a table. The machine
may be shared: the 1-minute load average is printed with each figure."""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
ORIGIN = "bench.test"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


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


def qname(name):
    return b"".join(bytes([len(x)]) + x.encode() for x in name.strip(".").split(".")) + b"\0"


def soa_query(qid, do=True):
    """SOA of the origin, with EDNS DO=1 when do."""
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1 if do else 0) + qname(ORIGIN) + struct.pack(">HH", 6, 1)
    if do:
        q += b"\0" + struct.pack(">HHIH", 41, 4096, 0x8000, 0)
    return q


def soa_answer(data):
    """(serial, signed) of an SOA answer, or None."""
    if len(data) < 12 or data[3] & 15:
        return None
    qd, an = struct.unpack(">HH", data[4:8])
    p = 12
    for _ in range(qd):
        while data[p]:
            p += 1 + data[p]
        p += 5
    serial, signed = None, False
    for _ in range(an):
        while True:
            n = data[p]
            if (n & 0xC0) == 0xC0:
                p += 2
                break
            p += 1 + n
            if n == 0:
                break
        t, _c, _ttl, rdlen = struct.unpack(">HHIH", data[p:p + 10])
        rd = data[p + 10:p + 10 + rdlen]
        if t == 6:
            serial = struct.unpack(">I", rd[-20:-16])[0]
        if t == 46:
            signed = True
        p += 10 + rdlen
    return (serial, signed) if serial is not None else None


def wait_soa(port, deadline_s, want=None, proc=None, interval=0.002):
    """Polls the origin's SOA (DO=1) until it is signed (and, with want,
    has that serial): one query at a time, its own answer awaited (a late
    answer to an earlier one is dropped, so no backlog builds up when the
    server is slow). Returns the monotonic time of that answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.monotonic() + deadline_s
    qid = 0
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
            wait_until = time.monotonic() + 0.25
            while True:
                left = wait_until - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    data = s.recv(65535)
                except socket.timeout:
                    break
                except OSError:  # not listening yet
                    time.sleep(interval)
                    break
                if data[:2] != struct.pack(">H", qid):
                    continue
                got = soa_answer(data)
                if got and got[1] and (want is None or got[0] == want):
                    return time.monotonic()
                time.sleep(interval)
                break
    finally:
        s.close()
    raise RuntimeError(f"no signed SOA{'' if want is None else f' {want}'} on port {port} within {deadline_s}s")


def cpu_of(pid):
    tck = os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        fl = st[st.rindex(")") + 2:].split()
        return (int(fl[11]) + int(fl[12])) / tck
    except (OSError, ValueError):
        return None


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_timed(argv, cwd):
    t0 = time.monotonic()
    r0 = os.times()
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    r1 = os.times()
    if p.returncode:
        raise RuntimeError(f"{argv[0]}: {p.stderr.strip()[-400:]}")
    return wall, (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)


# ---------------------------------------------------------------- the signers
def sign_ternd(args, wd, zone, denial):
    """ternd signs at load: start to signed SOA; then the UPDATE figures."""
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(os.path.join(wd, "keys"))
    shutil.copy(zone, os.path.join(wd, "zone.db"))
    port = free_port()
    conf = os.path.join(wd, "ternd.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "server:", f"    listen: {HOST}:{port}", "    forward: none", "    threads: 1",
            "zone:", f"    name: {ORIGIN}", "    file: zone.db", "    dnssec-signing: on",
            f"    dnssec-denial: {denial}", "    key-directory: keys", "    allow-update: 127.0.0.1",
            "    allow-transfer: 127.0.0.1", "    journal-size: 64m"]
            + ([f"    dnssec-signing-threads: {args.threads}"] if args.threads else [])
            + ([f"    dnssec-signature-validity: {args.refresh}"] if args.refresh else [])) + "\n")
    logf = open(os.path.join(wd, "ternd.log"), "w")
    t0 = time.monotonic()
    p = subprocess.Popen([args.ternd, "--config", conf], cwd=wd, stdout=logf, stderr=subprocess.STDOUT)
    try:
        t1 = wait_soa(port, 3600, proc=p)
        out = {"wall_s": round(t1 - t0, 2), "cpu_s": cpu_of(p.pid), "load": loadavg()}
        time.sleep(1)
        out["rss_mib"] = round(rss_kib(p.pid) / 1024, 1)
        if args.updates:
            out["updates"] = update_runs(args, port, p, wd)
        if args.refresh:
            out["refresh"] = refresh_run(args, p, wd)
        return out
    finally:
        stop(p)
        logf.close()


def update_msg(qid, serial_hint, run):
    """An UPDATE of bench.test adding 10 names (A records), RFC 2136."""
    hdr = struct.pack(">HHHHHH", qid, 5 << 11, 1, 0, 10, 0)
    body = qname(ORIGIN) + struct.pack(">HH", 6, 1)
    for i in range(10):
        body += qname(f"upd{run}-{i}.{ORIGIN}") + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([198, 51, run & 255, i])
    return hdr + body


def serial_now(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    try:
        s.sendto(soa_query(7), (HOST, port))
        return soa_answer(s.recv(65535))[0]
    finally:
        s.close()


def update_runs(args, port, proc, wd):
    times, answered = [], []
    for run in range(args.updates):
        before = serial_now(port)
        msg = update_msg(100 + run, before, run)
        t0 = time.monotonic()
        with socket.create_connection((HOST, port), timeout=30) as s:
            s.sendall(struct.pack(">H", len(msg)) + msg)
            wait_soa(port, 60, want=(before + 1) & 0xFFFFFFFF, proc=proc, interval=0.0005)
            t1 = time.monotonic()
            hdr = s.recv(2)
            s.recv(struct.unpack(">H", hdr)[0] if len(hdr) == 2 else 0)
            t2 = time.monotonic()
        times.append((t1 - t0) * 1000)
        answered.append((t2 - t0) * 1000)
        time.sleep(0.2)
    text = open(os.path.join(wd, "ternd.log")).read()
    made = [float(m) for m in re.findall(r"made again in ([0-9.]+) ms", text)]
    total = [float(m) for m in re.findall(r"made again in [0-9.]+ ms, ([0-9.]+) ms", text)]
    return {"served_ms_median": round(statistics.median(times), 1), "served_ms": [round(x, 1) for x in times],
            "answered_ms_median": round(statistics.median(answered), 1),
            "made_ms_median": round(statistics.median(made), 1) if made else None,
            "published_ms_median": round(statistics.median(total), 1) if total else None,
            "signed_whole": "signed whole" in text}


def refresh_run(args, proc, wd):
    """Waits for the timed refresh to begin and to end (a step that leaves
    no RRset due); its steps' figures from ternd's log."""
    path = os.path.join(wd, "ternd.log")
    step = re.compile(r"signatures made again for (\d+) RRset\(s\) \(\d+ signature\(s\)\) in ([0-9.]+) ms, "
                      r"serial \d+; (\d+) RRset\(s\) still due")
    deadline = time.monotonic() + args.refresh
    t_first = None
    while time.monotonic() < deadline and proc.poll() is None:
        steps = step.findall(open(path).read())
        if steps and t_first is None:
            t_first = time.monotonic()
        if steps and steps[-1][2] == "0":
            break
        time.sleep(0.5)
    time.sleep(1)
    rss = round(rss_kib(proc.pid) / 1024, 1) if proc.poll() is None else None
    text = open(path).read()
    steps = step.findall(text)
    ms = [float(m) for _, m, _ in steps]
    return {"steps": len(steps), "rrsets": sum(int(n) for n, _, _ in steps), "rss_mib_after": rss,
            "step_ms_median": round(statistics.median(ms), 1) if ms else None,
            "step_ms_max": round(max(ms), 1) if ms else None,
            "wall_s": round(time.monotonic() - t_first, 1) if t_first else None,
            "done": bool(steps) and steps[-1][2] == "0", "signed_whole_again": "signatures made again, serial" in text}


def knot_conf(wd, port, zone, denial):
    return "\n".join([
        "server:", f'    rundir: "{wd}"', f'    listen: "{HOST}@{port}"', "    user: root:root",
        "    background-workers: 2", "    udp-workers: 1", "    tcp-workers: 1",
        "log:", "  - target: stderr", "    any: warning",
        "database:", f'    storage: "{wd}"',
        "policy:", "  - id: bench", "    algorithm: ecdsap256sha256", "    single-type-signing: on",
        f"    nsec3: {'on' if denial == 'nsec3' else 'off'}", "    nsec3-iterations: 0", "    nsec3-salt-length: 0",
        f"    signing-threads: {os.cpu_count() or 1}",
        "template:", "  - id: default", f'    storage: "{wd}"', "    zonefile-sync: -1", "    zonefile-load: whole",
        "    journal-content: none", "    dnssec-signing: on", "    dnssec-policy: bench",
        "zone:", f'  - domain: "{ORIGIN}."', f'    file: "{zone}"']) + "\n"


def sign_knot(args, wd, zone, denial):
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    port = free_port()
    conf = os.path.join(wd, "knot.conf")
    with open(conf, "w") as f:
        f.write(knot_conf(wd, port, zone, denial))
    logf = open(os.path.join(wd, "knot.log"), "w")
    t0 = time.monotonic()
    p = subprocess.Popen(["knotd", "-c", conf], cwd=wd, stdout=logf, stderr=subprocess.STDOUT)
    try:
        t1 = wait_soa(port, 3600, proc=p)
        out = {"wall_s": round(t1 - t0, 2), "cpu_s": cpu_of(p.pid), "load": loadavg()}
        time.sleep(1)
        out["rss_mib"] = round(rss_kib(p.pid) / 1024, 1)
        return out
    finally:
        stop(p)
        logf.close()


def sign_bind(args, wd, zone, denial):
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    key = subprocess.run(["dnssec-keygen", "-q", "-a", "ECDSAP256SHA256", "-f", "KSK", "-K", wd, ORIGIN],
                         cwd=wd, capture_output=True, text=True, check=True).stdout.strip()
    argv = ["dnssec-signzone", "-S", "-z", "-K", wd, "-d", wd, "-o", ORIGIN, "-f", os.path.join(wd, "signed"),
            "-n", str(os.cpu_count() or 1)]
    if denial == "nsec3":
        argv += ["-3", "-", "-H", "0"]
    wall, cpu = run_timed(argv + [zone], wd)
    assert key
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load": loadavg()}


def sign_ldns(args, wd, zone, denial):
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    key = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", ORIGIN], cwd=wd, capture_output=True,
                         text=True, check=True).stdout.strip()
    argv = ["ldns-signzone", "-o", ORIGIN, "-f", os.path.join(wd, "signed")]
    if denial == "nsec3":
        argv += ["-n", "-t", "0"]
    wall, cpu = run_timed(argv + [zone, key], wd)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load": loadavg()}


def table(res, names):
    lines = [f"Signing the {names:,}-entry bench zone (ECDSAP256SHA256, one key; wall s / CPU s; load = 1-min "
             "load average at the end; the machine is shared)", "",
             "| denial | signer | wall s | CPU s | RSS MiB | load |", "|---|---|---|---|---|---|"]
    for denial, r in res.items():
        for who, x in r.items():
            if not isinstance(x, dict) or "wall_s" not in x:
                continue
            rss = x.get("rss_mib", "")
            lines.append(f"| {denial} | {who} | {x['wall_s']} | {x['cpu_s']} | {rss} | {x['load']} |")
    lines += ["", "Re-signing after a 10-name UPDATE to the signed zone (medians, ms): in ternd, the new "
              "version made (applied and signed) and published; from the UPDATE sent, until the new serial "
              "is served, and until the answer (after the journal is written; the zone file follows)", "",
              "| denial | version made | published | until served | until answered |", "|---|---|---|---|---|"]
    for denial, r in res.items():
        u = r.get("ternd", {}).get("updates")
        if u:
            lines.append(f"| {denial} | {u['made_ms_median']} | {u['published_ms_median']} | "
                         f"{u['served_ms_median']} | {u['answered_ms_median']} |")
    rf = [(d, r["ternd"]["refresh"]) for d, r in res.items() if r.get("ternd", {}).get("refresh")]
    if rf:
        lines += ["", "The timed refresh by slices: steps, RRsets signed again, each step's time under "
                  "change_lock (median / max, ms), the refresh's wall time (s), ternd's RSS after it (MiB)", "",
                  "| denial | steps | RRsets | step ms median | step ms max | wall s | RSS after | done |",
                  "|---|---|---|---|---|---|---|---|"]
        for d, x in rf:
            lines.append(f"| {d} | {x['steps']} | {x['rrsets']} | {x['step_ms_median']} | {x['step_ms_max']} | "
                         f"{x['wall_s']} | {x['rss_mib_after']} | {x['done'] and not x['signed_whole_again']} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--names", type=int, default=1000000)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "sign"))
    ap.add_argument("--ternd", default=os.path.join(ROOT, "build", "ternd"))
    ap.add_argument("--updates", type=int, default=5)
    ap.add_argument("--denial", default="nsec,nsec3")
    ap.add_argument("--no-knot", action="store_true")
    ap.add_argument("--no-bind", action="store_true")
    ap.add_argument("--no-ldns", action="store_true")
    ap.add_argument("--threads", type=int, default=0,
                    help="ternd's dnssec-signing-threads (default: not set, ternd's default)")
    ap.add_argument("--refresh", type=int, default=0,
                    help="measure the timed refresh, with this dnssec-signature-validity (seconds)")
    args = ap.parse_args()
    args.ternd = os.path.abspath(args.ternd)
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    data = os.path.join(ROOT, "build", "bench", f"data-{args.names}")
    zone = os.path.join(data, "zone.db")
    if not os.path.exists(zone):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_zone.py"), "--out", data, "--names",
                        str(args.names)], check=True, stdout=subprocess.DEVNULL)
    res = {}
    signers = [("ternd", sign_ternd)]
    if not args.no_knot and shutil.which("knotd"):
        signers.append(("knot", sign_knot))
    if not args.no_bind and shutil.which("dnssec-signzone"):
        signers.append(("dnssec-signzone", sign_bind))
    if not args.no_ldns and shutil.which("ldns-signzone"):
        signers.append(("ldns-signzone", sign_ldns))
    for denial in args.denial.split(","):
        res[denial] = {}
        for who, fn in signers:
            log(f"sign: {who} {denial} ({args.names} entries) ...")
            try:
                res[denial][who] = fn(args, os.path.join(args.out, f"{who}-{denial}"), zone, denial)
            except Exception as e:  # a failing peer is reported, the rest goes on
                res[denial][who] = {"error": str(e)}
            log(f"sign: {who} {denial}: {res[denial][who]}")
    with open(os.path.join(args.out, "sign.json"), "w") as f:
        json.dump({"names": args.names, "results": res}, f, indent=1)
    print(table(res, args.names))


if __name__ == "__main__":
    main()
