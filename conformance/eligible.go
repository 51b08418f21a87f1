package conformance

import (
	"fmt"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/scenarios"
)

// Unsupported lists why Argo Rollouts' released controller cannot run the scenario as written,
// one reason per line; none means it is eligible for conformance. What canarydrill adds to
// Argo's API (the judge provider, basic auth) is not there, and a router plugin is a binary
// that Argo downloads when it starts, which a machine without internet cannot do.
func Unsupported(sc *scenarios.Scenario) []string {
	seen := map[string]bool{}
	for _, o := range sc.Objects {
		for _, why := range unsupported(o.Object) {
			seen[fmt.Sprintf("%s: %s", o.Source, why)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for why := range seen {
		out = append(out, why)
	}
	sort.Strings(out)
	return out
}

func unsupported(obj client.Object) []string {
	if ro, ok := obj.(*v1alpha1.Rollout); ok {
		if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil && len(c.TrafficRouting.Plugins) > 0 {
			return []string{fmt.Sprintf("Rollout %s: a traffic router plugin (Argo downloads its binary at start)", ro.Name)}
		}
		return nil
	}
	var out []string
	for _, m := range v1alpha1.MetricsOf(obj) {
		p := m.Provider
		switch {
		case p.Judge != nil:
			out = append(out, fmt.Sprintf("metric %s: the judge provider is canarydrill's", m.Name))
		case p.Prometheus != nil && p.Prometheus.Authentication.BasicAuth != (v1alpha1.BasicAuthConfig{}):
			out = append(out, fmt.Sprintf("metric %s: prometheus basicAuth is canarydrill's", m.Name))
		case p.Web != nil && p.Web.Authentication.BasicAuth != (v1alpha1.BasicAuthConfig{}):
			out = append(out, fmt.Sprintf("metric %s: web basicAuth is canarydrill's", m.Name))
		case len(p.Plugin) > 0:
			out = append(out, fmt.Sprintf("metric %s: a metric plugin (Argo downloads its binary at start)", m.Name))
		}
	}
	return out
}
