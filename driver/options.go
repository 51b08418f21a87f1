package driver

import (
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/controller/provider"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

// Defaults of Options, as Argo Rollouts' controller has them where it has one.
const (
	DefaultMetricsAddr      = "127.0.0.1:8090" // Argo's metrics port
	DefaultProbeAddr        = "127.0.0.1:8080" // Argo's healthz port
	DefaultLeaderElectionID = "canarydrill-controller-lock"
	DefaultRolloutWorkers   = 10
	DefaultAnalysisWorkers  = 30
	DefaultExperimentWorker = 10
	// Argo's --qps and --burst: client-go's own 5 and 10 hold a controller of a hundred Rollouts
	// to minutes of queued requests.
	DefaultQPS   = 40
	DefaultBurst = 80
)

// Options configure a Driver. The zero value runs with the defaults above, leader election off.
type Options struct {
	// InstanceID shards controllers: with it set, only Rollouts, AnalysisRuns, Experiments and
	// (Cluster)AnalysisTemplates labelled argo-rollouts.argoproj.io/controller-instance-id=ID are
	// seen; without it, only those without the label (Argo's --instance-id).
	InstanceID string
	// Namespace limits the controller to one namespace; empty means all.
	Namespace string
	// MetricsAddr serves /metrics; empty means DefaultMetricsAddr, "0" turns it off.
	MetricsAddr string
	// ProbeAddr serves /healthz and /readyz; empty means DefaultProbeAddr, "0" turns it off.
	ProbeAddr string
	// LeaderElection makes only one of several replicas reconcile, holding a Lease named
	// LeaderElectionID in LeaderElectionNamespace.
	LeaderElection          bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	// LeaseDuration, RenewDeadline and RetryPeriod tune the election; zero means
	// controller-runtime's 15s, 10s and 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// QPS and Burst limit the requests to the API server (Argo's --qps and --burst). Zero keeps
	// the rest.Config's own, and where that is zero too (client-go's 5 and 10), DefaultQPS and
	// DefaultBurst.
	QPS   float32
	Burst int
	// Workers per controller; zero means the defaults.
	RolloutWorkers, AnalysisWorkers, ExperimentWorkers int
	// Clock is the reconcilers' only source of time; nil means the wall clock.
	Clock clock.PassiveClock
	// Routers builds the Rollout reconciler's traffic routers on the manager's client; nil means
	// controller/trafficrouting's (nginx, Istio, SMI, Gateway API).
	Routers func(c client.Client, rec record.EventRecorder) rollout.RouterFactory
	// Providers builds the AnalysisRun reconciler's metric providers; nil means its default.
	Providers func(c client.Client) provider.Factory
	// Experiments replaces the Experiment reconciler (controller/experiment's when nil).
	Experiments reconcile.Reconciler
	// Log receives the controllers' logs.
	Log logr.Logger
}

// restConfig is cfg with the request limits of o applied; cfg itself is left alone.
func (o *Options) restConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	switch {
	case o.QPS > 0:
		c.QPS = o.QPS
	case c.QPS == 0:
		c.QPS = DefaultQPS
	}
	switch {
	case o.Burst > 0:
		c.Burst = o.Burst
	case c.Burst == 0:
		c.Burst = DefaultBurst
	}
	return c
}

func (o *Options) defaults() {
	if o.MetricsAddr == "" {
		o.MetricsAddr = DefaultMetricsAddr
	}
	if o.ProbeAddr == "" {
		o.ProbeAddr = DefaultProbeAddr
	}
	if o.LeaderElectionID == "" {
		o.LeaderElectionID = DefaultLeaderElectionID
	}
	if o.RolloutWorkers == 0 {
		o.RolloutWorkers = DefaultRolloutWorkers
	}
	if o.AnalysisWorkers == 0 {
		o.AnalysisWorkers = DefaultAnalysisWorkers
	}
	if o.ExperimentWorkers == 0 {
		o.ExperimentWorkers = DefaultExperimentWorker
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
}
