#!/bin/sh
# Benchmark (issue 16): how fast the label follows the node's CiliumNode,
# against a real kube-apiserver (v1.20.2, etcd, Node,RBAC, the project's CRD
# and RBAC) in a private network namespace, with the service at
# --interval 300 (so nothing here is the interval's doing):
#   - a CiliumNode created after the service started (every new node), and
#   - the label removed by another client (cilium-agent replacing labels),
# each REPEATS times: the delay from the change to the right label (median,
# max); then the node identity's API requests per minute at steady state,
# counted by the API server's audit log over STEADY seconds.
# Run as root after building (and tests/support/build_kube_apiserver.sh).
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/build/azure-iptables-monitor}
APISERVER=${AIM_KUBE_APISERVER:-/var/cache/azure-iptables-monitor-tests/kube-apiserver-v1.20.2}
REPEATS=${REPEATS:-10}
STEADY=${STEADY:-60}
[ -x "$BIN" ] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
[ -x "$APISERVER" ] || { echo "no kube-apiserver: tests/support/build_kube_apiserver.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
unshare -n sh -eu bench/label_latency_in_netns.sh "$tmp" "$BIN" "$APISERVER" "$REPEATS" "$STEADY"
