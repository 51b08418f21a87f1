package rollout

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// pauseContext collects the pause and abort changes a reconcile decides, and turns them into
// status.pauseConditions, controllerPause, abort and abortedAt when the status is written
// (Argo's rollout/pause.go).
type pauseContext struct {
	ro  *v1alpha1.Rollout
	now metav1.Time

	addPauseReasons    []v1alpha1.PauseReason
	removePauseReasons []v1alpha1.PauseReason
	clearPause         bool
	addAbort           bool
	removeAbort        bool
	abortMessage       string
}

func (p *pauseContext) hasAddPause() bool { return len(p.addPauseReasons) > 0 }

func (p *pauseContext) isAborted() bool {
	if p.removeAbort {
		return false
	}
	return p.addAbort || p.ro.Status.Abort
}

func (p *pauseContext) addAbortWith(message string) {
	p.addAbort = true
	p.abortMessage = message
}

func (p *pauseContext) unabort() { p.removeAbort = true }
func (p *pauseContext) addPause(reason v1alpha1.PauseReason) {
	p.addPauseReasons = append(p.addPauseReasons, reason)
}
func (p *pauseContext) removePause(reason v1alpha1.PauseReason) {
	p.removePauseReasons = append(p.removePauseReasons, reason)
}
func (p *pauseContext) clearPauseConditions() { p.clearPause = true }

// applyTo writes the abort and pause decisions into the new status.
func (p *pauseContext) applyTo(s *v1alpha1.RolloutStatus) {
	if p.applyAbort(s) || p.clearPause {
		return
	}
	p.applyPauseConditions(s)
}

// applyAbort sets abort/abortedAt, keeping the first abortedAt; it reports whether the Rollout
// stays aborted, in which case pause conditions are dropped.
func (p *pauseContext) applyAbort(s *v1alpha1.RolloutStatus) bool {
	if p.addAbort || (!p.removeAbort && p.ro.Status.Abort) {
		s.Abort = true
		if p.ro.Status.AbortedAt != nil {
			s.AbortedAt = p.ro.Status.AbortedAt
		} else {
			t := p.now
			s.AbortedAt = &t
		}
		return true
	}
	s.Abort = false
	s.AbortedAt = nil
	return false
}

// applyPauseConditions keeps the existing pause conditions not removed, adds new reasons with
// start time now and sets controllerPause when one was added; with none left it leaves the new
// status without pause conditions and with controllerPause false.
func (p *pauseContext) applyPauseConditions(s *v1alpha1.RolloutStatus) {
	controllerPause := p.ro.Status.ControllerPause
	var conds []v1alpha1.PauseCondition
	for _, c := range p.ro.Status.PauseConditions {
		if !containsReason(p.removePauseReasons, c.Reason) {
			conds = append(conds, c)
		}
	}
	for _, reason := range p.addPauseReasons {
		// As in Argo, a reason added twice in one reconcile is recorded twice.
		if !hasPauseReason(p.ro.Status.PauseConditions, reason) {
			conds = append(conds, v1alpha1.PauseCondition{Reason: reason, StartTime: p.now})
			controllerPause = true
		}
	}
	if len(conds) == 0 {
		return
	}
	s.ControllerPause = controllerPause
	s.PauseConditions = conds
}

func containsReason(reasons []v1alpha1.PauseReason, r v1alpha1.PauseReason) bool {
	for _, x := range reasons {
		if x == r {
			return true
		}
	}
	return false
}

func hasPauseReason(conds []v1alpha1.PauseCondition, r v1alpha1.PauseReason) bool {
	return pauseCondition(conds, r) != nil
}

func pauseCondition(conds []v1alpha1.PauseCondition, r v1alpha1.PauseReason) *v1alpha1.PauseCondition {
	for i := range conds {
		if conds[i].Reason == r {
			return &conds[i]
		}
	}
	return nil
}

// pauseExpired reports whether a timed pause that began at start has run its course at now. Argo
// requires now to be strictly after the end; this takes the end itself as expired, so that a
// reconcile scheduled for that instant in virtual time completes the pause (in wall-clock time
// the two cannot be told apart).
func pauseExpired(start metav1.Time, d time.Duration, now time.Time) bool {
	return !now.Before(start.Add(d))
}

// completedCanaryPauseStep reports whether the pause step is over: promoted by a user (the
// controller had paused and the condition is gone) or its duration has passed.
func (c *rolloutContext) completedCanaryPauseStep(pause v1alpha1.RolloutPause) bool {
	cond := pauseCondition(c.ro.Status.PauseConditions, v1alpha1.PauseReasonCanaryPauseStep)
	if c.ro.Status.ControllerPause && cond == nil {
		return true
	}
	if d, timed := PauseDuration(pause); timed && cond != nil {
		return pauseExpired(cond.StartTime, d, c.now)
	}
	return false
}

// reconcileCanaryPause pauses at a pause step and schedules the reconcile that ends a timed pause;
// it returns true while a pause step is being handled.
func (c *rolloutContext) reconcileCanaryPause() bool {
	if c.ro.Spec.Paused || c.ro.Status.PromoteFull {
		return false
	}
	step, _, ok := currentStep(c.ro)
	if !ok || step == nil || step.Pause == nil {
		return false
	}
	cond := pauseCondition(c.ro.Status.PauseConditions, v1alpha1.PauseReasonCanaryPauseStep)
	if cond == nil {
		// Not paused yet, or a user just promoted: only the first case needs a pause.
		if !c.ro.Status.ControllerPause {
			c.pause.addPause(v1alpha1.PauseReasonCanaryPauseStep)
			if d, timed := PauseDuration(*step.Pause); timed {
				c.plan.requeueAt(c.now, c.metaNow.Add(d))
			}
		}
		return true
	}
	if d, timed := PauseDuration(*step.Pause); timed {
		c.plan.requeueAt(c.now, cond.StartTime.Add(d))
	}
	return true
}

// haltProgress says why ReplicaSets must not be scaled for the update: a user pause, or a pause
// for an inconclusive analysis.
func (c *rolloutContext) haltProgress() string {
	if c.ro.Spec.Paused {
		return "user paused"
	}
	if hasPauseReason(c.ro.Status.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) {
		return "inconclusive analysis"
	}
	return ""
}
