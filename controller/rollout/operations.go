package rollout

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Operation is a user action on a Rollout, carried out with the patches `kubectl argo rollouts`
// sends (pkg/kubectl-argo-rollouts/cmd/{promote,abort,retry,pause}).
type Operation string

// The operations the CLI and the simulator perform.
const (
	// OpPromote leaves a pause: it unpauses spec.paused, clears status.pauseConditions, or else
	// skips the current step. After an inconclusive step analysis it also moves to the next step.
	OpPromote Operation = "promote"
	// OpPromoteFull skips all remaining steps and analysis: status.promoteFull.
	OpPromoteFull Operation = "promote-full"
	// OpAbort sets status.abort: traffic and pods go back to the stable.
	OpAbort Operation = "abort"
	// OpRetry clears status.abort so the update starts again from the first step.
	OpRetry Operation = "retry"
	// OpPause sets spec.paused.
	OpPause Operation = "pause"
)

// OperationPatches returns the JSON merge patches for op: one for the Rollout (spec) and one for
// its status subresource; either may be nil. unified is the single patch the CLI falls back to when
// the API has no status subresource.
func OperationPatches(ro *v1alpha1.Rollout, op Operation) (spec, status, unified []byte, err error) {
	switch op {
	case OpAbort:
		status = []byte(`{"status":{"abort":true}}`)
		return nil, status, status, nil
	case OpRetry:
		status = []byte(`{"status":{"abort":false}}`)
		return nil, status, status, nil
	case OpPause:
		spec = []byte(`{"spec":{"paused":true}}`)
		return spec, nil, spec, nil
	case OpPromoteFull:
		if ro.Spec.Paused {
			spec = []byte(`{"spec":{"paused":false}}`)
		}
		if ro.Status.CurrentPodHash != ro.Status.StableRS {
			status = []byte(`{"status":{"promoteFull":true}}`)
		}
		return spec, status, []byte(`{"spec":{"paused":false},"status":{"promoteFull":true}}`), nil
	case OpPromote:
		unified = []byte(`{"spec":{"paused":false},"status":{"pauseConditions":null}}`)
		if ro.Spec.Paused {
			spec = []byte(`{"spec":{"paused":false}}`)
		}
		_, index, hasSteps := currentStep(ro)
		next := index
		if hasSteps && int(index) < len(ro.Spec.Strategy.Canary.Steps) {
			next++
		}
		inconclusive := ro.Spec.Strategy.Canary != nil && ro.Status.Canary.CurrentStepAnalysisRunStatus != nil &&
			ro.Status.Canary.CurrentStepAnalysisRunStatus.Status == v1alpha1.AnalysisPhaseInconclusive
		switch {
		case inconclusive && len(ro.Status.PauseConditions) > 0 && ro.Status.ControllerPause:
			if hasSteps {
				status = fmt.Appendf(nil, `{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":%d}}`, next)
			}
		case len(ro.Status.PauseConditions) > 0:
			status = []byte(`{"status":{"pauseConditions":null}}`)
		case ro.Spec.Strategy.Canary != nil && hasSteps:
			status = fmt.Appendf(nil, `{"status":{"pauseConditions":null, "currentStepIndex":%d}}`, next)
			unified = fmt.Appendf(nil, `{"spec":{"paused":false},"status":{"pauseConditions":null, "currentStepIndex":%d}}`, next)
		}
		return spec, status, unified, nil
	}
	return nil, nil, nil, fmt.Errorf("unknown rollout operation %q", op)
}

// ApplyOperation reads the Rollout and patches it as the CLI does: the status patch first, then
// the spec patch (or the unified patch when the API has no status subresource).
func ApplyOperation(ctx context.Context, c client.Client, key types.NamespacedName, op Operation) error {
	ro := &v1alpha1.Rollout{}
	if err := c.Get(ctx, key, ro); err != nil {
		return err
	}
	spec, status, unified, err := OperationPatches(ro, op)
	if err != nil {
		return err
	}
	if status != nil {
		err := c.Status().Patch(ctx, ro, client.RawPatch(types.MergePatchType, status))
		if apierrors.IsNotFound(err) {
			spec = unified
		} else if err != nil {
			return err
		}
	}
	if spec != nil {
		if !json.Valid(spec) {
			return fmt.Errorf("invalid patch for %s", op)
		}
		return c.Patch(ctx, ro, client.RawPatch(types.MergePatchType, spec))
	}
	return nil
}
