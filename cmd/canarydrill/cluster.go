package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/kindcluster"
	"github.com/canarydrill/canarydrill/runner"
)

func newClusterCmd() *cobra.Command {
	var o kindcluster.Options
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Create, load and delete the kind cluster a drill can run on (needs a running Docker daemon)",
	}
	cmd.PersistentFlags().StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file kind writes the cluster's context to (default: kind's)")
	// kind's errors are one line for the user; their stacks are not.
	do := func(f func(context.Context, kindcluster.Options) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			if err := f(cmd.Context(), o); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitError{runner.ExitFailed}
			}
			return nil
		}
	}
	create := &cobra.Command{
		Use:   "create [NAME]",
		Short: "kind create cluster, then load the canarydrill image and install the CRDs, RBAC, the controller and fakeprom",
		Args:  cobra.MaximumNArgs(1),
		RunE:  do(kindcluster.Create),
	}
	create.Flags().StringVar(&o.ConfigDir, "config", "config", "the repository's config/ folder (CRDs, RBAC, the controller)")
	create.Flags().StringVar(&o.NodeImage, "image", "", "kind's node image (default: kind's own)")
	create.Flags().StringVar(&o.Binary, "binary", "", "static canarydrill binary for the image (default: this one)")
	load := &cobra.Command{
		Use:   "load [NAME]",
		Short: "Build the canarydrill image FROM scratch (no Docker build) and load it into the cluster's nodes",
		Args:  cobra.MaximumNArgs(1),
		RunE:  do(kindcluster.Load),
	}
	load.Flags().StringVar(&o.Binary, "binary", "", "static canarydrill binary for the image (default: this one)")
	cmd.AddCommand(create, load, &cobra.Command{
		Use:   "delete [NAME]",
		Short: "kind delete cluster",
		Args:  cobra.MaximumNArgs(1),
		RunE:  do(kindcluster.Delete),
	}, newClusterFakepromCmd())
	return cmd
}

// newClusterFakepromCmd is the in-cluster fakeprom the drill's manifests run.
func newClusterFakepromCmd() *cobra.Command {
	var (
		listen   string
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:    "fakeprom",
		Hidden: true,
		Short:  "fakeprom inside a cluster: scrapes pods annotated prometheus.io/scrape and serves the Prometheus API",
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := ctrl.GetConfig()
			if err != nil {
				return err
			}
			c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return kindcluster.NewFakeprom(c, clock.RealClock{}, interval).Serve(ctx, listen, interval)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", ":9090", "address of the Prometheus HTTP API")
	cmd.Flags().DurationVar(&interval, "scrape-interval", 10*time.Second, "scrape interval")
	return cmd
}
