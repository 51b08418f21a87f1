package rollout

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis"
)

// Validation of what the spec refers to (Argo's getRolloutReferencedResources and
// ValidateRolloutReferencedResources): first every lookup (Services, AnalysisTemplates, then the
// routers' objects), then what is inside them. Services are read at every reconcile anyway and
// checked every time; templates and router objects are checked until they pass once for a
// strategy and set of template labels.

var serviceResource = schema.GroupResource{Resource: "services"}

// validate returns the first problem as Argo's field error, or nil.
func (c *rolloutContext) validate() (*field.Error, error) {
	if c.specErr != nil {
		return c.specErr, nil
	}
	services := c.referencedServices()
	for _, s := range services {
		if s.svc == nil {
			return field.Invalid(s.path, s.name, apierrors.NewNotFound(serviceResource, s.name).Error()), nil
		}
	}
	var templates []templateGroup
	var routers []TrafficRouter
	if !c.refsValid {
		var ferr *field.Error
		var err error
		if templates, ferr, err = c.referencedTemplates(); ferr != nil || err != nil {
			return ferr, err
		}
		if cs := c.ro.Spec.Strategy.Canary; cs != nil && cs.TrafficRouting != nil {
			factory := c.r.Routers
			if factory == nil {
				factory = defaultRouters
			}
			if routers, err = factory(c.ro, c.allRSs); err != nil {
				return nil, err
			}
		}
	}
	var contents []*field.Error
	for _, r := range routers {
		if v, ok := r.(ReferenceValidator); ok {
			lookup, content, err := v.ValidateReferences(c.ctx)
			if lookup != nil || err != nil {
				return lookup, err
			}
			if content != nil {
				contents = append(contents, content)
			}
		}
	}
	for _, s := range services {
		if ferr := validateService(c.ro, s); ferr != nil {
			return ferr, nil
		}
	}
	for _, g := range templates {
		if ferr := validateTemplateGroup(c.ro, g); ferr != nil {
			return ferr, nil
		}
	}
	if len(contents) > 0 {
		return contents[0], nil
	}
	if !c.refsValid {
		c.r.hashes.setReferencesValid(c.ro)
	}
	return nil, nil
}

type serviceRef struct {
	name string
	path *field.Path
	svc  *corev1.Service
}

// referencedServices are the Services the strategy names, with what gather found.
func (c *rolloutContext) referencedServices() []serviceRef {
	strategy := field.NewPath("spec", "strategy")
	var out []serviceRef
	add := func(name string, p *field.Path, svc *corev1.Service) {
		if name != "" {
			out = append(out, serviceRef{name: name, path: p, svc: svc})
		}
	}
	if bg := c.ro.Spec.Strategy.BlueGreen; bg != nil {
		add(bg.ActiveService, strategy.Child("blueGreen", "activeService"), c.activeSvc)
		add(bg.PreviewService, strategy.Child("blueGreen", "previewService"), c.previewSvc)
	} else if cs := c.ro.Spec.Strategy.Canary; cs != nil {
		add(cs.StableService, strategy.Child("canary", "stableService"), c.stableSvc)
		add(cs.CanaryService, strategy.Child("canary", "canaryService"), c.canarySvc)
	}
	return out
}

// validateService requires the Service's selector (but the pod-template hash) to select the
// template's labels, and no other Rollout to manage it.
func validateService(ro *v1alpha1.Rollout, s serviceRef) *field.Error {
	keys := make([]string, 0, len(s.svc.Spec.Selector))
	for k := range s.svc.Spec.Selector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == v1alpha1.DefaultRolloutUniqueLabelKey {
			continue
		}
		if v, ok := ro.Spec.Template.Labels[k]; !ok || v != s.svc.Spec.Selector[k] {
			return field.Invalid(s.path, s.name, fmt.Sprintf(MsgServiceUnmatchedLabel, s.name, k))
		}
	}
	if owner, ok := s.svc.Annotations[AnnotationManagedByRollouts]; ok && owner != ro.Name {
		return field.Invalid(s.path, s.name, fmt.Sprintf(MsgServiceManagedByOther, s.name))
	}
	return nil
}

// templateGroup is one analysis of the spec with its templates.
type templateGroup struct {
	kind      string // v1alpha1.RolloutType*Label
	path      *field.Path
	analysis  *v1alpha1.RolloutAnalysis
	templates []*v1alpha1.AnalysisTemplate
	clusters  []*v1alpha1.ClusterAnalysisTemplate
}

// referencedTemplates looks up the templates of every analysis in the spec, in Argo's order.
func (c *rolloutContext) referencedTemplates() ([]templateGroup, *field.Error, error) {
	strategy := field.NewPath("spec", "strategy")
	var groups []templateGroup
	add := func(kind string, p *field.Path, ra *v1alpha1.RolloutAnalysis) (*field.Error, error) {
		if ferr, err := c.checkTemplates(ra.Templates, p); ferr != nil || err != nil {
			return ferr, err
		}
		ts, cts, err := resolveTemplateRefs(c.ctx, c.r.Client, c.ro.Namespace, ra.Templates)
		if err != nil {
			return nil, err
		}
		groups = append(groups, templateGroup{kind: kind, path: p, analysis: ra, templates: ts, clusters: cts})
		return nil, nil
	}
	if bg := c.ro.Spec.Strategy.BlueGreen; bg != nil {
		if a := bg.PrePromotionAnalysis; a != nil {
			if ferr, err := add(v1alpha1.RolloutTypePrePromotionLabel, strategy.Child("blueGreen", "prePromotionAnalysis", "templates"), a); ferr != nil || err != nil {
				return nil, ferr, err
			}
		}
		if a := bg.PostPromotionAnalysis; a != nil {
			if ferr, err := add(v1alpha1.RolloutTypePostPromotionLabel, strategy.Child("blueGreen", "postPromotionAnalysis", "templates"), a); ferr != nil || err != nil {
				return nil, ferr, err
			}
		}
	} else if cs := c.ro.Spec.Strategy.Canary; cs != nil {
		for i, step := range cs.Steps {
			if step.Analysis == nil {
				continue
			}
			if ferr, err := add(v1alpha1.RolloutTypeStepLabel, strategy.Child("canary", "steps").Index(i).Child("analysis", "templates"), step.Analysis); ferr != nil || err != nil {
				return nil, ferr, err
			}
		}
		if a := cs.Analysis; a != nil {
			if ferr, err := add(v1alpha1.RolloutTypeBackgroundRunLabel, strategy.Child("canary", "analysis", "templates"), &a.RolloutAnalysis); ferr != nil || err != nil {
				return nil, ferr, err
			}
		}
	}
	return groups, nil, nil
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

// validateTemplateGroup builds the run the templates would make (with placeholder pod hashes) and
// requires the metrics of runs that must end to end: background runs may run forever, but need
// their arguments from the Rollout.
func validateTemplateGroup(ro *v1alpha1.Rollout, g templateGroup) *field.Error {
	var names []string
	for _, t := range g.templates {
		names = append(names, t.Name)
	}
	for _, t := range g.clusters {
		names = append(names, t.Name)
	}
	value := fmt.Sprintf("templateNames: %s", names)
	placeholder := func(hash string) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash}}}
	}
	args, _ := BuildAnalysisArgs(g.analysis.Args, placeholder("dummy-stable-hash"), placeholder("dummy-new-hash"), ro)
	if _, err := newRunFromTemplates(g.templates, g.clusters, args, nil, nil, map[string]string{}, map[string]string{}, "", "", ""); err != nil {
		return field.Invalid(g.path, value, err.Error())
	}
	type named struct {
		name string
		spec v1alpha1.AnalysisTemplateSpec
	}
	var all []named
	for _, t := range g.templates {
		all = append(all, named{t.Name, *t.Spec.DeepCopy()})
	}
	for _, t := range g.clusters {
		all = append(all, named{t.Name, *t.Spec.DeepCopy()})
	}
	for _, t := range all {
		if g.kind != v1alpha1.RolloutTypeBackgroundRunLabel {
			if ferr := validateFiniteMetrics(t.name, t.spec, g.path); ferr != nil {
				return ferr
			}
			continue
		}
		for _, arg := range t.spec.Args {
			if arg.Value != nil || arg.ValueFrom != nil {
				continue
			}
			bg := ro.Spec.Strategy.Canary.Analysis
			if bg == nil || bg.Args == nil {
				return field.Invalid(g.path, t.name, MsgMissingAnalysisArgs)
			}
			found := false
			for _, a := range bg.Args {
				found = found || a.Name == arg.Name
			}
			if !found {
				return field.Invalid(g.path, t.name, arg.Name)
			}
		}
	}
	return nil
}

// validateFiniteMetrics resolves the metrics with placeholder arguments and rejects one that would
// measure forever.
func validateFiniteMetrics(name string, spec v1alpha1.AnalysisTemplateSpec, p *field.Path) *field.Error {
	args := spec.Args
	for i := range args {
		if args[i].ValueFrom != nil && args[i].Value != nil {
			return field.Invalid(p, name, fmt.Sprintf("AnalysisTemplate %s: arg '%s' has both Value and ValueFrom fields", name, args[i].Name))
		}
		if args[i].Value == nil {
			v := "dummy-value"
			args[i].Value = &v
		}
	}
	for _, m := range spec.Metrics {
		resolved, err := analysis.ResolveMetricArgs(m, args)
		if err != nil {
			return field.Invalid(p, name, fmt.Sprintf("AnalysisTemplate %s: %v", name, err))
		}
		if resolved.EffectiveCount() == nil {
			return field.Invalid(p, name, fmt.Sprintf(MsgMetricRunsForever, name, resolved.Name, resolved.Count))
		}
	}
	return nil
}

// planInvalidSpec records the InvalidSpec condition (Argo's createInvalidRolloutCondition): the
// rest of the status stays as it was, and the phase becomes Degraded.
func (c *rolloutContext) planInvalidSpec(problem error) {
	msg := fmt.Sprintf(MsgInvalidSpec, c.ro.Name, problem.Error())
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
