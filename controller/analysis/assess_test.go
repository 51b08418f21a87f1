package analysis

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

const (
	pending      = v1alpha1.AnalysisPhasePending
	running      = v1alpha1.AnalysisPhaseRunning
	successful   = v1alpha1.AnalysisPhaseSuccessful
	failed       = v1alpha1.AnalysisPhaseFailed
	inconclusive = v1alpha1.AnalysisPhaseInconclusive
	errored      = v1alpha1.AnalysisPhaseError
)

var t0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

func intOrStr(i int) *intstr.IntOrString {
	v := intstr.FromInt32(int32(i))
	return &v
}

func strCount(s string) *intstr.IntOrString {
	v := intstr.FromString(s)
	return &v
}

func done(phase v1alpha1.AnalysisPhase) v1alpha1.Measurement {
	return v1alpha1.Measurement{Phase: phase, StartedAt: metaTime(t0), FinishedAt: metaTime(t0)}
}

// counts builds a result whose last measurement has the given phase.
func counts(last v1alpha1.AnalysisPhase, count, successfulN, failedN, inconclusiveN, consecErr, consecSucc int32) v1alpha1.MetricResult {
	return v1alpha1.MetricResult{
		Name: "m", Phase: running, Measurements: []v1alpha1.Measurement{done(last)},
		Count: count, Successful: successfulN, Failed: failedN, Inconclusive: inconclusiveN,
		ConsecutiveError: consecErr, ConsecutiveSuccess: consecSucc,
	}
}

func TestAssessMetric(t *testing.T) {
	interval := v1alpha1.Metric{Name: "m", Interval: "60s"}
	withLimits := func(m v1alpha1.Metric, fl, csl, il, cel, count *intstr.IntOrString) v1alpha1.Metric {
		m.FailureLimit, m.ConsecutiveSuccessLimit, m.InconclusiveLimit, m.ConsecutiveErrorLimit, m.Count = fl, csl, il, cel, count
		return m
	}
	cases := []struct {
		name              string
		metric            v1alpha1.Metric
		result            v1alpha1.MetricResult
		want, terminating v1alpha1.AnalysisPhase
	}{
		{"completed metric keeps its phase", interval, v1alpha1.MetricResult{Phase: failed}, failed, failed},
		{"no measurement yet is pending", interval, v1alpha1.MetricResult{}, pending, successful},
		{"in-flight measurement is running", interval,
			v1alpha1.MetricResult{Measurements: []v1alpha1.Measurement{done(successful), {Phase: running}}}, running, running},
		{"failed > failureLimit is failed", withLimits(interval, intOrStr(2), nil, nil, nil, nil),
			counts(failed, 3, 0, 3, 0, 0, 0), failed, failed},
		{"failed == failureLimit keeps running", withLimits(interval, intOrStr(3), nil, nil, nil, nil),
			counts(failed, 3, 0, 3, 0, 0, 0), running, successful},
		{"default failureLimit 0: one failure fails", interval, counts(failed, 1, 0, 1, 0, 0, 0), failed, failed},
		{"failureLimit -1 never fails", withLimits(interval, intOrStr(-1), intOrStr(10), nil, nil, nil),
			counts(failed, 9, 0, 9, 0, 0, 0), running, successful},
		{"inconclusive > inconclusiveLimit is inconclusive", withLimits(interval, nil, nil, intOrStr(2), nil, nil),
			counts(inconclusive, 3, 0, 0, 3, 0, 0), inconclusive, inconclusive},
		{"inconclusive == inconclusiveLimit keeps running", withLimits(interval, nil, nil, intOrStr(3), nil, nil),
			counts(inconclusive, 3, 0, 0, 3, 0, 0), running, successful},
		{"consecutiveErrors > default limit 4 is error", interval, counts(errored, 0, 0, 0, 0, 5, 0), errored, errored},
		{"consecutiveErrors == default limit 4 keeps running", interval, counts(errored, 0, 0, 0, 0, 4, 0), running, successful},
		{"consecutiveErrors > custom limit 0", withLimits(interval, nil, nil, nil, intOrStr(0), nil),
			counts(errored, 0, 0, 0, 0, 1, 0), errored, errored},
		{"error beats inconclusive beats failed", interval, counts(errored, 2, 0, 1, 1, 5, 0), errored, errored},
		{"inconclusive beats failed", interval, counts(inconclusive, 2, 0, 1, 1, 0, 0), inconclusive, inconclusive},
		{"count reached is successful", withLimits(interval, nil, nil, nil, nil, intOrStr(10)),
			counts(successful, 10, 10, 0, 0, 0, 10), successful, successful},
		{"count reached with inconclusive over limit is inconclusive", withLimits(v1alpha1.Metric{Name: "m"}, nil, nil, nil, nil, intOrStr(10)),
			counts(successful, 10, 5, 0, 5, 0, 0), inconclusive, inconclusive},
		{"no count and no interval: one measurement", v1alpha1.Metric{Name: "m"}, counts(successful, 1, 1, 0, 0, 0, 1), successful, successful},
		{"a string count is a number", withLimits(interval, nil, nil, nil, nil, strCount("3")),
			counts(successful, 3, 3, 0, 0, 0, 3), successful, successful},
		{"a string count not yet reached", withLimits(interval, nil, nil, nil, nil, strCount("3")),
			counts(successful, 2, 2, 0, 0, 0, 2), running, successful},
		{"count 0 with an interval runs until terminated", withLimits(interval, nil, nil, nil, nil, intOrStr(0)),
			counts(successful, 9, 9, 0, 0, 0, 9), running, successful},
		{"interval without count runs until terminated", interval, counts(successful, 50, 50, 0, 0, 0, 50), running, successful},
		{"errors do not count towards count", withLimits(interval, nil, nil, nil, nil, intOrStr(3)),
			counts(errored, 2, 2, 0, 0, 1, 0), running, successful},

		// consecutiveSuccessLimit, failureLimit -1 (Argo's TestAssessMetricStatusConsecutiveSuccessLimit)
		{"consecutiveSuccessLimit reached, no count", withLimits(interval, intOrStr(-1), intOrStr(3), nil, nil, nil),
			counts(failed, 7, 4, 3, 0, 0, 3), successful, successful},
		{"consecutiveSuccessLimit not reached, no count", withLimits(interval, intOrStr(-1), intOrStr(5), nil, nil, nil),
			counts(failed, 7, 4, 3, 0, 0, 3), running, successful},
		{"only consecutiveSuccessLimit applies, count reached, limit not reached: failed",
			withLimits(interval, intOrStr(-1), intOrStr(5), nil, nil, intOrStr(7)),
			counts(failed, 7, 4, 3, 0, 0, 3), failed, failed},
		{"only consecutiveSuccessLimit applies, count reached, limit reached",
			withLimits(interval, intOrStr(-1), intOrStr(3), nil, nil, intOrStr(7)),
			counts(failed, 7, 4, 3, 0, 0, 3), successful, successful},
		{"consecutiveSuccessLimit reached before count",
			withLimits(interval, intOrStr(-1), intOrStr(3), nil, nil, intOrStr(9)),
			counts(failed, 7, 4, 3, 0, 0, 3), successful, successful},
		{"consecutiveSuccessLimit not reached before count",
			withLimits(interval, intOrStr(-1), intOrStr(5), nil, nil, intOrStr(9)),
			counts(failed, 7, 4, 3, 0, 0, 3), running, successful},

		// both limits (Argo's TestAssessMetricStatusFailureLimitAndConsecutiveSuccessLimit)
		{"both limits, no count, neither reached", withLimits(interval, intOrStr(4), intOrStr(4), nil, nil, nil),
			counts(failed, 7, 4, 3, 0, 0, 3), running, successful},
		{"both limits, no count, failureLimit broken", withLimits(interval, intOrStr(4), intOrStr(4), nil, nil, nil),
			counts(failed, 9, 4, 5, 0, 0, 0), failed, failed},
		{"both limits, no count, successes reached", withLimits(interval, intOrStr(4), intOrStr(4), nil, nil, nil),
			counts(successful, 8, 5, 3, 0, 0, 4), successful, successful},
		{"both limits, no count, both: failure wins", withLimits(interval, intOrStr(4), intOrStr(4), nil, nil, nil),
			counts(successful, 10, 5, 5, 0, 0, 4), failed, failed},
		{"both limits, count reached, neither: inconclusive", withLimits(interval, intOrStr(4), intOrStr(4), nil, nil, intOrStr(10)),
			counts(successful, 10, 6, 4, 0, 0, 3), inconclusive, inconclusive},
		{"both limits, count reached, failureLimit broken", withLimits(interval, intOrStr(4), intOrStr(4), nil, nil, intOrStr(10)),
			counts(successful, 10, 5, 5, 0, 0, 3), failed, failed},
		{"both limits, count reached, successes reached", withLimits(interval, intOrStr(4), intOrStr(4), nil, nil, intOrStr(10)),
			counts(successful, 10, 6, 4, 0, 0, 4), successful, successful},
		{"unset failureLimit applies: count reached without successes is inconclusive",
			withLimits(interval, nil, intOrStr(2), nil, nil, intOrStr(3)),
			counts(successful, 3, 3, 0, 0, 0, 1), inconclusive, inconclusive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, AssessMetric(tc.metric, tc.result, false), "not terminating")
			assert.Equal(t, tc.terminating, AssessMetric(tc.metric, tc.result, true), "terminating")
		})
	}
}

func TestMetricLimitBreach(t *testing.T) {
	cases := []struct {
		name       string
		metric     v1alpha1.Metric
		result     v1alpha1.MetricResult
		wantPhase  v1alpha1.AnalysisPhase
		wantReason string
	}{
		{"none", v1alpha1.Metric{}, v1alpha1.MetricResult{Successful: 3}, "", ""},
		{"failed", v1alpha1.Metric{}, v1alpha1.MetricResult{Failed: 1}, failed, "failed (1) > failureLimit (0)"},
		{"failed with limit", v1alpha1.Metric{FailureLimit: intOrStr(2)}, v1alpha1.MetricResult{Failed: 3}, failed, "failed (3) > failureLimit (2)"},
		{"failureLimit -1", v1alpha1.Metric{FailureLimit: intOrStr(-1)}, v1alpha1.MetricResult{Failed: 30}, "", ""},
		{"inconclusive", v1alpha1.Metric{}, v1alpha1.MetricResult{Inconclusive: 1}, inconclusive, "inconclusive (1) > inconclusiveLimit (0)"},
		{"errors", v1alpha1.Metric{}, v1alpha1.MetricResult{ConsecutiveError: 5}, errored, "consecutiveErrors (5) > consecutiveErrorLimit (4)"},
		{"all three: error wins", v1alpha1.Metric{}, v1alpha1.MetricResult{Failed: 1, Inconclusive: 1, ConsecutiveError: 5}, errored, "consecutiveErrors (5) > consecutiveErrorLimit (4)"},
		{"string limits", v1alpha1.Metric{FailureLimit: ptrIntStr("2")}, v1alpha1.MetricResult{Failed: 2}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			phase, reason := MetricLimitBreach(tc.metric, tc.result)
			assert.Equal(t, tc.wantPhase, phase)
			assert.Equal(t, tc.wantReason, reason)
		})
	}
}

func ptrIntStr(s string) *intstr.IntOrString {
	v := intstr.FromString(s)
	return &v
}

func TestIsWorse(t *testing.T) {
	order := []v1alpha1.AnalysisPhase{successful, running, pending, inconclusive, errored, failed}
	for i, a := range order {
		for j, b := range order {
			assert.Equal(t, j > i, IsWorse(a, b), "%s -> %s", a, b)
		}
	}
	assert.Equal(t, failed, Worst(errored, failed))
	assert.Equal(t, errored, Worst(errored, inconclusive))
	assert.Equal(t, inconclusive, Worst(successful, inconclusive))
}

func TestIsTerminating(t *testing.T) {
	run := &v1alpha1.AnalysisRun{}
	assert.False(t, IsTerminating(run))
	run.Spec.Terminate = true
	assert.True(t, IsTerminating(run))
	for _, p := range []v1alpha1.AnalysisPhase{failed, errored, inconclusive} {
		run := &v1alpha1.AnalysisRun{Status: v1alpha1.AnalysisRunStatus{MetricResults: []v1alpha1.MetricResult{{Name: "a", Phase: p}}}}
		assert.True(t, IsTerminating(run), p)
		run.Status.MetricResults[0].DryRun = true
		assert.False(t, IsTerminating(run), "dry-run %s", p)
	}
	run = &v1alpha1.AnalysisRun{Status: v1alpha1.AnalysisRunStatus{MetricResults: []v1alpha1.MetricResult{{Name: "a", Phase: successful}}}}
	assert.False(t, IsTerminating(run))
}

// terminatingRun mirrors Argo's newTerminatingRun: "run-forever" has an in-flight measurement,
// "failed-metric" completed with the given phase.
func terminatingRun(phase v1alpha1.AnalysisPhase, dry bool) *v1alpha1.AnalysisRun {
	run := &v1alpha1.AnalysisRun{
		Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{
			{Name: "run-forever", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}},
			{Name: "failed-metric", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}},
		}},
		Status: v1alpha1.AnalysisRunStatus{
			Phase: running,
			MetricResults: []v1alpha1.MetricResult{
				{Name: "run-forever", DryRun: dry, Phase: running, Measurements: []v1alpha1.Measurement{{Phase: running, StartedAt: metaTime(t0)}}},
				{Name: "failed-metric", Count: 1, DryRun: dry, Phase: phase, Measurements: []v1alpha1.Measurement{done(phase)}},
			},
		},
	}
	if dry {
		run.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "run-forever"}, {MetricName: "failed-metric"}}
	}
	r := &run.Status.MetricResults[1]
	switch phase {
	case failed:
		r.Failed = 1
	case inconclusive:
		r.Inconclusive = 1
	case errored:
		r.Error, r.ConsecutiveError = 1, 5
	}
	return run
}

func dryMap(run *v1alpha1.AnalysisRun, dry bool) map[string]bool {
	m := map[string]bool{}
	for _, metric := range run.Spec.Metrics {
		m[metric.Name] = dry
	}
	return m
}

func TestAssessRun(t *testing.T) {
	cases := []struct {
		name        string
		run         func() *v1alpha1.AnalysisRun
		dry         bool
		wantPhase   v1alpha1.AnalysisPhase
		wantMessage string
		wantRun     v1alpha1.RunSummary
		wantDry     v1alpha1.RunSummary
	}{
		{
			name: "failed metric with sibling done: worst phase and its message",
			run: func() *v1alpha1.AnalysisRun {
				r := terminatingRun(failed, false)
				r.Status.MetricResults[0].Phase = successful
				return r
			},
			wantPhase: failed, wantMessage: `Metric "failed-metric" assessed Failed due to failed (1) > failureLimit (0)`,
			wantRun: v1alpha1.RunSummary{Count: 2, Successful: 1, Failed: 1},
		},
		{
			name: "dry-run metrics never change the phase",
			run: func() *v1alpha1.AnalysisRun {
				r := terminatingRun(failed, true)
				r.Status.MetricResults[0].Phase = successful
				return r
			},
			dry: true, wantPhase: successful, wantMessage: "",
			wantDry: v1alpha1.RunSummary{Count: 2, Successful: 1, Failed: 1},
		},
		{
			name: "the metric's message is appended as the error message",
			run: func() *v1alpha1.AnalysisRun {
				r := terminatingRun(failed, false)
				r.Status.MetricResults[0].Phase = successful
				r.Status.MetricResults[1].Message = "Provider Error"
				return r
			},
			wantPhase: failed, wantMessage: `Metric "failed-metric" assessed Failed due to failed (1) > failureLimit (0): "Error Message: Provider Error"`,
			wantRun: v1alpha1.RunSummary{Count: 2, Successful: 1, Failed: 1},
		},
		{
			name: "two failures: the first one explains",
			run: func() *v1alpha1.AnalysisRun {
				r := terminatingRun(failed, false)
				r.Status.MetricResults[0].Phase = failed
				r.Status.MetricResults[0].Failed = 1
				return r
			},
			wantPhase: failed, wantMessage: `Metric "run-forever" assessed Failed due to failed (1) > failureLimit (0)`,
			wantRun: v1alpha1.RunSummary{Count: 2, Failed: 2},
		},
		{
			name: "failed is worse than error",
			run: func() *v1alpha1.AnalysisRun {
				r := terminatingRun(failed, false)
				r.Status.MetricResults[0].Phase = errored
				r.Status.MetricResults[0].ConsecutiveError = 5
				return r
			},
			wantPhase: failed, wantMessage: `Metric "failed-metric" assessed Failed due to failed (1) > failureLimit (0)`,
			wantRun: v1alpha1.RunSummary{Count: 2, Failed: 1, Error: 1},
		},
		{
			name: "error is worse than inconclusive",
			run: func() *v1alpha1.AnalysisRun {
				r := terminatingRun(errored, false)
				r.Status.MetricResults[0].Phase = inconclusive
				r.Status.MetricResults[0].Inconclusive = 1
				return r
			},
			wantPhase: errored, wantMessage: `Metric "failed-metric" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)`,
			wantRun: v1alpha1.RunSummary{Count: 2, Inconclusive: 1, Error: 1},
		},
		{
			name: "terminating run completes with the worst so far, in-flight metric counts successful",
			run:  func() *v1alpha1.AnalysisRun { return terminatingRun(inconclusive, false) },
			// run-forever has an in-flight measurement: Running even while terminating
			wantPhase: inconclusive, wantMessage: `Metric "failed-metric" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)`,
			wantRun: v1alpha1.RunSummary{Count: 2, Inconclusive: 1},
		},
		{
			name: "spec.terminate with nothing measured is successful, Run Terminated",
			run: func() *v1alpha1.AnalysisRun {
				return &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Terminate: true, Metrics: []v1alpha1.Metric{{Name: "a", InitialDelay: "20s"}}}}
			},
			wantPhase: successful, wantMessage: "Run Terminated", wantRun: v1alpha1.RunSummary{Count: 1},
		},
		{
			name: "spec.terminate ends running metrics successfully",
			run: func() *v1alpha1.AnalysisRun {
				return &v1alpha1.AnalysisRun{
					Spec:   v1alpha1.AnalysisRunSpec{Terminate: true, Metrics: []v1alpha1.Metric{{Name: "m", Interval: "30s"}}},
					Status: v1alpha1.AnalysisRunStatus{Phase: running, MetricResults: []v1alpha1.MetricResult{counts(successful, 2, 2, 0, 0, 0, 2)}},
				}
			},
			wantPhase: successful, wantMessage: "Run Terminated", wantRun: v1alpha1.RunSummary{Count: 1, Successful: 1},
		},
		{
			name: "not all metrics done: running with no message",
			run: func() *v1alpha1.AnalysisRun {
				return &v1alpha1.AnalysisRun{
					Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{Name: "m", Interval: "30s"}, {Name: "later", InitialDelay: "5m"}}},
					Status: v1alpha1.AnalysisRunStatus{Phase: running, MetricResults: []v1alpha1.MetricResult{
						withPhase(counts(successful, 1, 1, 0, 0, 0, 1), successful)}},
				}
			},
			wantPhase: running, wantMessage: "", wantRun: v1alpha1.RunSummary{Count: 2, Successful: 1},
		},
		{
			name: "a metric failed for want of consecutive successes counts as successful in the summary",
			run: func() *v1alpha1.AnalysisRun {
				m := v1alpha1.Metric{Name: "m", Interval: "30s", Count: intOrStr(3), FailureLimit: intOrStr(-1), ConsecutiveSuccessLimit: intOrStr(3)}
				return &v1alpha1.AnalysisRun{
					Spec:   v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{m}},
					Status: v1alpha1.AnalysisRunStatus{Phase: running, MetricResults: []v1alpha1.MetricResult{counts(successful, 3, 2, 1, 0, 0, 2)}},
				}
			},
			wantPhase: failed, wantMessage: "", wantRun: v1alpha1.RunSummary{Count: 1, Successful: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run := tc.run()
			phase, msg, _ := AssessRun(run, run.Spec.Metrics, dryMap(run, tc.dry), t0)
			assert.Equal(t, tc.wantPhase, phase)
			assert.Equal(t, tc.wantMessage, msg)
			assert.Equal(t, tc.wantRun, run.Status.RunSummary)
			require.NotNil(t, run.Status.DryRunSummary)
			assert.Equal(t, tc.wantDry, *run.Status.DryRunSummary)
			require.NotNil(t, run.Status.StartedAt)
		})
	}
}

func withPhase(r v1alpha1.MetricResult, p v1alpha1.AnalysisPhase) v1alpha1.MetricResult {
	r.Phase = p
	return r
}

func TestAssessRunMessages(t *testing.T) {
	t.Run("metric takes its last measurement's message on transition", func(t *testing.T) {
		run := &v1alpha1.AnalysisRun{
			Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{Name: "m"}}},
			Status: v1alpha1.AnalysisRunStatus{Phase: running, MetricResults: []v1alpha1.MetricResult{
				{Name: "m", Phase: running, ConsecutiveError: 5, Error: 5, Measurements: []v1alpha1.Measurement{{Phase: errored, Message: "boom", FinishedAt: metaTime(t0)}}},
			}},
		}
		phase, msg, transitions := AssessRun(run, run.Spec.Metrics, nil, t0)
		assert.Equal(t, errored, phase)
		assert.Equal(t, `Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "Error Message: boom"`, msg)
		assert.Equal(t, "boom", run.Status.MetricResults[0].Message)
		assert.Equal(t, []MetricTransition{{Name: "m", From: running, To: errored}}, transitions)
	})
	t.Run("dry-run metric gets its own message", func(t *testing.T) {
		run := terminatingRun(failed, true)
		run.Status.MetricResults[0].Phase = failed
		run.Status.MetricResults[0].Failed = 1
		phase, msg, _ := AssessRun(run, run.Spec.Metrics, dryMap(run, true), t0)
		assert.Equal(t, successful, phase)
		assert.Equal(t, "", msg)
		assert.Equal(t, "Metric assessed Failed due to failed (1) > failureLimit (0)", run.Status.MetricResults[0].Message)
		assert.Equal(t, "Metric assessed Failed due to failed (1) > failureLimit (0)", run.Status.MetricResults[1].Message)
		assert.Equal(t, v1alpha1.RunSummary{Count: 2, Failed: 2}, *run.Status.DryRunSummary)
	})
	t.Run("mixed: dry-run failure ignored, real inconclusive wins", func(t *testing.T) {
		// Argo's TestAssessRunStatusWithMixedMetrics, after the in-flight measurement completed
		run := &v1alpha1.AnalysisRun{
			Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{Name: "run-forever"}, {Name: "success-metric"}}},
			Status: v1alpha1.AnalysisRunStatus{MetricResults: []v1alpha1.MetricResult{
				{Name: "run-forever", Inconclusive: 1, Successful: 1, Count: 2, Phase: running, Measurements: []v1alpha1.Measurement{done(successful)}},
				{Name: "success-metric", Count: 1, Failed: 1, DryRun: true, Phase: successful, Measurements: []v1alpha1.Measurement{done(failed)}},
			}},
		}
		phase, msg, _ := AssessRun(run, run.Spec.Metrics, map[string]bool{"success-metric": true}, t0)
		assert.Equal(t, inconclusive, phase)
		assert.Equal(t, `Metric "run-forever" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)`, msg)
	})
}
