package trafficrouting

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

var (
	vsGVK = []string{"networking.istio.io/v1beta1", "VirtualService"}
	drGVK = []string{"networking.istio.io/v1beta1", "DestinationRule"}
)

const hostSplitVS = `
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - name: primary
    route:
    - destination: {host: web-stable, port: {number: 8080}}
      weight: 100
    - destination: {host: web-canary.default.svc.cluster.local, port: {number: 8080}}
      weight: 0
  - name: other
    route:
    - destination: {host: other}
`

func hostSplit() *v1alpha1.Rollout {
	return canaryRollout(&v1alpha1.RolloutTrafficRouting{
		Istio:         &v1alpha1.IstioTrafficRouting{VirtualService: &v1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"}}},
		ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "mirror"}, {Name: "testers"}},
	})
}

func TestIstioHostSplitWeights(t *testing.T) {
	l := newLab(t, hostSplit(), fromYAML(t, hostSplitVS))
	r := &Istio{router: l.router()}
	require.NoError(t, r.SetWeight(l.ctx, 30))
	assert.Equal(t, `hosts:
- web
http:
- name: primary
  route:
  - destination:
      host: web-stable
      port:
        number: 8080
    weight: 70
  - destination:
      host: web-canary.default.svc.cluster.local
      port:
        number: 8080
    weight: 30
- name: other
  route:
  - destination:
      host: other
`, l.spec(vsGVK, "web"))
	assert.Equal(t, []string{"Normal Updated VirtualService VirtualService `web` set to desiredWeight '30'"}, l.events())
	require.NoError(t, r.SetWeight(l.ctx, 30))
	assert.Empty(t, l.events(), "nothing to change, nothing written")

	// An experiment's Service joins the route with its weight, taken from the stable.
	require.NoError(t, r.SetWeight(l.ctx, 30, v1alpha1.WeightDestination{ServiceName: "web-exp", Weight: 10}))
	assert.Contains(t, l.spec(vsGVK, "web"), "      host: web-exp\n    weight: 10\n")
	assert.Contains(t, l.spec(vsGVK, "web"), "      host: web-stable\n      port:\n        number: 8080\n    weight: 60\n")
	// Once the experiment is over its destination goes.
	require.NoError(t, r.SetWeight(l.ctx, 30))
	assert.NotContains(t, l.spec(vsGVK, "web"), "web-exp")
}

func TestIstioHeaderAndMirrorRoutes(t *testing.T) {
	l := newLab(t, hostSplit(), fromYAML(t, hostSplitVS))
	r := &Istio{router: l.router()}
	require.NoError(t, r.SetHeaderRoute(l.ctx, &v1alpha1.SetHeaderRoute{Name: "testers", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Exact: "yes"}},
	}}))
	pct := int32(25)
	require.NoError(t, r.SetMirrorRoute(l.ctx, &v1alpha1.SetMirrorRoute{Name: "mirror", Percentage: &pct, Match: []v1alpha1.RouteMatch{
		{Method: &v1alpha1.StringMatch{Exact: "GET"}},
	}}))
	// Managed routes come first, in managedRoutes order; the header route sends to the canary on
	// the weighted route's port, the mirror route keeps the weighted destinations.
	spec := l.spec(vsGVK, "web")
	assert.Regexp(t, `(?s)^hosts:\n- web\nhttp:\n- match:\n  - method:\n      exact: GET\n  mirror:\n    host: web-canary\n    port:\n      number: 8080\n  mirrorPercentage:\n    value: 25\n  name: mirror\n.*- match:\n  - headers:\n      X-Canary:\n        exact: "yes"\n  name: testers\n  route:\n  - destination:\n      host: web-canary\n      port:\n        number: 8080\n    weight: 100\n- name: primary\n`, spec)

	// A weight change moves the mirror route's copy of the weights too.
	require.NoError(t, r.SetWeight(l.ctx, 40))
	spec = l.spec(vsGVK, "web")
	assert.Regexp(t, `(?s)name: mirror\n  route:\n  - destination:\n      host: web-stable\n      port:\n        number: 8080\n    weight: 60\n`, spec)

	// No matches removes a route; RemoveManagedRoutes removes them all.
	require.NoError(t, r.SetHeaderRoute(l.ctx, &v1alpha1.SetHeaderRoute{Name: "testers"}))
	assert.NotContains(t, l.spec(vsGVK, "web"), "testers")
	require.NoError(t, r.RemoveManagedRoutes(l.ctx))
	assert.NotContains(t, l.spec(vsGVK, "web"), "mirror")
	assert.Contains(t, l.events(), "Normal Updated VirtualService VirtualService `web` removed all managed routes.")
}

const subsetVS = `
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: web}
spec:
  http:
  - route:
    - destination: {host: web, subset: stable}
      weight: 100
    - destination: {host: web, subset: canary}
`

const subsetDR = `
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets:
  - name: stable
    labels: {app: web}
    trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  - name: canary
    labels: {app: web}
  - name: legacy
    labels: {app: web-old}
`

func subsetRollout() *v1alpha1.Rollout {
	ro := canaryRollout(&v1alpha1.RolloutTrafficRouting{Istio: &v1alpha1.IstioTrafficRouting{
		VirtualService:  &v1alpha1.IstioVirtualService{Name: "web"},
		DestinationRule: &v1alpha1.IstioDestinationRule{Name: "web", CanarySubsetName: "canary", StableSubsetName: "stable"},
	}})
	ro.Spec.Strategy.Canary.CanaryService, ro.Spec.Strategy.Canary.StableService = "", ""
	return ro
}

func rs(hash string, replicas, available int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash}},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &replicas},
		Status:     appsv1.ReplicaSetStatus{AvailableReplicas: available},
	}
}

func TestIstioSubsetSplit(t *testing.T) {
	l := newLab(t, subsetRollout(), fromYAML(t, subsetVS), fromYAML(t, subsetDR))
	r := &Istio{router: l.router(), replicaSets: []*appsv1.ReplicaSet{rs("v1", 4, 4), rs("v2", 1, 0)}}

	// Without canary and stable Services the subsets are all that keeps traffic from unready pods.
	assert.EqualError(t, r.UpdateHash(l.ctx, "v2", "v1"), "delaying destination rule switch: ReplicaSet web-v2 not fully available")
	r.replicaSets[1].Status.AvailableReplicas = 1
	require.NoError(t, r.UpdateHash(l.ctx, "v2", "v1"))
	assert.Equal(t, `host: web
subsets:
- labels:
    app: web
    rollouts-pod-template-hash: v1
  name: stable
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
- labels:
    app: web
    rollouts-pod-template-hash: v2
  name: canary
`, l.spec(drGVK, "web"), "subsets that are neither canary nor stable go, as in Argo")
	assert.Equal(t, []string{"Normal UpdatedDestinationRule DestinationRule web subset updated (canary: v2, stable: v1)"}, l.events())
	referenced, err := r.ReferencesHash(l.ctx, "v2")
	require.NoError(t, err)
	assert.True(t, referenced)

	require.NoError(t, r.SetWeight(l.ctx, 20))
	assert.Contains(t, l.spec(vsGVK, "web"), "subset: canary\n    weight: 20\n")
	assert.Contains(t, l.spec(vsGVK, "web"), "subset: stable\n    weight: 80\n")

	// An aborted Rollout does not wait for its canary.
	l.ro.Status.Abort = true
	r.replicaSets[1].Status.AvailableReplicas = 0
	require.NoError(t, r.UpdateHash(l.ctx, "v2", "v1"))
}

func TestIstioValidation(t *testing.T) {
	l := newLab(t, hostSplit(), fromYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web}
spec:
  http:
  - name: primary
    route:
    - destination: {host: web-stable}
`))
	r := &Istio{router: l.router()}
	lookup, content, err := r.ValidateReferences(l.ctx)
	require.NoError(t, err)
	assert.Nil(t, lookup)
	assert.Equal(t, `spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "web": Istio VirtualService has invalid HTTP routes. Error: Canary Service 'web-canary' not found in route`, content.Error())
	assert.EqualError(t, r.SetWeight(l.ctx, 10), "Canary Service 'web-canary' not found in route")

	missing := hostSplit()
	missing.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualService.Name = "nope"
	lookup, _, _ = (&Istio{router: router{c: l.c, ro: missing}}).ValidateReferences(l.ctx)
	assert.Regexp(t, `^spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "nope": .* "nope" not found$`, lookup.Error())

	noRoute := hostSplit()
	noRoute.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualService.Routes = []string{"missing"}
	_, content, _ = (&Istio{router: router{c: l.c, ro: noRoute}}).ValidateReferences(l.ctx)
	assert.Contains(t, content.Error(), "HTTP Route 'missing' is not found in the defined Virtual Service.")
}

func TestSplitNamespacedName(t *testing.T) {
	ns, name := splitNamespacedName("vs.other-ns")
	assert.Equal(t, []string{"other-ns", "vs"}, []string{ns, name})
	ns, name = splitNamespacedName("vs")
	assert.Equal(t, []string{"", "vs"}, []string{ns, name})
	assert.Equal(t, "svc", shortHost("svc.ns.svc.cluster.local"))
}
