// Package config holds the controller's install manifests — its CRDs, namespace and RBAC — in the binary, so that a real-API run installs the very CRDs this build was generated with, from any directory.
package config

import "embed"

// FS is config/'s crd/bases, default and rbac folders.
//
//go:embed crd/bases/*.yaml default/*.yaml rbac/*.yaml
var FS embed.FS
