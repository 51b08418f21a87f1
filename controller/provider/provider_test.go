package provider

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func ptrTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}

func TestProviderTypeAndUnsupported(t *testing.T) {
	cases := []struct {
		name     string
		provider v1alpha1.MetricProvider
		wantType string
		wantErr  string
	}{
		{"prometheus", v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://p:9090"}}, TypePrometheus, ""},
		{"web", v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://x"}}, TypeWeb, ""},
		{"job without a client", v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}, TypeJob, "the job provider needs a Kubernetes client"},
		{"judge", v1alpha1.MetricProvider{Judge: &v1alpha1.JudgeMetric{Address: "http://p:9090", Metrics: []v1alpha1.JudgeQuery{{Name: "a", Canary: "c", Baseline: "b"}}}}, TypeJudge, ""},
		{"plugin", v1alpha1.MetricProvider{Plugin: map[string]json.RawMessage{"argoproj-labs/sample": json.RawMessage(`{}`)}}, TypePlugin, "metric 'm': the RPCPlugin provider is not supported by canarydrill yet"},
		{"none", v1alpha1.MetricProvider{}, TypeUnknown, "no valid provider in metric 'm'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := v1alpha1.Metric{Name: "m", Provider: tc.provider}
			assert.Equal(t, tc.wantType, Type(m))
			_, err := newFactory().NewProvider(m)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.wantErr, err.Error())
		})
	}
}

func TestErrorMeasurementKeepsFinishTime(t *testing.T) {
	earlier := virtualNow.Add(-time.Minute)
	m := ErrorMeasurement(v1alpha1.Measurement{}, assert.AnError, virtualNow)
	assert.Equal(t, v1alpha1.AnalysisPhaseError, m.Phase)
	assert.Equal(t, assert.AnError.Error(), m.Message)
	assert.True(t, m.FinishedAt.Time.Equal(virtualNow))
	m = ErrorMeasurement(v1alpha1.Measurement{FinishedAt: ptrTime(earlier)}, assert.AnError, virtualNow)
	assert.True(t, m.FinishedAt.Time.Equal(earlier))
	assert.False(t, strings.Contains(m.Message, "\n"))
}
