package sim

import (
	"slices"
	"time"
)

// In a wall-clock run the requests are real: the router counts them, and hands its counts to
// the world before the report is built, so that report.json's requests and signals (and the
// html charts over them) describe what users really got.

// SignalWindow is what users got in one window of a wall-clock run: requests, failures and
// latency-bucket counts (over LatencyBounds, the last +Inf) of stable [0] and canary [1] pods.
type SignalWindow struct {
	Requests, Errors [2]float64
	Buckets          [2][]float64
}

// LatencyBounds are the upper bounds, in seconds, of the latency buckets a p99 is read from.
func (w *World) LatencyBounds() []float64 { return slices.Clone(w.lat.bounds) }

// SignalStep is the width of the report's signal windows.
func (w *World) SignalStep() time.Duration { return w.signals.step }

// RecordServed replaces the modelled request counts and signal windows (one per SignalStep from
// time zero) with real ones. Call it after the run, before Report.
func (w *World) RecordServed(totals RequestTotals, windows []SignalWindow) {
	w.app.totals = totals
	w.signals.windows = w.signals.windows[:0]
	for _, sw := range windows {
		win := signalWindow{requests: sw.Requests, errors: sw.Errors}
		for v := range 2 {
			if sw.Buckets[v] != nil {
				win.buckets[v] = slices.Clone(sw.Buckets[v])
			}
		}
		w.signals.windows = append(w.signals.windows, win)
	}
}
