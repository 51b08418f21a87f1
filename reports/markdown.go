package reports

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes the report for a pull request comment or a wiki page: the verdict, the key
// times, the expectations, every analysis run with its measurements, and the events.
func Markdown(w io.Writer, r *Report) error {
	b := &strings.Builder{}
	verdict := "✅ PASS"
	if !r.Passed {
		verdict = "❌ FAIL"
	}
	fmt.Fprintf(b, "# %s: %s\n\n", r.Scenario, verdict)
	if r.Description != "" {
		fmt.Fprintf(b, "%s\n\n", strings.TrimSpace(r.Description))
	}
	fmt.Fprintf(b, "Outcome **%s** (phase %s), seed %d, %s.\n\n", r.Outcome, orDash(r.FinalPhase), r.Seed, durationLine(r))
	fmt.Fprintf(b, "| | at | after the fault |\n|---|---|---|\n")
	row := func(name string, at, since *float64) {
		if at == nil {
			return
		}
		s := ""
		if since != nil {
			s = secs(*since)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, secs(*at), s)
	}
	row("fault started", r.FaultStartedAt, nil)
	row("first bad measurement", r.FirstBadMeasurementAt, nil)
	row("detected", r.DetectedAt, r.DetectionSeconds)
	row("aborted", r.AbortedAt, nil)
	row("traffic restored", r.TrafficRestoredAt, r.RollbackSeconds)
	row("canary scaled down", r.CanaryScaledDownAt, nil)
	row("promoted", r.PromotedAt, nil)
	q := r.Requests
	fmt.Fprintf(b, "\n**Requests:** %d, failed %d; the canary served %d and failed %d.", q.Total, q.Failed, q.ServedByCanary, q.FailedOnCanary)
	if q.PaymentsFailed > 0 {
		fmt.Fprintf(b, " **Payments:** %d received, %d failed silently.", q.PaymentsReceived, q.PaymentsFailed)
	}
	b.WriteString("\n\n")
	markdownLoad(b, r)
	if len(r.Expectations) > 0 {
		b.WriteString("## Expectations\n\n| expectation | want | got | |\n|---|---|---|---|\n")
		for _, x := range r.Expectations {
			mark := "✅"
			if !x.Passed {
				mark = "❌"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", x.Name, cell(x.Want), cell(x.Got), mark)
		}
		b.WriteString("\n")
	}
	if len(r.AnalysisRuns) > 0 {
		b.WriteString("## Analysis runs\n\n")
		for _, ar := range r.AnalysisRuns {
			fmt.Fprintf(b, "### %s (%s): %s\n\n", ar.Name, ar.Kind, ar.Phase)
			if ar.Message != "" {
				fmt.Fprintf(b, "%s\n\n", ar.Message)
			}
			b.WriteString("| metric | at | phase | value |\n|---|---|---|---|\n")
			for _, m := range ar.Metrics {
				for _, ms := range m.Measurements {
					v := ms.Value
					if v == "" {
						v = ms.Message
					}
					fmt.Fprintf(b, "| %s | %s | %s | %s |\n", m.Name, secs(ms.At), ms.Phase, cell(v))
				}
			}
			b.WriteString("\n")
		}
	}
	if len(r.Events) > 0 {
		b.WriteString("## Events\n\n| at | kind | message |\n|---|---|---|\n")
		for _, e := range r.Events {
			fmt.Fprintf(b, "| %s | %s | %s |\n", secs(e.At), e.Kind, cell(e.Message))
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "> note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
