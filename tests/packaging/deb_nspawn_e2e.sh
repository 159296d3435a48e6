#!/bin/bash
# End-to-end test of the .deb as an operator uses it: apt install into a
# booted Debian 12 (systemd as PID 1 under systemd-nspawn, private network),
# then the service against a test API server inside the container
# (nspawn_lib.sh), reinstall, remove and purge.
#
# Usage: deb_nspawn_e2e.sh PACKAGE.deb
# Needs root, systemd-nspawn, debootstrap and the Debian mirror: the root is
# made once and cached; the package's dependencies are downloaded into the
# copy's apt cache before it boots without a network.
set -eu -o pipefail
UNIT=azure-iptables-monitor
# shellcheck source=nspawn_lib.sh
. "$(dirname "$0")/nspawn_lib.sh"
e2e_package_argument "${1:-}"
DEB=$PACKAGE
DEB_NAME=$PACKAGE_NAME
# As unattended upgrades run it: no terminal, stdin closed (a dpkg prompt
# would fail the command, not wait).
apt_in_ct() {  # apt-get ARGS... inside the container, from /opt/aim-test; log in $WORK/apt.log
  in_ct sh -c "cd /opt/aim-test && DEBIAN_FRONTEND=noninteractive apt-get $*" </dev/null >"$WORK/apt.log" 2>&1 \
    || { tail -30 "$WORK/apt.log"; fail "apt-get $* failed"; }
}

e2e_init deb-e2e
e2e_prepare_root "$DEB"
step "download the package's dependencies into the container's apt cache (host network, not booted)"
(nspawn --pipe sh -c "cd /opt/aim-test && apt-get install -qq --download-only -y ./$DEB_NAME") >"$WORK/download.log" 2>&1 \
  || { cat "$WORK/download.log"; fail "could not download the dependencies of $DEB_NAME"; }
e2e_boot
e2e_start_test_apiserver

step "apt install ./$DEB_NAME (no network: dependencies from the apt cache)"
apt_in_ct install -y "./$DEB_NAME"
[ "$(in_ct systemctl is-enabled "$UNIT")" = enabled ] || fail "the unit is not enabled after install"
for f in /usr/sbin/azure-iptables-monitor /lib/systemd/system/$UNIT.service /etc/default/$UNIT \
         /etc/azure-iptables-monitor/ipv4/filter /etc/azure-iptables-monitor/ipv6/filter \
         /usr/share/man/man8/azure-iptables-monitor.8.gz /usr/share/$UNIT/kubernetes/rbac.yaml \
         /usr/share/bash-completion/completions/azure-iptables-monitor \
         /usr/share/doc/$UNIT/README.md.gz /usr/share/doc/$UNIT/docs/REFERENCE.md.gz; do
  in_ct test -e "$f" || fail "$f not installed"
done
want_version=$(dpkg-deb -f "$DEB" Version)
in_ct /usr/sbin/azure-iptables-monitor --version | grep_q "$want_version" || fail "--version does not say $want_version"

e2e_expect_quiet_systemctl "apt install" "$WORK/apt.log"
# The package started the service on install; NODE_NAME is unset by default.
e2e_expect_unconfigured_skipped

step "reinstall while unconfigured: no systemctl error"
apt_in_ct install -y --reinstall "./$DEB_NAME"
e2e_expect_quiet_systemctl "apt reinstall (unconfigured)" "$WORK/apt.log"
e2e_expect_unconfigured_skipped
e2e_stock_scenario /etc/default/$UNIT
e2e_configure /etc/default/$UNIT
e2e_service_scenario
e2e_hidden_kubeconfig_scenario

step "reinstall (upgrade path): the operator's settings kept, the service restarted"
main_pid=$(unit_property MainPID)
apt_in_ct install -y --reinstall "./$DEB_NAME"
e2e_expect_quiet_systemctl "apt reinstall" "$WORK/apt.log"
e2e_expect_no_unlabel "apt reinstall" "$WORK/apt.log"
e2e_expect_kept_and_restarted reinstall "$main_pid"

step "unattended upgrade to a version whose /etc/default/$UNIT changed: nothing asks, the operator's settings stay"
# The same build repacked as a later version whose environment file and nat
# allowlist differ: real dpkg upgrade mechanics (prerm upgrade, conffile
# handling, postinst configure OLD-VERSION) without a second build.
upgrade_dir=$WORK/upgrade
dpkg-deb -R "$DEB" "$upgrade_dir"
new_version="${want_version}+e2e1"
sed -i "s/^Version: .*/Version: $new_version/" "$upgrade_dir/DEBIAN/control"
echo '# changed by the upgrade' >>"$upgrade_dir/etc/default/$UNIT"
echo '# added by the upgrade' >>"$upgrade_dir/etc/azure-iptables-monitor/ipv4/nat"
dpkg-deb -b "$upgrade_dir" "$ROOT/opt/aim-test/upgrade.deb" >/dev/null
main_pid=$(unit_property MainPID)
apt_in_ct install -y ./upgrade.deb
e2e_expect_no_unlabel "the upgrade" "$WORK/apt.log"
[ "$(in_ct dpkg-query -W -f='${Version} ${db:Status-Abbrev}' "$UNIT")" = "$new_version ii " ] \
  || fail "not upgraded and configured: $(in_ct dpkg-query -W -f='${Version} ${db:Status-Abbrev}' "$UNIT")"
in_ct grep -q '^# added by the upgrade' /etc/azure-iptables-monitor/ipv4/nat || fail "the unedited nat allowlist was not updated"
e2e_expect_packaged_env_followed "the upgrade" /etc/default/$UNIT
e2e_expect_kept_and_restarted "the upgrade" "$main_pid"

step "systemctl stop is quick"
t0=$SECONDS
in_ct systemctl stop "$UNIT"
[ $((SECONDS - t0)) -le 5 ] || fail "stop took $((SECONDS - t0)) s"

step "apt remove: the unit stops, then the label is removed with the node's credentials; configuration kept; the metrics file removed"
in_ct systemctl start "$UNIT"
wait_for 20 label_is false || fail "label is '$(label)' before removal, want false"
in_ct test -f "$E2E_METRICS" || fail "no metrics file before remove"
e2e_expect_unlabel_refused_while_running
apt_in_ct remove -y "$UNIT"
e2e_expect_label_removed "apt remove" "$WORK/apt.log"
in_ct test -e "$E2E_METRICS" && fail "remove left the metrics file (node-exporter would serve a stale verdict)"
e2e_expect_absent "remove" /usr/sbin/azure-iptables-monitor /lib/systemd/system/$UNIT.service
in_ct test -e /etc/default/$UNIT || fail "remove deleted the configuration (conffiles stay until purge)"
in_ct test -e "$E2E_LOCAL_ENV" || fail "remove deleted $E2E_LOCAL_ENV (configuration stays until purge)"
apt_in_ct purge -y "$UNIT"
e2e_expect_no_unlabel "apt purge after remove" "$WORK/apt.log"
e2e_expect_absent "purge" /usr/sbin/azure-iptables-monitor /lib/systemd/system/$UNIT.service \
  /etc/default/$UNIT /etc/azure-iptables-monitor /usr/share/doc/$UNIT /usr/share/$UNIT \
  /usr/share/man/man8/azure-iptables-monitor.8.gz /usr/share/bash-completion/completions/azure-iptables-monitor \
  /etc/systemd/system/multi-user.target.wants/$UNIT.service \
  /var/lib/systemd/deb-systemd-helper-enabled/$UNIT.service.dsh-also
if in_ct dpkg-query -W -f='${db:Status-Status}\n' "$UNIT" 2>/dev/null | grep -qv not-installed; then
  fail "dpkg still lists the package"
fi
if in_ct systemctl cat "$UNIT" >/dev/null 2>&1; then fail "systemd still knows the unit"; fi

# The control: the same upgrade of an install whose packaged file was edited
# (the old way of setting NODE_NAME) stops at dpkg's conffile prompt, so the
# upgrade above went through because nothing asked, not because nothing
# could.
step "control: with /etc/default/$UNIT edited, the same unattended upgrade stops at dpkg's prompt"
apt_in_ct install -y "./$DEB_NAME"
in_ct sh -c "echo NODE_NAME=node1 >>/etc/default/$UNIT"
if in_ct sh -c "cd /opt/aim-test && DEBIAN_FRONTEND=noninteractive apt-get install -y ./upgrade.deb" </dev/null >"$WORK/apt.log" 2>&1; then
  cat "$WORK/apt.log"; fail "the upgrade of an edited conffile went through: the test could not see a prompt"
fi
grep_q -i 'conffile' "$WORK/apt.log" || { cat "$WORK/apt.log"; fail "the failed upgrade does not name the conffile prompt"; }
echo "PASS: apt install, unconfigured (skipped, not failed), stock configuration unedited (node name from the kubelet's certificate; IPv6 checked; check and validate by hand agree), operator settings in $E2E_LOCAL_ENV, a kubeconfig hidden by ProtectHome named as such, start, status, journal, label flips, reload, reinstall, unattended upgrade with a changed /etc/default file (no prompt, settings kept), stop, remove (label removed, still absent 5 s later), purge; control: the same upgrade with /etc/default edited stops at the prompt"
