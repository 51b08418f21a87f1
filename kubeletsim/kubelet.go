package kubeletsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

// DefaultNodeName is the Node the Kubelet creates and binds pods to.
const DefaultNodeName = "canarydrill-node"

// Options configure a Kubelet.
type Options struct {
	// NodeName is the fake Node's name; empty means DefaultNodeName.
	NodeName string
	// Namespace limits the Kubelet to one namespace; empty means all.
	Namespace string
	// Behaviour decides the pods' states; nil means Startup{Delay: time.Second}.
	Behaviour Behaviour
	// Clock is the only source of time; nil means the wall clock.
	Clock clock.WithTicker
	// Log receives what the Kubelet does, at V(1).
	Log logr.Logger
}

// Kubelet binds pending pods to its Node, reports their containers' states as its Behaviour
// says, and finishes the deletion of terminating pods (a real kubelet's final delete), so that
// ReplicaSets scale down as on a real cluster. Nothing runs: no process, no network.
type Kubelet struct {
	o       Options
	cs      kubernetes.Interface
	queue   workqueue.TypedRateLimitingInterface[types.NamespacedName]
	factory informers.SharedInformerFactory
	pods    cache.SharedIndexInformer
	// lister is made with the Kubelet, not in Run: Resync may come from another goroutine
	// before Run got going (it then lists nothing, and the informer's first list adds every pod).
	lister corelisters.PodLister

	mu      sync.Mutex
	started map[types.UID]time.Time
	ips     map[types.UID]string
	nextIP  int
}

// New returns a Kubelet that talks to the API of cfg; Run starts it.
func New(cfg *rest.Config, o Options) (*Kubelet, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if o.NodeName == "" {
		o.NodeName = DefaultNodeName
	}
	if o.Behaviour == nil {
		o.Behaviour = Startup{Delay: time.Second}
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	q := workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[types.NamespacedName](10*time.Millisecond, 5*time.Second),
		workqueue.TypedRateLimitingQueueConfig[types.NamespacedName]{Name: "kubeletsim", Clock: o.Clock})
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(o.Namespace))
	inf := f.Core().V1().Pods()
	return &Kubelet{o: o, cs: cs, queue: q, factory: f, pods: inf.Informer(), lister: inf.Lister(),
		started: map[types.UID]time.Time{}, ips: map[types.UID]string{}}, nil
}

// Run registers the Node, watches pods and plays them until ctx ends. It returns nil when ctx
// ends and an error when the Node cannot be registered or the pod watch never syncs.
func (k *Kubelet) Run(ctx context.Context) error {
	defer k.queue.ShutDown()
	if err := k.registerNode(ctx); err != nil {
		return fmt.Errorf("registering node %s: %w", k.o.NodeName, err)
	}
	enqueue := func(obj any) {
		if p, ok := obj.(*corev1.Pod); ok {
			k.queue.Add(types.NamespacedName{Namespace: p.Namespace, Name: p.Name})
		}
	}
	if _, err := k.pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, n any) { enqueue(n) },
	}); err != nil {
		return err
	}
	k.factory.Start(ctx.Done())
	defer k.factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), k.pods.HasSynced) {
		if ctx.Err() != nil {
			return nil
		}
		return errors.New("pod informer did not sync")
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for k.next(ctx) {
			}
		})
	}
	<-ctx.Done()
	k.queue.ShutDown()
	wg.Wait()
	return nil
}

// Resync asks the Behaviour again about every pod, after a fault was injected.
func (k *Kubelet) Resync() {
	pods, _ := k.lister.List(labels.Everything())
	for _, p := range pods {
		k.queue.Add(types.NamespacedName{Namespace: p.Namespace, Name: p.Name})
	}
}

func (k *Kubelet) next(ctx context.Context) bool {
	key, quit := k.queue.Get()
	if quit {
		return false
	}
	defer k.queue.Done(key)
	after, err := k.sync(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		k.o.Log.V(1).Info("pod sync failed, retrying", "pod", key, "error", err.Error())
		k.queue.AddRateLimited(key)
	case err == nil:
		k.queue.Forget(key)
		if after > 0 {
			k.queue.AddAfter(key, after)
		}
	}
	return true
}

// sync brings one pod's API state to what the Behaviour says; it returns when to look again.
func (k *Kubelet) sync(ctx context.Context, key types.NamespacedName) (time.Duration, error) {
	pod, err := k.lister.Pods(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pod.Spec.NodeName == "" {
		if pod.DeletionTimestamp != nil {
			return 0, k.finishDeletion(ctx, pod)
		}
		return 0, k.bind(ctx, pod)
	}
	if pod.Spec.NodeName != k.o.NodeName {
		return 0, nil
	}
	if pod.DeletionTimestamp != nil {
		return 0, k.finishDeletion(ctx, pod)
	}
	now := k.o.Clock.Now()
	started, podIP := k.podStarted(pod, now)
	st := k.o.Behaviour.State(pod, started, now)
	status := podStatus(pod, st, started, now, hostIP, podIP)
	if !equalStatus(status, pod.Status) {
		upd := pod.DeepCopy()
		upd.Status = status
		if _, err := k.cs.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
			return 0, ignoreGone(err)
		}
		k.o.Log.V(1).Info("pod status", "pod", key, "ready", st.Ready, "restarts", st.Restarts, "waiting", st.Waiting)
	}
	if st.Next.IsZero() {
		return 0, nil
	}
	return max(st.Next.Sub(now), time.Millisecond), nil
}

// equalStatus compares statuses as the API stores them (times to the second).
func equalStatus(a, b corev1.PodStatus) bool { return equality.Semantic.DeepEqual(a, b) }

// ignoreGone keeps a NotFound (the pod went away meanwhile) from being retried.
func ignoreGone(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// hostIP is the fake Node's address; pod IPs are drawn from 127.0.1.0/24, so that nothing
// that reads them could ever send traffic off this machine.
const hostIP = "127.0.0.1"

func (k *Kubelet) podStarted(pod *corev1.Pod, now time.Time) (time.Time, string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.started[pod.UID]
	if !ok {
		t = now
		if pod.Status.StartTime != nil { // started before this Kubelet (a restart of it)
			t = pod.Status.StartTime.Time
		}
		k.started[pod.UID] = t
	}
	ip, ok := k.ips[pod.UID]
	if !ok {
		ip = pod.Status.PodIP
		if ip == "" {
			k.nextIP++
			ip = fmt.Sprintf("127.0.1.%d", k.nextIP%250+2)
		}
		k.ips[pod.UID] = ip
	}
	return t, ip
}

func (k *Kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.o.NodeName},
	}
	err := k.cs.CoreV1().Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{})
	if apierrors.IsConflict(err) { // bound meanwhile
		return nil
	}
	return ignoreGone(err)
}

// finishDeletion removes a terminating pod at once, as the kubelet does once its containers stopped.
func (k *Kubelet) finishDeletion(ctx context.Context, pod *corev1.Pod) error {
	k.mu.Lock()
	delete(k.started, pod.UID)
	delete(k.ips, pod.UID)
	k.mu.Unlock()
	zero := int64(0)
	uid := pod.UID
	err := k.cs.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid},
	})
	if apierrors.IsConflict(err) {
		return nil
	}
	return ignoreGone(err)
}

func (k *Kubelet) registerNode(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: k.o.NodeName, Labels: map[string]string{"kubernetes.io/hostname": k.o.NodeName}},
	}
	if _, err := k.cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	now := metav1.NewTime(k.o.Clock.Now().Truncate(time.Second))
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	status := corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "canarydrill kubelet simulator", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: hostIP}},
	}
	// The Kubelets of a command's scenarios (one per namespace) share the Node and register it at
	// once. An update of the Node as read fails with a conflict when another's registration came
	// in between, and stopped that Kubelet, leaving its pods unbound; a merge patch carries no
	// resourceVersion, so every registration lands.
	patch, err := json.Marshal(map[string]corev1.NodeStatus{"status": status})
	if err != nil {
		return err
	}
	_, err = k.cs.CoreV1().Nodes().Patch(ctx, k.o.NodeName, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}
