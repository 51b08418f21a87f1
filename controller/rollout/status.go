package rollout

import (
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Status of a canary Rollout: Argo's syncRolloutStatusCanary, calculateRolloutConditions and
// persistRolloutStatus (rollout/canary.go, rollout/sync.go).

func observedGeneration(ro *v1alpha1.Rollout) string {
	return strconv.FormatInt(ro.Generation, 10)
}

func revisionNumber(ro *v1alpha1.Rollout) int64 {
	n, _ := strconv.ParseInt(ro.Annotations[AnnotationRevision], 10, 64)
	return n
}

func isFullyPromoted(ro *v1alpha1.Rollout) bool {
	return ro.Status.StableRS == ro.Status.CurrentPodHash
}

// checkPausedConditions keeps the Progressing and Paused conditions in step with whether the
// Rollout is paused, so that a pause never counts against the progress deadline. Argo writes these
// at once; here they join the Rollout's status in memory and go out with the one status write.
func (c *rolloutContext) checkPausedConditions() {
	s := &c.ro.Status
	prog := getCondition(s, v1alpha1.RolloutProgressing)
	progPaused := prog != nil && prog.Reason == ReasonRolloutPaused
	paused := len(s.PauseConditions) > 0 || c.ro.Spec.Paused
	abortCond := prog != nil && prog.Reason == ReasonRolloutAborted

	var updates []v1alpha1.RolloutCondition
	if paused != progPaused && !abortCond && !rolloutCompleted(s) {
		if paused {
			updates = append(updates, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionUnknown, ReasonRolloutPaused, MsgRolloutPaused, c.metaNow))
		} else {
			updates = append(updates, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionUnknown, ReasonRolloutResumed, MsgRolloutResumed, c.metaNow))
		}
	}
	if !s.Abort && abortCond {
		updates = append(updates, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionUnknown, ReasonRolloutRetry, MsgRolloutRetry, c.metaNow))
	}
	pausedCond := getCondition(s, v1alpha1.RolloutPaused)
	pausedTrue := pausedCond != nil && pausedCond.Status == corev1.ConditionTrue
	if paused != pausedTrue && !abortCond {
		st := corev1.ConditionFalse
		if paused {
			st = corev1.ConditionTrue
		}
		updates = append(updates, newCondition(v1alpha1.RolloutPaused, st, ReasonRolloutPaused, MsgRolloutPaused, c.metaNow))
	}
	for _, u := range updates {
		setCondition(s, u)
	}
}

// calculateBaseStatus fills the fields every strategy shares from the ReplicaSets.
func (c *rolloutContext) calculateBaseStatus() v1alpha1.RolloutStatus {
	prev := c.ro.Status
	// References were validated before the reconcile got here.
	removeCondition(&prev, v1alpha1.InvalidSpec)

	s := c.newStatus
	if c.newRS != nil {
		s.CurrentPodHash = podHashOf(c.newRS)
	} else {
		s.CurrentPodHash = c.podHash
	}
	s.Replicas = sumStatusReplicas(c.allRSs)
	if c.newRS != nil {
		s.UpdatedReplicas = c.newRS.Status.Replicas
	} else {
		s.UpdatedReplicas = 0
	}
	s.ReadyReplicas = sumReady(c.allRSs)
	s.CollisionCount = c.ro.Status.CollisionCount
	s.Conditions = prev.Conditions
	s.RestartedAt = c.newStatus.RestartedAt
	s.PromoteFull = s.CurrentPodHash != s.StableRS && prev.PromoteFull
	return s
}

// syncRolloutStatusCanary decides the new status: resets it for a new template or new steps,
// promotes, keeps an abort at step 0, or moves past a completed step.
func (c *rolloutContext) syncRolloutStatusCanary() {
	s := c.calculateBaseStatus()
	s.AvailableReplicas = sumAvailable(c.allRSs)
	s.HPAReplicas = sumStatusReplicas(c.allRSs)
	s.Selector = c.selector

	step, stepIndex, hasSteps := currentStep(c.ro)
	s.StableRS = c.ro.Status.StableRS
	s.CurrentStepHash = c.stepHash
	stepCount := int32(len(c.ro.Spec.Strategy.Canary.Steps))

	if c.podTemplateOrStepsChanged() {
		c.resetRolloutStatus(&s)
		if c.newRS != nil && stepCount > 0 {
			switch {
			case c.ro.Status.StableRS == podHashOf(c.newRS):
				c.plan.eventf(ReasonSkipSteps, MsgRollbackToStable)
				s.CurrentStepIndex = int32Ptr(stepCount)
			case c.isRollbackWithinWindow() && isActive(c.newRS):
				c.plan.eventf(ReasonSkipSteps, MsgRollbackWithinWindow)
				s.CurrentStepIndex = int32Ptr(stepCount)
			}
		}
		c.calculateRolloutConditions(&s)
		c.persist(&s)
		return
	}

	// Argo points its step index at its step count here, so a step completed below raises both.
	indexIsCount := false
	if c.ro.Status.PromoteFull || c.isRollbackWithinWindow() {
		c.pause.clearPauseConditions()
		c.pause.unabort()
		if stepCount > 0 {
			stepIndex, hasSteps, indexIsCount = stepCount, true, true
		}
	}

	if reason := c.shouldFullPromote(&s); reason != "" {
		c.promoteStable(&s, reason)
		c.calculateRolloutConditions(&s)
		c.persist(&s)
		return
	}

	if c.pause.isAborted() {
		if stepCount > 0 {
			if s.StableRS == s.CurrentPodHash {
				s.CurrentStepIndex = int32Ptr(stepCount)
			} else {
				s.CurrentStepIndex = int32Ptr(0)
			}
		}
		c.calculateRolloutConditions(&s)
		c.persist(&s)
		return
	}

	if c.completedCurrentCanaryStep() {
		stepIndex++
		if indexIsCount {
			stepCount = stepIndex
		}
		s.Canary.CurrentStepAnalysisRunStatus = nil
		c.plan.eventf(ReasonRolloutStepCompleted, MsgRolloutStepCompleted, int(stepIndex), stepCount, CanaryStepString(*step))
		c.pause.removePause(v1alpha1.PauseReasonCanaryPauseStep)
	}
	if hasSteps {
		s.CurrentStepIndex = int32Ptr(stepIndex)
	} else {
		s.CurrentStepIndex = nil
	}
	c.calculateRolloutConditions(&s)
	c.persist(&s)
}

func int32Ptr(v int32) *int32 { return &v }

// podTemplateOrStepsChanged reports a new pod template or new steps: no step hash recorded yet,
// another step hash, or a recorded pod hash other than the new ReplicaSet's.
func (c *rolloutContext) podTemplateOrStepsChanged() bool {
	st := &c.ro.Status
	if st.CurrentStepHash == "" || st.CurrentStepHash != c.stepHash {
		return true
	}
	if st.CurrentPodHash == "" {
		return false
	}
	hash := c.podHash
	if c.newRS != nil {
		hash = podHashOf(c.newRS)
	}
	return st.CurrentPodHash != hash
}

// resetRolloutStatus starts the status of a new update.
func (c *rolloutContext) resetRolloutStatus(s *v1alpha1.RolloutStatus) {
	c.pause.clearPauseConditions()
	c.pause.unabort()
	// As in Argo, the restart time goes to the context's status, not to s: this reconcile's
	// status keeps the old status.restartedAt (Argo's pod restarter records it later).
	c.newStatus.RestartedAt = c.ro.Spec.RestartAt
	s.PromoteFull = false
	s.BlueGreen.PrePromotionAnalysisRunStatus = nil
	s.BlueGreen.PostPromotionAnalysisRunStatus = nil
	s.BlueGreen.ScaleUpPreviewCheckPoint = false
	s.Canary.CurrentStepAnalysisRunStatus = nil
	s.Canary.CurrentBackgroundAnalysisRunStatus = nil
	if c.ro.Spec.Strategy.Canary != nil && len(c.ro.Spec.Strategy.Canary.Steps) > 0 {
		s.CurrentStepIndex = int32Ptr(0)
	} else {
		s.CurrentStepIndex = nil
	}
}

// calculateRolloutConditions sets Healthy, Progressing (including the abort and the progress
// deadline), Available, ReplicaFailure and Completed on the new status.
func (c *rolloutContext) calculateRolloutConditions(s *v1alpha1.RolloutStatus) {
	ro := c.ro
	now := c.metaNow
	paused := len(ro.Status.PauseConditions) > 0 || ro.Spec.Paused
	aborted := c.pause.isAborted()

	becameUnhealthy := false
	healthyCond := getCondition(&ro.Status, v1alpha1.RolloutHealthy)
	if !paused && rolloutHealthy(ro, s) {
		setCondition(s, newCondition(v1alpha1.RolloutHealthy, corev1.ConditionTrue, ReasonRolloutHealthy, MsgRolloutHealthy, now))
	} else if healthyCond != nil {
		becameUnhealthy = setCondition(s, newCondition(v1alpha1.RolloutHealthy, corev1.ConditionFalse, ReasonRolloutHealthy, MsgRolloutNotHealthy, now))
	}

	if aborted && conditionDiffers(s, v1alpha1.RolloutProgressing, corev1.ConditionFalse, ReasonRolloutAborted) {
		msg := fmt.Sprintf(MsgRolloutAborted, revisionNumber(ro))
		if c.pause.abortMessage != "" {
			msg = msg + ": " + c.pause.abortMessage
		}
		if setCondition(s, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionFalse, ReasonRolloutAborted, msg, now)) {
			c.plan.warnf(ReasonRolloutAborted, "%s", msg)
		}
	}

	cur := getCondition(&ro.Status, v1alpha1.RolloutProgressing)
	// As in Argo, this is never true (a Progressing condition's type is Progressing); kept for parity.
	healthyRollout := s.Replicas == s.AvailableReplicas && cur != nil && cur.Reason == ReasonNewReplicaSetAvailable && cur.Type != v1alpha1.RolloutProgressing
	if !healthyRollout && !aborted {
		switch {
		case rolloutHealthy(ro, s):
			if conditionDiffers(s, v1alpha1.RolloutProgressing, corev1.ConditionTrue, ReasonNewReplicaSetAvailable) {
				name := ""
				if c.newRS != nil {
					name = c.newRS.Name
				}
				setCondition(s, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionTrue, ReasonNewReplicaSetAvailable, fmt.Sprintf(MsgReplicaSetCompleted, name), now))
			}
		case rolloutProgressing(ro, s) || becameUnhealthy:
			msg := fmt.Sprintf(MsgRolloutProgressing, ro.Name)
			if c.newRS != nil {
				msg = fmt.Sprintf(MsgReplicaSetProgressing, c.newRS.Name)
			}
			reason := ReasonReplicaSetUpdated
			if s.StableRS == s.CurrentPodHash && becameUnhealthy {
				// A promoted Rollout that lost pods is progressing again, so it cannot time out.
				reason, msg = ReasonReplicaSetNotAvailable, MsgNotAvailable
			}
			cond := newCondition(v1alpha1.RolloutProgressing, corev1.ConditionTrue, reason, msg, now)
			// Progress refreshes lastUpdateTime even with the same reason, so the condition is
			// replaced rather than set.
			if cur != nil {
				if cur.Status == corev1.ConditionTrue {
					cond.LastTransitionTime = cur.LastTransitionTime
				}
				removeCondition(s, v1alpha1.RolloutProgressing)
			}
			setCondition(s, cond)
		case !isIndefiniteStep(ro) && !c.waitingForScaleDown() && rolloutTimedOut(ro, s, c.now):
			msg := fmt.Sprintf(MsgRolloutTimeOut, ro.Name)
			if c.newRS != nil {
				msg = fmt.Sprintf(MsgReplicaSetTimeOut, c.newRS.Name)
			}
			changed := setCondition(s, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionFalse, ReasonProgressDeadlineExceeded, msg, now))
			// progressDeadlineAbort aborts on the timeout, also when it was set after the timeout.
			if ro.Spec.ProgressDeadlineAbort && (changed || !c.pause.isAborted()) {
				c.pause.addAbortWith(msg)
				c.plan.warnf(ReasonRolloutAborted, "%s", msg)
			}
		}
	}

	activeRS := replicaSetByHash(c.allRSs, s.BlueGreen.ActiveSelector)
	if ro.Spec.Strategy.BlueGreen != nil && activeRS != nil && isSaturated(ro, activeRS) {
		setCondition(s, newCondition(v1alpha1.RolloutAvailable, corev1.ConditionTrue, ReasonAvailable, MsgAvailable, now))
	} else if ro.Spec.Strategy.Canary != nil && sumAvailable(c.allRSs) >= replicasOrDefault(ro.Spec.Replicas) {
		setCondition(s, newCondition(v1alpha1.RolloutAvailable, corev1.ConditionTrue, ReasonAvailable, MsgAvailable, now))
	} else {
		setCondition(s, newCondition(v1alpha1.RolloutAvailable, corev1.ConditionFalse, ReasonAvailable, MsgNotAvailable, now))
	}

	if f, ok := c.replicaFailure(); ok {
		setCondition(s, f)
	} else {
		removeCondition(s, v1alpha1.RolloutReplicaFailure)
	}

	if rolloutCompleted(s) {
		setCondition(s, newCondition(v1alpha1.RolloutCompleted, corev1.ConditionTrue, ReasonRolloutCompleted, ReasonRolloutCompleted, now))
	} else if setCondition(s, newCondition(v1alpha1.RolloutCompleted, corev1.ConditionFalse, ReasonRolloutCompleted, ReasonRolloutCompleted, now)) {
		c.plan.eventf(ReasonRolloutNotCompleted, MsgRolloutNotCompleted, revisionNumber(ro), s.CurrentPodHash)
	}
}

// waitingForScaleDown reports whether an old ReplicaSet still waits out its scale-down delay.
func (c *rolloutContext) waitingForScaleDown() bool {
	for _, rs := range c.otherRSs {
		if hasScaleDownDeadline(rs) {
			return true
		}
	}
	return false
}

// replicaFailure lifts a ReplicaFailure condition from the new ReplicaSet, else from any other.
func (c *rolloutContext) replicaFailure() (v1alpha1.RolloutCondition, bool) {
	if f, ok := rsFailure(c.newRS); ok {
		return f, true
	}
	for _, rs := range c.allRSs {
		if f, ok := rsFailure(rs); ok {
			return f, true
		}
	}
	return v1alpha1.RolloutCondition{}, false
}

func rsFailure(rs *appsv1.ReplicaSet) (v1alpha1.RolloutCondition, bool) {
	if rs == nil {
		return v1alpha1.RolloutCondition{}, false
	}
	for _, rc := range rs.Status.Conditions {
		if rc.Type == appsv1.ReplicaSetReplicaFailure {
			return v1alpha1.RolloutCondition{
				Type:               v1alpha1.RolloutConditionType(rc.Type),
				Status:             rc.Status,
				LastTransitionTime: rc.LastTransitionTime,
				LastUpdateTime:     rc.LastTransitionTime,
				Reason:             rc.Reason,
				Message:            rc.Message,
			}, true
		}
	}
	return v1alpha1.RolloutCondition{}, false
}

// persist finishes the new status (pause and abort, observed generation, phase) and puts it in the
// plan, with the events Argo sends when it writes a status and the progress-deadline check.
func (c *rolloutContext) persist(s *v1alpha1.RolloutStatus) {
	c.pause.applyTo(s)
	s.WorkloadObservedGeneration = c.workloadGeneration()
	s.ObservedGeneration = observedGeneration(c.ro)
	s.Phase, s.Message = CalculateRolloutPhase(c.ro.Spec, *s)
	c.plan.status = s

	prevPaused := len(c.ro.Status.PauseConditions) > 0
	curPaused := len(s.PauseConditions) > 0
	if prevPaused != curPaused {
		switch {
		case curPaused:
			c.plan.statusEvents = append(c.plan.statusEvents, event{reason: ReasonRolloutPaused,
				message: MsgRolloutPaused + " (" + string(s.PauseConditions[0].Reason) + ")"})
		case s.AbortedAt == nil:
			// An abort also clears the pause conditions; that is no resume.
			c.plan.statusEvents = append(c.plan.statusEvents, event{reason: ReasonRolloutResumed, message: MsgRolloutResumed})
		}
	}
	c.requeueForProgressCheck(s)
}

// requeueForProgressCheck schedules the reconcile that notices an exceeded progress deadline:
// the Progressing condition's last update plus progressDeadlineSeconds, plus the second Argo adds.
// Argo schedules it only when the status did not change (a change brings a reconcile anyway);
// scheduling it always costs at most one extra reconcile.
func (c *rolloutContext) requeueForProgressCheck(s *v1alpha1.RolloutStatus) {
	cond := getCondition(s, v1alpha1.RolloutProgressing)
	if cond == nil {
		return
	}
	paused := len(s.PauseConditions) > 0 || c.ro.Spec.Paused
	if rolloutHealthy(c.ro, s) || cond.Reason == ReasonProgressDeadlineExceeded || paused || s.Abort || isIndefiniteStep(c.ro) {
		return
	}
	deadline := cond.LastUpdateTime.Add(time.Duration(progressDeadlineSeconds(c.ro)) * time.Second)
	after := deadline.Sub(c.now)
	if after < time.Second {
		after = 0
	}
	c.plan.requeueAfter(after + progressCheckSkew)
}

// syncReplicasOnly handles a change of spec.replicas alone: resize, then keep the rest of the
// status as it was (with blue-green, the counts follow the active ReplicaSet).
func (c *rolloutContext) syncReplicasOnly() {
	s := c.ro.Status
	if c.ro.Spec.Strategy.BlueGreen != nil {
		c.reconcileBlueGreenReplicaSets()
		if active := replicaSetByHash(c.allRSs, s.BlueGreen.ActiveSelector); active != nil {
			s.HPAReplicas = active.Status.Replicas
			s.AvailableReplicas = active.Status.AvailableReplicas
		} else {
			s.HPAReplicas = sumStatusReplicas(c.allRSs)
			s.AvailableReplicas = sumAvailable(c.allRSs)
		}
		c.persist(&s)
		return
	}
	c.reconcileCanaryReplicaSets()
	s.AvailableReplicas = sumAvailable(c.allRSs)
	s.HPAReplicas = sumStatusReplicas(c.allRSs)
	c.persist(&s)
}

// replicaSetByHash finds the ReplicaSet with the pod-template hash.
func replicaSetByHash(rss []*appsv1.ReplicaSet, hash string) *appsv1.ReplicaSet {
	if hash == "" {
		return nil
	}
	for _, rs := range rss {
		if podHashOf(rs) == hash {
			return rs
		}
	}
	return nil
}

// isSaturated reports a ReplicaSet sized for, recorded at and available at spec.replicas.
func isSaturated(ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, err := strconv.ParseInt(rs.Annotations[AnnotationDesiredReplicas], 10, 32)
	if err != nil {
		return false
	}
	replicas := replicasOrDefault(ro.Spec.Replicas)
	return rsReplicas(rs) == replicas && int32(desired) == replicas && rs.Status.AvailableReplicas == replicas
}
