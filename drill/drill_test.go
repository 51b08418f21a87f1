package drill_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/drill"
	"github.com/canarydrill/canarydrill/drill/drilltest"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

func TestMain(m *testing.M) { drilltest.Main(m) }

func options(scale float64) drill.Options {
	return drill.Options{TimeScale: scale, PodCommand: drilltest.PodCommand(), PodEnv: drilltest.PodEnv()}
}

func scenario(t *testing.T, ref string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load(ref)
	require.NoError(t, err)
	return sc
}

// The seed's bad canary, live and four times faster: the analysis fails on real requests, the
// rollout aborts by itself, and vegeta saw the canary's errors until the traffic came back.
func TestSeedBadCanaryRollsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("a live drill takes 20 s")
	}
	res, err := drill.Run(context.Background(), scenario(t, "builtin:drill-seed-bad-canary"), options(0.25))
	require.NoError(t, err)
	r := res.Report
	t.Logf("outcome %s, detection %v s, rollback %v s, wall %v s, load %+v", r.Outcome, deref(r.DetectionSeconds), deref(r.RollbackSeconds), deref(r.WallSeconds), r.Load)
	assert.True(t, r.Passed, "expectations: %+v notes: %v", r.Expectations, r.Notes)
	assert.Equal(t, scenarios.OutcomeRolledBack, r.Outcome)
	require.NotNil(t, r.DetectionSeconds)
	require.NotNil(t, r.RollbackSeconds)
	assert.InDelta(t, 65, *r.DetectionSeconds, 15, "the first measurement after the 60 s pause fails")
	assert.Equal(t, 0.25, r.TimeScale)
	assert.Less(t, *r.WallSeconds, 40.0)

	require.NotNil(t, r.Load)
	assert.Greater(t, r.Load.Requests, uint64(1000))
	assert.Greater(t, r.Load.StatusCodes["500"], 100, "the canary's errors reached users")
	assert.Greater(t, r.Load.FailedOnCanary, int64(100))
	assert.Less(t, r.Load.Success, 0.99)
	assert.Greater(t, r.Load.Latencies.P50, 0.005)
	assert.GreaterOrEqual(t, r.Load.Latencies.Max, r.Load.Latencies.P99)
	requireWindowsAddUp(t, r)
	assert.Equal(t, r.Requests.FailedOnCanary, r.Load.FailedOnCanary)
	require.NotNil(t, r.Signals)
	drilltest.RequireCleanedUp(t, res.Addrs)
}

// The seed's good canary, live and five times faster, is promoted.
func TestSeedGoodCanaryPromotes(t *testing.T) {
	if testing.Short() {
		t.Skip("a live drill takes 45 s")
	}
	res, err := drill.Run(context.Background(), scenario(t, "builtin:drill-seed-good-canary"), options(0.2))
	require.NoError(t, err)
	r := res.Report
	t.Logf("outcome %s, promoted %v s, wall %v s, load %+v", r.Outcome, deref(r.PromotedAt), deref(r.WallSeconds), r.Load)
	assert.True(t, r.Passed, "expectations: %+v notes: %v", r.Expectations, r.Notes)
	assert.Equal(t, scenarios.OutcomePromoted, r.Outcome)
	require.NotNil(t, r.Load)
	assert.Greater(t, r.Load.Success, 0.99)
	drilltest.RequireCleanedUp(t, res.Addrs)
}

// requireWindowsAddUp checks vegeta's windows against its totals: users' requests failed on the
// canary only after the release, and the windows' count is the whole drill's.
func requireWindowsAddUp(t *testing.T, r *reports.Report) {
	t.Helper()
	require.NotEmpty(t, r.Windows)
	var failedOnCanary int64
	for _, w := range r.Windows {
		failedOnCanary += w.FailedOnCanary
		if w.At < *r.FaultStartedAt {
			assert.Zero(t, w.FailedOnCanary, "no canary before the release: window %v", w.At)
		}
	}
	assert.Equal(t, r.Load.FailedOnCanary, failedOnCanary, "the windows add up")
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// A drill stopped from outside (Ctrl-C) leaves no process and no open port, and its report
// does not pass.
func TestInterruptedDrillCleansUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	o := options(0.25)
	most := 0
	o.OnProgress = func(drill.Progress) { most = max(most, len(drilltest.Children(t))) }
	o.ProgressEvery = 100 * time.Millisecond
	res, err := drill.Run(ctx, scenario(t, "builtin:drill-seed-bad-canary"), o)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, most, 5, "the pods were processes of ours while the drill ran")
	assert.True(t, res.Interrupted)
	assert.False(t, res.Report.Passed)
	assert.Contains(t, res.Report.Notes[len(res.Report.Notes)-1], "interrupted")
	assert.Greater(t, len(res.Addrs), 5, "the router and five pods")
	drilltest.RequireCleanedUp(t, res.Addrs)
}

// A drill whose expectation fails cleans up as well.
func TestFailedExpectationCleansUp(t *testing.T) {
	sc := scenario(t, "builtin:drill-seed-bad-canary")
	sc.Spec.MaxDuration.Duration = 20 * time.Second // ends Running, before the analysis
	res, err := drill.Run(context.Background(), sc, options(0.25))
	require.NoError(t, err)
	assert.False(t, res.Interrupted)
	assert.False(t, res.Report.Passed)
	assert.Equal(t, scenarios.OutcomeRunning, res.Report.Outcome)
	drilltest.RequireCleanedUp(t, res.Addrs)
}

func TestCheckRejectsWhatADrillCannotRun(t *testing.T) {
	sc := scenario(t, "builtin:fault-istio-5xx")
	err := drill.Check(sc, drill.Options{API: "k8s", TimeScale: 2})
	require.Error(t, err)
	probs := err.(scenarios.Problems)
	require.Len(t, probs, 3)
	assert.Contains(t, probs[0], "--api")
	assert.Contains(t, probs[1], "--time-scale")
	assert.Contains(t, probs[2], "builtin:fault-istio-5xx: spec.metrics.preset")
}

// What the real API cannot run is refused before anything starts, as `run --api real` refuses it.
func TestCheckRealAPI(t *testing.T) {
	for _, tc := range []struct {
		ref  string
		o    drill.Options
		want string
	}{
		{"builtin:drill-seed-bad-canary", drill.Options{Controller: "argo"}, "--controller: only with --api real"},
		{"builtin:drill-seed-bad-canary", drill.Options{API: drill.APIReal, Controller: "flux"}, `--controller: "flux" is not one of canarydrill, argo`},
		{"builtin:analysis-job-smoke-test-promotes", drill.Options{API: drill.APIReal}, "the job provider needs a Job controller"},
		{"builtin:drill-seed-bad-canary", drill.Options{API: drill.APIReal, TimeScale: 0.001}, "below the"},
	} {
		err := drill.Check(scenario(t, tc.ref), tc.o)
		assert.ErrorContains(t, err, tc.want, "%s %+v", tc.ref, tc.o)
	}
	assert.NoError(t, drill.Check(scenario(t, "builtin:drill-seed-bad-canary"), drill.Options{API: drill.APIReal, Controller: "argo", TimeScale: 0.25}))
}

func TestCheckRejectsReplayedMetrics(t *testing.T) {
	err := drill.Check(scenario(t, "../sim/testdata/replay/replay-incident.yaml"), drill.Options{})
	assert.ErrorContains(t, err, "spec.metrics.replay: Forbidden: a drill measures its live pods, not recorded metrics")
}
