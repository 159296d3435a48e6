#!/bin/sh
# Builds the .deb (dpkg-buildpackage) and the .rpm (rpmbuild) from the
# working tree, into $OUT (default build/packages):
#   azure-iptables-monitor_<version>_<arch>.deb
#   azure-iptables-monitor-<version>-1.<arch>.rpm
# then lints both and fails on any lintian error or warning (there are no
# lintian overrides) and on anything rpmlint still reports after
# rpm/azure-iptables-monitor.rpmlintrc (each filter says why there; the README
# lists them for operators).
# The version is CMakeLists.txt's project() version; debian/changelog and
# rpm/azure-iptables-monitor.spec must agree (each build checks it).
# Usage: scripts/build-packages.sh [deb|rpm|all]   (needs scripts/install-deps.sh)
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
WHAT=${1:-all}
OUT=${OUT:-$TOP/build/packages}
VERSION=$(scripts/version.sh)
NAME=azure-iptables-monitor-$VERSION
mkdir -p "$OUT"
STAGE=$(mktemp -d "$OUT/.stage-XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

# The source as git sees it (tracked and new, not ignored: no build trees),
# so uncommitted work is packaged too.
mkdir -p "$STAGE/$NAME"
git ls-files -z --cached --others --exclude-standard \
  | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
  | tar --null -T - -cf - | tar -xf - -C "$STAGE/$NAME"

if [ "$WHAT" = deb ] || [ "$WHAT" = all ]; then
  echo "== .deb"
  (cd "$STAGE/$NAME" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$OUT/deb-build.log" 2>&1 || {
    tail -40 "$OUT/deb-build.log" >&2; echo "build-packages: dpkg-buildpackage failed (log: $OUT/deb-build.log)" >&2; exit 1; }
  rm -f "$OUT"/azure-iptables-monitor_*.deb "$OUT"/azure-iptables-monitor-dbgsym_*.deb
  cp "$STAGE"/azure-iptables-monitor_"$VERSION"_*.deb "$OUT"/
  cp "$STAGE"/azure-iptables-monitor-dbgsym_"$VERSION"_*.deb "$OUT"/ 2>/dev/null || true
  deb=$(ls "$OUT"/azure-iptables-monitor_"$VERSION"_*.deb)
  echo "$deb"
  lintian --display-info --tag-display-limit 0 "$deb" >"$OUT/lintian.txt" 2>&1 || true
  if grep -E '^(E|W): ' "$OUT/lintian.txt" >&2; then
    echo "build-packages: lintian reports the above (all: $OUT/lintian.txt)" >&2; exit 1
  fi
  echo "lintian: no errors or warnings; informational: $(grep '^I: ' "$OUT/lintian.txt" | cut -d' ' -f3 | sort -u | tr '\n' ' ')"
fi

if [ "$WHAT" = rpm ] || [ "$WHAT" = all ]; then
  echo "== .rpm"
  tar -C "$STAGE" -czf "$STAGE/$NAME.tar.gz" "$NAME"
  mkdir -p "$STAGE/rpmbuild"
  # --nodeps only because this machine's libraries come from dpkg, not rpm.
  # The macros file supplies what Fedora/Azure Linux's systemd-rpm-macros
  # package defines, for building here; a real RPM build root has them.
  rpmbuild -bb --nodeps \
    --define "_topdir $STAGE/rpmbuild" \
    --define "_sourcedir $STAGE" \
    --load "$TOP/rpm/macros.build-here" \
    rpm/azure-iptables-monitor.spec >"$OUT/rpm-build.log" 2>&1 || {
    tail -40 "$OUT/rpm-build.log" >&2; echo "build-packages: rpmbuild failed (log: $OUT/rpm-build.log)" >&2; exit 1; }
  rm -f "$OUT"/azure-iptables-monitor-*.rpm
  find "$STAGE/rpmbuild/RPMS" -name "azure-iptables-monitor-$VERSION-*.rpm" ! -name '*debug*' -exec cp {} "$OUT"/ \;
  rpm=$(ls "$OUT"/azure-iptables-monitor-"$VERSION"-*.rpm)
  echo "$rpm"
  rpmlint -r rpm/azure-iptables-monitor.rpmlintrc "$rpm" rpm/azure-iptables-monitor.spec >"$OUT/rpmlint.txt" 2>&1 || true
  if ! grep -q ' 0 errors, 0 warnings' "$OUT/rpmlint.txt"; then
    cat "$OUT/rpmlint.txt" >&2; echo "build-packages: rpmlint reports the above" >&2; exit 1
  fi
  echo "rpmlint: $(grep 'errors,' "$OUT/rpmlint.txt")"
fi
