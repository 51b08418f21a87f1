package sim

import (
	"github.com/canarydrill/canarydrill/controller/analysis"
	"github.com/canarydrill/canarydrill/controller/provider"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

// newControllers builds the same reconcilers a cluster runs, on the world's API, clock and
// fakeprom transport: every Prometheus address a template names is answered by this world.
func newControllers(w *World) controllers {
	providers := &provider.DefaultFactory{
		Transport: w.promQL.RoundTripper(),
		Clock:     w.clock,
		Client:    w.client,
	}
	return controllers{
		rollout: &rollout.Reconciler{
			Client:   w.client,
			Clock:    w.clock,
			Recorder: w.obs,
		},
		analysis: &analysis.Reconciler{
			Client:    w.client,
			Clock:     w.clock,
			Providers: providers,
		},
	}
}
