package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

// events of a kind, as "at message".
func eventsOf(r *reports.Report, kind string) []reports.Event {
	var out []reports.Event
	for _, e := range r.Events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestNginxHeaderRouteSendsOnlyTaggedTrafficUntilTheFirstWeight(t *testing.T) {
	r := run(t, "builtin:rollout-nginx-header-route", 1)
	require.True(t, r.Passed)
	// v2's pod is ready at 65s: from then until setWeight 20 (after the 3m pause) only the
	// testers' tagged share reaches it; then 20% of the rest too, then 50%; then none (promoted).
	require.GreaterOrEqual(t, len(r.Weights), 4)
	assert.Equal(t, reports.WeightPoint{At: 65, Canary: taggedShare}, r.Weights[1])
	assert.Equal(t, 245.0, r.Weights[2].At)
	assert.InDelta(t, taggedShare+0.2*(1-taggedShare), r.Weights[2].Canary, 1e-6)
	assert.InDelta(t, taggedShare+0.5*(1-taggedShare), r.Weights[3].Canary, 1e-6)
	assert.Equal(t, 0.0, r.Weights[len(r.Weights)-1].Canary)
	created := eventsOf(r, "CreatingCanaryIngress")
	require.Len(t, created, 1)
	assert.Equal(t, "Creating canary ingress `checkout-checkout-canary` with weight `0`", created[0].Message)
}

func TestIstioSubsetSplitRollsBackBetweenSteps(t *testing.T) {
	r := run(t, "builtin:rollout-istio-subset-rollback", 1)
	require.True(t, r.Passed)
	assert.Equal(t, []reports.WeightPoint{{At: 0, Canary: 0}, {At: 65, Canary: 0.2}, {At: *r.AbortedAt, Canary: 0}}, r.Weights)
	var drUpdates []string
	for _, e := range eventsOf(r, "UpdatedDestinationRule") {
		drUpdates = append(drUpdates, e.Message)
	}
	require.NotEmpty(t, drUpdates)
	assert.Contains(t, drUpdates[len(drUpdates)-1], "canary: ", "the canary subset follows the canary's hash")
	for _, e := range eventsOf(r, "RolloutStepCompleted") {
		assert.Less(t, e.At, *r.AbortedAt)
		assert.NotContains(t, e.Message, "setWeight: 50", "aborted before the second step")
	}
}

func TestBlueGreenActiveServiceNeverSwitches(t *testing.T) {
	r := run(t, "builtin:rollout-bluegreen-prepromotion-fails", 1)
	require.True(t, r.Passed)
	for _, e := range eventsOf(r, "SwitchService") {
		if strings.Contains(e.Message, "'payments-active'") {
			assert.Equal(t, 5.0, e.At, "only the first deploy's switch: %s", e.Message)
		}
	}
	require.Len(t, r.AnalysisRuns, 1)
	assert.Equal(t, "PrePromotion", r.AnalysisRuns[0].Kind)
	assert.Equal(t, "Failed", r.AnalysisRuns[0].Phase)
	// Only the testers saw v2, through the preview Service.
	assert.InDelta(t, taggedShare, r.Weights[1].Canary, 1e-9)
}

func TestManualGateWaitsForPromote(t *testing.T) {
	r := run(t, "builtin:rollout-manual-gate", 1)
	require.True(t, r.Passed)
	var steps []string
	for _, e := range eventsOf(r, "RolloutStepCompleted") {
		steps = append(steps, e.Message)
	}
	require.GreaterOrEqual(t, len(steps), 2)
	assert.Equal(t, "Rollout step 2/4 completed (pause)", steps[1])
	for _, e := range eventsOf(r, "RolloutStepCompleted") {
		if e.Message == steps[1] {
			assert.Equal(t, 360.0, e.At, "released by the promote at 6m")
		}
	}
}

func TestAbortThenRetryStartsOver(t *testing.T) {
	r := run(t, "builtin:rollout-abort-retry", 1)
	require.True(t, r.Passed)
	aborted := eventsOf(r, "RolloutAborted")
	require.Len(t, aborted, 1)
	assert.Equal(t, 120.0, aborted[0].At)
	first := 0
	for _, e := range eventsOf(r, "RolloutStepCompleted") {
		if strings.HasPrefix(e.Message, "Rollout step 1/4 completed") {
			first++
		}
	}
	assert.Equal(t, 2, first, "the steps run again from the first after the retry")
}

func TestProgressDeadlineAbortsACrashLoopingCanary(t *testing.T) {
	r := run(t, "builtin:rollout-progress-deadline-abort", 1)
	require.True(t, r.Passed)
	assert.Equal(t, "RolloutAborted: Rollout aborted update to revision 2", r.FinalMessage)
	var timeout []reports.Event
	for _, e := range eventsOf(r, "RolloutAborted") {
		if strings.Contains(e.Message, "has timed out progressing") {
			timeout = append(timeout, e)
		}
	}
	require.NotEmpty(t, timeout, "the abort names the timeout")
	assert.Equal(t, int64(0), r.Requests.ServedByCanary, "users never reached the crash-looping pods")
}

// scenarioFile writes a scenario with its manifests next to it and loads it.
func scenarioFile(t *testing.T, scenario, manifests string) *scenarios.Scenario {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(manifests), 0o644))
	p := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(p, []byte(scenario), 0o644))
	sc, err := scenarios.Load(p)
	require.NoError(t, err)
	return sc
}

const routedScenario = `apiVersion: canarydrill.io/v1alpha1
kind: Scenario
metadata: {name: routed}
spec:
  maxDuration: 20m
  manifests: [{path: m.yaml}]
  traffic: {rps: 100}
  timeline:
  - {at: 1m, update: {image: web:v2}}
  - {at: 1m, fault: http-errors, version: web:v2, rate: 1.0, duration: 8m}
  - {at: 10m, action: promote-full}
  expect: {outcome: Promoted}
`

const routedServices = `
apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:v1}]}
  strategy:
    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
`

func TestMirrorRouteCopiesRequestsWithoutAnsweringUsers(t *testing.T) {
	manifests := routedServices + `        istio:
          virtualService: {name: web, routes: [primary]}
        managedRoutes: [{name: mirror}]
      steps:
      - setCanaryScale: {replicas: 1}
      - setMirrorRoute: {name: mirror, percentage: 50, match: [{method: {exact: GET}}]}
      - pause: {}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web}
spec:
  http:
  - name: primary
    route:
    - {destination: {host: web-stable}, weight: 100}
    - {destination: {host: web-canary}, weight: 0}
`
	r, err := Run(t.Context(), scenarioFile(t, routedScenario, manifests), 1)
	require.NoError(t, err)
	assert.Equal(t, scenarios.OutcomePromoted, r.Outcome)
	// v2 fails every request it serves, but until the promote at 10m it only served copies.
	assert.Less(t, r.Requests.Failed, int64(100), "users were answered by v1")
	assert.Zero(t, r.Requests.ServedByCanary, "mirrored copies are no user traffic")
	for _, w := range r.Weights {
		assert.Zero(t, w.Canary)
	}
	mirror := 0
	for _, e := range eventsOf(r, "Updated VirtualService") {
		if strings.Contains(e.Message, "set mirrorRoute 'mirror'") {
			mirror++
		}
	}
	assert.Equal(t, 1, mirror)
}

func TestSMIAndGatewayAPISplits(t *testing.T) {
	for name, routing := range map[string]string{
		"smi": `        smi: {rootService: web}
      steps:
      - setWeight: 25
      - pause: {}
`,
		"gateway": `        plugins:
          argoproj-labs/gatewayAPI: {httpRoute: web}
      steps:
      - setWeight: 25
      - pause: {}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  rules:
  - backendRefs:
    - {name: web-stable, port: 80, weight: 100}
    - {name: web-canary, port: 80, weight: 0}
`,
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Run(t.Context(), scenarioFile(t, routedScenario, routedServices+routing), 1)
			require.NoError(t, err)
			assert.Equal(t, scenarios.OutcomePromoted, r.Outcome)
			require.GreaterOrEqual(t, len(r.Weights), 2)
			assert.InDelta(t, 0.25, r.Weights[1].Canary, 1e-9, "%v", r.Weights)
		})
	}
}
