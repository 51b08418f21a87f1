package sim

import (
	"context"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/trafficrouting"
)

// mirror watches the run's namespace on the real API and posts every change of the objects
// the models and the observer read to the loop, which puts it in the store. Events (of the
// controller under test) go to the report's events. It returns when ctx ends.
func (w *World) mirror(ctx context.Context) error {
	api := w.rt.api
	c, err := cache.New(api.cfg.Config, cache.Options{
		Scheme:            scheme.New(),
		DefaultNamespaces: map[string]cache.Config{api.cfg.Namespace: {}},
	})
	if err != nil {
		return err
	}
	typed := []client.Object{
		&v1alpha1.Rollout{}, &v1alpha1.AnalysisRun{}, &v1alpha1.Experiment{},
		&appsv1.ReplicaSet{}, &corev1.Pod{}, &corev1.Service{}, &networkingv1.Ingress{}, &appsv1.Deployment{},
	}
	objs := slices.Clone(typed)
	// The routers' objects, read as unstructured, under the first version the API serves.
	for _, gvks := range [][]schema.GroupVersionKind{trafficrouting.VirtualServiceGVKs, trafficrouting.DestinationRuleGVKs,
		trafficrouting.TrafficSplitGVKs, trafficrouting.HTTPRouteGVKs} {
		for _, gvk := range gvks {
			if _, err := api.client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
				u := &unstructured.Unstructured{}
				u.SetGroupVersionKind(gvk)
				objs = append(objs, u)
				break
			}
		}
	}
	for _, o := range objs {
		inf, err := c.GetInformer(ctx, o)
		if err != nil {
			return err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.postMirror(obj, false) },
			UpdateFunc: func(_, obj any) { w.postMirror(obj, false) },
			DeleteFunc: func(obj any) { w.postMirror(obj, true) },
		}); err != nil {
			return err
		}
	}
	events, err := c.GetInformer(ctx, &corev1.Event{})
	if err != nil {
		return err
	}
	if _, err := events.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ev, ok := obj.(*corev1.Event); ok {
				w.post(func() { w.obs.event(ev.Reason, ev.Message) })
			}
		},
	}); err != nil {
		return err
	}
	return c.Start(ctx)
}

// postMirror hands a watched object to the loop.
func (w *World) postMirror(obj any, deleted bool) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj, deleted = d.Obj, true
	}
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	o = o.DeepCopyObject().(client.Object)
	w.post(func() { w.raMirror(o, deleted) })
}
