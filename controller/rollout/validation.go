package rollout

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Validation the reconciler needs before it acts (a subset of Argo's ValidateRollout and
// ValidateRolloutReferencedResources): a selector, and the Services and AnalysisTemplates the
// strategy names. Full spec validation belongs to the linter.

var serviceResource = schema.GroupResource{Resource: "services"}

// validate returns the first problem as Argo's field error, or nil.
func (c *rolloutContext) validate() (*field.Error, error) {
	ro := c.ro
	if ro.Spec.Selector == nil {
		return field.Required(field.NewPath("spec", "selector"), fmt.Sprintf("Rollout has missing field '%s'", ".spec.selector")), nil
	}
	cs := ro.Spec.Strategy.Canary
	canaryPath := func() *field.Path { return field.NewPath("spec", "strategy", "canary") }
	if cs.StableService != "" && c.stableSvc == nil {
		return field.Invalid(canaryPath().Child("stableService"), cs.StableService, apierrors.NewNotFound(serviceResource, cs.StableService).Error()), nil
	}
	if cs.CanaryService != "" && c.canarySvc == nil {
		return field.Invalid(canaryPath().Child("canaryService"), cs.CanaryService, apierrors.NewNotFound(serviceResource, cs.CanaryService).Error()), nil
	}
	if c.refsValid {
		return nil, nil
	}
	for i, step := range cs.Steps {
		if step.Analysis == nil {
			continue
		}
		if ferr, err := c.checkTemplates(step.Analysis.Templates, canaryPath().Child("steps").Index(i).Child("analysis", "templates")); ferr != nil || err != nil {
			return ferr, err
		}
	}
	if cs.Analysis != nil {
		if ferr, err := c.checkTemplates(cs.Analysis.Templates, canaryPath().Child("analysis", "templates")); ferr != nil || err != nil {
			return ferr, err
		}
	}
	c.r.hashes.setReferencesValid(ro)
	return nil, nil
}

// checkTemplates looks up each referenced template and the templates it includes.
func (c *rolloutContext) checkTemplates(refs []v1alpha1.AnalysisTemplateRef, path *field.Path) (*field.Error, error) {
	for _, ref := range refs {
		var obj client.Object
		var key client.ObjectKey
		var missing string
		if isClusterScope(ref) {
			obj, key, missing = &v1alpha1.ClusterAnalysisTemplate{}, client.ObjectKey{Name: ref.TemplateName}, MsgClusterTemplateMissing
		} else {
			obj, key, missing = &v1alpha1.AnalysisTemplate{}, client.ObjectKey{Namespace: c.ro.Namespace, Name: ref.TemplateName}, MsgTemplateNotFound
		}
		err := c.r.Client.Get(c.ctx, key, obj)
		if apierrors.IsNotFound(err) {
			return field.Invalid(path, ref.TemplateName, fmt.Sprintf(missing, ref.TemplateName)), nil
		}
		if err != nil {
			return nil, err
		}
		var nested []v1alpha1.AnalysisTemplateRef
		switch t := obj.(type) {
		case *v1alpha1.AnalysisTemplate:
			nested = t.Spec.Templates
		case *v1alpha1.ClusterAnalysisTemplate:
			nested = t.Spec.Templates
		}
		if len(nested) > 0 {
			if ferr, err := c.checkTemplates(nested, field.NewPath("spec", "templates")); ferr != nil || err != nil {
				return ferr, err
			}
		}
	}
	return nil, nil
}

// planInvalidSpec records the InvalidSpec condition (Argo's createInvalidRolloutCondition): the
// rest of the status stays as it was, and the phase becomes Degraded.
func (c *rolloutContext) planInvalidSpec(ferr *field.Error) {
	msg := fmt.Sprintf(MsgInvalidSpec, c.ro.Name, ferr.Error())
	prev := getCondition(&c.origStatus, v1alpha1.InvalidSpec)
	s := c.origStatus
	if prev != nil && prev.Message != msg {
		removeCondition(&s, v1alpha1.InvalidSpec)
	}
	if prev == nil || prev.Message != msg {
		setCondition(&s, newCondition(v1alpha1.InvalidSpec, corev1.ConditionTrue, ReasonInvalidSpec, msg, c.metaNow))
	}
	s.ObservedGeneration = observedGeneration(c.ro)
	s.Phase, s.Message = CalculateRolloutPhase(c.ro.Spec, s)
	c.plan.status = &s
	c.plan.requeueAfter(invalidSpecRequeue)
	c.logger().Info(msg)
}

func isClusterScope(ref v1alpha1.AnalysisTemplateRef) bool {
	return ref.ClusterScope != nil && *ref.ClusterScope
}
