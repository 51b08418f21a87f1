package rollout

import (
	"fmt"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Promotion: when the desired ReplicaSet becomes the stable one (Argo's shouldFullPromote and
// promoteStable in rollout/sync.go).

// shouldFullPromote returns why the desired ReplicaSet should become stable now, or "" while the
// update is still under way. The order of the checks is Argo's.
func (c *rolloutContext) shouldFullPromote(s *v1alpha1.RolloutStatus) string {
	if c.stableRS == nil {
		return PromoteReasonInitialDeploy
	}
	if c.ro.Spec.Strategy.Canary != nil {
		return c.shouldFullPromoteCanary()
	}
	return c.shouldFullPromoteBlueGreen(s)
}

func (c *rolloutContext) shouldFullPromoteCanary() string {
	if c.pause.isAborted() {
		return ""
	}
	// The canary must have every desired pod available; more than desired (after a scale-down of
	// the Rollout) is fine.
	replicas := replicasOrDefault(c.ro.Spec.Replicas)
	if c.newRS == nil || (c.newRS.Status.AvailableReplicas < replicas &&
		!ReplicaProgressThresholdMet(c.ro.Spec.Strategy.Canary.ReplicaProgressThreshold, c.newRS, replicas)) {
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

// shouldFullPromoteBlueGreen promotes once the active Service selects the desired ReplicaSet and
// post-promotion analysis (if any) succeeded.
func (c *rolloutContext) shouldFullPromoteBlueGreen(s *v1alpha1.RolloutStatus) string {
	active := s.BlueGreen.ActiveSelector
	if active == "" {
		// The first deploy sets the stable before the active Service can follow it.
		return PromoteReasonInitialDeploy
	}
	if active != s.CurrentPodHash {
		return ""
	}
	if c.ro.Status.PromoteFull {
		return PromoteReasonFull
	}
	if c.isRollbackWithinWindow() {
		return PromoteReasonRollbackWindow
	}
	if c.pause.isAborted() {
		return ""
	}
	if c.ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis != nil {
		if hasScaleDownDeadline(c.newRS) {
			// Back to a ReplicaSet still within its scale-down delay: no analysis again.
			return fmt.Sprintf(PromoteReasonRollbackScaleDownF, c.newRS.Name)
		}
		ar := c.currentArs.postPromotion
		if ar == nil || ar.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
			return ""
		}
	}
	return PromoteReasonBlueGreen
}

// promoteStable marks the desired ReplicaSet stable, clears pauses and abort and emits
// RolloutCompleted when the stable changed. A Rollout that took over from its workloadRef
// (scaleDown: onsuccess) scales the workload to zero once its first revision is Healthy.
func (c *rolloutContext) promoteStable(s *v1alpha1.RolloutStatus, reason string) {
	c.pause.clearPauseConditions()
	c.pause.unabort()
	s.PromoteFull = false
	s.BlueGreen.ScaleUpPreviewCheckPoint = false
	if cs := c.ro.Spec.Strategy.Canary; cs != nil {
		if n := int32(len(cs.Steps)); n > 0 {
			s.CurrentStepIndex = int32Ptr(n)
		} else {
			s.CurrentStepIndex = nil
		}
	}
	if s.StableRS != s.CurrentPodHash {
		s.StableRS = s.CurrentPodHash
		c.plan.eventf(ReasonRolloutCompleted, MsgRolloutCompleted, revisionNumber(c.ro), s.CurrentPodHash, reason)
	}
	if ref := c.ro.Spec.WorkloadRef; ref != nil && ref.ScaleDown == v1alpha1.ScaleDownOnSuccess &&
		revisionNumber(c.ro) == 1 && c.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy {
		c.scaleWorkload(0)
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
		if rs.Annotations[v1alpha1.ExperimentNameAnnotationKey] != "" {
			continue
		}
		if rs.CreationTimestamp.Before(&c.stableRS.CreationTimestamp) && c.newRS.CreationTimestamp.Before(&rs.CreationTimestamp) {
			between++
		}
	}
	return between < w.Revisions
}
