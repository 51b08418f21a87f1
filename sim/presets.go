package sim

import "slices"

// promBuckets are client_golang's default histogram buckets, in seconds; the app's milliseconds
// histogram uses the same bounds times 1000.
var promBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// istioBuckets are Istio's istio_request_duration_milliseconds buckets, in seconds.
var istioBuckets = []float64{.0005, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800, 3600}

// latencyModel is the set of latency bounds a run draws request counts over: the union of the
// bounds of every histogram its preset exports, so one draw serves all of them.
type latencyModel struct {
	bounds []float64 // seconds, sorted
	// promIndex and istioIndex map a bucket of bounds (len(bounds) is +Inf) to the bucket of
	// that histogram with the same upper bound, or -1.
	promIndex  []int
	istioIndex []int
}

func newLatencyModel(preset string) latencyModel {
	bounds := slices.Clone(promBuckets)
	if preset == presetIstio {
		bounds = append(bounds, istioBuckets...)
		slices.Sort(bounds)
		bounds = slices.Compact(bounds)
	}
	return latencyModel{bounds: bounds, promIndex: indexOf(bounds, promBuckets), istioIndex: indexOf(bounds, istioBuckets)}
}

func indexOf(bounds, of []float64) []int {
	out := make([]int, len(bounds)+1)
	for i, b := range bounds {
		out[i] = slices.Index(of, b)
	}
	out[len(bounds)] = len(of)
	return out
}

// Metric presets (CONTRACT.md): which exporters' series the service exposes beyond the app's own.
const (
	presetIstio = "istio"
	presetNginx = "nginx"
)

// presets emits the series of the mesh or ingress in front of the service, as their exporters
// write them: Istio's sidecars per pod, ingress-nginx's controller per ingress.
type presets struct {
	w     *World
	istio bool
	nginx *nginxMetrics
}

func newPresets(w *World) *presets {
	ps := &presets{w: w}
	switch w.sc.Spec.Metrics.Preset {
	case presetIstio:
		ps.istio = true
	case presetNginx:
		ps.nginx = newNginxMetrics(w)
	}
	return ps
}

// served hands one pod's draw to the preset's exporters.
func (ps *presets) served(p *pod, d *draw, canary bool) {
	if ps.istio {
		istioServed(p, d)
	}
	if ps.nginx != nil {
		ps.nginx.served(p, d, canary)
	}
}

// emitPod writes the pod's own preset series at a scrape.
func (ps *presets) emitPod(p *pod, t int64) {
	if ps.istio {
		ps.w.emitIstio(p, t)
	}
}

// scrape writes the series of exporters that are not the app's pods.
func (ps *presets) scrape(t int64) {
	if ps.nginx != nil {
		ps.nginx.emit(t)
	}
}
