#!/usr/bin/env python3
"""gen_zone.py: a deterministic benchmark zone and query files.

    bench/gen_zone.py --out build/bench/data-100000 [--names 100000]
                      [--origin bench.test] [--queries 100000]

Writes into --out:
  zone.db              the master file (RFC 1035), origin --origin
  q-<kind>.txt         query files, one "name type" per line (dnsperf format)
  q-mixed.txt          a weighted mix of all kinds (see MIX)
  manifest.json        counts of names, records and queries per file

The same arguments always give byte-identical files: every choice comes from
a fixed integer hash of the entry number, never from the random module or
the clock. --names counts the entries (top-level labels below the origin);
each entry is one or more owner names, so the zone holds somewhat more names
than --names and about 1.6 records per name.

Entry kinds (by hash of the entry number, percent):
  45 h<i>   host: one A (a quarter of them two A)
  15 d<i>   dual stack: A + AAAA
  10 c<i>   CNAME chain of 1 to 3 links ending at a host
   5 m<i>   mail: A + two MX pointing at hosts (addresses go in additional)
  10 t<i>   TXT (SPF-like) + A
  10 s<i>   delegation: 2 NS, glue ns1 (A) and ns2 (A + AAAA) below the cut
   5 e<i>   empty non-terminal e<i> with one host x.e<i> below it
plus the apex (SOA, NS, the name servers' addresses) and a wildcard
*.wild with A and TXT.
"""

import argparse
import json
import os

# query kinds of the mixed file and their weights (percent)
MIX = [
    ("a", 35), ("aaaa", 15), ("cname", 10), ("mx", 5), ("txt", 5),
    ("referral", 10), ("nxdomain", 10), ("nodata", 5), ("wildcard", 5),
]
KINDS = [k for k, _ in MIX]

CATS = [("h", 45), ("d", 15), ("c", 10), ("m", 5), ("t", 10), ("s", 10), ("e", 5)]


def mix64(x):
    """splitmix64 finaliser: a fixed, well-spread hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


class Rng:
    """A deterministic stream (splitmix64 counter)."""

    def __init__(self, seed):
        self.n = seed * 1000003

    def below(self, k):
        self.n += 1
        return mix64(self.n) % k


def category(i):
    h = mix64(i) % 100
    for c, w in CATS:
        if h < w:
            return c
        h -= w
    raise AssertionError


def v4(i, net=10):
    return f"{net}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def v6(i):
    return f"2001:db8:{(i >> 32) & 0xffff:x}:{(i >> 16) & 0xffff:x}::{i & 0xffff:x}"


def generate(out, n, origin, nq):
    os.makedirs(out, exist_ok=True)
    cats = {c: [] for c, _ in CATS}
    for i in range(n):
        cats[category(i)].append(i)
    hosts = cats["h"]
    if not hosts:
        raise SystemExit("--names too small: no host entries")

    def host_for(i, k=0):
        return hosts[mix64(i * 7 + k) % len(hosts)]

    lines = [
        f"$ORIGIN {origin}.",
        "$TTL 3600",
        f"@ IN SOA ns1.{origin}. hostmaster.{origin}. 2024010101 7200 3600 1209600 300",
        f"@ NS ns1.{origin}.",
        f"@ NS ns2.{origin}.",
        "@ A 192.0.2.1",
        "@ MX 10 mail",
        '@ TXT "v=spf1 mx -all"',
        "ns1 A 192.0.2.53",
        "ns1 AAAA 2001:db8::53",
        "ns2 A 198.51.100.53",
        "mail A 192.0.2.25",
        "wild TXT \"wildcard parent\"",
        "*.wild A 192.0.2.80",
        '*.wild TXT "synthesised"',
    ]
    names = 6  # apex, ns1, ns2, mail, wild, *.wild
    records = len(lines) - 2
    out_lines = lines
    app = out_lines.append
    chain_ends = {}
    for i in range(n):
        c = category(i)
        r = mix64(i ^ 0x5555)
        if c == "h":
            app(f"h{i} A {v4(i)}")
            records += 1
            names += 1
            if r % 4 == 0:
                app(f"h{i} A {v4(i, 11)}")
                records += 1
        elif c == "d":
            app(f"d{i} A {v4(i)}")
            app(f"d{i} AAAA {v6(i)}")
            records += 2
            names += 1
        elif c == "c":
            links = 1 + r % 3
            target = f"h{host_for(i)}"
            chain_ends[i] = target
            owners = [f"c{i}"] + [f"c{i}-{k}" for k in range(2, links + 1)]
            for k, o in enumerate(owners):
                nxt = owners[k + 1] if k + 1 < len(owners) else target
                app(f"{o} CNAME {nxt}")
            records += links
            names += links
        elif c == "m":
            app(f"m{i} A {v4(i)}")
            app(f"m{i} MX 10 h{host_for(i, 1)}")
            app(f"m{i} MX 20 h{host_for(i, 2)}")
            records += 3
            names += 1
        elif c == "t":
            app(f"t{i} A {v4(i)}")
            app(f't{i} TXT "v=spf1 ip4:{v4(i)} include:_spf.{origin} ~all" "id={r % 1000000:06d}"')
            records += 2
            names += 1
        elif c == "s":
            app(f"s{i} NS ns1.s{i}")
            app(f"s{i} NS ns2.s{i}")
            app(f"ns1.s{i} A {v4(i, 172)}")
            app(f"ns2.s{i} A {v4(i, 100)}")
            app(f"ns2.s{i} AAAA {v6(i)}")
            records += 5
            names += 3
        elif c == "e":
            app(f"x.e{i} A {v4(i)}")
            records += 1
            names += 2
    with open(os.path.join(out, "zone.db"), "w") as f:
        f.write("\n".join(out_lines))
        f.write("\n")
    del out_lines

    # query files
    def pick(lst, rng):
        return lst[rng.below(len(lst))] if lst else None

    def one(kind, rng):
        o = origin
        if kind == "a":
            lst = cats["h"] if rng.below(2) else (cats["d"] or cats["h"])
            i = pick(lst, rng)
            return f"{'h' if category(i) == 'h' else 'd'}{i}.{o} A"
        if kind == "aaaa":
            return f"d{pick(cats['d'] or cats['h'], rng)}.{o} AAAA" if cats["d"] else f"ns1.{o} AAAA"
        if kind == "cname":
            i = pick(cats["c"], rng)
            return f"c{i}.{o} A" if i is not None else f"h{pick(hosts, rng)}.{o} A"
        if kind == "mx":
            i = pick(cats["m"], rng)
            return f"m{i}.{o} MX" if i is not None else f"{o} MX"
        if kind == "txt":
            i = pick(cats["t"], rng)
            return f"t{i}.{o} TXT" if i is not None else f"{o} TXT"
        if kind == "referral":
            i = pick(cats["s"], rng)
            if i is None:
                return f"{o} NS"
            return f"www.s{i}.{o} A" if rng.below(2) else f"s{i}.{o} A"
        if kind == "nxdomain":
            j = rng.below(1 << 30)
            return f"nx{j}.{o} A" if rng.below(2) else f"h{j}x.{o} AAAA"
        if kind == "nodata":
            k = rng.below(3)
            if k == 0:
                return f"h{pick(hosts, rng)}.{o} AAAA"
            if k == 1 and cats["t"]:
                return f"t{pick(cats['t'], rng)}.{o} MX"
            if cats["e"]:
                return f"e{pick(cats['e'], rng)}.{o} A"
            return f"h{pick(hosts, rng)}.{o} TXT"
        if kind == "wildcard":
            return f"q{rng.below(1 << 30)}.wild.{o} {'A' if rng.below(4) else 'TXT'}"
        raise AssertionError(kind)

    counts = {}
    for seed, kind in enumerate(KINDS, 1):
        rng = Rng(seed)
        path = os.path.join(out, f"q-{kind}.txt")
        with open(path, "w") as f:
            f.write("\n".join(one(kind, rng) for _ in range(nq)))
            f.write("\n")
        counts[kind] = nq
    rng = Rng(99)
    cum = []
    t = 0
    for k, w in MIX:
        t += w
        cum.append((t, k))
    mixed = []
    for _ in range(nq):
        x = rng.below(t)
        kind = next(k for c, k in cum if x < c)
        mixed.append(one(kind, rng))
    with open(os.path.join(out, "q-mixed.txt"), "w") as f:
        f.write("\n".join(mixed))
        f.write("\n")
    counts["mixed"] = nq
    manifest = {
        "origin": origin, "entries": n, "names": names, "records": records,
        "zone_bytes": os.path.getsize(os.path.join(out, "zone.db")),
        "queries": counts, "mix_percent": dict(MIX),
        "entry_kinds": {c: len(v) for c, v in cats.items()},
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--names", type=int, default=100000, help="entries (default 100000)")
    ap.add_argument("--origin", default="bench.test", help="zone origin (default bench.test)")
    ap.add_argument("--queries", type=int, default=100000, help="lines per query file")
    a = ap.parse_args()
    m = generate(a.out, a.names, a.origin.rstrip("."), a.queries)
    print(json.dumps({k: m[k] for k in ("entries", "names", "records", "zone_bytes")}))


if __name__ == "__main__":
    main()
