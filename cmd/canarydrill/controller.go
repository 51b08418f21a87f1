package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/canarydrill/canarydrill/driver"
)

// kubeconfigFlags are the flags every cluster command takes.
type kubeconfigFlags struct {
	kubeconfig, context, namespace string
}

func (k *kubeconfigFlags) add(cmd *cobra.Command, nsHelp string) {
	cmd.PersistentFlags().StringVar(&k.kubeconfig, "kubeconfig", "", "path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
	cmd.PersistentFlags().StringVar(&k.context, "context", "", "kubeconfig context to use")
	cmd.PersistentFlags().StringVarP(&k.namespace, "namespace", "n", "", nsHelp)
}

// load returns the client configuration and the namespace: the flag, else the context's.
func (k *kubeconfigFlags) load() (clientcmd.ClientConfig, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: k.context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	ns := k.namespace
	if ns == "" {
		var err error
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, "", err
		}
	}
	return cc, ns, nil
}

func newControllerCmd() *cobra.Command {
	var (
		kf        kubeconfigFlags
		o         driver.Options
		logFormat string
		verbosity int
	)
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the Rollout and AnalysisRun controllers against a Kubernetes cluster",
		Long: `Runs the same reconcilers the simulator drives, under a controller-runtime manager:
informers, workqueues, leader election (a Lease in --leader-election-namespace, else
$POD_NAMESPACE, else the kubeconfig context's namespace), Prometheus metrics on
--metrics-addr and /healthz and /readyz on --health-addr. SIGTERM or SIGINT stops it
cleanly, releasing the Lease.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(cmd, logFormat, verbosity)
			if err != nil {
				return err
			}
			cc, ns, err := kf.load()
			if err != nil {
				return err
			}
			cfg, err := cc.ClientConfig()
			if err != nil {
				return err
			}
			o.Namespace = kf.namespace // only an explicit --namespace limits the controller
			if o.LeaderElectionNamespace == "" {
				o.LeaderElectionNamespace = os.Getenv("POD_NAMESPACE")
			}
			if o.LeaderElectionNamespace == "" {
				o.LeaderElectionNamespace = ns
			}
			o.Log = log
			d, err := driver.New(cfg, o)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			log.Info("starting controller", "host", cfg.Host, "instanceID", o.InstanceID,
				"metrics", o.MetricsAddr, "health", o.ProbeAddr, "leaderElection", o.LeaderElection,
				"qps", o.QPS, "burst", o.Burst)
			if err := d.Start(ctx); err != nil {
				return fmt.Errorf("controller: %w", err)
			}
			log.Info("controller stopped")
			return nil
		},
	}
	kf.add(cmd, "reconcile only this namespace (default: all)")
	f := cmd.Flags()
	f.StringVar(&o.InstanceID, "instance-id", "", "reconcile only objects labelled argo-rollouts.argoproj.io/controller-instance-id=ID (default: only unlabelled ones)")
	f.StringVar(&o.MetricsAddr, "metrics-addr", driver.DefaultMetricsAddr, "address of /metrics; 0 turns it off")
	f.StringVar(&o.ProbeAddr, "health-addr", driver.DefaultProbeAddr, "address of /healthz and /readyz; 0 turns them off")
	f.BoolVar(&o.LeaderElection, "leader-elect", true, "elect one active replica through a Lease")
	f.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the Lease")
	f.StringVar(&o.LeaderElectionID, "leader-election-id", driver.DefaultLeaderElectionID, "name of the Lease")
	f.DurationVar(&o.LeaseDuration, "leader-election-lease-duration", 15*time.Second, "how long a leader's Lease lasts without renewal")
	f.DurationVar(&o.RenewDeadline, "leader-election-renew-deadline", 10*time.Second, "how long the leader tries to renew before giving up")
	f.DurationVar(&o.RetryPeriod, "leader-election-retry-period", 2*time.Second, "time between acquisition and renewal attempts")
	f.Float32Var(&o.QPS, "qps", driver.DefaultQPS, "maximum queries per second to the API server (Argo's default)")
	f.IntVar(&o.Burst, "burst", driver.DefaultBurst, "maximum burst of queries to the API server (Argo's default)")
	f.IntVar(&o.RolloutWorkers, "rollout-threads", driver.DefaultRolloutWorkers, "Rollout reconcile workers")
	f.IntVar(&o.AnalysisWorkers, "analysis-threads", driver.DefaultAnalysisWorkers, "AnalysisRun reconcile workers")
	f.StringVar(&logFormat, "logformat", "text", "log format: text or json")
	f.IntVarP(&verbosity, "v", "v", 0, "log verbosity (1 and up: debug)")
	return cmd
}

// newLogger logs to stderr with slog, for the controllers, controller-runtime and client-go alike.
func newLogger(cmd *cobra.Command, format string, verbosity int) (logr.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.Level(-verbosity)}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(cmd.ErrOrStderr(), opts)
	case "json":
		h = slog.NewJSONHandler(cmd.ErrOrStderr(), opts)
	default:
		return logr.Logger{}, errors.New("--logformat must be text or json")
	}
	log := logr.FromSlogHandler(h)
	ctrl.SetLogger(log)
	klog.SetLogger(log)
	return log, nil
}
