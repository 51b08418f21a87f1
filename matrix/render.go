package matrix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// The formats a matrix can be written in.
const (
	FormatTable    = "table"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// Formats lists every format.
var Formats = []string{FormatTable, FormatJSON, FormatMarkdown}

// Render writes the matrix in one format.
func Render(w io.Writer, r *Result, format string) error {
	switch format {
	case FormatTable:
		return Table(w, r)
	case FormatJSON:
		b, err := JSON(r)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case FormatMarkdown:
		return Markdown(w, r)
	}
	return fmt.Errorf("format %q is not one of %s", format, strings.Join(Formats, ", "))
}

// JSON is the matrix as matrix.json: indented, ending in a newline.
func JSON(r *Result) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(r)
	return b.Bytes(), err
}

// columns are the cells of a variant's row, shared by the table and markdown.
func columns(r *Result, v Variant) []string {
	fp := "-"
	if v.FalsePositive != nil {
		fp = rate(*v.FalsePositive)
	}
	return []string{v.Name, strconv.Itoa(v.Runs), outcomes(v.Outcomes), triple(v.Detection, "s"), triple(v.Rollback, "s"),
		triple(v.UserErrors, ""), rate(v.Missed), fp}
}

var headers = []string{"variant", "runs", "outcomes", "detection p50/p90/max", "rollback p50/p90/max",
	"user errors p50/p90/max", "missed failures (95% CI)", "false positives (95% CI)"}

func heading(r *Result) string {
	twin := "no healthy twin (false positives unknown)"
	if r.Baseline {
		twin = "each with its healthy twin"
	}
	return fmt.Sprintf("%s: %d seeds from %d per variant, %s", r.Scenario, r.Seeds, r.FirstSeed, twin)
}

// Table writes the matrix as aligned text.
func Table(w io.Writer, r *Result) error {
	fmt.Fprintf(w, "%s\n", heading(r))
	for _, s := range r.Sets {
		fmt.Fprintf(w, "  --set %s=%s\n", s.Path, strings.Join(s.Values, ","))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(headers, "\t")))
	for i, v := range r.Variants {
		c := columns(r, v)
		if i == r.Recommended {
			c[0] += " *"
		}
		fmt.Fprintln(tw, strings.Join(c, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "recommend: %s\n", r.Recommendation)
	return err
}

// Markdown writes the matrix as a Markdown table.
func Markdown(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Matrix: %s\n\n", heading(r))
	for _, s := range r.Sets {
		fmt.Fprintf(&b, "- `--set %s=%s`\n", s.Path, strings.Join(s.Values, ","))
	}
	if len(r.Sets) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(headers, " | "), strings.Repeat("---|", len(headers)))
	for i, v := range r.Variants {
		c := columns(r, v)
		if i == r.Recommended {
			c[0] = "**" + c[0] + "**"
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(c, " | "))
	}
	fmt.Fprintf(&b, "\n**Recommendation:** %s\n", r.Recommendation)
	_, err := io.WriteString(w, b.String())
	return err
}

func outcomes(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func triple(d Dist, unit string) string {
	if d.N == 0 {
		return "-"
	}
	return num(d.P50) + unit + "/" + num(d.P90) + unit + "/" + num(d.Max) + unit
}

func num(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func rate(r Rate) string {
	return fmt.Sprintf("%d/%d %s [%s-%s]", r.Count, r.N, pct(r.Rate), pct(r.Low), pct(r.High))
}

func pct(x float64) string {
	return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
}
