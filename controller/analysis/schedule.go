package analysis

import (
	"time"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// DefaultMeasurementHistoryLimit is how many measurements of a metric are kept when no
// measurementRetention rule says otherwise.
const DefaultMeasurementHistoryLimit = 10

// DefaultErrorRetryInterval is the wait after a measurement Error before the next attempt,
// whatever the metric's interval.
const DefaultErrorRetryInterval = 10 * time.Second

// DefaultConsecutiveErrorLimit is how many errors in a row a metric tolerates by default.
const DefaultConsecutiveErrorLimit = 4

// Task is one measurement to take, resume or terminate now.
type Task struct {
	// Index is the metric's position in spec.metrics.
	Index int
	// Metric is the metric as the spec has it, arguments not yet substituted.
	Metric v1alpha1.Metric
	// Incomplete is the metric's in-flight measurement, to resume (or to terminate when the run
	// is terminating); nil for a new measurement.
	Incomplete *v1alpha1.Measurement
}

// DueTasks lists the measurements to take at now, in metric order, following Argo's
// generateMetricTasks: completed metrics are skipped; an in-flight measurement is resumed once its
// resumeAt has come; a terminating run starts nothing new; a first measurement waits for the
// initialDelay (counted from status.startedAt, so never before the run has started); a metric that
// reached its count is done; otherwise the next one is due an interval (or, after an Error,
// DefaultErrorRetryInterval) after the last one finished.
//
// Argo takes a measurement once the wait has strictly passed, which in real time is the moment of
// the requeue; here it is due at that instant (now >= due), so that a simulator that calls back
// exactly at the requeue time gets the measurement. metrics are the resolved metrics, in spec order.
func DueTasks(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, now time.Time) []Task {
	var tasks []Task
	terminating := IsTerminating(run)
	for i, metric := range metrics {
		result := findResult(&run.Status, metric.Name)
		if result != nil && result.Phase.Completed() {
			continue
		}
		last := lastMeasurement(result)
		if last != nil && last.FinishedAt == nil {
			if last.ResumeAt != nil && last.ResumeAt.After(now) {
				continue
			}
			tasks = append(tasks, Task{Index: i, Metric: run.Spec.Metrics[i], Incomplete: last.DeepCopy()})
			continue
		}
		if terminating {
			continue
		}
		if last == nil {
			if metric.InitialDelay != "" {
				if run.Status.StartedAt == nil {
					continue
				}
				delay, err := metric.InitialDelay.Duration()
				if err != nil || run.Status.StartedAt.Add(delay).After(now) {
					continue
				}
			}
			tasks = append(tasks, Task{Index: i, Metric: run.Spec.Metrics[i]})
			continue
		}
		if countReached(metric, result) {
			continue
		}
		interval, ok := retryInterval(metric, last)
		if !ok {
			continue
		}
		if !now.Before(last.FinishedAt.Add(interval)) {
			tasks = append(tasks, Task{Index: i, Metric: run.Spec.Metrics[i]})
		}
	}
	return tasks
}

// retryInterval is the wait after a finished measurement before the next: DefaultErrorRetryInterval
// after an Error, else the metric's interval, else (no interval) also DefaultErrorRetryInterval, as
// in Argo's scheduling; ok is false for an interval that does not parse.
func retryInterval(metric v1alpha1.Metric, last *v1alpha1.Measurement) (time.Duration, bool) {
	if last.Phase == v1alpha1.AnalysisPhaseError || metric.Interval == "" {
		return DefaultErrorRetryInterval, true
	}
	d, err := metric.Interval.Duration()
	if err != nil {
		return 0, false
	}
	return d, true
}

// NextReconcileTime is when the run next needs attention (Argo's calculateNextReconcileTime): the
// earliest of every unfinished metric's end of initialDelay, in-flight resumeAt, and next
// measurement. Nil means nothing is scheduled. Unlike DueTasks, a metric without an interval
// whose last measurement succeeded schedules nothing (its count bookkeeping completes it).
func NextReconcileTime(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, now time.Time) *time.Time {
	var next *time.Time
	earliest := func(t time.Time) {
		if next == nil || next.After(t) {
			next = &t
		}
	}
	for _, metric := range metrics {
		result := findResult(&run.Status, metric.Name)
		if result != nil && result.Phase.Completed() {
			continue
		}
		last := lastMeasurement(result)
		if last == nil {
			if metric.InitialDelay == "" {
				continue
			}
			delay, err := metric.InitialDelay.Duration()
			if err != nil {
				continue
			}
			start := now
			if run.Status.StartedAt != nil {
				start = run.Status.StartedAt.Time
			}
			earliest(start.Add(delay))
			continue
		}
		if last.FinishedAt == nil {
			if last.ResumeAt != nil {
				earliest(last.ResumeAt.Time)
			}
			continue
		}
		if countReached(metric, result) {
			continue
		}
		if last.Phase != v1alpha1.AnalysisPhaseError && metric.Interval == "" {
			continue
		}
		interval, ok := retryInterval(metric, last)
		if !ok {
			continue
		}
		earliest(last.FinishedAt.Add(interval))
	}
	return next
}

// countReached reports whether the metric has taken all the measurements its count asks for.
func countReached(metric v1alpha1.Metric, result *v1alpha1.MetricResult) bool {
	c := metric.EffectiveCount()
	return c != nil && result != nil && result.Count >= int32(c.IntValue())
}

func findResult(status *v1alpha1.AnalysisRunStatus, name string) *v1alpha1.MetricResult {
	for i := range status.MetricResults {
		if status.MetricResults[i].Name == name {
			return &status.MetricResults[i]
		}
	}
	return nil
}

func lastMeasurement(result *v1alpha1.MetricResult) *v1alpha1.Measurement {
	if result == nil || len(result.Measurements) == 0 {
		return nil
	}
	return &result.Measurements[len(result.Measurements)-1]
}
