package rollout

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestValidateRollout(t *testing.T) {
	routed := func(ro *v1alpha1.Rollout) *v1alpha1.CanaryStrategy {
		cs := ro.Spec.Strategy.Canary
		cs.CanaryService, cs.StableService = "c", "s"
		cs.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "i"}}
		return cs
	}
	zero := intstr.FromInt32(0)
	tests := []struct {
		name   string
		mutate func(*v1alpha1.Rollout)
		want   string
	}{
		{"valid", func(*v1alpha1.Rollout) {}, ""},
		{"no selector", func(ro *v1alpha1.Rollout) { ro.Spec.Selector = nil },
			"spec.selector: Required value: Rollout has missing field '.spec.selector'"},
		{"selector does not match", func(ro *v1alpha1.Rollout) { ro.Spec.Template.Labels = map[string]string{"app": "other"} },
			"spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`"},
		{"no strategy", func(ro *v1alpha1.Rollout) { ro.Spec.Strategy = v1alpha1.RolloutStrategy{} },
			"spec.strategy.strategy: Required value: Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'"},
		{"two strategies", func(ro *v1alpha1.Rollout) {
			ro.Spec.Strategy.BlueGreen = &v1alpha1.BlueGreenStrategy{ActiveService: "a"}
		}, `spec.strategy.strategy: Invalid value: "blueGreen: true canary: true": Multiple Strategies can not be listed`},
		{"deadline below minReady", func(ro *v1alpha1.Rollout) { ro.Spec.MinReadySeconds = 700 },
			"spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"},
		{"setWeight above the max", func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.Steps[0].SetWeight = i32(120) },
			"spec.strategy.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100"},
		{"empty step", func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.Steps[0] = v1alpha1.CanaryStep{} },
			"spec.strategy.steps[0]: Invalid value: \"step.Experiment: true step.Pause: true step.SetWeight: true step.Analysis: true step.SetCanaryScale: true step.SetHeaderRoute: true step.SetMirrorRoute: true step.Plugin: true\": Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause"},
		{"setCanaryScale needs routing", func(ro *v1alpha1.Rollout) {
			ro.Spec.Strategy.Canary.Steps[0] = v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: i32(1)}}
		}, "spec.strategy.trafficRouting: Required value: SetCanaryScale requires TrafficRouting to be set"},
		{"header route with nginx", func(ro *v1alpha1.Rollout) {
			routed(ro).Steps[0] = v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h"}}
		}, `spec.strategy.steps[0].setHeaderRoute: Invalid value: {"name":"h"}: SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix`},
		{"header route not managed", func(ro *v1alpha1.Rollout) {
			cs := routed(ro)
			cs.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{"argoproj-labs/gatewayAPI": nil}, ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "x"}}}
			cs.Steps[0] = v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "a", HeaderValue: &v1alpha1.StringMatch{Exact: "1"}}}}}
		}, `spec.strategy.steps[0].setHeaderRoute: Invalid value: "h": Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes`},
		{"header match with two values", func(ro *v1alpha1.Rollout) {
			cs := routed(ro)
			cs.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{"argoproj-labs/gatewayAPI": nil}, ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "h"}}}
			cs.Steps[0] = v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "a", HeaderValue: &v1alpha1.StringMatch{Exact: "1", Prefix: "2"}}}}}
		}, `spec.strategy.steps[0].setHeaderRoute.match[0]: Invalid value: {"exact":"1","prefix":"2"}: StringMatch match value must have exactly one of the following: exact, regex, prefix`},
		{"mirror needs Istio", func(ro *v1alpha1.Rollout) {
			routed(ro).Steps[0] = v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "m"}}
		}, `spec.strategy.steps[0].setMirrorRoute: Invalid value: {"name":"m"}: SetMirrorRoute requires TrafficRouting, supports Istio only`},
		{"routing needs both services", func(ro *v1alpha1.Rollout) {
			routed(ro).CanaryService = ""
		}, `spec.strategy.canaryService: Invalid value: "": Canary service and Stable service must to be set to use Traffic Routing`},
		{"same services", func(ro *v1alpha1.Rollout) {
			cs := routed(ro)
			cs.CanaryService = cs.StableService
		}, `spec.strategy.stableService: Invalid value: "s": This rollout uses the same service for the stable and canary services, but two different services are required.`},
		{"scaleDownDelay needs routing", func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = i32(5) },
			"spec.strategy.scaleDownDelaySeconds: Invalid value: 5: Canary scaleDownDelaySeconds can only be used with traffic routing"},
		{"dynamicStableScale needs routing", func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.DynamicStableScale = true },
			"spec.strategy.dynamicStableScale: Invalid value: true: Canary dynamicStableScale can only be used with traffic routing"},
		{"maxTrafficWeight with Istio", func(ro *v1alpha1.Rollout) {
			cs := routed(ro)
			cs.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Istio: &v1alpha1.IstioTrafficRouting{}, MaxTrafficWeight: i32(1000)}
		}, "spec.strategy.trafficRouting.maxTrafficWeight: Invalid value: 1000: Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins"},
		{"surge and unavailable zero", func(ro *v1alpha1.Rollout) {
			ro.Spec.Strategy.Canary.MaxSurge, ro.Spec.Strategy.Canary.MaxUnavailable = &zero, &zero
		}, "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero"},
		{"anti-affinity with both", func(ro *v1alpha1.Rollout) {
			ro.Spec.Strategy.Canary.AntiAffinity = &v1alpha1.AntiAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: &v1alpha1.PreferredDuringSchedulingIgnoredDuringExecution{Weight: 10},
				RequiredDuringSchedulingIgnoredDuringExecution:  &v1alpha1.RequiredDuringSchedulingIgnoredDuringExecution{},
			}
		}, `spec.strategy.antiAffinity: Invalid value: "antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: true antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: true": AntiAffinity must have exactly one strategy listed`},
		{"experiment weight without routing", func(ro *v1alpha1.Rollout) {
			ro.Spec.Strategy.Canary.Steps[0] = v1alpha1.CanaryStep{Experiment: &v1alpha1.RolloutExperimentStep{Templates: []v1alpha1.RolloutExperimentTemplate{{Name: "a", Weight: i32(5)}}}}
		}, "spec.strategy.steps[0].experiment.templates[0].weight: Invalid value: 5: Experiment template weight cannot be set unless TrafficRouting is enabled"},
		{"blue-green same services", func(ro *v1alpha1.Rollout) {
			ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "a", PreviewService: "a"}}
		}, `spec.strategy.activeService: Invalid value: "a": This rollout uses the same service for the active and preview services, but two different services are required.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ro := seedRollout()
			tc.mutate(ro)
			errs := ValidateRollout(ro)
			if tc.want == "" {
				assert.Empty(t, errs)
				return
			}
			if assert.NotEmpty(t, errs) {
				assert.Equal(t, tc.want, errs[0].Error())
			}
		})
	}
}

func TestInvalidSpecIsDegradedWithArgoMessage(t *testing.T) {
	ro := seedRollout()
	ro.Spec.Strategy.Canary.Steps[0].SetWeight = i32(101)
	f := newFixture(t, ro, successRateTemplate())
	res := f.reconcile()
	cur := f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhaseDegraded, cur.Status.Phase)
	assert.Equal(t, `InvalidSpec: The Rollout "demo-app" is invalid: spec.strategy.steps[0].setWeight: Invalid value: 101: SetWeight needs to be between 0 and 100`, cur.Status.Message)
	assert.Equal(t, invalidSpecRequeue, res.RequeueAfter)
	assert.Empty(t, f.replicaSets(), "nothing is created for an invalid spec")
}

func TestServiceReferencesAreChecked(t *testing.T) {
	ro := withServices(seedRollout())
	other := service("demo-app-canary")
	other.Annotations = map[string]string{AnnotationManagedByRollouts: "someone-else"}
	f := newFixture(t, ro, successRateTemplate(), service("demo-app-stable"), other)
	f.reconcile()
	assert.Equal(t, `InvalidSpec: The Rollout "demo-app" is invalid: spec.strategy.canary.canaryService: Invalid value: "demo-app-canary": Service "demo-app-canary" is managed by another Rollout`, f.rollout().Status.Message)

	bad := service("demo-app-stable")
	bad.Spec.Selector = map[string]string{"app": "other"}
	f = newFixture(t, withServices(seedRollout()), successRateTemplate(), bad, service("demo-app-canary"))
	f.reconcile()
	assert.Equal(t, `InvalidSpec: The Rollout "demo-app" is invalid: spec.strategy.canary.stableService: Invalid value: "demo-app-stable": Service "demo-app-stable" has unmatch label "app" in rollout`, f.rollout().Status.Message)
}
