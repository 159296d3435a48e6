#!/bin/sh
# Makes (once per machine) a Debian 12 root file system that boots with
# systemd as PID 1 under systemd-nspawn, for the package end-to-end test.
# Cached in $AIM_NSPAWN_CACHE (default /var/cache/azure-iptables-monitor-tests)
# as rootfs-bookworm/; prints its path. The test copies it before each run,
# so the cached tree itself is never booted or changed.
#
# What is in it and why:
#   systemd systemd-sysv dbus  the init the package is installed under
#   iptables                   the user adds rules with it; iptables-nft-save
#   python3 openssl            the test API server (tests/support/test_apiserver.py)
#                              and its certificates, run inside the container
#   procps iproute2 kmod       what an operator has on a node
#   rpm                        installs the .rpm too (rpm -i --nodeps: its
#                              libraries are Debian's, as on the build machine)
# The package's own library dependencies are not here on purpose: the test
# downloads exactly what `dpkg-deb -f ... Depends` names into the copy's apt
# cache, so `apt install ./*.deb` inside the booted container (no network)
# resolves them the way it would on a node.
set -eu
CACHE=${AIM_NSPAWN_CACHE:-/var/cache/azure-iptables-monitor-tests}
ROOT=$CACHE/rootfs-bookworm
INCLUDE=systemd,systemd-sysv,dbus,iptables,python3,openssl,procps,iproute2,kmod,rpm
# The cache is reused only if it was made with this same package list.
if [ "$(cat "$ROOT/.complete" 2>/dev/null)" = "$INCLUDE" ]; then echo "$ROOT"; exit 0; fi
exec 3>&1 1>&2  # progress to stderr, the path alone to stdout
export DEBIAN_FRONTEND=noninteractive
command -v debootstrap >/dev/null || apt-get install -y -qq --no-install-recommends debootstrap >/dev/null

# The same mirror this machine's apt uses (it may be the only one reachable).
mirror=$(grep -rhs '^URIs:' /etc/apt/sources.list.d/*.sources | grep -v security | head -1 | awk '{print $2}')
[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

mkdir -p "$CACHE"
rm -rf "$ROOT.partial"
debootstrap --variant=minbase \
  --include="$INCLUDE" \
  bookworm "$ROOT.partial" "$mirror" >"$CACHE/debootstrap.log" 2>&1 || {
  tail -20 "$CACHE/debootstrap.log"; exit 1; }
# A machine id and no getty: the container is driven with nsenter, not a console.
: >"$ROOT.partial/etc/machine-id"
rm -f "$ROOT.partial/etc/systemd/system/getty.target.wants/"* 2>/dev/null || true
# debootstrap's downloads: each test copies the tree, so keep it small.
rm -f "$ROOT.partial"/var/cache/apt/archives/*.deb
rm -rf "$ROOT"
mv "$ROOT.partial" "$ROOT"
echo "$INCLUDE" >"$ROOT/.complete"
echo "$ROOT" >&3
