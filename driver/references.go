package driver

import (
	"context"
	"encoding/json"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// referencingRollouts maps a Service, Ingress, Deployment or routing object to the Rollouts that name it in
// their spec or control it, so that a change to it is reconciled at once.
func (d *Driver) referencingRollouts(ctx context.Context, obj client.Object) []reconcile.Request {
	var reqs []reconcile.Request
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}})
		}
	}
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller && ref.Kind == "Rollout" && strings.HasPrefix(ref.APIVersion, v1alpha1.GroupVersion.Group+"/") {
			add(ref.Name)
		}
	}
	var list v1alpha1.RolloutList
	if err := d.mgr.GetCache().List(ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
		return reqs
	}
	gvk, err := apiutil.GVKForObject(obj, d.mgr.GetScheme())
	if err != nil {
		return reqs
	}
	kind := gvk.Kind
	for i := range list.Items {
		if References(&list.Items[i], kind, obj.GetName()) {
			add(list.Items[i].Name)
		}
	}
	return reqs
}

// References reports whether ro's spec names the object of kind (Service, Ingress, Deployment,
// VirtualService, DestinationRule, TrafficSplit, HTTPRoute) called name.
func References(ro *v1alpha1.Rollout, kind, name string) bool {
	for _, n := range referencedNames(ro, kind) {
		if n == name || strings.HasSuffix(n, "/"+name) || strings.HasPrefix(n, name+".") {
			return true
		}
	}
	return false
}

func referencedNames(ro *v1alpha1.Rollout, kind string) []string {
	var names []string
	if c := ro.Spec.Strategy.Canary; c != nil {
		tr := c.TrafficRouting
		switch kind {
		case "Service":
			names = append(names, c.StableService, c.CanaryService)
			if tr != nil && tr.SMI != nil {
				names = append(names, tr.SMI.RootService)
			}
		case "Ingress":
			if tr != nil && tr.Nginx != nil {
				names = append(names, tr.Nginx.StableIngress)
				names = append(names, tr.Nginx.StableIngresses...)
			}
		case "VirtualService":
			if tr != nil && tr.Istio != nil {
				if tr.Istio.VirtualService != nil {
					names = append(names, tr.Istio.VirtualService.Name)
				}
				for _, vs := range tr.Istio.VirtualServices {
					names = append(names, vs.Name)
				}
			}
		case "DestinationRule":
			if tr != nil && tr.Istio != nil && tr.Istio.DestinationRule != nil {
				names = append(names, tr.Istio.DestinationRule.Name)
			}
		case "TrafficSplit":
			if tr != nil && tr.SMI != nil {
				names = append(names, tr.SMI.TrafficSplitName)
				if tr.SMI.TrafficSplitName == "" {
					names = append(names, ro.Name)
				}
			}
		case "HTTPRoute":
			if tr != nil {
				for _, raw := range tr.Plugins {
					names = append(names, pluginRoutes(raw)...)
				}
			}
		}
	}
	if w := ro.Spec.WorkloadRef; w != nil && kind == "Deployment" && w.Kind == "Deployment" {
		names = append(names, w.Name)
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil && kind == "Service" {
		names = append(names, bg.ActiveService, bg.PreviewService)
	}
	return names
}

// pluginRoutes reads the HTTPRoute names of a Gateway API plugin configuration, as users write it
// for argoproj-labs/gatewayAPI: httpRoute, or httpRoutes[].name.
func pluginRoutes(raw json.RawMessage) []string {
	var cfg struct {
		HTTPRoute  string `json:"httpRoute"`
		HTTPRoutes []struct {
			Name string `json:"name"`
		} `json:"httpRoutes"`
	}
	if json.Unmarshal(raw, &cfg) != nil {
		return nil
	}
	names := []string{cfg.HTTPRoute}
	for _, r := range cfg.HTTPRoutes {
		names = append(names, r.Name)
	}
	return names
}
