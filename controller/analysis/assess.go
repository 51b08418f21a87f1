package analysis

import (
	"fmt"
	"strings"
	"time"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// phaseOrder ranks phases from best to worst, as Argo ranks a run's metrics.
var phaseOrder = []v1alpha1.AnalysisPhase{
	v1alpha1.AnalysisPhaseSuccessful,
	v1alpha1.AnalysisPhaseRunning,
	v1alpha1.AnalysisPhasePending,
	v1alpha1.AnalysisPhaseInconclusive,
	v1alpha1.AnalysisPhaseError,
	v1alpha1.AnalysisPhaseFailed,
}

func phaseRank(p v1alpha1.AnalysisPhase) int {
	for i, q := range phaseOrder {
		if p == q {
			return i
		}
	}
	return 0
}

// IsWorse reports whether candidate ranks worse than current:
// Successful < Running < Pending < Inconclusive < Error < Failed (an unknown phase ranks as Successful).
func IsWorse(current, candidate v1alpha1.AnalysisPhase) bool {
	return phaseRank(candidate) > phaseRank(current)
}

// Worst returns the worse of two phases, a when they rank the same.
func Worst(a, b v1alpha1.AnalysisPhase) v1alpha1.AnalysisPhase {
	if IsWorse(a, b) {
		return b
	}
	return a
}

// IsTerminating reports whether the run takes no new measurements: spec.terminate is set, or a
// metric that is not a dry run has already completed Failed, Error or Inconclusive.
func IsTerminating(run *v1alpha1.AnalysisRun) bool {
	if run.Spec.Terminate {
		return true
	}
	for _, r := range run.Status.MetricResults {
		if r.DryRun {
			continue
		}
		switch r.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			return true
		}
	}
	return false
}

// ConsecutiveErrorLimit is the metric's consecutiveErrorLimit, DefaultConsecutiveErrorLimit when unset.
func ConsecutiveErrorLimit(metric v1alpha1.Metric) int32 {
	return int32(intValue(metric.ConsecutiveErrorLimit, DefaultConsecutiveErrorLimit))
}

// MetricLimitBreach says whether the metric's counters break a limit, and which (Argo's
// assessMetricFailureInconclusiveOrError). All three are checked in turn and the last breach wins,
// so Error (consecutiveErrors > consecutiveErrorLimit) beats Inconclusive (inconclusive >
// inconclusiveLimit), which beats Failed (failed > failureLimit; a failureLimit of -1 never
// breaks). The phase is empty, and the reason too, when no limit is broken.
func MetricLimitBreach(metric v1alpha1.Metric, result v1alpha1.MetricResult) (v1alpha1.AnalysisPhase, string) {
	var phase v1alpha1.AnalysisPhase
	var reason string
	if failureLimit := int32(intValue(metric.FailureLimit, 0)); failureLimit >= 0 && result.Failed > failureLimit {
		phase, reason = v1alpha1.AnalysisPhaseFailed, fmt.Sprintf(ReasonFailureLimit, result.Failed, failureLimit)
	}
	if limit := int32(intValue(metric.InconclusiveLimit, 0)); result.Inconclusive > limit {
		phase, reason = v1alpha1.AnalysisPhaseInconclusive, fmt.Sprintf(ReasonInconclusiveLimit, result.Inconclusive, limit)
	}
	if limit := ConsecutiveErrorLimit(metric); result.ConsecutiveError > limit {
		phase, reason = v1alpha1.AnalysisPhaseError, fmt.Sprintf(ReasonConsecutiveErrorLimit, result.ConsecutiveError, limit)
	}
	return phase, reason
}

// AssessMetric is a metric's phase after its latest measurement (Argo's assessMetricStatus):
//   - a completed metric keeps its phase;
//   - no measurement yet: Pending, or Successful when the run is terminating;
//   - an in-flight last measurement: Running;
//   - a broken limit (MetricLimitBreach): that phase;
//   - consecutiveSuccess reached consecutiveSuccessLimit (> 0): Successful;
//   - count reached: Inconclusive when both failureLimit (>= 0, or unset) and
//     consecutiveSuccessLimit apply, Failed when only consecutiveSuccessLimit applies, else Successful;
//   - otherwise Successful when terminating, else Running.
func AssessMetric(metric v1alpha1.Metric, result v1alpha1.MetricResult, terminating bool) v1alpha1.AnalysisPhase {
	if result.Phase.Completed() {
		return result.Phase
	}
	if len(result.Measurements) == 0 {
		if terminating {
			return v1alpha1.AnalysisPhaseSuccessful
		}
		return v1alpha1.AnalysisPhasePending
	}
	if !result.Measurements[len(result.Measurements)-1].Phase.Completed() {
		return v1alpha1.AnalysisPhaseRunning
	}
	if phase, _ := MetricLimitBreach(metric, result); phase != "" {
		return phase
	}
	successLimit := int32(intValue(metric.ConsecutiveSuccessLimit, 0))
	if successLimit > 0 && result.ConsecutiveSuccess >= successLimit {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	if countReached(metric, &result) {
		failureApplies := metric.FailureLimit == nil || metric.FailureLimit.IntValue() >= 0
		successApplies := successLimit > 0
		switch {
		case failureApplies && successApplies:
			return v1alpha1.AnalysisPhaseInconclusive
		case successApplies:
			return v1alpha1.AnalysisPhaseFailed
		}
		return v1alpha1.AnalysisPhaseSuccessful
	}
	if terminating {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	return v1alpha1.AnalysisPhaseRunning
}

// MetricTransition is a metric whose phase changed during AssessRun.
type MetricTransition struct {
	Name     string
	From, To v1alpha1.AnalysisPhase
}

// AssessRun updates the metrics' phases and messages and the run and dry-run summaries in the
// run's status, and returns the run's phase and message (Argo's assessRunStatus):
//   - a metric whose phase changes takes its last measurement's message;
//   - the run is Running while any metric is unfinished or not started;
//   - once all are complete it takes the worst phase of its non-dry-run metrics (IsWorse; the first
//     of equals wins), explained by MessageMetricAssessed when that metric broke a limit; dry-run
//     metrics never make it worse and get their own MessageDryRunMetricAssessed;
//   - a terminating run completes at once with the worst phase so far, Successful if none,
//     and MessageRunTerminated when spec.terminate is set and no metric explains otherwise.
//
// Each completed metric is counted in runSummary or dryRunSummary by the limit it broke, and as
// Successful when it broke none (so a metric Failed for want of consecutive successes counts as
// Successful there, as in Argo). status.startedAt is set to now if unset.
func AssessRun(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, dryRun map[string]bool, now time.Time) (v1alpha1.AnalysisPhase, string, []MetricTransition) {
	status := &run.Status
	terminating := IsTerminating(run)
	allCompleted := true
	var worst v1alpha1.AnalysisPhase
	var message string
	var transitions []MetricTransition

	if status.StartedAt == nil {
		status.StartedAt = metaTime(now)
	}
	if run.Spec.Terminate {
		message = MessageRunTerminated
	}
	var runSummary, dryRunSummary v1alpha1.RunSummary

	for _, metric := range metrics {
		isDry := dryRun[metric.Name]
		summary := &runSummary
		if isDry {
			summary = &dryRunSummary
		}
		summary.Count++

		result := findResult(status, metric.Name)
		if result == nil {
			allCompleted = false
			continue
		}
		phase := AssessMetric(metric, *result, terminating)
		if phase != result.Phase {
			transitions = append(transitions, MetricTransition{Name: metric.Name, From: result.Phase, To: phase})
			if last := lastMeasurement(result); last != nil {
				result.Message = last.Message
			}
			result.Phase = phase
		}
		if !phase.Completed() {
			allCompleted = false
			continue
		}
		breach, reason := MetricLimitBreach(metric, *result)
		if isDry {
			if worst == "" {
				worst = v1alpha1.AnalysisPhaseSuccessful
			}
			if reason != "" {
				result.Message = fmt.Sprintf(MessageDryRunMetricAssessed, phase, reason)
			}
		} else if worst == "" || IsWorse(worst, phase) {
			worst = phase
			if reason != "" {
				message = fmt.Sprintf(MessageMetricAssessed, metric.Name, phase, reason)
				if result.Message != "" {
					message += fmt.Sprintf(MessageErrorSuffix, result.Message)
				}
			}
		}
		switch breach {
		case v1alpha1.AnalysisPhaseError:
			summary.Error++
		case v1alpha1.AnalysisPhaseFailed:
			summary.Failed++
		case v1alpha1.AnalysisPhaseInconclusive:
			summary.Inconclusive++
		default:
			summary.Successful++
		}
	}
	message = strings.TrimSpace(message)
	status.RunSummary = runSummary
	status.DryRunSummary = &dryRunSummary
	if terminating {
		if worst == "" {
			return v1alpha1.AnalysisPhaseSuccessful, message, transitions
		}
		return worst, message, transitions
	}
	if !allCompleted || worst == "" {
		return v1alpha1.AnalysisPhaseRunning, "", transitions
	}
	return worst, message, transitions
}
