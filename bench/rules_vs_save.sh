#!/bin/sh
# Benchmark: `azure-iptables-monitor rules` vs one `iptables-legacy-save` on
# kube-proxy-shaped rulesets of N services, each loaded into a private network
# namespace. Prints wall-time and peak-RSS ratios (targets: time <= 1.2 at
# N=10000, peak RSS <= 1.2x). Run as root after building.
# usage: bench/rules_vs_save.sh [N ...]   (default: 100 1000 10000)
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/azure-iptables-monitor}
RUNS=${RUNS:-7}
[ -x "$BIN" ] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
[ $# -gt 0 ] || set -- 100 1000 10000
for n in "$@"; do
  for fam in 4 6; do
    if [ $fam = 6 ]; then restore=ip6tables-legacy-restore; save=ip6tables-legacy-save; else restore=iptables-legacy-restore; save=iptables-legacy-save; fi
    python3 tests/support/gen_kube_proxy_rules.py "$n" --family $fam > /tmp/aim-bench-$$.rules
    unshare -n sh -c "$restore < /tmp/aim-bench-$$.rules && python3 bench/measure_rules.py '$BIN' \$(command -v $save) 'N=$n ipv$fam' $RUNS rules --family $fam"
  done
done
rm -f /tmp/aim-bench-$$.rules
