package reports

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// How each format shows a drill's own fields: the wall time and time scale, and vegeta's view
// of the load, overall and per window. A virtual-time report has none of them and renders as
// before.

// durationLine is the header's account of time: virtual, or a drill's scenario and wall time.
func durationLine(r *Report) string {
	if r.WallSeconds == nil {
		return secs(r.VirtualSeconds) + " virtual"
	}
	s := fmt.Sprintf("%s of scenario time, %s wall", secs(r.VirtualSeconds), secs(*r.WallSeconds))
	if r.TimeScale != 0 && r.TimeScale != 1 {
		s += fmt.Sprintf(" (time scale %g)", r.TimeScale)
	}
	return s
}

// Summary is one line of vegeta's figures.
func (l *Load) Summary() string {
	return fmt.Sprintf("%d requests at %.1f/s, success %.2f%%, latency p50 %s p90 %s p99 %s max %s, %s; %d failed on the canary",
		l.Requests, l.Rate, l.Success*100, ms(l.Latencies.P50), ms(l.Latencies.P90), ms(l.Latencies.P99), ms(l.Latencies.Max), codes(l.StatusCodes), l.FailedOnCanary)
}

// ms writes seconds as milliseconds for people.
func ms(s float64) string {
	return strconv.FormatFloat(math.Round(s*1e4)/10, 'f', -1, 64) + "ms"
}

// codes writes status codes and their counts, "200×3167 500×596", in code order.
func codes(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "no answers"
	}
	return strings.Join(parts, " ")
}

// textLoad writes the vegeta line of the text summary.
func textLoad(w io.Writer, r *Report) {
	if r.Load != nil {
		fmt.Fprintf(w, "  vegeta: %s\n", r.Load.Summary())
	}
}

// markdownLoad writes vegeta's figures: the whole run, then each window.
func markdownLoad(b *strings.Builder, r *Report) {
	if r.Load == nil {
		return
	}
	b.WriteString("## Load (vegeta)\n\n| window | requests | rate/s | success | p50 | p90 | p99 | max | status codes | failed on canary |\n|---|---|---|---|---|---|---|---|---|---|\n")
	row := func(name string, l Load) {
		fmt.Fprintf(b, "| %s | %d | %.1f | %.2f%% | %s | %s | %s | %s | %s | %d |\n", name, l.Requests, l.Rate, l.Success*100,
			ms(l.Latencies.P50), ms(l.Latencies.P90), ms(l.Latencies.P99), ms(l.Latencies.Max), codes(l.StatusCodes), l.FailedOnCanary)
	}
	row("**all**", *r.Load)
	for _, w := range r.Windows {
		row(clock(w.At), w.Load)
	}
	b.WriteString("\n")
}

// htmlLoad draws vegeta's time series (success and latency per window) and its table.
func htmlLoad(b *strings.Builder, r *Report) {
	if r.Load == nil {
		return
	}
	end := r.VirtualSeconds
	markers := markersOf(r)
	b.WriteString("<h2>Load (vegeta)</h2>\n")
	fmt.Fprintf(b, "<p>%s.</p>\n", html.EscapeString(r.Load.Summary()))
	if len(r.Windows) > 0 {
		width := 10.0
		if len(r.Windows) > 1 {
			width = r.Windows[1].At - r.Windows[0].At
		}
		mid := func(w Window) float64 { return math.Min(w.At+width/2, end) }
		fail := line{name: "failed", colour: colourCanary}
		canary := line{name: "failed on canary", colour: "#862e9c"}
		p50 := line{name: "p50 latency", colour: colourStable}
		p99 := line{name: "p99 latency", colour: colourCanary}
		for _, w := range r.Windows {
			x := mid(w)
			f, c, q50, q99 := math.NaN(), math.NaN(), math.NaN(), math.NaN()
			if w.Requests > 0 {
				f = 100 * (1 - w.Success)
				c = 100 * float64(w.FailedOnCanary) / float64(w.Requests)
				q50, q99 = w.Latencies.P50*1000, w.Latencies.P99*1000
			}
			fail.xs, fail.ys = append(fail.xs, x), append(fail.ys, f)
			canary.xs, canary.ys = append(canary.xs, x), append(canary.ys, c)
			p50.xs, p50.ys = append(p50.xs, x), append(p50.ys, q50)
			p99.xs, p99.ys = append(p99.xs, x), append(p99.ys, q99)
		}
		panel{title: fmt.Sprintf("Users' failed requests per %s window (vegeta)", secs(width)), unit: "%", height: 170, end: end, markers: markers,
			lines: []line{fail, canary}}.svg(b, "vegeta-errors")
		panel{title: "Users' latency per window (vegeta)", unit: "ms", height: 170, end: end, markers: markers,
			lines: []line{p50, p99}}.svg(b, "vegeta-latency")
	}
	b.WriteString("<table><tr><th>window</th><th>requests</th><th>rate/s</th><th>success</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>status codes</th><th>failed on canary</th></tr>\n")
	row := func(name string, l Load) {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%.1f</td><td>%.2f%%</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>\n",
			name, l.Requests, l.Rate, l.Success*100, ms(l.Latencies.P50), ms(l.Latencies.P90), ms(l.Latencies.P99), ms(l.Latencies.Max), html.EscapeString(codes(l.StatusCodes)), l.FailedOnCanary)
	}
	row("<b>all</b>", *r.Load)
	for _, w := range r.Windows {
		row(clock(w.At), w.Load)
	}
	b.WriteString("</table>\n")
}
