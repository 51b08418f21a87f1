package sim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/fakeprom"
	"github.com/canarydrill/canarydrill/kubeletsim"
	"github.com/canarydrill/canarydrill/scenarios"
)

// A run against a real API server (`canarydrill run --api real`): the world is the harness and
// the real API is the source of truth for everything controllers own. The controller under test
// (ours through driver, or Argo Rollouts' own) reconciles on the real API; kube-controller-
// manager's ReplicaSet controller makes the pods; a watch of the run's namespace mirrors every
// object the models read into the world's store (realapi_mirror.go), on the loop, so the models
// react to it as they do in virtual time. The world plays no controller and no ReplicaSet
// controller. Its kubelet model decides each pod's readiness, restarts and terminations, and
// kubeletsim writes them to the real pods (Behaviour). The traffic and app models, the faults
// and the metric emission into fakeprom are the virtual-time ones, on the wall clock; fakeprom's
// HTTP API is what the templates' Prometheus addresses must point to (PrometheusHandler). The
// timeline's updates and actions are written to the real API.

// RealAPI configures a run against a real API server.
type RealAPI struct {
	// Clock is the wall clock: the real API stamps its objects with it.
	Clock clock.WithTicker
	// Config reaches the API as a user that may create the scenario's objects, write the
	// timeline's updates and watch the namespace.
	Config *rest.Config
	// Namespace is where every namespaced manifest is applied, and what is watched.
	Namespace string
	// OnPodStates is called on the loop after the kubelet model changed pods' states: the kubelet
	// simulator should ask Behaviour again (kubeletsim.Kubelet.Resync).
	OnPodStates func()
	// Kubelet, when set, runs each pod the real API has as a process (a live drill against the
	// real API): readiness, exits and restarts come from the processes, the apps are scraped over
	// HTTP, and OnRoutes gets the focus Rollout's routing table, as in a loopback drill.
	Kubelet       Kubelet
	OnRoutes      func(RouteTable)
	ScrapeOptions []fakeprom.ScrapeOption
	// KeepRunning keeps the loop going after the rollout settled (Realtime.KeepRunning).
	KeepRunning bool
}

// realAPI is the state of a run against a real API.
type realAPI struct {
	cfg    RealAPI
	client client.Client
	// pending are pods seen before their ReplicaSet, by the ReplicaSet's key.
	pending map[types.NamespacedName][]types.NamespacedName
	states  *podStates
	changed bool
	w       *World
}

// NewRealAPI builds the world of a run against a real API and applies the scenario's manifests
// to it; RunRealAPI runs it. Scenarios that replay recorded metrics or run Job metrics are not
// supported there.
func NewRealAPI(ctx context.Context, sc *scenarios.Scenario, seed int64, cfg RealAPI) (*World, error) {
	if cfg.Clock == nil || cfg.Config == nil || cfg.Namespace == "" {
		return nil, errors.New("sim: a run against a real API needs a Clock, a Config and a Namespace")
	}
	if sc.Spec.Metrics.Replay != "" {
		return nil, fmt.Errorf("%s: spec.metrics.replay: Forbidden: not supported against a real API", sc.Source)
	}
	c, err := client.New(cfg.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, err
	}
	api := &realAPI{
		cfg:     cfg,
		pending: map[types.NamespacedName][]types.NamespacedName{},
		states:  &podStates{m: map[types.NamespacedName]kubeletsim.PodState{}},
	}
	rt := &realtime{
		Realtime: Realtime{Clock: cfg.Clock, Kubelet: cfg.Kubelet, OnRoutes: cfg.OnRoutes, ScrapeOptions: cfg.ScrapeOptions, KeepRunning: cfg.KeepRunning},
		kubelet:  cfg.Kubelet,
		posted:   make(chan func(), 4096),
		done:     make(chan struct{}),
		addrs:    map[types.NamespacedName]string{},
		pushed:   map[types.NamespacedName]pushedFaults{},
		api:      api,
	}
	// Every write the world makes (the manifests, the timeline) is put in its store at once, as
	// the in-memory API would have it: the watch brings the same resource version later.
	api.client = &writeThrough{Client: c, put: func(o client.Object) {
		if api.w != nil {
			_ = api.w.store.Put(o)
		}
	}}
	w, err := newWorld(ctx, sc, seed, rt)
	if err != nil || cfg.Kubelet == nil {
		return w, err
	}
	rt.scraper = newAppScraper(w, cfg.ScrapeOptions)
	return w, nil
}

// attach makes w the world the real API's writes are mirrored into, and returns its client.
func (api *realAPI) attach(w *World) client.Client {
	api.w = w
	return api.client
}

// processes says whether pods are real processes (a live drill, in memory or against a real
// API); otherwise the kubelet model runs.
func (w *World) processes() bool { return w.rt != nil && w.rt.kubelet != nil }

// onRealAPI says whether the world mirrors a real API server.
func (w *World) onRealAPI() bool { return w.rt != nil && w.rt.api != nil }

// defaultNamespace is where namespaced manifests go.
func (w *World) defaultNamespace() string {
	if w.onRealAPI() {
		return w.rt.api.cfg.Namespace
	}
	return "default"
}

// RunRealAPI mirrors the real API into the world and runs the loop on the wall clock until the
// rollout settled, maxDuration or the end of ctx (whose error it returns; Report still
// describes the run so far).
func (w *World) RunRealAPI(ctx context.Context) error {
	if !w.onRealAPI() {
		return errors.New("sim: RunRealAPI on a world without a real API")
	}
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		if err := w.mirror(mctx); err != nil && mctx.Err() == nil {
			w.post(func() { w.fail(fmt.Errorf("watching namespace %s: %w", w.rt.api.cfg.Namespace, err)) })
		}
	}()
	return w.RunRealtime(ctx)
}

// PrometheusHandler serves the run's fakeprom (Prometheus' HTTP API) for controllers that dial
// the address in the template; it answers at the wall clock's time.
func (w *World) PrometheusHandler() http.Handler {
	now := w.clock.Now
	if w.onRealAPI() {
		now = w.rt.api.cfg.Clock.Now
	}
	return fakeprom.NewServer(w.prom, fakeprom.WithNow(now)).Handler()
}

// KubeletBehaviour is what the kubelet model decided for each pod, for kubeletsim to write.
func (w *World) KubeletBehaviour() kubeletsim.Behaviour {
	if !w.onRealAPI() {
		return kubeletsim.Startup{}
	}
	return w.rt.api.states
}

// raMirror puts a watched object in the store, or removes it; a terminating pod is gone (the
// endpoints controller drops it at once, and the kubelet stops it).
func (w *World) raMirror(obj client.Object, deleted bool) {
	if p, ok := obj.(*corev1.Pod); ok && p.DeletionTimestamp != nil {
		deleted = true
	}
	if deleted {
		gvk, err := w.store.KindOf(obj)
		if err == nil {
			w.store.Remove(gvk, client.ObjectKeyFromObject(obj))
		}
		return
	}
	if err := w.store.Put(obj); err != nil {
		w.fail(fmt.Errorf("mirroring %s: %w", obj.GetName(), err))
	}
}

// raPodSeen adopts a pod kube-controller-manager made into the workload model, once its
// ReplicaSet is known.
func (w *World) raPodSeen(p *corev1.Pod) {
	ref := metav1.GetControllerOf(p)
	if ref == nil || ref.Kind != kindReplicaSet {
		return
	}
	key := client.ObjectKeyFromObject(p)
	if w.work.pods[key] != nil {
		return
	}
	rsKey := types.NamespacedName{Namespace: p.Namespace, Name: ref.Name}
	o := w.store.Peek(replicaSetGVK, rsKey)
	if o == nil {
		w.rt.api.pending[rsKey] = append(w.rt.api.pending[rsKey], key)
		return
	}
	rs := o.(*appsv1.ReplicaSet)
	w.work.adopt(p, rs, &rs.Spec.Template)
}

// raReplicaSetSeen adopts the pods that came before their ReplicaSet.
func (w *World) raReplicaSetSeen(rs client.Object) {
	rsKey := client.ObjectKeyFromObject(rs)
	keys := w.rt.api.pending[rsKey]
	delete(w.rt.api.pending, rsKey)
	for _, k := range keys {
		if o := w.store.Peek(podGVK, k); o != nil {
			w.raPodSeen(o.(*corev1.Pod))
		}
	}
}

// raPublishPod hands the kubelet model's view of a pod to kubeletsim.
func (w *World) raPublishPod(p *pod) {
	st := kubeletsim.PodState{Ready: p.ready, Restarts: p.ctr.restarts, LastTermination: p.ctr.lastReason}
	if !p.ctr.running {
		st.Waiting = kubeletsim.ReasonCrashLoopBackOff
	}
	s := w.rt.api.states
	s.mu.Lock()
	prev := s.m[p.key]
	st.LastTerminatedAt = prev.LastTerminatedAt
	if st.Waiting != "" && prev.Waiting == "" {
		st.LastTerminatedAt = w.now()
	}
	s.m[p.key] = st
	s.mu.Unlock()
	w.rt.api.changed = true
}

// raAfterBatch is the end of an instant against a real API: the kubelet simulator writes what
// changed.
func (w *World) raAfterBatch() {
	api := w.rt.api
	if !api.changed {
		return
	}
	api.changed = false
	if api.cfg.OnPodStates != nil {
		api.cfg.OnPodStates()
	}
}

// podStates is the kubelet model's decisions, read by kubeletsim's workers.
type podStates struct {
	mu sync.Mutex
	m  map[types.NamespacedName]kubeletsim.PodState
}

// State implements kubeletsim.Behaviour: a pod the model has not decided about yet is running,
// not ready.
func (s *podStates) State(pod *corev1.Pod, _, _ time.Time) kubeletsim.PodState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}]
}

// writeThrough is the real API's client that also puts what it wrote in the world's store.
type writeThrough struct {
	client.Client
	put func(client.Object)
}

func (c *writeThrough) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if err := c.Client.Create(ctx, obj, opts...); err != nil {
		return err
	}
	c.put(obj)
	return nil
}

func (c *writeThrough) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := c.Client.Update(ctx, obj, opts...); err != nil {
		return err
	}
	c.put(obj)
	return nil
}

func (c *writeThrough) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	c.put(obj)
	return nil
}

func (c *writeThrough) Status() client.SubResourceWriter {
	return &writeThroughStatus{SubResourceWriter: c.Client.Status(), put: c.put}
}

type writeThroughStatus struct {
	client.SubResourceWriter
	put func(client.Object)
}

func (c *writeThroughStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if err := c.SubResourceWriter.Update(ctx, obj, opts...); err != nil {
		return err
	}
	c.put(obj)
	return nil
}

func (c *writeThroughStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if err := c.SubResourceWriter.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	c.put(obj)
	return nil
}

// Origin is the wall time of scenario time zero of a run against a real API: what a drill's
// router and load count their windows from.
func (w *World) Origin() time.Time { return w.clock.origin }
