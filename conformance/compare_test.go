package conformance

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/reports"
)

// bad is the seed's bad canary as both controllers reported it.
func bad(abortedAt float64) *reports.Report {
	return &reports.Report{
		Scenario:     "seed-bad-canary-bake",
		Outcome:      "RolledBack",
		FinalPhase:   "Degraded",
		FinalMessage: `RolloutAborted: Rollout aborted update to revision 2: Step-based analysis phase error/failed: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`,
		DetectedAt:   reports.Secs(abortedAt), AbortedAt: reports.Secs(abortedAt),
		TrafficRestoredAt: reports.Secs(abortedAt), CanaryScaledDownAt: reports.Secs(abortedAt + 1),
		Weights: []reports.WeightPoint{{At: 0, Canary: 0}, {At: 60, Canary: 0.2}, {At: 61, Canary: 0.2}, {At: abortedAt, Canary: 0}},
		AnalysisRuns: []reports.AnalysisRun{{
			Name: "demo-app-667768f4fc-2-2", Kind: "Step", Phase: "Failed",
			Metrics: []reports.Metric{{Name: "success-rate", Phase: "Failed", Measurements: []reports.Measurement{{Phase: "Failed"}}}},
		}},
	}
}

func verdicts(r Result) map[string]Verdict {
	m := map[string]Verdict{}
	for _, row := range r.Rows {
		m[row.Field] = row.Verdict
	}
	return m
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name     string
		argo     *reports.Report
		ours     func() *reports.Report
		declared string
		want     map[string]Verdict
		passed   bool
	}{
		{
			name: "identical", argo: bad(125), ours: func() *reports.Report { return bad(125) },
			want:   map[string]Verdict{"outcome": Same, "analysis runs": Same, "aborted at": Same, "canary weights": Same, "promoted at": Same},
			passed: true,
		},
		{
			name: "abort within tolerance", argo: bad(125), ours: func() *reports.Report { return bad(128) },
			want:   map[string]Verdict{"aborted at": Tolerated, "canary scaled down at": Tolerated, "canary weights": Same},
			passed: true,
		},
		{
			name: "abort too late", argo: bad(125), ours: func() *reports.Report { return bad(140) },
			want:   map[string]Verdict{"aborted at": Differs, "outcome": Same},
			passed: false,
		},
		{
			name: "a second run for the same step", argo: bad(125), ours: func() *reports.Report {
				r := bad(125)
				r.AnalysisRuns = append(r.AnalysisRuns, r.AnalysisRuns[0])
				return r
			},
			want:   map[string]Verdict{"analysis runs": Differs},
			passed: false,
		},
		{
			name: "pod hashes differ with the CRDs, not the controller", argo: func() *reports.Report {
				r := bad(125)
				r.FinalMessage = "AnalysisRun demo-app-667768f4fc-2-2 failed"
				return r
			}(), ours: func() *reports.Report {
				r := bad(125)
				r.AnalysisRuns[0].Name = "demo-app-65b9689cd-2-2"
				r.FinalMessage = "AnalysisRun demo-app-65b9689cd-2-2 failed"
				return r
			},
			want:   map[string]Verdict{"analysis runs": Same, "final message": Same},
			passed: true,
		},
		{
			name: "promoted instead of rolled back", argo: bad(125), ours: func() *reports.Report {
				r := bad(125)
				r.Outcome, r.FinalPhase, r.FinalMessage = "Promoted", "Healthy", ""
				r.AbortedAt, r.PromotedAt = nil, reports.Secs(300)
				return r
			},
			want:   map[string]Verdict{"outcome": Differs, "aborted at": Differs, "promoted at": Differs},
			passed: false,
		},
		{
			name: "declared", argo: bad(125), ours: func() *reports.Report { return bad(140) }, declared: "we abort later on purpose",
			want:   map[string]Verdict{"aborted at": Declared, "outcome": Same},
			passed: true,
		},
		{
			name: "a declaration does not excuse another outcome", argo: bad(125), ours: func() *reports.Report {
				r := bad(125)
				r.Outcome, r.FinalPhase = "Paused", "Paused"
				return r
			}, declared: "messages differ",
			want:   map[string]Verdict{"outcome": Differs, "final phase": Differs},
			passed: false,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Compare(tc.argo, tc.ours(), Limits{Tolerance: 5, Hold: 5}, tc.declared)
			got := verdicts(res)
			for field, want := range tc.want {
				assert.Equal(t, want, got[field], field)
			}
			assert.Equal(t, tc.passed, res.Passed())
		})
	}
}

func TestDescriptions(t *testing.T) {
	r := bad(125)
	assert.Equal(t, "0% → 20% → 0%", weights(r.Weights, 0))
	// A share held less than the tolerance is a pod starting, not a step.
	assert.Equal(t, "0% → 20% → 0%", weights([]reports.WeightPoint{{At: 0}, {At: 60, Canary: 0.1}, {At: 62, Canary: 0.2}, {At: 125}}, 5))
	assert.Equal(t, "0% → 45.45% → 0%", weights([]reports.WeightPoint{{At: 0}, {At: 60, Canary: 0.454545}, {At: 125}}, 5))
	assert.Equal(t, "Step Failed: success-rate Failed [Failed]", runs(r.AnalysisRuns))
	assert.Equal(t, "—", runs(nil))
	// Metrics by name, whatever order they were first measured in.
	two := []reports.AnalysisRun{{Kind: "Background", Phase: "Failed", Metrics: []reports.Metric{{Name: "b", Phase: "Failed"}, {Name: "a", Phase: "Successful"}}}}
	assert.Equal(t, "Background Failed: a Successful []; b Failed []", runs(two))
	assert.Equal(t, "—", seconds(nil))
	assert.Equal(t, "demo-<hash>-2-2", normalize("demo-667768f4fc-2-2"))
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, "v1.9.1", []Result{
		Compare(bad(125), bad(125), Limits{Tolerance: 5}, ""),
		Compare(bad(125), bad(140), Limits{Tolerance: 5}, ""),
	}))
	out := b.String()
	assert.Contains(t, out, "ARGO ROLLOUTS v1.9.1")
	assert.Contains(t, out, "seed-bad-canary-bake  outcome")
	assert.Regexp(t, `aborted at\s+125\.0s\s+140\.0s\s+differs`, out)
	assert.True(t, strings.HasSuffix(out, "1 of 2 scenarios conform\n"), out)

	b.Reset()
	require.NoError(t, WriteMarkdown(&b, "v1.9.1", []Result{Compare(bad(125), bad(140), Limits{Tolerance: 5}, "later | on purpose")}))
	assert.Contains(t, b.String(), "| `seed-bad-canary-bake` | outcome | RolledBack | RolledBack | same |")
	assert.Contains(t, b.String(), `later \| on purpose`)
}
