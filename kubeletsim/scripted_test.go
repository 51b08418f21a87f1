package kubeletsim

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func TestScripted(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: "p1", Labels: map[string]string{"version": "v2"}}}
	other := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: "p2", Labels: map[string]string{"version": "v1"}}}

	s := &Scripted{Startup: 5 * time.Second, CrashLoopPeriod: 10 * time.Second}
	if st := s.State(pod, t0, at(1)); st.Ready || !st.Next.Equal(at(5)) {
		t.Errorf("before startup: %+v", st)
	}
	if st := s.State(pod, t0, at(5)); !st.Ready || st.Restarts != 0 {
		t.Errorf("after startup: %+v", st)
	}
	s.OOMKill(pod, at(20))
	if st := s.State(pod, t0, at(19)); !st.Ready || !st.Next.Equal(at(20)) {
		t.Errorf("before the kill: %+v", st)
	}
	st := s.State(pod, t0, at(21))
	if st.Ready || st.Restarts != 1 || st.LastTermination != ReasonOOMKilled || !st.LastTerminatedAt.Equal(at(20)) || !st.Next.Equal(at(25)) {
		t.Errorf("after the kill: %+v", st)
	}
	if st := s.State(pod, t0, at(25)); !st.Ready || st.Restarts != 1 {
		t.Errorf("restarted: %+v", st)
	}

	s.CrashLoop(labels.SelectorFromSet(labels.Set{"version": "v2"}))
	st = s.State(pod, t0, at(30))
	if st.Ready || st.Waiting != ReasonCrashLoopBackOff || st.Restarts != 1 || !st.Next.Equal(at(40)) {
		t.Errorf("crash loop start: %+v", st)
	}
	if st := s.State(pod, t0, at(41)); st.Restarts != 2 || st.Ready {
		t.Errorf("crash loop later: %+v", st)
	}
	if st := s.State(other, t0, at(41)); !st.Ready {
		t.Errorf("a pod the crash loop does not match: %+v", st)
	}
}

func TestPodStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{UID: "p1"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "demo:v1"}}},
	}
	s := podStatus(pod, PodState{Ready: true, Restarts: 2, LastTermination: ReasonOOMKilled, LastTerminatedAt: now.Add(-3 * time.Second)}, now.Add(-10*time.Second), now, hostIP, "127.0.1.2")
	if s.Phase != corev1.PodRunning || len(s.ContainerStatuses) != 1 {
		t.Fatalf("status %+v", s)
	}
	cs := s.ContainerStatuses[0]
	if !cs.Ready || cs.RestartCount != 2 || cs.State.Running == nil || cs.LastTerminationState.Terminated == nil ||
		cs.LastTerminationState.Terminated.Reason != ReasonOOMKilled || cs.LastTerminationState.Terminated.ExitCode != 137 {
		t.Errorf("container status %+v", cs)
	}
	ready := false
	for _, c := range s.Conditions {
		if c.Type == corev1.PodReady {
			ready = c.Status == corev1.ConditionTrue
		}
	}
	if !ready {
		t.Errorf("conditions %+v", s.Conditions)
	}
	// The same state again changes nothing: no write.
	pod.Status = s
	if again := podStatus(pod, PodState{Ready: true, Restarts: 2, LastTermination: ReasonOOMKilled, LastTerminatedAt: now.Add(-3 * time.Second)}, now.Add(-10*time.Second), now.Add(5*time.Second), hostIP, "127.0.1.2"); !equalStatus(again, s) {
		t.Errorf("a second computation differs:\n%+v\n%+v", again, s)
	}
}
