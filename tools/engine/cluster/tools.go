//go:build tools

// Package tools pins the embedded control plane's binaries (scripts/engine.sh builds them into
// .engine/bin): kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from
// k8s.io/kubernetes, KWOK (simulated nodes and kubelets) and the helm CLI.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
