package drill_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/drill"
	"github.com/canarydrill/canarydrill/drill/drilltest"
	"github.com/canarydrill/canarydrill/internal/argoref"
	"github.com/canarydrill/canarydrill/internal/controlplane"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
	"github.com/canarydrill/canarydrill/realapi"
	"github.com/canarydrill/canarydrill/scenarios"
)

// requireBuilt skips (these tests count this process's children: they do not run in parallel) without the control plane's (or Argo's) binaries, unless CANARYDRILL_E2E=1.
func requireBuilt(t *testing.T, argo bool) {
	t.Helper()
	if testing.Short() {
		t.Skip("a live drill on a real control plane takes 30 s")
	}
	_, err := controlplane.Find("")
	if err == nil && argo {
		_, err = argoref.Find("")
	}
	if err == nil {
		ctrl.SetLogger(logr.Discard()) // the controller's logs are the report's business here
		return
	}
	if os.Getenv(cptest.EnvRequire) != "1" && (errors.Is(err, controlplane.ErrNotBuilt) || argo) {
		t.Skipf("real-API drill skipped: %v; set %s=1 to make this a failure", err, cptest.EnvRequire)
	}
	t.Fatal(err)
}

func realOptions(scale float64, controller string) drill.Options {
	o := options(scale)
	o.API, o.Controller = drill.APIReal, controller
	return o
}

// The seed's bad canary as a live drill on a real control plane, with our controller under its
// controller-runtime driver: the analysis fails on real requests, the rollout aborts by itself,
// and everything the drill started — the control plane too — is gone afterwards.
func TestRealAPIDrillRollsBack(t *testing.T) {
	requireBuilt(t, false)
	res, err := drill.Run(context.Background(), scenario(t, "builtin:drill-seed-bad-canary"), realOptions(0.25, ""))
	require.NoError(t, err)
	r := res.Report
	t.Logf("outcome %s, detection %v s, rollback %v s, wall %v s, load %+v, notes %v", r.Outcome, deref(r.DetectionSeconds), deref(r.RollbackSeconds), deref(r.WallSeconds), r.Load, r.Notes)
	assert.True(t, r.Passed, "expectations: %+v notes: %v", r.Expectations, r.Notes)
	assert.Equal(t, scenarios.OutcomeRolledBack, r.Outcome)
	assert.Equal(t, realapi.APIReal, r.API)
	assert.Equal(t, realapi.ControllerCanarydrill, r.Controller)
	require.NotNil(t, r.DetectionSeconds)
	assert.InDelta(t, 65, *r.DetectionSeconds, 15, "the first measurement after the 60 s pause fails, in scenario seconds")
	require.NotNil(t, r.FailedToTrafficZeroWallSeconds)
	require.NotNil(t, r.Load)
	assert.Greater(t, r.Load.StatusCodes["500"], 100, "the canary's errors reached users")
	assert.Greater(t, r.Load.FailedOnCanary, int64(100))
	requireWindowsAddUp(t, r)
	drilltest.RequireCleanedUp(t, res.Addrs)
}

// The seed's good canary as a live drill with Argo Rollouts' own controller: promoted.
func TestRealAPIDrillArgoPromotes(t *testing.T) {
	requireBuilt(t, true)
	res, err := drill.Run(context.Background(), scenario(t, "builtin:drill-seed-good-canary"), realOptions(0.2, realapi.ControllerArgo))
	require.NoError(t, err)
	r := res.Report
	t.Logf("outcome %s, promoted %v s, wall %v s, load %+v", r.Outcome, deref(r.PromotedAt), deref(r.WallSeconds), r.Load)
	assert.True(t, r.Passed, "expectations: %+v notes: %v", r.Expectations, r.Notes)
	assert.Equal(t, scenarios.OutcomePromoted, r.Outcome)
	assert.Equal(t, realapi.ControllerArgo, r.Controller)
	require.NotNil(t, r.Load)
	assert.Greater(t, r.Load.Success, 0.99)
	drilltest.RequireCleanedUp(t, res.Addrs)
}

// Interrupted once the canary takes requests, a real-API drill leaves no process (pods, router,
// kube-apiserver, kube-controller-manager, etcd) and no port behind.
func TestRealAPIDrillInterruptedCleansUp(t *testing.T) {
	requireBuilt(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := realOptions(0.25, "")
	o.ProgressEvery = 100 * time.Millisecond
	var canary bool
	o.OnProgress = func(p drill.Progress) {
		if p.CanaryShare > 0 && !canary {
			canary = true
			cancel()
		}
	}
	res, err := drill.Run(ctx, scenario(t, "builtin:drill-seed-bad-canary"), o)
	require.NoError(t, err)
	assert.True(t, canary, "the canary took requests before the interrupt")
	assert.True(t, res.Interrupted)
	assert.False(t, res.Report.Passed)
	drilltest.RequireCleanedUp(t, res.Addrs)
}

// A pod's process killed by the oom fault is, on the real API, the pod's container terminated
// OOMKilled with exit code 137, as the kubelet simulator writes it from the process's exit; the
// analysis that reads the kubelet's series rolls the canary back.
func TestRealAPIDrillOOMKilledPod(t *testing.T) {
	requireBuilt(t, false)
	sc := scenario(t, "builtin:fault-oom")
	sc.Spec.Timeline[0].At.Duration = 20 * time.Second // the update
	sc.Spec.Timeline[1].At.Duration = 60 * time.Second // the canary's OOM kill
	s, err := drill.Start(context.Background(), sc, realOptions(0.25, ""))
	require.NoError(t, err)
	var seen *corev1.ContainerStatus
	for seen == nil {
		time.Sleep(100 * time.Millisecond)
		ok := s.Do(func(ctx context.Context, c client.Client) {
			var pods corev1.PodList
			if err := c.List(ctx, &pods); err != nil {
				return
			}
			for _, p := range pods.Items {
				for _, cs := range p.Status.ContainerStatuses {
					if term := cs.LastTerminationState.Terminated; term != nil && term.Reason == "OOMKilled" {
						seen = cs.DeepCopy()
					}
				}
			}
		})
		if !ok {
			break
		}
	}
	res, err := s.Wait()
	require.NoError(t, err)
	r := res.Report
	t.Logf("outcome %s, detection %v s, notes %v", r.Outcome, deref(r.DetectionSeconds), r.Notes)
	require.NotNil(t, seen, "no pod on the real API had a container terminated OOMKilled")
	assert.Equal(t, int32(137), seen.LastTerminationState.Terminated.ExitCode)
	// In the kubelet's back-off (10 s, which does not scale) the container waits: the canary is
	// aborted before the restart, as in virtual time.
	if seen.RestartCount == 0 {
		require.NotNil(t, seen.State.Waiting, "terminated and not restarted yet: waiting")
		assert.Equal(t, "CrashLoopBackOff", seen.State.Waiting.Reason)
	}
	assert.Equal(t, scenarios.OutcomeRolledBack, r.Outcome)
	drilltest.RequireCleanedUp(t, res.Addrs)
}
