package controlplane

import (
	"context"
	_ "embed"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

//go:embed routercrds/routers.yaml
var routerCRDs []byte

// routerKinds are the kinds of routercrds/routers.yaml, by the version waited for.
var routerKinds = []schema.GroupVersionKind{
	{Group: "networking.istio.io", Version: "v1alpha3", Kind: "VirtualService"},
	{Group: "networking.istio.io", Version: "v1alpha3", Kind: "DestinationRule"},
	{Group: "split.smi-spec.io", Version: "v1alpha1", Kind: "TrafficSplit"},
	{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"},
}

// InstallRouterCRDs gives the control plane the traffic routers' kinds that a mesh or a gateway
// brings to a real cluster (Istio's VirtualService and DestinationRule, SMI's TrafficSplit,
// Gateway API's HTTPRoute), with open schemas, and waits until they are served: Rollouts routed
// by them can then run here as they would there.
func (c *ControlPlane) InstallRouterCRDs(ctx context.Context) error {
	admin, err := client.New(c.Config, client.Options{})
	if err != nil {
		return err
	}
	if err := ApplyYAML(ctx, admin, "", routerCRDs); err != nil {
		return fmt.Errorf("router CRDs: %w", err)
	}
	for _, gvk := range routerKinds {
		if err := WaitServed(ctx, admin, gvk.GroupVersion(), gvk.Kind); err != nil {
			return err
		}
	}
	return nil
}
