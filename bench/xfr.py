"""xfr.py: the zone transfer part of the tern benchmark (the Replication
issue's benchmarks), run by bench.py (`bench/run.sh --xfr` runs only this).

Three figures, on the bench zone (1M entries; 100k with --quick):

  axfr-out   AXFR of the zone from ternd, Knot and NSD as primaries (each
             pinned to CPU 0, one thread), received by build/bench/axfr_recv
             (pinned to CPU 1, counts bytes and records only): wall seconds,
             bytes, and the sender's CPU time (user + sys from /proc).
  axfr-in    ternd, Knot and NSD as secondaries (pinned to CPU 0) of one
             Knot primary (CPU 1): "cold", from the start of the secondary
             with nothing on disk to the first answer from the zone, and
             "notify", after the primary's serial went up, from our NOTIFY
             to the first answer with the new serial (a whole-zone transfer:
             the primary keeps no journal, so an IXFR is answered with the
             whole zone); wall time and the secondary's CPU time.
  qps-axfr   queries/s of each primary (pinned, one thread, blast on CPU 1)
             with a loop of AXFRs of the zone running against it the whole
             time (axfr_recv -l, also on CPU 1), and without.

Every record carries the 1-minute load average at its start: on a shared
machine the wall times move with the load, the CPU times much less.

bench.py passes itself as `b` (its Server class and helpers), so this file
adds nothing to bench.py's own namespace and bench.py stays standalone.
"""

import json
import os
import re
import shutil
import socket
import statistics
import struct
import subprocess
import time

HOST = "127.0.0.1"
ORIGIN = "bench.test"
SOA_RE = re.compile(rb"(IN\s+SOA\s+\S+\s+\S+\s+)(\d+)")


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cpu_total(b, pid):
    """user + sys of pid's process tree, children already waited for
    included (cutime, cstime: NSD forks a process to load a transfer)."""
    tck = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in b.proc_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
            fl = st[st.rindex(")") + 2:].split()
            total += sum(int(x) for x in fl[11:15]) / tck
        except (OSError, ValueError):
            pass
    return total


# ---------------------------------------------------------------- wire helpers
def _name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".")) + b"\0"


def _skip_name(m, p):
    while True:
        n = m[p]
        if n == 0:
            return p + 1
        if n & 0xC0 == 0xC0:
            return p + 2
        p += 1 + n


def soa_serial(m):
    """The serial of the SOA in the answer section of m, else None."""
    if len(m) < 12 or m[3] & 15 or struct.unpack(">H", m[6:8])[0] == 0:
        return None
    try:
        p = _skip_name(m, 12) + 4
        p = _skip_name(m, p)
        rtype = struct.unpack(">H", m[p:p + 2])[0]
        if rtype != 6:
            return None
        p += 10
        p = _skip_name(m, _skip_name(m, p))
        return struct.unpack(">I", m[p:p + 4])[0]
    except (IndexError, struct.error):
        return None


def wait_serial(port, serial, timeout, proc=None, interval=0.002):
    """Polls port with SOA queries until it answers with serial; returns
    the monotonic time of that answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(interval)
    end = time.monotonic() + timeout
    qid = 0
    try:
        while time.monotonic() < end:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"exited with status {proc.returncode}")
            qid = (qid + 1) & 0xFFFF
            q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + _name(ORIGIN) + struct.pack(">HH", 6, 1)
            try:
                s.sendto(q, (HOST, port))
                t = time.monotonic()
                while time.monotonic() - t < interval:
                    m = s.recv(4096)
                    if m[:2] == q[:2]:
                        if soa_serial(m) == serial:
                            return time.monotonic()
                        break
            except (socket.timeout, ConnectionRefusedError, OSError):
                pass
            time.sleep(interval)
    finally:
        s.close()
    raise RuntimeError(f"port {port} did not serve serial {serial} within {timeout}s")


def send_notify(port):
    """A NOTIFY (RFC 1996 3.7: opcode 4, AA, the zone's SOA question) from
    127.0.0.1; the answer is waited for briefly, not required."""
    q = struct.pack(">HHHHHH", 0x4E54, 0x2400, 1, 0, 0, 0) + _name(ORIGIN) + struct.pack(">HH", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        t = time.monotonic()
        s.sendto(q, (HOST, port))
        try:
            s.recv(512)
        except OSError:
            pass
    return t


# ---------------------------------------------------------------- servers
def primary_ternd(b, cfg, wd, pin, zone):
    port = b.free_port()
    os.makedirs(wd, exist_ok=True)
    conf = os.path.join(wd, "ternd-primary.conf")
    with open(conf, "w") as f:
        f.write("\n".join(["server:", f"    listen: {HOST}:{port}", "    forward: none", "    threads: 1",
                           "zone:", f"    name: {ORIGIN}", f"    file: {zone}",
                           f"    allow-transfer: {HOST}"]) + "\n")
    return b.Server("ternd", [cfg.ternd, "--config", conf, "--resolv-conf", "/dev/null"], wd, port, pin, 1)


def _knot_conf(wd, port, zone_lines, extra=(), control=False, level="warning"):
    conf = ["server:", f'    rundir: "{wd}"', f'    listen: "{HOST}@{port}"', "    user: root:root",
            "    background-workers: 1", "    udp-workers: 1", "    tcp-workers: 1",
            "log:", "  - target: stderr", f"    any: {level}"]
    if control:
        conf += ["control:", f'    listen: "{wd}/knot.sock"']
    conf += list(extra)
    conf += ["database:", f'    storage: "{wd}"', "template:", "  - id: default", f'    storage: "{wd}"']
    conf += zone_lines
    path = os.path.join(wd, "knot.conf")
    with open(path, "w") as f:
        f.write("\n".join(conf) + "\n")
    return path


def primary_knot(b, cfg, wd, pin, zone, control=False):
    port = b.free_port()
    wd = os.path.abspath(os.path.join(wd, "knot-primary"))
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    path = _knot_conf(wd, port, ["    zonefile-sync: -1", "    zonefile-load: whole", "    journal-content: none",
                                 "    acl: loopback_xfr",
                                 "zone:", f'  - domain: "{ORIGIN}."', f'    file: "{zone}"'],
                      ["acl:", "  - id: loopback_xfr", f"    address: {HOST}", "    action: transfer"], control)
    srv = b.Server("knot", ["knotd", "-c", path], wd, port, pin, 1, ready_timeout=300)
    srv.control = os.path.join(wd, "knot.sock")
    return srv


def primary_nsd(b, cfg, wd, pin, zone):
    port = b.free_port()
    wd = os.path.abspath(os.path.join(wd, "nsd-primary"))
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    conf = ["server:", f"    ip-address: {HOST}@{port}", f"    port: {port}", '    username: ""', '    chroot: ""',
            f'    zonesdir: "{wd}"', f'    pidfile: "{wd}/nsd.pid"', f'    xfrdfile: "{wd}/xfrd.state"',
            f'    zonelistfile: "{wd}/zone.list"', '    database: ""', "    server-count: 1", "    verbosity: 0",
            "    rrl-ratelimit: 0", "    rrl-whitelist-ratelimit: 0", "    tcp-count: 1000",
            "remote-control:", "    control-enable: no",
            "zone:", f"    name: {ORIGIN}", f'    zonefile: "{zone}"', f"    provide-xfr: {HOST} NOKEY"]
    path = os.path.join(wd, "nsd.conf")
    with open(path, "w") as f:
        f.write("\n".join(conf) + "\n")
    return b.Server("nsd", ["nsd", "-d", "-c", path], wd, port, pin, 1, ready_timeout=300)


PRIMARY = {"ternd": primary_ternd, "knot": primary_knot, "nsd": primary_nsd}


def secondary_ternd(b, cfg, wd, pin, primary_port):
    port = b.free_port()
    wd = os.path.abspath(os.path.join(wd, "ternd-secondary"))
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(os.path.join(wd, "sec"))
    conf = os.path.join(wd, "ternd.conf")
    with open(conf, "w") as f:
        f.write("\n".join(["server:", f"    listen: {HOST}:{port}", "    forward: none", "    threads: 1",
                           "zone:", f"    name: {ORIGIN}", f"    file: sec/{ORIGIN}.zone",
                           f"    primary: {HOST}:{primary_port}"]) + "\n")
    return b.Server("ternd", [cfg.ternd, "--config", conf, "--resolv-conf", "/dev/null"], wd, port, pin, 1,
                    ready_timeout=600)


def secondary_knot(b, cfg, wd, pin, primary_port):
    # Knot's defaults for a secondary: the zone file written after each
    # change (zonefile-sync: 0), differences journalled
    port = b.free_port()
    wd = os.path.abspath(os.path.join(wd, "knot-secondary"))
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    path = _knot_conf(wd, port, ["    zonefile-sync: 0", "    journal-content: changes",
                                 "zone:", f'  - domain: "{ORIGIN}."', f'    file: "{wd}/{ORIGIN}.zone"',
                                 "    master: primary", "    acl: from_primary"],
                      ["remote:", "  - id: primary", f"    address: {HOST}@{primary_port}",
                       "acl:", "  - id: from_primary", f"    address: {HOST}", "    action: notify"], level="info")
    return b.Server("knot", ["knotd", "-c", path], wd, port, pin, 1, ready_timeout=600)


def secondary_nsd(b, cfg, wd, pin, primary_port):
    port = b.free_port()
    wd = os.path.abspath(os.path.join(wd, "nsd-secondary"))
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    conf = ["server:", f"    ip-address: {HOST}@{port}", f"    port: {port}", '    username: ""', '    chroot: ""',
            f'    zonesdir: "{wd}"', f'    pidfile: "{wd}/nsd.pid"', f'    xfrdfile: "{wd}/xfrd.state"',
            f'    zonelistfile: "{wd}/zone.list"', '    database: ""', "    server-count: 1", "    verbosity: 2",
            f'    xfrdir: "{wd}"',
            # Debian builds NSD with response rate limiting on: the 2 ms SOA
            # poll that sees the new serial would be dropped for seconds
            "    rrl-ratelimit: 0", "    rrl-whitelist-ratelimit: 0",
            "remote-control:", "    control-enable: no",
            "zone:", f"    name: {ORIGIN}", f'    zonefile: "{ORIGIN}.zone"',
            f"    request-xfr: {HOST}@{primary_port} NOKEY", f"    allow-notify: {HOST} NOKEY"]
    path = os.path.join(wd, "nsd.conf")
    with open(path, "w") as f:
        f.write("\n".join(conf) + "\n")
    return b.Server("nsd", ["nsd", "-d", "-c", path], wd, port, pin, 1, ready_timeout=600)


SECONDARY = {"ternd": secondary_ternd, "knot": secondary_knot, "nsd": secondary_nsd}


# ---------------------------------------------------------------- measurements
def axfr(cfg, port, pin=1, loop=None, timeout=120):
    argv = [cfg.bin("axfr_recv"), "-s", HOST, "-p", str(port), "-z", ORIGIN, "-t", "30"]
    if loop:
        argv += ["-l", str(loop)]
    if pin is not None:
        argv = ["taskset", "-c", str(pin)] + argv
    return argv


def run_axfr(cfg, port):
    r = subprocess.run(axfr(cfg, port), capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"axfr_recv failed ({r.returncode}): {r.stdout.strip()} {r.stderr.strip()}")
    return json.loads(r.stdout)


def read_serial(zone):
    with open(zone, "rb") as f:
        head = f.read(4096)
    m = SOA_RE.search(head)
    if not m:
        raise RuntimeError(f"{zone}: no SOA serial in its first 4 KiB")
    return int(m.group(2)), m.start(2), len(m.group(2))


def bump_serial(zone):
    """Serial + 1 in place (same number of digits: the file is rewritten
    in 10 bytes, not copied). Returns the new serial."""
    serial, off, width = read_serial(zone)
    new = serial + 1
    text = str(new).encode()
    if len(text) != width:
        raise RuntimeError(f"{zone}: serial {serial} + 1 changes its width")
    with open(zone, "r+b") as f:
        f.seek(off)
        f.write(text)
    return new


def part_out(b, cfg, results, zone, servers, rounds, qfile, duration):
    wd = os.path.join(cfg.out, "xfr", "out")
    running = {}
    try:
        for s in servers:
            running[s] = PRIMARY[s](b, cfg, wd, 0, zone)
        run_axfr(cfg, running[servers[0]].port)       # warm the page cache, not recorded
        for r in range(rounds):
            for s in b.rotate(servers, r):
                srv = running[s]
                la = loadavg()
                c0 = cpu_total(b, srv.pid)
                res = run_axfr(cfg, srv.port)
                res["server_cpu_s"] = round(cpu_total(b, srv.pid) - c0, 3)
                res.update(test="axfr-out", server=s, round=r, loadavg=la)
                results["xfr"].append(res)
                b.log(f"  axfr out {s:6s} {res['seconds']:7.3f} s  {res['bytes'] / 1e6:7.1f} MB  "
                      f"server cpu {res['server_cpu_s']:.2f} s  load {la:.2f}")
        # queries/s with and without a loop of transfers (same servers)
        for r in range(rounds):
            for s in b.rotate(servers, r):
                srv = running[s]
                for with_axfr in (False, True):
                    la = loadavg()
                    rx = None
                    if with_axfr:
                        rx = subprocess.Popen(axfr(cfg, srv.port, loop=duration), stdout=subprocess.PIPE,
                                              stderr=subprocess.PIPE, text=True)
                        time.sleep(0.2)
                    try:
                        res = b.measure(cfg, srv, qfile, duration, 1)
                    finally:
                        if rx is not None:
                            out, err = rx.communicate(timeout=300)
                    if rx is not None:
                        try:
                            res["axfr"] = json.loads(out)
                        except ValueError:
                            raise RuntimeError(f"axfr_recv loop: {out} {err}") from None
                    res.update(test="qps-axfr" if with_axfr else "qps-alone", server=s, round=r, loadavg=la)
                    results["xfr"].append(res)
                    extra = (f"  {res['axfr']['transfers']} transfers, {res['axfr']['bytes'] / 1e6:.0f} MB"
                             if with_axfr else "")
                    b.log(f"  qps {'with axfr' if with_axfr else 'alone':9s} {s:6s} {res['qps']:>9.0f} q/s  "
                          f"server cpu {res['server_cpu_util']:.2f}  gen cpu {res['cpu']['util']:.2f}{extra}")
    finally:
        for srv in running.values():
            srv.stop()


def part_in(b, cfg, results, zone, servers, rounds):
    wd = os.path.join(cfg.out, "xfr", "in")
    os.makedirs(wd, exist_ok=True)
    pzone = os.path.join(wd, "primary.zone")
    shutil.copyfile(zone, pzone)
    serial = read_serial(pzone)[0]
    primary = primary_knot(b, cfg, wd, 1, pzone, control=True)
    try:
        for r in range(rounds):
            running = {}
            try:
                for s in b.rotate(servers, r):
                    la = loadavg()
                    srv = SECONDARY[s](b, cfg, os.path.join(wd, f"round-{r}"), 0, primary.port)
                    running[s] = srv
                    # Server() returned at the first answer from the zone
                    wait_serial(srv.port, serial, 60, srv.proc)
                    rec = {"test": "axfr-in", "phase": "cold", "server": s, "round": r, "loadavg": la,
                           "seconds": round(srv.ready_s, 4), "server_cpu_s": round(cpu_total(b, srv.pid), 3),
                           "rss_kib": b.memory_kib(srv.pid)["tree_pss_kib"]}
                    results["xfr"].append(rec)
                    b.log(f"  axfr in cold   {s:6s} {rec['seconds']:7.3f} s  cpu {rec['server_cpu_s']:.2f} s  "
                          f"load {la:.2f}")
                # the primary's serial goes up; each secondary is told in turn
                serial = bump_serial(pzone)
                subprocess.run(["knotc", "-s", primary.control, "-b", "zone-reload", ORIGIN + "."],
                               capture_output=True, timeout=600, check=True)
                wait_serial(primary.port, serial, 600, primary.proc)
                for s in b.rotate(servers, r):
                    srv = running[s]
                    la = loadavg()
                    c0 = cpu_total(b, srv.pid)
                    t0 = send_notify(srv.port)
                    t1 = wait_serial(srv.port, serial, 600, srv.proc)
                    rec = {"test": "axfr-in", "phase": "notify", "server": s, "round": r, "loadavg": la,
                           "seconds": round(t1 - t0, 4), "server_cpu_s": round(cpu_total(b, srv.pid) - c0, 3)}
                    results["xfr"].append(rec)
                    b.log(f"  axfr in notify {s:6s} {rec['seconds']:7.3f} s  cpu {rec['server_cpu_s']:.2f} s  "
                          f"load {la:.2f}")
            finally:
                for srv in running.values():
                    srv.stop()
    finally:
        primary.stop()


def run_xfr(b, cfg, results, names, servers, rounds, duration, parts=("out", "in")):
    """The transfer benchmarks on the zone of `names` entries, for servers
    among ternd, knot, nsd; parts: "out" (AXFR out and queries/s while
    AXFRs run), "in" (secondaries of a Knot primary)."""
    results.setdefault("xfr", [])
    missing = [s for s in servers if s in ("knot", "nsd") and not shutil.which({"knot": "knotd"}.get(s, s))]
    for s in missing:
        results["notes"].append(f"xfr: {s} skipped, not installed")
    servers = [s for s in servers if s not in missing and s in PRIMARY]
    if not os.path.exists(cfg.bin("axfr_recv")):
        raise RuntimeError("build/bench/axfr_recv missing (bench/run.sh builds it)")
    d = b.data_dir(cfg, names)
    zone = os.path.join(d, "zone.db")
    qfile = os.path.join(d, "q-mixed.txt")
    results["meta"]["xfr"] = {"names": names, "servers": servers, "rounds": rounds, "duration_s": duration}
    if "out" in parts:
        b.log(f"== zone transfers out ({names} names): {', '.join(servers)}")
        b.phase(results, part_out, b, cfg, results, zone, servers, rounds, qfile, duration)
    if "in" in parts and not (shutil.which("knotd") and shutil.which("knotc")):
        results["notes"].append("xfr: transfers in skipped: the primary is Knot, not installed")
    elif "in" in parts:
        b.log(f"== zone transfers in from a Knot primary ({names} names): {', '.join(servers)}")
        b.phase(results, part_in, b, cfg, results, zone, servers, rounds)


# ---------------------------------------------------------------- report
def summarise(results):
    groups = {}
    for x in results.get("xfr", []):
        key = (x["test"], x.get("phase", ""), x["server"])
        groups.setdefault(key, []).append(x)
    out = []
    for (test, ph, s), xs in groups.items():
        row = {"test": test, "phase": ph, "server": s, "n": len(xs),
               "loadavg_min": min(x["loadavg"] for x in xs), "loadavg_max": max(x["loadavg"] for x in xs)}
        if test in ("axfr-out", "axfr-in"):
            secs = [x["seconds"] for x in xs]
            row.update(seconds_median=statistics.median(secs), seconds_min=min(secs), seconds_max=max(secs),
                       cpu_s_median=statistics.median(x["server_cpu_s"] for x in xs))
            if test == "axfr-out":
                row.update(bytes=xs[0]["bytes"], messages=xs[0]["messages"], records=xs[0]["records"])
            if ph == "cold":
                row["pss_mib_median"] = statistics.median(x["rss_kib"] for x in xs) / 1024
        else:
            q = [x["qps"] for x in xs]
            row.update(qps_median=statistics.median(q), qps_min=min(q), qps_max=max(q),
                       server_cpu_median=statistics.median(x["server_cpu_util"] for x in xs),
                       # answers per second of the server's CPU time: what one whole
                       # core would answer, less distorted by other load than q/s
                       q_per_cpu_s_median=statistics.median(x["qps"] / x["server_cpu_util"] for x in xs
                                                            if x["server_cpu_util"] > 0) if any(
                           x["server_cpu_util"] > 0 for x in xs) else 0,
                       gen_cpu_max=max(x["cpu"]["util"] for x in xs))
            if test == "qps-axfr":
                row["transfers"] = sum(x["axfr"]["transfers"] for x in xs)
                row["axfr_mb_s_median"] = statistics.median(x["axfr"]["bytes"] / 1e6 / x["axfr"]["seconds"]
                                                            for x in xs)
        out.append(row)
    # the share of the server's CPU that went to queries while the AXFR
    # loop ran: q/s with the loop over what one CPU-second answers without
    # it, divided by the CPU the server used with the loop
    alone = {r["server"]: r for r in out if r["test"] == "qps-alone"}
    for r in out:
        a = alone.get(r["server"])
        if r["test"] == "qps-axfr" and a and a["q_per_cpu_s_median"] and r["server_cpu_median"]:
            r["query_cpu_share"] = r["qps_median"] / a["q_per_cpu_s_median"] / r["server_cpu_median"]
    return out


def _load(r):
    return f"{r['loadavg_min']:.1f}-{r['loadavg_max']:.1f}"


def table_lines(results):
    rows = results.get("summary", {}).get("xfr") or []
    if not rows:
        return []
    order = {"ternd": 0, "knot": 1, "nsd": 2}
    meta = results["meta"].get("xfr", {})
    names = meta.get("names")
    lines = []
    rs = sorted((r for r in rows if r["test"] == "axfr-out"), key=lambda r: order.get(r["server"], 9))
    if rs:
        lines += [f"### AXFR out, {names} entries (sender pinned, one thread; receiver counts bytes)", "",
                  "| sender | seconds (median) | spread | sender CPU s (user+sys) | MB | messages | records | load avg |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rs:
            lines.append(f"| {r['server']} | {r['seconds_median']:.3f} | {r['seconds_min']:.3f}-{r['seconds_max']:.3f} | "
                         f"{r['cpu_s_median']:.2f} | {r['bytes'] / 1e6:.1f} | {r['messages']} | {r['records']} | "
                         f"{_load(r)} |")
        lines.append("")
    rs = sorted((r for r in rows if r["test"] == "axfr-in"), key=lambda r: (r["phase"], order.get(r["server"], 9)))
    if rs:
        lines += [f"### AXFR in from a Knot primary, {names} entries (receiver pinned, one thread)", "",
                  "| receiver | phase | seconds to serving (median) | spread | receiver CPU s (user+sys) | load avg |",
                  "|---|---|---:|---:|---:|---:|"]
        for r in rs:
            lines.append(f"| {r['server']} | {r['phase']} | {r['seconds_median']:.3f} | "
                         f"{r['seconds_min']:.3f}-{r['seconds_max']:.3f} | {r['cpu_s_median']:.2f} | {_load(r)} |")
        lines.append("")
    rs = [r for r in rows if r["test"] in ("qps-alone", "qps-axfr")]
    if rs:
        lines += [f"### Queries/s on one core while AXFRs of the {names}-entry zone run (pinned, mixed UDP)", "",
                  "| server | AXFR loop | median q/s | spread | server CPU | q/s per server CPU-second | "
                  "server CPU on queries | generator CPU (max) | transfers | AXFR MB/s | load avg |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in sorted(rs, key=lambda r: (order.get(r["server"], 9), r["test"])):
            ax = r["test"] == "qps-axfr"
            cells = [r["server"], "yes" if ax else "no", f"{r['qps_median'] / 1000:.1f}k",
                     f"{r['qps_min'] / 1000:.1f}k-{r['qps_max'] / 1000:.1f}k", f"{r['server_cpu_median']:.2f}",
                     f"{r['q_per_cpu_s_median'] / 1000:.1f}k",
                     f"{r['query_cpu_share'] * 100:.0f} %" if "query_cpu_share" in r else "-",
                     f"{r['gen_cpu_max']:.2f}", str(r["transfers"]) if ax else "-",
                     f"{r['axfr_mb_s_median']:.0f}" if ax else "-", _load(r)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines
