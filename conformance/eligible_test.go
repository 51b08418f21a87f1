package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/scenarios"
)

// TestBuiltinsUnsupported pins which built-ins Argo Rollouts cannot run, so that a new one that
// uses canarydrill's extensions is noticed.
func TestBuiltinsUnsupported(t *testing.T) {
	want := map[string][]string{
		"analysis-latency-judge-catches": {"analysis/latency-judge.yaml: metric latency-vs-baseline: the judge provider is canarydrill's"},
	}
	for _, name := range scenarios.BuiltinNames() {
		sc, err := scenarios.Load("builtin:" + name)
		require.NoError(t, err, name)
		assert.Equal(t, want[name], nilIfEmpty(Unsupported(sc)), name)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
