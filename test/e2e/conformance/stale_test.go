package conformance

import (
	"fmt"
	"testing"
)

// TestOneRunPerStep runs the seed's bad update under canarydrill's controller
// CONFORMANCE_STALE_RUNS times (default 4) at once, and requires one AnalysisRun for the one
// analysis step each time, as Argo makes. The run fails at its first measurement, milliseconds
// after it is made; a Rollout reconcile that then reads the Rollout from before its own status
// write plans the run again, finds it completed and makes <name>.1 (docs/conformance.md, the
// second finding). Runs at once load the machine, which makes such stale reads likelier.
func TestOneRunPerStep(t *testing.T) {
	requireEnv(t)
	runs := envInts(t, "CONFORMANCE_STALE_RUNS", []int{4})[0]
	bad := seedCases[1]
	for i := range runs {
		t.Run(fmt.Sprintf("%s/%d", bad.name, i), func(t *testing.T) {
			t.Parallel()
			rec := runSeed(t, shared, canarydrill, bad, false)
			if f := rec.facts(); f["outcome"] != bad.outcome {
				t.Errorf("outcome %s, the scenario expects %s", f["outcome"], bad.outcome)
			}
			if n := rec.runCount(); n != 1 {
				t.Errorf("%d AnalysisRuns for the one analysis step, want 1: %s", n, rec.facts()["runs"])
			}
		})
	}
}
