package rollout

import (
	"encoding/json"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Pod metadata the Rollout manages: canaryMetadata/stableMetadata (previewMetadata/activeMetadata)
// on the ReplicaSets' templates and their running pods (Argo's rollout/ephemeralmetadata.go), and
// the anti-affinity to the stable pods injected into a new ReplicaSet (utils/replicaset).

// reconcileEphemeralMetadata puts the canary (preview) metadata on the new ReplicaSet and its pods
// during an update, the stable (active) metadata on the stable, and takes injected metadata off
// every other ReplicaSet. A Rollout without such metadata, whose ReplicaSets carry none, costs
// nothing here.
func (c *rolloutContext) reconcileEphemeralMetadata() error {
	var newMD, stableMD *v1alpha1.PodTemplateMetadata
	if cs := c.ro.Spec.Strategy.Canary; cs != nil {
		newMD, stableMD = cs.CanaryMetadata, cs.StableMetadata
	} else if bg := c.ro.Spec.Strategy.BlueGreen; bg != nil {
		newMD, stableMD = bg.PreviewMetadata, bg.ActiveMetadata
	}
	if newMD == nil && stableMD == nil && !c.anyEphemeralMetadata() {
		return nil
	}
	if c.ro.Status.StableRS == "" || c.ro.Status.StableRS == podHashOf(c.newRS) {
		if err := c.syncEphemeralMetadata(c.newRS, stableMD); err != nil {
			return err
		}
	} else {
		if err := c.syncEphemeralMetadata(c.newRS, newMD); err != nil {
			return err
		}
		if err := c.syncEphemeralMetadata(c.stableRS, stableMD); err != nil {
			return err
		}
	}
	for _, rs := range c.otherRSs {
		if err := c.syncEphemeralMetadata(rs, nil); err != nil {
			return err
		}
	}
	return nil
}

func (c *rolloutContext) anyEphemeralMetadata() bool {
	for _, rs := range c.allRSs {
		if _, ok := rs.Annotations[AnnotationEphemeralMetadata]; ok {
			return true
		}
	}
	return false
}

// injectedMetadata is the metadata recorded on the ReplicaSet as injected, or nil.
func injectedMetadata(rs *appsv1.ReplicaSet) *v1alpha1.PodTemplateMetadata {
	s, ok := rs.Annotations[AnnotationEphemeralMetadata]
	if !ok {
		return nil
	}
	var md *v1alpha1.PodTemplateMetadata
	if err := json.Unmarshal([]byte(s), &md); err != nil {
		return nil
	}
	return md
}

// syncPodMetadata adds the desired labels and annotations and removes those injected before that
// are no longer desired; it returns the new maps and whether they changed.
func syncPodMetadata(labels, annotations map[string]string, existing, desired *v1alpha1.PodTemplateMetadata) (map[string]string, map[string]string, bool) {
	labels, annotations = maps.Clone(labels), maps.Clone(annotations)
	modified := false
	apply := func(m map[string]string, want map[string]string) map[string]string {
		for k, v := range want {
			if m == nil {
				m = map[string]string{}
			}
			if cur, ok := m[k]; !ok || cur != v {
				m[k] = v
				modified = true
			}
		}
		return m
	}
	drop := func(m map[string]string, had, want map[string]string) {
		for k := range had {
			if _, keep := want[k]; keep {
				continue
			}
			if _, ok := m[k]; ok {
				delete(m, k)
				modified = true
			}
		}
	}
	var wantLabels, wantAnnotations map[string]string
	if desired != nil {
		wantLabels, wantAnnotations = desired.Labels, desired.Annotations
		annotations = apply(annotations, wantAnnotations)
		labels = apply(labels, wantLabels)
	}
	if existing != nil {
		drop(annotations, existing.Annotations, wantAnnotations)
		drop(labels, existing.Labels, wantLabels)
	}
	return labels, annotations, modified
}

// withEphemeralMetadata puts md on a ReplicaSet that is being built.
func withEphemeralMetadata(rs *appsv1.ReplicaSet, md *v1alpha1.PodTemplateMetadata) {
	l, a, modified := syncPodMetadata(rs.Spec.Template.Labels, rs.Spec.Template.Annotations, injectedMetadata(rs), md)
	if !modified {
		return
	}
	rs.Spec.Template.Labels, rs.Spec.Template.Annotations = l, a
	if md != nil {
		data, _ := json.Marshal(md)
		if rs.Annotations == nil {
			rs.Annotations = map[string]string{}
		}
		rs.Annotations[AnnotationEphemeralMetadata] = string(data)
	} else {
		delete(rs.Annotations, AnnotationEphemeralMetadata)
	}
}

// syncEphemeralMetadata updates the ReplicaSet's template first, so pods made meanwhile get md,
// then its pods.
func (c *rolloutContext) syncEphemeralMetadata(rs *appsv1.ReplicaSet, md *v1alpha1.PodTemplateMetadata) error {
	if rs == nil {
		return nil
	}
	existing := injectedMetadata(rs)
	l, a, modified := syncPodMetadata(rs.Spec.Template.Labels, rs.Spec.Template.Annotations, existing, md)
	if modified {
		p := c.plan.patchFor(rs)
		p.templateLabels = mapDiff(rs.Spec.Template.Labels, l)
		p.templateAnnotations = mapDiff(rs.Spec.Template.Annotations, a)
		if md != nil {
			data, _ := json.Marshal(md)
			p.setAnnotation(AnnotationEphemeralMetadata, string(data))
		} else {
			p.removeAnnotation(AnnotationEphemeralMetadata)
		}
	}
	if rs.ResourceVersion == "" {
		return nil // created by this reconcile: no pods yet
	}
	sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return err
	}
	var pods corev1.PodList
	if err := c.r.Client.List(c.ctx, &pods, client.InNamespace(rs.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return err
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !metav1.IsControlledBy(pod, rs) {
			continue
		}
		pl, pa, mod := syncPodMetadata(pod.Labels, pod.Annotations, existing, md)
		if mod {
			c.plan.podPatches = append(c.plan.podPatches, podPatch{pod: pod, labels: mapDiff(pod.Labels, pl), annotations: mapDiff(pod.Annotations, pa)})
		}
	}
	return nil
}

// mapDiff is the merge patch from one string map to another: changed keys, and nil for removed ones.
func mapDiff(from, to map[string]string) map[string]*string {
	out := map[string]*string{}
	for k, v := range to {
		if cur, ok := from[k]; !ok || cur != v {
			v := v
			out[k] = &v
		}
	}
	for k := range from {
		if _, ok := to[k]; !ok {
			out[k] = nil
		}
	}
	return out
}

// antiAffinity is the strategy's antiAffinity, when it names a rule.
func antiAffinity(ro *v1alpha1.Rollout) *v1alpha1.AntiAffinity {
	var a *v1alpha1.AntiAffinity
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil && bg.AntiAffinity != nil {
		a = bg.AntiAffinity
	}
	if cs := ro.Spec.Strategy.Canary; cs != nil && cs.AntiAffinity != nil {
		a = cs.AntiAffinity
	}
	if a != nil && (a.PreferredDuringSchedulingIgnoredDuringExecution != nil || a.RequiredDuringSchedulingIgnoredDuringExecution != nil) {
		return a
	}
	return nil
}

// replicaSetAffinity is the template's affinity plus, during an update with antiAffinity, a rule
// keeping the new pods off the nodes of the stable's (by hostname).
func replicaSetAffinity(ro *v1alpha1.Rollout, podHash string) *corev1.Affinity {
	aa := antiAffinity(ro)
	affinity := ro.Spec.Template.Spec.Affinity.DeepCopy()
	if aa == nil || ro.Status.StableRS == "" || ro.Status.StableRS == podHash {
		return affinity
	}
	rule := corev1.PodAffinityTerm{
		LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: v1alpha1.DefaultRolloutUniqueLabelKey, Operator: metav1.LabelSelectorOpIn, Values: []string{ro.Status.StableRS},
		}}},
		Namespaces:  []string{ro.Namespace},
		TopologyKey: "kubernetes.io/hostname",
	}
	if affinity == nil {
		affinity = &corev1.Affinity{}
	}
	if affinity.PodAntiAffinity == nil {
		affinity.PodAntiAffinity = &corev1.PodAntiAffinity{}
	}
	pa := affinity.PodAntiAffinity
	if p := aa.PreferredDuringSchedulingIgnoredDuringExecution; p != nil {
		pa.PreferredDuringSchedulingIgnoredDuringExecution = append(pa.PreferredDuringSchedulingIgnoredDuringExecution,
			corev1.WeightedPodAffinityTerm{Weight: p.Weight, PodAffinityTerm: rule})
	} else {
		pa.RequiredDuringSchedulingIgnoredDuringExecution = append(pa.RequiredDuringSchedulingIgnoredDuringExecution, rule)
	}
	return affinity
}

// injectedAntiAffinity returns the injected rule of an affinity, or nil.
func injectedAntiAffinity(affinity *corev1.Affinity, ro *v1alpha1.Rollout) *corev1.PodAffinityTerm {
	aa := antiAffinity(ro)
	if aa == nil || affinity == nil || affinity.PodAntiAffinity == nil {
		return nil
	}
	isInjected := func(t *corev1.PodAffinityTerm) bool {
		if t.LabelSelector == nil {
			return false
		}
		for _, r := range t.LabelSelector.MatchExpressions {
			if r.Key == v1alpha1.DefaultRolloutUniqueLabelKey {
				return true
			}
		}
		return false
	}
	pa := affinity.PodAntiAffinity
	if aa.PreferredDuringSchedulingIgnoredDuringExecution != nil {
		for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			if t := &pa.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm; isInjected(t) {
				return t
			}
		}
		return nil
	}
	for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
		if t := &pa.RequiredDuringSchedulingIgnoredDuringExecution[i]; isInjected(t) {
			return t
		}
	}
	return nil
}

// antiAffinityNeedsUpdate reports an injected rule that names another stable than the current one.
func antiAffinityNeedsUpdate(affinity *corev1.Affinity, ro *v1alpha1.Rollout, podHash string) bool {
	t := injectedAntiAffinity(affinity, ro)
	if t == nil || ro.Status.StableRS == podHash {
		return false
	}
	for _, r := range t.LabelSelector.MatchExpressions {
		if r.Key == v1alpha1.DefaultRolloutUniqueLabelKey && len(r.Values) > 0 && r.Values[0] != ro.Status.StableRS {
			return true
		}
	}
	return false
}
