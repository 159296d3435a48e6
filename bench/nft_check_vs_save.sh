#!/bin/sh
# Benchmark (issue 29 item 4): a whole first nft check (`check --dry-run
# --backend nft`, one-shot command, against the kube-proxy-node allowlist)
# vs one `iptables-legacy-save`, with the same N-service kube-proxy ruleset
# (default 10000, 3 unexpected user rules) loaded in both backends in a
# private namespace. Runs alternate (save, check, split); medians of RUNS.
# Prints wall and CPU (user+system, children included) of each, the ratio,
# and where the check's time goes: build/bench/nft_check_split runs the same
# steps in one process, each timed (netlink rule dumps, translation with its
# exactness proof, rendering, chain lists, rule stream written and parsed,
# matching); "process start, libxtables set-up and other" is the whole
# command's wall time less those. Target: check <= 1.0x save.
# BEFORE=path/to/an/older/azure-iptables-monitor also times that binary's
# check in each round (before/after from one run).
# Run as root after building azure-iptables-monitor and nft_check_split.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/azure-iptables-monitor}
SPLIT=${SPLIT:-build/bench/nft_check_split}
RUNS=${RUNS:-7}
ALLOW=tests/support/allowlists/kube-proxy-node
for b in "$BIN" "$SPLIT"; do
  [ -x "$b" ] || { echo "build first: $b missing" >&2; exit 1; }
done
[ $# -gt 0 ] || set -- 10000
tmp=/tmp/aim-bench-nftcheck-$$
trap 'rm -f $tmp.rules' EXIT
for n in "$@"; do
  python3 tests/support/gen_kube_proxy_rules.py "$n" --user-rules 3 > $tmp.rules
  unshare -n sh -c "iptables-legacy-restore < $tmp.rules && iptables-nft-restore < $tmp.rules &&
    python3 - '$BIN' '$SPLIT' '$ALLOW' $RUNS $n '${BEFORE:-}'" <<'PY'
import os, statistics, subprocess, sys, time

binary, split, allow, runs, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
before = sys.argv[6] if len(sys.argv) > 6 else ""

def timed(cmd, ok=(0,)):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return wall, out.decode()

def cpu_of(cmd, ok=(0,)):
    # Wall and CPU (user + system, its children included) of one command.
    before = os.times()
    wall, out = timed(cmd, ok)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, out

check_cmd = [binary, "check", "--dry-run", "--backend", "nft", "--input", allow]
rows = {"save": [], "check": [], "split": [], "before": []}
for _ in range(runs):
    w, c, _ = cpu_of(["iptables-legacy-save"])
    rows["save"].append((w, c))
    w, c, _ = cpu_of(check_cmd, ok=(1,))  # 1: the 3 user rules are unexpected
    rows["check"].append((w, c))
    if before:
        w, c, _ = cpu_of([before] + check_cmd[1:], ok=(1,))
        rows["before"].append((w, c))
    _, _, out = cpu_of([split, allow])
    f = out.split()
    assert f[0] == "split", out
    rows["split"].append([float(x) for x in f[1:8]] + [int(f[8]), int(f[9])])
med = lambda xs: statistics.median(xs)
sw, sc = med(r[0] for r in rows["save"]), med(r[1] for r in rows["save"])
cw, cc = med(r[0] for r in rows["check"]), med(r[1] for r in rows["check"])
print(f"N={n}: {rows['split'][0][7]} nft rules in the IPv4 dumps, {rows['split'][0][8]} unexpected; "
      f"median of {runs}, alternating")
print(f"  iptables-legacy-save        wall {sw:6.3f} s  CPU {sc:6.3f} s")
print(f"  check --backend nft         wall {cw:6.3f} s  CPU {cc:6.3f} s")
print(f"  ratio check/save            wall {cw / sw:5.2f}x     CPU {cc / sc:5.2f}x  (target <= 1.0x)")
if before:
    bw, bc = med(r[0] for r in rows["before"]), med(r[1] for r in rows["before"])
    print(f"  before ({before})")
    print(f"    check --backend nft       wall {bw:6.3f} s  CPU {bc:6.3f} s  ratio {bw / sw:5.2f}x / {bc / sc:5.2f}x")
names = ["netlink rule dumps", "translation + exactness proof", "rendering (save() text)",
         "chain lists, generation", "rule stream written", "rule stream parsed", "matching"]
parts = [med(r[i] for r in rows["split"]) for i in range(7)]
print("  where a check's wall time goes (nft_check_split, medians):")
for name, v in zip(names, parts):
    print(f"    {name:32s} {v:6.3f} s  {100 * v / cw:5.1f} %")
other = cw - sum(parts)
print(f"    {'process start, set-up, other':32s} {other:6.3f} s  {100 * other / cw:5.1f} %")
PY
done
