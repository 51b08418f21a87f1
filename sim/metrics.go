package sim

import (
	"strconv"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/canarydrill/canarydrill/fakeprom"
)

// podSeries caches the fakeprom series refs of one pod, created as the app first exports them.
type podSeries struct {
	base     labels.Labels // namespace, service, app, rollouts_pod_template_hash, pod
	requests map[int]fakeprom.SeriesRef
	bucketS  [12]fakeprom.SeriesRef
	bucketMS [12]fakeprom.SeriesRef
	sumS     fakeprom.SeriesRef
	sumMS    fakeprom.SeriesRef
	countS   fakeprom.SeriesRef
	countMS  fakeprom.SeriesRef
	payRecv  fakeprom.SeriesRef
	payDone  fakeprom.SeriesRef
	// kube-state-metrics and cAdvisor series exist from the pod's start.
	restarts fakeprom.SeriesRef
	memory   fakeprom.SeriesRef
	all      []fakeprom.SeriesRef
}

func (ps *podSeries) ref(w *World, name string, extra ...string) fakeprom.SeriesRef {
	b := labels.NewBuilder(ps.base)
	b.Set(model.MetricNameLabel, name)
	for i := 0; i+1 < len(extra); i += 2 {
		b.Set(extra[i], extra[i+1])
	}
	r := w.prom.Ref(b.Labels())
	ps.all = append(ps.all, r)
	return r
}

func leLabel(b float64) string { return strconv.FormatFloat(b, 'f', -1, 64) }

// scheduleScrapes starts the scrape loop at time zero.
func (wl *workload) scheduleScrapes() {
	wl.w.q.add(wl.w.now(), "", wl.scrape)
}

// scrape appends every live pod's series at the current time, and staleness markers for the
// series of pods gone since the last scrape, as a Prometheus scrape loop would.
func (wl *workload) scrape() {
	w := wl.w
	w.traffic.accrue()
	t := w.now().UnixMilli()
	for _, p := range wl.departed {
		if p.metrics != nil && p.metrics.series != nil {
			for _, r := range p.metrics.series.all {
				w.prom.MarkStale(r, t)
			}
		}
	}
	wl.departed = wl.departed[:0]
	for _, p := range wl.allPods() {
		wl.emit(p, t)
	}
	w.q.add(w.now().Add(w.sc.Spec.Metrics.ScrapeInterval.Duration), "", wl.scrape)
}

func (wl *workload) emit(p *pod, t int64) {
	w := wl.w
	if p.metrics == nil {
		p.metrics = newPodMetrics()
	}
	m := p.metrics
	if m.series == nil {
		m.series = &podSeries{base: w.podLabels(p), requests: map[int]fakeprom.SeriesRef{}}
		m.series.restarts = m.series.ref(w, "kube_pod_container_status_restarts_total", "container", p.container())
		m.series.memory = m.series.ref(w, "container_memory_working_set_bytes", "container", p.container())
	}
	s := m.series
	w.prom.Append(s.restarts, t, 0)
	w.prom.Append(s.memory, t, p.behaviour.Memory.Start.Float())
	if m.count == 0 && len(m.requests) == 0 {
		return // client_golang exports a labelled series only after its first observation
	}
	for _, code := range m.codes() {
		r, ok := s.requests[code]
		if !ok {
			r = s.ref(w, "http_requests_total", "status", strconv.Itoa(code))
			s.requests[code] = r
		}
		w.prom.Append(r, t, m.requests[code])
	}
	if s.countS == 0 {
		for i := range m.buckets {
			le, leMS := "+Inf", "+Inf"
			if i < len(latencyBuckets) {
				le, leMS = leLabel(latencyBuckets[i]), leLabel(latencyBuckets[i]*1000)
			}
			s.bucketS[i] = s.ref(w, "http_request_duration_seconds_bucket", "le", le)
			s.bucketMS[i] = s.ref(w, "http_request_duration_milliseconds_bucket", "le", leMS)
		}
		s.sumS = s.ref(w, "http_request_duration_seconds_sum")
		s.countS = s.ref(w, "http_request_duration_seconds_count")
		s.sumMS = s.ref(w, "http_request_duration_milliseconds_sum")
		s.countMS = s.ref(w, "http_request_duration_milliseconds_count")
		s.payRecv = s.ref(w, "payments_received_total")
		s.payDone = s.ref(w, "payments_completed_total")
	}
	cum := 0.0
	for i, c := range m.buckets {
		cum += c
		w.prom.Append(s.bucketS[i], t, cum)
		w.prom.Append(s.bucketMS[i], t, cum)
	}
	w.prom.Append(s.sumS, t, m.sum)
	w.prom.Append(s.countS, t, m.count)
	w.prom.Append(s.sumMS, t, m.sum*1000)
	w.prom.Append(s.countMS, t, m.count)
	w.prom.Append(s.payRecv, t, m.paymentsReceived)
	w.prom.Append(s.payDone, t, m.paymentsCompleted)
}

func (p *pod) container() string {
	if c := p.labels["app"]; c != "" {
		return c
	}
	return p.rollout
}

// podLabels are the labels every series of the pod carries in the default preset.
func (w *World) podLabels(p *pod) labels.Labels {
	app := p.labels["app"]
	if app == "" {
		app = p.labels["app.kubernetes.io/name"]
	}
	if app == "" {
		app = p.rollout
	}
	return labels.FromStrings(
		"namespace", p.key.Namespace,
		"service", w.serviceOf(p),
		"app", app,
		"rollouts_pod_template_hash", p.hash,
		"pod", p.key.Name,
	)
}
