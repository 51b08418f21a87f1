package trafficrouting

import (
	"context"
	"errors"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/controller/rollout"
)

// The routers' part of a Rollout's spec validation (Argo's getReferencedIngresses,
// GetReferencedVirtualServices, ValidateIngress and ValidateVirtualService), with Argo's paths and
// messages.

var (
	_ rollout.ReferenceValidator = (*Nginx)(nil)
	_ rollout.ReferenceValidator = (*Istio)(nil)
)

var trafficRoutingPath = field.NewPath("spec", "strategy", "canary", "trafficRouting")

// ValidateReferences requires one of stableIngress and stableIngresses, the Ingresses to exist,
// and each to have a rule with the stable Service as backend.
func (r *Nginx) ValidateReferences(ctx context.Context) (*field.Error, *field.Error, error) {
	ngx := r.ro.Spec.Strategy.Canary.TrafficRouting.Nginx
	p := trafficRoutingPath.Child("nginx")
	multi, single := ngx.StableIngresses != nil, ngx.StableIngress != ""
	switch {
	case multi && single:
		return field.InternalError(p, argoErrorf("Either StableIngress or StableIngresses must be configured. Both are configured.")), nil, nil
	case !multi && !single:
		return field.InternalError(p, argoErrorf("Either StableIngress or StableIngresses must be configured. Neither are configured.")), nil, nil
	}
	stable := r.ro.Spec.Strategy.Canary.StableService
	var content *field.Error
	for _, name := range StableIngresses(ngx) {
		ing := &networkingv1.Ingress{}
		err := r.c.Get(ctx, client.ObjectKey{Namespace: r.ro.Namespace, Name: name}, ing)
		if apierrors.IsNotFound(err) {
			if multi {
				return field.Invalid(p.Child("StableIngresses"), ngx.StableIngresses, err.Error()), nil, nil
			}
			return field.Invalid(p.Child("stableIngress"), name, err.Error()), nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if content == nil && !hasRuleWithService(ing, stable) {
			fp := p.Child("stableIngress")
			if multi {
				fp = p.Child("stableIngresses")
			}
			content = field.Invalid(fp, name, fmt.Sprintf(errIngressNoRules, name, stable))
		}
	}
	return nil, content, nil
}

func hasRuleWithService(ing *networkingv1.Ingress, svc string) bool {
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			if p.Backend.Service != nil && p.Backend.Service.Name == svc {
				return true
			}
		}
	}
	return false
}

// ValidateReferences requires one of virtualService and virtualServices, the VirtualServices to
// exist, and their routes to be the ones SetWeight can manage.
func (r *Istio) ValidateReferences(ctx context.Context) (*field.Error, *field.Error, error) {
	is := r.ro.Spec.Strategy.Canary.TrafficRouting.Istio
	if (is.VirtualServices != nil) == (is.VirtualService != nil) {
		return field.InternalError(trafficRoutingPath.Child("istio"), errors.New("either VirtualService or VirtualServices must be configured")), nil, nil
	}
	p := trafficRoutingPath.Child("istio", "virtualService", "name")
	if is.VirtualServices != nil {
		p = trafficRoutingPath.Child("istio", "virtualServices", "name")
	}
	var content *field.Error
	for _, vs := range r.virtualServices() {
		ns, name := splitNamespacedName(vs.Name)
		if ns == "" {
			ns = r.ro.Namespace
		}
		u, err := getUnstructured(ctx, r.c, VirtualServiceGVKs, client.ObjectKey{Namespace: ns, Name: name})
		if apierrors.IsNotFound(err) {
			return field.Invalid(p, name, err.Error()), nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if content == nil {
			content = r.validateVirtualService(u, name, p)
		}
	}
	return nil, content, nil
}

func (r *Istio) validateVirtualService(u *unstructured.Unstructured, name string, p *field.Path) *field.Error {
	var vs = r.virtualServices()[0]
	for _, v := range r.virtualServices() {
		if _, n := splitNamespacedName(v.Name); n == name {
			vs = v
		}
	}
	found := 0
	for _, kind := range []string{routeHTTP, routeTLS, routeTCP} {
		raw, ok, err := unstructured.NestedSlice(u.Object, "spec", kind)
		if err != nil || !ok {
			continue
		}
		found++
		routes, err := decodeRoutes(raw)
		label := map[string]string{routeHTTP: "HTTP", routeTLS: "TLS", routeTCP: "TCP"}[kind]
		if err != nil {
			return field.Invalid(p, name, fmt.Sprintf("Unable to get %s routes for Istio VirtualService", label))
		}
		switch kind {
		case routeHTTP:
			err = validateHTTPRoutes(r.ro, vs.Routes, routes)
		case routeTLS:
			err = validateTLSRoutes(r.ro, vs.TLSRoutes, routes)
		case routeTCP:
			err = validateTCPRoutes(r.ro, vs.TCPRoutes, routes)
		}
		if err != nil {
			return field.Invalid(p, name, fmt.Sprintf("Istio VirtualService has invalid %s routes. Error: %s", label, err.Error()))
		}
	}
	if found == 0 {
		return field.Invalid(p, name, "Unable to get any of the HTTP, TCP or TLS routes for the Istio VirtualService")
	}
	return nil
}
