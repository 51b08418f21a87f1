package drill

import (
	"context"
	"errors"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/realapi"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// Backend is the Kubernetes side of a drill: an API, the controllers and the workload, driving
// the platform's pods and routes through the sim.Realtime it was built with (its Kubelet runs
// the pods' containers; OnRoutes gets the routing table). The platform — processes, router,
// load — is the same whatever the backend. Every time a Backend takes or returns is scenario
// time.
type Backend interface {
	// Run runs the scenario until it settled (unless KeepRunning), Stop, maxDuration or the end
	// of ctx (whose error it returns).
	Run(ctx context.Context) error
	// Do runs f with the API's client where the backend allows API access; false once it ended.
	Do(f func(ctx context.Context, c client.Client)) bool
	// Apply does a timeline entry now; call it inside Do.
	Apply(e scenarios.Entry) error
	// Stop ends Run after what it is doing.
	Stop()
	// Elapsed is the scenario time since the start.
	Elapsed() time.Duration
	// LatencyBounds and SignalStep shape the router's counts for RecordServed.
	LatencyBounds() []float64
	SignalStep() time.Duration
	// RecordServed gives the backend the real requests before Report.
	RecordServed(totals sim.RequestTotals, windows []sim.SignalWindow)
	// Report is the run's report (call it after Run, or inside Do).
	Report() *reports.Report
	// Progress is the run's state now (call it inside Do).
	Progress() sim.Progress
	// Close stops what the backend started (after Run); safe to call twice.
	Close() error
}

// newBackend builds the backend the API option names. The in-memory world runs on rt.Clock,
// the scenario's clock; a real API stamps its objects with the wall clock, so there the world
// runs the scenario scaled (scenarios.Scale) on o.Clock, and speaks scenario time to the drill.
func newBackend(ctx context.Context, o Options, sc *scenarios.Scenario, seed int64, rt sim.Realtime) (Backend, error) {
	if o.API == APIReal {
		return startReal(ctx, o, sc, seed, rt)
	}
	w, err := sim.NewRealtime(ctx, sc, seed, rt)
	if err != nil {
		return nil, err
	}
	return memoryBackend{w}, nil
}

// memoryBackend is the in-memory API driven by the simulator's loop on the wall clock.
type memoryBackend struct{ *sim.World }

func (b memoryBackend) Run(ctx context.Context) error { return b.RunRealtime(ctx) }
func (memoryBackend) Close() error                    { return nil }

// realBackend is a control plane on loopback with the controller under test (realapi.Env) and
// the scenario in a namespace of its own (realapi.Session), whose pods are the platform's
// processes.
type realBackend struct {
	*realapi.Session
	env         *realapi.Env
	interrupted bool
	closeOnce   sync.Once
	closeErr    error
}

func startReal(ctx context.Context, o Options, sc *scenarios.Scenario, seed int64, rt sim.Realtime) (Backend, error) {
	env, err := realapi.Start(ctx, realapi.Options{Controller: o.Controller, TimeScale: o.TimeScale, Log: o.Log})
	if err != nil {
		return nil, err
	}
	s, err := env.Open(ctx, sc, seed, realapi.Platform{Kubelet: rt.Kubelet, OnRoutes: rt.OnRoutes, KeepRunning: rt.KeepRunning})
	if err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	return &realBackend{Session: s, env: env}, nil
}

func (b *realBackend) Run(ctx context.Context) error {
	interrupted, err := b.Wait(ctx)
	if interrupted {
		b.interrupted = true
		return ctx.Err()
	}
	return err
}

func (b *realBackend) scenario(d time.Duration) time.Duration {
	return time.Duration(float64(d) / b.TimeScale())
}

func (b *realBackend) Elapsed() time.Duration    { return b.scenario(b.World.Elapsed()) }
func (b *realBackend) SignalStep() time.Duration { return b.scenario(b.World.SignalStep()) }
func (b *realBackend) Report() *reports.Report   { return b.Session.Report(b.interrupted) }

func (b *realBackend) Progress() sim.Progress {
	p := b.World.Progress()
	p.Elapsed = b.scenario(p.Elapsed)
	return p
}

func (b *realBackend) Close() error {
	b.closeOnce.Do(func() {
		b.Session.Close()
		b.closeErr = b.env.Stop()
	})
	return b.closeErr
}
