package controlplane_test

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/canarydrill/canarydrill/internal/controlplane"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
)

// TestVersionMatchesModules keeps Version equal to the k8s.io/kubernetes the build module
// requires and to client-go's v0.N.M in the main module.
func TestVersionMatchesModules(t *testing.T) {
	build, err := os.ReadFile("../../test/e2e/controlplane/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^\s*k8s\.io/kubernetes (v[0-9.]+)`).FindSubmatch(build); m == nil || string(m[1]) != controlplane.Version {
		t.Errorf("test/e2e/controlplane/go.mod requires k8s.io/kubernetes %q, Version is %s", m, controlplane.Version)
	}
	main, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/client-go (v\S+)`).FindSubmatch(main)
	if m == nil || "v1"+string(m[1])[2:] != controlplane.Version {
		t.Errorf("client-go %s does not match Kubernetes %s", m, controlplane.Version)
	}
}

// TestStartStop starts the control plane, checks that a ReplicaSet gets its pods (the
// replicaset controller runs) and that a ServiceAccount token authenticates, and that Stop
// leaves nothing behind.
func TestStartStop(t *testing.T) {
	cp := cptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](2),
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
	for {
		pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the replicaset controller made %d pods", len(pods.Items))
		case <-time.After(100 * time.Millisecond):
		}
	}
	saCfg, err := cp.ServiceAccountConfig(ctx, "e2e", "reader")
	if err != nil {
		t.Fatal(err)
	}
	sa, err := kubernetes.NewForConfig(saCfg)
	if err != nil {
		t.Fatal(err)
	}
	// Authenticated, and not authorized: RBAC is on.
	_, err = sa.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err == nil || !regexp.MustCompile(`forbidden: User "system:serviceaccount:e2e:reader" cannot list resource "pods"`).MatchString(err.Error()) {
		t.Errorf("listing pods as a ServiceAccount without a role: %v", err)
	}
	dir := cp.Dir
	if err := cp.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("data dir %s left behind", dir)
	}
}
