package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets this test binary be the drill's pods: the drill runs its own executable as
// `drill __pod FLAGS`, as the real binary does.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "drill" && os.Args[2] == podCommand {
		os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestDrillRunsLiveAndWritesTheLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a live drill takes 10 s")
	}
	dir := t.TempDir()
	code, out, errs := runCLI(t, "drill", "builtin:drill-seed-bad-canary", "--time-scale", "0.15", "--out", dir)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", out, errs)
	assert.Contains(t, out, "drill-seed-bad-canary  PASS  RolledBack")
	assert.Contains(t, out, "(time scale 0.15)")
	assert.Contains(t, out, "vegeta: ")
	assert.NotContains(t, errs, "\r", "no progress line when stderr is not a terminal")
	b, err := os.ReadFile(filepath.Join(dir, "drill-seed-bad-canary", "report.json"))
	require.NoError(t, err)
	var r map[string]any
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, "RolledBack", r["outcome"])
	assert.Contains(t, r, "load")
	assert.Contains(t, r, "windows")
	assert.Equal(t, 0.15, r["timeScale"])
}

func TestDrillBadInputExitsTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"builtin:fault-istio-5xx"}, "builtin:fault-istio-5xx: spec.metrics.preset: Unsupported value: \"istio\""},
		{[]string{"builtin:drill-seed-bad-canary", "--time-scale", "3"}, "--time-scale: 3 is not in (0, 1]"},
		{[]string{"builtin:drill-seed-bad-canary", "--api", "k8s"}, "--api: \"k8s\""},
		{[]string{"builtin:drill-seed-bad-canary", "--controller", "argo"}, "--controller: only with --api real"},
		{[]string{"builtin:no-such-scenario"}, "no-such-scenario"},
		{[]string{"builtin:drill-seed-bad-canary", "--format", "pdf"}, "--format: \"pdf\""},
	} {
		code, _, errs := runCLI(t, append([]string{"drill", "--out", t.TempDir()}, tc.args...)...)
		assert.Equal(t, 2, code, "%v: %s", tc.args, errs)
		assert.Contains(t, errs, tc.want)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errs), "\n")+1, "one line per problem: %q", errs)
	}
}

// Without a Docker daemon, --cluster stops at once with one line that says why.
func TestDrillOnKindNeedsDocker(t *testing.T) {
	fakeDocker(t)
	code, _, errs := runCLI(t, "drill", "builtin:drill-seed-bad-canary", "--cluster", "lab", "--out", t.TempDir())
	assert.Equal(t, 1, code)
	assert.Equal(t, "kind needs a running Docker daemon: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n", errs)
}

// fakeDocker puts a docker client first on PATH that answers as one without a daemon does.
func fakeDocker(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// Every cluster command stops at once without a Docker daemon, with one line.
func TestClusterCommandsNeedDocker(t *testing.T) {
	fakeDocker(t)
	for _, verb := range []string{"create", "load", "delete"} {
		code, _, errs := runCLI(t, "cluster", verb, "lab", "--kubeconfig", filepath.Join(t.TempDir(), "kubeconfig"))
		assert.Equal(t, 1, code, verb)
		assert.Equal(t, "kind needs a running Docker daemon: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n", errs, verb)
	}
}
