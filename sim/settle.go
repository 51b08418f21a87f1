package sim

import (
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/scenarios"
)

// isSettled says whether the run can end: the timeline is done and every rollout has settled.
func (w *World) isSettled() bool {
	if !w.timeline.done() {
		return false
	}
	for _, o := range w.store.Objects(rolloutGVK) {
		if !w.rolloutSettled(o.(*v1alpha1.Rollout)) {
			return false
		}
	}
	return true
}

// rolloutSettled: Healthy with the old revisions scaled away; Degraded with the aborted canary
// scaled down (unless its scale-down is disabled); or Paused with nothing in the timeline left to
// release it (an indefinite pause, an inconclusive analysis, or spec.paused).
func (w *World) rolloutSettled(ro *v1alpha1.Rollout) bool {
	if ro.Status.ObservedGeneration != "" && ro.Status.ObservedGeneration != itoa(ro.Generation) {
		return false
	}
	switch ro.Status.Phase {
	case v1alpha1.RolloutPhaseHealthy:
		for _, rs := range w.ownedReplicaSets(ro) {
			if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == ro.Status.StableRS {
				if rs.Status.AvailableReplicas != ptr.Deref(rs.Spec.Replicas, 1) {
					return false
				}
			} else if ptr.Deref(rs.Spec.Replicas, 1) != 0 || rs.Status.Replicas != 0 {
				return false
			}
		}
		return !w.hasRunningAnalysis(ro)
	case v1alpha1.RolloutPhaseDegraded:
		if ro.Status.Abort && !abortScaleDownDisabled(ro) {
			for _, rs := range w.ownedReplicaSets(ro) {
				if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] != ro.Status.StableRS && rs.Status.Replicas != 0 {
					return false
				}
			}
		}
		return !w.hasRunningAnalysis(ro)
	case v1alpha1.RolloutPhasePaused:
		// A running analysis (a background one, say) may still abort the paused rollout.
		return (ro.Spec.Paused || indefinitelyPaused(ro)) && !w.hasRunningAnalysis(ro)
	}
	return false
}

func indefinitelyPaused(ro *v1alpha1.Rollout) bool {
	for _, c := range ro.Status.PauseConditions {
		switch c.Reason {
		case v1alpha1.PauseReasonInconclusiveAnalysis, v1alpha1.PauseReasonInconclusiveExperiment:
			return true
		case v1alpha1.PauseReasonCanaryPauseStep:
			if cs := ro.Spec.Strategy.Canary; cs != nil && ro.Status.CurrentStepIndex != nil {
				i := int(*ro.Status.CurrentStepIndex)
				if i < len(cs.Steps) && cs.Steps[i].Pause != nil && cs.Steps[i].Pause.Duration == nil {
					return true
				}
			}
		case v1alpha1.PauseReasonBlueGreenPause:
			if bg := ro.Spec.Strategy.BlueGreen; bg != nil && bg.AutoPromotionSeconds == 0 {
				return true
			}
		}
	}
	return false
}

func abortScaleDownDisabled(ro *v1alpha1.Rollout) bool {
	if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil && c.AbortScaleDownDelaySeconds != nil {
		return *c.AbortScaleDownDelaySeconds == 0
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil && bg.AbortScaleDownDelaySeconds != nil {
		return *bg.AbortScaleDownDelaySeconds == 0
	}
	return false
}

func (w *World) ownedReplicaSets(ro *v1alpha1.Rollout) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, nn := range w.work.replicaSetsOf(ro) {
		if o := w.store.Peek(replicaSetGVK, nn); o != nil {
			out = append(out, o.(*appsv1.ReplicaSet))
		}
	}
	return out
}

func (w *World) hasRunningAnalysis(ro *v1alpha1.Rollout) bool {
	for _, o := range w.store.OwnedBy(analysisRunGVK, ro.UID) {
		if !o.(*v1alpha1.AnalysisRun).Status.Phase.Completed() {
			return true
		}
	}
	return w.runAheadOfRollout(ro)
}

// runAheadOfRollout says whether a run the Rollout follows has a phase the Rollout has not
// recorded yet: its controller is still to act on it (a failed run aborts a paused Rollout).
// In virtual time the Rollout reacts within the instant; against a real API the run's write
// and the Rollout's reaction reach the world apart.
func (w *World) runAheadOfRollout(ro *v1alpha1.Rollout) bool {
	c, bg := ro.Status.Canary, ro.Status.BlueGreen
	for _, v := range []*v1alpha1.RolloutAnalysisRunStatus{c.CurrentStepAnalysisRunStatus, c.CurrentBackgroundAnalysisRunStatus,
		bg.PrePromotionAnalysisRunStatus, bg.PostPromotionAnalysisRunStatus} {
		if v == nil || v.Name == "" {
			continue
		}
		o := w.store.Peek(analysisRunGVK, types.NamespacedName{Namespace: ro.Namespace, Name: v.Name})
		if o != nil && o.(*v1alpha1.AnalysisRun).Status.Phase != v.Status {
			return true
		}
	}
	return false
}

// hasFaults says whether the timeline injects any fault.
func (w *World) hasFaults() bool {
	for _, e := range w.sc.Spec.Timeline {
		if e.Fault != "" {
			return true
		}
	}
	return false
}

// outcome names how the run ended, from the focus rollout's final state.
func (w *World) outcome(ro *v1alpha1.Rollout) string {
	if !w.settled {
		if ro.Status.Phase == v1alpha1.RolloutPhasePaused && (ro.Spec.Paused || indefinitelyPaused(ro)) {
			return scenarios.OutcomePaused // waiting for a person, with an analysis still running
		}
		return scenarios.OutcomeRunning
	}
	switch ro.Status.Phase {
	case v1alpha1.RolloutPhasePaused:
		return scenarios.OutcomePaused
	case v1alpha1.RolloutPhaseDegraded:
		if ro.Status.Abort {
			return scenarios.OutcomeRolledBack
		}
		return scenarios.OutcomeDegraded
	case v1alpha1.RolloutPhaseHealthy:
		if w.obs.updatedHash != "" && ro.Status.StableRS != w.obs.updatedHash {
			return scenarios.OutcomeRolledBack
		}
		return scenarios.OutcomePromoted
	}
	return scenarios.OutcomeRunning
}
