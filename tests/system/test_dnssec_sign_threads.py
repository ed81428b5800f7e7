"""A zone signed whole by several threads (`dnssec-signing-threads`,
dnssec/sign.h): a zone of some 3,000 names (delegations with glue and
occluded names, empty non-terminals, wildcards) signed by 2 threads, the
count given in the zone or as the server's default, passes dnssec-verify,
ldns-verify-zone and kzonecheck --dnssec on, and ternd's own --check
--dnssec; it holds the same records as the zone signed by 1 thread (but for
the signatures' times and bytes, and the serial). A value out of 1..64 is a
configuration error naming file:line."""
import re
import subprocess

import pytest

from conftest import stop_clean
from ternd import binary, start_ternd

ORIGIN = "par.test."
GROUPS = 1000


def zone_text():
    lines = ["$ORIGIN par.test.", "$TTL 300", "@ SOA ns hm 1 3600 600 86400 60", "@ NS ns", "ns A 192.0.2.1"]
    for i in range(GROUPS):
        k = i % 5
        if k == 0:
            lines.append(f"n{i:04} A 192.0.2.1")
        elif k == 1:  # a delegation, its glue, a name it occludes
            lines += [f"n{i:04} NS ns.n{i:04}", f"ns.n{i:04} A 192.0.2.2", f"x.y.n{i:04} TXT \"o\""]
        elif k == 2:  # two empty non-terminals
            lines.append(f"a.b.n{i:04} A 192.0.2.3")
        elif k == 3:
            lines.append(f"*.n{i:04} TXT \"w\"")
        else:
            lines += [f"n{i:04} MX 10 n{i:04}", f"n{i:04} AAAA 2001:db8::1"]
    return "\n".join(lines) + "\n"


def write_conf(work, alg, denial, threads, where="zone"):
    (work / "par.zone").write_text(zone_text())
    (work / "keys").mkdir(exist_ok=True)
    lines = []
    if where == "server":
        lines += ["server:", f"    dnssec-signing-threads: {threads}"]
    lines += ["zone:", f"    name: {ORIGIN}", "    file: par.zone", "    dnssec-signing: on",
              f"    dnssec-algorithm: {alg}", f"    dnssec-denial: {denial}", "    key-directory: keys",
              "    dnssec-signed-file: par.signed"]
    if where == "zone":
        lines.append(f"    dnssec-signing-threads: {threads}")
    conf = work / "ternd.conf"
    conf.write_text("\n".join(lines) + "\n")
    return str(conf)


def sign_once(work, conf):
    """Starts ternd until it serves the signed zone; returns its log."""
    srv = start_ternd(work, None, args=["--config", conf], probe=ORIGIN)
    try:
        return srv.log_text()
    finally:
        stop_clean(srv)


def records(path):
    """The signed file's records, sorted (a DNSKEY RRset's order follows
    the key files), RRSIGs without their times and signature, the SOA
    without its serial."""
    out = []
    for line in open(path):
        f = line.split()
        if not f or f[0].startswith(";"):
            continue
        if f[3] == "RRSIG":
            f = f[:8] + f[10:12]  # covered alg labels ttl; key tag, signer
        elif f[3] == "SOA":
            del f[6]
        out.append(" ".join(f))
    return sorted(out)


@pytest.mark.parametrize("alg,denial,where", [("ed25519", "nsec", "zone"), ("ecdsap256sha256", "nsec3", "server")])
def test_signed_by_two_threads_validates(tmp_path, alg, denial, where):
    conf = write_conf(tmp_path, alg, denial, 2, where)
    log = sign_once(tmp_path, conf)
    assert re.search(r"zone par\.test\.?: signed \([A-Z0-9]+, NSEC3?, 2 thread\(s\)\)", log), log
    path = str(tmp_path / "par.signed")
    two = records(path)
    assert len(two) > 4000 and sum(" NSEC3 " in r or " NSEC " in r for r in two) > 1000
    for argv in (["dnssec-verify", "-q", "-o", ORIGIN, path], ["ldns-verify-zone", path],
                 ["kzonecheck", "-o", ORIGIN, "--dnssec", "on", path]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"{argv[0]}: {p.stdout}{p.stderr}"
    p = subprocess.run([binary(), "--check", "--dnssec", "--config", conf], capture_output=True, text=True,
                       timeout=120, cwd=str(tmp_path))
    warnings = [w for w in (p.stdout + p.stderr).splitlines() if "warning" in w and "occluded by the" not in w]
    assert p.returncode == 0 and not warnings, p.stdout + p.stderr  # (the file's occluded TXTs aside)
    # the same keys, one thread: the same records
    conf = write_conf(tmp_path, alg, denial, 1, where)
    log = sign_once(tmp_path, conf)
    assert "1 thread(s)" in log, log
    assert records(path) == two


@pytest.mark.parametrize("where,value", [("zone", "0"), ("zone", "65"), ("server", "two"), ("server", "-1"),
                                         ("zone", "2x")])
def test_bad_thread_count_is_a_config_error(tmp_path, where, value):
    conf = write_conf(tmp_path, "ed25519", "nsec", value, where)
    line = next(i for i, l in enumerate(open(conf), 1) if "dnssec-signing-threads" in l)
    p = subprocess.run([binary(), "--check", "--config", conf], capture_output=True, text=True, timeout=60,
                       cwd=str(tmp_path))
    out = p.stdout + p.stderr
    assert p.returncode != 0 and f"{conf}:{line}: dnssec-signing-threads must be 1..64, got '{value}'" in out, out
