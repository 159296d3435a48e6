#!/bin/sh
# Benchmark: `azure-iptables-monitor check --backend nft --dry-run` vs one
# `iptables-nft-save`, on kube-proxy rulesets of N services loaded with
# iptables-nft-restore (default N = 1000 10000). The check runs
# iptables-nft-save itself, so the ratio shows our parsing and matching on top.
# Note: iptables-nft-save 1.8.9 is itself quadratic in the number of chains.
# Run as root after building.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/azure-iptables-monitor}
RUNS=${RUNS:-5}
ALLOW=tests/support/allowlists/kube-proxy-node
[ -x "$BIN" ] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
[ $# -gt 0 ] || set -- 1000 10000
for n in "$@"; do
  python3 tests/support/gen_kube_proxy_rules.py "$n" --user-rules 3 > /tmp/aim-bench-$$.rules
  unshare -n sh -c "iptables-nft-restore < /tmp/aim-bench-$$.rules &&
    python3 bench/measure_rules.py '$BIN' \$(command -v iptables-nft-save) 'check --backend nft N=$n' $RUNS check --backend nft --dry-run --input $ALLOW"
done
rm -f /tmp/aim-bench-$$.rules
