#!/usr/bin/env bash
# bench/run.sh: the tern benchmark (`make bench` runs it). See docs/performance.md.
#
#   bench/run.sh [--quick] [--names N] [--rounds N] [--duration S] [--no-install]
#                [--xfr] [any option of bench/bench.py, e.g. --servers ternd,nsd --layouts pinned]
#
#   --quick       smoke run: 2 rounds x 2 s, 100k names, load/memory for 100k only,
#                 no per-query-kind breakdown, transfers of the 100k zone (about 4 minutes)
#   --xfr         only the zone transfer figures (AXFR out of ternd, Knot and NSD;
#                 ternd, Knot and NSD as secondaries of Knot; queries/s while AXFRs
#                 run) on the 1M-name zone (100k with --quick); see bench/xfr.py
#   --names N     zone size in entries (default 100000); 1000000 on request
#   --rounds N    interleaved rounds per figure (default 5)
#   --duration S  seconds per measurement (default 10)
#   --no-install  do not apt-get anything; servers that are missing are skipped
#
# Installs what it needs when run as root (dnsperf nsd knot unbound dnsmasq-base
# gnuplot-nox) without letting the packages start their services, builds ternd
# (make) and the benchmark's own tools (blast, bare) into build/bench/, then
# runs bench/bench.py, which starts every server on 127.0.0.1 on free high
# ports, measures, stops them by pid, and writes build/bench/results.json,
# build/bench/table.md and build/bench/qps.png.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=build/bench
PY=${PYTHON:-python3}
install=1
args=()
quick=()
xfr_only=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=(--mode quick --rounds 2 --duration 2 --names 100000 --load-sizes 100000 --no-per-kind
                        --xfr-names 100000) ;;
        --xfr) xfr_only=(--layouts none --no-load --no-cache --no-dnsperf) ;;
        --no-install) install=0 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) args+=("$1") ;;
    esac
    shift
done

created_policy=0
child=
cleanup() {
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    if [ "$created_policy" = 1 ]; then
        rm -f /usr/sbin/policy-rc.d
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- dependencies
declare -A pkg_of=([dnsperf]=dnsperf [nsd]=nsd [knotd]=knot [unbound]=unbound [dnsmasq]=dnsmasq-base [gnuplot]=gnuplot-nox [taskset]=util-linux [h2load]=nghttp2-client)
missing=()
for cmd in "${!pkg_of[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$install" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "bench: installing ${missing[*]}" >&2
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            # keep the packages from starting their services during install
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            created_policy=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
            { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; } ||
            echo "bench: apt-get failed; missing servers will be skipped" >&2
        if [ "$created_policy" = 1 ]; then
            rm -f /usr/sbin/policy-rc.d
            created_policy=0
        fi
    else
        echo "bench: missing ${missing[*]}; to install: apt-get install -y ${missing[*]}" >&2
        echo "bench: continuing; missing servers are skipped" >&2
    fi
fi

# ---- build
[ -x build/ternd ] || make -s all
mkdir -p "$OUT"
cp build/ternd "$OUT/ternd.new" && mv "$OUT/ternd.new" "$OUT/ternd"   # a snapshot: others may rebuild
CC=${CC:-cc}
for tool in blast bare axfr_recv; do
    if [ ! -x "$OUT/$tool" ] || [ "bench/$tool.c" -nt "$OUT/$tool" ]; then
        $CC -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -o "$OUT/$tool" "bench/$tool.c"
    fi
done

make -s build/bench/zone_change

# ---- run (in the background so that a signal reaches the trap at once)
"$PY" bench/bench.py --out "$OUT" ${quick[@]+"${quick[@]}"} ${xfr_only[@]+"${xfr_only[@]}"} \
    ${args[@]+"${args[@]}"} &
child=$!
set +e
wait "$child"
rc=$?
child=

# ---- what a small change to a zone costs (the Replication issue, item 8):
# 10-record changes applied to a small zone and to the 1M-name zone
if [ $rc = 0 ] && [ ${#xfr_only[@]} = 0 ]; then
    for names in 1000 1000000; do
        d="$OUT/data-$names"
        [ -f "$d/zone.db" ] || "$PY" bench/gen_zone.py --out "$d" --names "$names" >/dev/null
        echo "zone change, $names entries:" | tee -a "$OUT/zone_change.txt"
        build/bench/zone_change "$d/zone.db" bench.test 10 20 | tail -1 | tee -a "$OUT/zone_change.txt"
    done
fi

# ---- block lists (issue 14, item 6): 1M blocked names loaded by ternd,
# dnsmasq (address=/NAME/) and Unbound (local-zone), and blocked answers
# against cache hits (bench/policy.py, also run by hand)
if [ $rc = 0 ]; then
    if [ ${#quick[@]} -gt 0 ]; then pargs=(--names 100000 --rounds 2 --duration 2); else pargs=(); fi
    "$PY" bench/policy.py --out "$OUT/policy" --blast "$OUT/blast" ${pargs[@]+"${pargs[@]}"} | tee "$OUT/policy.txt"
    rc=${PIPESTATUS[0]}
fi

# ---- zone signing (issue 12 item 3): ternd, Knot, dnssec-signzone and
# ldns-signzone sign the 1M-name zone (NSEC and NSEC3); memory of the signed
# zone served by ternd and Knot; re-signing after a 10-name UPDATE
if [ $rc = 0 ] && [ ${#xfr_only[@]} = 0 ]; then
    if [ ${#quick[@]} -gt 0 ]; then sargs=(--names 100000 --updates 3); else sargs=(); fi
    "$PY" bench/sign.py --out "$OUT/sign" --ternd "$OUT/ternd" ${sargs[@]+"${sargs[@]}"} | tee "$OUT/sign.txt" ||
        echo "bench: bench/sign.py failed" >&2
fi

# ---- DO=1 mixed queries to one signed zone, ternd against Knot and NSD (issue 12)
if [ $rc = 0 ] && [ ${#xfr_only[@]} = 0 ]; then
    if [ ${#quick[@]} -gt 0 ]; then aargs=(--rounds 2 --duration 2); else aargs=(); fi
    "$PY" bench/dnssec_auth.py --out "$OUT" --blast "$OUT/blast" --ternd "$OUT/ternd" ${aargs[@]+"${aargs[@]}"} |
        tee "$OUT/dnssec_auth.txt" || echo "bench: bench/dnssec_auth.py failed" >&2
fi

# ---- DoT and DoH with connection reuse, ternd against Unbound (issue 14)
if [ $rc = 0 ]; then
    "$PY" bench/tls.py --out "$OUT" --ternd "$OUT/ternd" || echo "bench: bench/tls.py failed" >&2
fi

# ---- what the query log and dnstap cost (issue 13, item 4: >= 90 % of off)
if [ $rc = 0 ] && [ ${#xfr_only[@]} = 0 ]; then
    if [ ${#quick[@]} -gt 0 ]; then oargs=(--rounds 2 --duration 2); else oargs=(); fi
    "$PY" bench/observe.py --out "$OUT" ${oargs[@]+"${oargs[@]}"} | tee "$OUT/observe.txt" ||
        echo "bench: bench/observe.py failed" >&2
fi

# ---- cache hits with DO=1 (signed, validated answers), ternd against Unbound (issue 14)
if [ $rc = 0 ]; then
    if [ ${#quick[@]} -gt 0 ]; then dargs=(--rounds 2 --duration 2); else dargs=(); fi
    "$PY" bench/dnssec_cache.py --out "$OUT" --blast "$OUT/blast" --ternd "$OUT/ternd" ${dargs[@]+"${dargs[@]}"} ||
        echo "bench: bench/dnssec_cache.py failed" >&2
fi
exit $rc
