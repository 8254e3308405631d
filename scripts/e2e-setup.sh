#!/usr/bin/env bash
# Prepares the cluster e2e suite (npm run e2e) on a Debian 12 machine, as root:
#   - etcd and iproute2 from Debian's packages when missing;
#   - kube-apiserver and kubectl built from the Go module proxy (module e2e/tools) into a cache
#     directory, so only the first run pays for the build (about 4-5 minutes on 2 cores, cold);
#   - writes $CACHE/env (KUBE_APISERVER=, KUBECTL=, ETCD=), read by e2e/harness/binaries.ts.
# Safe to run again: each step is skipped when its result is already there.
#
# Environment: PORTICO_E2E_CACHE (default ~/.cache/portico-e2e), GO (path of the go command).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"

K8S_VERSION=v1.33.13 # keep in step with e2e/tools/go.mod
CACHE_ROOT="${PORTICO_E2E_CACHE:-${HOME:-/root}/.cache/portico-e2e}"
CACHE="$CACHE_ROOT/k8s-$K8S_VERSION"

log() { printf 'e2e-setup: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  log "installing ${need[*]}"
  if ! $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
# Debian's package starts an etcd service on 2379; the harness runs its own on free ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl stop etcd || true
fi
ETCD="$(command -v etcd)"

# --- kube-apiserver and kubectl ----------------------------------------------------------------
mkdir -p "$CACHE"
if [ -x "$CACHE/kube-apiserver" ] && [ -x "$CACHE/kubectl" ]; then
  log "kube-apiserver and kubectl $K8S_VERSION already in $CACHE"
else
  GO="${GO:-$(command -v go || true)}"
  if [ -z "$GO" ]; then
    log "no go command found (looked in PATH and /usr/local/go/bin); Go >= 1.24 is needed to build kube-apiserver"
    exit 1
  fi
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
  # The version the binaries report (kubectl version, /version): k8s.io/kubernetes sets these with
  # -X at release time; without them they say v0.0.0-master.
  pkg=k8s.io/component-base/version
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  for cmd in kube-apiserver kubectl; do
    if [ -x "$CACHE/$cmd" ]; then continue; fi
    log "building $cmd $K8S_VERSION with $("$GO" version) (cold: a few minutes on 2 cores)"
    start=$(date +%s)
    (cd e2e/tools && "$GO" build -trimpath -ldflags "$ldflags" -o "$CACHE/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
    mv "$CACHE/$cmd.tmp" "$CACHE/$cmd"
    log "built $cmd in $(( $(date +%s) - start ))s"
  done
fi

# --- helm (the chart tests: helm lint, helm template, helm install) -----------------------------
# Built from the Go module proxy in a module of its own (e2e/helm-tool), so Helm's dependencies never
# move Kubernetes' in e2e/tools; cached apart from the k8s-* directory, as its version is its own.
HELM_VERSION=v3.22.1 # keep in step with e2e/helm-tool/go.mod
HELM_BIN="$CACHE_ROOT/helm-$HELM_VERSION/helm"
if [ -x "$HELM_BIN" ]; then
  log "helm $HELM_VERSION already in $(dirname "$HELM_BIN")"
else
  GO="${GO:-$(command -v go || true)}"
  if [ -z "$GO" ]; then
    log "no go command found (looked in PATH and /usr/local/go/bin); Go >= 1.26 is needed to build helm $HELM_VERSION"
    exit 1
  fi
  mkdir -p "$(dirname "$HELM_BIN")"
  log "building helm $HELM_VERSION with $("$GO" version) (cold: about 250 s of CPU, 2-3 minutes on 2 idle cores)"
  start=$(date +%s)
  (cd e2e/helm-tool && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" "$GO" build -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" -o "$HELM_BIN.tmp" helm.sh/helm/v3/cmd/helm)
  mv "$HELM_BIN.tmp" "$HELM_BIN"
  log "built helm in $(( $(date +%s) - start ))s"
fi

cat >"$CACHE/env.tmp" <<EOF
HELM=$HELM_BIN
KUBE_APISERVER=$CACHE/kube-apiserver
KUBECTL=$CACHE/kubectl
ETCD=$ETCD
EOF
mv "$CACHE/env.tmp" "$CACHE/env"
log "wrote $CACHE/env:"
cat "$CACHE/env"

# --- kube-controller-manager (the cluster harness: Deployments, ReplicaSets, EndpointSlices) ------
# Built from the same module (e2e/tools) as kube-apiserver: about 110 s on top of its build cache,
# about 320 s cold on 2 cores. Appends KUBE_CONTROLLER_MANAGER= to $CACHE/env.
if [ -x "$CACHE/kube-controller-manager" ]; then
  log "kube-controller-manager $K8S_VERSION already in $CACHE"
else
  GO="${GO:-$(command -v go || true)}"
  if [ -z "$GO" ]; then
    log "no go command found (looked in PATH and /usr/local/go/bin); Go >= 1.24 is needed to build kube-controller-manager"
    exit 1
  fi
  kcm_pkg=k8s.io/component-base/version
  kcm_minor="${K8S_VERSION#v1.}"; kcm_minor="${kcm_minor%%.*}"
  kcm_ldflags="-s -w -X $kcm_pkg.gitVersion=$K8S_VERSION -X $kcm_pkg.gitMajor=1 -X $kcm_pkg.gitMinor=$kcm_minor"
  kcm_ldflags="$kcm_ldflags -X $kcm_pkg.gitTreeState=clean -X $kcm_pkg.buildDate=1970-01-01T00:00:00Z"
  log "building kube-controller-manager $K8S_VERSION with $("$GO" version) (about 2 minutes after kube-apiserver)"
  start=$(date +%s)
  (cd e2e/tools && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    "$GO" build -trimpath -ldflags "$kcm_ldflags" -o "$CACHE/kube-controller-manager.tmp" k8s.io/kubernetes/cmd/kube-controller-manager)
  mv "$CACHE/kube-controller-manager.tmp" "$CACHE/kube-controller-manager"
  log "built kube-controller-manager in $(( $(date +%s) - start ))s"
fi
echo "KUBE_CONTROLLER_MANAGER=$CACHE/kube-controller-manager" >>"$CACHE/env"
log "added KUBE_CONTROLLER_MANAGER=$CACHE/kube-controller-manager to $CACHE/env"

# --- Gateway API conformance (npm run conformance:gateway; only with --with-gateway-conformance) --
# From the module e2e/conformance (sigs.k8s.io/gateway-api and its conformance module, pinned): the
# suite's backend echo-basic, the suite itself (`go test -c`, run unmodified), a counter of the
# GATEWAY-HTTP profile's core tests, the standard CRDs and the suite's base manifests, into
# $CACHE_ROOT/gateway-api-$GATEWAY_API_VERSION with its own env file (e2e/harness/binaries.ts reads it).
# About 3 minutes cold on 2 cores; skipped when already there. Not part of the default test command.
GATEWAY_API_VERSION=v1.6.3 # keep in step with e2e/conformance/go.mod
if [[ " $* " == *" --with-gateway-conformance "* ]]; then
  GW_CACHE="$CACHE_ROOT/gateway-api-$GATEWAY_API_VERSION"
  mkdir -p "$GW_CACHE"
  GO="${GO:-$(command -v go || true)}"
  if [ -z "$GO" ]; then
    log "no go command found (looked in PATH and /usr/local/go/bin); Go >= 1.26 is needed to build the Gateway API conformance suite"
    exit 1
  fi
  gw_go() { (cd e2e/conformance && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" "$GO" "$@"); }
  gw_build() { # NAME PACKAGE go-subcommand-and-flags...
    local name="$1" pkg="$2"; shift 2
    if [ -x "$GW_CACHE/$name" ]; then return; fi
    log "building $name (Gateway API $GATEWAY_API_VERSION)"
    local start; start=$(date +%s)
    gw_go "$@" -trimpath -o "$GW_CACHE/$name.tmp" "$pkg"
    mv "$GW_CACHE/$name.tmp" "$GW_CACHE/$name"
    log "built $name in $(( $(date +%s) - start ))s"
  }
  gw_build echo-basic sigs.k8s.io/gateway-api/conformance/echo-basic build
  gw_build conformance.test sigs.k8s.io/gateway-api/conformance test -c
  gw_build core-tests ./cmd/core-tests build
  if [ ! -f "$GW_CACHE/base-manifests.yaml" ] || [ ! -d "$GW_CACHE/crds-standard" ]; then
    gw_go mod download sigs.k8s.io/gateway-api sigs.k8s.io/gateway-api/conformance
    gw_api_dir="$(gw_go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)"
    gw_conf_dir="$(gw_go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api/conformance)"
    rm -rf "$GW_CACHE/crds-standard.tmp"
    cp -r "$gw_api_dir/config/crd/standard" "$GW_CACHE/crds-standard.tmp"
    chmod -R u+w "$GW_CACHE/crds-standard.tmp"
    rm -rf "$GW_CACHE/crds-standard"
    mv "$GW_CACHE/crds-standard.tmp" "$GW_CACHE/crds-standard"
    cp "$gw_conf_dir/base/manifests.yaml" "$GW_CACHE/base-manifests.yaml"
    chmod u+w "$GW_CACHE/base-manifests.yaml"
  fi
  cat >"$GW_CACHE/env.tmp" <<GWEOF
GATEWAY_API_VERSION=$GATEWAY_API_VERSION
ECHO_BASIC=$GW_CACHE/echo-basic
GATEWAY_CONFORMANCE_SUITE=$GW_CACHE/conformance.test
GATEWAY_CORE_TESTS=$GW_CACHE/core-tests
GATEWAY_API_CRDS=$GW_CACHE/crds-standard
GATEWAY_CONFORMANCE_BASE=$GW_CACHE/base-manifests.yaml
GWEOF
  mv "$GW_CACHE/env.tmp" "$GW_CACHE/env"
  log "wrote $GW_CACHE/env:"
  cat "$GW_CACHE/env"
fi
