#!/bin/sh
# The inside of bench/fleet.sh, in its private network namespace.
set -eu
tmp=$1 BIN=$2 APISERVER=$3 N=$4 STEADY=$5
. bench/lib/kube_apiserver_env.sh
KUBE_PIDS=
# The driver restarts the API server: its first pid is gone by then.
trap 'kill $KUBE_PIDS 2>/dev/null || true; wait' EXIT
kube_apiserver_up "$tmp" "$APISERVER"
iptables-legacy-restore <tests/support/rulesets/sample-node.v4.rules
iptables-legacy -D INPUT 5
# The API server is the last process started: the driver restarts and freezes it.
APISERVER_PID=${KUBE_PIDS##* }
python3 bench/fleet.py "$tmp" "$BIN" "$N" "$STEADY" "$APISERVER_PID"
