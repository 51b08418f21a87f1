package matrix

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/scenarios"
)

const failureLimit = "analysisTemplate.success-rate-check.spec.metrics[0].failureLimit"

func load(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load(scenarios.BuiltinPrefix + name)
	require.NoError(t, err)
	return sc
}

func template(t *testing.T, sc *scenarios.Scenario, name string) *v1alpha1.AnalysisTemplate {
	t.Helper()
	for _, o := range sc.Objects {
		if at, ok := o.Object.(*v1alpha1.AnalysisTemplate); ok && at.Name == name {
			return at
		}
	}
	t.Fatalf("no template %s", name)
	return nil
}

func TestParseSet(t *testing.T) {
	s, err := ParseSet(failureLimit + "=0,1,3")
	require.NoError(t, err)
	assert.Equal(t, Set{Path: failureLimit, Values: []string{"0", "1", "3"}}, s)
	s, err = ParseSet("analysisTemplate.a.spec.metrics[name=x=y].interval=30s")
	require.NoError(t, err)
	assert.Equal(t, "analysisTemplate.a.spec.metrics[name=x=y].interval", s.Path)
	for _, bad := range []string{"nothing", "a.b=", "a..b=1", "a.b[0=1", "x=1"} {
		_, err := ParseSet(bad)
		assert.Error(t, err, bad)
	}
}

func TestApply(t *testing.T) {
	sc := load(t, "lesson-failure-limit-low")
	tests := []struct {
		name    string
		set     []Setting
		check   func(t *testing.T, out *scenarios.Scenario)
		wantErr string
	}{
		{name: "by index", set: []Setting{{failureLimit, "3"}}, check: func(t *testing.T, out *scenarios.Scenario) {
			assert.Equal(t, 3, template(t, out, "success-rate-check").Spec.Metrics[0].FailureLimit.IntValue())
		}},
		{name: "by selector, a duration", set: []Setting{{"analysisTemplate.success-rate-check.spec.metrics[name=success-rate].interval", "1m"}},
			check: func(t *testing.T, out *scenarios.Scenario) {
				assert.Equal(t, "1m", string(template(t, out, "success-rate-check").Spec.Metrics[0].Interval))
			}},
		{name: "a rollout step", set: []Setting{{"rollout.demo-app.spec.strategy.canary.steps[0].setWeight", "40"}},
			check: func(t *testing.T, out *scenarios.Scenario) {
				for _, o := range out.Objects {
					if ro, ok := o.Object.(*v1alpha1.Rollout); ok {
						assert.Equal(t, int32(40), *ro.Spec.Strategy.Canary.Steps[0].SetWeight)
					}
				}
			}},
		{name: "the scenario itself", set: []Setting{{"scenario.spec.traffic.rps", "500"}, {"scenario.spec.timeline[1].rate", "0.5"}},
			check: func(t *testing.T, out *scenarios.Scenario) {
				assert.Equal(t, 500.0, out.Spec.Traffic.RPS)
				assert.Equal(t, 0.5, out.Spec.Timeline[1].Rate.Float())
				assert.Equal(t, 50.0, sc.Spec.Traffic.RPS, "the original is untouched")
			}},
		{name: "unknown field", set: []Setting{{"analysisTemplate.success-rate-check.spec.metrics[0].failureLimt", "1"}}, wantErr: `unknown field "spec.metrics[0].failureLimt"`},
		{name: "no such object", set: []Setting{{"analysisTemplate.nope.spec.x", "1"}}, wantErr: "no analysisTemplate"},
		{name: "index out of range", set: []Setting{{"analysisTemplate.success-rate-check.spec.metrics[4].count", "1"}}, wantErr: "spec.metrics has 1 elements, no [4]"},
		{name: "invalid scenario", set: []Setting{{"scenario.spec.traffic.pattern", "zigzag"}}, wantErr: `spec.traffic.pattern: Unsupported value: "zigzag"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Apply(sc, tc.set)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, out)
		})
	}
	assert.Equal(t, 0, template(t, sc, "success-rate-check").Spec.Metrics[0].FailureLimit.IntValue(), "the original is untouched")
}

func TestHealthyTwin(t *testing.T) {
	sc := load(t, "lesson-canary-health-5xx")
	h := Healthy(sc)
	assert.Equal(t, "lesson-canary-health-5xx-healthy", h.Metadata.Name)
	require.Len(t, h.Spec.Timeline, 1, "faults dropped")
	assert.NotNil(t, h.Spec.Timeline[0].Update)
	assert.Len(t, sc.Spec.Timeline, 2, "the original is untouched")

	withBlock := load(t, "lesson-failure-limit-low")
	h = Healthy(withBlock)
	require.Len(t, h.Spec.Timeline, 1)
	assert.Equal(t, "v2", h.Spec.Timeline[0].Update.Version, "from the healthy: block")

	jobs := load(t, "analysis-job-fails-rolls-back")
	h = Healthy(jobs)
	assert.Equal(t, scenarios.Job{Duration: scenarios.Duration{Duration: 30 * time.Second}, Outcome: scenarios.JobSucceed}, h.Spec.Jobs["smoke-test"],
		"the twin's Jobs fail for no version")
	assert.Equal(t, []string{"shop:v3"}, jobs.Spec.Jobs["smoke-test"].FailFor, "the original is untouched")
}

func TestWilson(t *testing.T) {
	r := wilson(0, 200)
	assert.Equal(t, 0.0, r.Low)
	assert.InDelta(t, 0.0188, r.High, 1e-4)
	r = wilson(10, 100)
	assert.InDelta(t, 0.0552, r.Low, 1e-4)
	assert.InDelta(t, 0.1744, r.High, 1e-4)
	assert.Equal(t, 0.1, r.Rate)
}

func TestDist(t *testing.T) {
	d := dist([]float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10})
	assert.Equal(t, 5.0, *d.P50)
	assert.Equal(t, 9.0, *d.P90)
	assert.Equal(t, 10.0, *d.Max)
	assert.Nil(t, dist(nil).P50)
}

// The seed's bad canary over failureLimit 0, 1, 3: detection grows with it, and the result is
// the same whatever the number of workers.
func TestMatrixDetectionGrowsWithFailureLimitAndIgnoresWorkers(t *testing.T) {
	sc := load(t, "lesson-failure-limit-low")
	set, err := ParseSet(failureLimit + "=0,1,3")
	require.NoError(t, err)
	o := Options{Seeds: 4, FirstSeed: 1, Sets: []Set{set}, MaxFalsePositive: 0.01, Workers: 1}
	one, err := Run(t.Context(), sc, o)
	require.NoError(t, err)
	o.Workers = 3
	three, err := Run(t.Context(), sc, o)
	require.NoError(t, err)
	a, _ := JSON(one)
	b, _ := JSON(three)
	assert.Equal(t, string(a), string(b))

	require.Len(t, one.Variants, 3)
	assert.True(t, one.Baseline, "the scenario's healthy: block")
	var prev float64
	for _, v := range one.Variants {
		assert.Equal(t, 4, v.Outcomes[scenarios.OutcomeRolledBack], v.Name)
		assert.Greater(t, *v.Detection.P50, prev, v.Name)
		prev = *v.Detection.P50
		assert.Equal(t, 0, v.FalsePositive.Count)
	}
	assert.Equal(t, 0, one.Recommended)
	assert.Contains(t, one.Recommendation, "failureLimit=0")
}
