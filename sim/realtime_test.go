package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Testers send what the Rollout's header route matches, so that the router routes them as the
// route's objects say.
func TestTesterHeader(t *testing.T) {
	canary := func(cs v1alpha1.CanaryStrategy) *v1alpha1.Rollout {
		return &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &cs}}}
	}
	for _, tc := range []struct {
		name        string
		ro          *v1alpha1.Rollout
		header, val string
	}{
		{"no canary", &v1alpha1.Rollout{}, TesterHeader, TesterHeaderValue},
		{"header route", canary(v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{
			{SetWeight: ptrTo(int32(5))},
			{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "testers", Match: []v1alpha1.HeaderRoutingMatch{
				{HeaderName: "X-Canary-Test", HeaderValue: &v1alpha1.StringMatch{Exact: "true"}}}}},
		}}), "X-Canary-Test", "true"},
		{"nginx canary-by-header", canary(v1alpha1.CanaryStrategy{TrafficRouting: &v1alpha1.RolloutTrafficRouting{
			Nginx: &v1alpha1.NginxTrafficRouting{AdditionalIngressAnnotations: map[string]string{"canary-by-header": "X-Canary"}}}}), "X-Canary", "always"},
		{"prefix match only", canary(v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{
			{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Match: []v1alpha1.HeaderRoutingMatch{
				{HeaderName: "X-Beta", HeaderValue: &v1alpha1.StringMatch{Prefix: "yes"}}}}},
		}}), TesterHeader, TesterHeaderValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, v := testerHeader(tc.ro)
			assert.Equal(t, tc.header, h)
			assert.Equal(t, tc.val, v)
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestRouteTableReady(t *testing.T) {
	assert.False(t, RouteTable{}.Ready())
	assert.False(t, RouteTable{Untagged: []Route{{Weight: 1}}}.Ready(), "a share without a pod")
	assert.True(t, RouteTable{Tagged: []Route{{Addr: "127.0.0.1:1", Weight: 1}}}.Ready())
}
