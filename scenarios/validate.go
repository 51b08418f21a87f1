package scenarios

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/expr-lang/expr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

var (
	faults   = []string{FaultHTTPErrors, FaultLatency, FaultOOM, FaultMemoryLeak, FaultBusinessFailure, FaultCrashLoop}
	targets  = []string{TargetCanary, TargetStable, TargetAll}
	actions  = []string{ActionPromote, ActionPromoteFull, ActionAbort, ActionRetry, ActionPause, ActionResume, ActionUndo}
	outcomes = []string{OutcomePromoted, OutcomeRolledBack, OutcomePaused, OutcomeDegraded, OutcomeRunning}
	presets  = []string{"default", "istio", "nginx"}
	patterns = []string{"constant", "diurnal", "sine"}
)

// Validate checks a decoded, defaulted scenario and its manifests. Each problem is one line:
// the file, the field path and what is wrong.
func (sc *Scenario) Validate() Problems {
	var errs field.ErrorList
	if sc.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), sc.APIVersion, []string{APIVersion}))
	}
	if sc.Kind != Kind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), sc.Kind, []string{Kind}))
	}
	if !nameRE.MatchString(sc.Metadata.Name) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), sc.Metadata.Name, "must be lower-case letters, digits and '-', starting and ending with a letter or digit"))
	}
	spec := field.NewPath("spec")
	s := sc.Spec
	if s.MaxDuration.Duration <= 0 {
		errs = append(errs, field.Invalid(spec.Child("maxDuration"), s.MaxDuration.String(), "must be positive"))
	}
	if len(s.Manifests) == 0 {
		errs = append(errs, field.Required(spec.Child("manifests"), "at least one manifest with a Rollout"))
	}
	if s.Traffic.RPS < 0 {
		errs = append(errs, field.Invalid(spec.Child("traffic", "rps"), s.Traffic.RPS, "must not be negative"))
	}
	errs = append(errs, oneOf(spec.Child("traffic", "pattern"), s.Traffic.Pattern, patterns)...)
	errs = append(errs, oneOf(spec.Child("metrics", "preset"), s.Metrics.Preset, presets)...)
	if s.Metrics.ScrapeInterval.Duration <= 0 {
		errs = append(errs, field.Invalid(spec.Child("metrics", "scrapeInterval"), s.Metrics.ScrapeInterval.String(), "must be positive"))
	}
	errs = append(errs, validateVersions(spec.Child("versions"), s.Versions)...)
	rollouts := sc.rolloutNames()
	if len(s.Manifests) > 0 && len(rollouts) == 0 {
		errs = append(errs, field.Required(spec.Child("manifests"), "no Rollout (argoproj.io/v1alpha1) among the manifests"))
	}
	for i, e := range s.Timeline {
		errs = append(errs, validateEntry(spec.Child("timeline").Index(i), e, rollouts)...)
	}
	errs = append(errs, sc.validateJobs(spec.Child("jobs"))...)
	errs = append(errs, oneOf(spec.Child("expect", "outcome"), s.Expect.Outcome, outcomes)...)
	if h := s.Healthy; h != nil {
		hp := spec.Child("healthy")
		if h.Versions != nil {
			errs = append(errs, validateVersions(hp.Child("versions"), h.Versions)...)
		}
		for i, e := range h.Timeline {
			errs = append(errs, validateEntry(hp.Child("timeline").Index(i), e, rollouts)...)
		}
	}
	var probs Problems
	for _, e := range errs {
		probs = append(probs, fmt.Sprintf("%s: %s", sc.Source, e.Error()))
	}
	return append(probs, sc.validateManifests()...)
}

func oneOf(p *field.Path, v string, allowed []string) field.ErrorList {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(p, v, allowed)}
}

func validateVersions(p *field.Path, vs map[string]Version) field.ErrorList {
	var errs field.ErrorList
	names := make([]string, 0, len(vs))
	for n := range vs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v, vp := vs[n], p.Key(n)
		if r := *v.ErrorRate; r < 0 || r > 1 {
			errs = append(errs, field.Invalid(vp.Child("errorRate"), r, "must be between 0 and 1"))
		}
		if v.Latency.P50.Duration <= 0 || v.Latency.P99.Duration < v.Latency.P50.Duration {
			errs = append(errs, field.Invalid(vp.Child("latency"), fmt.Sprintf("p50=%s p99=%s", v.Latency.P50, v.Latency.P99), "need 0 < p50 <= p99"))
		}
		if v.Startup.Duration < 0 {
			errs = append(errs, field.Invalid(vp.Child("startup"), v.Startup.String(), "must not be negative"))
		}
		if v.Memory.Limit.Float() <= 0 || v.Memory.Start.Float() < 0 {
			errs = append(errs, field.Invalid(vp.Child("memory"), fmt.Sprintf("start=%s limit=%s", v.Memory.Start.String(), v.Memory.Limit.String()), "need start >= 0 and limit > 0"))
		}
	}
	return errs
}

func validateEntry(p *field.Path, e Entry, rollouts []string) field.ErrorList {
	var errs field.ErrorList
	if e.At.Duration < 0 {
		errs = append(errs, field.Invalid(p.Child("at"), e.At.String(), "must not be negative"))
	}
	n := 0
	if e.Update != nil {
		n++
	}
	if e.Fault != "" {
		n++
	}
	if e.Action != "" {
		n++
	}
	if n != 1 {
		errs = append(errs, field.Invalid(p, "", "exactly one of update, fault or action is required"))
	}
	if e.Rollout != "" && !contains(rollouts, e.Rollout) {
		errs = append(errs, field.NotFound(p.Child("rollout"), e.Rollout))
	}
	if u := e.Update; u != nil && u.Image == "" && len(u.Args) == 0 && len(u.Env) == 0 && u.Version == "" {
		errs = append(errs, field.Required(p.Child("update"), "one of image, args, env or version"))
	}
	if e.Fault != "" {
		errs = append(errs, oneOf(p.Child("fault"), e.Fault, faults)...)
		errs = append(errs, oneOf(p.Child("target"), e.Target, targets)...)
		if e.Duration.Duration < 0 {
			errs = append(errs, field.Invalid(p.Child("duration"), e.Duration.String(), "must not be negative"))
		}
		if e.Version != "" && e.Target != "" {
			errs = append(errs, field.Invalid(p.Child("version"), e.Version, "a fault targets a version or canary|stable|all, not both"))
		}
		if e.Pods < 0 {
			errs = append(errs, field.Invalid(p.Child("pods"), e.Pods, "must not be negative"))
		}
		if e.Segment < 0 || e.Segment > 1 {
			errs = append(errs, field.Invalid(p.Child("segment"), e.Segment, "a fraction between 0 and 1"))
		}
		switch e.Fault {
		case FaultHTTPErrors, FaultBusinessFailure:
			if r := e.Rate.Float(); !e.Rate.IsSet() || r < 0 || r > 1 {
				errs = append(errs, field.Invalid(p.Child("rate"), e.Rate.String(), "a fraction between 0 and 1 is required"))
			}
			if e.Code != 0 && (e.Code < 100 || e.Code > 599) {
				errs = append(errs, field.Invalid(p.Child("code"), e.Code, "must be an HTTP status code"))
			}
		case FaultLatency:
			if e.Add.Duration <= 0 && e.Factor <= 0 {
				errs = append(errs, field.Required(p.Child("add"), "latency needs add (a duration) or factor"))
			}
		case FaultMemoryLeak:
			if e.Rate.Float() <= 0 {
				errs = append(errs, field.Invalid(p.Child("rate"), e.Rate.String(), "bytes per second (e.g. 2Mi) is required"))
			}
		}
	}
	if e.Action != "" {
		errs = append(errs, oneOf(p.Child("action"), e.Action, actions)...)
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (sc *Scenario) rolloutNames() []string {
	var out []string
	for _, o := range sc.Objects {
		if r, ok := o.Object.(*v1alpha1.Rollout); ok {
			ns := r.Namespace
			if ns == "" {
				ns = "default"
			}
			out = append(out, r.Name, ns+"/"+r.Name)
		}
	}
	return out
}

// validateManifests checks what a run needs of the Argo objects: referenced templates exist
// and every condition compiles.
func (sc *Scenario) validateManifests() Problems {
	var probs Problems
	templates := map[string]bool{}
	clusterTemplates := map[string]bool{}
	for _, o := range sc.Objects {
		switch t := o.Object.(type) {
		case *v1alpha1.AnalysisTemplate:
			templates[t.Name] = true
			probs = append(probs, conditionProblems(o.Source, "AnalysisTemplate "+t.Name, t.Spec.Metrics)...)
		case *v1alpha1.ClusterAnalysisTemplate:
			clusterTemplates[t.Name] = true
			probs = append(probs, conditionProblems(o.Source, "ClusterAnalysisTemplate "+t.Name, t.Spec.Metrics)...)
		}
	}
	for _, o := range sc.Objects {
		r, ok := o.Object.(*v1alpha1.Rollout)
		if !ok || r.Spec.Strategy.Canary == nil {
			continue
		}
		check := func(p *field.Path, refs []v1alpha1.AnalysisTemplateRef) {
			for i, ref := range refs {
				cluster := ref.ClusterScope != nil && *ref.ClusterScope
				if (cluster && !clusterTemplates[ref.TemplateName]) || (!cluster && !templates[ref.TemplateName]) {
					kind := "template"
					if cluster {
						kind = "cluster template"
					}
					probs = append(probs, fmt.Sprintf("%s: Rollout %s: %s: %s %q not found", o.Source, r.Name,
						p.Child("templates").Index(i).String(), kind, ref.TemplateName))
				}
			}
		}
		canary := field.NewPath("spec", "strategy", "canary")
		if a := r.Spec.Strategy.Canary.Analysis; a != nil {
			check(canary.Child("analysis"), a.Templates)
		}
		for i, st := range r.Spec.Strategy.Canary.Steps {
			if st.Analysis != nil {
				check(canary.Child("steps").Index(i).Child("analysis"), st.Analysis.Templates)
			}
			if st.Pause != nil && st.Pause.DurationSeconds() < 0 {
				probs = append(probs, fmt.Sprintf("%s: Rollout %s: %s: invalid pause duration %q", o.Source, r.Name,
					canary.Child("steps").Index(i).Child("pause", "duration").String(), st.Pause.Duration.String()))
			}
		}
	}
	return probs
}

func conditionProblems(source, object string, metrics []v1alpha1.Metric) Problems {
	var probs Problems
	for i, m := range metrics {
		p := field.NewPath("spec", "metrics").Index(i)
		for name, cond := range map[string]string{"successCondition": m.SuccessCondition, "failureCondition": m.FailureCondition} {
			if cond == "" {
				continue
			}
			if _, err := expr.Compile(cond); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %s: %s: expression does not compile: %v", source, object, p.Child(name).String(), firstLine(err.Error())))
			}
		}
	}
	sort.Strings(probs)
	return probs
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
