package conformance

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints results side by side, one line per field, kubectl-style columns ("=" where
// canarydrill's value is Argo's), and a last line counting the scenarios that conform.
func WriteTable(w io.Writer, argoVersion string, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SCENARIO\tFIELD\tARGO ROLLOUTS %s\tCANARYDRILL\tVERDICT\n", argoVersion)
	passed := 0
	for _, r := range results {
		if r.Passed() {
			passed++
		}
		for i, row := range r.Rows {
			name := ""
			if i == 0 {
				name = r.Scenario
			}
			ours := row.Ours
			if row.Verdict == Same {
				ours = "=" // the same value twice would only widen the table
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, row.Field, row.Argo, ours, row.Verdict)
		}
		if r.Declared != "" {
			fmt.Fprintf(tw, "\tdeclared\t\t\t%s\n", r.Declared)
		}
	}
	fmt.Fprintf(tw, "\n%d of %d scenarios conform\n", passed, len(results))
	return tw.Flush()
}

// WriteMarkdown prints results as a markdown table, for docs/conformance.md.
func WriteMarkdown(w io.Writer, argoVersion string, results []Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| scenario | field | Argo Rollouts %s | canarydrill | verdict |\n|---|---|---|---|---|\n", argoVersion)
	for _, r := range results {
		for i, row := range r.Rows {
			name := ""
			if i == 0 {
				name = "`" + r.Scenario + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, row.Field, cell(row.Argo), cell(row.Ours), row.Verdict)
		}
		if r.Declared != "" {
			fmt.Fprintf(&b, "| | declared | | | %s |\n", cell(r.Declared))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell escapes what would break a markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
