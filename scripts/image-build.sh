#!/usr/bin/env bash
# npm run image:build: builds the project's Dockerfile, unchanged, with buildah (no Docker daemon),
# into buildah's local storage as portico:<package.json version> (the name manifests/base uses).
#   1. scripts/image-setup.sh installs buildah, mmdebstrap and runc when missing;
#   2. when the base images (node:20-bookworm-slim, debian:bookworm-slim) cannot be pulled (here no
#      registry serving them is reachable), scripts/image-base.sh makes local ones of those names
#      (Debian bookworm from Debian's packages; + this machine's Node 20);
#   3. buildah bud --isolation chroot (as root, no daemon, no user namespaces), with --layers so an
#      unchanged step is reused on the next build.
# Prints the image's name, id and size at the end.
#
# Environment: PORTICO_IMAGE (default portico:<version>), PORTICO_IMAGE_PULL=1 to pull the base
# images from their registry instead (a machine that reaches Docker Hub).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

VERSION="$(node -p 'require("./package.json").version')"
IMAGE="${PORTICO_IMAGE:-portico:$VERSION}"
BASE_IMAGES="$(sed -n 's/^FROM \([^ ]*\) AS .*$/\1/p' Dockerfile | sort -u)"
log() { printf 'image-build: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "buildah's chroot isolation needs root here (no user namespaces); run as root"
  exit 1
fi
bash scripts/image-setup.sh

pulled=1
if [ "${PORTICO_IMAGE_PULL:-0}" = 1 ]; then
  for base in $BASE_IMAGES; do
    if buildah pull --quiet "$base" >/dev/null 2>&1; then log "pulled $base"; else pulled=0; fi
  done
else
  pulled=0
fi
if [ "$pulled" = 0 ]; then
  bash scripts/image-base.sh
  for base in $BASE_IMAGES; do
    buildah inspect --type image "$base" >/dev/null 2>&1 || { log "the Dockerfile names $base, which scripts/image-base.sh does not make"; exit 1; }
  done
fi

# A machine whose npm trusts an extra CA (a TLS-inspecting proxy, as on this one: npm's cafile) passes
# that trust to the build's RUN steps only: a directory holding an npmrc and the CA bundle is mounted on
# /usr/local/etc, where the Node image's npm reads its global config and which exists in the base, so
# no mount point is created and nothing of it is in any layer.
trust=()
cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -r "$cafile" ]; then
  npmetc="$(mktemp -d)"
  trap 'rm -rf "$npmetc"' EXIT
  cp "$cafile" "$npmetc/npm-build-ca.crt"
  printf 'cafile=/usr/local/etc/npm-build-ca.crt\n' >"$npmetc/npmrc"
  chmod -R a+rX "$npmetc"
  trust=(--volume "$npmetc:/usr/local/etc:ro")
  log "npm in the build trusts $cafile (this machine's npm cafile), mounted for RUN steps only"
fi

previous="$(buildah inspect --type image --format '{{.FromImageID}}' "$IMAGE" 2>/dev/null || true)"
start=$(date +%s)
log "building $IMAGE from Dockerfile on" $BASE_IMAGES
buildah bud --isolation chroot --layers --pull=never --format oci \
  --label org.opencontainers.image.version="$VERSION" \
  "${trust[@]}" \
  --tag "$IMAGE" --file Dockerfile .
# The image this build replaced would stay behind untagged at every change; the layers --layers reuses
# are kept (they belong to the cached steps, not to it).
current="$(buildah inspect --type image --format '{{.FromImageID}}' "$IMAGE")"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then buildah rmi "$previous" >/dev/null 2>&1 || true; fi
log "built $IMAGE in $(( $(date +%s) - start ))s: $(buildah images --format '{{.Name}}:{{.Tag}} {{.ID}} {{.Size}}' "$IMAGE")"
