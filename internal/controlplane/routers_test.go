package controlplane_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
)

// TestRouterCRDs installs the routers' kinds and round-trips a VirtualService under every
// version a controller may ask for: Argo asks for v1alpha3, our routers for the first served.
func TestRouterCRDs(t *testing.T) {
	cp := cptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cp.InstallRouterCRDs(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cp.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService",
		"metadata": map[string]any{"name": "web", "namespace": "default"},
		"spec": map[string]any{"hosts": []any{"web"}, "http": []any{map[string]any{
			"name":  "primary",
			"route": []any{map[string]any{"destination": map[string]any{"host": "web-stable"}, "weight": int64(100)}},
		}}},
	}}
	if err := c.Create(ctx, vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v1alpha3", "v1beta1", "v1"} {
		got := &unstructured.Unstructured{}
		got.SetAPIVersion("networking.istio.io/" + v)
		got.SetKind("VirtualService")
		if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "web"}, got); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		w, _, _ := unstructured.NestedSlice(got.Object, "spec", "http")
		if len(w) != 1 || got.GetAPIVersion() != "networking.istio.io/"+v {
			t.Errorf("%s: got %s with http %v", v, got.GetAPIVersion(), w)
		}
	}
	// Installing again (a second run on the same control plane) is no error.
	if err := cp.InstallRouterCRDs(ctx); err != nil {
		t.Errorf("second install: %v", err)
	}
}
