#!/bin/sh
# Benchmark: a whole `azure-iptables-monitor check --dry-run` (read + match
# against a ~57-pattern kube-proxy allowlist, 3 unexpected user rules) vs one
# `iptables-legacy-save`, on N kube-proxy services (default 10000). Then the
# daemon's re-check of an unchanged ruleset with its match cache vs its first
# check. Target: check <= 1.3x save. Run as root after building.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/azure-iptables-monitor}
RUNS=${RUNS:-7}
ALLOW=tests/support/allowlists/kube-proxy-node
[ -x "$BIN" ] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
[ $# -gt 0 ] || set -- 10000
for n in "$@"; do
  python3 tests/support/gen_kube_proxy_rules.py "$n" --user-rules 3 > /tmp/aim-bench-$$.rules
  unshare -n sh -c "iptables-legacy-restore < /tmp/aim-bench-$$.rules &&
    python3 bench/measure_rules.py '$BIN' \$(command -v iptables-legacy-save) 'check N=$n' $RUNS check --backend legacy --dry-run --input $ALLOW &&
    build/bench/check_cache $ALLOW && build/bench/check_cache $ALLOW --mdwe"
done
rm -f /tmp/aim-bench-$$.rules
