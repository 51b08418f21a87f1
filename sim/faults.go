package sim

import (
	"time"

	"github.com/canarydrill/canarydrill/scenarios"
)

// activeFault is a fault from the timeline, from its start until its end (zero: the run's end).
type activeFault struct {
	scenarios.Entry
	start, end time.Time
	// chosen are the pods a fault limited to `pods` of its target has picked: the first ones it
	// met, in the order the world visits pods (sorted by name), so the choice is deterministic.
	chosen map[*pod]bool
}

func (f *activeFault) on(t time.Time) bool {
	return !t.Before(f.start) && (f.end.IsZero() || t.Before(f.end))
}

// effects are what the faults active on one pod do to its requests.
type effects struct {
	errorRate       float64
	errorCode       int
	latencyAdd      time.Duration
	latencyFactor   float64
	businessFailure float64
}

// faults holds the timeline's faults and applies them to pods by target.
type faults struct {
	w      *World
	active []*activeFault
}

func newFaults(w *World) *faults { return &faults{w: w} }

// start begins a fault. Request faults take effect from the next accrual; container faults act
// on the running containers now (an OOM kill, a crash, a leak that starts growing).
func (f *faults) start(e scenarios.Entry) {
	f.w.traffic.accrue()
	af := &activeFault{Entry: e, start: f.w.now()}
	if e.Pods > 0 {
		af.chosen = map[*pod]bool{}
	}
	if e.Duration.Duration > 0 {
		af.end = af.start.Add(e.Duration.Duration)
		f.w.q.add(af.end, "", func() { f.ended(af) })
	}
	f.active = append(f.active, af)
	f.w.obs.faultStarted(e)
	for _, p := range f.w.work.allPods() {
		if !p.ctr.running || !f.targets(af, p) {
			continue
		}
		switch e.Fault {
		case scenarios.FaultOOM:
			f.w.work.terminate(p, reasonOOMKilled)
		case scenarios.FaultCrashLoop:
			f.w.work.terminate(p, reasonError)
		case scenarios.FaultMemoryLeak:
			f.w.work.leakChanged(p)
		}
	}
}

// ended closes a fault with a duration: requests served until now saw it, and a leak stops
// growing (the memory it took stays until the container restarts).
func (f *faults) ended(af *activeFault) {
	f.w.traffic.accrue()
	if af.Fault == scenarios.FaultMemoryLeak {
		for _, p := range f.w.work.allPods() {
			if p.ctr.running {
				f.w.work.leakChanged(p)
			}
		}
	}
}

// targets says whether a fault applies to a pod now.
func (f *faults) targets(af *activeFault, p *pod) bool {
	var in bool
	switch {
	case af.Version != "":
		in = p.version == af.Version || p.image == af.Version
	case af.Target == scenarios.TargetAll:
		in = true
	case af.Target == scenarios.TargetStable:
		in = !f.w.podIsCanary(p)
	default:
		in = f.w.podIsCanary(p)
	}
	if !in || af.chosen == nil {
		return in
	}
	if af.chosen[p] {
		return true
	}
	live := 0
	for q := range af.chosen {
		if q.gone {
			delete(af.chosen, q) // a replacement pod takes a deleted pod's place, as on a bad node
			continue
		}
		live++
	}
	if live < af.Pods {
		af.chosen[p] = true
		return true
	}
	return false
}

func (f *faults) effects(p *pod, at time.Time) effects {
	e := effects{errorCode: scenarios.DefaultHTTPErrorCode, latencyFactor: 1}
	for _, af := range f.active {
		if !af.on(at) || !isRequestFault(af.Fault) || !f.targets(af, p) {
			continue
		}
		switch af.Fault {
		case scenarios.FaultHTTPErrors:
			e.errorRate = 1 - (1-e.errorRate)*(1-af.Rate.Float())
			e.errorCode = af.Code
		case scenarios.FaultLatency:
			e.latencyAdd += af.Add.Duration
			if af.Factor > 0 {
				e.latencyFactor *= af.Factor
			}
		case scenarios.FaultBusinessFailure:
			r := af.Rate.Float()
			if af.Segment > 0 {
				r *= af.Segment
			}
			e.businessFailure = 1 - (1-e.businessFailure)*(1-r)
		}
	}
	return e
}

func isRequestFault(name string) bool {
	switch name {
	case scenarios.FaultHTTPErrors, scenarios.FaultLatency, scenarios.FaultBusinessFailure:
		return true
	}
	return false
}

// crashLooping says whether a crash-loop fault makes the pod's container exit right after it
// starts.
func (f *faults) crashLooping(p *pod) bool {
	now := f.w.now()
	for _, af := range f.active {
		if af.Fault == scenarios.FaultCrashLoop && af.on(now) && f.targets(af, p) {
			return true
		}
	}
	return false
}

// leakRate is the growth of the pod's working set in bytes per second from the memory-leak
// faults active on it now.
func (f *faults) leakRate(p *pod) float64 {
	now := f.w.now()
	r := 0.0
	for _, af := range f.active {
		if af.Fault == scenarios.FaultMemoryLeak && af.on(now) && f.targets(af, p) {
			r += af.Rate.Float()
		}
	}
	return r
}
