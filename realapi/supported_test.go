package realapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/scenarios"
)

// TestUnsupportedBuiltins pins which built-ins cannot run against a real API at 0.1.
func TestUnsupportedBuiltins(t *testing.T) {
	want := map[string]string{
		"analysis-job-fails-rolls-back":    "the job provider",
		"analysis-job-smoke-test-promotes": "the job provider",
		"fault-crash-loop":                 "restarts",
		"lesson-soak-memory-leak":          "diurnal",
	}
	for _, name := range scenarios.BuiltinNames() {
		sc, err := scenarios.Load("builtin:" + name)
		require.NoError(t, err)
		got := Unsupported(sc, 0.1)
		if why, ok := want[name]; ok {
			if assert.NotEmpty(t, got, name) {
				assert.Contains(t, got[0], why, name)
			}
			continue
		}
		assert.Empty(t, got, name)
	}
	sc, err := scenarios.Load("builtin:seed-good-canary")
	require.NoError(t, err)
	assert.Empty(t, Unsupported(sc, 1))
}
