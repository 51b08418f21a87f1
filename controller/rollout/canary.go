package rollout

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// The canary update (Argo's rollout/canary.go): services, traffic, analysis, ReplicaSet sizes and
// pause steps, then the status.

func (c *rolloutContext) rolloutCanary() error {
	if c.podTemplateOrStepsChanged() {
		// A new template or new steps: only the status is reset in this reconcile.
		c.syncRolloutStatusCanary()
		return nil
	}
	restarted, err := c.reconcilePodRestarts()
	if err != nil {
		return err
	}
	if restarted > 0 {
		// The availability counts do not show the pods just deleted yet; scaling on them could
		// take too many pods away, so the next reconcile goes on.
		return nil
	}
	if err := c.reconcileEphemeralMetadata(); err != nil {
		return err
	}
	c.reconcileRevisionHistoryLimit(c.otherRSs)
	c.reconcileStableAndCanaryService()
	if err := c.reconcileTrafficRouting(); err != nil {
		return err
	}
	if err := c.reconcileExperiments(); err != nil {
		return err
	}
	err = c.reconcileAnalysisRuns()
	if c.pause.hasAddPause() {
		// An inconclusive run paused the Rollout.
		c.syncRolloutStatusCanary()
		return nil
	}
	if err != nil {
		return err
	}
	if c.reconcileCanaryReplicaSets() {
		c.syncRolloutStatusCanary()
		return nil
	}
	c.reconcileCanaryPause()
	c.syncRolloutStatusCanary()
	return nil
}

// reconcileCanaryReplicaSets scales the stable, then the new, then the other ReplicaSets, one kind
// per reconcile; it reports whether it scaled anything.
func (c *rolloutContext) reconcileCanaryReplicaSets() bool {
	if c.haltProgress() != "" {
		return false
	}
	c.removeScaleDownDeadlines()
	if c.reconcileCanaryStableReplicaSet() {
		return true
	}
	if c.reconcileNewReplicaSet() {
		return true
	}
	return c.reconcileOtherReplicaSets()
}

// removeScaleDownDeadlines clears the scale-down deadline of the new and stable ReplicaSets, as
// when moving back to a ReplicaSet that was waiting to be scaled down.
func (c *rolloutContext) removeScaleDownDeadlines() {
	var newRS *appsv1.ReplicaSet
	if c.newRS != nil && !c.shouldDelayScaleDownOnAbort() {
		newRS = c.newRS
		c.removeScaleDownDelay(newRS)
	}
	if c.stableRS != nil && (newRS == nil || c.stableRS.Name != newRS.Name) {
		c.removeScaleDownDelay(c.stableRS)
	}
}

func (c *rolloutContext) reconcileCanaryStableReplicaSet() bool {
	if !stableExistsApart(c.newRS, c.stableRS) {
		return false
	}
	var desired int32
	if c.ro.Spec.Strategy.Canary.TrafficRouting == nil {
		_, desired = BasicCanaryReplicaCounts(c.ro, c.newRS, c.stableRS, c.otherRSs)
	} else {
		// The weights as stored, not as just set: the stable shrinks one reconcile after the
		// traffic has moved, never before.
		_, desired = TrafficRoutedCanaryReplicaCounts(c.ro, c.newRS, c.stableRS, c.ro.Status.Canary.Weights)
	}
	scaled, _ := c.scaleReplicaSet(c.stableRS, desired)
	return scaled
}

// newRSReplicas is the size the new ReplicaSet should have now (Argo's NewRSNewReplicas).
func (c *rolloutContext) newRSReplicas() int32 {
	if c.ro.Spec.Strategy.BlueGreen != nil {
		return c.blueGreenNewRSReplicas()
	}
	if c.ro.Spec.Strategy.Canary.TrafficRouting == nil {
		n, _ := BasicCanaryReplicaCounts(c.ro, c.newRS, c.stableRS, c.otherRSs)
		return n
	}
	n, _ := TrafficRoutedCanaryReplicaCounts(c.ro, c.newRS, c.stableRS, c.newStatus.Canary.Weights)
	return n
}

func (c *rolloutContext) reconcileNewReplicaSet() bool {
	if c.newRS == nil {
		return false
	}
	count := c.newRSReplicas()
	if c.shouldDelayScaleDownOnAbort() {
		at, ok, err := scaleDownDeadline(c.newRS)
		switch {
		case err != nil:
			c.logger().Info(err.Error())
		case ok && at.After(c.now):
			// Argo re-checks at the deadline when it falls within its resync period and otherwise
			// lets the next resync act; here the deadline is always honoured.
			c.plan.requeueAt(c.now, at)
			return false
		case ok:
			count = 0
		default:
			if delay, _ := abortScaleDownDelay(c.ro); delay != nil {
				// The deadline starts once the stable is back at full size.
				if c.stableRS.Status.AvailableReplicas == replicasOrDefault(c.ro.Spec.Replicas) {
					c.addScaleDownDelay(c.newRS, *delay)
				}
				return false
			}
		}
	}
	scaled, _ := c.scaleReplicaSet(c.newRS, count)
	c.scaleWorkloadProgressively(count)
	return scaled
}

// scaleWorkloadProgressively moves the workloadRef's pods over as the first revision comes up
// (scaleDown: progressively): to zero once Healthy, else to spec.replicas less the ready pods.
func (c *rolloutContext) scaleWorkloadProgressively(newCount int32) {
	ref := c.ro.Spec.WorkloadRef
	if ref == nil || ref.ScaleDown != v1alpha1.ScaleDownProgressively || revisionOrZero(c.newRS) != 1 {
		return
	}
	if c.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy {
		c.scaleWorkload(0)
		return
	}
	if c.ro.Status.ReadyReplicas > 0 || rsReplicas(c.newRS) > newCount {
		c.scaleWorkload(replicasOrDefault(c.ro.Spec.Replicas) - c.ro.Status.ReadyReplicas)
	}
}

// shouldDelayScaleDownOnAbort reports whether an aborted canary waits for
// abortScaleDownDelaySeconds before scaling down. A basic canary never waits.
func (c *rolloutContext) shouldDelayScaleDownOnAbort() bool {
	if !c.pause.isAborted() || c.stableRS == nil {
		return false
	}
	cs := c.ro.Spec.Strategy.Canary
	if cs != nil && cs.TrafficRouting == nil {
		return false
	}
	delay, set := abortScaleDownDelay(c.ro)
	if delay == nil {
		return false
	}
	if cs != nil && cs.DynamicStableScale && !set {
		return false
	}
	return true
}

func (c *rolloutContext) reconcileOtherReplicaSets() bool {
	var active []*appsv1.ReplicaSet
	for _, rs := range c.otherRSs {
		if isActive(rs) {
			active = append(active, rs)
		}
	}
	if sumSpecReplicas(active) == 0 {
		return false
	}
	if c.ro.Spec.Strategy.BlueGreen != nil {
		return c.scaleDownOldReplicaSetsForBlueGreen(active)
	}
	return c.scaleDownOldReplicaSetsForCanary(active) > 0
}

// scaleDownOldReplicaSetsForCanary shrinks old ReplicaSets, newest revision first, as far as
// maxUnavailable allows. Without traffic routing they all go to zero; with it, an old stable may
// wait for its scale-down delay.
func (c *rolloutContext) scaleDownOldReplicaSetsForCanary(oldRSs []*appsv1.ReplicaSet) int32 {
	oldRSs, total, ok := c.cleanupUnhealthyReplicas(oldRSs)
	if !ok {
		return 0
	}
	available := sumAvailable(c.allRSs)
	minAvailable := replicasOrDefault(c.ro.Spec.Replicas) - MaxUnavailable(c.ro)
	maxScaleDown := available - minAvailable
	if maxScaleDown <= 0 {
		// As in Argo, pods removed by the clean-up above are not counted here.
		return 0
	}
	sortByRevisionDesc(oldRSs)
	routed := c.ro.Spec.Strategy.Canary.TrafficRouting != nil
	var annotated int32
	for _, rs := range oldRSs {
		if routed && c.isReplicaSetReferenced(rs) {
			continue
		}
		if maxScaleDown <= 0 {
			break
		}
		cur := rsReplicas(rs)
		if cur == 0 {
			continue
		}
		var desired int32
		if !routed {
			// Their pods would take traffic, so every old ReplicaSet goes.
			if cur > maxScaleDown {
				desired = cur - maxScaleDown
			}
		} else if isFullyPromoted(c.ro) || hasScaleDownDeadline(rs) {
			// Most likely the previous stable.
			if !c.ro.Spec.Strategy.Canary.DynamicStableScale {
				annotated, desired = c.scaleDownDelayHelper(rs, annotated, cur)
			}
		}
		// Otherwise an intermediate ReplicaSet of an interrupted update, which takes no traffic.
		if cur == desired {
			continue
		}
		c.scaleReplicaSet(rs, desired)
		maxScaleDown -= cur - desired
		total += cur - desired
	}
	return total
}

// cleanupUnhealthyReplicas first removes the unavailable pods of old ReplicaSets, oldest first.
// Like Argo it gives up (ok false) on a ReplicaSet with more available pods than it should have,
// keeping the scale-downs it already decided.
func (c *rolloutContext) cleanupUnhealthyReplicas(oldRSs []*appsv1.ReplicaSet) ([]*appsv1.ReplicaSet, int32, bool) {
	out := make([]*appsv1.ReplicaSet, len(oldRSs))
	copy(out, oldRSs)
	sortByCreation(out)
	var total int32
	for i, rs := range out {
		cur, avail := rsReplicas(rs), rs.Status.AvailableReplicas
		if cur == 0 || cur == avail {
			continue
		}
		if avail > cur {
			return nil, 0, false
		}
		_, updated := c.scaleReplicaSet(rs, avail)
		total += cur - avail
		out[i] = updated
	}
	return out, total, true
}

// scaleDownDelayHelper keeps an old ReplicaSet up until its scale-down deadline, starting the
// deadline when there is none, within scaleDownDelayRevisionLimit. It returns the number of
// ReplicaSets kept so far and the size for this one.
func (c *rolloutContext) scaleDownDelayHelper(rs *appsv1.ReplicaSet, annotated, replicas int32) (int32, int32) {
	limit := scaleDownRevisionLimit(c.ro)
	if !hasScaleDownDeadline(rs) {
		if rsReplicas(rs) > 0 && annotated < limit {
			c.addScaleDownDelay(rs, scaleDownDelay(c.ro))
			return annotated + 1, rsReplicas(rs)
		}
		return annotated, 0
	}
	annotated++
	if annotated > limit {
		return annotated, 0
	}
	at, _, err := scaleDownDeadline(rs)
	if err != nil {
		c.logger().Info(err.Error())
		return annotated, 0
	}
	if at.After(c.now) {
		c.plan.requeueAt(c.now, at)
		return annotated, replicas
	}
	return annotated, 0
}

// isReplicaSetReferenced reports whether a ReplicaSet's pod hash is still named by the status or
// selected by the canary or stable Service, so it must not be scaled down.
func (c *rolloutContext) isReplicaSetReferenced(rs *appsv1.ReplicaSet) bool {
	hash := podHashOf(rs)
	if hash == "" {
		return false
	}
	st := &c.ro.Status
	if hash == st.StableRS || hash == st.CurrentPodHash || hash == st.BlueGreen.ActiveSelector || hash == st.BlueGreen.PreviewSelector {
		return true
	}
	if w := st.Canary.Weights; w != nil && (hash == w.Canary.PodTemplateHash || hash == w.Stable.PodTemplateHash) {
		return true
	}
	for _, svc := range [...]*corev1.Service{c.canarySvc, c.stableSvc, c.activeSvc, c.previewSvc} {
		if selectorHash(svc) == hash {
			return true
		}
	}
	// Subset-split routers select pods by hash themselves.
	_ = c.buildRouters()
	for _, r := range c.routers {
		if hr, ok := r.(HashReferencer); ok {
			if referenced, err := hr.ReferencesHash(c.ctx, hash); err != nil || referenced {
				return true
			}
		}
	}
	return false
}

// completedCurrentCanaryStep reports whether the current step is done: the pause is over, the
// ReplicaSets are at the step's sizes (and the weight verified), the analysis succeeded, or a
// route was set.
func (c *rolloutContext) completedCurrentCanaryStep() bool {
	if c.ro.Spec.Paused {
		return false
	}
	step, _, _ := currentStep(c.ro)
	if step == nil {
		return false
	}
	switch {
	case step.Pause != nil:
		return c.completedCanaryPauseStep(*step.Pause)
	case step.SetCanaryScale != nil:
		return AtDesiredReplicaCountsForCanary(c.ro, c.newRS, c.stableRS, c.otherRSs, c.newStatus.Canary.Weights)
	case step.SetWeight != nil:
		if !AtDesiredReplicaCountsForCanary(c.ro, c.newRS, c.stableRS, c.otherRSs, c.newStatus.Canary.Weights) {
			return false
		}
		w := c.newStatus.Canary.Weights
		return w == nil || w.Verified == nil || *w.Verified
	case step.Experiment != nil:
		return c.currentEx != nil && c.currentEx.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
	case step.Analysis != nil:
		ar := c.currentArs.step
		return ar != nil && ar.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
	case step.SetHeaderRoute != nil, step.SetMirrorRoute != nil:
		return true
	}
	return false
}
