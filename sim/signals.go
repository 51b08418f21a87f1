package sim

import (
	"math"
	"time"

	"github.com/canarydrill/canarydrill/reports"
)

// maxSignalPoints bounds the points of the per-window signals, so a 24 h soak records about as
// much as a 30 min run.
const maxSignalPoints = 360

// signals accumulates what users saw per window of time, by canary and stable: requests, errors
// and the latency buckets the p99 is read from. It is what the report's charts draw; adding a
// draw is a few additions, so every run keeps it.
type signals struct {
	step    time.Duration
	windows []signalWindow
	nb      int
}

type signalWindow struct {
	requests, errors [2]float64
	buckets          [2][]float64
}

func newSignals(w *World) *signals {
	scrape := w.sc.Spec.Metrics.ScrapeInterval.Duration
	step := scrape
	if n := w.sc.Spec.MaxDuration.Duration / scrape; n > maxSignalPoints {
		step = scrape * time.Duration((int64(n)+maxSignalPoints-1)/maxSignalPoints)
	}
	return &signals{step: step, nb: len(w.lat.bounds) + 1}
}

// add counts a draw served in the interval starting at `at`.
func (s *signals) add(at time.Duration, d *draw, canary bool) {
	i := int(at / s.step)
	for len(s.windows) <= i {
		s.windows = append(s.windows, signalWindow{})
	}
	win := &s.windows[i]
	v := 0
	if canary {
		v = 1
	}
	win.requests[v] += d.n
	win.errors[v] += d.failed
	if win.buckets[v] == nil {
		win.buckets[v] = make([]float64, s.nb)
	}
	for j, c := range d.buckets {
		win.buckets[v][j] += c
	}
}

// report turns the windows into the report's columns, up to the run's end.
func (s *signals) report(bounds []float64, end time.Duration) *reports.Signals {
	n := int((end + s.step - 1) / s.step)
	out := &reports.Signals{Step: s.step.Seconds()}
	for i := 0; i < n; i++ {
		var win signalWindow
		if i < len(s.windows) {
			win = s.windows[i]
		}
		out.At = append(out.At, (time.Duration(i) * s.step).Seconds())
		out.StableRequests = append(out.StableRequests, int64(win.requests[0]))
		out.StableErrors = append(out.StableErrors, int64(win.errors[0]))
		out.StableP99 = append(out.StableP99, quantile(0.99, bounds, win.buckets[0]))
		out.CanaryRequests = append(out.CanaryRequests, int64(win.requests[1]))
		out.CanaryErrors = append(out.CanaryErrors, int64(win.errors[1]))
		out.CanaryP99 = append(out.CanaryP99, quantile(0.99, bounds, win.buckets[1]))
	}
	return out
}

// quantile reads a quantile in milliseconds from bucket counts as PromQL's histogram_quantile
// does (linear within the bucket; the highest finite bound for the +Inf bucket); nil without
// requests.
func quantile(q float64, bounds, buckets []float64) *float64 {
	total := 0.0
	for _, c := range buckets {
		total += c
	}
	if total == 0 {
		return nil
	}
	rank, cum, lower := q*total, 0.0, 0.0
	for i, c := range buckets {
		if i == len(bounds) {
			break
		}
		if cum+c >= rank && c > 0 {
			v := lower + (bounds[i]-lower)*(rank-cum)/c
			return reports.Secs(math.Round(v*1e4) / 10)
		}
		cum += c
		lower = bounds[i]
	}
	return reports.Secs(math.Round(bounds[len(bounds)-1]*1e4) / 10)
}
