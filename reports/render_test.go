package reports_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// report runs a built-in: a real report with a fault, a detection, an abort and measurements.
func report(t *testing.T, name string) *reports.Report {
	t.Helper()
	sc, err := scenarios.Load(scenarios.BuiltinPrefix + name)
	require.NoError(t, err)
	r, err := sim.Run(t.Context(), sc, 1)
	require.NoError(t, err)
	return r
}

// withFailure is r with one expectation that did not hold.
func withFailure(r *reports.Report) *reports.Report {
	cp := *r
	cp.Expectations = append([]reports.Expectation{{Name: "detectionWithin", Want: "10s", Got: "55s", Passed: false}}, r.Expectations...)
	cp.Passed = false
	return &cp
}

func TestJUnitIsValidJUnitXML(t *testing.T) {
	ok := report(t, "lesson-background-analysis")
	bad := withFailure(ok)
	var b bytes.Buffer
	require.NoError(t, reports.JUnit(&b, ok, bad))

	// Strict parse: the structure CI systems read.
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	dec.Strict = true
	require.NoError(t, dec.Decode(&doc))
	require.Len(t, doc.Suites, 2)
	assert.Equal(t, len(ok.Expectations)*2+1, doc.Tests, "one testcase per expectation")
	assert.Equal(t, 1, doc.Failures)
	assert.Equal(t, "outcome", doc.Suites[0].Cases[0].Name)
	assert.Equal(t, "detectionWithin: want 10s, got 55s", doc.Suites[1].Cases[0].Failure.Message)

	// The schema, with xmllint where it is installed (hack/install.sh installs it).
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed: schema validation skipped")
	}
	f := filepath.Join(t.TempDir(), "junit.xml")
	require.NoError(t, os.WriteFile(f, b.Bytes(), 0o644))
	out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", f).CombinedOutput()
	require.NoError(t, err, "%s", out)
}

func TestHTMLIsOneFileWithItsCharts(t *testing.T) {
	r := report(t, "lesson-background-analysis")
	var b bytes.Buffer
	require.NoError(t, reports.HTML(&b, r))
	page := b.String()
	for _, id := range []string{`id="traffic"`, `id="errors"`, `id="latency"`, `id="measurements"`} {
		assert.Contains(t, page, "<svg "+id, "chart %s", id)
	}
	for _, marker := range []string{">fault<", ">detected<", ">abort<", ">traffic restored<"} {
		assert.Contains(t, page, marker)
	}
	assert.Equal(t, 12, strings.Count(page, `class="measurement"`), "a point per measurement")
	assert.Contains(t, page, `fill="#e03131" class="measurement"`, "failed measurements in red")
	lower := strings.ToLower(page)
	for _, external := range []string{"http://", "https://", "<script", "<link", " src=", "@import", "url("} {
		assert.NotContains(t, lower, external, "self-contained: nothing fetched")
	}
}

func TestMarkdown(t *testing.T) {
	r := withFailure(report(t, "lesson-payment-completion-rate"))
	var b bytes.Buffer
	require.NoError(t, reports.Markdown(&b, r))
	md := b.String()
	assert.True(t, strings.HasPrefix(md, "# lesson-payment-completion-rate: ❌ FAIL\n"))
	assert.Contains(t, md, "| detected | 145s | 85s |")
	assert.Contains(t, md, "| detectionWithin | 10s | 55s | ❌ |")
	assert.Contains(t, md, "| payment-completion-rate |")
	assert.Contains(t, md, "failed silently")
}
