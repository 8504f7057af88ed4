//go:build tools

// Package tools pins the Prometheus server that scripts/engine.sh builds into
// .engine/bin/prometheus: github.com/prometheus/prometheus v0.316.0 (Prometheus 3.x; the module's
// v0.3xx.y versions are the server's 3.y releases). Only tests use it: the rollouts controller's
// AnalysisRuns query it (test/gitops/rollouts.real.test.ts). Built with the tags
// remove_all_sd,enable_kubernetes_sd (plugins/plugin_*.go: every cloud service-discovery plugin
// left out but Kubernetes; file and http SD always stay), without builtinassets (no web UI, the
// HTTP API only).
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
)
