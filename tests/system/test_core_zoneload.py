"""A zone of 10,000 names, generated here, loads (also through $INCLUDE and
$GENERATE) and answers for every kind of name it holds."""
import random
import time

import dns.rcode

from conftest import is_aa, rrs

N = 10000


def big_zone():
    lines = ["$ORIGIN big.test.", "$TTL 300", "@ SOA ns hm 42 3600 600 86400 120", "@ NS ns", "ns A 192.0.2.1"]
    for i in range(N):
        lines.append(f"host{i} A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
        if i % 10 == 0:
            lines.append(f"host{i} AAAA 2001:db8::{i:x}")
        if i % 100 == 0:
            lines.append(f"alias{i} CNAME host{i}")
            lines.append(f"deleg{i} NS ns.deleg{i}")
            lines.append(f"ns.deleg{i} A 192.0.2.{i // 100 + 2}")
    return "\n".join(lines) + "\n"


def test_zone_of_10k_names_loads_and_answers(run_ternd, tcp):
    t0 = time.monotonic()
    srv = run_ternd({"big.test": big_zone()})
    load_s = time.monotonic() - t0
    assert load_s < 10, load_s
    assert "names" in srv.log_text()
    rng = random.Random(7)
    for i in rng.sample(range(N), 200):
        r = srv.query(f"host{i}.big.test", "A", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and is_aa(r)
        assert rrs(r.answer) == {f"host{i}.big.test. 300 IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"}
    r = srv.query("host9990.big.test", "AAAA", tcp=tcp)
    assert rrs(r.answer) == {"host9990.big.test. 300 IN AAAA 2001:db8::2706"}
    r = srv.query("alias500.big.test", "A", tcp=tcp)
    assert len(r.answer) == 2 and r.answer[-1][0].to_text() == "10.0.1.244"
    r = srv.query("www.deleg9900.big.test", "A", tcp=tcp)
    assert not is_aa(r) and rrs(r.additional) == {"ns.deleg9900.big.test. 300 IN A 192.0.2.101"}
    r = srv.query(f"host{N}.big.test", "A", tcp=tcp)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.authority[0].ttl == 120
    r = srv.query("host1.big.test", "AAAA", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR and not r.answer


def test_zone_with_include_and_generate(run_ternd, tmp_path):
    (tmp_path / "hosts.inc").write_text("".join(f"inc{i} A 192.0.2.{i}\n" for i in range(1, 200)))
    text = """$ORIGIN g.test.
$TTL 60
@ SOA ns hm 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
$GENERATE 1-9999 gen$ A 198.51.100.1
$INCLUDE hosts.inc
"""
    srv = run_ternd({"g.test": text})
    assert srv.query("gen9999.g.test", "A").answer[0][0].to_text() == "198.51.100.1"
    assert srv.query("inc199.g.test", "A").answer[0][0].to_text() == "192.0.2.199"
    assert srv.query("gen10000.g.test", "A").rcode() == dns.rcode.NXDOMAIN
