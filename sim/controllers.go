package sim

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/controller/analysis"
	"github.com/canarydrill/canarydrill/controller/experiment"
	"github.com/canarydrill/canarydrill/controller/provider"
	"github.com/canarydrill/canarydrill/controller/rollout"
	"github.com/canarydrill/canarydrill/controller/trafficrouting"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// newControllers builds the same reconcilers a cluster runs, on the world's API, clock and
// fakeprom transport: every Prometheus address a template names is answered by this world.
func newControllers(w *World) controllers {
	providers := &provider.DefaultFactory{
		Transport: w.promQL.RoundTripper(),
		Clock:     w.clock,
		Client:    w.client,
	}
	routers := &trafficrouting.Factory{Client: w.client, Recorder: w.obs}
	return controllers{
		rollout: &rollout.Reconciler{
			Client:   w.client,
			Clock:    w.clock,
			Recorder: w.obs,
			Routers:  routers.Routers,
			// A Rollout's ReplicaSets and runs come from the owner index, not a scan of its
			// namespace (all of a world's Rollouts may share one).
			OwnerIndex: memapi.OwnerUIDField,
		},
		analysis: &analysis.Reconciler{
			Client:    w.client,
			Clock:     w.clock,
			Providers: providers,
		},
		experiment: &experiment.Reconciler{
			Client:   w.client,
			Clock:    w.clock,
			Recorder: w.obs,
		},
	}
}

// resyncAfterPodDeleted plays the ReplicaSet controller's part when a pod is deleted (restarted
// by a Rollout's restartAt, say): its ReplicaSet makes up the number again.
func (w *World) resyncAfterPodDeleted(e memapi.Event) {
	if e.Type != memapi.Deleted || w.onRealAPI() {
		return
	}
	ref := metav1.GetControllerOf(e.Object)
	if ref == nil || ref.Kind != kindReplicaSet {
		return
	}
	nn := types.NamespacedName{Namespace: e.Object.GetNamespace(), Name: ref.Name}
	w.q.add(w.now(), "rs-sync/"+nn.String(), func() { w.work.syncReplicaSet(nn) })
}
