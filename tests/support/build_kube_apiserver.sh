#!/bin/sh
# Builds a real kube-apiserver (v1.20.2, from Debian 12's `kubernetes` source
# package, with its dependencies bundled) for the real-API-server test tier,
# once per machine: the binary is cached in $AIM_KUBE_CACHE (default
# /var/cache/azure-iptables-monitor-tests). Prints the binary's path.
# Facts (DESIGN.md): ~9 min on 2 cores with Debian's Go 1.19; the bundled
# github.com/modern-go/reflect2 crashes under Go >= 1.18 and is replaced by
# Debian's golang-github-modern-go-reflect2-dev; a fresh machine needs a
# deb-src entry for `apt-get source`.
set -eu
CACHE=${AIM_KUBE_CACHE:-/var/cache/azure-iptables-monitor-tests}
BIN=$CACHE/kube-apiserver-v1.20.2
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE"
exec 3>&1 1>&2  # progress to stderr, the path alone to stdout

export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  # Same mirror and suites as the existing deb source, as deb-src.
  src=$(grep -rhs -A4 '^Types: deb$' /etc/apt/sources.list.d/*.sources | grep -m1 '^URIs:' | awk '{print $2}')
  suites=$(grep -rhs -A4 '^Types: deb$' /etc/apt/sources.list.d/*.sources | grep -m1 '^Suites:' | cut -d' ' -f2-)
  [ -n "$src" ] || src=http://deb.debian.org/debian
  [ -n "$suites" ] || suites="bookworm bookworm-updates"
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$src" "$suites" > /etc/apt/sources.list.d/aim-deb-src.sources
  apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends dpkg-dev golang-go golang-github-modern-go-reflect2-dev rsync jq >/dev/null

WORK=$(mktemp -d /tmp/aim-kube-build-XXXXXX)
cd "$WORK"
apt-get source -qq kubernetes >/dev/null 2>&1
cd kubernetes-*/
R=vendor/github.com/modern-go/reflect2
if [ -d "$R" ]; then
  rm -rf "$R"
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$R"
fi
# Vendored modules: build offline from the tree.
GOFLAGS=-mod=vendor GO111MODULE=on KUBE_GIT_VERSION=v1.20.2 make WHAT=cmd/kube-apiserver >/dev/null
out=$(find _output -type f -name kube-apiserver -perm -u+x | head -1)
cp "$out" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
cd /
rm -rf "$WORK"
echo "$BIN" >&3
