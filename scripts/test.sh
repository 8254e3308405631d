#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, runs the unit and integration
# tests (real nginx, real backends), then the cluster e2e suite (real kube-apiserver and etcd).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin"
bash scripts/install-deps.sh
npm test -- --ci
npm run lint:dockerfile
if [ -f scripts/e2e-setup.sh ] && [ -f jest.e2e.config.js ]; then
  npm run e2e:setup
  npm run e2e -- --ci
fi
