package rollout

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Canary and stable Services select pods by rollouts-pod-template-hash (Argo's rollout/service.go).

func selectorHash(svc *corev1.Service) string {
	if svc == nil {
		return ""
	}
	return svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey]
}

// reconcileStableAndCanaryService points the stable Service at the stable ReplicaSet and the canary
// Service at the new one, or back at the stable while a basic canary is aborted.
func (c *rolloutContext) reconcileStableAndCanaryService() {
	cs := c.ro.Spec.Strategy.Canary
	c.ensureServiceTargets(c.stableSvc, c.stableRS, true)
	if c.pause.isAborted() {
		if cs.TrafficRouting == nil {
			c.ensureServiceTargets(c.canarySvc, c.stableRS, true)
			return
		}
		_ = c.buildRouters() // an error is reported by reconcileTrafficRouting
		if len(c.routers) > 0 && (!cs.DynamicStableScale || c.desiredWeightOnAbortOrRollback() == 0) {
			// Deliberately unlike Argo v1.9.1: reconcileTrafficRouting points the canary Service
			// at the stable in this same reconcile, and Argo first points it at the canary here,
			// so every reconcile of an abort flips the selector twice (argo-rollouts#3078). The
			// selector ends where Argo's ends, without the flapping writes.
			return
		}
	}
	if back, _ := c.dynamicallyRollingBackToStable(); back {
		// The stable may be too small for all the traffic yet; switch once it is available.
		return
	}
	c.ensureServiceTargets(c.canarySvc, c.newRS, true)
}

// ensureServiceTargets switches a Service to the ReplicaSet. A Service not yet managed by the
// Rollout is adopted only once the ReplicaSet is fully available; with checkAvailability a
// managed one still needs one available pod.
func (c *rolloutContext) ensureServiceTargets(svc *corev1.Service, rs *appsv1.ReplicaSet, checkAvailability bool) {
	if rs == nil || svc == nil {
		return
	}
	current, desired := selectorHash(svc), podHashOf(rs)
	if current == desired {
		return
	}
	_, managed := svc.Annotations[AnnotationManagedByRollouts]
	if !managed && checkAvailability && !fullyAvailable(rs) {
		return
	}
	if checkAvailability && rs.Status.AvailableReplicas <= 0 {
		return
	}
	c.switchServiceSelector(svc, desired)
}

// fullyAvailable reports a scaled-up ReplicaSet with at least spec.replicas available pods.
func fullyAvailable(rs *appsv1.ReplicaSet) bool {
	n := rsReplicas(rs)
	return n != 0 && rs.Status.AvailableReplicas != 0 && n <= rs.Status.AvailableReplicas
}

func (c *rolloutContext) switchServiceSelector(svc *corev1.Service, hash string) {
	old := selectorHash(svc)
	_, managed := svc.Annotations[AnnotationManagedByRollouts]
	if old == hash && managed {
		return
	}
	p := svcPatch{svc: svc, hash: hash}
	if !managed {
		p.managedBy = c.ro.Name
	}
	c.plan.svcPatches = append(c.plan.svcPatches, p)
	c.plan.eventf(ReasonSwitchService, MsgSwitchService, svc.Name, old, hash)
	// Later decisions of this reconcile see the switched selector (svc is this reconcile's copy).
	if svc.Spec.Selector == nil {
		svc.Spec.Selector = map[string]string{}
	}
	svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	if !managed {
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		svc.Annotations[AnnotationManagedByRollouts] = c.ro.Name
	}
}
