package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// rolloutYAML is a basic canary of 4 replicas: 25% and a manual gate, 50% and a web analysis,
// 75%, then full. The instance-ID label gives it to the test's own controller.
func rolloutYAML(id, image string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: demo
  labels: {argo-rollouts.argoproj.io/controller-instance-id: %[1]s}
spec:
  replicas: 4
  revisionHistoryLimit: 3
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers: [{name: app, image: %[2]q}]
  strategy:
    canary:
      steps:
        - setWeight: 25
        - pause: {}
        - setWeight: 50
        - analysis: {templates: [{templateName: web-check}]}
        - setWeight: 75
`, id, image)
}

// templateYAML is the web-check AnalysisTemplate: three measurements of url one second apart,
// each successful when the answer's ok is true.
func templateYAML(id, url string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: web-check
  labels: {argo-rollouts.argoproj.io/controller-instance-id: %[1]s}
spec:
  metrics:
    - name: ok
      interval: 1s
      count: 3
      failureLimit: 0
      successCondition: result == true
      provider:
        web:
          url: %[2]s
          jsonPath: "{$.ok}"
`, id, url)
}

// verdict is a web metric endpoint on loopback whose answer the test switches.
type verdict struct {
	ok  atomic.Bool
	url string
}

func newVerdict(t *testing.T, ok bool) *verdict {
	v := &verdict{}
	v.ok.Store(ok)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok": %t}`, v.ok.Load())
	}))
	t.Cleanup(srv.Close)
	v.url = srv.URL
	return v
}
