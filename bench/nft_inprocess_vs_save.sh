#!/bin/sh
# Benchmark: the nft backend's in-process reader (netlink + translation) vs
# the iptables-nft-save reader it replaces vs the netlink floor (chain list,
# one rule dump per chain, no translation), both families, on kube-proxy
# rulesets of N services loaded with iptables-nft-restore in a private
# namespace (default N = 1000 10000). Runs alternate; medians of RUNS.
# Prints the fallback count (tables the in-process reader left to
# iptables-nft-save; must be 0 here) and peak RSS (the reading process and
# its largest helper). Each N runs twice: chains created in the generator's
# order, and created in name order; iptables-nft-save 1.8.9 sorts user chains
# with a quicksort that takes its first element as pivot, so chains the
# kernel lists already in name order cost it quadratic time.
# Run as root after building with tests enabled.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bench/nft_readers}
RUNS=${RUNS:-5}
[ -x "$BIN" ] || { echo "build first (cmake with tests): $BIN missing" >&2; exit 1; }
[ $# -gt 0 ] || set -- 1000 10000
tmp=/tmp/aim-bench-nft-$$
for n in "$@"; do
 for order in generated name; do
  python3 tests/support/gen_kube_proxy_rules.py "$n" --user-rules 3 > $tmp.rules
  if [ $order = name ]; then
    # The ":CHAIN" declarations of each table, sorted: chains created in name order.
    python3 -c '
import sys
out, block = [], []
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith(":"):
        block.append(line)
        continue
    out += sorted(block) + [line]
    block = []
open(sys.argv[1], "w").write("\n".join(out + sorted(block)))' $tmp.rules
  fi
  unshare -n sh -c "iptables-nft-restore < $tmp.rules &&
    for i in \$(seq $RUNS); do for m in inprocess savetext floor; do $BIN \$m; done; done" > $tmp.out
  python3 - "$n (chains created in $order order)" "$tmp.out" <<'PY'
import statistics, sys
n, path = sys.argv[1], sys.argv[2]
rows = {}
for line in open(path):
    mode, sec, rules, fallback, self_rss, helper = line.split()
    rows.setdefault(mode, []).append((float(sec), int(rules), int(fallback), int(self_rss), int(helper)))
med = {m: statistics.median(r[0] for r in v) for m, v in rows.items()}
ip = rows["inprocess"][0]
print(f"N={n}: {ip[1]} rules (both families), runs={len(rows['inprocess'])}")
print(f"  in-process reader   {med['inprocess']:7.3f} s  fallback tables {max(r[2] for r in rows['inprocess'])}"
      f"  RSS {max(r[3] for r in rows['inprocess'])} KiB (helper {max(r[4] for r in rows['inprocess'])} KiB)")
print(f"  iptables-nft-save   {med['savetext']:7.3f} s  (reader before: save text + layout)"
      f"  RSS {max(r[3] for r in rows['savetext'])} KiB (helper {max(r[4] for r in rows['savetext'])} KiB)")
print(f"  netlink floor       {med['floor']:7.3f} s")
print(f"  ratios: save/in-process {med['savetext']/med['inprocess']:.2f}x,"
      f" in-process/floor {med['inprocess']/med['floor']:.2f}x")
PY
 done
done
rm -f $tmp.rules $tmp.out
