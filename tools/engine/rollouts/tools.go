//go:build tools

// Package tools pins the Argo Rollouts controller that scripts/engine.sh builds into
// .engine/bin/rollouts-controller: github.com/argoproj/argo-rollouts v1.9.0, the appVersion of
// the argo-rollouts Helm chart 2.41.0 that components/gitops installs.
package tools

import (
	_ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"
)
