//go:build tools

// Package tools pins the tools only the tests run, which scripts/engine.sh (step 2) builds into
// .engine/bin with GOTOOLCHAIN=go1.27.3 in one `go build`:
//   - Argo CD: github.com/argoproj/argo-cd/v3 v3.6.1, through ./cmd/argocd (the application
//     controller, the repo-server and the git askpass helper, dispatched on argv[0] as upstream's
//     ./cmd does). The pinned argo-cd chart 10.1.1 ships v3.4.4, which cannot be built from the
//     module proxy (tools/engine/README.md, "Argo CD"); v3.6.1 is the nearest release that builds.
//   - Prometheus 3.16.0: github.com/prometheus/prometheus v0.316.0 (tags remove_all_sd,enable_kubernetes_sd).
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	_ "github.com/prometheus/prometheus/cmd/prometheus"
)
