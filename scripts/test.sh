#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, runs the unit and integration
# tests (real nginx, real backends), the container image (built and run), then the cluster e2e suite
# (real kube-apiserver and etcd).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin"
bash scripts/install-deps.sh
npm test -- --ci
npm run lint:dockerfile
# The container image, built with buildah and run with runc as uid 10001 on a read-only root file system
# (test/image/): 5.3 minutes cold on 2 cores (tools, mmdebstrap, build), 18 s when ~/.cache/portico-image
# and buildah's storage are kept and nothing changed, about 1 minute after a change (README, "The container image").
npm run image:test -- --ci
if [ -f scripts/e2e-setup.sh ] && [ -f jest.e2e.config.js ]; then
  npm run e2e:setup
  npm run e2e -- --ci
fi
