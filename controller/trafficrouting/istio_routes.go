package trafficrouting

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Header and mirror routes in Istio VirtualServices: managed routes, named after
// trafficRouting.managedRoutes and kept above the user's routes in that order.

// SetHeaderRoute puts (or with no matches removes) a route sending requests that match the headers
// to the canary, in every VirtualService.
func (r *Istio) SetHeaderRoute(ctx context.Context, route *v1alpha1.SetHeaderRoute) error {
	return r.editRoutes(ctx, "[SetHeaderRoute]", MsgVirtualServiceHeader, route.Name, func(vs v1alpha1.IstioVirtualService, obj *unstructured.Unstructured) error {
		host, subset, err := r.canaryTarget(ctx)
		if err != nil {
			return err
		}
		if err := removeRoute(obj, route.Name); err != nil {
			return fmt.Errorf("[reconcileVirtualServiceHeaderRoutes] failed to remove http route from virtual service: %w", err)
		}
		if route.Match == nil {
			return nil
		}
		routes, _, _ := unstructured.NestedSlice(obj.Object, "spec", routeHTTP)
		routes = append(routes, headerRoute(vs, obj, route, host, subset))
		return unstructured.SetNestedSlice(obj.Object, routes, "spec", routeHTTP)
	})
}

// SetMirrorRoute puts (or with no matches removes) a route that keeps the weighted destinations
// and mirrors a percentage of matching requests to the canary, first among the HTTP routes.
func (r *Istio) SetMirrorRoute(ctx context.Context, route *v1alpha1.SetMirrorRoute) error {
	return r.editRoutes(ctx, "[SetMirrorRoute]", MsgVirtualServiceMirror, route.Name, func(vs v1alpha1.IstioVirtualService, obj *unstructured.Unstructured) error {
		host, subset, err := r.canaryTarget(ctx)
		if err != nil {
			return fmt.Errorf("[reconcileVirtualServiceMirrorRoutes] failed to get destination rule host: %w", err)
		}
		if err := removeRoute(obj, route.Name); err != nil {
			return fmt.Errorf("[reconcileVirtualServiceMirrorRoutes] failed to remove http route from virtual service: %w", err)
		}
		if route.Match == nil {
			return nil
		}
		raw, _, _ := unstructured.NestedSlice(obj.Object, "spec", routeHTTP)
		routes, err := decodeRoutes(raw)
		if err != nil {
			return err
		}
		mirror, err := mirrorRoute(vs, routes, route, host, subset)
		if err != nil {
			return fmt.Errorf("[reconcileVirtualServiceMirrorRoutes] failed to create mirror route: %w", err)
		}
		return unstructured.SetNestedSlice(obj.Object, append([]any{mirror}, raw...), "spec", routeHTTP)
	})
}

// editRoutes applies edit to every VirtualService, orders the routes and writes each one back.
func (r *Istio) editRoutes(ctx context.Context, op, msg, routeName string, edit func(v1alpha1.IstioVirtualService, *unstructured.Unstructured) error) error {
	for _, vs := range r.virtualServices() {
		u, name, err := r.getVirtualService(ctx, vs)
		if err != nil {
			return fmt.Errorf("%s failed to get istio virtual service: %w", op, err)
		}
		if _, found, _ := unstructured.NestedSlice(u.Object, "spec", routeHTTP); !found {
			return fmt.Errorf("%s %s", op, errSpecHTTPNotFound)
		}
		if err := edit(vs, u); err != nil {
			return fmt.Errorf("%s failed to reconcile routes: %w", op, err)
		}
		if err := r.orderRoutes(u); err != nil && err.Error() != errSpecHTTPNotFound {
			return fmt.Errorf("%s failed to order routes: %w", op, err)
		}
		if err := r.c.Update(ctx, u); err != nil {
			return fmt.Errorf("%s failed to update routes: %w", op, err)
		}
		r.eventf(ReasonUpdatedVirtualService, msg, name, routeName)
	}
	return nil
}

// canaryTarget is where header and mirror routes send requests: the DestinationRule's host and
// canary subset, or the canary Service.
func (r *Istio) canaryTarget(ctx context.Context) (host, subset string, err error) {
	cs := r.ro.Spec.Strategy.Canary
	host = cs.CanaryService
	if dr := cs.TrafficRouting.Istio.DestinationRule; dr != nil {
		u, err := r.getDestinationRule(ctx, dr)
		if err != nil {
			return "", "", err
		}
		if h, _, _ := unstructured.NestedString(u.Object, "spec", "host"); h != "" {
			host = h
		}
		subset = dr.CanarySubsetName
	}
	return host, subset, nil
}

// weightedRoute is the destinations of the first route SetWeight manages.
func weightedRoute(vs v1alpha1.IstioVirtualService, routes []vsRoute) ([]vsWeighted, error) {
	indexes, err := httpRouteIndexes(vs.Routes, routes)
	if err != nil {
		return nil, fmt.Errorf("[getVirtualServiceSetWeightRoute] failed to get routes that need to be patch when set weight is called: %w", err)
	}
	if len(indexes) == 0 {
		return nil, nil
	}
	return routes[indexes[0]].Route, nil
}

func headerRoute(vs v1alpha1.IstioVirtualService, obj *unstructured.Unstructured, route *v1alpha1.SetHeaderRoute, host, subset string) map[string]any {
	var matches []any
	for _, m := range route.Match {
		value := map[string]any{}
		if m.HeaderValue != nil {
			setIfNotEmpty(value, "exact", m.HeaderValue.Exact)
			setIfNotEmpty(value, "regex", m.HeaderValue.Regex)
			setIfNotEmpty(value, "prefix", m.HeaderValue.Prefix)
		}
		matches = append(matches, map[string]any{"headers": map[string]any{m.HeaderName: value}})
	}
	var port uint32
	if raw, found, _ := unstructured.NestedSlice(obj.Object, "spec", routeHTTP); found {
		if routes, err := decodeRoutes(raw); err == nil {
			if dests, err := weightedRoute(vs, routes); err == nil && len(dests) > 0 && dests[0].Destination.Port != nil {
				port = dests[0].Destination.Port.Number
			}
		}
	}
	dest := map[string]any{"host": host}
	if port > 0 {
		dest["port"] = map[string]any{"number": int64(port)}
	}
	if subset != "" {
		dest["subset"] = subset
	}
	return map[string]any{
		"name":  route.Name,
		"match": matches,
		"route": []any{map[string]any{"weight": int64(100), "destination": dest}},
	}
}

func setIfNotEmpty(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// mirrorMatch is a mirror route's match in Istio's form (the path is Istio's uri).
type mirrorMatch struct {
	Method  *v1alpha1.StringMatch           `json:"method,omitempty"`
	URI     *v1alpha1.StringMatch           `json:"uri,omitempty"`
	Headers map[string]v1alpha1.StringMatch `json:"headers,omitempty"`
}

func mirrorRoute(vs v1alpha1.IstioVirtualService, routes []vsRoute, route *v1alpha1.SetMirrorRoute, host, subset string) (map[string]any, error) {
	percent := int32(100)
	if route.Percentage != nil {
		percent = *route.Percentage
	}
	dests, err := weightedRoute(vs, routes)
	if err != nil {
		return nil, err
	}
	var matches []mirrorMatch
	for _, m := range route.Match {
		matches = append(matches, mirrorMatch{Method: m.Method, URI: m.Path, Headers: m.Headers})
	}
	mirror := vsDestination{Host: host, Subset: subset}
	if len(dests) > 0 && dests[0].Destination.Port != nil {
		mirror.Port = &vsPort{Number: dests[0].Destination.Port.Number}
	}
	data, err := json.Marshal(map[string]any{
		"name":             route.Name,
		"match":            matches,
		"route":            dests,
		"mirror":           mirror,
		"mirrorPercentage": map[string]any{"value": float64(percent)},
	})
	if err != nil {
		return nil, err
	}
	// Through unstructured JSON, so numbers are int64 as in every other object read from the API.
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(append(append([]byte(`{"kind":"Route","apiVersion":"v1","spec":`), data...), '}')); err != nil {
		return nil, err
	}
	out, _, _ := unstructured.NestedMap(u.Object, "spec")
	return out, nil
}

// removeRoute drops the HTTP route with that name.
func removeRoute(obj *unstructured.Unstructured, name string) error {
	routes, found, err := unstructured.NestedSlice(obj.Object, "spec", routeHTTP)
	if err != nil {
		return fmt.Errorf("[removeRoute] failed to get http routes from virtual service: %w", err)
	}
	if !found {
		return fmt.Errorf("%s", errSpecHTTPNotFound)
	}
	var kept []any
	for _, route := range routes {
		m, ok := route.(map[string]any)
		if !ok {
			return argoErrorf("Could not cast type to map[string]any to find route name in Istio Virtual Service")
		}
		if n, _ := m["name"].(string); n != name {
			kept = append(kept, route)
		}
	}
	return unstructured.SetNestedSlice(obj.Object, kept, "spec", routeHTTP)
}

// orderRoutes puts the managed routes first, in managedRoutes order, then the others as they were.
func (r *Istio) orderRoutes(obj *unstructured.Unstructured) error {
	routes, found, err := unstructured.NestedSlice(obj.Object, "spec", routeHTTP)
	if err != nil {
		return fmt.Errorf("[orderRoutes] failed to get virtual service http routes: %w", err)
	}
	if !found {
		return fmt.Errorf("%s", errSpecHTTPNotFound)
	}
	managed := r.ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes
	if managed == nil {
		return nil
	}
	name := func(route any) string {
		m, _ := route.(map[string]any)
		n, _ := m["name"].(string)
		return n
	}
	out := make([]any, 0, len(routes))
	for _, m := range managed {
		for _, route := range routes {
			if name(route) == m.Name {
				out = append(out, route)
			}
		}
	}
	for _, route := range routes {
		if !isManagedRoute(r.ro, name(route)) {
			out = append(out, route)
		}
	}
	return unstructured.SetNestedSlice(obj.Object, out, "spec", routeHTTP)
}

// RemoveManagedRoutes drops every managed route from the VirtualServices.
func (r *Istio) RemoveManagedRoutes(ctx context.Context) error {
	managed := r.ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes
	for _, vs := range r.virtualServices() {
		u, name, err := r.getVirtualService(ctx, vs)
		if err != nil {
			return fmt.Errorf("[RemoveManagedRoutes] failed to get virtual service: %w", err)
		}
		routes, found, err := unstructured.NestedSlice(u.Object, "spec", routeHTTP)
		if err != nil {
			return fmt.Errorf("[RemoveManagedRoutes] failed to get http routes from virtual service: %w", err)
		}
		if !found || len(managed) == 0 {
			// Only TLS or TCP routes, or nothing managed: nothing to remove (as Argo, the others
			// are not looked at either).
			return nil
		}
		var kept []any
		for _, route := range routes {
			m, _ := route.(map[string]any)
			n, _ := m["name"].(string)
			if !isManagedRoute(r.ro, n) {
				kept = append(kept, route)
			}
		}
		if len(kept) == len(routes) {
			return nil
		}
		if err := unstructured.SetNestedSlice(u.Object, kept, "spec", routeHTTP); err != nil {
			return fmt.Errorf("[RemoveManagedRoutes] failed to set nested slice on virtual service to remove managed routes: %w", err)
		}
		if err := r.c.Update(ctx, u); err != nil {
			return fmt.Errorf("[RemoveManagedRoutes] failed to update kubernetes virtual service: %w", err)
		}
		r.eventf(ReasonUpdatedVirtualService, MsgVirtualServiceRemoved, name)
	}
	return nil
}

func (r *Istio) getDestinationRule(ctx context.Context, dr *v1alpha1.IstioDestinationRule) (*unstructured.Unstructured, error) {
	u, err := getUnstructured(ctx, r.c, DestinationRuleGVKs, client.ObjectKey{Namespace: r.ro.Namespace, Name: dr.Name})
	if apierrors.IsNotFound(err) {
		r.warnf(ReasonDestinationRuleNotFound, MsgDestinationRuleNotFound, dr.Name)
	}
	return u, err
}
