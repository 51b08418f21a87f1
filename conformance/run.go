package conformance

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/canarydrill/canarydrill/realapi"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/runner"
	"github.com/canarydrill/canarydrill/scenarios"
)

// weightHold is how long, on the wall clock, a canary share must last to count as a step: a pod
// here goes from created to ready in well under a second, a step's weight lasts longer.
const weightHold = time.Second

// Options configure Run.
type Options struct {
	// TimeScale shortens every scenario (scenarios.Scale); 0 means 1.
	TimeScale float64
	// Tolerance is how far apart, on the wall clock, two timings may be and still conform.
	Tolerance time.Duration
	// Parallel is how many scenarios run at once (each under both controllers); 0 means 1.
	Parallel int
	// Seed overrides every scenario's seed when set.
	Seed *int64
	// Out gets OUT/<controller>/<scenario>/report.json; empty writes nothing.
	Out string
}

// Pair is one scenario under both controllers and how they compare.
type Pair struct {
	Scenario   *scenarios.Scenario
	Argo, Ours *reports.Report
	Result     Result
}

// Run starts a control plane for each controller (their CRD sets cannot share one), runs every
// scenario under both at the same time with the same seed, and compares the reports.
func Run(ctx context.Context, scs []*scenarios.Scenario, o Options) ([]Pair, error) {
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	envs, err := startBoth(ctx, o.TimeScale)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, e := range envs {
			_ = e.Stop()
		}
	}()
	pairs := make([]Pair, len(scs))
	errs := make([]error, 2*len(scs))
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, sc := range scs {
		sem <- struct{}{}
		pairs[i].Scenario = sc
		var pw sync.WaitGroup
		for j, e := range envs {
			pw.Go(func() {
				ro := runner.Options{Seed: o.Seed, Simulate: e.Run, Out: filepath.Join(o.Out, e.Controller())}
				res, err := runOne(ctx, sc, ro, o.Out != "")
				if err != nil {
					errs[2*i+j] = fmt.Errorf("%s's controller: %w", e.Controller(), err)
					return
				}
				if e.Controller() == realapi.ControllerArgo {
					pairs[i].Argo = res
				} else {
					pairs[i].Ours = res
				}
			})
		}
		wg.Go(func() {
			defer func() { <-sem }()
			pw.Wait()
			if pairs[i].Argo == nil || pairs[i].Ours == nil {
				return
			}
			declared := ""
			if c := sc.Spec.Conformance; c != nil {
				declared = c.Differs
			}
			lim := Limits{Tolerance: o.Tolerance.Seconds() / o.TimeScale, Hold: weightHold.Seconds() / o.TimeScale}
			pairs[i].Result = Compare(pairs[i].Argo, pairs[i].Ours, lim, declared)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return pairs, nil
}

// runOne runs a scenario, writing its reports when write is set.
func runOne(ctx context.Context, sc *scenarios.Scenario, ro runner.Options, write bool) (*reports.Report, error) {
	if write {
		res, err := runner.Run(ctx, sc, ro)
		if err != nil {
			return nil, err
		}
		return res.Report, nil
	}
	seed := sc.SeedOr(scenarios.DefaultSeed)
	if ro.Seed != nil {
		seed = *ro.Seed
	}
	return ro.Simulate(ctx, sc, seed)
}

// startBoth starts Argo's environment and ours at once; index 0 is Argo's.
func startBoth(ctx context.Context, f float64) ([]*realapi.Env, error) {
	controllers := []string{realapi.ControllerArgo, realapi.ControllerCanarydrill}
	envs := make([]*realapi.Env, len(controllers))
	errs := make([]error, len(controllers))
	var wg sync.WaitGroup
	for i, c := range controllers {
		wg.Go(func() { envs[i], errs[i] = realapi.Start(ctx, realapi.Options{Controller: c, TimeScale: f}) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, e := range envs {
			if e != nil {
				_ = e.Stop()
			}
		}
		return nil, err
	}
	return envs, nil
}
