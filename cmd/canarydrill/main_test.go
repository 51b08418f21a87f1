package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunBuiltinsPassAndWriteReports(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "run", "builtin:seed-good-canary", "builtin:seed-bad-canary", "--out", dir)
	require.Equal(t, 0, code, "stderr: %s", errs)
	assert.Contains(t, out, "seed-good-canary  PASS  Promoted")
	assert.Contains(t, out, "seed-bad-canary  PASS  RolledBack")
	for name, outcome := range map[string]string{"seed-good-canary": "Promoted", "seed-bad-canary": "RolledBack"} {
		b, err := os.ReadFile(filepath.Join(dir, name, "report.json"))
		require.NoError(t, err)
		var r map[string]any
		require.NoError(t, json.Unmarshal(b, &r))
		assert.Equal(t, outcome, r["outcome"])
		assert.Equal(t, true, r["passed"])
		for _, k := range []string{"scenario", "seed", "finalPhase", "virtualSeconds", "faultStartedAt", "firstBadMeasurementAt",
			"detectedAt", "abortedAt", "trafficRestoredAt", "canaryScaledDownAt", "promotedAt", "detectionSeconds",
			"rollbackSeconds", "requests", "expectations", "analysisRuns", "events"} {
			assert.Contains(t, r, k, "report.json of %s lacks %s", name, k)
		}
	}
}

func TestRunJSONFormatPrintsTheReport(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, "run", "builtin:seed-bad-canary", "--out", dir, "--format", "json")
	require.Equal(t, 0, code)
	b, err := os.ReadFile(filepath.Join(dir, "seed-bad-canary", "report.json"))
	require.NoError(t, err)
	assert.Equal(t, string(b), out)
}

func TestFailedExpectationExitsOne(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, "run", "testdata/wrong-expectation.yaml", "--out", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "FAIL outcome: want RolledBack, got Promoted")
	b, err := os.ReadFile(filepath.Join(dir, "wrong-expectation", "report.json"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"passed": false`)
}

func TestBadInputExitsTwoWithOneLinePerProblemAndNoReport(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "run", "builtin:seed-good-canary", "testdata/missing-template.yaml", "--out", dir)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	want := []string{
		`testdata/missing-template.yaml: spec.timeline[0].fault: Unsupported value: "http-errorz"`,
		`Rollout app: spec.strategy.canary.steps[1].analysis.templates[0]: template "succes-rate" not found`,
		`AnalysisTemplate success-rate: spec.metrics[0].successCondition: expression does not compile`,
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, w)
		}
		assert.True(t, found, "no line contains %q in:\n%s", w, errs)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing runs when any input is bad")
}

func TestUnknownFieldAndMissingFile(t *testing.T) {
	code, _, errs := runCLI(t, "run", "testdata/unknown-field.yaml", "--out", t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `testdata/unknown-field.yaml: unknown field "spec.trafic"`)
	assert.Contains(t, errs, `spec.manifests[0].path: cannot read "does-not-exist.yaml"`)

	code, _, errs = runCLI(t, "run", "testdata/nope.yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "testdata/nope.yaml: no such scenario file")
}

func TestScenariosListsBuiltins(t *testing.T) {
	code, out, _ := runCLI(t, "scenarios")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "builtin:seed-good-canary")
	assert.Contains(t, out, "builtin:seed-bad-canary")
}

func TestMatrixWritesItsTableAndRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "matrix", "builtin:lesson-failure-limit-low", "--seeds", "3",
		"--set", "analysisTemplate.success-rate-check.spec.metrics[0].failureLimit=0,3", "--out", dir)
	require.Equal(t, 0, code, "stderr: %s", errs)
	assert.Contains(t, out, "failureLimit=0 *")
	assert.Contains(t, out, "recommend: failureLimit=0")
	assert.NotContains(t, errs, "runs", "no progress bar off a terminal")
	for _, f := range []string{"matrix.json", "matrix.md"} {
		_, err := os.Stat(filepath.Join(dir, "lesson-failure-limit-low", f))
		assert.NoError(t, err)
	}

	code, out, errs = runCLI(t, "matrix", "builtin:lesson-failure-limit-low", "--seeds", "0", "--set", "nonsense", "--out", dir)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Len(t, strings.Split(strings.TrimSpace(errs), "\n"), 2, "one line per problem: %s", errs)

	code, _, errs = runCLI(t, "matrix", "builtin:lesson-failure-limit-low", "--seeds", "2", "--set", "analysisTemplate.success-rate-check.spec.metrics[0].failureLimt=1", "--out", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `unknown field "spec.metrics[0].failureLimt"`)
}

func TestRunJUnitIsOneDocument(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, "run", "builtin:seed-good-canary", "builtin:seed-bad-canary", "--out", dir, "--format", "junit")
	require.Equal(t, 0, code)
	assert.Equal(t, 1, strings.Count(out, "<testsuites"))
	assert.Equal(t, 2, strings.Count(out, "<testsuite "))
	_, err := os.Stat(filepath.Join(dir, "seed-bad-canary", "junit.xml"))
	assert.NoError(t, err)
}

// TestRealAPIRefusesWhatCannotRunThere: before any control plane starts, `run --api real` and
// `conformance` name, one line each, what the real API cannot run, and exit 2 with no report.
func TestRealAPIRefusesWhatCannotRunThere(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"run", "--api", "real", "--time-scale", "0.1", "--out", dir, "builtin:analysis-job-fails-rolls-back", "builtin:fault-crash-loop"},
		{"conformance", "--out", dir, "builtin:analysis-job-fails-rolls-back", "builtin:fault-crash-loop"},
	} {
		code, out, errs := runCLI(t, args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if code != 2 || out != "" || len(lines) != 2 ||
			!strings.Contains(lines[0], "metric smoke-test: the job provider needs a Job controller") ||
			!strings.Contains(lines[1], "builtin:fault-crash-loop: spec.timeline[1].fault: crash-loop") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args[0], code, out, errs)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("reports written: %v", entries)
	}
	code, _, errs := runCLI(t, "conformance", "builtin:analysis-latency-judge-catches")
	if code != 2 || !strings.Contains(errs, "the judge provider is canarydrill's") {
		t.Errorf("conformance of a judge scenario: exit %d, %q", code, errs)
	}
}
