package fakeprom

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// t0 is the start of the test data: the Unix epoch, as in promqltest, so that
// "at 10m" means 600 s.
var t0 = time.Unix(0, 0).UTC()

func at(d time.Duration) time.Time { return t0.Add(d) }

func ms(d time.Duration) int64 { return d.Milliseconds() }

// counter appends start+perSecond*t every step over [from, to].
func counter(s *Store, lset labels.Labels, from, to, step time.Duration, perSecond float64) {
	ref := s.Ref(lset)
	for d := from; d <= to; d += step {
		s.Append(ref, ms(d), perSecond*d.Seconds())
	}
}

// demoStore is the fixture most tests share: request counters for two pods
// (9 ok and 1 failing request per second each), a classic histogram, a
// counter that resets, a series ended by a stale marker and one that just
// stops, over 20 minutes of 10 s scrapes.
func demoStore(t testing.TB) *Store {
	t.Helper()
	s := NewStore()
	const step = 10 * time.Second
	for _, pod := range []string{"p1", "p2"} {
		counter(s, labels.FromStrings("__name__", "http_requests_total", "app", "demo-app", "pod", pod, "status", "200"), 0, 20*time.Minute, step, 9)
		counter(s, labels.FromStrings("__name__", "http_requests_total", "app", "demo-app", "pod", pod, "status", "500"), 0, 20*time.Minute, step, 1)
	}
	// 5/s under 100 ms, 9/s under 500 ms, 10/s in all.
	for _, b := range []struct {
		le   string
		rate float64
	}{{"0.1", 5}, {"0.5", 9}, {"+Inf", 10}} {
		counter(s, labels.FromStrings("__name__", "http_request_duration_seconds_bucket", "app", "demo-app", "le", b.le), 0, 20*time.Minute, step, b.rate)
	}
	// 0, 10, ... 80 at 0..80 s, then a restart: 5, 15, 25, 35 at 90..120 s.
	resets := s.Ref(labels.FromStrings("__name__", "restarts_total"))
	for d := time.Duration(0); d <= 120*time.Second; d += step {
		v := d.Seconds()
		if d >= 90*time.Second {
			v = d.Seconds() - 85
		}
		s.Append(resets, ms(d), v)
	}
	// Ends at 310 s with a stale marker.
	gone := s.Ref(labels.FromStrings("__name__", "up", "pod", "gone"))
	for d := time.Duration(0); d <= 300*time.Second; d += step {
		s.Append(gone, ms(d), 1)
	}
	s.MarkStale(gone, ms(310*time.Second))
	// Stops at 300 s without a marker: visible for the 5 m lookback.
	fade := s.Ref(labels.FromStrings("__name__", "up", "pod", "fade"))
	for d := time.Duration(0); d <= 300*time.Second; d += step {
		s.Append(fade, ms(d), 1)
	}
	return s
}
