package rollout

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Rollout conditions, with Argo's rules for when a condition counts as changed (utils/conditions).

func newCondition(t v1alpha1.RolloutConditionType, status corev1.ConditionStatus, reason, message string, now metav1.Time) v1alpha1.RolloutCondition {
	return v1alpha1.RolloutCondition{
		Type:               t,
		Status:             status,
		LastUpdateTime:     now,
		LastTransitionTime: now,
		Reason:             reason,
		Message:            message,
	}
}

// getCondition returns the condition of type t; callers must not modify it.
func getCondition(status *v1alpha1.RolloutStatus, t v1alpha1.RolloutConditionType) *v1alpha1.RolloutCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

// setCondition puts c into status unless a condition of its type already has its status and
// reason (then it returns false and changes nothing). The last transition time is kept while the
// status stays the same. The slice is replaced, never written in place, so shallow copies of a
// status stay intact.
func setCondition(status *v1alpha1.RolloutStatus, c v1alpha1.RolloutCondition) bool {
	cur := getCondition(status, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return false
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	status.Conditions = append(withoutCondition(status.Conditions, c.Type), c)
	return true
}

// conditionDiffers reports whether setCondition with this status and reason would change status;
// it lets callers skip formatting a message that would not be used.
func conditionDiffers(status *v1alpha1.RolloutStatus, t v1alpha1.RolloutConditionType, st corev1.ConditionStatus, reason string) bool {
	cur := getCondition(status, t)
	return cur == nil || cur.Status != st || cur.Reason != reason
}

func removeCondition(status *v1alpha1.RolloutStatus, t v1alpha1.RolloutConditionType) {
	if getCondition(status, t) != nil {
		status.Conditions = withoutCondition(status.Conditions, t)
	}
}

func withoutCondition(conds []v1alpha1.RolloutCondition, t v1alpha1.RolloutConditionType) []v1alpha1.RolloutCondition {
	var out []v1alpha1.RolloutCondition
	for _, c := range conds {
		if c.Type != t {
			out = append(out, c)
		}
	}
	return out
}

// rolloutProgressing reports progress between the stored status and the new one: pods updated,
// old pods gone, more ready or available pods, or (canary) a new stable, step or step list.
func rolloutProgressing(ro *v1alpha1.Rollout, next *v1alpha1.RolloutStatus) bool {
	old := &ro.Status
	strategyProgress := false
	if ro.Spec.Strategy.BlueGreen != nil {
		strategyProgress = old.BlueGreen.ActiveSelector != next.BlueGreen.ActiveSelector ||
			old.BlueGreen.PreviewSelector != next.BlueGreen.PreviewSelector
	}
	if ro.Spec.Strategy.Canary != nil {
		stepChanged := next.CurrentStepIndex != nil && old.CurrentStepIndex != nil && *next.CurrentStepIndex != *old.CurrentStepIndex
		strategyProgress = next.StableRS != old.StableRS || stepChanged || next.CurrentStepHash != old.CurrentStepHash
	}
	return next.UpdatedReplicas != old.UpdatedReplicas ||
		next.Replicas-next.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		next.ReadyReplicas > old.ReadyReplicas ||
		next.AvailableReplicas > old.AvailableReplicas ||
		strategyProgress
}

// rolloutHealthy reports whether every desired pod is updated and available, the spec generation
// was observed, and (canary) all steps ran, the desired ReplicaSet is stable and old pods are gone.
func rolloutHealthy(ro *v1alpha1.Rollout, next *v1alpha1.RolloutStatus) bool {
	replicas := replicasOrDefault(ro.Spec.Replicas)
	completed := true
	if b := ro.Spec.Strategy.BlueGreen; b != nil {
		preview := b.PreviewService == "" || next.BlueGreen.PreviewSelector == next.CurrentPodHash
		completed = next.BlueGreen.ActiveSelector == next.CurrentPodHash && preview
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		allSteps := true
		if len(c.Steps) > 0 && next.CurrentStepIndex != nil {
			allSteps = int32(len(c.Steps)) == *next.CurrentStepIndex
		}
		stable := next.StableRS != "" && next.StableRS == next.CurrentPodHash
		completed = allSteps && stable && next.Replicas == replicas
	}
	return next.UpdatedReplicas == replicas &&
		next.AvailableReplicas == replicas &&
		ro.Status.ObservedGeneration == strconv.FormatInt(ro.Generation, 10) &&
		completed
}

// rolloutCompleted reports whether the desired ReplicaSet is the stable one.
func rolloutCompleted(s *v1alpha1.RolloutStatus) bool {
	return s.StableRS != "" && s.StableRS == s.CurrentPodHash
}

// rolloutTimedOut reports whether the Progressing condition already says the deadline passed, or
// was last updated more than progressDeadlineSeconds before now. An aborted or paused rollout
// never times out.
func rolloutTimedOut(ro *v1alpha1.Rollout, next *v1alpha1.RolloutStatus, now time.Time) bool {
	c := getCondition(next, v1alpha1.RolloutProgressing)
	if c == nil || c.Reason == ReasonRolloutAborted || c.Reason == ReasonRolloutPaused {
		return false
	}
	if c.Reason == ReasonProgressDeadlineExceeded {
		return true
	}
	deadline := c.LastUpdateTime.Add(time.Duration(progressDeadlineSeconds(ro)) * time.Second)
	return deadline.Before(now)
}
