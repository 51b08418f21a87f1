package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/canarydrill/canarydrill/demoapp"
	"github.com/canarydrill/canarydrill/drill"
	"github.com/canarydrill/canarydrill/kindcluster"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/runner"
)

// podCommand is the hidden subcommand the drill runs as each pod's container: this binary is
// the demo service too, so a drill needs nothing else installed.
const podCommand = "__pod"

func newDrillCmd() *cobra.Command {
	var (
		seed       int64
		out        string
		format     string
		api        string
		timeScale  float64
		cluster    string
		controller string
	)
	cmd := &cobra.Command{
		Use:   "drill SCENARIO",
		Short: "Run a scenario live: wall-clock time, demoapp processes as pods, vegeta load through a router, on loopback",
		Long: `Run one scenario as a live drill on 127.0.0.1: the same controller on the wall clock, each pod a
demoapp process with its version's behaviour and the scenario's faults, a router splitting vegeta's
load between stable and canary as the controller's objects say, fakeprom scraping every pod.
Writes OUT/<scenario-name>/report.json (times in seconds of the scenario; with --time-scale
they are wall seconds divided by the scale) with vegeta's figures under "load" and "windows".

With --api real the controller under test (ours, or Argo Rollouts' with --controller argo)
reconciles on a kube-apiserver, kube-controller-manager and etcd started on loopback (make
e2e-controlplane), and the pods kube-controller-manager makes are the demoapp processes.

Exit codes: 0 every expectation held, 1 an expectation failed or the drill was interrupted,
2 invalid input (nothing run).`,
		Example: `  canarydrill drill builtin:drill-seed-bad-canary
  canarydrill drill builtin:drill-seed-good-canary --time-scale 0.25 --format html
  canarydrill drill builtin:drill-seed-bad-canary --api real --controller argo --time-scale 0.5`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			if !slices.Contains(reports.Formats, format) {
				fmt.Fprintf(stderr, "--format: %q is not one of %s\n", format, strings.Join(reports.Formats, ", "))
				return exitError{runner.ExitBadInput}
			}
			scs, err := runner.Load(args)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{runner.ExitBadInput}
			}
			if cluster != "" {
				// Everything on kind starts with a Docker daemon: say at once when there is none.
				if err := kindcluster.Preflight(cmd.Context()); err != nil {
					fmt.Fprintln(stderr, err)
					return exitError{runner.ExitFailed}
				}
				fmt.Fprintf(stderr, "drill --cluster %s: a drill on kind (pods as the cluster's containers, load through a port-forward) is not in this build; --api real runs it on a real control plane on loopback\n", cluster)
				return exitError{runner.ExitFailed}
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			o := drill.Options{TimeScale: timeScale, API: api, Controller: controller, PodCommand: []string{self, "drill", podCommand}}
			if cmd.Flags().Changed("seed") {
				o.Seed = &seed
			}
			if err := drill.Check(scs[0], o); err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{runner.ExitBadInput}
			}
			if api == drill.APIReal {
				// The controller's and client-go's logs would bury the progress line and the summary.
				ctrl.SetLogger(logr.Discard())
				klog.SetLogger(logr.Discard())
			}
			if isTerminal(stderr) {
				o.OnProgress = func(p drill.Progress) { fmt.Fprint(stderr, "\r\033[K"+progressLine(p)) }
			}
			defer drill.TuneGC()() // the router and vegeta time requests in this process
			res, err := drill.Run(cmd.Context(), scs[0], o)
			if o.OnProgress != nil {
				fmt.Fprint(stderr, "\r\033[K")
			}
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{runner.ExitBadInput}
			}
			if err := writeReport(res.Report, out, format); err != nil {
				return err
			}
			if err := reports.Render(cmd.OutOrStdout(), res.Report, format); err != nil {
				return err
			}
			if res.Interrupted {
				fmt.Fprintln(stderr, "drill interrupted: every process and port it opened is closed")
			}
			if !res.Report.Passed {
				return exitError{runner.ExitFailed}
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&seed, "seed", 0, "seed (default: the scenario's spec.seed)")
	cmd.Flags().StringVar(&out, "out", "out", "folder for the reports")
	cmd.Flags().StringVar(&format, "format", reports.FormatText, "summary format: "+strings.Join(reports.Formats, "|"))
	cmd.Flags().StringVar(&api, "api", drill.APIMemory, "Kubernetes API: memory (the in-memory API on the wall clock) or real (a control plane on loopback, make e2e-controlplane)")
	cmd.Flags().StringVar(&controller, "controller", "", "with --api real: the controller under test, canarydrill (default) or argo (Argo Rollouts v1.9.1, make e2e-argo)")
	cmd.Flags().Float64Var(&timeScale, "time-scale", 1, "wall time per scenario time: 0.25 runs the drill four times faster")
	cmd.Flags().StringVar(&cluster, "cluster", "", "run on the kind cluster NAME instead of loopback (needs Docker)")
	cmd.AddCommand(newPodCmd())
	return cmd
}

// newPodCmd is `canarydrill drill __pod FLAGS`: the demo service, as a drill's pod runs it.
func newPodCmd() *cobra.Command {
	return &cobra.Command{
		Use:                podCommand,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if code := demoapp.Main(ctx, args, cmd.OutOrStdout(), cmd.ErrOrStderr()); code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
}

// progressLine is the live line: time, step, canary share, the last measurement, users' errors.
func progressLine(p drill.Progress) string {
	s := fmt.Sprintf("[%5.0fs] %-11s", p.Elapsed.Seconds(), p.Phase)
	if p.Steps > 0 {
		s += fmt.Sprintf(" step %d/%d", p.Step, p.Steps)
	}
	s += fmt.Sprintf(" · canary %3.0f%%", p.CanaryShare*100)
	if p.LastMeasurement != "" {
		s += " · " + p.LastMeasurement
	}
	return s + fmt.Sprintf(" · users: %d requests, %d failed", p.Requests, p.Failed)
}

// isTerminal says whether w is a terminal (the progress line is for people, not for logs).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// writeReport writes report.json and the format's file under out/<scenario>/, each whole.
func writeReport(r *reports.Report, out, format string) error {
	for _, f := range []string{reports.FormatJSON, format} {
		if f == reports.FormatText {
			continue
		}
		var b strings.Builder
		if err := reports.Render(&b, r, f); err != nil {
			return err
		}
		if err := runner.WriteFile(out+"/"+r.Scenario+"/"+reports.FileName(f), []byte(b.String())); err != nil {
			return err
		}
	}
	return nil
}
