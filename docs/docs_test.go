package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binary is canarydrill built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "canarydrill-docs-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "canarydrill")
	out, err := exec.Command("go", "build", "-o", binary, "../cmd/canarydrill").CombinedOutput()
	if err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var fence = regexp.MustCompile("(?ms)^```([a-z]+)( [a-z]+)?\n(.*?)^```")

type block struct{ lang, tag, body string }

func blocks(t *testing.T, file string) []block {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var out []block
	for _, m := range fence.FindAllStringSubmatch(string(b), -1) {
		out = append(out, block{m[1], strings.TrimSpace(m[2]), m[3]})
	}
	return out
}

// TestConsoleExamples runs every `console` block that starts with `$ canarydrill` and
// compares what it prints with the rest of the block. Blocks with only a command just run.
func TestConsoleExamples(t *testing.T) {
	files, _ := filepath.Glob("*.md")
	files = append(files, "../README.md")
	n := 0
	for _, f := range files {
		for _, b := range blocks(t, f) {
			if b.lang != "console" {
				continue
			}
			lines := strings.SplitAfter(b.body, "\n")
			cmdline := strings.TrimSpace(strings.TrimPrefix(lines[0], "$ "))
			if !strings.HasPrefix(cmdline, "canarydrill ") {
				continue
			}
			n++
			want := strings.Join(lines[1:], "")
			t.Run(f+": "+cmdline, func(t *testing.T) {
				cmd := exec.Command(binary, strings.Fields(cmdline)[1:]...)
				cmd.Dir = t.TempDir()
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				require.NoError(t, err, "stderr: %s", stderr.String())
				if want != "" {
					assert.Equal(t, want, stdout.String())
				}
			})
		}
	}
	assert.Positive(t, n, "no console examples found")
}

// TestScenarioExamples runs every `yaml scenario` block and requires its expectations to hold.
func TestScenarioExamples(t *testing.T) {
	files, _ := filepath.Glob("*.md")
	n := 0
	for _, f := range files {
		for i, b := range blocks(t, f) {
			if b.lang != "yaml" || b.tag != "scenario" {
				continue
			}
			n++
			t.Run(f, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "example.yaml")
				require.NoError(t, os.WriteFile(path, []byte(b.body), 0o644))
				cmd := exec.Command(binary, "run", path, "--out", filepath.Join(dir, "out"))
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "%s block %d:\n%s", f, i, out)
				assert.Contains(t, string(out), "PASS")
			})
		}
	}
	assert.Positive(t, n, "no scenario examples found")
}
