#!/bin/sh
# The inside of bench/rule_change.sh, in its private network namespace.
set -eu
tmp=$1 BIN=$2 APISERVER=$3
. bench/lib/kube_apiserver_env.sh
DAEMON= KUBE_PIDS=
trap 'kill $DAEMON $KUBE_PIDS 2>/dev/null; wait' EXIT
# The lock iptables-legacy takes: ours, not the host's /run/xtables.lock.
export XTABLES_LOCKFILE="$tmp/xtables.lock"
kube_apiserver_up "$tmp" "$APISERVER"

run_service() { # BACKEND PHASE: the service, then the driver for PHASE
  AIM_ENV_FILE=none "$BIN" --backend "$1" --input tests/support/allowlists/kube-proxy-node \
    --kubeconfig "$tmp/node1.kubeconfig" --node-name node1 --interval "$INTERVAL" -v 2 \
    ${MIN_CHECK_INTERVAL:+--min-check-interval "$MIN_CHECK_INTERVAL"} \
    >"$tmp/daemon-$2-$1.log" 2>&1 &
  DAEMON=$!
  python3 bench/rule_change.py "$2" "$1" "$tmp" "$DAEMON"
  kill $DAEMON
  wait $DAEMON || true
  DAEMON=
  # Empty for the next run: no nft table; legacy tables stay loaded, empty.
  nft flush ruleset
  for t in $(cat /proc/net/ip_tables_names 2>/dev/null); do printf '*%s\nCOMMIT\n' "$t"; done |
    iptables-legacy-restore
}

for be in $BACKENDS; do
  "iptables-$be-restore" <tests/support/rulesets/sample-node.v4.rules
  "iptables-$be" -D INPUT 5 # the hand-added rule: the node is clean
  run_service "$be" quiet
done
for be in $BACKENDS; do
  "iptables-$be-restore" <"$tmp/kube-proxy.rules"
  run_service "$be" churn
done
python3 bench/rule_change.py table - "$tmp"
