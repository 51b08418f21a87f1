package trafficrouting

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func stableIngress() *networkingv1.Ingress {
	class := "nginx"
	backend := func(svc string) networkingv1.IngressBackend {
		return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}
	}
	prefix := networkingv1.PathTypePrefix
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Annotations: map[string]string{"kubernetes.io/ingress.class": "nginx", "other": "x"}},
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			TLS:              []networkingv1.IngressTLS{{Hosts: []string{"web.example.com"}, SecretName: "web-tls"}},
			Rules: []networkingv1.IngressRule{
				{Host: "web.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: backend("web-stable")}}}}},
				{Host: "admin.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: backend("admin")}}}}},
			},
		},
	}
}

func TestNginxCanaryIngressClonedFromStable(t *testing.T) {
	ro := canaryRollout(&v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{
		StableIngress:                "web",
		AdditionalIngressAnnotations: map[string]string{"canary-by-header": "X-Canary"},
		CanaryIngressAnnotations:     map[string]string{"example.com/full": "yes"},
	}})
	ro.UID = "uid-web"
	l := newLab(t, ro, stableIngress())
	n := &Nginx{router: l.router()}

	require.NoError(t, n.SetWeight(l.ctx, 0))
	canary := &networkingv1.Ingress{}
	require.NoError(t, l.c.Get(l.ctx, client.ObjectKey{Namespace: "default", Name: "web-web-canary"}, canary))
	assert.Equal(t, map[string]string{
		"kubernetes.io/ingress.class":                  "nginx",
		"nginx.ingress.kubernetes.io/canary":           "true",
		"nginx.ingress.kubernetes.io/canary-weight":    "0",
		"nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
		"example.com/full":                             "yes",
	}, canary.Annotations, "only the class of the stable's annotations is kept")
	require.Len(t, canary.Spec.Rules, 1, "only rules that use the stable Service")
	assert.Equal(t, "web-canary", canary.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name)
	assert.Equal(t, stableIngress().Spec.TLS, canary.Spec.TLS)
	assert.Equal(t, "nginx", *canary.Spec.IngressClassName)
	assert.True(t, metav1.IsControlledBy(canary, ro))
	assert.Equal(t, []string{"Normal CreatingCanaryIngress Creating canary ingress `web-web-canary` with weight `0`"}, l.events())

	// Same weight: no write. New weight: a patch that keeps annotations others added.
	require.NoError(t, n.SetWeight(l.ctx, 0))
	assert.Empty(t, l.events())
	canary.Annotations["added-by-someone"] = "kept"
	require.NoError(t, l.c.Update(l.ctx, canary))
	require.NoError(t, n.SetWeight(l.ctx, 30))
	require.NoError(t, l.c.Get(l.ctx, client.ObjectKeyFromObject(canary), canary))
	assert.Equal(t, "30", canary.Annotations["nginx.ingress.kubernetes.io/canary-weight"])
	assert.Equal(t, "kept", canary.Annotations["added-by-someone"])
	assert.Equal(t, []string{"Normal PatchingCanaryIngress Updating Ingress `web-web-canary` to desiredWeight '30'"}, l.events())

	verified, err := n.VerifyWeight(l.ctx, 30)
	assert.NoError(t, err)
	assert.Nil(t, verified, "nginx cannot verify")
}

func TestNginxAnnotationPrefixAndMaxWeight(t *testing.T) {
	ro := canaryRollout(&v1alpha1.RolloutTrafficRouting{
		Nginx:            &v1alpha1.NginxTrafficRouting{StableIngress: "web", AnnotationPrefix: "custom.io"},
		MaxTrafficWeight: i32(1000),
	})
	ro.UID = "uid-web"
	l := newLab(t, ro, stableIngress())
	require.NoError(t, (&Nginx{router: l.router()}).SetWeight(l.ctx, 250))
	canary := &networkingv1.Ingress{}
	require.NoError(t, l.c.Get(l.ctx, client.ObjectKey{Namespace: "default", Name: "web-web-canary"}, canary))
	assert.Equal(t, "250", canary.Annotations["custom.io/canary-weight"])
	assert.Equal(t, "1000", canary.Annotations["custom.io/canary-weight-total"])
}

func TestNginxErrors(t *testing.T) {
	ro := canaryRollout(&v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"}})
	ro.UID = "uid-web"
	l := newLab(t, ro)
	n := &Nginx{router: l.router()}
	// (The in-memory API's resource names are not quite Kubernetes' plurals: compare around them.)
	err := n.SetWeight(l.ctx, 10)
	assert.Regexp(t, "^error retrieving stableIngress `web` from cache: ingress.*\"web\" not found$", err.Error())

	lookup, content, err := n.ValidateReferences(l.ctx)
	require.NoError(t, err)
	assert.Nil(t, content)
	assert.Regexp(t, `^spec.strategy.canary.trafficRouting.nginx.stableIngress: Invalid value: "web": ingress.* "web" not found$`, lookup.Error())

	other := stableIngress()
	other.Spec.Rules = other.Spec.Rules[1:]
	require.NoError(t, l.c.Create(l.ctx, other))
	lookup, content, err = n.ValidateReferences(l.ctx)
	require.NoError(t, err)
	assert.Nil(t, lookup)
	assert.Equal(t, "spec.strategy.canary.trafficRouting.nginx.stableIngress: Invalid value: \"web\": ingress `web` has no rules using service web-stable backend", content.Error())
	assert.EqualError(t, n.SetWeight(l.ctx, 10), "ingress `web` has no rules using service web-stable backend")

	// A canary Ingress of someone else's is left alone.
	require.NoError(t, l.c.Delete(l.ctx, other))
	require.NoError(t, l.c.Create(l.ctx, stableIngress()))
	require.NoError(t, l.c.Create(l.ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web-web-canary", Namespace: "default"}}))
	assert.EqualError(t, n.SetWeight(l.ctx, 10), "canary ingress `web-web-canary` controlled by different object")

	both := canaryRollout(&v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web", StableIngresses: []string{"web"}}})
	lookup, _, _ = (&Nginx{router: router{c: l.c, ro: both}}).ValidateReferences(l.ctx)
	assert.Equal(t, "spec.strategy.canary.trafficRouting.nginx: Internal error: Either StableIngress or StableIngresses must be configured. Both are configured.", lookup.Error())
}

func TestCanaryIngressName(t *testing.T) {
	assert.Equal(t, "ro-ing-canary", CanaryIngressName("ro", "ing"))
	long := CanaryIngressName(string(make([]byte, 300)), "x")
	assert.Len(t, long, 253)
}
