package lint

import (
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Argo's defaults that its validation uses.
const (
	defaultRevisionHistoryLimit    = 10
	defaultProgressDeadlineSeconds = 600
	defaultMaxSurge                = "25%"
	defaultMaxUnavailable          = "25%"
	defaultMaxTrafficWeight        = 100
)

// rolloutSpecFindings is Argo's ValidateRolloutSpec (without Kubernetes' full pod template
// validation, of which it keeps the selector match and the containers). Field paths name the
// field itself (spec.strategy.canary.steps[0]...), where Argo leaves out "canary".
func rolloutSpecFindings(ro *v1alpha1.Rollout, at finder) []Finding {
	var out []Finding
	spec := ro.Spec
	add := func(p *field.Path, msg string) { out = append(out, at.at(p).err(RuleArgo, msg)) }
	if spec.Replicas != nil && *spec.Replicas < 0 {
		add(specPath.Child("replicas"), msgNonNegative)
	}
	if spec.WorkloadRef == nil {
		switch {
		case spec.Selector == nil:
			add(specPath.Child("selector"), fmt.Sprintf(msgMissingFieldMessage, ".spec.selector"))
		case len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0:
			add(specPath.Child("selector"), msgEmptySelector)
		default:
			sel, err := metav1.LabelSelectorAsSelector(spec.Selector)
			switch {
			case err != nil:
				add(specPath.Child("selector"), err.Error())
			case !sel.Matches(labels.Set(spec.Template.Labels)):
				add(specPath.Child("template", "metadata", "labels"), msgSelectorMismatch)
			}
		}
		if len(spec.Template.Spec.Containers) == 0 {
			add(specPath.Child("template", "spec", "containers"), msgContainersRequired)
		}
	} else if len(spec.Template.Spec.Containers) > 0 || len(spec.Template.Labels) > 0 {
		add(specPath.Child("template"), msgWorkloadRefAndTemplate)
	}
	if spec.MinReadySeconds < 0 {
		add(specPath.Child("minReadySeconds"), msgNonNegative)
	}
	history := int32(defaultRevisionHistoryLimit)
	if spec.RevisionHistoryLimit != nil {
		history = *spec.RevisionHistoryLimit
	}
	if history < 0 {
		add(specPath.Child("revisionHistoryLimit"), msgNonNegative)
	}
	deadline := int32(defaultProgressDeadlineSeconds)
	if spec.ProgressDeadlineSeconds != nil {
		deadline = *spec.ProgressDeadlineSeconds
	}
	if deadline < 0 {
		add(specPath.Child("progressDeadlineSeconds"), msgNonNegative)
	}
	if deadline <= spec.MinReadySeconds {
		add(specPath.Child("progressDeadlineSeconds"), msgDeadline)
	}

	sp := specPath.Child("strategy")
	switch s := spec.Strategy; {
	case s.BlueGreen == nil && s.Canary == nil:
		add(sp, fmt.Sprintf(msgMissingFieldMessage, ".spec.strategy.canary or .spec.strategy.blueGreen"))
	case s.BlueGreen != nil && s.Canary != nil:
		add(sp, msgInvalidStrategyMessage)
	case s.BlueGreen != nil:
		bp := sp.Child("blueGreen")
		if s.BlueGreen.ActiveService == s.BlueGreen.PreviewService {
			add(bp.Child("activeService"), msgDuplicatedServicesBlueGreenMessage)
		}
		if l := s.BlueGreen.ScaleDownDelayRevisionLimit; l != nil && history < *l {
			add(bp.Child("scaleDownDelayRevisionLimit"), msgScaleDownLimitLargerThanRevisionLimit)
		}
		out = append(out, antiAffinityFindings(s.BlueGreen.AntiAffinity, bp.Child("antiAffinity"), at)...)
	default:
		out = append(out, canaryFindings(ro, sp.Child("canary"), at)...)
	}
	return out
}

func antiAffinityFindings(a *v1alpha1.AntiAffinity, p *field.Path, at finder) []Finding {
	if a == nil {
		return nil
	}
	var out []Finding
	pref, req := a.PreferredDuringSchedulingIgnoredDuringExecution, a.RequiredDuringSchedulingIgnoredDuringExecution
	if (pref == nil) == (req == nil) {
		out = append(out, at.at(p).err(RuleArgo, msgInvalidAntiAffinityStrategyMessage))
	}
	if pref != nil && (pref.Weight < 1 || pref.Weight > 100) {
		out = append(out, at.at(p.Child("weight")).err(RuleArgo, msgInvalidAntiAffinityWeightMessage))
	}
	return out
}

// percentOrInt is an IntOrString's number, a percentage counting as its number.
func percentOrInt(v intstr.IntOrString) int {
	if v.Type == intstr.String && len(validation.IsValidPercent(v.StrVal)) == 0 {
		n, _ := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
		return n
	}
	return v.IntValue()
}

func canaryFindings(ro *v1alpha1.Rollout, cp *field.Path, at finder) []Finding {
	var out []Finding
	c := ro.Spec.Strategy.Canary
	add := func(p *field.Path, msg string) { out = append(out, at.at(p).err(RuleArgo, msg)) }
	surge, unavailable := intstr.FromString(defaultMaxSurge), intstr.FromString(defaultMaxUnavailable)
	if c.MaxSurge != nil {
		surge = *c.MaxSurge
	}
	if c.MaxUnavailable != nil {
		unavailable = *c.MaxUnavailable
	}
	if percentOrInt(surge) == 0 && percentOrInt(unavailable) == 0 {
		add(cp.Child("maxSurge"), msgInvalidMaxSurgeMaxUnavailable)
	}
	if c.CanaryService != "" && c.CanaryService == c.StableService {
		add(cp.Child("stableService"), msgDuplicatedServicesCanaryMessage)
	}
	tr := c.TrafficRouting
	if tr != nil && (tr.SMI != nil || tr.Nginx != nil || (tr.Istio != nil && tr.Istio.DestinationRule == nil)) {
		if c.StableService == "" {
			add(cp.Child("stableService"), msgInvalidTrafficRoutingMessage)
		}
		if c.CanaryService == "" {
			add(cp.Child("canaryService"), msgInvalidTrafficRoutingMessage)
		}
	}
	maxWeight := int32(defaultMaxTrafficWeight)
	if tr == nil {
		if c.ScaleDownDelaySeconds != nil {
			add(cp.Child("scaleDownDelaySeconds"), msgInvalidCanaryScaleDownDelay)
		}
		if c.DynamicStableScale {
			add(cp.Child("dynamicStableScale"), msgInvalidCanaryDynamicStableScale)
		}
	} else {
		trp := cp.Child("trafficRouting")
		if c.ScaleDownDelaySeconds != nil && c.DynamicStableScale {
			add(cp.Child("dynamicStableScale"), msgInvalidCanaryDynamicStableScaleWithScaleDownDelay)
		}
		if tr.MaxTrafficWeight != nil {
			maxWeight = *tr.MaxTrafficWeight
			if tr.Nginx == nil && len(tr.Plugins) == 0 {
				add(trp.Child("maxTrafficWeight"), msgInvalidCanaryMaxWeightOnlySupportInNginxAndPlugins)
			}
		}
		if tr.Istio != nil && (tr.Istio.VirtualService == nil) == (len(tr.Istio.VirtualServices) == 0) {
			add(trp.Child("istio"), msgVirtualServices)
		}
		if n := tr.Nginx; n != nil {
			switch single, multi := n.StableIngress != "", len(n.StableIngresses) > 0; {
			case single && multi:
				add(trp.Child("nginx"), msgNginxBoth)
			case !single && !multi:
				add(trp.Child("nginx"), msgNginxNeither)
			}
		}
	}
	for i, step := range c.Steps {
		out = append(out, stepFindings(ro, step, cp.Child("steps").Index(i), maxWeight, at)...)
	}
	return append(out, antiAffinityFindings(c.AntiAffinity, cp.Child("antiAffinity"), at)...)
}

func stepFindings(ro *v1alpha1.Rollout, step v1alpha1.CanaryStep, p *field.Path, maxWeight int32, at finder) []Finding {
	var out []Finding
	c := ro.Spec.Strategy.Canary
	tr := c.TrafficRouting
	add := func(p *field.Path, msg string) { out = append(out, at.at(p).err(RuleArgo, msg)) }
	types := 0
	for _, set := range []bool{step.SetWeight != nil, step.Pause != nil, step.Experiment != nil, step.Analysis != nil} {
		if set {
			types++
		}
	}
	if types > 1 {
		add(p, msgInvalidStepMessage)
	}
	if step.Experiment == nil && step.Pause == nil && step.SetWeight == nil && step.Analysis == nil &&
		step.SetCanaryScale == nil && step.SetHeaderRoute == nil && step.SetMirrorRoute == nil {
		add(p, msgInvalidStepMessage)
	}
	if w := step.SetWeight; w != nil && (*w < 0 || *w > maxWeight) {
		add(p.Child("setWeight"), fmt.Sprintf(msgInvalidSetWeightMessage, maxWeight))
	}
	if step.Pause != nil && step.Pause.DurationSeconds() < 0 {
		add(p.Child("pause", "duration"), msgInvalidDurationMessage)
	}
	if step.SetCanaryScale != nil && tr == nil {
		add(field.NewPath("spec", "strategy", "canary", "trafficRouting"), msgInvalidSetCanaryScaleTrafficPolicy)
	}
	if h := step.SetHeaderRoute; h != nil {
		if tr == nil || (tr.Istio == nil && len(tr.Plugins) == 0) {
			add(p.Child("setHeaderRoute"), msgInvalidSetHeaderRouteTrafficPolicy)
		} else {
			for j, m := range h.Match {
				out = append(out, stringMatchFindings(m.HeaderValue, p.Child("setHeaderRoute", "match").Index(j), at)...)
			}
		}
	}
	if mr := step.SetMirrorRoute; mr != nil {
		if tr == nil || tr.Istio == nil {
			add(p.Child("setMirrorRoute"), msgInvalidSetMirrorRouteTrafficPolicy)
		}
		for j, m := range mr.Match {
			mp := p.Child("setMirrorRoute", "match").Index(j)
			if m.Method != nil {
				out = append(out, stringMatchFindings(m.Method, mp, at)...)
			}
			if m.Path != nil {
				out = append(out, stringMatchFindings(m.Path, mp, at)...)
			}
		}
	}
	if tr != nil && (step.SetHeaderRoute != nil || step.SetMirrorRoute != nil) {
		if tr.ManagedRoutes == nil {
			add(field.NewPath("spec", "strategy", "canary", "trafficRouting", "managedRoutes"),
				fmt.Sprintf(msgMissingFieldMessage, "spec.strategy.canary.trafficRouting.managedRoutes"))
		} else {
			for _, r := range []struct {
				set  bool
				name string
				path *field.Path
			}{
				{step.SetHeaderRoute != nil, routeName(step.SetHeaderRoute), p.Child("setHeaderRoute")},
				{step.SetMirrorRoute != nil, mirrorName(step.SetMirrorRoute), p.Child("setMirrorRoute")},
			} {
				if r.set && !managed(tr.ManagedRoutes, r.name) {
					add(r.path, msgInvalideStepRouteNameNotFoundInManagedRoutes)
				}
			}
		}
	}
	if e := step.Experiment; e != nil {
		for j, t := range e.Templates {
			if t.Weight == nil {
				continue
			}
			wp := p.Child("experiment", "templates").Index(j).Child("weight")
			switch {
			case tr == nil:
				add(wp, msgInvalidCanaryExperimentTemplateWeightWithoutTR)
			case tr.SMI == nil && tr.Istio == nil && len(tr.Plugins) == 0:
				add(wp, msgInvalidCanaryExperimentTemplateWeightRouter)
			}
		}
	}
	var args []v1alpha1.AnalysisRunArgument
	if step.Experiment != nil {
		for _, a := range step.Experiment.Analyses {
			args = append(args, a.Args...)
		}
	}
	if step.Analysis != nil {
		args = append(args, step.Analysis.Args...)
	}
	for _, a := range args {
		if a.ValueFrom != nil && a.ValueFrom.FieldRef != nil && strings.HasPrefix(a.ValueFrom.FieldRef.FieldPath, "metadata") {
			if fieldRefError(ro, a) != nil {
				add(p.Child("analyses"), msgInvalidAnalysisArgsMessage)
			}
		}
	}
	return out
}

func routeName(h *v1alpha1.SetHeaderRoute) string {
	if h == nil {
		return ""
	}
	return h.Name
}

func mirrorName(m *v1alpha1.SetMirrorRoute) string {
	if m == nil {
		return ""
	}
	return m.Name
}

func managed(routes []v1alpha1.MangedRoutes, name string) bool {
	for _, r := range routes {
		if r.Name == name {
			return true
		}
	}
	return false
}

func stringMatchFindings(m *v1alpha1.StringMatch, p *field.Path, at finder) []Finding {
	if m == nil {
		return []Finding{at.at(p).err(RuleArgo, msgInvalidStringMatchMissedValuePolicy)}
	}
	n := 0
	for _, set := range []bool{m.Exact != "", m.Regex != "", m.Prefix != ""} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return []Finding{at.at(p).err(RuleArgo, msgInvalidStringMatchMultipleValuePolicy)}
	case n == 0:
		return []Finding{at.at(p).err(RuleArgo, msgInvalidStringMatchMissedValuePolicy)}
	}
	return nil
}
