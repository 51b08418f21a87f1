package realapi

import (
	"strings"
	"testing"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/driver"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

func TestPrepareRewritesPrometheusAndLabels(t *testing.T) {
	sc, err := scenarios.Load("builtin:seed-bad-canary-bake")
	if err != nil {
		t.Fatal(err)
	}
	sc, err = scenarios.Scale(sc, 1) // a copy
	if err != nil {
		t.Fatal(err)
	}
	got := prepare(sc, "http://127.0.0.1:9999", "id-1")
	if len(got) != 1 || got[0] != "http://prometheus.monitoring:9090" {
		t.Errorf("replaced %q, want the seed template's address", got)
	}
	n := 0
	for _, o := range sc.Objects {
		if at, ok := o.Object.(*v1alpha1.AnalysisTemplate); ok {
			n++
			if a := at.Spec.Metrics[0].Provider.Prometheus.Address; a != "http://127.0.0.1:9999" {
				t.Errorf("template %s: address %q", at.Name, a)
			}
		}
		_, isRollout := o.Object.(*v1alpha1.Rollout)
		_, isTemplate := o.Object.(*v1alpha1.AnalysisTemplate)
		if (isRollout || isTemplate) && o.GetLabels()[driver.LabelControllerInstanceID] != "id-1" {
			t.Errorf("%s: no instance-id label", o.GetName())
		}
	}
	if n == 0 {
		t.Error("no AnalysisTemplate in the seed scenario")
	}
}

func TestRescaleToScenarioSeconds(t *testing.T) {
	r := &reports.Report{VirtualSeconds: 13.2, DetectedAt: reports.Secs(12.5), DetectionSeconds: reports.Secs(6.5),
		Events: []reports.Event{{At: 0.6}}, AnalysisRuns: []reports.AnalysisRun{{CreatedAt: 12, Metrics: []reports.Metric{{Measurements: []reports.Measurement{{At: 12.4}}}}}}}
	rescale(r, 0.1)
	if r.VirtualSeconds != 132 || *r.DetectedAt != 125 || *r.DetectionSeconds != 65 || r.Events[0].At != 6 ||
		r.AnalysisRuns[0].CreatedAt != 120 || r.AnalysisRuns[0].Metrics[0].Measurements[0].At != 124 {
		t.Errorf("rescaled: %+v", r)
	}
	if r.FaultStartedAt != nil {
		t.Error("a time that did not happen stays null")
	}
}

func TestNamespaceFor(t *testing.T) {
	ns := namespaceFor(strings.Repeat("a", 80))
	if len(ns) > 63 || !strings.HasPrefix(ns, "aaa") {
		t.Errorf("namespace %q", ns)
	}
}

func TestCheck(t *testing.T) {
	if err := Check(Options{Controller: "flagger", TimeScale: 2}); err == nil || len(err.(scenarios.Problems)) != 2 {
		t.Errorf("Check: %v, want two problems", err)
	}
	if err := Check(Options{Controller: ControllerArgo, TimeScale: 0.1}); err != nil {
		t.Error(err)
	}
}
