package trafficrouting

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

var httpRouteGVK = []string{"gateway.networking.k8s.io/v1", "HTTPRoute"}

const httpRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web-route}
spec:
  parentRefs: [{name: gateway}]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - {name: web-stable, port: 80, weight: 100}
    - {name: web-canary, port: 80, weight: 0}
`

func gatewayRollout() *v1alpha1.Rollout {
	return canaryRollout(&v1alpha1.RolloutTrafficRouting{
		Plugins:       map[string]json.RawMessage{GatewayAPIPlugin: json.RawMessage(`{"httpRoute": "web-route", "namespace": "default"}`)},
		ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "testers"}},
	})
}

func TestGatewayAPIWeightsAndHeaderRoute(t *testing.T) {
	ro := gatewayRollout()
	l := newLab(t, ro, fromYAML(t, httpRoute))
	routers, err := (&Factory{Client: l.c, Recorder: l.rec}).Routers(ro, nil)
	require.NoError(t, err)
	require.Len(t, routers, 1)
	r := routers[0]
	assert.Equal(t, "GatewayAPI", r.Type())

	require.NoError(t, r.SetWeight(l.ctx, 25))
	assert.Contains(t, l.spec(httpRouteGVK, "web-route"), "  - name: web-stable\n    port: 80\n    weight: 75\n  - name: web-canary\n    port: 80\n    weight: 25\n")
	assert.Equal(t, []string{"Normal HTTPRouteUpdated HTTPRoute `web-route` set to desiredWeight '25'"}, l.events())

	require.NoError(t, r.SetHeaderRoute(l.ctx, &v1alpha1.SetHeaderRoute{Name: "testers", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Prefix: "tester"}},
	}}))
	assert.Equal(t, `parentRefs:
- name: gateway
rules:
- backendRefs:
  - name: web-stable
    port: 80
    weight: 75
  - name: web-canary
    port: 80
    weight: 25
  matches:
  - path:
      type: PathPrefix
      value: /
- backendRefs:
  - group: ""
    kind: Service
    name: web-canary
    port: 80
  matches:
  - headers:
    - name: X-Canary
      type: RegularExpression
      value: tester.*
    path:
      type: PathPrefix
      value: /
  name: testers
`, l.spec(httpRouteGVK, "web-route"))

	// Weights leave the header rule alone; removing managed routes drops it.
	require.NoError(t, r.SetWeight(l.ctx, 50))
	assert.Contains(t, l.spec(httpRouteGVK, "web-route"), "  - group: \"\"\n    kind: Service\n    name: web-canary\n    port: 80\n  matches:")
	require.NoError(t, r.RemoveManagedRoutes(l.ctx))
	assert.NotContains(t, l.spec(httpRouteGVK, "web-route"), "testers")
}

func TestFactory(t *testing.T) {
	ro := canaryRollout(&v1alpha1.RolloutTrafficRouting{
		Istio: &v1alpha1.IstioTrafficRouting{VirtualService: &v1alpha1.IstioVirtualService{Name: "web"}},
		Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"},
		SMI:   &v1alpha1.SMITrafficRouting{},
	})
	routers, err := (&Factory{}).Routers(ro, nil)
	require.NoError(t, err)
	var types []string
	for _, r := range routers {
		types = append(types, r.Type())
	}
	assert.Equal(t, []string{"Istio", "Nginx", "SMI"}, types, "Argo's order")

	ro = canaryRollout(&v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{"example/other": nil}})
	_, err = (&Factory{}).Routers(ro, nil)
	assert.EqualError(t, err, "unable to find plugin (example/other): only argoproj-labs/gatewayAPI is built in")

	routers, err = (&Factory{}).Routers(&v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}}}}, nil)
	assert.NoError(t, err)
	assert.Empty(t, routers)
}

func TestParseGatewayAPIConfig(t *testing.T) {
	cfg, err := ParseGatewayAPIConfig(json.RawMessage(`{"httpRoute": "a", "httpRoutes": [{"name": "b"}]}`), "ns")
	require.NoError(t, err)
	assert.Equal(t, GatewayAPIConfig{HTTPRoute: "a", Namespace: "ns", HTTPRoutes: []GatewayAPIName{{Name: "a", UseHeaderRoutes: true}, {Name: "b"}}}, cfg)
	_, err = ParseGatewayAPIConfig(json.RawMessage(`{`), "ns")
	assert.Error(t, err)
}
