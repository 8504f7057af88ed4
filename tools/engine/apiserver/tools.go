//go:build tools

// Package tools pins kube-apiserver (k8s.io/kubernetes/cmd/kube-apiserver) for the optional
// real-API-server engine tests; scripts/engine.sh builds it only with ENGINE_APISERVER=1.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
