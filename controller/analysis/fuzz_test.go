package analysis

import (
	"testing"
	"time"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis/evaluate"
)

const fuzzSeedTemplate = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
  - name: service
  - name: count
    value: "3"
  dryRun:
  - metricName: lat.*
  measurementRetention:
  - metricName: success
    limit: 2
  metrics:
  - name: success-rate
    interval: 30s
    count: "{{args.count}}"
    initialDelay: 10s
    successCondition: len(result) > 0 && result[0] >= 0.95
    failureCondition: default(result, 0) < 0.9
    failureLimit: 1
    inconclusiveLimit: 2
    consecutiveErrorLimit: 3
    provider:
      prometheus:
        address: http://prometheus:9090
        query: sum(rate(http_requests_total{service="{{args.service}}"}[1m]))
  - name: latency
    consecutiveSuccessLimit: 2
    failureLimit: -1
    count: 4
    interval: 1m
    provider:
      web:
        url: http://{{args.service}}/p99
        jsonPath: "{$.p99}"
`

// FuzzTemplate decodes arbitrary AnalysisTemplate YAML and takes it through everything the
// controller does with a template before and between measurements: building a run with
// arguments, resolving, validating, the dry-run and retention rules, scheduling, recording
// made-up measurements of every phase, assessing, and evaluating the conditions. Whatever the
// input, each step returns a value or an error and nothing panics.
func FuzzTemplate(f *testing.F) {
	f.Add([]byte(fuzzSeedTemplate), uint8(0))
	f.Add([]byte("spec:\n  metrics:\n  - name: a\n    count: x\n    interval: '-1s'\n"), uint8(3))
	f.Add([]byte("spec: {metrics: [{name: '{{args.', provider: {prometheus: {}}}]}"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, outcome uint8) {
		tmpl := &v1alpha1.AnalysisTemplate{}
		if err := yaml.UnmarshalStrict(data, tmpl); err != nil {
			_ = yaml.Unmarshal(data, tmpl)
		}
		passed := []v1alpha1.Argument{{Name: "service", Value: ptr.To("checkout")}}
		run, err := NewRunFromTemplates([]*v1alpha1.AnalysisTemplate{tmpl}, nil, passed, nil, nil, nil, nil, "r", "", "default")
		if err != nil {
			return
		}
		metrics, err := ResolveMetrics(run.Spec.Metrics, run.Spec.Args)
		if err != nil || ValidateMetrics(metrics) != nil {
			return
		}
		dry, err := DryRunMetrics(run.Spec.DryRun, metrics)
		if err != nil {
			return
		}
		retention, err := RetentionMetrics(run.Spec.MeasurementRetention, metrics)
		if err != nil {
			return
		}
		phases := []v1alpha1.AnalysisPhase{
			v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseInconclusive,
			v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseRunning,
		}
		now := t0
		for step := range 12 {
			for _, task := range DueTasks(run, metrics, now) {
				phase := phases[(int(outcome)+step+task.Index)%len(phases)]
				m := v1alpha1.Measurement{Phase: phase, StartedAt: metaTime(now)}
				RecordMeasurement(&run.Status, Outcome{Task: task, Name: task.Metric.Name, Measurement: m}, dry[task.Metric.Name], now)
			}
			AssessRun(run, metrics, dry, now)
			for i := range run.Status.MetricResults {
				_ = RetentionLimit(run.Status.MetricResults[i].Name, retention)
			}
			next := NextReconcileTime(run, metrics, now)
			if next == nil || run.Status.Phase.Completed() {
				break
			}
			now = now.Add(max(next.Sub(now), time.Second))
		}
		for _, m := range metrics {
			_, _ = evaluate.Result([]float64{0.97}, m)
			_, _ = evaluate.Result(map[string]any{"p99": 0.2}, m)
		}
	})
}
