package sim

import (
	"time"

	"github.com/canarydrill/canarydrill/scenarios"
)

// activeFault is a fault from the timeline, from its start until its end (zero: the run's end).
type activeFault struct {
	scenarios.Entry
	start, end time.Time
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

func (f *faults) start(e scenarios.Entry) {
	f.w.traffic.accrue()
	af := &activeFault{Entry: e, start: f.w.now()}
	if e.Duration.Duration > 0 {
		af.end = af.start.Add(e.Duration.Duration)
		f.w.q.add(af.end, "", func() { f.w.traffic.accrue() })
	}
	f.active = append(f.active, af)
	f.w.obs.faultStarted(e)
}

// targets says whether a fault applies to a pod now.
func (f *faults) targets(af *activeFault, p *pod) bool {
	switch af.Target {
	case scenarios.TargetAll:
		return true
	case scenarios.TargetStable:
		return !f.w.podIsCanary(p)
	default:
		return f.w.podIsCanary(p)
	}
}

func (f *faults) effects(p *pod, at time.Time) effects {
	e := effects{errorCode: scenarios.DefaultHTTPErrorCode, latencyFactor: 1}
	for _, af := range f.active {
		if !af.on(at) || !f.targets(af, p) {
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

// blocksReadiness says whether a crash-looping fault keeps the pod from ever becoming ready.
func (f *faults) blocksReadiness(p *pod) bool {
	now := f.w.now()
	for _, af := range f.active {
		if af.Fault == scenarios.FaultCrashLoop && af.on(now) && f.targets(af, p) {
			return true
		}
	}
	return false
}
