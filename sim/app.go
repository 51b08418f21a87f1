package sim

import (
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// latencyBuckets are client_golang's default histogram buckets, in seconds; the milliseconds
// histogram uses the same bounds times 1000, so one set of counts serves both.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// z99 is the standard normal quantile at 0.99: p99 = p50 * exp(sigma * z99) for a log-normal.
const z99 = 2.3263478740408408

// podMetrics are the cumulative counters one app process has exported since it started.
type podMetrics struct {
	// requests by HTTP status code.
	requests map[int]float64
	// buckets[i] counts requests with latency in (bound[i-1], bound[i]]; the last is +Inf.
	buckets [12]float64
	sum     float64 // seconds
	count   float64
	// payments received and completed (the business view of the same requests).
	paymentsReceived  float64
	paymentsCompleted float64
	series            *podSeries
}

func newPodMetrics() *podMetrics { return &podMetrics{requests: map[int]float64{}} }

// codes returns the status codes seen so far, sorted.
func (m *podMetrics) codes() []int {
	out := make([]int, 0, len(m.requests))
	for c := range m.requests {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// RequestTotals are the user-facing request counts of a run.
type RequestTotals struct {
	Total, Failed, ServedByCanary, FailedOnCanary int64
}

// app models the service's processes: each request's outcome and latency, drawn from the pod's
// version behaviour and the faults active on it.
type app struct {
	w      *World
	totals RequestTotals
}

func newApp(w *World) *app { return &app{w: w} }

// serve draws the outcome of the requests one pod received in the interval starting at `at`
// (expected count lambda); faults are constant within an interval because every fault start and
// end closes one.
func (a *app) serve(p *pod, lambda float64, at time.Time, canary bool) {
	if lambda <= 0 {
		return
	}
	src := a.w.rng
	n := distuv.Poisson{Lambda: lambda, Src: src}.Rand()
	if n == 0 {
		return
	}
	if p.metrics == nil {
		p.metrics = newPodMetrics()
	}
	m := p.metrics
	eff := a.w.faults.effects(p, at)

	// Fault errors first, then the version's own error rate on what is left.
	faultErrs := binomial(n, eff.errorRate, a.w)
	baseErrs := binomial(n-faultErrs, *p.behaviour.ErrorRate, a.w)
	ok := n - faultErrs - baseErrs
	if faultErrs > 0 {
		m.requests[eff.errorCode] += faultErrs
	}
	if baseErrs > 0 {
		m.requests[500] += baseErrs
	}
	if ok > 0 {
		m.requests[200] += ok
	}

	// Latency: log-normal through p50 and p99, then the latency fault's shift or factor.
	mu := math.Log(p.behaviour.Latency.P50.Seconds()) + math.Log(eff.latencyFactor)
	sigma := (math.Log(p.behaviour.Latency.P99.Seconds()) - math.Log(p.behaviour.Latency.P50.Seconds())) / z99
	shift := eff.latencyAdd.Seconds()
	remaining, below := n, 0.0
	for i, le := range latencyBuckets {
		cdf := logNormalCDF(le-shift, mu, sigma)
		pBucket := (cdf - below) / (1 - below)
		c := binomial(remaining, pBucket, a.w)
		m.buckets[i] += c
		remaining -= c
		below = cdf
		if remaining == 0 || below >= 1 {
			break
		}
	}
	m.buckets[len(latencyBuckets)] += remaining
	mean := math.Exp(mu+sigma*sigma/2) + shift
	variance := (math.Exp(sigma*sigma) - 1) * math.Exp(2*mu+sigma*sigma)
	sum := n*mean + math.Sqrt(n*variance)*a.w.rng.NormFloat64()
	m.sum += math.Max(sum, n*shift)
	m.count += n

	// Every successful request is a payment received; a business failure loses some silently.
	m.paymentsReceived += ok
	lost := binomial(ok, eff.businessFailure, a.w)
	m.paymentsCompleted += ok - lost

	a.totals.Total += int64(n)
	a.totals.Failed += int64(faultErrs + baseErrs)
	if canary {
		a.totals.ServedByCanary += int64(n)
		a.totals.FailedOnCanary += int64(faultErrs + baseErrs)
	}
}

// binomial draws successes of n trials with probability p. Small n is drawn trial by trial and
// a large variance by the normal approximation (its error is far below the run's own noise);
// the rest goes to gonum's exact sampler.
func binomial(n, p float64, w *World) float64 {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	case n <= 32:
		k := 0.0
		for i := 0.0; i < n; i++ {
			if w.rng.Float64() < p {
				k++
			}
		}
		return k
	}
	if v := n * p * (1 - p); v >= 50 {
		k := math.Round(n*p + math.Sqrt(v)*w.rng.NormFloat64())
		return math.Min(n, math.Max(0, k))
	}
	return distuv.Binomial{N: n, P: p, Src: w.rng}.Rand()
}

// logNormalCDF is P(X <= x) for log X ~ N(mu, sigma).
func logNormalCDF(x, mu, sigma float64) float64 {
	if x <= 0 {
		return 0
	}
	return 0.5 * math.Erfc(-(math.Log(x)-mu)/(sigma*math.Sqrt2))
}
