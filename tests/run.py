#!/usr/bin/python3
"""Runs every test of tern and prints one closing line: "N passed, N failed".

Levels, in order:
  1. a clang build with -Werror (gcc built already: make test builds it);
  2. unit tests (cmocka binaries in BUILD/tests), plain and sanitized;
  3. system tests (pytest in tests/system) against the plain binaries, then
     against the ASan+UBSan binaries.
Every failure counts; a binary that crashes before its summary counts as one
failed test. Exit status is 0 only when nothing failed. Every program runs with
stdin /dev/null, so a run under CI (whose stdin may be an open pipe) reads
the same as any other run.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
passed = failed = skipped = 0
failures = []


def note(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        failures.append(what)


def run_unit(build):
    global passed, failed
    for exe in sorted(glob.glob(os.path.join(ROOT, build, "tests", "test_*"))):
        if exe.endswith(".d") or not os.access(exe, os.X_OK):
            continue
        name = os.path.relpath(exe, ROOT)
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout")
        try:
            p = subprocess.run([exe], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", timeout=600)
            out = p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            out, p = str(e.stdout or ""), None
        ok_n = sum(int(m) for m in re.findall(r"\[  PASSED  \] (\d+) test", out))
        bad_n = sum(int(m) for m in re.findall(r"\[  FAILED  \] (\d+) test", out))
        summary = ok_n + bad_n > 0
        crashed = p is None or (p.returncode != 0 and bad_n == 0)
        passed += ok_n
        failed += bad_n + (1 if crashed else 0)
        status = "ok" if not bad_n and not crashed else "FAIL"
        print(f"unit  {name}: {ok_n} passed, {bad_n + crashed} failed {'' if summary else '(no summary)'} [{status}]")
        if status != "ok":
            failures.append(name)
            tail = "\n".join(out.splitlines()[-40:])
            print(tail)


def run_replay(build, san):
    """Every committed fuzz corpus through its harness with the plain
    replay driver (fuzz/fuzz.mk), one test per harness."""
    cmd = ["make", "--no-print-directory", "-s", "fuzz-replay"] + (["SAN=1"] if san else [])
    p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", timeout=1200)
    out = p.stdout + p.stderr
    seen = re.findall(r"^fuzz-replay (\S+): (\d+) inputs ok", out, re.M)
    for name, n in seen:
        print(f"fuzz-replay {build}: {name}: {n} inputs ok")
        note(True, f"fuzz-replay {name}")
    if p.returncode != 0 or not seen:
        print(out[-4000:])
        note(False, f"fuzz-replay ({build})")


# Runs per harness for the CI smoke fuzzing: about 30 s each on this kind of
# machine. A fixed seed and a fixed number of runs make the run
# deterministic (same binary, same corpus, same inputs), so CI cannot turn
# red at random; longer, open-ended fuzzing is `make fuzz`.
FUZZ_RUNS = {"msg": 400000, "name": 30000, "rdata": 300000, "zonefile": 15000, "config": 150000,
             "server": 200000, "upstream": 400000, "tsig": 200000, "update": 100000,
             "ctl": 300000, "http": 300000, "dnstap": 100000, "anchor": 50000}


def run_fuzz(seconds):
    """Each libFuzzer harness, deterministically (-seed=1, fixed -runs); a
    finding fails it. `seconds` scales the runs (30 = the table above)."""
    p = subprocess.run(["make", "--no-print-directory", "-s", "fuzz-build"], cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
        note(False, "fuzz-build")
        return
    harnesses = sorted(os.path.basename(f)[len("fuzz_"):-2] for f in glob.glob(os.path.join(ROOT, "fuzz", "fuzz_*.c")))
    for h in harnesses:
        runs = max(1000, FUZZ_RUNS.get(h, 100000) * seconds // 30)
        # start from the committed corpus only, as a fresh clone does
        shutil.rmtree(os.path.join(ROOT, "build", "fuzz", "corpus", h), ignore_errors=True)
        r = subprocess.run(["make", "--no-print-directory", "-s", "fuzz", "FUZZ_SECONDS=1200", f"FUZZ_ONLY={h}",
                            f"FUZZ_ARGS=-seed=1 -runs={runs}"], cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")
        execs = re.findall(r"number_of_executed_units:\s*(\d+)", r.stdout + r.stderr)
        ok = r.returncode == 0
        print(f"fuzz {h}: seed 1, {execs[-1] if execs else '?'} executions, {'no finding' if ok else 'FINDING'}")
        if not ok:
            print((r.stdout + r.stderr)[-4000:])
        note(ok, f"fuzz {h}")


def run_pytest(build, label):
    global passed, failed, skipped
    xml = os.path.join(ROOT, build, f"pytest-{label}.xml")
    os.makedirs(os.path.dirname(xml), exist_ok=True)
    env = dict(os.environ, TERN_BUILD=build)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}"]
    # Two processes, each test file on one of them (its module fixtures
    # start its servers once): the suite waits on sockets and timers more
    # than it computes. TERN_TEST_JOBS=1 runs them one after the other.
    jobs = os.environ.get("TERN_TEST_JOBS", "2")
    if jobs != "1" and subprocess.run([sys.executable, "-c", "import xdist"], capture_output=True).returncode == 0:
        cmd += ["-n", jobs, "--dist", "loadfile"]
    cmd.append("tests/system")
    print(f"system tests ({label}): {' '.join(cmd[2:])}", flush=True)
    p = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    if not os.path.exists(xml):
        note(False, f"pytest {label} produced no report (exit {p.returncode})")
        return
    root = ET.parse(xml).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    for s in suites:
        t, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        passed += t - f - e - sk
        failed += f + e
        skipped += sk
    if p.returncode not in (0, 1, 5):
        note(False, f"pytest {label} exited {p.returncode}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--san-build", default="build/san")
    ap.add_argument("--quick", action="store_true", help="skip the clang and sanitizer runs")
    ap.add_argument("--fuzz-seconds", type=int, default=0, help="run each libFuzzer harness this long")
    a = ap.parse_args()
    if not a.quick:
        r = subprocess.run(["make", "--no-print-directory", "-s", "CC=clang", "BUILD=build/clang", "all", "unit"],
                           cwd=ROOT, capture_output=True, text=True, errors="replace")
        print(f"build clang -Werror: {'ok' if r.returncode == 0 else 'FAIL'}")
        if r.returncode:
            print(r.stdout[-4000:], r.stderr[-4000:])
        note(r.returncode == 0, "clang build")
    run_unit(a.build)
    run_replay(a.build, san=False)
    if not a.quick:
        run_unit(a.san_build)
        run_replay(a.san_build, san=True)
    if a.fuzz_seconds > 0:
        run_fuzz(a.fuzz_seconds)
    run_pytest(a.build, "plain")
    if not a.quick:
        run_pytest(a.san_build, "asan+ubsan")
    if failures:
        print("failed:", *failures, sep="\n  ")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
