package router

import (
	"sync"
	"time"

	"github.com/canarydrill/canarydrill/sim"
)

// Stats are what the router served, per second of scenario time, by stable and canary: the
// server's side of the users' requests (vegeta keeps the client's).
type Stats struct {
	mu     sync.Mutex
	bounds []float64
	secs   []second
	totals sim.RequestTotals
}

// second is one second's requests; index 0 is stable (or no pod), 1 canary.
type second struct {
	requests, errors [2]float64
	buckets          [2][]float64
}

func newStats(bounds []float64) *Stats { return &Stats{bounds: bounds} }

// record counts one answered request at scenario time at.
func (s *Stats) record(at time.Duration, canary, failed bool, latency time.Duration) {
	i := int(at / time.Second)
	if i < 0 {
		i = 0
	}
	v := 0
	if canary {
		v = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.secs) <= i {
		s.secs = append(s.secs, second{})
	}
	sec := &s.secs[i]
	sec.requests[v]++
	if sec.buckets[v] == nil {
		sec.buckets[v] = make([]float64, len(s.bounds)+1)
	}
	lat := latency.Seconds()
	b := len(s.bounds)
	for j, le := range s.bounds {
		if lat <= le {
			b = j
			break
		}
	}
	sec.buckets[v][b]++
	s.totals.Total++
	if canary {
		s.totals.ServedByCanary++
	}
	if failed {
		sec.errors[v]++
		s.totals.Failed++
		if canary {
			s.totals.FailedOnCanary++
		}
	}
}

// Totals are the counts of the whole run.
func (s *Stats) Totals() sim.RequestTotals {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totals
}

// Windows sums the seconds into windows of step (whole seconds), from time zero, as the
// world's signals take them.
func (s *Stats) Windows(step time.Duration) []sim.SignalWindow {
	s.mu.Lock()
	defer s.mu.Unlock()
	per := max(int(step/time.Second), 1)
	out := make([]sim.SignalWindow, (len(s.secs)+per-1)/per)
	for i, sec := range s.secs {
		w := &out[i/per]
		for v := range 2 {
			w.Requests[v] += sec.requests[v]
			w.Errors[v] += sec.errors[v]
			if sec.buckets[v] == nil {
				continue
			}
			if w.Buckets[v] == nil {
				w.Buckets[v] = make([]float64, len(s.bounds)+1)
			}
			for j, c := range sec.buckets[v] {
				w.Buckets[v][j] += c
			}
		}
	}
	return out
}
