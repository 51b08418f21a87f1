package kubeletsim

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// Scripted is a Behaviour driven by calls, with the fault semantics of the simulator
// (docs/scenarios.md): pods become ready Startup after they start; OOMKill and Kill terminate a
// pod's containers, which restart and are ready again Startup later; CrashLoop keeps matching
// pods from ever becoming ready, restarting them every CrashLoopPeriod. After a call, Resync the
// Kubelet so that it asks again.
type Scripted struct {
	// Startup is creation-to-ready of every pod and every restart.
	Startup time.Duration
	// CrashLoopPeriod is the time between restarts of a crash-looping pod; 0 means 10s.
	CrashLoopPeriod time.Duration

	mu          sync.Mutex
	kills       map[types.UID][]kill
	crashLoops  []labels.Selector
	crashedFrom map[types.UID]time.Time
}

type kill struct {
	at     time.Time
	reason string
}

// OOMKill terminates pod's containers at at with reason OOMKilled (exit code 137).
func (s *Scripted) OOMKill(pod *corev1.Pod, at time.Time) { s.Kill(pod, at, ReasonOOMKilled) }

// Kill terminates pod's containers at at with reason.
func (s *Scripted) Kill(pod *corev1.Pod, at time.Time, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kills == nil {
		s.kills = map[types.UID][]kill{}
	}
	s.kills[pod.UID] = append(s.kills[pod.UID], kill{at: at, reason: reason})
}

// CrashLoop makes every pod whose labels match sel crash at start, from now on.
func (s *Scripted) CrashLoop(sel labels.Selector) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crashLoops = append(s.crashLoops, sel)
}

// State implements Behaviour.
func (s *Scripted) State(pod *corev1.Pod, started, now time.Time) PodState {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sel := range s.crashLoops {
		if sel.Matches(labels.Set(pod.Labels)) {
			return s.crashLoop(pod, now)
		}
	}
	var st PodState
	readyAt := started.Add(s.Startup)
	for _, k := range s.kills[pod.UID] {
		if k.at.After(now) {
			if st.Next.IsZero() || k.at.Before(st.Next) {
				st.Next = k.at
			}
			continue
		}
		st.Restarts++
		st.LastTermination, st.LastTerminatedAt = k.reason, k.at
		if r := k.at.Add(s.Startup); r.After(readyAt) {
			readyAt = r
		}
	}
	if now.Before(readyAt) {
		if st.Next.IsZero() || readyAt.Before(st.Next) {
			st.Next = readyAt
		}
		return st
	}
	st.Ready = true
	return st
}

// crashLoop is a container that exits with an error right after each start.
func (s *Scripted) crashLoop(pod *corev1.Pod, now time.Time) PodState {
	period := s.CrashLoopPeriod
	if period <= 0 {
		period = 10 * time.Second
	}
	if s.crashedFrom == nil {
		s.crashedFrom = map[types.UID]time.Time{}
	}
	from, ok := s.crashedFrom[pod.UID]
	if !ok {
		from = now
		s.crashedFrom[pod.UID] = from
	}
	n := int32(now.Sub(from)/period) + 1
	last := from.Add(time.Duration(n-1) * period)
	return PodState{
		Restarts: n, LastTermination: ReasonError, LastTerminatedAt: last,
		Waiting: ReasonCrashLoopBackOff, Next: last.Add(period),
	}
}
