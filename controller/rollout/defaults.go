package rollout

import (
	"time"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Defaulted fields of the Rollout spec, as Argo's utils/defaults reads them.

func revisionHistoryLimit(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.RevisionHistoryLimit == nil {
		return defaultRevisionHistoryLimit
	}
	return *ro.Spec.RevisionHistoryLimit
}

func successfulRunHistoryLimit(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Analysis == nil || ro.Spec.Analysis.SuccessfulRunHistoryLimit == nil {
		return defaultSuccessfulRunHistoryLimit
	}
	return *ro.Spec.Analysis.SuccessfulRunHistoryLimit
}

func unsuccessfulRunHistoryLimit(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Analysis == nil || ro.Spec.Analysis.UnsuccessfulRunHistoryLimit == nil {
		return defaultUnsuccessfulRunHistoryLimit
	}
	return *ro.Spec.Analysis.UnsuccessfulRunHistoryLimit
}

func progressDeadlineSeconds(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.ProgressDeadlineSeconds != nil {
		return *ro.Spec.ProgressDeadlineSeconds
	}
	return defaultProgressDeadlineSeconds
}

// scaleDownDelay is how long an old stable stays up after promotion: only with traffic routing
// (default 30s) or blue-green; a basic canary scales old ReplicaSets down at once.
func scaleDownDelay(ro *v1alpha1.Rollout) time.Duration {
	var seconds int32
	if b := ro.Spec.Strategy.BlueGreen; b != nil {
		seconds = defaultScaleDownDelaySeconds
		if b.ScaleDownDelaySeconds != nil {
			seconds = *b.ScaleDownDelaySeconds
		}
	}
	if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil {
		seconds = defaultScaleDownDelaySeconds
		if c.ScaleDownDelaySeconds != nil {
			seconds = *c.ScaleDownDelaySeconds
		}
	}
	return time.Duration(seconds) * time.Second
}

// scaleDownRevisionLimit is how many old ReplicaSets may wait out their scale-down delay.
func scaleDownRevisionLimit(ro *v1alpha1.Rollout) int32 {
	if b := ro.Spec.Strategy.BlueGreen; b != nil && b.ScaleDownDelayRevisionLimit != nil {
		return *b.ScaleDownDelayRevisionLimit
	}
	if c := ro.Spec.Strategy.Canary; c != nil && c.ScaleDownDelayRevisionLimit != nil {
		return *c.ScaleDownDelayRevisionLimit
	}
	return 1<<31 - 1
}

var zeroDuration time.Duration

// abortScaleDownDelay is how long the canary stays up after an abort. nil means it is never scaled
// down (abortScaleDownDelaySeconds: 0); a basic canary gets zero, which scales it down at once.
// set reports whether the field was given.
func abortScaleDownDelay(ro *v1alpha1.Rollout) (delay *time.Duration, set bool) {
	var seconds *int32
	switch {
	case ro.Spec.Strategy.BlueGreen != nil:
		seconds = ro.Spec.Strategy.BlueGreen.AbortScaleDownDelaySeconds
	case ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil:
		seconds = ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds
	default:
		return &zeroDuration, false
	}
	if seconds == nil {
		d := time.Duration(defaultAbortScaleDownDelaySeconds) * time.Second
		return &d, false
	}
	if *seconds == 0 {
		return nil, true
	}
	d := time.Duration(*seconds) * time.Second
	return &d, true
}
