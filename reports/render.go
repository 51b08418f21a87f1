package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/canarydrill/canarydrill/scenarios"
)

// The formats a report can be written in.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatJUnit    = "junit"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// Formats lists every format, for flag help and validation.
var Formats = []string{FormatText, FormatJSON, FormatJUnit, FormatMarkdown, FormatHTML}

// JSON encodes the report as report.json: indented, keys in a fixed order, ending in a newline.
func JSON(r *Report) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Text writes the short human summary of a report.
func Text(w io.Writer, r *Report) error {
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s  %s  %s (phase %s)  seed %d  %s\n", r.Scenario, verdict, r.Outcome, orDash(r.FinalPhase), r.Seed, durationLine(r))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(name string, at *float64, since *float64) {
		if at == nil {
			return
		}
		s := secs(*at)
		if since != nil {
			s += fmt.Sprintf("\t(%s after the fault)", secs(*since))
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, s)
	}
	line("fault started", r.FaultStartedAt, nil)
	line("first bad measurement", r.FirstBadMeasurementAt, nil)
	line("detected", r.DetectedAt, r.DetectionSeconds)
	line("aborted", r.AbortedAt, nil)
	line("traffic restored", r.TrafficRestoredAt, r.RollbackSeconds)
	line("canary scaled down", r.CanaryScaledDownAt, nil)
	line("promoted", r.PromotedAt, nil)
	fmt.Fprintf(tw, "  requests\t%d, failed %d (canary served %d, failed %d)\n",
		r.Requests.Total, r.Requests.Failed, r.Requests.ServedByCanary, r.Requests.FailedOnCanary)
	if r.Requests.PaymentsFailed > 0 {
		fmt.Fprintf(tw, "  payments\t%d, failed silently %d\n", r.Requests.PaymentsReceived, r.Requests.PaymentsFailed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	textLoad(w, r)
	for _, ar := range r.AnalysisRuns {
		n := 0
		for _, m := range ar.Metrics {
			n += len(m.Measurements)
		}
		fmt.Fprintf(w, "  analysis %s (%s): %s, %d measurements", ar.Name, ar.Kind, ar.Phase, n)
		if ar.Message != "" {
			fmt.Fprintf(w, ": %s", ar.Message)
		}
		fmt.Fprintln(w)
	}
	if r.FinalMessage != "" {
		fmt.Fprintf(w, "  message: %s\n", r.FinalMessage)
	}
	for _, x := range r.Expectations {
		mark := "ok  "
		if !x.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s\n", mark, x.Describe())
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// secs writes seconds for people: "65s", and past an hour "9h22m5s" rather than "33725s".
func secs(s float64) string {
	d := time.Duration(math.Round(s * float64(time.Second))) // 64.998 s is not 64.997999999 s
	if d > time.Hour && d%time.Hour != 0 {
		return d.Round(time.Second).String()
	}
	return scenarios.FormatDuration(d)
}

// Render writes the report in one format.
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatText:
		return Text(w, r)
	case FormatJSON:
		b, err := JSON(r)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case FormatJUnit:
		return JUnit(w, r)
	case FormatMarkdown:
		return Markdown(w, r)
	case FormatHTML:
		return HTML(w, r)
	}
	return fmt.Errorf("format %q is not one of %s", format, strings.Join(Formats, ", "))
}

// FileName is the file a format is written to in a scenario's report folder.
func FileName(format string) string {
	switch format {
	case FormatJSON:
		return "report.json"
	case FormatJUnit:
		return "junit.xml"
	case FormatMarkdown:
		return "report.md"
	case FormatHTML:
		return "report.html"
	}
	return "summary.txt"
}
