package driver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/canarydrill/canarydrill/api/scheme"
)

// EventComponent is the source of the Events the controller records, as Argo names it.
const EventComponent = "rollouts-controller"

// Driver is the Rollout, AnalysisRun (and, when given, Experiment) reconcilers under one
// controller-runtime manager: informers, workqueues, leader election, metrics and probes.
type Driver struct {
	o   Options
	mgr manager.Manager
	// client is the manager's, writing each Rollout it writes back into the informer's store.
	client      client.Client
	cs          kubernetes.Interface
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	registry    *prometheus.Registry
	metrics     *metrics
	synced      atomic.Bool

	addrMu              sync.Mutex
	metricsAddr, probes string
	listening           chan struct{}
	listenOnce          sync.Once
}

// New builds the manager and its controllers for the cluster of cfg; Start runs them.
func New(cfg *rest.Config, o Options) (*Driver, error) {
	o.defaults()
	cfg = o.restConfig(cfg)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	s := scheme.New()
	stores := &rolloutStores{}
	copts := cacheOptions(o)
	copts.NewInformer = stores.newInformer
	mopts := manager.Options{
		Scheme: s,
		Cache:  copts,
		// Secrets are read one at a time when a metric names one, and pods listed by selector
		// only on a restart or a metadata change: no informer (no cluster-wide watch) for either.
		Client:                        client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}, &corev1.Pod{}}}},
		Metrics:                       metricsserver.Options{BindAddress: "0"}, // served by the Driver, with its own collectors
		HealthProbeBindAddress:        "0",                                     // likewise
		LeaderElection:                o.LeaderElection,
		LeaderElectionID:              o.LeaderElectionID,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		Logger:                        o.Log,
		// A process may run a driver more than once (tests restart it).
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	}
	if o.LeaseDuration > 0 {
		mopts.LeaseDuration = &o.LeaseDuration
	}
	if o.RenewDeadline > 0 {
		mopts.RenewDeadline = &o.RenewDeadline
	}
	if o.RetryPeriod > 0 {
		mopts.RetryPeriod = &o.RetryPeriod
	}
	if o.LeaderElection && o.LeaderElectionNamespace == "" {
		return nil, errors.New("leader election needs the namespace of its Lease")
	}
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		return nil, err
	}
	d := &Driver{
		o: o, mgr: mgr, cs: cs,
		client:      &writeBackClient{Client: mgr.GetClient(), stores: stores},
		broadcaster: record.NewBroadcaster(),
		registry:    prometheus.NewRegistry(),
		listening:   make(chan struct{}),
	}
	d.recorder = d.broadcaster.NewRecorder(s, corev1.EventSource{Component: EventComponent})
	d.metrics = newMetrics(d.registry, mgr.GetCache())
	if err := d.setupControllers(); err != nil {
		return nil, err
	}
	if err := d.metrics.watchAborts(mgr.GetCache()); err != nil {
		return nil, err
	}
	if err := mgr.Add(runnable(d.serve)); err != nil {
		return nil, err
	}
	return d, nil
}

// Manager is the controller-runtime manager, for callers that add their own runnables.
func (d *Driver) Manager() manager.Manager { return d.mgr }

// Start runs everything until ctx ends, then stops the controllers (releasing the leader Lease)
// and the servers. It returns nil after a clean stop.
func (d *Driver) Start(ctx context.Context) error {
	d.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: d.cs.CoreV1().Events("")})
	defer d.broadcaster.Shutdown()
	return d.mgr.Start(ctx)
}

// Addrs returns the addresses that /metrics and the probes listen on, once they do (useful with
// port 0); ok is false until then or when ctx ends first.
func (d *Driver) Addrs(ctx context.Context) (metricsAddr, probeAddr string, ok bool) {
	select {
	case <-d.listening:
	case <-ctx.Done():
		return "", "", false
	}
	d.addrMu.Lock()
	defer d.addrMu.Unlock()
	return d.metricsAddr, d.probes, true
}

// Ready reports whether every informer has synced: what /readyz answers.
func (d *Driver) Ready() bool { return d.synced.Load() }

// serve runs the metrics and probe servers, and marks the driver ready once the caches synced.
// It runs on every replica, leader or not.
func (d *Driver) serve(ctx context.Context) error {
	gather := prometheus.Gatherers{ctrlmetrics.Registry, d.registry}
	mux := map[string]http.Handler{}
	if d.o.MetricsAddr != "0" {
		m := http.NewServeMux()
		m.Handle("/metrics", promhttp.HandlerFor(gather, promhttp.HandlerOpts{}))
		mux[d.o.MetricsAddr] = m
	}
	if d.o.ProbeAddr != "0" {
		ready := func(*http.Request) error {
			if !d.synced.Load() {
				return errors.New("informers not synced yet")
			}
			return nil
		}
		p := http.NewServeMux()
		p.Handle("/healthz", http.StripPrefix("/healthz", &healthz.Handler{Checks: map[string]healthz.Checker{"ping": healthz.Ping}}))
		p.Handle("/healthz/", http.StripPrefix("/healthz", &healthz.Handler{Checks: map[string]healthz.Checker{"ping": healthz.Ping}}))
		p.Handle("/readyz", http.StripPrefix("/readyz", &healthz.Handler{Checks: map[string]healthz.Checker{"informers": ready}}))
		p.Handle("/readyz/", http.StripPrefix("/readyz", &healthz.Handler{Checks: map[string]healthz.Checker{"informers": ready}}))
		if d.o.ProbeAddr == d.o.MetricsAddr {
			mux[d.o.MetricsAddr].(*http.ServeMux).Handle("/", p)
		} else {
			mux[d.o.ProbeAddr] = p
		}
	}
	var servers []*http.Server
	errc := make(chan error, len(mux))
	for addr, h := range mux {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, s := range servers {
				s.Close()
			}
			return fmt.Errorf("listening on %s: %w", addr, err)
		}
		d.addrMu.Lock()
		if addr == d.o.MetricsAddr {
			d.metricsAddr = ln.Addr().String()
		}
		if addr == d.o.ProbeAddr {
			d.probes = ln.Addr().String()
		}
		d.addrMu.Unlock()
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	d.listenOnce.Do(func() { close(d.listening) })
	if d.mgr.GetCache().WaitForCacheSync(ctx) {
		d.synced.Store(true)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(sctx)
	}
	return err
}

// runnable is a manager.Runnable that runs on every replica, not only the leader.
type runnable func(context.Context) error

func (r runnable) Start(ctx context.Context) error { return r(ctx) }
func (runnable) NeedLeaderElection() bool          { return false }
