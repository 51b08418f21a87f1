package trafficrouting

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// DestinationRule subsets for subset-split traffic: the canary and stable subsets select pods by
// rollouts-pod-template-hash.

// UpdateHash points the canary and stable subsets (and those of experiment destinations) at the
// pod hashes. Without canary and stable Services the subsets are the only thing between users and
// pods, so the switch waits until every ReplicaSet that will take traffic is fully available.
func (r *Istio) UpdateHash(ctx context.Context, canaryHash, stableHash string, additional ...v1alpha1.WeightDestination) error {
	if name, wait := r.delayDestinationRuleUpdate(canaryHash, stableHash); wait {
		return fmt.Errorf("delaying destination rule switch: ReplicaSet %s not fully available", name)
	}
	dr := r.ro.Spec.Strategy.Canary.TrafficRouting.Istio.DestinationRule
	if dr == nil {
		return nil
	}
	u, err := r.getDestinationRule(ctx, dr)
	if err != nil {
		return err
	}
	next := u.DeepCopy()
	annotations := next.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[annotationManagedBy] = r.ro.Name
	next.SetAnnotations(annotations)

	pending := map[string]v1alpha1.WeightDestination{}
	var order []string
	for _, d := range additional {
		if _, dup := pending[d.ServiceName]; !dup {
			order = append(order, d.ServiceName)
		}
		pending[d.ServiceName] = d
	}
	subsets, _, _ := unstructured.NestedSlice(next.Object, "spec", "subsets")
	var kept []any
	for _, s := range subsets {
		subset, ok := s.(map[string]any)
		if !ok {
			continue
		}
		name, _ := subset["name"].(string)
		labels, _, _ := unstructured.NestedStringMap(subset, "labels")
		if labels == nil {
			labels = map[string]string{}
		}
		switch {
		case name == dr.CanarySubsetName:
			setOrDelete(labels, canaryHash)
		case name == dr.StableSubsetName:
			setOrDelete(labels, stableHash)
		default:
			d, ok := pending[name]
			if !ok {
				continue // as in Argo, subsets that are neither canary, stable nor an experiment's go
			}
			setOrDelete(labels, d.PodTemplateHash)
			if d.PodTemplateHash != "" {
				delete(pending, name)
			}
		}
		subset = copyMap(subset)
		subset["labels"] = stringMapToAny(labels)
		kept = append(kept, subset)
	}
	for _, name := range order {
		if d, ok := pending[name]; ok {
			kept = append(kept, map[string]any{"name": name, "labels": map[string]any{v1alpha1.DefaultRolloutUniqueLabelKey: d.PodTemplateHash}})
		}
	}
	if err := unstructured.SetNestedSlice(next.Object, kept, "spec", "subsets"); err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(u.Object, next.Object) {
		return nil
	}
	if err := r.c.Update(ctx, next); err != nil {
		return err
	}
	r.eventf(ReasonUpdatedDestinationRule, MsgDestinationRuleUpdated, dr.Name, dr.CanarySubsetName, canaryHash, dr.StableSubsetName, stableHash)
	return nil
}

func setOrDelete(labels map[string]string, hash string) {
	if hash != "" {
		labels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	} else {
		delete(labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	}
}

func stringMapToAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// delayDestinationRuleUpdate names a scaled-up canary or stable ReplicaSet that is not fully
// available yet, when the Rollout has no canary or stable Service. On an abort, or going back to
// the stable with dynamic scaling, only the stable must be available.
func (r *Istio) delayDestinationRuleUpdate(canaryHash, stableHash string) (string, bool) {
	cs := r.ro.Spec.Strategy.Canary
	if cs.CanaryService != "" || cs.StableService != "" {
		return "", false
	}
	backToStable := r.abortOrDynamicRollbackToStable(stableHash)
	for _, rs := range r.replicaSets {
		if ptr.Deref(rs.Spec.Replicas, 1) == 0 {
			continue
		}
		hash := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		if hash == "" || (hash != stableHash && hash != canaryHash) {
			continue
		}
		if backToStable && hash == canaryHash {
			continue
		}
		replicas := ptr.Deref(rs.Spec.Replicas, 1)
		if !(replicas != 0 && rs.Status.AvailableReplicas != 0 && replicas <= rs.Status.AvailableReplicas) {
			return rs.Name, true
		}
	}
	return "", false
}

func (r *Istio) abortOrDynamicRollbackToStable(stableHash string) bool {
	ro := r.ro
	if ro.Status.Abort {
		return true
	}
	cs := ro.Spec.Strategy.Canary
	if ro.Status.StableRS != ro.Status.CurrentPodHash || !cs.DynamicStableScale || ro.Status.Canary.Weights == nil {
		return false
	}
	for _, rs := range r.replicaSets {
		if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] != stableHash {
			continue
		}
		return ro.Status.Canary.Weights.Canary.PodTemplateHash != stableHash && rs.Status.AvailableReplicas < ptr.Deref(ro.Spec.Replicas, 1)
	}
	return false
}

// ReferencesHash reports whether a DestinationRule subset selects the hash; an unreadable
// DestinationRule counts as referencing it, a missing one as not.
func (r *Istio) ReferencesHash(ctx context.Context, hash string) (bool, error) {
	dr := r.ro.Spec.Strategy.Canary.TrafficRouting.Istio.DestinationRule
	if dr == nil {
		return false, nil
	}
	u, err := getUnstructured(ctx, r.c, DestinationRuleGVKs, client.ObjectKey{Namespace: r.ro.Namespace, Name: dr.Name})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	subsets, _, _ := unstructured.NestedSlice(u.Object, "spec", "subsets")
	for _, s := range subsets {
		m, _ := s.(map[string]any)
		labels, _, _ := unstructured.NestedStringMap(m, "labels")
		if labels[v1alpha1.DefaultRolloutUniqueLabelKey] == hash {
			return true, nil
		}
	}
	return false, nil
}
