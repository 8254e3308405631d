//go:build tools

// Pins the Helm CLI that the e2e suite and the chart tests run (helm lint, helm template);
// scripts/e2e-setup.sh builds helm.sh/helm/v3/cmd/helm from this module. A module of its
// own, apart from e2e/tools, so Helm's dependency versions never move Kubernetes' ones.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
