package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/canarydrill/canarydrill/matrix"
	"github.com/canarydrill/canarydrill/runner"
)

func newMatrixCmd() *cobra.Command {
	var (
		seeds     int
		firstSeed int64
		sets      []string
		baseline  bool
		maxFP     float64
		workers   int
		format    string
		out       string
	)
	cmd := &cobra.Command{
		Use:   "matrix SCENARIO --seeds N [--set PATH=V1,V2 ...]",
		Short: "Run a scenario over many seeds and policy variants; tabulate detection, rollback, blast radius and error rates",
		Long: `Run SCENARIO (a file or builtin:NAME) with seeds FIRST..FIRST+N-1 for every combination of
the --set values, in parallel on the available cores, and print for each variant: the outcomes,
detection and rollback time after the fault (p50/p90/max), user-facing errors (blast radius),
the missed-failure rate and, with the scenario's healthy twin (--baseline-healthy, or a healthy:
block in the scenario), the false-positive rate, each with a 95% Wilson interval; and a
recommendation. Writes OUT/<scenario-name>/matrix.json and matrix.md.

A --set PATH is KIND.NAME.FIELD: an object of the scenario's manifests by kind (lower camel case)
and name, then a JSON field path with [index] or [field=value] list selectors; or
scenario.FIELD for the scenario file itself. Examples:
  analysisTemplate.success-rate.spec.metrics[0].failureLimit=0,1,3
  analysisTemplate.success-rate.spec.metrics[name=success-rate].interval=30s,1m
  rollout.my-app.spec.strategy.canary.steps[0].setWeight=5,20
  scenario.spec.traffic.rps=50,500

Exit codes: 0 done, 2 invalid input (nothing run).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			var probs []string
			if seeds <= 0 {
				probs = append(probs, "--seeds: must be a positive number of seeds")
			}
			if !slices.Contains(matrix.Formats, format) {
				probs = append(probs, fmt.Sprintf("--format: %q is not one of %s", format, strings.Join(matrix.Formats, ", ")))
			}
			if maxFP < 0 || maxFP > 1 {
				probs = append(probs, "--max-false-positive: a fraction between 0 and 1")
			}
			o := matrix.Options{Seeds: seeds, FirstSeed: firstSeed, Baseline: baseline, MaxFalsePositive: maxFP, Workers: workers}
			for _, s := range sets {
				set, err := matrix.ParseSet(s)
				if err != nil {
					probs = append(probs, err.Error())
					continue
				}
				o.Sets = append(o.Sets, set)
			}
			scs, err := runner.Load(args)
			if err != nil {
				probs = append(probs, err.Error())
			}
			if len(probs) > 0 {
				fmt.Fprintln(stderr, strings.Join(probs, "\n"))
				return exitError{runner.ExitBadInput}
			}
			if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				o.Progress = progressBar(f)
			}
			res, err := matrix.Run(cmd.Context(), scs[0], o)
			if o.Progress != nil {
				fmt.Fprint(stderr, "\r\033[K")
			}
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", args[0], err)
				return exitError{runner.ExitBadInput}
			}
			if err := matrix.Render(cmd.OutOrStdout(), res, format); err != nil {
				return err
			}
			dir := filepath.Join(out, res.Scenario)
			for name, f := range map[string]string{"matrix.json": matrix.FormatJSON, "matrix.md": matrix.FormatMarkdown} {
				var b bytes.Buffer
				if err := matrix.Render(&b, res, f); err != nil {
					return err
				}
				if err := runner.WriteFile(filepath.Join(dir, name), b.Bytes()); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&seeds, "seeds", 0, "seeds per variant (required)")
	cmd.Flags().Int64Var(&firstSeed, "first-seed", 1, "the first seed")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "PATH=V1,V2,...: a policy dimension (repeatable; variants are every combination)")
	cmd.Flags().BoolVar(&baseline, "baseline-healthy", false, "also run each variant's healthy twin, for the false-positive rate")
	cmd.Flags().Float64Var(&maxFP, "max-false-positive", 0.01, "the false-positive rate a recommended variant may have")
	cmd.Flags().IntVar(&workers, "workers", 0, "parallel simulations (default: the available cores)")
	cmd.Flags().StringVar(&format, "format", matrix.FormatTable, "output: "+strings.Join(matrix.Formats, "|"))
	cmd.Flags().StringVar(&out, "out", "out", "folder for matrix.json and matrix.md")
	return cmd
}

// progressBar redraws one line on the terminal: runs done of the total.
func progressBar(f *os.File) func(done, total int) {
	return func(done, total int) {
		const width = 30
		n := done * width / total
		fmt.Fprintf(f, "\r[%s%s] %d/%d runs", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
	}
}
