package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/scenarios"
)

// TestReplayJudgesARecording runs the seed's template against a recorded incident: the canary
// fails every request from the recording's minute 2, which the run places at 2m.
func TestReplayJudgesARecording(t *testing.T) {
	r := run(t, "testdata/replay/replay-incident.yaml", 1)
	assert.Equal(t, scenarios.OutcomeRolledBack, r.Outcome)
	require.Len(t, r.AnalysisRuns, 1)
	m := r.AnalysisRuns[0].Metrics[0].Measurements
	require.NotEmpty(t, m)
	// 20% of the recorded traffic fails over the whole 1m window: 0.8 < 0.90.
	assert.Equal(t, "Failed", m[0].Phase)
	assert.Equal(t, "[0.8]", m[0].Value)
	assert.Contains(t, r.Notes[len(r.Notes)-1], "metrics replayed from incident.om")
}

func TestReplayShiftMovesTheRecording(t *testing.T) {
	for _, shift := range []time.Duration{0, 90 * time.Second, -time.Minute} {
		sc := load(t, "testdata/replay/replay-incident.yaml")
		sc.Spec.Metrics.Shift = scenarios.Duration{Duration: shift}
		w, err := New(t.Context(), sc, 1)
		require.NoError(t, err)
		first, err := w.prom.StartTime()
		require.NoError(t, err)
		assert.Equal(t, Epoch.Add(shift).UnixMilli(), first, "shift %s", shift)
	}
}

func TestReplayBadFileIsAnInputError(t *testing.T) {
	_, err := scenarios.Parse([]byte("x"), "bad.yaml")
	require.NotNil(t, err)
	_, lerr := scenarios.Load("testdata/replay/bad-replay.yaml")
	require.Error(t, lerr)
	assert.Contains(t, lerr.Error(), "spec.metrics.replay")
}
