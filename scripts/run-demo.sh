#!/bin/sh
# The main job on the embedded default: installs what it needs, builds, makes
# a throwaway network namespace, loads the bundled sample node ruleset into
# it, and prints the rules azure-iptables-monitor reads there. The machine's
# own iptables are never touched. Run as root.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh >/dev/null
RULES=tests/support/rulesets/sample-node.v4.rules
echo "== sample node ($RULES) loaded into a private network namespace"
exec unshare -n sh -c "iptables-legacy-restore < '$RULES' && ./build/azure-iptables-monitor rules --family all"
