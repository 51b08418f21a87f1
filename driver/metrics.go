package driver

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

// Abort causes, the cause label of canarydrill_rollout_aborts_total.
const (
	AbortCauseAnalysis         = "AnalysisRun" // a step, background or promotion run Failed or Errored
	AbortCauseProgressDeadline = "ProgressDeadlineExceeded"
	AbortCauseUser             = "User" // status.abort set by someone else (kubectl argo rollouts abort)
)

// Argo's reconcile-duration buckets.
var reconcileBuckets = []float64{0.01, 0.15, .25, .5, 1}

// metrics are the controller's series with Argo Rollouts' names and labels, plus the aborts by
// cause, which Argo does not have. controller-runtime adds controller_runtime_reconcile_* and
// workqueue_* to the same endpoint.
type metrics struct {
	rolloutReconcile, analysisReconcile, experimentReconcile *prometheus.HistogramVec
	rolloutErrors, analysisErrors, experimentErrors          *prometheus.CounterVec
	aborts                                                   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, c client.Reader) *metrics {
	nn := []string{"namespace", "name"}
	hist := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: reconcileBuckets}, nn)
	}
	count := func(name, help string, extra ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append(nn, extra...))
	}
	m := &metrics{
		rolloutReconcile:    hist("rollout_reconcile", "Rollout reconciliation performance."),
		analysisReconcile:   hist("analysis_run_reconcile", "Analysis Run reconciliation performance."),
		experimentReconcile: hist("experiment_reconcile", "Experiments reconciliation performance."),
		rolloutErrors:       count("rollout_reconcile_error", "Error occurring during the rollout"),
		analysisErrors:      count("analysis_run_reconcile_error", "Error occurring during the analysis run"),
		experimentErrors:    count("experiment_reconcile_error", "Error occurring during the experiment"),
		aborts:              count("canarydrill_rollout_aborts_total", "Rollout aborts seen by the controller, by cause.", "cause"),
	}
	reg.MustRegister(m.rolloutReconcile, m.analysisReconcile, m.experimentReconcile,
		m.rolloutErrors, m.analysisErrors, m.experimentErrors, m.aborts,
		&rolloutCollector{c: c}, &analysisCollector{c: c})
	return m
}

func (m *metrics) timed(r reconcile.Reconciler, h *prometheus.HistogramVec, errs *prometheus.CounterVec) reconcile.Reconciler {
	return timedReconciler{inner: r, hist: h, errs: errs}
}

// watchAborts counts every status.abort that turns true, by AbortCause.
func (m *metrics) watchAborts(c cache.Cache) error {
	inf, err := c.GetInformer(context.Background(), &v1alpha1.Rollout{})
	if err != nil {
		return err
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(*v1alpha1.Rollout)
			n, ok2 := newObj.(*v1alpha1.Rollout)
			if ok1 && ok2 && !o.Status.Abort && n.Status.Abort {
				m.aborts.WithLabelValues(n.Namespace, n.Name, AbortCause(n)).Inc()
			}
		},
	})
	return err
}

// AbortCause tells why an aborted Rollout was aborted: an analysis run that failed or errored,
// the progress deadline (progressDeadlineAbort), or else a user.
func AbortCause(ro *v1alpha1.Rollout) string {
	for _, s := range []*v1alpha1.RolloutAnalysisRunStatus{
		ro.Status.Canary.CurrentStepAnalysisRunStatus, ro.Status.Canary.CurrentBackgroundAnalysisRunStatus,
		ro.Status.BlueGreen.PrePromotionAnalysisRunStatus, ro.Status.BlueGreen.PostPromotionAnalysisRunStatus,
	} {
		if s != nil && (s.Status == v1alpha1.AnalysisPhaseFailed || s.Status == v1alpha1.AnalysisPhaseError) {
			return AbortCauseAnalysis
		}
	}
	for _, c := range ro.Status.Conditions {
		if c.Type == v1alpha1.RolloutProgressing && c.Reason == rollout.ReasonProgressDeadlineExceeded {
			return AbortCauseProgressDeadline
		}
	}
	return AbortCauseUser
}
