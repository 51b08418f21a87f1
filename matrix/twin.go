package matrix

import (
	"maps"

	"github.com/canarydrill/canarydrill/scenarios"
)

// Healthy returns the scenario's healthy twin: the same manifests, load and policy with a
// release that should promote. A `healthy:` block in the scenario says what replaces the
// versions and the timeline; what it leaves out is derived: the timeline without its faults,
// and every version behaving as the default one. Job metrics' Jobs fail for no version in
// particular (no failFor): a failFor names the bad release. The twin expects nothing: the matrix
// reads its outcome.
func Healthy(sc *scenarios.Scenario) *scenarios.Scenario {
	out := *sc
	out.Metadata.Name = sc.Metadata.Name + "-healthy"
	out.Spec.Expect = scenarios.Expect{}
	out.Spec.Healthy = nil
	h := sc.Spec.Healthy
	if h != nil && h.Versions != nil {
		out.Spec.Versions = maps.Clone(h.Versions)
	} else {
		def := sc.Spec.Versions[scenarios.DefaultVersion]
		out.Spec.Versions = map[string]scenarios.Version{}
		for name := range sc.Spec.Versions {
			out.Spec.Versions[name] = def
		}
	}
	out.Spec.Jobs = map[string]scenarios.Job{}
	for name, j := range sc.Spec.Jobs {
		j.FailFor = nil
		out.Spec.Jobs[name] = j
	}
	if h != nil && h.Timeline != nil {
		out.Spec.Timeline = append([]scenarios.Entry(nil), h.Timeline...)
	} else {
		out.Spec.Timeline = nil
		for _, e := range sc.Spec.Timeline {
			if e.Fault == "" {
				out.Spec.Timeline = append(out.Spec.Timeline, e)
			}
		}
	}
	return &out
}
