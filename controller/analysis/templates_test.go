package analysis

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func template(name string, spec v1alpha1.AnalysisTemplateSpec) *v1alpha1.AnalysisTemplate {
	return &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: spec}
}

func clusterTemplate(name string, spec v1alpha1.AnalysisTemplateSpec) *v1alpha1.ClusterAnalysisTemplate {
	return &v1alpha1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

func TestNewRunFromTemplates(t *testing.T) {
	successRate := template("success-rate", v1alpha1.AnalysisTemplateSpec{
		Args:    []v1alpha1.Argument{{Name: "service"}, arg("threshold", "0.95")},
		Metrics: []v1alpha1.Metric{{Name: "success-rate", Provider: prom}},
		DryRun:  []v1alpha1.DryRun{{MetricName: "success-rate"}},
	})
	latency := clusterTemplate("latency", v1alpha1.AnalysisTemplateSpec{
		Args:                 []v1alpha1.Argument{{Name: "service"}},
		Metrics:              []v1alpha1.Metric{{Name: "latency", Provider: prom}},
		MeasurementRetention: []v1alpha1.MeasurementRetention{{MetricName: "latency", Limit: 3}},
	})
	run, err := NewRunFromTemplates(
		[]*v1alpha1.AnalysisTemplate{successRate}, []*v1alpha1.ClusterAnalysisTemplate{latency},
		[]v1alpha1.Argument{arg("service", "canary"), arg("undeclared", "x")},
		[]v1alpha1.DryRun{{MetricName: "latency"}},
		[]v1alpha1.MeasurementRetention{{MetricName: "success-rate", Limit: 20}},
		map[string]string{"l": "1"}, map[string]string{"a": "2"}, "guestbook-6c5f-2-1", "", "default")
	require.NoError(t, err)
	assert.Equal(t, "guestbook-6c5f-2-1", run.Name)
	assert.Equal(t, "default", run.Namespace)
	assert.Equal(t, map[string]string{"l": "1"}, run.Labels)
	assert.Equal(t, map[string]string{"a": "2"}, run.Annotations)
	assert.Equal(t, []string{"success-rate", "latency"}, []string{run.Spec.Metrics[0].Name, run.Spec.Metrics[1].Name})
	assert.Equal(t, []v1alpha1.Argument{arg("service", "canary"), arg("threshold", "0.95")}, run.Spec.Args)
	assert.Equal(t, []v1alpha1.DryRun{{MetricName: "latency"}, {MetricName: "success-rate"}}, run.Spec.DryRun, "the rollout's rules come first")
	assert.Equal(t, []v1alpha1.MeasurementRetention{{MetricName: "success-rate", Limit: 20}, {MetricName: "latency", Limit: 3}}, run.Spec.MeasurementRetention)
}

func TestNewRunFromTemplatesErrors(t *testing.T) {
	m := []v1alpha1.Metric{{Name: "m", Provider: prom}}
	cases := []struct {
		name      string
		templates []*v1alpha1.AnalysisTemplate
		cluster   []*v1alpha1.ClusterAnalysisTemplate
		args      []v1alpha1.Argument
		dryRun    []v1alpha1.DryRun
		want      string
	}{
		{"duplicate metric names across templates",
			[]*v1alpha1.AnalysisTemplate{template("a", v1alpha1.AnalysisTemplateSpec{Metrics: m})},
			[]*v1alpha1.ClusterAnalysisTemplate{clusterTemplate("b", v1alpha1.AnalysisTemplateSpec{Metrics: m})},
			nil, nil, "two metrics have the same name 'm'"},
		{"same argument with two values",
			[]*v1alpha1.AnalysisTemplate{
				template("a", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{arg("x", "1")}}),
				template("b", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{arg("x", "2")}}),
			}, nil, nil, nil, "Argument `x` specified multiple times with different values: '1', '2'"},
		{"required argument missing",
			[]*v1alpha1.AnalysisTemplate{template("a", v1alpha1.AnalysisTemplateSpec{Metrics: m, Args: []v1alpha1.Argument{{Name: "service"}}})},
			nil, nil, nil, "args.service was not resolved"},
		{"duplicate dry-run rule in templates",
			[]*v1alpha1.AnalysisTemplate{
				template("a", v1alpha1.AnalysisTemplateSpec{DryRun: []v1alpha1.DryRun{{MetricName: "m"}}}),
				template("b", v1alpha1.AnalysisTemplateSpec{DryRun: []v1alpha1.DryRun{{MetricName: "m"}}}),
			}, nil, nil, nil, "two Dry-Run metric rules have the same name 'm'"},
		{"duplicate dry-run rule between rollout and template",
			[]*v1alpha1.AnalysisTemplate{template("a", v1alpha1.AnalysisTemplateSpec{Metrics: m, DryRun: []v1alpha1.DryRun{{MetricName: "m"}}})},
			nil, nil, []v1alpha1.DryRun{{MetricName: "m"}}, "two Dry-Run metric rules have the same name 'm'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRunFromTemplates(tc.templates, tc.cluster, tc.args, tc.dryRun, nil, nil, nil, "r", "", "default")
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestFlattenTemplatesArgs(t *testing.T) {
	flat, err := FlattenTemplates([]*v1alpha1.AnalysisTemplate{
		template("a", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "x"}, arg("y", "1")}}),
		template("b", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{arg("x", "2"), {Name: "y"}, arg("y", "1")}}),
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, []v1alpha1.Argument{arg("x", "2"), arg("y", "1")}, flat.Args, "a value fills an absent one and is never lost")
}

func TestResolveTemplateRefs(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(
		template("top", v1alpha1.AnalysisTemplateSpec{
			Metrics:   []v1alpha1.Metric{{Name: "top", Provider: prom}},
			Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "shared"}, {TemplateName: "cluster-latency", ClusterScope: ptr.To(true)}},
		}),
		template("shared", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{Name: "shared", Provider: prom}}}),
		template("other", v1alpha1.AnalysisTemplateSpec{
			Metrics:   []v1alpha1.Metric{{Name: "other", Provider: prom}},
			Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "shared"}},
		}),
		clusterTemplate("cluster-latency", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{Name: "latency", Provider: prom}}}),
		template("loop-a", v1alpha1.AnalysisTemplateSpec{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "loop-b"}}}),
		template("loop-b", v1alpha1.AnalysisTemplateSpec{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "loop-a"}}}),
	).Build()

	templates, cluster, err := ResolveTemplateRefs(ctx, c, "default", []v1alpha1.AnalysisTemplateRef{{TemplateName: "top"}, {TemplateName: "other"}})
	require.NoError(t, err)
	var names []string
	for _, tpl := range templates {
		names = append(names, tpl.Name)
	}
	assert.Equal(t, []string{"top", "shared", "other"}, names, "included templates follow their includer; duplicates kept once")
	require.Len(t, cluster, 1)
	assert.Equal(t, "cluster-latency", cluster[0].Name)

	run, err := NewRunFromTemplates(templates, cluster, nil, nil, nil, nil, nil, "r", "", "default")
	require.NoError(t, err)
	assert.Len(t, run.Spec.Metrics, 4)

	_, _, err = ResolveTemplateRefs(ctx, c, "default", []v1alpha1.AnalysisTemplateRef{{TemplateName: "missing"}})
	assert.True(t, apierrors.IsNotFound(err), "%v", err)

	_, _, err = ResolveTemplateRefs(ctx, c, "default", []v1alpha1.AnalysisTemplateRef{{TemplateName: "loop-a"}})
	require.Error(t, err)
	assert.Equal(t, `analysis template "loop-a" includes itself through loop-a -> loop-b -> loop-a`, err.Error())
}
