#!/bin/sh
# The main job on the embedded default: installs what it needs, builds, makes
# a throwaway network namespace, loads the bundled sample node (an AKS node
# running kube-proxy, with one rule added by hand) into it, and runs one
# check against the bundled kube-proxy node allowlist. The machine's own
# iptables are never touched. Run as root. Exit status is check's: 1 here,
# because the hand-added rule is unexpected.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh >/dev/null
RULES=tests/support/rulesets/sample-node.v4.rules
ALLOW=tests/support/allowlists/kube-proxy-node
echo "== sample node ($RULES) in a private network namespace, allowlist $ALLOW"
exec unshare -n sh -c "iptables-legacy-restore < '$RULES' && ./build/azure-iptables-monitor check --dry-run --backend legacy --input '$ALLOW'"
