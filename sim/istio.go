package sim

import (
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/fakeprom"
)

// istioSeries are the istio-proxy sidecar's counters and series for one pod. The sidecar is its
// own container: its counters go on when the app container restarts.
type istioSeries struct {
	base     labels.Labels
	requests map[int]float64
	buckets  []float64 // over the run's latency bounds
	sum      float64   // seconds
	count    float64
	reqRefs  map[int]fakeprom.SeriesRef
	bucket   []fakeprom.SeriesRef
	sumRef   fakeprom.SeriesRef
	countRef fakeprom.SeriesRef
}

// istioServed adds a draw to the pod's sidecar counters (reporter="destination").
func istioServed(p *pod, d *draw) {
	if p.istio == nil {
		p.istio = &istioSeries{requests: map[int]float64{}, buckets: make([]float64, len(d.buckets))}
	}
	is := p.istio
	for i, c := range d.counts {
		if c > 0 {
			is.requests[d.codes[i]] += c
		}
	}
	for i, c := range d.buckets {
		is.buckets[i] += c
	}
	is.sum += d.sum
	is.count += d.n
}

// emitIstio writes istio_requests_total and istio_request_duration_milliseconds as a sidecar
// reports them, with the labels Istio's standard metrics carry and the pod's own labels that the
// usual kubernetes-pods scrape job copies onto them.
func (w *World) emitIstio(p *pod, t int64) {
	is := p.istio
	if is == nil || is.count == 0 {
		return
	}
	s := p.series
	if is.base.IsEmpty() {
		is.base = w.istioLabels(p)
		is.reqRefs = map[int]fakeprom.SeriesRef{}
		is.bucket = make([]fakeprom.SeriesRef, len(istioBuckets)+1)
		for i := range is.bucket {
			le := "+Inf"
			if i < len(istioBuckets) {
				le = leLabel(istioBuckets[i] * 1000)
			}
			is.bucket[i] = s.ref(w, is.base, "istio_request_duration_milliseconds_bucket", "response_code", "200", "le", le)
		}
		is.sumRef = s.ref(w, is.base, "istio_request_duration_milliseconds_sum", "response_code", "200")
		is.countRef = s.ref(w, is.base, "istio_request_duration_milliseconds_count", "response_code", "200")
	}
	for code, n := range is.requests {
		r, ok := is.reqRefs[code]
		if !ok {
			r = s.ref(w, is.base, "istio_requests_total", "response_code", strconv.Itoa(code))
			is.reqRefs[code] = r
		}
		w.prom.Append(r, t, n)
	}
	cum := 0.0
	for i, c := range is.buckets {
		cum += c
		if j := w.lat.istioIndex[i]; j >= 0 {
			w.prom.Append(is.bucket[j], t, cum)
		}
	}
	w.prom.Append(is.sumRef, t, is.sum*1000)
	w.prom.Append(is.countRef, t, is.count)
}

// istioLabels are the standard labels of Istio's request metrics for requests from the ingress
// gateway to this pod, reported by the destination's sidecar. destination_service is the
// Service the request was addressed to: with a host-level split (canaryService/stableService
// and no DestinationRule) the rollout's canary or stable service, else the app's Service.
func (w *World) istioLabels(p *pod) labels.Labels {
	ns := p.key.Namespace
	svc := w.serviceOf(p)
	if ro := w.store.Peek(rolloutGVK, p.rsRollout()); ro != nil {
		if c := ro.(*v1alpha1.Rollout).Spec.Strategy.Canary; c != nil && c.CanaryService != "" && c.StableService != "" &&
			(c.TrafficRouting == nil || c.TrafficRouting.Istio == nil || c.TrafficRouting.Istio.DestinationRule == nil) {
			svc = c.StableService
			if isCanary(ro.(*v1alpha1.Rollout), p) {
				svc = c.CanaryService
			}
		}
	}
	version := orDefault(p.labels["version"], "unknown")
	revision := orDefault(p.labels["service.istio.io/canonical-revision"], orDefault(p.labels["app.kubernetes.io/version"], orDefault(p.labels["version"], "latest")))
	b := labels.NewScratchBuilder(32)
	add := func(k, v string) { b.Add(k, v) }
	add("reporter", "destination")
	add("source_workload", "istio-ingressgateway")
	add("source_workload_namespace", "istio-system")
	add("source_app", "istio-ingressgateway")
	add("source_version", "unknown")
	add("source_canonical_service", "istio-ingressgateway")
	add("source_canonical_revision", "latest")
	add("source_principal", "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account")
	add("source_cluster", "Kubernetes")
	add("destination_workload", p.rollout)
	add("destination_workload_namespace", ns)
	add("destination_app", p.appLabel())
	add("destination_version", version)
	add("destination_service", svc+"."+ns+".svc.cluster.local")
	add("destination_service_name", svc)
	add("destination_service_namespace", ns)
	add("destination_canonical_service", orDefault(p.labels["service.istio.io/canonical-name"], p.appLabel()))
	add("destination_canonical_revision", revision)
	add("destination_principal", "spiffe://cluster.local/ns/"+ns+"/sa/default")
	add("destination_cluster", "Kubernetes")
	add("request_protocol", "http")
	add("response_flags", "-")
	add("connection_security_policy", "mutual_tls")
	// The scrape job's labels: the pod's namespace and name, and its labels (labelmap).
	add("namespace", ns)
	add("pod", p.key.Name)
	for k, v := range p.labels {
		add(promLabelName(k), v)
	}
	b.Sort()
	out := labels.NewBuilder(labels.EmptyLabels())
	b.Labels().Range(func(l labels.Label) { out.Set(l.Name, l.Value) }) // later duplicates win
	return out.Labels()
}

// promLabelName is a Kubernetes label key as Prometheus' labelmap writes it.
func promLabelName(k string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, k)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
