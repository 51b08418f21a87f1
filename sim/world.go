package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/fakeprom"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// maxEventsPerInstant stops a run whose reconcilers keep writing at one virtual instant:
// that is a controller bug (a write loop), not something to wait out.
const maxEventsPerInstant = 100_000

// World is one simulated run of a scenario.
type World struct {
	sc    *scenarios.Scenario
	seed  int64
	ctx   context.Context
	clock *Clock
	rng   *rand.Rand
	q     *queue

	store  *memapi.Store
	client client.Client
	prom   *fakeprom.Store
	// replaying: the series come from spec.metrics.replay, not from the app model.
	replaying bool
	// notes are said in the report.
	notes  []string
	promQL *fakeprom.Server

	controllers controllers
	lat         latencyModel
	presets     *presets
	signals     *signals
	work        *workload
	traffic     *traffic
	app         *app
	faults      *faults
	obs         *observer
	timeline    *timeline
	jobs        *jobs

	// focus is the rollout the report is about: the first in the manifests.
	focus   string
	focusNS string

	end     time.Time
	settled bool
	err     error

	// rt is set for a wall-clock run (realtime.go): real processes instead of the kubelet, traffic
	// and app models; nil in virtual time.
	rt *realtime
}

// controllers are the reconcilers the world drives, by the kind they reconcile.
type controllers struct {
	rollout    reconcile.Reconciler
	analysis   reconcile.Reconciler
	experiment reconcile.Reconciler
}

// New builds the world for a scenario: the API with the scenario's manifests applied at time
// zero, the reconcilers, the workload, traffic and app models, and fakeprom.
func New(ctx context.Context, sc *scenarios.Scenario, seed int64) (*World, error) {
	return newWorld(ctx, sc, seed, nil)
}

// applyOrder is the order the manifests are created in. In virtual time every object exists
// before the first reconcile, whatever the order. A real API's controller may reconcile a Rollout
// between two creates, and a Rollout whose AnalysisTemplate or Service is not there yet is
// InvalidSpec until Argo's 20 s requeue, which a time-scaled run cannot afford: there Rollouts
// come last, after what they reference, as a careful `kubectl apply` would have them.
func (w *World) applyOrder(objs []scenarios.Object) []scenarios.Object {
	if !w.onRealAPI() {
		return objs
	}
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b scenarios.Object) int {
		_, ra := a.Object.(*v1alpha1.Rollout)
		_, rb := b.Object.(*v1alpha1.Rollout)
		switch {
		case ra == rb:
			return 0
		case ra:
			return 1
		}
		return -1
	})
	return out
}

func newWorld(ctx context.Context, sc *scenarios.Scenario, seed int64, rt *realtime) (*World, error) {
	w := &World{
		rt:    rt,
		sc:    sc,
		seed:  seed,
		ctx:   ctx,
		clock: NewClock(),
		rng:   rand.New(rand.NewPCG(uint64(seed), 0x63616e617279)), // "canary"
		q:     newQueue(),
	}
	if rt != nil && rt.api != nil {
		w.clock.origin = rt.Clock.Now() // the real API stamps wall times: time zero is now
		w.clock.now = w.clock.origin
	}
	w.end = w.clock.origin.Add(sc.Spec.MaxDuration.Duration)
	w.store = memapi.New(scheme.New(), w.clock, memapi.WithNameSuffix(w.nameSuffix))
	w.client = w.store.Client()
	if rt != nil && rt.api != nil {
		w.client = rt.api.attach(w) // writes go to the real API; the store mirrors it (realapi.go)
	}
	w.prom = fakeprom.NewStore()
	w.promQL = fakeprom.NewServer(w.prom, fakeprom.WithNow(w.clock.Now))
	w.lat = newLatencyModel(sc.Spec.Metrics.Preset)
	w.obs = newObserver(w)
	w.signals = newSignals(w)
	w.presets = newPresets(w)
	w.work = newWorkload(w)
	w.traffic = newTraffic(w)
	w.app = newApp(w)
	w.faults = newFaults(w)
	w.timeline = newTimeline(w)
	w.jobs = newJobs(w)
	w.controllers = newControllers(w)
	w.store.Watch(w.onChange)
	for _, o := range w.applyOrder(sc.Objects) {
		obj := o.DeepCopyObject().(client.Object)
		if ns, _ := w.client.IsObjectNamespaced(obj); ns && (obj.GetNamespace() == "" || w.onRealAPI()) {
			obj.SetNamespace(w.defaultNamespace())
		}
		if ro, ok := obj.(*v1alpha1.Rollout); ok && w.focus == "" {
			w.focus, w.focusNS = ro.Name, ro.Namespace
		}
		if err := w.client.Create(ctx, obj); err != nil {
			return nil, fmt.Errorf("%s: applying %s %s: %w", o.Source, obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
	}
	if err := w.loadReplay(); err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Source, err)
	}
	w.timeline.schedule()
	if w.processes() {
		w.rtScheduleScrapes() // the app's series come from real scrapes; the kubelet's from here
	} else {
		w.work.scheduleScrapes()
	}
	return w, nil
}

// Run advances virtual time until the scenario has settled or maxDuration is reached.
func (w *World) Run() error {
	instant, events := w.clock.Now(), 0
	for w.err == nil {
		e := w.q.next()
		if e == nil || e.at.After(w.end) {
			w.clock.set(w.end)
			break
		}
		if e.at.Equal(instant) {
			events++
			if events > maxEventsPerInstant {
				return fmt.Errorf("more than %d events at %s: a reconciler keeps writing", maxEventsPerInstant, w.sinceStart(e.at))
			}
		} else {
			instant, events = e.at, 1
		}
		w.clock.set(e.at)
		e.run()
		if next, ok := w.q.peek(); !ok || next.After(e.at) {
			// The instant is over: everything due now has run.
			w.obs.endOfInstant()
			if w.isSettled() {
				w.settled = true
				break
			}
		}
	}
	if w.err != nil {
		return w.err
	}
	w.traffic.accrue()
	return nil
}

// fail stops the run with an error.
func (w *World) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *World) sinceStart(t time.Time) time.Duration { return t.Sub(w.clock.origin) }

// now is the current virtual time.
func (w *World) now() time.Time { return w.clock.Now() }

// after schedules f at now+d.
func (w *World) after(d time.Duration, f func()) { w.q.add(w.now().Add(d), "", f) }

// kubeNameAlphabet is the alphabet Kubernetes uses for generated name suffixes.
const kubeNameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func (w *World) nameSuffix() string {
	b := make([]byte, 5)
	for i := range b {
		b[i] = kubeNameAlphabet[w.rng.IntN(len(kubeNameAlphabet))]
	}
	return string(b)
}

// requestKey names a reconcile of one object by one controller.
func requestKey(kind string, nn types.NamespacedName) string {
	return kind + "/" + nn.Namespace + "/" + nn.Name
}

// enqueue schedules a reconcile of nn by the controller for kind after d.
func (w *World) enqueue(kind string, nn types.NamespacedName, d time.Duration) {
	var r reconcile.Reconciler
	switch kind {
	case kindRollout:
		r = w.controllers.rollout
	case kindAnalysisRun:
		r = w.controllers.analysis
	case kindExperiment:
		r = w.controllers.experiment
	default:
		return
	}
	if w.onRealAPI() {
		return // the controller under test reconciles, on the real API
	}
	w.q.add(w.now().Add(d), requestKey(kind, nn), func() {
		res, err := r.Reconcile(w.ctx, reconcile.Request{NamespacedName: nn})
		switch {
		case err != nil:
			// As a workqueue does: retry with back-off; in virtual time a fixed second is enough.
			w.obs.controllerError(kind, nn, err)
			w.enqueue(kind, nn, time.Second)
		case res.RequeueAfter > 0:
			w.enqueue(kind, nn, res.RequeueAfter)
		}
	})
}

// Kinds the world reacts to.
const (
	kindRollout     = "Rollout"
	kindAnalysisRun = "AnalysisRun"
	kindReplicaSet  = "ReplicaSet"
	kindPod         = "Pod"
	kindService     = "Service"
	kindExperiment  = "Experiment"
)

// onChange is called after every write to the API, as an informer's handlers would be.
func (w *World) onChange(e memapi.Event) {
	obj := e.Object
	nn := client.ObjectKeyFromObject(obj)
	switch e.Kind.Kind {
	case kindRollout:
		w.enqueue(kindRollout, nn, 0)
		w.traffic.invalidate()
	case kindAnalysisRun:
		w.enqueue(kindAnalysisRun, nn, 0)
		w.enqueueOwner(obj, kindRollout)
		w.enqueueOwner(obj, kindExperiment) // experiments' analyses
	case kindReplicaSet:
		w.work.replicaSetChanged(e)
		w.enqueueOwner(obj, kindRollout)
		w.enqueueOwner(obj, kindExperiment) // experiments' ReplicaSets
	case kindPod:
		w.work.podChanged(e)
		w.resyncAfterPodDeleted(e) // the ReplicaSet controller replaces a deleted pod
	case kindService:
		w.traffic.invalidate()
		w.enqueueRolloutsInNamespace(nn.Namespace)
	// The Experiment controller, and the objects traffic routers write (read by the traffic model).
	case kindExperiment:
		w.enqueue(kindExperiment, nn, 0)
		w.enqueueOwner(obj, kindRollout)
	case kindIngress, kindVirtualService, kindDestinationRule, kindTrafficSplit, kindHTTPRoute:
		w.traffic.invalidate()
	case kindDeployment:
		w.enqueueRolloutsInNamespace(nn.Namespace) // workloadRef templates
	case kindJob:
		if e.Kind.Group == jobGVK.Group {
			w.jobs.jobChanged(e) // the Job controller, and the AnalysisRun's watch of its Jobs
		}
	}
	w.obs.onChange(e)
}

func (w *World) enqueueOwner(obj client.Object, kind string) {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Kind == kind && ref.Controller != nil && *ref.Controller {
			w.enqueue(kind, types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}, 0)
		}
	}
}

func (w *World) enqueueRolloutsInNamespace(ns string) {
	for _, o := range w.store.Objects(rolloutGVK) {
		if o.GetNamespace() == ns {
			w.enqueue(kindRollout, client.ObjectKeyFromObject(o), 0)
		}
	}
}

var (
	rolloutGVK     = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Rollout"}
	analysisRunGVK = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "AnalysisRun"}
	replicaSetGVK  = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}
	serviceGVK     = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
)
