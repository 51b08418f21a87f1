package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Building the AnalysisRuns a Rollout creates (Argo's createAnalysisRun, newAnalysisRunFromRollout
// and utils/analysis BuildArgumentsForRolloutAnalysisRun).

// planAnalysisRun builds the run <rollout>-<podHash>-<revision>[-<infix>] from the step's or the
// background analysis' templates and queues its creation.
func (c *rolloutContext) planAnalysisRun(ra *v1alpha1.RolloutAnalysis, infix string, labels map[string]string) (*v1alpha1.AnalysisRun, error) {
	ro := c.ro
	args, err := BuildAnalysisArgs(ra.Args, c.stableRS, c.newRS, ro)
	if err != nil {
		return nil, err
	}
	podHash := podHashOf(c.newRS)
	if podHash == "" {
		//lint:ignore ST1005 Argo's text
		return nil, fmt.Errorf("Latest ReplicaSet '%s' has no pod hash in the labels", c.newRS.Name)
	}
	revision := ro.Annotations[AnnotationRevision]
	name := ro.Name + "-" + podHash + "-" + revision
	if infix != "" {
		name += "-" + infix
	}
	templates, clusterTemplates, err := c.templatesFor(ra.Templates)
	if err != nil {
		return nil, err
	}
	if id := ro.Labels[LabelControllerInstanceID]; id != "" {
		labels[LabelControllerInstanceID] = id
	}
	if ra.AnalysisRunMetadata != nil {
		for k, v := range ra.AnalysisRunMetadata.Labels {
			labels[k] = v
		}
	}
	if ro.Spec.Selector != nil {
		for k, v := range ro.Spec.Selector.MatchLabels {
			labels[k] = v
		}
	}
	annotations := map[string]string{AnnotationRevision: revision}
	if ra.AnalysisRunMetadata != nil {
		for k, v := range ra.AnalysisRunMetadata.Annotations {
			annotations[k] = v
		}
	}
	run, err := newRunFromTemplates(templates, clusterTemplates, args, ra.DryRun, ra.MeasurementRetention, labels, annotations, name, "", ro.Namespace)
	if err != nil {
		return nil, err
	}
	run.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(ro, rolloutKind)}
	c.plan.arCreate = append(c.plan.arCreate, run)
	return run, nil
}

// templatesFor reads the referenced templates and the templates they include, each once.
func (c *rolloutContext) templatesFor(refs []v1alpha1.AnalysisTemplateRef) ([]*v1alpha1.AnalysisTemplate, []*v1alpha1.ClusterAnalysisTemplate, error) {
	var templates []*v1alpha1.AnalysisTemplate
	var clusterTemplates []*v1alpha1.ClusterAnalysisTemplate
	if err := c.collectTemplates(refs, &templates, &clusterTemplates, 0); err != nil {
		return nil, nil, err
	}
	return uniqueTemplates(templates), uniqueClusterTemplates(clusterTemplates), nil
}

// maxTemplateNesting stops a template that includes itself.
const maxTemplateNesting = 32

func (c *rolloutContext) collectTemplates(refs []v1alpha1.AnalysisTemplateRef, ts *[]*v1alpha1.AnalysisTemplate, cts *[]*v1alpha1.ClusterAnalysisTemplate, depth int) error {
	if depth > maxTemplateNesting {
		return errors.New("analysis templates nest too deeply")
	}
	for _, ref := range refs {
		if isClusterScope(ref) {
			t := &v1alpha1.ClusterAnalysisTemplate{}
			if err := c.r.Client.Get(c.ctx, client.ObjectKey{Name: ref.TemplateName}, t); err != nil {
				return err
			}
			*cts = append(*cts, t)
			if err := c.collectTemplates(t.Spec.Templates, ts, cts, depth+1); err != nil {
				return err
			}
			continue
		}
		t := &v1alpha1.AnalysisTemplate{}
		if err := c.r.Client.Get(c.ctx, client.ObjectKey{Namespace: c.ro.Namespace, Name: ref.TemplateName}, t); err != nil {
			return err
		}
		*ts = append(*ts, t)
		if err := c.collectTemplates(t.Spec.Templates, ts, cts, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func isClusterScope(ref v1alpha1.AnalysisTemplateRef) bool {
	return ref.ClusterScope != nil && *ref.ClusterScope
}

func uniqueTemplates(ts []*v1alpha1.AnalysisTemplate) []*v1alpha1.AnalysisTemplate {
	seen := map[string]bool{}
	out := []*v1alpha1.AnalysisTemplate{}
	for _, t := range ts {
		if !seen[t.Name] {
			seen[t.Name] = true
			out = append(out, t)
		}
	}
	return out
}

func uniqueClusterTemplates(ts []*v1alpha1.ClusterAnalysisTemplate) []*v1alpha1.ClusterAnalysisTemplate {
	seen := map[string]bool{}
	out := []*v1alpha1.ClusterAnalysisTemplate{}
	for _, t := range ts {
		if !seen[t.Name] {
			seen[t.Name] = true
			out = append(out, t)
		}
	}
	return out
}

// BuildAnalysisArgs resolves a Rollout's analysis arguments: a literal value, the stable or latest
// pod-template hash, or a field of the Rollout (metadata.* as Kubernetes' downward API reads it,
// any other path through the Rollout's JSON). As in Argo, the error of the last argument that took
// its value from a field is the one returned.
func BuildAnalysisArgs(args []v1alpha1.AnalysisRunArgument, stableRS, newRS *appsv1.ReplicaSet, ro *v1alpha1.Rollout) ([]v1alpha1.Argument, error) {
	var err error
	out := make([]v1alpha1.Argument, 0, len(args))
	for _, a := range args {
		value := a.Value
		if a.ValueFrom != nil {
			switch {
			case a.ValueFrom.PodTemplateHashValue != nil:
				switch *a.ValueFrom.PodTemplateHashValue {
				case v1alpha1.Latest:
					value = podHashOf(newRS)
				case v1alpha1.Stable:
					value = podHashOf(stableRS)
				}
			case a.ValueFrom.FieldRef != nil:
				path := a.ValueFrom.FieldRef.FieldPath
				if strings.HasPrefix(path, "metadata") {
					if value, err = metadataField(ro, path); err != nil {
						return nil, err
					}
				} else {
					value, err = rolloutField(ro, path)
				}
			}
		}
		v := value
		out = append(out, v1alpha1.Argument{Name: a.Name, Value: &v})
	}
	return out, err
}

// metadataField reads metadata.name, .namespace, .uid, .labels, .annotations, or one label or
// annotation as metadata.labels['key'].
func metadataField(ro *v1alpha1.Rollout, path string) (string, error) {
	if base, key, ok := splitSubscript(path); ok {
		switch base {
		case "metadata.annotations":
			if errs := validation.IsQualifiedName(strings.ToLower(key)); len(errs) != 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", path, strings.Join(errs, ";"))
			}
			return ro.Annotations[key], nil
		case "metadata.labels":
			if errs := validation.IsQualifiedName(key); len(errs) != 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", path, strings.Join(errs, ";"))
			}
			return ro.Labels[key], nil
		default:
			return "", fmt.Errorf("fieldPath %q does not support subscript", path)
		}
	}
	switch path {
	case "metadata.annotations":
		return formatMap(ro.Annotations), nil
	case "metadata.labels":
		return formatMap(ro.Labels), nil
	case "metadata.name":
		return ro.Name, nil
	case "metadata.namespace":
		return ro.Namespace, nil
	case "metadata.uid":
		return string(ro.UID), nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %v", path)
}

func splitSubscript(path string) (string, string, bool) {
	if !strings.HasSuffix(path, "']") {
		return "", "", false
	}
	parts := strings.SplitN(strings.TrimSuffix(path, "']"), "['", 2)
	if len(parts) < 2 || parts[0] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// formatMap prints key="value" lines in key order, as the downward API does.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(m[k]))
	}
	return b.String()
}

var fieldPathSeparators = regexp.MustCompile(`[\.\[\]]+`)

// rolloutField walks a path such as spec.template.spec.containers[0].image through the Rollout's
// JSON and prints the primitive it ends at.
func rolloutField(ro *v1alpha1.Rollout, path string) (string, error) {
	data, err := json.Marshal(ro)
	if err != nil {
		return "", err
	}
	var m any
	if err := json.Unmarshal(data, &m); err != nil {
		return "", err
	}
	for _, section := range fieldPathSeparators.Split(path, -1) {
		if section == "" {
			continue
		}
		switch v := m.(type) {
		case []any:
			i, err := strconv.Atoi(section)
			if err != nil {
				return "", fmt.Errorf("invalid index '%s'", section)
			}
			if i >= len(v) {
				return "", fmt.Errorf("index %d out of range", i)
			}
			m = v[i]
		case map[string]any:
			m = v[section]
		default:
			return "", fmt.Errorf("invalid path %s in rollout", path)
		}
	}
	switch m.(type) {
	case nil:
		return "", fmt.Errorf("invalid path %s in rollout", path)
	case []any, map[string]any:
		return "", fmt.Errorf("path %s in rollout must terminate in a primitive value", path)
	}
	return fmt.Sprintf("%v", m), nil
}
