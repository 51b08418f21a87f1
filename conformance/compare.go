package conformance

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/canarydrill/canarydrill/reports"
)

// Verdict is how one compared field came out.
type Verdict string

// The verdicts: equal; a timing apart by no more than the tolerance; different; different where
// the scenario declares a deliberate difference (conformance.differs).
const (
	Same      Verdict = "same"
	Tolerated Verdict = "within tolerance"
	Differs   Verdict = "differs"
	Declared  Verdict = "declared difference"
)

// The fields a declared difference cannot excuse.
const (
	fieldOutcome = "outcome"
	fieldPhase   = "final phase"
)

// Row is one compared field of a scenario.
type Row struct {
	Field   string
	Argo    string
	Ours    string
	Verdict Verdict
}

// Result is one scenario's comparison.
type Result struct {
	Scenario string
	// Declared is the scenario's conformance.differs: why a difference is deliberate.
	Declared string
	Rows     []Row
}

// Passed says no field differs but where the scenario declares it.
func (r Result) Passed() bool {
	for _, row := range r.Rows {
		if row.Verdict == Differs {
			return false
		}
	}
	return true
}

// Limits say how far two runs may be apart and still conform, in scenario seconds (as the
// reports give times).
type Limits struct {
	// Tolerance is how far apart two timings may be.
	Tolerance float64
	// Hold is how long the canary's share must last to count as a step of the weights: without a
	// router the share is the canary's part of the ready pods, which passes through in-between
	// values as pods start and stop, for as long as the machine takes, not the controller.
	Hold float64
}

// Compare compares the report of a scenario under Argo's controller with ours within lim;
// declared is the scenario's conformance.differs, which turns every difference but the outcome's
// and the final phase's into Declared.
func Compare(argo, ours *reports.Report, lim Limits, declared string) Result {
	res := Result{Scenario: ours.Scenario, Declared: declared}
	add := func(field, a, o string, v Verdict) {
		// A declaration explains how the run differs, never what it ends in: the outcome and
		// final phase must match whatever the scenario declares.
		if v == Differs && declared != "" && field != fieldOutcome && field != fieldPhase {
			v = Declared
		}
		res.Rows = append(res.Rows, Row{Field: field, Argo: a, Ours: o, Verdict: v})
	}
	exact := func(field, a, o string) { add(field, a, o, equalVerdict(a, o)) }

	exact(fieldOutcome, argo.Outcome, ours.Outcome)
	exact(fieldPhase, argo.FinalPhase, ours.FinalPhase)
	exact("final message", normalize(argo.FinalMessage), normalize(ours.FinalMessage))
	exact("canary weights", weights(argo.Weights, lim.Hold), weights(ours.Weights, lim.Hold))
	exact("analysis runs", runs(argo.AnalysisRuns), runs(ours.AnalysisRuns))
	for _, t := range []struct {
		field    string
		argo, us *float64
	}{
		{"detected at", argo.DetectedAt, ours.DetectedAt},
		{"aborted at", argo.AbortedAt, ours.AbortedAt},
		{"traffic restored at", argo.TrafficRestoredAt, ours.TrafficRestoredAt},
		{"canary scaled down at", argo.CanaryScaledDownAt, ours.CanaryScaledDownAt},
		{"promoted at", argo.PromotedAt, ours.PromotedAt},
	} {
		add(t.field, seconds(t.argo), seconds(t.us), timing(t.argo, t.us, lim.Tolerance))
	}
	return res
}

func equalVerdict(a, b string) Verdict {
	if a == b {
		return Same
	}
	return Differs
}

// timing compares two optional instants: both absent or equal is Same, both present and at most
// tol apart is Tolerated, anything else Differs.
func timing(a, b *float64, tol float64) Verdict {
	switch {
	case a == nil && b == nil:
		return Same
	case a == nil || b == nil:
		return Differs
	case *a == *b:
		return Same
	case math.Abs(*a-*b) <= tol:
		return Tolerated
	}
	return Differs
}

func seconds(s *float64) string {
	if s == nil {
		return "—"
	}
	return strconv.FormatFloat(*s, 'f', 1, 64) + "s"
}

// weights is the sequence of the canary's traffic shares, repeats dropped: "0 → 20% → 0"; a
// share that lasted less than hold seconds is left out (see Limits.Hold).
func weights(ws []reports.WeightPoint, hold float64) string {
	var parts []string
	last := ""
	for i, w := range ws {
		if i+1 < len(ws) && ws[i+1].At-w.At < hold {
			continue
		}
		p := strconv.FormatFloat(math.Round(w.Canary*1e4)/1e2, 'f', -1, 64) + "%"
		if p != last {
			parts = append(parts, p)
			last = p
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " → ")
}

// runs describes the AnalysisRuns in order: kind, phase, and per metric its phase and the
// phases of its measurements. Names are left out: they carry the pod-template hash, which
// depends on the CRDs' defaulting, not on the controller.
func runs(rs []reports.AnalysisRun) string {
	if len(rs) == 0 {
		return "—"
	}
	var parts []string
	for _, r := range rs {
		var ms []string
		// By name: a run lists its metrics in the order they were first measured, which is the
		// machine's timing, not a behaviour.
		metrics := slices.SortedFunc(slices.Values(r.Metrics), func(a, b reports.Metric) int { return strings.Compare(a.Name, b.Name) })
		for _, m := range metrics {
			var phases []string
			for _, x := range m.Measurements {
				phases = append(phases, x.Phase)
			}
			ms = append(ms, fmt.Sprintf("%s %s [%s]", m.Name, m.Phase, strings.Join(phases, " ")))
		}
		parts = append(parts, fmt.Sprintf("%s %s: %s", r.Kind, r.Phase, strings.Join(ms, "; ")))
	}
	return strings.Join(parts, " | ")
}

// podHash matches a pod-template hash in a name ("demo-app-667768f4fc-2-2").
var podHash = regexp.MustCompile(`-[0-9a-f]{8,10}\b`)

// normalize hides pod-template hashes, which differ between CRD sets, not controllers.
func normalize(s string) string { return podHash.ReplaceAllString(s, "-<hash>") }
