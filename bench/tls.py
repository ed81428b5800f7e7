#!/usr/bin/env python3
"""bench/tls.py: DNS over TLS and DNS over HTTPS queries per second with
connection reuse, ternd against Unbound, side by side (issue 14).

Both servers answer the same local record (www.bench.test A) on loopback
with the same number of threads and the same certificate (a test CA made
here with openssl); dnsperf asks over DoT (-m dot), h2load (nghttp2's
HTTP/2 load generator) over DoH with GET and POST; each client keeps its
connection and has many queries in flight. Rounds alternate between the
servers; the median of each is reported.

dnsperf 2.10's own DoH mode is not used: it handles one HTTP/2 response
per TLS read, and stalls when a server (ternd, which writes every frame it
has ready in one TLS record) answers several streams in one record.

    bench/tls.py [--out build/bench] [--threads 2] [--clients 8] [--duration 5] [--rounds 3]

Writes OUT/tls.md and OUT/tls.json."""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HOST = "dns.test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA", cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "srv.key", "-out",
            "srv.csr", "-subj", f"/CN={HOST}", cwd=d)
    with open(os.path.join(d, "ext"), "w") as f:
        f.write(f"subjectAltName=DNS:{HOST},DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "srv.pem", "-days", "1", "-extfile", "ext", cwd=d)
    return os.path.join(d, "srv.pem"), os.path.join(d, "srv.key")


def wait_port(port, proc, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not listen")


def start_ternd(ternd, d, cert, key, threads):
    dot, doh, plain = free_port(), free_port(), free_port()
    conf = os.path.join(d, "ternd.conf")
    with open(conf, "w") as f:
        f.write(f"server:\n    listen: 127.0.0.1:{plain}\n    listen-tls: 127.0.0.1:{dot}\n"
                f"    listen-https: 127.0.0.1:{doh}\n    tls-certificate: {cert}\n    tls-key: {key}\n"
                f"    threads: {threads}\n    forward: none\n    tcp-max-connections: 10000\n"
                f"    tcp-max-per-client: 10000\n    tcp-idle-timeout: 60\n"
                "    local-data: \"www.bench.test. 3600 IN A 192.0.2.1\"\n")
    p = subprocess.Popen([ternd, "-c", conf], stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "ternd.log"), "w"))
    wait_port(dot, p)
    wait_port(doh, p)
    return p, dot, doh


def start_unbound(d, cert, key, threads):
    dot, doh = free_port(), free_port()
    conf = os.path.join(d, "unbound.conf")
    with open(conf, "w") as f:
        f.write(f"""server:
    interface: 127.0.0.1@{dot}
    interface: 127.0.0.1@{doh}
    tls-port: {dot}
    https-port: {doh}
    http-endpoint: "/dns-query"
    tls-service-key: "{key}"
    tls-service-pem: "{cert}"
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-daemonize: no
    num-threads: {threads}
    so-reuseport: yes
    incoming-num-tcp: 1000
    tcp-idle-timeout: 60000
    access-control: 127.0.0.0/8 allow
    local-zone: "bench.test." static
    local-data: "www.bench.test. 3600 IN A 192.0.2.1"
remote-control:
    control-enable: no
""")
    p = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(d, "unbound.log"), "w"))
    wait_port(dot, p)
    wait_port(doh, p)
    return p, dot, doh


def dnsperf(mode, port, qfile, clients, duration):
    argv = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-m", mode, "-d", qfile, "-c", str(clients),
            "-l", str(duration), "-q", str(clients * 20), "-T", "1"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    m = re.search(r"Queries per second:\s+([\d.]+)", r.stdout)
    lost = re.search(r"Queries lost:\s+(\d+)", r.stdout)
    if not m:
        raise RuntimeError("dnsperf: " + r.stdout[-500:] + r.stderr[-500:])
    return float(m.group(1)), int(lost.group(1)) if lost else 0


def h2load(port, qwire, clients, duration, method):
    import base64
    url = f"https://127.0.0.1:{port}/dns-query"
    argv = ["h2load", "-c", str(clients), "-m", "20", "-D", str(duration), "--warm-up-time", "1"]
    if method == "GET":
        url += "?dns=" + base64.urlsafe_b64encode(qwire).decode().rstrip("=")
    else:
        f = tempfile.NamedTemporaryFile(delete=False)
        f.write(qwire)
        f.close()
        argv += ["-d", f.name, "-H", "content-type: application/dns-message"]
    r = subprocess.run(argv + [url], capture_output=True, text=True, timeout=duration + 60)
    m = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", r.stdout)
    st = re.search(r"status codes: (\d+) 2xx", r.stdout)
    done = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded", r.stdout)
    if not m or not done:
        raise RuntimeError("h2load: " + r.stdout[-500:] + r.stderr[-500:])
    bad = int(done.group(3)) - (int(st.group(1)) if st else 0)
    return float(m.group(1)), bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--ternd", default="build/ternd")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    for tool in ("dnsperf", "h2load", "unbound", "openssl"):
        if not shutil.which(tool):
            print(f"bench/tls.py: {tool} missing; skipped", file=sys.stderr)
            return 0
    os.makedirs(a.out, exist_ok=True)
    d = tempfile.mkdtemp(prefix="tern-tls-bench-")
    procs = []
    try:
        cert, key = make_pki(d)
        qfile = os.path.join(d, "queries")
        with open(qfile, "w") as f:
            f.write("www.bench.test A\n" * 1000)
        # the DoH query: www.bench.test A, ID 0 (RFC 8484 4.1), EDNS 1232
        qwire = (bytes.fromhex("000001000001000000000001") + b"\x03www\x05bench\x04test\x00" +
                 bytes.fromhex("00010001") + bytes.fromhex("0000290" + "4d0000000000000"))
        os.makedirs(os.path.join(d, "t"))
        os.makedirs(os.path.join(d, "u"))
        tp, tdot, tdoh = start_ternd(os.path.abspath(a.ternd), os.path.join(d, "t"), cert, key, a.threads)
        procs.append(tp)
        up, udot, udoh = start_unbound(os.path.join(d, "u"), cert, key, a.threads)
        procs.append(up)
        # dnsperf does not verify the certificate; the name only picks SNI/URI
        kinds = [("DoT", "dot", None), ("DoH GET", "doh", "GET"), ("DoH POST", "doh", "POST")]
        ports = {"ternd": {"dot": tdot, "doh": tdoh}, "unbound": {"dot": udot, "doh": udoh}}
        res = {k: {"ternd": [], "unbound": []} for k, _, _ in kinds}
        lost = {k: {"ternd": 0, "unbound": 0} for k, _, _ in kinds}
        for _ in range(a.rounds):
            for name, mode, method in kinds:
                for srv in ("ternd", "unbound"):
                    if mode == "dot":
                        qps, n = dnsperf(mode, ports[srv][mode], qfile, a.clients, a.duration)
                    else:
                        qps, n = h2load(ports[srv][mode], qwire, a.clients, a.duration, method)
                    res[name][srv].append(qps)
                    lost[name][srv] += n
        lines = [f"DoT/DoH queries/s with connection reuse ({a.clients} connections: dnsperf with 20 queries in "
                 f"flight each for DoT, h2load -m 20 for DoH; {a.threads} server threads; {a.rounds} x "
                 f"{a.duration} s, median; one local answer)", "",
                 "| transport | ternd | unbound | ternd/unbound | lost or not 2xx (ternd, unbound) |", "|---|---|---|---|---|"]
        out = {}
        for name, _, _ in kinds:
            t, u = statistics.median(res[name]["ternd"]), statistics.median(res[name]["unbound"])
            out[name] = {"ternd": res[name]["ternd"], "unbound": res[name]["unbound"], "lost": lost[name]}
            lines.append(f"| {name} | {t:,.0f} | {u:,.0f} | {t / u:.2f} | {lost[name]['ternd']}, "
                         f"{lost[name]['unbound']} |")
        text = "\n".join(lines) + "\n"
        print(text)
        with open(os.path.join(a.out, "tls.md"), "w") as f:
            f.write(text)
        with open(os.path.join(a.out, "tls.json"), "w") as f:
            json.dump(out, f, indent=1)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
