package sim

import (
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// pod is the simulator's view of one pod: what the kubelet and the app inside it are doing.
type pod struct {
	key       types.NamespacedName
	rs        types.NamespacedName
	rollout   string
	hash      string
	version   string
	image     string
	behaviour scenarios.Version
	labels    map[string]string
	ip        string
	created   time.Time
	ready     bool
	readyAt   time.Time
	gone      bool
	ctr       container
	// metrics are the app's counters since its container started (nil before the first request).
	metrics *podMetrics
	// series are the pod's fakeprom series; they outlive container restarts, as labels do.
	series *podSeries
	// istio is the pod's sidecar (the istio preset); nginx its counters in the ingress
	// controller, as stable and as canary (the nginx preset).
	istio *istioSeries
	nginx [2]*nginxCounter
}

// workload plays the ReplicaSet controller and the kubelet: it turns ReplicaSets into pods
// with Kubernetes-like names, makes them ready after their version's startup time, and keeps
// ReplicaSet status up to date.
type workload struct {
	w    *World
	pods map[types.NamespacedName]*pod
	byRS map[types.NamespacedName][]*pod
	ips  int
	// departed are pods deleted since the last scrape; their series get staleness markers.
	departed []*pod
	// sorted caches allPods until a pod is created or deleted.
	sorted []*pod
}

func newWorkload(w *World) *workload {
	return &workload{w: w, pods: map[types.NamespacedName]*pod{}, byRS: map[types.NamespacedName][]*pod{}}
}

func (wl *workload) replicaSetChanged(e memapi.Event) {
	if e.Type == memapi.Deleted {
		return // the garbage collector deletes its pods, which podChanged sees
	}
	if wl.w.onRealAPI() {
		wl.w.raReplicaSetSeen(e.Object) // kube-controller-manager makes the pods
		return
	}
	rs := e.Object.(*appsv1.ReplicaSet)
	if e.Type == memapi.Modified {
		old := e.Old.(*appsv1.ReplicaSet)
		if ptr.Deref(old.Spec.Replicas, 1) == ptr.Deref(rs.Spec.Replicas, 1) && old.Generation == rs.Generation {
			return // a status write, often our own
		}
	}
	nn := client.ObjectKeyFromObject(rs)
	wl.w.q.add(wl.w.now(), "rs-sync/"+nn.String(), func() { wl.syncReplicaSet(nn) })
}

// syncReplicaSet creates or deletes pods until the ReplicaSet has spec.replicas of them.
func (wl *workload) syncReplicaSet(nn types.NamespacedName) {
	obj := wl.w.store.Peek(replicaSetGVK, nn)
	if obj == nil {
		return
	}
	rs := obj.(*appsv1.ReplicaSet)
	want := int(ptr.Deref(rs.Spec.Replicas, 1))
	live := wl.byRS[nn]
	switch {
	case len(live) < want:
		for i := len(live); i < want; i++ {
			wl.createPod(rs)
		}
	case len(live) > want:
		victims := append([]*pod(nil), live...)
		sortForDeletion(victims)
		for _, p := range victims[:len(live)-want] {
			if err := wl.w.client.Delete(wl.w.ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.key.Name, Namespace: p.key.Namespace}}); err != nil {
				wl.w.fail(fmt.Errorf("deleting pod %s: %w", p.key, err))
			}
		}
	}
	wl.syncStatusSoon(nn)
}

// sortForDeletion orders pods as the ReplicaSet controller picks them to delete: not ready
// before ready, then the newest first.
func sortForDeletion(ps []*pod) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].ready != ps[j].ready {
			return !ps[i].ready
		}
		if !ps[i].created.Equal(ps[j].created) {
			return ps[i].created.After(ps[j].created)
		}
		return ps[i].key.Name > ps[j].key.Name
	})
}

func (wl *workload) createPod(rs *appsv1.ReplicaSet) {
	tmpl := rs.Spec.Template
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:    rs.Namespace,
			GenerateName: rs.Name + "-",
			Labels:       tmpl.Labels,
			Annotations:  tmpl.Annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec:   tmpl.Spec,
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	if err := wl.w.client.Create(wl.w.ctx, p); err != nil {
		wl.w.fail(fmt.Errorf("creating pod for %s: %w", rs.Name, err))
		return
	}
	wl.adopt(p, rs, &tmpl)
}

// adopt takes a new pod of rs into the model, with the version and behaviour of its template,
// and starts its container.
func (wl *workload) adopt(p *corev1.Pod, rs *appsv1.ReplicaSet, tmpl *corev1.PodTemplateSpec) {
	wl.ips++
	version, behaviour := wl.w.behaviourOf(tmpl)
	sp := &pod{
		key:       client.ObjectKeyFromObject(p),
		rs:        client.ObjectKeyFromObject(rs),
		rollout:   controllerName(rs),
		hash:      rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey],
		version:   version,
		image:     firstImage(tmpl),
		behaviour: behaviour,
		labels:    tmpl.Labels,
		ip:        fmt.Sprintf("10.244.%d.%d", wl.ips/250, wl.ips%250+2),
		created:   wl.w.now(),
	}
	wl.pods[sp.key] = sp
	wl.byRS[sp.rs] = append(wl.byRS[sp.rs], sp)
	wl.sorted = nil
	wl.startContainer(sp)
}

func firstImage(t *corev1.PodTemplateSpec) string {
	if len(t.Spec.Containers) == 0 {
		return ""
	}
	return t.Spec.Containers[0].Image
}

func controllerName(obj client.Object) string {
	if ref := metav1.GetControllerOf(obj); ref != nil {
		return ref.Name
	}
	return ""
}

// markReady is the kubelet reporting the container started and the readiness probe passing.
func (wl *workload) markReady(p *pod) {
	if p.gone || p.ready || !p.ctr.running {
		return
	}
	wl.w.traffic.accrue()
	p.ready, p.readyAt = true, wl.w.now()
	wl.writePodStatus(p)
	wl.w.traffic.invalidate()
	wl.syncStatusSoon(p.rs)
	if rs := wl.w.store.Peek(replicaSetGVK, p.rs); rs != nil {
		if mrs := rs.(*appsv1.ReplicaSet).Spec.MinReadySeconds; mrs > 0 {
			wl.w.after(time.Duration(mrs)*time.Second, func() { wl.syncStatusSoon(p.rs) })
		}
	}
}

func (wl *workload) podChanged(e memapi.Event) {
	if e.Type == memapi.Added && wl.w.onRealAPI() {
		wl.w.raPodSeen(e.Object.(*corev1.Pod)) // made by kube-controller-manager's ReplicaSet controller
		return
	}
	if e.Type != memapi.Deleted {
		return
	}
	nn := client.ObjectKeyFromObject(e.Object)
	p := wl.pods[nn]
	if p == nil {
		return
	}
	wl.w.traffic.accrue()
	p.gone = true
	delete(wl.pods, nn)
	wl.sorted = nil
	list := wl.byRS[p.rs]
	for i, q := range list {
		if q == p {
			wl.byRS[p.rs] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	wl.departed = append(wl.departed, p)
	if wl.w.processes() {
		wl.w.rtRemovePod(p)
	}
	wl.w.traffic.invalidate()
	wl.syncStatusSoon(p.rs)
}

func (wl *workload) syncStatusSoon(nn types.NamespacedName) {
	if wl.w.onRealAPI() {
		return // kube-controller-manager's ReplicaSet controller counts the pods
	}
	wl.w.q.add(wl.w.now(), "rs-status/"+nn.String(), func() { wl.syncStatus(nn) })
}

// syncStatus writes the ReplicaSet's observed replica counts, as the ReplicaSet controller does.
func (wl *workload) syncStatus(nn types.NamespacedName) {
	obj := wl.w.store.Peek(replicaSetGVK, nn)
	if obj == nil {
		return
	}
	rs := obj.(*appsv1.ReplicaSet)
	minReady := time.Duration(rs.Spec.MinReadySeconds) * time.Second
	st := appsv1.ReplicaSetStatus{ObservedGeneration: rs.Generation}
	for _, p := range wl.byRS[nn] {
		st.Replicas++
		st.FullyLabeledReplicas++
		if p.ready {
			st.ReadyReplicas++
			if !wl.w.now().Before(p.readyAt.Add(minReady)) {
				st.AvailableReplicas++
			}
		}
	}
	if equality.Semantic.DeepEqual(st, rs.Status) {
		return
	}
	cp := rs.DeepCopy()
	cp.Status = st
	if err := wl.w.client.Status().Update(wl.w.ctx, cp); err != nil {
		wl.w.fail(fmt.Errorf("updating status of %s: %w", nn, err))
	}
}

// servingPods returns the ready pods of a ReplicaSet.
func (wl *workload) servingPods(nn types.NamespacedName) []*pod {
	var out []*pod
	for _, p := range wl.byRS[nn] {
		if p.ready {
			out = append(out, p)
		}
	}
	return out
}

// allPods returns every live pod, sorted by namespace and name. The slice is cached until a pod
// comes or goes: read it, never change it.
func (wl *workload) allPods() []*pod {
	if wl.sorted != nil {
		return wl.sorted
	}
	out := make([]*pod, 0, len(wl.pods))
	for _, p := range wl.pods {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].key, out[j].key
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	wl.sorted = out
	return out
}

// behaviourOf returns the scenario version a pod template runs and how it behaves: the version
// named by the template's annotation, else the one keyed by its first image, else default.
func (w *World) behaviourOf(t *corev1.PodTemplateSpec) (string, scenarios.Version) {
	vs := w.sc.Spec.Versions
	if v := t.Annotations[scenarios.VersionAnnotation]; v != "" {
		if b, ok := vs[v]; ok {
			return v, b
		}
		return v, vs[scenarios.DefaultVersion]
	}
	if len(t.Spec.Containers) > 0 {
		if b, ok := vs[t.Spec.Containers[0].Image]; ok {
			return t.Spec.Containers[0].Image, b
		}
	}
	return scenarios.DefaultVersion, vs[scenarios.DefaultVersion]
}

func (p *pod) rsRollout() types.NamespacedName {
	return types.NamespacedName{Namespace: p.key.Namespace, Name: p.rollout}
}
