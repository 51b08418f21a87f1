package rollout

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// CanaryStepString describes a step the way Argo's RolloutStepCompleted event does.
func CanaryStepString(s v1alpha1.CanaryStep) string {
	switch {
	case s.SetWeight != nil:
		return "setWeight: " + strconv.Itoa(int(*s.SetWeight))
	case s.Pause != nil:
		if s.Pause.Duration != nil {
			return "pause: " + s.Pause.Duration.String()
		}
		return "pause"
	case s.Experiment != nil:
		return "experiment"
	case s.Analysis != nil:
		return "analysis"
	case s.SetCanaryScale != nil:
		switch {
		case s.SetCanaryScale.Weight != nil:
			return "setCanaryScale{weight: " + strconv.Itoa(int(*s.SetCanaryScale.Weight)) + "}"
		case s.SetCanaryScale.MatchTrafficWeight:
			return "setCanaryScale{matchTrafficWeight: true}"
		case s.SetCanaryScale.Replicas != nil:
			return "setCanaryScale{replicas: " + strconv.Itoa(int(*s.SetCanaryScale.Replicas)) + "}"
		}
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute: " + s.SetHeaderRoute.Name
	case s.SetMirrorRoute != nil:
		return "setMirrorRoute: " + s.SetMirrorRoute.Name
	}
	return stepStringInvalid
}

// PauseDuration is how long a pause step waits; ok is false for an indefinite pause ({}), which
// waits for a promote. Durations are whole seconds, as Argo truncates them.
func PauseDuration(p v1alpha1.RolloutPause) (d time.Duration, ok bool) {
	if p.Duration == nil {
		return 0, false
	}
	return time.Duration(p.DurationSeconds()) * time.Second, true
}

// isIndefiniteStep reports whether the current step (or a blue-green pause) waits on something
// other than pods, so the progress deadline does not run.
func isIndefiniteStep(ro *v1alpha1.Rollout) bool {
	if step, _, _ := currentStep(ro); step != nil && (step.Experiment != nil || step.Analysis != nil || step.Pause != nil) {
		return true
	}
	c := getCondition(&ro.Status, v1alpha1.RolloutPaused)
	return c != nil && c.Status == corev1.ConditionTrue
}

// beforeStartingStep reports whether background analysis has not reached its startingStep yet.
func beforeStartingStep(ro *v1alpha1.Rollout) bool {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.Analysis == nil || c.Analysis.StartingStep == nil {
		return false
	}
	_, index, ok := currentStep(ro)
	if !ok {
		return false
	}
	return index < *c.Analysis.StartingStep
}
