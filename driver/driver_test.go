package driver

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

func TestInstanceIDSelector(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		labels   map[string]string
		want     bool
	}{
		{"no id sees unlabelled", "", nil, true},
		{"no id ignores labelled", "", map[string]string{LabelControllerInstanceID: "a"}, false},
		{"id sees its own", "a", map[string]string{LabelControllerInstanceID: "a"}, true},
		{"id ignores another's", "a", map[string]string{LabelControllerInstanceID: "b"}, false},
		{"id ignores unlabelled", "a", nil, false},
		{"an id that is no label value selects nothing", "not a label!", map[string]string{LabelControllerInstanceID: "x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := InstanceIDSelector(tc.id).Matches(labels.Set(tc.labels)); got != tc.want {
				t.Errorf("got %v", got)
			}
		})
	}
}

func TestReferences(t *testing.T) {
	ro := &v1alpha1.Rollout{}
	ro.Name = "demo"
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{
		StableService: "demo-stable", CanaryService: "demo-canary",
		TrafficRouting: &v1alpha1.RolloutTrafficRouting{
			Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "demo-ing"},
			Istio: &v1alpha1.IstioTrafficRouting{
				VirtualService:  &v1alpha1.IstioVirtualService{Name: "vs1"},
				DestinationRule: &v1alpha1.IstioDestinationRule{Name: "dr"},
			},
			SMI:     &v1alpha1.SMITrafficRouting{RootService: "root"},
			Plugins: map[string]json.RawMessage{"argoproj-labs/gatewayAPI": json.RawMessage(`{"httpRoute":"route1","httpRoutes":[{"name":"route2"}]}`)},
		},
	}
	for _, tc := range []struct {
		kind, name string
		want       bool
	}{
		{"Service", "demo-stable", true}, {"Service", "demo-canary", true}, {"Service", "root", true}, {"Service", "other", false},
		{"Ingress", "demo-ing", true}, {"Ingress", "demo-stable", false},
		{"VirtualService", "vs1", true}, {"DestinationRule", "dr", true},
		{"TrafficSplit", "demo", true}, {"HTTPRoute", "route1", true}, {"HTTPRoute", "route2", true}, {"HTTPRoute", "route3", false},
	} {
		if got := References(ro, tc.kind, tc.name); got != tc.want {
			t.Errorf("References(%s %s) = %v", tc.kind, tc.name, got)
		}
	}
	bg := &v1alpha1.Rollout{}
	bg.Spec.Strategy.BlueGreen = &v1alpha1.BlueGreenStrategy{ActiveService: "active", PreviewService: "preview"}
	if !References(bg, "Service", "active") || !References(bg, "Service", "preview") || References(bg, "Ingress", "active") {
		t.Error("blue-green services")
	}
}

func TestMetricPhaseAndAbortCause(t *testing.T) {
	cond := func(typ v1alpha1.RolloutConditionType, reason string) v1alpha1.RolloutCondition {
		return v1alpha1.RolloutCondition{Type: typ, Status: corev1.ConditionTrue, Reason: reason}
	}
	for _, tc := range []struct {
		name      string
		status    v1alpha1.RolloutStatus
		phase     string
		abortedBy string
	}{
		{"completed", v1alpha1.RolloutStatus{Conditions: []v1alpha1.RolloutCondition{cond(v1alpha1.RolloutProgressing, rollout.ReasonNewReplicaSetAvailable)}}, MetricPhaseCompleted, AbortCauseUser},
		{"paused", v1alpha1.RolloutStatus{Conditions: []v1alpha1.RolloutCondition{cond(v1alpha1.RolloutProgressing, rollout.ReasonRolloutPaused)}}, MetricPhasePaused, AbortCauseUser},
		{"aborted by analysis", v1alpha1.RolloutStatus{Abort: true,
			Conditions: []v1alpha1.RolloutCondition{cond(v1alpha1.RolloutProgressing, rollout.ReasonRolloutAborted)},
			Canary:     v1alpha1.CanaryStatus{CurrentStepAnalysisRunStatus: &v1alpha1.RolloutAnalysisRunStatus{Name: "r", Status: v1alpha1.AnalysisPhaseFailed}}},
			MetricPhaseAbort, AbortCauseAnalysis},
		{"progress deadline", v1alpha1.RolloutStatus{Abort: true, Conditions: []v1alpha1.RolloutCondition{cond(v1alpha1.RolloutProgressing, rollout.ReasonProgressDeadlineExceeded)}}, MetricPhaseTimeout, AbortCauseProgressDeadline},
		{"invalid spec wins", v1alpha1.RolloutStatus{Conditions: []v1alpha1.RolloutCondition{cond(v1alpha1.RolloutProgressing, rollout.ReasonRolloutPaused), cond(v1alpha1.InvalidSpec, rollout.ReasonInvalidSpec)}}, MetricPhaseInvalidSpec, AbortCauseUser},
		{"no condition yet", v1alpha1.RolloutStatus{}, MetricPhaseProgressing, AbortCauseUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := &v1alpha1.Rollout{Status: tc.status}
			if got := MetricPhase(ro); got != tc.phase {
				t.Errorf("phase %s, want %s", got, tc.phase)
			}
			if got := AbortCause(ro); got != tc.abortedBy {
				t.Errorf("cause %s, want %s", got, tc.abortedBy)
			}
		})
	}
}

func TestRestConfigLimits(t *testing.T) {
	for _, tc := range []struct {
		name               string
		optQPS, cfgQPS     float32
		optBurst, cfgBurst int
		wantQPS            float32
		wantBurst          int
	}{
		{"client-go's zero takes Argo's defaults", 0, 0, 0, 0, DefaultQPS, DefaultBurst},
		{"the config's own limits stay", 0, 100, 0, 200, 100, 200},
		{"options win over the config", 20, 100, 30, 200, 20, 30},
		{"options over client-go's zero", 7, 0, 9, 0, 7, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &rest.Config{Host: "https://example", QPS: tc.cfgQPS, Burst: tc.cfgBurst}
			o := Options{QPS: tc.optQPS, Burst: tc.optBurst}
			got := o.restConfig(cfg)
			if got.QPS != tc.wantQPS || got.Burst != tc.wantBurst {
				t.Errorf("QPS %v burst %d, want %v and %d", got.QPS, got.Burst, tc.wantQPS, tc.wantBurst)
			}
			if cfg.QPS != tc.cfgQPS || cfg.Burst != tc.cfgBurst {
				t.Errorf("the caller's config changed: QPS %v burst %d", cfg.QPS, cfg.Burst)
			}
		})
	}
}
