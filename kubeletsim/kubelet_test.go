package kubeletsim_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/canarydrill/canarydrill/internal/controlplane"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
	"github.com/canarydrill/canarydrill/kubeletsim"
)

// startAPI starts a control plane for t, with a clientset and a context that ends with t (at
// most two minutes).
func startAPI(t *testing.T) (*controlplane.ControlPlane, context.Context, kubernetes.Interface) {
	t.Helper()
	cp := cptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	return cp, ctx, cs
}

// TestKubeletOnRealAPI: a ReplicaSet's pods are bound, become Ready (the ReplicaSet counts them),
// an OOM kill shows as a restart with reason OOMKilled, a crash loop keeps pods unready, and a
// scale-down removes pods for good.
func TestKubeletOnRealAPI(t *testing.T) {
	cp, ctx, cs := startAPI(t)
	pods := &kubeletsim.Scripted{Startup: 300 * time.Millisecond, CrashLoopPeriod: time.Second}
	k, err := kubeletsim.New(cp.Config, kubeletsim.Options{Behaviour: pods})
	if err != nil {
		t.Fatal(err)
	}
	kctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- k.Run(kctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
			},
		},
	}
	if _, err := cs.AppsV1().ReplicaSets("default").Create(ctx, rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("timed out waiting for %s", what)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	readyReplicas := func() int32 {
		got, err := cs.AppsV1().ReplicaSets("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got.Status.ReadyReplicas
	}
	list := func() []corev1.Pod {
		l, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		return l.Items
	}
	wait("3 ready replicas", func() bool { return readyReplicas() == 3 })
	for _, p := range list() {
		if p.Spec.NodeName != kubeletsim.DefaultNodeName || p.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s on %q, %s", p.Name, p.Spec.NodeName, p.Status.Phase)
		}
	}

	victim := list()[0]
	pods.OOMKill(&victim, time.Now())
	k.Resync()
	wait("the OOM kill reported", func() bool {
		p, err := cs.CoreV1().Pods("default").Get(ctx, victim.Name, metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		c := p.Status.ContainerStatuses[0]
		return c.RestartCount == 1 && c.LastTerminationState.Terminated != nil && c.LastTerminationState.Terminated.Reason == "OOMKilled"
	})
	wait("ready again after the restart", func() bool { return readyReplicas() == 3 })

	pods.CrashLoop(labels.SelectorFromSet(labels.Set{"app": "web"}))
	k.Resync()
	wait("crash loop: no pod ready", func() bool { return readyReplicas() == 0 })
	for _, p := range list() {
		if w := p.Status.ContainerStatuses[0].State.Waiting; w == nil || w.Reason != "CrashLoopBackOff" {
			t.Errorf("pod %s not in CrashLoopBackOff: %+v", p.Name, p.Status.ContainerStatuses[0].State)
		}
	}

	if _, err := cs.AppsV1().ReplicaSets("default").Patch(ctx, "web", "application/merge-patch+json", []byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	wait("pods gone after the scale-down", func() bool { return len(list()) == 0 })
}

// TestKubeletsShareNode: Kubelets of several namespaces register the same Node at once, as the
// scenarios of `run --api real --parallel N` do; each keeps running and plays its own pods. A
// Kubelet that lost the race for the Node's status used to stop with a conflict, leaving its
// namespace's pods unbound until the Rollout's progress deadline.
func TestKubeletsShareNode(t *testing.T) {
	cp, ctx, cs := startAPI(t)
	const n = 8
	// Each Kubelet's clock is a second apart, so that every registration changes the Node's
	// heartbeat: identical status writes would not bump its resourceVersion and could not race.
	base := time.Now()
	kctx, stop := context.WithCancel(ctx)
	done, early := make(chan error, n), make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		ns := fmt.Sprintf("share-%d", i)
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		clk := clocktesting.NewFakeClock(base.Add(time.Duration(i) * time.Second))
		k, err := kubeletsim.New(cp.Config, kubeletsim.Options{Namespace: ns, Behaviour: kubeletsim.Startup{}, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			<-start
			err := k.Run(kctx)
			if kctx.Err() == nil {
				early <- err
			}
			done <- err
		}()
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	close(start)
	defer func() {
		stop()
		for range n {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}()
	for i := range n {
		ns := fmt.Sprintf("share-%d", i)
		for {
			p, err := cs.CoreV1().Pods(ns).Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if isReady(p) {
				break
			}
			select {
			case err := <-early:
				t.Fatalf("a Kubelet stopped while %s/web is not ready: %v", ns, err)
			case <-ctx.Done():
				t.Fatalf("%s/web not ready: %+v", ns, p.Status)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
