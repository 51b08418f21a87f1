// Package lint checks Argo Rollouts objects and canarydrill scenarios without running them.
package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Severity is how bad a finding is: an error fails the lint, a warning only with --strict.
type Severity string

// The severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem, located by file, object and field path.
type Finding struct {
	// File is the file the object came from (for an inline manifest of a scenario, the scenario
	// file and the manifest's field path).
	File string `json:"file"`
	// Kind and Name are the object's, empty for a problem of the file itself.
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
	// Field is the field path inside the object, e.g. spec.metrics[0].successCondition.
	Field    string   `json:"field,omitempty"`
	Severity Severity `json:"severity"`
	// Rule names the check (the Rule* constants).
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// String is the finding as one line: "FILE: Kind/name: field.path: message (severity)", the
// object and field parts left out when empty.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Kind != "" {
		b.WriteString(": " + f.Kind + "/" + f.Name)
	}
	if f.Field != "" {
		b.WriteString(": " + f.Field)
	}
	fmt.Fprintf(&b, ": %s (%s)", f.Message, f.Severity)
	return b.String()
}

// Report is the outcome of linting a set of files.
type Report struct {
	// Files are the inputs, as named.
	Files []string `json:"files"`
	// Findings are in input order, then object order, then field order.
	Findings []Finding `json:"findings"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
}

// Exit codes of `canarydrill lint` (CONTRACT.md).
const (
	ExitOK         = 0
	ExitFindings   = 1
	ExitUnreadable = 2
)

// ExitCode is ExitFindings when there are errors, or warnings and strict, else ExitOK.
func (r *Report) ExitCode(strict bool) int {
	if r.Errors > 0 || (strict && r.Warnings > 0) {
		return ExitFindings
	}
	return ExitOK
}

// WriteText writes one line per finding.
func (r *Report) WriteText(w io.Writer) error {
	for _, f := range r.Findings {
		if _, err := fmt.Fprintln(w, f.String()); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// add appends findings, dropping exact repeats, and keeps the counts.
func (r *Report) add(fs ...Finding) {
	for _, f := range fs {
		dup := false
		for _, g := range r.Findings {
			if g == f {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		r.Findings = append(r.Findings, f)
		if f.Severity == Error {
			r.Errors++
		} else {
			r.Warnings++
		}
	}
}
