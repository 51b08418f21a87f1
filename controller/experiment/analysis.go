package experiment

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis"
)

// An Experiment's analyses (Argo's reconcileAnalysisRun): each starts once the Experiment is
// available, its phase is followed until it completes, and a winding-down Experiment terminates
// the runs still going.

func (c *exContext) reconcileAnalysisRun(a v1alpha1.ExperimentAnalysisTemplateRef) {
	ex := c.ex
	prev := runStatus(&ex.Status, a.Name)
	if prev == nil {
		prev = &v1alpha1.ExperimentAnalysisRunStatus{Name: a.Name}
	}
	next := *prev
	defer func() {
		if prev.Phase != next.Phase && next.Phase != "" {
			msg := fmt.Sprintf(MsgRunTransition, a.Name, prev.Phase, next.Phase)
			if next.Message != "" {
				msg += ": " + next.Message
			}
			bad := next.Phase == v1alpha1.AnalysisPhaseFailed || next.Phase == v1alpha1.AnalysisPhaseError || next.Phase == v1alpha1.AnalysisPhaseInconclusive
			c.eventf(ex, bad, ReasonRunPrefix+string(next.Phase), "%s", msg)
			// The Rollout running this Experiment as a step hears of it too.
			if ref := rolloutOwner(ex); ref != nil {
				ro := &v1alpha1.Rollout{}
				if err := c.r.Client.Get(c.ctx, client.ObjectKey{Namespace: ex.Namespace, Name: ref.Name}, ro); err == nil {
					c.eventf(ro, true, ReasonRunPrefix+string(next.Phase), "%s", msg)
				}
			}
		}
		setRunStatus(c.newStatus, next)
	}()

	if ex.Status.AvailableAt == nil {
		if err := c.verifyTemplate(a); err != nil {
			next.Phase = v1alpha1.AnalysisPhaseError
			if isClusterScope(a) {
				next.Message = fmt.Sprintf(MsgClusterVerify, a.Name, err)
			} else {
				next.Message = fmt.Sprintf(MsgTemplateVerify, a.Name, err)
			}
		}
		return
	}
	if prev.AnalysisRun == "" {
		if c.terminating {
			return
		}
		run, err := c.createAnalysisRun(a)
		if err != nil {
			next.Phase = v1alpha1.AnalysisPhaseError
			next.Message = fmt.Sprintf(MsgRunCreateFailed, a.Name, err)
			return
		}
		next.Phase, next.AnalysisRun = v1alpha1.AnalysisPhasePending, run.Name
		return
	}
	if prev.Phase.Completed() {
		return
	}
	run := &v1alpha1.AnalysisRun{}
	if err := c.r.Client.Get(c.ctx, client.ObjectKey{Namespace: ex.Namespace, Name: prev.AnalysisRun}, run); err != nil {
		next.Phase, next.Message = v1alpha1.AnalysisPhaseError, err.Error()
		return
	}
	if c.terminating {
		if !run.Status.Phase.Completed() && !run.Spec.Terminate {
			c.eventf(ex, false, ReasonRunTerminating, MsgRunTerminating, a.Name, run.Name)
			target := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: run.Namespace, Name: run.Name}}
			if err := c.r.Client.Patch(c.ctx, target, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"terminate":true}}`))); err != nil {
				next.Phase, next.Message = v1alpha1.AnalysisPhaseError, err.Error()
			}
		}
		return
	}
	next.Phase, next.Message = run.Status.Phase, run.Status.Message
}

func isClusterScope(a v1alpha1.ExperimentAnalysisTemplateRef) bool {
	return a.ClusterScope != nil && *a.ClusterScope
}

func rolloutOwner(ex *v1alpha1.Experiment) *metav1.OwnerReference {
	for i := range ex.OwnerReferences {
		if ex.OwnerReferences[i].Kind == "Rollout" {
			return &ex.OwnerReferences[i]
		}
	}
	return nil
}

func (c *exContext) verifyTemplate(a v1alpha1.ExperimentAnalysisTemplateRef) error {
	if isClusterScope(a) {
		return c.r.Client.Get(c.ctx, client.ObjectKey{Name: a.TemplateName}, &v1alpha1.ClusterAnalysisTemplate{})
	}
	return c.r.Client.Get(c.ctx, client.ObjectKey{Namespace: c.ex.Namespace, Name: a.TemplateName}, &v1alpha1.AnalysisTemplate{})
}

// createAnalysisRun creates "<experiment>-<analysis>" from the template (and the templates it
// includes); a name taken by another run gets ".1", ".2", ... as Argo's CreateWithCollisionCounter.
func (c *exContext) createAnalysisRun(a v1alpha1.ExperimentAnalysisTemplateRef) (*v1alpha1.AnalysisRun, error) {
	ex := c.ex
	args, err := c.resolveArgs(a.Args)
	if err != nil {
		return nil, err
	}
	refs := []v1alpha1.AnalysisTemplateRef{{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}}
	templates, clusterTemplates, err := analysis.ResolveTemplateRefs(c.ctx, c.r.Client, ex.Namespace, refs)
	if err != nil {
		return nil, err
	}
	labels, annotations := map[string]string{}, map[string]string{}
	if id := ex.Labels[labelInstanceID]; id != "" {
		labels[labelInstanceID] = id
	}
	for k, v := range ex.Spec.AnalysisRunMetadata.Labels {
		labels[k] = v
	}
	for k, v := range ex.Spec.AnalysisRunMetadata.Annotations {
		annotations[k] = v
	}
	run, err := analysis.NewRunFromTemplates(templates, clusterTemplates, args, ex.Spec.DryRun, ex.Spec.MeasurementRetention, labels, annotations, ex.Name+"-"+a.Name, "", ex.Namespace)
	if err != nil {
		return nil, err
	}
	run.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(ex, experimentKind)}
	base := run.Name
	for n := 1; ; n++ {
		err := c.r.Client.Create(c.ctx, run.DeepCopy())
		if err == nil {
			return run, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		existing := &v1alpha1.AnalysisRun{}
		if err := c.r.Client.Get(c.ctx, client.ObjectKeyFromObject(run), existing); err != nil {
			return nil, err
		}
		ref := metav1.GetControllerOf(existing)
		if !existing.Status.Phase.Completed() && ref != nil && ref.UID == ex.UID && sameRunSpec(&run.Spec, &existing.Spec) {
			return existing, nil
		}
		run.Name = fmt.Sprintf("%s.%d", base, n)
	}
}

// sameRunSpec compares specs as Argo does: by their JSON, terminate aside.
func sameRunSpec(a, b *v1alpha1.AnalysisRunSpec) bool {
	x, y := a.DeepCopy(), b.DeepCopy()
	x.Terminate, y.Terminate = false, false
	dx, errx := json.Marshal(x)
	dy, erry := json.Marshal(y)
	return errx == nil && erry == nil && string(dx) == string(dy)
}

var argTag = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// resolveArgs substitutes {{templates.NAME.podTemplateHash}}, {{templates.NAME.replicaset.name}},
// {{experiment.availableAt}} and {{experiment.finishedAt}} in argument values.
func (c *exContext) resolveArgs(args []v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	values := map[string]string{}
	if at := c.ex.Status.AvailableAt; at != nil {
		values["experiment.availableAt"] = at.Format(time.RFC3339)
		if c.ex.Spec.Duration != "" {
			d, err := c.ex.Spec.Duration.Duration()
			if err != nil {
				return nil, err
			}
			values["experiment.finishedAt"] = at.Add(d).Format(time.RFC3339)
		}
	}
	for _, t := range c.ex.Spec.Templates {
		if rs, ok := c.templateRSs[t.Name]; ok && rs != nil {
			values["templates."+t.Name+".podTemplateHash"] = rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
			values["templates."+t.Name+".replicaset.name"] = rs.Name
		}
	}
	out := make([]v1alpha1.Argument, 0, len(args))
	for _, a := range args {
		r := v1alpha1.Argument{Name: a.Name}
		if a.Value != nil {
			var unresolved error
			v := argTag.ReplaceAllStringFunc(*a.Value, func(tag string) string {
				key := strings.TrimSpace(tag[2 : len(tag)-2])
				if val, ok := values[key]; ok {
					return val
				}
				unresolved = fmt.Errorf("failed to resolve {{%s}}", tag[2:len(tag)-2])
				return ""
			})
			if unresolved != nil {
				return nil, unresolved
			}
			r.Value = &v
		}
		out = append(out, r)
	}
	return out, nil
}
