package realapi

import (
	"fmt"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/scenarios"
)

// Unsupported lists, one line each, why a scenario cannot run against a real API at time scale
// f; none means it can. The recorded metrics of a replay are read at their own pace, no Job
// controller runs on the control plane (the simulator's stands in for it in virtual time only),
// and the scenario must scale (scenarios.Scale).
func Unsupported(sc *scenarios.Scenario, f float64) []string {
	var out []string
	if sc.Spec.Metrics.Replay != "" {
		out = append(out, fmt.Sprintf("%s: spec.metrics.replay: recorded metrics replay in virtual time only", sc.Source))
	}
	for _, o := range sc.Objects {
		for _, m := range v1alpha1.MetricsOf(o.Object) {
			if m.Provider.Job != nil {
				out = append(out, fmt.Sprintf("%s: metric %s: the job provider needs a Job controller, which runs in virtual time only", o.Source, m.Name))
			}
		}
	}
	if _, err := scenarios.Scale(sc, f); err != nil {
		if probs, ok := err.(scenarios.Problems); ok {
			out = append(out, probs...)
		} else {
			out = append(out, err.Error())
		}
	}
	return out
}
