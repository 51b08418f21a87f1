package rollout

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func strPtr(s string) *string { return &s }

func TestBuildAnalysisArgs(t *testing.T) {
	ro := seedRollout()
	ro.Labels = map[string]string{"team": "payments", "tier": "web"}
	ro.Annotations = map[string]string{"owner": "ops"}
	latest, stable := v1alpha1.Latest, v1alpha1.Stable
	newRS, stableRS := mathRS("newhash", 1, 1), mathRS("stablehash", 4, 4)
	field := func(path string) *v1alpha1.ArgumentValueFrom {
		return &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: path}}
	}
	tests := []struct {
		name    string
		arg     v1alpha1.AnalysisRunArgument
		want    string
		wantErr string
	}{
		{name: "literal", arg: v1alpha1.AnalysisRunArgument{Name: "a", Value: "demo-app"}, want: "demo-app"},
		{name: "latest hash", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: &latest}}, want: "newhash"},
		{name: "stable hash", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: &stable}}, want: "stablehash"},
		{name: "name", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("metadata.name")}, want: "demo-app"},
		{name: "namespace", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("metadata.namespace")}, want: "lab"},
		{name: "one label", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("metadata.labels['team']")}, want: "payments"},
		{name: "one annotation", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("metadata.annotations['owner']")}, want: "ops"},
		{name: "all labels", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("metadata.labels")}, want: "team=\"payments\"\ntier=\"web\""},
		{name: "spec path", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("spec.template.spec.containers[0].image")}, want: "hashicorp/http-echo:0.2.3"},
		{name: "spec number", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("spec.replicas")}, want: "5"},
		{name: "unsupported metadata", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("metadata.generation")}, wantErr: "unsupported fieldPath: metadata.generation"},
		{name: "path to an object", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("spec.selector")}, wantErr: "path spec.selector in rollout must terminate in a primitive value"},
		{name: "missing path", arg: v1alpha1.AnalysisRunArgument{Name: "a", ValueFrom: field("spec.nothing")}, wantErr: "invalid path spec.nothing in rollout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args, err := BuildAnalysisArgs([]v1alpha1.AnalysisRunArgument{tc.arg}, stableRS, newRS, ro)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, args, 1)
			assert.Equal(t, "a", args[0].Name)
			assert.Equal(t, tc.want, *args[0].Value)
		})
	}
}

func TestBuildRunFromTemplates(t *testing.T) {
	t1 := &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "t1"}, Spec: v1alpha1.AnalysisTemplateSpec{
		Args:    []v1alpha1.Argument{{Name: "service-name"}, {Name: "threshold", Value: strPtr("0.95")}},
		Metrics: []v1alpha1.Metric{{Name: "success-rate"}},
		DryRun:  []v1alpha1.DryRun{{MetricName: "latency"}},
	}}
	t2 := &v1alpha1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "t2"}, Spec: v1alpha1.AnalysisTemplateSpec{
		Args:    []v1alpha1.Argument{{Name: "service-name"}},
		Metrics: []v1alpha1.Metric{{Name: "latency"}},
	}}
	run, err := newRunFromTemplates([]*v1alpha1.AnalysisTemplate{t1}, []*v1alpha1.ClusterAnalysisTemplate{t2},
		[]v1alpha1.Argument{{Name: "service-name", Value: strPtr("demo-app")}, {Name: "unknown", Value: strPtr("x")}},
		[]v1alpha1.DryRun{{MetricName: "success-rate"}}, nil,
		map[string]string{"l": "1"}, map[string]string{"a": "2"}, "run", "", "lab")
	require.NoError(t, err)
	assert.Equal(t, "run", run.Name)
	assert.Equal(t, "lab", run.Namespace)
	assert.Equal(t, []string{"success-rate", "latency"}, []string{run.Spec.Metrics[0].Name, run.Spec.Metrics[1].Name})
	require.Len(t, run.Spec.Args, 2, "arguments the templates do not declare are dropped")
	assert.Equal(t, "demo-app", *run.Spec.Args[0].Value)
	assert.Equal(t, "0.95", *run.Spec.Args[1].Value)
	assert.Equal(t, []v1alpha1.DryRun{{MetricName: "success-rate"}, {MetricName: "latency"}}, run.Spec.DryRun)

	_, err = newRunFromTemplates([]*v1alpha1.AnalysisTemplate{t1}, nil, nil, nil, nil, nil, nil, "run", "", "lab")
	assert.EqualError(t, err, "args.service-name was not resolved")

	dup := &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "dup"}, Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{Name: "success-rate"}}}}
	_, err = newRunFromTemplates([]*v1alpha1.AnalysisTemplate{t1, dup}, nil, []v1alpha1.Argument{{Name: "service-name", Value: strPtr("x")}}, nil, nil, nil, nil, "run", "", "lab")
	assert.EqualError(t, err, "two metrics have the same name 'success-rate'")

	clash := &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "clash"}, Spec: v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "threshold", Value: strPtr("0.9")}}}}
	_, err = newRunFromTemplates([]*v1alpha1.AnalysisTemplate{t1, clash}, nil, []v1alpha1.Argument{{Name: "service-name", Value: strPtr("x")}}, nil, nil, nil, nil, "run", "", "lab")
	assert.EqualError(t, err, "Argument `threshold` specified multiple times with different values: '0.95', '0.9'")
}

func TestNeedsNewAnalysisRun(t *testing.T) {
	run := func(phase v1alpha1.AnalysisPhase) *v1alpha1.AnalysisRun {
		return &v1alpha1.AnalysisRun{Status: v1alpha1.AnalysisRunStatus{Phase: phase}}
	}
	ro := seedRollout()
	assert.True(t, needsNewAnalysisRun(nil, ro), "no run yet")
	assert.False(t, needsNewAnalysisRun(run(v1alpha1.AnalysisPhaseRunning), ro))

	ro.Status.AbortedAt = &metav1.Time{Time: time.Unix(1, 0)}
	assert.True(t, needsNewAnalysisRun(run(v1alpha1.AnalysisPhaseFailed), ro), "retried after an abort")

	ro.Status.AbortedAt = nil
	ro.Status.ControllerPause = true
	assert.True(t, needsNewAnalysisRun(run(v1alpha1.AnalysisPhaseInconclusive), ro), "promoted after an inconclusive pause")
	assert.False(t, needsNewAnalysisRun(run(v1alpha1.AnalysisPhaseRunning), ro))
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}
	assert.False(t, needsNewAnalysisRun(run(v1alpha1.AnalysisPhaseInconclusive), ro), "paused at a pause step")
}

func TestRunsToDelete(t *testing.T) {
	at := func(name, hash string, phase v1alpha1.AnalysisPhase, sec int64) *v1alpha1.AnalysisRun {
		ar := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(time.Unix(sec, 0))}}
		if hash != "" {
			ar.Labels = map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash}
		}
		ar.Status.Phase = phase
		return ar
	}
	rss := []*appsv1.ReplicaSet{mathRS("a", 0, 0), mathRS("b", 5, 5)}
	ars := []*v1alpha1.AnalysisRun{
		at("no-hash", "", v1alpha1.AnalysisPhaseSuccessful, 1),
		at("gone", "zzz", v1alpha1.AnalysisPhaseSuccessful, 2),
		at("ok-old", "a", v1alpha1.AnalysisPhaseSuccessful, 3),
		at("ok-new", "b", v1alpha1.AnalysisPhaseSuccessful, 4),
		at("bad-old", "a", v1alpha1.AnalysisPhaseFailed, 5),
		at("bad-new", "b", v1alpha1.AnalysisPhaseError, 6),
		at("running", "b", v1alpha1.AnalysisPhaseRunning, 7),
	}
	var names []string
	for _, ar := range runsToDelete(ars, rss, 1, 1) {
		names = append(names, ar.Name)
	}
	assert.Equal(t, []string{"bad-old", "ok-old", "gone", "no-hash"}, names, "newest first; one successful and one unsuccessful kept")
}
