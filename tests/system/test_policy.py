"""The policy engine (issue 14, items 5-7): local zones with Unbound's types,
wildcard local data, PTR records made for local addresses, block lists in
hosts and one-domain formats (bad lines skipped with file:line), allow
lists, the three block answers with EDE 15 (Blocked), Response Policy Zones
(QNAME triggers), a reload under load, and client groups told apart by
their source address (127.0.0.2 / 127.0.0.3).

Every ternd forwards to a scripted upstream on loopback (or to nothing), so
a test can count what leaked upstream."""
import socket
import threading
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from fwd_helpers import NOERROR, NXDOMAIN, REFUSED, fwd, rdatas  # noqa: F401
from fwd_helpers import query as plain_query

UP = "www.up.test"


def query(srv, name, qtype="A", **kw):
    """With EDNS, so that Extended DNS Errors come back (RFC 8914)."""
    kw.setdefault("use_edns", 0)
    return plain_query(srv, name, qtype, **kw)


def ede_codes(r):
    return [o.code for o in r.options if o.otype == dns.edns.EDE]


def cfg(*lines):
    return list(lines)


def refused_config(fwd, config):  # noqa: F811
    """Starts ternd with a configuration it must refuse; returns its log."""
    srv = fwd.ternd(config=config, wait=False)
    srv.proc.wait(timeout=10)
    fwd.ternds.remove(srv)
    srv.stop()
    assert srv.proc.returncode != 0
    return srv.log_text()


# ------------------------------------------------------------ local zones

def test_static_zone_never_leaks_upstream(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], config=cfg("local-zone: lan static", 'local-data: "printer.lan. A 192.168.1.9"',
                                     'local-data: "lan. SOA ns.lan. host.lan. 1 3600 600 86400 60"'))
    r = query(srv, "printer.lan")
    assert r.rcode() == NOERROR and rdatas(r) == ["192.168.1.9"]
    assert query(srv, "printer.lan", "AAAA").rcode() == NOERROR  # NODATA
    r = query(srv, "nas.lan")
    assert r.rcode() == NXDOMAIN, r.to_text()
    assert r.authority and r.authority[0].rdtype == dns.rdatatype.SOA  # the apex SOA as local data
    assert query(srv, "deep.sub.lan", "MX").rcode() == NXDOMAIN
    assert query(srv, "lan", "A").rcode() == NOERROR  # the apex exists
    assert query(srv, "printer.lan", "AAAA", tcp=True).rcode() == NOERROR
    assert up.count() == 0, up.names()
    # outside the zone: forwarded as before
    assert rdatas(query(srv, UP)) == ["192.0.2.1", "192.0.2.2"]
    assert up.count(UP) == 1


@pytest.mark.parametrize("kind,rcode", [("refuse", REFUSED), ("always-nxdomain", NXDOMAIN),
                                        ("always_nxdomain", NXDOMAIN), ("always-refuse", REFUSED)])
def test_refuse_and_always_types(fwd, kind, rcode):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], config=cfg(f"local-zone: corp.test {kind}", 'local-data: "host.corp.test. A 10.1.1.1"'))
    r = query(srv, "other.corp.test")
    assert r.rcode() == rcode, r.to_text()
    assert not (r.flags & dns.flags.AA) or rcode == NXDOMAIN  # a refusal is no authoritative data
    r = query(srv, "host.corp.test")
    if kind == "refuse":  # refuse: local data is still answered
        assert rdatas(r) == ["10.1.1.1"]
    else:  # always-*: the data does not count
        assert r.rcode() == rcode and not r.answer
    assert up.count() == 0


def test_deny_zone_drops(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], config=cfg("local-zone: quiet.test deny"))
    with pytest.raises(dns.exception.Timeout):
        query(srv, "x.quiet.test", timeout=0.5)
    assert up.count() == 0


def test_transparent_zone_passes_other_names(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], config=cfg("local-zone: up.test transparent", 'local-data: "printer.up.test. A 10.0.0.9"'))
    assert rdatas(query(srv, "printer.up.test")) == ["10.0.0.9"]
    assert rdatas(query(srv, UP)) == ["192.0.2.1", "192.0.2.2"]
    assert up.count(UP) == 1 and up.count("printer.up.test") == 0


def test_redirect_zone_and_dnsmasq_address(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], config=cfg("local-zone: redir.test redirect", 'local-data: "redir.test. A 10.0.0.1"',
                                     "address: /dnsmasq.test/10.0.0.2", "address: /dnsmasq.test/fd00::2",
                                     "address: /gone.test/"))
    for name in ("redir.test", "a.redir.test", "b.c.redir.test"):
        r = query(srv, name)
        assert rdatas(r) == ["10.0.0.1"] and r.answer[0].name.to_text() == name + ".", r.to_text()
    assert query(srv, "x.redir.test", "AAAA").rcode() == NOERROR and not query(srv, "x.redir.test", "AAAA").answer
    assert rdatas(query(srv, "deep.dnsmasq.test")) == ["10.0.0.2"]
    assert rdatas(query(srv, "deep.dnsmasq.test", "AAAA")) == ["fd00::2"]
    assert query(srv, "x.gone.test").rcode() == NXDOMAIN
    assert up.count() == 0


def test_bad_local_zone_type_is_an_error(fwd, tmp_path):  # noqa: F811
    assert "ternd.conf:2: local-zone type must be" in refused_config(fwd, cfg("local-zone: lan. sometimes"))


# ------------------------------------------------------------ local data

def test_wildcard_local_data(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["*.ads.example. A 0.0.0.0", "real.ads.example. A 192.0.2.80"])
    for name in ("x.ads.example", "a.b.ads.example"):
        r = query(srv, name)
        assert rdatas(r) == ["0.0.0.0"] and r.answer[0].name.to_text() == name + ".", r.to_text()
    assert rdatas(query(srv, "real.ads.example")) == ["192.0.2.80"]  # an existing name is not the wildcard's
    assert query(srv, "x.ads.example", "AAAA").rcode() == NOERROR  # NODATA from the wildcard's node
    assert up.count("x.ads.example") == 0 and up.count("a.b.ads.example") == 0


def test_automatic_ptr(fwd, tmp_path):  # noqa: F811
    hosts = tmp_path / "hosts"
    hosts.write_text("192.168.1.20 nas.lan nas\n::1 localhost6\n0.0.0.0 blocked.example\n"
                     "fd00::20 nas.lan\n192.168.1.21 tv.lan\n")
    srv = fwd.ternd(config=cfg(f"hosts-file: {hosts}", 'local-data: "printer.lan. A 192.168.1.9"',
                               "address: /ads.example/127.0.0.1",
                               'local-data: "10.1.168.192.in-addr.arpa. PTR mine.lan."',
                               'local-data: "other.lan. A 192.168.1.10"'))
    assert rdatas(query(srv, "9.1.168.192.in-addr.arpa", "PTR")) == ["printer.lan."]
    assert rdatas(query(srv, "20.1.168.192.in-addr.arpa", "PTR")) == ["nas.lan."]  # the first name wins
    rev6 = "0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"
    assert rdatas(query(srv, rev6, "PTR")) == ["nas.lan."]
    assert rdatas(query(srv, "10.1.168.192.in-addr.arpa", "PTR")) == ["mine.lan."]  # an explicit PTR stays
    assert not query(srv, "0.0.0.0.in-addr.arpa", "PTR").answer  # 0.0.0.0 is a block, not a host
    assert not query(srv, "1.0.0.127.in-addr.arpa", "PTR").answer  # nor is a redirect


def test_automatic_ptr_off(fwd):  # noqa: F811
    srv = fwd.ternd(config=cfg("local-data-ptr: no", 'local-data: "printer.lan. A 192.168.1.9"'))
    r = query(srv, "9.1.168.192.in-addr.arpa", "PTR")
    assert not r.answer


# ------------------------------------------------------------ block lists

HOSTS_LIST = """# a hosts-format list
127.0.0.1 localhost
::1 localhost ip6-localhost
0.0.0.0 0.0.0.0
0.0.0.0 ads.example
127.0.0.1 tracker.example  # trailing comment
:: v6only.example
0.0.0.0 one.example two.example three.example four.example five.example
<html><body>not a list</body></html>
0.0.0.0
"""

DOMAIN_LIST = """! adblock-style comment
[Adblock Plus 2.0]
# plain comment

metrics.example
*.wild.example
||abp.example^
this is garbage
bad..name
"""


def lists(tmp_path):
    h = tmp_path / "hosts.txt"
    h.write_text(HOSTS_LIST)
    d = tmp_path / "domains.txt"
    d.write_text(DOMAIN_LIST)
    return h, d


def test_block_lists_both_formats(fwd, tmp_path):  # noqa: F811
    up = fwd.upstream()
    h, d = lists(tmp_path)
    srv = fwd.ternd([up], config=cfg(f"block-list: {h}", f"block-list: {d}"))
    blocked = ["ads.example", "sub.ads.example", "tracker.example", "v6only.example", "one.example", "five.example",
               "metrics.example", "a.metrics.example", "wild.example", "x.wild.example", "abp.example"]
    for name in blocked:
        r = query(srv, name)
        assert r.rcode() == NOERROR and rdatas(r) == ["0.0.0.0"], (name, r.to_text())
        assert ede_codes(r) == [15], r.to_text()
    assert up.count() == 0, up.names()
    # not blocked: the housekeeping names of hosts files, other names
    assert rdatas(query(srv, UP)) == ["192.0.2.1", "192.0.2.2"]
    query(srv, "localhost")
    assert up.count("localhost") == 1
    log = srv.log_text()
    assert f"{h}:9: neither an address nor a domain name" in log and f"{h}:10: an address without a name" in log
    assert f"{d}:8: more than one name" in log and f"{d}:9: not a domain name" in log
    assert f"{h}: 8 name(s) blocked" in log and f"{d}: 3 name(s) blocked" in log


@pytest.mark.parametrize("answer", ["null", "nxdomain", "refused"])
def test_block_answers(fwd, tmp_path, answer):  # noqa: F811
    up = fwd.upstream()
    h, _ = lists(tmp_path)
    srv = fwd.ternd([up], config=cfg(f"block-list: {h}", f"block-answer: {answer}", "block-ttl: 30"))
    for qtype in ("A", "AAAA", "MX", "TXT"):
        r = query(srv, "ads.example", qtype)
        assert ede_codes(r) == [15], r.to_text()
        if answer == "null":
            assert r.rcode() == NOERROR
            if qtype == "A":
                assert rdatas(r) == ["0.0.0.0"] and r.answer[0].ttl == 30
            elif qtype == "AAAA":
                assert rdatas(r) == ["::"]
            else:
                assert not r.answer  # NODATA
        else:
            assert r.rcode() == (NXDOMAIN if answer == "nxdomain" else REFUSED) and not r.answer
    assert up.count() == 0


def test_allow_list_wins(fwd, tmp_path):  # noqa: F811
    up = fwd.upstream()
    bl = tmp_path / "block.txt"
    bl.write_text("up.test\n")
    al = tmp_path / "allow.txt"
    al.write_text("www.up.test\n")
    srv = fwd.ternd([up], config=cfg(f"block-list: {bl}", f"allow-list: {al}"))
    assert rdatas(query(srv, UP)) == ["192.0.2.1", "192.0.2.2"]
    assert up.count(UP) == 1
    r = query(srv, "mail.up.test")
    assert rdatas(r) == ["0.0.0.0"] and ede_codes(r) == [15]
    assert up.count("mail.up.test") == 0


def test_unreadable_list_is_an_error(fwd, tmp_path):  # noqa: F811
    assert "missing.txt: cannot open" in refused_config(fwd, cfg(f"block-list: {tmp_path}/missing.txt"))


def test_local_data_beats_block_list(fwd, tmp_path):  # noqa: F811
    """The network's own names come first (local data, then the lists)."""
    up = fwd.upstream()
    bl = tmp_path / "block.txt"
    bl.write_text("lan\n")
    srv = fwd.ternd([up], config=cfg(f"block-list: {bl}", 'local-data: "printer.lan. A 192.168.1.9"'))
    assert rdatas(query(srv, "printer.lan")) == ["192.168.1.9"]
    assert rdatas(query(srv, "other.lan")) == ["0.0.0.0"]
    assert up.count() == 0


def test_lists_only_for_clients_the_acl_allows(fwd, tmp_path):  # noqa: F811
    """A client refused by access-control learns nothing from the lists:
    REFUSED, as for any name it may not resolve (local data stays public)."""
    up = fwd.upstream()
    bl = tmp_path / "block.txt"
    bl.write_text("ads.test\n")
    srv = fwd.ternd([up], config=cfg(f"block-list: {bl}", "access-control: 127.0.0.3/32 refuse",
                                     'local-data: "printer.lan. A 192.168.1.9"'))
    r = query(srv, "ads.test", source="127.0.0.3")
    assert r.rcode() == REFUSED and ede_codes(r) == [18], r.to_text()
    assert rdatas(query(srv, "printer.lan", source="127.0.0.3")) == ["192.168.1.9"]
    assert rdatas(query(srv, "ads.test", source="127.0.0.1")) == ["0.0.0.0"]
    assert up.count() == 0


# ------------------------------------------------------------ RPZ

RPZ = """$TTL 300
@ SOA localhost. root.localhost. 1 3600 600 86400 60
  NS localhost.
nx.test CNAME .
nodata.test CNAME *.
*.wild.test CNAME .
ok.wild.test CNAME rpz-passthru.
drop.test CNAME rpz-drop.
tcp.test CNAME rpz-tcp-only.
data.test A 192.0.2.77
data.test TXT "rewritten"
*.wdata.test A 192.0.2.78
alias.test CNAME www.up.test.
32.1.2.0.192.rpz-ip CNAME .
ns.evil.rpz-nsdname CNAME .
"""


def test_rpz_actions(fwd, tmp_path):  # noqa: F811
    up = fwd.upstream(records=None)
    up.records.add("ok.wild.test. 300 IN A 192.0.2.99")
    up.records.add("tcp.test. 300 IN A 192.0.2.98")
    z = tmp_path / "policy.rpz"
    z.write_text(RPZ)
    srv = fwd.ternd([up], config=cfg(f"rpz: {z}"))
    r = query(srv, "nx.test")
    assert r.rcode() == NXDOMAIN and ede_codes(r) == [15]
    r = query(srv, "nodata.test")
    assert r.rcode() == NOERROR and not r.answer and ede_codes(r) == [15]
    query(srv, "sub.nx.test")  # an exact trigger: not the names below it
    assert up.count("sub.nx.test") == 1
    assert query(srv, "a.wild.test").rcode() == NXDOMAIN
    assert query(srv, "b.c.wild.test").rcode() == NXDOMAIN
    r = query(srv, "ok.wild.test")  # passthru beats the wildcard
    assert rdatas(r) == ["192.0.2.99"] and up.count("ok.wild.test") == 1
    with pytest.raises(dns.exception.Timeout):
        query(srv, "drop.test", timeout=0.5)
    r = query(srv, "tcp.test")
    assert r.flags & dns.flags.TC and not r.answer
    assert rdatas(query(srv, "tcp.test", tcp=True)) == ["192.0.2.98"]
    r = query(srv, "data.test")
    assert rdatas(r) == ["192.0.2.77"] and ede_codes(r) == [4]
    assert rdatas(query(srv, "data.test", "TXT")) == ['"rewritten"']
    assert query(srv, "data.test", "AAAA").rcode() == NOERROR and not query(srv, "data.test", "AAAA").answer
    r = query(srv, "x.wdata.test")
    assert rdatas(r) == ["192.0.2.78"] and r.answer[0].name.to_text() == "x.wdata.test."
    r = query(srv, "alias.test")  # local-data CNAME: the target is resolved
    assert [rr.rdtype for rr in r.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A], r.to_text()
    assert rdatas(r, UP, "A") == ["192.0.2.1", "192.0.2.2"]
    for name in ("nx.test", "nodata.test", "a.wild.test", "drop.test", "data.test", "alias.test"):
        assert up.count(name) == 0, name
    assert "2 record(s) of other trigger kinds" in srv.log_text()


def test_rpz_with_origin(fwd, tmp_path):  # noqa: F811
    z = tmp_path / "feed.rpz"
    z.write_text("$ORIGIN rpz.feed.\n$TTL 60\n@ SOA ns. h. 1 2 3 4 5\n@ NS ns.\nbad.example CNAME .\n"
                 "bad.example.rpz.feed.other. CNAME .\n")
    up = fwd.upstream()
    srv = fwd.ternd([up], config=cfg(f"rpz: {z}"))
    assert query(srv, "bad.example").rcode() == NXDOMAIN
    assert up.count() == 0


# ------------------------------------------------------------ reload

def test_reload_changes_list_without_losing_queries(fwd, tmp_path):  # noqa: F811
    up = fwd.upstream()
    bl = tmp_path / "block.txt"
    bl.write_text("".join(f"n{i}.blocked.test\n" for i in range(20000)) + "first.test\n")
    srv = fwd.ternd([up], config=cfg(f"block-list: {bl}"))
    assert rdatas(query(srv, "first.test")) == ["0.0.0.0"]
    assert query(srv, UP).rcode() == NOERROR  # cached now
    stop = threading.Event()
    results = {"sent": 0, "lost": 0, "bad": 0}

    def flow():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2.0)
        while not stop.is_set():
            q = dns.message.make_query("n7.blocked.test", "A")
            s.sendto(q.to_wire(), (srv.host, srv.port))
            results["sent"] += 1
            try:
                r = dns.message.from_wire(s.recv(4096))
                if r.id != q.id or r.rcode() != NOERROR:
                    results["bad"] += 1
            except socket.timeout:
                results["lost"] += 1
        s.close()

    t = threading.Thread(target=flow)
    t.start()
    time.sleep(0.3)
    bl.write_text("".join(f"n{i}.blocked.test\n" for i in range(20000)) + "second.test\n")
    srv.reload()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not query(srv, "second.test").answer:
        time.sleep(0.1)
    time.sleep(0.3)
    stop.set()
    t.join()
    assert rdatas(query(srv, "second.test")) == ["0.0.0.0"]
    assert not query(srv, "first.test").answer  # no longer blocked: the upstream's NXDOMAIN
    assert up.count("first.test") == 1
    assert results["sent"] > 50 and results["lost"] == 0 and results["bad"] == 0, results


# ------------------------------------------------------------ client groups

def test_client_groups(fwd, tmp_path):  # noqa: F811
    up = fwd.upstream()
    up.records.add("games.test. 300 IN A 192.0.2.50")
    up.records.add("ads.test. 300 IN A 192.0.2.51")
    kids = tmp_path / "kids.txt"
    kids.write_text("games.test\n")
    glob = tmp_path / "global.txt"
    glob.write_text("ads.test\n")
    srv = fwd.ternd([up], config=cfg(f"block-list: {glob}",
                                     "group:", "name: kids", "clients: 127.0.0.2/32", f"block-list: {kids}",
                                     "block-answer: nxdomain",
                                     "group:", "name: tv", "clients: 127.0.0.3", "block-answer: refused"))
    # kids: their own list (replacing the global one), answered NXDOMAIN
    r = query(srv, "games.test", source="127.0.0.2")
    assert r.rcode() == NXDOMAIN and ede_codes(r) == [15]
    r = query(srv, "ads.test", source="127.0.0.2")
    assert rdatas(r) == ["192.0.2.51"] and not ede_codes(r)
    # tv: the global list, its own answer
    r = query(srv, "ads.test", source="127.0.0.3")
    assert r.rcode() == REFUSED and ede_codes(r) == [15]
    assert rdatas(query(srv, "games.test", source="127.0.0.3")) == ["192.0.2.50"]
    # everyone else: the global list, the global answer
    r = query(srv, "ads.test", source="127.0.0.1")
    assert rdatas(r) == ["0.0.0.0"] and ede_codes(r) == [15]
    assert rdatas(query(srv, "games.test", source="127.0.0.1")) == ["192.0.2.50"]
    # TCP decides the same way
    r = query(srv, "games.test", source="127.0.0.2", tcp=True)
    assert r.rcode() == NXDOMAIN and ede_codes(r) == [15]
    assert up.count("games.test") == 1 and up.count("ads.test") == 1  # the cache is shared


def test_client_group_upstreams(fwd, tmp_path):  # noqa: F811
    """A group with upstreams of its own: its clients' questions go there,
    with a cache of the group's (a family filter's answer never reaches the
    others, nor theirs the group)."""
    main_up = fwd.upstream()
    family = fwd.upstream(records=None)
    family.records.rrsets.clear()
    family.records.names.clear()
    family.records.add("www.up.test. 300 IN A 192.0.2.200")
    srv = fwd.ternd([main_up], config=cfg("group:", "name: family", "clients: 127.0.0.2",
                                          f"forward: {family.addr}",
                                          "group:", "name: tv", "clients: 127.0.0.3"))
    for _ in range(2):  # the second time from each group's own cache
        assert rdatas(query(srv, UP, source="127.0.0.2")) == ["192.0.2.200"]
        assert rdatas(query(srv, UP, source="127.0.0.3")) == ["192.0.2.1", "192.0.2.2"]
        assert rdatas(query(srv, UP, source="127.0.0.1")) == ["192.0.2.1", "192.0.2.2"]
        assert rdatas(query(srv, UP, source="127.0.0.2", tcp=True)) == ["192.0.2.200"]
    assert family.count(UP) == 1 and main_up.count(UP) == 1
    # a chain that leaves the group's upstream data: still the group's upstream
    assert query(srv, "c1.up.test", source="127.0.0.2").rcode() == NXDOMAIN
    assert family.count("c1.up.test") == 1 and main_up.count("c1.up.test") == 0
    # a reload keeps the groups (and their caches)
    srv.reload()
    time.sleep(0.5)
    assert rdatas(query(srv, UP, source="127.0.0.2")) == ["192.0.2.200"]
    assert rdatas(query(srv, UP, source="127.0.0.1")) == ["192.0.2.1", "192.0.2.2"]
    assert family.count(UP) == 1 and main_up.count(UP) == 1


def test_client_group_upstreams_without_default(fwd):  # noqa: F811
    """forward: none for everyone, one group forwarding: only that group resolves."""
    family = fwd.upstream()
    srv = fwd.ternd(config=cfg("group:", "name: family", "clients: 127.0.0.2", f"forward: {family.addr}"))
    assert rdatas(query(srv, UP, source="127.0.0.2")) == ["192.0.2.1", "192.0.2.2"]
    assert query(srv, UP, source="127.0.0.1").rcode() == REFUSED
    assert family.count(UP) == 1


def test_group_errors(fwd):  # noqa: F811
    log = refused_config(fwd, cfg("group:", "name: a", "group:", "clients: 10.0.0.0/99", "forward: nowhere",
                                  "group:", "name: a", "clients: 10.0.0.1"))
    assert "group 'a' needs 'clients'" in log and "bad client prefix '10.0.0.0/99'" in log
    assert "bad upstream address 'nowhere'" in log and "group 'a' already defined at" in log
