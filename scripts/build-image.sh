#!/bin/sh
# Builds the container image (a drop-in for upstream's) without pulling
# anything: no registry is needed, the root file system is made here from the
# built binary and what it loads, and committed with buildah "from scratch".
#
#   ./scripts/build-image.sh            (make azure-iptables-monitor-image)
#
# In the image, and nothing else (no shell, no package manager):
#   /usr/sbin/azure-iptables-monitor          the program (the entrypoint;
#                                              also /azure-iptables-monitor, as upstream's)
#   /usr/sbin/{ip,ip6}tables-nft-save          for operators (xtables-nft-multi; the program
#                                              reads nft rules itself and never runs it)
#   the xtables extensions both load (not ebtables'/arptables'), every shared
#   library any of these needs, the loader, the CA bundle, and the name tables
#   rule listings use (/etc/protocols; /etc/iproute2/{group,rt_realms,rt_marks})
#   so that rules print as `iptables -S` and `nft list` print them on this host.
#
# The image's configuration sets AIM_RUNTIME=pod: the service's messages then
# name the DaemonSet's levers (the downward API, the ConfigMaps, the
# kubelet's restarts) instead of the package's (the environment file,
# systemd), whichever manifest runs it.
#
# Tagged $IMAGE:<version> and $IMAGE:latest in the local container storage
# (podman and buildah share it) and written as an OCI archive ($ARCHIVE;
# `podman load -i` takes it). The image carries the digest of its contents as
# a label: when nothing changed, the existing image is kept and only the
# archive is written if missing (tests build it once per run).
#
# Environment: BUILD_DIR (build), BINARY ($BUILD_DIR/azure-iptables-monitor),
# IMAGE (localhost/azure-iptables-monitor), ARCHIVE
# ($BUILD_DIR/azure-iptables-monitor-image.tar). Run as root (buildah's
# storage); needs buildah (scripts/install-deps.sh installs it).
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BINARY=${BINARY:-$BUILD_DIR/azure-iptables-monitor}
IMAGE=${IMAGE:-localhost/azure-iptables-monitor}
ARCHIVE=${ARCHIVE:-$BUILD_DIR/azure-iptables-monitor-image.tar}
VERSION=$(./scripts/version.sh)
CONTENT_LABEL=io.github.azure-iptables-monitor.content-digest

die() { echo "build-image: $*" >&2; exit 1; }
command -v buildah >/dev/null || die "buildah is not installed (./scripts/install-deps.sh installs it)"
[ -x "$BINARY" ] || die "no binary at $BINARY: build it first (make azure-iptables-monitor)"
if ldd "$BINARY" | grep -q 'libasan\|libubsan\|libtsan'; then
  die "$BINARY is a sanitizer build; an image takes a normal build's binary"
fi
XTLIBDIR=$(pkg-config --variable=xtlibdir xtables 2>/dev/null || true)
[ -d "$XTLIBDIR" ] || die "no xtables extension directory (install libxtables-dev)"
NFT_MULTI=$(readlink -f "$(command -v iptables-nft-save || echo /usr/sbin/iptables-nft-save)")
[ -x "$NFT_MULTI" ] || die "iptables-nft-save not found (install iptables)"

CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[ -s "$CA_BUNDLE" ] || die "no CA bundle at $CA_BUNDLE (install ca-certificates)"

ROOT=$BUILD_DIR/image-root
rm -rf "$ROOT"
mkdir -p "$ROOT"

# Debian's layout is merged /usr: /lib, /lib64, /bin and /sbin are links into
# /usr, so every path from ldd is put under /usr and reachable by both names.
canonical() {
  case $1 in
    /lib/* | /lib64/* | /bin/* | /sbin/*) echo "/usr$1" ;;
    *) echo "$1" ;;
  esac
}
# Copies FILE's content (links followed) to PATH in the root.
put() {
  dest=$ROOT$2
  mkdir -p "$(dirname "$dest")"
  [ -e "$dest" ] || cp -L --preserve=mode "$1" "$dest"
}
# The shared libraries FILE needs (all of them, transitively) and its loader.
libraries_of() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

for d in usr/lib usr/lib64 usr/bin usr/sbin; do mkdir -p "$ROOT/$d"; done
for d in lib lib64 bin sbin; do ln -s "usr/$d" "$ROOT/$d"; done

strip --strip-debug -o "$ROOT/usr/sbin/azure-iptables-monitor" "$BINARY"
chmod 755 "$ROOT/usr/sbin/azure-iptables-monitor"
# Where upstream's image has it, for manifests that name it (command:).
ln -s usr/sbin/azure-iptables-monitor "$ROOT/azure-iptables-monitor"
put "$NFT_MULTI" /usr/sbin/xtables-nft-multi
ln -s xtables-nft-multi "$ROOT/usr/sbin/iptables-nft-save"
ln -s xtables-nft-multi "$ROOT/usr/sbin/ip6tables-nft-save"

# The extensions the legacy reader (libxtables) and iptables-nft-save load,
# as files and links as they are here.
xt=$(canonical "$XTLIBDIR")
mkdir -p "$ROOT$xt"
for f in "$XTLIBDIR"/libxt_*.so "$XTLIBDIR"/libipt_*.so "$XTLIBDIR"/libip6t_*.so; do
  cp -P --preserve=mode "$f" "$ROOT$xt/"
done

for f in "$BINARY" "$NFT_MULTI" "$XTLIBDIR"/libxt_*.so "$XTLIBDIR"/libipt_*.so "$XTLIBDIR"/libip6t_*.so; do
  [ -L "$f" ] && continue
  libraries_of "$f"
done | sort -u | while read -r lib; do
  put "$lib" "$(canonical "$lib")"
done

put "$CA_BUNDLE" "$CA_BUNDLE"
for f in /etc/protocols /etc/iproute2/group /etc/iproute2/rt_realms /etc/iproute2/rt_marks; do
  [ -f "$f" ] && put "$f" "$f"
done
# Mount points a pod fills; present so that a read-only root still has them.
mkdir -p "$ROOT/etc/config" "$ROOT/etc/config6" "$ROOT/tmp" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
chmod 1777 "$ROOT/tmp"

# The root as one reproducible tar: its digest says whether anything changed.
LAYER=$BUILD_DIR/image-root.tar
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ROOT" -cf "$LAYER" .
digest=$(cat "$LAYER" "$0" | sha256sum | cut -d' ' -f1)

existing=$(buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$CONTENT_LABEL\"}}" \
  "$IMAGE:$VERSION" 2>/dev/null || true)
if [ "$existing" = "$digest" ]; then
  echo "build-image: $IMAGE:$VERSION is up to date (content $digest)"
else
  previous=$(buildah inspect --type image --format '{{.FromImageID}}' "$IMAGE:$VERSION" 2>/dev/null || true)
  ctr=$(buildah from --name "aim-image-build-$$" scratch)
  trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  buildah add --quiet "$ctr" "$LAYER" / >/dev/null
  buildah config \
    --entrypoint '["/usr/sbin/azure-iptables-monitor"]' --cmd '' \
    --env PATH=/usr/sbin:/usr/bin --env AIM_RUNTIME=pod --workingdir / --stop-signal SIGTERM \
    --os linux --arch "$(dpkg --print-architecture)" \
    --label "$CONTENT_LABEL=$digest" \
    --label "org.opencontainers.image.title=azure-iptables-monitor" \
    --label "org.opencontainers.image.version=$VERSION" \
    "$ctr"
  buildah commit --quiet --format oci --rm "$ctr" "$IMAGE:$VERSION" >/dev/null
  trap - EXIT
  rm -f "$ARCHIVE"
fi
buildah tag "$IMAGE:$VERSION" "$IMAGE:latest"
# The image this one replaced, now without a name: removed, so rebuilds do
# not pile up in the storage (kept if a container still uses it).
if [ -n "${previous:-}" ]; then
  buildah rmi "$previous" >/dev/null 2>&1 || true
fi
if [ ! -s "$ARCHIVE" ]; then
  rm -f "$ARCHIVE"
  buildah push --quiet "$IMAGE:$VERSION" "oci-archive:$ARCHIVE:$IMAGE:$VERSION" >/dev/null
fi
rm -f "$LAYER"

size=$(du -sb "$ROOT" | cut -f1)
echo "build-image: $IMAGE:$VERSION (and :latest): $(awk -v b="$size" 'BEGIN { printf "%.1f MB", b / 1e6 }') unpacked ($(find "$ROOT" -type f | wc -l) files); OCI archive $ARCHIVE: $(awk -v b="$(stat -c %s "$ARCHIVE")" 'BEGIN { printf "%.1f MB", b / 1e6 }')"
