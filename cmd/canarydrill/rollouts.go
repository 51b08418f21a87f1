package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/kubecli"
	"github.com/canarydrill/canarydrill/runner"
)

// rolloutsCmd holds what every `rollouts` subcommand needs: a client and the namespace.
type rolloutsCmd struct {
	kf kubeconfigFlags
}

func (r *rolloutsCmd) client() (client.Client, string, error) {
	cc, ns, err := r.kf.load()
	if err != nil {
		return nil, "", err
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	return c, ns, err
}

// failed prints err and ends the command with exit code 1 (the cluster said no).
func failed(cmd *cobra.Command, err error) error {
	fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
	return exitError{runner.ExitFailed}
}

// verb is a subcommand `NAME ROLLOUT` that performs one kubecli verb and prints its line.
func (r *rolloutsCmd) verb(use, short string, do func(cmd *cobra.Command, c client.Client, key types.NamespacedName) (string, error)) *cobra.Command {
	return &cobra.Command{
		Use: use + " ROLLOUT", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := r.client()
			if err != nil {
				return err
			}
			msg, err := do(cmd, c, types.NamespacedName{Namespace: ns, Name: args[0]})
			if err != nil {
				return failed(cmd, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
}

func newRolloutsCmd() *cobra.Command {
	r := &rolloutsCmd{}
	cmd := &cobra.Command{
		Use:   "rollouts",
		Short: "Inspect and operate Rollouts in a cluster, as kubectl argo rollouts does",
	}
	r.kf.add(cmd, "namespace of the Rollout (default: the kubeconfig context's)")

	var full bool
	promote := r.verb("promote", "Release a pause or skip the current step; --full skips all steps", func(cmd *cobra.Command, c client.Client, key types.NamespacedName) (string, error) {
		return kubecli.Promote(cmd.Context(), c, key, full)
	})
	promote.Flags().BoolVar(&full, "full", false, "skip every remaining step and analysis")

	var toRevision int64
	undo := r.verb("undo", "Roll back to the previous revision, or to --to-revision", func(cmd *cobra.Command, c client.Client, key types.NamespacedName) (string, error) {
		return kubecli.Undo(cmd.Context(), c, key, toRevision)
	})
	undo.Flags().Int64Var(&toRevision, "to-revision", 0, "revision to roll back to (default: the previous one)")

	var in time.Duration
	restart := r.verb("restart", "Restart the Rollout's pods", func(cmd *cobra.Command, c client.Client, key types.NamespacedName) (string, error) {
		return kubecli.Restart(cmd.Context(), c, key, time.Now(), in)
	})
	restart.Flags().DurationVarP(&in, "in", "i", 0, "restart after this delay")

	cmd.AddCommand(promote, undo, restart,
		r.verb("abort", "Abort the update: all traffic back to the stable ReplicaSet", func(cmd *cobra.Command, c client.Client, key types.NamespacedName) (string, error) {
			return kubecli.Abort(cmd.Context(), c, key)
		}),
		r.verb("retry", "Start an aborted update again", func(cmd *cobra.Command, c client.Client, key types.NamespacedName) (string, error) {
			return kubecli.Retry(cmd.Context(), c, key)
		}),
		r.verb("pause", "Pause the Rollout (spec.paused)", func(cmd *cobra.Command, c client.Client, key types.NamespacedName) (string, error) {
			return kubecli.Pause(cmd.Context(), c, key)
		}),
		r.verb("resume", "Resume a paused Rollout (spec.paused=false)", func(cmd *cobra.Command, c client.Client, key types.NamespacedName) (string, error) {
			return kubecli.Resume(cmd.Context(), c, key)
		}),
		r.setCmd(), r.getCmd(), r.statusCmd(), r.listCmd())
	return cmd
}

func (r *rolloutsCmd) setCmd() *cobra.Command {
	set := &cobra.Command{Use: "set", Short: "Change a Rollout's pod template"}
	set.AddCommand(&cobra.Command{
		Use: "image ROLLOUT CONTAINER=IMAGE", Short: "Set a container's image (CONTAINER * sets all)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			container, image, ok := strings.Cut(args[1], "=")
			if !ok || container == "" || image == "" {
				return errors.New("expected CONTAINER=IMAGE")
			}
			c, ns, err := r.client()
			if err != nil {
				return err
			}
			msg, err := kubecli.SetImage(cmd.Context(), c, types.NamespacedName{Namespace: ns, Name: args[0]}, container, image)
			if err != nil {
				return failed(cmd, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	})
	return set
}

func (r *rolloutsCmd) getCmd() *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use: "get ROLLOUT", Short: "Show a Rollout and the tree of its revisions, ReplicaSets, pods and AnalysisRuns", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[len(args)-1] // `get rollout NAME` as the plugin spells it works too
			if len(args) == 2 && args[0] != "rollout" && args[0] != "ro" && args[0] != "rollouts" {
				return fmt.Errorf("unknown kind %q: only rollouts can be shown", args[0])
			}
			c, ns, err := r.client()
			if err != nil {
				return err
			}
			key := types.NamespacedName{Namespace: ns, Name: name}
			if watch {
				if err := kubecli.Watch(cmd.Context(), c, key, cmd.OutOrStdout(), kubecli.WatchOptions{Clear: clearScreen(cmd)}); err != nil {
					return failed(cmd, err)
				}
				return nil
			}
			info, err := kubecli.Load(cmd.Context(), c, key)
			if err != nil {
				return failed(cmd, err)
			}
			kubecli.PrintRollout(cmd.OutOrStdout(), info, time.Now())
			return nil
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "redraw whenever the Rollout changes, until interrupted")
	return cmd
}

// clearScreen is the ANSI clear for a terminal, and nothing for a pipe or file.
func clearScreen(cmd *cobra.Command) string {
	if f, ok := cmd.OutOrStdout().(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "\033[H\033[2J"
		}
	}
	return ""
}

func (r *rolloutsCmd) statusCmd() *cobra.Command {
	var o kubecli.StatusOptions
	cmd := &cobra.Command{
		Use: "status ROLLOUT", Short: "Show a Rollout's status; exit 0 when Healthy, 1 when Degraded or the watch timed out", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := r.client()
			if err != nil {
				return err
			}
			_, err = kubecli.Status(cmd.Context(), c, types.NamespacedName{Namespace: ns, Name: args[0]}, cmd.OutOrStdout(), o)
			if err != nil {
				return failed(cmd, err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&o.Watch, "watch", "w", true, "wait until the Rollout is Healthy or Degraded")
	cmd.Flags().DurationVarP(&o.Timeout, "timeout", "t", 0, "give up watching after this long (0: never)")
	return cmd
}

func (r *rolloutsCmd) listCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use: "list [rollouts]", Short: "List Rollouts", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] != "rollouts" && args[0] != "rollout" && args[0] != "ro" {
				return fmt.Errorf("unknown kind %q: only rollouts can be listed", args[0])
			}
			c, ns, err := r.client()
			if err != nil {
				return err
			}
			var opts []client.ListOption
			if !all {
				opts = append(opts, client.InNamespace(ns))
			}
			var list v1alpha1.RolloutList
			if err := c.List(cmd.Context(), &list, opts...); err != nil {
				return failed(cmd, err)
			}
			if len(list.Items) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No resources found.")
				return nil
			}
			kubecli.PrintList(cmd.OutOrStdout(), list.Items, all)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list Rollouts of every namespace")
	return cmd
}
