#!/usr/bin/env bash
# Installs what building and running the container image needs (npm run image:build, the image test),
# from Debian's packages when missing: buildah (builds the Dockerfile, no daemon), mmdebstrap (the
# Debian bookworm base) and runc (the OCI runtime the image test runs the entrypoint with; Debian 12's
# crun refuses a hybrid cgroup layout such as this machine's).
# Kept out of install-deps.sh: the product, its unit tests and the demo need none of these, and they
# bring about 15 packages (containers-common, CNI plugins, iptables) that a machine running only the
# demo should not get. Safe to run again; as root (buildah's chroot isolation needs it).
set -euo pipefail

need=()
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v runc >/dev/null 2>&1 || need+=(runc)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  printf 'image-setup: installing %s\n' "${need[*]}" >&2
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
