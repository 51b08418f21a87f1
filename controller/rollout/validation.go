package rollout

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// ValidateRollout checks a Rollout's spec with the rules and messages of Argo's
// pkg/apis/rollouts/validation (ValidateRolloutSpec, ValidateRolloutStrategy). Of Kubernetes' pod
// template validation it keeps what a Rollout most often gets wrong: the selector must select the
// template's labels and the template needs containers. The first error makes the Rollout
// InvalidSpec. As in Argo, the fields of the strategy are reported under spec.strategy (for
// example spec.strategy.steps[0].setWeight), not under spec.strategy.canary.
func ValidateRollout(ro *v1alpha1.Rollout) field.ErrorList {
	spec := ro.Spec
	path := field.NewPath("spec")
	var errs field.ErrorList
	replicas := replicasOrDefault(spec.Replicas)
	errs = append(errs, nonNegative(int64(replicas), path.Child("replicas"))...)

	if spec.WorkloadRef == nil {
		if spec.Selector == nil {
			errs = append(errs, field.Required(path.Child("selector"), fmt.Sprintf(MsgMissingField, ".spec.selector")))
		} else {
			errs = append(errs, unversionedvalidation.ValidateLabelSelector(spec.Selector, unversionedvalidation.LabelSelectorValidationOptions{}, path.Child("selector"))...)
			if len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0 {
				errs = append(errs, field.Invalid(path.Child("selector"), spec.Selector, MsgEmptySelector))
			}
		}
	}
	if sel, err := metav1.LabelSelectorAsSelector(spec.Selector); err != nil {
		errs = append(errs, field.Invalid(path.Child("selector"), spec.Selector, MsgInvalidSelector))
	} else if spec.Selector != nil {
		tmpl := path.Child("template")
		if !sel.Empty() && !sel.Matches(labels.Set(spec.Template.Labels)) {
			errs = append(errs, field.Invalid(tmpl.Child("metadata", "labels"), spec.Template.Labels, MsgSelectorNotMatchLabels))
		}
		if len(spec.Template.Spec.Containers) == 0 {
			errs = append(errs, field.Required(tmpl.Child("spec", "containers"), ""))
		}
	}
	errs = append(errs, nonNegative(int64(spec.MinReadySeconds), path.Child("minReadySeconds"))...)
	errs = append(errs, nonNegative(int64(revisionHistoryLimit(ro)), path.Child("revisionHistoryLimit"))...)
	deadline := progressDeadlineSeconds(ro)
	errs = append(errs, nonNegative(int64(deadline), path.Child("progressDeadlineSeconds"))...)
	if deadline <= spec.MinReadySeconds {
		errs = append(errs, field.Invalid(path.Child("progressDeadlineSeconds"), deadline, MsgDeadlineBelowMinReady))
	}
	return append(errs, validateStrategy(ro, path.Child("strategy"))...)
}

func nonNegative(v int64, p *field.Path) field.ErrorList {
	if v < 0 {
		return field.ErrorList{field.Invalid(p, v, msgNonNegative)}
	}
	return nil
}

// msgNonNegative is apimachinery's text for a negative field.
const msgNonNegative = "must be greater than or equal to 0"

func validateStrategy(ro *v1alpha1.Rollout, path *field.Path) field.ErrorList {
	s := ro.Spec.Strategy
	switch {
	case s.BlueGreen == nil && s.Canary == nil:
		return field.ErrorList{field.Required(path.Child("strategy"), fmt.Sprintf(MsgMissingField, ".spec.strategy.canary or .spec.strategy.blueGreen"))}
	case s.BlueGreen != nil && s.Canary != nil:
		v := fmt.Sprintf("blueGreen: %t canary: %t", true, true)
		return field.ErrorList{field.Invalid(path.Child("strategy"), v, MsgMultipleStrategies)}
	case s.BlueGreen != nil:
		return validateBlueGreen(ro, path)
	}
	return validateCanary(ro, path)
}

func validateBlueGreen(ro *v1alpha1.Rollout, path *field.Path) field.ErrorList {
	bg := ro.Spec.Strategy.BlueGreen
	var errs field.ErrorList
	if bg.ActiveService == bg.PreviewService {
		errs = append(errs, field.Invalid(path.Child("activeService"), bg.ActiveService, MsgDuplicatedServicesBG))
	}
	if l := bg.ScaleDownDelayRevisionLimit; l != nil && revisionHistoryLimit(ro) < *l {
		errs = append(errs, field.Invalid(path.Child("scaleDownDelayRevisionLimit"), *l, MsgScaleDownLimitAboveHistory))
	}
	return append(errs, validateAntiAffinity(bg.AntiAffinity, path.Child("antiAffinity"))...)
}

// requireCanaryStableServices says whether the router needs both Services: every router but an
// Istio subset split (and routers given as plugins).
func requireCanaryStableServices(cs *v1alpha1.CanaryStrategy) bool {
	tr := cs.TrafficRouting
	if tr == nil {
		return false
	}
	return (tr.Istio != nil && tr.Istio.DestinationRule == nil) || tr.SMI != nil || tr.Nginx != nil
}

func validateCanary(ro *v1alpha1.Rollout, path *field.Path) field.ErrorList {
	cs := ro.Spec.Strategy.Canary
	var errs field.ErrorList
	errs = append(errs, validateSurgeUnavailable(ro, path.Child("maxSurge"))...)
	if cs.CanaryService != "" && cs.StableService != "" && cs.CanaryService == cs.StableService {
		errs = append(errs, field.Invalid(path.Child("stableService"), cs.StableService, MsgDuplicatedServicesCanary))
	}
	if requireCanaryStableServices(cs) {
		if cs.StableService == "" {
			errs = append(errs, field.Invalid(path.Child("stableService"), cs.StableService, MsgTrafficRoutingServices))
		}
		if cs.CanaryService == "" {
			errs = append(errs, field.Invalid(path.Child("canaryService"), cs.CanaryService, MsgTrafficRoutingServices))
		}
	}
	tr := cs.TrafficRouting
	if tr == nil {
		if cs.ScaleDownDelaySeconds != nil {
			errs = append(errs, field.Invalid(path.Child("scaleDownDelaySeconds"), *cs.ScaleDownDelaySeconds, MsgCanaryScaleDownDelay))
		}
		if cs.DynamicStableScale {
			errs = append(errs, field.Invalid(path.Child("dynamicStableScale"), cs.DynamicStableScale, MsgCanaryDynamicStableScale))
		}
	} else {
		if cs.ScaleDownDelaySeconds != nil && cs.DynamicStableScale {
			errs = append(errs, field.Invalid(path.Child("dynamicStableScale"), cs.DynamicStableScale, MsgDynamicStableScaleWithDelay))
		}
		if tr.MaxTrafficWeight != nil && tr.Nginx == nil && len(tr.Plugins) == 0 {
			errs = append(errs, field.Invalid(path.Child("trafficRouting").Child("maxTrafficWeight"), tr.MaxTrafficWeight, MsgMaxWeightNginxPlugins))
		}
	}
	for i, step := range cs.Steps {
		errs = append(errs, validateStep(ro, step, path, path.Child("steps").Index(i))...)
	}
	return append(errs, validateAntiAffinity(cs.AntiAffinity, path.Child("antiAffinity"))...)
}

func validateStep(ro *v1alpha1.Rollout, step v1alpha1.CanaryStep, canaryPath, p *field.Path) field.ErrorList {
	cs := ro.Spec.Strategy.Canary
	tr := cs.TrafficRouting
	var errs field.ErrorList
	if n := countTrue(step.SetWeight != nil, step.Pause != nil, step.Experiment != nil, step.Analysis != nil); n > 1 {
		v := fmt.Sprintf("step.Experiment: %t step.Pause: %t step.SetWeight: %t step.Analysis: %t", step.Experiment != nil, step.Pause != nil, step.SetWeight != nil, step.Analysis != nil)
		errs = append(errs, field.Invalid(p, v, MsgInvalidStep))
	}
	if step.Experiment == nil && step.Pause == nil && step.SetWeight == nil && step.Analysis == nil && step.SetCanaryScale == nil &&
		step.SetHeaderRoute == nil && step.SetMirrorRoute == nil {
		v := fmt.Sprintf("step.Experiment: %t step.Pause: %t step.SetWeight: %t step.Analysis: %t step.SetCanaryScale: %t step.SetHeaderRoute: %t step.SetMirrorRoute: %t step.Plugin: %t",
			true, true, true, true, true, true, true, true)
		errs = append(errs, field.Invalid(p, v, MsgInvalidStep))
	}
	maxWeight := maxTrafficWeight(ro)
	if w := step.SetWeight; w != nil && (*w < 0 || *w > maxWeight) {
		errs = append(errs, field.Invalid(p.Child("setWeight"), *w, fmt.Sprintf(MsgInvalidSetWeight, maxWeight)))
	}
	if step.Pause != nil && step.Pause.DurationSeconds() < 0 {
		errs = append(errs, field.Invalid(p.Child("pause").Child("duration"), step.Pause.DurationSeconds(), MsgInvalidDuration))
	}
	if step.SetCanaryScale != nil && tr == nil {
		errs = append(errs, field.Required(canaryPath.Child("trafficRouting"), MsgSetCanaryScaleRouting))
	}
	if h := step.SetHeaderRoute; h != nil {
		if tr == nil || (tr.Istio == nil && len(tr.Plugins) == 0) {
			errs = append(errs, field.Invalid(p.Child("setHeaderRoute"), h, MsgSetHeaderRouteRouting))
		} else {
			for j, m := range h.Match {
				errs = append(errs, validateStringMatch(m.HeaderValue, p.Child("setHeaderRoute").Child("match").Index(j))...)
			}
		}
	}
	if m := step.SetMirrorRoute; m != nil {
		if tr == nil || tr.Istio == nil {
			errs = append(errs, field.Invalid(p.Child("setMirrorRoute"), m, MsgSetMirrorRouteRouting))
		}
		for j, match := range m.Match {
			mp := p.Child("setMirrorRoute").Child("match").Index(j)
			if match.Method != nil {
				errs = append(errs, validateStringMatch(match.Method, mp)...)
			}
			if match.Path != nil {
				errs = append(errs, validateStringMatch(match.Path, mp)...)
			}
			if match.Method != nil {
				errs = append(errs, validateStringMatch(match.Method, mp)...)
			}
		}
	}
	if tr != nil && (step.SetHeaderRoute != nil || step.SetMirrorRoute != nil) && tr.ManagedRoutes == nil {
		errs = append(errs, field.Required(canaryPath.Child("trafficRouting", "managedRoutes"), fmt.Sprintf(MsgMissingField, "spec.strategy.canary.trafficRouting.managedRoutes")))
	}
	if tr != nil && tr.ManagedRoutes != nil {
		if step.SetHeaderRoute != nil {
			errs = append(errs, validateManagedRoute(p.Child("setHeaderRoute"), step.SetHeaderRoute.Name, tr.ManagedRoutes)...)
		}
		if step.SetMirrorRoute != nil {
			errs = append(errs, validateManagedRoute(p.Child("setMirrorRoute"), step.SetMirrorRoute.Name, tr.ManagedRoutes)...)
		}
	}
	var args []v1alpha1.AnalysisRunArgument
	if ex := step.Experiment; ex != nil {
		for k, t := range ex.Templates {
			if t.Weight == nil {
				continue
			}
			wp := p.Child("experiment").Child("templates").Index(k).Child("weight")
			if tr == nil {
				errs = append(errs, field.Invalid(wp, *t.Weight, MsgExperimentWeightNoRouting))
			} else if tr.SMI == nil && tr.Istio == nil && len(tr.Plugins) == 0 {
				errs = append(errs, field.Invalid(wp, *t.Weight, MsgExperimentWeightRouters))
			}
		}
		for _, a := range ex.Analyses {
			args = append(args, a.Args...)
		}
	}
	if step.Analysis != nil {
		args = append(args, step.Analysis.Args...)
	}
	for _, a := range args {
		if a.ValueFrom != nil && a.ValueFrom.FieldRef != nil && strings.HasPrefix(a.ValueFrom.FieldRef.FieldPath, "metadata") {
			if _, err := metadataField(ro, a.ValueFrom.FieldRef.FieldPath); err != nil {
				errs = append(errs, field.Invalid(p.Child("analyses"), args, MsgInvalidAnalysisArgs))
			}
		}
	}
	return errs
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func validateManagedRoute(p *field.Path, name string, routes []v1alpha1.MangedRoutes) field.ErrorList {
	if slices.ContainsFunc(routes, func(r v1alpha1.MangedRoutes) bool { return r.Name == name }) {
		return nil
	}
	return field.ErrorList{field.Invalid(p, name, MsgRouteNotInManagedRoutes)}
}

// validateStringMatch requires exactly one of exact, regex and prefix.
func validateStringMatch(m *v1alpha1.StringMatch, p *field.Path) field.ErrorList {
	if m == nil {
		return field.ErrorList{field.Invalid(p, m, MsgStringMatchMissing)}
	}
	switch countTrue(m.Exact != "", m.Regex != "", m.Prefix != "") {
	case 0:
		return field.ErrorList{field.Invalid(p, m, MsgStringMatchMissing)}
	case 1:
		return nil
	}
	return field.ErrorList{field.Invalid(p, m, MsgStringMatchMultiple)}
}

func validateAntiAffinity(a *v1alpha1.AntiAffinity, p *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	var errs field.ErrorList
	preferred, required := a.PreferredDuringSchedulingIgnoredDuringExecution, a.RequiredDuringSchedulingIgnoredDuringExecution
	if (preferred == nil) == (required == nil) {
		v := fmt.Sprintf("antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: %t antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: %t", preferred != nil, required != nil)
		errs = append(errs, field.Invalid(p, v, MsgAntiAffinityStrategy))
	}
	if preferred != nil && (preferred.Weight < 1 || preferred.Weight > 100) {
		errs = append(errs, field.Invalid(p.Child("weight"), preferred.Weight, MsgAntiAffinityWeight))
	}
	return errs
}

// validateSurgeUnavailable rejects maxSurge and maxUnavailable that are both zero.
func validateSurgeUnavailable(ro *v1alpha1.Rollout, p *field.Path) field.ErrorList {
	surge, unavailable := maxSurgeOrDefault(ro), maxUnavailableOrDefault(ro)
	if intOrPercent(*surge) == 0 && intOrPercent(*unavailable) == 0 {
		var v any
		if ro.Spec.Strategy.Canary.MaxSurge != nil {
			v = *ro.Spec.Strategy.Canary.MaxSurge
		}
		return field.ErrorList{field.Invalid(p, v, MsgMaxSurgeMaxUnavailable)}
	}
	return nil
}

// intOrPercent is the number of an int, or of a valid percentage ("25%"), else the string's
// integer value (Argo's getIntOrPercentValue).
func intOrPercent(v intstr.IntOrString) int {
	if v.Type == intstr.String && len(validation.IsValidPercent(v.StrVal)) == 0 {
		n, _ := strconv.Atoi(v.StrVal[:len(v.StrVal)-1])
		return n
	}
	return v.IntValue()
}
