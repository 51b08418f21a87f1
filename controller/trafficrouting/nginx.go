package trafficrouting

import (
	"context"
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Nginx annotations and names (ingress-nginx's canary annotations, Argo's canary Ingress name).
const (
	DefaultNginxAnnotationPrefix = "nginx.ingress.kubernetes.io"
	CanaryIngressSuffix          = "-canary"
	ingressClassAnnotation       = "kubernetes.io/ingress.class"
	maxIngressName               = 253
)

// Nginx splits traffic with ingress-nginx: a canary Ingress, a copy of the stable Ingress's rules
// that use the stable Service with the canary Service as their backend, carries the canary and
// canary-weight annotations (Argo's rollout/trafficrouting/nginx).
type Nginx struct {
	router
}

// Type implements rollout.TrafficRouter.
func (r *Nginx) Type() string { return "Nginx" }

// NginxAnnotationPrefix is the Rollout's annotationPrefix, or ingress-nginx's.
func NginxAnnotationPrefix(ro *v1alpha1.Rollout) string {
	if cs := ro.Spec.Strategy.Canary; cs != nil && cs.TrafficRouting != nil && cs.TrafficRouting.Nginx != nil && cs.TrafficRouting.Nginx.AnnotationPrefix != "" {
		return cs.TrafficRouting.Nginx.AnnotationPrefix
	}
	return DefaultNginxAnnotationPrefix
}

// CanaryIngressName is "<rollout>-<stable ingress>-canary", the prefix cut to fit 253 characters.
func CanaryIngressName(rolloutName, stableIngress string) string {
	if stableIngress == "" {
		return ""
	}
	prefix := rolloutName + "-" + stableIngress
	if len(prefix) > maxIngressName-len(CanaryIngressSuffix) {
		prefix = prefix[:maxIngressName-len(CanaryIngressSuffix)]
	}
	return prefix + CanaryIngressSuffix
}

// StableIngresses lists the stable Ingresses: stableIngresses when set, else stableIngress.
func StableIngresses(n *v1alpha1.NginxTrafficRouting) []string {
	if n.StableIngresses != nil {
		return n.StableIngresses
	}
	return []string{n.StableIngress}
}

// SetWeight creates or updates the canary Ingress of every stable Ingress with the weight.
func (r *Nginx) SetWeight(ctx context.Context, desiredWeight int32, _ ...v1alpha1.WeightDestination) error {
	for _, name := range StableIngresses(r.ro.Spec.Strategy.Canary.TrafficRouting.Nginx) {
		if err := r.setWeight(ctx, name, desiredWeight); err != nil {
			return err
		}
	}
	return nil
}

func (r *Nginx) setWeight(ctx context.Context, stableName string, desiredWeight int32) error {
	ns := r.ro.Namespace
	canaryName := CanaryIngressName(r.ro.Name, stableName)
	stable := &networkingv1.Ingress{}
	if err := r.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: stableName}, stable); err != nil {
		return fmt.Errorf(errStableIngress, stableName, err)
	}
	desired, err := r.canaryIngress(stable, canaryName, desiredWeight)
	if err != nil {
		return err
	}
	current := &networkingv1.Ingress{}
	err = r.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: canaryName}, current)
	switch {
	case apierrors.IsNotFound(err):
		r.eventf(ReasonCreatingCanaryIngress, MsgCreatingCanaryIngress, canaryName, desiredWeight)
		create := desired.DeepCopy()
		err = r.c.Create(ctx, create)
		if err == nil {
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf(errCreateCanaryIngress, canaryName, err)
		}
		// Created by another reconcile meanwhile: read it and go on as when it existed.
		if err := r.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: canaryName}, current); err != nil {
			return fmt.Errorf(errCanaryIngress, canaryName, err)
		}
	case err != nil:
		return fmt.Errorf(errCanaryIngress, canaryName, err)
	}
	if !metav1.IsControlledBy(current, r.ro) {
		return fmt.Errorf(errCanaryIngressOwner, canaryName)
	}
	// Annotations others added to the canary Ingress stay; ours win.
	annotations := desired.Annotations
	for k, v := range current.Annotations {
		if _, ok := annotations[k]; !ok {
			annotations[k] = v
		}
	}
	if apiequality.Semantic.DeepEqual(current.Annotations, annotations) &&
		apiequality.Semantic.DeepEqual(current.Labels, desired.Labels) &&
		apiequality.Semantic.DeepEqual(current.Spec, desired.Spec) {
		return nil
	}
	next := current.DeepCopy()
	next.Annotations, next.Labels, next.Spec = annotations, desired.Labels, desired.Spec
	r.eventf(ReasonPatchingCanaryIngress, MsgPatchingCanaryIngress, canaryName, desiredWeight)
	if err := r.c.Patch(ctx, next, client.MergeFrom(current)); err != nil {
		return fmt.Errorf(errPatchCanaryIngress, canaryName, err)
	}
	return nil
}

// canaryIngress builds the desired canary Ingress: the stable's TLS, class and rules that use the
// stable Service (pointed at the canary Service), additionalIngressAnnotations under the prefix,
// canaryIngressAnnotations as given, then canary, canary-weight and (with maxTrafficWeight)
// canary-weight-total.
func (r *Nginx) canaryIngress(stable *networkingv1.Ingress, name string, desiredWeight int32) (*networkingv1.Ingress, error) {
	cs := r.ro.Spec.Strategy.Canary
	ngx := cs.TrafficRouting.Nginx
	prefix := NginxAnnotationPrefix(r.ro)
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       r.ro.Namespace,
			Annotations:     map[string]string{},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(r.ro, v1alpha1.GroupVersion.WithKind("Rollout"))},
		},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{}},
	}
	for _, tls := range stable.Spec.TLS {
		ing.Spec.TLS = append(ing.Spec.TLS, *tls.DeepCopy())
	}
	ing.Spec.IngressClassName = stable.Spec.IngressClassName
	if v, ok := stable.Annotations[ingressClassAnnotation]; ok {
		ing.Annotations[ingressClassAnnotation] = v
	}
	for _, rule := range stable.Spec.Rules {
		rule := *rule.DeepCopy()
		uses := false
		if rule.HTTP != nil {
			for i := range rule.HTTP.Paths {
				if b := rule.HTTP.Paths[i].Backend.Service; b != nil && b.Name == cs.StableService {
					uses = true
					b.Name = cs.CanaryService
				}
			}
		}
		if uses {
			ing.Spec.Rules = append(ing.Spec.Rules, rule)
		}
	}
	if len(ing.Spec.Rules) == 0 {
		return nil, fmt.Errorf(errIngressNoRules, ngx.StableIngress, cs.StableService)
	}
	for k, v := range ngx.AdditionalIngressAnnotations {
		if !strings.HasPrefix(k, prefix) {
			k = prefix + "/" + k
		}
		ing.Annotations[k] = v
	}
	for k, v := range ngx.CanaryIngressAnnotations {
		ing.Annotations[k] = v
	}
	ing.Annotations[prefix+"/canary"] = "true"
	ing.Annotations[prefix+"/canary-weight"] = fmt.Sprintf("%d", desiredWeight)
	if w := cs.TrafficRouting.MaxTrafficWeight; w != nil {
		ing.Annotations[prefix+"/canary-weight-total"] = fmt.Sprintf("%d", *w)
	}
	return ing, nil
}

// SetHeaderRoute implements rollout.TrafficRouter; as in Argo, nginx routes headers through
// additionalIngressAnnotations (canary-by-header), not through steps.
func (r *Nginx) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements rollout.TrafficRouter; nginx has no mirror routes.
func (r *Nginx) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// RemoveManagedRoutes implements rollout.TrafficRouter; nginx has no managed routes.
func (r *Nginx) RemoveManagedRoutes(context.Context) error { return nil }

// VerifyWeight implements rollout.TrafficRouter; nginx cannot tell.
func (r *Nginx) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}
