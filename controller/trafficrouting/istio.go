package trafficrouting

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Istio splits traffic by the weights of VirtualService route destinations, either between the
// canary and stable Services (host split) or between two DestinationRule subsets whose labels
// carry the pod-template hashes (subset split), and adds header and mirror routes (Argo's
// rollout/trafficrouting/istio).
type Istio struct {
	router
	replicaSets []*appsv1.ReplicaSet
}

// Type implements rollout.TrafficRouter.
func (r *Istio) Type() string { return "Istio" }

// annotationManagedBy marks the DestinationRule a Rollout manages.
const annotationManagedBy = "argo-rollouts.argoproj.io/managed-by-rollouts"

// Istio route kinds and their VirtualService fields.
const (
	routeHTTP = "http"
	routeTLS  = "tls"
	routeTCP  = "tcp"
)

// vsRoute is the part of a VirtualService route (HTTP, TLS or TCP) the router reads.
type vsRoute struct {
	Name   string          `json:"name,omitempty"`
	Match  []vsMatch       `json:"match,omitempty"`
	Route  []vsWeighted    `json:"route,omitempty"`
	Mirror *vsDestination  `json:"mirror,omitempty"`
	Pct    *vsMirrorAmount `json:"mirrorPercentage,omitempty"`
}

type vsMatch struct {
	Port     int64    `json:"port,omitempty"`
	SNIHosts []string `json:"sniHosts,omitempty"`
}

type vsWeighted struct {
	Destination vsDestination `json:"destination,omitempty"`
	Weight      int64         `json:"weight,omitempty"`
}

type vsDestination struct {
	Host   string  `json:"host,omitempty"`
	Subset string  `json:"subset,omitempty"`
	Port   *vsPort `json:"port,omitempty"`
}

type vsPort struct {
	Number uint32 `json:"number,omitempty"`
}

type vsMirrorAmount struct {
	Value float64 `json:"value,omitempty"`
}

func (r *Istio) virtualServices() []v1alpha1.IstioVirtualService {
	is := r.ro.Spec.Strategy.Canary.TrafficRouting.Istio
	if is.VirtualServices != nil {
		return is.VirtualServices
	}
	if is.VirtualService == nil {
		return nil
	}
	return []v1alpha1.IstioVirtualService{*is.VirtualService}
}

// getVirtualService reads the named VirtualService ("name" or "name.namespace").
func (r *Istio) getVirtualService(ctx context.Context, vs v1alpha1.IstioVirtualService) (*unstructured.Unstructured, string, error) {
	ns, name := splitNamespacedName(vs.Name)
	if ns == "" {
		ns = r.ro.Namespace
	}
	u, err := getUnstructured(ctx, r.c, VirtualServiceGVKs, client.ObjectKey{Namespace: ns, Name: name})
	if apierrors.IsNotFound(err) {
		r.warnf(ReasonVirtualServiceNotFound, MsgVirtualServiceNotFound, name)
	}
	return u, name, err
}

// SetWeight sets the weights of the managed routes of every VirtualService.
func (r *Istio) SetWeight(ctx context.Context, desiredWeight int32, additional ...v1alpha1.WeightDestination) error {
	for _, vs := range r.virtualServices() {
		u, name, err := r.getVirtualService(ctx, vs)
		if err != nil {
			return err
		}
		next := u.DeepCopy()
		modified, err := r.reconcileVirtualService(next, vs, int64(desiredWeight), additional)
		if err != nil {
			return err
		}
		if !modified {
			continue
		}
		if err := r.orderRoutes(next); err != nil && err.Error() != errSpecHTTPNotFound {
			return fmt.Errorf("[SetWeight] failed to order routes: %w", err)
		}
		if err := r.c.Update(ctx, next); err != nil {
			return err
		}
		r.eventf(ReasonUpdatedVirtualService, MsgVirtualServiceWeight, name, desiredWeight)
	}
	return nil
}

// reconcileVirtualService validates the VirtualService's routes and sets their weights in obj; it
// reports whether a weight changed.
func (r *Istio) reconcileVirtualService(obj *unstructured.Unstructured, vs v1alpha1.IstioVirtualService, desired int64, additional []v1alpha1.WeightDestination) (bool, error) {
	modified := false
	for _, kind := range []string{routeHTTP, routeTLS, routeTCP} {
		raw, found, err := unstructured.NestedSlice(obj.Object, "spec", kind)
		if err != nil || !found {
			continue
		}
		routes, err := decodeRoutes(raw)
		if err != nil {
			return false, err
		}
		var indexes []int
		switch kind {
		case routeHTTP:
			if err := validateHTTPRoutes(r.ro, vs.Routes, routes); err != nil {
				return false, err
			}
			names := append([]string(nil), vs.Routes...)
			// Mirror routes among the managed routes keep the weights of the routes they copy.
			for _, route := range routes {
				if route.Mirror != nil && isManagedRoute(r.ro, route.Name) {
					names = append(names, route.Name)
				}
			}
			indexes, _ = httpRouteIndexes(names, routes)
		case routeTLS:
			if err := validateTLSRoutes(r.ro, vs.TLSRoutes, routes); err != nil {
				return false, err
			}
			indexes, _ = tlsRouteIndexes(vs.TLSRoutes, routes)
		case routeTCP:
			if err := validateTCPRoutes(r.ro, vs.TCPRoutes, routes); err != nil {
				return false, err
			}
			indexes, _ = tcpRouteIndexes(vs.TCPRoutes, routes)
		}
		changed := false
		for _, i := range indexes {
			if i >= len(raw) {
				break
			}
			route, ok := raw[i].(map[string]any)
			if !ok {
				return false, argoErrorf("Invalid casting: field '%s[]' is not of type 'map[string]interface'", kind)
			}
			if r.setRouteWeights(route, routes[i].Route, desired, additional) {
				changed = true
			}
		}
		if changed {
			modified = true
			if err := unstructured.SetNestedSlice(obj.Object, raw, "spec", kind); err != nil {
				return false, err
			}
		}
	}
	return modified, nil
}

func decodeRoutes(raw []any) ([]vsRoute, error) {
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var routes []vsRoute
	if err := json.Unmarshal(data, &routes); err != nil {
		return nil, err
	}
	return routes, nil
}

func isManagedRoute(ro *v1alpha1.Rollout, name string) bool {
	for _, m := range ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes {
		if m.Name == name {
			return true
		}
	}
	return false
}

// subsetNames are the canary and stable subsets and the additional ones whose weight is kept.
type subsetNames struct {
	canary, stable string
	additional     []string
}

func (r *Istio) subsets() subsetNames {
	if dr := r.ro.Spec.Strategy.Canary.TrafficRouting.Istio.DestinationRule; dr != nil {
		return subsetNames{canary: dr.CanarySubsetName, stable: dr.StableSubsetName, additional: dr.AdditionalSubsetNames}
	}
	return subsetNames{}
}

// setRouteWeights gives the canary destination the desired weight and the stable the rest (less
// experiment and additional-subset weights), keeps additional subsets, sets experiment weights,
// drops any other destination and adds missing experiment destinations (Argo's processRoutes).
func (r *Istio) setRouteWeights(route map[string]any, dests []vsWeighted, desired int64, additional []v1alpha1.WeightDestination) bool {
	cs := r.ro.Spec.Strategy.Canary
	sub := r.subsets()
	stableWeight := 100 - desired
	pending := map[string]v1alpha1.WeightDestination{}
	var order []string
	for _, d := range additional {
		if _, dup := pending[d.ServiceName]; !dup {
			order = append(order, d.ServiceName)
		}
		pending[d.ServiceName] = d
		stableWeight -= int64(d.Weight)
	}
	isAdditionalSubset := func(s string) bool { return s != "" && slices.Contains(sub.additional, s) }
	for _, d := range dests {
		if isAdditionalSubset(d.Destination.Subset) {
			stableWeight -= d.Weight
		}
	}
	stableWeight = max(stableWeight, 0)

	raw, _ := route["route"].([]any)
	var out []any
	changed := false
	for i, d := range dests {
		host, subset := shortHost(d.Destination.Host), d.Destination.Subset
		var entry map[string]any
		if i < len(raw) {
			entry, _ = raw[i].(map[string]any)
		}
		if host == "" || entry == nil {
			if entry != nil {
				out = append(out, entry)
			}
			continue
		}
		weight := int64(-1) // -1: drop the destination
		switch {
		case host == cs.CanaryService || (subset != "" && subset == sub.canary):
			weight = desired
		case host == cs.StableService || (subset != "" && subset == sub.stable):
			weight = stableWeight
		default:
			if dest, ok := pending[host]; ok {
				weight = int64(dest.Weight)
				delete(pending, host)
			} else if isAdditionalSubset(subset) {
				weight = d.Weight
			}
		}
		if weight < 0 {
			changed = true
			continue
		}
		if d.Weight != weight {
			entry = copyMap(entry)
			entry["weight"] = weight
			changed = true
		}
		out = append(out, entry)
	}
	for _, name := range order {
		dest, ok := pending[name]
		if !ok {
			continue
		}
		out = append(out, map[string]any{"weight": int64(dest.Weight), "destination": map[string]any{"host": name}})
		changed = true
	}
	if changed {
		route["route"] = out
	}
	return changed
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// httpRouteIndexes finds the HTTP routes to set weights in: the named ones, or without names the
// only route, or else the first route without a name.
func httpRouteIndexes(names []string, routes []vsRoute) ([]int, error) {
	if len(names) == 0 {
		if len(routes) == 1 {
			return []int{0}, nil
		}
		for i, route := range routes {
			if route.Name == "" {
				return []int{i}, nil
			}
		}
	}
	var out []int
	for _, name := range names {
		i := slices.IndexFunc(routes, func(r vsRoute) bool { return r.Name == name })
		if i < 0 {
			return nil, argoErrorf("HTTP Route '%s' is not found in the defined Virtual Service.", name)
		}
		out = append(out, i)
	}
	return out, nil
}

// tlsRouteIndexes finds the TLS routes whose single port and SNI hosts match a configured one; the
// first route when none is configured.
func tlsRouteIndexes(want []v1alpha1.TLSRoute, routes []vsRoute) ([]int, error) {
	if len(want) == 0 {
		return []int{0}, nil
	}
	var out []int
	for _, w := range want {
		found := false
		for i, route := range routes {
			port, ok := singlePort(route.Match)
			if !ok || port != w.Port {
				continue
			}
			hosts := map[string]bool{}
			for _, m := range route.Match {
				for _, h := range m.SNIHosts {
					hosts[h] = true
				}
			}
			if sameSet(w.SNIHosts, hosts) {
				out = append(out, i)
				found = true
			}
		}
		if !found {
			return nil, argoErrorf("No matching TLS routes found in the defined Virtual Service.")
		}
	}
	return out, nil
}

// tcpRouteIndexes finds the TCP routes whose single port matches a configured one; the first
// route when none is configured.
func tcpRouteIndexes(want []v1alpha1.TCPRoute, routes []vsRoute) ([]int, error) {
	if len(want) == 0 {
		return []int{0}, nil
	}
	var out []int
	for _, w := range want {
		found := false
		for i, route := range routes {
			if port, ok := singlePort(route.Match); ok && port == w.Port {
				out = append(out, i)
				found = true
			}
		}
		if !found {
			return nil, argoErrorf("No matching TCP routes found in the defined Virtual Service.")
		}
	}
	return out, nil
}

// singlePort is the one port a route's matches name (0 when they name none); ok is false for more.
func singlePort(matches []vsMatch) (int64, bool) {
	ports := map[int64]bool{}
	for _, m := range matches {
		ports[m.Port] = true
	}
	if len(ports) > 1 {
		return 0, false
	}
	for p := range ports {
		return p, true
	}
	return 0, true
}

func sameSet(a []string, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !b[x] {
			return false
		}
	}
	return true
}

// validateHTTPRoutes checks that the routes the Rollout names exist and have the canary and stable
// destinations, and that without names the VirtualService has one route besides managed ones.
func validateHTTPRoutes(ro *v1alpha1.Rollout, names []string, routes []vsRoute) error {
	indexes, err := httpRouteIndexes(names, routes)
	if err != nil {
		return err
	}
	for _, i := range indexes {
		if err := validateDestinations(ro, routes[i].Route); err != nil {
			return err
		}
	}
	unmanaged := 0
	for _, route := range routes {
		if !isManagedRoute(ro, route.Name) {
			unmanaged++
		}
	}
	if len(names) == 0 && unmanaged > 1 {
		return fmt.Errorf("spec.http[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.routes")
	}
	return nil
}

func validateTLSRoutes(ro *v1alpha1.Rollout, want []v1alpha1.TLSRoute, routes []vsRoute) error {
	indexes, err := tlsRouteIndexes(want, routes)
	if err != nil {
		return err
	}
	for _, i := range indexes {
		if i < len(routes) {
			if err := validateDestinations(ro, routes[i].Route); err != nil {
				return err
			}
		}
	}
	if len(want) == 0 && len(routes) > 1 {
		return fmt.Errorf("spec.tls[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.tlsRoutes")
	}
	return nil
}

func validateTCPRoutes(ro *v1alpha1.Rollout, want []v1alpha1.TCPRoute, routes []vsRoute) error {
	indexes, err := tcpRouteIndexes(want, routes)
	if err != nil {
		return err
	}
	for _, i := range indexes {
		if i < len(routes) {
			if err := validateDestinations(ro, routes[i].Route); err != nil {
				return err
			}
		}
	}
	if len(want) == 0 && len(routes) > 1 {
		return fmt.Errorf("spec.tcp[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.tcpRoutes")
	}
	return nil
}

// validateDestinations requires the canary and stable subsets (with a DestinationRule) or Services.
func validateDestinations(ro *v1alpha1.Rollout, dests []vsWeighted) error {
	cs := ro.Spec.Strategy.Canary
	dr := cs.TrafficRouting.Istio.DestinationRule
	var stableSvc, canarySvc, stableSubset, canarySubset bool
	for _, d := range dests {
		host := shortHost(d.Destination.Host)
		stableSvc = stableSvc || (cs.StableService != "" && host == cs.StableService)
		canarySvc = canarySvc || (cs.CanaryService != "" && host == cs.CanaryService)
		if dr != nil {
			stableSubset = stableSubset || (dr.StableSubsetName != "" && d.Destination.Subset == dr.StableSubsetName)
			canarySubset = canarySubset || (dr.CanarySubsetName != "" && d.Destination.Subset == dr.CanarySubsetName)
		}
	}
	if dr != nil {
		if !canarySubset {
			return argoErrorf("Canary DestinationRule subset '%s' not found in route", dr.CanarySubsetName)
		}
		if !stableSubset {
			return argoErrorf("Stable DestinationRule subset '%s' not found in route", dr.StableSubsetName)
		}
		return nil
	}
	if !canarySvc {
		return argoErrorf("Canary Service '%s' not found in route", cs.CanaryService)
	}
	if !stableSvc {
		return argoErrorf("Stable Service '%s' not found in route", cs.StableService)
	}
	return nil
}

// VerifyWeight implements rollout.TrafficRouter; Istio cannot tell.
func (r *Istio) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}
