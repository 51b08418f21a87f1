package lint

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// group is a set of objects that see each other: all plain files together, or one scenario's
// manifests.
type group struct {
	objects  []object
	scenario bool
	// templates by namespace and name, cluster templates by name, services by namespace and name.
	templates map[nsName]*template
	cluster   map[string]*template
	services  map[nsName]*corev1.Service
}

type nsName struct{ namespace, name string }

// namespaceOf is the object's namespace, "default" when it has none (as when applied).
func namespaceOf(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

func newGroup(objs []object, scenario bool) *group {
	g := &group{objects: objs, scenario: scenario, templates: map[nsName]*template{}, cluster: map[string]*template{}, services: map[nsName]*corev1.Service{}}
	for _, o := range objs {
		switch t := o.Object.Object.(type) {
		case *v1alpha1.AnalysisTemplate:
			k := nsName{namespaceOf(t.Namespace), t.Name}
			if _, dup := g.templates[k]; !dup {
				g.templates[k] = &template{o: o, kind: "AnalysisTemplate", name: t.Name, namespace: k.namespace, spec: t.Spec}
			}
		case *v1alpha1.ClusterAnalysisTemplate:
			if _, dup := g.cluster[t.Name]; !dup {
				g.cluster[t.Name] = &template{o: o, kind: "ClusterAnalysisTemplate", name: t.Name, namespace: "default", spec: t.Spec}
			}
		case *corev1.Service:
			g.services[nsName{namespaceOf(t.Namespace), t.Name}] = t
		}
	}
	return g
}

// templateOf is the object as a template (an AnalysisRun's spec read as a template's).
func (g *group) templateOf(o object) *template {
	switch t := o.Object.Object.(type) {
	case *v1alpha1.AnalysisTemplate:
		return &template{o: o, kind: "AnalysisTemplate", name: t.Name, namespace: namespaceOf(t.Namespace), spec: t.Spec}
	case *v1alpha1.ClusterAnalysisTemplate:
		return &template{o: o, kind: "ClusterAnalysisTemplate", name: t.Name, namespace: "default", spec: t.Spec}
	case *v1alpha1.AnalysisRun:
		return &template{o: o, kind: "AnalysisRun", name: t.Name, namespace: namespaceOf(t.Namespace), spec: v1alpha1.AnalysisTemplateSpec{
			Metrics: t.Spec.Metrics, Args: t.Spec.Args, DryRun: t.Spec.DryRun, MeasurementRetention: t.Spec.MeasurementRetention,
		}}
	}
	return nil
}

// missingTemplate is a reference to a template that is not in the group.
type missingTemplate struct {
	name    string
	cluster bool
}

func (m *missingTemplate) Error() string {
	kind := "AnalysisTemplate"
	if m.cluster {
		kind = "ClusterAnalysisTemplate"
	}
	return fmt.Sprintf(msgIncludeNotFound, kind, m.name)
}

// includeCycle is a template that includes itself.
type includeCycle struct {
	name string
	path []string
}

func (c *includeCycle) Error() string {
	return fmt.Sprintf(msgIncludeCycle, c.name, strings.Join(c.path, " -> "))
}

// resolved is what a list of template references comes to, includes expanded: the templates in
// the order the rollout controller reads them, each once.
type resolved struct {
	templates []*template
}

func (r resolved) split() ([]*v1alpha1.AnalysisTemplate, []*v1alpha1.ClusterAnalysisTemplate) {
	var ts []*v1alpha1.AnalysisTemplate
	var cs []*v1alpha1.ClusterAnalysisTemplate
	for _, t := range r.templates {
		switch o := t.o.Object.Object.(type) {
		case *v1alpha1.AnalysisTemplate:
			ts = append(ts, o)
		case *v1alpha1.ClusterAnalysisTemplate:
			cs = append(cs, o)
		}
	}
	return ts, cs
}

// resolveRefs finds referenced templates in the group as analysis.ResolveTemplateRefs finds
// them in the API: namespaced ones in namespace, included templates after their includer, each
// template once. The error is a *missingTemplate or an *includeCycle.
func (g *group) resolveRefs(namespace string, refs []v1alpha1.AnalysisTemplateRef) (resolved, error) {
	var out resolved
	seen := map[*template]bool{}
	var walk func(refs []v1alpha1.AnalysisTemplateRef, path []string) error
	walk = func(refs []v1alpha1.AnalysisTemplateRef, path []string) error {
		for _, ref := range refs {
			cluster := ref.ClusterScope != nil && *ref.ClusterScope
			id := ref.TemplateName
			if cluster {
				id = "cluster/" + id
			}
			for _, p := range path {
				if p == id {
					return &includeCycle{name: ref.TemplateName, path: append(append([]string(nil), path...), id)}
				}
			}
			var t *template
			if cluster {
				t = g.cluster[ref.TemplateName]
			} else {
				t = g.templates[nsName{namespace, ref.TemplateName}]
			}
			if t == nil {
				return &missingTemplate{name: ref.TemplateName, cluster: cluster}
			}
			if !seen[t] {
				seen[t] = true
				out.templates = append(out.templates, t)
			}
			if err := walk(t.spec.Templates, append(path, id)); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(refs, nil)
}

// metricNames are the names of the template's metrics and of those of the templates it
// includes (as far as the group holds them).
func (g *group) metricNames(t *template) []string {
	var names []string
	for _, m := range t.spec.Metrics {
		names = append(names, m.Name)
	}
	for _, ref := range t.spec.Templates {
		r, _ := g.resolveRefs(t.namespace, []v1alpha1.AnalysisTemplateRef{ref})
		for _, it := range r.templates {
			for _, m := range it.spec.Metrics {
				names = append(names, m.Name)
			}
		}
	}
	return names
}

// lintGroup checks every object of the group, in order.
func lintGroup(objs []object, scenario bool) []located {
	g := newGroup(objs, scenario)
	var out []located
	for _, o := range objs {
		switch obj := o.Object.Object.(type) {
		case *v1alpha1.AnalysisTemplate, *v1alpha1.ClusterAnalysisTemplate, *v1alpha1.AnalysisRun:
			for _, f := range lintTemplate(g.templateOf(o), g) {
				out = append(out, located{Finding: f, input: o.input})
			}
		case *v1alpha1.Rollout:
			out = append(out, lintRollout(o, obj, g)...)
		}
	}
	return out
}
