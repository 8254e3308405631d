//go:build tools

// Package tools pins what scripts/e2e-setup.sh builds so that `go mod tidy` keeps its dependencies in go.sum.
package tools

import (
	_ "sigs.k8s.io/gateway-api/conformance"
	_ "sigs.k8s.io/gateway-api/conformance/echo-basic"
)
