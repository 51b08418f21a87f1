package analysis

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

var prom = v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://p:9090", Query: "up"}}

func TestValidateMetric(t *testing.T) {
	base := func(mut func(m *v1alpha1.Metric)) v1alpha1.Metric {
		m := v1alpha1.Metric{Name: "m", Provider: prom}
		mut(&m)
		return m
	}
	cases := []struct {
		name    string
		metric  v1alpha1.Metric
		wantErr string
	}{
		{"minimal metric is valid", base(func(*v1alpha1.Metric) {}), ""},
		{"count with interval is valid", base(func(m *v1alpha1.Metric) { m.Count, m.Interval = intOrStr(5), "30s" }), ""},
		{"negative consecutiveSuccessLimit", base(func(m *v1alpha1.Metric) { m.ConsecutiveSuccessLimit = intOrStr(-1) }), "consecutiveSuccessLimit must be >= 0"},
		{"failureLimit below -1", base(func(m *v1alpha1.Metric) { m.FailureLimit = intOrStr(-2) }), "failureLimit must be >= 0, or -1 to be disabled"},
		{"failureLimit -1 needs consecutiveSuccessLimit", base(func(m *v1alpha1.Metric) { m.FailureLimit = intOrStr(-1) }), "failureLimit and consecutiveSuccessLimit cannot both be disabled"},
		{"failureLimit -1 with consecutiveSuccessLimit is valid", base(func(m *v1alpha1.Metric) {
			m.FailureLimit, m.ConsecutiveSuccessLimit = intOrStr(-1), intOrStr(2)
		}), ""},
		{"negative inconclusiveLimit", base(func(m *v1alpha1.Metric) { m.InconclusiveLimit = intOrStr(-1) }), "inconclusiveLimit must be >= 0"},
		{"negative consecutiveErrorLimit", base(func(m *v1alpha1.Metric) { m.ConsecutiveErrorLimit = intOrStr(-1) }), "consecutiveErrorLimit must be >= 0"},
		{"count below failureLimit + consecutiveSuccessLimit", base(func(m *v1alpha1.Metric) {
			m.Count, m.Interval, m.FailureLimit, m.ConsecutiveSuccessLimit = intOrStr(3), "1m", intOrStr(2), intOrStr(2)
		}), "count (3) must be >= failureLimit + consecutiveSuccessLimit (2 + 2) if both >= 0"},
		{"count below failureLimit", base(func(m *v1alpha1.Metric) { m.Count, m.Interval, m.FailureLimit = intOrStr(2), "1m", intOrStr(3) }),
			"count (2) must be >= failureLimit + consecutiveSuccessLimit (3 + 0) if both >= 0"},
		{"count below consecutiveSuccessLimit without failureLimit", base(func(m *v1alpha1.Metric) {
			m.Count, m.Interval, m.FailureLimit, m.ConsecutiveSuccessLimit = intOrStr(2), "1m", intOrStr(-1), intOrStr(3)
		}), "count must be >= consecutiveSuccessLimit"},
		{"count below inconclusiveLimit", base(func(m *v1alpha1.Metric) { m.Count, m.Interval, m.InconclusiveLimit = intOrStr(2), "1m", intOrStr(3) }),
			"count must be >= inconclusiveLimit"},
		{"count > 1 needs an interval", base(func(m *v1alpha1.Metric) { m.Count = intOrStr(2) }), "interval must be specified when count > 1"},
		{"bad interval", base(func(m *v1alpha1.Metric) { m.Interval = "often" }), `invalid interval string: time: invalid duration "often"`},
		{"bad initialDelay", base(func(m *v1alpha1.Metric) { m.InitialDelay = "soon" }), `invalid startDelay string: time: invalid duration "soon"`},
		{"no provider", base(func(m *v1alpha1.Metric) { m.Provider = v1alpha1.MetricProvider{} }), "no provider specified"},
		{"two providers", base(func(m *v1alpha1.Metric) { m.Provider.Web = &v1alpha1.WebMetric{URL: "http://x"} }), "multiple providers specified"},
		{"string count", base(func(m *v1alpha1.Metric) { c := intstr.FromString("3"); m.Count = &c }), "interval must be specified when count > 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateMetric(tc.metric)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.wantErr, err.Error())
		})
	}
}

func TestValidateMetrics(t *testing.T) {
	require.EqualError(t, ValidateMetrics(nil), "no metrics specified")
	require.EqualError(t, ValidateMetrics([]v1alpha1.Metric{{Name: "a", Provider: prom}, {Name: "a", Provider: prom}}), "metrics[1]: duplicate name 'a'")
	require.EqualError(t, ValidateMetrics([]v1alpha1.Metric{{Name: "a", Provider: prom}, {Name: "b"}}), "metrics[1]: no provider specified")
	require.NoError(t, ValidateMetrics([]v1alpha1.Metric{{Name: "a", Provider: prom}, {Name: "b", Provider: prom}}))
}

func TestDryRunMetrics(t *testing.T) {
	metrics := []v1alpha1.Metric{{Name: "success-rate"}, {Name: "latency-p99"}, {Name: "error-rate"}}
	cases := []struct {
		name    string
		rules   []string
		want    map[string]bool
		wantErr string
	}{
		{"none", nil, map[string]bool{}, ""},
		{"exact name", []string{"latency-p99"}, map[string]bool{"latency-p99": true}, ""},
		{"unanchored", []string{"rate"}, map[string]bool{"success-rate": true, "error-rate": true}, ""},
		{"all with .*", []string{".*"}, map[string]bool{"success-rate": true, "latency-p99": true, "error-rate": true}, ""},
		{"'*' is not a valid expression and matches nothing", []string{"*"}, nil, "dryRun[0]: Rule didn't match any metric name(s)"},
		{"a rule matching nothing", []string{"latency", "cpu"}, nil, "dryRun[1]: Rule didn't match any metric name(s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rules []v1alpha1.DryRun
			for _, r := range tc.rules {
				rules = append(rules, v1alpha1.DryRun{MetricName: r})
			}
			got, err := DryRunMetrics(rules, metrics)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tc.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestRetentionMetrics(t *testing.T) {
	metrics := []v1alpha1.Metric{{Name: "success-rate"}, {Name: "error-rate"}}
	got, err := RetentionMetrics([]v1alpha1.MeasurementRetention{{MetricName: "rate", Limit: 20}, {MetricName: "^error", Limit: 5}}, metrics)
	require.NoError(t, err)
	assert.Equal(t, 20, RetentionLimit("success-rate", got))
	assert.Equal(t, 5, RetentionLimit("error-rate", got), "the last matching rule wins")
	assert.Equal(t, DefaultMeasurementHistoryLimit, RetentionLimit("other", got))
	zero, err := RetentionMetrics([]v1alpha1.MeasurementRetention{{MetricName: "success", Limit: 0}}, metrics)
	require.NoError(t, err)
	assert.Equal(t, 10, RetentionLimit("success-rate", zero), "a zero limit means the default")
	_, err = RetentionMetrics([]v1alpha1.MeasurementRetention{{MetricName: "cpu", Limit: 3}}, metrics)
	require.EqualError(t, err, "measurementRetention[0]: Rule didn't match any metric name(s)")
}
