package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestLoadBuiltins(t *testing.T) {
	names := BuiltinNames()
	require.Contains(t, names, "seed-good-canary")
	require.Contains(t, names, "seed-bad-canary")
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			sc, err := Load(BuiltinPrefix + n)
			require.NoError(t, err)
			assert.Equal(t, n, sc.Metadata.Name)
			var rollouts int
			for _, o := range sc.Objects {
				if _, ok := o.Object.(*v1alpha1.Rollout); ok {
					rollouts++
				}
			}
			assert.Positive(t, rollouts)
		})
	}
}
