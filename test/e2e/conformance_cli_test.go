package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/internal/argoref"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
	"github.com/canarydrill/canarydrill/realapi"
	"github.com/canarydrill/canarydrill/reports"
)

// conformanceSet is what `make test` holds canarydrill to against Argo Rollouts' released
// controller: the seed's exercise, inline against background analysis, an Inconclusive pause, an
// abort on consecutive errors, and a blue-green rollback.
var conformanceSet = []string{
	"seed-good-canary", "seed-bad-canary-bake",
	"lesson-inline-analysis-only", "lesson-background-analysis",
	"analysis-inconclusive-pauses", "analysis-empty-query-aborts",
	"rollout-bluegreen-prepromotion-fails",
}

// TestConformanceCommand runs `canarydrill conformance` on the set through the binary: every
// scenario must conform (exit 0), and both controllers' reports are written.
func TestConformanceCommand(t *testing.T) {
	setup(t) // skips without a control plane
	if _, err := argoref.Find(""); err != nil {
		if os.Getenv(cptest.EnvRequire) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	bin := binary(t)
	out := t.TempDir()
	// make test runs packages side by side on two cores: wall-clock timings move by more than
	// the command's default 1.5 s there, so the test allows 3 s (30 scenario seconds at 0.1).
	args := []string{"conformance", "--out", out, "--parallel", "4", "--tolerance", "3s"}
	for _, s := range conformanceSet {
		args = append(args, "builtin:"+s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	start := time.Now()
	table, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("canarydrill %s: exit %d in %s\n%s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond), table)
	want := "7 of 7 scenarios conform"
	if code != 0 || !strings.Contains(string(table), want) {
		t.Errorf("exit %d, want 0 and %q", code, want)
	}
	for _, c := range []string{realapi.ControllerArgo, realapi.ControllerCanarydrill} {
		for _, s := range conformanceSet {
			b, err := os.ReadFile(filepath.Join(out, c, s, "report.json"))
			if err != nil {
				t.Error(err)
				continue
			}
			var r reports.Report
			if err := json.Unmarshal(b, &r); err != nil || r.Controller != c || r.API != realapi.APIReal {
				t.Errorf("%s/%s: controller %q, api %q (%v)", c, s, r.Controller, r.API, err)
			}
		}
	}
}
