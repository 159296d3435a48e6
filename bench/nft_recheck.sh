#!/bin/sh
# Benchmark (issue 29): the CPU of a re-check after one kube-proxy churn
# step (a service's chains added or removed with iptables-nft-restore
# --noflush), full read vs delta (the kept helper sends only the chains
# that changed; the reader splices them into the set it kept), alternately
# in one process (build/bench/nft_recheck), at N services (default 10,000)
# loaded in a private namespace, matched against the kube-proxy-node
# allowlist with the service's match cache. STEPS (default 10) of each.
# Prints per mode the medians: read CPU (helper + parse/splice; of it the
# reading process's), match CPU,
# total, the worst total, chains sent, lines matched (not from the cache).
# Run as root after building with tests enabled.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/build/bench/nft_recheck}
N=${N:-10000} STEPS=${STEPS:-10}
[ -x "$BIN" ] || { echo "build first (cmake with tests): $BIN missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/support/gen_kube_proxy_rules.py "$N" >"$tmp/rules"
unshare -n sh -eu -c "iptables-nft-restore < $tmp/rules &&
  $BIN tests/support/allowlists/kube-proxy-node $STEPS 'python3 $(pwd)/bench/nft_churn_step.py'" \
  >"$tmp/out"
python3 - "$N" "$tmp/out" <<'PY'
import sys
n, rows = sys.argv[1], [l.split() for l in open(sys.argv[2]) if l.strip()]
print(f"re-check after one churn step, {n} services, iptables-nft ipv4 (CPU s: service + helper)")
print(f"{'mode':6} {'steps':>5} {'read':>8} {'(parent)':>8} {'match':>8} {'total':>8} {'worst':>8} "
      f"{'chains sent':>11} {'lines matched':>13}")
by = {}
for mode, steps, read, parent, match, total, worst, chains, lines in rows:
    by[mode] = float(total)
    print(f"{mode:6} {steps:>5} {float(read):8.4f} {float(parent):8.4f} {float(match):8.4f} {float(total):8.4f} "
          f"{float(worst):8.4f} {chains:>11} {lines:>13}")
if "full" in by and "delta" in by and by["delta"] > 0:
    print(f"full / delta = {by['full'] / by['delta']:.1f}")
PY
