package rollout

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// newRunFromTemplates is the one call site for building an AnalysisRun from templates. It stands
// in for controller/analysis.NewRunFromTemplates (same signature, Argo's NewAnalysisRunFromTemplates
// semantics) until that package exports it; switching is this one line.
var newRunFromTemplates = buildRunFromTemplates

// buildRunFromTemplates flattens the templates (metrics must have distinct names; an argument given
// twice must agree), merges the Rollout's arguments into the templates' (every argument must end
// with a value or valueFrom) and appends the templates' dry-run and retention rules to the given
// ones.
func buildRunFromTemplates(templates []*v1alpha1.AnalysisTemplate, clusterTemplates []*v1alpha1.ClusterAnalysisTemplate,
	args []v1alpha1.Argument, dryRun []v1alpha1.DryRun, retention []v1alpha1.MeasurementRetention,
	labels, annotations map[string]string, name, generateName, namespace string) (*v1alpha1.AnalysisRun, error) {
	specs := make([]*v1alpha1.AnalysisTemplateSpec, 0, len(templates)+len(clusterTemplates))
	for _, t := range templates {
		specs = append(specs, &t.Spec)
	}
	for _, t := range clusterTemplates {
		specs = append(specs, &t.Spec)
	}

	var metrics []v1alpha1.Metric
	seenMetric := map[string]bool{}
	var templateArgs []v1alpha1.Argument
	var templateDryRun []v1alpha1.DryRun
	var templateRetention []v1alpha1.MeasurementRetention
	for _, s := range specs {
		for _, m := range s.Metrics {
			if seenMetric[m.Name] {
				return nil, fmt.Errorf("two metrics have the same name '%s'", m.Name)
			}
			seenMetric[m.Name] = true
			metrics = append(metrics, *m.DeepCopy())
		}
		for _, a := range s.Args {
			var err error
			if templateArgs, err = addTemplateArg(templateArgs, a); err != nil {
				return nil, err
			}
		}
		templateDryRun = append(templateDryRun, s.DryRun...)
		templateRetention = append(templateRetention, s.MeasurementRetention...)
	}
	if err := uniqueDryRun(templateDryRun); err != nil {
		return nil, err
	}
	if err := uniqueRetention(templateRetention); err != nil {
		return nil, err
	}
	merged, err := mergeArgs(args, templateArgs)
	if err != nil {
		return nil, err
	}
	allDryRun := append(append([]v1alpha1.DryRun(nil), dryRun...), templateDryRun...)
	if err := uniqueDryRun(allDryRun); err != nil {
		return nil, err
	}
	allRetention := append(append([]v1alpha1.MeasurementRetention(nil), retention...), templateRetention...)
	if err := uniqueRetention(allRetention); err != nil {
		return nil, err
	}
	return &v1alpha1.AnalysisRun{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "AnalysisRun"},
		ObjectMeta: metav1.ObjectMeta{
			Name:         name,
			GenerateName: generateName,
			Namespace:    namespace,
			Labels:       labels,
			Annotations:  annotations,
		},
		Spec: v1alpha1.AnalysisRunSpec{
			Metrics:              metrics,
			DryRun:               allDryRun,
			MeasurementRetention: allRetention,
			Args:                 merged,
		},
	}, nil
}

// addTemplateArg adds a template argument; one declared again must not change a value, and a
// value replaces a missing one.
func addTemplateArg(args []v1alpha1.Argument, a v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	for i, prev := range args {
		if prev.Name != a.Name {
			continue
		}
		if prev.Value != nil && a.Value != nil && *prev.Value != *a.Value {
			//lint:ignore ST1005 Argo's text
			return nil, fmt.Errorf("Argument `%s` specified multiple times with different values: '%s', '%s'", prev.Name, *prev.Value, *a.Value)
		}
		if prev.Value == nil {
			args[i] = *a.DeepCopy()
		}
		return args, nil
	}
	return append(args, *a.DeepCopy()), nil
}

// mergeArgs lays the incoming values over the template's arguments; incoming names the template
// does not declare are dropped.
func mergeArgs(incoming, templateArgs []v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	out := append([]v1alpha1.Argument(nil), templateArgs...)
	for _, a := range incoming {
		for i := range out {
			if out[i].Name != a.Name {
				continue
			}
			if a.Value != nil {
				out[i].Value = a.Value
			} else if a.ValueFrom != nil {
				out[i].ValueFrom = a.ValueFrom
			}
		}
	}
	for _, a := range out {
		if a.Value == nil && a.ValueFrom == nil {
			return nil, fmt.Errorf("args.%s was not resolved", a.Name)
		}
	}
	return out, nil
}

func uniqueDryRun(rules []v1alpha1.DryRun) error {
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.MetricName] {
			return fmt.Errorf("two Dry-Run metric rules have the same name '%s'", r.MetricName)
		}
		seen[r.MetricName] = true
	}
	return nil
}

func uniqueRetention(rules []v1alpha1.MeasurementRetention) error {
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.MetricName] {
			return fmt.Errorf("two Measurement Retention metric rules have the same name '%s'", r.MetricName)
		}
		seen[r.MetricName] = true
	}
	return nil
}
