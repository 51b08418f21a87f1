package trafficrouting

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// SMI splits traffic with a Service Mesh Interface TrafficSplit that the Rollout owns: the root
// Service's traffic goes to the canary and stable Services (and experiment Services) by weight
// (Argo's rollout/trafficrouting/smi, TrafficSplit v1alpha1, Argo's default version).
type SMI struct {
	router
}

// Type implements rollout.TrafficRouter.
func (r *SMI) Type() string { return "SMI" }

// TrafficSplitName is trafficRouting.smi.trafficSplitName, or the Rollout's name.
func TrafficSplitName(ro *v1alpha1.Rollout) string {
	if n := ro.Spec.Strategy.Canary.TrafficRouting.SMI.TrafficSplitName; n != "" {
		return n
	}
	return ro.Name
}

// SetWeight creates the TrafficSplit, or updates its backends.
func (r *SMI) SetWeight(ctx context.Context, desiredWeight int32, additional ...v1alpha1.WeightDestination) error {
	name := TrafficSplitName(r.ro)
	current, err := getUnstructured(ctx, r.c, TrafficSplitGVKs, client.ObjectKey{Namespace: r.ro.Namespace, Name: name})
	if apierrors.IsNotFound(err) {
		desired := r.trafficSplit(name, TrafficSplitGVKs[0].Version, desiredWeight, additional)
		if err := r.c.Create(ctx, desired); err != nil {
			r.eventf(ReasonTrafficSplitNotCreated, MsgTrafficSplitNotCreated, name, err)
			return err
		}
		r.eventf(ReasonTrafficSplitCreated, MsgTrafficSplitCreated, name)
		return nil
	}
	if err != nil {
		return err
	}
	if !metav1.IsControlledBy(current, r.ro) {
		return argoErrorf(errTrafficSplitNotOwned, name)
	}
	desired := r.trafficSplit(name, current.GroupVersionKind().Version, desiredWeight, additional)
	spec, _, _ := unstructured.NestedMap(desired.Object, "spec")
	curSpec, _, _ := unstructured.NestedMap(current.Object, "spec")
	if apiequality.Semantic.DeepEqual(spec, curSpec) {
		return nil
	}
	next := current.DeepCopy()
	if err := unstructured.SetNestedMap(next.Object, spec, "spec"); err != nil {
		return err
	}
	return r.c.Update(ctx, next)
}

// trafficSplit is the desired TrafficSplit: canary, experiment Services, then stable with the rest.
// Weights are quantities in v1alpha1 (written in their string form) and integers after it.
func (r *SMI) trafficSplit(name, version string, desiredWeight int32, additional []v1alpha1.WeightDestination) *unstructured.Unstructured {
	cs := r.ro.Spec.Strategy.Canary
	root := cs.TrafficRouting.SMI.RootService
	if root == "" {
		root = cs.StableService
	}
	weight := func(w int32) any {
		if version == "v1alpha1" {
			return fmt.Sprint(w)
		}
		return int64(w)
	}
	backends := []any{map[string]any{"service": cs.CanaryService, "weight": weight(desiredWeight)}}
	stable := 100 - desiredWeight
	for _, d := range additional {
		backends = append(backends, map[string]any{"service": d.ServiceName, "weight": weight(d.Weight)})
		stable -= d.Weight
	}
	backends = append(backends, map[string]any{"service": cs.StableService, "weight": weight(stable)})
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"service": root, "backends": backends},
	}}
	gvk := TrafficSplitGVKs[0]
	gvk.Version = version
	u.SetGroupVersionKind(gvk)
	u.SetName(name)
	u.SetNamespace(r.ro.Namespace)
	u.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(r.ro, v1alpha1.GroupVersion.WithKind("Rollout"))})
	return u
}

// SetHeaderRoute implements rollout.TrafficRouter; SMI has no header routes.
func (r *SMI) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements rollout.TrafficRouter; SMI has no mirror routes.
func (r *SMI) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// RemoveManagedRoutes implements rollout.TrafficRouter; SMI has no managed routes.
func (r *SMI) RemoveManagedRoutes(context.Context) error { return nil }

// VerifyWeight implements rollout.TrafficRouter; SMI cannot tell.
func (r *SMI) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}
