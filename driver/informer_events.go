package driver

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

// announceAddedRollouts sends Argo's RolloutAddedToInformer Event for every Rollout the cache's
// informer adds: each new Rollout, and every Rollout when the controller starts. Beyond what
// `kubectl describe` shows, it counts against client-go's per-object Event budget (25, then one
// per 5 minutes), so without it the later Events of a long update differ from Argo's.
func (d *Driver) announceAddedRollouts(ctx context.Context) error {
	inf, err := d.mgr.GetCache().GetInformer(ctx, &v1alpha1.Rollout{})
	if err != nil {
		return err
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ro, ok := obj.(*v1alpha1.Rollout); ok {
				d.recorder.Eventf(ro, corev1.EventTypeNormal, rollout.ReasonRolloutAddedToInformer, rollout.MsgRolloutAddedToInformer, ro.Namespace, ro.Name)
			}
		},
	})
	return err
}
