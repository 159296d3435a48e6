#!/bin/sh
# Installs everything the project needs to build, run and test on Debian 12.
# Idempotent: packages already present are left alone, and apt-get update runs
# only when something is missing.
set -eu

PACKAGES="
  build-essential cmake pkg-config git
  iptables nftables ipset iproute2 kmod util-linux procps time python3 openssl etcd-server systemd
  libip4tc-dev libip6tc-dev libiptc-dev libxtables-dev
  libpcre2-dev libcurl4-openssl-dev libssl-dev libjsoncpp-dev libsystemd-dev libyaml-cpp-dev libbpf-dev bpftool libnftables-dev libmicrohttpd-dev
  curl
  libcli11-dev libgtest-dev libgmock-dev golang-go clang libclang-rt-14-dev
  dpkg-dev debhelper fakeroot lintian rpm rpmlint debootstrap systemd-container
  prometheus
  buildah podman runc ca-certificates
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  # `prometheus` is here for its promtool (the metrics tests lint with it);
  # the server the package enables is not wanted on a build machine.
  case " $missing " in
    *" prometheus "*)
      if [ -d /run/systemd/system ]; then systemctl disable --now prometheus.service >/dev/null 2>&1 || true; fi ;;
  esac
else
  echo "install-deps: all build and test dependencies present"
fi
