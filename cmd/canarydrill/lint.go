package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/canarydrill/canarydrill/lint"
)

// Output formats of `canarydrill lint`.
const (
	lintFormatText = "text"
	lintFormatJSON = "json"
)

func newLintCmd() *cobra.Command {
	var (
		strict bool
		format string
	)
	cmd := &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check Rollouts, AnalysisTemplates and scenarios without running them",
		Long: `Check Argo Rollouts objects (Rollout, AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun)
and scenario files: schema, Argo Rollouts' validation rules, every condition compiled, every
PromQL query parsed, every {{args.x}} declared, every referenced template present, and the
well-known traps. Plain manifest files are linted together (a Rollout finds its templates in
any of them); a scenario is linted with its own manifests. FILE may be builtin:NAME.

Findings go to stderr, one per line: FILE: Kind/name: field.path: message (error|warning).
With --format json the report goes to stdout instead.

Exit codes: 0 no errors (warnings are printed but do not fail, unless --strict), 1 errors found,
2 unreadable input.`,
		Example: `  canarydrill lint rollout.yaml analysis-template.yaml
  canarydrill lint --strict --format json scenarios/*.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			if format != lintFormatText && format != lintFormatJSON {
				fmt.Fprintf(stderr, "--format: %q is not one of text, json\n", format)
				return exitError{lint.ExitUnreadable}
			}
			report, err := lint.Files(args)
			var re *lint.ReadError
			if errors.As(err, &re) {
				for _, p := range re.Problems {
					fmt.Fprintln(stderr, p)
				}
				return exitError{lint.ExitUnreadable}
			}
			if err != nil {
				return err
			}
			if format == lintFormatJSON {
				err = report.WriteJSON(cmd.OutOrStdout())
			} else {
				err = report.WriteText(stderr)
			}
			if err != nil {
				return err
			}
			if code := report.ExitCode(strict); code != lint.ExitOK {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "fail (exit 1) on warnings too")
	cmd.Flags().StringVar(&format, "format", lintFormatText, "output: text (findings on stderr) or json (report on stdout)")
	return cmd
}
