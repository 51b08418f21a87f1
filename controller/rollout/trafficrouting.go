package rollout

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// TrafficRouter splits a Rollout's traffic between its stable and canary (a small version of
// Flagger's router.Interface; Argo's TrafficRoutingReconciler). Weights are out of the Rollout's
// maxTrafficWeight; additional destinations take their share from the stable.
type TrafficRouter interface {
	// Type names the router, e.g. "Nginx" or "Istio".
	Type() string
	// SetWeight sends desiredWeight to the canary.
	SetWeight(ctx context.Context, desiredWeight int32, additional ...v1alpha1.WeightDestination) error
	// SetHeaderRoute sends requests matching headers to the canary; a route without matches removes it.
	SetHeaderRoute(ctx context.Context, route *v1alpha1.SetHeaderRoute) error
	// SetMirrorRoute copies matching requests to the canary; a route without matches removes it.
	SetMirrorRoute(ctx context.Context, route *v1alpha1.SetMirrorRoute) error
	// RemoveManagedRoutes removes every header and mirror route the Rollout created.
	RemoveManagedRoutes(ctx context.Context) error
	// VerifyWeight reports whether the router already applies desiredWeight; nil means the
	// router cannot tell, which counts as verified.
	VerifyWeight(ctx context.Context, desiredWeight int32, additional ...v1alpha1.WeightDestination) (*bool, error)
}

// HashUpdater is implemented by routers that select pods by pod-template hash themselves (such as
// Istio DestinationRule subsets); it is called with the current hashes before every SetWeight.
type HashUpdater interface {
	UpdateHash(ctx context.Context, canaryHash, stableHash string, additional ...v1alpha1.WeightDestination) error
}

// HashReferencer is implemented by routers that can still send traffic to a pod-template hash of
// their own accord (Istio DestinationRule subsets); such a ReplicaSet is not scaled down.
type HashReferencer interface {
	ReferencesHash(ctx context.Context, hash string) (bool, error)
}

// RouterFactory builds the routers named in a Rollout's spec.strategy.canary.trafficRouting; it
// gets the Rollout's ReplicaSets, which a router may need to know which are available.
type RouterFactory func(ro *v1alpha1.Rollout, replicaSets []*appsv1.ReplicaSet) ([]TrafficRouter, error)

// ReferenceValidator is implemented by routers whose objects take part in the Rollout's spec
// validation (Argo's ValidateRolloutReferencedResources): lookup is a referenced object that does
// not exist or is misconfigured, content a problem inside one; either makes the spec invalid.
type ReferenceValidator interface {
	ValidateReferences(ctx context.Context) (lookup, content *field.Error, err error)
}

// NoopRouter is the router for a trafficRouting whose router is not implemented yet: it accepts
// every weight and route without touching anything, so the Rollout runs with Argo's traffic-routed
// replica math and records status.canary.weights for the simulator's traffic model.
type NoopRouter struct{}

// Type implements TrafficRouter.
func (NoopRouter) Type() string { return "NoOp" }

// SetWeight implements TrafficRouter.
func (NoopRouter) SetWeight(context.Context, int32, ...v1alpha1.WeightDestination) error { return nil }

// SetHeaderRoute implements TrafficRouter.
func (NoopRouter) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements TrafficRouter.
func (NoopRouter) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// RemoveManagedRoutes implements TrafficRouter.
func (NoopRouter) RemoveManagedRoutes(context.Context) error { return nil }

// VerifyWeight implements TrafficRouter.
func (NoopRouter) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// defaultRouters gives a Rollout with trafficRouting one NoopRouter, and a basic canary none.
func defaultRouters(ro *v1alpha1.Rollout, _ []*appsv1.ReplicaSet) ([]TrafficRouter, error) {
	if ro.Spec.Strategy.Canary == nil || ro.Spec.Strategy.Canary.TrafficRouting == nil {
		return nil, nil
	}
	return []TrafficRouter{NoopRouter{}}, nil
}

// dynamicallyRollingBackToStable reports a fully promoted Rollout with dynamic stable scaling that
// went back to its stable before that stable is fully available again; it returns the hash the
// canary weight still points at.
func (c *rolloutContext) dynamicallyRollingBackToStable() (bool, string) {
	ro := c.ro
	cs := ro.Spec.Strategy.Canary
	if !isFullyPromoted(ro) || cs == nil || cs.TrafficRouting == nil || !cs.DynamicStableScale || ro.Status.Canary.Weights == nil || c.newRS == nil {
		return false, ""
	}
	prev := ro.Status.Canary.Weights.Canary.PodTemplateHash
	if prev == podHashOf(c.newRS) {
		return false, ""
	}
	if c.newRS.Status.AvailableReplicas >= replicasOrDefault(ro.Spec.Replicas) {
		return false, ""
	}
	return true, prev
}

// reconcileTrafficRouting decides the canary weight for the current step and applies it with
// every router (Argo's reconcileTrafficRouting). A basic canary has no router and no weights.
func (c *rolloutContext) reconcileTrafficRouting() error {
	if err := c.buildRouters(); err != nil {
		return err
	}
	if len(c.routers) == 0 {
		c.newStatus.Canary.Weights = nil
		return nil
	}
	ro := c.ro
	cs := ro.Spec.Strategy.Canary
	maxWeight := maxTrafficWeight(ro)
	ctx := c.ctx
	for _, router := range c.routers {
		step, index, hasSteps := currentStep(ro)
		var desired int32
		var additional []v1alpha1.WeightDestination
		canaryHash, stableHash := podHashOf(c.newRS), podHashOf(c.stableRS)

		if back, prev := c.dynamicallyRollingBackToStable(); back {
			desired = c.desiredWeightOnAbortOrRollback()
			canaryHash = prev
		} else if isFullyPromoted(ro) {
			if err := router.RemoveManagedRoutes(ctx); err != nil {
				return err
			}
		} else if c.pause.isAborted() {
			desired = c.desiredWeightOnAbortOrRollback()
			if !cs.DynamicStableScale || desired == 0 {
				c.ensureServiceTargets(c.canarySvc, c.stableRS, false)
			}
			if err := router.RemoveManagedRoutes(ctx); err != nil {
				return err
			}
		} else if c.newRS == nil || c.newRS.Status.AvailableReplicas == 0 {
			// Never send weight to a canary without available pods.
			additional = c.experimentWeightDestinations()
			if err := router.RemoveManagedRoutes(ctx); err != nil {
				return err
			}
		} else if ro.Status.PromoteFull {
			if cs.DynamicStableScale {
				desired = maxWeight * c.newRS.Status.AvailableReplicas / replicasOrDefault(ro.Spec.Replicas)
			} else if ro.Status.Canary.Weights != nil {
				desired = ro.Status.Canary.Weights.Canary.Weight
			}
			if err := router.RemoveManagedRoutes(ctx); err != nil {
				return err
			}
		} else if hasSteps {
			switch {
			case !AtDesiredReplicaCountsForCanary(ro, c.newRS, c.stableRS, c.otherRSs, nil):
				// The canary is not ready for this step's weight: keep the previous setWeight.
				for i := index - 1; i >= 0; i-- {
					if w := cs.Steps[i].SetWeight; w != nil {
						desired = *w
						break
					}
				}
				additional = c.experimentWeightDestinations()
			case int(index) != len(cs.Steps):
				desired = CurrentSetWeight(ro)
				additional = c.experimentWeightDestinations()
			default:
				desired = maxWeight
			}
		}

		// The stable must have pods for its share before the weight moves.
		if !c.replicasAvailableFor(c.stableRS, maxWeight-desired) {
			return nil
		}
		if step != nil && revisionNumber(ro) > 1 {
			if step.SetHeaderRoute != nil {
				if err := router.SetHeaderRoute(ctx, step.SetHeaderRoute); err != nil {
					return err
				}
			}
			if step.SetMirrorRoute != nil {
				if err := router.SetMirrorRoute(ctx, step.SetMirrorRoute); err != nil {
					return err
				}
			}
		}
		noCanaryPods := c.newRS == nil || c.newRS.Status.AvailableReplicas == 0
		if noCanaryPods && ro.Status.Canary.Weights != nil && ro.Status.Canary.Weights.Canary.Weight > 0 {
			// Take the weight off the old canary before pointing the router at the new one.
			if err := router.SetWeight(ctx, desired, additional...); err != nil {
				c.plan.warnf(ReasonTrafficRoutingError, "%s", err.Error())
				return err
			}
		}
		if hu, ok := router.(HashUpdater); ok {
			if err := hu.UpdateHash(ctx, canaryHash, stableHash, additional...); err != nil {
				return err
			}
		}
		if err := router.SetWeight(ctx, desired, additional...); err != nil {
			c.plan.warnf(ReasonTrafficRoutingError, "%s", err.Error())
			return err
		}
		if modified, weights := weightStatus(ro, canaryHash, stableHash, desired, additional...); modified {
			c.plan.eventf(ReasonTrafficWeightUpdated, "%s", trafficWeightUpdatedMessage(ro.Status.Canary.Weights, weights))
			c.newStatus.Canary.Weights = weights
		}
		verified, err := router.VerifyWeight(ctx, desired, additional...)
		if c.newStatus.Canary.Weights != nil {
			w := *c.newStatus.Canary.Weights
			w.Verified = verified
			c.newStatus.Canary.Weights = &w
		}
		if err != nil {
			c.plan.warnf(ReasonWeightVerifyError, MsgWeightVerifyError, err)
			return nil
		}
		if verified != nil && !*verified {
			c.plan.requeueAfter(weightVerifyRetry)
			cur := int32(0)
			if ro.Status.CurrentStepIndex != nil {
				cur = *ro.Status.CurrentStepIndex
			}
			if desired == maxWeight && len(cs.Steps) >= int(cur) {
				return fmt.Errorf("end of rollout, desired weight %d not yet verified", desired)
			}
		}
	}
	return nil
}

// replicasAvailableFor reports whether rs has the available pods to take weight of the traffic,
// or at least replicaProgressThreshold of them.
func (c *rolloutContext) replicasAvailableFor(rs *appsv1.ReplicaSet, weight int32) bool {
	if rs == nil {
		return false
	}
	desired := weight * replicasOrDefault(c.ro.Spec.Replicas) / maxTrafficWeight(c.ro)
	return rs.Status.AvailableReplicas >= desired || ReplicaProgressThresholdMet(c.ro.Spec.Strategy.Canary.ReplicaProgressThreshold, rs, desired)
}

// buildRouters builds the Rollout's routers once per reconcile.
func (c *rolloutContext) buildRouters() error {
	if c.routersBuilt {
		return c.routersErr
	}
	c.routersBuilt = true
	cs := c.ro.Spec.Strategy.Canary
	if cs == nil || cs.TrafficRouting == nil {
		return nil
	}
	factory := c.r.Routers
	if factory == nil {
		factory = defaultRouters
	}
	c.routers, c.routersErr = factory(c.ro, c.allRSs)
	return c.routersErr
}

// desiredWeightOnAbortOrRollback is the canary weight while aborting or going back to the
// stable: 0, unless dynamic stable scaling moves the weight as the stable becomes available.
func (c *rolloutContext) desiredWeightOnAbortOrRollback() int32 {
	ro := c.ro
	if !ro.Spec.Strategy.Canary.DynamicStableScale || c.stableRS == nil || c.newRS == nil || ro.Spec.Replicas == nil || *ro.Spec.Replicas == 0 {
		return 0
	}
	maxWeight := maxTrafficWeight(ro)
	replicas := *ro.Spec.Replicas
	desired := desiredCanaryWeight(ro, c.newRS, c.stableRS)
	expected := max(0, maxWeight-(maxWeight*c.stableRS.Status.AvailableReplicas)/replicas)
	if ro.Status.Canary.Weights == nil {
		return max(expected, desired)
	}
	current := ro.Status.Canary.Weights.Canary.Weight
	if desired <= 0 {
		// Never raise the weight again because stable pods flap.
		return min(expected, current)
	}
	stableWeight := (maxWeight * c.stableRS.Status.AvailableReplicas) / replicas
	if stableWeight < maxWeight-desired {
		// The stable is still scaling up: keep the canary weight.
		return current
	}
	return min(desired, current)
}

// weightStatus computes status.canary.weights and whether it differs from the recorded one.
func weightStatus(ro *v1alpha1.Rollout, canaryHash, stableHash string, desired int32, additional ...v1alpha1.WeightDestination) (bool, *v1alpha1.TrafficWeights) {
	cs := ro.Spec.Strategy.Canary
	w := &v1alpha1.TrafficWeights{
		Canary: v1alpha1.WeightDestination{Weight: desired, PodTemplateHash: canaryHash, ServiceName: cs.CanaryService},
	}
	stable := maxTrafficWeight(ro) - desired
	for _, d := range additional {
		w.Additional = append(w.Additional, d)
		stable -= d.Weight
	}
	w.Stable = v1alpha1.WeightDestination{Weight: stable, PodTemplateHash: stableHash, ServiceName: cs.StableService}
	prev := ro.Status.Canary.Weights
	modified := prev == nil || prev.Canary != w.Canary || prev.Stable != w.Stable || !reflect.DeepEqual(prev.Additional, w.Additional)
	return modified, w
}

func trafficWeightUpdatedMessage(prev, next *v1alpha1.TrafficWeights) string {
	var details []string
	if prev == nil {
		details = append(details, fmt.Sprintf(trafficWeightToFormat, next.Canary.Weight))
	} else if prev.Canary.Weight != next.Canary.Weight {
		details = append(details, fmt.Sprintf(trafficWeightFromToFormat, prev.Canary.Weight, next.Canary.Weight))
	}
	if prev != nil && next != nil && !reflect.DeepEqual(prev.Additional, next.Additional) {
		details = append(details, fmt.Sprintf(trafficWeightAdditionalFormt, next.Additional))
	}
	return fmt.Sprintf(MsgTrafficWeightUpdated, strings.Join(details, ", "))
}
