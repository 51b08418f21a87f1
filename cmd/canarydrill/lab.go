package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/canarydrill/canarydrill/drill"
	"github.com/canarydrill/canarydrill/lab"
	"github.com/canarydrill/canarydrill/runner"
)

func newLabCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "The seed's hands-on exercise as guided live drills: list the exercises, or run one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			for _, ex := range lab.Exercises() {
				fmt.Fprintf(out, "%d  %s (the seed's %s)\n", ex.N, ex.Title, ex.Steps)
				fmt.Fprintf(out, "   type: %s\n", strings.Join(ex.Commands, "\n         "))
				fmt.Fprintf(out, "   done when: %s\n", strings.Join(ex.Completed, "; "))
			}
			fmt.Fprintln(out, "\nThe seed's last check, \"You can explain the difference between background and inline analysis\",")
			fmt.Fprintln(out, "is a comparison to run: canarydrill run builtin:lesson-inline-analysis-only builtin:lesson-background-analysis")
			fmt.Fprintln(out, "\nRun one with: canarydrill lab run N [--time-scale F]")
			return nil
		},
	}
	var timeScale float64
	run := &cobra.Command{
		Use:   "run N",
		Short: "Run exercise N live on loopback; type the seed's commands at the lab> prompt",
		Long: `Run exercise N as a live drill on 127.0.0.1 (the controller, demoapp processes, vegeta
load) and take kubectl argo rollouts commands at the lab> prompt, against the drill's API.
The exercise ends when the seed's "you have completed this exercise when" lines hold, at quit,
or at the end of the input.

Exit codes: 0 the exercise was completed, 1 it was not, 2 invalid input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			n, err := strconv.Atoi(args[0])
			if err == nil {
				_, err = lab.Get(n)
			}
			if err != nil {
				fmt.Fprintf(stderr, "lab run: %v\n", err)
				return exitError{runner.ExitBadInput}
			}
			if timeScale <= 0 || timeScale > 1 {
				fmt.Fprintf(stderr, "--time-scale: %g is not in (0, 1]\n", timeScale)
				return exitError{runner.ExitBadInput}
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			defer drill.TuneGC()()
			res, err := lab.Run(cmd.Context(), n, cmd.InOrStdin(), cmd.OutOrStdout(), lab.Options{
				TimeScale: timeScale, PodCommand: []string{self, "drill", podCommand},
			})
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{runner.ExitBadInput}
			}
			if !res.Completed {
				return exitError{runner.ExitFailed}
			}
			return nil
		},
	}
	run.Flags().Float64Var(&timeScale, "time-scale", 1, "wall time per scenario time: 0.5 runs the exercise twice as fast")
	cmd.AddCommand(run)
	return cmd
}
