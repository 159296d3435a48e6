#!/bin/sh
# The inside of bench/xt_fingerprint.sh, in its private network namespace.
set -eu
tmp=$1 BIN=$2 FP=$3 APISERVER=$4
. bench/lib/kube_apiserver_env.sh
DAEMON='' KUBE_PIDS=''
trap 'kill $DAEMON $KUBE_PIDS 2>/dev/null; wait' EXIT
export XTABLES_LOCKFILE="$tmp/xtables.lock"
kube_apiserver_up "$tmp" "$APISERVER"

measure() { # NODE PAUSE: the legacy tables hold NODE's rules
  echo "== fingerprint cost, $1"
  "$FP" "$PASSES"
  AIM_ENV_FILE=none "$BIN" --backend legacy --input tests/support/allowlists/kube-proxy-node \
    --kubeconfig "$tmp/node1.kubeconfig" --node-name node1 --interval "$INTERVAL" -v 2 \
    >"$tmp/daemon-$1.log" 2>&1 &
  DAEMON=$!
  PAUSE=$2 python3 bench/xt_fingerprint.py replace "$1" "$tmp" "$DAEMON"
  kill $DAEMON
  wait $DAEMON || true
  DAEMON=
  for t in $(cat /proc/net/ip_tables_names 2>/dev/null); do printf '*%s\nCOMMIT\n' "$t"; done |
    iptables-legacy-restore
}

iptables-legacy-restore <tests/support/rulesets/sample-node.v4.rules
iptables-legacy -D INPUT 5 # the hand-added rule: the node is clean
measure sample "$PAUSE_SAMPLE"
iptables-legacy-restore <"$tmp/kube-proxy.rules"
measure "$N-services" "$PAUSE_LARGE"
PAUSE=$PAUSE_SAMPLE python3 bench/xt_fingerprint.py table - "$tmp"
