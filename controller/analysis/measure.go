package analysis

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// metaTime is t as a status timestamp.
func metaTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}

// Outcome is what came of one task: the new or updated measurement and, for a metric measured
// for the first time, the provider's metadata.
type Outcome struct {
	Task        Task
	Name        string
	Measurement v1alpha1.Measurement
	// Metadata is the provider's metadata for the metric, nil when no provider could be built.
	Metadata map[string]string
}

// RecordMeasurement adds an outcome to the metric's result in status, creating the result
// (Running, flagged dry-run, with the metadata) on the first measurement. A completed measurement
// gets finishedAt = now if it has none and moves the counters as Argo does: Successful, Failed and
// Inconclusive count towards count and reset consecutiveError; Error counts only errors and
// consecutiveError; only Successful extends consecutiveSuccess. A resumed measurement replaces the
// last one, a new one is appended.
func RecordMeasurement(status *v1alpha1.AnalysisRunStatus, o Outcome, dryRun bool, now time.Time) {
	result := findResult(status, o.Name)
	if result == nil {
		status.MetricResults = append(status.MetricResults, v1alpha1.MetricResult{
			Name:     o.Name,
			Phase:    v1alpha1.AnalysisPhaseRunning,
			DryRun:   dryRun,
			Metadata: o.Metadata,
		})
		result = &status.MetricResults[len(status.MetricResults)-1]
	}
	m := o.Measurement
	if m.Phase.Completed() {
		if m.FinishedAt == nil {
			m.FinishedAt = metaTime(now)
		}
		switch m.Phase {
		case v1alpha1.AnalysisPhaseSuccessful:
			result.Successful++
			result.Count++
			result.ConsecutiveError = 0
			result.ConsecutiveSuccess++
		case v1alpha1.AnalysisPhaseFailed:
			result.Failed++
			result.Count++
			result.ConsecutiveError = 0
			result.ConsecutiveSuccess = 0
		case v1alpha1.AnalysisPhaseInconclusive:
			result.Inconclusive++
			result.Count++
			result.ConsecutiveError = 0
			result.ConsecutiveSuccess = 0
		case v1alpha1.AnalysisPhaseError:
			result.Error++
			result.ConsecutiveError++
			result.ConsecutiveSuccess = 0
		}
	}
	if o.Task.Incomplete != nil && len(result.Measurements) > 0 {
		result.Measurements[len(result.Measurements)-1] = m
	} else {
		result.Measurements = append(result.Measurements, m)
	}
}

// RetentionLimit is how many measurements of the metric are kept: its measurementRetention
// rule's limit when positive, else DefaultMeasurementHistoryLimit.
func RetentionLimit(name string, rules map[string]v1alpha1.MeasurementRetention) int {
	if r, ok := rules[name]; ok && r.Limit > 0 {
		return int(r.Limit)
	}
	return DefaultMeasurementHistoryLimit
}
