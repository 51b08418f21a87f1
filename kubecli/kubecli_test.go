package kubecli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func owned(uid types.UID, kind, name string) []metav1.OwnerReference {
	return []metav1.OwnerReference{{UID: uid, Kind: kind, Name: name, Controller: ptr.To(true)}}
}

// fixture is a canary paused at step 1 of 3: a stable ReplicaSet of 3 pods (one restarted after
// an OOM kill), a canary of 1, a finished run of revision 1 and a running one of revision 2.
func fixture() []client.Object {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "ns", UID: "ro", Generation: 2, CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour))},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](4),
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{
				{SetWeight: ptr.To[int32](25)}, {Pause: &v1alpha1.RolloutPause{}}, {SetWeight: ptr.To[int32](50)},
			}}},
		},
		Status: v1alpha1.RolloutStatus{
			ObservedGeneration: "2", Phase: v1alpha1.RolloutPhasePaused, Message: "CanaryPauseStep",
			CurrentStepIndex: ptr.To[int32](1), StableRS: "s1", CurrentPodHash: "c2",
			Replicas: 4, UpdatedReplicas: 1, ReadyReplicas: 4, AvailableReplicas: 4,
		},
	}
	rs := func(name, hash, rev, image string, replicas int32) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name), OwnerReferences: owned("ro", "Rollout", "demo"),
				Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash}, Annotations: map[string]string{"rollout.argoproj.io/revision": rev},
				CreationTimestamp: metav1.NewTime(t0.Add(-time.Duration(len(rev)) * time.Minute))},
			Spec:   appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}}},
			Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas},
		}
	}
	pod := func(name, rs string, ready bool, restarts int32, age time.Duration) *corev1.Pod {
		cs := corev1.ContainerStatus{Name: "app", Ready: ready, RestartCount: restarts, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", OwnerReferences: owned(types.UID(rs), "ReplicaSet", rs), CreationTimestamp: metav1.NewTime(t0.Add(-age))},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{cs}},
		}
	}
	run := func(name, rev string, phase v1alpha1.AnalysisPhase, ok, bad int32) *v1alpha1.AnalysisRun {
		return &v1alpha1.AnalysisRun{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", OwnerReferences: owned("ro", "Rollout", "demo"),
				Annotations: map[string]string{"rollout.argoproj.io/revision": rev}, CreationTimestamp: metav1.NewTime(t0.Add(-90 * time.Second))},
			Status: v1alpha1.AnalysisRunStatus{Phase: phase, MetricResults: []v1alpha1.MetricResult{{Name: "m", Successful: ok, Failed: bad}}},
		}
	}
	return []client.Object{
		ro, rs("demo-s1", "s1", "1", "demo:v1", 3), rs("demo-c2", "c2", "2", "demo:v2", 1),
		pod("demo-s1-aaaaa", "demo-s1", true, 0, time.Hour), pod("demo-s1-bbbbb", "demo-s1", true, 2, time.Hour), pod("demo-s1-ccccc", "demo-s1", true, 0, time.Hour),
		pod("demo-c2-ddddd", "demo-c2", true, 0, 30*time.Second),
		run("demo-c2-2", "2", v1alpha1.AnalysisPhaseRunning, 1, 0), run("demo-s1-1", "1", v1alpha1.AnalysisPhaseSuccessful, 3, 0),
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./kubecli -update rewrites it):\n%s", path, got)
	}
}

func TestGetTree(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(fixture()...).Build()
	info, err := Load(context.Background(), c, types.NamespacedName{Namespace: "ns", Name: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	PrintRollout(&buf, info, t0)
	golden(t, "get.golden", buf.Bytes())

	var list v1alpha1.RolloutList
	if err := c.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	PrintList(&buf, list.Items, true)
	golden(t, "list.golden", buf.Bytes())
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		phase   v1alpha1.RolloutPhase
		message string
		watch   bool
		out     string
		err     error
	}{
		{"healthy", v1alpha1.RolloutPhaseHealthy, "", false, "Healthy\n", nil},
		{"degraded", v1alpha1.RolloutPhaseDegraded, "RolloutAborted: aborted", false, "Degraded\n", DegradedError{Message: "RolloutAborted: aborted"}},
		{"paused, no watch", v1alpha1.RolloutPhasePaused, "CanaryPauseStep", false, "Paused - CanaryPauseStep\n", nil},
		{"paused, watch times out", v1alpha1.RolloutPhasePaused, "CanaryPauseStep", true, "Paused - CanaryPauseStep\n", ErrTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "ns"}, Status: v1alpha1.RolloutStatus{Phase: tc.phase, Message: tc.message}}
			c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(ro).Build()
			var buf bytes.Buffer
			_, err := Status(context.Background(), c, types.NamespacedName{Namespace: "ns", Name: "demo"}, &buf, StatusOptions{Watch: tc.watch, Timeout: 200 * time.Millisecond, Poll: 50 * time.Millisecond})
			if !errors.Is(err, tc.err) && err != tc.err {
				t.Errorf("err %v, want %v", err, tc.err)
			}
			if buf.String() != tc.out {
				t.Errorf("printed %q, want %q", buf.String(), tc.out)
			}
		})
	}
	if !strings.Contains(DegradedError{Message: "x"}.Error(), "degraded state with message: x") {
		t.Error("DegradedError wording")
	}
}

func TestWatchDrawsFrames(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(fixture()...).Build()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var buf bytes.Buffer
	n := 0
	now := func() time.Time { n++; return t0.Add(time.Duration(n) * time.Second) } // ages change: a frame each poll
	if err := Watch(ctx, c, types.NamespacedName{Namespace: "ns", Name: "demo"}, &buf, WatchOptions{Poll: 50 * time.Millisecond, Clear: "<clear>", Now: now}); err != nil {
		t.Fatal(err)
	}
	if frames := strings.Count(buf.String(), "<clear>"); frames < 2 || strings.Count(buf.String(), "Name:            demo") != frames {
		t.Errorf("%d frames:\n%s", frames, buf.String())
	}
}
