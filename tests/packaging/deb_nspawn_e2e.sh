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
apt_in_ct() {  # apt-get ARGS... inside the container, from /opt/aim-test; log in $WORK/apt.log
  in_ct sh -c "cd /opt/aim-test && DEBIAN_FRONTEND=noninteractive apt-get $*" >"$WORK/apt.log" 2>&1 \
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

step "reinstall (upgrade path): edited conffiles kept, the service restarted"
main_pid=$(unit_property MainPID)
apt_in_ct install -y --reinstall "./$DEB_NAME"
e2e_expect_quiet_systemctl "apt reinstall" "$WORK/apt.log"
e2e_expect_kept_and_restarted reinstall /etc/default/$UNIT "$main_pid"

step "upgrade to a newer version: unedited conffiles follow the package, edited ones are kept"
# The same build repacked as a later version whose nat allowlist differs:
# real dpkg upgrade mechanics (prerm upgrade, postinst configure OLD-VERSION)
# without a second build.
upgrade_dir=$WORK/upgrade
dpkg-deb -R "$DEB" "$upgrade_dir"
new_version="${want_version}+e2e1"
sed -i "s/^Version: .*/Version: $new_version/" "$upgrade_dir/DEBIAN/control"
echo '# added by the upgrade' >>"$upgrade_dir/etc/azure-iptables-monitor/ipv4/nat"
dpkg-deb -b "$upgrade_dir" "$ROOT/opt/aim-test/upgrade.deb" >/dev/null
main_pid=$(unit_property MainPID)
apt_in_ct install -y ./upgrade.deb
if grep -q 'kubectl label ciliumnode' "$WORK/apt.log"; then fail "the upgrade printed the removal note"; fi
[ "$(in_ct dpkg-query -W -f='${Version}' "$UNIT")" = "$new_version" ] || fail "not upgraded to $new_version"
in_ct grep -q '^# added by the upgrade' /etc/azure-iptables-monitor/ipv4/nat || fail "the unedited nat allowlist was not updated"
e2e_expect_kept_and_restarted "the upgrade" /etc/default/$UNIT "$main_pid"

step "systemctl stop is quick"
t0=$SECONDS
in_ct systemctl stop "$UNIT"
[ $((SECONDS - t0)) -le 5 ] || fail "stop took $((SECONDS - t0)) s"

step "apt remove keeps the configuration; apt purge removes everything"
in_ct test -f "$E2E_METRICS" || fail "no metrics file before remove"
apt_in_ct remove -y "$UNIT"
e2e_expect_label_note "apt remove" "$WORK/apt.log"
in_ct test -e "$E2E_METRICS" && fail "remove left the metrics file (node-exporter would serve a stale verdict)"
e2e_expect_absent "remove" /usr/sbin/azure-iptables-monitor /lib/systemd/system/$UNIT.service
in_ct test -e /etc/default/$UNIT || fail "remove deleted the configuration (conffiles stay until purge)"
apt_in_ct purge -y "$UNIT"
if grep -q 'kubectl label ciliumnode' "$WORK/apt.log"; then fail "apt purge after remove repeated the label note"; fi
e2e_expect_absent "purge" /usr/sbin/azure-iptables-monitor /lib/systemd/system/$UNIT.service \
  /etc/default/$UNIT /etc/azure-iptables-monitor /usr/share/doc/$UNIT /usr/share/$UNIT \
  /usr/share/man/man8/azure-iptables-monitor.8.gz /usr/share/bash-completion/completions/azure-iptables-monitor \
  /etc/systemd/system/multi-user.target.wants/$UNIT.service \
  /var/lib/systemd/deb-systemd-helper-enabled/$UNIT.service.dsh-also
if in_ct dpkg-query -W -f='${db:Status-Status}\n' "$UNIT" 2>/dev/null | grep -qv not-installed; then
  fail "dpkg still lists the package"
fi
if in_ct systemctl cat "$UNIT" >/dev/null 2>&1; then fail "systemd still knows the unit"; fi
echo "PASS: apt install, NODE_NAME unset (skipped, not failed), stock options (IPv6 checked; check and validate by hand agree), start, status, journal, label flips, reload, reinstall, upgrade, stop, remove (with the label note), purge"
