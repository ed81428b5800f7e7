"""ternd's answers from zone data (RFC 1034 4.3.2, RFC 2308, RFC 4592,
RFC 6672, RFC 8482), over UDP and TCP, against the fixture zones in
tests/system/zones (served together by the `core` fixture of conftest.py)."""
import struct

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from conftest import is_aa, raw_tcp, raw_udp, rrs, soa_ttl, types_of, zone_text

NOERROR, NXDOMAIN, REFUSED, YXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.REFUSED, dns.rcode.YXDOMAIN
SOA = "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"


def q(srv, name, qtype, tcp, **kw):
    return srv.query(name, qtype, tcp=tcp, **kw)


# ------------------------------------------------------------ exact matches

@pytest.mark.parametrize("name,qtype,rdata", [
    ("www.example.com", "A", "192.0.2.80"),
    ("www.example.com", "AAAA", "2001:db8::80"),
    ("example.com", "CAA", '0 issue "ca.example.net"'),
    ("ptr.example.com", "PTR", "www.example.com."),
    ("hinfo.example.com", "HINFO", '"PC" "Linux"'),
    ("sshfp.example.com", "SSHFP", "1 1 0123456789abcdef0123456789abcdef01234567"),
    ("_443._tcp.www.example.com", "TLSA",
     "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
    ("naptr.example.com", "NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.example.com.'),
    ("svc.example.com", "SVCB", '1 www.example.com. alpn="h2"'),
    ("unknown.example.com", "TYPE65534", r"\# 3 abcdef"),
    ("www.child.example.com", "A", "192.0.2.111"),
    ("www.other.test", "A", "192.0.2.121"),
])
def test_exact_match_is_authoritative(core, tcp, name, qtype, rdata):
    r = q(core, name, qtype, tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert len(r.answer) == 1
    s = r.answer[0]
    assert s.name == dns.name.from_text(name) and s.rdtype == dns.rdatatype.from_text(qtype)
    assert [rd.to_text() for rd in s] == [rdata]
    assert not r.authority  # minimal responses: no NS in authority


def test_rrset_with_several_records_and_strings(core, tcp):
    r = q(core, "txt.example.com", "TXT", tcp)
    assert rrs(r.answer) == {'txt.example.com. 3600 IN TXT "hello" "world"',
                             'txt.example.com. 3600 IN TXT "second string"'}


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_case_preserved_in_echoed_question(core, transport):
    qname = "MiXeD.ExAmPlE.cOm"
    wire = dns.message.make_query(qname, "A").to_wire()
    send = raw_tcp if transport == "tcp" else raw_udp
    reply = send(core, wire)
    assert reply is not None
    # the question section, byte for byte (dnspython compares names without case)
    assert reply[12:12 + len(wire) - 12] == wire[12:]
    r = dns.message.from_wire(reply)
    assert r.rcode() == NOERROR and is_aa(r)
    assert [rd.to_text() for rd in r.answer[0]] == ["192.0.2.81"]


def test_case_insensitive_match_of_zone_and_name(core, tcp):
    r = q(core, "WWW.OTHER.TEST", "a", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert [rd.to_text() for rd in r.answer[0]] == ["192.0.2.121"]


# ------------------------------------------------------------------ CNAME

def test_cname_chain_followed(core, tcp):
    r = q(core, "chain1.example.com", "A", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert rrs(r.answer) == {
        "chain1.example.com. 3600 IN CNAME chain2.example.com.",
        "chain2.example.com. 3600 IN CNAME chain3.example.com.",
        "chain3.example.com. 3600 IN CNAME www.example.com.",
        "www.example.com. 3600 IN A 192.0.2.80",
    }
    # in chain order (RFC 1034 4.3.2 step 3a)
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.CNAME] * 3 + [dns.rdatatype.A]


def test_cname_into_second_served_zone(core, tcp):
    r = q(core, "out.example.com", "A", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert rrs(r.answer) == {"out.example.com. 3600 IN CNAME www.other.test.",
                             "www.other.test. 3600 IN A 192.0.2.121"}


def test_cname_leaving_served_data_stops(core, tcp):
    r = q(core, "ext.example.com", "A", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert rrs(r.answer) == {"ext.example.com. 3600 IN CNAME www.example.org."}
    assert not r.authority


def test_cname_to_missing_name_is_nxdomain(core, tcp):
    # RFC 6604: the rcode is that of the last name of the chain
    r = q(core, "dangling.example.com", "A", tcp)
    assert r.rcode() == NXDOMAIN and is_aa(r)
    assert rrs(r.answer) == {"dangling.example.com. 3600 IN CNAME nothere.example.com."}
    assert rrs(r.authority) == {SOA}


def test_cname_to_nodata_has_soa(core, tcp):
    r = q(core, "alias.example.com", "MX", tcp)
    assert r.rcode() == NOERROR
    assert rrs(r.answer) == {"alias.example.com. 3600 IN CNAME www.example.com."}
    assert rrs(r.authority) == {SOA}


def test_qtype_cname_not_followed(core, tcp):
    r = q(core, "chain1.example.com", "CNAME", tcp)
    assert rrs(r.answer) == {"chain1.example.com. 3600 IN CNAME chain2.example.com."}


def test_qtype_any_on_cname(core, tcp):
    r = q(core, "alias.example.com", "ANY", tcp)
    assert rrs(r.answer) == {"alias.example.com. 3600 IN CNAME www.example.com."}


@pytest.mark.parametrize("name,chain", [
    ("loop-a.example.com", ["loop-a CNAME loop-b", "loop-b CNAME loop-a"]),
    ("loop-b.example.com", ["loop-b CNAME loop-a", "loop-a CNAME loop-b"]),
    ("self.example.com", ["self CNAME self"]),
])
def test_cname_loop_answers_without_hanging(core, tcp, name, chain):
    r = q(core, name, "A", tcp, timeout=2.0)
    assert r.rcode() == NOERROR and is_aa(r)
    want = set()
    for link in chain:
        a, _, b = link.split()
        want.add(f"{a}.example.com. 3600 IN CNAME {b}.example.com.")
    assert rrs(r.answer) == want


def test_cname_chain_length_bound(run_ternd, tcp):
    """A 40-link chain: at most DB_MAX_CHAIN (16) links are followed, at
    least 8 (RFC 1034 asks servers to follow chains; BIND and Knot stop
    at 16-20), and the answer comes at once."""
    lines = ["$ORIGIN long.test.", "$TTL 60", "@ SOA ns hm 1 60 60 60 60", "@ NS ns", "ns A 192.0.2.1"]
    lines += [f"c{i} CNAME c{i + 1}" for i in range(40)]
    lines += ["c40 A 192.0.2.40"]
    srv = run_ternd({"long.test": "\n".join(lines) + "\n"})
    r = srv.query("c0.long.test", "A", tcp=tcp, timeout=2.0)
    assert r.rcode() == NOERROR and is_aa(r)
    cnames = [s for s in r.answer if s.rdtype == dns.rdatatype.CNAME]
    assert 8 <= len(cnames) <= 17
    assert not [s for s in r.answer if s.rdtype == dns.rdatatype.A]
    # the chain is in order from the query name, without gaps
    for i, s in enumerate(r.answer):
        assert s.name == dns.name.from_text(f"c{i}.long.test")
    # a chain that fits is followed to its end
    r = srv.query("c30.long.test", "A", tcp=tcp)
    assert [rd.to_text() for rd in r.answer[-1]] == ["192.0.2.40"] and len(r.answer) == 11


# ------------------------------------------------------- negative answers

@pytest.mark.parametrize("name,qtype", [
    ("www.example.com", "TXT"),       # an existing name without that type
    ("example.com", "SRV"),           # the apex
    ("ent.example.com", "A"),         # empty non-terminal
    ("b.ent.example.com", "TXT"),     # empty non-terminal, two levels
    ("wild.example.com", "A"),        # the parent of a wildcard (an ENT)
    ("ent.wild.example.com", "A"),    # an ENT below wild: no wildcard match
    ("exists.wild.example.com", "TXT"),  # an existing name: no wildcard match
    ("dn.example.com", "A"),          # the DNAME owner itself
    ("nods.example.com", "DS"),       # a cut without DS: NODATA from the parent
])
def test_nodata(core, tcp, name, qtype):
    r = q(core, name, qtype, tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert not r.answer and not r.additional
    assert rrs(r.authority) == {SOA}


@pytest.mark.parametrize("name", [
    "nx.example.com", "a.nx.example.com", "x.a.b.ent.example.com",
    "y.ent.wild.example.com",   # closest encloser ent.wild has no wildcard
    "nothere.www.example.com",
])
def test_nxdomain(core, tcp, name):
    r = q(core, name, "A", tcp)
    assert r.rcode() == NXDOMAIN and is_aa(r)
    assert not r.answer and not r.additional
    assert rrs(r.authority) == {SOA}


def test_negative_ttl_is_soa_minimum_when_smaller(core, tcp):
    # example.com: SOA TTL 3600, MINIMUM 300 (RFC 2308 3 and 5)
    assert soa_ttl(q(core, "nx.example.com", "A", tcp)) == 300
    assert soa_ttl(q(core, "www.example.com", "TXT", tcp)) == 300


def test_negative_ttl_is_soa_ttl_when_smaller(core, tcp):
    # other.test: SOA TTL 60, MINIMUM 900
    for name, qtype, rcode in [("nx.other.test", "A", NXDOMAIN), ("www.other.test", "MX", NOERROR),
                               ("bar.other.test", "A", NOERROR)]:
        r = q(core, name, qtype, tcp)
        assert r.rcode() == rcode
        assert soa_ttl(r) == 60
    # the SOA itself, asked for, keeps its own TTL
    r = q(core, "other.test", "SOA", tcp)
    assert r.answer[0].ttl == 60


# ------------------------------------------------------------- delegations

REFERRAL_SUB = {
    "authority": {"sub.example.com. 3600 IN NS ns.sub.example.com.",
                  "sub.example.com. 3600 IN NS ns1.example.com."},
    "glue": {"ns.sub.example.com. 3600 IN A 192.0.2.100",
             "ns.sub.example.com. 3600 IN AAAA 2001:db8::100"},
}


@pytest.mark.parametrize("name,qtype", [
    ("sub.example.com", "A"), ("sub.example.com", "NS"), ("sub.example.com", "SOA"),
    ("www.sub.example.com", "A"), ("a.b.c.sub.example.com", "MX"),
    ("ns.sub.example.com", "A"),        # the glue is not an answer
    ("occluded.sub.example.com", "A"),  # occluded data is not served
    ("sub.example.com", "ANY"),
])
def test_referral(core, tcp, name, qtype):
    r = q(core, name, qtype, tcp)
    assert r.rcode() == NOERROR
    assert not is_aa(r), "a referral is not authoritative (RFC 1034 4.3.2 3b)"
    assert not r.answer
    assert rrs(r.authority) == REFERRAL_SUB["authority"]
    assert REFERRAL_SUB["glue"] <= rrs(r.additional)
    assert "192.0.2.222" not in r.to_text()


def test_referral_without_glue(core, tcp):
    r = q(core, "host.nods.example.com", "A", tcp)
    assert r.rcode() == NOERROR and not is_aa(r) and not r.answer
    assert rrs(r.authority) == {"nods.example.com. 3600 IN NS ns.example.net."}
    assert not r.additional


def test_ds_at_cut_answered_from_parent(core, tcp):
    r = q(core, "sub.example.com", "DS", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert types_of(r.answer) == ["DS"] and r.answer[0][0].key_tag == 12345
    # below the cut, DS is a referral like any other type
    r = q(core, "x.sub.example.com", "DS", tcp)
    assert not is_aa(r) and rrs(r.authority) == REFERRAL_SUB["authority"]


def test_parent_and_child_served_at_once(core, tcp):
    # the child zone answers for its apex and below (most specific wins)
    r = q(core, "child.example.com", "SOA", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert r.answer[0][0].serial == 7
    r = q(core, "child.example.com", "NS", tcp)
    assert is_aa(r) and rrs(r.answer) == {"child.example.com. 600 IN NS ns.child.example.com."}
    r = q(core, "nx.child.example.com", "A", tcp)
    assert r.rcode() == NXDOMAIN and is_aa(r)
    assert r.authority[0].name == dns.name.from_text("child.example.com")
    # but DS at the child apex comes from the parent (RFC 4035 3.1.4.1)
    r = q(core, "child.example.com", "DS", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert types_of(r.answer) == ["DS"] and r.answer[0][0].key_tag == 54321


# --------------------------------------------------------------- wildcards

@pytest.mark.parametrize("name", ["zz.wild.example.com", "a.b.c.wild.example.com", "EXISTS2.wild.example.com"])
def test_wildcard_synthesis(core, tcp, name):
    r = q(core, name, "A", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    # the owner is the query name (RFC 4592 3.3.1)
    assert rrs(r.answer) == {f"{name.lower()}. 3600 IN A 192.0.2.99"}


def test_wildcard_nodata(core, tcp):
    r = q(core, "zz.wild.example.com", "AAAA", tcp)
    assert r.rcode() == NOERROR and is_aa(r) and not r.answer
    assert rrs(r.authority) == {SOA}


def test_wildcard_additional(core, tcp):
    r = q(core, "zz.wild.example.com", "MX", tcp)
    assert rrs(r.answer) == {"zz.wild.example.com. 3600 IN MX 10 mail.example.com."}
    assert rrs(r.additional) == {"mail.example.com. 3600 IN A 192.0.2.25",
                                 "mail.example.com. 3600 IN AAAA 2001:db8::25"}


def test_wildcard_blocked_by_existing_name(core, tcp):
    r = q(core, "exists.wild.example.com", "A", tcp)
    assert rrs(r.answer) == {"exists.wild.example.com. 3600 IN A 192.0.2.98"}
    r = q(core, "x.ent.wild.example.com", "A", tcp)
    assert rrs(r.answer) == {"x.ent.wild.example.com. 3600 IN A 192.0.2.97"}


def test_wildcard_name_itself(core, tcp):
    r = q(core, "*.wild.example.com", "TXT", tcp)
    assert rrs(r.answer) == {'*.wild.example.com. 3600 IN TXT "wildcard"'}


def test_wildcard_cname(core, tcp):
    r = q(core, "host.wcname.example.com", "A", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert rrs(r.answer) == {"host.wcname.example.com. 3600 IN CNAME www.example.com.",
                             "www.example.com. 3600 IN A 192.0.2.80"}


def test_wildcard_cname_loop(core, tcp):
    # *.wcloop CNAME a.wcloop: a.wcloop is again synthesized from the wildcard
    # the chain is q -> a -> a: each owner's CNAME once, as Knot and NSD give it
    r = q(core, "q.wcloop.example.com", "A", tcp, timeout=2.0)
    assert r.rcode() == NOERROR
    assert rrs(r.answer) == {"q.wcloop.example.com. 3600 IN CNAME a.wcloop.example.com.",
                             "a.wcloop.example.com. 3600 IN CNAME a.wcloop.example.com."}


def test_wildcard_rfc4592_examples(run_ternd, tcp):
    """The example zone of RFC 4592 2.2.1 and the answers of 2.2.1's list."""
    zone = """$ORIGIN example.
$TTL 3600
@ SOA ns1 hm 1 3600 600 86400 300
@ NS ns1
@ NS ns2
ns1 A 192.0.2.1
ns2 A 192.0.2.2
*  TXT "this is a wildcard"
*  MX 10 host1
host1 A 192.0.2.3
_ssh._tcp.host1 SRV 0 0 22 host1
_ssh._tcp.host2 SRV 0 0 22 host2
subdel NS ns.subdel
ns.subdel A 192.0.2.4
"""
    srv = run_ternd({"example": zone})
    want = {
        ("host3.example.", "MX"): (NOERROR, "MX 10 host1.example."),
        ("host3.example.", "A"): (NOERROR, None),          # NODATA from the wildcard
        ("foo.bar.example.", "TXT"): (NOERROR, 'TXT "this is a wildcard"'),
        ("host1.example.", "MX"): (NOERROR, None),         # exists: NODATA
        ("sub.*.example.", "MX"): (NXDOMAIN, None),        # below the wildcard: no match
        ("_telnet._tcp.host1.example.", "SRV"): (NXDOMAIN, None),  # _tcp.host1 is an ENT
        ("host.subdel.example.", "A"): ("referral", None),
        ("ghost.*.example.", "MX"): (NXDOMAIN, None),
    }
    for (name, qtype), (rcode, data) in want.items():
        r = srv.query(name, qtype, tcp=tcp)
        if rcode == "referral":
            assert not is_aa(r) and r.authority[0].rdtype == dns.rdatatype.NS, name
            continue
        assert r.rcode() == rcode, (name, r.to_text())
        if data:
            assert rrs(r.answer) == {f"{name} 3600 IN {data}"}, name
        else:
            assert not r.answer, (name, r.to_text())
            assert soa_ttl(r) == 300


# ------------------------------------------------------------------- DNAME

def test_dname_synthesis(core, tcp):
    r = q(core, "foo.bar.dn.example.com", "TXT", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert rrs(r.answer) == {
        "dn.example.com. 3600 IN DNAME other.test.",
        "foo.bar.dn.example.com. 3600 IN CNAME foo.bar.other.test.",  # TTL of the DNAME (RFC 6672 3.3)
        'foo.bar.other.test. 3600 IN TXT "under other"',
    }
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.DNAME, dns.rdatatype.CNAME, dns.rdatatype.TXT]


def test_dname_target_outside_data(core, tcp):
    r = q(core, "www.dnx.example.com", "A", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert rrs(r.answer) == {"dnx.example.com. 3600 IN DNAME example.net.",
                             "www.dnx.example.com. 3600 IN CNAME www.example.net."}


def test_dname_to_nxdomain(core, tcp):
    r = q(core, "nope.dn.example.com", "A", tcp)
    assert r.rcode() == NXDOMAIN and is_aa(r)
    assert types_of(r.answer) == ["CNAME", "DNAME"]
    assert r.authority[0].name == dns.name.from_text("other.test")


def test_dname_query_for_dname(core, tcp):
    r = q(core, "dn.example.com", "DNAME", tcp)
    assert rrs(r.answer) == {"dn.example.com. 3600 IN DNAME other.test."}


def test_dname_qtype_cname(core, tcp):
    r = q(core, "www.dn.example.com", "CNAME", tcp)
    assert rrs(r.answer) == {"dn.example.com. 3600 IN DNAME other.test.",
                             "www.dn.example.com. 3600 IN CNAME www.other.test."}


def test_dname_too_long_is_yxdomain(core, tcp):
    # 21 + 241 bytes > 255 (RFC 6672 2.2)
    r = q(core, "abcdefghijabcdefghij.dnlong.example.com", "A", tcp)
    assert r.rcode() == YXDOMAIN
    assert types_of(r.answer) == ["DNAME"]
    # a short enough name is synthesized (with EDNS: DNAME and CNAME carry
    # two long names, over 512 bytes where the CNAME target is not compressed)
    r = q(core, "abc.dnlong.example.com", "A", tcp, use_edns=0)
    assert r.rcode() == NOERROR and types_of(r.answer) == ["CNAME", "DNAME"]


# ------------------------------------------------------------- additional

def test_additional_for_mx(core, tcp):
    r = q(core, "example.com", "MX", tcp)
    assert rrs(r.answer) == {"example.com. 3600 IN MX 10 mail.example.com.",
                             "example.com. 3600 IN MX 20 mx.other.test."}
    assert {"mail.example.com. 3600 IN A 192.0.2.25",
            "mail.example.com. 3600 IN AAAA 2001:db8::25"} <= rrs(r.additional)


def test_additional_for_ns(core, tcp):
    r = q(core, "example.com", "NS", tcp)
    assert is_aa(r)
    assert rrs(r.answer) == {"example.com. 3600 IN NS ns1.example.com.",
                             "example.com. 3600 IN NS ns2.example.net."}
    assert rrs(r.additional) == {"ns1.example.com. 3600 IN A 192.0.2.53",
                                 "ns1.example.com. 3600 IN AAAA 2001:db8::53"}


def test_additional_for_srv(core, tcp):
    r = q(core, "_sip._udp.example.com", "SRV", tcp)
    assert rrs(r.answer) == {"_sip._udp.example.com. 3600 IN SRV 10 5 5060 sip.example.com."}
    assert rrs(r.additional) == {"sip.example.com. 3600 IN A 192.0.2.60"}


# --------------------------------------------------------------------- ANY

def test_any_udp_one_rrset_tcp_all(core):
    # docs/architecture.md "Documented choices": RFC 8482, UDP one RRset
    # (the lowest type number), TCP all of them
    r = q(core, "example.com", "ANY", False)
    assert r.rcode() == NOERROR and is_aa(r)
    assert types_of(r.answer) == ["A"]
    r = q(core, "example.com", "ANY", True)
    assert r.rcode() == NOERROR and is_aa(r)
    assert types_of(r.answer) == sorted(["A", "AAAA", "CAA", "MX", "NS", "SOA", "TXT"])


def test_any_on_ent_and_nxdomain(core, tcp):
    r = q(core, "ent.example.com", "ANY", tcp)
    assert r.rcode() == NOERROR and not r.answer and rrs(r.authority) == {SOA}
    r = q(core, "nx.example.com", "ANY", tcp)
    assert r.rcode() == NXDOMAIN and rrs(r.authority) == {SOA}


# ---------------------------------------------------------- other classes

@pytest.mark.parametrize("name", ["example.org", "com", ".", "example.co", "xexample.com"])
def test_refused_outside_zones(core, tcp, name):
    r = q(core, name, "A", tcp)
    assert r.rcode() == REFUSED and not is_aa(r)
    assert not r.answer and not r.authority


def test_refused_for_other_class(core, tcp):
    r = q(core, "www.example.com", "A", tcp, rdclass=dns.rdataclass.HS)
    assert r.rcode() == REFUSED and not r.answer


def test_rd_echoed_and_ra_clear(core, tcp):
    r = q(core, "www.example.com", "A", tcp)
    assert r.flags & dns.flags.RD and not r.flags & dns.flags.RA
    m = dns.message.make_query("www.example.com", "A")
    m.flags &= ~dns.flags.RD
    r = core.send(m, tcp=tcp)
    assert not r.flags & dns.flags.RD and r.id == m.id


def test_cname_into_delegation_stays_authoritative(core, tcp):
    # the CNAME is our authoritative data; the referral for its target goes
    # in authority (RFC 1034 4.3.2 step 3b), AA stays for the answer's owner
    r = q(core, "tosub.example.com", "A", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert rrs(r.answer) == {"tosub.example.com. 3600 IN CNAME www.sub.example.com."}
    assert rrs(r.authority) == REFERRAL_SUB["authority"]
    assert REFERRAL_SUB["glue"] <= rrs(r.additional)


def test_cname_to_wildcard_cname(core, tcp):
    r = q(core, "wcsub.example.com", "A", tcp)
    assert r.rcode() == NOERROR and is_aa(r)
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.CNAME] * 2 + [dns.rdatatype.A]
