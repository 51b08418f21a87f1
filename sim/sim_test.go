package sim

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

func load(t testing.TB, ref string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load(ref)
	require.NoError(t, err)
	return sc
}

func run(t testing.TB, ref string, seed int64) *reports.Report {
	t.Helper()
	r, err := Run(context.Background(), load(t, ref), seed)
	require.NoError(t, err)
	return r
}

func TestSeedGoodCanaryPromotes(t *testing.T) {
	r := run(t, "builtin:seed-good-canary", 1)
	assert.Equal(t, scenarios.OutcomePromoted, r.Outcome)
	assert.Equal(t, "Healthy", r.FinalPhase)
	require.NotNil(t, r.PromotedAt)
	assert.Nil(t, r.AbortedAt)
	require.Len(t, r.AnalysisRuns, 1)
	ar := r.AnalysisRuns[0]
	assert.Equal(t, "Step", ar.Kind)
	assert.Equal(t, "Successful", ar.Phase)
	require.Len(t, ar.Metrics, 1)
	require.Len(t, ar.Metrics[0].Measurements, 3, "count: 3")
	// interval 30s between the three measurements
	m := ar.Metrics[0].Measurements
	assert.Equal(t, 30.0, m[1].At-m[0].At)
	assert.Equal(t, 30.0, m[2].At-m[1].At)
	assert.True(t, r.Passed)
}

func TestSeedBadCanaryBakeRollsBackByItself(t *testing.T) {
	r := run(t, "builtin:seed-bad-canary-bake", 1)
	assert.Equal(t, scenarios.OutcomeRolledBack, r.Outcome)
	assert.Equal(t, "Degraded", r.FinalPhase)
	assert.Contains(t, r.FinalMessage, "RolloutAborted: Rollout aborted update to revision 2")
	require.NotNil(t, r.FaultStartedAt)
	require.NotNil(t, r.DetectedAt)
	require.NotNil(t, r.AbortedAt)
	require.NotNil(t, r.TrafficRestoredAt)
	require.NotNil(t, r.CanaryScaledDownAt)
	assert.Equal(t, 60.0, *r.FaultStartedAt)
	// canary ready at 65s, 60s pause, analysis fails at its first measurement
	assert.Equal(t, 125.0, *r.DetectedAt)
	assert.Equal(t, *r.DetectedAt, *r.AbortedAt)
	assert.Equal(t, 65.0, *r.DetectionSeconds)
	assert.Equal(t, 65.0, *r.RollbackSeconds)
	assert.Greater(t, r.Requests.FailedOnCanary, int64(500))
	assert.True(t, r.Passed)
}

func TestSeedBadCanaryUnattendedPausesInconclusive(t *testing.T) {
	r := run(t, "builtin:seed-bad-canary-unattended", 2) // its own seed: a coin toss at 0.90 (see its description)
	assert.Equal(t, scenarios.OutcomePaused, r.Outcome)
	assert.Equal(t, "InconclusiveAnalysisRun", r.FinalMessage)
	require.Len(t, r.AnalysisRuns, 1)
	assert.Equal(t, "Inconclusive", r.AnalysisRuns[0].Phase)
}

func TestSameSeedSameReport(t *testing.T) {
	for _, ref := range []string{"builtin:seed-good-canary", "builtin:seed-bad-canary"} {
		a, err := reports.JSON(run(t, ref, 7))
		require.NoError(t, err)
		b, err := reports.JSON(run(t, ref, 7))
		require.NoError(t, err)
		assert.Equal(t, string(a), string(b), ref)
	}
}

func TestDifferentSeedsDifferentNoise(t *testing.T) {
	a := run(t, "builtin:seed-good-canary", 1)
	b := run(t, "builtin:seed-good-canary", 2)
	assert.NotEqual(t, a.Requests.Total, b.Requests.Total, "request counts are drawn, not fixed")
}

// BenchmarkSoak24h is the long-run goal: a 24 h soak with 10 s scrapes and background
// analysis every 60 s must take under 1 s of wall time on one core.
func BenchmarkSoak24h(b *testing.B) {
	sc := load(b, "testdata/soak-24h.yaml")
	for i := 0; i < b.N; i++ {
		r, err := Run(context.Background(), sc, 1)
		if err != nil {
			b.Fatal(err)
		}
		if r.Outcome != scenarios.OutcomePromoted {
			b.Fatalf("outcome %s", r.Outcome)
		}
	}
}
