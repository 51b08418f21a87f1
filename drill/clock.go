package drill

import (
	"time"

	"k8s.io/utils/clock"

	"github.com/canarydrill/canarydrill/sim"
)

// scaledClock is a drill's scenario clock: it reads sim.Epoch at the drill's start and then runs
// 1/scale times as fast as the wall clock under it, and its timers and tickers take scenario
// durations. With scale 1 it is the wall clock shifted to the Epoch.
type scaledClock struct {
	base  clock.WithTicker
	zero  time.Time // the base clock's time at scenario time zero
	scale float64
}

var _ clock.WithTicker = (*scaledClock)(nil)

func newScaledClock(base clock.WithTicker, scale float64) *scaledClock {
	return &scaledClock{base: base, zero: base.Now(), scale: scale}
}

// wall is a scenario duration on the wall clock.
func (c *scaledClock) wall(d time.Duration) time.Duration { return time.Duration(float64(d) * c.scale) }

// elapsed is the scenario time since the start.
func (c *scaledClock) elapsed() time.Duration {
	return time.Duration(float64(c.base.Since(c.zero)) / c.scale)
}

func (c *scaledClock) Now() time.Time                         { return sim.Epoch.Add(c.elapsed()) }
func (c *scaledClock) Since(t time.Time) time.Duration        { return c.Now().Sub(t) }
func (c *scaledClock) After(d time.Duration) <-chan time.Time { return c.base.After(c.wall(d)) }
func (c *scaledClock) NewTimer(d time.Duration) clock.Timer   { return c.base.NewTimer(c.wall(d)) }
func (c *scaledClock) Sleep(d time.Duration)                  { c.base.Sleep(c.wall(d)) }
func (c *scaledClock) Tick(d time.Duration) <-chan time.Time  { return c.base.Tick(c.wall(d)) }
func (c *scaledClock) NewTicker(d time.Duration) clock.Ticker { return c.base.NewTicker(c.wall(d)) }
