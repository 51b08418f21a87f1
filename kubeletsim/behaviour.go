package kubeletsim

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Behaviour decides what a pod's containers do: it is asked again whenever the pod changes, when
// the PodState it last gave says something is due (Next), and on Kubelet.Resync. The simulator's
// app model implements it to feed versions' startup times and faults into a real API; Scripted
// is a ready one for tests.
type Behaviour interface {
	// State is what pod's containers are doing at now; started is when the Kubelet first saw the
	// pod bound to its Node.
	State(pod *corev1.Pod, started, now time.Time) PodState
}

// PodState is the containers' state at one instant, as the kubelet would report it.
type PodState struct {
	// Ready is the readiness probe passing: the pod is counted as ready and receives traffic.
	Ready bool
	// Restarts is the containers' restart count.
	Restarts int32
	// LastTermination is the reason of the last termination ("OOMKilled", "Error"); empty when none.
	LastTermination string
	// LastTerminatedAt is when it happened.
	LastTerminatedAt time.Time
	// Waiting, when set, is why the containers are not running (e.g. "CrashLoopBackOff").
	Waiting string
	// Next is the next time the state changes by itself; zero means only when something
	// happens (a pod change or Resync).
	Next time.Time
}

// ReasonOOMKilled, ReasonError and ReasonCrashLoopBackOff are the kubelet's words.
const (
	ReasonOOMKilled        = "OOMKilled"
	ReasonError            = "Error"
	ReasonCrashLoopBackOff = "CrashLoopBackOff"
)

// Startup is the plainest Behaviour: every pod becomes ready Delay after it started.
type Startup struct{ Delay time.Duration }

// State implements Behaviour.
func (s Startup) State(_ *corev1.Pod, started, now time.Time) PodState {
	readyAt := started.Add(s.Delay)
	if now.Before(readyAt) {
		return PodState{Next: readyAt}
	}
	return PodState{Ready: true}
}
