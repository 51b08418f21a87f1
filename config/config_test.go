package config_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/config"
)

// The binary carries every manifest of the folders it installs, byte for byte.
func TestEmbedsWhatIsInstalled(t *testing.T) {
	n := 0
	for _, dir := range []string{"crd/bases", "default", "rbac"} {
		onDisk, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		require.NoError(t, err)
		embedded, err := fs.Glob(config.FS, dir+"/*.yaml")
		require.NoError(t, err)
		require.Equal(t, len(onDisk), len(embedded), dir)
		for _, f := range embedded {
			want, err := os.ReadFile(filepath.FromSlash(f))
			require.NoError(t, err)
			got, err := fs.ReadFile(config.FS, f)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got), f)
			n++
		}
	}
	crds, _ := fs.Glob(config.FS, "crd/bases/*.yaml")
	assert.Len(t, crds, 5, "Rollout, AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun, Experiment")
	assert.Positive(t, n)
}
