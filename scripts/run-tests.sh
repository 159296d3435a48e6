#!/bin/sh
# Installs what the project needs, builds, and runs the whole test suite.
# Run as root: integration tests use private network namespaces (unshare -n)
# and the real iptables; as non-root they skip and say why.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
