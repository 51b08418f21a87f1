package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/internal/argoref"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
	"github.com/canarydrill/canarydrill/realapi"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/runner"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// TestRunAPIReal runs `canarydrill run --api real --time-scale 0.1` (the binary, which starts
// its own control plane) with each controller, and checks that every scenario ends as it does in
// virtual time, that the exit code follows the expectations and that report.json says where it
// ran. The two controllers run at once, each on its own control plane (their CRD sets cannot
// share one), each running its scenarios at once.
func TestRunAPIReal(t *testing.T) {
	setup(t) // skips without a control plane
	bin := binary(t)
	cases := []struct {
		controller string
		refs       []string
	}{
		{realapi.ControllerCanarydrill, []string{"builtin:seed-good-canary", "builtin:seed-bad-canary-bake",
			"builtin:rollout-nginx-header-route", "builtin:rollout-bluegreen-prepromotion-fails"}},
		{realapi.ControllerArgo, []string{"builtin:seed-good-canary", "builtin:seed-bad-canary-bake"}},
	}
	for _, tc := range cases {
		t.Run(tc.controller, func(t *testing.T) {
			if tc.controller == realapi.ControllerArgo {
				if _, err := argoref.Find(""); err != nil {
					if os.Getenv(cptest.EnvRequire) == "1" {
						t.Fatal(err)
					}
					t.Skip(err)
				}
			}
			t.Parallel()
			want := map[string]*reports.Report{}
			for _, ref := range tc.refs {
				sc, err := scenarios.Load(ref)
				if err != nil {
					t.Fatal(err)
				}
				r, err := sim.Run(context.Background(), sc, sc.SeedOr(scenarios.DefaultSeed))
				if err != nil {
					t.Fatal(err)
				}
				want[sc.Metadata.Name] = r
			}
			out := t.TempDir()
			args := append([]string{"run", "--api", "real", "--time-scale", "0.1", "--controller", tc.controller, "--out", out}, tc.refs...)
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			start := time.Now()
			cmd := exec.CommandContext(ctx, bin, args...)
			summary, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			t.Logf("canarydrill %v: exit %d in %s", args, code, time.Since(start).Round(time.Millisecond))
			// The exit code follows the real reports' expectations. Their timing bounds (say, a
			// rollback within 90 s) hold with 25 s to spare in virtual time, which is 2.5 s of wall
			// time at 0.1: a machine loaded several times over (make test runs packages side by
			// side) can use it up, so timings are logged, and outcomes and phases compared.
			wantExit := runner.ExitOK
			for name, v := range want {
				b, err := os.ReadFile(filepath.Join(out, name, "report.json"))
				if err != nil {
					t.Errorf("%s: %v; output:\n%s", name, err, summary)
					continue
				}
				var r reports.Report
				if err := json.Unmarshal(b, &r); err != nil {
					t.Fatal(err)
				}
				if !r.Passed {
					wantExit = runner.ExitFailed
				}
				for _, x := range r.Expectations {
					if !x.Passed {
						t.Logf("%s: expectation %s: want %s, got %s", name, x.Name, x.Want, x.Got)
					}
				}
				if r.Outcome != v.Outcome || r.FinalPhase != v.FinalPhase {
					t.Errorf("%s: %s (phase %s) on the real API, %s (phase %s) in virtual time; notes %q",
						name, r.Outcome, r.FinalPhase, v.Outcome, v.FinalPhase, r.Notes)
					runs, _ := json.Marshal(r.AnalysisRuns)
					t.Logf("%s: final message %q; analysis runs %s", name, r.FinalMessage, runs)
					for _, ev := range r.Events {
						t.Logf("%s: %8.2f %s %s", name, ev.At, ev.Kind, ev.Message)
					}
				}
				if r.API != realapi.APIReal || r.Controller != tc.controller || r.TimeScale != 0.1 || r.WallSeconds == nil {
					t.Errorf("%s: api %q, controller %q, timeScale %v, wallSeconds %v", name, r.API, r.Controller, r.TimeScale, r.WallSeconds)
				}
				t.Logf("%s: %s, %s s of scenario time in %s s wall; detected %s, traffic restored %s (virtual: %s, %s); Failed to traffic 0: %s s wall",
					name, r.Outcome, num(&r.VirtualSeconds), num(r.WallSeconds), num(r.DetectedAt), num(r.TrafficRestoredAt),
					num(v.DetectedAt), num(v.TrafficRestoredAt), num(r.FailedToTrafficZeroWallSeconds))
				// The goal for a replica-based canary: the AnalysisRun's Failed to the
				// canary's traffic share 0 within a second of wall time.
				if name == "seed-bad-canary-bake" {
					if f := r.FailedToTrafficZeroWallSeconds; f == nil || *f > 1 {
						t.Errorf("%s: AnalysisRun Failed to traffic 0 took %s s wall, want <= 1", name, num(f))
					}
				}
			}
			if code != wantExit {
				t.Errorf("exit code %d, want %d (as the reports' expectations say); output:\n%s", code, wantExit, summary)
			}
		})
	}
}

func num(f *float64) string {
	if f == nil {
		return "null"
	}
	b, _ := json.Marshal(*f)
	return string(b)
}
