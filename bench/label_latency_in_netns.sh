#!/bin/sh
# The inside of bench/label_latency.sh, in its private network namespace.
set -eu
tmp=$1 BIN=$2 APISERVER=$3 REPEATS=$4 STEADY=$5
. bench/lib/kube_apiserver_env.sh
DAEMON= KUBE_PIDS=
trap 'kill $DAEMON $KUBE_PIDS 2>/dev/null; wait' EXIT
kube_apiserver_up "$tmp" "$APISERVER"
iptables-legacy-restore <tests/support/rulesets/sample-node.v4.rules
iptables-legacy -D INPUT 5
AIM_ENV_FILE=none "$BIN" --backend legacy --input tests/support/allowlists/kube-proxy-node \
  --kubeconfig "$tmp/node1.kubeconfig" --node-name node1 --interval 300 -v 2 \
  >"$tmp/daemon.log" 2>&1 &
DAEMON=$!
python3 bench/label_latency.py "$tmp" "$REPEATS" "$STEADY"
