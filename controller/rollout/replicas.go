package rollout

import (
	"math"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Replica math of a canary update, as Argo's utils/replicaset/canary.go computes it.

var (
	defaultMaxSurgeValue       = intstr.FromString(defaultMaxSurge)
	defaultMaxUnavailableValue = intstr.FromString(defaultMaxUnavailable)
)

func replicasOrDefault(r *int32) int32 {
	if r == nil {
		return defaultReplicas
	}
	return *r
}

// rsReplicas is a ReplicaSet's spec.replicas (the API server defaults a missing value to 1).
func rsReplicas(rs *appsv1.ReplicaSet) int32 { return replicasOrDefault(rs.Spec.Replicas) }

func maxTrafficWeight(ro *v1alpha1.Rollout) int32 {
	if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil && c.TrafficRouting.MaxTrafficWeight != nil {
		return *c.TrafficRouting.MaxTrafficWeight
	}
	return defaultMaxTrafficWeight
}

func maxSurgeOrDefault(ro *v1alpha1.Rollout) *intstr.IntOrString {
	if c := ro.Spec.Strategy.Canary; c != nil && c.MaxSurge != nil {
		return c.MaxSurge
	}
	return &defaultMaxSurgeValue
}

func maxUnavailableOrDefault(ro *v1alpha1.Rollout) *intstr.IntOrString {
	if b := ro.Spec.Strategy.BlueGreen; b != nil && b.MaxUnavailable != nil {
		return b.MaxUnavailable
	}
	if c := ro.Spec.Strategy.Canary; c != nil && c.MaxUnavailable != nil {
		return c.MaxUnavailable
	}
	return &defaultMaxUnavailableValue
}

// scaledValue resolves an int-or-percent against total the way Argo does (intstr's legacy
// GetValueFromIntOrPercent): a string is always a percentage, with or without its '%'.
func scaledValue(v *intstr.IntOrString, total int32, roundUp bool) (int32, error) {
	if v == nil {
		return 0, nil
	}
	if v.Type == intstr.Int {
		return v.IntVal, nil
	}
	pct, err := strconv.Atoi(strings.ReplaceAll(v.StrVal, "%", ""))
	if err != nil {
		return 0, err
	}
	f := float64(pct) * float64(total) / 100
	if roundUp {
		return int32(math.Ceil(f)), nil
	}
	return int32(math.Floor(f)), nil
}

// resolveFenceposts resolves maxSurge (rounded up) and maxUnavailable (rounded down) together;
// when both come to zero, one pod may be unavailable.
func resolveFenceposts(maxSurge, maxUnavailable *intstr.IntOrString, desired int32) (int32, int32) {
	surge, err := scaledValue(maxSurge, desired, true)
	if err != nil {
		surge = 0 // validation rejects such values; Argo ignores the error here too
	}
	unavailable, err := scaledValue(maxUnavailable, desired, false)
	if err != nil {
		unavailable = 0
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// MaxSurge is how many pods above spec.replicas a canary update may run.
func MaxSurge(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Strategy.Canary == nil {
		return 0
	}
	surge, _ := resolveFenceposts(maxSurgeOrDefault(ro), maxUnavailableOrDefault(ro), replicasOrDefault(ro.Spec.Replicas))
	return surge
}

// MaxUnavailable is how many of spec.replicas may be unavailable during an update.
func MaxUnavailable(ro *v1alpha1.Rollout) int32 {
	replicas := replicasOrDefault(ro.Spec.Replicas)
	if replicas == 0 {
		return 0
	}
	var unavailable int32
	if ro.Spec.Strategy.Canary != nil {
		_, unavailable = resolveFenceposts(maxSurgeOrDefault(ro), maxUnavailableOrDefault(ro), replicas)
	} else {
		unavailable, _ = scaledValue(maxUnavailableOrDefault(ro), replicas, false)
	}
	return min(unavailable, replicas)
}

// currentStep returns the canary step at status.currentStepIndex. ok is false when the Rollout has
// no canary steps; step is nil once every step has run.
func currentStep(ro *v1alpha1.Rollout) (step *v1alpha1.CanaryStep, index int32, ok bool) {
	c := ro.Spec.Strategy.Canary
	if c == nil || len(c.Steps) == 0 {
		return nil, 0, false
	}
	if ro.Status.CurrentStepIndex != nil {
		index = *ro.Status.CurrentStepIndex
	}
	if int(index) >= len(c.Steps) || index < 0 {
		return nil, index, true
	}
	return &c.Steps[index], index, true
}

// CurrentSetWeight is the weight of the last setWeight step at or before the current step: 0 when
// aborted or when no setWeight came yet, the full weight once all steps ran.
func CurrentSetWeight(ro *v1alpha1.Rollout) int32 {
	if ro.Status.Abort {
		return 0
	}
	step, index, _ := currentStep(ro)
	if step == nil {
		return maxTrafficWeight(ro)
	}
	for i := index; i >= 0; i-- {
		if w := ro.Spec.Strategy.Canary.Steps[i].SetWeight; w != nil {
			return *w
		}
	}
	return 0
}

// useSetCanaryScale returns the setCanaryScale in force, which needs traffic routing.
func useSetCanaryScale(ro *v1alpha1.Rollout) *v1alpha1.SetCanaryScale {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil {
		return nil
	}
	if ro.Status.Abort {
		if delay, _ := abortScaleDownDelay(ro); delay != nil {
			// On abort the explicit canary scale no longer holds, unless the canary stays up.
			return nil
		}
	}
	step, index, _ := currentStep(ro)
	if step == nil {
		return nil
	}
	for i := index; i >= 0; i-- {
		s := c.Steps[i].SetCanaryScale
		if s == nil {
			continue
		}
		if s.MatchTrafficWeight {
			return nil
		}
		return s
	}
	return nil
}

// desiredCanaryWeight is the canary weight to size for. An aborted Rollout with dynamic stable
// scaling walks the setWeight steps backwards, following the stable's availability.
func desiredCanaryWeight(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet) int32 {
	c := ro.Spec.Strategy.Canary
	if ro.Status.Abort && c.DynamicStableScale && newRS != nil && stableRS != nil {
		maxWeight := maxTrafficWeight(ro)
		replicas := replicasOrDefault(ro.Spec.Replicas)
		canaryReplicas := max(replicas-stableRS.Status.AvailableReplicas, newRS.Status.AvailableReplicas)
		for i := len(c.Steps) - 1; i >= 0; i-- {
			if w := c.Steps[i].SetWeight; w != nil && trafficWeightToReplicas(replicas, *w, maxWeight) < canaryReplicas {
				return *w
			}
		}
		return 0
	}
	return CurrentSetWeight(ro)
}

// canaryReplicasOrWeight returns the explicit canary replica count of a setCanaryScale, or the
// canary weight to size the ReplicaSets for.
func canaryReplicasOrWeight(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet) (*int32, int32) {
	if ro.Status.PromoteFull || ro.Status.StableRS == "" || ro.Status.CurrentPodHash == ro.Status.StableRS {
		return nil, maxTrafficWeight(ro)
	}
	if s := useSetCanaryScale(ro); s != nil {
		if s.Replicas != nil {
			return s.Replicas, 0
		}
		if s.Weight != nil {
			return nil, *s.Weight
		}
	}
	return nil, desiredCanaryWeight(ro, newRS, stableRS)
}

// stableExistsApart reports whether there is a stable ReplicaSet other than the new one.
func stableExistsApart(newRS, stableRS *appsv1.ReplicaSet) bool {
	if stableRS == nil {
		return false
	}
	return newRS == nil || newRS.Name != stableRS.Name
}

func sumSpecReplicas(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rsReplicas(rs)
		}
	}
	return n
}

func sumAvailable(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.AvailableReplicas
		}
	}
	return n
}

func sumStatusReplicas(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.Replicas
		}
	}
	return n
}

func sumReady(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.ReadyReplicas
		}
	}
	return n
}

// BasicCanaryReplicaCounts returns the new and stable ReplicaSet sizes for a canary without traffic
// routing (Argo's CalculateReplicaCountsForBasicCanary). The weight is approximated with whole pods;
// scaling up gives the stable precedence within maxSurge, scaling down drains other ReplicaSets
// first and then keeps maxUnavailable.
func BasicCanaryReplicaCounts(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet, otherRSs []*appsv1.ReplicaSet) (int32, int32) {
	replicas := replicasOrDefault(ro.Spec.Replicas)
	_, weight := canaryReplicasOrWeight(ro, newRS, stableRS)
	maxSurge := MaxSurge(ro)
	desiredNew, desiredStable := ApproximateWeightedCounts(replicas, weight, maxTrafficWeight(ro), maxSurge)

	var newCount, stableCount int32
	if newRS != nil {
		newCount = rsReplicas(newRS)
	}
	scaleStable := stableExistsApart(newRS, stableRS)
	if scaleStable {
		stableCount = rsReplicas(stableRS)
	} else {
		// Without a separate stable the new ReplicaSet goes straight to every replica.
		desiredNew, desiredStable = replicas, 0
	}

	maxAllowed := replicas + maxSurge
	total := sumSpecReplicas(otherRSs)
	if newRS != nil {
		total += rsReplicas(newRS)
	}
	if scaleStable {
		total += rsReplicas(stableRS)
	}
	scaleUp := maxAllowed - total

	if scaleStable && rsReplicas(stableRS) < desiredStable && scaleUp > 0 {
		if rsReplicas(stableRS)+scaleUp < desiredStable {
			stableCount = rsReplicas(stableRS) + scaleUp
			scaleUp = 0
		} else {
			stableCount = desiredStable
			scaleUp -= desiredStable - rsReplicas(stableRS)
		}
	}
	if newRS != nil && rsReplicas(newRS) < desiredNew && scaleUp > 0 {
		newCount = min(rsReplicas(newRS)+scaleUp, desiredNew)
	}

	if sumSpecReplicas(otherRSs) > 0 {
		// Other ReplicaSets are scaled down before the new or stable one.
		return newCount, stableCount
	}

	minAvailable := replicas - MaxUnavailable(ro)
	// When the canary grows, the stable's availability does not hold back its scale-down; when it
	// shrinks (an abort), the canary's does not.
	increasing := newRS == nil || desiredNew >= rsReplicas(newRS)
	toScaleDown := replicasForScaleDown(newRS, !increasing) + replicasForScaleDown(stableRS, increasing)
	if toScaleDown <= minAvailable {
		return newCount, stableCount
	}
	scaleDown := toScaleDown - minAvailable
	if !increasing {
		newCount = drainCount(newRS, desiredNew, scaleDown, newCount)
		newCount, stableCount = keepWithinLimits(newRS, stableRS, newCount, stableCount, maxAllowed, minAvailable)
	} else if scaleStable {
		stableCount = drainCount(stableRS, desiredStable, scaleDown, stableCount)
		stableCount, newCount = keepWithinLimits(stableRS, newRS, stableCount, newCount, maxAllowed, minAvailable)
	}
	return newCount, stableCount
}

// ApproximateWeightedCounts picks the canary and stable pod counts whose canary share is closest to
// weight/maxWeight, trying spec.replicas and (with surge) spec.replicas+1 pods in total. A weight
// strictly between 0 and maxWeight never rounds either side to zero when there are two or more pods.
func ApproximateWeightedCounts(specReplicas, weight, maxWeight, maxSurge int32) (canary, stable int32) {
	if specReplicas == 0 {
		return 0, 0
	}
	type option struct{ canary, total int32 }
	var opts [4]option
	n := 0
	exact := float64(specReplicas*weight) / float64(maxWeight)
	ceil, floor := int32(math.Ceil(exact)), int32(math.Floor(exact))
	zeroAllowed := weight == maxWeight || weight == 0 || (specReplicas == 1 && maxSurge == 0)

	if ceil < specReplicas || zeroAllowed {
		opts[n] = option{ceil, specReplicas}
		n++
	}
	if !halfway(weight, maxWeight, specReplicas) && (floor != 0 || zeroAllowed) {
		opts[n] = option{floor, specReplicas}
		n++
	}
	if maxSurge > 0 {
		opts[n] = option{ceil, specReplicas + 1}
		n++
		if !halfway(weight, maxWeight, specReplicas+1) && (floor != 0 || zeroAllowed) {
			opts[n] = option{floor, specReplicas + 1}
			n++
		}
	}
	if n == 0 {
		return 0, specReplicas
	}
	best, bestDelta := opts[0], weightDelta(weight, maxWeight, opts[0].canary, opts[0].total)
	for _, o := range opts[1:n] {
		if d := weightDelta(weight, maxWeight, o.canary, o.total); d < bestDelta {
			best, bestDelta = o, d
		}
	}
	return best.canary, best.total - best.canary
}

// halfway reports whether total*weight/maxWeight lies exactly between two integers; the larger
// canary count then wins.
func halfway(weight, maxWeight, total int32) bool {
	_, frac := math.Modf(float64(total) * (float64(weight) / float64(maxWeight)))
	return frac == 0.5
}

func weightDelta(weight, maxWeight, canary, total int32) float64 {
	actual := float64(canary*maxWeight) / float64(total)
	return math.Abs(actual - float64(weight))
}

// replicasForScaleDown is how many of a ReplicaSet's pods count toward availability when deciding
// how far to scale down; ignoreAvailability counts unready pods too.
func replicasForScaleDown(rs *appsv1.ReplicaSet, ignoreAvailability bool) int32 {
	if rs == nil {
		return 0
	}
	if rsReplicas(rs) < rs.Status.AvailableReplicas {
		// Pods above spec are already on their way out.
		return rsReplicas(rs)
	}
	if ignoreAvailability {
		return rsReplicas(rs)
	}
	return rs.Status.AvailableReplicas
}

// drainCount scales the ReplicaSet being drained down toward desired by at most scaleDown.
func drainCount(drainRS *appsv1.ReplicaSet, desired, scaleDown, current int32) int32 {
	if drainRS != nil && rsReplicas(drainRS) > desired {
		return max(desired, rsReplicas(drainRS)-scaleDown)
	}
	return current
}

// keepWithinLimits trims the adjusted ReplicaSet back under maxSurge, gives back what that costs in
// availability, and takes any remaining excess from the drained ReplicaSet.
func keepWithinLimits(drainRS, adjustRS *appsv1.ReplicaSet, drainCount, adjustCount, maxAllowed, minAvailable int32) (int32, int32) {
	over := max(0, adjustCount+drainCount-maxAllowed)
	var available int32
	if drainRS != nil {
		available += min(drainRS.Status.AvailableReplicas, drainCount)
	}
	if adjustRS != nil {
		adjustCount -= over
		available += min(adjustRS.Status.AvailableReplicas, adjustCount)
		lostAvailability := max(0, adjustRS.Status.AvailableReplicas-adjustCount)
		missing := max(0, minAvailable-available)
		adjustCount += min(lostAvailability, missing)
		over = max(0, adjustCount+drainCount-maxAllowed)
		drainCount -= over
	}
	return drainCount, adjustCount
}

// trafficWeightToReplicas is the pods that carry weight out of maxWeight, rounded up.
func trafficWeightToReplicas(replicas, weight, maxWeight int32) int32 {
	return int32(math.Ceil(float64(weight) * float64(replicas) / float64(maxWeight)))
}

// minPodsPerReplicaSet raises a non-zero count to spec.strategy.canary.minPodsPerReplicaSet when
// traffic routing is in use.
func minPodsPerReplicaSet(ro *v1alpha1.Rollout, count int32) int32 {
	c := ro.Spec.Strategy.Canary
	if count == 0 || c == nil || c.MinPodsPerReplicaSet == nil || c.TrafficRouting == nil {
		return count
	}
	return max(count, *c.MinPodsPerReplicaSet)
}

// TrafficRoutedCanaryReplicaCounts returns the canary and stable sizes when a traffic router splits
// the traffic (Argo's CalculateReplicaCountsForTrafficRoutedCanary). The stable stays at spec.replicas
// unless dynamicStableScale sizes it by the larger of its desired and its current traffic weight.
func TrafficRoutedCanaryReplicaCounts(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet, weights *v1alpha1.TrafficWeights) (int32, int32) {
	replicas := replicasOrDefault(ro.Spec.Replicas)
	explicit, weight := canaryReplicasOrWeight(ro, newRS, stableRS)
	maxWeight := maxTrafficWeight(ro)
	var canary int32
	if explicit != nil {
		canary = *explicit
	} else {
		canary = minPodsPerReplicaSet(ro, trafficWeightToReplicas(replicas, weight, maxWeight))
	}
	if !ro.Spec.Strategy.Canary.DynamicStableScale {
		return canary, replicas
	}
	stable := trafficWeightToReplicas(replicas, maxWeight-weight, maxWeight)
	if weights != nil {
		stable = max(stable, trafficWeightToReplicas(replicas, weights.Stable.Weight, maxWeight))
		if ro.Status.Abort {
			// The canary keeps its pods until its traffic has moved back to the stable.
			canary = max(canary, trafficWeightToReplicas(replicas, weights.Canary.Weight, maxWeight))
		}
	}
	return minPodsPerReplicaSet(ro, canary), minPodsPerReplicaSet(ro, stable)
}

// canaryReplicaCounts dispatches on the presence of traffic routing.
func canaryReplicaCounts(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet, otherRSs []*appsv1.ReplicaSet, weights *v1alpha1.TrafficWeights) (int32, int32) {
	if ro.Spec.Strategy.Canary.TrafficRouting == nil {
		return BasicCanaryReplicaCounts(ro, newRS, stableRS, otherRSs)
	}
	return TrafficRoutedCanaryReplicaCounts(ro, newRS, stableRS, weights)
}

// ReplicaProgressThresholdMet reports whether rs has enough available pods of desired: all of them
// (at exactly the desired size) without a threshold, else the threshold's pods or percentage.
func ReplicaProgressThresholdMet(t *v1alpha1.ReplicaProgressThreshold, rs *appsv1.ReplicaSet, desired int32) bool {
	if t == nil || rs == nil || t.Value < 0 {
		return rs != nil && desired == rsReplicas(rs) && desired == rs.Status.AvailableReplicas
	}
	if t.Type == v1alpha1.ProgressTypePercentage {
		if desired == 0 {
			return true
		}
		pct := float64(rs.Status.AvailableReplicas) / float64(desired) * 100
		return pct >= float64(t.Value) || math.Abs(pct-float64(t.Value)) <= 1e-10
	}
	return rs.Status.AvailableReplicas >= t.Value
}

// AtDesiredReplicaCountsForCanary reports whether the new ReplicaSet is fully available at its
// desired size (or meets replicaProgressThreshold), the stable is at its desired size (unless dynamically scaled), and, without traffic
// routing, no other ReplicaSet has available pods.
func AtDesiredReplicaCountsForCanary(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet, otherRSs []*appsv1.ReplicaSet, weights *v1alpha1.TrafficWeights) bool {
	desiredNew, desiredStable := canaryReplicaCounts(ro, newRS, stableRS, otherRSs, weights)
	if !ReplicaProgressThresholdMet(ro.Spec.Strategy.Canary.ReplicaProgressThreshold, newRS, desiredNew) {
		return false
	}
	c := ro.Spec.Strategy.Canary
	if c.TrafficRouting == nil || !c.DynamicStableScale {
		if stableRS == nil || desiredStable != rsReplicas(stableRS) || desiredStable != stableRS.Status.Replicas {
			return false
		}
	}
	if c.TrafficRouting == nil && sumAvailable(otherRSs) != 0 {
		return false
	}
	return true
}
