// Package ops performs the `kubectl argo rollouts` verbs (promote, abort, retry, pause, resume, restart, undo, set image) as the same API patches the plugin sends.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// The patches the Argo Rollouts kubectl plugin sends, by verb.
const (
	patchAbort                    = `{"status":{"abort":true}}`
	patchRetry                    = `{"status":{"abort":false}}`
	patchPause                    = `{"spec":{"paused":true}}`
	patchUnpause                  = `{"spec":{"paused":false}}`
	patchPromoteFull              = `{"status":{"promoteFull":true}}`
	patchClearPauseConditions     = `{"status":{"pauseConditions":null}}`
	patchSetStepIndex             = `{"status":{"currentStepIndex":%d}}`
	patchClearPauseWithStep       = `{"status":{"pauseConditions":null, "currentStepIndex":%d}}`
	patchClearPauseControllerStep = `{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":%d}}`
	patchRestart                  = `{"spec":{"restartAt":%q}}`
)

// Errors the verbs give, with the plugin's wording.
const (
	ErrSkipWithBlueGreen = "Cannot skip steps of a bluegreen rollout. Run without a flags"
	ErrSkipWithoutSteps  = "Cannot skip steps of a rollout without steps"
	ErrBothSkipFlags     = "Cannot use skip-current-step and skip-all-steps flags at the same time"
)

// PromoteOptions are the flags of `promote`.
type PromoteOptions struct {
	Full            bool
	SkipCurrentStep bool
	SkipAllSteps    bool
}

func get(ctx context.Context, c client.Client, key types.NamespacedName) (*v1alpha1.Rollout, error) {
	ro := &v1alpha1.Rollout{}
	return ro, c.Get(ctx, key, ro)
}

func patchStatus(ctx context.Context, c client.Client, ro *v1alpha1.Rollout, patch string) error {
	return c.Status().Patch(ctx, ro, client.RawPatch(types.MergePatchType, []byte(patch)))
}

func patchSpec(ctx context.Context, c client.Client, ro *v1alpha1.Rollout, patch string) error {
	return c.Patch(ctx, ro, client.RawPatch(types.MergePatchType, []byte(patch)))
}

// currentStep is the step index the plugin reads: status.currentStepIndex, or 0.
func currentStep(ro *v1alpha1.Rollout) int32 {
	if ro.Status.CurrentStepIndex != nil {
		return *ro.Status.CurrentStepIndex
	}
	return 0
}

func nextStep(ro *v1alpha1.Rollout) int32 {
	i := currentStep(ro)
	if ro.Spec.Strategy.Canary != nil && i < int32(len(ro.Spec.Strategy.Canary.Steps)) {
		i++
	}
	return i
}

func inconclusive(ro *v1alpha1.Rollout) bool {
	s := ro.Status.Canary.CurrentStepAnalysisRunStatus
	return ro.Spec.Strategy.Canary != nil && s != nil && s.Status == v1alpha1.AnalysisPhaseInconclusive
}

// Promote releases a pause, skips the current step, skips all steps, or promotes fully, as
// `kubectl argo rollouts promote [--full|--skip-current-step|--skip-all-steps]` does.
func Promote(ctx context.Context, c client.Client, key types.NamespacedName, o PromoteOptions) error {
	ro, err := get(ctx, c, key)
	if err != nil {
		return err
	}
	if o.SkipCurrentStep && o.SkipAllSteps {
		return errors.New(ErrBothSkipFlags) //lint:ignore ST1005 the plugin's wording
	}
	if o.SkipCurrentStep || o.SkipAllSteps {
		if ro.Spec.Strategy.BlueGreen != nil {
			return errors.New(ErrSkipWithBlueGreen) //lint:ignore ST1005 the plugin's wording
		}
		if ro.Spec.Strategy.Canary != nil && len(ro.Spec.Strategy.Canary.Steps) == 0 {
			return errors.New(ErrSkipWithoutSteps) //lint:ignore ST1005 the plugin's wording
		}
	}
	var spec, status string
	switch {
	case o.SkipCurrentStep:
		status = fmt.Sprintf(patchSetStepIndex, nextStep(ro))
	case o.SkipAllSteps:
		status = fmt.Sprintf(patchSetStepIndex, len(ro.Spec.Strategy.Canary.Steps))
	case o.Full:
		if ro.Spec.Paused {
			spec = patchUnpause
		}
		if ro.Status.CurrentPodHash != ro.Status.StableRS {
			status = patchPromoteFull
		}
	default:
		if ro.Spec.Paused {
			spec = patchUnpause
		}
		switch {
		case inconclusive(ro) && len(ro.Status.PauseConditions) > 0 && ro.Status.ControllerPause:
			status = fmt.Sprintf(patchClearPauseControllerStep, nextStep(ro))
		case len(ro.Status.PauseConditions) > 0:
			status = patchClearPauseConditions
		case ro.Spec.Strategy.Canary != nil:
			// Promoting in the middle of an analysis or experiment step moves to the next step.
			status = fmt.Sprintf(patchClearPauseWithStep, nextStep(ro))
		}
	}
	if status != "" {
		if err := patchStatus(ctx, c, ro, status); err != nil {
			return err
		}
	}
	if spec != "" {
		return patchSpec(ctx, c, ro, spec)
	}
	return nil
}

// Abort stops the update and sends all traffic back to the stable ReplicaSet.
func Abort(ctx context.Context, c client.Client, key types.NamespacedName) error {
	ro, err := get(ctx, c, key)
	if err != nil {
		return err
	}
	return patchStatus(ctx, c, ro, patchAbort)
}

// Retry clears an abort, so that the update starts again from the first step.
func Retry(ctx context.Context, c client.Client, key types.NamespacedName) error {
	ro, err := get(ctx, c, key)
	if err != nil {
		return err
	}
	return patchStatus(ctx, c, ro, patchRetry)
}

// Pause sets spec.paused.
func Pause(ctx context.Context, c client.Client, key types.NamespacedName) error {
	ro, err := get(ctx, c, key)
	if err != nil {
		return err
	}
	return patchSpec(ctx, c, ro, patchPause)
}

// Resume clears spec.paused.
func Resume(ctx context.Context, c client.Client, key types.NamespacedName) error {
	ro, err := get(ctx, c, key)
	if err != nil {
		return err
	}
	return patchSpec(ctx, c, ro, patchUnpause)
}

// Restart asks for every pod created before at to be restarted.
func Restart(ctx context.Context, c client.Client, key types.NamespacedName, at time.Time) error {
	ro, err := get(ctx, c, key)
	if err != nil {
		return err
	}
	return patchSpec(ctx, c, ro, fmt.Sprintf(patchRestart, at.UTC().Format(time.RFC3339)))
}

// SetImage sets the image of the named container (every container when name is "*").
func SetImage(ctx context.Context, c client.Client, key types.NamespacedName, container, image string) error {
	ro, err := get(ctx, c, key)
	if err != nil {
		return err
	}
	found := false
	for i := range ro.Spec.Template.Spec.Containers {
		if ct := &ro.Spec.Template.Spec.Containers[i]; container == "*" || ct.Name == container {
			ct.Image, found = image, true
		}
	}
	for i := range ro.Spec.Template.Spec.InitContainers {
		if ct := &ro.Spec.Template.Spec.InitContainers[i]; container == "*" || ct.Name == container {
			ct.Image, found = image, true
		}
	}
	if !found {
		return fmt.Errorf("unable to find container named %q", container)
	}
	return c.Update(ctx, ro)
}

// Undo puts back the pod template of a revision (0: the one before the newest), as
// `kubectl argo rollouts undo [--to-revision N]` does: a JSON patch replacing spec.template (of
// the Rollout, or of its workloadRef Deployment) with the ReplicaSet's template without its
// pod-template hash. It returns the plugin's message.
func Undo(ctx context.Context, c client.Client, key types.NamespacedName, toRevision int64) (string, error) {
	ro, err := get(ctx, c, key)
	if err != nil {
		return "", err
	}
	target, err := revisionReplicaSet(ctx, c, ro, toRevision)
	if err != nil {
		return "", err
	}
	tmpl := target.Spec.Template.DeepCopy()
	delete(tmpl.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	current := ro.Spec.Template.DeepCopy()
	delete(current.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	if ro.Spec.WorkloadRef == nil && apiequality.Semantic.DeepDerivative(current, tmpl) {
		return fmt.Sprintf(MsgUndoSkipped, toRevision), nil
	}
	patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec/template", "value": tmpl}})
	if err != nil {
		return "", fmt.Errorf("failed restoring revision %d: %v", toRevision, err)
	}
	var obj client.Object = ro
	if ref := ro.Spec.WorkloadRef; ref != nil {
		if ref.Kind != "Deployment" {
			return "", fmt.Errorf("failed restoring revision %d: workload of type %s is not supported", toRevision, ref.Kind)
		}
		obj = &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: ref.Name}}
	}
	if err := c.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, patch)); err != nil {
		return "", fmt.Errorf("failed restoring revision %d: %v", toRevision, err)
	}
	return fmt.Sprintf(MsgUndone, ro.Name), nil
}

// Messages of `undo`.
const (
	MsgUndone      = "rollout '%s' undo"
	MsgUndoSkipped = "skipped rollback (current template already matches revision %d)"
)

// revisionReplicaSet finds the Rollout's ReplicaSet of a revision, or with 0 the second newest.
func revisionReplicaSet(ctx context.Context, c client.Client, ro *v1alpha1.Rollout, toRevision int64) (*appsv1.ReplicaSet, error) {
	var list appsv1.ReplicaSetList
	opts := []client.ListOption{client.InNamespace(ro.Namespace)}
	if ro.Spec.Selector != nil {
		if sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector); err == nil {
			opts = append(opts, client.MatchingLabelsSelector{Selector: sel})
		}
	}
	if err := c.List(ctx, &list, opts...); err != nil {
		return nil, fmt.Errorf("failed to retrieve replica sets from rollout %s: %v", ro.Name, err)
	}
	var latest, previous *appsv1.ReplicaSet
	latestRev, previousRev := int64(-1), int64(-1)
	for i := range list.Items {
		rs := &list.Items[i]
		if !metav1.IsControlledBy(rs, ro) {
			continue
		}
		v, err := revision(rs)
		if err != nil {
			continue
		}
		switch {
		case toRevision > 0:
			if v == toRevision {
				return rs, nil
			}
		case latestRev < v:
			previous, previousRev = latest, latestRev
			latest, latestRev = rs, v
		case previousRev < v:
			previous, previousRev = rs, v
		}
	}
	if toRevision > 0 {
		return nil, fmt.Errorf("unable to find specified revision %v in history", toRevision)
	}
	if previous == nil {
		return nil, fmt.Errorf("no revision found for rollout %q", ro.Name)
	}
	return previous, nil
}

// revision is a ReplicaSet's revision annotation; 0 without one.
func revision(rs *appsv1.ReplicaSet) (int64, error) {
	v, ok := rs.Annotations[RevisionAnnotation]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// RevisionAnnotation holds a ReplicaSet's revision number.
const RevisionAnnotation = "rollout.argoproj.io/revision"
