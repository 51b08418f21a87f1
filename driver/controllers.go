package driver

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis"
	"github.com/canarydrill/canarydrill/controller/experiment"
	"github.com/canarydrill/canarydrill/controller/provider"
	"github.com/canarydrill/canarydrill/controller/rollout"
	"github.com/canarydrill/canarydrill/controller/trafficrouting"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// LabelControllerInstanceID is Argo's sharding label (see Options.InstanceID).
const LabelControllerInstanceID = rollout.LabelControllerInstanceID

// InstanceIDSelector selects the objects a controller with instanceID sees: those labelled with
// it, or, for the empty ID, those without the label (Argo's InstanceIDRequirement).
func InstanceIDSelector(instanceID string) labels.Selector {
	var req *labels.Requirement
	var err error
	if instanceID != "" {
		req, err = labels.NewRequirement(LabelControllerInstanceID, selection.Equals, []string{instanceID})
	} else {
		req, err = labels.NewRequirement(LabelControllerInstanceID, selection.DoesNotExist, nil)
	}
	if err != nil {
		return labels.Nothing() // an ID that is no label value selects nothing
	}
	return labels.NewSelector().Add(*req)
}

// RoutingKinds are the traffic routers' objects that the Rollout controller watches when their
// CRDs are installed (Istio, SMI, Gateway API); the preferred served version is used.
var RoutingKinds = []schema.GroupKind{
	{Group: "networking.istio.io", Kind: "VirtualService"},
	{Group: "networking.istio.io", Kind: "DestinationRule"},
	{Group: "split.smi-spec.io", Kind: "TrafficSplit"},
	{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"},
}

func cacheOptions(o Options) cache.Options {
	sel := InstanceIDSelector(o.InstanceID)
	jobs, _ := labels.Parse(provider.AnalysisRunUIDLabelKey) // only Jobs of analysis metrics
	c := cache.Options{ByObject: map[client.Object]cache.ByObject{
		&v1alpha1.Rollout{}:                 {Label: sel},
		&v1alpha1.AnalysisRun{}:             {Label: sel},
		&v1alpha1.Experiment{}:              {Label: sel},
		&v1alpha1.AnalysisTemplate{}:        {Label: sel},
		&v1alpha1.ClusterAnalysisTemplate{}: {Label: sel},
		&batchv1.Job{}:                      {Label: jobs},
	}}
	if o.Namespace != "" {
		c.DefaultNamespaces = map[string]cache.Config{o.Namespace: {}}
	}
	return c
}

func (d *Driver) setupControllers() error {
	mgr, o, c := d.mgr, d.o, d.client
	// A Rollout lists its ReplicaSets, runs and Experiments by owner from the cache, as in the
	// simulator, instead of scanning its namespace.
	for _, obj := range []client.Object{&appsv1.ReplicaSet{}, &v1alpha1.AnalysisRun{}, &v1alpha1.Experiment{}} {
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), obj, memapi.OwnerUIDField, memapi.OwnerUIDs); err != nil {
			return err
		}
	}
	rr := &rollout.Reconciler{Client: c, Clock: o.Clock, Recorder: d.recorder, Log: o.Log.WithName("rollout"), OwnerIndex: memapi.OwnerUIDField}
	if o.Routers != nil {
		rr.Routers = o.Routers(c, d.recorder)
	} else {
		rr.Routers = (&trafficrouting.Factory{Client: c, Recorder: d.recorder}).Routers
	}
	toRollouts := handler.EnqueueRequestsFromMapFunc(d.referencingRollouts)
	b := ctrl.NewControllerManagedBy(mgr).Named("rollout").
		For(&v1alpha1.Rollout{}).
		Owns(&appsv1.ReplicaSet{}).
		Owns(&v1alpha1.AnalysisRun{}). // a run's change enqueues its Rollout at once
		Owns(&v1alpha1.Experiment{}).
		Watches(&corev1.Service{}, toRollouts).
		Watches(&networkingv1.Ingress{}, toRollouts).
		Watches(&appsv1.Deployment{}, toRollouts). // spec.workloadRef
		WithOptions(controller.Options{MaxConcurrentReconciles: o.RolloutWorkers})
	for _, gk := range RoutingKinds {
		m, err := mgr.GetRESTMapper().RESTMapping(gk)
		if meta.IsNoMatchError(err) {
			continue // not installed in this cluster
		}
		if err != nil {
			return err
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(m.GroupVersionKind)
		b = b.Watches(u, toRollouts)
	}
	if err := b.Complete(d.metrics.timed(rr, d.metrics.rolloutReconcile, d.metrics.rolloutErrors)); err != nil {
		return err
	}
	if err := d.announceAddedRollouts(context.Background()); err != nil {
		return err
	}

	ar := &analysis.Reconciler{Client: c, Clock: o.Clock, Recorder: d.recorder, Log: o.Log.WithName("analysisrun")}
	if o.Providers != nil {
		ar.Providers = o.Providers(c)
	}
	if err := ctrl.NewControllerManagedBy(mgr).Named("analysisrun").
		For(&v1alpha1.AnalysisRun{}).
		Watches(&batchv1.Job{}, handler.EnqueueRequestsFromMapFunc(jobRun)).
		WithOptions(controller.Options{MaxConcurrentReconciles: o.AnalysisWorkers}).
		Complete(d.metrics.timed(ar, d.metrics.analysisReconcile, d.metrics.analysisErrors)); err != nil {
		return err
	}

	ex := o.Experiments
	if ex == nil {
		ex = &experiment.Reconciler{Client: c, Clock: o.Clock, Recorder: d.recorder, Log: o.Log.WithName("experiment")}
	}
	return ctrl.NewControllerManagedBy(mgr).Named("experiment").
		For(&v1alpha1.Experiment{}).
		Owns(&appsv1.ReplicaSet{}).
		Owns(&v1alpha1.AnalysisRun{}).
		Owns(&corev1.Service{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: o.ExperimentWorkers}).
		Complete(d.metrics.timed(ex, d.metrics.experimentReconcile, d.metrics.experimentErrors))
}

// jobRun names the AnalysisRun a metric's Job measures for (Argo's Job informer handler).
func jobRun(_ context.Context, obj client.Object) []reconcile.Request {
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return nil
	}
	nn, ok := provider.JobAnalysisRun(job)
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: nn}}
}

// timedReconciler observes each reconcile's wall duration and counts its errors by object.
type timedReconciler struct {
	inner reconcile.Reconciler
	hist  *prometheus.HistogramVec
	errs  *prometheus.CounterVec
}

func (t timedReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	start := time.Now()
	res, err := t.inner.Reconcile(ctx, req)
	t.hist.WithLabelValues(req.Namespace, req.Name).Observe(time.Since(start).Seconds())
	if err != nil {
		t.errs.WithLabelValues(req.Namespace, req.Name).Inc()
	}
	return res, err
}
