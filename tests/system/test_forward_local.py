"""Local records (issue 3): single records (--local, local-data:), files of
zone-file lines (local-file:) and hosts files (hosts-file:) override exactly
their names; every other name, siblings and children included, is still
forwarded (like Unbound's transparent local zones); a local name without
the asked type gets NODATA; a local CNAME whose target is elsewhere is
completed through the cache and upstream. A reload re-reads them and keeps
the cache."""
import time

from fwd_helpers import NOERROR, NXDOMAIN, chain, fwd, is_ra, query, rdatas  # noqa: F401
from conftest import zone_text

WWW = ["192.0.2.1", "192.0.2.2"]


def test_local_cname_completed_through_upstream(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["alias.example.com. CNAME www.up.test."])
    r = query(srv, "alias.example.com")
    assert r.rcode() == NOERROR and is_ra(r), r.to_text()
    assert chain(r) == [("alias.example.com.", "CNAME"), ("www.up.test.", "A")]
    assert rdatas(r, "alias.example.com", "CNAME") == ["www.up.test."]
    assert rdatas(r, "www.up.test", "A") == WWW
    assert up.count("alias.example.com") == 0 and up.count("www.up.test", "A") == 1
    # again: the target from the cache
    r = query(srv, "alias.example.com")
    assert chain(r) == [("alias.example.com.", "CNAME"), ("www.up.test.", "A")]
    assert up.count("www.up.test", "A") == 1
    # AAAA through the same alias
    r = query(srv, "alias.example.com", "AAAA")
    assert chain(r) == [("alias.example.com.", "CNAME"), ("www.up.test.", "AAAA")]
    assert rdatas(r, "www.up.test", "AAAA") == ["2001:db8::1"]


def test_local_cname_to_upstream_chain(fwd):  # noqa: F811
    """The local CNAME's target is itself a CNAME chain upstream."""
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["alias.lan. CNAME c1.up.test."])
    r = query(srv, "alias.lan")
    assert chain(r) == [("alias.lan.", "CNAME"), ("c1.up.test.", "CNAME"), ("c2.up.test.", "CNAME"),
                        ("www.up.test.", "A")]
    assert rdatas(r, "www.up.test", "A") == WWW


def test_local_cname_to_nxdomain_target(fwd):  # noqa: F811
    """RFC 6604: the rcode is that of the last name in the chain."""
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["alias.lan. CNAME nx.up.test."])
    r = query(srv, "alias.lan")
    assert r.rcode() == NXDOMAIN, r.to_text()
    assert chain(r) == [("alias.lan.", "CNAME")]


def test_local_cname_asked_for_itself(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["alias.example.com. CNAME www.up.test."])
    r = query(srv, "alias.example.com", "CNAME")
    assert r.rcode() == NOERROR and chain(r) == [("alias.example.com.", "CNAME")]
    assert up.count() == 0


def test_siblings_parent_and_children_forwarded(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["alias.up.test. CNAME www.up.test.", "printer.up.test. A 192.0.2.9"])
    assert rdatas(query(srv, "printer.up.test")) == ["192.0.2.9"]
    assert rdatas(query(srv, "www.up.test")) == WWW
    assert query(srv, "up.test", "MX").answer
    assert query(srv, "sub.printer.up.test").rcode() == NXDOMAIN
    assert query(srv, "other.up.test").rcode() == NXDOMAIN
    assert up.count("www.up.test") == 1 and up.count("up.test") == 1
    assert up.count("sub.printer.up.test") == 1 and up.count("other.up.test") == 1
    assert up.count("printer.up.test") == 0


def test_local_name_other_type_nodata(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["printer.lan. A 192.0.2.9"])
    r = query(srv, "printer.lan")
    assert r.rcode() == NOERROR and rdatas(r) == ["192.0.2.9"] and is_ra(r)
    for qtype in ("AAAA", "MX", "TXT"):
        r = query(srv, "printer.lan", qtype)
        assert r.rcode() == NOERROR and not r.answer, (qtype, r.to_text())
    assert up.count() == 0


def test_local_data_overrides_upstream(fwd):  # noqa: F811
    """A local record for a name the upstream also has: only the local data,
    and NODATA for its other types (the upstream is not asked)."""
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["www.up.test. A 192.0.2.99"])
    assert rdatas(query(srv, "www.up.test")) == ["192.0.2.99"]
    r = query(srv, "www.up.test", "AAAA")
    assert r.rcode() == NOERROR and not r.answer
    assert up.count() == 0


def test_local_chain_entirely_local_and_into_a_zone(fwd):  # noqa: F811
    up = fwd.upstream()
    srv = fwd.ternd([up], local=["a.lan. CNAME b.lan.", "b.lan. A 192.0.2.10", "z.lan. CNAME www.example.com."],
                    zones={"example.com": zone_text("example.com")})
    r = query(srv, "a.lan")
    assert chain(r) == [("a.lan.", "CNAME"), ("b.lan.", "A")] and rdatas(r, "b.lan") == ["192.0.2.10"]
    r = query(srv, "z.lan")
    assert chain(r) == [("z.lan.", "CNAME"), ("www.example.com.", "A")]
    assert rdatas(r, "www.example.com") == ["192.0.2.80"]
    assert up.count() == 0


def test_local_data_and_local_file_in_config(fwd, tmp_path):  # noqa: F811
    lf = tmp_path / "aliases.txt"
    lf.write_text("; zone-file lines\nnas.lan. 300 IN A 192.0.2.20\nnas.lan. 300 IN TXT \"storage\"\n"
                  "files.lan. IN CNAME nas.lan.\n")
    up = fwd.upstream()
    srv = fwd.ternd([up], config=['local-data: "printer.lan. A 192.0.2.9"',
                                  'local-data: "alias.lan. CNAME www.up.test."',
                                  f"local-file: {lf}"])
    assert rdatas(query(srv, "printer.lan")) == ["192.0.2.9"]
    assert rdatas(query(srv, "nas.lan")) == ["192.0.2.20"]
    assert rdatas(query(srv, "nas.lan", "TXT")) == ['"storage"']
    r = query(srv, "files.lan")
    assert chain(r) == [("files.lan.", "CNAME"), ("nas.lan.", "A")]
    r = query(srv, "alias.lan")
    assert chain(r) == [("alias.lan.", "CNAME"), ("www.up.test.", "A")]
    assert up.count() == 1


def test_hosts_file(fwd, tmp_path):  # noqa: F811
    hosts = tmp_path / "hosts"
    hosts.write_text("# a hosts file\n"
                     "192.0.2.7\tprinter.lan printer-alias.lan\n"
                     "2001:db8::7 printer.lan   # trailing comment\n"
                     "\n"
                     "192.0.2.8 nas.lan\n")
    up = fwd.upstream()
    srv = fwd.ternd([up], config=[f"hosts-file: {hosts}"])
    assert rdatas(query(srv, "printer.lan")) == ["192.0.2.7"]
    assert rdatas(query(srv, "printer.lan", "AAAA")) == ["2001:db8::7"]
    assert rdatas(query(srv, "printer-alias.lan")) == ["192.0.2.7"]
    assert rdatas(query(srv, "PRINTER.LAN")) == ["192.0.2.7"]
    assert rdatas(query(srv, "nas.lan")) == ["192.0.2.8"]
    r = query(srv, "nas.lan", "AAAA")
    assert r.rcode() == NOERROR and not r.answer
    assert up.count() == 0
    assert rdatas(query(srv, "www.up.test")) == WWW and up.count() == 1


def test_reload_rereads_local_records_and_keeps_cache(fwd):  # noqa: F811
    """SIGHUP: local-data is read again; the cache survives
    (docs/configuration.md)."""
    up = fwd.upstream()
    srv = fwd.ternd([up], config=['local-data: "printer.lan. A 192.0.2.9"'])
    assert rdatas(query(srv, "printer.lan")) == ["192.0.2.9"]
    assert rdatas(query(srv, "www.up.test")) == WWW
    conf = srv.workdir + "/ternd.conf"
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("192.0.2.9", "192.0.2.19"))
    srv.reload()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and rdatas(query(srv, "printer.lan")) != ["192.0.2.19"]:
        time.sleep(0.05)
    assert rdatas(query(srv, "printer.lan")) == ["192.0.2.19"]
    assert rdatas(query(srv, "www.up.test")) == WWW
    assert up.count() == 1, "the cache survived the reload"


def test_local_data_refuses_directives(tmp_path):
    """A local-data line is one record: '$INCLUDE any-file' would read
    outside the configured paths (issue 6), so it is refused, naming it."""
    import subprocess
    from ternd import binary
    for line in ["$INCLUDE /etc/hostname", "  $ORIGIN example.", "a.lan. A 192.0.2.1\nb.lan. A 192.0.2.2"]:
        r = subprocess.run([binary(), "--check", "--forward", "none", "--local", line],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode != 0 and "no directives" in r.stderr, (line, r.stderr)
    r = subprocess.run([binary(), "--check", "--forward", "none", "--local", "a.lan. A 192.0.2.1"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
