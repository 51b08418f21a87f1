package rollout

import (
	"fmt"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Promotion: when the desired ReplicaSet becomes the stable one (Argo's shouldFullPromote and
// promoteStable in rollout/sync.go).

// shouldFullPromote returns why the desired ReplicaSet should become stable now, or "" while the
// update is still under way. The order of the checks is Argo's.
func (c *rolloutContext) shouldFullPromote() string {
	if c.stableRS == nil {
		return PromoteReasonInitialDeploy
	}
	if c.pause.isAborted() {
		return ""
	}
	// The canary must have every desired pod available; more than desired (after a scale-down of
	// the Rollout) is fine.
	if c.newRS == nil || c.newRS.Status.AvailableReplicas < replicasOrDefault(c.ro.Spec.Replicas) {
		return ""
	}
	if c.ro.Status.PromoteFull {
		return PromoteReasonFull
	}
	if c.isRollbackWithinWindow() {
		return PromoteReasonRollbackWindow
	}
	steps := len(c.ro.Spec.Strategy.Canary.Steps)
	_, index, hasSteps := currentStep(c.ro)
	if steps == 0 || (hasSteps && int(index) == steps) {
		return fmt.Sprintf(PromoteReasonCompletedStepsF, steps)
	}
	return ""
}

// promoteStable marks the desired ReplicaSet stable, clears pauses and abort and emits
// RolloutCompleted when the stable changed.
func (c *rolloutContext) promoteStable(s *v1alpha1.RolloutStatus, reason string) {
	c.pause.clearPauseConditions()
	c.pause.unabort()
	s.PromoteFull = false
	s.BlueGreen.ScaleUpPreviewCheckPoint = false
	if n := int32(len(c.ro.Spec.Strategy.Canary.Steps)); n > 0 {
		s.CurrentStepIndex = int32Ptr(n)
	} else {
		s.CurrentStepIndex = nil
	}
	if s.StableRS != s.CurrentPodHash {
		s.StableRS = s.CurrentPodHash
		c.plan.eventf(ReasonRolloutCompleted, MsgRolloutCompleted, revisionNumber(c.ro), s.CurrentPodHash, reason)
	}
}

// isRollbackWithinWindow reports an update back to a ReplicaSet older than the stable, with fewer
// than rollbackWindow.revisions ReplicaSets in between.
func (c *rolloutContext) isRollbackWithinWindow() bool {
	if c.newRS == nil || c.stableRS == nil {
		return false
	}
	if !c.newRS.CreationTimestamp.Before(&c.stableRS.CreationTimestamp) {
		return false
	}
	w := c.ro.Spec.RollbackWindow
	if w == nil || w.Revisions <= 0 {
		return false
	}
	var between int32
	for _, rs := range c.allRSs {
		if rs.Annotations[annotationExperimentName] != "" {
			continue
		}
		if rs.CreationTimestamp.Before(&c.stableRS.CreationTimestamp) && c.newRS.CreationTimestamp.Before(&rs.CreationTimestamp) {
			between++
		}
	}
	return between < w.Revisions
}
