package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ControllerNamespace and ControllerServiceAccount are the controller's identity in config/rbac.
const (
	ControllerNamespace      = "canarydrill-system"
	ControllerServiceAccount = "canarydrill-controller"
)

// ApplyYAML creates every document of data, in namespace ns when the object is namespaced and
// names none (kinds starting with "Cluster", Namespaces and CRDs are left without); objects
// that exist already are left as they are, and kustomization files are skipped.
func ApplyYAML(ctx context.Context, c client.Client, ns string, data []byte) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if len(u.Object) == 0 || u.GetKind() == "Kustomization" {
			continue
		}
		if ns != "" && u.GetNamespace() == "" && u.GetKind() != "Namespace" && u.GetKind() != "CustomResourceDefinition" && !strings.HasPrefix(u.GetKind(), "Cluster") {
			u.SetNamespace(ns)
		}
		if err := c.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
}

// ApplyDir applies every *.yaml file of dir with ApplyYAML.
func ApplyDir(ctx context.Context, c client.Client, dir string) error {
	if err := ApplyFS(ctx, c, os.DirFS(dir), "."); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return nil
}

// ApplyFS applies every *.yaml file of fsys's folder dir with ApplyYAML, in name order.
func ApplyFS(ctx context.Context, c client.Client, fsys fs.FS, dir string) error {
	files, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		if err := ApplyYAML(ctx, c, "", b); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}

// Install applies the repository's config/ folder configDir to the control plane; see InstallFS.
func (c *ControlPlane) Install(ctx context.Context, configDir string) (*rest.Config, error) {
	return c.InstallFS(ctx, os.DirFS(configDir))
}

// InstallFS applies a config/ folder (the repository's, or the binary's own config.FS) to the
// control plane, as `kubectl apply -k config/default` would less the Deployment: the CRDs
// (waiting until they are served), the controller's namespace, ServiceAccount, ClusterRole and
// binding. It returns a client configuration that authenticates as that ServiceAccount, so that
// a controller run with it has config/rbac's permissions and no more.
func (c *ControlPlane) InstallFS(ctx context.Context, config fs.FS) (*rest.Config, error) {
	admin, err := client.New(c.Config, client.Options{})
	if err != nil {
		return nil, err
	}
	if err := ApplyFS(ctx, admin, config, "crd/bases"); err != nil {
		return nil, fmt.Errorf("CRDs: %w", err)
	}
	if err := WaitServed(ctx, admin, schema.GroupVersion{Group: "argoproj.io", Version: "v1alpha1"},
		"Rollout", "AnalysisRun", "AnalysisTemplate", "ClusterAnalysisTemplate", "Experiment"); err != nil {
		return nil, err
	}
	if err := ApplyFS(ctx, admin, config, "default"); err != nil { // the namespace
		return nil, err
	}
	if err := ApplyFS(ctx, admin, config, "rbac"); err != nil {
		return nil, fmt.Errorf("RBAC: %w", err)
	}
	return c.ServiceAccountConfig(ctx, ControllerNamespace, ControllerServiceAccount)
}

// WaitServed waits up to 30s until every kind of gv can be listed: a CRD is created before the
// API server serves its kinds.
func WaitServed(ctx context.Context, c client.Client, gv schema.GroupVersion, kinds ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, k := range kinds {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gv.WithKind(k + "List"))
		for {
			err := c.List(ctx, l, client.Limit(1))
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s not served: %w (last error: %v)", k, ctx.Err(), err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
