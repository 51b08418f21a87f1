package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/scenarios"
)

var update = flag.Bool("update", false, "rewrite testdata/broken.golden")

// want is a finding a testdata file plants: "# want: SEVERITY RULE Kind/name field" ("-" for
// an empty part).
type want struct{ severity, rule, object, field string }

func (w want) String() string {
	return strings.Join([]string{w.severity, w.rule, w.object, w.field}, " ")
}

func wants(t *testing.T, file string) []want {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var out []want
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "# want:")
		if !ok {
			continue
		}
		parts := strings.Fields(rest)
		require.Len(t, parts, 4, "want line %q", sc.Text())
		for i, p := range parts {
			if p == "-" {
				parts[i] = ""
			}
		}
		out = append(out, want{parts[0], parts[1], parts[2], parts[3]})
	}
	return out
}

func asWant(f Finding) want {
	object := ""
	if f.Kind != "" {
		object = f.Kind + "/" + f.Name
	}
	return want{string(f.Severity), f.Rule, object, f.Field}
}

// TestBrokenFiles: lint reports every finding a broken file plants, and nothing else.
func TestBrokenFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/broken/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var golden bytes.Buffer
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			r, err := Files([]string{file})
			require.NoError(t, err)
			var got []string
			for _, f := range r.Findings {
				assert.True(t, strings.HasPrefix(f.File, file), "finding about another file: %s", f)
				got = append(got, asWant(f).String())
			}
			var expected []string
			for _, w := range wants(t, file) {
				expected = append(expected, w.String())
			}
			slices.Sort(got)
			slices.Sort(expected)
			assert.Equal(t, expected, got)
			assert.Positive(t, r.Errors, "a broken file has errors")
			assert.Equal(t, ExitFindings, r.ExitCode(false))
			require.NoError(t, r.WriteText(&golden))
		})
	}
	const goldenFile = "testdata/broken.golden"
	if *update {
		require.NoError(t, os.WriteFile(goldenFile, golden.Bytes(), 0o644))
	}
	b, err := os.ReadFile(goldenFile)
	require.NoError(t, err)
	assert.Equal(t, string(b), golden.String(), "run go test ./lint -run TestBrokenFiles -update to regenerate")
}

// TestSeedPasses: the seed's templates and every built-in scenario have no errors.
func TestSeedPasses(t *testing.T) {
	r, err := Files([]string{"../scenarios/builtin/seed/analysis-template.yaml", "../scenarios/builtin/seed/rollout.yaml"})
	require.NoError(t, err)
	assert.Zero(t, r.Errors, "%v", r.Findings)
	assert.Equal(t, ExitOK, r.ExitCode(false))
	assert.Equal(t, ExitFindings, r.ExitCode(true), "the seed's lessons are warnings")

	for _, name := range scenarios.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			r, err := Files([]string{scenarios.BuiltinPrefix + name})
			require.NoError(t, err)
			for _, f := range r.Findings {
				assert.NotEqual(t, Error, f.Severity, "%s", f)
			}
		})
	}
}

// TestValidFiles: files written the way lint asks have no findings at all.
func TestValidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	r, err := Files(files)
	require.NoError(t, err)
	assert.Empty(t, r.Findings)
	assert.Equal(t, ExitOK, r.ExitCode(true))
}

func TestUnreadable(t *testing.T) {
	_, err := Files([]string{"testdata/valid/rollout.yaml", "testdata/nope.yaml", "builtin:nope"})
	var re *ReadError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, []string{
		"testdata/nope.yaml: cannot read: no such file or directory",
		"builtin:nope: cannot read: file does not exist",
	}, re.Problems)
}

func TestFindingString(t *testing.T) {
	f := Finding{File: "t.yaml", Kind: "AnalysisTemplate", Name: "x", Field: "spec.metrics[0]", Severity: Error, Message: "no provider specified"}
	assert.Equal(t, "t.yaml: AnalysisTemplate/x: spec.metrics[0]: no provider specified (error)", f.String())
	f = Finding{File: "t.yaml", Severity: Warning, Message: "m"}
	assert.Equal(t, "t.yaml: m (warning)", f.String())
}

func TestExitCodeAndJSON(t *testing.T) {
	r := &Report{Files: []string{"a.yaml"}, Findings: []Finding{}}
	assert.Equal(t, ExitOK, r.ExitCode(true))
	r.add(Finding{File: "a.yaml", Severity: Warning, Rule: RuleGuard, Message: "w"}, Finding{File: "a.yaml", Severity: Warning, Rule: RuleGuard, Message: "w"})
	assert.Equal(t, 1, r.Warnings, "repeats are dropped")
	assert.Equal(t, ExitOK, r.ExitCode(false))
	assert.Equal(t, ExitFindings, r.ExitCode(true))
	r.add(Finding{File: "a.yaml", Severity: Error, Rule: RuleArgo, Message: "e"})
	assert.Equal(t, ExitFindings, r.ExitCode(false))

	var b bytes.Buffer
	require.NoError(t, r.WriteJSON(&b))
	var back Report
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *r, back)
	assert.Contains(t, b.String(), `"severity": "error"`)
}

func TestSplitField(t *testing.T) {
	f, m := splitField("spec.timeline[0].fault: Unsupported value: \"lag\"")
	assert.Equal(t, "spec.timeline[0].fault", f)
	assert.Equal(t, "Unsupported value: \"lag\"", m)
	f, m = splitField("document 2: yaml: bad")
	assert.Empty(t, f)
	assert.Equal(t, "document 2: yaml: bad", m)
}
