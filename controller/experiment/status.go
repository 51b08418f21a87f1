package experiment

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis"
)

// The Experiment's phase and conditions (Argo's calculateStatus, assessTemplates,
// assessAnalysisRuns and calculateExperimentConditions, with utils/experiment's helpers).

// templateCompleted reports Successful, Failed or Error.
func templateCompleted(s v1alpha1.TemplateStatusCode) bool {
	switch s {
	case v1alpha1.TemplateStatusSuccessful, v1alpha1.TemplateStatusFailed, v1alpha1.TemplateStatusError:
		return true
	}
	return false
}

// templateOrder ranks template statuses from best to worst.
var templateOrder = []v1alpha1.TemplateStatusCode{
	v1alpha1.TemplateStatusSuccessful,
	v1alpha1.TemplateStatusRunning,
	v1alpha1.TemplateStatusProgressing,
	v1alpha1.TemplateStatusError,
	v1alpha1.TemplateStatusFailed,
}

func templateRank(s v1alpha1.TemplateStatusCode) int {
	for i, x := range templateOrder {
		if x == s {
			return i
		}
	}
	return 0
}

func templateStatus(s *v1alpha1.ExperimentStatus, name string) *v1alpha1.TemplateStatus {
	for i := range s.TemplateStatuses {
		if s.TemplateStatuses[i].Name == name {
			return &s.TemplateStatuses[i]
		}
	}
	return nil
}

func setTemplateStatus(s *v1alpha1.ExperimentStatus, ts v1alpha1.TemplateStatus) {
	if cur := templateStatus(s, ts.Name); cur != nil {
		*cur = ts
		return
	}
	s.TemplateStatuses = append(s.TemplateStatuses, ts)
}

func runStatus(s *v1alpha1.ExperimentStatus, name string) *v1alpha1.ExperimentAnalysisRunStatus {
	for i := range s.AnalysisRuns {
		if s.AnalysisRuns[i].Name == name {
			return &s.AnalysisRuns[i]
		}
	}
	return nil
}

func setRunStatus(s *v1alpha1.ExperimentStatus, rs v1alpha1.ExperimentAnalysisRunStatus) {
	if cur := runStatus(s, rs.Name); cur != nil {
		*cur = rs
		return
	}
	s.AnalysisRuns = append(s.AnalysisRuns, rs)
}

// requiredRunsSuccessful reports at least one requiredForCompletion analysis, all successful.
func requiredRunsSuccessful(ex *v1alpha1.Experiment, s *v1alpha1.ExperimentStatus) bool {
	has, all := false, true
	for _, a := range ex.Spec.Analyses {
		if !a.RequiredForCompletion {
			continue
		}
		has = true
		if rs := runStatus(s, a.Name); rs == nil || rs.Phase != v1alpha1.AnalysisPhaseSuccessful {
			all = false
		}
	}
	return has && all
}

func hasRequiredRuns(ex *v1alpha1.Experiment) bool {
	for _, a := range ex.Spec.Analyses {
		if a.RequiredForCompletion {
			return true
		}
	}
	return false
}

// isTerminating reports an Experiment that is winding down: asked to, finished, a template failed,
// a run failed or was inconclusive, or every required run succeeded.
func isTerminating(ex *v1alpha1.Experiment, s *v1alpha1.ExperimentStatus) bool {
	if ex.Spec.Terminate || s.Phase.Completed() {
		return true
	}
	for _, ts := range s.TemplateStatuses {
		if ts.Status == v1alpha1.TemplateStatusFailed || ts.Status == v1alpha1.TemplateStatusError {
			return true
		}
	}
	for _, r := range s.AnalysisRuns {
		switch r.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			return true
		}
	}
	return requiredRunsSuccessful(ex, s)
}

// passedDuration reports whether the Experiment has been available for its duration; at the very
// end counts as passed (a reconcile scheduled for that instant ends it). The second value is the
// time left.
func passedDuration(ex *v1alpha1.Experiment, s *v1alpha1.ExperimentStatus, now time.Time) (bool, time.Duration) {
	if ex.Spec.Duration == "" || s.AvailableAt == nil {
		return false, 0
	}
	d, err := ex.Spec.Duration.Duration()
	if err != nil {
		return false, 0
	}
	end := s.AvailableAt.Add(d)
	return !now.Before(end), end.Sub(now)
}

// desiredReplicas is a template's size: zero once the Experiment or the template is done.
func desiredReplicas(ex *v1alpha1.Experiment, s *v1alpha1.ExperimentStatus, t v1alpha1.TemplateSpec) int32 {
	if s.Phase.Completed() || isTerminating(ex, s) {
		return 0
	}
	if ts := templateStatus(s, t.Name); ts != nil && templateCompleted(ts.Status) {
		return 0
	}
	if t.Replicas == nil {
		return 1
	}
	return *t.Replicas
}

func (c *exContext) calculateStatus() *v1alpha1.ExperimentStatus {
	s := c.newStatus
	switch s.Phase {
	case "":
		s.Phase = v1alpha1.AnalysisPhasePending
	case v1alpha1.AnalysisPhasePending, v1alpha1.AnalysisPhaseRunning:
		tPhase, tMsg := c.assessTemplates()
		aPhase, aMsg := c.assessRuns()
		if tPhase == v1alpha1.AnalysisPhaseRunning && s.AvailableAt == nil {
			t := c.metaNow
			s.AvailableAt = &t
		}
		switch {
		case tPhase.Completed():
			if tPhase == v1alpha1.AnalysisPhaseSuccessful && (aPhase.Completed() || hasRequiredRuns(c.ex)) {
				s.Phase, s.Message = aPhase, aMsg
			} else {
				s.Phase, s.Message = tPhase, tMsg
			}
		case aPhase.Completed() && aPhase != v1alpha1.AnalysisPhaseSuccessful:
			s.Phase, s.Message = aPhase, aMsg
		case requiredRunsSuccessful(c.ex, s):
			s.Phase, s.Message = aPhase, aMsg
		default:
			s.Phase, s.Message = tPhase, tMsg
		}
	}
	c.calculateConditions(s)
	return s
}

// assessTemplates is the worst template status as an analysis phase, with its message.
func (c *exContext) assessTemplates() (v1alpha1.AnalysisPhase, string) {
	worst, msg := v1alpha1.TemplateStatusSuccessful, ""
	for _, t := range c.ex.Spec.Templates {
		ts := templateStatus(c.newStatus, t.Name)
		if ts == nil {
			if templateRank(v1alpha1.TemplateStatusProgressing) > templateRank(worst) {
				worst = v1alpha1.TemplateStatusProgressing
			}
			continue
		}
		if templateRank(ts.Status) > templateRank(worst) {
			worst, msg = ts.Status, ts.Message
		}
	}
	switch worst {
	case v1alpha1.TemplateStatusProgressing:
		return v1alpha1.AnalysisPhasePending, msg
	case v1alpha1.TemplateStatusFailed:
		return v1alpha1.AnalysisPhaseFailed, msg
	case v1alpha1.TemplateStatusError:
		return v1alpha1.AnalysisPhaseError, msg
	case v1alpha1.TemplateStatusSuccessful:
		return v1alpha1.AnalysisPhaseSuccessful, msg
	}
	return v1alpha1.AnalysisPhaseRunning, msg
}

// assessRuns is the worst run phase (Successful without analyses, Running for Pending).
func (c *exContext) assessRuns() (v1alpha1.AnalysisPhase, string) {
	worst, msg := v1alpha1.AnalysisPhaseSuccessful, ""
	for _, a := range c.ex.Spec.Analyses {
		rs := runStatus(c.newStatus, a.Name)
		if rs == nil {
			continue
		}
		if analysis.IsWorse(worst, rs.Phase) {
			worst, msg = rs.Phase, rs.Message
		}
	}
	if requiredRunsSuccessful(c.ex, c.newStatus) && analysis.IsWorse(worst, v1alpha1.AnalysisPhaseRunning) {
		return v1alpha1.AnalysisPhaseSuccessful, MsgRequiredCompleted
	}
	if worst == v1alpha1.AnalysisPhasePending {
		worst = v1alpha1.AnalysisPhaseRunning
	}
	return worst, msg
}

// calculateConditions sets Progressing: completed, progressing on template progress, or running.
func (c *exContext) calculateConditions(s *v1alpha1.ExperimentStatus) {
	ex := c.ex
	if prev := condition(&ex.Status, v1alpha1.InvalidExperimentSpec); prev != nil {
		removeCondition(s, v1alpha1.InvalidExperimentSpec)
	}
	switch {
	case s.Phase == v1alpha1.AnalysisPhaseSuccessful:
		setCondition(s, newCondition(v1alpha1.ExperimentProgressing, corev1.ConditionFalse, ReasonExperimentCompleted, fmt.Sprintf(MsgCompleted, ex.Name), c.metaNow))
	case c.progressed(s):
		cond := newCondition(v1alpha1.ExperimentProgressing, corev1.ConditionTrue, ReasonReplicaSetUpdated, fmt.Sprintf(MsgProgressing, ex.Name), c.metaNow)
		if cur := condition(&ex.Status, v1alpha1.ExperimentProgressing); cur != nil {
			if cur.Status == corev1.ConditionTrue {
				cond.LastTransitionTime = cur.LastTransitionTime
			}
			removeCondition(s, v1alpha1.ExperimentProgressing)
		}
		setCondition(s, cond)
	case ex.Status.AvailableAt != nil:
		if passed, _ := passedDuration(ex, &ex.Status, c.now); !passed {
			setCondition(s, newCondition(v1alpha1.ExperimentProgressing, corev1.ConditionTrue, ReasonNewRSAvailable, fmt.Sprintf(MsgRunning, ex.Name), c.metaNow))
		}
	}
}

// progressed reports more template statuses, or other replica counts, than before.
func (c *exContext) progressed(s *v1alpha1.ExperimentStatus) bool {
	old := c.ex.Status.TemplateStatuses
	if len(old) < len(s.TemplateStatuses) {
		return true
	}
	for _, o := range old {
		n := templateStatus(s, o.Name)
		if n == nil {
			continue
		}
		if o.Replicas != n.Replicas || o.UpdatedReplicas != n.UpdatedReplicas || o.ReadyReplicas != n.ReadyReplicas || o.AvailableReplicas != n.AvailableReplicas {
			return true
		}
	}
	return false
}

// enqueueDuration is how soon to look again: the end of the duration, or the progress deadline of
// a template still short of pods; nil when nothing is due.
func enqueueDuration(ex *v1alpha1.Experiment, s *v1alpha1.ExperimentStatus, now time.Time) *time.Duration {
	if isTerminating(ex, s) {
		return nil
	}
	var next *time.Duration
	if passed, left := passedDuration(ex, s, now); s.AvailableAt != nil && ex.Spec.Duration != "" && !passed {
		next = &left
	}
	deadline := time.Duration(progressDeadlineSeconds(ex)) * time.Second
	for _, t := range ex.Spec.Templates {
		ts := templateStatus(s, t.Name)
		if ts == nil || (ts.Status != v1alpha1.TemplateStatusProgressing && ts.Status != v1alpha1.TemplateStatusRunning) {
			continue
		}
		if ts.AvailableReplicas != desiredReplicas(ex, s, t) && ts.LastTransitionTime != nil {
			d := ts.LastTransitionTime.Add(deadline).Sub(now)
			if next == nil || d < *next {
				next = &d
			}
		}
	}
	return next
}

func newCondition(t v1alpha1.ExperimentConditionType, st corev1.ConditionStatus, reason, msg string, now metav1.Time) v1alpha1.ExperimentCondition {
	return v1alpha1.ExperimentCondition{Type: t, Status: st, LastUpdateTime: now, LastTransitionTime: now, Reason: reason, Message: msg}
}

func condition(s *v1alpha1.ExperimentStatus, t v1alpha1.ExperimentConditionType) *v1alpha1.ExperimentCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// setCondition puts c into s unless one of its type has its status and reason; the transition
// time stays while the status does.
func setCondition(s *v1alpha1.ExperimentStatus, c v1alpha1.ExperimentCondition) {
	cur := condition(s, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(s, c.Type)
	s.Conditions = append(s.Conditions, c)
}

func removeCondition(s *v1alpha1.ExperimentStatus, t v1alpha1.ExperimentConditionType) {
	var out []v1alpha1.ExperimentCondition
	for _, c := range s.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	s.Conditions = out
}
