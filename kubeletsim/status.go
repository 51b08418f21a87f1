package kubeletsim

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podStatus is pod's status with st applied: phase Running, the containers' states, and the
// pod conditions; transition times change only with the condition.
func podStatus(pod *corev1.Pod, st PodState, started, now time.Time, hostIP, podIP string) corev1.PodStatus {
	s := *pod.Status.DeepCopy()
	s.Phase = corev1.PodRunning
	s.HostIP, s.PodIP = hostIP, podIP
	s.HostIPs = []corev1.HostIP{{IP: hostIP}}
	s.PodIPs = []corev1.PodIP{{IP: podIP}}
	if s.StartTime == nil {
		s.StartTime = ptrTime(started)
	}
	mnow := metav1.NewTime(now.Truncate(time.Second))
	ready := corev1.ConditionFalse
	if st.Ready {
		ready = corev1.ConditionTrue
	}
	setCondition(&s, corev1.PodScheduled, corev1.ConditionTrue, mnow)
	setCondition(&s, corev1.PodInitialized, corev1.ConditionTrue, mnow)
	setCondition(&s, corev1.ContainersReady, ready, mnow)
	setCondition(&s, corev1.PodReady, ready, mnow)

	old := map[string]corev1.ContainerStatus{}
	for _, cs := range pod.Status.ContainerStatuses {
		old[cs.Name] = cs
	}
	s.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		cs := corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "canarydrill://" + c.Image,
			ContainerID: "canarydrill://" + string(pod.UID) + "/" + c.Name,
			Ready:       st.Ready, RestartCount: st.Restarts,
		}
		started := st.Waiting == ""
		cs.Started = &started
		switch {
		case st.Waiting != "":
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: st.Waiting}
		default:
			runningSince := s.StartTime
			if !st.LastTerminatedAt.IsZero() {
				runningSince = ptrTime(st.LastTerminatedAt)
			}
			if o, ok := old[c.Name]; ok && o.State.Running != nil && o.RestartCount == st.Restarts {
				runningSince = &o.State.Running.StartedAt
			}
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: *runningSince}
		}
		if st.LastTermination != "" {
			exit := int32(1)
			if st.LastTermination == ReasonOOMKilled {
				exit = 137
			}
			at := metav1.NewTime(st.LastTerminatedAt.Truncate(time.Second))
			cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{
				ExitCode: exit, Reason: st.LastTermination, StartedAt: *s.StartTime, FinishedAt: at,
			}
		}
		s.ContainerStatuses = append(s.ContainerStatuses, cs)
	}
	return s
}

func setCondition(s *corev1.PodStatus, t corev1.PodConditionType, status corev1.ConditionStatus, now metav1.Time) {
	for i := range s.Conditions {
		if c := &s.Conditions[i]; c.Type == t {
			if c.Status != status {
				c.Status, c.LastTransitionTime = status, now
			}
			return
		}
	}
	s.Conditions = append(s.Conditions, corev1.PodCondition{Type: t, Status: status, LastTransitionTime: now})
}

func ptrTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t.Truncate(time.Second))
	return &mt
}
