"""Forwarding, the basics (issue 3): names that no local record or served
zone covers are answered from upstream resolvers with RA=1, AA=0, and only
the question's name and its CNAME chain (nothing from the upstream's
authority or additional sections but the SOA of a negative answer). The
upstream is a scripted dnspython server, another ternd serving the zone
authoritatively, or Knot; all on loopback."""
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from fwd_helpers import (NOERROR, NXDOMAIN, REFUSED, UP_RECORDS, UP_ZONE, Records, chain, fwd, is_aa, is_ra,  # noqa: F401
                         query, rdatas, ttls)
from conftest import raw_udp, zone_text


@pytest.fixture(params=["scripted", "ternd", "knot"])
def via(request, fwd):  # noqa: F811
    """(forwarding ternd, upstream) for each kind of upstream."""
    if request.param == "scripted":
        up = fwd.upstream()
    elif request.param == "ternd":
        up = fwd.authoritative({"up.test": UP_ZONE})
    else:
        up = fwd.knot({"up.test": UP_ZONE})
    return fwd.ternd([up]), up


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_a(via, tcp):
    srv, _ = via
    r = query(srv, "www.up.test", "A", tcp=tcp)
    assert r.rcode() == NOERROR and is_ra(r) and not is_aa(r), r.to_text()
    assert chain(r) == [("www.up.test.", "A")]
    assert rdatas(r) == ["192.0.2.1", "192.0.2.2"]
    assert 290 <= r.answer[0].ttl <= 300
    assert not r.authority and not r.additional


def test_aaaa(via):
    srv, _ = via
    r = query(srv, "www.up.test", "AAAA")
    assert r.rcode() == NOERROR and is_ra(r) and not is_aa(r)
    assert chain(r) == [("www.up.test.", "AAAA")] and rdatas(r) == ["2001:db8::1"]


def test_mx_without_additional(via):
    """The upstream adds the exchanges' addresses (ternd and Knot do); the
    forwarded answer holds only the MX RRset."""
    srv, _ = via
    r = query(srv, "up.test", "MX")
    assert r.rcode() == NOERROR and is_ra(r) and not is_aa(r)
    assert chain(r) == [("up.test.", "MX")]
    assert rdatas(r) == ["10 mail.up.test.", "20 mail2.up.test."]
    assert not r.authority and not r.additional


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_cname_chain(via, tcp):
    srv, _ = via
    r = query(srv, "c1.up.test", "A", tcp=tcp)
    assert r.rcode() == NOERROR and is_ra(r) and not is_aa(r)
    assert chain(r) == [("c1.up.test.", "CNAME"), ("c2.up.test.", "CNAME"), ("www.up.test.", "A")]
    assert rdatas(r, "c1.up.test", "CNAME") == ["c2.up.test."]
    assert rdatas(r, "c2.up.test", "CNAME") == ["www.up.test."]
    assert rdatas(r, "www.up.test", "A") == ["192.0.2.1", "192.0.2.2"]
    t = ttls(r)
    assert 290 <= t[0] <= 300 and 190 <= t[1] <= 200 and 290 <= t[2] <= 300
    # asked again (from the cache now): the same chain
    r2 = query(srv, "c1.up.test", "A", tcp=tcp)
    assert chain(r2) == chain(r) and rdatas(r2) == rdatas(r)


def test_cname_asked_for(via):
    srv, _ = via
    r = query(srv, "c1.up.test", "CNAME")
    assert r.rcode() == NOERROR and chain(r) == [("c1.up.test.", "CNAME")]
    assert rdatas(r) == ["c2.up.test."]


def test_nxdomain_and_nodata_carry_the_soa(via):
    srv, _ = via
    r = query(srv, "nx.up.test", "A")
    assert r.rcode() == NXDOMAIN and is_ra(r) and not is_aa(r) and not r.answer
    assert [(s.name.to_text(), s.rdtype) for s in r.authority] == [("up.test.", dns.rdatatype.SOA)]
    assert r.authority[0].ttl <= 2  # min(SOA TTL 300, MINIMUM 2)
    r = query(srv, "www.up.test", "TXT")
    assert r.rcode() == NOERROR and not r.answer and is_ra(r)
    assert [s.rdtype for s in r.authority] == [dns.rdatatype.SOA]


def test_question_case_echoed(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up])
    wire = dns.message.make_query("WwW.uP.TeSt", "A").to_wire()
    reply = raw_udp(srv, wire, timeout=5)
    assert reply is not None
    # the question section, byte for byte (the query has no EDNS record)
    assert reply[12:len(wire)] == wire[12:]
    r = dns.message.from_wire(reply)
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.1", "192.0.2.2"]


def test_upstream_query_is_recursive_with_edns(fwd):  # noqa: F811
    """The query ternd sends upstream: RD=1, EDNS with 1232 bytes (issue 3)."""
    up = fwd.upstream()
    srv = fwd.ternd([up])
    assert query(srv, "www.up.test").rcode() == NOERROR
    e = up.log[0]
    assert e["name"] == "www.up.test." and e["type"] == "A" and e["transport"] == "udp"
    assert e["flags"] & dns.flags.RD
    assert e["edns"] == 0 and e["payload"] == 1232


def test_junk_in_authority_and_additional_dropped_and_not_cached(fwd):  # noqa: F811
    """The upstream adds an NS for up.test and addresses of unrelated names:
    the client does not see them, and they are not cached (asking for them
    goes upstream and gets the real data)."""
    up = fwd.upstream(Records(junk=True))
    srv = fwd.ternd([up])
    r = query(srv, "www.up.test")
    assert r.rcode() == NOERROR and chain(r) == [("www.up.test.", "A")]
    assert not r.authority and not r.additional
    up.records.junk = False
    r = query(srv, "victim.test")
    assert rdatas(r) == ["192.0.2.66"] and up.count("victim.test") == 1
    r = query(srv, "ns.evil.test")
    assert r.rcode() == NXDOMAIN and up.count("ns.evil.test") == 1
    r = query(srv, "up.test", "NS")
    assert up.count("up.test", "NS") == 1


def test_unrelated_answer_records_dropped_and_not_cached(fwd):  # noqa: F811
    """An answer section with a record that is not on the chain from the
    question (victim.test A 6.6.6.6): dropped, and not cached."""
    recs = Records()

    def answer(q, transport, peer, sock):
        r = recs.respond(q)
        if q.question[0].name == dns.name.from_text("www.up.test"):
            r.answer.append(dns.rrset.from_text("victim.test.", 300, "IN", "A", "6.6.6.6"))
            r.answer.append(dns.rrset.from_text("up.test.", 300, "IN", "A", "6.6.6.6"))
        return [r]

    up = fwd.upstream(answer=answer)
    srv = fwd.ternd([up])
    r = query(srv, "www.up.test")
    assert r.rcode() == NOERROR and chain(r) == [("www.up.test.", "A")]
    assert rdatas(r) == ["192.0.2.1", "192.0.2.2"]
    r = query(srv, "victim.test")
    assert rdatas(r) == ["192.0.2.66"] and up.count("victim.test") == 1


def test_served_zone_answered_not_forwarded(fwd):  # noqa: F811
    """Served zones come before the cache and the upstreams."""
    up = fwd.upstream(Records(UP_RECORDS + "www.example.com. 300 IN A 6.6.6.6\nnx.example.com. 300 IN A 6.6.6.6"))
    srv = fwd.ternd([up], zones={"example.com": zone_text("example.com")})
    r = query(srv, "www.example.com")
    assert r.rcode() == NOERROR and is_aa(r) and rdatas(r) == ["192.0.2.80"]
    r = query(srv, "nx.example.com")
    assert r.rcode() == NXDOMAIN and is_aa(r)
    assert up.count() == 0
    r = query(srv, "www.up.test")
    assert r.rcode() == NOERROR and not is_aa(r) and up.count() == 1


# ---------------------------------------------------------------- RD=0

def test_rd0_refused_unless_cached(fwd):  # noqa: F811
    """RD=0 for a name outside local data: the cache's answer, or REFUSED
    when the cache has nothing (docs/configuration.md); never upstream."""
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["printer.lan. A 192.0.2.9"],
                    zones={"example.com": zone_text("example.com")})
    r = query(srv, "www.up.test", rd=False)
    assert r.rcode() == REFUSED and not r.answer
    assert up.count() == 0
    assert query(srv, "www.up.test").rcode() == NOERROR
    assert up.count() == 1
    r = query(srv, "www.up.test", rd=False)
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.1", "192.0.2.2"]
    assert r.answer[0].ttl <= 300
    r = query(srv, "c1.up.test", rd=False)  # not cached
    assert r.rcode() == REFUSED
    assert up.count() == 1
    # local records and zones do not need recursion
    r = query(srv, "printer.lan", rd=False)
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.9"]
    r = query(srv, "www.example.com", rd=False)
    assert r.rcode() == NOERROR and is_aa(r) and rdatas(r) == ["192.0.2.80"]
    assert up.count() == 1


def test_rd0_negative_answer_from_cache(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up])
    assert query(srv, "nx.up.test").rcode() == NXDOMAIN
    r = query(srv, "nx.up.test", rd=False)
    assert r.rcode() == NXDOMAIN and up.count() == 1


# ------------------------------------------------------- no upstreams

def test_forward_none_refuses(fwd):  # noqa: F811
    srv = fwd.ternd([], local=["printer.lan. A 192.0.2.9"])
    r = query(srv, "www.up.test")
    assert r.rcode() == REFUSED and not is_ra(r)
    assert rdatas(query(srv, "printer.lan")) == ["192.0.2.9"]


def test_empty_resolv_conf_said_at_startup_and_refused(fwd):  # noqa: F811
    """No --forward, no forward: line, and a resolv.conf with no nameserver
    lines: ternd says so at start-up and answers REFUSED."""
    srv = fwd.ternd([], forward_flag=False, local=["printer.lan. A 192.0.2.9"])
    assert query(srv, "www.up.test").rcode() == REFUSED
    assert rdatas(query(srv, "printer.lan")) == ["192.0.2.9"]
    log = srv.log_text().lower()
    assert "resolv.conf" in log or "nameserver" in log or "upstream" in log, log


def test_forward_in_config_file(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([], forward_flag=False, config=[f"forward: {up.addr}"])
    r = query(srv, "www.up.test")
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.1", "192.0.2.2"] and up.count() == 1
