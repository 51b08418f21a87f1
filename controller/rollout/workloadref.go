package rollout

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// A Rollout with spec.workloadRef runs the pod template of a Deployment (Argo's
// rollout/templateref.go): the template (and, when the Rollout has none, the selector) is read
// from the Deployment at every reconcile and never written into the Rollout.

// workloadRefError is a problem with spec.workloadRef that makes the spec invalid.
type workloadRefError struct{ error }

func isUserError(err error) bool {
	var w workloadRefError
	return errors.As(err, &w)
}

var deploymentGroupKind = schema.GroupKind{Group: "apps", Kind: "Deployment"}

// resolveWorkloadRef fills the Rollout's template (in memory) from its workload and returns the
// workload. A missing or unsupported workload, or a Rollout with its own template, is a
// workloadRefError.
func (r *Reconciler) resolveWorkloadRef(ctx context.Context, ro *v1alpha1.Rollout) (*appsv1.Deployment, error) {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return nil, nil
	}
	if !apiequality.Semantic.DeepEqual(ro.Spec.Template, corev1.PodTemplateSpec{}) {
		return nil, workloadRefError{errors.New(MsgWorkloadTemplateNotEmpty)}
	}
	gk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind).GroupKind()
	if gk != deploymentGroupKind {
		return nil, workloadRefError{fmt.Errorf(MsgWorkloadNotSupported, gk.Group, gk.Kind)}
	}
	dep := &appsv1.Deployment{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: ref.Name}, dep); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, workloadRefError{err}
		}
		return nil, err
	}
	dep.Spec.Template.DeepCopyInto(&ro.Spec.Template)
	if ro.Spec.Selector == nil && dep.Spec.Selector != nil {
		ro.Spec.Selector = dep.Spec.Selector.DeepCopy()
	}
	return dep, nil
}

// workloadGeneration is the observed generation of the workload, for status.workloadObservedGeneration.
func (c *rolloutContext) workloadGeneration() string {
	if c.workload == nil {
		return ""
	}
	return strconv.FormatInt(c.workload.Generation, 10)
}

// scaleWorkload sets the Deployment's replicas (never below zero), as Argo's scaleDeployment does
// when the Rollout takes over from it (workloadRef.scaleDown onsuccess or progressively).
func (c *rolloutContext) scaleWorkload(replicas int32) {
	if c.workload == nil {
		return
	}
	replicas = max(replicas, 0)
	if c.workload.Spec.Replicas != nil && *c.workload.Spec.Replicas == replicas {
		return
	}
	c.plan.workloadReplicas = &replicas
}
