package sim

import (
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// z99 is the standard normal quantile at 0.99: p99 = p50 * exp(sigma * z99) for a log-normal.
const z99 = 2.3263478740408408

// podMetrics are the cumulative counters one app process has exported since it started; a
// container restart starts a new set from zero, as a new process does.
type podMetrics struct {
	// requests by HTTP status code.
	requests map[int]float64
	// buckets[i] counts requests with latency in (bounds[i-1], bounds[i]]; the last is +Inf.
	buckets []float64
	sum     float64 // seconds
	count   float64
	// payments received and completed (the business view of the same requests).
	paymentsReceived  float64
	paymentsCompleted float64
}

func newPodMetrics(nb int) *podMetrics {
	return &podMetrics{requests: map[int]float64{}, buckets: make([]float64, nb)}
}

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
	PaymentsReceived, PaymentsFailed              int64
}

// draw is what the requests one pod served in one interval came to. Its slices are the app's
// scratch space, valid until the next draw.
type draw struct {
	n float64
	// codes and counts: the status codes answered (fault code, 500, 200) and how many of each.
	codes  [3]int
	counts [3]float64
	// buckets are the requests per latency bucket of the run's bounds (not cumulative).
	buckets   []float64
	sum       float64 // seconds
	received  float64
	completed float64
	failed    float64
}

// app models the service's processes: each request's outcome and latency, drawn from the pod's
// version behaviour and the faults active on it.
type app struct {
	w       *World
	totals  RequestTotals
	scratch draw
	odds    map[latencyKey][]float64
}

func newApp(w *World) *app {
	return &app{w: w, scratch: draw{buckets: make([]float64, len(w.lat.bounds)+1)}, odds: map[latencyKey][]float64{}}
}

// serve draws the outcome of the requests one pod received in the interval starting at `at`
// (expected count lambda); faults are constant within an interval because every fault start and
// end closes one.
func (a *app) serve(p *pod, lambda float64, at time.Time, canary bool) {
	if lambda <= 0 {
		return
	}
	w := a.w
	n := poisson(lambda, w)
	if n == 0 {
		return
	}
	eff := w.faults.effects(p, at)
	d := &a.scratch
	d.n = n

	// Fault errors first, then the version's own error rate on what is left.
	faultErrs := binomial(n, eff.errorRate, w)
	baseErrs := binomial(n-faultErrs, *p.behaviour.ErrorRate, w)
	ok := n - faultErrs - baseErrs
	d.codes = [3]int{eff.errorCode, 500, 200}
	d.counts = [3]float64{faultErrs, baseErrs, ok}
	d.failed = faultErrs + baseErrs

	// Latency: log-normal through p50 and p99, then the latency fault's shift or factor.
	mu := math.Log(p.behaviour.Latency.P50.Seconds()) + math.Log(eff.latencyFactor)
	sigma := (math.Log(p.behaviour.Latency.P99.Seconds()) - math.Log(p.behaviour.Latency.P50.Seconds())) / z99
	shift := eff.latencyAdd.Seconds()
	clear(d.buckets)
	remaining := n
	for i, pb := range a.bucketOdds(mu, sigma, shift) {
		if pb <= 0 {
			continue
		}
		c := binomial(remaining, pb, w)
		d.buckets[i] = c
		remaining -= c
		if remaining == 0 || pb >= 1 {
			break
		}
	}
	d.buckets[len(w.lat.bounds)] += remaining
	mean := math.Exp(mu+sigma*sigma/2) + shift
	variance := (math.Exp(sigma*sigma) - 1) * math.Exp(2*mu+sigma*sigma)
	sum := n*mean + math.Sqrt(n*variance)*w.rng.NormFloat64()
	d.sum = math.Max(sum, n*shift)

	// Every successful request is a payment received; a business failure loses some silently.
	d.received = ok
	d.completed = ok - binomial(ok, eff.businessFailure, w)

	a.record(p, d)
	w.presets.served(p, d, canary)
	w.signals.add(at.Sub(w.clock.origin), d, canary)
	a.totals.Total += int64(n)
	a.totals.Failed += int64(d.failed)
	a.totals.PaymentsReceived += int64(d.received)
	a.totals.PaymentsFailed += int64(d.received - d.completed)
	if canary {
		a.totals.ServedByCanary += int64(n)
		a.totals.FailedOnCanary += int64(d.failed)
	}
}

// latencyKey names one latency distribution: a version's, shifted or scaled by faults.
type latencyKey struct{ mu, sigma, shift float64 }

// bucketOdds are, for each latency bucket, the probability that a request not in an earlier
// bucket falls in it: drawing the buckets one after another with these is a multinomial draw.
// A run has a handful of distributions, so they are computed once each.
func (a *app) bucketOdds(mu, sigma, shift float64) []float64 {
	k := latencyKey{mu, sigma, shift}
	if odds, ok := a.odds[k]; ok {
		return odds
	}
	odds := make([]float64, len(a.w.lat.bounds))
	below := 0.0
	for i, le := range a.w.lat.bounds {
		cdf := logNormalCDF(le-shift, mu, sigma)
		if cdf > below && below < 1 {
			odds[i] = math.Min(1, (cdf-below)/(1-below))
			below = cdf
		}
	}
	a.odds[k] = odds
	return odds
}

// record adds a draw to the pod's app counters.
func (a *app) record(p *pod, d *draw) {
	if p.metrics == nil {
		p.metrics = newPodMetrics(len(d.buckets))
	}
	m := p.metrics
	for i, c := range d.counts {
		if c > 0 {
			m.requests[d.codes[i]] += c
		}
	}
	for i, c := range d.buckets {
		m.buckets[i] += c
	}
	m.sum += d.sum
	m.count += d.n
	m.paymentsReceived += d.received
	m.paymentsCompleted += d.completed
}

// poisson draws a Poisson count; large means by the normal approximation, whose error is far
// below the run's own noise and which costs one draw instead of gonum's rejection loop.
func poisson(lambda float64, w *World) float64 {
	if lambda >= 500 {
		return math.Max(0, math.Round(lambda+math.Sqrt(lambda)*w.rng.NormFloat64()))
	}
	return distuv.Poisson{Lambda: lambda, Src: w.rng}.Rand()
}

// binomial draws successes of n trials with probability p: small n trial by trial, a large
// variance by the normal approximation (its error is far below the run's own noise), the rest
// exactly by inverting the distribution function (one uniform and about n*p steps).
func binomial(n, p float64, w *World) float64 {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	case n <= 16:
		k := 0.0
		for i := 0.0; i < n; i++ {
			if w.rng.Float64() < p {
				k++
			}
		}
		return k
	case p > 0.5:
		return n - binomial(n, 1-p, w)
	}
	if v := n * p * (1 - p); v >= 50 {
		k := math.Round(n*p + math.Sqrt(v)*w.rng.NormFloat64())
		return math.Min(n, math.Max(0, k))
	}
	return binomialInversion(n, p, w) // mean under 100: at most a few hundred cheap steps
}

// binomialInversion walks the binomial's probabilities from 0 until they pass a uniform draw:
// exact, and cheap while the mean is small (p <= 0.5).
func binomialInversion(n, p float64, w *World) float64 {
	q := 1 - p
	r := p / q
	f := math.Pow(q, n) // P(X = 0)
	u := w.rng.Float64()
	k := 0.0
	for u > f && k < n {
		u -= f
		f *= r * (n - k) / (k + 1)
		k++
	}
	return k
}

// logNormalCDF is P(X <= x) for log X ~ N(mu, sigma).
func logNormalCDF(x, mu, sigma float64) float64 {
	if x <= 0 {
		return 0
	}
	return 0.5 * math.Erfc(-(math.Log(x)-mu)/(sigma*math.Sqrt2))
}
