# Sourced by the bench scripts that need a real kube-apiserver, inside their
# private network namespace (so 127.0.0.1:6443 and :2379 are theirs alone).
#   kube_apiserver_up TMP APISERVER
# brings up loopback, etcd (Debian's) and APISERVER (v1.20.2: Node,RBAC,
# NodeRestriction, audit log at TMP/audit.log), applies the project's
# CiliumNode CRD and RBAC, creates Node node1, and writes
# TMP/admin.kubeconfig and TMP/node1.kubeconfig (certificates in TMP/pki).
# It appends the PIDs it started to KUBE_PIDS, for the caller's EXIT trap.
# Run from the repository's root.

kube_apiserver_up() {
  _tmp=$1
  ip link set lo up
  tests/support/make_test_pki.sh "$_tmp/pki" >/dev/null
  printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n' \
    >"$_tmp/audit.yaml"
  etcd --data-dir "$_tmp/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    >"$_tmp/etcd.log" 2>&1 &
  KUBE_PIDS="${KUBE_PIDS:-} $!"
  "$2" --etcd-servers=http://127.0.0.1:2379 --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 --secure-port=6443 \
    --tls-cert-file="$_tmp/pki/server.crt" --tls-private-key-file="$_tmp/pki/server.key" \
    --client-ca-file="$_tmp/pki/ca.crt" --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --service-account-key-file="$_tmp/pki/sa.pub" --service-account-signing-key-file="$_tmp/pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=10.96.0.0/24 \
    --cert-dir="$_tmp/certs" --audit-policy-file="$_tmp/audit.yaml" --audit-log-path="$_tmp/audit.log" \
    >"$_tmp/apiserver.log" 2>&1 &
  KUBE_PIDS="$KUBE_PIDS $!"
  for _who in admin node1; do
    cat >"$_tmp/$_who.kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: $_tmp/pki/ca.crt}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {client-certificate: $_tmp/pki/$_who.crt, client-key: $_tmp/pki/$_who.key}}]
KUBECONFIG
  done
  _k="kubectl --kubeconfig $_tmp/admin.kubeconfig"
  _i=0
  until $_k get --raw /readyz >/dev/null 2>&1; do
    _i=$((_i + 1))
    [ $_i -lt 240 ] || { echo "kube-apiserver not ready: $_tmp/apiserver.log" >&2; return 1; }
    sleep 0.5
  done
  $_k apply -f etc/kubernetes/ciliumnode-crd-minimal.yaml -f etc/kubernetes/rbac.yaml >/dev/null
  printf 'apiVersion: v1\nkind: Node\nmetadata: {name: node1}\n' | $_k create -f - >/dev/null
  _i=0
  until $_k get ciliumnodes >/dev/null 2>&1; do
    _i=$((_i + 1))
    [ $_i -lt 240 ] || { echo "CiliumNode CRD not served: $_tmp/apiserver.log" >&2; return 1; }
    sleep 0.25
  done
}
