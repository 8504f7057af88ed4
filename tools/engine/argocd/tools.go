//go:build tools

// Package tools pins Argo CD, which scripts/engine.sh builds into .engine/bin/argocd with
// GOTOOLCHAIN=go1.27.3: github.com/argoproj/argo-cd/v3 v3.6.1, through ./cmd/argocd (the
// application controller, the repo-server and the git askpass helper, dispatched on argv[0] as
// upstream's ./cmd does, through upstream's own command packages).
//
// The pinned argo-cd chart 10.1.1 ships v3.4.4, which cannot be built from the module proxy
// (tools/engine/README.md, "Argo CD"); v3.6.1 is the nearest release that builds.
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
)
