package reports

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The charts of the html report are plain SVG written here: a few polylines and circles need no
// library, and the file stays self-contained (no script, no fetch).

const (
	chartWidth  = 960.0
	chartLeft   = 64.0
	chartRight  = 24.0
	chartTop    = 28.0
	chartBottom = 26.0
)

// Colours: stable and canary, the phases of a measurement, and the markers.
const (
	colourStable = "#1f77b4"
	colourCanary = "#e8590c"
)

var phaseColours = map[string]string{
	"Successful": "#2b8a3e", "Failed": "#e03131", "Inconclusive": "#f08c00", "Error": "#7048e8",
}

// marker is a vertical line across every chart at a time of the run.
type marker struct {
	at     float64
	label  string
	colour string
}

func markersOf(r *Report) []marker {
	var out []marker
	add := func(t *float64, label, colour string) {
		if t != nil {
			out = append(out, marker{*t, label, colour})
		}
	}
	add(r.FaultStartedAt, "fault", "#e03131")
	add(r.DetectedAt, "detected", "#7048e8")
	add(r.AbortedAt, "abort", "#862e9c")
	add(r.TrafficRestoredAt, "traffic restored", "#1971c2")
	add(r.PromotedAt, "promoted", "#2b8a3e")
	return out
}

// line is one series of a chart; NaN breaks it (no requests in that window).
type line struct {
	name   string
	colour string
	xs, ys []float64
	step   bool // hold each value until the next point (a weight)
}

// panel is one chart: lines over time, with markers.
type panel struct {
	title   string
	unit    string
	height  float64
	end     float64 // seconds
	lines   []line
	markers []marker
	// labels puts the markers' names on this panel.
	labels bool
}

func (p panel) x(t float64) float64 {
	if p.end <= 0 {
		return chartLeft
	}
	return chartLeft + t/p.end*(chartWidth-chartLeft-chartRight)
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

func (p panel) svg(b *strings.Builder, id string) {
	ymax := 0.0
	for _, l := range p.lines {
		for _, y := range l.ys {
			if !math.IsNaN(y) {
				ymax = math.Max(ymax, y)
			}
		}
	}
	ymax = niceMax(ymax)
	h := p.height
	plotH := h - chartTop - chartBottom
	y := func(v float64) float64 { return chartTop + plotH - v/ymax*plotH }
	fmt.Fprintf(b, `<svg id="%s" class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`+"\n",
		id, chartWidth, h, chartWidth, h, html.EscapeString(p.title))
	fmt.Fprintf(b, `<text x="%.0f" y="16" class="title">%s</text>`+"\n", chartLeft, html.EscapeString(p.title))
	p.axes(b, y, ymax, plotH)
	for _, m := range p.markers {
		x := p.x(m.at)
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3" class="marker"/>`+"\n",
			x, x, chartTop, chartTop+plotH, m.colour)
	}
	if p.labels {
		p.markerLabels(b)
	}
	for _, l := range p.lines {
		p.polyline(b, l, y)
	}
	p.legend(b)
	b.WriteString("</svg>\n")
}

func (p panel) axes(b *strings.Builder, y func(float64) float64, ymax, plotH float64) {
	right := chartWidth - chartRight
	for _, v := range []float64{0, ymax / 2, ymax} {
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="grid"/>`, chartLeft, right, y(v), y(v))
		fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="tick" text-anchor="end">%s%s</text>`+"\n", chartLeft-6, y(v)+4, trimFloat(v), p.unit)
	}
	for _, t := range timeTicks(p.end) {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="middle">%s</text>`, p.x(t), chartTop+plotH+16, clock(t))
	}
	b.WriteString("\n")
}

func (p panel) markerLabels(b *strings.Builder) {
	lastX := -1000.0
	row := 0
	for _, m := range p.markers {
		x := p.x(m.at)
		if x-lastX < 90 {
			row++
		} else {
			row = 0
		}
		lastX = x
		// Near the right edge the label goes on the line's left, so it is not cut off.
		anchor, tx := "start", x+3
		if x > chartWidth-chartRight-110 {
			anchor, tx = "end", x-3
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="mlabel" fill="%s" text-anchor="%s">%s</text>`+"\n", tx, chartTop+10+float64(row)*12, m.colour, anchor, html.EscapeString(m.label))
	}
}

func (p panel) polyline(b *strings.Builder, l line, y func(float64) float64) {
	var pts []string
	flush := func() {
		if len(pts) > 0 {
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`+"\n", l.colour, strings.Join(pts, " "))
		}
		pts = pts[:0]
	}
	for i, t := range l.xs {
		v := l.ys[i]
		if math.IsNaN(v) {
			flush()
			continue
		}
		if l.step && len(pts) > 0 {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(t), y(l.ys[i-1])))
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(t), y(v)))
	}
	if l.step && len(l.xs) > 0 && !math.IsNaN(l.ys[len(l.ys)-1]) {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(p.end), y(l.ys[len(l.ys)-1])))
	}
	flush()
}

func (p panel) legend(b *strings.Builder) {
	x := chartWidth - chartRight
	for i := len(p.lines) - 1; i >= 0; i-- {
		l := p.lines[i]
		w := 14 + 7*float64(len(l.name))
		x -= w
		fmt.Fprintf(b, `<rect x="%.0f" y="8" width="10" height="10" fill="%s"/><text x="%.0f" y="17" class="tick">%s</text>`+"\n", x, l.colour, x+14, html.EscapeString(l.name))
	}
}

// dots is the measurements panel: one row per metric of each analysis run, a point per
// measurement coloured by its phase.
func dots(b *strings.Builder, r *Report, end float64, markers []marker) {
	type row struct {
		name string
		ms   []Measurement
	}
	var rows []row
	for _, ar := range r.AnalysisRuns {
		for _, m := range ar.Metrics {
			rows = append(rows, row{fmt.Sprintf("%s %s", ar.Kind, m.Name), m.Measurements})
		}
	}
	if len(rows) == 0 {
		return
	}
	p := panel{title: "Measurements (coloured by phase)", end: end, markers: markers}
	rowH := 22.0
	h := chartTop + chartBottom + rowH*float64(len(rows))
	fmt.Fprintf(b, `<svg id="measurements" class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="measurements">`+"\n", chartWidth, h, chartWidth, h)
	fmt.Fprintf(b, `<text x="%.0f" y="16" class="title">%s</text>`+"\n", chartLeft, p.title)
	x := chartWidth - chartRight
	for _, ph := range []string{"Error", "Inconclusive", "Failed", "Successful"} {
		x -= 14 + 7*float64(len(ph))
		fmt.Fprintf(b, `<circle cx="%.0f" cy="13" r="5" fill="%s"/><text x="%.0f" y="17" class="tick">%s</text>`+"\n", x+5, phaseColours[ph], x+14, ph)
	}
	for _, m := range markers {
		mx := p.x(m.at)
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3" class="marker"/>`+"\n", mx, mx, chartTop, h-chartBottom, m.colour)
	}
	for i, rw := range rows {
		cy := chartTop + rowH*float64(i) + rowH/2
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="grid"/>`, chartLeft, chartWidth-chartRight, cy, cy)
		fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="tick" text-anchor="start">%s</text>`+"\n", 4.0, cy-6, html.EscapeString(rw.name))
		for _, ms := range rw.ms {
			c := phaseColours[ms.Phase]
			if c == "" {
				c = "#868e96"
			}
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4.5" fill="%s" class="measurement"><title>%s %s %s</title></circle>`+"\n",
				p.x(ms.At), cy+3, c, clock(ms.At), ms.Phase, html.EscapeString(ms.Value))
		}
	}
	for _, t := range timeTicks(end) {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="middle">%s</text>`, p.x(t), h-chartBottom+16, clock(t))
	}
	b.WriteString("</svg>\n")
}

// timeTicks are about eight round times between 0 and end.
func timeTicks(end float64) []float64 {
	steps := []float64{10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if end/s <= 8 {
			step = s
			break
		}
	}
	var out []float64
	for t := 0.0; t <= end+1e-9; t += step {
		out = append(out, t)
	}
	return out
}

// clock writes seconds as m:ss, or h:mm past an hour.
func clock(s float64) string {
	n := int64(math.Round(s))
	if n >= 3600 {
		return fmt.Sprintf("%dh%02d", n/3600, n%3600/60)
	}
	return fmt.Sprintf("%d:%02d", n/60, n%60)
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
