package rollout

import (
	"context"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Reconciler implements sigs.k8s.io/controller-runtime/pkg/reconcile.Reconciler. A discrete-event
// simulator calls Reconcile directly in virtual time; a controller-runtime manager calls the same
// code against a real cluster. No second copy of this logic exists anywhere.
//
// Like Argo's controller, Reconcile expects to run again whenever the Rollout or an object it owns
// (ReplicaSet, AnalysisRun, Experiment) or names (Service, Ingress, VirtualService, workload)
// changes, including the changes it makes itself; RequeueAfter covers what no object change
// announces (a timed pause ending, a scale-down deadline, the progress deadline, a restart).
type Reconciler struct {
	Client   client.Client        // controller-runtime client (fake in tests and simulation)
	Clock    clock.PassiveClock   // k8s.io/utils/clock — the ONLY source of time
	Recorder record.EventRecorder // Argo's event reasons (see reasons.go); nil records nothing
	Log      logr.Logger

	// Routers builds the traffic routers of a Rollout with spec.strategy.canary.trafficRouting.
	// Nil gives such a Rollout a NoopRouter; a basic canary never has routers.
	Routers RouterFactory

	// OwnerIndex, when set, names a field index of owner-reference UIDs that Client lists
	// ReplicaSets, AnalysisRuns and Experiments by (memapi.OwnerUIDField, indexed by
	// memapi.OwnerUIDs; a manager's cache must have it registered for those three kinds). A
	// reconcile then reads only what its Rollout owns, not every object of its namespace: with
	// many Rollouts in a namespace, listing and copying the namespace dominates otherwise.
	// Empty lists the namespace, which needs no index.
	OwnerIndex string

	hashes hashCache
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// Reconcile brings one Rollout a step closer to its desired state, the way one sync of Argo
// Rollouts' controller does: gather what exists, validate, decide, apply the writes, status last.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ro := &v1alpha1.Rollout{}
	if err := r.Client.Get(ctx, req.NamespacedName, ro); err != nil {
		if apierrors.IsNotFound(err) {
			r.hashes.forget(req.NamespacedName)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if ro.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	workload, resolveErr := r.resolveWorkloadRef(ctx, ro)
	if resolveErr != nil && !isUserError(resolveErr) {
		return reconcile.Result{}, resolveErr
	}
	c, err := r.gather(ctx, ro, workload)
	if err != nil {
		return reconcile.Result{}, err
	}
	if resolveErr != nil {
		c.planInvalidSpec(resolveErr)
		return c.applyInvalid()
	}
	ferr, err := c.validate()
	if err != nil {
		return reconcile.Result{}, err
	}
	if ferr != nil {
		c.planInvalidSpec(ferr)
		return c.applyInvalid()
	}
	if ro.Spec.Replicas == nil {
		// As Argo does for HPAs: write the default of 1 into the spec, then start over.
		patch := map[string]any{"spec": map[string]any{"replicas": defaultReplicas}}
		return reconcile.Result{}, r.Client.Patch(ctx, ro, rawMergePatch(patch))
	}
	if err := c.decide(); err != nil {
		// Argo has made the writes before the failing step; make them too, without a status.
		c.plan.status = nil
		if aerr := c.apply(); aerr != nil {
			return reconcile.Result{}, aerr
		}
		return reconcile.Result{}, err
	}
	if err := c.apply(); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: c.plan.requeue}, nil
}

func (c *rolloutContext) applyInvalid() (reconcile.Result, error) {
	if err := c.apply(); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: c.plan.requeue}, nil
}

// decide runs Argo's reconcile for the Rollout, filling the plan.
func (c *rolloutContext) decide() error {
	if c.newRS == nil {
		c.planNewReplicaSet()
	}
	if isFullyPromoted(c.ro) && c.pause.isAborted() {
		c.logger().Info("removing abort condition from fully promoted rollout")
		c.pause.unabort()
	}
	c.newStatus.RestartedAt = c.ro.Status.RestartedAt
	c.newStatus.Canary.Weights = c.ro.Status.Canary.Weights

	c.checkPausedConditions()
	c.syncReplicaSetRevision()
	if c.isScalingEvent() {
		c.syncReplicasOnly()
		return nil
	}
	if c.ro.Spec.Strategy.BlueGreen != nil {
		return c.rolloutBlueGreen()
	}
	return c.rolloutCanary()
}
