package drill

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// Backend is the Kubernetes side of a drill: an API, the controllers and the workload, on the
// scenario's clock, driving the platform's pods and routes through the sim.Realtime it was built
// with (its Kubelet runs the pods' containers; OnRoutes gets the routing table). The platform —
// processes, router, load — is the same whatever the backend.
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
}

// newBackend builds the backend the API option names.
func newBackend(ctx context.Context, api string, sc *scenarios.Scenario, seed int64, rt sim.Realtime) (Backend, error) {
	switch api {
	case APIMemory:
		w, err := sim.NewRealtime(ctx, sc, seed, rt)
		if err != nil {
			return nil, err
		}
		return memoryBackend{w}, nil
	}
	// --api real: a controller-runtime manager running the reconcilers against the real
	// control plane (driver), kubeletsim binding pods with a Behaviour that asks rt.Kubelet, and
	// the routing table computed from the objects it reads. Check rejects it before this.
	return nil, fmt.Errorf("--api %s: not in this build", api)
}

// memoryBackend is the in-memory API driven by the simulator's loop on the wall clock.
type memoryBackend struct{ *sim.World }

func (b memoryBackend) Run(ctx context.Context) error { return b.RunRealtime(ctx) }
