package argoref

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/internal/controlplane"
)

// Namespace and ServiceAccount are Argo's install: the namespace its manifests assume (the
// ClusterRoleBinding names the ServiceAccount there) and the controller's identity.
const (
	Namespace      = "argo-rollouts"
	ServiceAccount = "argo-rollouts"
)

// Kinds are the argoproj.io/v1alpha1 kinds both CRD sets define.
var Kinds = []string{"Rollout", "AnalysisRun", "AnalysisTemplate", "ClusterAnalysisTemplate", "Experiment"}

// Install applies Argo's CRDs to the control plane (waiting until they are served) and Argo's
// install manifests into Namespace, as `kubectl apply -f install.yaml` would less the Deployment
// and metrics Service. It returns a client configuration that authenticates as Argo's
// ServiceAccount, bound to Argo's own ClusterRole, so the controller run with it has the
// permissions of a real installation and no more. The control plane must not have config/crd
// installed (see the package comment); objects that exist already are left as they are.
func Install(ctx context.Context, cp *controlplane.ControlPlane, f Files) (*rest.Config, error) {
	admin, err := client.New(cp.Config, client.Options{})
	if err != nil {
		return nil, err
	}
	if err := controlplane.ApplyDir(ctx, admin, f.CRDs); err != nil {
		return nil, fmt.Errorf("argo CRDs: %w", err)
	}
	if err := controlplane.WaitServed(ctx, admin, schema.GroupVersion{Group: "argoproj.io", Version: "v1alpha1"}, Kinds...); err != nil {
		return nil, err
	}
	ns := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", Namespace)
	if err := controlplane.ApplyYAML(ctx, admin, "", []byte(ns)); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(f.Install, "*.yaml"))
	if err != nil {
		return nil, err
	}
	for _, file := range files {
		if err := applyFile(ctx, admin, Namespace, file); err != nil {
			return nil, err
		}
	}
	return cp.ServiceAccountConfig(ctx, Namespace, ServiceAccount)
}

func applyFile(ctx context.Context, c client.Client, ns, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := controlplane.ApplyYAML(ctx, c, ns, b); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
