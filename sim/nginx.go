package sim

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/prometheus/prometheus/model/labels"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/fakeprom"
)

// nginxController is the ingress-nginx controller pod that exports the requests it proxied.
const nginxController = "ingress-nginx-controller-7d9f8b6c5d-x2k4q"

// nginxKey is one label set of nginx_ingress_controller_requests without its status.
type nginxKey struct {
	namespace, ingress, service, canary string
}

type nginxCounter struct {
	key   nginxKey
	codes map[int]float64
	refs  map[int]fakeprom.SeriesRef
}

// nginxMetrics are ingress-nginx's request counters. They live in the controller, so app
// container restarts do not reset them.
type nginxMetrics struct {
	w        *World
	counters map[nginxKey]*nginxCounter
	order    []*nginxCounter
}

func newNginxMetrics(w *World) *nginxMetrics {
	return &nginxMetrics{w: w, counters: map[nginxKey]*nginxCounter{}}
}

// served counts a draw under the ingress that routed it. With the rollout's nginx traffic
// routing, that is the stable ingress and its backend service, and `canary` names the canary
// upstream (namespace-service-port) for requests the canary ingress diverted; otherwise the
// app's Service stands for an ingress of the same name.
func (nm *nginxMetrics) served(p *pod, d *draw, canary bool) {
	i := 0
	if canary {
		i = 1
	}
	c := p.nginx[i] // the pod's counter, by whether it is the canary: found once
	if c == nil {
		c = nm.counter(nm.keyOf(p, canary))
		p.nginx[i] = c
	}
	for i, n := range d.counts {
		if n > 0 {
			c.codes[d.codes[i]] += n
		}
	}
}

func (nm *nginxMetrics) counter(k nginxKey) *nginxCounter {
	c := nm.counters[k]
	if c == nil {
		c = &nginxCounter{key: k, codes: map[int]float64{}, refs: map[int]fakeprom.SeriesRef{}}
		nm.counters[k] = c
		nm.order = append(nm.order, c)
		sort.Slice(nm.order, func(i, j int) bool { return fmt.Sprint(nm.order[i].key) < fmt.Sprint(nm.order[j].key) })
	}
	return c
}

func (nm *nginxMetrics) keyOf(p *pod, canary bool) nginxKey {
	w := nm.w
	k := nginxKey{namespace: p.key.Namespace}
	if o := w.store.Peek(rolloutGVK, p.rsRollout()); o != nil {
		c := o.(*v1alpha1.Rollout).Spec.Strategy.Canary
		if c != nil && c.TrafficRouting != nil && c.TrafficRouting.Nginx != nil {
			k.ingress = c.TrafficRouting.Nginx.StableIngress
			if k.ingress == "" && len(c.TrafficRouting.Nginx.StableIngresses) > 0 {
				k.ingress = c.TrafficRouting.Nginx.StableIngresses[0]
			}
			k.service = c.StableService
			if canary && c.CanaryService != "" {
				k.canary = fmt.Sprintf("%s-%s-%d", p.key.Namespace, c.CanaryService, nm.port(p.key.Namespace, c.CanaryService))
			}
			return k
		}
	}
	svc := w.serviceOf(p)
	k.ingress, k.service = svc, svc
	return k
}

// port is the Service's first port, as the upstream name carries it (80 when unknown).
func (nm *nginxMetrics) port(ns, name string) int32 {
	if o := nm.w.store.Peek(serviceGVK, types.NamespacedName{Namespace: ns, Name: name}); o != nil {
		if ps := o.(*corev1.Service).Spec.Ports; len(ps) > 0 {
			return ps[0].Port
		}
	}
	return 80
}

// emit writes nginx_ingress_controller_requests with ingress-nginx's labels.
func (nm *nginxMetrics) emit(t int64) {
	w := nm.w
	for _, c := range nm.order {
		codes := make([]int, 0, len(c.codes))
		for code := range c.codes {
			codes = append(codes, code)
		}
		sort.Ints(codes)
		for _, code := range codes {
			r, ok := c.refs[code]
			if !ok {
				r = w.prom.Ref(labels.FromStrings(
					"__name__", "nginx_ingress_controller_requests",
					"canary", c.key.canary,
					"controller_class", "k8s.io/ingress-nginx",
					"controller_namespace", "ingress-nginx",
					"controller_pod", nginxController,
					"host", c.key.ingress+".example.com",
					"ingress", c.key.ingress,
					"method", "GET",
					"namespace", c.key.namespace,
					"path", "/",
					"service", c.key.service,
					"status", strconv.Itoa(code),
				))
				c.refs[code] = r
			}
			w.prom.Append(r, t, c.codes[code])
		}
	}
}
