#!/bin/sh
# The main job on the embedded default: installs what it needs, builds, makes
# a throwaway network namespace, loads the bundled sample node (an AKS node
# running kube-proxy, with one rule added by hand) into it, and runs one
# check against the bundled kube-proxy node allowlist, printing the request
# it would send to the cluster (--dry-run). The machine's own iptables are
# never touched. Run as root.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh >/dev/null
RULES=tests/support/rulesets/sample-node.v4.rules
ALLOW=tests/support/allowlists/kube-proxy-node
echo "== sample node ($RULES) in a private network namespace, allowlist $ALLOW"
status=0
unshare -n sh -c "iptables-legacy-restore < '$RULES' && ./build/azure-iptables-monitor check --dry-run --backend legacy --input '$ALLOW'" || status=$?
case $status in
  0) echo "== check exit status 0: clean" ;;
  1) echo "== check exit status 1: unexpected rules found (the sample node's hand-added rule), as expected" ;;
  *) echo "== check exit status $status: the check could not be completed" >&2; exit "$status" ;;
esac
