package matrix

import (
	"math"
	"sort"
)

// Dist summarises a sample: how many values, and their median, 90th percentile and maximum
// (nearest rank). Empty samples have nil statistics.
type Dist struct {
	N    int      `json:"n"`
	P50  *float64 `json:"p50"`
	P90  *float64 `json:"p90"`
	Max  *float64 `json:"max"`
	Mean *float64 `json:"mean"`
}

func dist(xs []float64) Dist {
	d := Dist{N: len(xs)}
	if len(xs) == 0 {
		return d
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	rank := func(q float64) *float64 {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		v := s[max(i, 0)]
		return &v
	}
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	mean := math.Round(sum/float64(len(s))*10) / 10
	d.P50, d.P90, d.Max, d.Mean = rank(0.5), rank(0.9), &s[len(s)-1], &mean
	return d
}

// Rate is a proportion with its 95% Wilson score interval, which stays inside [0, 1] and is
// honest for 0 of n (where the normal approximation claims certainty).
type Rate struct {
	Count int     `json:"count"`
	N     int     `json:"n"`
	Rate  float64 `json:"rate"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

const z95 = 1.959963984540054

func wilson(k, n int) Rate {
	r := Rate{Count: k, N: n}
	if n == 0 {
		r.High = 1
		return r
	}
	p, nf, z2 := float64(k)/float64(n), float64(n), z95*z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / den
	r.Rate = round4(p)
	r.Low = round4(math.Max(0, center-half))
	r.High = round4(math.Min(1, center+half))
	return r
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
