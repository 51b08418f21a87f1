package analysis

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// NewRunFromTemplates builds an AnalysisRun from templates as Argo's NewAnalysisRunFromTemplates
// does: the templates are flattened (metrics, args, dry-run and retention rules in order,
// namespaced templates first), the given args are merged over the declared ones (MergeArgs), and
// the given dry-run and retention rules come before the templates' own.
func NewRunFromTemplates(
	templates []*v1alpha1.AnalysisTemplate,
	clusterTemplates []*v1alpha1.ClusterAnalysisTemplate,
	args []v1alpha1.Argument,
	dryRun []v1alpha1.DryRun,
	retention []v1alpha1.MeasurementRetention,
	labels, annotations map[string]string,
	name, generateName, namespace string,
) (*v1alpha1.AnalysisRun, error) {
	flat, err := FlattenTemplates(templates, clusterTemplates)
	if err != nil {
		return nil, err
	}
	merged, err := MergeArgs(args, flat.Args)
	if err != nil {
		return nil, err
	}
	allDryRun := append(append([]v1alpha1.DryRun(nil), dryRun...), flat.DryRun...)
	if err := uniqueRuleNames(allDryRun, func(r v1alpha1.DryRun) string { return r.MetricName }, errDryRunRuleTwice); err != nil {
		return nil, err
	}
	allRetention := append(append([]v1alpha1.MeasurementRetention(nil), retention...), flat.MeasurementRetention...)
	if err := uniqueRuleNames(allRetention, func(r v1alpha1.MeasurementRetention) string { return r.MetricName }, errRetentionRuleTwice); err != nil {
		return nil, err
	}
	return &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name:         name,
			GenerateName: generateName,
			Namespace:    namespace,
			Labels:       labels,
			Annotations:  annotations,
		},
		Spec: v1alpha1.AnalysisRunSpec{
			Metrics:              flat.Metrics,
			Args:                 merged,
			DryRun:               allDryRun,
			MeasurementRetention: allRetention,
		},
	}, nil
}

// FlattenTemplates combines templates into one spec: metrics (names must be unique), args (the
// same name twice must not carry two different values; a value replaces an absent one), and
// dry-run and retention rules (rule names must be unique). Included templates (spec.templates)
// are not followed here; ResolveTemplateRefs expands them.
func FlattenTemplates(templates []*v1alpha1.AnalysisTemplate, clusterTemplates []*v1alpha1.ClusterAnalysisTemplate) (*v1alpha1.AnalysisTemplateSpec, error) {
	specs := make([]*v1alpha1.AnalysisTemplateSpec, 0, len(templates)+len(clusterTemplates))
	for _, t := range templates {
		specs = append(specs, &t.Spec)
	}
	for _, t := range clusterTemplates {
		specs = append(specs, &t.Spec)
	}
	var out v1alpha1.AnalysisTemplateSpec
	names := map[string]bool{}
	for _, s := range specs {
		for _, m := range s.Metrics {
			if names[m.Name] {
				return nil, fmt.Errorf(errTemplateMetricTwice, m.Name)
			}
			names[m.Name] = true
			out.Metrics = append(out.Metrics, m)
		}
	}
	for _, s := range specs {
		out.DryRun = append(out.DryRun, s.DryRun...)
		out.MeasurementRetention = append(out.MeasurementRetention, s.MeasurementRetention...)
	}
	if err := uniqueRuleNames(out.DryRun, func(r v1alpha1.DryRun) string { return r.MetricName }, errDryRunRuleTwice); err != nil {
		return nil, err
	}
	if err := uniqueRuleNames(out.MeasurementRetention, func(r v1alpha1.MeasurementRetention) string { return r.MetricName }, errRetentionRuleTwice); err != nil {
		return nil, err
	}
	for _, s := range specs {
		for _, a := range s.Args {
			if err := addArg(&out.Args, a); err != nil {
				return nil, err
			}
		}
	}
	return &out, nil
}

// addArg appends a, or reconciles it with an argument of the same name already there.
func addArg(args *[]v1alpha1.Argument, a v1alpha1.Argument) error {
	for i, prev := range *args {
		if prev.Name != a.Name {
			continue
		}
		if prev.Value != nil && a.Value != nil && *prev.Value != *a.Value {
			//lint:ignore ST1005 Argo's wording, kept for users' greps
			return fmt.Errorf(errArgConflict, prev.Name, *prev.Value, *a.Value)
		}
		if prev.Value == nil {
			(*args)[i] = a
		}
		return nil
	}
	*args = append(*args, a)
	return nil
}

func uniqueRuleNames[T any](rules []T, name func(T) string, format string) error {
	seen := map[string]bool{}
	for _, r := range rules {
		n := name(r)
		if seen[n] {
			return fmt.Errorf(format, n)
		}
		seen[n] = true
	}
	return nil
}

// ResolveTemplateRefs reads the referenced templates, and the templates they include, from the
// API, as Argo's rollout controller does: a namespaced template comes from namespace, a cluster
// template when clusterScope is true; included templates follow the one that includes them;
// a template named twice is kept once. A missing template is the API's NotFound error. Unlike
// Argo, which recurses forever, a template that includes itself is an error.
func ResolveTemplateRefs(ctx context.Context, c client.Reader, namespace string, refs []v1alpha1.AnalysisTemplateRef) ([]*v1alpha1.AnalysisTemplate, []*v1alpha1.ClusterAnalysisTemplate, error) {
	var templates []*v1alpha1.AnalysisTemplate
	var clusterTemplates []*v1alpha1.ClusterAnalysisTemplate
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
					return fmt.Errorf(errTemplateIncludeCycle, ref.TemplateName, strings.Join(append(path, id), " -> "))
				}
			}
			var included []v1alpha1.AnalysisTemplateRef
			if cluster {
				t := &v1alpha1.ClusterAnalysisTemplate{}
				if err := c.Get(ctx, types.NamespacedName{Name: ref.TemplateName}, t); err != nil {
					return err
				}
				clusterTemplates = append(clusterTemplates, t)
				included = t.Spec.Templates
			} else {
				t := &v1alpha1.AnalysisTemplate{}
				if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.TemplateName}, t); err != nil {
					return err
				}
				templates = append(templates, t)
				included = t.Spec.Templates
			}
			if len(included) > 0 {
				if err := walk(included, append(path, id)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(refs, nil); err != nil {
		return nil, nil, err
	}
	return uniqueByName(templates), uniqueByName(clusterTemplates), nil
}

func uniqueByName[T interface{ GetName() string }](items []T) []T {
	seen := map[string]bool{}
	out := make([]T, 0, len(items))
	for _, it := range items {
		if !seen[it.GetName()] {
			seen[it.GetName()] = true
			out = append(out, it)
		}
	}
	return out
}
