package judge

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The two-sample example of R's ?wilcox.test (permeability constants, Hollander & Wolfe).
var (
	rX = []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	rY = []float64{1.15, 0.88, 0.90, 0.74, 1.21}
)

func TestMannWhitneyMatchesR(t *testing.T) {
	// wilcox.test(x, y, exact = FALSE, correct = TRUE): W = 35, p-value = 0.2446
	got, err := MannWhitney(rX, rY, 0.95)
	require.NoError(t, err)
	assert.Equal(t, 35.0, got.U)
	assert.InDelta(t, 0.2446, got.PValue, 0.0005)
	// The Hodges-Lehmann estimate is the median of the 50 differences.
	assert.InDelta(t, 0.305, got.Estimate, 1e-9)
	assert.LessOrEqual(t, got.Lower, got.Estimate)
	assert.GreaterOrEqual(t, got.Upper, got.Estimate)
}

func TestMannWhitneyTies(t *testing.T) {
	// Every value tied but one: the variance is tie-corrected and the test stays finite.
	got, err := MannWhitney([]float64{1, 1, 1, 2}, []float64{1, 1, 1, 1}, 0.98)
	require.NoError(t, err)
	assert.Equal(t, 10.0, got.U) // 4×4/2 + 2 wins of the 2
	assert.False(t, math.IsNaN(got.PValue))
	assert.Equal(t, 0.0, got.Estimate)
}

func TestMannWhitneyErrors(t *testing.T) {
	_, err := MannWhitney(nil, rY, 0.95)
	assert.ErrorIs(t, err, ErrEmptySample)
	_, err = MannWhitney(rX, rY, 1)
	assert.ErrorIs(t, err, ErrConfidence)
}

func TestMannWhitneyThinsHugeSamples(t *testing.T) {
	big := make([]float64, 3000)
	for i := range big {
		big[i] = float64(i)
	}
	got, err := MannWhitney(big, big, 0.98)
	require.NoError(t, err)
	assert.Equal(t, 0.0, got.Estimate)
}

// noisy returns n samples around level with relative noise, from a fixed seed.
func noisy(seed uint64, n int, level, noise float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, n)
	for i := range out {
		out[i] = level * (1 + noise*r.NormFloat64())
	}
	return out
}

func TestClassify(t *testing.T) {
	base := noisy(1, 30, 0.1, 0.05)
	cases := []struct {
		name         string
		canary, base []float64
		cfg          Config
		want         Classification
		wantReason   string
		wantTest     bool
	}{
		{name: "identical samples pass", canary: base, base: base, want: Pass, wantReason: ReasonIdentical},
		{name: "same order-free samples pass", canary: []float64{3, 1, 2}, base: []float64{1, 2, 3}, want: Pass, wantReason: ReasonIdentical},
		{name: "constant samples pass", canary: []float64{5, 5}, base: []float64{5, 5, 5}, want: Pass, wantReason: ReasonConstant},
		{name: "same distribution, other noise, passes", canary: noisy(2, 30, 0.1, 0.05), base: base, want: Pass, wantTest: true},
		{name: "doubled is High", canary: noisy(3, 30, 0.2, 0.05), base: base, want: High, wantTest: true},
		{name: "halved is Low", canary: noisy(4, 30, 0.05, 0.05), base: base, want: Low, wantTest: true},
		{name: "doubled is fine when only a decrease is bad", canary: noisy(3, 30, 0.2, 0.05), base: base, cfg: Config{Direction: Decrease}, want: Pass, wantTest: true},
		{name: "halved is fine when only an increase is bad", canary: noisy(4, 30, 0.05, 0.05), base: base, cfg: Config{Direction: Increase}, want: Pass, wantTest: true},
		{name: "doubled is High when an increase is bad", canary: noisy(3, 30, 0.2, 0.05), base: base, cfg: Config{Direction: Increase}, want: High, wantTest: true},
		{name: "effect size allows a small increase", canary: noisy(5, 30, 0.105, 0.01), base: noisy(6, 30, 0.1, 0.01), cfg: Config{AllowedIncrease: 1.1}, want: Pass, wantTest: true},
		{name: "without effect size a small steady increase is High", canary: noisy(5, 30, 0.105, 0.01), base: noisy(6, 30, 0.1, 0.01), want: High, wantTest: true},
		{name: "empty canary is NoData", canary: nil, base: base, want: NoData, wantReason: ReasonNoCanaryData},
		{name: "empty baseline is NoData", canary: base, base: []float64{}, want: NoData, wantReason: ReasonNoBaselineData},
		{name: "only NaN is NoData", canary: []float64{math.NaN(), math.Inf(1)}, base: base, want: NoData, wantReason: ReasonNoCanaryData},
		{name: "NaN samples are dropped", canary: append([]float64{math.NaN()}, base...), base: base, want: Pass, wantReason: ReasonIdentical},
		{name: "zero baseline, positive canary is High", canary: []float64{0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.2, 0.3}, base: []float64{0, 0, 0, 0, 0, 0, 0, 0}, want: High, wantTest: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Classify(tc.canary, tc.base, tc.cfg)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Classification)
			assert.Equal(t, tc.wantReason, got.Reason)
			assert.Equal(t, tc.wantTest, got.Test != nil)
		})
	}
}

func TestClassifyRejectsBadConfidence(t *testing.T) {
	_, err := Classify([]float64{1, 2}, []float64{3, 4}, Config{Confidence: 2})
	assert.ErrorIs(t, err, ErrConfidence)
}

func judged(name, group string, c Classification) Judged {
	return Judged{Name: name, Group: group, Result: Result{Classification: c}}
}

func TestSummarize(t *testing.T) {
	cases := []struct {
		name     string
		queries  []Judged
		weights  map[string]float64
		want     float64
		noData   bool
		critical string
	}{
		{name: "all pass", queries: []Judged{judged("a", "", Pass), judged("b", "", Pass)}, want: 100},
		{name: "half pass", queries: []Judged{judged("a", "", Pass), judged("b", "", High)}, want: 50},
		{name: "NoData is left out", queries: []Judged{judged("a", "", Pass), judged("b", "", NoData)}, want: 100},
		{name: "all NoData has no score", queries: []Judged{judged("a", "", NoData)}, noData: true},
		{name: "unweighted groups share equally", queries: []Judged{judged("a", "lat", Pass), judged("b", "err", Low)}, want: 50},
		{name: "weights", queries: []Judged{judged("a", "lat", Pass), judged("b", "err", High)}, weights: map[string]float64{"lat": 75, "err": 25}, want: 75},
		{name: "unlisted groups share the rest", queries: []Judged{judged("a", "lat", Pass), judged("b", "err", High), judged("c", "mem", High)}, weights: map[string]float64{"lat": 50}, want: 50},
		{name: "a group without data gives its weight to the others", queries: []Judged{judged("a", "lat", Pass), judged("b", "err", NoData)}, weights: map[string]float64{"lat": 25, "err": 75}, want: 100},
		{name: "thirds round to two decimals", queries: []Judged{judged("a", "", Pass), judged("b", "", Pass), judged("c", "", High)}, want: 66.67},
		{name: "a critical failure scores 0", queries: []Judged{judged("a", "", Pass), {Name: "b", Critical: true, Result: Result{Classification: Low}}}, want: 0, critical: "b"},
		{name: "a critical pass changes nothing", queries: []Judged{{Name: "a", Critical: true, Result: Result{Classification: Pass}}, judged("b", "", High)}, want: 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Summarize(tc.queries, tc.weights)
			assert.Equal(t, tc.want, got.Score)
			assert.Equal(t, tc.noData, got.NoData)
			assert.Equal(t, tc.critical, got.CriticalFailure)
		})
	}
}
