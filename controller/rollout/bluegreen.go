package rollout

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// The blue-green update (Argo's rollout/bluegreen.go and the blue-green parts of service.go and
// sync.go): the preview Service follows the new ReplicaSet; once it is available (at
// previewReplicaCount, then at full size) and pre-promotion analysis succeeded, the Rollout pauses
// (autoPromotionEnabled false or autoPromotionSeconds); then the active Service switches to it,
// post-promotion analysis runs, the new ReplicaSet becomes stable, and the old one is scaled down
// after scaleDownDelaySeconds.

func (c *rolloutContext) rolloutBlueGreen() error {
	c.reconcilePreviewService()
	if c.podSpecChanged() {
		c.syncRolloutStatusBlueGreen()
		return nil
	}
	if _, err := c.reconcilePodRestarts(); err != nil {
		return err
	}
	c.reconcileBlueGreenReplicaSets()
	c.reconcileBlueGreenPause()
	c.reconcileActiveService()
	if err := c.reconcileAnalysisRuns(); err != nil {
		return err
	}
	if err := c.reconcileEphemeralMetadata(); err != nil {
		return err
	}
	c.syncRolloutStatusBlueGreen()
	return nil
}

// podSpecChanged reports a pod hash other than the one recorded (Argo's CheckPodSpecChange).
func (c *rolloutContext) podSpecChanged() bool {
	st := &c.ro.Status
	if st.CurrentPodHash == "" {
		return false
	}
	hash := c.podHash
	if c.newRS != nil {
		hash = podHashOf(c.newRS)
	}
	return st.CurrentPodHash != hash
}

// reconcilePreviewService points the preview Service at the new ReplicaSet at once.
func (c *rolloutContext) reconcilePreviewService() {
	if c.previewSvc == nil || c.haltProgress() != "" || c.newRS == nil {
		return
	}
	c.switchServiceSelector(c.previewSvc, podHashOf(c.newRS))
}

// reconcileActiveService switches the active Service to the new ReplicaSet once it is saturated
// and the pause and pre-promotion analysis are done, or at once when fast-tracked; an aborted
// Rollout keeps (or goes back to) the stable.
func (c *rolloutContext) reconcileActiveService() {
	if c.haltProgress() != "" || c.activeSvc == nil || c.newRS == nil {
		return
	}
	if !c.readyForPause() || !isSaturated(c.ro, c.newRS) {
		return
	}
	hash := selectorHash(c.activeSvc)
	if c.blueGreenFastTracked() {
		hash = podHashOf(c.newRS)
	}
	if c.completedBlueGreenPause() && c.completedPrePromotionAnalysis() {
		hash = podHashOf(c.newRS)
	}
	if c.ro.Status.Abort {
		hash = c.ro.Status.StableRS
	}
	c.switchServiceSelector(c.activeSvc, hash)
}

// readyForPause reports the new ReplicaSet at its desired size with every pod available.
func (c *rolloutContext) readyForPause() bool {
	n := c.blueGreenNewRSReplicas()
	return rsReplicas(c.newRS) == n && c.newRS.Status.AvailableReplicas == n
}

// blueGreenFastTracked reports an update that skips the pause: back to a ReplicaSet waiting for
// its scale-down, a full promotion, an active Service that selects no hash yet or already the new.
func (c *rolloutContext) blueGreenFastTracked() bool {
	if hasScaleDownDeadline(c.newRS) || c.ro.Status.PromoteFull {
		return true
	}
	hash, ok := c.activeSvc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey]
	return !ok || hash == podHashOf(c.newRS)
}

// needsBlueGreenControllerPause says whether the controller pauses before the switch.
func needsBlueGreenControllerPause(ro *v1alpha1.Rollout) bool {
	bg := ro.Spec.Strategy.BlueGreen
	if bg.AutoPromotionEnabled != nil && !*bg.AutoPromotionEnabled {
		return true
	}
	return bg.AutoPromotionSeconds > 0
}

// reconcileBlueGreenPause pauses the Rollout once the preview is ready and pre-promotion analysis
// succeeded, and ends the pause after autoPromotionSeconds.
func (c *rolloutContext) reconcileBlueGreenPause() {
	ro := c.ro
	if ro.Status.Abort || c.activeSvc == nil || c.newRS == nil {
		return
	}
	if !c.readyForPause() || c.haltProgress() != "" {
		return
	}
	if c.blueGreenFastTracked() || selectorHash(c.activeSvc) == podHashOf(c.newRS) ||
		ro.Status.BlueGreen.ScaleUpPreviewCheckPoint || !needsBlueGreenControllerPause(ro) {
		c.pause.removePause(v1alpha1.PauseReasonBlueGreenPause)
		return
	}
	if !c.completedPrePromotionAnalysis() {
		return
	}
	cond := pauseCondition(ro.Status.PauseConditions, v1alpha1.PauseReasonBlueGreenPause)
	if cond == nil {
		// No condition and controllerPause set: a user promoted the Rollout.
		if !ro.Status.ControllerPause {
			c.pause.addPause(v1alpha1.PauseReasonBlueGreenPause)
		}
		return
	}
	if !c.completedBlueGreenPause() {
		if s := ro.Spec.Strategy.BlueGreen.AutoPromotionSeconds; s > 0 {
			c.plan.requeueAt(c.now, cond.StartTime.Add(time.Duration(s)*time.Second))
		}
		return
	}
	c.pause.removePause(v1alpha1.PauseReasonBlueGreenPause)
}

// completedBlueGreenPause reports a pause over: promoted by a user, or autoPromotionSeconds passed
// (with auto-promotion and no seconds there is no pause to wait for).
func (c *rolloutContext) completedBlueGreenPause() bool {
	ro := c.ro
	cond := pauseCondition(ro.Status.PauseConditions, v1alpha1.PauseReasonBlueGreenPause)
	bg := ro.Spec.Strategy.BlueGreen
	switch {
	case c.pause.hasAddPause():
		return false
	case ro.Status.BlueGreen.ScaleUpPreviewCheckPoint:
		return true
	case bg.AutoPromotionEnabled == nil || *bg.AutoPromotionEnabled:
		if bg.AutoPromotionSeconds == 0 {
			return true
		}
		if cond != nil {
			return pauseExpired(cond.StartTime, time.Duration(bg.AutoPromotionSeconds)*time.Second, c.now)
		}
		return false
	}
	return ro.Status.ControllerPause && cond == nil
}

// completedPrePromotionAnalysis reports no pre-promotion analysis, or a successful one.
func (c *rolloutContext) completedPrePromotionAnalysis() bool {
	if c.ro.Spec.Strategy.BlueGreen == nil || c.ro.Spec.Strategy.BlueGreen.PrePromotionAnalysis == nil {
		return true
	}
	ar := c.currentArs.prePromotion
	return ar != nil && ar.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
}

// blueGreenNewRSReplicas is the new ReplicaSet's size: previewReplicaCount until the switch is
// near, else spec.replicas.
func (c *rolloutContext) blueGreenNewRSReplicas() int32 {
	ro := c.ro
	replicas := replicasOrDefault(ro.Spec.Replicas)
	preview := ro.Spec.Strategy.BlueGreen.PreviewReplicaCount
	if preview == nil {
		return replicas
	}
	active := replicaSetByHash(c.allRSs, ro.Status.BlueGreen.ActiveSelector)
	if active == nil || (c.newRS != nil && active.Name == c.newRS.Name) || ro.Status.PromoteFull {
		return replicas
	}
	if podHashOf(c.newRS) != ro.Status.CurrentPodHash {
		return *preview
	}
	notPaused := !ro.Spec.Paused && len(ro.Status.PauseConditions) == 0
	if notPaused && ro.Status.BlueGreen.ScaleUpPreviewCheckPoint {
		return replicas
	}
	return *preview
}

// reconcileBlueGreenReplicaSets keeps the stable at full size, sizes the new one and scales old
// ones down after their delay, then prunes the revision history.
func (c *rolloutContext) reconcileBlueGreenReplicaSets() {
	c.removeScaleDownDeadlines()
	if c.stableRS != nil {
		c.scaleReplicaSet(c.stableRS, replicasOrDefault(c.ro.Spec.Replicas))
	}
	c.reconcileNewReplicaSet()
	c.reconcileOtherReplicaSets()
	c.reconcileRevisionHistoryLimit(c.otherRSs)
}

// scaleDownOldReplicaSetsForBlueGreen scales old ReplicaSets down after their scale-down delay,
// unless post-promotion analysis (without a delay) has not succeeded yet.
func (c *rolloutContext) scaleDownOldReplicaSetsForBlueGreen(oldRSs []*appsv1.ReplicaSet) bool {
	ro := c.ro
	if hasPauseReason(ro.Status.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) {
		return false
	}
	bg := ro.Spec.Strategy.BlueGreen
	post := c.currentArs.postPromotion
	if bg.PostPromotionAnalysis != nil && bg.ScaleDownDelaySeconds == nil && !skipPostPromotionAnalysis(ro, c.newRS, post) {
		if post == nil || post.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
			return false
		}
	}
	sortByRevisionDesc(oldRSs)
	scaled := false
	var annotated int32
	replicas := replicasOrDefault(ro.Spec.Replicas)
	for _, rs := range oldRSs {
		if c.isReplicaSetReferenced(rs) || rsReplicas(rs) == 0 {
			continue
		}
		var desired int32
		annotated, desired = c.scaleDownDelayHelper(rs, annotated, replicas)
		if rsReplicas(rs) == desired {
			continue
		}
		c.scaleReplicaSet(rs, desired)
		scaled = true
	}
	return scaled
}

// syncRolloutStatusBlueGreen decides the new status: selectors as the Services now have them,
// promotion, the preview scale-up checkpoint, and counts from the active ReplicaSet.
func (c *rolloutContext) syncRolloutStatusBlueGreen() {
	s := c.calculateBaseStatus()
	s.StableRS = c.ro.Status.StableRS
	if c.podSpecChanged() {
		c.resetRolloutStatus(&s)
	}
	if c.ro.Status.PromoteFull || c.isRollbackWithinWindow() {
		c.pause.clearPauseConditions()
		c.pause.unabort()
	}
	s.BlueGreen.PreviewSelector = selectorHash(c.previewSvc)
	s.BlueGreen.ActiveSelector = selectorHash(c.activeSvc)
	if reason := c.shouldFullPromote(&s); reason != "" {
		c.promoteStable(&s, reason)
	} else {
		s.BlueGreen.ScaleUpPreviewCheckPoint = c.scaleUpPreviewCheckPoint()
	}
	if active := replicaSetByHash(c.allRSs, s.BlueGreen.ActiveSelector); active != nil {
		s.HPAReplicas = active.Status.Replicas
		s.Selector = metav1.FormatLabelSelector(active.Spec.Selector)
		s.AvailableReplicas = active.Status.AvailableReplicas
		s.ReadyReplicas = active.Status.ReadyReplicas
	} else {
		s.HPAReplicas = sumStatusReplicas(c.allRSs)
		s.Selector = c.selector
		s.AvailableReplicas = sumAvailable(c.allRSs)
	}
	c.calculateRolloutConditions(&s)
	c.persist(&s)
}

// scaleUpPreviewCheckPoint turns true (until the next update or promotion) once the pause and
// pre-promotion analysis are done and the preview has previewReplicaCount available pods.
func (c *rolloutContext) scaleUpPreviewCheckPoint() bool {
	ro := c.ro
	preview := ro.Spec.Strategy.BlueGreen.PreviewReplicaCount
	if preview == nil {
		return false
	}
	if ro.Status.BlueGreen.ScaleUpPreviewCheckPoint {
		return true
	}
	if !c.completedPrePromotionAnalysis() || !c.completedBlueGreenPause() {
		return false
	}
	return c.newRS != nil && *preview == c.newRS.Status.AvailableReplicas
}
