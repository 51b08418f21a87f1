package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/canarydrill/canarydrill/conformance"
	"github.com/canarydrill/canarydrill/internal/argoref"
	"github.com/canarydrill/canarydrill/realapi"
	"github.com/canarydrill/canarydrill/runner"
	"github.com/canarydrill/canarydrill/scenarios"
)

// Formats of the conformance table.
const (
	conformanceText     = "text"
	conformanceMarkdown = "markdown"
)

func newConformanceCmd() *cobra.Command {
	var (
		timeScale float64
		tolerance time.Duration
		parallel  int
		seed      int64
		out       string
		format    string
	)
	cmd := &cobra.Command{
		Use:   "conformance [SCENARIO...]",
		Short: "Run scenarios under Argo Rollouts' released controller and ours on a real control plane, side by side",
		Long: `Run each scenario twice on the wall clock against a real kube-apiserver,
kube-controller-manager and etcd (as run --api real does): once with Argo Rollouts' released
controller (make e2e-argo builds it) and once with canarydrill's, and print, field by field,
what each did: outcome, final phase and message, the canary's weights, the AnalysisRuns with
their measurements, and when the canary was detected, aborted, cut off and scaled down.

Equal fields conform; timings conform within --tolerance of wall time; anything else is a
difference, unless the scenario declares it (spec.conformance.differs). Without SCENARIO, every
built-in that Argo Rollouts can run and that runs against a real API at --time-scale.

Exit codes: 0 every scenario conforms, 1 a difference, 2 invalid input (nothing run).`,
		Example: `  canarydrill conformance builtin:seed-good-canary builtin:seed-bad-canary-bake
  canarydrill conformance --format markdown > table.md`,
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			var probs []string
			if format != conformanceText && format != conformanceMarkdown {
				probs = append(probs, fmt.Sprintf("--format: %q is not one of text, markdown", format))
			}
			if err := realapi.Check(realapi.Options{TimeScale: timeScale}); err != nil {
				probs = append(probs, err.Error())
			}
			if tolerance < 0 {
				probs = append(probs, fmt.Sprintf("--tolerance: %s: want a duration of at least 0", tolerance))
			}
			if parallel < 1 {
				probs = append(probs, fmt.Sprintf("--parallel: %d: want at least 1", parallel))
			}
			if len(probs) > 0 {
				fmt.Fprintln(stderr, strings.Join(probs, "\n"))
				return exitError{runner.ExitBadInput}
			}
			scs, err := conformanceScenarios(args, timeScale)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{runner.ExitBadInput}
			}
			// The controllers' and client-go's logs would bury the table; errors reach the reports.
			ctrl.SetLogger(logr.Discard())
			klog.SetLogger(logr.Discard())
			o := conformance.Options{TimeScale: timeScale, Tolerance: tolerance, Parallel: parallel, Out: out}
			if cmd.Flags().Changed("seed") {
				o.Seed = &seed
			}
			pairs, err := conformance.Run(cmd.Context(), scs, o)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{runner.ExitBadInput}
			}
			results := make([]conformance.Result, len(pairs))
			code := runner.ExitOK
			for i, p := range pairs {
				results[i] = p.Result
				if !p.Result.Passed() {
					code = runner.ExitFailed
				}
			}
			write := conformance.WriteTable
			if format == conformanceMarkdown {
				write = conformance.WriteMarkdown
			}
			if err := write(cmd.OutOrStdout(), argoref.Version, results); err != nil {
				return err
			}
			if code != runner.ExitOK {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().Float64Var(&timeScale, "time-scale", 0.1, "multiply every duration by this (0 < F <= 1); times stay in scenario seconds")
	cmd.Flags().DurationVar(&tolerance, "tolerance", 1500*time.Millisecond, "how far apart on the wall clock two timings may be and conform")
	cmd.Flags().IntVar(&parallel, "parallel", 4, "scenarios run at once, each under both controllers")
	cmd.Flags().Int64Var(&seed, "seed", 0, "seed for every scenario (default: each scenario's spec.seed)")
	cmd.Flags().StringVar(&out, "out", "out/conformance", "folder for the reports: OUT/<controller>/<scenario>/report.json")
	cmd.Flags().StringVar(&format, "format", conformanceText, "table format: text|markdown")
	return cmd
}

// conformanceScenarios loads the named scenarios, refusing any that Argo's controller or the
// real API cannot run, or, without names, takes every built-in that both can.
func conformanceScenarios(refs []string, f float64) ([]*scenarios.Scenario, error) {
	explicit := len(refs) > 0
	if !explicit {
		for _, n := range scenarios.BuiltinNames() {
			refs = append(refs, "builtin:"+n)
		}
	}
	scs, err := runner.Load(refs)
	if err != nil {
		return nil, err
	}
	var keep []*scenarios.Scenario
	var probs scenarios.Problems
	for _, sc := range scs {
		why := append(conformance.Unsupported(sc), realapi.Unsupported(sc, f)...)
		switch {
		case len(why) == 0:
			keep = append(keep, sc)
		case explicit:
			probs = append(probs, why...)
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return keep, nil
}
