#!/usr/bin/env python3
"""bench/observe.py: what the query log and dnstap cost (issue 13, item 4:
goal >= 90 % of the queries per second with them off), by hand or from
bench/run.sh (`make bench`).

One worker and everything else of ternd pinned to CPU 0 (so the writer
thread competes with the worker, the worst case), `blast` pinned to CPU 1
with the bench zone's mixed queries; variants measured in interleaved
rounds: off, `query-log: FILE`, `dnstap: FILE`, `dnstap: unix:PATH` (to
fstrm_capture, when installed). Reported: queries/s and queries per second
of server CPU (the fair figure when the generator or a shared machine is
the limit; here it includes the writer thread, on the worker's CPU), and
queries per second of the worker thread's CPU (the query path's own cost:
the writer runs on another CPU when there is one), each against "off" of
the same binary. Several --ternd
binaries (e.g. before and after a change) are measured in the same rounds.

  bench/observe.py [--ternd PATH ...] [--rounds R] [--duration S] [--names N] [--out DIR]

Everything listens on 127.0.0.1 on free high ports; every process started
is stopped by pid."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (Server, blast, data_dir, ...)


class Cfg:
    def __init__(self, out):
        self.out = out

    def bin(self, name):
        return os.path.join(self.out, name)


def thread_cpu(pid):
    """CPU seconds of each thread of pid."""
    out = {}
    tck = os.sysconf("SC_CLK_TCK")
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        out[t] = (int(fields[11]) + int(fields[12])) / tck
    return out


def start(cfg, binary, wd, zone, extra):
    port = bench.free_port()
    os.makedirs(wd, exist_ok=True)
    conf = os.path.join(wd, "ternd.conf")
    with open(conf, "w") as f:
        f.write("server:\n" + "".join(f"    {line}\n" for line in extra))
    argv = [binary, "--config", conf, "--listen", f"{bench.HOST}:{port}", "--zone", f"{bench.ORIGIN}={zone}",
            "--forward", "none", "--threads", "1"]
    return bench.Server("ternd", argv, wd, port, 0, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ternd", action="append", help="ternd binaries (default: build/bench/ternd or build/ternd)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=float, default=4.0)
    ap.add_argument("--names", type=int, default=100000)
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "build", "bench"))
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    cfg = Cfg(out)
    if not os.path.exists(cfg.bin("blast")):
        sys.exit(f"observe.py: {cfg.bin('blast')} missing (bench/run.sh builds it)")
    binaries = a.ternd or [cfg.bin("ternd") if os.path.exists(cfg.bin("ternd"))
                           else os.path.join(bench.ROOT, "build", "ternd")]
    data = bench.data_dir(cfg, a.names)
    zone, qfile = os.path.join(data, "zone.db"), os.path.join(data, "q-mixed.txt")
    wd = os.path.join(out, "observe")
    shutil.rmtree(wd, ignore_errors=True)
    variants = [("off", []), ("query-log", ["query-log: {wd}/q.log"]), ("dnstap file", ["dnstap: {wd}/tap.fstrm"])]
    if shutil.which("fstrm_capture"):
        variants.append(("dnstap unix", ["dnstap: unix:{wd}/tap.sock"]))
    results = {}  # (binary, variant) -> [(qps, qps per cpu)]
    for r in range(a.rounds):
        for bi, binary in enumerate(binaries):
            for k, (label, extra) in enumerate(bench.rotate(variants, r)):
                d = os.path.join(wd, f"b{bi}-{label.replace(' ', '-')}")
                os.makedirs(d, exist_ok=True)
                cap = None
                if label == "dnstap unix":
                    sock = os.path.join(d, "tap.sock")
                    cap = subprocess.Popen(["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", sock,
                                            "-w", os.path.join(d, "captured.fstrm")],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    deadline = time.monotonic() + 5
                    while not os.path.exists(sock) and time.monotonic() < deadline:
                        time.sleep(0.02)
                srv = start(cfg, binary, d, zone, [e.format(wd=d) for e in extra])
                try:
                    time.sleep(0.3)  # a socket's handshake
                    t0 = thread_cpu(srv.pid)
                    res = bench.measure(cfg, srv, qfile, a.duration, 1)
                    t1 = thread_cpu(srv.pid)
                finally:
                    srv.stop()
                    if cap:
                        cap.terminate()
                        cap.wait(10)
                qps = res["qps"]
                util = res["server_cpu_util"] or 1e-9
                # the busiest thread is the worker: its CPU is the query path's cost
                worker_s = max((t1[t] - t0.get(t, 0) for t in t1), default=0) or 1e-9
                results.setdefault((bi, label), []).append((qps, qps / util, qps * a.duration / worker_s))
                bench.log(f"round {r + 1} {os.path.basename(os.path.dirname(binary))}/{label}: "
                          f"{qps / 1000:.1f}k q/s, {qps / util / 1000:.1f}k per server CPU-second")
    rows, summary = [], {}
    for bi, binary in enumerate(binaries):
        base = statistics.median(x[1] for x in results[(bi, "off")])
        base_q = statistics.median(x[0] for x in results[(bi, "off")])
        base_w = statistics.median(x[2] for x in results[(bi, "off")])
        for label, _ in variants:
            q = statistics.median(x[0] for x in results[(bi, label)])
            c = statistics.median(x[1] for x in results[(bi, label)])
            wk = statistics.median(x[2] for x in results[(bi, label)])
            summary[f"{binary} {label}"] = {"qps": q, "qps_per_cpu": c, "of_off_per_cpu": c / base,
                                            "qps_per_worker_cpu": wk, "of_off_per_worker_cpu": wk / base_w}
            rows.append(f"| {binary} | {label} | {q / 1000:.1f}k | {q / base_q * 100:.0f} % | "
                        f"{c / 1000:.1f}k | {c / base * 100:.0f} % | {wk / 1000:.1f}k | {wk / base_w * 100:.0f} % |")
    text = ("| ternd | variant | q/s (median) | of off | q per server CPU-s | of off | q per worker CPU-s | of off |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows))
    print(text)
    with open(os.path.join(out, "observe.json"), "w") as f:
        json.dump({"rounds": a.rounds, "duration": a.duration, "names": a.names, "summary": summary,
                   "raw": {f"{k[0]} {k[1]}": v for k, v in results.items()},
                   "load": os.getloadavg()}, f, indent=1)


if __name__ == "__main__":
    main()
