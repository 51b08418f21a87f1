package sim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canarydrill/canarydrill/scenarios"
)

// manyRollouts writes a scenario with n Rollouts of two replicas, each with its own Service and
// background analysis every 60 s from its first step, all updated to v2 at 1m and held at 50%
// for the rest of the hour. With namespaces, each Rollout is in its own, as teams' are.
func manyRollouts(tb testing.TB, n int, namespaces bool) *scenarios.Scenario {
	tb.Helper()
	var m, tl strings.Builder
	m.WriteString(`apiVersion: argoproj.io/v1alpha1
kind: ClusterAnalysisTemplate
metadata: {name: success-rate}
spec:
  args: [{name: app}]
  metrics:
  - name: success-rate
    interval: 60s
    successCondition: len(result) == 0 || result[0] >= 0.95
    failureLimit: 2
    provider:
      prometheus:
        address: http://prometheus.monitoring:9090
        query: sum(rate(http_requests_total{app="{{args.app}}",status!~"5.."}[5m])) / sum(rate(http_requests_total{app="{{args.app}}"}[5m]))
`)
	for i := range n {
		name, ns := fmt.Sprintf("app-%04d", i), "default"
		if namespaces {
			ns = "team-" + name
		}
		fmt.Fprintf(&m, `---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec: {containers: [{name: %[1]s, image: "%[1]s:v1"}]}
  strategy:
    canary:
      analysis:
        templates: [{templateName: success-rate, clusterScope: true}]
        startingStep: 1
        args: [{name: app, value: %[1]s}]
      steps: [{setWeight: 50}, {pause: {duration: 2h}}]
---
apiVersion: v1
kind: Service
metadata: {name: %[1]s, namespace: %[2]s}
spec: {selector: {app: %[1]s}, ports: [{port: 80}]}
`, name, ns)
		fmt.Fprintf(&tl, "  - at: 1m\n    rollout: %s/%s\n    update: {image: \"%s:v2\"}\n", ns, name, name)
	}
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manifests.yaml"), []byte(m.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	doc := fmt.Sprintf(`apiVersion: canarydrill.io/v1alpha1
kind: Scenario
metadata: {name: many-rollouts}
spec:
  maxDuration: 1h
  manifests: [{path: manifests.yaml}]
  traffic: {rps: 20}
  metrics: {scrapeInterval: 30s}
  timeline:
%s`, tl.String())
	path := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		tb.Fatal(err)
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

// BenchmarkManyRollouts is the scale goal: 1,000 concurrent Rollouts, each with background
// analysis every 60 s, for one virtual hour, in under 60 s and 2 GiB (docs/performance.md).
// ROLLOUTS overrides the count; ONE_NAMESPACE=1 puts them all in one namespace.
func BenchmarkManyRollouts(b *testing.B) {
	n := 1000
	if s := os.Getenv("ROLLOUTS"); s != "" {
		fmt.Sscan(s, &n)
	}
	sc := manyRollouts(b, n, os.Getenv("ONE_NAMESPACE") == "")
	b.ResetTimer()
	for range b.N {
		w, err := New(context.Background(), sc, 1)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Run(); err != nil {
			b.Fatal(err)
		}
		r := w.Report()
		runs := 0
		for _, ar := range r.AnalysisRuns {
			for _, m := range ar.Metrics {
				runs += len(m.Measurements)
			}
		}
		b.ReportMetric(float64(w.q.runs), "events")
		b.ReportMetric(float64(w.prom.Stats().Samples), "samples")
		b.ReportMetric(float64(runs), "focus-measurements")
	}
}
