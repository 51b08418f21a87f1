package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/scenarios"
)

// An experiment step end to end: the Experiment controller runs a baseline and a canary
// ReplicaSet with a Service each, SMI sends them 10% each, a required analysis ends the
// experiment, and the Rollout goes on.
func TestExperimentStepEndToEnd(t *testing.T) {
	manifests := routedServices + `        smi: {rootService: web}
      steps:
      - setWeight: 20
      - experiment:
          duration: 5m
          templates:
          - {name: baseline, specRef: stable, weight: 10, metadata: {labels: {role: baseline}}}
          - {name: candidate, specRef: canary, weight: 10, metadata: {labels: {role: candidate}}}
          analyses:
          - name: compare
            templateName: up
            requiredForCompletion: true
            args:
            - {name: hash, value: "{{templates.candidate.podTemplateHash}}"}
      - setWeight: 60
      - pause: {duration: 1m}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: up}
spec:
  args: [{name: hash}]
  metrics:
  - name: requests
    initialDelay: 1m
    count: 2
    interval: 30s
    successCondition: len(result) == 0 || result[0] >= 0
    provider:
      prometheus:
        address: http://prometheus:9090
        query: sum(rate(http_requests_total{rollouts_pod_template_hash="{{args.hash}}"}[1m]))
`
	scenario := strings.Replace(routedScenario, "  - {at: 1m, fault: http-errors, version: web:v2, rate: 1.0}\n  - {at: 10m, action: promote-full}\n", "", 1)
	// The candidate's template copies the canary's, which needs ports for a Service.
	manifests = strings.Replace(manifests, "spec: {containers: [{name: web, image: web:v1}]}", "spec: {containers: [{name: web, image: web:v1, ports: [{containerPort: 8080}]}]}", 1)
	r, err := Run(t.Context(), scenarioFile(t, scenario, manifests), 1)
	require.NoError(t, err)
	assert.Equal(t, scenarios.OutcomePromoted, r.Outcome, r.FinalMessage)
	var created, phases []string
	for _, e := range r.Events {
		switch {
		case e.Kind == "ExperimentCreated":
			created = append(created, e.Message)
		case strings.HasPrefix(e.Kind, "Experiment"):
			phases = append(phases, e.Message)
		}
	}
	require.Len(t, created, 1)
	assert.Contains(t, phases, "Experiment transitioned from Running -> Successful")
	// While the experiment ran, its two ReplicaSets had 20% of the traffic beside the canary's 20%.
	found := false
	for _, w := range r.Weights {
		if w.Canary > 0.35 && w.Canary < 0.45 {
			found = true
		}
	}
	assert.True(t, found, "%v", r.Weights)
}
