//go:build !gen

package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
)

// The Pulumi schema, written by `go run -tags gen .` (gen.go) before this is built.
//
//go:embed schema-embed.json
var pulumiSchema []byte

func main() {
	tfbridge.Main("openstack", providerVersion, providerInfo(), pulumiSchema)
}
