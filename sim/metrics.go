package sim

import (
	"strconv"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/canarydrill/canarydrill/fakeprom"
)

// podSeries caches the fakeprom series refs of one pod. App series are created as the app
// first exports them; they outlive container restarts (same labels), their values do not.
type podSeries struct {
	base     labels.Labels // namespace, service, app, rollouts_pod_template_hash, pod
	requests map[int]fakeprom.SeriesRef
	bucketS  []fakeprom.SeriesRef
	bucketMS []fakeprom.SeriesRef
	sumS     fakeprom.SeriesRef
	sumMS    fakeprom.SeriesRef
	countS   fakeprom.SeriesRef
	countMS  fakeprom.SeriesRef
	payRecv  fakeprom.SeriesRef
	payDone  fakeprom.SeriesRef
	// appGen is the container whose counters were last scraped; appDown says the app's series
	// were marked stale (its scrape failed: the container is not running).
	appGen  int
	appDown bool
	// kube-state-metrics and cAdvisor series, from other scrape targets than the app.
	restarts  fakeprom.SeriesRef
	oomReason fakeprom.SeriesRef
	errReason fakeprom.SeriesRef
	memory    fakeprom.SeriesRef
	memDown   bool
	// all lists every series of the pod, for the staleness markers when it is deleted.
	all []fakeprom.SeriesRef
}

func (ps *podSeries) ref(w *World, base labels.Labels, name string, extra ...string) fakeprom.SeriesRef {
	b := labels.NewBuilder(base)
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
		if p.series != nil {
			for _, r := range p.series.all {
				w.prom.MarkStale(r, t)
			}
		}
	}
	wl.departed = wl.departed[:0]
	if !w.replaying {
		for _, p := range wl.allPods() {
			wl.emit(p, t)
		}
		w.presets.scrape(t)
	}
	w.q.add(w.now().Add(w.sc.Spec.Metrics.ScrapeInterval.Duration), "", wl.scrape)
}

func (wl *workload) emit(p *pod, t int64) {
	w := wl.w
	s := wl.seriesOf(p)
	wl.emitKube(p, s, t)
	wl.emitApp(p, s, t)
	w.presets.emitPod(p, t)
}

// seriesOf returns the pod's series, creating its kube-state-metrics and cAdvisor ones first.
func (wl *workload) seriesOf(p *pod) *podSeries {
	if p.series != nil {
		return p.series
	}
	w := wl.w
	s := &podSeries{base: w.podLabels(p), requests: map[int]fakeprom.SeriesRef{}}
	kb := labels.FromStrings("namespace", p.key.Namespace, "pod", p.key.Name, "container", p.container())
	s.restarts = s.ref(w, kb, "kube_pod_container_status_restarts_total")
	s.oomReason = s.ref(w, kb, "kube_pod_container_status_last_terminated_reason", "reason", reasonOOMKilled)
	s.errReason = s.ref(w, kb, "kube_pod_container_status_last_terminated_reason", "reason", reasonError)
	s.memory = s.ref(w, kb, "container_memory_working_set_bytes")
	p.series = s
	return s
}

// emitKube writes kube-state-metrics' and cAdvisor's view of the pod. As kube-state-metrics
// 1.x did, every termination reason has a series, 0 or 1, so that increase() sees it change.
func (wl *workload) emitKube(p *pod, s *podSeries, t int64) {
	w := wl.w
	w.prom.Append(s.restarts, t, float64(p.ctr.restarts))
	w.prom.Append(s.oomReason, t, b2f(p.ctr.lastReason == reasonOOMKilled))
	w.prom.Append(s.errReason, t, b2f(p.ctr.lastReason == reasonError))
	if p.ctr.running {
		w.prom.Append(s.memory, t, p.memory(w.now()))
		s.memDown = false
	} else if !s.memDown {
		w.prom.MarkStale(s.memory, t) // cAdvisor no longer sees the container
		s.memDown = true
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// emitApp writes the app's own series. A scrape of a container that is not running fails, and
// Prometheus marks every series of the target stale; a restarted process exports only what it
// has observed since, from zero.
func (wl *workload) emitApp(p *pod, s *podSeries, t int64) {
	w := wl.w
	m := p.metrics
	if !p.ctr.running {
		if !s.appDown {
			s.markAppStale(w, t, nil)
			s.appDown = true
		}
		return
	}
	if s.appGen != p.ctr.gen {
		if s.appGen != 0 && !s.appDown {
			s.markAppStale(w, t, m) // restarted between two scrapes
		}
		s.appGen, s.appDown = p.ctr.gen, false
	}
	if m == nil {
		return // client_golang exports a labelled series only after its first observation
	}
	for _, code := range m.codes() {
		r, ok := s.requests[code]
		if !ok {
			r = s.ref(w, s.base, "http_requests_total", "status", strconv.Itoa(code))
			s.requests[code] = r
		}
		w.prom.Append(r, t, m.requests[code])
	}
	if s.countS == 0 {
		wl.appHistogramRefs(s)
	}
	cum := 0.0
	for i, c := range m.buckets {
		cum += c
		if j := w.lat.promIndex[i]; j >= 0 {
			w.prom.Append(s.bucketS[j], t, cum)
			w.prom.Append(s.bucketMS[j], t, cum)
		}
	}
	w.prom.Append(s.sumS, t, m.sum)
	w.prom.Append(s.countS, t, m.count)
	w.prom.Append(s.sumMS, t, m.sum*1000)
	w.prom.Append(s.countMS, t, m.count)
	w.prom.Append(s.payRecv, t, m.paymentsReceived)
	w.prom.Append(s.payDone, t, m.paymentsCompleted)
}

// markAppStale ends the app series that the process m (nil: none) does not export now.
func (s *podSeries) markAppStale(w *World, t int64, m *podMetrics) {
	for code, r := range s.requests {
		if m == nil || m.requests[code] == 0 {
			w.prom.MarkStale(r, t)
		}
	}
	if m == nil {
		for _, r := range s.appRefs() {
			w.prom.MarkStale(r, t)
		}
	}
}

// appRefs are the app's series other than the request counters, once created.
func (s *podSeries) appRefs() []fakeprom.SeriesRef {
	if s.countS == 0 {
		return nil
	}
	out := append(append([]fakeprom.SeriesRef{}, s.bucketS...), s.bucketMS...)
	return append(out, s.sumS, s.countS, s.sumMS, s.countMS, s.payRecv, s.payDone)
}

func (wl *workload) appHistogramRefs(s *podSeries) {
	w := wl.w
	n := len(promBuckets) + 1
	s.bucketS, s.bucketMS = make([]fakeprom.SeriesRef, n), make([]fakeprom.SeriesRef, n)
	for i := range n {
		le, leMS := "+Inf", "+Inf"
		if i < len(promBuckets) {
			le, leMS = leLabel(promBuckets[i]), leLabel(promBuckets[i]*1000)
		}
		s.bucketS[i] = s.ref(w, s.base, "http_request_duration_seconds_bucket", "le", le)
		s.bucketMS[i] = s.ref(w, s.base, "http_request_duration_milliseconds_bucket", "le", leMS)
	}
	s.sumS = s.ref(w, s.base, "http_request_duration_seconds_sum")
	s.countS = s.ref(w, s.base, "http_request_duration_seconds_count")
	s.sumMS = s.ref(w, s.base, "http_request_duration_milliseconds_sum")
	s.countMS = s.ref(w, s.base, "http_request_duration_milliseconds_count")
	s.payRecv = s.ref(w, s.base, "payments_received_total")
	s.payDone = s.ref(w, s.base, "payments_completed_total")
}

func (p *pod) container() string {
	if c := p.labels["app"]; c != "" {
		return c
	}
	return p.rollout
}

// appLabel is the pod's app name: its app label, else app.kubernetes.io/name, else the rollout.
func (p *pod) appLabel() string {
	if a := p.labels["app"]; a != "" {
		return a
	}
	if a := p.labels["app.kubernetes.io/name"]; a != "" {
		return a
	}
	return p.rollout
}

// podLabels are the labels every app series of the pod carries in the default preset.
func (w *World) podLabels(p *pod) labels.Labels {
	return labels.FromStrings(
		"namespace", p.key.Namespace,
		"service", w.serviceOf(p),
		"app", p.appLabel(),
		"rollouts_pod_template_hash", p.hash,
		"pod", p.key.Name,
	)
}
