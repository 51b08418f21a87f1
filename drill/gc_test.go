package drill_test

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/canarydrill/canarydrill/drill"
)

// TuneGC sets the collector for a drill and puts it back; the environment's settings win.
func TestTuneGC(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	restore := drill.TuneGC()
	assert.Equal(t, drill.GCPercent, debug.SetGCPercent(drill.GCPercent))
	assert.Equal(t, int64(drill.MemoryLimit), debug.SetMemoryLimit(-1))
	restore()
	assert.Equal(t, 100, debug.SetGCPercent(100))
	assert.Equal(t, limit, debug.SetMemoryLimit(-1))

	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "2GiB")
	restore = drill.TuneGC()
	assert.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: left alone")
	assert.Equal(t, limit, debug.SetMemoryLimit(-1), "GOMEMLIMIT set: left alone")
	restore()
	debug.SetGCPercent(percent)
}
