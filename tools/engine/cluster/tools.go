//go:build tools

// Package tools pins the embedded control plane's binaries, which scripts/engine.sh builds from
// this module in one `go build` into .engine/bin: kube-apiserver, kube-controller-manager,
// kube-scheduler and kubectl from k8s.io/kubernetes v1.36.3 (its staging modules replaced by their
// v0.36.3 releases), KWOK (simulated nodes and kubelets), the helm CLI and the Argo Rollouts
// controller v1.9.0 (the argo-rollouts chart 2.41.0's appVersion), all on that one k8s.io release.
package tools

import (
	_ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"
	_ "helm.sh/helm/v3/cmd/helm"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
