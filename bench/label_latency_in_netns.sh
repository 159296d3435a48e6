#!/bin/sh
# The inside of bench/label_latency.sh, in its private network namespace.
set -eu
tmp=$1 BIN=$2 APISERVER=$3 REPEATS=$4 STEADY=$5
ip link set lo up
tests/support/make_test_pki.sh "$tmp/pki" >/dev/null
printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n' >"$tmp/audit.yaml"
DAEMON= API= ETCD=
trap 'kill $DAEMON $API $ETCD 2>/dev/null; wait' EXIT
etcd --data-dir "$tmp/etcd" --listen-client-urls http://127.0.0.1:2379 \
  --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
  >"$tmp/etcd.log" 2>&1 &
ETCD=$!
"$APISERVER" --etcd-servers=http://127.0.0.1:2379 --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 --secure-port=6443 \
  --tls-cert-file="$tmp/pki/server.crt" --tls-private-key-file="$tmp/pki/server.key" \
  --client-ca-file="$tmp/pki/ca.crt" --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction \
  --service-account-key-file="$tmp/pki/sa.pub" --service-account-signing-key-file="$tmp/pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=10.96.0.0/24 \
  --cert-dir="$tmp/certs" --audit-policy-file="$tmp/audit.yaml" --audit-log-path="$tmp/audit.log" \
  >"$tmp/apiserver.log" 2>&1 &
API=$!
for who in admin node1; do
  cat >"$tmp/$who.kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: $tmp/pki/ca.crt}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {client-certificate: $tmp/pki/$who.crt, client-key: $tmp/pki/$who.key}}]
EOF
done
K="kubectl --kubeconfig $tmp/admin.kubeconfig"
i=0
until $K get --raw /readyz >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 240 ] || { echo "kube-apiserver not ready: $tmp/apiserver.log" >&2; exit 1; }
  sleep 0.5
done
$K apply -f etc/kubernetes/ciliumnode-crd-minimal.yaml -f etc/kubernetes/rbac.yaml >/dev/null
printf 'apiVersion: v1\nkind: Node\nmetadata: {name: node1}\n' | $K create -f - >/dev/null
i=0
until $K get ciliumnodes >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 240 ] || exit 1
  sleep 0.25
done
iptables-legacy-restore <tests/support/rulesets/sample-node.v4.rules
iptables-legacy -D INPUT 5
AIM_ENV_FILE=none "$BIN" --backend legacy --input tests/support/allowlists/kube-proxy-node \
  --kubeconfig "$tmp/node1.kubeconfig" --node-name node1 --interval 300 -v 2 \
  >"$tmp/daemon.log" 2>&1 &
DAEMON=$!
python3 bench/label_latency.py "$tmp" "$REPEATS" "$STEADY"
