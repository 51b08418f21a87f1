package analysis

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func finishedAt(phase v1alpha1.AnalysisPhase, at time.Time) v1alpha1.Measurement {
	return v1alpha1.Measurement{Phase: phase, StartedAt: metaTime(at), FinishedAt: metaTime(at)}
}

func oneMetricRun(metric v1alpha1.Metric, result *v1alpha1.MetricResult, startedAt *time.Time) *v1alpha1.AnalysisRun {
	run := &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{metric}}}
	run.Status.Phase = running
	if result != nil {
		result.Name = metric.Name
		run.Status.MetricResults = []v1alpha1.MetricResult{*result}
	}
	if startedAt != nil {
		run.Status.StartedAt = metaTime(*startedAt)
	}
	return run
}

func TestDueTasksAndNextReconcileTime(t *testing.T) {
	now := t0
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	every30 := v1alpha1.Metric{Name: "m", Interval: "30s"}
	count3 := v1alpha1.Metric{Name: "m", Interval: "30s", Count: intOrStr(3)}
	single := v1alpha1.Metric{Name: "m"}
	delayed := v1alpha1.Metric{Name: "m", Interval: "30s", InitialDelay: "40s"}
	started := ago(30 * time.Second)

	cases := []struct {
		name     string
		run      *v1alpha1.AnalysisRun
		wantTask bool
		wantNext *time.Time
	}{
		{"first measurement is due at once", oneMetricRun(every30, nil, nil), true, nil},
		{"interval not yet passed", oneMetricRun(every30, &v1alpha1.MetricResult{Phase: running, Count: 1,
			Measurements: []v1alpha1.Measurement{finishedAt(successful, ago(20*time.Second))}}, nil), false, at(10 * time.Second)},
		{"interval passed exactly: due", oneMetricRun(every30, &v1alpha1.MetricResult{Phase: running, Count: 1,
			Measurements: []v1alpha1.Measurement{finishedAt(successful, ago(30*time.Second))}}, nil), true, at(0)},
		{"interval overdue", oneMetricRun(every30, &v1alpha1.MetricResult{Phase: running, Count: 1,
			Measurements: []v1alpha1.Measurement{finishedAt(successful, ago(45*time.Second))}}, nil), true, at(-15 * time.Second)},
		{"after an error, retry in 10s, not the interval", oneMetricRun(every30, &v1alpha1.MetricResult{Phase: running, Error: 1, ConsecutiveError: 1,
			Measurements: []v1alpha1.Measurement{finishedAt(errored, ago(4*time.Second))}}, nil), false, at(6 * time.Second)},
		{"after an error, due 10s later", oneMetricRun(every30, &v1alpha1.MetricResult{Phase: running, Error: 1, ConsecutiveError: 1,
			Measurements: []v1alpha1.Measurement{finishedAt(errored, ago(10*time.Second))}}, nil), true, at(0)},
		{"single measurement that errored is retried after 10s", oneMetricRun(single, &v1alpha1.MetricResult{Phase: running, Error: 1, ConsecutiveError: 1,
			Measurements: []v1alpha1.Measurement{finishedAt(errored, ago(3*time.Second))}}, nil), false, at(7 * time.Second)},
		{"count reached: nothing more", oneMetricRun(count3, &v1alpha1.MetricResult{Phase: running, Count: 3,
			Measurements: []v1alpha1.Measurement{finishedAt(successful, ago(time.Hour))}}, nil), false, nil},
		{"completed metric: nothing", oneMetricRun(every30, &v1alpha1.MetricResult{Phase: failed, Count: 1,
			Measurements: []v1alpha1.Measurement{finishedAt(failed, ago(time.Hour))}}, nil), false, nil},
		{"initial delay not over", oneMetricRun(delayed, nil, &started), false, at(10 * time.Second)},
		{"initial delay over", oneMetricRun(delayed, nil, ptrTime(ago(40*time.Second))), true, at(0)},
		{"initial delay waits for the run to start", oneMetricRun(delayed, nil, nil), false, at(40 * time.Second)},
		{"in-flight measurement is resumed", oneMetricRun(every30, &v1alpha1.MetricResult{Phase: running,
			Measurements: []v1alpha1.Measurement{{Phase: running, StartedAt: metaTime(ago(time.Minute))}}}, nil), true, nil},
		{"in-flight measurement waits for resumeAt", oneMetricRun(every30, &v1alpha1.MetricResult{Phase: running,
			Measurements: []v1alpha1.Measurement{{Phase: running, StartedAt: metaTime(ago(time.Minute)), ResumeAt: metaTime(now.Add(5 * time.Second))}}}, nil), false, at(5 * time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tasks := DueTasks(tc.run, tc.run.Spec.Metrics, now)
			assert.Equal(t, tc.wantTask, len(tasks) == 1, "tasks: %v", tasks)
			next := NextReconcileTime(tc.run, tc.run.Spec.Metrics, now)
			if tc.wantNext == nil {
				assert.Nil(t, next)
			} else if assert.NotNil(t, next) {
				assert.True(t, tc.wantNext.Equal(*next), "next %v, want %v", next, tc.wantNext)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestDueTasksTerminating(t *testing.T) {
	run := terminatingRun(failed, false)
	run.Spec.Metrics = append(run.Spec.Metrics, v1alpha1.Metric{Name: "never-started"})
	tasks := DueTasks(run, run.Spec.Metrics, t0)
	if assert.Len(t, tasks, 1) {
		assert.Equal(t, "run-forever", tasks[0].Metric.Name)
		assert.NotNil(t, tasks[0].Incomplete, "the in-flight measurement is to be terminated")
		assert.Equal(t, 0, tasks[0].Index)
	}
}

func TestNextReconcileTimeEarliestMetric(t *testing.T) {
	run := &v1alpha1.AnalysisRun{
		Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{Name: "a", Interval: "60s"}, {Name: "b", Interval: "60s"}, {Name: "c", InitialDelay: "bad"}}},
		Status: v1alpha1.AnalysisRunStatus{MetricResults: []v1alpha1.MetricResult{
			{Name: "a", Phase: running, Measurements: []v1alpha1.Measurement{finishedAt(successful, t0.Add(-30*time.Second))}},
			{Name: "b", Phase: running, Measurements: []v1alpha1.Measurement{finishedAt(successful, t0.Add(-50*time.Second))}},
		}},
	}
	next := NextReconcileTime(run, run.Spec.Metrics, t0)
	if assert.NotNil(t, next) {
		assert.Equal(t, t0.Add(10*time.Second), *next)
	}
}
