//go:build tools

// Package tools pins the Pulumi engine binaries that scripts/engine.sh builds.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
