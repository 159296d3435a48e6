#!/bin/sh
# Benchmark (issue 17): how fast a rule change reaches the label, and what
# noticing changes costs, against a real kube-apiserver (v1.20.2, etcd) in a
# private network namespace, with the service at --interval 300 (so nothing
# here is the interval's doing), for each backend (iptables-nft, -legacy):
#   1. the sample node (clean once its hand-added rule is deleted): a user
#      rule added (label -> true) and removed (-> false), REPEATS times, PAUSE
#      seconds apart (default 6: longer than any spacing a check on the
#      sample node asks for, so each change finds the node quiet); the delay from the command's
#      return to the label (median, max; the label is polled every 5 ms);
#   2. N kube-proxy services (clean against the kube-proxy-node allowlist):
#      the service's CPU (its threads and reaped helpers, /proc/PID/stat),
#      % of one core, over QUIET_SECONDS untouched and over CHURN_SECONDS of
#      kube-proxy-like churn (one iptables-restore --noflush a second that
#      adds a service's chains and rules to nat and removes the previous
#      one); then, churn going on, a user rule added to filter INPUT and
#      removed, CHURN_REPEATS times: the delay to the label.
# A table of the figures ends the output. Quick run:
#   REPEATS=3 N=1000 QUIET_SECONDS=10 CHURN_SECONDS=10 CHURN_REPEATS=1 bench/rule_change.sh
# MIN_CHECK_INTERVAL, if set, is passed as --min-check-interval; BACKENDS
# (default "nft legacy") picks the backends. Run as root after building.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/build/azure-iptables-monitor}
APISERVER=${AIM_KUBE_APISERVER:-/var/cache/azure-iptables-monitor-tests/kube-apiserver-v1.20.2}
export REPEATS=${REPEATS:-10} PAUSE=${PAUSE:-6} N=${N:-10000} QUIET_SECONDS=${QUIET_SECONDS:-60} \
  CHURN_SECONDS=${CHURN_SECONDS:-60} CHURN_REPEATS=${CHURN_REPEATS:-3} INTERVAL=${INTERVAL:-300} \
  BACKENDS=${BACKENDS:-nft legacy} MIN_CHECK_INTERVAL=${MIN_CHECK_INTERVAL:-}
[ -x "$BIN" ] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
[ -x "$APISERVER" ] || { echo "no kube-apiserver: tests/support/build_kube_apiserver.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
python3 tests/support/gen_kube_proxy_rules.py "$N" >"$tmp/kube-proxy.rules"
unshare -n sh -eu bench/rule_change_in_netns.sh "$tmp" "$BIN" "$APISERVER"
