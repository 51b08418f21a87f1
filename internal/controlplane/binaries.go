package controlplane

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Version is the k8s.io/kubernetes release the binaries are built from: client-go's v0.N.M is
// Kubernetes' v1.N.M (test/e2e/controlplane/go.mod requires it; a test keeps the two equal).
const Version = "v1.37.2"

// EnvBinDir names the folder with kube-apiserver and kube-controller-manager, overriding
// DefaultBinDir; test/e2e/controlplane/build.sh reads the same variable.
const EnvBinDir = "CANARYDRILL_CONTROLPLANE_DIR"

// ErrNotBuilt is wrapped by the error Find returns when a binary is missing.
var ErrNotBuilt = errors.New("control plane binaries missing")

// DefaultBinDir is where `make e2e-controlplane` puts the binaries: $CANARYDRILL_CONTROLPLANE_DIR,
// else <user cache dir>/canarydrill-controlplane/<Version> (~/.cache/... on Linux).
func DefaultBinDir() string {
	if d := os.Getenv(EnvBinDir); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "canarydrill-controlplane", Version)
}

// Binaries are the paths of the three programs a control plane runs.
type Binaries struct {
	Etcd, APIServer, ControllerManager string
}

// Find locates the binaries: kube-apiserver and kube-controller-manager in binDir (DefaultBinDir
// when empty), etcd on PATH. The error says what is missing and how to get it.
func Find(binDir string) (Binaries, error) {
	if binDir == "" {
		binDir = DefaultBinDir()
	}
	b := Binaries{
		APIServer:         filepath.Join(binDir, "kube-apiserver"),
		ControllerManager: filepath.Join(binDir, "kube-controller-manager"),
	}
	for _, p := range []string{b.APIServer, b.ControllerManager} {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return b, fmt.Errorf("%w: %s not found (build it with `make e2e-controlplane`)", ErrNotBuilt, p)
		}
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return b, fmt.Errorf("%w: etcd not on PATH (install Debian's etcd-server: `make install`)", ErrNotBuilt)
	}
	b.Etcd = etcd
	return b, nil
}
