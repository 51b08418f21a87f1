package driver

import (
	"context"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

var (
	nn                 = []string{"namespace", "name"}
	descRolloutInfo    = prometheus.NewDesc("rollout_info", "Information about rollout.", append(nn, "strategy", "traffic_router", "phase"), nil)
	descRolloutPhase   = prometheus.NewDesc("rollout_phase", "Information on the state of the rollout (DEPRECATED - use rollout_info)", append(nn, "strategy", "phase"), nil)
	descAvailable      = prometheus.NewDesc("rollout_info_replicas_available", "The number of available replicas per rollout.", nn, nil)
	descUnavailable    = prometheus.NewDesc("rollout_info_replicas_unavailable", "The number of unavailable replicas per rollout.", nn, nil)
	descDesired        = prometheus.NewDesc("rollout_info_replicas_desired", "The number of desired replicas per rollout.", nn, nil)
	descUpdated        = prometheus.NewDesc("rollout_info_replicas_updated", "The number of updated replicas per rollout.", nn, nil)
	descRunInfo        = prometheus.NewDesc("analysis_run_info", "Information about analysis run.", append(nn, "phase"), nil)
	descRunPhase       = prometheus.NewDesc("analysis_run_phase", "Information on the state of the Analysis Run (DEPRECATED - use analysis_run_info)", append(nn, "phase"), nil)
	descRunMetricType  = prometheus.NewDesc("analysis_run_metric_type", "Information on the type of a specific metric in the Analysis Runs", append(nn, "metric", "type"), nil)
	descRunMetricPhase = prometheus.NewDesc("analysis_run_metric_phase", "Information on the duration of a specific metric in the Analysis Run", append(nn, "metric", "type", "dry_run", "phase"), nil)
)

// Rollout phases of rollout_info, as Argo's metrics compute them from the Progressing condition.
const (
	MetricPhaseCompleted   = "Completed"
	MetricPhaseProgressing = "Progressing"
	MetricPhasePaused      = "Paused"
	MetricPhaseTimeout     = "Timeout"
	MetricPhaseError       = "Error"
	MetricPhaseAbort       = "Abort"
	MetricPhaseInvalidSpec = "InvalidSpec"
)

var metricPhases = []string{MetricPhaseCompleted, MetricPhaseProgressing, MetricPhasePaused, MetricPhaseTimeout, MetricPhaseError, MetricPhaseAbort}

// MetricPhase is a Rollout's phase label in rollout_info.
func MetricPhase(ro *v1alpha1.Rollout) string {
	phase := MetricPhaseProgressing
	for _, c := range ro.Status.Conditions {
		switch {
		case c.Type == v1alpha1.InvalidSpec:
			return MetricPhaseInvalidSpec
		case c.Type != v1alpha1.RolloutProgressing:
		case c.Reason == rollout.ReasonNewReplicaSetAvailable:
			phase = MetricPhaseCompleted
		case c.Reason == rollout.ReasonRolloutPaused:
			phase = MetricPhasePaused
		case c.Reason == rollout.ReasonReplicaSetCreateError:
			phase = MetricPhaseError
		case c.Reason == rollout.ReasonProgressDeadlineExceeded:
			phase = MetricPhaseTimeout
		case c.Reason == rollout.ReasonRolloutAborted:
			phase = MetricPhaseAbort
		}
	}
	return phase
}

func strategyOf(ro *v1alpha1.Rollout) (strategy, router string) {
	switch {
	case ro.Spec.Strategy.BlueGreen != nil:
		return "blueGreen", ""
	case ro.Spec.Strategy.Canary != nil:
		tr := ro.Spec.Strategy.Canary.TrafficRouting
		switch {
		case tr == nil:
		case tr.SMI != nil:
			router = "SMI"
		case tr.Nginx != nil:
			router = "Nginx"
		case tr.Istio != nil:
			router = "Istio"
		case len(tr.Plugins) > 0:
			router = "Plugin"
		}
		return "canary", router
	}
	return "none", ""
}

// rolloutCollector reads the Rollouts from the informer cache at every scrape, as Argo's does.
type rolloutCollector struct{ c client.Reader }

func (rolloutCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRolloutInfo, descRolloutPhase, descAvailable, descUnavailable, descDesired, descUpdated} {
		ch <- d
	}
}

func (r *rolloutCollector) Collect(ch chan<- prometheus.Metric) {
	var list v1alpha1.RolloutList
	if err := r.c.List(context.Background(), &list); err != nil {
		return
	}
	for i := range list.Items {
		ro := &list.Items[i]
		gauge := func(d *prometheus.Desc, v float64, lv ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{ro.Namespace, ro.Name}, lv...)...)
		}
		strategy, router := strategyOf(ro)
		phase := MetricPhase(ro)
		gauge(descRolloutInfo, 1, strategy, router, phase)
		desired := int32(1)
		if ro.Spec.Replicas != nil {
			desired = *ro.Spec.Replicas
		}
		gauge(descAvailable, float64(ro.Status.AvailableReplicas))
		gauge(descUnavailable, float64(ro.Status.Replicas-ro.Status.AvailableReplicas))
		gauge(descDesired, float64(desired))
		gauge(descUpdated, float64(ro.Status.UpdatedReplicas))
		for _, p := range metricPhases {
			gauge(descRolloutPhase, boolValue(p == phase), strategy, p)
		}
	}
}

// analysisCollector reports every AnalysisRun's phase and its metrics' phases.
type analysisCollector struct{ c client.Reader }

func (analysisCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRunInfo, descRunPhase, descRunMetricType, descRunMetricPhase} {
		ch <- d
	}
}

var runPhases = []v1alpha1.AnalysisPhase{
	v1alpha1.AnalysisPhasePending, v1alpha1.AnalysisPhaseRunning, v1alpha1.AnalysisPhaseSuccessful,
	v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive,
}

func (a *analysisCollector) Collect(ch chan<- prometheus.Metric) {
	var list v1alpha1.AnalysisRunList
	if err := a.c.List(context.Background(), &list); err != nil {
		return
	}
	for i := range list.Items {
		run := &list.Items[i]
		gauge := func(d *prometheus.Desc, v float64, lv ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{run.Namespace, run.Name}, lv...)...)
		}
		phase := run.Status.Phase
		if phase == "" {
			phase = v1alpha1.AnalysisPhasePending
		}
		gauge(descRunInfo, 1, string(phase))
		for _, p := range runPhases {
			gauge(descRunPhase, boolValue(p == phase), string(p))
		}
		dry := map[string]bool{}
		for _, d := range run.Spec.DryRun {
			dry[d.MetricName] = true
		}
		results := map[string]v1alpha1.AnalysisPhase{}
		for _, r := range run.Status.MetricResults {
			results[r.Name] = r.Phase
		}
		for _, m := range run.Spec.Metrics {
			typ := MetricType(m)
			gauge(descRunMetricType, 1, m.Name, typ)
			mp := results[m.Name]
			if mp == "" {
				mp = v1alpha1.AnalysisPhasePending
			}
			for _, p := range runPhases {
				gauge(descRunMetricPhase, boolValue(p == mp), m.Name, typ, strconv.FormatBool(dry[m.Name] || dry["*"]), string(p))
			}
		}
	}
}

// MetricType names a metric's provider as Argo's metrics do ("Prometheus", "Web", "Job", ...).
func MetricType(m v1alpha1.Metric) string {
	switch p := m.Provider; {
	case p.Prometheus != nil:
		return "Prometheus"
	case p.Web != nil:
		return "Web"
	case p.Job != nil:
		return "Job"
	}
	return "Unknown"
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
