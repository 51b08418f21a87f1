package reports

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// HTML writes the report as one self-contained page: the verdict and key times, charts over
// time (traffic share, error rate and p99 latency of canary and stable, every measurement
// coloured by phase, markers for fault, detection, abort and traffic restored), the
// expectations, the analysis runs and the events. It fetches nothing: no scripts, fonts or
// images from anywhere, so it opens offline and from a CI artifact.
func HTML(w io.Writer, r *Report) error {
	b := &strings.Builder{}
	esc := html.EscapeString
	verdict, cls := "PASS", "pass"
	if !r.Passed {
		verdict, cls = "FAIL", "fail"
	}
	fmt.Fprintf(b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s: %s</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#212529;padding:0 12px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.pass{color:#2b8a3e} .fail{color:#e03131}
table{border-collapse:collapse;margin:8px 0} td,th{border-bottom:1px solid #dee2e6;padding:3px 10px;text-align:left;vertical-align:top}
.chart{display:block;margin:6px 0;max-width:100%%;height:auto}
.chart .title{font-weight:600;font-size:13px} .chart .tick{font-size:11px;fill:#495057}
.chart .grid{stroke:#e9ecef} .chart .mlabel{font-size:11px;font-weight:600}
.muted{color:#868e96}
</style></head><body>
`, esc(r.Scenario), verdict)
	fmt.Fprintf(b, "<h1>%s <span class=\"%s\">%s</span></h1>\n", esc(r.Scenario), cls, verdict)
	if r.Description != "" {
		fmt.Fprintf(b, "<p>%s</p>\n", esc(strings.TrimSpace(r.Description)))
	}
	fmt.Fprintf(b, "<p>Outcome <b>%s</b> (phase %s), seed %d, %s.</p>\n", esc(r.Outcome), esc(orDash(r.FinalPhase)), r.Seed, esc(durationLine(r)))
	keyTimes(b, r)
	charts(b, r)
	htmlLoad(b, r)
	htmlExpectations(b, r)
	htmlRuns(b, r)
	if len(r.Events) > 0 {
		b.WriteString("<h2>Events</h2>\n<table><tr><th>at</th><th>kind</th><th>message</th></tr>\n")
		for _, e := range r.Events {
			fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n", clock(e.At), esc(e.Kind), esc(e.Message))
		}
		b.WriteString("</table>\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "<p class=\"muted\">note: %s</p>\n", esc(n))
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func keyTimes(b *strings.Builder, r *Report) {
	b.WriteString("<table><tr><th></th><th>at</th><th>after the fault</th></tr>\n")
	row := func(name string, at, since *float64) {
		if at == nil {
			return
		}
		s := ""
		if since != nil {
			s = secs(*since)
		}
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n", name, secs(*at), s)
	}
	row("fault started", r.FaultStartedAt, nil)
	row("first bad measurement", r.FirstBadMeasurementAt, nil)
	row("detected", r.DetectedAt, r.DetectionSeconds)
	row("aborted", r.AbortedAt, nil)
	row("traffic restored", r.TrafficRestoredAt, r.RollbackSeconds)
	row("canary scaled down", r.CanaryScaledDownAt, nil)
	row("promoted", r.PromotedAt, nil)
	q := r.Requests
	fmt.Fprintf(b, "<tr><td>requests</td><td colspan=\"2\">%d, failed %d; the canary served %d and failed %d", q.Total, q.Failed, q.ServedByCanary, q.FailedOnCanary)
	if q.PaymentsFailed > 0 {
		fmt.Fprintf(b, "; payments %d, failed silently %d", q.PaymentsReceived, q.PaymentsFailed)
	}
	b.WriteString("</td></tr></table>\n")
}

// charts draws the panels from the weights and the per-window signals.
func charts(b *strings.Builder, r *Report) {
	end := r.VirtualSeconds
	ms := markersOf(r)
	b.WriteString("<h2>Over time</h2>\n")
	weight := line{name: "canary", colour: colourCanary, step: true}
	for _, p := range r.Weights {
		weight.xs = append(weight.xs, p.At)
		weight.ys = append(weight.ys, p.Canary*100)
	}
	panel{title: "Canary share of requests", unit: "%", height: 170, end: end, markers: ms, labels: true,
		lines: []line{weight}}.svg(b, "traffic")
	if s := r.Signals; s != nil && len(s.At) > 0 {
		mid := func(i int) float64 { return math.Min(s.At[i]+s.Step/2, end) }
		rate := func(name, colour string, req, errs []int64) line {
			l := line{name: name, colour: colour}
			for i := range s.At {
				v := math.NaN()
				if req[i] > 0 {
					v = 100 * float64(errs[i]) / float64(req[i])
				}
				l.xs, l.ys = append(l.xs, mid(i)), append(l.ys, v)
			}
			return l
		}
		lat := func(name, colour string, p99 []*float64) line {
			l := line{name: name, colour: colour}
			for i := range s.At {
				v := math.NaN()
				if p99[i] != nil {
					v = *p99[i]
				}
				l.xs, l.ys = append(l.xs, mid(i)), append(l.ys, v)
			}
			return l
		}
		panel{title: fmt.Sprintf("Error rate (5xx per %s window)", secs(s.Step)), unit: "%", height: 170, end: end, markers: ms,
			lines: []line{rate("stable", colourStable, s.StableRequests, s.StableErrors), rate("canary", colourCanary, s.CanaryRequests, s.CanaryErrors)}}.svg(b, "errors")
		panel{title: "p99 latency (from the histogram buckets, as histogram_quantile reads them)", unit: "ms", height: 170, end: end, markers: ms,
			lines: []line{lat("stable", colourStable, s.StableP99), lat("canary", colourCanary, s.CanaryP99)}}.svg(b, "latency")
	}
	dots(b, r, end, ms)
}

func htmlExpectations(b *strings.Builder, r *Report) {
	if len(r.Expectations) == 0 {
		return
	}
	b.WriteString("<h2>Expectations</h2>\n<table><tr><th>expectation</th><th>want</th><th>got</th><th></th></tr>\n")
	for _, x := range r.Expectations {
		mark, cls := "ok", "pass"
		if !x.Passed {
			mark, cls = "FAIL", "fail"
		}
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"%s\">%s</td></tr>\n",
			html.EscapeString(x.Name), html.EscapeString(x.Want), html.EscapeString(x.Got), cls, mark)
	}
	b.WriteString("</table>\n")
}

func htmlRuns(b *strings.Builder, r *Report) {
	if len(r.AnalysisRuns) == 0 {
		return
	}
	esc := html.EscapeString
	b.WriteString("<h2>Analysis runs</h2>\n")
	for _, ar := range r.AnalysisRuns {
		fmt.Fprintf(b, "<p><b>%s</b> (%s): %s", esc(ar.Name), esc(ar.Kind), esc(ar.Phase))
		if ar.Message != "" {
			fmt.Fprintf(b, ", %s", esc(ar.Message))
		}
		b.WriteString("</p>\n<table><tr><th>metric</th><th>at</th><th>phase</th><th>value</th></tr>\n")
		for _, m := range ar.Metrics {
			for _, ms := range m.Measurements {
				v := ms.Value
				if v == "" {
					v = ms.Message
				}
				fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td style=\"color:%s\">%s</td><td>%s</td></tr>\n",
					esc(m.Name), clock(ms.At), phaseColours[ms.Phase], esc(ms.Phase), esc(v))
			}
		}
		b.WriteString("</table>\n")
	}
}
