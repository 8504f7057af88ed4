// Command pulumi-resource-kubernetes serves the Pulumi Kubernetes provider built from
// github.com/pulumi/pulumi-kubernetes/provider/v4 (see go.mod for the exact version).
// scripts/engine.sh writes schema-embed.json and terraform-mapping-embed.json next to this
// file from the provider module's cmd/pulumi-resource-kubernetes/{schema,terraform-mapping}.json
// before building (the provider's own `go generate` step); both are git-ignored.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
