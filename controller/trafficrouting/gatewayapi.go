package trafficrouting

import (
	"context"
	"errors"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// GatewayAPI splits traffic with Gateway API HTTPRoutes, as the argoproj-labs gatewayAPI plugin
// does: the weights of the canary and stable Services' backendRefs, and header routes as rules of
// their own that send matching requests to the canary. A header route's rule carries the managed
// route's name as its rule name (the plugin keeps rule indexes in a ConfigMap instead).
type GatewayAPI struct {
	router
	cfg GatewayAPIConfig
}

// Type implements rollout.TrafficRouter.
func (r *GatewayAPI) Type() string { return "GatewayAPI" }

// editHTTPRoutes reads each configured HTTPRoute (only those taking header routes when headers is
// true), lets edit change its rules and writes the route back when they changed.
func (r *GatewayAPI) editHTTPRoutes(ctx context.Context, headers bool, edit func(rules []any) ([]any, error)) ([]string, error) {
	var updated []string
	for _, hr := range r.cfg.HTTPRoutes {
		if headers && !hr.UseHeaderRoutes {
			continue
		}
		u, err := getUnstructured(ctx, r.c, HTTPRouteGVKs, client.ObjectKey{Namespace: r.cfg.Namespace, Name: hr.Name})
		if err != nil {
			return updated, err
		}
		rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
		orig := make([]any, len(rules))
		for i := range rules {
			orig[i] = rules[i]
			if m, ok := rules[i].(map[string]any); ok {
				rules[i] = deepCopyMap(m)
			}
		}
		next, err := edit(rules)
		if err != nil {
			return updated, err
		}
		if apiequality.Semantic.DeepEqual(orig, next) {
			continue
		}
		if err := unstructured.SetNestedSlice(u.Object, next, "spec", "rules"); err != nil {
			return updated, err
		}
		if err := r.c.Update(ctx, u); err != nil {
			return updated, err
		}
		updated = append(updated, hr.Name)
	}
	return updated, nil
}

func deepCopyMap(m map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: m}).DeepCopy().Object
}

func (r *GatewayAPI) managed(rule any) bool {
	m, _ := rule.(map[string]any)
	name, _ := m["name"].(string)
	return name != "" && isManagedRoute(r.ro, name)
}

func backendRefs(rule any) []any {
	m, _ := rule.(map[string]any)
	refs, _ := m["backendRefs"].([]any)
	return refs
}

func refName(ref any) string {
	m, _ := ref.(map[string]any)
	n, _ := m["name"].(string)
	return n
}

// SetWeight gives the canary backendRefs the desired weight and the stable ones the rest, in every
// rule but header routes; experiment Services get their weight, taken from the stable.
func (r *GatewayAPI) SetWeight(ctx context.Context, desiredWeight int32, additional ...v1alpha1.WeightDestination) error {
	cs := r.ro.Spec.Strategy.Canary
	stable := 100 - desiredWeight
	for _, d := range additional {
		stable -= d.Weight
	}
	updated, err := r.editHTTPRoutes(ctx, false, func(rules []any) ([]any, error) {
		foundCanary, foundStable := false, false
		for _, rule := range rules {
			if r.managed(rule) {
				continue
			}
			refs := backendRefs(rule)
			hasCanary := false
			for _, ref := range refs {
				m, ok := ref.(map[string]any)
				if !ok {
					continue
				}
				switch refName(ref) {
				case cs.CanaryService:
					m["weight"], foundCanary, hasCanary = int64(desiredWeight), true, true
				case cs.StableService:
					m["weight"], foundStable = int64(stable), true
				}
			}
			if hasCanary && len(additional) > 0 {
				rule.(map[string]any)["backendRefs"] = withExperimentRefs(refs, additional)
			}
		}
		if !foundCanary || !foundStable {
			return nil, errors.New(errBackendRefNotFound)
		}
		return rules, nil
	})
	for _, name := range updated {
		r.eventf(ReasonHTTPRouteUpdated, MsgHTTPRouteUpdated, name, desiredWeight)
	}
	return err
}

// withExperimentRefs sets the weight of each experiment Service's backendRef, adding it if needed.
func withExperimentRefs(refs []any, additional []v1alpha1.WeightDestination) []any {
	for _, d := range additional {
		found := false
		for _, ref := range refs {
			if refName(ref) == d.ServiceName {
				ref.(map[string]any)["weight"] = int64(d.Weight)
				found = true
			}
		}
		if !found {
			refs = append(refs, map[string]any{"group": "", "kind": "Service", "name": d.ServiceName, "weight": int64(d.Weight)})
		}
	}
	return refs
}

// SetHeaderRoute adds (or with no matches removes) a rule, named after the managed route, that
// sends requests matching the headers on the weighted rule's paths to the canary Service.
func (r *GatewayAPI) SetHeaderRoute(ctx context.Context, route *v1alpha1.SetHeaderRoute) error {
	cs := r.ro.Spec.Strategy.Canary
	headers, err := gatewayHeaderMatches(route)
	if err != nil {
		return err
	}
	_, err = r.editHTTPRoutes(ctx, true, func(rules []any) ([]any, error) {
		rules = withoutRule(rules, route.Name)
		if route.Match == nil {
			return rules, nil
		}
		var weighted map[string]any
		var canaryRef map[string]any
		for _, rule := range rules {
			canary, stable := false, false
			for _, ref := range backendRefs(rule) {
				switch refName(ref) {
				case cs.CanaryService:
					canary = true
					canaryRef, _ = ref.(map[string]any)
				case cs.StableService:
					stable = true
				}
			}
			if canary && stable {
				weighted, _ = rule.(map[string]any)
				break
			}
		}
		if weighted == nil {
			return nil, errors.New(errBackendRefNotFound)
		}
		ref := map[string]any{"group": "", "kind": "Service", "name": cs.CanaryService}
		if port, ok := canaryRef["port"]; ok {
			ref["port"] = port
		}
		rule := map[string]any{"name": route.Name, "backendRefs": []any{ref}}
		if filters, ok := weighted["filters"].([]any); ok && len(filters) > 0 {
			rule["filters"] = (&unstructured.Unstructured{Object: map[string]any{"f": filters}}).DeepCopy().Object["f"]
		}
		var matches []any
		orig, _ := weighted["matches"].([]any)
		for _, m := range orig {
			om, _ := m.(map[string]any)
			nm := map[string]any{"headers": headers}
			if p, ok := om["path"]; ok {
				nm["path"] = p
			}
			if q, ok := om["queryParams"]; ok {
				nm["queryParams"] = q
			}
			matches = append(matches, nm)
		}
		if len(matches) == 0 {
			// The weighted rule matches everything; so does the header rule, for matching headers only.
			matches = []any{map[string]any{"headers": headers}}
		}
		rule["matches"] = matches
		return append(rules, rule), nil
	})
	return err
}

// gatewayHeaderMatches turns the step's matches into HTTPRoute header matches: exact stays exact,
// prefix and regex become regular expressions.
func gatewayHeaderMatches(route *v1alpha1.SetHeaderRoute) ([]any, error) {
	var out []any
	for _, m := range route.Match {
		h := map[string]any{"name": m.HeaderName}
		switch v := m.HeaderValue; {
		case v != nil && v.Exact != "":
			h["type"], h["value"] = "Exact", v.Exact
		case v != nil && v.Prefix != "":
			h["type"], h["value"] = "RegularExpression", v.Prefix+".*"
		case v != nil && v.Regex != "":
			h["type"], h["value"] = "RegularExpression", v.Regex
		default:
			return nil, errors.New(errInvalidHeaderMatch)
		}
		out = append(out, h)
	}
	return out, nil
}

func withoutRule(rules []any, name string) []any {
	var out []any
	for _, rule := range rules {
		m, _ := rule.(map[string]any)
		if n, _ := m["name"].(string); n == name && name != "" {
			continue
		}
		out = append(out, rule)
	}
	return out
}

// RemoveManagedRoutes removes the rules of every managed route.
func (r *GatewayAPI) RemoveManagedRoutes(ctx context.Context) error {
	_, err := r.editHTTPRoutes(ctx, true, func(rules []any) ([]any, error) {
		var out []any
		for _, rule := range rules {
			if !r.managed(rule) {
				out = append(out, rule)
			}
		}
		return out, nil
	})
	return err
}

// SetMirrorRoute implements rollout.TrafficRouter; Argo allows mirror routes with Istio only.
func (r *GatewayAPI) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements rollout.TrafficRouter; the plugin cannot tell.
func (r *GatewayAPI) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}
