//go:build tools

// Package tools pins Argo CD, which scripts/engine.sh builds into .engine/bin/argocd:
// github.com/argoproj/argo-cd/v3 v3.6.1. Its ./cmd is one binary that dispatches on argv[0]
// (argocd-application-controller, argocd-repo-server, argocd-git-ask-pass, ...), as in the
// upstream image, where those names are symlinks to it.
//
// The pinned argo-cd chart 10.1.1 ships v3.4.4, which cannot be built from the module proxy
// (tools/engine/README.md, "Argo CD"); v3.6.1 is the nearest release that builds.
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd"
)
