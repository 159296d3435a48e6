#!/bin/bash
# End-to-end test of the .rpm's scriptlets and layout under a booted systemd
# (nspawn_lib.sh): rpm -i, %post (preset), /etc/sysconfig, the service against
# the test API server, rpm -U (%postun try-restart, %config(noreplace)),
# rpm -e (%preun disable --now, .rpmsave for edited configuration).
# The container is Debian 12 with Debian's rpm: --nodeps because the
# libraries the binary links are Debian's (owned by dpkg, as on the machine
# that built the .rpm); an Azure Linux / Fedora node resolves them by soname.
#
# Usage: rpm_nspawn_e2e.sh PACKAGE.rpm
set -eu -o pipefail
UNIT=azure-iptables-monitor
# shellcheck source=nspawn_lib.sh
. "$(dirname "$0")/nspawn_lib.sh"
e2e_package_argument "${1:-}"
RPM=$PACKAGE
RPM_NAME=$PACKAGE_NAME
rpm_in_ct() {  # rpm ARGS... inside the container, stdin closed; log in $WORK/rpm.log
  in_ct rpm "$@" </dev/null >"$WORK/rpm.log" 2>&1 || { cat "$WORK/rpm.log"; fail "rpm $* failed"; }
}

e2e_init rpm-e2e
e2e_prepare_root "$RPM"
step "a later release of the same build, whose /etc/sysconfig/$UNIT and nat allowlist differ"
e2e_rpm_upgrade_package "$RPM" "$ROOT/opt/aim-test/upgrade.rpm"
step "install the Debian packages that provide the sonames the .rpm requires (host network, not booted)"
# rpm's automatic Requires name sonames (libjsoncpp.so.25()(64bit)); the
# Debian package holding each is found on this (the building) machine.
debs=$(rpm -qp --requires "$RPM" | sed -n 's/^\(lib[^(]*\.so[^(]*\)(.*/\1/p' | sort -u | while read -r soname; do
  dpkg -S "*/$soname" 2>/dev/null | head -1 | cut -d: -f1
done | sort -u | tr '\n' ' ')
[ -n "$debs" ] || fail "found no Debian packages for the .rpm's library requirements"
(nspawn --pipe sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -qq -y $debs") >"$WORK/download.log" 2>&1 \
  || { cat "$WORK/download.log"; fail "could not install $debs"; }
e2e_boot
e2e_start_test_apiserver

step "rpm -i $RPM_NAME"
rpm_in_ct -i --nodeps "/opt/aim-test/$RPM_NAME"
for f in /usr/sbin/azure-iptables-monitor /usr/lib/systemd/system/$UNIT.service /etc/sysconfig/$UNIT \
         /etc/azure-iptables-monitor/ipv4/filter /usr/share/man/man8/azure-iptables-monitor.8.gz \
         /usr/share/bash-completion/completions/azure-iptables-monitor \
         /usr/share/doc/$UNIT/README.md /usr/share/doc/$UNIT/docs/REFERENCE.md; do
  in_ct test -e "$f" || fail "$f not installed"
done
in_ct test -e /etc/default/$UNIT && fail "the RPM installs /etc/default/$UNIT (it uses /etc/sysconfig)"
want=$(rpm -qp --qf '%{VERSION}' "$RPM")
in_ct /usr/sbin/azure-iptables-monitor --version | grep_q "$want" || fail "--version does not say $want"
# %post applies the preset policy (Debian's: enable); Fedora-style, it does not start the unit.
preset=$(in_ct systemctl is-enabled "$UNIT" || true)
[ "$preset" = enabled ] || fail "%post did not apply the preset (is-enabled: $preset)"
in_ct systemctl is-active -q "$UNIT" && fail "%post started the unit"

step "started without NODE_NAME"
in_ct systemctl start "$UNIT" >"$WORK/start.log" 2>&1 || { cat "$WORK/start.log"; fail "systemctl start of the unconfigured unit failed"; }
e2e_expect_quiet_systemctl "systemctl start (unconfigured)" "$WORK/start.log"
e2e_expect_unconfigured_skipped
e2e_stock_scenario /etc/sysconfig/$UNIT
e2e_configure /etc/sysconfig/$UNIT
e2e_service_scenario

step "rpm -U (same package again): %postun try-restarts, the operator's settings kept"
main_pid=$(unit_property MainPID)
rpm_in_ct -U --replacepkgs --nodeps "/opt/aim-test/$RPM_NAME"
e2e_expect_no_unlabel "rpm -U" "$WORK/rpm.log"
e2e_expect_kept_and_restarted "rpm -U" "$main_pid"

step "unattended upgrade (rpm -U, stdin closed) to a release whose /etc/sysconfig/$UNIT changed: the operator's settings stay"
main_pid=$(unit_property MainPID)
rpm_in_ct -U --nodeps /opt/aim-test/upgrade.rpm
e2e_expect_no_unlabel "the upgrade" "$WORK/rpm.log"
[ "$(in_ct rpm -q --qf '%{RELEASE}' "$UNIT")" = "$E2E_RPM_UPGRADE_RELEASE" ] || fail "not upgraded: $(in_ct rpm -q "$UNIT")"
in_ct grep -q '^# added by the upgrade' /etc/azure-iptables-monitor/ipv4/nat || fail "the unedited nat allowlist was not updated"
e2e_expect_packaged_env_followed "the upgrade" /etc/sysconfig/$UNIT
e2e_expect_kept_and_restarted "the upgrade" "$main_pid"

step "rpm -e: %preun stops and disables, then removes the label and the metrics file; edited configuration kept as .rpmsave"
in_ct test -f "$E2E_METRICS" || fail "no metrics file before rpm -e"
e2e_expect_unlabel_refused_while_running
rpm_in_ct -e --nodeps "$UNIT"
e2e_expect_label_removed "rpm -e" "$WORK/rpm.log"
in_ct test -e "$E2E_METRICS" && fail "rpm -e left the metrics file (node-exporter would serve a stale verdict)"
in_ct systemctl is-active -q "$UNIT" && fail "still running after rpm -e"
e2e_expect_absent "rpm -e" /usr/sbin/azure-iptables-monitor /usr/lib/systemd/system/$UNIT.service \
  /etc/sysconfig/$UNIT /etc/azure-iptables-monitor/ipv4/nat /usr/share/$UNIT \
  /usr/share/man/man8/azure-iptables-monitor.8.gz /usr/share/bash-completion/completions/azure-iptables-monitor \
  /etc/systemd/system/multi-user.target.wants/$UNIT.service
in_ct test -e "$E2E_LOCAL_ENV" || fail "rpm -e deleted $E2E_LOCAL_ENV (no package owns it)"
in_ct test -e /etc/azure-iptables-monitor/ipv4/filter.rpmsave || fail "the edited allowlist was not kept as .rpmsave"
if in_ct rpm -q "$UNIT" >/dev/null 2>&1; then fail "rpm still lists the package"; fi
echo "PASS: rpm -i (preset), unconfigured (skipped, not failed), stock configuration unedited (node name from the kubelet's certificate; IPv6 checked; check and validate by hand agree), operator settings in $E2E_LOCAL_ENV, start, status, journal, label flips, reload, rpm -U, unattended upgrade with a changed /etc/sysconfig file (settings kept), rpm -e (label removed, still absent 5 s later)"
