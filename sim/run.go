package sim

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

// Run simulates a scenario with a seed and returns its report, expectations checked.
func Run(ctx context.Context, sc *scenarios.Scenario, seed int64) (*reports.Report, error) {
	w, err := New(ctx, sc, seed)
	if err != nil {
		return nil, err
	}
	if err := w.Run(); err != nil {
		return nil, err
	}
	return w.Report(), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (w *World) focusNamespace() string { return w.focusNS }

// focusRollout is the stored focus rollout.
func (w *World) focusRollout() *v1alpha1.Rollout {
	o := w.store.Peek(rolloutGVK, types.NamespacedName{Namespace: w.focusNS, Name: w.focus})
	if o == nil {
		return &v1alpha1.Rollout{}
	}
	return o.(*v1alpha1.Rollout)
}

// podIsCanary says whether a pod runs a revision other than its rollout's stable one.
func (w *World) podIsCanary(p *pod) bool {
	o := w.store.Peek(rolloutGVK, types.NamespacedName{Namespace: p.key.Namespace, Name: p.rollout})
	if o == nil {
		return false
	}
	return isCanary(o.(*v1alpha1.Rollout), p)
}

// Report builds the run's report from what the observer recorded.
func (w *World) Report() *reports.Report {
	o := w.obs
	ro := w.focusRollout()
	r := &reports.Report{
		Scenario:              w.sc.Metadata.Name,
		Description:           w.sc.Metadata.Description,
		Seed:                  w.seed,
		Outcome:               w.outcome(ro),
		FinalPhase:            string(ro.Status.Phase),
		FinalMessage:          ro.Status.Message,
		VirtualSeconds:        w.clock.Elapsed().Seconds(),
		FaultStartedAt:        o.secs(o.faultAt),
		FirstBadMeasurementAt: o.secs(o.firstBadMeas),
		DetectedAt:            o.secs(o.detected),
		AbortedAt:             o.secs(o.aborted),
		TrafficRestoredAt:     o.secs(o.restored),
		CanaryScaledDownAt:    o.secs(o.scaledDown),
		PromotedAt:            o.secs(o.promoted),
		Requests: reports.Requests{
			Total: w.app.totals.Total, Failed: w.app.totals.Failed,
			ServedByCanary: w.app.totals.ServedByCanary, FailedOnCanary: w.app.totals.FailedOnCanary,
			PaymentsReceived: w.app.totals.PaymentsReceived, PaymentsFailed: w.app.totals.PaymentsFailed,
		},
		AnalysisRuns: o.analysisRuns(),
		Events:       o.events,
		Weights:      o.weights,
		Signals:      w.signals.report(w.lat.bounds, w.clock.Elapsed()),
		Prometheus:   w.prometheusAddresses(),
	}
	if r.FaultStartedAt != nil && r.DetectedAt != nil {
		r.DetectionSeconds = reports.Secs(*r.DetectedAt - *r.FaultStartedAt)
	}
	if r.FaultStartedAt != nil && r.TrafficRestoredAt != nil {
		r.RollbackSeconds = reports.Secs(*r.TrafficRestoredAt - *r.FaultStartedAt)
	}
	if !w.settled {
		r.Notes = append(r.Notes, fmt.Sprintf("maxDuration %s reached before the rollout settled", w.sc.Spec.MaxDuration))
	}
	r.Notes = append(r.Notes, w.notes...)
	reports.Check(r, w.sc.Spec.Expect)
	return r
}

func (o *observer) secs(t *time.Time) *float64 {
	if t == nil {
		return nil
	}
	return reports.Secs(o.at(*t))
}

// prometheusAddresses lists the Prometheus addresses the templates name; the run's fakeprom
// answered all of them.
func (w *World) prometheusAddresses() []string {
	set := map[string]bool{}
	for _, obj := range w.sc.Objects {
		var metrics []v1alpha1.Metric
		switch t := obj.Object.(type) {
		case *v1alpha1.AnalysisTemplate:
			metrics = t.Spec.Metrics
		case *v1alpha1.ClusterAnalysisTemplate:
			metrics = t.Spec.Metrics
		}
		for _, m := range metrics {
			if p := m.Provider.Prometheus; p != nil && p.Address != "" {
				set[p.Address] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
