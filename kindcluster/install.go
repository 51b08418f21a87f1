package kindcluster

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

//go:embed manifests/monitoring.yaml
var monitoringYAML []byte

// Install applies what a drill on kind needs: from the repository's config/ the CRDs (waiting
// until they are served), the controller's namespace and RBAC and its Deployment (on Image,
// never pulled: it was loaded), then the in-cluster fakeprom as the seed's Prometheus.
func Install(ctx context.Context, c client.Client, configDir string) error {
	if configDir == "" {
		return errors.New("the repository's config/ folder is needed: CRDs, RBAC and the controller's Deployment")
	}
	steps := []struct {
		what string
		dir  string
	}{{"CRDs", "crd/bases"}, {"namespace", "default"}, {"RBAC", "rbac"}, {"controller", "manager"}}
	for i, s := range steps {
		files, err := filepath.Glob(filepath.Join(configDir, s.dir, "*.yaml"))
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("%s: no %s manifests in %s", configDir, s.what, s.dir)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := apply(ctx, c, b); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
		if i == 0 {
			if err := waitServed(ctx, c); err != nil {
				return err
			}
		}
	}
	if err := apply(ctx, c, monitoringYAML); err != nil {
		return fmt.Errorf("fakeprom: %w", err)
	}
	return nil
}

// apply creates every document (existing objects are left as they are; kustomization files are
// skipped), with every container on Image, never pulled.
func apply(ctx context.Context, c client.Client, data []byte) error {
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
		if err := onImage(u); err != nil {
			return err
		}
		if err := c.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
}

// onImage points a Deployment's containers at Image.
func onImage(u *unstructured.Unstructured) error {
	if u.GetKind() != "Deployment" {
		return nil
	}
	cs, _, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return err
	}
	for _, c := range cs {
		m := c.(map[string]any)
		m["image"], m["imagePullPolicy"] = Image, "Never"
	}
	return unstructured.SetNestedSlice(u.Object, cs, "spec", "template", "spec", "containers")
}

// waitServed waits up to 30 s until Rollouts can be listed: a CRD is served a moment after it
// is created.
func waitServed(ctx context.Context, c client.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		err := c.List(ctx, &v1alpha1.RolloutList{})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the Rollout CRD is not served: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
