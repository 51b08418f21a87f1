package sim

import (
	"fmt"
	"time"
)

// Progress is a snapshot of a wall-clock run, for a live progress line.
type Progress struct {
	// Elapsed is the scenario time since the start.
	Elapsed time.Duration
	// Phase is the focus Rollout's phase; Step is its current step index and Steps how many a
	// canary has.
	Phase       string
	Step, Steps int
	// CanaryShare is the canary's share of the requests now.
	CanaryShare float64
	// LastMeasurement is the latest measurement of the Rollout's analyses, e.g.
	// "success-rate Failed [0.80]", or "".
	LastMeasurement string
}

// Progress is the run's state now, for a progress line; call it on the loop (inside Do).
func (w *World) Progress() Progress {
	ro := w.focusRollout()
	pr := Progress{Elapsed: w.clock.Elapsed(), Phase: string(ro.Status.Phase), CanaryShare: w.traffic.canaryShare()}
	if cs := ro.Spec.Strategy.Canary; cs != nil {
		pr.Steps = len(cs.Steps)
	}
	if ro.Status.CurrentStepIndex != nil {
		pr.Step = int(*ro.Status.CurrentStepIndex)
	}
	latest := -1.0
	for _, name := range w.obs.order {
		for _, m := range w.obs.runs[name].report.Metrics {
			for _, ms := range m.Measurements {
				if ms.At >= latest {
					latest = ms.At
					pr.LastMeasurement = fmt.Sprintf("%s %s %s", m.Name, ms.Phase, ms.Value)
				}
			}
		}
	}
	return pr
}
