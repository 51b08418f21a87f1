package trafficrouting

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// API groups and the versions tried, in order, for the objects routers edit as unstructured: the
// first version the API serves the object under wins.
var (
	VirtualServiceGVKs  = kinds("networking.istio.io", "VirtualService", "v1alpha3", "v1beta1", "v1")
	DestinationRuleGVKs = kinds("networking.istio.io", "DestinationRule", "v1alpha3", "v1beta1", "v1")
	TrafficSplitGVKs    = kinds("split.smi-spec.io", "TrafficSplit", "v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4")
	HTTPRouteGVKs       = kinds("gateway.networking.k8s.io", "HTTPRoute", "v1", "v1beta1")
)

func kinds(group, kind string, versions ...string) []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, len(versions))
	for i, v := range versions {
		out[i] = schema.GroupVersionKind{Group: group, Version: v, Kind: kind}
	}
	return out
}

// getUnstructured reads the object under the first of gvks the API has it under; the error is the
// first version's NotFound when none has it.
func getUnstructured(ctx context.Context, c client.Reader, gvks []schema.GroupVersionKind, key client.ObjectKey) (*unstructured.Unstructured, error) {
	var first error
	for _, gvk := range gvks {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		err := c.Get(ctx, key, u)
		if err == nil {
			return u, nil
		}
		if !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
			return nil, err
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// splitNamespacedName reads "name.namespace" (Argo's form for a VirtualService in another
// namespace) into its parts, as Argo does: the first two dot-separated fields.
func splitNamespacedName(s string) (namespace, name string) {
	fields := strings.Split(s, ".")
	if len(fields) >= 2 {
		return fields[1], fields[0]
	}
	return "", s
}

// shortHost is a destination host without its domain: "svc.ns.svc.cluster.local" is "svc".
func shortHost(host string) string {
	if i := strings.Index(host, "."); i > 0 {
		return host[:i]
	} else if i == 0 {
		return ""
	}
	return host
}

// argoErrorf formats an error in Argo's own wording, which may start with a capital letter.
func argoErrorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
