package sim

import (
	"slices"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// RouteTable is where the focus Rollout's requests go, as the objects the controller wrote send
// them (the traffic model's split, per class of request). The loop publishes a new table after
// every change; a router reads the one it was given and never changes it.
type RouteTable struct {
	// Untagged routes users' requests; Tagged the testers' requests, which carry Header: Value
	// (what a header route matches, or what reaches a blue-green preview).
	Untagged, Tagged []Route
	Header, Value    string
}

// Route is a destination and its share of its class's requests. A Route without Addr is a share
// sent where no pod is ready: those requests fail. Without any Route nothing serves the Rollout
// yet.
type Route struct {
	Pod    string
	Addr   string
	Weight float64
	Canary bool
}

// TesterHeader is the header testers send when the Rollout names none (no header route).
const (
	TesterHeader      = "X-Canarydrill-Tester"
	TesterHeaderValue = "true"
)

// Ready says whether any pod serves the table's requests.
func (t RouteTable) Ready() bool {
	for _, r := range slices.Concat(t.Untagged, t.Tagged) {
		if r.Addr != "" {
			return true
		}
	}
	return false
}

func (t RouteTable) equal(o RouteTable) bool {
	return t.Header == o.Header && t.Value == o.Value && slices.Equal(t.Untagged, o.Untagged) && slices.Equal(t.Tagged, o.Tagged)
}

// rtPublishRoutes hands the focus Rollout's table to the router when it changed.
func (w *World) rtPublishRoutes() {
	rt := w.rt
	tbl := w.routeTable(w.focusRollout())
	if rt.routes != nil && rt.routes.equal(tbl) {
		return
	}
	rt.routes = &tbl
	if rt.OnRoutes != nil {
		rt.OnRoutes(tbl)
	}
}

// routeTable splits a Rollout's requests per class: replica-based over its ready pods, or as
// its router's objects say (the same computation as the traffic model's).
func (w *World) routeTable(ro *v1alpha1.Rollout) RouteTable {
	t := w.traffic
	h, v := testerHeader(ro)
	tbl := RouteTable{Header: h, Value: v}
	if ro.UID == "" {
		return tbl
	}
	var untagged, tagged []share
	tr, ur, routed := t.classRoutes(ro)
	switch {
	case !routed:
		untagged = t.replicaSplit(ro)
		tagged = untagged
	case t.hasReadyPods(ro):
		untagged, _ = t.classShares(ro, ur, 1, nil, nil)
		tagged, _ = t.classShares(ro, tr, 1, nil, nil)
	}
	tbl.Untagged, tbl.Tagged = w.routes(untagged), w.routes(tagged)
	return tbl
}

func (w *World) routes(shares []share) []Route {
	out := make([]Route, 0, len(shares))
	for _, s := range shares {
		r := Route{Weight: s.frac}
		if s.p != nil {
			r.Pod, r.Addr, r.Canary = s.p.key.Name, w.rt.addrs[s.p.key], s.canary
		}
		out = append(out, r)
	}
	return out
}

// testerHeader is the header testers send: the first exact match of the Rollout's header
// routes, else ingress-nginx's canary-by-header annotation, else TesterHeader.
func testerHeader(ro *v1alpha1.Rollout) (string, string) {
	cs := ro.Spec.Strategy.Canary
	if cs == nil {
		return TesterHeader, TesterHeaderValue
	}
	for _, st := range cs.Steps {
		if st.SetHeaderRoute == nil {
			continue
		}
		for _, m := range st.SetHeaderRoute.Match {
			if m.HeaderValue != nil && m.HeaderValue.Exact != "" {
				return m.HeaderName, m.HeaderValue.Exact
			}
		}
	}
	if tr := cs.TrafficRouting; tr != nil && tr.Nginx != nil {
		a := tr.Nginx.AdditionalIngressAnnotations
		if h := a["canary-by-header"]; h != "" {
			v := a["canary-by-header-value"]
			if v == "" {
				v = "always" // ingress-nginx's value for "always the canary"
			}
			return h, v
		}
	}
	return TesterHeader, TesterHeaderValue
}
