package kindcluster

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docker puts a fake docker client first on PATH: one whose daemon answers (ok) or one that
// answers as the client does without a daemon.
func docker(t *testing.T, ok bool) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n"
	if ok {
		script = "#!/bin/sh\necho 28.2.2\n"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755))
	t.Setenv("PATH", dir)
}

const noDaemon = "kind needs a running Docker daemon: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"

func TestPreflight(t *testing.T) {
	docker(t, false)
	assert.EqualError(t, Preflight(context.Background()), noDaemon)
	docker(t, true)
	assert.NoError(t, Preflight(context.Background()))
	t.Setenv("PATH", t.TempDir())
	assert.EqualError(t, Preflight(context.Background()), "kind needs a running Docker daemon: no docker command on PATH")
}

// Every kind command stops at the preflight, in one line, before kind tries anything.
func TestEveryCommandFailsFastWithoutDocker(t *testing.T) {
	docker(t, false)
	ctx := context.Background()
	o := Options{Name: "lab", Kubeconfig: filepath.Join(t.TempDir(), "kubeconfig"), ConfigDir: "../config"}
	assert.EqualError(t, Create(ctx, o), noDaemon)
	assert.EqualError(t, Delete(ctx, o), noDaemon)
	assert.EqualError(t, Load(ctx, o), noDaemon)
	_, err := os.Stat(o.Kubeconfig)
	assert.True(t, os.IsNotExist(err), "nothing written")
}

// staticBinary builds cmd/demoapp without cgo: a binary an image FROM scratch can run.
func staticBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "canarydrill")
	gobin, err := exec.LookPath("go")
	require.NoError(t, err, "go on PATH builds the binary")
	cmd := exec.Command(gobin, "build", "-o", bin, "../cmd/demoapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

func untar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		out[h.Name] = data
	}
}

// The image is a docker-archive kind can load: manifest, config and one layer with the binary,
// each named by its digest, built without Docker.
func TestBuildImageFromScratch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := staticBinary(t)
	archive, err := BuildImage(bin, Image)
	require.NoError(t, err)
	files := untar(t, archive)
	var manifest []archiveManifest
	require.NoError(t, json.Unmarshal(files["manifest.json"], &manifest))
	require.Len(t, manifest, 1)
	assert.Equal(t, []string{Image}, manifest[0].RepoTags)
	var cfg imageConfig
	require.NoError(t, json.Unmarshal(files[manifest[0].Config], &cfg))
	assert.Equal(t, []string{"/canarydrill"}, cfg.Config.Entrypoint)
	assert.Equal(t, "linux", cfg.OS)
	assert.Equal(t, runtime.GOARCH, cfg.Architecture)
	layer := untar(t, files[manifest[0].Layers[0]])
	want, err := os.ReadFile(bin)
	require.NoError(t, err)
	assert.Equal(t, want, layer["canarydrill"], "the binary is the layer's one file")

	again, err := BuildImage(bin, Image)
	require.NoError(t, err)
	assert.Equal(t, archive, again, "the same binary makes the same image")
}

func TestBuildImageNeedsAStaticBinary(t *testing.T) {
	ls, err := exec.LookPath("ls")
	require.NoError(t, err)
	_, err = BuildImage(ls, Image)
	assert.ErrorContains(t, err, "is dynamically linked: an image FROM scratch needs a static binary (build it with CGO_ENABLED=0)")
	_, err = BuildImage("kindcluster_test.go", Image)
	assert.ErrorContains(t, err, "not a Linux executable")
}
