package sim

import (
	"time"

	"k8s.io/utils/clock"
)

// Epoch is when every simulation starts, so that object timestamps are the same in every run.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Clock is the virtual clock: it moves only when the event loop moves it. Its origin, the
// scenario's time zero, is Epoch, or the wall time a run against a real API started at.
type Clock struct{ now, origin time.Time }

var _ clock.PassiveClock = (*Clock)(nil)

// NewClock returns a clock at Epoch.
func NewClock() *Clock { return &Clock{now: Epoch, origin: Epoch} }

// Now is the current virtual time.
func (c *Clock) Now() time.Time { return c.now }

// Since is the virtual time elapsed since t.
func (c *Clock) Since(t time.Time) time.Duration { return c.now.Sub(t) }

// Elapsed is the virtual time since the origin.
func (c *Clock) Elapsed() time.Duration { return c.now.Sub(c.origin) }

// Origin is the scenario's time zero: Epoch, except against a real API.
func (c *Clock) Origin() time.Time { return c.origin }

func (c *Clock) set(t time.Time) {
	if t.Before(c.now) {
		panic("sim: time moved backwards") // the queue never yields an earlier event
	}
	c.now = t
}
