package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/canarydrill/canarydrill/realapi"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/runner"
	"github.com/canarydrill/canarydrill/scenarios"
)

func newRunCmd() *cobra.Command {
	var (
		seed       int64
		out        string
		format     string
		api        string
		timeScale  float64
		controller string
		parallel   int
	)
	cmd := &cobra.Command{
		Use:   "run SCENARIO...",
		Short: "Run scenarios (files or builtin:NAME) in virtual time, or on a real control plane, and write their reports",
		Long: `Run each scenario and print a summary. Reports go to OUT/<scenario-name>/report.json,
plus the --format file when it is not text.

With --api real the scenarios run on the wall clock against a real kube-apiserver,
kube-controller-manager and etcd started on loopback for the run (make e2e-controlplane builds
them), with the controller under test (--controller canarydrill or argo), every duration
multiplied by --time-scale, up to --parallel at once, each in a namespace of its own.

Exit codes: 0 every expectation held, 1 an expectation failed, 2 invalid input (nothing run).`,
		Example: `  canarydrill run builtin:seed-bad-canary
  canarydrill run my-scenario.yaml --seed 7 --format json --out reports
  canarydrill run --api real --time-scale 0.1 builtin:seed-good-canary builtin:seed-bad-canary-bake`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			if !slices.Contains(reports.Formats, format) {
				fmt.Fprintf(stderr, "--format: %q is not one of %s\n", format, strings.Join(reports.Formats, ", "))
				return exitError{runner.ExitBadInput}
			}
			ro := realapi.Options{Controller: controller, TimeScale: timeScale}
			switch api {
			case "memory":
				for _, f := range []string{"time-scale", "controller", "parallel"} {
					if cmd.Flags().Changed(f) {
						fmt.Fprintf(stderr, "--%s: only with --api real\n", f)
						return exitError{runner.ExitBadInput}
					}
				}
			case realapi.APIReal:
				if err := realapi.Check(ro); err != nil {
					fmt.Fprintln(stderr, err)
					return exitError{runner.ExitBadInput}
				}
				if parallel < 1 {
					fmt.Fprintf(stderr, "--parallel: %d: want at least 1\n", parallel)
					return exitError{runner.ExitBadInput}
				}
			default:
				fmt.Fprintf(stderr, "--api: %q is not one of memory, real\n", api)
				return exitError{runner.ExitBadInput}
			}
			scs, err := runner.Load(args)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{runner.ExitBadInput}
			}
			o := runner.Options{Out: out, Formats: []string{format}}
			if cmd.Flags().Changed("seed") {
				o.Seed = &seed
			}
			if api == realapi.APIReal {
				// Every scenario must run there (and scale) before anything starts.
				var probs scenarios.Problems
				for _, sc := range scs {
					probs = append(probs, realapi.Unsupported(sc, timeScale)...)
				}
				if len(probs) > 0 {
					fmt.Fprintln(stderr, probs)
					return exitError{runner.ExitBadInput}
				}
				// The controller's and client-go's logs would bury the summary; errors reach the report.
				ctrl.SetLogger(logr.Discard())
				klog.SetLogger(logr.Discard())
				env, err := realapi.Start(cmd.Context(), ro)
				if err != nil {
					fmt.Fprintln(stderr, err)
					return exitError{runner.ExitBadInput}
				}
				defer env.Stop()
				o.Simulate = env.Run
			} else {
				parallel = 1
			}
			results, err := runAll(cmd.Context(), scs, o, parallel)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{runner.ExitBadInput}
			}
			code := runner.ExitOK
			var all []*reports.Report
			for _, res := range results {
				all = append(all, res.Report)
				// JUnit is one document for the whole run: CI reads one file.
				if format != reports.FormatJUnit {
					if err := reports.Render(cmd.OutOrStdout(), res.Report, format); err != nil {
						return err
					}
				}
				if !res.Report.Passed {
					code = runner.ExitFailed
				}
			}
			if format == reports.FormatJUnit {
				if err := reports.JUnit(cmd.OutOrStdout(), all...); err != nil {
					return err
				}
			}
			if code != runner.ExitOK {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&seed, "seed", 0, "seed for every scenario (default: each scenario's spec.seed)")
	cmd.Flags().StringVar(&out, "out", "out", "folder for the reports")
	cmd.Flags().StringVar(&format, "format", reports.FormatText, "summary format: "+strings.Join(reports.Formats, "|"))
	cmd.Flags().StringVar(&api, "api", "memory", "Kubernetes API: memory (virtual time) or real (a control plane on loopback, wall clock)")
	cmd.Flags().Float64Var(&timeScale, "time-scale", 1, "with --api real: multiply every duration by this (0 < F <= 1); report times stay in scenario seconds")
	cmd.Flags().StringVar(&controller, "controller", realapi.ControllerCanarydrill, "with --api real: the controller under test, canarydrill or argo (Argo Rollouts v1.9.1, make e2e-argo)")
	cmd.Flags().IntVar(&parallel, "parallel", 4, "with --api real: scenarios run at once")
	return cmd
}

// runAll runs the scenarios, up to parallel at once, and returns their results in order; the
// first error stops the ones not started.
func runAll(ctx context.Context, scs []*scenarios.Scenario, o runner.Options, parallel int) ([]*runner.Result, error) {
	results := make([]*runner.Result, len(scs))
	errs := make([]error, len(scs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, sc := range scs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i], errs[i] = runner.Run(ctx, sc, o)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		if results[i] == nil {
			return nil, ctx.Err()
		}
	}
	return results, nil
}
