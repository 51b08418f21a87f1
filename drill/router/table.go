package router

import (
	"math/rand/v2"
	"net/http/httputil"
	"net/url"
	"sort"

	"github.com/canarydrill/canarydrill/sim"
)

// table is a routing table ready to pick from; it is never changed once published.
type table struct {
	untagged, tagged class
	header, value    string
}

// class is one class of requests' destinations with their cumulative weights.
type class struct {
	routes []backend
	cum    []float64
	total  float64
}

// backend is one destination; proxy is nil for a share sent where no pod is ready.
type backend struct {
	pod    string
	proxy  *httputil.ReverseProxy
	canary bool
}

// compile makes t a table, with a proxy from proxyTo for each pod.
func compile(t sim.RouteTable, proxyTo func(*url.URL) *httputil.ReverseProxy) *table {
	return &table{untagged: compileClass(t.Untagged, proxyTo), tagged: compileClass(t.Tagged, proxyTo), header: t.Header, value: t.Value}
}

func compileClass(routes []sim.Route, proxyTo func(*url.URL) *httputil.ReverseProxy) class {
	var c class
	for _, r := range routes {
		if r.Weight <= 0 {
			continue
		}
		b := backend{pod: r.Pod, canary: r.Canary}
		if r.Addr != "" {
			b.proxy = proxyTo(&url.URL{Scheme: "http", Host: r.Addr})
		}
		c.total += r.Weight
		c.routes = append(c.routes, b)
		c.cum = append(c.cum, c.total)
	}
	return c
}

// pick draws a destination by weight, as a load balancer spreading requests at random does;
// ok is false when nothing serves the class.
func (c *class) pick() (backend, bool) {
	if len(c.routes) == 0 {
		return backend{}, false
	}
	x := rand.Float64() * c.total
	i := sort.SearchFloat64s(c.cum, x)
	if i >= len(c.routes) {
		i = len(c.routes) - 1
	}
	return c.routes[i], true
}
