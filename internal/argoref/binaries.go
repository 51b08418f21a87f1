package argoref

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Version is the Argo Rollouts release that test/e2e/argo/go.mod requires; a test keeps the two
// equal.
const Version = "v1.9.1"

// EnvDir names the folder that holds the controller and its manifests, overriding DefaultDir;
// test/e2e/argo/build.sh reads the same variable.
const EnvDir = "CANARYDRILL_ARGO_DIR"

// ErrNotBuilt is wrapped by the error Find returns when the controller or its manifests are missing.
var ErrNotBuilt = errors.New("the Argo Rollouts controller is not built")

// DefaultDir is where `make e2e-argo` puts the controller: $CANARYDRILL_ARGO_DIR, else
// <user cache dir>/canarydrill-controlplane/argo-rollouts-<Version>, beside the control plane's
// binaries.
func DefaultDir() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "canarydrill-controlplane", "argo-rollouts-"+Version)
}

// Files are what build.sh leaves in the folder.
type Files struct {
	// Controller is the rollouts-controller binary.
	Controller string
	// CRDs holds Argo's CRDs, the module's manifests/crds.
	CRDs string
	// Install holds Argo's install manifests less the Deployment and Service: ServiceAccount,
	// ClusterRole (manifests/role), ClusterRoleBinding, ConfigMap and notification Secret.
	Install string
}

// Find locates the files in dir (DefaultDir when empty). The error says what is missing and how
// to build it.
func Find(dir string) (Files, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	f := Files{
		Controller: filepath.Join(dir, "rollouts-controller"),
		CRDs:       filepath.Join(dir, "manifests", "crds"),
		Install:    filepath.Join(dir, "manifests", "install"),
	}
	for _, p := range []string{f.Controller, filepath.Join(f.CRDs, "rollout-crd.yaml"), filepath.Join(f.Install, "argo-rollouts-clusterrole.yaml")} {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return f, fmt.Errorf("%w: %s not found (build it with `make e2e-argo`)", ErrNotBuilt, p)
		}
	}
	return f, nil
}
