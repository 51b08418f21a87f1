package sim

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/trafficrouting"
)

// How each router's objects route the tagged and untagged requests of a canary.

// routerRoutes reads the first router of the Rollout the model knows; ok is false when none
// applies or its objects are missing.
func (t *traffic) routerRoutes(ro *v1alpha1.Rollout) (tagged, untagged classRoute, ok bool) {
	tr := ro.Spec.Strategy.Canary.TrafficRouting
	switch {
	case tr.Istio != nil:
		return t.istioRoutes(ro)
	case tr.Nginx != nil:
		return t.nginxRoutes(ro)
	case tr.SMI != nil:
		return t.smiRoutes(ro)
	case tr.Plugins[trafficrouting.GatewayAPIPlugin] != nil:
		return t.gatewayRoutes(ro)
	}
	return classRoute{}, classRoute{}, false
}

// nginxRoutes: requests reach the stable Ingress's backend; when the canary Ingress exists,
// canary-weight of canary-weight-total (100) of them go to its backend instead, and requests with
// the canary-by-header (or cookie) header all do.
func (t *traffic) nginxRoutes(ro *v1alpha1.Rollout) (classRoute, classRoute, bool) {
	cs := ro.Spec.Strategy.Canary
	names := trafficrouting.StableIngresses(cs.TrafficRouting.Nginx)
	if len(names) == 0 {
		return classRoute{}, classRoute{}, false
	}
	stable := t.ingress(ro.Namespace, names[0])
	if stable == nil {
		return classRoute{}, classRoute{}, false
	}
	stableSvc := ingressBackend(stable, cs.StableService)
	base := single(stableSvc)
	canary := t.ingress(ro.Namespace, trafficrouting.CanaryIngressName(ro.Name, names[0]))
	prefix := trafficrouting.NginxAnnotationPrefix(ro) + "/"
	if canary == nil || canary.Annotations[prefix+"canary"] != "true" {
		return base, base, true
	}
	canarySvc := ingressBackend(canary, "")
	weight, _ := number(canary.Annotations[prefix+"canary-weight"])
	total := 100.0
	if v, ok := number(canary.Annotations[prefix+"canary-weight-total"]); ok && v > 0 {
		total = v
	}
	untagged := classRoute{dests: []dest{{service: canarySvc, weight: weight}, {service: stableSvc, weight: total - weight}}}
	tagged := untagged
	_, byHeader := canary.Annotations[prefix+"canary-by-header"]
	_, byCookie := canary.Annotations[prefix+"canary-by-cookie"]
	if byHeader || byCookie {
		tagged = single(canarySvc)
	}
	return tagged, untagged, true
}

func (t *traffic) ingress(ns, name string) *networkingv1.Ingress {
	if o := t.w.store.Peek(ingressGVK, types.NamespacedName{Namespace: ns, Name: name}); o != nil {
		return o.(*networkingv1.Ingress)
	}
	return nil
}

// ingressBackend is the backend Service named want among the Ingress's rules, or its first.
func ingressBackend(ing *networkingv1.Ingress, want string) string {
	first := ""
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service == nil {
				continue
			}
			if p.Backend.Service.Name == want {
				return want
			}
			if first == "" {
				first = p.Backend.Service.Name
			}
		}
	}
	return first
}

// istioRoutes: each class takes the first HTTP route it matches (header matches only the tagged
// requests; a route without matches, or with a match without headers, every request), split by
// its destinations' weights, hosts resolved to Services and subsets to DestinationRule labels.
func (t *traffic) istioRoutes(ro *v1alpha1.Rollout) (classRoute, classRoute, bool) {
	is := ro.Spec.Strategy.Canary.TrafficRouting.Istio
	var vsName string
	switch {
	case is.VirtualService != nil:
		vsName = is.VirtualService.Name
	case len(is.VirtualServices) > 0:
		vsName = is.VirtualServices[0].Name
	default:
		return classRoute{}, classRoute{}, false
	}
	ns, name := splitVSName(vsName, ro.Namespace)
	vs := t.peekAny(trafficrouting.VirtualServiceGVKs, ns, name)
	if vs == nil {
		return classRoute{}, classRoute{}, false
	}
	routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	if len(routes) == 0 {
		return classRoute{}, classRoute{}, false
	}
	subsets := t.istioSubsets(ro)
	route := func(tagged bool) classRoute {
		for _, r := range routes {
			m, _ := r.(map[string]any)
			if !matchesClass(m["match"], tagged) {
				continue
			}
			var cr classRoute
			dests, _ := m["route"].([]any)
			for _, d := range dests {
				dm, _ := d.(map[string]any)
				w, ok := number(dm["weight"])
				if !ok && len(dests) == 1 {
					w = 100
				}
				cr.dests = append(cr.dests, istioDest(dm["destination"], w, subsets))
			}
			if mirror, ok := m["mirror"]; ok {
				md := istioDest(mirror, 0, subsets)
				cr.mirror, cr.mirrorPct = &md, 100
				if pct, found, _ := unstructured.NestedFieldNoCopy(m, "mirrorPercentage", "value"); found {
					cr.mirrorPct, _ = number(pct)
				}
			}
			return cr
		}
		return classRoute{}
	}
	return route(true), route(false), true
}

func splitVSName(s, defaultNS string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			rest := s[i+1:]
			for j := 0; j < len(rest); j++ {
				if rest[j] == '.' {
					rest = rest[:j]
					break
				}
			}
			return rest, s[:i]
		}
	}
	return defaultNS, s
}

// matchesClass says whether an Istio or Gateway API rule's matches take tagged (or untagged)
// requests: no matches take all; a match with headers takes the tagged; one without, all.
func matchesClass(matches any, tagged bool) bool {
	list, _ := matches.([]any)
	if len(list) == 0 {
		return true
	}
	for _, m := range list {
		mm, _ := m.(map[string]any)
		headers, has := mm["headers"]
		if !has || isEmpty(headers) || tagged {
			return true
		}
	}
	return false
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return v == nil
}

func istioDest(d any, weight float64, subsets map[string]map[string]string) dest {
	dm, _ := d.(map[string]any)
	host, _ := dm["host"].(string)
	for i := 0; i < len(host); i++ {
		if host[i] == '.' {
			host = host[:i]
			break
		}
	}
	out := dest{service: host, weight: weight}
	if s, _ := dm["subset"].(string); s != "" {
		out.subset = subsets[s]
		if out.subset == nil {
			out.subset = map[string]string{"canarydrill.io/no-such-subset": s} // selects nothing
		}
	}
	return out
}

// istioSubsets reads the DestinationRule's subsets: name to labels.
func (t *traffic) istioSubsets(ro *v1alpha1.Rollout) map[string]map[string]string {
	dr := ro.Spec.Strategy.Canary.TrafficRouting.Istio.DestinationRule
	if dr == nil {
		return nil
	}
	u := t.peekAny(trafficrouting.DestinationRuleGVKs, ro.Namespace, dr.Name)
	if u == nil {
		return nil
	}
	out := map[string]map[string]string{}
	subsets, _, _ := unstructured.NestedSlice(u.Object, "spec", "subsets")
	for _, s := range subsets {
		m, _ := s.(map[string]any)
		name, _ := m["name"].(string)
		labels, _, _ := unstructured.NestedStringMap(m, "labels")
		out[name] = labels
	}
	return out
}

// smiRoutes: the TrafficSplit's backends by weight, for every request.
func (t *traffic) smiRoutes(ro *v1alpha1.Rollout) (classRoute, classRoute, bool) {
	u := t.peekAny(trafficrouting.TrafficSplitGVKs, ro.Namespace, trafficrouting.TrafficSplitName(ro))
	if u == nil {
		return classRoute{}, classRoute{}, false
	}
	backends, _, _ := unstructured.NestedSlice(u.Object, "spec", "backends")
	var cr classRoute
	for _, b := range backends {
		m, _ := b.(map[string]any)
		svc, _ := m["service"].(string)
		w, _ := number(m["weight"])
		cr.dests = append(cr.dests, dest{service: svc, weight: w})
	}
	return cr, cr, len(cr.dests) > 0
}

// gatewayRoutes: each class takes the first HTTPRoute rule it matches, split by its backendRefs'
// weights (1 when unset, as in the Gateway API).
func (t *traffic) gatewayRoutes(ro *v1alpha1.Rollout) (classRoute, classRoute, bool) {
	cfg, err := trafficrouting.ParseGatewayAPIConfig(ro.Spec.Strategy.Canary.TrafficRouting.Plugins[trafficrouting.GatewayAPIPlugin], ro.Namespace)
	if err != nil || len(cfg.HTTPRoutes) == 0 {
		return classRoute{}, classRoute{}, false
	}
	u := t.peekAny(trafficrouting.HTTPRouteGVKs, cfg.Namespace, cfg.HTTPRoutes[0].Name)
	if u == nil {
		return classRoute{}, classRoute{}, false
	}
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	route := func(tagged bool) classRoute {
		for _, r := range rules {
			m, _ := r.(map[string]any)
			if !matchesClass(m["matches"], tagged) {
				continue
			}
			var cr classRoute
			refs, _ := m["backendRefs"].([]any)
			for _, ref := range refs {
				rm, _ := ref.(map[string]any)
				name, _ := rm["name"].(string)
				w, ok := number(rm["weight"])
				if !ok {
					w = 1
				}
				cr.dests = append(cr.dests, dest{service: name, weight: w})
			}
			return cr
		}
		return classRoute{}
	}
	return route(true), route(false), true
}
