#!/bin/sh
# Prints the project's version: CMakeLists.txt's project(... VERSION X.Y.Z),
# the one place it is written. Used by scripts/build-packages.sh,
# debian/rules and the RPM spec's %prep (run from the source tree's top).
set -eu
v=$(sed -n -E 's/^project.azure-iptables-monitor VERSION ([0-9.]+).*/\1/p' "$(dirname "$0")/../CMakeLists.txt")
[ -n "$v" ] || { echo "version.sh: no project(... VERSION ...) in CMakeLists.txt" >&2; exit 1; }
echo "$v"
