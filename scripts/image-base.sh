#!/usr/bin/env bash
# Makes, in buildah's local storage, the two base images the Dockerfile names, for a machine that cannot
# pull them (no registry serving them is reachable here):
#   debian:bookworm-slim   a Debian bookworm root file system made by mmdebstrap from Debian's packages,
#                          trimmed as Debian's slim images are (no docs, man pages, locales, apt caches);
#   node:20-bookworm-slim  that, plus the Node 20 this machine runs (node, npm and corepack, laid out
#                          under /usr/local as in the official image, so the Dockerfile's steps work the
#                          same on either).
# buildah stores a short name as docker.io/library/NAME, the name the Dockerfile's FROM resolves to.
#
# Cached, so only the first run pays (mmdebstrap: about 1.5 minutes on 2 cores):
#   - the root file system as a tar in $PORTICO_IMAGE_CACHE (default ~/.cache/portico-image);
#   - each image, with a key of this script (and of the Node version, for the Node image) written beside
#     the tar with the image's id; made again when the key changes or the image is gone. Delete the
#     cache directory to take Debian's newest packages.
#
# Environment: PORTICO_IMAGE_CACHE; NODE (the node executable to carry, default the one on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=bookworm
DEBIAN_IMAGE="debian:$SUITE-slim"
NODE_IMAGE="node:20-$SUITE-slim"
CACHE="${PORTICO_IMAGE_CACHE:-${HOME:-/root}/.cache/portico-image}"
ROOTFS="$CACHE/$SUITE-minbase.tar"
ROOTFS_TMP="$CACHE/.partial-$SUITE-minbase.tar" # mmdebstrap picks its output format from the .tar suffix
NODE="${NODE:-$(command -v node)}"
NODE_PREFIX="$(cd "$(dirname "$(readlink -f "$NODE")")/.." && pwd)" # /usr for Debian's and NodeSource's packages
NODE_VERSION="$("$NODE" --version)"

log() { printf 'image-base: %s\n' "$*" >&2; }

case "$NODE_VERSION" in
  v20.*) ;;
  *) log "the Dockerfile's build stages use Node 20; $NODE is $NODE_VERSION"; exit 1 ;;
esac

script_key="$(sha256sum "$0" | cut -c1-16)"
image_id() { buildah inspect --type image --format '{{.FromImageID}}' "$1" 2>/dev/null || true; }
# True when image $1 is the one made with key $2 (the key file names its id).
current() {
  local id
  id="$(image_id "$1")"
  [ -n "$id" ] && [ "$(cat "$CACHE/${1//[:\/]/_}.key" 2>/dev/null || true)" = "$2 $id" ]
}

stage="$(mktemp -d)"
ctr=""
cleanup() { [ -z "$ctr" ] || buildah rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$stage"; }
trap cleanup EXIT

# Commits the working container $ctr as $1 and records it as made with key $2.
commit() {
  buildah commit --quiet --rm "$ctr" "$1" >/dev/null
  ctr=""
  printf '%s %s\n' "$2" "$(image_id "$1")" >"$CACHE/${1//[:\/]/_}.key"
  log "$1 ready: $(buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$1")"
}

# --- debian:bookworm-slim ----------------------------------------------------------------------
mkdir -p "$CACHE"
if current "$DEBIAN_IMAGE" "$script_key"; then
  log "$DEBIAN_IMAGE (key $script_key) already in buildah's storage"
else
  if [ ! -s "$ROOTFS" ]; then
    log "making the Debian $SUITE root file system with mmdebstrap (cold: about 1.5 minutes)"
    start=$(date +%s)
    rm -rf "$ROOTFS_TMP"
    # minbase: Essential and apt only, as Debian's slim images. merged-usr hook: /bin -> usr/bin without
    # the usrmerge package (which pulls perl, about 40 MB). The dpkg excludes stay in the image
    # (/etc/dpkg/dpkg.cfg.d), so packages the Dockerfile installs leave their docs out too.
    if ! mmdebstrap --variant=minbase --quiet \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --aptopt='Acquire::Languages "none"' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --customize-hook='rm -f "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old' \
      "$SUITE" "$ROOTFS_TMP" \
      "deb http://deb.debian.org/debian $SUITE main" \
      "deb http://deb.debian.org/debian $SUITE-updates main" \
      "deb http://deb.debian.org/debian-security $SUITE-security main" >"$CACHE/mmdebstrap.log" 2>&1; then
      cat "$CACHE/mmdebstrap.log" >&2
      log "mmdebstrap failed (its output is above and in $CACHE/mmdebstrap.log)"
      exit 1
    fi
    mv "$ROOTFS_TMP" "$ROOTFS"
    log "made $ROOTFS in $(( $(date +%s) - start ))s"
  fi
  # As Debian's container images do: apt keeps no package cache or downloaded .debs in the image (without
  # this, one apt-get install in a Dockerfile leaves about 74 MB of pkgcache.bin and srcpkgcache.bin).
  mkdir -p "$stage/debian/etc/apt/apt.conf.d"
  cat >"$stage/debian/etc/apt/apt.conf.d/docker-clean" <<'APT'
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
APT
  tar -C "$stage/debian" -cf "$stage/debian.tar" --owner=0 --group=0 etc
  ctr="$(buildah from scratch)"
  buildah add --quiet "$ctr" "$ROOTFS" / >/dev/null
  buildah add --quiet "$ctr" "$stage/debian.tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd bash "$ctr"
  commit "$DEBIAN_IMAGE" "$script_key"
fi

# --- node:20-bookworm-slim ---------------------------------------------------------------------
# Its key: this script, the Node version, npm's package.json, and the Debian image it is made on.
node_key="$( (echo "$script_key $NODE_VERSION $(image_id "$DEBIAN_IMAGE")"; cat "$NODE_PREFIX/lib/node_modules/npm/package.json" 2>/dev/null || true) | sha256sum | cut -c1-16)"
if current "$NODE_IMAGE" "$node_key"; then
  log "$NODE_IMAGE (Node $NODE_VERSION, key $node_key) already in buildah's storage"
  exit 0
fi
mkdir -p "$stage/node/usr/local/bin" "$stage/node/usr/local/lib/node_modules"
cp "$(readlink -f "$NODE")" "$stage/node/usr/local/bin/node"
for pkg in npm corepack; do
  if [ -d "$NODE_PREFIX/lib/node_modules/$pkg" ]; then cp -a "$NODE_PREFIX/lib/node_modules/$pkg" "$stage/node/usr/local/lib/node_modules/"; fi
done
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/node/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/node/usr/local/bin/npx"
if [ -d "$stage/node/usr/local/lib/node_modules/corepack" ]; then
  ln -s ../lib/node_modules/corepack/dist/corepack.js "$stage/node/usr/local/bin/corepack"
fi
tar -C "$stage/node" -cf "$stage/node.tar" --owner=0 --group=0 usr
ctr="$(buildah from --pull=never "$DEBIAN_IMAGE")"
buildah add --quiet "$ctr" "$stage/node.tar" / >/dev/null
buildah config --env NODE_VERSION="${NODE_VERSION#v}" --cmd node "$ctr"
commit "$NODE_IMAGE" "$node_key"
log "$NODE_IMAGE carries Node $NODE_VERSION from $NODE_PREFIX"
