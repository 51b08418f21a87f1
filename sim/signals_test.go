package sim

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

// The per-window signals follow the traffic pattern: a sine of amplitude 0.5 and period 10m
// swings the requests per window between about half and one and a half times the mean.
func TestSignalsFollowTheTrafficPattern(t *testing.T) {
	sc := load(t, "builtin:seed-good-canary")
	sc.Spec.Traffic = scenarios.Traffic{RPS: 100, Pattern: "sine", Amplitude: 0.5, Period: scenarios.Duration{Duration: 10 * time.Minute}}
	r, err := Run(t.Context(), sc, 1)
	require.NoError(t, err)
	s := r.Signals
	require.NotNil(t, s)
	assert.Equal(t, 10.0, s.Step)
	for i, at := range s.At {
		if at+s.Step > r.VirtualSeconds {
			break
		}
		if at < 10 {
			continue // the pods become ready at 5s
		}
		mid := at + s.Step/2
		want := 100 * (1 + 0.5*math.Sin(2*math.Pi*mid/600)) * s.Step
		got := float64(s.StableRequests[i] + s.CanaryRequests[i])
		assert.InDelta(t, want, got, 5*math.Sqrt(want)+20, "window at %gs", at)
	}
}

// Presets, faults that restart containers and per-window signals keep a run deterministic.
func TestSameSeedSameReportWithEveryPresetAndContainerFaults(t *testing.T) {
	for _, name := range []string{"fault-istio-5xx", "fault-nginx-5xx", "lesson-canary-health-oom", "fault-crash-loop"} {
		a, err := reports.JSON(run(t, scenarios.BuiltinPrefix+name, 3))
		require.NoError(t, err)
		b, err := reports.JSON(run(t, scenarios.BuiltinPrefix+name, 3))
		require.NoError(t, err)
		assert.Equal(t, string(a), string(b), name)
	}
}
