package rollout

import (
	"encoding/json"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Experiment steps (Argo's rollout/experiment.go): the step's Experiment is created once the
// stable exists, followed while it runs, and its outcome completes, aborts or pauses the Rollout.

// reconcileExperiments creates or follows the current step's Experiment and terminates and prunes
// the others.
func (c *rolloutContext) reconcileExperiments() error {
	ro := c.ro
	if c.pause.isAborted() || ro.Status.PromoteFull {
		c.terminateExperiments(append(append([]*v1alpha1.Experiment(nil), c.otherExs...), c.currentEx)...)
		return nil
	}
	if hasPauseReason(ro.Status.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) {
		return nil
	}
	step, _, _ := currentStep(ro)
	cur := c.currentEx
	if step != nil && step.Experiment != nil {
		if cur == nil {
			if c.stableRS == nil {
				return nil // no experiment before the stable exists
			}
			ex, err := ExperimentFromStep(ro, c.podHash, c.stableRS, c.newRS)
			if err != nil {
				return err
			}
			c.plan.exCreate = append(c.plan.exCreate, ex)
			c.plan.eventf(ReasonExperimentCreated, MsgExperimentCreated, ex.Name)
			cur = ex
		}
		switch cur.Status.Phase {
		case v1alpha1.AnalysisPhaseInconclusive:
			c.pause.addPause(v1alpha1.PauseReasonInconclusiveExperiment)
		case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
			msg := MsgExperimentFailed
			if cur.Status.Message != "" {
				msg += ": " + cur.Status.Message
			}
			c.pause.addAbortWith(msg)
		case v1alpha1.AnalysisPhaseSuccessful:
			// Done: no longer the current experiment.
		default:
			c.setCurrentExperiment(cur)
		}
	}
	others := c.otherExs
	if cur != nil && (step == nil || step.Experiment == nil) {
		others = append(append([]*v1alpha1.Experiment(nil), others...), cur)
	}
	c.terminateExperiments(others...)
	c.plan.exDelete = append(c.plan.exDelete, experimentsToDelete(others, c.allRSs, successfulRunHistoryLimit(ro), unsuccessfulRunHistoryLimit(ro))...)
	return nil
}

func (c *rolloutContext) setCurrentExperiment(ex *v1alpha1.Experiment) {
	c.currentEx = ex
	c.newStatus.Canary.CurrentExperiment = ex.Name
	for i, o := range c.otherExs {
		if o.Name == ex.Name {
			c.otherExs = append(c.otherExs[:i:i], c.otherExs[i+1:]...)
			break
		}
	}
}

func (c *rolloutContext) terminateExperiments(exs ...*v1alpha1.Experiment) {
	for _, ex := range exs {
		if ex == nil || ex.Spec.Terminate || ex.Status.Phase.Completed() || ex.ResourceVersion == "" {
			continue
		}
		c.plan.exTerminate = append(c.plan.exTerminate, ex)
	}
}

// currentExperimentStep is the last experiment step at or before the current step.
func currentExperimentStep(ro *v1alpha1.Rollout) *v1alpha1.RolloutExperimentStep {
	step, index, _ := currentStep(ro)
	if step == nil {
		return nil
	}
	for i := index; i >= 0; i-- {
		if ex := ro.Spec.Strategy.Canary.Steps[i].Experiment; ex != nil {
			return ex
		}
	}
	return nil
}

// experimentWeightDestinations are the weights of the running Experiment's templates that have a
// weight and a Service, for traffic routers.
func (c *rolloutContext) experimentWeightDestinations() []v1alpha1.WeightDestination {
	step := currentExperimentStep(c.ro)
	ex := c.currentEx
	if step == nil || ex == nil || ex.Status.Phase != v1alpha1.AnalysisPhaseRunning {
		return nil
	}
	var out []v1alpha1.WeightDestination
	for _, ts := range ex.Status.TemplateStatuses {
		for _, t := range step.Templates {
			if t.Name == ts.Name && t.Weight != nil {
				out = append(out, v1alpha1.WeightDestination{ServiceName: ts.ServiceName, PodTemplateHash: ts.PodTemplateHash, Weight: *t.Weight})
			}
		}
	}
	return out
}

// ExperimentFromStep builds the Experiment of the current experiment step (Argo's
// GetExperimentFromTemplate): named <rollout>-<pod hash>-<revision>-<step index>, with templates
// copied from the canary or stable ReplicaSet and the step's analyses.
func ExperimentFromStep(ro *v1alpha1.Rollout, podHash string, stableRS, newRS *appsv1.ReplicaSet) (*v1alpha1.Experiment, error) {
	step := currentExperimentStep(ro)
	if step == nil {
		return nil, nil
	}
	var index int32
	if ro.Status.CurrentStepIndex != nil {
		index = *ro.Status.CurrentStepIndex
	}
	revision := ro.Annotations[AnnotationRevision]
	labels := map[string]string{}
	for k, v := range ro.Labels {
		labels[k] = v
	}
	labels[v1alpha1.DefaultRolloutUniqueLabelKey] = podHash
	if id := ro.Labels[LabelControllerInstanceID]; id != "" {
		labels[LabelControllerInstanceID] = id
	}
	ex := &v1alpha1.Experiment{
		ObjectMeta: metav1.ObjectMeta{
			Name:            fmt.Sprintf("%s-%s-%s-%d", ro.Name, podHash, revision, index),
			Namespace:       ro.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, rolloutKind)},
			Labels:          labels,
			Annotations:     map[string]string{AnnotationRevision: revision},
		},
		Spec: v1alpha1.ExperimentSpec{
			Duration:                step.Duration,
			ProgressDeadlineSeconds: ro.Spec.ProgressDeadlineSeconds,
			DryRun:                  step.DryRun,
			AnalysisRunMetadata:     step.AnalysisRunMetadata,
			ScaleDownDelaySeconds:   step.ScaleDownDelaySeconds,
		},
	}
	for _, ts := range step.Templates {
		t := v1alpha1.TemplateSpec{Name: ts.Name, Replicas: ts.Replicas}
		if ts.Weight != nil || ts.Service != nil {
			t.Service = &v1alpha1.TemplateService{}
			if ts.Service != nil {
				t.Service.Name = ts.Service.Name
			}
		}
		var from *appsv1.ReplicaSet
		switch ts.SpecRef {
		case v1alpha1.CanarySpecRef:
			from = newRS
		case v1alpha1.StableSpecRef:
			from = stableRS
		default:
			//lint:ignore ST1005 Argo's text
			return nil, fmt.Errorf("Invalid template step SpecRef: must be canary or stable")
		}
		if from == nil {
			return nil, fmt.Errorf("no %s ReplicaSet for experiment template %q", ts.SpecRef, ts.Name)
		}
		from.Spec.Template.DeepCopyInto(&t.Template)
		t.MinReadySeconds = from.Spec.MinReadySeconds
		if ts.Selector != nil {
			t.Selector = ts.Selector.DeepCopy()
		} else {
			t.Selector = from.Spec.Selector.DeepCopy()
		}
		for k, v := range ts.Metadata.Labels {
			if t.Template.Labels == nil {
				t.Template.Labels = map[string]string{}
			}
			if t.Selector.MatchLabels == nil {
				t.Selector.MatchLabels = map[string]string{}
			}
			t.Template.Labels[k] = v
			t.Selector.MatchLabels[k] = v
		}
		for k, v := range ts.Metadata.Annotations {
			if t.Template.Annotations == nil {
				t.Template.Annotations = map[string]string{}
			}
			t.Template.Annotations[k] = v
		}
		ex.Spec.Templates = append(ex.Spec.Templates, t)
	}
	for _, a := range step.Analyses {
		args, err := BuildAnalysisArgs(a.Args, stableRS, newRS, ro)
		if err != nil {
			return nil, err
		}
		ex.Spec.Analyses = append(ex.Spec.Analyses, v1alpha1.ExperimentAnalysisTemplateRef{
			Name: a.Name, TemplateName: a.TemplateName, ClusterScope: a.ClusterScope, Args: args, RequiredForCompletion: a.RequiredForCompletion,
		})
	}
	return ex, nil
}

// experimentsToDelete picks old Experiments to delete: those without a pod hash or whose
// ReplicaSet is gone, and beyond the newest limitSuccessful successful and limitUnsuccessful
// unsuccessful ones (Argo's FilterExperimentsToDelete).
func experimentsToDelete(exs []*v1alpha1.Experiment, allRSs []*appsv1.ReplicaSet, limitSuccessful, limitUnsuccessful int32) []*v1alpha1.Experiment {
	deleting := map[string]bool{}
	for _, rs := range allRSs {
		if hash, ok := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]; ok {
			deleting[hash] = rs.DeletionTimestamp != nil
		}
	}
	sorted := make([]*v1alpha1.Experiment, 0, len(exs))
	for _, ex := range exs {
		if ex != nil && ex.ResourceVersion != "" {
			sorted = append(sorted, ex)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.Name > b.Name
		}
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	})
	var keptOK, keptBad int32
	var out []*v1alpha1.Experiment
	for _, ex := range sorted {
		hash, ok := ex.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		gone, known := deleting[hash]
		if !ok || !known || gone {
			out = append(out, ex)
			continue
		}
		switch ex.Status.Phase {
		case v1alpha1.AnalysisPhaseSuccessful:
			if keptOK < limitSuccessful {
				keptOK++
			} else {
				out = append(out, ex)
			}
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			if keptBad < limitUnsuccessful {
				keptBad++
			} else {
				out = append(out, ex)
			}
		}
	}
	return out
}

// createExperiment creates the Experiment; when its name is taken by one that is not ours, finished
// or different, it tries "<name>-1", "<name>-2", ... and renames it in the new status.
func (c *rolloutContext) createExperiment(ex *v1alpha1.Experiment) error {
	base := ex.Name
	for n := 1; ; n++ {
		err := c.r.Client.Create(c.ctx, ex.DeepCopy())
		if err == nil {
			break
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating experiment %s: %w", ex.Name, err)
		}
		existing := &v1alpha1.Experiment{}
		if gerr := c.r.Client.Get(c.ctx, client.ObjectKeyFromObject(ex), existing); gerr != nil {
			return gerr
		}
		ref := metav1.GetControllerOf(existing)
		if !existing.Status.Phase.Completed() && ref != nil && ref.UID == c.ro.UID && sameExperimentSpec(&ex.Spec, &existing.Spec) {
			break
		}
		ex.Name = fmt.Sprintf("%s-%d", base, n)
	}
	if ex.Name != base && c.plan.status != nil && c.plan.status.Canary.CurrentExperiment == base {
		c.plan.status.Canary.CurrentExperiment = ex.Name
	}
	return nil
}

// sameExperimentSpec compares specs as Argo does: by their JSON, terminate aside.
func sameExperimentSpec(a, b *v1alpha1.ExperimentSpec) bool {
	x, y := *a, *b
	x.Terminate, y.Terminate = false, false
	dx, errx := json.Marshal(x)
	dy, erry := json.Marshal(y)
	return errx == nil && erry == nil && string(dx) == string(dy)
}
