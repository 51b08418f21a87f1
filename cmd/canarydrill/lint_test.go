package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLintExitCodesAndOutput(t *testing.T) {
	seed := []string{"../../scenarios/builtin/seed/analysis-template.yaml", "../../scenarios/builtin/seed/rollout.yaml"}

	code, out, errs := runCLI(t, append([]string{"lint"}, seed...)...)
	assert.Equal(t, 0, code, "warnings do not fail")
	assert.Empty(t, out)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	assert.Len(t, lines, 3)
	for _, l := range lines {
		assert.True(t, strings.HasPrefix(l, "../../scenarios/builtin/seed/analysis-template.yaml: AnalysisTemplate/success-rate-check: spec.metrics[0]."), l)
		assert.True(t, strings.HasSuffix(l, "(warning)"), l)
	}

	code, _, _ = runCLI(t, append([]string{"lint", "--strict"}, seed...)...)
	assert.Equal(t, 1, code, "--strict fails on warnings")

	code, _, errs = runCLI(t, "lint", "../../lint/testdata/broken/templates.yaml")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "templates.yaml: AnalysisTemplate/limits: spec.metrics[4]: no provider specified (error)\n")

	code, out, _ = runCLI(t, "lint", "--format", "json", "builtin:analysis-empty-query-aborts")
	assert.Equal(t, 0, code)
	var report struct {
		Files    []string `json:"files"`
		Findings []struct {
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
		} `json:"findings"`
		Warnings int `json:"warnings"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &report))
	assert.Equal(t, []string{"builtin:analysis-empty-query-aborts"}, report.Files)
	require.Equal(t, 1, report.Warnings)
	assert.Equal(t, "unguarded-index", report.Findings[0].Rule)

	code, _, errs = runCLI(t, "lint", "nope.yaml")
	assert.Equal(t, 2, code)
	assert.Equal(t, "nope.yaml: cannot read: no such file or directory\n", errs)

	code, _, _ = runCLI(t, "lint", "--format", "xml", seed[0])
	assert.Equal(t, 2, code)
}
