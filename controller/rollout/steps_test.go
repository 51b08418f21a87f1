package rollout

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestPauseDuration(t *testing.T) {
	d := func(v intstr.IntOrString) v1alpha1.RolloutPause { return v1alpha1.RolloutPause{Duration: &v} }
	tests := []struct {
		name  string
		pause v1alpha1.RolloutPause
		want  time.Duration
		timed bool
	}{
		{"indefinite", v1alpha1.RolloutPause{}, 0, false},
		{"int seconds", d(intstr.FromInt32(30)), 30 * time.Second, true},
		{"string seconds", d(intstr.FromString("45")), 45 * time.Second, true},
		{"duration", d(intstr.FromString("30s")), 30 * time.Second, true},
		{"minutes", d(intstr.FromString("5m")), 5 * time.Minute, true},
		{"hours", d(intstr.FromString("1h")), time.Hour, true},
		{"fraction truncated", d(intstr.FromString("1.5s")), time.Second, true},
		{"garbage is already over", d(intstr.FromString("soon")), -time.Second, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, timed := PauseDuration(tc.pause)
			assert.Equal(t, tc.timed, timed)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPauseExpired(t *testing.T) {
	start := metav1.NewTime(time.Unix(1000, 0))
	assert.False(t, pauseExpired(start, 30*time.Second, time.Unix(1029, 0)))
	assert.True(t, pauseExpired(start, 30*time.Second, time.Unix(1030, 0)), "the end instant itself ends the pause")
	assert.True(t, pauseExpired(start, 30*time.Second, time.Unix(1031, 0)))
}

func TestCanaryStepString(t *testing.T) {
	d := intstr.FromString("30s")
	n := intstr.FromInt32(30)
	tests := []struct {
		step v1alpha1.CanaryStep
		want string
	}{
		{v1alpha1.CanaryStep{SetWeight: i32(20)}, "setWeight: 20"},
		{v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: &d}}, "pause: 30s"},
		{v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: &n}}, "pause: 30"},
		{v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}}, "pause"},
		{v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{}}, "analysis"},
		{v1alpha1.CanaryStep{Experiment: &v1alpha1.RolloutExperimentStep{}}, "experiment"},
		{v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Weight: i32(25)}}, "setCanaryScale{weight: 25}"},
		{v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: i32(3)}}, "setCanaryScale{replicas: 3}"},
		{v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{MatchTrafficWeight: true}}, "setCanaryScale{matchTrafficWeight: true}"},
		{v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h"}}, "setHeaderRoute: h"},
		{v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "m"}}, "setMirrorRoute: m"},
		{v1alpha1.CanaryStep{}, "invalid"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, CanaryStepString(tc.step))
	}
}

func TestCurrentStepAndStartingStep(t *testing.T) {
	ro := mathRollout(5, 20, nil, nil)
	ro.Spec.Strategy.Canary.Steps = append(ro.Spec.Strategy.Canary.Steps, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	step, index, ok := currentStep(ro)
	assert.True(t, ok)
	assert.Equal(t, int32(0), index)
	assert.NotNil(t, step.SetWeight)

	ro.Status.CurrentStepIndex = i32(2)
	step, index, ok = currentStep(ro)
	assert.True(t, ok)
	assert.Nil(t, step, "past the last step")
	assert.Equal(t, int32(2), index)

	ro.Spec.Strategy.Canary.Steps = nil
	_, _, ok = currentStep(ro)
	assert.False(t, ok)

	ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetWeight: i32(20)}, {SetWeight: i32(40)}}
	ro.Spec.Strategy.Canary.Analysis = &v1alpha1.RolloutAnalysisBackground{StartingStep: i32(1)}
	ro.Status.CurrentStepIndex = i32(0)
	assert.True(t, beforeStartingStep(ro))
	ro.Status.CurrentStepIndex = i32(1)
	assert.False(t, beforeStartingStep(ro))
}
