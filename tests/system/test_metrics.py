"""/metrics (issue 13, items 2 and 3): the Prometheus text format checked by
`promtool check metrics`, counters that match the queries sent, a real
Prometheus server scraping ternd every second whose query API shows the
increase after a short load, and hostile HTTP clients (garbage, huge
requests, slow and idle clients): ternd keeps answering DNS and scrapes
keep working."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import dns.rcode
import pytest

from fwd_helpers import Records, query  # noqa: F401
from ops_helpers import http, metric, ops, scrape  # noqa: F401
from peers import free_port

NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN


def test_counters_and_promtool(ops):  # noqa: F811
    up = ops.upstream(Records())
    srv = ops.ternd(forward=[up])
    for _ in range(4):
        assert query(srv, "www.example.org", "A").rcode() == NOERROR
    assert query(srv, "nx.example.org", "MX", tcp=True).rcode() == NXDOMAIN
    assert query(srv, "www.up.test", "AAAA").rcode() == NOERROR  # upstream
    assert query(srv, "www.up.test", "AAAA").rcode() == NOERROR  # cache
    text = scrape(srv)
    assert metric(text, "ternd_queries_total", transport="udp", type="A") == 4
    assert metric(text, "ternd_queries_total", transport="tcp", type="MX") == 1
    assert metric(text, "ternd_queries_total", transport="udp", type="AAAA") == 2
    assert metric(text, "ternd_responses_total", rcode="NXDOMAIN") == 1
    assert metric(text, "ternd_answers_total", source="upstream") == 1
    assert metric(text, "ternd_answers_total", source="cache") == 1
    assert metric(text, "ternd_answers_total", source="zone") == 5
    assert metric(text, "ternd_zone_responses_total", zone="example.org.", rcode="NOERROR") == 4
    assert metric(text, "ternd_upstream_queries_total", upstream=up.addr) == 1
    assert metric(text, "ternd_upstream_latency_seconds_count", upstream=up.addr) == 1
    assert metric(text, "ternd_upstream_latency_seconds_bucket", upstream=up.addr, le="+Inf") == 1
    assert metric(text, "ternd_cache_entries") >= 1
    assert metric(text, "ternd_tcp_connections_total", event="accepted") == 1
    assert "# TYPE ternd_upstream_latency_seconds histogram" in text
    if shutil.which("promtool") is None:
        pytest.skip("promtool not installed (tests/deps.sh installs prometheus)")
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), p.stdout + p.stderr


def test_ternctl_stats_reset_leaves_metrics_counting(ops):  # noqa: F811
    srv = ops.ternd()
    for _ in range(3):
        query(srv, "www.example.org", "A")
    assert ops.ctl(srv, "stats", "--reset").returncode == 0
    query(srv, "www.example.org", "A")
    assert metric(scrape(srv), "ternd_queries_total", transport="udp", type="A") == 4
    assert json.loads(ops.ctl(srv, "stats", json=True).stdout)["queries"]["type"]["A"] == 1


def status_of(raw):
    return raw.split(b"\r\n", 1)[0]


def test_bad_requests(ops):  # noqa: F811
    srv = ops.ternd()
    port = srv.metrics_port
    assert status_of(http(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")) == b"HTTP/1.1 405 Method Not Allowed"
    assert b"Allow: GET, HEAD" in http(port, b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(http(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")) == b"HTTP/1.1 404 Not Found"
    assert status_of(http(port, b"GET /metricsx HTTP/1.0\r\n\r\n")) == b"HTTP/1.1 404 Not Found"
    assert status_of(http(port, b"GET /metrics?x=1 HTTP/1.0\r\n\r\n")) == b"HTTP/1.1 200 OK"
    head = http(port, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(head) == b"HTTP/1.1 200 OK" and head.endswith(b"\r\n\r\n")
    for bad in (b"GARBAGE\r\n\r\n", b"GET /metrics HTTP/1.1\r\n\r\n",  # no Host
                b"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", b"GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", b"GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
                b"\x00\xff\x01\r\n\r\n", b"GET /metrics HTTP/1.1\rHost: x\r\n\r\n"):
        assert status_of(http(port, bad)) == b"HTTP/1.1 400 Bad Request", bad
    huge = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n"
    r = http(port, huge)
    assert r == b"" or status_of(r) == b"HTTP/1.1 400 Bad Request", r[:100]
    assert query(srv, "www.example.org").rcode() == NOERROR
    assert "ternd_queries_total" in scrape(srv)


def test_slow_and_idle_clients_are_closed(ops):  # noqa: F811
    srv = ops.ternd()
    port = srv.metrics_port
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"GET /metr")  # and nothing more
    t0 = time.monotonic()
    assert "ternd_queries_total" in scrape(srv)  # served meanwhile
    assert query(srv, "www.example.org").rcode() == NOERROR
    slow.settimeout(10)
    assert slow.recv(100) == b""  # closed without an answer...
    assert 2 <= time.monotonic() - t0 < 6  # ...after METRICS_TIMEOUT_MS (3 s)
    slow.close()
    # more idle connections than the 16 slots: the oldest make room
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    assert "ternd_queries_total" in scrape(srv)
    assert query(srv, "www.example.org").rcode() == NOERROR
    for s in idle:
        s.close()


# ------------------------------------------------------------ a real Prometheus

def prom_query(port, expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        data = json.load(r)
    assert data["status"] == "success", data
    res = data["data"]["result"]
    return float(res[0]["value"][1]) if res else None


def test_prometheus_scrapes_ternd(ops, tmp_path):  # noqa: F811
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus not installed (tests/deps.sh installs it)")
    srv = ops.ternd()
    pport = free_port()
    conf = tmp_path / "prometheus.yml"
    conf.write_text(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ternd
    static_configs:
      - targets: ["127.0.0.1:{srv.metrics_port}"]
""")
    log = open(tmp_path / "prometheus.log", "w")
    prom = subprocess.Popen(["prometheus", f"--config.file={conf}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{pport}"], stdout=log, stderr=subprocess.STDOUT,
                            cwd=tmp_path)
    try:
        expr = 'sum(ternd_queries_total{type="SRV"}) or vector(0)'
        deadline = time.monotonic() + 15
        up = None
        while time.monotonic() < deadline:  # until a first scrape is stored
            try:
                up = prom_query(pport, 'up{job="ternd"}')
            except OSError:
                up = None
            if up == 1:
                break
            time.sleep(0.3)
        assert up == 1, open(tmp_path / "prometheus.log").read()[-3000:]
        before = prom_query(pport, expr)
        for _ in range(50):
            assert query(srv, "www.example.org", "SRV").rcode() == NOERROR
        value = None
        while time.monotonic() < deadline + 5:
            value = prom_query(pport, expr)
            if value == before + 50:
                break
            time.sleep(0.3)
        assert value == before + 50, (before, value)
        rate = prom_query(pport, 'increase(ternd_responses_total{rcode="NOERROR"}[1m])')
        assert rate is not None and rate > 0
    finally:
        prom.terminate()
        try:
            prom.wait(10)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()
        log.close()
    assert os.path.isdir(tmp_path / "tsdb")


def test_grafana_dashboard_uses_served_series(ops):  # noqa: F811
    """etc/grafana-ternd.json is JSON and every ternd_* series it queries is one /metrics serves."""
    import re as _re
    from ternd import ROOT
    dash = json.load(open(os.path.join(ROOT, "etc", "grafana-ternd.json")))
    names = set()
    for p in dash["panels"]:
        for t in p["targets"]:
            names |= set(_re.findall(r"\b(ternd_[a-z_]+?)(?:_bucket)?\b[{\[(]", t["expr"]))
    up = ops.upstream(Records())
    srv = ops.ternd(forward=[up])
    query(srv, "www.up.test")
    served = {line.split()[2] for line in scrape(srv).splitlines() if line.startswith("# TYPE")}
    missing = {n for n in names if n not in served}
    assert names and not missing, missing
