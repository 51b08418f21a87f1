package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/reports"
)

func TestRunWritesEveryFormatWhole(t *testing.T) {
	scs, err := Load([]string{"builtin:seed-bad-canary-bake"})
	require.NoError(t, err)
	dir := t.TempDir()
	res, err := Run(t.Context(), scs[0], Options{Out: dir, Formats: []string{reports.FormatJUnit, reports.FormatMarkdown, reports.FormatHTML}})
	require.NoError(t, err)
	assert.True(t, res.Report.Passed)
	entries, err := os.ReadDir(res.Dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), e.Name())
	}
	assert.Equal(t, []string{"junit.xml", "report.html", "report.json", "report.md"}, names, "no temporary files left")
}

func TestLoadRejectsDuplicateNames(t *testing.T) {
	_, err := Load([]string{"builtin:seed-good-canary", "builtin:seed-good-canary"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `metadata.name: Duplicate value: "seed-good-canary"`)
	_, err = Load([]string{filepath.Join("testdata", "nope.yaml")})
	assert.Error(t, err)
}
