"""dnssec_zones.py: a rich test zone, signed at test time by BIND's
dnssec-signzone or ldns-signzone, with NSEC or NSEC3 (opt-out too), and the
query set that covers every DNSSEC answer case (issue 12).

    z = sign_all(workdir, "bind-nsec3")   # {origin: signed text}, anchors
    z.zones["sec.test."], z.ds_anchor, z.key_anchor

The parent zone sec.test. has wildcards, empty non-terminals, CNAME and
DNAME chains, a secure delegation (signed.sec.test., whose DS is in the
parent) and insecure ones (plain.sec.test. served unsigned beside it, and
some pointing elsewhere: opt-out spans with NSEC3 -A / -p).
"""
import glob
import os
import subprocess

ORIGIN = "sec.test."
SIGNED = "signed.sec.test."
PLAIN = "plain.sec.test."

PARENT = """$TTL 3600
@ IN SOA ns1.sec.test. hostmaster.sec.test. 2026120601 7200 3600 1209600 300
@ NS ns1
@ NS ns2
@ MX 10 mail
@ A 192.0.2.1
@ TXT "apex"
ns1 A 192.0.2.53
ns2 A 192.0.2.54
mail A 192.0.2.25
mail AAAA 2001:db8::25
www A 192.0.2.80
www AAAA 2001:db8::80
txt TXT "hello world"
big TXT "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
mxbig MX 10 mail
mxbig MX 20 www
mxbig MX 30 ns1
mxbig MX 40 ns2
_sip._udp SRV 0 5 5060 www
*.wild A 192.0.2.99
*.wild TXT "wildcard"
exists.wild A 192.0.2.98
*.wcname CNAME www
a.b.ent A 192.0.2.10
deep.x.y.z TXT "deep"
alias CNAME www
chain1 CNAME chain2
chain2 CNAME alias
dangling CNAME nothere
towild CNAME host.wild
tonx CNAME nx.target
dn DNAME target
x.target A 192.0.2.77
signed NS ns.signed
ns.signed A 192.0.2.60
plain NS ns.plain
ns.plain A 192.0.2.61
away NS ns.elsewhere.example.
sec2 NS ns.elsewhere.example.
away2 NS ns.elsewhere.example.
below.ent2 NS ns.elsewhere.example.
"""

CHILD_SIGNED = """$TTL 3600
@ IN SOA ns.signed.sec.test. hostmaster.sec.test. 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.60
www A 192.0.2.62
"""

CHILD_PLAIN = """$TTL 3600
@ IN SOA ns.plain.sec.test. hostmaster.sec.test. 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.61
www A 192.0.2.63
"""

VARIANTS = ["bind-nsec", "bind-nsec3", "bind-nsec3-optout", "ldns-nsec", "ldns-nsec3-optout"]

# (name relative to sec.test. or absolute with a trailing dot, type): every
# case of RFC 4035 3.1 / RFC 5155 7.2 the parent zone has.
QUERIES = [
    ("@", "SOA"), ("@", "NS"), ("@", "DNSKEY"), ("@", "MX"), ("@", "A"), ("@", "TXT"),
    ("www", "A"), ("www", "AAAA"), ("txt", "TXT"), ("big", "TXT"), ("mxbig", "MX"), ("_sip._udp", "SRV"), ("mail", "AAAA"),
    # NODATA, at names and empty non-terminals
    ("www", "TXT"), ("@", "SRV"), ("ent", "A"), ("b.ent", "TXT"), ("y.z", "A"), ("z", "TXT"),
    ("exists.wild", "TXT"), ("wild", "A"),
    # NXDOMAIN, below names and ENTs
    ("nx", "A"), ("a.nx", "AAAA"), ("x.a.b.ent", "A"), ("nothere.www", "A"), ("q.z", "A"),
    ("zzzz", "TXT"), ("0", "A"),
    # wildcards: answer, NODATA, CNAME from a wildcard
    ("zz.wild", "A"), ("zz.wild", "TXT"), ("a.b.c.wild", "A"), ("zz.wild", "MX"), ("exists.wild", "A"),
    ("host.wcname", "A"), ("host.wcname", "CNAME"),
    # CNAME and DNAME chains
    ("alias", "A"), ("alias", "CNAME"), ("chain1", "AAAA"), ("dangling", "A"), ("towild", "A"),
    ("tonx", "A"), ("x.dn", "A"), ("y.dn", "A"), ("dn", "DNAME"),
    # delegations: secure, insecure, opt-out, below an ENT; DS from the parent
    ("signed", "DS"), ("plain", "DS"), ("away", "DS"), ("away2", "DS"), ("below.ent2", "DS"),
    ("ent2", "A"),
    # RRSIG and NSEC types
    ("www", "RRSIG"), ("nx", "NSEC3"), ("www", "NSEC"), ("www", "ANY"), ("zz.wild", "ANY"), ("ent", "ANY"),
]

# referrals: only against the parent alone (a validator would follow them)
REFERRALS = [("www.sec2", "A"), ("sec2", "NS"), ("sec2", "DS"), ("www.away", "A"), ("x.below.ent2", "A"),
             ("away2", "A")]

# big answers: sent with a 512-byte payload too (truncation, RFC 4035 3.1.1)
BIG = [("big", "TXT"), ("mxbig", "MX"), ("@", "DNSKEY"), ("nx", "A"), ("zz.wild", "TXT"), ("@", "MX"),
       ("x.a.b.ent", "A"), ("www.sec2", "A")]

# what a validator asks beyond QUERIES: the child zones' own names
CHILD_QUERIES = [("www.signed", "A"), ("signed", "DNSKEY"), ("nx.signed", "A"), ("www.plain", "A"),
                 ("nx.plain", "A")]


def absname(rel):
    if rel.endswith("."):
        return rel
    return ORIGIN if rel == "@" else rel + "." + ORIGIN


def _run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)
    if p.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed: {p.stderr}{p.stdout}")
    return p.stdout


class Signed:
    def __init__(self):
        self.zones = {}       # origin -> signed (or plain) text
        self.files = {}       # origin -> path
        self.key_anchor = ""  # the KSK DNSKEY of sec.test., as zone-file text
        self.ds_anchor = ""


def _keys_bind(d, origin):
    ksk = _run(["dnssec-keygen", "-q", "-a", "ECDSAP256SHA256", "-f", "KSK", "-K", d, origin], d).strip()
    zsk = _run(["dnssec-keygen", "-q", "-a", "ECDSAP256SHA256", "-K", d, origin], d).strip()
    return ksk, zsk


def _keys_ldns(d, origin):
    ksk = _run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", origin], d).strip()
    zsk = _run(["ldns-keygen", "-a", "ECDSAP256SHA256", origin], d).strip()
    for f in glob.glob(os.path.join(d, "K*.ds")):
        os.remove(f)
    return ksk, zsk


def _sign(d, variant, origin, text, name):
    """Signs text (origin) in d; returns (signed text, KSK base name)."""
    src = os.path.join(d, name + ".zone")
    out = os.path.join(d, name + ".signed")
    with open(src, "w") as f:
        f.write(text)
    tool, denial = variant.split("-", 1)
    if tool == "bind":
        ksk, zsk = _keys_bind(d, origin)
        argv = ["dnssec-signzone", "-S", "-K", d, "-d", d, "-o", origin, "-f", out, "-e", "+2592000"]
        if denial.startswith("nsec3"):
            argv += ["-3", "-", "-H", "0"]
            if denial.endswith("optout"):
                argv.append("-A")
        _run(argv + [src], d)
    else:
        ksk, zsk = _keys_ldns(d, origin)
        argv = ["ldns-signzone", "-o", origin, "-f", out]
        if denial.startswith("nsec3"):
            argv += ["-n", "-t", "1", "-s", "cafe"]
            if denial.endswith("optout"):
                argv.append("-p")
        _run(argv + [src, ksk, zsk], d)
    with open(out) as f:
        return f.read(), os.path.join(d, ksk)


def _ds(d, keybase, origin):
    return _run(["dnssec-dsfromkey", "-2", keybase + ".key"], d).strip()


def unsigned_parent(workdir):
    """For ternd to sign: the parent zone unsigned but with the DS of the
    child signed.sec.test. (signed here by dnssec-signzone, NSEC), and the
    zones to serve beside it. Returns (parent text, {origin: text} of the
    two children)."""
    cd = os.path.join(str(workdir), "child")
    os.makedirs(cd)
    child, cksk = _sign(cd, "bind-nsec", SIGNED, CHILD_SIGNED, "signed")
    ds = _ds(cd, cksk, SIGNED)
    parent = PARENT + ds + "\n" + ds.replace(SIGNED, "sec2." + ORIGIN, 1) + "\n"
    return parent, {SIGNED: child, PLAIN: CHILD_PLAIN}


def sign_all(workdir, variant):
    """Signs signed.sec.test. then sec.test. (with the child's DS) with the
    tool and denial of variant; plain.sec.test. stays unsigned. Each zone
    signs in its own directory (ldns-keygen writes to the current one)."""
    s = Signed()
    cd = os.path.join(str(workdir), variant, "child")
    pd = os.path.join(str(workdir), variant, "parent")
    os.makedirs(cd)
    os.makedirs(pd)
    child, cksk = _sign(cd, variant, SIGNED, CHILD_SIGNED, "signed")
    ds = _ds(cd, cksk, SIGNED)
    # sec2: a secure delegation whose child is served nowhere (a referral)
    parent_text = PARENT + ds + "\n" + ds.replace(SIGNED, "sec2." + ORIGIN, 1) + "\n"
    parent, pksk = _sign(pd, variant, ORIGIN, parent_text, "parent")
    s.zones = {ORIGIN: parent, SIGNED: child, PLAIN: CHILD_PLAIN}
    with open(pksk + ".key") as f:
        s.key_anchor = "\n".join(ln.split(";")[0].strip() for ln in f.read().splitlines()
                                  if ln and not ln.startswith(";"))
    s.ds_anchor = _ds(pd, pksk, ORIGIN)
    return s
