"""DNSSEC validation in ternd (issue 14 item 2).

A signed test hierarchy on loopback, made here with dnssec-keygen and
dnssec-signzone (ECDSA P-256, Ed25519 and RSASHA256): a root "." and a TLD
"tld." each on its own knotd, and the TLD's children on a third:
  sec.tld.      signed, DS in tld. (NSEC; a wildcard, a CNAME)
  n3.tld.       signed with NSEC3, DS in tld.
  ed.tld.       signed with Ed25519, rsa.tld. with RSASHA256, DS in tld.
  insec.tld.    unsigned, no DS (an insecure delegation, proven by NSEC)
  bogus.tld.    signed, DS in tld., the signature of www broken
  expired.tld.  signed, DS in tld., every signature expired
ternd forwards "." to the root's server and each zone to its own (a DS
question goes to the parent's), with the root's KSK DS as trust anchor, and
judges everything itself (the servers are authoritative only)."""
import os
import re
import shutil
import subprocess

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from fwd_helpers import fwd  # noqa: F401
from peers import start_knot

NOERROR, NXDOMAIN, SERVFAIL = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL

CHILDREN = {
    "sec.tld": ("ECDSAP256SHA256", [], """
www     IN A 192.0.2.1
www     IN TXT "secure text"
*.wild  IN A 192.0.2.9
alias   IN CNAME www
"""),
    "n3.tld": ("ECDSAP256SHA256", ["-3", "-"], """
www     IN A 192.0.2.3
a.b.c   IN A 192.0.2.33
"""),
    "ed.tld": ("ED25519", [], "www IN A 192.0.2.15\n"),
    "rsa.tld": ("RSASHA256", [], "www IN A 192.0.2.8\n"),
    "insec.tld": (None, [], "www IN A 192.0.2.2\n"),
    "bogus.tld": ("ECDSAP256SHA256", [], "www IN A 192.0.2.66\nok IN A 192.0.2.67\n"),
    "expired.tld": ("ECDSAP256SHA256", ["-P", "-s", "20200101000000", "-e", "20200201000000"],
                    "www IN A 192.0.2.77\n"),
}


def head(origin):
    return (f"$ORIGIN {origin}\n$TTL 300\n"
            f"@ IN SOA ns.{origin} host.{origin} 1 3600 600 86400 60\n@ IN NS ns.{origin}\n"
            f"ns.{origin} IN A 127.0.0.1\n")


def sign(d, origin, alg, extra, body):
    """Signs origin's zone text in d; returns (signed text, DS lines)."""
    name = origin.rstrip(".") or "."
    f = d / (name.replace(".", "_") or "root")
    f.write_text(body)
    run = dict(cwd=d, check=True, capture_output=True)
    bits = ["-b", "2048"] if alg == "RSASHA256" else []
    subprocess.run(["dnssec-keygen", "-q", "-K", ".", "-a", alg, *bits, "-f", "KSK", "-n", "ZONE", name], **run)
    subprocess.run(["dnssec-keygen", "-q", "-K", ".", "-a", alg, *bits, "-n", "ZONE", name], **run)
    signed = str(f) + ".signed"
    subprocess.run(["dnssec-signzone", "-q", "-K", ".", "-S", "-O", "full", *extra, "-d", ".", "-o", name, "-f", signed,
                    str(f)], **run)
    ds = (d / ("dsset-." if name == "." else f"dsset-{name}.")).read_text()
    return open(signed).read(), ds


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory):
    for t in ("dnssec-keygen", "dnssec-signzone", "knotd"):
        if shutil.which(t) is None:
            pytest.skip(f"{t} not installed")
    d = tmp_path_factory.mktemp("signed")
    zones, dsets = {}, []
    for child, (alg, extra, body) in CHILDREN.items():
        text = head(child + ".") + body
        if alg is None:
            zones[child] = text
            continue
        signed, ds = sign(d, child + ".", alg, extra, text)
        if child == "bogus.tld":  # break the signature of www's A RRset
            lines = signed.splitlines()
            for i, line in enumerate(lines):
                if re.match(r"^www\.bogus\.tld\.\s+\d+\s+IN\s+RRSIG\s+A ", line):
                    lines[i] = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
                    break
            else:
                raise AssertionError("no RRSIG for www.bogus.tld")
            signed = "\n".join(lines) + "\n"
        zones[child] = signed
        dsets.append(ds)
    tld = head("tld.")
    for child in CHILDREN:
        tld += f"{child}. IN NS ns.{child}.\nns.{child}. IN A 127.0.0.1\n"
    tld += "".join(dsets)
    zones["tld"], tld_ds = sign(d, "tld.", "ECDSAP256SHA256", [], tld)
    root = ("$TTL 300\n. IN SOA ns.tld. host.tld. 1 3600 600 86400 60\n. IN NS ns.tld.\n"
            "tld. IN NS ns.tld.\nns.tld. IN A 127.0.0.1\n" + tld_ds)
    zones["."], root_ds = sign(d, ".", "ECDSAP256SHA256", [], root)
    anchor = d / "root.ds"
    anchor.write_text(root_ds)
    return zones, anchor, root_ds


@pytest.fixture
def servers(hierarchy, tmp_path):
    zones, anchor, root_ds = hierarchy
    peers = []
    peers.append(_knot(tmp_path / "k-root", {".": zones["."]}))
    peers.append(_knot(tmp_path / "k-tld", {"tld": zones["tld"]}))
    peers.append(_knot(tmp_path / "k-kids", {c: zones[c] for c in CHILDREN}))
    yield peers, anchor, root_ds
    for p in peers:
        p.stop()


def _knot(work, zones):
    """knotd serving zones (start_knot names a zone by its file, which the
    root cannot be)."""
    os.makedirs(work, exist_ok=True)
    return _knot_root(work, zones["."]) if "." in zones else start_knot(work, zones)


def _knot_root(work, text):
    """start_knot names zones by their file; the root needs its own config."""
    import peers as P
    port = P.free_port()
    zf = os.path.join(str(work), "root.zone")
    with open(zf, "w") as f:
        f.write(text)
    conf = os.path.join(str(work), "knot.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "server:", f'    rundir: "{work}"', f'    listen: "127.0.0.1@{port}"', "    user: root:root",
            "    background-workers: 1", "    udp-workers: 1", "    tcp-workers: 1",
            "log:", "  - target: stderr", "    any: info",
            "database:", f'    storage: "{work}"',
            "template:", "  - id: default", f'    storage: "{work}"', "    zonefile-sync: -1",
            "    zonefile-load: whole", "    journal-content: none",
            "zone:", '  - domain: "."', f'    file: "{zf}"', ""]))
    return P._start("knot", ["knotd", "-c", conf], str(work), "127.0.0.1", port, ".")


def start(fwd, servers, extra=(), anchor_line=True):  # noqa: F811
    peers, anchor, root_ds = servers
    root, tld, kids = peers
    conf = [f'trust-anchor-file: "{anchor}"'] if anchor_line else []
    conf += list(extra)
    fz = [("tld", f"127.0.0.1:{tld.port}")] + [(c, f"127.0.0.1:{kids.port}") for c in CHILDREN]
    return fwd.ternd([f"127.0.0.1:{root.port}"], forward_zones=fz, config=conf, args=["-v"])


def ask(srv, name, qtype="A", do=True, cd=False, ad=False, tcp=False):
    q = dns.message.make_query(name, qtype, want_dnssec=do, use_edns=0)
    if cd:
        q.flags |= dns.flags.CD
    if ad:
        q.flags |= dns.flags.AD
    if tcp:
        return dns.query.tcp(q, srv.host, port=srv.port, timeout=10)
    return dns.query.udp(q, srv.host, port=srv.port, timeout=10)


def ede(r):
    return [(o.code, o.text) for o in r.options if o.otype == dns.edns.EDE]


def ad(r):
    return bool(r.flags & dns.flags.AD)


def test_secure_answers_get_ad(fwd, servers):  # noqa: F811
    srv = start(fwd, servers)
    for rnd in ("upstream", "cache"):
        for name, qtype in (("www.sec.tld", "A"), ("www.sec.tld", "TXT"), ("alias.sec.tld", "A"),
                            ("x.wild.sec.tld", "A"), ("www.n3.tld", "A"), ("a.b.c.n3.tld", "A"),
                            ("www.ed.tld", "A"), ("www.rsa.tld", "A"), ("sec.tld", "DNSKEY"), ("tld", "SOA")):
            r = ask(srv, name, qtype)
            assert r.rcode() == NOERROR and r.answer and ad(r), (rnd, name, qtype, r.to_text(), srv.log_text()[-3000:])
    # AD for a client that set AD without DO (RFC 6840 5.7); none for a plain client
    assert ad(ask(srv, "www.sec.tld", do=False, ad=True))
    assert not ad(ask(srv, "www.sec.tld", do=False))


def test_secure_denials_get_ad(fwd, servers):  # noqa: F811
    srv = start(fwd, servers)
    for rnd in ("upstream", "cache"):
        for name, qtype, rcode in (("nope.sec.tld", "A", NXDOMAIN), ("www.sec.tld", "AAAA", NOERROR),
                                   ("nope.n3.tld", "A", NXDOMAIN), ("www.n3.tld", "AAAA", NOERROR),
                                   ("b.c.n3.tld", "A", NOERROR), ("nope.tld", "A", NXDOMAIN)):
            r = ask(srv, name, qtype)
            assert r.rcode() == rcode and not r.answer and ad(r), (rnd, name, r.to_text(), srv.log_text()[-3000:])


def test_insecure_delegation_no_ad(fwd, servers):  # noqa: F811
    srv = start(fwd, servers)
    for _ in range(2):
        r = ask(srv, "www.insec.tld")
        assert r.rcode() == NOERROR and r.answer and not ad(r), r.to_text()
        r = ask(srv, "nope.insec.tld")
        assert r.rcode() == NXDOMAIN and not ad(r), r.to_text()


def test_bogus_and_expired_servfail_with_ede6(fwd, servers):  # noqa: F811
    srv = start(fwd, servers)
    texts = {}
    for rnd in ("upstream", "cache"):
        for name in ("www.bogus.tld", "www.expired.tld"):
            r = ask(srv, name)
            assert r.rcode() == SERVFAIL and not r.answer, (rnd, name, r.to_text())
            codes = ede(r)
            assert codes and codes[0][0] == 6, (rnd, name, codes)
            texts.setdefault(name, codes[0][1])
    # another name of the bogus zone, correctly signed, is secure
    assert ad(ask(srv, "ok.bogus.tld"))
    # the reason is in the debug log and the EDE text
    assert re.search(r"www\.bogus\.tld\. A .*DNSSEC bogus: signature does not verify: RRSIG does not validate "
                     r"at www\.bogus\.tld\.", srv.log_text()), srv.log_text()[-2000:]
    assert re.search(r"DNSSEC bogus: .*signature expired", srv.log_text()), srv.log_text()[-2000:]
    assert "signature expired" in texts["www.expired.tld"], texts
    assert "signature does not verify" in texts["www.bogus.tld"], texts


def test_cd_gets_the_bogus_data_without_ad(fwd, servers):  # noqa: F811
    srv = start(fwd, servers)
    for _ in range(2):
        r = ask(srv, "www.bogus.tld", cd=True)
        assert r.rcode() == NOERROR and not ad(r), r.to_text()
        assert [rr.to_text() for rrs in r.answer if rrs.rdtype == dns.rdatatype.A for rr in rrs] == ["192.0.2.66"]
        assert any(rrs.rdtype == dns.rdatatype.RRSIG for rrs in r.answer)
    # and a CD=0 client still gets SERVFAIL from the same cache
    assert ask(srv, "www.bogus.tld").rcode() == SERVFAIL


def test_do0_clients_get_no_rrsig_but_ad_when_asked(fwd, servers):  # noqa: F811
    srv = start(fwd, servers)
    r = ask(srv, "www.sec.tld", do=False, ad=True)
    assert r.rcode() == NOERROR and ad(r)
    assert all(rrs.rdtype != dns.rdatatype.RRSIG for rrs in r.answer + r.authority), r.to_text()


def test_domain_insecure_is_a_negative_trust_anchor(fwd, servers):  # noqa: F811
    srv = start(fwd, servers, extra=["domain-insecure: bogus.tld"])
    r = ask(srv, "www.bogus.tld")
    assert r.rcode() == NOERROR and not ad(r), r.to_text()
    assert ad(ask(srv, "www.sec.tld"))


def test_reload_judges_again(fwd, servers):  # noqa: F811
    """SIGHUP with a new domain-insecure: the cached verdicts are forgotten."""
    import time
    srv = start(fwd, servers)
    assert ask(srv, "www.bogus.tld").rcode() == SERVFAIL
    conf = srv.workdir + "/ternd.conf"
    with open(conf, "a") as f:
        f.write("    domain-insecure: bogus.tld\n")
    srv.reload()
    for _ in range(50):
        r = ask(srv, "www.bogus.tld")
        if r.rcode() == NOERROR:
            break
        time.sleep(0.1)
    assert r.rcode() == NOERROR and not ad(r), r.to_text()


def test_validation_off(fwd, servers):  # noqa: F811
    srv = start(fwd, servers, extra=["dnssec-validation: no"])
    r = ask(srv, "www.bogus.tld")
    assert r.rcode() == NOERROR and not ad(r)
    assert not ad(ask(srv, "www.sec.tld"))


def test_trust_anchor_inline_and_wrong_anchor(fwd, servers):  # noqa: F811
    peers, anchor, root_ds = servers
    line = next(x for x in root_ds.splitlines() if " DS " in x)
    srv = start(fwd, servers, extra=[f'trust-anchor: "{" ".join(line.split())}"'], anchor_line=False)
    assert ad(ask(srv, "www.sec.tld"))
    # an anchor that matches no key: everything under it is bogus
    f = line.split()
    f[-1] = "00" * (len(f[-1]) // 2)
    srv2 = start(fwd, servers, extra=[f'trust-anchor: "{" ".join(f)}"'], anchor_line=False)
    r = ask(srv2, "www.sec.tld")
    assert r.rcode() == SERVFAIL and ede(r)[0][0] == 6, r.to_text()


def test_validator_behind_ternd(fwd, servers):  # noqa: F811
    """delv with the test root's key as its anchor, through ternd: every
    signed answer ternd passes on validates (item 1's proof)."""
    if shutil.which("delv") is None:
        pytest.skip("delv not installed")
    peers, anchor, root_ds = servers
    srv = start(fwd, servers)
    line = next(x for x in root_ds.splitlines() if " DS " in x).split()
    i = line.index("DS")
    anchors = fwd.tmp / "anchors.conf"
    anchors.write_text('trust-anchors { . static-ds %s %s %s "%s"; };\n' % (line[i + 1], line[i + 2], line[i + 3],
                                                                            "".join(line[i + 4:])))
    for name, qtype in (("www.sec.tld", "A"), ("x.wild.sec.tld", "A"), ("nope.sec.tld", "A"),
                        ("www.n3.tld", "A"), ("nope.n3.tld", "A"), ("www.insec.tld", "A")):
        out = subprocess.run(["delv", "@" + srv.host, "-p", str(srv.port), "-a", str(anchors), "+root=.",
                              name, qtype], capture_output=True, text=True, timeout=30)
        text = out.stdout + out.stderr
        want = "unsigned answer" if "insec" in name else "fully validated"
        assert want in text, (name, text)


def test_bad_trust_anchor_config_names_the_line(tmp_path):
    from ternd import binary
    conf = tmp_path / "t.conf"
    conf.write_text('server:\n    trust-anchor: "example. A 192.0.2.1"\n    dnssec-validation: maybe\n')
    r = subprocess.run([binary(), "--check", "--config", str(conf)], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    assert f"{conf}:2" in r.stderr + r.stdout and f"{conf}:3" in r.stderr + r.stdout, r.stderr + r.stdout
    conf.write_text('server:\n    trust-anchor-file: "missing.key"\n')
    r = subprocess.run([binary(), "--check", "--config", str(conf)], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and f"{conf}:2: trust-anchor-file" in r.stderr + r.stdout, r.stderr + r.stdout
    # the default root anchor (dns-root-data) with dnssec-validation: yes
    if os.path.exists("/usr/share/dns/root.key"):
        conf.write_text("server:\n    dnssec-validation: yes\n")
        r = subprocess.run([binary(), "--check", "--config", str(conf)], capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, r.stderr + r.stdout
