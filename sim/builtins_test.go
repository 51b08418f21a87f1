package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

// TestBuiltinsHoldTheirExpectations runs the whole built-in library with each scenario's own
// seed: every expectation it states must hold.
func TestBuiltinsHoldTheirExpectations(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := load(t, scenarios.BuiltinPrefix+name)
			r, err := Run(t.Context(), sc, sc.SeedOr(scenarios.DefaultSeed))
			require.NoError(t, err)
			for _, x := range r.Expectations {
				assert.True(t, x.Passed, "%s: %s", name, x.Describe())
			}
			assert.NotEmpty(t, r.Expectations, "a built-in states what it shows")
		})
	}
}

// The lessons that compare two policies: the numbers their descriptions promise.
func TestLessonPairs(t *testing.T) {
	builtin := func(name string) *reports.Report { return run(t, scenarios.BuiltinPrefix+name, 1) }

	large, gradual := builtin("lesson-steps-too-large"), builtin("lesson-steps-gradual")
	assert.Equal(t, *large.DetectionSeconds, *gradual.DetectionSeconds, "same analysis, same detection")
	assert.Greater(t, float64(large.Requests.Failed), 2*float64(gradual.Requests.Failed), "blast radius")

	low, high := builtin("lesson-failure-limit-low"), builtin("lesson-failure-limit-high")
	assert.Equal(t, 90.0, *high.DetectionSeconds-*low.DetectionSeconds, "three more measurements 30 s apart")
	assert.Greater(t, high.Requests.Failed-low.Requests.Failed, int64(800), "the extra user errors")

	inline, background := builtin("lesson-inline-analysis-only"), builtin("lesson-background-analysis")
	assert.Equal(t, scenarios.OutcomePromoted, inline.Outcome)
	assert.Nil(t, inline.DetectedAt, "the step analysis never saw the degradation")
	assert.Equal(t, scenarios.OutcomeRolledBack, background.Outcome)

	blind, aware := builtin("lesson-payment-error-rate-only"), builtin("lesson-payment-completion-rate")
	assert.Equal(t, scenarios.OutcomePromoted, blind.Outcome)
	assert.Positive(t, blind.Requests.PaymentsFailed, "payments lost silently")
	assert.Equal(t, scenarios.OutcomeRolledBack, aware.Outcome)
	assert.Less(t, aware.Requests.PaymentsFailed, blind.Requests.PaymentsFailed)

	soak := builtin("lesson-soak-memory-leak")
	assert.InDelta(t, 9.4*3600, *soak.DetectedAt, 1800, "caught at hour 9 of the soak")
}
