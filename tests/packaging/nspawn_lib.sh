# Shared by the package end-to-end tests (deb_nspawn_e2e.sh, rpm_nspawn_e2e.sh):
# a copy of the cached Debian 12 root (tests/support/make_nspawn_rootfs.sh)
# booted with systemd as PID 1 under systemd-nspawn with a private network
# (its iptables are the container's own), commands run inside with nsenter,
# and the test API server (tests/support/test_apiserver.py) inside the
# container on 127.0.0.1:6443 with node1's CiliumNode, Node and RBAC grants.
# Source it with UNIT set, then:
#   e2e_init NAME; e2e_prepare_root FILE...; [(nspawn --pipe CMD)]  (host network)
#   e2e_boot; e2e_start_test_apiserver; (install) ...
#   e2e_expect_unconfigured_skipped; e2e_stock_scenario ENV_FILE; e2e_configure ENV_FILE;
#   e2e_service_scenario
E2E_SUPPORT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../support" && pwd)

step() { echo "== $*"; }

# Sets PACKAGE (absolute) and PACKAGE_NAME from the test's argument.
e2e_package_argument() {
  [ -n "${1:-}" ] || { echo "usage: $0 PACKAGE"; exit 2; }
  [ -f "$1" ] || { echo "FAIL: $1 not found: build it with scripts/build-packages.sh (scripts/run-tests.sh does)"; exit 1; }
  PACKAGE=$(realpath "$1")
  PACKAGE_NAME=$(basename "$PACKAGE")
}
fail() {
  echo "FAIL: $*"
  if [ -n "${CT_PID:-}" ]; then
    echo "-- systemctl status"; in_ct systemctl status "$UNIT" --no-pager -l 2>&1 | tail -20 || true
    echo "-- journal"; in_ct journalctl -u "$UNIT" --no-pager -o short-precise 2>&1 | tail -40 || true
  fi
  exit 1
}

e2e_init() {
  if [ "$(id -u)" != 0 ]; then
    # Under CI=true every tier is required: fail, saying what was missing.
    if [ -n "${CI:-}" ] && [ "$CI" != false ] && [ "$CI" != 0 ]; then
      echo "FAIL: CI requires the package tests, which need root (systemd-nspawn, debootstrap)"; exit 1
    fi
    echo "SKIPPED: needs root (systemd-nspawn, debootstrap)"; exit 0
  fi
  local tool
  for tool in systemd-nspawn nsenter debootstrap; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/install-deps.sh installs it)"; exit 1; }
  done
  WORK=$(mktemp -d "/var/tmp/aim-$1-XXXXXX")
  ROOT=$WORK/root
  CGROUP=
  NSPAWN_PID=
  CT_PID=
  trap cleanup EXIT
}

cleanup() {
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true  # orderly shutdown of the container
    for _ in $(seq 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  if [ -n "$CGROUP" ]; then rmdir "$CGROUP" 2>/dev/null || true; fi
  rm -rf "$WORK"
}

# nspawn (with --keep-unit --register=no: no machined here) wants to be the
# only thing in its cgroup: the launcher gets its own, on either hierarchy.
make_cgroup() {
  local name
  name=$(basename "$WORK")
  if [ -d /sys/fs/cgroup/systemd ]; then CGROUP=/sys/fs/cgroup/systemd/$name
  else CGROUP=/sys/fs/cgroup/$name; fi
  mkdir -p "$CGROUP"
}
# systemd-nspawn ARGS... on the root, from its own cgroup. It moves and then
# replaces the shell it runs in, so call it in a subshell: `(nspawn ...)`,
# or `nspawn ... &` (then $! is nspawn itself).
nspawn() {
  echo "$BASHPID" >"$CGROUP/cgroup.procs"
  exec systemd-nspawn -q -D "$ROOT" --register=no --keep-unit "$@"
}
in_ct() { nsenter -t "$CT_PID" -m -u -i -n -p -- "$@"; }
# grep -q for the end of a pipe: it reads all its input, so under pipefail
# the writer is never killed by SIGPIPE when the match comes early.
grep_q() { grep "$@" >/dev/null; }
# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# Copies the cached root and puts FILE... (the package) in /opt/aim-test.
e2e_prepare_root() {
  step "root file system"
  local base
  base=$("$E2E_SUPPORT/make_nspawn_rootfs.sh")
  cp -a "$base" "$ROOT"
  mkdir -p "$ROOT/opt/aim-test"
  cp "$@" "$E2E_SUPPORT/test_apiserver.py" "$E2E_SUPPORT/make_test_pki.sh" "$ROOT/opt/aim-test/"
  # A small client for the test server's control API (runs in the container).
  cat >"$ROOT/opt/aim-test/control.py" <<'EOF'
import ssl, sys, urllib.request
method, path = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
ctx = ssl.create_default_context(cafile="/opt/aim-test/pki/ca.crt")
req = urllib.request.Request("https://127.0.0.1:6443" + path, data=body, method=method,
                             headers={"Authorization": "Bearer admin", "Content-Type": "application/json"})
print(urllib.request.urlopen(req, context=ctx, timeout=5).read().decode())
EOF
  make_cgroup
}

e2e_boot() {
  step "boot (systemd as PID 1, private network)"
  # $! is nspawn itself; its one child is the container's PID 1.
  nspawn --boot --private-network --machine=aim-e2e --console=passive >"$WORK/boot.log" 2>&1 &
  NSPAWN_PID=$!
  wait_for 30 pgrep -P "$NSPAWN_PID" || { cat "$WORK/boot.log"; fail "the container did not start"; }
  CT_PID=$(pgrep -P "$NSPAWN_PID")
  wait_for 60 in_ct systemctl is-system-running --wait || true
  local state
  state=$(in_ct systemctl is-system-running || true)
  [ "$state" = running ] || { in_ct systemctl --failed --no-pager || true; fail "system state is '$state', not running"; }
  if in_ct ip -o link show | grep -qv ' lo:'; then fail "the container has a network interface besides lo"; fi
}

e2e_start_test_apiserver() {
  step "test API server inside the container"
  in_ct sh /opt/aim-test/make_test_pki.sh /opt/aim-test/pki
  in_ct systemd-run -q --unit=aim-test-apiserver python3 /opt/aim-test/test_apiserver.py \
    --pki /opt/aim-test/pki --port-file /run/aim-test-port --port 6443
  wait_for 20 in_ct test -s /run/aim-test-port || fail "test API server did not start"
  control POST /_test/objects '{"ciliumnodes":["node1"],"nodes":{"node1":"uid-1"}}' >/dev/null
  control POST /_test/allow '{"user":"system:node:node1","verb":"patch","resource":"ciliumnodes"}' >/dev/null
  control POST /_test/allow '{"user":"system:node:node1","verb":"get","resource":"nodes"}' >/dev/null
  control POST /_test/allow '{"user":"system:node:node1","verb":"*","resource":"events"}' >/dev/null
  in_ct sh -c 'cat >/opt/aim-test/kubeconfig' <<'EOF'
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: /opt/aim-test/pki/ca.crt
contexts:
- name: test
  context: {cluster: test, user: node}
users:
- name: node
  user:
    client-certificate: /opt/aim-test/pki/node1.crt
    client-key: /opt/aim-test/pki/node1.key
EOF
}
control() { in_ct python3 /opt/aim-test/control.py "$@"; }
label() {
  control GET /_test/state | python3 -c 'import json,sys
print(json.load(sys.stdin)["ciliumnodes"]["node1"].get("kubernetes.azure.com/user-iptables-rules", "<none>"))'
}
label_is() { [ "$(label)" = "$1" ]; }
unit_property() { in_ct systemctl show -p "$1" --value "$UNIT"; }

# The unit started without NODE_NAME (the packaged default): its
# ExecCondition= skips it, so it is inactive, not failed, the system is not
# degraded because of it, the journal says why, and nothing restarts it.
e2e_expect_unconfigured_skipped() {
  step "without NODE_NAME: skipped (inactive, not failed), the reason in the journal, system not degraded"
  wait_for 10 in_ct sh -c "journalctl -u $UNIT --no-pager | grep -q 'no node name: set NODE_NAME'" \
    || fail "no journal message about NODE_NAME"
  in_ct journalctl -u "$UNIT" -p warning --no-pager -o cat | grep_q 'skipped (ExecCondition=), not failed' \
    || fail "the journal message (priority warning) does not say the service is skipped"
  if in_ct systemctl is-failed -q "$UNIT"; then fail "the unit is failed without NODE_NAME"; fi
  [ "$(unit_property ActiveState)" = inactive ] || fail "the unit is $(unit_property ActiveState), not inactive"
  # systemd's own word for it. (Its Result=exec-condition is not always still
  # there to see: an inactive unit nothing references yet, e.g. enabled with
  # `preset --no-reload`, is unloaded, and reloaded fresh when queried.)
  in_ct journalctl -u "$UNIT" --no-pager -o cat | grep_q "Skipped due to 'exec-condition'" \
    || fail "systemd did not record the unit as skipped by its ExecCondition="
  sleep 12  # RestartSec=10s: a restart loop would have started again by now
  [ "$(unit_property NRestarts)" = 0 ] || fail "the unit was restarted without NODE_NAME"
  [ "$(unit_property ActiveState)" = inactive ] || fail "the unit left the inactive state without NODE_NAME"
  local state
  state=$(in_ct systemctl is-system-running || true)
  [ "$state" = running ] || { in_ct systemctl --failed --no-pager || true; fail "system state is '$state', not running"; }
}

# Fails if LOG (an apt or rpm transcript) shows systemctl failing.
e2e_expect_quiet_systemctl() {
  local what=$1 log=$2
  if grep -Ei 'Could not execute systemctl|Job for .* failed|See "systemctl status' "$log"; then
    fail "$what printed a systemctl error"
  fi
}

# Runs `azure-iptables-monitor ARGS...` in the container as an operator would
# (no environment of the test's own): sets RUN_OUT (stdout and stderr) and
# RUN_STATUS.
run_by_hand() {
  RUN_STATUS=0
  RUN_OUT=$(in_ct env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/sbin/azure-iptables-monitor "$@" 2>&1) || RUN_STATUS=$?
}
# `check --dry-run` run by hand must say what the service did: exit 0 and
# label false when the label is false, exit 1 and label true when it is true.
e2e_expect_check_agrees() {
  local label_now status_want
  label_now=$(label)
  case $label_now in false) status_want=0 ;; true) status_want=1 ;; *) fail "label is '$label_now'" ;; esac
  run_by_hand check --dry-run
  [ "$RUN_STATUS" = "$status_want" ] || { echo "$RUN_OUT"; fail "check --dry-run exited $RUN_STATUS with the label $label_now (want $status_want)"; }
  echo "$RUN_OUT" | grep -qx "label: $label_now" || { echo "$RUN_OUT"; fail "check --dry-run does not say label: $label_now"; }
  echo "$RUN_OUT" | grep_q 'would send PATCH https://127.0.0.1:6443/apis/cilium.io/v2/ciliumnodes/node1' \
    || { echo "$RUN_OUT"; fail "check --dry-run does not use the service's node name and kubeconfig"; }
}

# The packaged configuration with only NODE_NAME set (the kubeconfig where
# the kubelet keeps it): the service labels the node, checks IPv6 (an
# ip6tables user rule labels it true), and `check --dry-run` and `validate`
# run by hand use what the service uses and agree with it.
e2e_stock_scenario() {
  local env_file=$1
  # A node always has tables (a namespace without any is `unknown`): the
  # kubelet's canary chains, as the kubelet creates them.
  in_ct iptables -t mangle -N KUBE-KUBELET-CANARY || fail "cannot create the kubelet's canary chain"
  in_ct ip6tables -t mangle -N KUBE-KUBELET-CANARY || fail "cannot create the kubelet's IPv6 canary chain"

  step "stock configuration, nothing edited: the node's name from the kubelet's certificate, label false"
  in_ct install -D -m 600 /opt/aim-test/kubeconfig /var/lib/kubelet/kubeconfig
  in_ct cp "$env_file" /opt/aim-test/env.packaged
  in_ct test ! -e "$E2E_LOCAL_ENV" || fail "the package ships $E2E_LOCAL_ENV (it must stay the operator's)"
  in_ct systemctl restart "$UNIT" || fail "systemctl restart failed"
  wait_for 20 label_is false || fail "label is '$(label)' with the stock configuration, want false"
  in_ct journalctl -u "$UNIT" --no-pager -o cat \
    | grep_q '^node name node1: from the client certificate of /var/lib/kubelet/kubeconfig (NODE_NAME is not set)$' \
    || fail "the journal does not say the node name came from the kubelet's certificate"

  step "by hand: validate and check --dry-run use the service's configuration and agree with it"
  run_by_hand validate -v 2
  [ "$RUN_STATUS" = 0 ] || { echo "$RUN_OUT"; fail "validate on the stock install exited $RUN_STATUS, want 0"; }
  echo "$RUN_OUT" | grep_q "configuration: $env_file (AZURE_IPTABLES_MONITOR_OPTS), then the command line" \
    || { echo "$RUN_OUT"; fail "validate -v 2 does not name $env_file as its configuration"; }
  echo "$RUN_OUT" | grep_q ' 0 problems$' || { echo "$RUN_OUT"; fail "validate found problems in the stock allowlists"; }
  e2e_expect_check_agrees
  run_by_hand check --dry-run -v 2
  echo "$RUN_OUT" | grep_q 'IPv6 patterns from /etc/azure-iptables-monitor/ipv6' \
    || { echo "$RUN_OUT"; fail "check by hand does not check IPv6 with the packaged allowlists"; }
  run_by_hand --env-file none check --dry-run -v 2
  echo "$RUN_OUT" | grep_q 'configuration: the command line only (--env-file none)' \
    || { echo "$RUN_OUT"; fail "--env-file none does not say it reads no file"; }

  # The stock interval is 300 s; a reload checks at once.
  step "stock options: an ip6tables user rule labels the node true (checked at once after systemctl reload)"
  in_ct ip6tables -A INPUT -p tcp --dport 2222 -j ACCEPT
  in_ct systemctl reload "$UNIT" || fail "systemctl reload failed"
  wait_for 20 label_is true || fail "label is '$(label)' after an ip6tables user rule, want true"
  in_ct journalctl -u "$UNIT" -p warning FAMILY=ipv6 TABLE=filter --no-pager -o verbose \
    | grep_q 'RULE=-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT' \
    || fail "no journal warning with FAMILY=ipv6 and RULE= for the ip6tables rule"
  e2e_expect_check_agrees
  echo "$RUN_OUT" | grep_q -- '-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT' \
    || { echo "$RUN_OUT"; fail "check by hand does not name the ip6tables rule"; }
  run_by_hand check --dry-run --ipv6=false
  [ "$RUN_STATUS" = 0 ] || { echo "$RUN_OUT"; fail "check --ipv6=false by hand exited $RUN_STATUS: the explicit flag did not win"; }
  in_ct ip6tables -D INPUT -p tcp --dport 2222 -j ACCEPT
  in_ct systemctl reload "$UNIT" || fail "systemctl reload failed"
  wait_for 20 label_is false || fail "label is '$(label)' after the ip6tables rule was deleted, want false"
  e2e_expect_check_agrees
}

# Sets NODE_NAME, KUBECONFIG (the test server) and a short interval with
# Events, -v 2 and a metrics file in node-exporter's textfile directory (the
# one the unit may write) in the operator's own environment file
# ($E2E_LOCAL_ENV, which no package owns), leaving the packaged ENV_FILE as
# shipped; the options repeat the packaged ones (which check IPv6) and add.
E2E_METRICS=/var/lib/prometheus/node-exporter/azure-iptables-monitor.prom
E2E_LOCAL_ENV=/etc/azure-iptables-monitor/environment
e2e_configure() {
  local env_file=$1 packaged_opts
  step "configure NODE_NAME, the kubeconfig and options in $E2E_LOCAL_ENV ($env_file as shipped)"
  packaged_opts=$(in_ct sed -n 's|^AZURE_IPTABLES_MONITOR_OPTS="\(.*\)"$|\1|p' "$env_file")
  case $packaged_opts in *--ipv6*) ;; *) fail "the packaged options in $env_file do not check IPv6 (--ipv6)" ;; esac
  printf '%s\n' "# This node's settings (read after $env_file; these win)." "NODE_NAME=node1" \
    "KUBECONFIG=/opt/aim-test/kubeconfig" \
    "AZURE_IPTABLES_MONITOR_OPTS=\"$packaged_opts --interval 2 --events -v 2 --metrics-file $E2E_METRICS\"" \
    | in_ct sh -c "cat >$E2E_LOCAL_ENV"
  in_ct mkdir -p "$(dirname "$E2E_METRICS")"
  in_ct cmp -s /opt/aim-test/env.packaged "$env_file" || fail "$env_file was edited"
}

# systemctl restart/status/reload, the journal, label flips for nft and
# legacy rules, and the sandbox the unit asks for, with the package installed
# and configured (after e2e_stock_scenario, which made the kubelet's chains).
# Leaves the service running with /etc/azure-iptables-monitor/ipv4/filter
# edited (it allows the port 2222 rule).
e2e_service_scenario() {
  step "systemctl restart (the environment file changed)"
  in_ct systemctl restart "$UNIT" || fail "systemctl restart failed"
  in_ct systemctl is-active -q "$UNIT" || fail "not active after restart"
  local status
  status=$(in_ct systemctl status "$UNIT" --no-pager -l || true)
  echo "$status" | grep_q 'Active: active (running)' || fail "systemctl status does not show active (running)"
  echo "$status" | grep 'Status: "' || fail "systemctl status shows no STATUS line"

  step "the API server received label false (only allowlisted rules)"
  wait_for 20 label_is false || fail "label is '$(label)', want false"
  in_ct journalctl -u "$UNIT" VERDICT=clean --no-pager -o cat | grep_q '^verdict clean' \
    || fail "journalctl -u shows no check verdict (VERDICT=clean)"
  in_ct journalctl -u "$UNIT" --no-pager -o cat | grep_q '^check took .* s: ' \
    || fail "journalctl -u shows no per-check line at -v 2"

  e2e_expect_metrics clean

  step "the process runs in the sandbox the unit asks for"
  local main_pid proc_status
  main_pid=$(unit_property MainPID)
  proc_status=$(in_ct cat /proc/"$main_pid"/status)
  echo "$proc_status" | grep -Eq '^Seccomp:[[:space:]]+2$' || fail "the service runs without a seccomp filter"
  echo "$proc_status" | grep -Eq '^NoNewPrivs:[[:space:]]+1$' || fail "the service runs without NoNewPrivileges"
  echo "$proc_status" | grep -Eq '^CapBnd:[[:space:]]+0000000000003000$' \
    || fail "capability bounding set is not CAP_NET_ADMIN+CAP_NET_RAW: $(echo "$proc_status" | grep CapBnd)"

  step "a user rule (iptables-nft, the container's default) flips the label to true"
  in_ct iptables -A INPUT -p tcp --dport 2222 -j DROP
  wait_for 20 label_is true || fail "label is '$(label)' after a user rule, want true"
  in_ct journalctl -u "$UNIT" -p warning TABLE=filter --no-pager -o verbose \
    | grep_q 'RULE=-A INPUT -p tcp -m tcp --dport 2222 -j DROP' \
    || fail "no journal warning with TABLE=filter and RULE= for the user rule"
  control GET /_test/state | grep_q '"Warning"' || fail "no Warning Event recorded"
  e2e_expect_metrics unexpected
  in_ct journalctl -u "$UNIT" MESSAGE_ID=1e1ab4497e3f4d3a9ab5f763780f1755 --no-pager -o verbose \
    | grep_q 'RULE=-A INPUT -p tcp -m tcp --dport 2222 -j DROP' \
    || fail "journalctl MESSAGE_ID= (unexpected rule) does not find the user rule"
  in_ct journalctl -u "$UNIT" MESSAGE_ID=f0dcdbe252dc418db7c7a20cc6c8319b VERDICT=unexpected --no-pager -o cat \
    | grep_q '^verdict unexpected' || fail "journalctl MESSAGE_ID= (verdict change) does not find the change"

  step "systemctl reload after allowing the rule: label back to false"
  in_ct sh -c "echo '^-A INPUT -p tcp -m tcp --dport 2222 -j DROP\$' >>/etc/azure-iptables-monitor/ipv4/filter"
  in_ct systemctl reload "$UNIT" || fail "systemctl reload failed"
  wait_for 20 label_is false || fail "label is '$(label)' after reload with the rule allowed, want false"
  e2e_expect_metrics clean
  [ "$(unit_property MainPID)" = "$main_pid" ] || fail "reload restarted the process"
  # journald files entries asynchronously: the label can be seen before the
  # line saying why is readable.
  reload_logged() {
    in_ct journalctl -u "$UNIT" --no-pager -o cat | grep_q 'reloading allowlists and credentials (SIGHUP)'
  }
  wait_for 10 reload_logged || fail "no reload in the journal"

  step "a legacy rule (libiptc + a dlopen'ed extension, under the seccomp filter and W^X)"
  in_ct iptables-legacy -t mangle -A PREROUTING -p udp -m udp --dport 4444 -j MARK --set-xmark 0x4/0xffffffff
  wait_for 20 label_is true || fail "label is '$(label)' after a legacy user rule, want true"
  in_ct journalctl -u "$UNIT" TABLE=mangle --no-pager -o verbose | grep_q 'RULE=.*--dport 4444' \
    || fail "no journal entry for the legacy mangle rule"
  in_ct iptables-legacy -t mangle -D PREROUTING -p udp -m udp --dport 4444 -j MARK --set-xmark 0x4/0xffffffff
  wait_for 20 label_is false || fail "label is '$(label)' after the legacy rule was deleted, want false"
  [ "$(unit_property NRestarts)" = 0 ] || fail "the service restarted while checking"
  if in_ct journalctl -u "$UNIT" --no-pager | grep -Eiq 'seccomp|bad system call|SIGSYS|operation not permitted'; then
    fail "the journal shows a sandbox denial"
  fi
  e2e_flag_error_scenario
}

# The metrics file the service writes passes promtool (the host's: the
# container's file system is $ROOT) and shows VERDICT.
e2e_expect_metrics() {
  local verdict=$1 file="$ROOT$E2E_METRICS"
  command -v promtool >/dev/null || fail "promtool not installed on the host (scripts/install-deps.sh: prometheus)"
  wait_for 20 grep -qx "azure_iptables_monitor_verdict{verdict=\"$verdict\"} 1" "$file" \
    || { cat "$file" 2>&1; fail "the metrics file does not show the verdict $verdict"; }
  promtool check metrics <"$file" || fail "promtool check metrics rejects $E2E_METRICS"
  [ "$(stat -c %a "$file")" = 644 ] || fail "$E2E_METRICS is not mode 0644"
}

# A typo in the options: the service stops (exit status 78, not restarted)
# and `journalctl -p err` says why, words in the order given. Then the
# options are put back and it runs again.
e2e_flag_error_scenario() {
  step "a flag error: the unit fails, journalctl -p err says why"
  local env_file=$E2E_LOCAL_ENV
  in_ct cp "$env_file" /opt/aim-test/env.good
  in_ct sed -i 's|^AZURE_IPTABLES_MONITOR_OPTS="\(.*\)"|AZURE_IPTABLES_MONITOR_OPTS="\1 --intreval 60"|' "$env_file"
  in_ct systemctl restart "$UNIT" >/dev/null 2>&1 || true
  wait_for 20 in_ct systemctl is-failed -q "$UNIT" || fail "the unit did not fail with --intreval in its options"
  [ "$(unit_property ExecMainStatus)" = 78 ] || fail "exit status $(unit_property ExecMainStatus), want 78"
  in_ct journalctl -u "$UNIT" -p err --no-pager -o cat | grep_q 'not expected: --intreval 60 ' \
    || { in_ct journalctl -u "$UNIT" --no-pager -n 5; fail "journalctl -p err does not say why it stopped"; }
  in_ct cp /opt/aim-test/env.good "$env_file"
  in_ct systemctl reset-failed "$UNIT"
  in_ct systemctl restart "$UNIT" || fail "systemctl restart failed after the options were fixed"
  wait_for 20 label_is false || fail "label is '$(label)' after the fixed restart, want false"
}

# A kubeconfig under /root (readable by hand, hidden from the service by the
# unit's ProtectHome=yes): the service says it is hidden and how to fix it
# (not "does not exist yet"), and a command run by hand warns that the
# service cannot see it. Then the settings are put back.
e2e_hidden_kubeconfig_scenario() {
  step "KUBECONFIG under /root: the service names the unit's ProtectHome=yes, a command by hand warns"
  in_ct install -D -m 600 /opt/aim-test/kubeconfig /root/.kube/config
  in_ct cp "$E2E_LOCAL_ENV" /opt/aim-test/env.good
  in_ct sed -i 's|^KUBECONFIG=.*|KUBECONFIG=/root/.kube/config|' "$E2E_LOCAL_ENV"
  in_ct systemctl restart "$UNIT" || fail "systemctl restart failed"
  hidden_said() {
    in_ct journalctl -u "$UNIT" --no-pager -o cat \
      | grep_q 'kubeconfig /root/.kube/config cannot be seen by the service: the unit hides /root from the service (ProtectHome=yes)'
  }
  wait_for 20 hidden_said || fail "the service does not say the unit hides /root/.kube/config"
  if in_ct journalctl -u "$UNIT" --no-pager -o cat | grep_q '/root/.kube/config does not exist yet'; then
    fail "the service says the hidden kubeconfig does not exist yet"
  fi
  run_by_hand check --dry-run
  echo "$RUN_OUT" | grep_q 'warning: the service cannot see kubeconfig /root/.kube/config: the unit hides /root from the service (ProtectHome=yes)' \
    || { echo "$RUN_OUT"; fail "check by hand does not warn that the service cannot see /root/.kube/config"; }
  in_ct cp /opt/aim-test/env.good "$E2E_LOCAL_ENV"
  in_ct systemctl restart "$UNIT" || fail "systemctl restart failed"
  wait_for 20 label_is false || fail "label is '$(label)' with the kubeconfig back, want false"
}

# After WHAT (a reinstall or upgrade) of a configured, running service whose
# process was OLD_PID: the operator's environment file and edited allowlist
# are kept, the service was restarted with the operator's values and labels
# the node again.
e2e_expect_kept_and_restarted() {
  local what=$1 old_pid=$2 pid
  in_ct grep -qx 'NODE_NAME=node1' "$E2E_LOCAL_ENV" || fail "$what changed $E2E_LOCAL_ENV"
  in_ct grep -q 'dport 2222' /etc/azure-iptables-monitor/ipv4/filter || fail "$what replaced the edited allowlist"
  wait_for 20 in_ct systemctl is-active -q "$UNIT" || fail "not active after $what"
  pid=$(unit_property MainPID)
  [ "$pid" != "$old_pid" ] || fail "$what did not restart the service"
  in_ct cat /proc/"$pid"/cmdline | tr '\0' ' ' | grep_q -- "--interval 2 --events -v 2 --metrics-file $E2E_METRICS" \
    || fail "after $what the service does not run with the operator's options: $(in_ct cat /proc/"$pid"/cmdline | tr '\0' ' ')"
  in_ct cat /proc/"$pid"/environ | tr '\0' '\n' | grep_q -x 'NODE_NAME=node1' \
    || fail "after $what the service does not have the operator's NODE_NAME"
  wait_for 20 label_is false || fail "label is '$(label)' after $what, want false"
}

# After the upgrade WHAT (non-interactive, stdin closed, as unattended
# upgrades run): the package's ENV_FILE, which nobody edited, carries the new
# version's change (nothing asked), with no copy left beside it.
e2e_expect_packaged_env_followed() {
  local what=$1 env_file=$2
  in_ct grep -qx '# changed by the upgrade' "$env_file" || fail "$what did not update the unedited $env_file"
  e2e_expect_absent "$what" "$env_file.dpkg-dist" "$env_file.dpkg-old" "$env_file.rpmnew" "$env_file.rpmsave"
}

# By hand while the unit runs, `unlabel` refuses (exit 2) and says why: the
# service's watch would put the label back within a second.
e2e_expect_unlabel_refused_while_running() {
  local out rc=0
  in_ct systemctl is-active -q "$UNIT" || fail "the unit is not running before unlabel-while-running"
  out=$(in_ct /usr/sbin/azure-iptables-monitor unlabel 2>&1) || rc=$?
  [ "$rc" = 2 ] || { echo "$out"; fail "unlabel while the service runs exited $rc, want 2"; }
  echo "$out" | grep_q -F "the service runs on this host ($UNIT.service is active)" \
    || { echo "$out"; fail "unlabel while the service runs did not say so"; }
  echo "$out" | grep -qF 'removed the label' && { echo "$out"; fail "unlabel removed the label while the service runs"; }
  return 0
}

# The removal WHAT (its transcript LOG), after the unit stopped, removed the
# label from node1's CiliumNode with the node's credentials, said so once,
# and the label is still absent 5 s later (nothing put it back).
e2e_expect_label_removed() {
  local what=$1 log=$2
  local said='removed the label kubernetes.azure.com/user-iptables-rules of CiliumNode node1'
  [ "$(grep -cF -- "$said" "$log")" = 1 ] || { cat "$log"; fail "$what did not say once: $said"; }
  [ "$(label)" = "<none>" ] || fail "label is '$(label)' after $what, want none"
  sleep 5
  [ "$(label)" = "<none>" ] || fail "label is '$(label)' 5 s after $what: something put it back"
}

# WHAT (its transcript LOG) did not try to remove the label (an upgrade or a
# reinstall is not a removal).
e2e_expect_no_unlabel() {
  local what=$1 log=$2
  if grep -Eq 'the label kubernetes.azure.com/user-iptables-rules|kubectl label ciliumnode' "$log"; then
    cat "$log"; fail "$what tried to remove the label"
  fi
}

# Writes to OUT a later release of RPM (Release: RPM's + 1, in
# $E2E_RPM_UPGRADE_RELEASE) with the same files, scriptlets and file flags,
# except that its environment file and nat allowlist gain a line: real rpm
# upgrade mechanics (%config(noreplace), %preun/%postun with $1 = 1) without
# a second build of the program.
e2e_rpm_upgrade_package() {
  local rpm=$1 out=$2 dir=$WORK/rpm-upgrade name version release
  mkdir -p "$dir/root" "$dir/top"
  (cd "$dir/root" && rpm2cpio "$rpm" | cpio -idm --quiet) || fail "cannot unpack $rpm"
  echo '# changed by the upgrade' >>"$dir/root/etc/sysconfig/$UNIT"
  echo '# added by the upgrade' >>"$dir/root/etc/azure-iptables-monitor/ipv4/nat"
  name=$(rpm -qp --qf '%{NAME}' "$rpm")
  version=$(rpm -qp --qf '%{VERSION}' "$rpm")
  release=$(rpm -qp --qf '%{RELEASE}' "$rpm")
  E2E_RPM_UPGRADE_RELEASE=$((${release%%.*} + 1))
  # SECTION with the package's scriptlet TAG (macros expanded; '%' escaped
  # for the spec), when it has one.
  scriptlet() {
    local body
    body=$(rpm -qp --qf "%{$2}" "$rpm" | sed 's/%/%%/g')
    [ "$body" = "(none)" ] || printf '%s\n%s\n' "$1" "$body"
  }
  {
    echo "Name: $name"; echo "Version: $version"; echo "Release: $E2E_RPM_UPGRADE_RELEASE"
    echo "Summary: $name, repacked as a later release by the e2e test"; echo "License: MIT"
    echo "AutoReqProv: no"
    echo "%global debug_package %{nil}"; echo "%global __os_install_post %{nil}"
    echo "%description"; echo "Repacked."
    echo "%install"; echo "cp -a $dir/root/. %{buildroot}/"
    scriptlet %pre PREIN
    scriptlet %post POSTIN
    scriptlet %preun PREUN
    scriptlet %postun POSTUN
    echo "%files"
    # Each file with its kind: directories owned as %dir, configuration as
    # %config (noreplace when the package says so); "f" keeps empty flags a word.
    rpm -qp --qf '[%{FILEMODES:perms} f%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" | while read -r mode flags path; do
      case $mode in d*) echo "%dir $path"; continue ;; esac
      case $flags in
        *c*n* | *n*c*) echo "%config(noreplace) $path" ;;
        *c*) echo "%config $path" ;;
        *) echo "$path" ;;
      esac
    done
  } >"$dir/upgrade.spec"
  rpmbuild -bb --nodeps --define "_topdir $dir/top" "$dir/upgrade.spec" >"$dir/build.log" 2>&1 \
    || { tail -30 "$dir/build.log"; fail "cannot build the upgrade package"; }
  cp "$(find "$dir/top/RPMS" -name '*.rpm' | head -n 1)" "$out"
}

# Fails if any PATH... exists in the container.
e2e_expect_absent() {
  local what=$1 f; shift
  for f in "$@"; do
    if in_ct test -e "$f"; then fail "$what left $f"; fi
  done
}
