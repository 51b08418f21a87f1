package lint

import (
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

// The pod-template hashes the rollout controller's own validation gives podTemplateHashValue
// arguments (Argo's buildAnalysisArgs); the canary's also marks a query as selecting the canary.
const (
	stableHashPlaceholder = "dummy-stable-hash"
	canaryHashPlaceholder = "dummy-new-hash"
)

var (
	dummyStable = &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: stableHashPlaceholder}}}
	dummyNew    = &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: canaryHashPlaceholder}}}
)

// usage is one place where a Rollout runs analysis templates.
type usage struct {
	path     *field.Path
	analysis v1alpha1.RolloutAnalysis
	// background runs for the whole update; the others must end (no indefinite metric).
	background bool
	// canary: the run measures a canary beside its stable pods.
	canary bool
}

func usages(ro *v1alpha1.Rollout) []usage {
	var out []usage
	sp := specPath.Child("strategy")
	if c := ro.Spec.Strategy.Canary; c != nil {
		if c.Analysis != nil {
			out = append(out, usage{path: sp.Child("canary", "analysis"), analysis: c.Analysis.RolloutAnalysis, background: true, canary: true})
		}
		for i, s := range c.Steps {
			if s.Analysis != nil {
				out = append(out, usage{path: sp.Child("canary", "steps").Index(i).Child("analysis"), analysis: *s.Analysis, canary: true})
			}
		}
	}
	if b := ro.Spec.Strategy.BlueGreen; b != nil {
		if b.PrePromotionAnalysis != nil {
			out = append(out, usage{path: sp.Child("blueGreen", "prePromotionAnalysis"), analysis: *b.PrePromotionAnalysis})
		}
		if b.PostPromotionAnalysis != nil {
			out = append(out, usage{path: sp.Child("blueGreen", "postPromotionAnalysis"), analysis: *b.PostPromotionAnalysis})
		}
	}
	return out
}

// lintRollout checks a Rollout's spec (Argo's rules), the Services it names, and every analysis
// it runs: the templates exist, a run can be built from them with the Rollout's arguments (as
// Argo's ValidateAnalysisTemplatesWithType does), and their queries select the canary.
func lintRollout(o object, ro *v1alpha1.Rollout, g *group) []located {
	at := finder{file: o.Source, kind: "Rollout", name: ro.Name}
	var out []located
	mine := func(fs ...Finding) {
		for _, f := range fs {
			out = append(out, located{Finding: f, input: o.input})
		}
	}
	mine(rolloutSpecFindings(ro, at)...)
	mine(serviceFindings(ro, g, at)...)
	ns := namespaceOf(ro.Namespace)
	for _, u := range usages(ro) {
		fs, ls := usageFindings(ro, ns, u, g, at)
		mine(fs...)
		out = append(out, ls...)
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		for i, s := range c.Steps {
			if s.Experiment == nil {
				continue
			}
			for j, a := range s.Experiment.Analyses {
				ref := v1alpha1.AnalysisTemplateRef{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}
				p := specPath.Child("strategy", "canary", "steps").Index(i).Child("experiment", "analyses").Index(j)
				if _, err := g.resolveRefs(ns, []v1alpha1.AnalysisTemplateRef{ref}); err != nil {
					mine(at.at(p).err(RuleReference, refMessage(err)))
				}
			}
		}
	}
	return out
}

// refMessage words a resolution error as the rollout controller does for its own references.
func refMessage(err error) string {
	var m *missingTemplate
	if errors.As(err, &m) {
		if m.cluster {
			return fmt.Sprintf(msgClusterTemplateNotFnd, m.name)
		}
		return fmt.Sprintf(msgTemplateNotFound, m.name)
	}
	return err.Error()
}

func usageFindings(ro *v1alpha1.Rollout, ns string, u usage, g *group, at finder) ([]Finding, []located) {
	var out []Finding
	tp := u.path.Child("templates")
	var res resolved
	for i, ref := range u.analysis.Templates {
		r, err := g.resolveRefs(ns, []v1alpha1.AnalysisTemplateRef{ref})
		if err != nil {
			out = append(out, at.at(tp.Index(i)).err(RuleReference, refMessage(err)))
			continue
		}
		for _, t := range r.templates {
			if !slices.Contains(res.templates, t) {
				res.templates = append(res.templates, t)
			}
		}
	}
	if len(out) > 0 || len(res.templates) == 0 {
		return out, nil
	}

	declared := map[string]bool{}
	for _, t := range res.templates {
		for _, a := range t.spec.Args {
			declared[a.Name] = true
		}
	}
	badField := false
	for i, a := range u.analysis.Args {
		p := u.path.Child("args").Index(i)
		if !declared[a.Name] {
			out = append(out, at.at(p).warn(RuleArgs, fmt.Sprintf(msgArgNotDeclared, a.Name)))
		}
		if a.ValueFrom != nil && a.ValueFrom.FieldRef != nil {
			if err := fieldRefError(ro, a); err != nil {
				badField = true
				out = append(out, at.at(p.Child("valueFrom", "fieldRef", "fieldPath")).err(RuleArgs, fmt.Sprintf(msgFieldRef, a.ValueFrom.FieldRef.FieldPath, err)))
			}
		}
	}
	if badField {
		return out, nil // without its arguments no run can be built
	}

	args, _ := rollout.BuildAnalysisArgs(u.analysis.Args, dummyStable, dummyNew, ro)
	templates, clusterTemplates := res.split()
	run, err := analysis.NewRunFromTemplates(templates, clusterTemplates, args, u.analysis.DryRun, u.analysis.MeasurementRetention, nil, nil, "", "", ns)
	if err != nil {
		return append(out, at.at(tp).err(RuleArgo, err.Error())), nil
	}
	metrics, err := analysis.ResolveMetrics(run.Spec.Metrics, withPlaceholders(run.Spec.Args, placeholders[0]))
	if err != nil {
		return out, nil // the templates' own findings say why
	}
	if _, err := analysis.DryRunMetrics(run.Spec.DryRun, metrics); err != nil {
		out = append(out, at.at(u.path).err(RuleArgo, fmt.Sprintf(msgAnalysisSpecInvalid, err)))
	}
	if _, err := analysis.RetentionMetrics(run.Spec.MeasurementRetention, metrics); err != nil {
		out = append(out, at.at(u.path).err(RuleArgo, fmt.Sprintf(msgAnalysisSpecInvalid, err)))
	}

	var theirs []located
	for _, t := range res.templates {
		for i, m := range t.spec.Metrics {
			resolvedM, err := analysis.ResolveMetricArgs(m, withPlaceholders(run.Spec.Args, placeholders[1]))
			if err != nil {
				continue
			}
			if !u.background && resolvedM.EffectiveCount() == nil {
				out = append(out, at.at(tp).err(RuleArgo, fmt.Sprintf(msgRunsIndefinitely, t.name, m.Name, countText(m))))
			}
			if u.canary {
				for _, f := range unfilteredFindings(ro, t, i, *resolvedM) {
					theirs = append(theirs, located{Finding: f, input: t.o.input})
				}
			}
		}
	}
	return out, theirs
}

// countText is the count as Argo's message prints it (a nil count prints as <nil>).
func countText(m v1alpha1.Metric) string {
	if m.Count == nil {
		return "<nil>"
	}
	return m.Count.String()
}

// unfilteredFindings warns, on the template, about a query a canary analysis runs that does
// not select the canary.
func unfilteredFindings(ro *v1alpha1.Rollout, t *template, i int, m v1alpha1.Metric) []Finding {
	at := t.finder()
	mp := specPath.Child("metrics").Index(i).Child("provider")
	if p := m.Provider.Prometheus; p != nil {
		e, err := promParser.ParseExpr(p.Query)
		if err == nil && !SelectsCanary(e, canaryHashPlaceholder) {
			return []Finding{at.at(mp.Child("prometheus", "query")).warn(RuleUnfiltered, fmt.Sprintf(msgUnfiltered, ro.Name))}
		}
	}
	return nil
}

// serviceFindings checks the Services the strategy names: present among the files (an error in
// a scenario, which must hold everything; a warning for plain files, which may not), and
// selecting the Rollout's pods (Argo's ValidateService).
func serviceFindings(ro *v1alpha1.Rollout, g *group, at finder) []Finding {
	var out []Finding
	sp := specPath.Child("strategy")
	var named []struct {
		name string
		path *field.Path
	}
	addName := func(name string, p *field.Path) {
		if name != "" {
			named = append(named, struct {
				name string
				path *field.Path
			}{name, p})
		}
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		addName(c.StableService, sp.Child("canary", "stableService"))
		addName(c.CanaryService, sp.Child("canary", "canaryService"))
	}
	if b := ro.Spec.Strategy.BlueGreen; b != nil {
		addName(b.ActiveService, sp.Child("blueGreen", "activeService"))
		addName(b.PreviewService, sp.Child("blueGreen", "previewService"))
	}
	for _, n := range named {
		svc := g.services[nsName{namespaceOf(ro.Namespace), n.name}]
		if svc == nil {
			f := at.at(n.path).warn(RuleReference, fmt.Sprintf(msgServiceNotFound, n.name))
			if g.scenario {
				f.Severity = Error
			}
			out = append(out, f)
			continue
		}
		keys := make([]string, 0, len(svc.Spec.Selector))
		for k := range svc.Spec.Selector {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if k == v1alpha1.DefaultRolloutUniqueLabelKey {
				continue
			}
			if v, ok := ro.Spec.Template.Labels[k]; !ok || v != svc.Spec.Selector[k] {
				out = append(out, at.at(n.path).err(RuleArgo, fmt.Sprintf(msgServiceLabel, svc.Name, k)))
			}
		}
	}
	return out
}

// fieldRefError is the rollout controller's error for a metadata fieldRef argument, nil when it
// reads.
func fieldRefError(ro *v1alpha1.Rollout, a v1alpha1.AnalysisRunArgument) error {
	_, err := rollout.BuildAnalysisArgs([]v1alpha1.AnalysisRunArgument{a}, dummyStable, dummyNew, ro)
	return err
}
