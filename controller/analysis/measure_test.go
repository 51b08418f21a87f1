package analysis

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestRecordMeasurementCounters(t *testing.T) {
	before := v1alpha1.MetricResult{Name: "m", Phase: running, Count: 4, Successful: 2, Failed: 1, Inconclusive: 1, Error: 4, ConsecutiveError: 4, ConsecutiveSuccess: 2,
		Measurements: []v1alpha1.Measurement{done(successful)}}
	cases := []struct {
		phase v1alpha1.AnalysisPhase
		want  v1alpha1.MetricResult
	}{
		{successful, v1alpha1.MetricResult{Count: 5, Successful: 3, Failed: 1, Inconclusive: 1, Error: 4, ConsecutiveError: 0, ConsecutiveSuccess: 3}},
		{failed, v1alpha1.MetricResult{Count: 5, Successful: 2, Failed: 2, Inconclusive: 1, Error: 4, ConsecutiveError: 0, ConsecutiveSuccess: 0}},
		{inconclusive, v1alpha1.MetricResult{Count: 5, Successful: 2, Failed: 1, Inconclusive: 2, Error: 4, ConsecutiveError: 0, ConsecutiveSuccess: 0}},
		{errored, v1alpha1.MetricResult{Count: 4, Successful: 2, Failed: 1, Inconclusive: 1, Error: 5, ConsecutiveError: 5, ConsecutiveSuccess: 0}},
		{running, v1alpha1.MetricResult{Count: 4, Successful: 2, Failed: 1, Inconclusive: 1, Error: 4, ConsecutiveError: 4, ConsecutiveSuccess: 2}},
	}
	for _, tc := range cases {
		t.Run(string(tc.phase), func(t *testing.T) {
			status := &v1alpha1.AnalysisRunStatus{MetricResults: []v1alpha1.MetricResult{*before.DeepCopy()}}
			RecordMeasurement(status, Outcome{Name: "m", Measurement: v1alpha1.Measurement{Phase: tc.phase, StartedAt: metaTime(t0)}}, false, t0.Add(time.Second))
			got := status.MetricResults[0]
			assert.Equal(t, []int32{tc.want.Count, tc.want.Successful, tc.want.Failed, tc.want.Inconclusive, tc.want.Error, tc.want.ConsecutiveError, tc.want.ConsecutiveSuccess},
				[]int32{got.Count, got.Successful, got.Failed, got.Inconclusive, got.Error, got.ConsecutiveError, got.ConsecutiveSuccess})
			require.Len(t, got.Measurements, 2)
			last := got.Measurements[1]
			if tc.phase.Completed() {
				require.NotNil(t, last.FinishedAt, "a completed measurement gets a finish time")
				assert.True(t, last.FinishedAt.Time.Equal(t0.Add(time.Second)))
			} else {
				assert.Nil(t, last.FinishedAt)
			}
		})
	}
}

func TestRecordMeasurementNewResultAndResume(t *testing.T) {
	status := &v1alpha1.AnalysisRunStatus{}
	RecordMeasurement(status, Outcome{Name: "m", Measurement: v1alpha1.Measurement{Phase: running, StartedAt: metaTime(t0)}, Metadata: map[string]string{"k": "v"}}, true, t0)
	require.Len(t, status.MetricResults, 1)
	r := status.MetricResults[0]
	assert.Equal(t, "m", r.Name)
	assert.Equal(t, running, r.Phase)
	assert.True(t, r.DryRun)
	assert.Equal(t, map[string]string{"k": "v"}, r.Metadata)

	in := r.Measurements[0]
	RecordMeasurement(status, Outcome{Name: "m", Task: Task{Incomplete: &in}, Measurement: done(successful), Metadata: map[string]string{"other": "x"}}, true, t0)
	r = status.MetricResults[0]
	assert.Len(t, r.Measurements, 1, "resumed in place")
	assert.Equal(t, successful, r.Measurements[0].Phase)
	assert.Equal(t, int32(1), r.Count)
	assert.Equal(t, map[string]string{"k": "v"}, r.Metadata, "metadata is set when the result is created")
}
