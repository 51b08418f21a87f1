package rollout

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

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
	templates, clusterTemplates, err := resolveTemplateRefs(c.ctx, c.r.Client, ro.Namespace, ra.Templates)
	if err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted since it was checked: the next reconcile reports the invalid spec.
			c.r.hashes.invalidateReferences(ro)
		}
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
