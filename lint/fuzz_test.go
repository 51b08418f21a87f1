package lint

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzLint lints arbitrary files, as manifests and, when they say so, as scenarios: whatever
// the bytes, lint returns a report and never panics. The seeds are the testdata files.
func FuzzLint(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("apiVersion: canarydrill.io/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  manifests:\n  - path: m.yaml\n"))
	fsys := fstest.MapFS{"m.yaml": {Data: []byte("apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec: {metrics: [{name: m}]}\n")}}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Lint([]Input{{Name: "fuzz.yaml", Data: data, FS: fsys, Dir: "."}})
		if r.Errors+r.Warnings != len(r.Findings) {
			t.Fatalf("counts %d+%d for %d findings", r.Errors, r.Warnings, len(r.Findings))
		}
		for _, fd := range r.Findings {
			_ = fd.String()
		}
	})
}
