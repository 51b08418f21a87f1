package sim

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// The traffic model of routed Rollouts: requests reach pods the way the objects the controller
// wrote send them. A blue-green Rollout's users reach the active Service; a canary with traffic
// routing is split by its router's objects (the canary Ingress's weight and canary-by-header
// annotations, VirtualService routes with their weights, header matches, mirrors and
// DestinationRule subsets, the TrafficSplit's backends, the HTTPRoute's rules and backendRefs),
// then every Service spreads its share evenly over the ready pods it selects.
//
// A share of requests is tagged (testers who send the header a header route matches, or who go to
// a blue-green preview); the rest are not. Requests routed to a Service without ready pods fail.

// taggedShare is the fraction of each Rollout's requests that testers send tagged.
const taggedShare = 0.05

// Kinds of the objects traffic routers write and the world watches.
const (
	kindIngress         = "Ingress"
	kindVirtualService  = "VirtualService"
	kindDestinationRule = "DestinationRule"
	kindTrafficSplit    = "TrafficSplit"
	kindHTTPRoute       = "HTTPRoute"
	kindDeployment      = "Deployment"
)

var (
	podGVK     = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	ingressGVK = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}
)

// dest is one weighted destination: the ready pods a Service selects, narrowed by subset labels.
type dest struct {
	service string
	subset  map[string]string
	weight  float64
}

// classRoute is where one class of requests (tagged or not) goes, and what is mirrored of it.
type classRoute struct {
	dests     []dest
	mirror    *dest
	mirrorPct float64
}

func single(service string) classRoute {
	return classRoute{dests: []dest{{service: service, weight: 1}}}
}

// routedSplit divides a routed Rollout's requests; ok is false when no object says how, and the
// replica-based split applies.
func (t *traffic) routedSplit(ro *v1alpha1.Rollout) (shares, mirrors []share, ok bool) {
	tagged, untagged, ok := t.classRoutes(ro)
	if !ok {
		return nil, nil, false
	}
	if !t.hasReadyPods(ro) {
		// As with the replica-based split, a Rollout without a ready pod serves no requests yet.
		return nil, nil, true
	}
	shares, mirrors = t.classShares(ro, untagged, 1-taggedShare, shares, mirrors)
	shares, mirrors = t.classShares(ro, tagged, taggedShare, shares, mirrors)
	return shares, mirrors, true
}

// classRoutes says where a routed Rollout's tagged and untagged requests go; ok is false when no
// object says how.
func (t *traffic) classRoutes(ro *v1alpha1.Rollout) (tagged, untagged classRoute, ok bool) {
	switch {
	case ro.Spec.Strategy.BlueGreen != nil:
		return t.blueGreenRoutes(ro)
	case ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil:
		tagged, untagged, ok = t.routerRoutes(ro)
		if !ok {
			tagged, untagged, ok = weightRoutes(ro)
		}
	}
	return tagged, untagged, ok
}

func (t *traffic) hasReadyPods(ro *v1alpha1.Rollout) bool {
	for _, rs := range t.w.work.replicaSetsOf(ro) {
		if len(t.w.work.servingPods(rs)) > 0 {
			return true
		}
	}
	return false
}

// classShares spreads frac of the Rollout's requests over the class's destinations by weight, and
// each destination's part evenly over its pods; a destination without pods gets a failing share.
func (t *traffic) classShares(ro *v1alpha1.Rollout, cr classRoute, frac float64, shares, mirrors []share) ([]share, []share) {
	var total float64
	for _, d := range cr.dests {
		total += d.weight
	}
	if total <= 0 {
		return append(shares, share{frac: frac}), mirrors
	}
	for _, d := range cr.dests {
		if d.weight <= 0 {
			continue
		}
		shares = t.spread(ro, d, frac*d.weight/total, shares)
	}
	if cr.mirror != nil && cr.mirrorPct > 0 {
		var copies []share
		copies = t.spread(ro, *cr.mirror, frac*cr.mirrorPct/100, copies)
		for _, s := range copies {
			if s.p != nil {
				mirrors = append(mirrors, s)
			}
		}
	}
	return shares, mirrors
}

func (t *traffic) spread(ro *v1alpha1.Rollout, d dest, frac float64, out []share) []share {
	pods := t.selectPods(ro.Namespace, d.service, d.subset)
	if len(pods) == 0 {
		return append(out, share{frac: frac})
	}
	each := frac / float64(len(pods))
	for _, p := range pods {
		out = append(out, share{p: p, frac: each, canary: isCanary(ro, p)})
	}
	return out
}

// selectPods lists the ready pods of the namespace that the Service's selector and the subset
// labels select, in ReplicaSet then creation order. A Service without a selector selects none.
func (t *traffic) selectPods(ns, service string, subset map[string]string) []*pod {
	o := t.w.store.Peek(serviceGVK, types.NamespacedName{Namespace: ns, Name: service})
	if o == nil {
		return nil
	}
	svc := o.(*corev1.Service)
	if len(svc.Spec.Selector) == 0 {
		return nil
	}
	want := labels.Set{}
	for k, v := range svc.Spec.Selector {
		want[k] = v
	}
	for k, v := range subset {
		want[k] = v
	}
	sel := labels.SelectorFromSet(want)
	var out []*pod
	for _, rs := range t.w.store.Objects(replicaSetGVK) {
		if rs.GetNamespace() != ns {
			continue
		}
		for _, p := range t.w.work.servingPods(types.NamespacedName{Namespace: ns, Name: rs.GetName()}) {
			podLabels := labels.Set(p.labels)
			if stored := t.w.store.Peek(podGVK, p.key); stored != nil {
				podLabels = stored.GetLabels() // labels patched since (ephemeral metadata)
			}
			if sel.Matches(podLabels) {
				out = append(out, p)
			}
		}
	}
	return out
}

// blueGreenRoutes: everyone reaches the active Service; testers reach the preview Service while
// it selects other pods than the active one and has ready pods.
func (t *traffic) blueGreenRoutes(ro *v1alpha1.Rollout) (classRoute, classRoute, bool) {
	bg := ro.Spec.Strategy.BlueGreen
	if t.w.store.Peek(serviceGVK, types.NamespacedName{Namespace: ro.Namespace, Name: bg.ActiveService}) == nil {
		return classRoute{}, classRoute{}, false
	}
	active := single(bg.ActiveService)
	if bg.PreviewService == "" {
		return active, active, true
	}
	a, p := t.selectorHash(ro.Namespace, bg.ActiveService), t.selectorHash(ro.Namespace, bg.PreviewService)
	if p != "" && p != a && len(t.selectPods(ro.Namespace, bg.PreviewService, nil)) > 0 {
		return single(bg.PreviewService), active, true
	}
	return active, active, true
}

func (t *traffic) selectorHash(ns, service string) string {
	o := t.w.store.Peek(serviceGVK, types.NamespacedName{Namespace: ns, Name: service})
	if o == nil {
		return ""
	}
	return o.(*corev1.Service).Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey]
}

// weightRoutes splits by status.canary.weights (a router the model does not know).
func weightRoutes(ro *v1alpha1.Rollout) (classRoute, classRoute, bool) {
	cs := ro.Spec.Strategy.Canary
	if cs.StableService == "" || cs.CanaryService == "" {
		return classRoute{}, classRoute{}, false
	}
	w := ro.Status.Canary.Weights
	if w == nil {
		r := single(cs.StableService)
		return r, r, true
	}
	r := classRoute{dests: []dest{{service: cs.CanaryService, weight: float64(w.Canary.Weight)}, {service: cs.StableService, weight: float64(w.Stable.Weight)}}}
	for _, a := range w.Additional {
		r.dests = append(r.dests, dest{service: a.ServiceName, weight: float64(a.Weight)})
	}
	return r, r, true
}

// peekAny finds an unstructured object under the first of gvks the store has it under.
func (t *traffic) peekAny(gvks []schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	for _, gvk := range gvks {
		if o := t.w.store.Peek(gvk, types.NamespacedName{Namespace: ns, Name: name}); o != nil {
			if u, ok := o.(*unstructured.Unstructured); ok {
				return u
			}
		}
	}
	return nil
}

// number reads a JSON number or a quantity-like string ("20").
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
