package rollout

import (
	"fmt"
	"slices"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// AnalysisRuns of a canary (Argo's rollout/analysis.go): one for the current analysis step, one in
// the background from startingStep; a failed or errored run aborts, an inconclusive one pauses.

// reconcileAnalysisRuns creates, keeps or terminates the step and background runs, terminates and
// prunes the others, and records the current ones in the new status.
func (c *rolloutContext) reconcileAnalysisRuns() error {
	ro := c.ro
	aborted := c.pause.isAborted()
	rollbackToScaleDownDelay := hasScaleDownDeadline(c.newRS)
	initialDeploy := ro.Status.StableRS == ""
	if aborted || ro.Status.PromoteFull || rollbackToScaleDownDelay || initialDeploy || c.isRollbackWithinWindow() {
		c.setCurrentAnalysisRuns(c.currentArs)
		c.terminateRuns(c.currentArs.all()...)
		c.terminateRuns(c.otherArs...)
		return nil
	}

	var next currentRuns
	var err error
	if ro.Spec.Strategy.Canary != nil {
		if next.step, err = c.reconcileStepBasedAnalysisRun(); err != nil {
			return err
		}
		if next.background, err = c.reconcileBackgroundAnalysisRun(); err != nil {
			return err
		}
	}
	if ro.Spec.Strategy.BlueGreen != nil {
		if next.prePromotion, err = c.reconcilePrePromotionAnalysisRun(); err != nil {
			return err
		}
		c.pauseOrAbortForBlueGreen(next.prePromotion, MsgPrePromotionAnalysisFail)
		if next.postPromotion, err = c.reconcilePostPromotionAnalysisRun(); err != nil {
			return err
		}
		c.pauseOrAbortForBlueGreen(next.postPromotion, MsgPostPromotionAnalysisFail)
	}
	c.setCurrentAnalysisRuns(next)

	// A run that is current again (read from a stale cache) is not terminated.
	current := next.all()
	var others []*v1alpha1.AnalysisRun
	for _, ar := range c.otherArs {
		if !slices.ContainsFunc(current, func(cur *v1alpha1.AnalysisRun) bool { return cur.Name == ar.Name }) {
			others = append(others, ar)
		}
	}
	c.terminateRuns(others...)
	c.plan.arDelete = append(c.plan.arDelete, runsToDelete(others, c.allRSs, successfulRunHistoryLimit(ro), unsuccessfulRunHistoryLimit(ro))...)

	c.emitRunStatusChange(ro.Status.BlueGreen.PostPromotionAnalysisRunStatus, next.postPromotion, v1alpha1.RolloutTypePostPromotionLabel)
	c.emitRunStatusChange(ro.Status.BlueGreen.PrePromotionAnalysisRunStatus, next.prePromotion, v1alpha1.RolloutTypePrePromotionLabel)
	c.emitRunStatusChange(ro.Status.Canary.CurrentStepAnalysisRunStatus, next.step, v1alpha1.RolloutTypeStepLabel)
	c.emitRunStatusChange(ro.Status.Canary.CurrentBackgroundAnalysisRunStatus, next.background, v1alpha1.RolloutTypeBackgroundRunLabel)
	return nil
}

// setCurrentAnalysisRuns records the runs in the new status.
func (c *rolloutContext) setCurrentAnalysisRuns(runs currentRuns) {
	c.currentArs = runs
	if ar := runs.background; ar != nil {
		c.newStatus.Canary.CurrentBackgroundAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Name: ar.Name, Status: ar.Status.Phase, Message: ar.Status.Message}
	}
	if ar := runs.step; ar != nil {
		c.newStatus.Canary.CurrentStepAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Name: ar.Name, Status: ar.Status.Phase, Message: ar.Status.Message}
	}
	if ar := runs.prePromotion; ar != nil {
		c.newStatus.BlueGreen.PrePromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Name: ar.Name, Status: ar.Status.Phase, Message: ar.Status.Message}
	}
	if ar := runs.postPromotion; ar != nil {
		c.newStatus.BlueGreen.PostPromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Name: ar.Name, Status: ar.Status.Phase, Message: ar.Status.Message}
	}
}

// terminateRuns sets spec.terminate on the runs that are still going.
func (c *rolloutContext) terminateRuns(runs ...*v1alpha1.AnalysisRun) {
	for _, ar := range runs {
		if ar == nil || ar.Spec.Terminate || ar.Status.Phase.Completed() {
			continue
		}
		c.plan.arTerminate = append(c.plan.arTerminate, ar)
	}
}

// needsNewAnalysisRun reports whether a new run is due: none exists, the Rollout was aborted since
// (abortedAt still set after a retry), or it paused for this inconclusive run and was promoted.
func needsNewAnalysisRun(cur *v1alpha1.AnalysisRun, ro *v1alpha1.Rollout) bool {
	if cur == nil {
		return true
	}
	if ro.Status.ControllerPause &&
		!hasPauseReason(ro.Status.PauseConditions, v1alpha1.PauseReasonCanaryPauseStep) &&
		!hasPauseReason(ro.Status.PauseConditions, v1alpha1.PauseReasonBlueGreenPause) {
		return cur.Status.Phase == v1alpha1.AnalysisPhaseInconclusive
	}
	return ro.Status.AbortedAt != nil
}

func (c *rolloutContext) reconcileStepBasedAnalysisRun() (*v1alpha1.AnalysisRun, error) {
	ro := c.ro
	step, index, hasSteps := currentStep(ro)
	cur := c.currentArs.step
	if len(ro.Status.PauseConditions) > 0 || ro.Status.Abort {
		return cur, nil
	}
	// A run left over from an earlier analysis step (after a promote) is not this step's.
	fromPreviousStep := step != nil && step.Analysis != nil && cur != nil &&
		cur.Labels[v1alpha1.RolloutCanaryStepIndexLabel] != strconv.Itoa(int(index))
	if step == nil || step.Analysis == nil || len(step.Analysis.Templates) == 0 || !hasSteps || fromPreviousStep {
		c.terminateRuns(cur)
		return nil, nil
	}
	if needsNewAnalysisRun(cur, ro) {
		labels := map[string]string{
			v1alpha1.DefaultRolloutUniqueLabelKey: podHashOf(c.newRS),
			v1alpha1.RolloutTypeLabel:             v1alpha1.RolloutTypeStepLabel,
			v1alpha1.RolloutCanaryStepIndexLabel:  strconv.Itoa(int(index)),
		}
		return c.planAnalysisRun(step.Analysis, strconv.Itoa(int(index)), labels)
	}
	switch cur.Status.Phase {
	case v1alpha1.AnalysisPhaseInconclusive:
		c.pause.addPause(v1alpha1.PauseReasonInconclusiveAnalysis)
	case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
		c.pause.addAbortWith(withRunMessage(MsgStepAnalysisFailed, cur))
	}
	return cur, nil
}

func (c *rolloutContext) reconcileBackgroundAnalysisRun() (*v1alpha1.AnalysisRun, error) {
	ro := c.ro
	cur := c.currentArs.background
	bg := ro.Spec.Strategy.Canary.Analysis
	if bg == nil || len(bg.Templates) == 0 {
		c.terminateRuns(cur)
		return nil, nil
	}
	// None for a Rollout fully rolled out, just created, or before the starting step.
	if isFullyPromoted(ro) || ro.Status.StableRS == "" || ro.Status.CurrentPodHash == "" || beforeStartingStep(ro) {
		return nil, nil
	}
	if hasPauseReason(ro.Status.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) {
		return cur, nil
	}
	if needsNewAnalysisRun(cur, ro) {
		labels := map[string]string{
			v1alpha1.DefaultRolloutUniqueLabelKey: podHashOf(c.newRS),
			v1alpha1.RolloutTypeLabel:             v1alpha1.RolloutTypeBackgroundRunLabel,
		}
		return c.planAnalysisRun(&bg.RolloutAnalysis, "", labels)
	}
	switch cur.Status.Phase {
	case v1alpha1.AnalysisPhaseInconclusive:
		c.pause.addPause(v1alpha1.PauseReasonInconclusiveAnalysis)
	case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
		c.pause.addAbortWith(withRunMessage(MsgBackgroundAnalysisFail, cur))
	}
	return cur, nil
}

func withRunMessage(prefix string, ar *v1alpha1.AnalysisRun) string {
	if ar.Status.Message != "" {
		return prefix + ": " + ar.Status.Message
	}
	return prefix
}

// emitRunStatusChange sends AnalysisRun<Phase> when a current run reached a new phase.
func (c *rolloutContext) emitRunStatusChange(prev *v1alpha1.RolloutAnalysisRunStatus, ar *v1alpha1.AnalysisRun, kind string) {
	if ar == nil || ar.Status.Phase == "" {
		return
	}
	if prev != nil && !(prev.Name == ar.Name && prev.Status != ar.Status.Phase) {
		return
	}
	prevStr := MsgNoPreviousStatus
	if prev != nil {
		prevStr = string(prev.Status)
	}
	e := event{
		reason:  ReasonAnalysisRunPrefix + string(ar.Status.Phase),
		warning: ar.Status.Phase == v1alpha1.AnalysisPhaseFailed || ar.Status.Phase == v1alpha1.AnalysisPhaseError,
	}
	e.message = fmt.Sprintf(MsgAnalysisRunStatus, kind, ar.Name, ar.Status.Phase, prevStr)
	c.plan.events = append(c.plan.events, e)
}

// runsToDelete picks old runs to delete: those without a pod hash or whose ReplicaSet is gone, and
// beyond the newest limitSuccessful successful and limitUnsuccessful unsuccessful ones.
func runsToDelete(ars []*v1alpha1.AnalysisRun, allRSs []*appsv1.ReplicaSet, limitSuccessful, limitUnsuccessful int32) []*v1alpha1.AnalysisRun {
	if len(ars) == 0 {
		return nil
	}
	deleting := map[string]bool{}
	for _, rs := range allRSs {
		if rs == nil {
			continue
		}
		if hash, ok := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]; ok {
			deleting[hash] = rs.DeletionTimestamp != nil
		}
	}
	sorted := make([]*v1alpha1.AnalysisRun, len(ars))
	copy(sorted, ars)
	sort.SliceStable(sorted, func(i, j int) bool {
		return sorted[j].CreationTimestamp.Before(&sorted[i].CreationTimestamp)
	})
	var keptOK, keptBad int32
	var out []*v1alpha1.AnalysisRun
	for _, ar := range sorted {
		hash, ok := ar.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		if !ok {
			out = append(out, ar)
			continue
		}
		gone, known := deleting[hash]
		if !known || gone {
			out = append(out, ar)
			continue
		}
		switch ar.Status.Phase {
		case v1alpha1.AnalysisPhaseSuccessful:
			if keptOK < limitSuccessful {
				keptOK++
			} else {
				out = append(out, ar)
			}
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			if keptBad < limitUnsuccessful {
				keptBad++
			} else {
				out = append(out, ar)
			}
		}
	}
	return out
}

// Blue-green analyses (Argo's reconcilePrePromotionAnalysisRun and reconcilePostPromotionAnalysisRun).

func (c *rolloutContext) reconcilePrePromotionAnalysisRun() (*v1alpha1.AnalysisRun, error) {
	ro := c.ro
	cur := c.currentArs.prePromotion
	pre := ro.Spec.Strategy.BlueGreen.PrePromotionAnalysis
	if pre == nil || len(pre.Templates) == 0 {
		c.terminateRuns(cur)
		return nil, nil
	}
	if skipPrePromotionAnalysis(ro, c.newRS, cur) {
		c.terminateRuns(cur)
		return cur, nil
	}
	if hasPauseReason(ro.Status.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) {
		return cur, nil
	}
	if needsNewAnalysisRun(cur, ro) {
		labels := map[string]string{
			v1alpha1.DefaultRolloutUniqueLabelKey: podHashOf(c.newRS),
			v1alpha1.RolloutTypeLabel:             v1alpha1.RolloutTypePrePromotionLabel,
		}
		return c.planAnalysisRun(pre, infixPrePromotion, labels)
	}
	return cur, nil
}

func (c *rolloutContext) reconcilePostPromotionAnalysisRun() (*v1alpha1.AnalysisRun, error) {
	ro := c.ro
	cur := c.currentArs.postPromotion
	post := ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis
	if post == nil || len(post.Templates) == 0 {
		c.terminateRuns(cur)
		return nil, nil
	}
	if skipPostPromotionAnalysis(ro, c.newRS, cur) {
		c.terminateRuns(cur)
		return cur, nil
	}
	if hasPauseReason(ro.Status.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) {
		return cur, nil
	}
	if needsNewAnalysisRun(cur, ro) {
		labels := map[string]string{
			v1alpha1.DefaultRolloutUniqueLabelKey: podHashOf(c.newRS),
			v1alpha1.RolloutTypeLabel:             v1alpha1.RolloutTypePostPromotionLabel,
		}
		return c.planAnalysisRun(post, infixPostPromotion, labels)
	}
	return cur, nil
}

// skipPrePromotionAnalysis: nothing to analyse before the switch when the new ReplicaSet is already
// stable or active, on a first deploy, or before the preview is fully up (a run already started
// goes on).
func skipPrePromotionAnalysis(ro *v1alpha1.Rollout, newRS *appsv1.ReplicaSet, cur *v1alpha1.AnalysisRun) bool {
	hash := podHashOf(newRS)
	active := ro.Status.BlueGreen.ActiveSelector
	if ro.Status.StableRS == hash || active == "" || active == hash || hash == "" {
		return true
	}
	if cur != nil {
		return false
	}
	if preview := ro.Spec.Strategy.BlueGreen.PreviewReplicaCount; preview != nil {
		return rsReplicas(newRS) != *preview || newRS.Status.AvailableReplicas != *preview
	}
	return !isSaturated(ro, newRS)
}

// skipPostPromotionAnalysis: nothing to analyse after the switch until the active Service selects
// the new ReplicaSet, nor once it is stable.
func skipPostPromotionAnalysis(ro *v1alpha1.Rollout, newRS *appsv1.ReplicaSet, cur *v1alpha1.AnalysisRun) bool {
	hash := podHashOf(newRS)
	if ro.Status.StableRS == hash || ro.Status.BlueGreen.ActiveSelector != hash || hash == "" {
		return true
	}
	if cur != nil {
		return false
	}
	return !isSaturated(ro, newRS)
}

// pauseOrAbortForBlueGreen pauses on an inconclusive run and aborts on a failed one.
func (c *rolloutContext) pauseOrAbortForBlueGreen(ar *v1alpha1.AnalysisRun, failed string) {
	if ar == nil {
		return
	}
	switch ar.Status.Phase {
	case v1alpha1.AnalysisPhaseInconclusive:
		c.pause.addPause(v1alpha1.PauseReasonInconclusiveAnalysis)
	case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
		c.pause.addAbortWith(withRunMessage(failed, ar))
	}
}
