#!/bin/sh
# Benchmark (issue 29): iptables-legacy without a blind window. x_tables
# announces nothing, so besides polling each table's size the service
# fingerprints each table's entries (counters left out), paced by the pass's
# own cost at 2 % of a core. For the sample node and for N kube-proxy
# services (default 10,000), in a private network namespace:
#   1. build/bench/xt_fingerprint: the fingerprint's CPU per table and per
#      pass (PASSES passes), and the pacing that cost gives;
#   2. the service (--backend legacy, --interval 300, against a real
#      kube-apiserver v1.20.2): an allowed rule replaced by a disallowed one
#      of the same size (iptables-legacy -R) and back, REPEATS times, PAUSE
#      seconds apart: the delay from the command's return to the service
#      noticing it and to the label; and, before that, the service's CPU,
#      quiet, over QUIET_SECONDS (the passes' share with the rest of the
#      service).
# A table of the figures ends the output. Quick run:
#   N=1000 REPEATS=2 QUIET_SECONDS=10 bench/xt_fingerprint.sh
# PAUSE (default 5 s on the sample node, 65 s at N: longer than the pass
# spacing and than the check spacing, 25 times a check's CPU, ~2 s at 10,000
# services, so each replacement finds the node quiet; a shorter one measures
# the check pacing, not the fingerprint).
# Run as root after building (cmake --build build --target xt_fingerprint).
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/build/azure-iptables-monitor}
FP=${FP:-$(pwd)/build/bench/xt_fingerprint}
APISERVER=${AIM_KUBE_APISERVER:-/var/cache/azure-iptables-monitor-tests/kube-apiserver-v1.20.2}
export N=${N:-10000} REPEATS=${REPEATS:-5} PASSES=${PASSES:-20} QUIET_SECONDS=${QUIET_SECONDS:-30} \
  INTERVAL=${INTERVAL:-300} PAUSE_SAMPLE=${PAUSE:-5} PAUSE_LARGE=${PAUSE:-65}
if [ ! -x "$BIN" ] || [ ! -x "$FP" ]; then
  echo "build first (targets azure-iptables-monitor, xt_fingerprint)" >&2
  exit 1
fi
[ -x "$APISERVER" ] || { echo "no kube-apiserver: tests/support/build_kube_apiserver.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
python3 tests/support/gen_kube_proxy_rules.py "$N" >"$tmp/kube-proxy.rules"
unshare -n sh -eu bench/xt_fingerprint_in_netns.sh "$tmp" "$BIN" "$FP" "$APISERVER"
