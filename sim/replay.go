package sim

import (
	"bytes"
	"fmt"
	"time"

	"github.com/canarydrill/canarydrill/fakeprom"
)

// loadReplay puts a recording's series into the world's Prometheus, its first sample at the
// scenario's start plus spec.metrics.shift, so that templates are judged against what a real
// Prometheus recorded instead of the modelled app.
func (w *World) loadReplay() error {
	data := w.sc.ReplayData
	if len(data) == 0 {
		return nil
	}
	scratch := fakeprom.NewStore()
	if err := scratch.LoadOpenMetrics(bytes.NewReader(data)); err != nil {
		return err
	}
	first, err := scratch.StartTime()
	if err != nil {
		return err
	}
	shift := Epoch.Sub(time.UnixMilli(first)) + w.sc.Spec.Metrics.Shift.Duration
	if err := w.prom.LoadOpenMetricsShifted(bytes.NewReader(data), shift); err != nil {
		return fmt.Errorf("spec.metrics.replay: %w", err)
	}
	w.replaying = true
	w.notes = append(w.notes, fmt.Sprintf("metrics replayed from %s, its first sample at %s; request counts are the model's",
		w.sc.Spec.Metrics.Replay, w.sc.Spec.Metrics.Shift))
	return nil
}
