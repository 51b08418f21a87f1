// Package matrix runs a scenario over many seeds and policy variants and summarises how each variant detects, rolls back, and errs.
package matrix

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// Options say what to run.
type Options struct {
	// Seeds is how many seeds each variant runs, from FirstSeed on.
	Seeds     int
	FirstSeed int64
	// Sets are the policy dimensions; the variants are every combination of their values.
	Sets []Set
	// Baseline runs the healthy twin of every variant too (also when the scenario has a
	// healthy: block), for the false-positive rate.
	Baseline bool
	// MaxFalsePositive bounds the false-positive rate of a recommended variant.
	MaxFalsePositive float64
	// Workers run simulations in parallel (default: GOMAXPROCS). Results do not depend on it.
	Workers int
	// Progress, when set, is called after each run with the runs done and the total; calls are
	// serialised.
	Progress func(done, total int)
}

// Result is the matrix: one row per variant.
type Result struct {
	Scenario         string    `json:"scenario"`
	Seeds            int       `json:"seeds"`
	FirstSeed        int64     `json:"firstSeed"`
	Sets             []Set     `json:"sets,omitempty"`
	Baseline         bool      `json:"baseline"`
	MaxFalsePositive float64   `json:"maxFalsePositive"`
	Variants         []Variant `json:"variants"`
	Recommendation   string    `json:"recommendation"`
	// Recommended indexes Variants (-1: none qualifies).
	Recommended int `json:"recommended"`
}

// Variant is what one combination of settings did over the seeds.
type Variant struct {
	Name     string         `json:"name"`
	Settings []Setting      `json:"settings,omitempty"`
	Runs     int            `json:"runs"`
	Outcomes map[string]int `json:"outcomes"`
	// Detection and Rollback are seconds after the fault, over the runs where they happened.
	Detection Dist `json:"detectionSeconds"`
	Rollback  Dist `json:"rollbackSeconds"`
	// UserErrors is the blast radius: failed requests served to users in each run.
	UserErrors Dist `json:"userErrors"`
	// Missed are the runs of the bad release that no analysis ever flagged.
	Missed Rate `json:"missedFailure"`
	// FalsePositive are the healthy twin's runs that an analysis failed or that were rolled
	// back (nil without a healthy twin).
	FalsePositive *Rate `json:"falsePositive,omitempty"`
	// Failed are runs whose scenario expectations did not all hold.
	ExpectationsFailed int `json:"expectationsFailed"`
}

// job is one simulation: a variant, a seed, the bad scenario or its healthy twin.
type job struct {
	variant int
	seed    int64
	healthy bool
	sc      *scenarios.Scenario
	out     *reports.Report
	err     error
}

// Run runs every variant over the seeds (and the healthy twins) in parallel and summarises.
func Run(ctx context.Context, sc *scenarios.Scenario, o Options) (*Result, error) {
	if o.Seeds <= 0 {
		return nil, fmt.Errorf("--seeds: must be positive")
	}
	combos := combinations(o.Sets)
	baseline := o.Baseline || sc.Spec.Healthy != nil
	var jobs []*job
	res := &Result{Scenario: sc.Metadata.Name, Seeds: o.Seeds, FirstSeed: o.FirstSeed, Sets: o.Sets,
		Baseline: baseline, MaxFalsePositive: o.MaxFalsePositive, Recommended: -1}
	for vi, settings := range combos {
		bad, err := Apply(sc, settings)
		if err != nil {
			return nil, err
		}
		var twin *scenarios.Scenario
		if baseline {
			if twin, err = Apply(Healthy(sc), settings); err != nil {
				return nil, fmt.Errorf("healthy twin: %w", err)
			}
		}
		res.Variants = append(res.Variants, Variant{Name: variantName(settings, o.Sets), Settings: settings})
		for i := 0; i < o.Seeds; i++ {
			seed := o.FirstSeed + int64(i)
			jobs = append(jobs, &job{variant: vi, seed: seed, sc: bad})
			if twin != nil {
				jobs = append(jobs, &job{variant: vi, seed: seed, healthy: true, sc: twin})
			}
		}
	}
	if err := runAll(ctx, jobs, o); err != nil {
		return nil, err
	}
	summarise(res, jobs)
	recommend(res)
	return res, nil
}

// runAll runs the jobs on a pool of workers. Each simulation is single-threaded and writes only
// its own job, so the results are the same whatever the number of workers.
func runAll(ctx context.Context, jobs []*job, o Options) error {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan *job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j.out, j.err = sim.Run(ctx, j.sc, j.seed)
				if o.Progress != nil {
					mu.Lock()
					done++
					o.Progress(done, len(jobs))
					mu.Unlock()
				}
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, j := range jobs {
		if j.err != nil {
			return fmt.Errorf("%s seed %d: %w", j.sc.Metadata.Name, j.seed, j.err)
		}
	}
	return nil
}

func summarise(res *Result, jobs []*job) {
	type acc struct {
		det, rb, errs      []float64
		missed, bad        int
		fp, healthy        int
		outcomes           map[string]int
		expectationsFailed int
	}
	accs := make([]acc, len(res.Variants))
	for i := range accs {
		accs[i].outcomes = map[string]int{}
	}
	for _, j := range jobs {
		a, r := &accs[j.variant], j.out
		if j.healthy {
			a.healthy++
			if r.DetectedAt != nil || r.Outcome == scenarios.OutcomeRolledBack {
				a.fp++
			}
			continue
		}
		a.bad++
		a.outcomes[r.Outcome]++
		if r.DetectionSeconds != nil {
			a.det = append(a.det, *r.DetectionSeconds)
		}
		if r.DetectedAt == nil {
			a.missed++
		}
		if r.RollbackSeconds != nil {
			a.rb = append(a.rb, *r.RollbackSeconds)
		}
		a.errs = append(a.errs, float64(r.Requests.Failed))
		if !r.Passed {
			a.expectationsFailed++
		}
	}
	for i := range res.Variants {
		v, a := &res.Variants[i], accs[i]
		v.Runs, v.Outcomes = a.bad, a.outcomes
		v.Detection, v.Rollback, v.UserErrors = dist(a.det), dist(a.rb), dist(a.errs)
		v.Missed = wilson(a.missed, a.bad)
		v.ExpectationsFailed = a.expectationsFailed
		if res.Baseline {
			fp := wilson(a.fp, a.healthy)
			v.FalsePositive = &fp
		}
	}
}

// recommend names the variant with the smallest blast radius (median user errors, then p90,
// then detection p90) whose false-positive rate stays within the bound.
func recommend(res *Result) {
	best := -1
	for i, v := range res.Variants {
		if v.FalsePositive != nil && v.FalsePositive.Rate > res.MaxFalsePositive {
			continue
		}
		if best < 0 || less(v, res.Variants[best]) {
			best = i
		}
	}
	res.Recommended = best
	switch {
	case best < 0:
		res.Recommendation = fmt.Sprintf("no variant keeps false positives at or under %s; loosen the policy or add seeds", pct(res.MaxFalsePositive))
	default:
		v := res.Variants[best]
		s := fmt.Sprintf("%s: the smallest blast radius (median %s failed requests)", v.Name, num(v.UserErrors.P50))
		if v.FalsePositive != nil {
			s += fmt.Sprintf(" with false positives %d/%d (95%% CI %s-%s, bound %s)", v.FalsePositive.Count, v.FalsePositive.N,
				pct(v.FalsePositive.Low), pct(v.FalsePositive.High), pct(res.MaxFalsePositive))
		} else {
			s += "; false positives unknown (run with --baseline-healthy or give the scenario a healthy: block)"
		}
		res.Recommendation = s
	}
}

func less(a, b Variant) bool {
	for _, p := range [][2]*float64{{a.UserErrors.P50, b.UserErrors.P50}, {a.UserErrors.P90, b.UserErrors.P90}, {a.Detection.P90, b.Detection.P90}} {
		x, y := deref(p[0]), deref(p[1])
		if x != y {
			return x < y
		}
	}
	return false
}

func deref(p *float64) float64 {
	if p == nil {
		return 1e300
	}
	return *p
}

// combinations is the cartesian product of the sets' values, in the order given.
func combinations(sets []Set) [][]Setting {
	out := [][]Setting{nil}
	for _, s := range sets {
		var next [][]Setting
		for _, prefix := range out {
			for _, v := range s.Values {
				c := append(append([]Setting(nil), prefix...), Setting{Path: s.Path, Value: v})
				next = append(next, c)
			}
		}
		out = next
	}
	return out
}

// variantName is short: each setting by its last field, unless two sets share it.
func variantName(settings []Setting, sets []Set) string {
	if len(settings) == 0 {
		return "as written"
	}
	last := func(p string) string {
		parts, _ := parsePath(p)
		return parts[len(parts)-1]
	}
	count := map[string]int{}
	for _, s := range sets {
		count[last(s.Path)]++
	}
	var parts []string
	for _, s := range settings {
		name := last(s.Path)
		if count[name] > 1 {
			name = s.Path
		}
		parts = append(parts, name+"="+s.Value)
	}
	return strings.Join(parts, " ")
}

func describe(settings []Setting) string {
	var parts []string
	for _, s := range settings {
		parts = append(parts, s.Path+"="+s.Value)
	}
	return strings.Join(parts, ", ")
}
