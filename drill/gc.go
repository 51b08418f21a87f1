package drill

import (
	"os"
	"runtime/debug"
)

// A drill's process sends the load (vegeta), proxies it (the router) and counts it: at thousands
// of requests a second it allocates fast, and at Go's default GOGC=100 the collector runs several
// times a second, its assists and pauses landing on the very requests being timed (the router's
// p99 overhead at 2,000 requests/s halves with a higher target: docs/performance.md). A drill's
// live heap is tens of MB, so a higher target costs little memory, and a soft limit bounds it.
const (
	// GCPercent is the collector's target while a drill runs, unless GOGC is set.
	GCPercent = 800
	// MemoryLimit is the soft limit that caps what GCPercent may cost, unless GOMEMLIMIT is set:
	// nearer it, the collector runs as often as it must.
	MemoryLimit = 1 << 30
)

// TuneGC sets the process's collector for drills and returns what restores it. It is for the
// program that owns the process (the CLI), not for a library call: the settings are the whole
// process's. GOGC and GOMEMLIMIT in the environment win over it.
func TuneGC() (restore func()) {
	var undo []func()
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(GCPercent)
		undo = append(undo, func() { debug.SetGCPercent(old) })
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(MemoryLimit)
		undo = append(undo, func() { debug.SetMemoryLimit(old) })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}
}
