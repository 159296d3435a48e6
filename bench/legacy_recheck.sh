#!/bin/sh
# Benchmark (issue 29 item 3): what a legacy re-check costs after one change
# at N kube-proxy services (default 10,000), a reader that keeps what it read
# against one that reads everything, alternately in one run
# (build/bench/legacy_recheck: see its header for the three changes). In a
# private network namespace. The 1 Hz churn figures for the whole service
# come from bench/rule_change.sh (BACKENDS=legacy).
# Run as root after building (cmake --build build --target legacy_recheck).
#   N=1000 ROUNDS=3 bench/legacy_recheck.sh
set -eu
cd "$(dirname "$0")/.."
RC=${RC:-$(pwd)/build/bench/legacy_recheck}
N=${N:-10000} ROUNDS=${ROUNDS:-5}
[ -x "$RC" ] || { echo "build first (target legacy_recheck)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/support/gen_kube_proxy_rules.py "$N" >"$tmp/kube-proxy.rules"
echo "== $N services (IPv4 legacy), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
XTABLES_LOCKFILE="$tmp/xtables.lock" unshare -n sh -eu -c '
  iptables-legacy-restore <"$1/kube-proxy.rules"
  "$2" tests/support/allowlists/kube-proxy-node "$3"' sh "$tmp" "$RC" "$ROUNDS"
