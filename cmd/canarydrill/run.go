package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/runner"
)

func newRunCmd() *cobra.Command {
	var (
		seed   int64
		out    string
		format string
		api    string
	)
	cmd := &cobra.Command{
		Use:   "run SCENARIO...",
		Short: "Run scenarios (files or builtin:NAME) in virtual time and write their reports",
		Long: `Run each scenario and print a summary. Reports go to OUT/<scenario-name>/report.json,
plus the --format file when it is not text.

Exit codes: 0 every expectation held, 1 an expectation failed, 2 invalid input (nothing run).`,
		Example: `  canarydrill run builtin:seed-bad-canary
  canarydrill run my-scenario.yaml --seed 7 --format json --out reports`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			if !slices.Contains(reports.Formats, format) {
				fmt.Fprintf(stderr, "--format: %q is not one of %s\n", format, strings.Join(reports.Formats, ", "))
				return exitError{runner.ExitBadInput}
			}
			if api != "memory" {
				fmt.Fprintf(stderr, "--api: %q: only the in-memory API (memory) is available in this build; --api real needs the real control plane\n", api)
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
			code := runner.ExitOK
			var all []*reports.Report
			for _, sc := range scs {
				res, err := runner.Run(cmd.Context(), sc, o)
				if err != nil {
					fmt.Fprintln(stderr, err)
					return exitError{runner.ExitBadInput}
				}
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
	cmd.Flags().StringVar(&api, "api", "memory", "Kubernetes API: memory (virtual time) or real")
	return cmd
}
