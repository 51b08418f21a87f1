package analysis

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/utils/ptr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func arg(name, value string) v1alpha1.Argument {
	return v1alpha1.Argument{Name: name, Value: ptr.To(value)}
}

func TestSubstitute(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		args    []v1alpha1.Argument
		want    string
		wantErr string
	}{
		{"no tags", "up", nil, "up", ""},
		{"one tag", `rate(x{svc="{{args.service}}"}[1m])`, []v1alpha1.Argument{arg("service", "canary")}, `rate(x{svc="canary"}[1m])`, ""},
		{"spaces inside braces", "{{ args.service }}-{{args.service}}", []v1alpha1.Argument{arg("service", "a")}, "a-a", ""},
		{"unknown tag: last one reported", "{{args.a}} {{args.b}}", nil, "", "failed to resolve {{args.b}}"},
		{"tag not in args namespace", "{{service}}", []v1alpha1.Argument{arg("service", "a")}, "", "failed to resolve {{service}}"},
		{"argument without value", "x", []v1alpha1.Argument{{Name: "service"}}, "", `argument "service" was not supplied`},
		{"no closing braces", "test-{{args.var", []v1alpha1.Argument{arg("var", "a")}, "",
			`Cannot find end tag="}}" in the template="test-{{args.var" starting from "args.var"`},
		{"no closing braces is reported before a missing value", "{{args.a}} {{args.b", []v1alpha1.Argument{{Name: "a"}}, "",
			`Cannot find end tag="}}" in the template="{{args.a}} {{args.b" starting from "args.b"`},
		{"argument without value is reported before an unknown tag", "{{args.zzz}}", []v1alpha1.Argument{{Name: "a"}}, "",
			`argument "a" was not supplied`},
		{"a value holding braces is not parsed again", "{{args.a}}", []v1alpha1.Argument{arg("a", "{{args.b}}")}, "{{args.b}}", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Substitute(tc.text, tc.args)
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

func TestResolveMetricArgsTemplatesTheWholeMetric(t *testing.T) {
	m := v1alpha1.Metric{
		Name:             "success-rate",
		Interval:         "{{args.interval}}",
		Count:            ptrIntStr("{{args.count}}"),
		SuccessCondition: "result[0] >= {{args.threshold}}",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
			Address: "http://{{args.prom}}:9090",
			Query:   `sum(rate(http_requests_total{service="{{args.service}}",code!~"5.."}[1m]))`,
			Headers: []v1alpha1.WebMetricHeader{{Key: "X-Tenant", Value: "{{args.tenant}}"}},
		}},
	}
	args := []v1alpha1.Argument{
		arg("interval", "30s"), arg("count", "5"), arg("threshold", "0.95"), arg("prom", "prometheus.monitoring"),
		arg("service", `canary "quoted"`+"\n"), arg("tenant", "t-1"),
	}
	got, err := ResolveMetricArgs(m, args)
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.DurationString("30s"), got.Interval)
	assert.Equal(t, 5, got.Count.IntValue())
	assert.Equal(t, "result[0] >= 0.95", got.SuccessCondition)
	assert.Equal(t, "http://prometheus.monitoring:9090", got.Provider.Prometheus.Address)
	assert.Equal(t, `sum(rate(http_requests_total{service="canary "quoted"`+"\n"+`",code!~"5.."}[1m]))`, got.Provider.Prometheus.Query)
	assert.Equal(t, "t-1", got.Provider.Prometheus.Headers[0].Value)
	assert.Contains(t, m.Provider.Prometheus.Query, "{{args.service}}", "the input metric is not changed")
}

func TestResolveMetrics(t *testing.T) {
	metrics := []v1alpha1.Metric{{Name: "m", Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "{{args.q}} {{args.token}}"}}}}
	secret := v1alpha1.Argument{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}}

	got, err := ResolveMetrics(metrics, []v1alpha1.Argument{arg("q", "up"), secret})
	require.NoError(t, err)
	assert.Equal(t, "up temp-for-secret", got[0].Provider.Prometheus.Query, "secrets are never read to resolve for display")

	_, err = ResolveMetrics(metrics, []v1alpha1.Argument{{Name: "q"}, secret})
	require.Error(t, err)
	assert.Equal(t, `argument "q" was not supplied`, err.Error())

	_, err = ResolveMetrics(metrics, []v1alpha1.Argument{secret})
	require.Error(t, err)
	assert.Equal(t, "failed to resolve {{args.q}}", err.Error())
}

func TestMergeArgs(t *testing.T) {
	secretFrom := &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}
	cases := []struct {
		name     string
		incoming []v1alpha1.Argument
		declared []v1alpha1.Argument
		want     []v1alpha1.Argument
		wantErr  string
	}{
		{"incoming value overrides a declared default", []v1alpha1.Argument{arg("service", "canary")}, []v1alpha1.Argument{arg("service", "stable")},
			[]v1alpha1.Argument{arg("service", "canary")}, ""},
		{"incoming value fills a required argument", []v1alpha1.Argument{arg("service", "canary")}, []v1alpha1.Argument{{Name: "service"}},
			[]v1alpha1.Argument{arg("service", "canary")}, ""},
		{"undeclared incoming argument is dropped", []v1alpha1.Argument{arg("service", "canary"), arg("extra", "x")}, []v1alpha1.Argument{{Name: "service"}},
			[]v1alpha1.Argument{arg("service", "canary")}, ""},
		{"declared default kept when not passed", nil, []v1alpha1.Argument{arg("threshold", "0.95")},
			[]v1alpha1.Argument{arg("threshold", "0.95")}, ""},
		{"incoming valueFrom fills a required argument", []v1alpha1.Argument{{Name: "token", ValueFrom: secretFrom}}, []v1alpha1.Argument{{Name: "token"}},
			[]v1alpha1.Argument{{Name: "token", ValueFrom: secretFrom}}, ""},
		{"required argument not passed", []v1alpha1.Argument{arg("other", "x")}, []v1alpha1.Argument{{Name: "service"}},
			nil, "args.service was not resolved"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MergeArgs(tc.incoming, tc.declared)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tc.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	declared := []v1alpha1.Argument{arg("service", "stable")}
	_, _ = MergeArgs([]v1alpha1.Argument{arg("service", "canary")}, declared)
	assert.Equal(t, "stable", *declared[0].Value, "the template's arguments are not changed")
}
