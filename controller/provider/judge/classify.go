package judge

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Classification is a query's verdict: the canary is like the baseline (Pass), higher (High),
// lower (Low), or one side has no samples (NoData).
type Classification string

// The classifications.
const (
	Pass   Classification = "Pass"
	High   Classification = "High"
	Low    Classification = "Low"
	NoData Classification = "NoData"
)

// Directions: which change of a query is bad.
const (
	Increase = "increase"
	Decrease = "decrease"
	Either   = "either"
)

// Defaults of Config.
const (
	DefaultConfidence = 0.98
	DefaultTolerance  = 0.25
)

// Config says how one query is judged; zero fields take the defaults.
type Config struct {
	// Direction is Increase, Decrease or Either (default).
	Direction string
	// Confidence of the shift's interval; default DefaultConfidence.
	Confidence float64
	// Tolerance: the interval must clear ±Tolerance × |Hodges-Lehmann estimate|; default DefaultTolerance.
	Tolerance float64
	// AllowedIncrease and AllowedDecrease bound the canary/baseline mean ratio: High needs a ratio
	// above AllowedIncrease, Low one below AllowedDecrease (both default 1).
	AllowedIncrease, AllowedDecrease float64
}

func (c Config) withDefaults() Config {
	if c.Direction == "" {
		c.Direction = Either
	}
	if c.Confidence == 0 {
		c.Confidence = DefaultConfidence
	}
	if c.Tolerance == 0 {
		c.Tolerance = DefaultTolerance
	}
	if c.AllowedIncrease == 0 {
		c.AllowedIncrease = 1
	}
	if c.AllowedDecrease == 0 {
		c.AllowedDecrease = 1
	}
	return c
}

// Reasons a query is classified without a test.
const (
	ReasonNoCanaryData   = "no canary samples"
	ReasonNoBaselineData = "no baseline samples"
	ReasonIdentical      = "canary and baseline samples are identical"
	ReasonConstant       = "every sample has the same value"
)

// Result is one query's classification and what it rests on.
type Result struct {
	Classification Classification
	// Reason is set when no test was needed.
	Reason string
	// CanaryCount and BaselineCount are the finite samples compared.
	CanaryCount, BaselineCount int
	// CanaryMean and BaselineMean are the samples' means (NaN without samples).
	CanaryMean, BaselineMean float64
	// Test is the Mann-Whitney test, when one was run.
	Test *Test
}

// Classify compares canary with baseline as Kayenta's Mann-Whitney classifier does: NaN and
// ±Inf samples are dropped; an empty side is NoData; identical or constant samples Pass;
// otherwise the shift's confidence interval is set against ±tolerance × |estimate|: an interval
// wholly above is High (when an increase is bad and the mean ratio exceeds AllowedIncrease),
// wholly below is Low (when a decrease is bad and the mean ratio is under AllowedDecrease),
// anything else Pass.
func Classify(canary, baseline []float64, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	canary, baseline = finite(canary), finite(baseline)
	r := Result{CanaryCount: len(canary), BaselineCount: len(baseline), CanaryMean: math.NaN(), BaselineMean: math.NaN()}
	if len(canary) > 0 {
		r.CanaryMean = stat.Mean(canary, nil)
	}
	if len(baseline) > 0 {
		r.BaselineMean = stat.Mean(baseline, nil)
	}
	switch {
	case len(canary) == 0:
		r.Classification, r.Reason = NoData, ReasonNoCanaryData
		return r, nil
	case len(baseline) == 0:
		r.Classification, r.Reason = NoData, ReasonNoBaselineData
		return r, nil
	}
	sc, sb := slices.Sorted(slices.Values(canary)), slices.Sorted(slices.Values(baseline))
	if slices.Equal(sc, sb) {
		r.Classification, r.Reason = Pass, ReasonIdentical
		return r, nil
	}
	if sc[0] == sc[len(sc)-1] && sb[0] == sb[len(sb)-1] && sc[0] == sb[0] {
		r.Classification, r.Reason = Pass, ReasonConstant
		return r, nil
	}
	t, err := MannWhitney(canary, baseline, cfg.Confidence)
	if err != nil {
		return r, err
	}
	r.Test = &t
	bound := cfg.Tolerance * math.Abs(t.Estimate)
	ratio := meanRatio(r.CanaryMean, r.BaselineMean)
	switch {
	case cfg.Direction != Decrease && t.Lower > bound && ratio > cfg.AllowedIncrease:
		r.Classification = High
	case cfg.Direction != Increase && t.Upper < -bound && ratio < cfg.AllowedDecrease:
		r.Classification = Low
	default:
		r.Classification = Pass
	}
	return r, nil
}

// meanRatio is canary/baseline; a zero baseline gives +Inf, -Inf or 1 by the canary's sign.
func meanRatio(canary, baseline float64) float64 {
	if baseline == 0 {
		switch {
		case canary > 0:
			return math.Inf(1)
		case canary < 0:
			return math.Inf(-1)
		}
		return 1
	}
	return canary / baseline
}

func finite(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}
