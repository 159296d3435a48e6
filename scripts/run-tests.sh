#!/bin/sh
# Installs what the project needs, builds, and runs the whole test suite.
# Run as root: integration tests use private network namespaces (unshare -n),
# the real iptables and a real kube-apiserver; as non-root they skip and say why.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
# The real API server tier needs kube-apiserver built from Debian's source
# package: ~10 minutes once per machine, cached under /var/cache.
if [ "$(id -u)" = 0 ]; then
  if AIM_KUBE_APISERVER=$(./tests/support/build_kube_apiserver.sh); then
    export AIM_KUBE_APISERVER
  else
    echo "run-tests: WARNING: building kube-apiserver failed; the real API server tests will skip" >&2
  fi
fi
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
