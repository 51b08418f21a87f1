// Package judge compares canary and baseline samples and scores the canary, in the spirit of Kayenta's NetflixACAJudge.
package judge

import (
	"errors"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// MaxPairs bounds the pairwise differences a test builds: larger samples are thinned evenly
// (every k-th sample, in time order) until canary × baseline fits.
const MaxPairs = 4_000_000

// Test is the outcome of a two-sided Mann-Whitney U test of canary against baseline, with the
// Hodges-Lehmann estimate of the shift (canary − baseline) and its confidence interval.
type Test struct {
	// U is the canary's U statistic: how many (canary, baseline) pairs the canary wins, ties half.
	U float64
	// PValue is two-sided, from the normal approximation with tie and continuity correction.
	PValue float64
	// Estimate is the Hodges-Lehmann estimate: the median of every canary − baseline difference.
	Estimate float64
	// Lower and Upper bound the shift at the test's confidence (distribution-free interval from
	// the order statistics of the differences, normal approximation of U's distribution).
	Lower, Upper float64
}

// Errors of MannWhitney.
var (
	ErrEmptySample = errors.New("judge: a sample is empty")
	ErrConfidence  = errors.New("judge: confidence must be between 0 and 1")
)

// MannWhitney tests whether canary is shifted from baseline. Both samples must be non-empty
// and finite; confidence is in (0, 1).
func MannWhitney(canary, baseline []float64, confidence float64) (Test, error) {
	if len(canary) == 0 || len(baseline) == 0 {
		return Test{}, ErrEmptySample
	}
	if !(confidence > 0 && confidence < 1) {
		return Test{}, ErrConfidence
	}
	canary, baseline = thin(canary, baseline)
	m, n := float64(len(canary)), float64(len(baseline))

	u, tieSum := uStatistic(canary, baseline)
	total := m + n
	mean := m * n / 2
	variance := m * n / 12 * ((total + 1) - tieSum/(total*(total-1)))
	p := 1.0
	if variance > 0 {
		d := u - mean
		d -= math.Copysign(math.Min(0.5, math.Abs(d)), d) // continuity correction
		z := d / math.Sqrt(variance)
		p = math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(z)))
	}

	diffs := make([]float64, 0, len(canary)*len(baseline))
	for _, c := range canary {
		for _, b := range baseline {
			diffs = append(diffs, c-b)
		}
	}
	slices.Sort(diffs)
	k := len(diffs)
	estimate := (diffs[(k-1)/2] + diffs[k/2]) / 2

	// The interval's ends are the C-th smallest and C-th largest differences, with
	// C = floor(mn/2 − z·sqrt(mn(m+n+1)/12)) (at least 1: too few samples give the whole range).
	z := distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
	c := int(math.Floor(mean - z*math.Sqrt(m*n*(total+1)/12)))
	c = max(c, 1)
	return Test{U: u, PValue: p, Estimate: estimate, Lower: diffs[c-1], Upper: diffs[k-c]}, nil
}

// uStatistic ranks the pooled samples (ties get their average rank) and returns the canary's
// U and Σ(t³ − t) over groups of t tied values.
func uStatistic(canary, baseline []float64) (u, tieSum float64) {
	x := make([]float64, 0, len(canary)+len(baseline))
	isCanary := make([]bool, 0, cap(x))
	x = append(x, canary...)
	x = append(x, baseline...)
	for range canary {
		isCanary = append(isCanary, true)
	}
	for range baseline {
		isCanary = append(isCanary, false)
	}
	stat.SortWeightedLabeled(x, isCanary, nil)

	var rankSum float64
	for i := 0; i < len(x); {
		j := i
		for j < len(x) && x[j] == x[i] {
			j++
		}
		t := float64(j - i)
		rank := float64(i+j+1) / 2 // average of ranks i+1 .. j
		for k := i; k < j; k++ {
			if isCanary[k] {
				rankSum += rank
			}
		}
		tieSum += t*t*t - t
		i = j
	}
	m := float64(len(canary))
	return rankSum - m*(m+1)/2, tieSum
}

// thin keeps every k-th sample of the larger sample(s) until the pairs fit MaxPairs.
func thin(canary, baseline []float64) ([]float64, []float64) {
	for len(canary)*len(baseline) > MaxPairs {
		if len(canary) >= len(baseline) {
			canary = everyOther(canary)
		} else {
			baseline = everyOther(baseline)
		}
	}
	return canary, baseline
}

func everyOther(x []float64) []float64 {
	out := make([]float64, 0, (len(x)+1)/2)
	for i := 0; i < len(x); i += 2 {
		out = append(out, x[i])
	}
	return out
}
