package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// TestVerbs drives a Rollout through an update with the CLI verbs against the controller running
// as its ServiceAccount: Healthy, set image, paused at the gate, get, promote, analysis, Healthy;
// then set image, abort (Degraded, status exit 1), retry, promote --full, Healthy (status exit 0).
func TestVerbs(t *testing.T) {
	e, ns := setup(t)
	ctx := context.Background()
	v := newVerdict(t, true)
	d := startDriver(t, e.controller, ns)
	if err := applyYAML(ctx, e.admin, ns, []byte(templateYAML(ns, v.url)+"---\n"+rolloutYAML(ns, "demo:v1"))); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseHealthy, 60*time.Second)
	if out, _, code := cli(t, e, ns, "status", "demo", "--timeout", "5s"); code != 0 || strings.TrimSpace(out) != "Healthy" {
		t.Fatalf("status of a Healthy rollout: exit %d, %q", code, out)
	}

	if got := firstLine(mustCLI(t, e, ns, "set", "image", "demo", "app=demo:v2")); got != `rollout "demo" image updated` {
		t.Errorf("set image said %q", got)
	}
	ro := waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhasePaused, 60*time.Second)
	if *ro.Status.CurrentStepIndex != 1 || ro.Status.Message != "CanaryPauseStep" {
		t.Fatalf("paused at step %d (%s), want 1 (CanaryPauseStep)", *ro.Status.CurrentStepIndex, ro.Status.Message)
	}
	waitFor(t, 30*time.Second, "canary pod ready", func() (bool, error) {
		return getRollout(t, e.admin, ns, "demo").Status.ReadyReplicas == 4, nil
	})
	get := mustCLI(t, e, ns, "get", "demo")
	t.Logf("get demo:\n%s", get)
	for _, want := range []string{
		"Status:          ॥ Paused", "Step:          1/5", "SetWeight:     25", "ActualWeight:  25",
		"demo:v1 (stable)", "demo:v2 (canary)", "# revision:2", "# revision:1", "ReplicaSet  ✔ Healthy", "canary", "stable", "Pod         ✔ Running", "ready:1/1",
	} {
		if !strings.Contains(get, want) {
			t.Errorf("get output lacks %q", want)
		}
	}

	if got := firstLine(mustCLI(t, e, ns, "promote", "demo")); got != "rollout 'demo' promoted" {
		t.Errorf("promote said %q", got)
	}
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseHealthy, 90*time.Second)
	get = mustCLI(t, e, ns, "get", "demo")
	if !strings.Contains(get, "AnalysisRun  ✔ Successful") || !strings.Contains(get, "✔ 3") {
		t.Errorf("get after promotion lacks the successful run:\n%s", get)
	}
	list := mustCLI(t, e, ns, "list", "rollouts")
	if !strings.Contains(list, "demo") || !strings.Contains(list, "Healthy") {
		t.Errorf("list:\n%s", list)
	}

	mustCLI(t, e, ns, "set", "image", "demo", "app=demo:v3")
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhasePaused, 60*time.Second)
	if got := firstLine(mustCLI(t, e, ns, "abort", "demo")); got != "rollout 'demo' aborted" {
		t.Errorf("abort said %q", got)
	}
	ro = waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseDegraded, 60*time.Second)
	if !strings.HasPrefix(ro.Status.Message, "RolloutAborted: ") {
		t.Errorf("degraded message %q", ro.Status.Message)
	}
	metricsAddr, _, _ := d.Addrs(ctx)
	_, metrics, err := httpGet("http://" + metricsAddr + "/metrics")
	if want := fmt.Sprintf(`canarydrill_rollout_aborts_total{cause="User",name="demo",namespace="%s"} 1`, ns); err != nil || !strings.Contains(metrics, want) {
		t.Errorf("/metrics lacks %s (%v)", want, err)
	}
	out, errOut, code := cli(t, e, ns, "status", "demo", "--timeout", "5s")
	if code != 1 || !strings.Contains(errOut, "degraded state") {
		t.Errorf("status of a Degraded rollout: exit %d, %q %q", code, out, errOut)
	}
	if got := firstLine(mustCLI(t, e, ns, "retry", "demo")); got != "rollout 'demo' retried" {
		t.Errorf("retry said %q", got)
	}
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhasePaused, 60*time.Second)
	if got := firstLine(mustCLI(t, e, ns, "promote", "demo", "--full")); got != "rollout 'demo' fully promoted" {
		t.Errorf("promote --full said %q", got)
	}
	out, errOut, code = cli(t, e, ns, "status", "demo", "--timeout", "60s")
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "Healthy") {
		t.Errorf("status --watch until Healthy: exit %d, %q %q", code, out, errOut)
	}
	ro = getRollout(t, e.admin, ns, "demo")
	if img := ro.Spec.Template.Spec.Containers[0].Image; ro.Status.StableRS != ro.Status.CurrentPodHash || img != "demo:v3" {
		t.Errorf("after promote --full: stable %s current %s image %s", ro.Status.StableRS, ro.Status.CurrentPodHash, img)
	}

	// undo brings back v2's template as a new revision.
	if got := firstLine(mustCLI(t, e, ns, "undo", "demo")); got != "rollout 'demo' undo" {
		t.Errorf("undo said %q", got)
	}
	waitFor(t, 30*time.Second, "undo applied", func() (bool, error) {
		return getRollout(t, e.admin, ns, "demo").Spec.Template.Spec.Containers[0].Image == "demo:v2", nil
	})
}
