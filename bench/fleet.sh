#!/bin/sh
# Benchmark (issue 30): a fleet of N services, each with its own node client
# certificate and the shipped RBAC, against one real kube-apiserver (v1.20.2,
# etcd, audit log) in a private network namespace. Prints, from the audit
# log and the services' descriptors:
#   - steady-state requests per minute by verb,
#   - relabel latency after a mass wipe of the label and after a mass
#     delete-and-recreate of the CiliumNodes (p50, p99),
#   - an API-server restart (SIGKILL, then the same command line): requests
#     per node until every node watches again, their spread, and the longest
#     time from the server being ready to a node's watch,
#   - a 30 s freeze (SIGSTOP): writes it caused,
#   - connections to the API server per node, and those held by helpers.
# Usage (root, after building and tests/support/build_kube_apiserver.sh):
#   N=50 bench/fleet.sh      (STEADY=60 seconds of steady state)
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/build/azure-iptables-monitor}
APISERVER=${AIM_KUBE_APISERVER:-/var/cache/azure-iptables-monitor-tests/kube-apiserver-v1.20.2}
N=${N:-50}
STEADY=${STEADY:-60}
[ -x "$BIN" ] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
[ -x "$APISERVER" ] || { echo "no kube-apiserver: tests/support/build_kube_apiserver.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
unshare -n sh -eu bench/fleet_in_netns.sh "$tmp" "$BIN" "$APISERVER" "$N" "$STEADY"
